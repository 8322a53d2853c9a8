"""The learner's side of enrollment on a course's page: the panel in each state, enrolling and leaving — and the
attacker's side (other organisations, courses not shown to them, forged posts)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from syllabus.audiences.models import Audience
from syllabus.catalog import versions
from syllabus.catalog.models import Course, Visibility
from syllabus.core import clock
from syllabus.enrollment import services
from syllabus.enrollment.models import Enrollment, EnrollmentOptions, Method, SelfEnrollment, Status
from syllabus.progress import services as progress_services
from tests.conftest import World
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def course_page(course: Course) -> str:
    return reverse("catalog:course", args=[course.pk])


def signed_in(client: Client, membership: Any) -> Client:
    client.force_login(membership.user)
    return client


def options(course: Course, **fields: Any) -> EnrollmentOptions:
    return EnrollmentOptions.objects.create(organization=course.organization, course=course, **fields)


def panel_of(html: str) -> str:
    found = re.search(r'<section class="card enroll-panel".*?</section>', html, re.S)
    return found.group(0) if found else ""


def messages_of(html: str) -> list[str]:
    return re.findall(r'<p class="message message-\w+"[^>]*>([^<]+)</p>', html)


# --- the panel -----------------------------------------------------------------------------------------------------


def test_a_learner_enrolls_from_the_course_page_and_can_start(client: Client, world: World, published: Course) -> None:
    signed_in(client, world.learner)
    before = panel_of(client.get(course_page(published)).content.decode())
    assert "Enroll" in before and "enroll-key" not in before and "enroll-note" not in before
    response = client.post(reverse("enrollment:enroll", args=[published.pk]))
    assert response.status_code == 303 and response["Location"] == course_page(published) + "#enrollment"
    enrollment = Enrollment.objects.get(membership=world.learner, course=published)
    assert (enrollment.status, enrollment.method, enrollment.created_by) == (
        Status.ACTIVE,
        Method.SELF,
        world.learner.user,
    )
    html = client.get(response["Location"]).content.decode()
    assert messages_of(html) == ["You are enrolled in Fire safety."]
    panel = panel_of(html)
    assert re.search(r'<progress class="enroll-progress" max="100" value="0" aria-valuenow="0"', panel)
    assert f'href="{reverse("progress:resume", args=[published.pk])}">Start</a>' in panel
    assert "Leave this course" in panel


def test_an_active_learner_sees_continue_their_due_date_and_progress(
    client: Client, world: World, published: Course
) -> None:
    options(published, default_due_days=30)
    enrollment = services.enrollment_self(course=published, by=world.learner.user)
    first = versions.activities(published.published_version.snapshot)[0]["uid"]  # type: ignore[union-attr]
    progress_services.activity_mark_complete(
        enrollment=enrollment, activity_uid=uuid.UUID(first), by=world.instructor.user, reason="Attended"
    )
    panel = panel_of(signed_in(client, world.learner).get(course_page(published)).content.decode())
    assert 'aria-valuenow="33"' in panel and "33% complete" in panel
    assert ">Continue</a>" in panel
    assert "Due" in panel and f'datetime="{enrollment.due_at.isoformat()[:10]}' in panel  # type: ignore[union-attr]


def test_a_course_that_needs_approval_takes_a_request_with_a_note_which_can_be_withdrawn(
    client: Client, world: World, published: Course
) -> None:
    options(published, self_enrollment=SelfEnrollment.APPROVAL)
    signed_in(client, world.learner)
    panel = panel_of(client.get(course_page(published)).content.decode())
    assert "Request a place" in panel and '<label for="enroll-note">' in panel
    client.post(reverse("enrollment:enroll", args=[published.pk]), {"note": "For my new role."})
    enrollment = Enrollment.objects.get(membership=world.learner, course=published)
    assert (enrollment.status, enrollment.request_note) == (Status.PENDING, "For my new role.")
    html = client.get(course_page(published)).content.decode()
    assert "sent for approval" in messages_of(html)[0]
    assert "Waiting for approval" in panel_of(html) and "Withdraw my request" in panel_of(html)
    left = client.post(reverse("enrollment:leave", args=[published.pk]))
    assert left.status_code == 303
    enrollment.refresh_from_db()
    assert enrollment.status == Status.WITHDRAWN
    assert "Request a place" in panel_of(client.get(course_page(published)).content.decode())


def test_a_wrong_enrollment_key_is_shown_beside_the_field(client: Client, world: World, published: Course) -> None:
    options(published, enrollment_key="blue-fox")
    signed_in(client, world.learner)
    assert '<label for="enroll-key">' in panel_of(client.get(course_page(published)).content.decode())
    client.post(reverse("enrollment:enroll", args=[published.pk]), {"key": "red-fox"})
    panel = panel_of(client.get(course_page(published)).content.decode())
    assert 'aria-describedby="enroll-key-help enroll-key-error" aria-invalid="true"' in panel
    assert '<ul class="errorlist" id="enroll-key-error"><li>That enrollment key is not right.</li></ul>' in panel
    assert not Enrollment.objects.filter(membership=world.learner).exists()
    # Shown once: the next visit starts clean.
    assert "enroll-key-error" not in panel_of(client.get(course_page(published)).content.decode())
    client.post(reverse("enrollment:enroll", args=[published.pk]), {"key": "blue-fox"})
    assert Enrollment.objects.get(membership=world.learner).status == Status.ACTIVE


def test_a_full_course_offers_its_waiting_list_with_the_learners_place_on_it(
    client: Client, world: World, published: Course
) -> None:
    options(published, capacity=1)
    services.enrollment_self(course=published, by=world.engineer.user)
    services.enrollment_self(course=published, by=world.report.user)  # first on the waiting list
    signed_in(client, world.learner)
    assert "Join the waiting list" in panel_of(client.get(course_page(published)).content.decode())
    client.post(reverse("enrollment:enroll", args=[published.pk]))
    html = client.get(course_page(published)).content.decode()
    assert "you are on the waiting list" in messages_of(html)[0]
    panel = panel_of(html)
    assert "You are number 2 on the waiting list." in panel and "Leave the waiting list" in panel


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"self_enrollment": SelfEnrollment.CLOSED}, "This course is open by assignment only: ask your manager."),
        ({"opens_at": clock.now() + dt.timedelta(days=3)}, "Enrollment opens on"),
        ({"closes_at": clock.now() - dt.timedelta(days=3)}, "Enrollment closed on"),
        ({"capacity": 0, "waitlist": False}, "This course is full."),
    ],
    ids=["closed", "not-open-yet", "closed-window", "full-without-waiting-list"],
)
def test_the_panel_says_why_a_learner_cannot_enroll(
    client: Client, world: World, published: Course, fields: dict[str, Any], reason: str
) -> None:
    options(published, **fields)
    signed_in(client, world.learner)
    panel = panel_of(client.get(course_page(published)).content.decode())
    assert reason in panel and "<form" not in panel
    response = client.post(reverse("enrollment:enroll", args=[published.pk]))
    assert response.status_code == 303
    assert reason in messages_of(client.get(course_page(published)).content.decode())[0]
    assert not Enrollment.objects.filter(membership=world.learner).exists()


def test_a_completed_course_shows_the_date_the_score_and_a_way_back_in(
    client: Client, world: World, published: Course
) -> None:
    enrollment = services.enrollment_self(course=published, by=world.learner.user)
    for activity in versions.activities(published.published_version.snapshot):  # type: ignore[union-attr]
        progress_services.activity_mark_complete(
            enrollment=enrollment, activity_uid=uuid.UUID(activity["uid"]), by=world.instructor.user, reason="Done"
        )
    Enrollment.objects.filter(pk=enrollment.pk).update(score=Decimal("87.50"))
    enrollment.refresh_from_db()
    assert enrollment.status == Status.COMPLETED
    panel = panel_of(signed_in(client, world.learner).get(course_page(published)).content.decode())
    assert "Completed" in panel and "Completed on" in panel and "87.5%" in panel
    assert f'href="{reverse("progress:resume", args=[published.pk])}">Review course</a>' in panel
    assert "Leave" not in panel


def test_an_assigned_learner_cannot_leave_on_their_own(client: Client, world: World, published: Course) -> None:
    services.enrollment_create(course=published, membership=world.learner, by=world.org_admin.user)
    signed_in(client, world.learner)
    assert "Leave this course" not in panel_of(client.get(course_page(published)).content.decode())
    client.post(reverse("enrollment:leave", args=[published.pk]))
    assert Enrollment.objects.get(membership=world.learner).status == Status.ACTIVE
    html = client.get(course_page(published)).content.decode()
    assert messages_of(html) == ["You were enrolled in this course by someone else: ask them to remove you."]


def test_leaving_keeps_the_row_as_history_and_the_course_can_be_rejoined(
    client: Client, world: World, published: Course
) -> None:
    signed_in(client, world.learner)
    client.post(reverse("enrollment:enroll", args=[published.pk]))
    client.post(reverse("enrollment:leave", args=[published.pk]))
    assert messages_of(client.get(course_page(published)).content.decode()) == [
        "You are enrolled in Fire safety.",
        "You have left Fire safety. Your progress so far is kept.",
    ]
    client.post(reverse("enrollment:enroll", args=[published.pk]))
    assert list(
        Enrollment.objects.filter(membership=world.learner).order_by("pk").values_list("status", flat=True)
    ) == [Status.WITHDRAWN, Status.ACTIVE]


def test_the_course_team_sees_no_enroll_panel(client: Client, world: World, published: Course) -> None:
    html = signed_in(client, world.instructor).get(course_page(published)).content.decode()
    assert panel_of(html) == "" and "Open the first activity" in html


# --- attacks -------------------------------------------------------------------------------------------------------


def test_another_organisation_cannot_enroll_or_leave(client: Client, world: World, published: Course) -> None:
    signed_in(client, world.outsider)
    assert client.post(reverse("enrollment:enroll", args=[published.pk])).status_code == 404
    assert client.post(reverse("enrollment:leave", args=[published.pk])).status_code == 404
    assert not Enrollment.objects.exists()


def test_a_course_not_shown_to_the_learner_cannot_be_enrolled_in(
    client: Client, world: World, published: Course
) -> None:
    hidden_from_learner = Audience.objects.create(organization=world.org, name="Engineers only")
    Course.objects.filter(pk=published.pk).update(visibility=Visibility.AUDIENCE, audience=hidden_from_learner)
    signed_in(client, world.learner)
    assert client.post(reverse("enrollment:enroll", args=[published.pk])).status_code == 404
    assert not Enrollment.objects.exists()


def test_leaving_takes_only_the_persons_own_enrollment(client: Client, world: World, published: Course) -> None:
    other = services.enrollment_self(course=published, by=world.engineer.user)
    signed_in(client, world.learner)
    client.post(reverse("enrollment:leave", args=[published.pk]))
    other.refresh_from_db()
    assert other.status == Status.ACTIVE
    assert messages_of(client.get(course_page(published)).content.decode()) == ["You are not enrolled in this course."]


def test_enrolling_and_leaving_are_posts_with_a_csrf_token(world: World, published: Course) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.learner.user)
    assert client.get(reverse("enrollment:enroll", args=[published.pk])).status_code == 405
    assert client.post(reverse("enrollment:enroll", args=[published.pk])).status_code == 403
    assert client.post(reverse("enrollment:leave", args=[published.pk])).status_code == 403
    assert not Enrollment.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, published: Course) -> None:
    response = client.post(reverse("enrollment:enroll", args=[published.pk]))
    assert response.status_code == 302 and reverse("accounts:sign-in") in response["Location"]


# --- cost ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona_state", ["none", "waitlisted", "active"])
def test_the_course_page_with_its_panel_costs_the_same_with_3_or_30_others_enrolled(
    client: Client, world: World, published: Course, django_assert_max_num_queries: Any, persona_state: str
) -> None:
    options(published, capacity=1)
    services.enrollment_self(course=published, by=world.engineer.user)  # takes the only place

    def others(count: int) -> None:
        for _ in range(count):
            person = MembershipFactory(organization=world.org, org_unit=world.hq)
            services.enrollment_self(course=published, by=person.user)

    if persona_state == "active":
        EnrollmentOptions.objects.filter(course=published).update(capacity=None)
        services.enrollment_self(course=published, by=world.learner.user)
        EnrollmentOptions.objects.filter(course=published).update(capacity=1)
    others(3)
    if persona_state == "waitlisted":
        services.enrollment_self(course=published, by=world.learner.user)
    signed_in(client, world.learner)
    client.get(course_page(published))
    with django_assert_max_num_queries(30) as measured:
        assert client.get(course_page(published)).status_code == 200
    others(27)
    with django_assert_max_num_queries(len(measured.captured_queries)):
        html = client.get(course_page(published)).content.decode()
    expected = {"none": "Join the waiting list", "waitlisted": "You are number 4", "active": "Start"}[persona_state]
    assert expected in panel_of(html)
