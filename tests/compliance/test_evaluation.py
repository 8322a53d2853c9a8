"""Evaluating programs against the database: assignment follows the audience, statuses follow completions and
time, the ledger records each change with the day it took effect, and a second run changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

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


# --- one open assignment, scope changes -------------------------------------------------------------------------


def test_the_database_refuses_a_second_open_assignment(world: World, sales, course, build: Builder) -> None:
    import pytest
    from django.db import IntegrityError, transaction

    program = build.program(sales, [course])
    first = Assignment.objects.get(program=program, membership=world.learner)
    first.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        first.save()
    # A closed one beside the open one is history, and allowed.
    first.ended_at = moved_now()
    first.save()
    assert Assignment.objects.filter(program=program, membership=world.learner).count() == 2


def moved_now() -> dt.datetime:
    from syllabus.core import clock

    return clock.now()


def _move(world: World, membership, unit) -> None:
    from syllabus.accounts import services as accounts_services

    accounts_services.membership_update(membership=membership, by=world.org_admin.user, org_unit=unit)


def test_leaving_and_coming_back_opens_a_new_assignment_and_keeps_the_old(
    world: World, sales, course, build: Builder, moved_clock: Clock
) -> None:
    from syllabus.audiences import services as audience_services

    program = build.program(sales, [course])
    moved_clock.move(days=10)
    _move(world, world.learner, world.engineering)
    audience_services.audience_recompute(audience=sales)
    evaluation.evaluate_program(program)
    moved_clock.move(days=10)
    _move(world, world.learner, world.sales)
    audience_services.audience_recompute(audience=sales)
    evaluation.evaluate_program(program)
    rows = list(Assignment.objects.filter(program=program, membership=world.learner).order_by("pk"))
    assert [r.ended_at is None for r in rows] == [False, True]
    old, new = rows
    assert old.end_reason == evaluation.LEFT_AUDIENCE
    assert new.assigned_on == dt.date(2026, 3, 22) and new.due_on == dt.date(2026, 4, 21)
    assert ClosedCycle.objects.get(assignment=old).outcome == "unassigned"
    assert list(StatusChange.objects.filter(assignment=old).values_list("effective_on", "status")) == [
        (dt.date(2026, 3, 2), "due_soon"),
        (dt.date(2026, 3, 12), "unassigned"),
    ]
    assert StatusChange.objects.get(assignment=new).reason == "assigned"


def test_the_audience_subscription_evaluates_the_people_who_moved(
    world: World, sales, course, build: Builder, moved_clock: Clock, django_capture_on_commit_callbacks
) -> None:
    from syllabus.audiences import services as audience_services

    program = build.program(sales, [course])
    _move(world, world.learner, world.engineering)
    with django_capture_on_commit_callbacks(execute=True):
        audience_services.audience_recompute(audience=sales)
    assert Assignment.objects.get(program=program, membership=world.learner).ended_at is not None


def test_archiving_unassigns_everyone_and_keeps_the_ledger(
    world: World, sales, course, build: Builder, moved_clock: Clock
) -> None:
    from syllabus.compliance import services

    program = build.program(sales, [course])
    services.program_archive(program=program, by=build.officer.user)
    evaluation.evaluate_program(program, full=True)
    assert not Assignment.objects.filter(program=program, ended_at__isnull=True).exists()
    assert set(Assignment.objects.filter(program=program).values_list("end_reason", flat=True)) == {
        evaluation.PROGRAM_ENDED
    }
    assert StatusChange.objects.filter(program=program, status="unassigned").count() == 4


# --- changes to the program -------------------------------------------------------------------------------------


def test_a_change_of_due_rule_bumps_the_revision_and_is_recorded_from_today(
    world: World, sales, course, build: Builder, moved_clock: Clock, django_capture_on_commit_callbacks
) -> None:
    from syllabus.compliance import services

    program = build.program(sales, [course])
    moved_clock.move(days=5)
    with django_capture_on_commit_callbacks(execute=True):
        services.program_update(program=program, by=build.officer.user, data=build.data(sales, [course], due_days=10))
    program.refresh_from_db()
    assert program.revision == 2
    assignment = Assignment.objects.get(program=program, membership=world.learner)
    assert (assignment.due_on, assignment.status, assignment.evaluated_revision) == (
        dt.date(2026, 3, 12),
        "due_soon",
        2,
    )
    # Shortened to 1 day: overdue since 4 March under the new rule, but recorded from today (8 March).
    moved_clock.move(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.program_update(program=program, by=build.officer.user, data=build.data(sales, [course], due_days=1))
    row = StatusChange.objects.filter(assignment=assignment).last()
    assert (row.status, row.effective_on) == ("overdue", dt.date(2026, 3, 8))


def test_a_change_that_moves_nobody_keeps_the_revision(
    world: World, sales, course, build: Builder, moved_clock: Clock
) -> None:
    from syllabus.compliance import services

    program = build.program(sales, [course])
    services.program_update(
        program=program, by=build.officer.user, data=build.data(sales, [course], description="Read it")
    )
    program.refresh_from_db()
    assert program.revision == 1 and program.description == "Read it"


def test_raising_the_minimum_score_undoes_a_completion_that_no_longer_qualifies(
    world: World, sales, course, build: Builder, moved_clock: Clock, django_capture_on_commit_callbacks
) -> None:
    from syllabus.compliance import services

    program = build.program(sales, [course], valid_months=12)
    complete(world.learner, course, moved_clock.now, score="70")
    evaluation.evaluate_program(program, membership_ids=[world.learner.pk])
    assert _status(program, world.learner) == "compliant"
    with django_capture_on_commit_callbacks(execute=True):
        services.program_update(
            program=program, by=build.officer.user, data=build.data(sales, [course], valid_months=12, min_score="80")
        )
    assert _status(program, world.learner) == "due_soon"


def test_adding_an_equivalent_course_counts_its_completions(
    world: World, sales, course, build: Builder, moved_clock: Clock, django_capture_on_commit_callbacks
) -> None:
    from syllabus.compliance import services
    from tests.compliance.conftest import make_course

    other = make_course(world, "Anti-bribery (short)")
    program = build.program(sales, [course])
    complete(world.learner, other, moved_clock.now)
    evaluation.evaluate_program(program, membership_ids=[world.learner.pk])
    assert _status(program, world.learner) == "due_soon"
    with django_capture_on_commit_callbacks(execute=True):
        services.program_update(
            program=program, by=build.officer.user, data=build.data(sales, [course, other], requirement="any")
        )
    assert _status(program, world.learner) == "compliant"


def test_the_preview_predicts_what_the_evaluation_then_does(
    world: World, sales, course, build: Builder, moved_clock: Clock, django_capture_on_commit_callbacks
) -> None:
    from syllabus.compliance import services

    program = build.program(sales, [course])
    complete(world.learner, course, moved_clock.now)
    evaluation.evaluate_program(program, membership_ids=[world.learner.pk])
    moved_clock.move(days=20)
    data = build.data(sales, [course], due_days=10)
    preview = services.program_preview(program=program, organization=world.org, by=build.officer.user, data=data)
    before = dict(Assignment.objects.filter(program=program).values_list("membership_id", "status"))
    with django_capture_on_commit_callbacks(execute=True):
        services.program_update(program=program, by=build.officer.user, data=data)
    after = dict(Assignment.objects.filter(program=program).values_list("membership_id", "status"))
    moved = {(before[m], after[m]) for m in after if before[m] != after[m]}
    assert dict(preview.status_changes) == dict.fromkeys(moved, 3) == {("due_soon", "overdue"): 3}
    # The learner who completed stays compliant; only the due date of their (satisfied) cycle moves.
    assert (preview.joining, preview.leaving, preview.due_changes, preview.unchanged) == (0, 0, 1, 0)
    assert Assignment.objects.get(program=program, membership=world.learner).due_on == dt.date(2026, 3, 12)


def test_the_preview_of_a_draft_counts_who_would_join(world: World, sales, course, build: Builder) -> None:
    from syllabus.compliance import services

    program = build.program(sales, [course], activate=False)
    preview = services.program_preview(
        program=program, organization=world.org, by=build.officer.user, data=build.data(sales, [course])
    )
    assert (preview.joining, preview.affected, len(preview.sample)) == (4, 4, 4)
    assert {row["after"] for row in preview.sample} == {"due_soon"}
    services.program_activate(program=program, by=build.officer.user)
    assert evaluation.evaluate_program(program, full=True).as_dict()["assigned"] == preview.joining


# --- learning: enrollments ----------------------------------------------------------------------------------------


def test_an_enrolling_program_enrolls_assignees_with_their_due_date(
    world: World, sales, course, build: Builder, moved_clock: Clock
) -> None:
    from syllabus.enrollment.models import Enrollment

    program = build.program(sales, [course], enroll=True)
    rows = Enrollment.objects.filter(course=course, membership__in=[world.learner, world.report])
    assert {(r.method, r.status) for r in rows} == {("compliance", "active")}
    assert {r.due_at.date() for r in rows} == {dt.date(2026, 4, 1)}
    assert program.enroll


def test_enrollment_due_dates_follow_the_program_after_an_extension_and_for_people_enrolled_before(
    world: World, sales, course, build: Builder, moved_clock: Clock
) -> None:
    from syllabus.compliance.models import Exemption
    from syllabus.enrollment.models import Enrollment, Method

    # Rita was enrolled by her manager before the program, due later than the program says: the program's date wins.
    Enrollment.objects.create(
        organization=world.org,
        membership=world.report,
        course=course,
        method=Method.MANAGER,
        status="active",
        status_changed_at=moved_clock.now,
        due_at=moved_clock.now + dt.timedelta(days=90),
    )
    program = build.program(sales, [course], enroll=True)
    rita = Enrollment.objects.get(course=course, membership=world.report, status="active")
    assert rita.method == "manager" and rita.due_at.date() == dt.date(2026, 4, 1)
    # An approved extension moves the learner's compliance enrollment too.
    assignment = program.assignments.get(membership=world.learner)
    Exemption.objects.create(
        organization=world.org,
        program=program,
        assignment=assignment,
        membership=world.learner,
        kind="extension",
        cycle=1,
        reason="Leave",
        extend_to=dt.date(2026, 5, 15),
        state="approved",
        requested_at=moved_clock.now,
        decided_at=moved_clock.now,
    )
    evaluation.evaluate_program(program, membership_ids=[world.learner.pk])
    lena = Enrollment.objects.get(course=course, membership=world.learner, status="active")
    assert lena.due_at.date() == dt.date(2026, 5, 15)


def test_recertification_renews_a_completed_enrollment_when_the_window_opens(
    world: World, sales, course, build: Builder, moved_clock: Clock
) -> None:
    from syllabus.enrollment.models import Enrollment

    program = build.program(sales, [course], enroll=True, valid_months=12, window_days=30)
    Enrollment.objects.filter(course=course, membership=world.learner).update(
        status="completed", completed_at=moved_clock.now
    )
    complete(world.learner, course, moved_clock.now)
    evaluation.evaluate_program(program, membership_ids=[world.learner.pk])
    moved_clock.to(dt.date(2027, 1, 31))  # 30 days before 2 March 2027
    evaluation.evaluate_program(program)
    rows = list(Enrollment.objects.filter(course=course, membership=world.learner).order_by("pk"))
    assert [r.status for r in rows] == ["renewed", "active"]
    assert rows[1].method == "compliance" and rows[1].due_at.date() == dt.date(2027, 3, 2)
    # Idempotent: the next run leaves the fresh enrollment alone.
    evaluation.evaluate_program(program, membership_ids=[world.learner.pk])
    assert Enrollment.objects.filter(course=course, membership=world.learner).count() == 2


def test_a_real_course_completion_reaches_the_program_through_the_event(
    world: World, sales, course, build: Builder, moved_clock: Clock, django_capture_on_commit_callbacks
) -> None:
    import uuid

    from syllabus.catalog import versions
    from syllabus.enrollment.models import Enrollment
    from syllabus.progress import services as progress_services

    program = build.program(sales, [course], enroll=True)
    enrollment = Enrollment.objects.get(course=course, membership=world.learner)
    with django_capture_on_commit_callbacks(execute=True):
        for activity in versions.activities(course.published_version.snapshot):
            progress_services.activity_mark_complete(
                enrollment=enrollment, activity_uid=uuid.UUID(activity["uid"]), by=world.instructor.user, reason="x"
            )
    assignment = Assignment.objects.get(program=program, membership=world.learner)
    assert assignment.status == "compliant" and assignment.completion_id is not None
    assert StatusChange.objects.filter(assignment=assignment).last().reason == "completed"


# --- idempotence and cost ---------------------------------------------------------------------------------------


def test_a_full_run_without_a_change_keeps_the_day_time_driven_changes_happened(
    world: World, sales, course, build: Builder, moved_clock: Clock
) -> None:
    """Regression: a full run ("re-evaluate now", activation) recorded catch-up changes on the day of the run."""
    program = build.program(sales, [course])
    moved_clock.to(dt.date(2026, 4, 20))
    evaluation.evaluate_program(program, full=True)
    row = StatusChange.objects.filter(program=program, membership=world.learner).last()
    assert (row.status, row.effective_on) == ("overdue", dt.date(2026, 4, 2))
    before = StatusChange.objects.count()
    assert evaluation.evaluate_program(program, full=True).ledger_rows == 0
    assert evaluation.evaluate_program(program, membership_ids=[world.learner.pk]).ledger_rows == 0
    assert StatusChange.objects.count() == before


def _people(world: World, count: int) -> None:
    from tests.factories import MembershipFactory

    for _ in range(count):
        MembershipFactory(organization=world.org, org_unit=world.sales_east)


@pytest.mark.parametrize("extra", [3, 30])
def test_queries_per_run_do_not_grow_with_the_number_of_people(
    world: World, sales, course, build: Builder, moved_clock: Clock, django_assert_max_num_queries, extra: int
) -> None:
    from syllabus.audiences import services as audience_services

    _people(world, extra)
    audience_services.audience_recompute(audience=sales)
    program = build.program(sales, [course], valid_months=12, enroll=False)
    for membership in Assignment.objects.filter(program=program).values_list("membership", flat=True)[:2]:
        complete(world.learner.__class__.objects.get(pk=membership), course, moved_clock.now)
    moved_clock.to(dt.date(2026, 4, 20))
    with django_assert_max_num_queries(30):
        result = evaluation.evaluate_program(program, full=True)
    assert result.evaluated == 4 + extra
    moved_clock.to(dt.date(2027, 4, 20))
    with django_assert_max_num_queries(30):
        evaluation.evaluate_program(program)


# --- runs after an edit: rows whose standing stays are not rewritten ------------------------------------------


def _bump(program) -> None:
    from django.db.models import F

    from syllabus.compliance.models import Program

    Program.objects.filter(pk=program.pk).update(revision=F("revision") + 1)
    program.refresh_from_db()


def test_a_full_run_after_an_edit_that_moves_nobody_rewrites_no_assignment(
    world: World, sales, course, build: Builder, moved_clock: Clock
) -> None:
    program = build.program(sales, [course])
    written = dict(Assignment.objects.filter(program=program).values_list("pk", "evaluated_at"))
    _bump(program)
    moved_clock.move(days=1)
    result = evaluation.evaluate_program(program, full=True)
    assert result.evaluated == 4 and result.changed == 0
    assert dict(Assignment.objects.filter(program=program).values_list("pk", "evaluated_at")) == written
    program.refresh_from_db()
    assert program.evaluated_revision == program.revision == 2
    # Current under revision 2 though written under 1: the nightly run has nothing stale to look at.
    assert evaluation.evaluate_program(program).evaluated == 0


def test_rows_are_stale_after_an_edit_until_a_run_over_everyone(
    world: World, sales, course, build: Builder, moved_clock: Clock
) -> None:
    program = build.program(sales, [course])
    _bump(program)
    # A run for one person evaluates that person only, under the new revision, and records it on their row
    # though their standing stays (their next run replays their history from there); the others stay stale.
    evaluation.evaluate_program(program, membership_ids=[world.learner.pk])
    program.refresh_from_db()
    assert program.evaluated_revision == 1
    assert Assignment.objects.get(program=program, membership=world.learner).evaluated_revision == 2
    assert evaluation.evaluate_program(program).evaluated == 3
    program.refresh_from_db()
    assert program.evaluated_revision == 2
    assert evaluation.evaluate_program(program).evaluated == 0


def test_a_changed_standing_is_written_with_the_revision_it_was_evaluated_under(
    world: World, sales, course, build: Builder, moved_clock: Clock
) -> None:
    program = build.program(sales, [course])
    _bump(program)
    complete(world.learner, course, moved_clock.now)
    evaluation.evaluate_program(program, full=True)
    revisions = dict(Assignment.objects.filter(program=program).values_list("membership_id", "evaluated_revision"))
    assert revisions.pop(world.learner.pk) == 2
    assert set(revisions.values()) == {1}
    assert _status(program, world.learner) == "compliant"


def test_a_full_run_leaves_a_compliant_row_alone_when_nothing_changed(
    world: World, sales, course, build: Builder, moved_clock: Clock
) -> None:
    # The refs that satisfied the cycle are compared as the JSON the database gives back: equal means unwritten.
    from tests.compliance.conftest import make_course

    other = make_course(world, "Gifts and hospitality")
    program = build.program(sales, [course, other], requirement="all", valid_months=12)
    complete(world.learner, course, moved_clock.now)
    complete(world.learner, other, moved_clock.now)
    evaluation.evaluate_program(program, membership_ids=[world.learner.pk])
    assignment = Assignment.objects.get(program=program, membership=world.learner)
    assert len(assignment.satisfied_by) == 2 and assignment.status == "compliant"
    moved_clock.move(days=1)
    assert evaluation.evaluate_program(program, full=True).evaluated == 4
    assert Assignment.objects.get(pk=assignment.pk).evaluated_at == assignment.evaluated_at


def test_an_edit_from_a_stale_page_is_compared_with_the_program_as_it_is_now(
    world: World, sales, course, build: Builder, moved_clock: Clock
) -> None:
    from syllabus.compliance import services
    from syllabus.compliance.models import Program

    program = build.program(sales, [course])  # due 30 days after assignment: 1 April
    stale = Program.objects.get(pk=program.pk)  # another officer's edit page, drawn now
    services.program_update(program=program, by=build.officer.user, data=build.data(sales, [course], due_days=5))
    evaluation.evaluate_program(program, full=True)
    assert {a.due_on for a in Assignment.objects.filter(program=program)} == {dt.date(2026, 3, 7)}
    # Saved from the stale page: a rename, with the 30 days that page still showed.
    services.program_update(
        program=stale, by=build.officer.user, data=build.data(sales, [course], name="Anti-bribery 2026 (all staff)")
    )
    stale.refresh_from_db()
    # The 30 days are a change of rules against the program as it was (5): the revision moves on, never back.
    assert (stale.name, stale.due_days, stale.revision) == ("Anti-bribery 2026 (all staff)", 30, 3)
    assert evaluation.evaluate_program(stale).evaluated == 4
    assert {a.due_on for a in Assignment.objects.filter(program=program)} == {dt.date(2026, 4, 1)}


def test_rows_written_under_a_revision_the_program_no_longer_has_are_stale(
    world: World, sales, course, build: Builder, moved_clock: Clock
) -> None:
    from syllabus.compliance.models import Program

    program = build.program(sales, [course])
    Assignment.objects.filter(program=program, membership=world.learner).update(evaluated_revision=5)
    Program.objects.filter(pk=program.pk).update(evaluated_revision=program.revision)
    program.refresh_from_db()
    assert evaluation.evaluate_program(program).evaluated == 1
    assert Assignment.objects.get(program=program, membership=world.learner).evaluated_revision == 1
