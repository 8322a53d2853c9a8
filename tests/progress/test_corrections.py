"""The course team's corrections through the participant page (mark an activity complete, reset progress) and
the completion settings page; each audited, each refused to people outside the team."""

from __future__ import annotations

from decimal import Decimal
from html import escape
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from syllabus.audit.models import AuditRecord
from syllabus.catalog import versions
from syllabus.enrollment import services as enrollment_services
from syllabus.enrollment.models import Enrollment, Status
from syllabus.progress import services
from syllabus.progress.models import ActivityProgress, Completion, CompletionSettings, State
from tests.conftest import World
from tests.factories import CourseFactory, MembershipFactory, staff

pytestmark = pytest.mark.django_db


def uids(course: Any) -> list[str]:
    return [a["uid"] for a in versions.activities(course.published_version.snapshot)]


@pytest.fixture
def teacher(client: Client, world: World) -> Client:
    client.force_login(world.instructor.user)
    return client


@pytest.fixture
def lena(world: World, published: Any) -> Enrollment:
    return enrollment_services.enrollment_create(course=published, membership=world.learner, by=world.instructor.user)


def complete_url(course: Any, enrollment: Enrollment) -> str:
    return reverse("enrollment:participant-complete", args=[course.pk, enrollment.pk])


def reset_url(course: Any, enrollment: Enrollment) -> str:
    return reverse("enrollment:participant-reset", args=[course.pk, enrollment.pk])


SETTINGS = "progress:completion-settings"


def test_marking_an_activity_complete_needs_a_reason_and_is_audited(teacher, world, published, lena):
    uid = uids(published)[0]
    missing = teacher.post(complete_url(published, lena), {"activity": uid, "reason": " "})
    assert missing.status_code == 400
    assert "Reason" in missing.content.decode() and 'aria-invalid="true"' in missing.content.decode()
    assert not ActivityProgress.objects.filter(enrollment=lena).exists()
    done = teacher.post(complete_url(published, lena), {"activity": uid, "reason": "Attended the classroom day"})
    assert done.status_code == 302
    row = ActivityProgress.objects.get(enrollment=lena, activity_uid=uid)
    assert row.state == State.COMPLETED and row.completed_by == world.instructor.user
    assert row.completion_note == "Attended the classroom day"
    assert AuditRecord.objects.filter(action="progress.activity_marked_complete").count() == 1
    lena.refresh_from_db()
    assert lena.progress_percent == 33
    page = teacher.get(reverse("enrollment:participant", args=[published.pk, lena.pk]))
    assert "marked by" in page.content.decode()


def test_marking_every_activity_complete_completes_the_course(teacher, world, published, lena):
    for uid in uids(published):
        teacher.post(complete_url(published, lena), {"activity": uid, "reason": "Paper records"})
    lena.refresh_from_db()
    assert lena.status == Status.COMPLETED
    assert Completion.objects.filter(enrollment=lena).count() == 1


def test_an_activity_not_in_the_course_or_already_complete_is_refused(teacher, world, published, lena):
    import uuid

    other = teacher.post(complete_url(published, lena), {"activity": str(uuid.uuid4()), "reason": "x"})
    assert other.status_code == 400 and escape(services.NOT_IN_COURSE) in other.content.decode()
    uid = uids(published)[0]
    teacher.post(complete_url(published, lena), {"activity": uid, "reason": "x"})
    again = teacher.post(complete_url(published, lena), {"activity": uid, "reason": "x"})
    assert again.status_code == 400 and services.ALREADY_COMPLETE in again.content.decode()


def test_reset_needs_a_reason_and_a_confirmation(teacher, world, published, lena):
    for uid in uids(published):
        teacher.post(complete_url(published, lena), {"activity": uid, "reason": "x"})
    unconfirmed = teacher.post(reset_url(published, lena), {"reason": "Retake after the incident"})
    assert unconfirmed.status_code == 400
    no_reason = teacher.post(reset_url(published, lena), {"reason": "", "confirm": "on"})
    assert no_reason.status_code == 400
    assert ActivityProgress.objects.filter(enrollment=lena).count() == 3
    done = teacher.post(reset_url(published, lena), {"reason": "Retake after the incident", "confirm": "on"})
    assert done.status_code == 302
    lena.refresh_from_db()
    assert lena.status == Status.ACTIVE and lena.progress_percent == 0
    assert not ActivityProgress.objects.filter(enrollment=lena).exists()
    assert Completion.objects.filter(enrollment=lena).count() == 1  # the transcript keeps it
    record = AuditRecord.objects.get(action="progress.reset")
    assert "Retake after the incident" in str(record.after)


@pytest.mark.parametrize("persona", ["learner", "stranger", "outsider"])
def test_people_outside_the_team_cannot_correct_progress(client, world, published, lena, persona):
    if persona == "stranger":
        who = MembershipFactory(organization=world.org)
        staff(CourseFactory(organization=world.org), who, "owner")
    else:
        who = getattr(world, persona)
    client.force_login(who.user)
    uid = uids(published)[0]
    assert client.post(complete_url(published, lena), {"activity": uid, "reason": "me"}).status_code == 404
    assert client.post(reset_url(published, lena), {"reason": "me", "confirm": "on"}).status_code == 404
    assert not ActivityProgress.objects.filter(enrollment=lena).exists()


def test_the_learner_cannot_mark_their_own_activity_through_the_team_page(client, world, published, lena):
    client.force_login(world.learner.user)
    response = client.get(reverse("enrollment:participant", args=[published.pk, lena.pk]))
    assert response.status_code == 404


# --- completion settings -----------------------------------------------------------------------------------------


def test_the_editor_sets_n_activities_and_an_expiry(teacher, world, published):
    page = teacher.get(reverse(SETTINGS, args=[published.pk]))
    assert page.status_code == 200 and "3 activities" in page.content.decode()
    response = teacher.post(
        reverse(SETTINGS, args=[published.pk]), {"rule": "n_activities", "required_count": "2", "valid_for_days": "365"}
    )
    assert response.status_code == 302
    settings = CompletionSettings.objects.get(course=published)
    assert settings.rule == "n_activities" and settings.required_count == 2 and settings.valid_for_days == 365
    assert AuditRecord.objects.filter(action="progress.completion_settings_changed").count() == 1


def test_a_minimum_score_rule_needs_the_score_and_n_cannot_exceed_the_activities(teacher, world, published):
    no_score = teacher.post(reverse(SETTINGS, args=[published.pk]), {"rule": "min_score"})
    assert no_score.status_code == 400 and services.SCORE_RANGE in no_score.content.decode()
    too_many = teacher.post(reverse(SETTINGS, args=[published.pk]), {"rule": "n_activities", "required_count": "9"})
    assert too_many.status_code == 400 and services.COUNT_TOO_HIGH.format(count=3) in too_many.content.decode()
    ok = teacher.post(reverse(SETTINGS, args=[published.pk]), {"rule": "min_score", "min_score": "75"})
    assert ok.status_code == 302
    assert CompletionSettings.objects.get(course=published).min_score == Decimal("75")


def test_a_non_editing_instructor_gets_403_and_others_404_on_completion_settings(client, world, published):
    teacher = MembershipFactory(organization=world.org)
    staff(published, teacher, "instructor")
    client.force_login(teacher.user)
    assert client.get(reverse(SETTINGS, args=[published.pk])).status_code == 403
    assert client.post(reverse(SETTINGS, args=[published.pk]), {"rule": "all_required"}).status_code == 403
    client.force_login(world.outsider.user)
    assert client.get(reverse(SETTINGS, args=[published.pk])).status_code == 404
    assert not CompletionSettings.objects.filter(course=published).exists()


@pytest.mark.parametrize("count", [3, 30])
def test_the_participant_page_keeps_a_constant_number_of_queries(
    teacher, world, published, lena, django_assert_max_num_queries, count
):
    groups = [
        enrollment_services.group_create(course=published, by=world.instructor.user, name=f"G{i}") for i in range(count)
    ]
    for group in groups:
        enrollment_services.group_members_change(group=group, by=world.instructor.user, add=[lena.pk])
    for uid in uids(published)[:2]:
        services.activity_mark_complete(enrollment=lena, activity_uid=uid, by=world.instructor.user, reason="x")
    path = reverse("enrollment:participant", args=[published.pk, lena.pk])
    teacher.get(path)
    with django_assert_max_num_queries(19):
        response = teacher.get(path)
    assert len(response.context["groups_of_person"]) == count


def test_nobody_completes_their_own_training_on_a_learners_behalf(world, published) -> None:  # type: ignore[no-untyped-def]
    import uuid

    import pytest
    from django.core.exceptions import PermissionDenied

    from syllabus.catalog import versions
    from syllabus.enrollment import services as enrollment_services
    from syllabus.progress import services as progress_services

    own = enrollment_services.enrollment_self(course=published, by=world.instructor.user)
    uid = uuid.UUID(versions.activities(published.published_version.snapshot)[0]["uid"])
    with pytest.raises(PermissionDenied):
        progress_services.activity_mark_complete(enrollment=own, activity_uid=uid, by=world.instructor.user, reason="x")
    with pytest.raises(PermissionDenied):
        progress_services.progress_reset(enrollment=own, by=world.instructor.user, reason="x")
