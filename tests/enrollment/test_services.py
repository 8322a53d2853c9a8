"""Enrollment services: self-enrollment, assignment, approvals, capacity and the waiting list, withdrawal."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from syllabus.core import clock
from syllabus.core.events import subscribe, unsubscribe
from syllabus.enrollment import events, services
from syllabus.enrollment.models import Enrollment, Method, SelfEnrollment, Status
from tests.conftest import World
from tests.factories import MembershipFactory


@pytest.fixture
def captured():  # type: ignore[no-untyped-def]
    seen: list[object] = []
    kinds = (
        events.EnrollmentCreated,
        events.EnrollmentsCreated,
        events.EnrollmentWithdrawn,
        events.EnrollmentActivated,
        events.EnrollmentDecided,
    )
    for kind in kinds:
        subscribe(kind, seen.append)
    yield seen
    for kind in kinds:
        unsubscribe(kind, seen.append)


def test_learner_enrolls_in_an_open_course_and_the_event_fires_after_commit(
    world: World, published, captured, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = services.enrollment_self(course=published, by=world.learner.user)
    assert enrollment.status == Status.ACTIVE
    assert enrollment.method == Method.SELF
    assert enrollment.created_by == world.learner.user
    assert enrollment.version_id == published.published_version_id
    assert [type(e) for e in captured] == [events.EnrollmentCreated]


def test_enrolling_twice_is_refused_and_keeps_one_row(world: World, published) -> None:
    services.enrollment_self(course=published, by=world.learner.user)
    with pytest.raises(ValidationError, match="already enrolled"):
        services.enrollment_self(course=published, by=world.learner.user)
    assert Enrollment.objects.filter(course=published).count() == 1


def test_key_is_required_when_set(world: World, published) -> None:
    services.options_update(course=published, by=world.instructor.user, enrollment_key="blue-door")
    with pytest.raises(ValidationError) as missing:
        services.enrollment_self(course=published, by=world.learner.user)
    assert services.KEY_REQUIRED in str(missing.value)
    with pytest.raises(ValidationError) as wrong:
        services.enrollment_self(course=published, by=world.learner.user, key="red-door")
    assert services.KEY_WRONG in str(wrong.value)
    assert services.enrollment_self(course=published, by=world.learner.user, key="blue-door").status == Status.ACTIVE


def test_window_limits_self_enrollment_not_assignment(world: World, published) -> None:
    services.options_update(course=published, by=world.instructor.user, opens_at=clock.now() + dt.timedelta(days=2))
    with pytest.raises(ValidationError, match="Enrollment opens"):
        services.enrollment_self(course=published, by=world.learner.user)
    assigned = services.enrollment_create(course=published, membership=world.learner, by=world.instructor.user)
    assert assigned.status == Status.ACTIVE and assigned.method == Method.INSTRUCTOR


def test_capacity_waitlists_then_promotes_when_a_place_frees(world: World, published) -> None:
    services.options_update(course=published, by=world.instructor.user, capacity=1)
    first = services.enrollment_self(course=published, by=world.learner.user)
    second = services.enrollment_self(course=published, by=world.engineer.user)
    assert (first.status, second.status) == (Status.ACTIVE, Status.WAITLISTED)
    services.enrollment_withdraw(enrollment=first, by=world.learner.user)
    second.refresh_from_db()
    assert second.status == Status.ACTIVE
    assert services.options_for(published).seats_taken == 1


def test_full_course_without_waitlist_refuses(world: World, published) -> None:
    services.options_update(course=published, by=world.instructor.user, capacity=1, waitlist=False)
    services.enrollment_self(course=published, by=world.learner.user)
    with pytest.raises(ValidationError, match="full"):
        services.enrollment_self(course=published, by=world.engineer.user)


def test_approval_flow_manager_approves_and_instructor_declines_with_reason(world: World, published) -> None:
    services.options_update(course=published, by=world.instructor.user, self_enrollment=SelfEnrollment.APPROVAL)
    request = services.enrollment_self(course=published, by=world.report.user, note="For my role")
    assert request.status == Status.PENDING
    approved = services.enrollment_approve(enrollment=request, by=world.manager.user)
    assert approved.status == Status.ACTIVE and approved.decided_by == world.manager.user
    other = services.enrollment_self(course=published, by=world.learner.user)
    with pytest.raises(ValidationError):
        services.enrollment_decline(enrollment=other, by=world.instructor.user, reason="")
    declined = services.enrollment_decline(enrollment=other, by=world.instructor.user, reason="Next term")
    assert declined.status == Status.DECLINED


def test_learner_cannot_approve_their_own_request_nor_someone_elses(world: World, published) -> None:
    services.options_update(course=published, by=world.instructor.user, self_enrollment=SelfEnrollment.APPROVAL)
    request = services.enrollment_self(course=published, by=world.learner.user)
    with pytest.raises(PermissionDenied):
        services.enrollment_approve(enrollment=request, by=world.learner.user)
    with pytest.raises(PermissionDenied):
        services.enrollment_approve(enrollment=request, by=world.engineer.user)


def test_manager_assigns_only_within_their_team(world: World, published) -> None:
    made = services.enrollment_create(course=published, membership=world.report, by=world.manager.user)
    assert made.method == Method.MANAGER
    with pytest.raises(PermissionDenied):
        services.enrollment_create(course=published, membership=world.engineer, by=world.manager.user)


def test_outsider_cannot_enroll_anyone(world: World, published) -> None:
    with pytest.raises((PermissionDenied, ValidationError)):
        services.enrollment_create(course=published, membership=world.learner, by=world.outsider.user)


def test_bulk_create_is_set_based_and_skips_the_already_enrolled(
    world: World, published, captured, django_capture_on_commit_callbacks
) -> None:
    services.enrollment_self(course=published, by=world.report.user)
    people = [world.report, world.indirect_report]
    with django_capture_on_commit_callbacks(execute=True):
        result = services.enrollments_bulk_create(
            course=published, memberships=people, by=world.manager.user, method=Method.MANAGER
        )
    assert len(result.created) == 1 and result.already == [world.report.pk]
    bulk = [e for e in captured if isinstance(e, events.EnrollmentsCreated)]
    assert bulk and bulk[0].enrollment_ids == tuple(result.created)


def test_bulk_create_refuses_people_outside_the_scope(world: World, published) -> None:
    with pytest.raises(PermissionDenied):
        services.enrollments_bulk_create(
            course=published, memberships=[world.report, world.engineer], by=world.manager.user, method=Method.MANAGER
        )
    assert not Enrollment.objects.filter(course=published).exists()


def test_withdrawn_learner_may_enroll_again_and_history_is_kept(world: World, published) -> None:
    first = services.enrollment_self(course=published, by=world.learner.user)
    services.enrollment_withdraw(enrollment=first, by=world.learner.user, reason="Changed my mind")
    again = services.enrollment_self(course=published, by=world.learner.user)
    assert again.pk != first.pk
    assert Enrollment.objects.filter(course=published, membership=world.learner).count() == 2


def test_inactive_member_is_not_enrolled(world: World, published) -> None:
    gone = MembershipFactory(organization=world.org, is_active=False)
    with pytest.raises(ValidationError):
        services.enrollment_create(course=published, membership=gone, by=world.org_admin.user)


def test_guessing_the_key_stops_after_a_few_tries(world: World, published) -> None:
    services.options_update(course=published, by=world.instructor.user, enrollment_key="blue-door")
    for _ in range(services.KEY_ATTEMPTS):
        with pytest.raises(ValidationError, match="not right"):
            services.enrollment_self(course=published, by=world.learner.user, key="guess")
    with pytest.raises(ValidationError, match="Too many wrong"):
        services.enrollment_self(course=published, by=world.learner.user, key="blue-door")
    # Someone else is not held by the learner's guesses.
    assert services.enrollment_self(course=published, by=world.engineer.user, key="blue-door").status == Status.ACTIVE


def test_a_manager_of_their_own_unit_cannot_assign_or_drop_their_own_training(world: World, published) -> None:
    from tests.factories import grant

    grant(world.report, "manager", org_unit=world.sales)  # Rita manages Sales, where she sits herself
    with pytest.raises(PermissionDenied):
        services.enrollment_create(course=published, membership=world.report, by=world.report.user)
    assigned = services.enrollment_create(course=published, membership=world.report, by=world.manager.user)
    with pytest.raises(PermissionDenied):
        services.enrollment_withdraw(enrollment=assigned, by=world.report.user)
    with pytest.raises(PermissionDenied):
        services.enrollment_due_set(enrollment=assigned, by=world.report.user, due_at=None)


def test_assigned_training_on_the_waiting_list_is_not_left_by_the_learner(world: World, published) -> None:
    services.options_update(course=published, by=world.instructor.user, capacity=1)
    services.enrollment_self(course=published, by=world.learner.user)
    waiting = services.enrollment_create(course=published, membership=world.report, by=world.manager.user)
    assert waiting.status == Status.WAITLISTED
    with pytest.raises(PermissionDenied):
        services.enrollment_withdraw(enrollment=waiting, by=world.report.user)
