"""What enrollment tells people: requests waiting for approval reach the requester's manager and the course team,
decisions, assignments and places from the waiting list reach the learner, course messages reach each participant
alone. Nobody else hears, nothing is told twice, and a failing notification never fails the enrollment."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from syllabus.accounts.models import Membership, User
from syllabus.audit import services as audit_services
from syllabus.catalog.models import Course
from syllabus.enrollment import events, messaging, notifying, services
from syllabus.enrollment.models import Enrollment, Method, SelfEnrollment, Status
from syllabus.notifications import rendering
from syllabus.notifications import services as notification_services
from syllabus.notifications import types as registry
from syllabus.notifications.models import Notification
from tests.conftest import World
from tests.factories import MembershipFactory, grant

pytestmark = pytest.mark.django_db

APPROVALS = reverse("enrollment:approvals")


def inbox(who: Membership | User, type_key: str | None = None) -> list[Notification]:
    user = who.user if isinstance(who, Membership) else who
    rows = Notification.objects.filter(recipient=user).order_by("pk")
    if type_key is not None:
        rows = rows.filter(type_key=type_key)
    return list(rows)


def told(type_key: str) -> set[int]:
    return set(Notification.objects.filter(type_key=type_key).values_list("recipient_id", flat=True))


def course_url(course: Course) -> str:
    return reverse("catalog:course", args=[course.pk])


@pytest.fixture
def approval_course(world: World, published: Course) -> Course:
    services.options_update(course=published, by=world.instructor.user, self_enrollment=SelfEnrollment.APPROVAL)
    return published


@pytest.fixture
def other_manager(world: World) -> Membership:
    """Manages someone, but nobody in the requester's line."""
    boss = MembershipFactory(organization=world.org, org_unit=world.engineering, user__display_name="Bea Boss")
    Membership.objects.filter(pk=world.engineer.pk).update(manager=boss)
    return boss


# --- the types themselves ------------------------------------------------------------------------------------------


def test_every_type_is_registered_in_its_category_with_wording_that_uses_exactly_its_placeholders() -> None:
    keys = {kind.key for kind in notifying.TYPES}
    assert keys == {
        notifying.APPROVAL_REQUESTED,
        notifying.REQUEST_APPROVED,
        notifying.REQUEST_DECLINED,
        notifying.ASSIGNED,
        notifying.PROMOTED,
        notifying.COURSE_MESSAGE,
    }
    for kind in notifying.TYPES:
        assert registry.get(kind.key) == kind
        assert str(kind.category) == "Enrollment"
        wording = f"{kind.subject} {kind.body}"
        assert rendering.template_errors(str(kind.subject), kind) == []
        assert rendering.template_errors(str(kind.body), kind) == []
        assert set(rendering.PLACEHOLDER.findall(wording)) == set(kind.placeholders), kind.key
        for placeholder in kind.placeholders.values():
            assert str(placeholder.label) and str(placeholder.sample)


# --- requests waiting for approval ------------------------------------------------------------------------------


def test_a_request_tells_the_requesters_manager_and_the_course_team_and_nobody_else(
    world: World, approval_course: Course, other_manager: Membership, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = services.enrollment_self(course=approval_course, by=world.report.user, note="For my new role")
    assert told(notifying.APPROVAL_REQUESTED) == {world.manager.user.pk, world.instructor.user.pk}
    for person in (world.report, other_manager, world.org_admin, world.learner, world.outsider):
        assert inbox(person) == []
    (notice,) = inbox(world.manager)
    assert notice.subject == "Rita Report asks for a place in Fire safety"
    assert "“For my new role”" in notice.body and "approvals page" in notice.body
    assert notice.url == APPROVALS and notice.organization_id == world.org.pk and notice.in_app
    assert notice.dedupe_key == f"enrollment:{enrollment.pk}:requested"


def test_only_the_nearest_manager_is_told_and_one_who_has_left_is_skipped(
    world: World, approval_course: Course, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.enrollment_self(course=approval_course, by=world.indirect_report.user)
    assert told(notifying.APPROVAL_REQUESTED) == {world.report.user.pk, world.instructor.user.pk}

    Membership.objects.filter(pk=world.report.pk).update(is_active=False)
    services.options_update(course=approval_course, by=world.instructor.user, self_enrollment=SelfEnrollment.APPROVAL)
    # Ivan's direct manager left: the request goes up to hers.
    learner = MembershipFactory(organization=world.org, manager=world.report, user__display_name="Nia New")
    with django_capture_on_commit_callbacks(execute=True):
        services.enrollment_self(course=approval_course, by=learner.user)
    assert [n.subject for n in inbox(world.manager)] == ["Nia New asks for a place in Fire safety"]


def test_a_request_without_a_note_reads_cleanly(
    world: World, approval_course: Course, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.enrollment_self(course=approval_course, by=world.report.user)
    (notice,) = inbox(world.manager)
    assert notice.body.endswith("on your approvals page.")


# --- decisions ---------------------------------------------------------------------------------------------------


def test_an_approval_tells_the_learner_with_a_link_to_the_course(
    world: World, approval_course: Course, django_capture_on_commit_callbacks: Any
) -> None:
    enrollment = services.enrollment_self(course=approval_course, by=world.report.user)
    with django_capture_on_commit_callbacks(execute=True):
        services.enrollment_approve(enrollment=enrollment, by=world.manager.user)
    assert told(notifying.REQUEST_APPROVED) == {world.report.user.pk}
    (notice,) = inbox(world.report)
    assert notice.subject == "Your request for a place in Fire safety was approved"
    assert notice.body == (
        "Max Manager approved your request for a place in Fire safety.\n\nYou have a place: open the course to start."
    )
    assert notice.url == course_url(approval_course)
    assert not Notification.objects.filter(type_key=notifying.REQUEST_APPROVED).exclude(recipient=world.report.user)


def test_an_approval_into_a_full_course_says_the_learner_is_on_the_waiting_list(
    world: World, approval_course: Course, django_capture_on_commit_callbacks: Any
) -> None:
    services.options_update(course=approval_course, by=world.instructor.user, capacity=1, waitlist=True)
    services.enrollment_create(course=approval_course, membership=world.learner, by=world.instructor.user)
    enrollment = services.enrollment_self(course=approval_course, by=world.report.user)
    with django_capture_on_commit_callbacks(execute=True):
        approved = services.enrollment_approve(enrollment=enrollment, by=world.manager.user)
    assert approved.status == Status.WAITLISTED
    (notice,) = inbox(world.report, notifying.REQUEST_APPROVED)
    assert notice.body.endswith(
        "The course is full, so you are on its waiting list: you will be notified when a place frees up."
    )
    assert "You have a place" not in notice.body


def test_a_decline_tells_the_learner_the_reason(
    world: World, approval_course: Course, django_capture_on_commit_callbacks: Any
) -> None:
    enrollment = services.enrollment_self(course=approval_course, by=world.report.user)
    reason = "The spring session is for shift leaders; the autumn one has room for you."
    with django_capture_on_commit_callbacks(execute=True):
        services.enrollment_decline(enrollment=enrollment, by=world.instructor.user, reason=reason)
    assert told(notifying.REQUEST_DECLINED) == {world.report.user.pk}
    (notice,) = inbox(world.report)
    assert notice.subject == "Your request for a place in Fire safety was declined"
    assert "Ingrid Instructor declined" in notice.body and f"Their reason: {reason}" in notice.body
    assert not Notification.objects.filter(type_key=notifying.REQUEST_APPROVED).exists()


# --- assignments -------------------------------------------------------------------------------------------------


def test_an_assignment_tells_the_learner_with_the_due_date_in_their_time_zone(
    world: World, published: Course, django_capture_on_commit_callbacks: Any
) -> None:
    User.objects.filter(pk=world.report.user.pk).update(time_zone="America/New_York")
    due = dt.datetime(2031, 1, 15, 18, 30, tzinfo=dt.UTC)
    with django_capture_on_commit_callbacks(execute=True):
        services.enrollment_create(course=published, membership=world.report, by=world.manager.user, due_at=due)
    assert told(notifying.ASSIGNED) == {world.report.user.pk}
    (notice,) = inbox(world.report)
    assert notice.subject == "You have been enrolled in Fire safety"
    # 18:30 UTC is 13:30 in New York: the same day; the date only, no hour nor zone.
    assert (
        notice.body
        == "Max Manager enrolled you in Fire safety. Open the course to start.\n\nIt is due on Jan. 15, 2031."
    )
    assert notice.url == course_url(published)
    assert inbox(world.manager) == []


def test_the_due_date_is_the_day_in_the_learners_time_zone(
    world: World, published: Course, django_capture_on_commit_callbacks: Any
) -> None:
    User.objects.filter(pk=world.report.user.pk).update(time_zone="America/Los_Angeles")
    # Early on the 16th in UTC is still the 15th in California.
    due = dt.datetime(2031, 1, 16, 3, 0, tzinfo=dt.UTC)
    with django_capture_on_commit_callbacks(execute=True):
        services.enrollment_create(course=published, membership=world.report, by=world.manager.user, due_at=due)
    (notice,) = inbox(world.report)
    assert notice.body.endswith("It is due on Jan. 15, 2031.")
    assert "a.m." not in notice.body and "p.m." not in notice.body and "(" not in notice.body


def test_an_assignment_without_a_due_date_leaves_the_due_date_out(
    world: World, published: Course, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.enrollment_create(course=published, membership=world.learner, by=world.instructor.user)
    (notice,) = inbox(world.learner)
    assert notice.body == "Ingrid Instructor enrolled you in Fire safety. Open the course to start."
    assert "due" not in notice.body.lower() and "none" not in notice.body


def test_an_assignment_whose_due_date_has_passed_says_it_is_overdue(
    world: World, published: Course, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = services.enrollment_create(
            course=published,
            membership=world.learner,
            by=world.instructor.user,
            due_at=dt.datetime(2031, 1, 1, tzinfo=dt.UTC),
        )
        # Backdated before the notice goes (as the demo does): by the time it is sent, the date has passed.
        Enrollment.objects.filter(pk=enrollment.pk).update(due_at=dt.datetime(2024, 3, 5, 12, 0, tzinfo=dt.UTC))
    (notice,) = inbox(world.learner)
    assert notice.body.endswith("It was due on March 5, 2024: it is overdue.")


def test_the_due_sentence_is_written_in_the_learners_language(world: World) -> None:
    learner = world.learner.user
    learner.locale = "fr"
    sentence = notifying.due_sentence(
        dt.datetime(2031, 1, 15, 12, tzinfo=dt.UTC),
        user=learner,
        organization=world.org,
        now=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
    )
    assert "15 janvier 2031" in sentence
    assert (
        notifying.due_sentence(None, user=learner, organization=world.org, now=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
        == ""
    )


def test_enrolling_oneself_tells_nobody(
    world: World, published: Course, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.enrollment_self(course=published, by=world.learner.user)
    assert not Notification.objects.exists()


def test_a_rule_speaks_for_the_organisation(
    world: World, published: Course, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.enrollments_bulk_create(
            course=published, memberships=[world.learner], by=world.org_admin.user, method=Method.AUDIENCE
        )
    (notice,) = inbox(world.learner)
    assert notice.body.startswith("Acme Health enrolled you in Fire safety.")


@pytest.mark.parametrize("size", [5, 50])
def test_a_bulk_assignment_tells_each_learner_in_a_constant_number_of_queries(
    world: World, published: Course, django_assert_max_num_queries: Any, size: int
) -> None:
    def assign(people: list[Membership]) -> events.EnrollmentsCreated:
        result = services.enrollments_bulk_create(
            course=published, memberships=people, by=world.org_admin.user, method=Method.ADMIN
        )
        return events.EnrollmentsCreated(
            organization_id=world.org.pk,
            course_id=published.pk,
            enrollment_ids=tuple(result.created),
            method=Method.ADMIN,
            actor_id=world.org_admin.user.pk,
        )

    first = [MembershipFactory(organization=world.org) for _ in range(3)]
    with CaptureQueriesContext(connection) as baseline:
        notifying.on_enrollments_created(assign(first))
    many = [MembershipFactory(organization=world.org) for _ in range(size)]
    event = assign(many)
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        notifying.on_enrollments_created(event)
    assert told(notifying.ASSIGNED) == {m.user_id for m in first + many}
    assert Notification.objects.filter(type_key=notifying.ASSIGNED).count() == size + 3
    assert all("Olivia Admin enrolled you in Fire safety." in n.body for n in Notification.objects.all())


def test_a_place_on_the_waiting_list_tells_nothing_until_it_is_given(
    world: World, published: Course, django_capture_on_commit_callbacks: Any
) -> None:
    services.options_update(course=published, by=world.instructor.user, capacity=1, waitlist=True)
    with django_capture_on_commit_callbacks(execute=True):
        lena = services.enrollment_create(course=published, membership=world.learner, by=world.instructor.user)
        eddie = services.enrollment_create(course=published, membership=world.engineer, by=world.instructor.user)
    assert eddie.status == Status.WAITLISTED
    assert told(notifying.ASSIGNED) == {world.learner.user.pk}
    assert inbox(world.engineer) == []
    with django_capture_on_commit_callbacks(execute=True):
        services.enrollment_withdraw(enrollment=lena, by=world.instructor.user, reason="Left the team")
    (notice,) = inbox(world.engineer)
    assert notice.type_key == notifying.PROMOTED
    assert notice.subject == "You have a place in Fire safety" and notice.url == course_url(published)


# --- once, and never in the way ----------------------------------------------------------------------------------


def test_an_event_handled_twice_tells_once(world: World, published: Course, approval_course: Course) -> None:
    request = services.enrollment_self(course=approval_course, by=world.report.user)
    event = events.EnrollmentCreated(
        organization_id=world.org.pk,
        enrollment_id=request.pk,
        membership_id=world.report.pk,
        course_id=approval_course.pk,
        status=Status.PENDING,
        method=Method.SELF,
        actor_id=world.report.user.pk,
        due_at=None,
    )
    notifying.on_enrollment_created(event)
    notifying.on_enrollment_created(event)
    assert len(inbox(world.manager)) == 1 and len(inbox(world.instructor)) == 1


def test_a_decided_request_tells_no_approver(
    world: World, approval_course: Course, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        request = services.enrollment_self(course=approval_course, by=world.report.user)
        # Decided before the request's handlers ran (the same transaction): nothing waits for the approvers.
        services.enrollment_approve(enrollment=request, by=world.manager.user)
    assert not Notification.objects.filter(type_key=notifying.APPROVAL_REQUESTED).exists()
    assert told(notifying.REQUEST_APPROVED) == {world.report.user.pk}


def test_a_failing_notification_does_not_fail_the_enrollment(
    world: World,
    published: Course,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Any,
) -> None:
    def broken(notices: Any) -> list[Notification]:
        raise RuntimeError("the notifications table is on fire")

    monkeypatch.setattr(notification_services, "notify_many", broken)
    with (
        caplog.at_level(logging.ERROR, logger="syllabus.notifications.services"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        enrollment = services.enrollment_create(course=published, membership=world.report, by=world.manager.user)
    assert enrollment.pk is not None and enrollment.status == Status.ACTIVE
    assert "notifications not sent for EnrollmentCreated" in caplog.text and "on fire" in caplog.text
    assert not Notification.objects.exists()


# --- course messages ---------------------------------------------------------------------------------------------


def test_a_course_message_reaches_each_participant_alone_in_app_and_by_email(
    world: World, published: Course, django_capture_on_commit_callbacks: Any
) -> None:
    ids = [
        services.enrollment_create(course=published, membership=person, by=world.instructor.user).pk
        for person in (world.learner, world.engineer)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        message = services.course_message_send(
            course=published,
            by=world.instructor.user,
            subject="Room change",
            body="We meet in B12.",
            enrollment_ids=ids,
        )
    assert told(notifying.COURSE_MESSAGE) == {world.learner.user.pk, world.engineer.user.pk}
    notice = inbox(world.learner)[0]
    assert notice.subject == "Fire safety: Room change"
    assert notice.body == "We meet in B12.\n\n— Ingrid Instructor, Fire safety"
    assert notice.in_app and notice.dedupe_key == f"course-message:{message.pk}"
    assert sorted(m.to[0] for m in mail.outbox) == sorted([world.learner.user.email, world.engineer.user.email])
    for email in mail.outbox:
        assert len(email.to) == 1 and not email.cc and not email.bcc
        assert email.subject == "Fire safety: Room change" and "We meet in B12." in email.body
    assert inbox(world.instructor) == [] and inbox(world.outsider) == []
    # The worker running the task again (a retry) tells nobody twice.
    assert messaging.deliver(message.pk) == 0
    assert len(mail.outbox) == 2


def test_a_participant_who_turned_off_course_message_emails_reads_it_in_the_centre(
    world: World, published: Course, django_capture_on_commit_callbacks: Any
) -> None:
    notification_services.preferences_update(
        user=world.learner.user,
        organization=world.org,
        changes=[notification_services.PreferenceChange(notifying.COURSE_MESSAGE, "email", enabled=False)],
    )
    enrollment = services.enrollment_create(course=published, membership=world.learner, by=world.instructor.user)
    with django_capture_on_commit_callbacks(execute=True):
        services.course_message_send(
            course=published,
            by=world.instructor.user,
            subject="Room change",
            body="B12.",
            enrollment_ids=[enrollment.pk],
        )
    assert [n.subject for n in inbox(world.learner)] == ["Fire safety: Room change"]
    assert mail.outbox == []


# --- the review's fixes: settled requests, erasure, the learner's words, who the type concerns ---------------------


def unread(who: Membership, type_key: str) -> list[Notification]:
    return [n for n in inbox(who, type_key) if n.read_at is None]


@pytest.mark.parametrize("decision", ["approve", "decline", "withdraw"])
def test_a_decided_or_withdrawn_request_is_marked_read_for_every_approver(
    world: World, approval_course: Course, django_capture_on_commit_callbacks: Any, decision: str
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        request = services.enrollment_self(course=approval_course, by=world.report.user, note="For my new role")
        other = services.enrollment_self(course=approval_course, by=world.indirect_report.user)
    assert len(unread(world.instructor, notifying.APPROVAL_REQUESTED)) == 2
    with django_capture_on_commit_callbacks(execute=True):
        if decision == "approve":
            services.enrollment_approve(enrollment=request, by=world.manager.user)
        elif decision == "decline":
            services.enrollment_decline(enrollment=request, by=world.manager.user, reason="Not this term")
        else:
            services.enrollment_withdraw(enrollment=request, by=world.report.user)
    # The instructor did not decide, yet the request no longer waits for them; nor for the manager.
    assert [n.dedupe_key for n in unread(world.instructor, notifying.APPROVAL_REQUESTED)] == [
        f"enrollment:{other.pk}:requested"
    ]
    assert unread(world.manager, notifying.APPROVAL_REQUESTED) == []
    # The other request still waits for its approvers.
    assert len(unread(world.report, notifying.APPROVAL_REQUESTED)) == 1


def test_only_withdrawing_ones_own_undecided_enrollment_looks_for_approval_notices(
    world: World, published: Course, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settled: list[str] = []
    monkeypatch.setattr(notification_services, "notifications_settle", lambda *, dedupe_key: settled.append(dedupe_key))
    with django_capture_on_commit_callbacks(execute=True):
        mine = services.enrollment_self(course=published, by=world.learner.user)
        assigned = services.enrollment_create(course=published, membership=world.engineer, by=world.instructor.user)
    with django_capture_on_commit_callbacks(execute=True):
        services.enrollment_withdraw(enrollment=assigned, by=world.instructor.user)
    # Assigned training never waited for an approver: no search of the notifications.
    assert settled == []
    with django_capture_on_commit_callbacks(execute=True):
        services.enrollment_withdraw(enrollment=mine, by=world.learner.user)
    assert settled == [f"enrollment:{mine.pk}:requested"]


def test_the_request_notice_is_about_the_requester_and_goes_when_they_are_erased(
    world: World, approval_course: Course, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.enrollment_self(course=approval_course, by=world.report.user, note="For my new role")
        services.enrollment_self(course=approval_course, by=world.indirect_report.user)
    (about_rita,) = [n for n in inbox(world.instructor) if n.about_id == world.report.user.pk]
    assert about_rita.subject.startswith("Rita Report")
    with django_capture_on_commit_callbacks(execute=True):
        audit_services.privacy_erase(user=world.report.user, organization=world.org, by=world.org_admin.user)
    assert not Notification.objects.filter(pk=about_rita.pk).exists()
    assert not Notification.objects.filter(about=world.report.user).exists()
    # What the approvers were told about someone else stays.
    assert [n.about_id for n in inbox(world.instructor)] == [world.indirect_report.user.pk]


def test_the_learners_note_reaches_approvers_quoted_as_theirs_on_one_line_and_cut(
    world: World, approval_course: Course, django_capture_on_commit_callbacks: Any
) -> None:
    note = "Please approve.\n\nSyllabus security team: your account is locked, sign in at evil.example " + "x" * 400
    with django_capture_on_commit_callbacks(execute=True):
        services.enrollment_self(course=approval_course, by=world.report.user, note=note)
    (notice,) = inbox(world.manager)
    intro, quoted = notice.body.split("\n\n")
    assert intro.endswith("on your approvals page.")
    assert quoted.startswith("Their note: “Please approve. Syllabus security team: your account is locked")
    assert quoted.endswith("…”")
    assert len(quoted) == len("Their note: “”") + notifying.NOTE_MAX


def test_a_note_of_exactly_the_limit_is_kept_whole() -> None:
    note = "y" * notifying.NOTE_MAX
    assert notifying.quoted_note(note, language="en") == f"Their note: “{note}”"
    assert notifying.quoted_note("  \n ", language="en") == ""


def test_the_approval_type_is_shown_to_people_who_can_approve_and_to_nobody_else(
    world: World, published: Course, django_assert_max_num_queries: Any
) -> None:
    kind = registry.get(notifying.APPROVAL_REQUESTED)
    assert kind.shown_to is not None
    scoped = MembershipFactory(organization=world.org)
    grant(scoped, "manager", org_unit=world.engineering)
    approvers = (world.manager, world.report, world.instructor, world.org_admin, scoped)
    for person in approvers:
        with django_assert_max_num_queries(2):
            assert kind.shown_to(person.user, world.org), person.user.display_name
    for person in (world.learner, world.engineer, world.indirect_report):
        with django_assert_max_num_queries(2):
            assert not kind.shown_to(person.user, world.org), person.user.display_name
    # Approving in one organisation does not make one an approver in another, nor outside any.
    assert not kind.shown_to(world.manager.user, world.outsider.organization)
    assert not kind.shown_to(world.manager.user, None)
    assert not kind.shown_to(world.outsider.user, world.org)


def test_a_course_message_email_replies_to_its_sender(
    world: World, published: Course, django_capture_on_commit_callbacks: Any
) -> None:
    enrollment = services.enrollment_create(course=published, membership=world.learner, by=world.instructor.user)
    with django_capture_on_commit_callbacks(execute=True):
        services.course_message_send(
            course=published,
            by=world.instructor.user,
            subject="Room change",
            body="B12.",
            enrollment_ids=[enrollment.pk],
        )
    (notice,) = inbox(world.learner)
    assert notice.reply_to == world.instructor.user.email
    # Other notices are not answered by a person: replies go nowhere rather than to a stranger.
    with django_capture_on_commit_callbacks(execute=True):
        services.enrollment_create(course=published, membership=world.engineer, by=world.instructor.user)
    assert inbox(world.engineer)[0].reply_to == ""


def test_the_course_page_promises_a_notification_not_an_email(
    client: Client, world: World, approval_course: Course
) -> None:
    services.enrollment_self(course=approval_course, by=world.report.user)
    client.force_login(world.report.user)
    html = client.get(course_url(approval_course)).content.decode()
    assert "You will be notified when it is decided." in html
    assert "get an email" not in html
