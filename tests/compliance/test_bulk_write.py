"""The evaluation's two ways of writing: COPY and `id = ANY(array)` on PostgreSQL (`bulk_write`), Django's ORM
elsewhere. Both must leave the same assignments, closed cycles and ledger, and return the same result."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.models import F

from syllabus.accounts.models import Membership
from syllabus.compliance import bulk_write, evaluation
from syllabus.compliance.models import Assignment, ClosedCycle, Exemption, Program, StatusChange
from tests.compliance.conftest import Builder, Clock, complete
from tests.conftest import World

postgres_only = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY and arrays are PostgreSQL's"),
]

# Written with the clock of the test (frozen) or the real one (`auto_now`): compared apart, or not at all.
REAL_TIME = {"id", "created_at", "updated_at"}


def test_the_writers_name_every_column_of_the_rows_they_write() -> None:
    def names(model: Any) -> set[str]:
        return {f.attname for f in model._meta.concrete_fields}

    assert set(evaluation._ASSIGNMENT_FIELDS) == names(Assignment)
    assert set(evaluation._CLOSED_FIELDS) == names(ClosedCycle) - {"id"}
    assert set(evaluation._LEDGER_FIELDS) == names(StatusChange) - {"id"}


def test_the_copy_writers_are_used_on_postgresql_only() -> None:
    assert bulk_write.enabled() is (connection.vendor == "postgresql")


@pytest.mark.django_db
def test_among_filters_like_in(world: World) -> None:
    ids = list(Membership.objects.filter(organization=world.org).values_list("pk", flat=True))
    chosen = ids[::2]
    found = Membership.objects.filter(bulk_write.among("pk", chosen)).values_list("pk", flat=True)
    assert sorted(found) == sorted(chosen)
    assert not Membership.objects.filter(bulk_write.among("pk", [])).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("_", [pytest.param(None, marks=postgres_only)])
def test_ids_taken_from_the_sequence_are_new_and_ascending(world: World, _: None) -> None:
    ids = bulk_write.take_ids(Membership, 5)
    assert ids == sorted(set(ids)) and len(ids) == 5
    assert ids[0] > max(Membership.objects.values_list("pk", flat=True))
    assert bulk_write.take_ids(Membership, 0) == []


@pytest.mark.parametrize("_", [pytest.param(None, marks=postgres_only)])
def test_updates_of_other_columns_in_one_transaction_use_a_table_each(
    world: World, build: Builder, sales: Any, course: Any, _: None
) -> None:
    program = build.program(sales, [course])
    first = Assignment.objects.filter(program=program).order_by("pk").first()
    assert first is not None
    bulk_write.update_rows(Assignment, [("status", "text")], [(first.pk, "overdue")])
    bulk_write.update_rows(Assignment, [("next_change_on", "date")], [(first.pk, dt.date(2031, 1, 2))])
    first.refresh_from_db()
    assert (first.status, first.next_change_on) == ("overdue", dt.date(2031, 1, 2))


def _snapshot(program: Program) -> dict[str, Any]:
    """Everything the evaluation wrote for `program`, by person (ids and real-time stamps left out)."""

    def rows(model: Any, order: tuple[str, ...]) -> list[tuple[Any, ...]]:
        fields = [f.attname for f in model._meta.concrete_fields if f.attname not in REAL_TIME]
        fields = [name for name in fields if name not in ("program_id", "assignment_id")]
        return list(model.objects.filter(program=program).order_by(*order).values_list(*fields))

    return {
        "assignments": rows(Assignment, ("membership_id", "pk")),
        "closed": rows(ClosedCycle, ("membership_id", "number")),
        "ledger": rows(StatusChange, ("membership_id", "effective_on", "pk")),
    }


def _result(result: evaluation.EvaluationResult) -> tuple[Any, ...]:
    members = dict(Assignment.objects.filter(pk__in=result.completed).values_list("pk", "membership_id"))
    return (
        result.as_dict(),
        sorted(result.assigned),
        sorted(members.values()),
        dict(result.renew),
        dict(result.dues),
        len(result.new_ids),
    )


def _history(
    world: World,
    audience: Any,
    course: Any,
    build: Builder,
    moved_clock: Clock,
    monkeypatch: Any,
    variants: list[tuple[bool, int]],
) -> list[tuple[list[tuple[Any, ...]], dict[str, Any]]]:
    """The same history lived by one program per variant (write with COPY?, people per batch above which the
    evidence of the whole program is read at once): what each evaluation returned, and what it left."""
    # Completions from before the assignment (look-back), one of them expired and renewed: cycles close at once.
    complete(world.learner, course, moved_clock.now - dt.timedelta(days=500))
    complete(world.learner, course, moved_clock.now - dt.timedelta(days=100))
    complete(world.manager, course, moved_clock.now - dt.timedelta(days=20))
    shape = {"valid_months": 12, "window_days": 30, "lookback_days": 730, "grace_days": 3, "enroll": False}
    out = []
    for number, (copy, batch) in enumerate(variants):
        monkeypatch.setattr(bulk_write, "enabled", lambda copy=copy: copy)
        monkeypatch.setattr(evaluation, "BATCH", batch)
        moved_clock.to(dt.date(2026, 3, 2))
        program = build.program(audience, [course], name=f"Anti-bribery {number}", activate=False, **shape)
        Program.objects.filter(pk=program.pk).update(status="active")
        steps = [evaluation.evaluate_program(program, full=True)]
        # An exemption for one, a completion for another, then time passes (overdue, expiry, a new cycle).
        assignment = Assignment.objects.get(program=program, membership=world.report)
        Exemption.objects.create(
            organization=world.org,
            program=program,
            assignment=assignment,
            membership=world.report,
            kind="exemption",
            cycle=1,
            reason="On leave",
            ends_on=dt.date(2026, 6, 30),
            state="approved",
            requested_at=moved_clock.now,
            decided_at=moved_clock.now,
        )
        moved_clock.to(dt.date(2026, 3, 20))
        if number == 0:
            complete(world.indirect_report, course, moved_clock.now)
        steps.append(evaluation.evaluate_program(program, membership_ids=[world.report.pk, world.indirect_report.pk]))
        moved_clock.to(dt.date(2027, 3, 25))
        steps.append(evaluation.evaluate_program(program))
        # A change to the program: every assignment rewritten (the temporary table's UPDATE on PostgreSQL).
        Program.objects.filter(pk=program.pk).update(revision=F("revision") + 1, grace_days=10)
        steps.append(evaluation.evaluate_program(program, full=True))
        out.append(([_result(step) for step in steps], _snapshot(program)))
    first = out[0][1]
    assert len(first["closed"]) >= 2 and len(first["ledger"]) >= 10
    assert {row[-1] for row in first["ledger"]} >= {"assigned", "completed", "exempted", "time", "new_cycle"}
    return out


@pytest.mark.django_db
@pytest.mark.parametrize("_", [pytest.param(None, marks=postgres_only)])
def test_copy_and_the_orm_write_the_same_history(
    world: World, sales, course, build: Builder, moved_clock: Clock, monkeypatch, _: None
) -> None:
    orm, copied = _history(world, sales, course, build, moved_clock, monkeypatch, [(False, 2000), (True, 2000)])
    assert copied == orm


@pytest.mark.django_db
def test_reading_the_evidence_of_everyone_at_once_changes_nothing(
    world: World, sales, course, build: Builder, moved_clock: Clock, monkeypatch
) -> None:
    copy = bulk_write.enabled()
    reads: list[int] = []
    whole = evaluation._evidence_by_person
    monkeypatch.setattr(evaluation, "_evidence_by_person", lambda *args: reads.append(1) or whole(*args))
    # Above one person per batch, a run that evaluates everyone reads the evidence of the whole program.
    by_batch, at_once = _history(world, sales, course, build, moved_clock, monkeypatch, [(copy, 2000), (copy, 1)])
    assert at_once == by_batch
    assert len(reads) == 3  # the first run, the nightly one (everyone's standing turned over), the full one
