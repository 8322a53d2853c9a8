"""Enrollment options and messages to participants, through the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from syllabus.enrollment import services
from syllabus.enrollment.models import CourseMessage, EnrollmentOptions, SelfEnrollment, Status
from tests.conftest import World
from tests.factories import MembershipFactory, staff

pytestmark = pytest.mark.django_db


def url(name: str, *args: Any) -> str:
    return reverse(f"enrollment:{name}", args=args)


@pytest.fixture
def owner(client: Client, world: World) -> Client:
    client.force_login(world.instructor.user)
    return client


def options_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "self_enrollment": "open",
        "capacity": "",
        "waitlist": "on",
        "opens_at": "",
        "closes_at": "",
        "enrollment_key": "",
        "default_due_days": "",
    }
    data.update(overrides)
    return data


# --- options -----------------------------------------------------------------------------------------------------


def test_the_owner_sets_approval_capacity_key_and_due_days(owner, world, published):
    response = owner.post(
        url("options", published.pk),
        options_data(self_enrollment="approval", capacity="2", enrollment_key=" blue-door ", default_due_days="30"),
    )
    assert response.status_code == 302
    options = EnrollmentOptions.objects.get(course=published)
    assert options.self_enrollment == SelfEnrollment.APPROVAL and options.capacity == 2 and options.waitlist
    assert options.enrollment_key == "blue-door" and options.default_due_days == 30


def test_the_window_is_read_in_the_persons_time_zone(owner, world, published):
    user = world.instructor.user
    user.time_zone = "Europe/Paris"
    user.save()
    owner.post(url("options", published.pk), options_data(opens_at="2030-03-01T09:00", closes_at="2030-03-31T18:00"))
    options = EnrollmentOptions.objects.get(course=published)
    assert options.opens_at == dt.datetime(2030, 3, 1, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))
    page = owner.get(url("options", published.pk))
    assert 'value="2030-03-01T09:00"' in page.content.decode()


def test_a_window_that_closes_before_it_opens_is_refused(owner, world, published):
    response = owner.post(
        url("options", published.pk), options_data(opens_at="2030-03-31T09:00", closes_at="2030-03-01T09:00")
    )
    assert response.status_code == 400 and services.WINDOW_ORDER in response.content.decode()
    assert not EnrollmentOptions.objects.filter(course=published, opens_at__isnull=False).exists()


def test_the_page_shows_seats_taken_and_the_waiting_list_in_order(owner, world, published):
    services.options_update(course=published, by=world.instructor.user, capacity=1, waitlist=True)
    first, second, third = (MembershipFactory(organization=world.org, user__display_name=n) for n in ("A1", "B2", "C3"))
    for person in (first, second, third):
        services.enrollment_create(course=published, membership=person, by=world.instructor.user)
    response = owner.get(url("options", published.pk))
    html = response.content.decode()
    assert "1 of 1 places taken" in html
    assert [e.membership.user.display_name for e in response.context["waiting"]] == ["B2", "C3"]
    # Raising the capacity promotes the first on the list.
    owner.post(url("options", published.pk), options_data(capacity="2"))
    assert [e.membership.user.display_name for e in owner.get(url("options", published.pk)).context["waiting"]] == [
        "C3"
    ]


def test_only_the_owner_or_enrollment_admins_edit_options(client, world, published):
    editor = MembershipFactory(organization=world.org)
    staff(published, editor, "editor")
    client.force_login(editor.user)
    assert client.get(url("options", published.pk)).status_code == 403
    assert client.post(url("options", published.pk), options_data(capacity="5")).status_code == 403
    client.force_login(world.org_admin.user)
    assert client.post(url("options", published.pk), options_data(capacity="5")).status_code == 302
    assert EnrollmentOptions.objects.get(course=published).capacity == 5


@pytest.mark.parametrize("count", [3, 30])
def test_the_options_page_keeps_a_constant_number_of_queries(
    owner, world, published, django_assert_max_num_queries, count
):
    services.options_update(course=published, by=world.instructor.user, capacity=1)
    for person in [MembershipFactory(organization=world.org) for _ in range(count)]:
        services.enrollment_create(course=published, membership=person, by=world.instructor.user)
    owner.get(url("options", published.pk))
    with django_assert_max_num_queries(18):
        response = owner.get(url("options", published.pk))
    assert len(response.context["waiting"]) == count - 1


# --- messages ----------------------------------------------------------------------------------------------------


def test_a_message_to_everyone_is_emailed_to_each_participant(
    owner, world, published, django_capture_on_commit_callbacks
):
    for person in (world.learner, world.engineer):
        services.enrollment_create(course=published, membership=person, by=world.instructor.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(
            url("message", published.pk), {"to": "everyone", "subject": "Room change", "body": "We meet in B12."}
        )
    assert response.status_code == 302
    assert sorted(m.to[0] for m in mail.outbox) == sorted([world.learner.user.email, world.engineer.user.email])
    assert all("Room change" in m.subject for m in mail.outbox)
    page = owner.get(url("message", published.pk))
    assert [(m.subject, m.recipient_count) for m in page.context["sent"]] == [("Room change", 2)]
    # The page promises what happens: notified as each person chose (not always by email), replies to the sender.
    html = page.content.decode()
    assert "in Syllabus, by email or both, as they chose" in html and "Replies by email come to you." in html
    assert "gets their own email" not in html


def test_a_message_to_a_group_or_to_the_selected_people(owner, world, published, django_capture_on_commit_callbacks):
    lena = services.enrollment_create(course=published, membership=world.learner, by=world.instructor.user)
    eddie = services.enrollment_create(course=published, membership=world.engineer, by=world.instructor.user)
    group = services.group_create(course=published, by=world.instructor.user, name="Night shift")
    services.group_members_change(group=group, by=world.instructor.user, add=[eddie.pk])
    with django_capture_on_commit_callbacks(execute=True):
        owner.post(url("message", published.pk), {"to": "group", "group": group.pk, "subject": "S", "body": "B"})
        owner.post(url("message", published.pk), {"to": "selected", "selected": [lena.pk], "subject": "S", "body": "B"})
    assert [m.to for m in mail.outbox] == [[world.engineer.user.email], [world.learner.user.email]]


def test_a_message_needs_a_subject_a_body_and_someone(owner, world, published):
    empty = owner.post(url("message", published.pk), {"to": "everyone", "subject": "", "body": ""})
    assert empty.status_code == 400
    nobody = owner.post(url("message", published.pk), {"to": "everyone", "subject": "S", "body": "B"})
    assert nobody.status_code == 400 and services.NO_RECIPIENTS in nobody.content.decode()
    assert not CourseMessage.objects.exists()


def test_selected_ids_of_another_course_are_ignored(owner, world, published, django_capture_on_commit_callbacks):
    from syllabus.enrollment.models import Enrollment
    from tests.factories import ActivityFactory, CourseFactory, SectionFactory, publish

    other = CourseFactory(organization=world.org)
    staff(other, world.instructor)
    ActivityFactory(section=SectionFactory(course=other))
    publish(other, world.instructor.user)
    other.refresh_from_db()
    foreign = services.enrollment_create(course=other, membership=world.learner, by=world.instructor.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(
            url("message", published.pk), {"to": "selected", "selected": [foreign.pk], "subject": "S", "body": "B"}
        )
    assert response.status_code == 400 and mail.outbox == []
    assert Enrollment.objects.get(pk=foreign.pk).status == Status.ACTIVE


@pytest.mark.parametrize("count", [3, 30])
def test_the_message_page_keeps_a_constant_number_of_queries(
    owner, world, published, django_assert_max_num_queries, count
):
    people = [MembershipFactory(organization=world.org) for _ in range(count)]
    result = services.enrollments_bulk_create(
        course=published, memberships=people, by=world.instructor.user, method="admin"
    )
    for i in range(count // 3):
        services.course_message_send(
            course=published, by=world.instructor.user, subject=f"S{i}", body="B", enrollment_ids=result.created
        )
    query = "&".join(f"selected={pk}" for pk in result.created)
    owner.get(f"{url('message', published.pk)}?{query}")
    # 21: the page, plus the recipients' counts of each choice (two queries, however many people and groups).
    with django_assert_max_num_queries(21):
        response = owner.get(f"{url('message', published.pk)}?{query}")
    assert len(response.context["selected_people"]) == count


# --- the review's fixes: who a message goes to, the time zones named ---------------------------------------------


def _completed(enrollment: Any) -> None:
    from syllabus.enrollment.models import Enrollment

    Enrollment.objects.filter(pk=enrollment.pk).update(status=Status.COMPLETED)


def test_the_message_page_chooses_nobody_beforehand_and_counts_each_choice(owner, world, published):
    lena = services.enrollment_create(course=published, membership=world.learner, by=world.instructor.user)
    eddie = services.enrollment_create(course=published, membership=world.engineer, by=world.instructor.user)
    rita = services.enrollment_create(course=published, membership=world.report, by=world.instructor.user)
    _completed(rita)
    group = services.group_create(course=published, by=world.instructor.user, name="Night shift")
    services.group_members_change(group=group, by=world.instructor.user, add=[eddie.pk, rita.pk])
    page = owner.get(url("message", published.pk))
    form = page.context["form"]
    assert form["to"].value() is None  # a message to everyone by mistake cannot be taken back
    body = page.content.decode()
    assert "checked" not in str(form["to"])
    # "The people selected" only when someone is; everyone means those still in the course, with their number.
    assert [value for value, _ in form.fields["to"].choices] == ["group", "everyone"]
    assert "Everyone still in the course (2 people)" in body
    assert "Night shift (1 person), and 1 who completed" in body
    assert "Also write to the person who completed the course" in body
    selected = owner.get(f"{url('message', published.pk)}?selected={lena.pk}")
    assert selected.context["form"]["to"].value() == "selected"
    assert "The person selected (1)" in selected.content.decode()


def test_people_who_completed_get_a_message_only_when_asked_for(
    owner, world, published, django_capture_on_commit_callbacks
):
    services.enrollment_create(course=published, membership=world.learner, by=world.instructor.user)
    _completed(services.enrollment_create(course=published, membership=world.report, by=world.instructor.user))
    with django_capture_on_commit_callbacks(execute=True):
        owner.post(url("message", published.pk), {"to": "everyone", "subject": "Room", "body": "B12"})
    assert [m.to for m in mail.outbox] == [[world.learner.user.email]]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        owner.post(
            url("message", published.pk),
            {"to": "everyone", "include_completed": "on", "subject": "Refresher", "body": "New edition"},
        )
    assert sorted(m.to[0] for m in mail.outbox) == sorted([world.learner.user.email, world.report.user.email])


def test_a_message_without_a_choice_is_refused_with_a_summary_linking_to_the_field(owner, world, published):
    services.enrollment_create(course=published, membership=world.learner, by=world.instructor.user)
    response = owner.post(url("message", published.pk), {"subject": "S", "body": "B"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Choose who receives the message." in body
    assert "data-error-summary" in body and 'href="#id_to_0"' in body
    assert not CourseMessage.objects.exists()


def test_the_options_window_names_the_persons_time_zone(owner, world, published):
    user = world.instructor.user
    user.time_zone = "Europe/Paris"
    user.save()
    body = owner.get(url("options", published.pk)).content.decode()
    assert "In your time zone (Europe/Paris). Leave empty to open now." in body
    assert "In your time zone (Europe/Paris). Leave empty to stay open." in body


def test_options_errors_are_summarised_at_the_top(owner, world, published):
    response = owner.post(url("options", published.pk), options_data(capacity="0"))
    assert response.status_code == 400
    body = response.content.decode()
    assert "data-error-summary" in body and 'href="#id_capacity"' in body


def test_a_due_day_typed_by_an_instructor_is_counted_in_the_organisations_time_zone(owner, world, published):
    from syllabus.enrollment.models import Enrollment

    world.org.default_time_zone = "Europe/London"
    world.org.save()
    user = world.instructor.user
    user.time_zone = "Pacific/Auckland"  # far from London: the same day would be another moment
    user.save()
    page = owner.get(url("participants", published.pk)).content.decode()
    assert "Optional. Due at the end of that day (Europe/London)." in page
    owner.post(url("participants-enroll", published.pk), {"members": [world.learner.pk], "due_on": "2031-06-30"})
    due_at = Enrollment.objects.get(course=published, membership=world.learner).due_at
    assert due_at == services.due_at_end_of_day(dt.date(2031, 6, 30), world.org)
    assert due_at == dt.datetime(2031, 6, 30, 23, 59, 59, tzinfo=ZoneInfo("Europe/London"))
