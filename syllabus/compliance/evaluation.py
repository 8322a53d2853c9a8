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
import operator
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from syllabus.accounts.models import Membership
from syllabus.audiences import selectors as audience_selectors
from syllabus.compliance import bulk_write, due_dates, events, standing
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
from syllabus.core.events import emit_many
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

    @cached_property
    def has_exemptions(self) -> bool:
        """Whether anyone's exemption or extension was ever approved (most programs: none, and no query per batch)."""
        return Exemption.objects.filter(
            program=self.program, state__in=(Exemption.State.APPROVED, Exemption.State.REVOKED)
        ).exists()

    @cached_property
    def template(self) -> standing.Facts:
        """The program's part of everyone's facts (the person's part is filled in per assignment)."""
        program = self.program
        return standing.Facts(
            schedule=self.schedule,
            assigned_on=dt.date.min,
            mode=self.mode,  # type: ignore[arg-type]
            parts=self.parts,
            lookback_days=program.lookback_days,
            due_soon_days=program.due_soon_days,
        )


def load_facts(
    rules: ProgramRules, assignments: Sequence[dict[str, Any]], today: dt.date | None = None
) -> dict[int, standing.Facts]:
    """The facts of each assignment (keyed by assignment id), read in a constant number of queries. A fact's
    `recorded_on` is never after `today` (the run's day: the clock of tests and of a late run may lag the rows')."""
    return _load_facts(
        rules,
        [(row["id"], row["membership_id"], row["assigned_on"]) for row in assignments],
        today or program_today(rules.program),
    )


# One piece of evidence as the evaluation reads it: (on, part, ref, recorded on), as in `standing.Evidence`.
_Item = tuple[dt.date, str, str, dt.date | None]


def _by_day(item: _Item) -> tuple[dt.date, str]:
    return item[0], item[2]


def _evidence_rows(rules: ProgramRules, membership_ids: Sequence[int] | None) -> list[tuple[Any, ...]]:
    """What evidence is made of, for these people (None: everyone): acknowledgements (id, membership id, day) or
    qualifying completions (id, membership id, course id, day completed, day recorded). The days are in the
    organisation's time zone, worked out by the database (in Python it was a tenth of a full run at 100,000)."""
    program = rules.program
    queryset: Any
    if program.requirement == Requirement.ACKNOWLEDGEMENT:
        queryset = ProgramAcknowledgement.objects.filter(program=program).values_list(
            "pk", "membership_id", TruncDate("acknowledged_at", tzinfo=rules.zone)
        )
    elif rules.course_ids:
        queryset = Completion.objects.filter(
            organization_id=program.organization_id,
            course_id__in=rules.course_ids,
            source=Completion.Source.COURSE,
        )
        if program.min_score is not None:
            queryset = queryset.filter(score__gte=Decimal(program.min_score))
        queryset = queryset.values_list(
            "pk",
            "membership_id",
            "course_id",
            TruncDate("completed_at", tzinfo=rules.zone),
            TruncDate("created_at", tzinfo=rules.zone),
        )
    else:
        return []
    if membership_ids is not None:
        queryset = queryset.filter(bulk_write.among("membership_id", membership_ids))
    return bulk_write.fetch(queryset.order_by())


def _evidence_items(rules: ProgramRules, rows: Sequence[tuple[Any, ...]], today: dt.date) -> dict[int, list[_Item]]:
    """`_evidence_rows` as evidence items, by membership id, in the order of the rows. A fact's day recorded is
    never after `today` (the run's day: the clock of tests and of a late run may lag the rows')."""
    program = rules.program
    items: dict[int, list[_Item]] = defaultdict(list)
    if program.requirement == Requirement.ACKNOWLEDGEMENT:
        for ack_id, membership_id, day in rows:
            items[membership_id].append((day, "ack", f"ack:{ack_id}", day))
        return items
    signed: dict[int, dt.datetime] = {}
    if program.require_signature and rows:
        signed = dict(
            Signature.objects.filter(
                bulk_write.among("record_id", [row[0] for row in rows]),
                program=program,
                record_type="completion",
            ).values_list("record_id", "signed_at")
        )
    for pk, membership_id, course_id, completed_on, recorded_on in rows:
        if program.require_signature:
            if pk not in signed:
                continue
            # Not complete until signed: it counts from the signing day.
            on = recorded = rules.local(signed[pk])
        else:
            on, recorded = completed_on, min(recorded_on, today)
        items[membership_id].append((on, f"course:{course_id}", f"completion:{pk}", recorded))
    return items


def _evidence_by_person(rules: ProgramRules, today: dt.date) -> dict[int, _Shaped]:
    """The evidence shapes (`standing.Replays.evidence_shape`) of everyone, by membership id: read once for a run
    that evaluates (nearly) everyone, in place of a query per batch that finds each person's rows all over the
    table."""
    shape = standing.Replays.evidence_shape
    return {
        membership_id: shape(items)
        for membership_id, items in _evidence_items(rules, _evidence_rows(rules, None), today).items()
    }


# A person's evidence as a shape with stand-in refs, and the mapping back to their refs.
_Shaped = tuple[tuple[_Item, ...], dict[str, str]]
_NO_EVIDENCE: _Shaped = ((), {})


def _exemption_facts(
    rules: ProgramRules, assignment_ids: Sequence[int], today: dt.date
) -> tuple[dict[int, list[standing.Exempt]], dict[int, list[standing.Extension]]]:
    """Approved (and revoked) exemptions and extensions of these assignments, by assignment id."""
    local = rules.local
    exempt: dict[int, list[standing.Exempt]] = defaultdict(list)
    extended: dict[int, list[standing.Extension]] = defaultdict(list)
    exemption_rows = (
        Exemption.objects.filter(
            bulk_write.among("assignment_id", assignment_ids),
            state__in=(Exemption.State.APPROVED, Exemption.State.REVOKED),
        ).values_list("pk", "assignment_id", "kind", "cycle", "ends_on", "extend_to", "decided_at", "revoked_at")
        if assignment_ids
        else []
    )
    for pk, assignment_id, kind, cycle, ends_on, extend_to, decided_at, revoked_at in exemption_rows:
        decided = min(local(decided_at), today) if decided_at else today
        # A revoked approval stays a fact of the past: it held until the day before its revocation.
        revoked = min(local(revoked_at), today) if revoked_at else None
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
    return exempt, extended


def _hires(membership_ids: Sequence[int]) -> dict[int, dt.date | None]:
    return dict(
        Membership.objects.filter(bulk_write.among("pk", membership_ids)).order_by().values_list("pk", "hire_date")
    )


def _load_facts(
    rules: ProgramRules,
    rows: Sequence[tuple[int, int, dt.date]],
    today: dt.date,
) -> dict[int, standing.Facts]:
    """`load_facts` for (key, membership id, assigned on) rows."""
    membership_ids = [membership_id for _key, membership_id, _on in rows]
    hires = _hires(membership_ids)
    evidence = _evidence_items(rules, _evidence_rows(rules, membership_ids), today)
    exempt, extended = _exemption_facts(rules, [key for key, _membership_id, _on in rows], today)
    template = rules.template
    return {
        key: replace(
            template,
            assigned_on=assigned_on,
            hire_date=hires.get(membership_id),
            evidence=tuple(standing.Evidence(*item) for item in sorted(evidence.get(membership_id, ()), key=_by_day)),
            exemptions=tuple(exempt.get(key, ())),
            extensions=tuple(extended.get(key, ())),
        )
        for key, membership_id, assigned_on in rows
    }


def _load_shapes(
    rules: ProgramRules,
    rows: Sequence[_Row],
    keys: Sequence[int],
    today: dt.date,
    hires: dict[int, dt.date | None] | None,
    everyone: dict[int, _Shaped] | None,
) -> list[tuple[standing._Shape, dict[str, str], dt.date | None]]:
    """What `standing.Replays` needs of each row, in order: the shape of its history, the mapping of the shape's
    stand-in refs back to the person's, and the hire date. `keys` are the rows' assignment ids (below zero: not
    saved yet, so no exemptions); `hires` the people's hire dates when read already, `everyone` the evidence
    shapes of the whole program (`_evidence_by_person`) when read already."""
    membership_ids = [row.membership_id for row in rows]
    by_hire = isinstance(rules.schedule.due, due_dates.DaysAfterHire)
    if hires is None:
        # The hire date is a fact only through the first due date.
        hires = _hires(membership_ids) if by_hire else {}
    if everyone is None:
        shape = standing.Replays.evidence_shape
        items = _evidence_items(rules, _evidence_rows(rules, membership_ids), today)
        everyone = {membership_id: shape(found) for membership_id, found in items.items()}
    exempt, extended = (
        _exemption_facts(rules, [key for key in keys if key > 0], today) if rules.has_exemptions else ({}, {})
    )
    schedule = rules.schedule
    first_due = due_dates.first_due
    dues: dict[tuple[dt.date, dt.date | None], dt.date] = {}
    out = []
    for key, row in zip(keys, rows, strict=True):
        hire_date = hires.get(row.membership_id)
        when = (row.assigned_on, hire_date if by_hire else None)
        due = dues.get(when)
        if due is None:
            due = dues[when] = first_due(schedule, assigned_on=row.assigned_on, hire_date=hire_date)
        evidence, back = everyone.get(row.membership_id, _NO_EVIDENCE)
        exemptions: tuple[tuple[dt.date, dt.date | None, str], ...] = ()
        if key in exempt:
            exemptions, exempt_back = standing.Replays.exemptions_shape(exempt[key])
            back = {**back, **exempt_back}
        out.append(((row.assigned_on, due, evidence, exemptions, tuple(extended.get(key, ()))), back, hire_date))
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


# The fields that say whether an evaluation changed an assignment (all but the stamps of the evaluation).
_COMPARED = STANDING_FIELDS[:-2]
_state = operator.attrgetter(*_COMPARED)
_DUE_ON = _COMPARED.index("due_on")


@dataclass(slots=True)
class _Row:
    """One assignment of a batch as plain values. Building model instances, and saving them in bulk through the
    ORM, cost more than replaying the standings (bench/README.md, "Compliance"); they are built only for the
    ORM writers used on databases other than PostgreSQL."""

    pk: int | None  # None: not saved yet
    organization_id: int
    membership_id: int
    assigned_on: dt.date
    cycle: int
    opened_on: dt.date
    due_on: dt.date
    original_due_on: dt.date | None
    completed_on: dt.date | None
    completion_id: int | None
    acknowledgement_id: int | None
    satisfied_by: str  # the JSON text of the list: compared and written as it is read (`_refs_json`)
    expires_on: dt.date | None
    exemption_id: int | None
    status: str
    status_since: dt.date
    status_until: dt.date | None
    next_change_on: dt.date | None
    evaluated_revision: int
    evaluated_at: dt.datetime | None = None
    assigned_at: dt.datetime | None = None  # read only for rows not saved yet


# What `_Row` reads of a saved assignment, in the order of its fields.
_ROW_FIELDS = ("pk", "organization_id", "membership_id", "assigned_on", *STANDING_FIELDS[:-1])


def _read_rows(ids: Sequence[int]) -> list[_Row]:
    queryset = Assignment.objects.filter(bulk_write.among("pk", ids)).order_by("pk").values_list(*_ROW_FIELDS)
    rows = [_Row(*values) for values in bulk_write.fetch(queryset)]
    if not bulk_write.enabled():  # Django decoded the JSON: its text as PostgreSQL's jsonb writes it
        for row in rows:
            row.satisfied_by = json.dumps(row.satisfied_by)
    return rows


def _refs_json(refs: Sequence[str]) -> str:
    """The refs (ours: "completion:12", "ack:3", never with quotes or backslashes) as JSON text, written the way
    PostgreSQL writes a jsonb list of strings, so a row read back compares equal to one built here: decoding and
    encoding every row's list cost a tenth of a full re-evaluation."""
    return '["' + '", "'.join(refs) + '"]' if refs else "[]"


def _last_ids(refs: Iterable[str]) -> dict[str, int]:
    """The id of the last ref of each kind: ["completion:12", "ack:3"] gives {"completion": 12, "ack": 3}."""
    found: dict[str, int] = {}
    for ref in refs:
        kind, _sep, number = ref.partition(":")
        found[kind] = int(number)
    return found


def _apply(
    row: _Row,
    now_standing: standing.Standing,
    back: dict[str, str],
    *,
    since: dt.date,
    revision: int,
    now: dt.datetime,
) -> None:
    """Set the row's standing fields; `back` maps the standing's refs to this person's (`standing.Replays`)."""
    cycle = now_standing.cycle
    satisfied_by = standing.Replays.real(cycle.satisfied_by, back)
    ids = _last_ids(satisfied_by)
    row.cycle = cycle.number
    row.opened_on = cycle.opened_on
    row.due_on = cycle.due_on
    row.original_due_on = cycle.original_due_on if cycle.is_extended else None
    row.completed_on = cycle.completed_on
    row.completion_id = ids.get("completion")
    row.acknowledgement_id = ids.get("ack")
    row.satisfied_by = _refs_json(satisfied_by)
    row.expires_on = cycle.expires_on
    exemption = back.get(now_standing.exemption, now_standing.exemption)
    row.exemption_id = _last_ids([exemption]).get("exemption") if exemption else None
    row.status = now_standing.code
    row.status_since = since
    row.status_until = now_standing.until
    row.next_change_on = now_standing.next_change_on
    row.evaluated_revision = revision
    row.evaluated_at = now


# Field names (and columns) of the rows the evaluation writes, in the order of the value tuples below.
_LEDGER_FIELDS = (
    "organization_id",
    "program_id",
    "assignment_id",
    "membership_id",
    "effective_on",
    "recorded_at",
    "status",
    "cycle",
    "due_on",
    "until",
    "completed_on",
    "reason",
)
_CLOSED_FIELDS = (
    "assignment_id",
    "program_id",
    "membership_id",
    "number",
    "opened_on",
    "due_on",
    "original_due_on",
    "completed_on",
    "completion_id",
    "satisfied_by",
    "expires_on",
    "closed_on",
    "outcome",
)
_ASSIGNMENT_FIELDS = (
    "id",
    "created_at",
    "updated_at",
    "organization_id",
    "program_id",
    "membership_id",
    "assigned_at",
    "assigned_on",
    "ended_at",
    "end_reason",
    *STANDING_FIELDS,
)


def _ledger_values(
    row: _Row, program_id: int, day: dt.date, item: standing.Standing, reason: str, now: dt.datetime
) -> tuple[Any, ...]:
    cycle = item.cycle
    return (
        row.organization_id,
        program_id,
        row.pk,
        row.membership_id,
        day,
        now,
        item.code,
        cycle.number,
        cycle.due_on,
        item.until,
        cycle.completed_on,
        reason,
    )


def _closed_values(
    row: _Row, program_id: int, item: standing.Standing, back: dict[str, str], *, from_number: int
) -> list[tuple[Any, ...]]:
    real = standing.Replays.real
    return [
        (
            row.pk,
            program_id,
            row.membership_id,
            cycle.number,
            cycle.opened_on,
            cycle.due_on,
            cycle.original_due_on if cycle.is_extended else None,
            cycle.completed_on,
            _last_ids(real(cycle.satisfied_by, back)).get("completion"),
            list(real(cycle.satisfied_by, back)),
            cycle.expires_on,
            cycle.closed_on or cycle.expires_on or cycle.due_on,
            cycle.outcome or ClosedCycle.Outcome.EXPIRED,
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
    rules: ProgramRules,
    rows: list[_Row],
    today: dt.date,
    result: EvaluationResult,
    replays: standing.Replays,
    finished: dict[int, _Row],
    *,
    hires: dict[int, dt.date | None] | None = None,
    everyone: dict[int, _Shaped] | None = None,
    everyone_run: bool = False,
) -> None:
    """Evaluate a batch of assignments: saved ones (re-evaluated) and new ones (pk None: inserted with their
    standing, so a first evaluation writes each row once). Rows that became compliant go to `finished` by id.
    `everyone_run`: the batch belongs to a run over everyone (not some people), which records the revision."""
    program = rules.program
    revision = program.revision
    current = _current_floor(program)
    # Facts are keyed by the assignment id, or by minus the membership id for rows not saved yet.
    keys = [row.pk if row.pk is not None else -row.membership_id for row in rows]
    shapes = _load_shapes(rules, rows, keys, today, hires, everyone)
    template = rules.template
    now = clock.now()
    ledger: list[tuple[_Row, dt.date, standing.Standing, str]] = []
    closed: list[tuple[_Row, standing.Standing, int, dict[str, str]]] = []
    changed: list[_Row] = []
    new: list[_Row] = []
    stale_closed: list[tuple[int, int]] = []
    completed: list[_Row] = []
    for (shape, shape_back, hire_date), row in zip(shapes, rows, strict=True):
        result.evaluated += 1
        is_new = row.pk is None
        # Never evaluated (new, or written with a provisional standing: the demo's past): replayed from the start.
        never = is_new or row.evaluated_revision == 0
        previous = None if never else (row.status, row.cycle)
        # Written under older rules, or under a revision the program no longer has (a safety net: edits lock the
        # program and only ever bump its revision).
        revised = not never and (row.evaluated_revision < current or row.evaluated_revision > revision)
        # A run for some people writes the revision it used even when the standing stays, so their next run
        # replays their history from there; so does any run for a row of a revision the program does not have.
        restamp = revised and (not everyone_run or row.evaluated_revision > revision)
        back = shape_back
        if never:
            steps = replays.transitions_shaped(template, shape, hire_date, after=None)
            final = steps[-1][1]
        elif revised:
            # After a change to the program the past is not re-derived under the new rules: today's standing is
            # recorded from today. (The ledger says what was true then, under the rules of then.) A full run
            # without a change (activation, "re-evaluate now") is no such change: time-driven steps it catches up
            # on keep the day they happened, below.
            final = replays.compute_shaped(template, shape, hire_date)
            steps = [(today, final)]
        else:
            final = replays.compute_shaped(template, shape, hire_date)
            quiet = row.next_change_on is None or row.next_change_on > today
            if quiet and (final.code, final.cycle.number) == previous:
                # Nothing changed and no day on which it could have has passed: no history to replay.
                steps = []
            else:
                steps = replays.transitions_shaped(template, shape, hire_date, after=row.status_since)
        since = row.status_since if not never else row.assigned_on
        step_key = previous
        for day, step in steps:
            if (step.code, step.cycle.number) != step_key:
                ledger.append((row, day, step, _reason(step_key, step, day, today)))
                since = day
                step_key = (step.code, step.cycle.number)
        first_closed = 1 if never else row.cycle
        if not never and final.cycle.number < row.cycle:
            assert row.pk is not None
            stale_closed.append((row.pk, final.cycle.number))
            first_closed = final.cycle.number
        if final.closed:
            closed.append((row, final, first_closed, back))
        became_complete = final.code == "compliant" and (
            previous is None
            or previous[0] != "compliant"
            or previous[1] != final.cycle.number
            or row.completed_on != final.cycle.completed_on
        )
        before = None if never else _state(row)
        _apply(row, final, back, since=since, revision=revision, now=now)
        after = _state(row)
        if is_new:
            new.append(row)
        elif before is None or before != after or restamp:
            # A row whose standing is the same is not rewritten under a new revision by a run over everyone: the
            # run's `Program.evaluated_revision` says it is current (a full run after an edit rewrote every row).
            changed.append(row)
        if previous is not None and step_key != previous:
            result.changed += 1
        if became_complete and final.cycle.completed_on is not None:
            completed.append(row)
        if final.code in ("not_yet_due", "due_soon", "overdue", "expired") and (
            before is None or before[_DUE_ON] != after[_DUE_ON] or step_key != previous
        ):
            result.dues[row.membership_id] = final.cycle.due_on
        # Recertification: the window of the current completion is open, or the cycle after it has begun.
        if final.cycle.completed_on is not None and final.window_opens and final.window_opens <= today:
            assert final.cycle.expires_on is not None
            result.renew[row.membership_id] = final.cycle.expires_on
        elif final.cycle.completed_on is None and final.cycle.number > 1:
            result.renew[row.membership_id] = final.cycle.due_on
    program_id = program.pk
    # Cycles closed for assignments inserted by this batch cannot be there already (COPY on PostgreSQL).
    fresh = {id(row) for row in new}
    if new:
        _insert_assignments(program_id, new)
        result.new_ids.extend(row.pk for row in new if row.pk is not None)
    for assignment_id, number in stale_closed:
        ClosedCycle.objects.filter(assignment_id=assignment_id, number__gte=number).delete()
    _insert_closed(
        [
            (id(row) in fresh, values)
            for row, item, first, back in closed
            for values in _closed_values(row, program_id, item, back, from_number=first)
        ]
    )
    _insert_ledger([_ledger_values(row, program_id, day, item, reason, now) for row, day, item, reason in ledger])
    result.ledger_rows += len(ledger)
    for row in completed:
        assert row.pk is not None
        result.completed.append(row.pk)
        finished[row.pk] = row
    _write_standing(changed)


def _for_copy(values: tuple[Any, ...], json_at: int) -> tuple[Any, ...]:
    return (*values[:json_at], bulk_write.json_text(values[json_at]), *values[json_at + 1 :])


def _columns(model: type[Any], names: Sequence[str]) -> list[str]:
    return [model._meta.get_field(name).column for name in names]  # type: ignore[no-any-return]


def _insert_assignments(program_id: int, new: list[_Row]) -> None:
    """Insert new assignments with their standing and set their `pk`."""
    created = timezone.now()  # what `auto_now(_add)` would write
    values = [
        (
            None,
            created,
            created,
            row.organization_id,
            program_id,
            row.membership_id,
            row.assigned_at,
            row.assigned_on,
            None,
            "",
            *(getattr(row, name) for name in STANDING_FIELDS),
        )
        for row in new
    ]
    if bulk_write.enabled():
        ids = bulk_write.take_ids(Assignment, len(new))
        bulk_write.copy_rows(
            Assignment,
            _columns(Assignment, _ASSIGNMENT_FIELDS),
            ((pk, *row_values[1:]) for pk, row_values in zip(ids, values, strict=True)),
        )
    else:
        made = Assignment.objects.bulk_create(
            [_assignment(dict(zip(_ASSIGNMENT_FIELDS[1:], row_values[1:], strict=True))) for row_values in values],
            batch_size=WRITE_BATCH,
        )
        if any(a.pk is None for a in made):  # databases that return no ids from bulk inserts (none we support)
            raise RuntimeError("bulk_create returned no ids")
        ids = [a.pk for a in made]
    for row, pk in zip(new, ids, strict=True):
        row.pk = pk


def _insert_closed(rows: list[tuple[bool, tuple[Any, ...]]]) -> None:
    """Insert closed cycles, given as (of an assignment inserted by this batch?, values) pairs. Others (rare)
    may be there already, and are then skipped."""
    if bulk_write.enabled():
        json_at = _CLOSED_FIELDS.index("satisfied_by")
        bulk_write.copy_rows(
            ClosedCycle,
            _columns(ClosedCycle, _CLOSED_FIELDS),
            (_for_copy(values, json_at) for fresh, values in rows if fresh),
        )
        rows = [(fresh, values) for fresh, values in rows if not fresh]
    if rows:
        ClosedCycle.objects.bulk_create(
            [ClosedCycle(**dict(zip(_CLOSED_FIELDS, values, strict=True))) for _fresh, values in rows],
            batch_size=WRITE_BATCH,
            ignore_conflicts=True,
        )


def _insert_ledger(rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    if bulk_write.enabled():
        bulk_write.copy_rows(StatusChange, _columns(StatusChange, _LEDGER_FIELDS), rows)
        return
    StatusChange.objects.bulk_create(
        [StatusChange(**dict(zip(_LEDGER_FIELDS, values, strict=True))) for values in rows], batch_size=WRITE_BATCH
    )


def _write_standing(changed: list[_Row]) -> None:
    """Write the standing fields of these assignments. On PostgreSQL the rows are copied into a temporary table
    and joined by one UPDATE (`bulk_write.update_rows`): Django's `bulk_update` builds a CASE expression per
    field and row in Python, which cost ~15 ms per row at 16 fields (measured: bench/README.md, "Compliance"),
    and an `UPDATE ... FROM (VALUES ...)` a parameter per value. Elsewhere (SQLite, small data) `bulk_update`."""
    if not changed:
        return
    if not bulk_write.enabled():
        Assignment.objects.bulk_update(
            [_assignment({"pk": row.pk, **{name: getattr(row, name) for name in STANDING_FIELDS}}) for row in changed],
            STANDING_FIELDS,
            batch_size=WRITE_BATCH,
        )
        return
    columns = list(
        zip(_columns(Assignment, STANDING_FIELDS), [_PG_TYPES[name] for name in STANDING_FIELDS], strict=True)
    )
    values = operator.attrgetter("pk", *STANDING_FIELDS)
    bulk_write.update_rows(Assignment, columns, (values(row) for row in changed))


def _assignment(fields: dict[str, Any]) -> Assignment:
    """An `Assignment` for Django's bulk writers, from a row's values (its refs' JSON text decoded)."""
    return Assignment(**{**fields, "satisfied_by": json.loads(fields["satisfied_by"])})


# PostgreSQL types of the standing fields, for the temporary table of `_write_standing`.
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
    # No ordering: people are ordered by name by default, which joins their users for nothing here.
    people = Membership.objects.filter(
        organization_id=program.organization_id,
        is_active=True,
        pk__in=audience_selectors.member_ids(program.audience_id),
    ).order_by()
    if membership_ids is not None:
        found: set[int] = set()
        for chunk in _chunks(sorted(set(membership_ids))):
            found.update(people.filter(bulk_write.among("pk", chunk)).values_list("pk", flat=True))
        return found
    return set(people.values_list("pk", flat=True))


def _open_assignments(program: Program, membership_ids: Sequence[int] | None) -> dict[int, int]:
    qs = Assignment.objects.filter(program=program, ended_at__isnull=True).order_by()
    if membership_ids is None:
        return dict(qs.values_list("membership_id", "pk"))
    found: dict[int, int] = {}
    for chunk in _chunks(sorted(set(membership_ids))):
        found.update(qs.filter(bulk_write.among("membership_id", chunk)).values_list("membership_id", "pk"))
    return found


def _new_assignments(
    rules: ProgramRules, membership_ids: list[int], today: dt.date
) -> tuple[list[_Row], dict[int, dt.date | None]]:
    """Unsaved assignments for these people (the batch evaluation gives them their standing and inserts them),
    and the people's hire dates (facts of the evaluation too)."""
    program = rules.program
    now = clock.now()
    hires: dict[int, dt.date | None] = dict(
        Membership.objects.filter(bulk_write.among("pk", membership_ids)).order_by().values_list("pk", "hire_date")
    )
    opened = today - dt.timedelta(days=program.lookback_days)
    # The standing fields are provisional until `_evaluate_batch` replays the facts (never evaluated: revision 0).
    rows = [
        _Row(
            pk=None,
            organization_id=program.organization_id,
            membership_id=membership_id,
            assigned_on=today,
            cycle=1,
            opened_on=opened,
            due_on=today,
            original_due_on=None,
            completed_on=None,
            completion_id=None,
            acknowledgement_id=None,
            satisfied_by="[]",
            expires_on=None,
            exemption_id=None,
            status=StatusCode.NOT_YET_DUE,
            status_since=today,
            status_until=None,
            next_change_on=None,
            evaluated_revision=0,
            assigned_at=now,
        )
        for membership_id in membership_ids
    ]
    return rows, hires


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


def _current_floor(program: Program) -> int:
    """The lowest `Assignment.evaluated_revision` of an open row that is evaluated under the program's rules of now.

    Rows are written with the revision they were evaluated under, and only when their standing changed; after a
    run over everyone under the current revision (`Program.evaluated_revision`) every open row is current but the
    never evaluated ones (0). Before it, only the rows written under the current revision are."""
    return 1 if program.evaluated_revision == program.revision else program.revision


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
        replays = standing.Replays(today)
        finished: dict[int, _Row] = {}
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
            stale = open_rows.filter(
                Q(evaluated_revision__lt=_current_floor(program)) | Q(evaluated_revision__gt=program.revision)
            ).order_by()
            due = open_rows.filter(next_change_on__lte=today).order_by()
            ids = sorted(set(stale.values_list("pk", flat=True)) | set(due.values_list("pk", flat=True)))
        todo = len(ids) + len(joiners)
        everyone_run = membership_ids is None  # every stale row is evaluated: the run stamps the revision below
        everyone = (
            _evidence_by_person(rules, today)
            if membership_ids is None and todo > BATCH and 2 * todo >= len(in_scope)
            else None
        )
        for chunk in _chunks(ids):
            _evaluate_batch(
                rules, _read_rows(chunk), today, result, replays, finished, everyone=everyone, everyone_run=everyone_run
            )
        for chunk in _chunks(joiners):
            rows, hires = _new_assignments(rules, chunk, today)
            _evaluate_batch(
                rules, rows, today, result, replays, finished, hires=hires, everyone=everyone, everyone_run=everyone_run
            )
        stamps: dict[str, Any] = {"last_evaluated_at": clock.now()}
        if everyone_run:
            # Every open assignment has now been evaluated under this revision (the stale ones above, at least).
            stamps["evaluated_revision"] = program.revision
        Program.objects.filter(pk=program.pk).update(**stamps)
        _learning(rules, result, result.new_ids)
        if result.completed:
            _emit_completed(program, result.completed, finished)
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


def _emit_completed(program: Program, assignment_ids: list[int], rows: dict[int, _Row]) -> None:
    """`ProgramCompleted` for these assignments, from their rows as written (`rows`, by id), in the order they
    were once read back in: by id within each batch of ids. One batch (`emit_many`): handlers can look up what
    holds for the whole program once, not once per event."""
    emit_many(
        events.ProgramCompleted(
            organization_id=program.organization_id,
            program_id=program.pk,
            assignment_id=pk,
            membership_id=rows[pk].membership_id,
            cycle=rows[pk].cycle,
            completed_on=rows[pk].completed_on or program_today(program),
            expires_on=rows[pk].expires_on,
            completion_id=rows[pk].completion_id,
        )
        for chunk in _chunks(assignment_ids)
        for pk in sorted(chunk)
    )
