"""Expiry reminders of certificates, sent by the nightly task (`tasks.daily`) with the types of `notifying.py`.

Which notice a certificate is due is a pure function of its row and the day (`step_for`); `send_due` reads the
valid certificates whose expiry is near in batches (one query per batch, then `notify_many`).

| step | dedupe key | when |
|---|---|---|
| expiring | `certificate:<id>:expiring:<N>` | N days before the day it expires, each N of the award's `remind_days` |
| expired | `certificate:<id>:expired` | the day it expires (once past), unless a newer valid one replaced it |

An award without `remind_days` reminds 30 and 7 days before (`DEFAULT_REMIND_DAYS`).
Days are the organisation's: a certificate expiring at 00:00 on 31 March in London expires "on 31 March" there.
Once, not twice: the dedupe keys name the certificate and the step, so running the job twice, or two workers at
once, sends nothing twice. A missed night is caught up: a reminder whose day passed is still sent up to
`CATCH_UP_DAYS` later (only the latest one: nobody gets two stale reminders at once). A step dated before the
certificate was issued is not sent (the "issued" notice already said until when it is valid).

Only valid certificates of active people are reminded: superseded and revoked ones never are (a superseded one's
holder has the newer certificate, a revoked one is not theirs to renew).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from syllabus.certificates import notifying
from syllabus.certificates.models import Award, Certificate, last_valid_day
from syllabus.core import clock
from syllabus.notifications import services as notifications

ONE_DAY = dt.timedelta(days=1)
# Days before expiry on which holders are reminded when the award sets none.
DEFAULT_REMIND_DAYS: tuple[int, ...] = (30, 7)
# How many days late a missed reminder is still sent (the nightly job missed a night or two).
CATCH_UP_DAYS = 3
# Certificates per round of queries (and notices per `notify_many` call).
BATCH = 500


def remind_days(days: Iterable[Any] | None) -> tuple[int, ...]:
    """An award's reminder days, largest first: positive whole numbers only; none set means the default."""
    chosen = set()
    for day in days or ():
        try:
            number = int(day)
        except (TypeError, ValueError):
            continue  # stored JSON is data, not code: skip what is not a number rather than fail the night
        if number > 0:
            chosen.add(number)
    return tuple(sorted(chosen, reverse=True)) or DEFAULT_REMIND_DAYS


@dataclass(frozen=True)
class Row:
    """The parts of a valid certificate the reminders read."""

    id: int
    public_id: Any
    organization_id: int
    user_id: int
    title: str
    issued_at: dt.datetime
    expires_at: dt.datetime
    zone: zoneinfo.ZoneInfo
    days: tuple[int, ...] = DEFAULT_REMIND_DAYS
    replaced: bool = False  # a newer valid certificate of the same award (or course, or program) exists


@dataclass(frozen=True)
class Step:
    type: str  # a notifying type key
    key: str  # the dedupe key
    days: int = 0  # days left until it expires


def _recent(day: dt.date, today: dt.date) -> bool:
    return day <= today and (today - day).days < CATCH_UP_DAYS


def step_for(row: Row, now: dt.datetime) -> Step | None:
    """The notice the certificate's holder is due at `now`, if any (at most one)."""
    today = notifying.local_day(now, row.zone)
    expires_on = notifying.local_day(row.expires_at, row.zone)
    if row.expires_at <= now:
        if row.replaced or not _recent(expires_on, today):
            return None
        return Step(notifying.EXPIRED, notifying.key(row.id, "expired"))
    issued_on = notifying.local_day(row.issued_at, row.zone)
    passed = [(expires_on - dt.timedelta(days=n), n) for n in row.days if expires_on - dt.timedelta(days=n) <= today]
    if not passed:
        return None
    day, number = max(passed)
    if day < issued_on or not _recent(day, today):
        return None
    return Step(notifying.EXPIRING, notifying.key(row.id, f"expiring:{number}"), (expires_on - today).days)


# --- reading -----------------------------------------------------------------------------------------------------


def _horizon() -> int:
    """The most days before expiry any award reminds (one query over the awards' settings)."""
    return max((max(remind_days(days)) for days in Award.objects.values_list("remind_days", flat=True)), default=0)


def _candidates(now: dt.datetime) -> QuerySet[Certificate, tuple[Any, ...]]:
    """Valid certificates of active people that expire soon enough to be reminded, or expired in the last days."""
    horizon = max(_horizon(), max(DEFAULT_REMIND_DAYS))
    newer = Certificate.objects.filter(
        Q(award_id=OuterRef("award_id")) | Q(course_id=OuterRef("course_id")) | Q(program_id=OuterRef("program_id")),
        membership_id=OuterRef("membership_id"),
        state=Certificate.State.VALID,
        issued_at__gt=OuterRef("issued_at"),
    ).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    # A day either side: the organisation's day may start before or after UTC's.
    return (
        Certificate.objects.filter(
            state=Certificate.State.VALID,
            expires_at__gt=now - dt.timedelta(days=CATCH_UP_DAYS + 1),
            expires_at__lte=now + dt.timedelta(days=horizon + 1),
            membership__is_active=True,
            membership__user__is_active=True,
            # "Complete it again to receive a new one" is only true while the award still issues.
            award__enabled=True,
        )
        .annotate(replaced=Exists(newer))
        .order_by("pk")
        .values_list(
            "pk",
            "public_id",
            "organization_id",
            "membership__user_id",
            "title",
            "issued_at",
            "expires_at",
            "organization__default_time_zone",
            "award__remind_days",
            "replaced",
        )
    )


def _zone(name: str, zones: dict[str, zoneinfo.ZoneInfo]) -> zoneinfo.ZoneInfo:
    if name not in zones:
        try:
            zones[name] = zoneinfo.ZoneInfo(name or "UTC")
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zones[name] = zoneinfo.ZoneInfo("UTC")
    return zones[name]


def _batches(now: dt.datetime) -> Iterable[list[Row]]:
    """Rows BATCH at a time (keyset pagination: one query per batch)."""
    query = _candidates(now)
    zones: dict[str, zoneinfo.ZoneInfo] = {}
    last = 0
    while True:
        chunk = list(query.filter(pk__gt=last)[:BATCH])
        if not chunk:
            return
        last = chunk[-1][0]
        yield [
            Row(
                id=pk,
                public_id=public_id,
                organization_id=organization_id,
                user_id=user_id,
                title=title,
                issued_at=issued_at,
                expires_at=expires_at,
                zone=_zone(zone_name, zones),
                days=remind_days(days),
                replaced=bool(replaced),
            )
            for (
                pk,
                public_id,
                organization_id,
                user_id,
                title,
                issued_at,
                expires_at,
                zone_name,
                days,
                replaced,
            ) in chunk
        ]


# --- sending -----------------------------------------------------------------------------------------------------


def notice_for(row: Row, step: Step) -> notifications.Notice:
    context: dict[str, Any] = {"title": row.title, "valid_until": last_valid_day(row.expires_at, row.zone)}
    if step.type == notifying.EXPIRING:
        context["days"] = step.days
    return notifications.Notice(
        recipient_id=row.user_id,
        type=step.type,
        dedupe_key=step.key,
        context=context,
        organization_id=row.organization_id,
        url=notifying.certificate_link(row.public_id),
    )


def _send_batch(rows: Sequence[Row], now: dt.datetime, sent: Counter[str]) -> None:
    notices = [notice_for(row, step) for row in rows if (step := step_for(row, now)) is not None]
    for created in notifications.notify_many(notices):
        sent[created.type_key] += 1


def send_due(now: dt.datetime | None = None) -> dict[str, int]:
    """Send the expiry reminders due now, in every organisation; returns how many notices of each kind
    ("expiring", "expired") were new. Idempotent: a second run the same day sends nothing."""
    now = now or clock.now()
    sent: Counter[str] = Counter()
    for rows in _batches(now):
        _send_batch(rows, now, sent)
    return {kind.removeprefix("certificate."): sent[kind] for kind in (notifying.EXPIRING, notifying.EXPIRED)}
