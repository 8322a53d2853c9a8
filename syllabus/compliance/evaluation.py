"""Bringing a program's assignments and ledger in line with the facts: set-based, idempotent, batch by batch.

`evaluate_program` does three things, all under a lock on the program row (so two runs never interleave):
1. **Scope**: people in the audience without an open assignment are assigned (with their own due date); people
   with one who left the audience are unassigned (history kept, cycle closed as "unassigned").
2. **Standing**: for the assignments that need it — all of them after a change to the program, the people named,
   and those whose status can change by time alone today (`next_change_on`) — the facts are read in bulk and
   `standing.compute` replays them. Changes go to `Assignment` (bulk update) and to the ledger (bulk insert),
   time-driven ones with the day they took effect.
3. **Learning**: newly assigned people are enrolled in the program's course(s), and people whose recertification
   window opened get a fresh enrollment in place of their completed one (when the program enrolls).

Running it twice changes nothing the second time. Queries per batch of `BATCH` people are constant.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, transaction

from syllabus.accounts.models import Membership
from syllabus.audiences import selectors as audience_selectors
from syllabus.compliance import due_dates, events, standing
from syllabus.compliance.models import (
    Assignment,
    ClosedCycle,
    Exemption,
    Program,
    ProgramAcknowledgement,
    ProgramStatus,
    Requirement,
    Signature,
    StatusChange,
    StatusCode,
)
from syllabus.core import clock
from syllabus.core.events import emit
from syllabus.progress.models import Completion

BATCH = 2000
# ClosedCycle/ledger inserts and updates are written in chunks of this many rows.
WRITE_BATCH = 1000


def zone_of(program: Program) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(program.organization.default_time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def program_today(program: Program) -> dt.date:
    """Today in the program's organisation: statuses turn over at the organisation's midnight."""
    return clock.now().astimezone(zone_of(program)).date()


def schedule_of(program: Program) -> due_dates.Schedule:
    """The program's `due_dates.Schedule` (raises ValueError naming the field when it is inconsistent)."""
    rule: due_dates.DueRule
    if program.due_rule == "fixed":
        assert program.due_on is not None
        rule = due_dates.FixedDate(program.due_on)
    elif program.due_rule == "after_hire":
        rule = due_dates.DaysAfterHire(program.due_days or 0)
    else:
        rule = due_dates.DaysAfterAssignment(program.due_days or 0)
    return due_dates.Schedule(
        due=rule,
        valid_months=program.valid_months,
        window_days=program.window_days if program.valid_months else 0,
        anchor=program.anchor,  # type: ignore[arg-type]
        grace_days=program.grace_days,
    )


def _chunks(ids: Sequence[int], size: int = BATCH) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


@dataclass
class ProgramRules:
    """What the evaluation needs to know about a program, read once per run."""

    program: Program
    schedule: due_dates.Schedule
    zone: zoneinfo.ZoneInfo
    course_ids: list[int]
    mode: str
    parts: frozenset[str]

    @classmethod
    def of(cls, program: Program) -> ProgramRules:
        course_ids = list(program.program_courses.order_by("position", "pk").values_list("course_id", flat=True))
        if program.requirement == Requirement.ACKNOWLEDGEMENT:
            parts = frozenset({"ack"})
        else:
            parts = frozenset(f"course:{pk}" for pk in course_ids)
        return cls(
            program=program,
            schedule=schedule_of(program),
            zone=zone_of(program),
            course_ids=course_ids,
            mode="all" if program.requirement == Requirement.ALL else "any",
            parts=parts,
        )

    def local(self, moment: dt.datetime) -> dt.date:
        return moment.astimezone(self.zone).date()


def load_facts(
    rules: ProgramRules, assignments: Sequence[dict[str, Any]], today: dt.date | None = None
) -> dict[int, standing.Facts]:
    """The facts of each assignment (keyed by assignment id), read in a constant number of queries. A fact's
    `recorded_on` is never after `today` (the run's day: the clock of tests and of a late run may lag the rows')."""
    program = rules.program
    today = today or program_today(program)
    membership_ids = [row["membership_id"] for row in assignments]
    assignment_ids = [row["id"] for row in assignments]
    hires = dict(Membership.objects.filter(pk__in=membership_ids).values_list("pk", "hire_date"))
    evidence: dict[int, list[standing.Evidence]] = defaultdict(list)
    if program.requirement == Requirement.ACKNOWLEDGEMENT:
        for ack_id, membership_id, at in ProgramAcknowledgement.objects.filter(
            program=program, membership_id__in=membership_ids
        ).values_list("pk", "membership_id", "acknowledged_at"):
            day = rules.local(at)
            evidence[membership_id].append(standing.Evidence(day, "ack", f"ack:{ack_id}", day))
    elif rules.course_ids:
        completions = Completion.objects.filter(
            organization_id=program.organization_id,
            membership_id__in=membership_ids,
            course_id__in=rules.course_ids,
            source=Completion.Source.COURSE,
        )
        if program.min_score is not None:
            completions = completions.filter(score__gte=Decimal(program.min_score))
        rows = list(completions.values_list("pk", "membership_id", "course_id", "completed_at", "created_at"))
        signed: dict[int, dt.datetime] = {}
        if program.require_signature and rows:
            signed = dict(
                Signature.objects.filter(
                    program=program, record_type="completion", record_id__in=[row[0] for row in rows]
                ).values_list("record_id", "signed_at")
            )
        for pk, membership_id, course_id, completed_at, created_at in rows:
            if program.require_signature:
                if pk not in signed:
                    continue
                # Not complete until signed: it counts from the signing day.
                on = recorded = rules.local(signed[pk])
            else:
                on, recorded = rules.local(completed_at), min(rules.local(created_at), today)
            evidence[membership_id].append(standing.Evidence(on, f"course:{course_id}", f"completion:{pk}", recorded))
    exempt: dict[int, list[standing.Exempt]] = defaultdict(list)
    extended: dict[int, list[standing.Extension]] = defaultdict(list)
    for pk, assignment_id, kind, cycle, ends_on, extend_to, decided_at, revoked_at in Exemption.objects.filter(
        assignment_id__in=assignment_ids, state__in=(Exemption.State.APPROVED, Exemption.State.REVOKED)
    ).values_list("pk", "assignment_id", "kind", "cycle", "ends_on", "extend_to", "decided_at", "revoked_at"):
        decided = min(rules.local(decided_at), today) if decided_at else today
        # A revoked approval stays a fact of the past: it held until the day before its revocation.
        revoked = min(rules.local(revoked_at), today) if revoked_at else None
        if kind == Exemption.Kind.EXTENSION:
            if extend_to is not None:
                extended[assignment_id].append(standing.Extension(cycle, extend_to, decided, revoked))
            continue
        if revoked is not None:
            last_day = revoked - dt.timedelta(days=1)
            ends_on = last_day if ends_on is None else min(ends_on, last_day)
            if ends_on < decided:
                continue
        exempt[assignment_id].append(standing.Exempt(decided, ends_on, f"exemption:{pk}"))
    out: dict[int, standing.Facts] = {}
    for row in assignments:
        out[row["id"]] = standing.Facts(
            schedule=rules.schedule,
            assigned_on=row["assigned_on"],
            hire_date=hires.get(row["membership_id"]),
            mode=rules.mode,  # type: ignore[arg-type]
            parts=rules.parts,
            lookback_days=program.lookback_days,
            due_soon_days=program.due_soon_days,
            evidence=tuple(evidence.get(row["membership_id"], ())),
            exemptions=tuple(exempt.get(row["id"], ())),
            extensions=tuple(extended.get(row["id"], ())),
        )
    return out


@dataclass
class EvaluationResult:
    assigned: list[int] = field(default_factory=list)  # membership ids
    unassigned: list[int] = field(default_factory=list)
    evaluated: int = 0
    changed: int = 0  # assignments whose status changed
    ledger_rows: int = 0
    completed: list[int] = field(default_factory=list)  # assignment ids that became compliant with a new cycle
    renew: dict[int, dt.date] = field(default_factory=dict)  # membership id -> due date of the new cycle
    new_ids: list[int] = field(default_factory=list)  # assignments created by this run
    dues: dict[int, dt.date] = field(default_factory=dict)  # membership id -> due date, for people still to do it

    def as_dict(self) -> dict[str, int]:
        return {
            "assigned": len(self.assigned),
            "unassigned": len(self.unassigned),
            "evaluated": self.evaluated,
            "changed": self.changed,
            "ledger_rows": self.ledger_rows,
        }


STANDING_FIELDS = (
    "cycle",
    "opened_on",
    "due_on",
    "original_due_on",
    "completed_on",
    "completion_id",
    "acknowledgement_id",
    "satisfied_by",
    "expires_on",
    "exemption_id",
    "status",
    "status_since",
    "status_until",
    "next_change_on",
    "evaluated_revision",
    "evaluated_at",
)


def _ref_id(refs: Iterable[str], prefix: str) -> int | None:
    found = [int(ref.split(":", 1)[1]) for ref in refs if ref.startswith(prefix + ":")]
    return found[-1] if found else None


def _apply(assignment: Assignment, now_standing: standing.Standing, *, since: dt.date, revision: int) -> None:
    cycle = now_standing.cycle
    assignment.cycle = cycle.number
    assignment.opened_on = cycle.opened_on
    assignment.due_on = cycle.due_on
    assignment.original_due_on = cycle.original_due_on if cycle.is_extended else None
    assignment.completed_on = cycle.completed_on
    assignment.completion_id = _ref_id(cycle.satisfied_by, "completion")
    assignment.acknowledgement_id = _ref_id(cycle.satisfied_by, "ack")
    assignment.satisfied_by = list(cycle.satisfied_by)
    assignment.expires_on = cycle.expires_on
    assignment.exemption_id = _ref_id([now_standing.exemption], "exemption") if now_standing.exemption else None
    assignment.status = now_standing.code
    assignment.status_since = since
    assignment.status_until = now_standing.until
    assignment.next_change_on = now_standing.next_change_on
    assignment.evaluated_revision = revision
    assignment.evaluated_at = clock.now()


def _ledger_row(assignment: Assignment, day: dt.date, item: standing.Standing, reason: str) -> StatusChange:
    return StatusChange(
        organization_id=assignment.organization_id,
        program_id=assignment.program_id,
        assignment_id=assignment.pk,
        membership_id=assignment.membership_id,
        effective_on=day,
        recorded_at=clock.now(),
        status=item.code,
        cycle=item.cycle.number,
        due_on=item.cycle.due_on,
        until=item.until,
        completed_on=item.cycle.completed_on,
        reason=reason,
    )


def _closed_rows(assignment: Assignment, item: standing.Standing, *, from_number: int) -> list[ClosedCycle]:
    return [
        ClosedCycle(
            assignment_id=assignment.pk,
            program_id=assignment.program_id,
            membership_id=assignment.membership_id,
            number=cycle.number,
            opened_on=cycle.opened_on,
            due_on=cycle.due_on,
            original_due_on=cycle.original_due_on if cycle.is_extended else None,
            completed_on=cycle.completed_on,
            completion_id=_ref_id(cycle.satisfied_by, "completion"),
            satisfied_by=list(cycle.satisfied_by),
            expires_on=cycle.expires_on,
            closed_on=cycle.closed_on or cycle.expires_on or cycle.due_on,
            outcome=cycle.outcome or ClosedCycle.Outcome.EXPIRED,
        )
        for cycle in item.closed
        if cycle.number >= from_number
    ]


def _reason(previous: tuple[str, int] | None, item: standing.Standing, day: dt.date, today: dt.date) -> str:
    if previous is None:
        return "assigned"
    if item.code == "compliant":
        return "completed"
    if item.code == "exempt":
        return "exempted"
    if previous[1] != item.cycle.number:
        return "new_cycle"
    return "time" if day < today or item.since == day else "recorded"


def _evaluate_batch(
    rules: ProgramRules, assignments: list[Assignment], today: dt.date, result: EvaluationResult, *, full: bool
) -> None:
    """Evaluate a batch of assignments: saved ones (re-evaluated) and new ones (pk None: inserted with their
    standing, so a first evaluation writes each row once)."""
    program = rules.program
    # Facts are keyed by the assignment id, or by minus the membership id for rows not saved yet.
    keys = [a.pk if a.pk is not None else -a.membership_id for a in assignments]
    rows = [
        {"id": key, "membership_id": a.membership_id, "assigned_on": a.assigned_on}
        for key, a in zip(keys, assignments, strict=True)
    ]
    facts = load_facts(rules, rows, today)
    ledger: list[tuple[Assignment, dt.date, standing.Standing, str]] = []
    closed: list[tuple[Assignment, standing.Standing, int]] = []
    changed: list[Assignment] = []
    new: list[Assignment] = []
    stale_closed: list[tuple[int, int]] = []
    completed: list[Assignment] = []
    for key, assignment in zip(keys, assignments, strict=True):
        result.evaluated += 1
        item_facts = facts[key]
        is_new = assignment.pk is None
        # Never evaluated (new, or written with a provisional standing: the demo's past): replayed from the start.
        never = is_new or assignment.evaluated_revision == 0
        previous = None if never else (assignment.status, assignment.cycle)
        revised = not never and assignment.evaluated_revision != program.revision
        if never:
            steps = standing.transitions(item_facts, after=None, today=today)
            final = steps[-1][1]
        elif revised:
            # After a change to the program the past is not re-derived under the new rules: today's standing is
            # recorded from today. (The ledger says what was true then, under the rules of then.) A full run
            # without a change (activation, "re-evaluate now") is no such change: time-driven steps it catches up
            # on keep the day they happened, below.
            final = standing.compute(item_facts, today)
            steps = [(today, final)]
        else:
            final = standing.compute(item_facts, today)
            quiet = assignment.next_change_on is None or assignment.next_change_on > today
            if quiet and (final.code, final.cycle.number) == previous:
                # Nothing changed and no day on which it could have has passed: no history to replay.
                steps = []
            else:
                steps = standing.transitions(item_facts, after=assignment.status_since, today=today)
        since = assignment.status_since if not never else assignment.assigned_on
        step_key = previous
        for day, step in steps:
            if (step.code, step.cycle.number) != step_key:
                ledger.append((assignment, day, step, _reason(step_key, step, day, today)))
                since = day
                step_key = (step.code, step.cycle.number)
        first_closed = 1 if never else assignment.cycle
        if not never and final.cycle.number < assignment.cycle:
            stale_closed.append((assignment.pk, final.cycle.number))
            first_closed = final.cycle.number
        if final.closed:
            closed.append((assignment, final, first_closed))
        became_complete = final.code == "compliant" and (
            previous is None
            or previous[0] != "compliant"
            or previous[1] != final.cycle.number
            or assignment.completed_on != final.cycle.completed_on
        )
        before = None if never else [getattr(assignment, name) for name in STANDING_FIELDS[:-2]]
        _apply(assignment, final, since=since, revision=program.revision)
        if is_new:
            new.append(assignment)
        elif never or revised or before != [getattr(assignment, name) for name in STANDING_FIELDS[:-2]]:
            changed.append(assignment)
        if previous is not None and step_key != previous:
            result.changed += 1
        if became_complete and final.cycle.completed_on is not None:
            completed.append(assignment)
        if final.code in ("not_yet_due", "due_soon", "overdue", "expired") and (
            is_new or before is None or "due_on" in _changed_names(before, assignment) or step_key != previous
        ):
            result.dues[assignment.membership_id] = final.cycle.due_on
        # Recertification: the window of the current completion is open, or the cycle after it has begun.
        if final.cycle.completed_on is not None and final.window_opens and final.window_opens <= today:
            assert final.cycle.expires_on is not None
            result.renew[assignment.membership_id] = final.cycle.expires_on
        elif final.cycle.completed_on is None and final.cycle.number > 1:
            result.renew[assignment.membership_id] = final.cycle.due_on
    if new:
        Assignment.objects.bulk_create(new, batch_size=WRITE_BATCH)
        if any(a.pk is None for a in new):  # databases that return no ids from bulk inserts (none we support)
            raise RuntimeError("bulk_create returned no ids")
        result.new_ids.extend(a.pk for a in new)
    for assignment_id, number in stale_closed:
        ClosedCycle.objects.filter(assignment_id=assignment_id, number__gte=number).delete()
    ClosedCycle.objects.bulk_create(
        [row for assignment, item, first in closed for row in _closed_rows(assignment, item, from_number=first)],
        batch_size=WRITE_BATCH,
        ignore_conflicts=True,
    )
    StatusChange.objects.bulk_create(
        [_ledger_row(assignment, day, item, reason) for assignment, day, item, reason in ledger],
        batch_size=WRITE_BATCH,
    )
    result.ledger_rows += len(ledger)
    result.completed.extend(a.pk for a in completed)
    _write_standing(changed)


def _changed_names(before: list[Any], assignment: Assignment) -> set[str]:
    return {name for name, old in zip(STANDING_FIELDS[:-2], before, strict=True) if getattr(assignment, name) != old}


def _write_standing(changed: list[Assignment]) -> None:
    """Write the standing fields of these assignments. On PostgreSQL one `UPDATE ... FROM (VALUES ...)` per
    batch: Django's `bulk_update` builds a CASE expression per field and row in Python, which cost ~15 ms per
    row at 16 fields (measured: bench/README.md, "Compliance"). Elsewhere (SQLite, small data) `bulk_update`."""
    if not changed:
        return
    if connection.vendor != "postgresql":
        Assignment.objects.bulk_update(changed, STANDING_FIELDS, batch_size=WRITE_BATCH)
        return
    table = Assignment._meta.db_table
    columns = [Assignment._meta.get_field(name).column for name in STANDING_FIELDS]  # type: ignore[union-attr]
    casts = [_PG_TYPES[name] for name in STANDING_FIELDS]
    assignments_set = ", ".join(
        f'"{column}" = v."{column}"::{cast}' for column, cast in zip(columns, casts, strict=True)
    )
    names = ", ".join(f'"{column}"' for column in ["id", *columns])
    for start in range(0, len(changed), WRITE_BATCH):
        chunk = changed[start : start + WRITE_BATCH]
        value_rows = ", ".join("(" + ", ".join(["%s"] * (len(columns) + 1)) + ")" for _ in chunk)
        params: list[Any] = []
        for assignment in chunk:
            params.append(assignment.pk)
            for name in STANDING_FIELDS:
                value = getattr(assignment, name)
                params.append(json.dumps(value) if name == "satisfied_by" else value)
        with connection.cursor() as cursor:
            cursor.execute(
                f'UPDATE "{table}" AS a SET {assignments_set} '  # noqa: S608 (column names from the model)
                f"FROM (VALUES {value_rows}) AS v({names}) "
                f'WHERE a."id" = v."id"::bigint',
                params,
            )


# PostgreSQL types of the standing fields, for the casts of `_write_standing` (VALUES columns are untyped text
# when a parameter is NULL).
_PG_TYPES = {
    "cycle": "integer",
    "opened_on": "date",
    "due_on": "date",
    "original_due_on": "date",
    "completed_on": "date",
    "completion_id": "bigint",
    "acknowledgement_id": "bigint",
    "satisfied_by": "jsonb",
    "expires_on": "date",
    "exemption_id": "bigint",
    "status": "varchar",
    "status_since": "date",
    "status_until": "date",
    "next_change_on": "date",
    "evaluated_revision": "integer",
    "evaluated_at": "timestamptz",
}


def _scope_ids(program: Program, membership_ids: Sequence[int] | None) -> set[int]:
    if program.status != ProgramStatus.ACTIVE:
        return set()
    people = Membership.objects.filter(
        organization_id=program.organization_id,
        is_active=True,
        pk__in=audience_selectors.member_ids(program.audience_id),
    )
    if membership_ids is not None:
        found: set[int] = set()
        for chunk in _chunks(sorted(set(membership_ids))):
            found.update(people.filter(pk__in=chunk).values_list("pk", flat=True))
        return found
    return set(people.values_list("pk", flat=True))


def _open_assignments(program: Program, membership_ids: Sequence[int] | None) -> dict[int, int]:
    qs = Assignment.objects.filter(program=program, ended_at__isnull=True)
    if membership_ids is None:
        return dict(qs.values_list("membership_id", "pk"))
    found: dict[int, int] = {}
    for chunk in _chunks(sorted(set(membership_ids))):
        found.update(qs.filter(membership_id__in=chunk).values_list("membership_id", "pk"))
    return found


def _new_assignments(rules: ProgramRules, membership_ids: list[int], today: dt.date) -> list[Assignment]:
    """Unsaved assignments for these people: the batch evaluation gives them their standing and inserts them."""
    program = rules.program
    now = clock.now()
    hires: dict[int, dt.date | None] = {}
    for chunk in _chunks(membership_ids):
        hires.update(Membership.objects.filter(pk__in=chunk).values_list("pk", "hire_date"))
    rows = []
    for membership_id in membership_ids:
        due = due_dates.first_due(rules.schedule, assigned_on=today, hire_date=hires.get(membership_id))
        rows.append(
            Assignment(
                organization_id=program.organization_id,
                program=program,
                membership_id=membership_id,
                assigned_at=now,
                assigned_on=today,
                opened_on=today - dt.timedelta(days=program.lookback_days),
                due_on=due,
                status=StatusCode.NOT_YET_DUE,
                status_since=today,
                evaluated_revision=0,
            )
        )
    return rows


def _unassign(program: Program, assignment_ids: list[int], today: dt.date, reason: str) -> None:
    now = clock.now()
    ledger = []
    closed = []
    for chunk in _chunks(assignment_ids):
        for assignment in Assignment.objects.filter(pk__in=chunk):
            ledger.append(
                StatusChange(
                    organization_id=assignment.organization_id,
                    program_id=assignment.program_id,
                    assignment_id=assignment.pk,
                    membership_id=assignment.membership_id,
                    effective_on=max(today, assignment.status_since),
                    recorded_at=now,
                    status=StatusCode.UNASSIGNED,
                    cycle=assignment.cycle,
                    due_on=assignment.due_on,
                    completed_on=assignment.completed_on,
                    reason="unassigned",
                )
            )
            closed.append(
                ClosedCycle(
                    assignment_id=assignment.pk,
                    program_id=assignment.program_id,
                    membership_id=assignment.membership_id,
                    number=assignment.cycle,
                    opened_on=assignment.opened_on,
                    due_on=assignment.due_on,
                    original_due_on=assignment.original_due_on,
                    completed_on=assignment.completed_on,
                    completion_id=assignment.completion_id,
                    satisfied_by=assignment.satisfied_by,
                    expires_on=assignment.expires_on,
                    closed_on=today,
                    outcome=ClosedCycle.Outcome.UNASSIGNED,
                )
            )
        Assignment.objects.filter(pk__in=chunk, ended_at__isnull=True).update(
            ended_at=now, end_reason=reason[:200], next_change_on=None
        )
    ClosedCycle.objects.bulk_create(closed, batch_size=WRITE_BATCH, ignore_conflicts=True)
    StatusChange.objects.bulk_create(ledger, batch_size=WRITE_BATCH)


LEFT_AUDIENCE = "Left the program's audience"
PROGRAM_ENDED = "The program was archived"


def evaluate_program(
    program: Program,
    *,
    membership_ids: Sequence[int] | None = None,
    full: bool = False,
    today: dt.date | None = None,
) -> EvaluationResult:
    """Bring the program's assignments, cycles and ledger up to date (see the module docstring).

    - `membership_ids`: only these people (after their completion, an exemption, an audience change);
    - `full`: every open assignment, not only those whose status can change today (after a program change);
    - otherwise (the nightly run): scope for everyone, standing for those due a change today.
    """
    result = EvaluationResult()
    with transaction.atomic():
        locked = Program.objects.select_for_update().select_related("organization").filter(pk=program.pk).first()
        if locked is None:
            return result
        program = locked
        today = today or program_today(program)
        rules = ProgramRules.of(program)
        in_scope = _scope_ids(program, membership_ids)
        open_now = _open_assignments(program, membership_ids)
        joiners = sorted(in_scope - set(open_now))
        leavers = sorted(set(open_now) - in_scope)
        if leavers:
            reason = PROGRAM_ENDED if program.status == ProgramStatus.ARCHIVED else LEFT_AUDIENCE
            _unassign(program, [open_now[m] for m in leavers], today, reason)
            result.unassigned = leavers
        if program.status != ProgramStatus.ACTIVE:
            return result
        result.assigned = joiners
        open_rows = Assignment.objects.filter(program=program, ended_at__isnull=True).select_related(None)
        if membership_ids is not None:
            ids = sorted({open_now[m] for m in set(open_now) - set(leavers)})
        elif full:
            ids = list(open_rows.order_by("pk").values_list("pk", flat=True))
        else:
            stale = open_rows.exclude(evaluated_revision=program.revision)
            due = open_rows.filter(next_change_on__lte=today)
            ids = sorted(set(stale.values_list("pk", flat=True)) | set(due.values_list("pk", flat=True)))
        for chunk in _chunks(ids):
            _evaluate_batch(
                rules, list(Assignment.objects.filter(pk__in=chunk).order_by("pk")), today, result, full=full
            )
        for chunk in _chunks(joiners):
            _evaluate_batch(rules, _new_assignments(rules, chunk, today), today, result, full=full)
        Program.objects.filter(pk=program.pk).update(last_evaluated_at=clock.now())
        _learning(rules, result, result.new_ids)
        if result.completed:
            _emit_completed(program, result.completed)
    return result


def _learning(rules: ProgramRules, result: EvaluationResult, new_ids: list[int]) -> None:
    """Enroll new assignees in the program's course(s) and reopen the course for people due to recertify."""
    from syllabus.compliance import enrolling

    program = rules.program
    if not program.enroll or not rules.course_ids:
        return
    if new_ids:
        dues = dict(
            Assignment.objects.filter(pk__in=new_ids, status__in=("not_yet_due", "due_soon", "overdue")).values_list(
                "membership_id", "due_on"
            )
        )
        if dues:
            enrolling.enroll(rules, dues)
    if result.renew:
        enrolling.reopen(rules, result.renew)
    if result.dues:
        enrolling.align(rules, result.dues)


def _emit_completed(program: Program, assignment_ids: list[int]) -> None:
    for chunk in _chunks(assignment_ids):
        for row in Assignment.objects.filter(pk__in=chunk).values(
            "pk", "membership_id", "cycle", "completed_on", "expires_on", "completion_id"
        ):
            emit(
                events.ProgramCompleted(
                    organization_id=program.organization_id,
                    program_id=program.pk,
                    assignment_id=row["pk"],
                    membership_id=row["membership_id"],
                    cycle=row["cycle"],
                    completed_on=row["completed_on"] or program_today(program),
                    expires_on=row["expires_on"],
                    completion_id=row["completion_id"],
                )
            )
