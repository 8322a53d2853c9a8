"""Reminders and escalations of one program for one day, read set-based from `Assignment` (as the evaluation
left it) and sent through the notifications app with the types of `notifying.py`.

Which notice a person is due is a pure function of their assignment row and the day (`learner_step`,
`manager_step`, `officer_threshold`); `send_for_program` reads the rows that can be due anything today in batches
(a constant number of queries per batch: the rows, the recipients' languages, the managers up the reporting
line, `notify_many`), then sends the officers' one notice for the program.

Once, not twice — every notice's dedupe key names the assignment, the cycle and the step (and, for the
repeating overdue reminder, its number), so running the job twice, or two workers at once, sends nothing twice:

| step | dedupe key | when |
|---|---|---|
| assigned | `compliance:<assignment>:assigned` | the day a program first applies to the person (cycle 1) |
| due soon | `compliance:<a>:<cycle>:due_soon:<N>` | N days before the due date, for each N of `reminder_days` |
| due today | `compliance:<a>:<cycle>:due_today` | on the due date (`remind_on_due`) |
| overdue | `compliance:<a>:<cycle>:overdue:<k>` | the first overdue day, then every `overdue_every_days` |
| manager | `compliance:<a>:<cycle>:escalation:manager` | `escalate_manager_days` days overdue (once per cycle) |
| officers | `compliance:program:<p>:officers:<day>` | at most once a day per program (see below) |
| window open | `compliance:<a>:<cycle>:window_open` | the first day of the recertification window |
| expiring | `compliance:<a>:<cycle>:expiring:<N>` | N days before expiry, inside the window |

Missed nights: a reminder whose day passed is still sent up to `CATCH_UP_DAYS` later (only the latest one of its
kind: nobody gets three stale reminders at once); escalations are sent whenever they are due and were not sent
yet, however late (a lowered threshold escalates the people already past it). A person who joins a program gets
the "assigned" notice, which carries the due date, instead of any reminder dated their first day.

Exempt people get nothing; compliant people only hear when their recertification window opens and before they
expire inside it (before the window opens, a completion would not count, so a reminder would only frustrate).
"Days overdue" count the first overdue day as 1.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from syllabus.compliance import evaluation, notifying
from syllabus.compliance.models import Assignment, Program, ProgramCourse, ProgramStatus, StatusCode
from syllabus.notifications import services as notifications
from syllabus.notifications.models import Notification

ONE_DAY = dt.timedelta(days=1)
# How many days late a missed reminder is still sent (the nightly job missed a night or two).
CATCH_UP_DAYS = 3
# How far back the officers' previous notice of a program is looked for, to count who reached the threshold since.
OFFICER_LOOKBACK_DAYS = 31
# Assignments per round of queries (and notices per `notify_many` call, at most two per assignment).
BATCH = 500

OVERDUE_STATUSES = (StatusCode.OVERDUE, StatusCode.EXPIRED)
OPEN_STATUSES = (StatusCode.NOT_YET_DUE, StatusCode.DUE_SOON)


@dataclass(frozen=True)
class Rules:
    """A program's reminder settings, read once per run."""

    reminder_days: tuple[int, ...] = ()  # days before the due date (and before expiry), largest first
    remind_on_due: bool = True
    overdue_every_days: int = 7  # 0: the first overdue notice only
    escalate_manager_days: int | None = None
    escalate_officer_days: int | None = None
    window_days: int = 0  # 0: no recertification window (or a one-off program)

    @classmethod
    def of(cls, program: Program) -> Rules:
        days = sorted({int(day) for day in program.reminder_days or () if int(day) > 0}, reverse=True)
        return cls(
            reminder_days=tuple(days),
            remind_on_due=program.remind_on_due,
            overdue_every_days=program.overdue_every_days or 0,
            escalate_manager_days=program.escalate_manager_days,
            escalate_officer_days=program.escalate_officer_days,
            window_days=program.window_days if program.valid_months else 0,
        )


@dataclass(frozen=True)
class Row:
    """The parts of an open assignment the reminders read."""

    id: int
    membership_id: int
    cycle: int
    status: str
    status_since: dt.date
    due_on: dt.date
    assigned_on: dt.date
    expires_on: dt.date | None = None
    first_time: bool = True  # the person's first assignment to this program (no earlier, ended one)
    user_id: int = 0
    manager_id: int | None = None
    person: str = ""


@dataclass(frozen=True)
class Step:
    type: str  # a notifying type key
    key: str  # the dedupe key
    days: int = 0  # days left (due soon, expiring) or days overdue


def _recent(day: dt.date, today: dt.date, floor: dt.date) -> bool:
    return floor <= day <= today and (today - day).days < CATCH_UP_DAYS


def _latest(candidates: Iterable[tuple[dt.date, str]], today: dt.date) -> tuple[dt.date, str] | None:
    passed = [item for item in candidates if item[0] <= today]
    return max(passed) if passed else None


def days_overdue(row: Row, today: dt.date) -> int:
    return (today - row.status_since).days + 1


def learner_step(rules: Rules, row: Row, today: dt.date) -> Step | None:
    """The notice the person is due today, if any (at most one)."""
    regular = _reminder_step(rules, row, today)
    newcomer = row.first_time and row.cycle == 1 and _recent(row.assigned_on, today, row.assigned_on)
    # Caught up after a missed night, "assigned" gives way to a reminder dated that day (sent once, however often).
    if newcomer and row.status in (*OPEN_STATUSES, *OVERDUE_STATUSES) and (today == row.assigned_on or not regular):
        return Step(notifying.ASSIGNED, f"compliance:{row.id}:assigned")
    return regular


def _reminder_step(rules: Rules, row: Row, today: dt.date) -> Step | None:
    prefix = f"compliance:{row.id}:{row.cycle}"
    # A newcomer is told by the "assigned" notice; reminders dated on their first day would repeat it.
    floor = row.assigned_on + ONE_DAY if row.first_time else row.assigned_on
    if row.status in OPEN_STATUSES:
        if today == row.due_on:
            if rules.remind_on_due and row.due_on >= floor:
                return Step(notifying.DUE_TODAY, f"{prefix}:due_today")
            return None
        if today > row.due_on:
            return None  # grace: the overdue reminders take over when it ends
        latest = _latest(((row.due_on - dt.timedelta(days=n), str(n)) for n in rules.reminder_days), today)
        if latest is not None and _recent(latest[0], today, floor):
            return Step(notifying.DUE_SOON, f"{prefix}:due_soon:{latest[1]}", (row.due_on - today).days)
        return None
    if row.status in OVERDUE_STATUSES:
        elapsed = (today - row.status_since).days
        if elapsed < 0:
            return None
        every = rules.overdue_every_days
        number = elapsed // every if every else 0
        day = row.status_since + dt.timedelta(days=number * every)
        if not _recent(day, today, floor):
            return None
        kind = notifying.RECERTIFICATION_OVERDUE if row.status == StatusCode.EXPIRED else notifying.OVERDUE
        return Step(kind, f"{prefix}:overdue:{number}", elapsed + 1)
    if row.status == StatusCode.COMPLIANT and row.expires_on is not None and rules.window_days:
        if today >= row.expires_on:
            return None
        opens = row.expires_on - dt.timedelta(days=rules.window_days)
        candidates = [(opens, "window_open")] + [
            (row.expires_on - dt.timedelta(days=n), f"expiring:{n}")
            for n in rules.reminder_days
            if row.expires_on - dt.timedelta(days=n) > opens
        ]
        latest = _latest(candidates, today)
        if latest is None or not _recent(latest[0], today, floor):
            return None
        kind = notifying.WINDOW_OPEN if latest[1] == "window_open" else notifying.EXPIRING
        return Step(kind, f"{prefix}:{latest[1]}", (row.expires_on - today).days)
    return None  # exempt


def _threshold(row: Row, days: int | None) -> dt.date | None:
    if days is None or row.status not in OVERDUE_STATUSES:
        return None
    # "After N days overdue": the day the person has been overdue N days (0 or 1: the first overdue day).
    return row.status_since + dt.timedelta(days=max(days, 1) - 1)


def manager_step(rules: Rules, row: Row, today: dt.date) -> Step | None:
    """The escalation to the person's manager, once per cycle from the day it is due (however late)."""
    day = _threshold(row, rules.escalate_manager_days)
    if day is None or day > today:
        return None
    return Step(
        notifying.ESCALATION_MANAGER, f"compliance:{row.id}:{row.cycle}:escalation:manager", days_overdue(row, today)
    )


def officer_threshold(rules: Rules, row: Row) -> dt.date | None:
    """The day the person counts for the officers' notice (None: never, in their current state)."""
    return _threshold(row, rules.escalate_officer_days)


def officer_key(program_id: int, day: dt.date) -> str:
    return f"compliance:program:{program_id}:officers:{day.isoformat()}"


# --- reading -----------------------------------------------------------------------------------------------------


def _candidates(program: Program, rules: Rules, today: dt.date) -> QuerySet[Assignment, tuple[Any, ...]]:
    """Open assignments that may be due a notice today: everyone overdue, people whose due date or recertification
    window is near, and newcomers."""
    horizon = max(rules.reminder_days, default=0)
    wanted = (
        Q(status__in=OVERDUE_STATUSES)
        | Q(status__in=OPEN_STATUSES, due_on__gte=today, due_on__lte=today + dt.timedelta(days=horizon))
        | Q(status__in=OPEN_STATUSES, assigned_on__gte=today - dt.timedelta(days=CATCH_UP_DAYS))
    )
    if rules.window_days:
        wanted |= Q(
            status=StatusCode.COMPLIANT,
            expires_on__gt=today,
            expires_on__lte=today + dt.timedelta(days=rules.window_days),
        )
    earlier = Assignment.objects.filter(
        program_id=program.pk, membership_id=OuterRef("membership_id"), pk__lt=OuterRef("pk")
    )
    return (
        Assignment.objects.filter(wanted, program=program, ended_at__isnull=True, membership__is_active=True)
        .annotate(returning=Exists(earlier))
        .order_by("pk")
        .values_list(
            "pk",
            "membership_id",
            "cycle",
            "status",
            "status_since",
            "due_on",
            "assigned_on",
            "expires_on",
            "returning",
            "membership__user_id",
            "membership__manager_id",
            "membership__user__display_name",
            "membership__user__email",
            "membership__user__locale",
        )
    )


def _batches(program: Program, rules: Rules, today: dt.date) -> Iterable[list[tuple[Row, str]]]:
    """Rows with their person's language, BATCH at a time (keyset pagination: one query per batch)."""
    query = _candidates(program, rules, today)
    last = 0
    while True:
        chunk = list(query.filter(pk__gt=last)[:BATCH])
        if not chunk:
            return
        last = chunk[-1][0]
        yield [
            (
                Row(
                    id=pk,
                    membership_id=membership_id,
                    cycle=cycle,
                    status=status,
                    status_since=since,
                    due_on=due_on,
                    assigned_on=assigned_on,
                    expires_on=expires_on,
                    first_time=not returning,
                    user_id=user_id,
                    manager_id=manager_id,
                    person=name or email,
                ),
                locale,
            )
            for (
                pk,
                membership_id,
                cycle,
                status,
                since,
                due_on,
                assigned_on,
                expires_on,
                returning,
                user_id,
                manager_id,
                name,
                email,
                locale,
            ) in chunk
        ]


# --- sending -----------------------------------------------------------------------------------------------------


@dataclass
class _Context:
    program: Program
    rules: Rules
    today: dt.date
    course_titles: list[str]
    next_steps: dict[str, str]

    def next_step_in(self, language: str) -> str:
        if language not in self.next_steps:
            self.next_steps[language] = notifying.next_step_sentence(self.program, self.course_titles, language)
        return self.next_steps[language]


def _learner_notice(ctx: _Context, row: Row, step: Step, locale: str, url: str) -> notifications.Notice:
    program = ctx.program
    context: dict[str, Any] = {
        "program": program.name,
        "next_step": ctx.next_step_in(notifying.language_of(locale, program.organization)),
    }
    if step.type in (notifying.WINDOW_OPEN, notifying.EXPIRING):
        assert row.expires_on is not None
        context["valid_until"] = row.expires_on - ONE_DAY
    else:
        context["due_on"] = row.due_on
    if step.type in (notifying.DUE_SOON, notifying.EXPIRING, notifying.OVERDUE, notifying.RECERTIFICATION_OVERDUE):
        context["days"] = step.days
    return notifications.Notice(
        recipient_id=row.user_id,
        type=step.type,
        dedupe_key=step.key,
        context=context,
        organization_id=program.organization_id,
        url=url,
    )


def _send_batch(ctx: _Context, rows: Sequence[tuple[Row, str]], sent: Counter[str]) -> None:
    program, today = ctx.program, ctx.today
    notices: list[notifications.Notice] = []
    mine = notifying.link(("compliance:mine", []))
    for row, locale in rows:
        step = learner_step(ctx.rules, row, today)
        if step is not None:
            notices.append(_learner_notice(ctx, row, step, locale, mine))
    escalations = [(row, step) for row, _locale in rows if (step := manager_step(ctx.rules, row, today)) is not None]
    if escalations:
        managers = notifying.nearest_managers(
            program.organization_id, {row.membership_id: row.manager_id for row, _step in escalations}
        )
        for row, step in escalations:
            manager = managers.get(row.membership_id)
            if manager is None or manager == row.user_id:
                continue
            notices.append(
                notifications.Notice(
                    recipient_id=manager,
                    type=step.type,
                    dedupe_key=step.key,
                    context={"person": row.person, "program": program.name, "due_on": row.due_on, "days": step.days},
                    organization_id=program.organization_id,
                    url=notifying.link(
                        ("compliance:program-person", [program.pk, row.membership_id]),
                        ("compliance:program", [program.pk]),
                    ),
                    about_id=row.user_id,
                )
            )
    for created in notifications.notify_many(notices):
        sent[created.type_key] += 1


@dataclass
class _Officers:
    """What the officers' notice counts, gathered over the batches."""

    overdue: int = 0
    escalated: int = 0
    thresholds: list[dt.date] = field(default_factory=list)

    def add(self, rules: Rules, row: Row, today: dt.date) -> None:
        if row.status not in OVERDUE_STATUSES:
            return
        self.overdue += 1
        day = officer_threshold(rules, row)
        if day is not None and day <= today:
            self.escalated += 1
            self.thresholds.append(day)


def _send_officers(ctx: _Context, tally: _Officers, sent: Counter[str]) -> None:
    """One notice per program and day to the officers and the program owner, when someone reached the threshold
    since the last one (or, without one in the last `OFFICER_LOOKBACK_DAYS`, within them)."""
    program, today = ctx.program, ctx.today
    if not tally.thresholds or ctx.rules.escalate_officer_days is None:
        return
    recipients = notifying.officer_user_ids(program.organization_id)
    owner = notifying.owner_user_id(program)
    if owner is not None:
        recipients.add(owner)
    if not recipients:
        return
    keys = {officer_key(program.pk, today - dt.timedelta(days=n)): n for n in range(OFFICER_LOOKBACK_DAYS + 1)}
    sent_days = [
        today - dt.timedelta(days=keys[key])
        for key in Notification.objects.filter(recipient_id__in=recipients, dedupe_key__in=list(keys))
        .order_by()
        .values_list("dedupe_key", flat=True)
        .distinct()
    ]
    # Told already today: the same key drops the notice anyway, but counting "since" needs the notice before.
    previous = max((day for day in sent_days if day < today), default=today - dt.timedelta(days=OFFICER_LOOKBACK_DAYS))
    newly = sum(1 for day in tally.thresholds if previous < day <= today)
    if not newly:
        return
    url = notifying.link(("compliance:program", [program.pk]), query="?status=overdue")
    notices = [
        notifications.Notice(
            recipient_id=user_id,
            type=notifying.ESCALATION_OFFICER,
            dedupe_key=officer_key(program.pk, today),
            context={
                "program": program.name,
                "escalated": tally.escalated,
                "newly": newly,
                "days": ctx.rules.escalate_officer_days,
                "overdue": tally.overdue,
            },
            organization_id=program.organization_id,
            url=url,
        )
        for user_id in sorted(recipients)
    ]
    for created in notifications.notify_many(notices):
        sent[created.type_key] += 1


def send_for_program(program: Program, today: dt.date | None = None) -> dict[str, int]:
    """Send the day's reminders and escalations of an active program; returns how many notices of each type
    (the part of the key after "compliance.") were new. Idempotent: a second run the same day sends nothing."""
    program = Program.objects.select_related("organization").filter(pk=program.pk).first() or program
    if program.status != ProgramStatus.ACTIVE:
        return {}
    today = today or evaluation.program_today(program)
    rules = Rules.of(program)
    titles = list(
        ProgramCourse.objects.filter(program=program).order_by("position", "pk").values_list("course__title", flat=True)
    )
    ctx = _Context(program=program, rules=rules, today=today, course_titles=titles, next_steps={})
    sent: Counter[str] = Counter()
    tally = _Officers()
    for rows in _batches(program, rules, today):
        _send_batch(ctx, rows, sent)
        for row, _locale in rows:
            tally.add(rules, row, today)
    _send_officers(ctx, tally, sent)
    return {key.removeprefix("compliance."): count for key, count in sorted(sent.items())}
