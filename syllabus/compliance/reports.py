"""Reads for the compliance reports: the dashboard's figures, the trend from the ledger, and point-in-time answers.

- **Dashboard** (`dashboard`): one grouped query over the open rows of `Assignment` (indexed by program and status)
  counts each status per program and org unit with `Count(..., filter=Q(...))`; the per-program totals and the
  per-unit breakdown are summed from those few hundred rows in Python. No per-person Python.
- **Trend** (`trend`): the share of people in good standing at the end of each of the last 12 months, from the
  ledger (`StatusChange`), in one query for all programs: a window function (`LEAD`) gives each ledger row the day
  the next row of the same assignment took effect, so a row holds on day D when `effective_on <= D < next`; one
  conditional sum per month end counts them. The answer is cached until the next evaluation of the program writes
  to the ledger (the key holds `Program.last_evaluated_at`), so the dashboard pays for it once.
- **Point in time** (`point_in_time`): who was in scope on a day and with which status — the latest ledger row of
  each assignment on or before that day (an "unassigned" row means out of scope) — never today's `Assignment`
  state, cross-checked with the audience's effective-dated membership of that day.

Scope: `policy.people_q` (officers and auditors see everyone, managers their people), and an optional org-unit
subtree (`OrgUnit.subtree_q`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import Lead, RowNumber

from syllabus.access.policy import Principal
from syllabus.accounts.models import Organization, OrgUnit
from syllabus.audiences import selectors as audience_selectors
from syllabus.audiences.models import AudienceMembership
from syllabus.compliance import evaluation, policy
from syllabus.compliance.models import (
    IN_GOOD_STANDING,
    Assignment,
    Program,
    ProgramStatus,
    StatusChange,
    StatusCode,
)
from syllabus.core import clock

EXPIRY_HORIZONS = (30, 60, 90)
TREND_MONTHS = 12
# The trend's past month ends are kept for the day (the key holds the day).
TREND_CACHE_SECONDS = 24 * 3600
# The figures are kept until the next evaluation of a program (the key holds `last_evaluated_at`), and at most
# this long: org-unit moves and a manager's reporting line change without an evaluation.
FIGURES_CACHE_SECONDS = 300
NO_UNIT = 0  # the key of "people without an org unit" in the per-unit figures

# Statuses of people in scope (the ledger's "unassigned" is out of scope).
IN_SCOPE = tuple(code for code in StatusCode.values if code != StatusCode.UNASSIGNED)
GOOD = tuple(str(code) for code in IN_GOOD_STANDING)


@dataclass
class Figures:
    """Counts of one program (or one org unit of it) among the people in scope."""

    in_scope: int = 0
    not_yet_due: int = 0
    due_soon: int = 0
    overdue: int = 0
    compliant: int = 0
    expired: int = 0
    exempt: int = 0
    expiring: dict[int, int] = field(default_factory=lambda: dict.fromkeys(EXPIRY_HORIZONS, 0))

    @property
    def good(self) -> int:
        return self.compliant + self.exempt

    @property
    def percent(self) -> float | None:
        """% compliant: compliant and exempt people over the people in scope (None when nobody is in scope)."""
        return round(100 * self.good / self.in_scope, 1) if self.in_scope else None

    def add(self, other: Figures) -> None:
        for name in ("in_scope", "not_yet_due", "due_soon", "overdue", "compliant", "expired", "exempt"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for days in EXPIRY_HORIZONS:
            self.expiring[days] += other.expiring[days]

    def as_dict(self) -> dict[str, Any]:
        return {
            "in_scope": self.in_scope,
            "compliant": self.compliant,
            "exempt": self.exempt,
            "percent_compliant": self.percent,
            "not_yet_due": self.not_yet_due,
            "due_soon": self.due_soon,
            "overdue": self.overdue,
            "expired": self.expired,
            "expiring": {str(days): self.expiring[days] for days in EXPIRY_HORIZONS},
        }


@dataclass(frozen=True)
class UnitFigures:
    unit: OrgUnit | None  # None: people without an org unit (or directly in the picked unit: `direct`)
    figures: Figures
    direct: bool = False


@dataclass(frozen=True)
class TrendPoint:
    day: dt.date
    in_scope: int
    good: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.good / self.in_scope, 1) if self.in_scope else None


@dataclass
class ProgramReport:
    program: Program
    figures: Figures
    units: list[UnitFigures]
    trend: list[TrendPoint]


@dataclass
class Dashboard:
    programs: list[ProgramReport]
    unit: OrgUnit | None
    today: dt.date


# --- scope -------------------------------------------------------------------------------------------------------


def scope_q(principal: Principal, unit: OrgUnit | None, prefix: str = "membership__") -> Q:
    """The people this principal sees in the reports, within `unit`'s subtree when one is picked."""
    q = policy.people_q(principal, prefix)
    if unit is not None:
        q &= OrgUnit.subtree_q(unit.path, prefix=f"{prefix}org_unit__")
    return q


def _scope_key(principal: Principal, unit: OrgUnit | None) -> str:
    who = "all" if policy.sees_everyone(principal) else f"m{getattr(principal.membership, 'pk', 0)}"
    return f"{who}:u{unit.pk if unit else 0}"


def report_programs(organization: Organization) -> QuerySet[Program]:
    """Programs the reports list: active ones (drafts have nobody in scope; archived ones no open assignments)."""
    return Program.objects.for_organization(organization).filter(status=ProgramStatus.ACTIVE).order_by("name", "pk")


def units_for_picker(organization: Organization) -> list[OrgUnit]:
    return list(OrgUnit.objects.filter(organization=organization).only("pk", "name", "path", "depth", "parent_id"))


# --- the dashboard -----------------------------------------------------------------------------------------------


def _figures_row(row: dict[str, Any]) -> Figures:
    return Figures(
        in_scope=row["in_scope"],
        not_yet_due=row["not_yet_due"],
        due_soon=row["due_soon"],
        overdue=row["overdue"],
        compliant=row["compliant"],
        expired=row["expired"],
        exempt=row["exempt"],
        expiring={days: row[f"expiring_{days}"] for days in EXPIRY_HORIZONS},
    )


def _counts(program_ids: Sequence[int], scope: Q, today: dt.date) -> list[dict[str, Any]]:
    """One row per program and org unit: the counts of each status and of expiries ahead."""
    expiring = {
        f"expiring_{days}": Count(
            "pk",
            filter=Q(
                status=StatusCode.COMPLIANT,
                expires_on__gte=today,
                expires_on__lte=today + dt.timedelta(days=days),
            ),
        )
        for days in EXPIRY_HORIZONS
    }
    statuses = {
        str(code): Count("pk", filter=Q(status=code))
        for code in (
            StatusCode.NOT_YET_DUE,
            StatusCode.DUE_SOON,
            StatusCode.OVERDUE,
            StatusCode.COMPLIANT,
            StatusCode.EXPIRED,
            StatusCode.EXEMPT,
        )
    }
    return list(
        Assignment.objects.filter(scope, program_id__in=list(program_ids), ended_at__isnull=True)
        .values("program_id", unit_id=F("membership__org_unit_id"))
        .annotate(in_scope=Count("pk"), **statuses, **expiring)
        .order_by()
    )


def _cached_counts(
    programs: Sequence[Program], principal: Principal, unit: OrgUnit | None, scope: Q, today: dt.date
) -> list[dict[str, Any]]:
    """`_counts`, kept until a program is evaluated again: statuses are written only by the evaluation, which
    stamps `last_evaluated_at` each time it runs (see FIGURES_CACHE_SECONDS for what else can change)."""
    stamp = "|".join(f"{p.pk}@{p.last_evaluated_at.isoformat() if p.last_evaluated_at else '-'}" for p in programs)
    key = "compliance:figures:" + hashlib.sha256(f"{stamp}|{_scope_key(principal, unit)}|{today}".encode()).hexdigest()
    rows: list[dict[str, Any]] | None = cache.get(key)
    if rows is None:
        rows = _counts([p.pk for p in programs], scope, today)
        cache.set(key, rows, FIGURES_CACHE_SECONDS)
    return rows


def _unit_buckets(units: list[OrgUnit], picked: OrgUnit | None) -> tuple[list[OrgUnit], dict[str, OrgUnit]]:
    """The units the breakdown shows (top-level ones, or the picked unit's children) and their paths."""
    if picked is None:
        shown = [u for u in units if u.parent_id is None]
    else:
        shown = [u for u in units if u.parent_id == picked.pk]
    return shown, {u.path: u for u in shown}


def _bucket_of(path: str | None, buckets: dict[str, OrgUnit]) -> OrgUnit | None:
    if not path:
        return None
    # Paths are "/3/17/42/": the bucket is the longest prefix that is a shown unit (there is at most one).
    parts = path.strip("/").split("/")
    for end in range(1, len(parts) + 1):
        prefix = "/" + "/".join(parts[:end]) + "/"
        if prefix in buckets:
            return buckets[prefix]
    return None


def dashboard(
    *,
    organization: Organization,
    principal: Principal,
    unit: OrgUnit | None = None,
    today: dt.date | None = None,
    with_trend: bool = True,
) -> Dashboard:
    """Figures of every active program for the people the principal sees (within `unit`'s subtree).

    Queries: the programs, the org units, one grouped count over `Assignment`, and (unless cached) one for the
    trend — whatever the number of people or programs.
    """
    programs = list(report_programs(organization).select_related("audience", "organization"))
    if not programs:
        return Dashboard(programs=[], unit=unit, today=today or clock.today())
    today = today or evaluation.program_today(programs[0])
    units = units_for_picker(organization)
    unit_paths = {u.pk: u.path for u in units}
    shown, buckets = _unit_buckets(units, unit)
    scope = scope_q(principal, unit)
    per_program: dict[int, Figures] = {p.pk: Figures() for p in programs}
    per_unit: dict[int, dict[int, Figures]] = {p.pk: {} for p in programs}
    direct: dict[int, Figures] = {p.pk: Figures() for p in programs}
    for row in _cached_counts(programs, principal, unit, scope, today):
        figures = _figures_row(row)
        per_program[row["program_id"]].add(figures)
        bucket = _bucket_of(unit_paths.get(row["unit_id"]) if row["unit_id"] else None, buckets)
        if bucket is None and unit is not None and row["unit_id"] == unit.pk:
            direct[row["program_id"]].add(figures)
            continue
        key = bucket.pk if bucket is not None else NO_UNIT
        per_unit[row["program_id"]].setdefault(key, Figures()).add(figures)
    trends = (
        trend(programs=programs, principal=principal, unit=unit, today=today, current=per_program) if with_trend else {}
    )
    reports = []
    for program in programs:
        rows = [UnitFigures(u, per_unit[program.pk][u.pk]) for u in shown if u.pk in per_unit[program.pk]]
        if direct[program.pk].in_scope:
            rows.insert(0, UnitFigures(unit, direct[program.pk], direct=True))
        if NO_UNIT in per_unit[program.pk]:
            rows.append(UnitFigures(None, per_unit[program.pk][NO_UNIT]))
        reports.append(ProgramReport(program, per_program[program.pk], rows, trends.get(program.pk, [])))
    return Dashboard(programs=reports, unit=unit, today=today)


# --- the trend -------------------------------------------------------------------------------------------------


def month_ends(today: dt.date, months: int = TREND_MONTHS) -> list[dt.date]:
    """The last day of each of the `months - 1` months before this one, then today (the month so far)."""
    points = [today]
    day = today.replace(day=1) - dt.timedelta(days=1)
    while len(points) < months:
        points.append(day)
        day = day.replace(day=1) - dt.timedelta(days=1)
    return sorted(points)


def _trend_sql(program_ids: Sequence[int], scope: Q, points: Sequence[dt.date]) -> tuple[str, list[Any]]:
    """SQL and parameters: one row per program with (good, in scope) counted at each point."""
    rows = (
        StatusChange.objects.filter(scope, program_id__in=list(program_ids), effective_on__lte=points[-1])
        .order_by()
        .values(
            pid=F("program_id"),
            eff=F("effective_on"),
            st=F("status"),
            nxt=Window(
                Lead("effective_on"), partition_by=[F("assignment_id")], order_by=[F("effective_on").asc(), F("pk")]
            ),
        )
    )
    inner, inner_params = rows.query.sql_with_params()
    holds = "t.eff <= %s AND (t.nxt IS NULL OR t.nxt > %s)"
    good_in = ", ".join(["%s"] * len(GOOD))
    columns: list[str] = []
    params: list[Any] = []
    for index, day in enumerate(points):
        value = connection.ops.adapt_datefield_value(day)
        columns.append(f"SUM(CASE WHEN {holds} AND t.st IN ({good_in}) THEN 1 ELSE 0 END) AS g{index}")
        params.extend([value, value, *GOOD])
        columns.append(f"SUM(CASE WHEN {holds} AND t.st <> %s THEN 1 ELSE 0 END) AS s{index}")
        params.extend([value, value, str(StatusCode.UNASSIGNED)])
    # Built from our own column names and placeholders only; every value is a parameter.
    sql = f"SELECT t.pid, {', '.join(columns)} FROM ({inner}) t GROUP BY t.pid"  # noqa: S608
    return sql, [*params, *inner_params]


def trend(
    *,
    programs: Sequence[Program],
    principal: Principal,
    unit: OrgUnit | None = None,
    today: dt.date | None = None,
    months: int = TREND_MONTHS,
    current: dict[int, Figures] | None = None,
) -> dict[int, list[TrendPoint]]:
    """% in good standing at each month end, then today (see the module docstring), per program id.

    The past month ends come from the ledger and are cached for the day: the ledger only gains rows effective
    today, except when a late nightly run back-dates changes by time, which the next day's figures show. Today's
    point is `current` (the dashboard's figures: the ledger's latest row of an open assignment is its status)
    when given, else read from the ledger too.
    """
    if not programs:
        return {}
    today = today or evaluation.program_today(programs[0])
    points = month_ends(today, months)
    past = points[:-1] if current is not None else points
    ids = sorted(p.pk for p in programs)
    digest = hashlib.sha256(f"{ids}|{_scope_key(principal, unit)}|{today}|{past}".encode()).hexdigest()
    key = f"compliance:trend:{digest}"
    cached = cache.get(key)
    if cached is None:
        cached = {pid: [(day, 0, 0) for day in past] for pid in ids}
        if past:
            sql, params = _trend_sql(ids, scope_q(principal, unit), past)
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                for row in cursor.fetchall():
                    cached[row[0]] = [
                        (day, int(row[2 + 2 * i] or 0), int(row[1 + 2 * i] or 0)) for i, day in enumerate(past)
                    ]
        cache.set(key, cached, TREND_CACHE_SECONDS)
    found = {pid: [TrendPoint(*point) for point in values] for pid, values in cached.items()}
    if current is not None:
        for pid in ids:
            figures = current.get(pid, Figures())
            found[pid].append(TrendPoint(today, figures.in_scope, figures.good))
    return found


# --- point in time -----------------------------------------------------------------------------------------------


def end_of_day(program: Program, day: dt.date) -> dt.datetime:
    """The last moment of `day` in the program's organisation (for effective-dated audience membership)."""
    zone = evaluation.zone_of(program)
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone) - dt.timedelta(microseconds=1)


def ledger_on(*, program: Program, on: dt.date, scope: Q | None = None) -> QuerySet[StatusChange]:
    """The ledger row that held on `on` for each assignment of the program that was in scope that day."""
    latest = (
        StatusChange.objects.filter(scope or Q(), program=program, effective_on__lte=on)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("assignment_id")],
                order_by=[F("effective_on").desc(), F("pk").desc()],
            )
        )
        .filter(rank=1)
        .values("pk")
    )
    # The status filter must apply to the latest rows, not before picking them: hence the two steps.
    return StatusChange.objects.filter(pk__in=latest).exclude(status=StatusCode.UNASSIGNED)


@dataclass
class PointInTime:
    program: Program
    on: dt.date
    counts: dict[str, int]
    total: int
    good: int
    rows: QuerySet[StatusChange]
    # The cross-check with the audience's membership that day.
    in_audience_not_assigned: int
    assigned_not_in_audience: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.good / self.total, 1) if self.total else None


def point_in_time(
    *, program: Program, on: dt.date, principal: Principal, status: str = "", unit: OrgUnit | None = None
) -> PointInTime:
    """Who was in the program's scope on `on` and their status that day, from the ledger (see module docstring).

    `rows` is a queryset of the ledger rows (with the person and org unit joined), by name, filtered by `status`
    when given; counts are for everyone the principal sees.
    """
    scope = scope_q(principal, unit)
    held = ledger_on(program=program, on=on, scope=scope)
    counts = dict.fromkeys(IN_SCOPE, 0)
    for code, number in held.values("status").annotate(n=Count("pk")).order_by().values_list("status", "n"):
        counts[code] = number
    total = sum(counts.values())
    good = sum(counts[code] for code in GOOD)
    at = end_of_day(program, on)
    members = audience_selectors.member_ids(program.audience_id, at=at)
    # A person can have several stays in an audience: count people, not stays.
    in_audience = AudienceMembership.objects.filter(
        scope, audience_id=program.audience_id, membership_id__in=members
    ).values("membership_id")
    not_assigned = in_audience.exclude(membership_id__in=held.values("membership_id")).distinct().count()
    not_in_audience = held.exclude(membership_id__in=members).count()
    rows = held.select_related("membership__user", "membership__org_unit").order_by(
        "membership__user__display_name", "membership_id", "pk"
    )
    if status:
        rows = rows.filter(status=status)
    return PointInTime(
        program=program,
        on=on,
        counts=counts,
        total=total,
        good=good,
        rows=rows,
        in_audience_not_assigned=not_assigned,
        assigned_not_in_audience=not_in_audience,
    )


def in_audience_ids(program: Program, on: dt.date, membership_ids: Sequence[int]) -> set[int]:
    """Which of these people were in the program's audience at the end of `on` (for one page of rows)."""
    members = audience_selectors.member_ids(program.audience_id, at=end_of_day(program, on))
    return set(
        AudienceMembership.objects.filter(membership_id__in=list(membership_ids))
        .filter(membership_id__in=members)
        .values_list("membership_id", flat=True)
    )
