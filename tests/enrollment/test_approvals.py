"""The approvals queue: requests for a place that the viewer may decide (their people's, or for the courses they
teach), approve or decline with a reason, and the count of external training waiting for them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from syllabus.accounts.models import Membership
from syllabus.catalog.models import Course
from syllabus.enrollment import services
from syllabus.enrollment.models import Enrollment, SelfEnrollment, Status
from syllabus.progress.models import ExternalTraining
from tests.conftest import World
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

APPROVALS = reverse("enrollment:approvals")


def approve_url(enrollment: Enrollment) -> str:
    return reverse("enrollment:approval-approve", args=[enrollment.pk])


def decline_url(enrollment: Enrollment) -> str:
    return reverse("enrollment:approval-decline", args=[enrollment.pk])


@pytest.fixture
def as_person(client):  # type: ignore[no-untyped-def]
    def sign_in(membership: Membership):  # type: ignore[no-untyped-def]
        client.force_login(membership.user)
        return client

    return sign_in


@pytest.fixture
def approval_course(world: World, published: Course) -> Course:
    services.options_update(course=published, by=world.instructor.user, self_enrollment=SelfEnrollment.APPROVAL)
    return published


def request_place(membership: Membership, course: Course) -> Enrollment:
    enrollment = services.enrollment_self(course=course, by=membership.user, note="For my new role")
    assert enrollment.status == Status.PENDING
    return enrollment


def listed(response) -> list[int]:  # type: ignore[no-untyped-def]
    return [row.enrollment.pk for row in response.context["rows"]]


def test_learner_without_people_or_courses_is_refused(as_person, world: World, approval_course) -> None:
    theirs = request_place(world.report, approval_course)
    client = as_person(world.learner)
    assert client.get(APPROVALS).status_code == 403
    assert client.post(approve_url(theirs)).status_code == 403
    assert client.post(decline_url(theirs), {f"decline-{theirs.pk}-reason": "no"}).status_code == 403
    theirs.refresh_from_db()
    assert theirs.status == Status.PENDING


def test_manager_sees_their_peoples_requests_only(as_person, world: World, approval_course) -> None:
    rita = request_place(world.report, approval_course)
    ivan = request_place(world.indirect_report, approval_course)
    request_place(world.learner, approval_course)
    request_place(world.manager, approval_course)  # their own: never theirs to decide
    response = as_person(world.manager).get(APPROVALS)
    assert response.status_code == 200
    assert sorted(listed(response)) == sorted([rita.pk, ivan.pk])
    html = response.content.decode()
    assert "For my new role" in html and "Lena Learner" not in html


def test_instructor_sees_every_request_for_the_course_they_teach(as_person, world: World, approval_course) -> None:
    rita = request_place(world.report, approval_course)
    lena = request_place(world.learner, approval_course)
    assert sorted(listed(as_person(world.instructor).get(APPROVALS))) == sorted([rita.pk, lena.pk])


def test_org_admin_sees_all_and_outsider_sees_none(as_person, world: World, approval_course) -> None:
    rita = request_place(world.report, approval_course)
    assert listed(as_person(world.org_admin).get(APPROVALS)) == [rita.pk]
    response = as_person(world.outsider).get(APPROVALS)
    assert response.status_code == 200 and listed(response) == []


def test_manager_approves_a_request(as_person, world: World, approval_course, django_capture_on_commit_callbacks):
    rita = request_place(world.report, approval_course)
    with django_capture_on_commit_callbacks(execute=True):
        response = as_person(world.manager).post(approve_url(rita), follow=True)
    assert response.redirect_chain[-1][0] == APPROVALS
    rita.refresh_from_db()
    assert (rita.status, rita.decided_by) == (Status.ACTIVE, world.manager.user)
    assert "was approved" in response.content.decode()
    assert listed(response) == []


def test_declining_needs_a_reason_which_the_person_reads(as_person, world: World, approval_course) -> None:
    rita = request_place(world.report, approval_course)
    client = as_person(world.manager)
    response = client.post(decline_url(rita), {f"decline-{rita.pk}-reason": "  "})
    assert response.status_code == 200
    assert response.context["open_id"] == rita.pk
    html = response.content.decode()
    assert f'id="id_decline-{rita.pk}-reason_error"' in html and 'aria-invalid="true"' in html
    rita.refresh_from_db()
    assert rita.status == Status.PENDING
    response = client.post(decline_url(rita), {f"decline-{rita.pk}-reason": "Budget is spent this quarter"})
    assert response.status_code == 302
    rita.refresh_from_db()
    assert (rita.status, rita.reason) == (Status.DECLINED, "Budget is spent this quarter")


def test_deciding_twice_says_it_was_already_decided(as_person, world: World, approval_course) -> None:
    rita = request_place(world.report, approval_course)
    client = as_person(world.manager)
    client.post(approve_url(rita))
    # Gone from the queue: the second click finds nothing to decide.
    assert client.post(approve_url(rita)).status_code == 404


def test_manager_cannot_decide_requests_outside_their_line(as_person, world: World, approval_course) -> None:
    lena = request_place(world.learner, approval_course)
    own = request_place(world.manager, approval_course)
    client = as_person(world.manager)
    for enrollment in (lena, own):
        assert client.post(approve_url(enrollment)).status_code == 404
        assert client.post(decline_url(enrollment), {f"decline-{enrollment.pk}-reason": "x"}).status_code == 404
        enrollment.refresh_from_db()
        assert enrollment.status == Status.PENDING


def test_another_organisations_admin_gets_404(as_person, world: World, approval_course) -> None:
    rita = request_place(world.report, approval_course)
    client = as_person(world.outsider)
    assert client.post(approve_url(rita)).status_code == 404
    assert client.post(decline_url(rita), {f"decline-{rita.pk}-reason": "x"}).status_code == 404
    rita.refresh_from_db()
    assert rita.status == Status.PENDING


def test_pending_external_training_of_the_team_is_counted(as_person, world: World) -> None:
    for membership, status in (
        (world.report, ExternalTraining.Status.PENDING),
        (world.indirect_report, ExternalTraining.Status.PENDING),
        (world.indirect_report, ExternalTraining.Status.APPROVED),
        (world.learner, ExternalTraining.Status.PENDING),  # not in the manager's line
        (world.manager, ExternalTraining.Status.PENDING),  # their own
    ):
        ExternalTraining.objects.create(
            organization=world.org,
            membership=membership,
            title="First aid",
            provider="Red Cross",
            completed_on=dt.date(2024, 5, 1),
            status=status,
        )
    response = as_person(world.manager).get(APPROVALS)
    assert response.context["external_count"] == 2
    html = response.content.decode()
    assert "2 external training records are waiting for your approval." in html
    assert f'href="{reverse("progress:external-approvals")}"' in html
    assert as_person(world.org_admin).get(APPROVALS).context["external_count"] == 4


@pytest.mark.parametrize("size", [3, 30])
def test_approvals_page_queries_do_not_grow(
    as_person, world: World, approval_course, size: int, django_assert_max_num_queries
) -> None:
    for _ in range(size):
        member = MembershipFactory(organization=world.org, manager=world.manager)
        request_place(member, approval_course)
    client = as_person(world.manager)
    with django_assert_max_num_queries(16):
        response = client.get(APPROVALS)
    assert len(listed(response)) == size


def test_person_page_links_to_the_transcript(as_person, world: World) -> None:
    response = as_person(world.manager).get(reverse("enrollment:team-person", args=[world.report.pk]))
    assert reverse("progress:person-transcript", args=[world.report.pk]) in response.content.decode()
