"""Evaluating programs against the database: assignment follows the audience, statuses follow completions and
time, the ledger records each change with the day it took effect, and a second run changes nothing."""

from __future__ import annotations

import datetime as dt

from syllabus.compliance import evaluation
from syllabus.compliance.models import Assignment, ClosedCycle, StatusChange
from tests.compliance.conftest import Builder, Clock, complete
from tests.conftest import World


def _status(program, membership) -> str:
    return Assignment.objects.get(program=program, membership=membership, ended_at__isnull=True).status


def test_activating_assigns_everyone_in_the_audience_with_their_due_date(
    world: World, sales, course, build: Builder, moved_clock: Clock
) -> None:
    program = build.program(sales, [course])
    rows = Assignment.objects.filter(program=program)
    assert rows.count() == 4
    assert {a.due_on for a in rows} == {dt.date(2026, 4, 1)}
    assert {a.status for a in rows} == {"due_soon"}
    assert StatusChange.objects.filter(program=program, reason="assigned").count() == 4


def test_a_second_run_changes_nothing(world: World, sales, course, build: Builder, moved_clock: Clock) -> None:
    program = build.program(sales, [course])
    before = StatusChange.objects.count()
    result = evaluation.evaluate_program(program, full=False)
    assert result.changed == 0 and not result.assigned
    assert StatusChange.objects.count() == before


def test_time_turns_due_soon_into_overdue_effective_the_day_after_grace(
    world: World, sales, course, build: Builder, moved_clock: Clock
) -> None:
    program = build.program(sales, [course], grace_days=5)
    moved_clock.to(dt.date(2026, 5, 1))  # nightly runs were missed in between
    evaluation.evaluate_program(program)
    assert _status(program, world.learner) == "overdue"
    row = StatusChange.objects.filter(program=program, membership=world.learner).last()
    assert row.status == "overdue" and row.effective_on == dt.date(2026, 4, 7)


def test_a_completion_makes_the_person_compliant_and_recurring_ones_expire(
    world: World, sales, course, build: Builder, moved_clock: Clock
) -> None:
    program = build.program(sales, [course], valid_months=12, window_days=30)
    complete(world.learner, course, moved_clock.now)
    evaluation.evaluate_program(program, membership_ids=[world.learner.pk])
    assignment = Assignment.objects.get(program=program, membership=world.learner)
    assert assignment.status == "compliant"
    assert assignment.expires_on == dt.date(2027, 3, 2)
    moved_clock.to(dt.date(2027, 3, 20))
    evaluation.evaluate_program(program)
    assignment.refresh_from_db()
    assert (assignment.status, assignment.cycle, assignment.due_on) == ("expired", 2, dt.date(2027, 3, 2))
    assert ClosedCycle.objects.get(assignment=assignment).outcome == "expired"
    days = list(StatusChange.objects.filter(assignment=assignment).values_list("effective_on", "status"))
    assert days == [
        (dt.date(2026, 3, 2), "due_soon"),
        (dt.date(2026, 3, 2), "compliant"),
        (dt.date(2027, 3, 2), "due_soon"),
        (dt.date(2027, 3, 3), "expired"),
    ]


def test_people_who_leave_the_audience_are_unassigned_with_history_kept(
    world: World, sales, course, build: Builder, moved_clock: Clock
) -> None:
    from syllabus.accounts import services as accounts_services

    program = build.program(sales, [course])
    from syllabus.audiences import services as audience_services

    accounts_services.membership_update(membership=world.learner, by=world.org_admin.user, org_unit=world.engineering)
    audience_services.audience_recompute(audience=sales)
    evaluation.evaluate_program(program)
    assignment = Assignment.objects.get(program=program, membership=world.learner)
    assert assignment.ended_at is not None
    assert StatusChange.objects.filter(assignment=assignment).last().status == "unassigned"
