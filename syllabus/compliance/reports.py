"""Reads for the compliance reports: the dashboard's figures, the trend from the ledger, and point-in-time answers.

- **Dashboard** (`dashboard`): one grouped query over the open rows of `Assignment` counts each status per program
  and org unit (of the person) with `Count(..., filter=Q(...))`, for everyone the principal sees; it is cached until
  the next evaluation, and every org unit the reader drills into is summed from those same few thousand rows in
  Python (a subtree is a prefix of paths), so moving around the tree never counts the 500,000 rows again. The org
  units come as plain tuples: only the handful shown (the breakdown, the breadcrumb, search matches) become objects.
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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import Lead, RowNumber
from django.utils.translation import gettext_lazy as _

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
# Days outside these bounds are refused on the field: the ledger has nothing there, and date arithmetic near the
# calendar's ends overflows.
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2200, 12, 31)
DAY_OUT_OF_BOUNDS = _("Pick a day between 1 January 1900 and 31 December 2200.")
DAY_IN_FUTURE = _("That day has not come yet: pick today or a day before it.")
NOT_ACTIVE_YET = _("The program was not active yet on %(day)s.")


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
    # The org units holding people of this program whom the reader sees (what the people page filters by).
    unit_ids: frozenset[int] = frozenset()


@dataclass
class Dashboard:
    programs: list[ProgramReport]
    unit: OrgUnit | None
    today: dt.date
    # The picked unit's ancestors, the root first (the breadcrumb back to the whole organisation).
    trail: list[OrgUnit] = field(default_factory=list)
    # Units whose name holds the search, each with its parent's name (names repeat across the tree).
    matches: list[tuple[OrgUnit, str]] = field(default_factory=list)


# --- scope -------------------------------------------------------------------------------------------------------


def scope_q(principal: Principal, unit: OrgUnit | None, prefix: str = "membership__") -> Q:
    """The people this principal sees in the reports, within `unit`'s subtree when one is picked."""
    q = policy.people_q(principal, prefix)
    if unit is not None:
        q &= OrgUnit.subtree_q(unit.path, prefix=f"{prefix}org_unit__")
    return q


def _scope_key(principal: Principal, unit: OrgUnit | None) -> str:
    """Who the cached figures are for. Someone who does not see everyone sees the people their grants and reporting
    line reach, which change without an evaluation (a new report, a unit grant taken away): the key holds a digest
    of them, so a change of team is never answered with the old team's figures."""
    if policy.sees_everyone(principal):
        who = "all"
    else:
        grants = (
            sorted(principal.org_capabilities),
            sorted((path, sorted(caps)) for path, caps in principal.unit_capabilities.items()),
            sorted(principal.reporting_line_ids),
        )
        digest = hashlib.sha256(repr(grants).encode()).hexdigest()[:24]
        who = f"m{getattr(principal.membership, 'pk', 0)}:{digest}"
    return f"{who}:u{unit.pk if unit else 0}"


def report_programs(organization: Organization) -> QuerySet[Program]:
    """Programs the reports list: active ones (drafts have nobody in scope; archived ones no open assignments)."""
    return Program.objects.for_organization(organization).filter(status=ProgramStatus.ACTIVE).order_by("name", "pk")


# (pk, name, path, parent_id): what the dashboard needs of every org unit, without building 2,000 model objects.
UnitRow = tuple[int, str, str, int | None]
MAX_MATCHES = 20


def unit_rows(organization: Organization) -> list[UnitRow]:
    return list(
        OrgUnit.objects.filter(organization=organization)
        .order_by("path")
        .values_list("pk", "name", "path", "parent_id")
    )


def _unit(row: UnitRow) -> OrgUnit:
    pk, name, path, parent_id = row
    return OrgUnit(pk=pk, name=name, path=path, parent_id=parent_id, depth=path.count("/") - 2)


def _path_ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


# --- the dashboard -----------------------------------------------------------------------------------------------

# The order of the counted values in a row of `_counts` (after program id and unit id), as `Figures` takes them.
STATUS_ORDER = (
    StatusCode.NOT_YET_DUE,
    StatusCode.DUE_SOON,
    StatusCode.OVERDUE,
    StatusCode.COMPLIANT,
    StatusCode.EXPIRED,
    StatusCode.EXEMPT,
)
WIDTH = 1 + len(STATUS_ORDER) + len(EXPIRY_HORIZONS)


def _figures(values: Sequence[int]) -> Figures:
    in_scope, not_yet_due, due_soon, overdue, compliant, expired, exempt, *expiring = values
    return Figures(
        in_scope=in_scope,
        not_yet_due=not_yet_due,
        due_soon=due_soon,
        overdue=overdue,
        compliant=compliant,
        expired=expired,
        exempt=exempt,
        expiring=dict(zip(EXPIRY_HORIZONS, expiring, strict=True)),
    )


def _counts(program_ids: Sequence[int], scope: Q, today: dt.date) -> list[tuple[Any, ...]]:
    """(program id, org unit id, in scope, each status of STATUS_ORDER, expiring within each horizon) per program
    and org unit of the person."""
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
    statuses = {str(code): Count("pk", filter=Q(status=code)) for code in STATUS_ORDER}
    return list(
        Assignment.objects.filter(scope, program_id__in=list(program_ids), ended_at__isnull=True)
        .values("program_id", unit_id=F("membership__org_unit_id"))
        .annotate(in_scope=Count("*"), **statuses, **expiring)
        .order_by()
        .values_list("program_id", "unit_id", "in_scope", *statuses, *expiring)
    )


def _cached_counts(programs: Sequence[Program], principal: Principal, today: dt.date) -> list[tuple[Any, ...]]:
    """`_counts` for everyone the principal sees, kept until a program is evaluated again: statuses are written only
    by the evaluation, which stamps `last_evaluated_at` each time it runs (see FIGURES_CACHE_SECONDS for what else
    can change). The picked unit is not part of the key: any subtree is summed from these rows."""
    stamp = "|".join(f"{p.pk}@{p.last_evaluated_at.isoformat() if p.last_evaluated_at else '-'}" for p in programs)
    who = _scope_key(principal, None)
    key = "compliance:figures:v2:" + hashlib.sha256(f"{stamp}|{who}|{today}".encode()).hexdigest()
    rows: list[tuple[Any, ...]] | None = cache.get(key)
    if rows is None:
        rows = _counts([p.pk for p in programs], policy.people_q(principal), today)
        cache.set(key, rows, FIGURES_CACHE_SECONDS)
    return rows


DIRECT = -1  # the bucket of people directly in the picked unit


def _roots(units: list[UnitRow], people_units: set[int] | None) -> list[UnitRow]:
    """Where the tree starts for this reader: the top-level units, or for someone who sees only some people (a
    manager) the highest units holding any of them (a unit below another of those is counted under it)."""
    if people_units is None:
        return [row for row in units if row[3] is None]
    roots: list[UnitRow] = []
    for row in units:  # by path: an ancestor comes before its descendants
        if row[0] in people_units and not any(row[2].startswith(root[2]) for root in roots):
            roots.append(row)
    return roots


def _buckets(units: list[UnitRow], shown: list[UnitRow], direct: UnitRow | None) -> dict[int, int]:
    """For every unit within the shown ones (or `direct`), the shown unit it is counted under (DIRECT: `direct`
    itself). Units elsewhere in the tree are left out."""
    shown_ids = {row[0] for row in shown}
    bucket_of: dict[int, int] = {}
    for pk, _name, path, _parent in units:
        if direct is not None and pk == direct[0]:
            bucket_of[pk] = DIRECT
            continue
        for ancestor in _path_ids(path):
            if ancestor in shown_ids:
                bucket_of[pk] = ancestor
                break
    return bucket_of


def _layout(units: list[UnitRow], picked: OrgUnit | None, roots: list[UnitRow]) -> tuple[list[UnitRow], UnitRow | None]:
    """The units the breakdown shows and the unit whose own people come first ("directly"): the picked unit's
    children; at the top, the reader's roots — or, when there is only one, its children straight away (a single
    line to click through would tell nothing)."""
    by_pk = {row[0]: row for row in units}
    if picked is not None:
        return [row for row in units if row[3] == picked.pk], by_pk.get(picked.pk)
    if len(roots) == 1:
        return [row for row in units if row[3] == roots[0][0]], roots[0]
    return roots, None


def _search(units: list[UnitRow], search: str) -> list[tuple[OrgUnit, str]]:
    wanted = search.strip().casefold()
    if not wanted:
        return []
    names = {row[0]: row[1] for row in units}
    found = sorted((row for row in units if wanted in row[1].casefold()), key=lambda row: (row[1].casefold(), row[2]))
    return [(_unit(row), names.get(row[3], "") if row[3] else "") for row in found[:MAX_MATCHES]]


def dashboard(
    *,
    organization: Organization,
    principal: Principal,
    unit: OrgUnit | None = None,
    today: dt.date | None = None,
    with_trend: bool = True,
    search: str = "",
) -> Dashboard:
    """Figures of every active program for the people the principal sees (within `unit`'s subtree), the picked
    unit's ancestors and (with `search`) the org units whose name holds it.

    Someone who does not see everyone (a manager) gets only the programs with some of their people in scope, and
    their tree starts at the units of their people (`_roots`), not at the organisation's top.

    Queries: the programs, the org units, one grouped count over `Assignment`, and (unless cached) one for the
    trend — whatever the number of people, programs or org units.
    """
    programs = list(report_programs(organization).select_related("audience", "organization"))
    units = unit_rows(organization)
    by_pk = {row[0]: row for row in units}
    matches = _search(units, search)
    today = today or (evaluation.program_today(programs[0]) if programs else clock.today())
    counted = _cached_counts(programs, principal, today) if programs else []
    everyone = policy.sees_everyone(principal)
    if not everyone:
        reached = {row[0] for row in counted}
        programs = [p for p in programs if p.pk in reached]
    roots = _roots(units, None if everyone else {row[1] for row in counted if row[1] is not None})
    # The breadcrumb: the picked unit's ancestors from the reader's roots down (a lone root is the top itself).
    trail: list[OrgUnit] = []
    if unit is not None:
        top = [root[2] for root in roots]
        for pk in _path_ids(unit.path)[:-1]:
            ancestor = by_pk.get(pk)
            if ancestor is None or not any(ancestor[2].startswith(path) for path in top):
                continue
            if len(roots) == 1 and pk == roots[0][0]:
                continue
            trail.append(_unit(ancestor))
    if not programs:
        return Dashboard(programs=[], unit=unit, today=today, trail=trail, matches=matches)
    shown, direct = _layout(units, unit, roots)
    bucket_of = _buckets(units, shown, direct)
    # Sums per (program, bucket) as flat lists of ints: a few thousand rows are added up on each request.
    totals: dict[int, list[int]] = {p.pk: [0] * WIDTH for p in programs}
    sums: dict[tuple[int, int], list[int]] = {}
    inside = unit.path if unit is not None else ""
    for row in counted:
        program_id, unit_id = row[0], row[1]
        total = totals.get(program_id)
        if total is None:
            continue
        if unit_id is None:
            if unit is not None:
                continue
            bucket = NO_UNIT
        else:
            unit_row = by_pk.get(unit_id)
            if unit_row is None or not unit_row[2].startswith(inside):
                continue  # outside the picked subtree
            found = bucket_of.get(unit_id)
            # At the top, people outside the shown units (a manager's person above their roots cannot be, but a
            # second top-level unit can) still count in the program's total.
            bucket = found if found is not None else NO_UNIT
        values = row[2:]
        acc = sums.get((program_id, bucket))
        if acc is None:
            acc = sums[(program_id, bucket)] = [0] * WIDTH
        for index in range(WIDTH):
            total[index] += values[index]
            acc[index] += values[index]
    per_program = {pid: _figures(values) for pid, values in totals.items()}
    trends = (
        trend(programs=programs, principal=principal, unit=unit, today=today, current=per_program) if with_trend else {}
    )
    shown_units = [_unit(row) for row in shown]
    direct_unit = _unit(direct) if direct is not None else None
    held_units: dict[int, set[int]] = {p.pk: set() for p in programs}
    for row in counted:
        if row[1] is not None and row[0] in held_units:
            held_units[row[0]].add(row[1])
    reports = []
    for program in programs:
        rows = [UnitFigures(u, _figures(sums[(program.pk, u.pk)])) for u in shown_units if (program.pk, u.pk) in sums]
        if (program.pk, DIRECT) in sums:
            rows.insert(0, UnitFigures(direct_unit, _figures(sums[(program.pk, DIRECT)]), direct=True))
        if (program.pk, NO_UNIT) in sums:
            rows.append(UnitFigures(None, _figures(sums[(program.pk, NO_UNIT)])))
        reports.append(
            ProgramReport(
                program, per_program[program.pk], rows, trends.get(program.pk, []), frozenset(held_units[program.pk])
            )
        )
    return Dashboard(programs=reports, unit=unit, today=today, trail=trail, matches=matches)


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


def active_since(program: Program) -> dt.date | None:
    """The first day the program was active, in its organisation's time zone (None: never activated)."""
    if program.activated_at is None:
        return None
    return program.activated_at.astimezone(evaluation.zone_of(program)).date()


def end_of_day(program: Program, day: dt.date) -> dt.datetime:
    """The last moment of `day` in the program's organisation (for effective-dated audience membership)."""
    zone = evaluation.zone_of(program)
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone) - dt.timedelta(microseconds=1)


def latest_on(*, program: Program, on: dt.date, scope: Q | None = None) -> QuerySet[StatusChange, Any]:
    """The ledger row that held on `on` for each assignment of the program (an "unassigned" one included), as a
    queryset of those rows' ids: `DISTINCT ON (assignment_id)` on PostgreSQL (one pass over the index), a window
    elsewhere."""
    rows = StatusChange.objects.filter(scope or Q(), program=program, effective_on__lte=on)
    if connection.vendor == "postgresql":
        return rows.order_by("assignment_id", "-effective_on", "-pk").distinct("assignment_id").values("pk")
    return (
        rows.annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("assignment_id")],
                order_by=[F("effective_on").desc(), F("pk").desc()],
            )
        )
        .filter(rank=1)
        .values("pk")
    )


def ledger_on(*, program: Program, on: dt.date, scope: Q | None = None) -> QuerySet[StatusChange]:
    """The ledger row that held on `on` for each assignment of the program that was in scope that day."""
    # The status filter must apply to the latest rows, not before picking them: hence the two steps.
    return StatusChange.objects.filter(pk__in=latest_on(program=program, on=on, scope=scope)).exclude(
        status=StatusCode.UNASSIGNED
    )


# (ledger row id, membership id, status) of one held row, in the order of the people table (by name).
HeldRow = tuple[int, int, str]
ROW_BATCH = 2000


class HeldRows:
    """The held ledger rows of a point-in-time answer, in the people table's order, read lazily: the answer keeps
    only (id, person, status) of every row, computed once, and a page or a CSV batch loads its rows by id."""

    def __init__(self, held: list[HeldRow]) -> None:
        self.held = held

    def __len__(self) -> int:
        return len(self.held)

    def count(self) -> int:
        return len(self.held)

    def _load(self, part: list[HeldRow]) -> list[StatusChange]:
        if not part:
            return []
        found = StatusChange.objects.select_related("membership__user", "membership__org_unit").in_bulk(
            [pk for pk, _membership, _status in part]
        )
        return [found[pk] for pk, _membership, _status in part if pk in found]

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return self._load(self.held[index])
        return self._load([self.held[index]])[0]

    def __iter__(self) -> Iterator[StatusChange]:
        for begin in range(0, len(self.held), ROW_BATCH):
            yield from self._load(self.held[begin : begin + ROW_BATCH])

    def iterator(self, chunk_size: int = ROW_BATCH) -> Iterator[StatusChange]:
        return iter(self)


@dataclass
class PointInTime:
    program: Program
    on: dt.date
    counts: dict[str, int]
    total: int
    good: int
    rows: HeldRows
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

    The latest row of each assignment is found once (`latest_on`): one query reads (id, person, status) of them
    all by name, and the counts, the table's pages and the CSV are taken from that list — at 100,000 people the
    window over the ledger was computed four times before. `rows` are the held rows filtered by `status` when
    given; counts are for everyone the principal sees.
    """
    scope = scope_q(principal, unit)
    held: list[HeldRow] = [
        (pk, membership_id, code)
        for pk, membership_id, code in StatusChange.objects.filter(
            pk__in=latest_on(program=program, on=on, scope=scope)
        )
        .order_by("membership__user__display_name", "membership_id", "pk")
        .values_list("pk", "membership_id", "status")
        if code != StatusCode.UNASSIGNED
    ]
    counts = dict.fromkeys(IN_SCOPE, 0)
    for _pk, _membership, code in held:
        counts[code] = counts.get(code, 0) + 1
    total = len(held)
    good = sum(counts[code] for code in GOOD)
    members = set(
        audience_selectors.member_ids(program.audience_id, at=end_of_day(program, on))
        .filter(scope)
        .values_list("membership_id", flat=True)
    )
    assigned = {membership for _pk, membership, _code in held}
    return PointInTime(
        program=program,
        on=on,
        counts=counts,
        total=total,
        good=good,
        rows=HeldRows([row for row in held if row[2] == status] if status else held),
        # A person can have several stays in an audience: count people, not stays (sets).
        in_audience_not_assigned=len(members - assigned),
        assigned_not_in_audience=sum(1 for _pk, membership, _code in held if membership not in members),
    )


def held_values(
    *, program: Program, on: dt.date, principal: Principal, fields: Sequence[str], status: str = ""
) -> Iterator[tuple[Any, ...]]:
    """`fields` of the ledger rows that held on `on`, by name, streamed as plain tuples in one query (the CSV: the
    latest row per assignment is picked once, inside it)."""
    rows = StatusChange.objects.filter(pk__in=latest_on(program=program, on=on, scope=scope_q(principal, None)))
    rows = rows.exclude(status=StatusCode.UNASSIGNED)
    if status:
        rows = rows.filter(status=status)
    return (
        rows.order_by("membership__user__display_name", "membership_id", "pk")
        .values_list(*fields)
        .iterator(chunk_size=ROW_BATCH)
    )


def in_audience_ids(program: Program, on: dt.date, membership_ids: Sequence[int]) -> set[int]:
    """Which of these people were in the program's audience at the end of `on` (for one page of rows)."""
    members = audience_selectors.member_ids(program.audience_id, at=end_of_day(program, on))
    return set(
        AudienceMembership.objects.filter(membership_id__in=list(membership_ids))
        .filter(membership_id__in=members)
        .values_list("membership_id", flat=True)
    )
