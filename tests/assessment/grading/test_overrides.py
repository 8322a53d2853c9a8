"""The overrides page: one learner's own rules on a quiz, chosen among the course's enrolled learners, with a
reason; changed and removed; audited by the service."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from syllabus.assessment.models import QuizOverride
from syllabus.assessment.services import attempts
from syllabus.audit.models import AuditRecord
from tests.assessment.conftest import member
from tests.assessment.grading.conftest import Graded, SignIn

pytestmark = pytest.mark.django_db


def url(graded: Graded) -> str:
    return reverse("assessment:overrides", args=[graded.course.pk, graded.uid])


def test_the_person_picker_offers_only_the_course_s_enrolled_learners(graded: Graded, sign_in: SignIn) -> None:
    graded.learner("Eve Enrolled")
    member(graded.qw.world, "Nora Notenrolled")
    response = sign_in(graded.qw.world.instructor).get(url(graded))
    labels = [label for value, label in response.context["form"].fields["user"].choices if value]
    assert [label.split(" (")[0] for label in labels] == ["Eve Enrolled", "Lena Learner"]


def test_someone_not_enrolled_cannot_be_given_an_override(graded: Graded, sign_in: SignIn) -> None:
    stranger = member(graded.qw.world, "Nora Notenrolled")
    response = sign_in(graded.qw.world.instructor).post(
        url(graded), {"user": stranger.user.pk, "extra_attempts": "1", "reason": "Why not"}
    )
    assert response.status_code == 200
    assert "user" in response.context["form"].errors
    assert not QuizOverride.objects.exists()


def test_an_override_needs_a_reason_and_a_rule(graded: Graded, sign_in: SignIn) -> None:
    response = sign_in(graded.qw.world.instructor).post(url(graded), {"user": graded.qw.learner.pk})
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["reason"] == [attempts.OVERRIDE_REASON_REQUIRED]
    assert form.non_field_errors() == [attempts.OVERRIDE_EMPTY]
    assert 'href="#id_reason"' in response.content.decode()  # the error summary links to the field


def test_the_close_date_must_follow_the_open_date(graded: Graded, sign_in: SignIn) -> None:
    response = sign_in(graded.qw.world.instructor).post(
        url(graded),
        {"user": graded.qw.learner.pk, "opens_at": "2026-03-10T09:00", "closes_at": "2026-03-09T09:00",
         "reason": "Travel"},
    )  # fmt: skip
    assert response.context["form"].errors["closes_at"] == [attempts.OVERRIDE_DATES]


def test_an_override_is_saved_changed_and_removed_with_audit_records(graded: Graded, sign_in: SignIn) -> None:
    client = sign_in(graded.qw.world.instructor)
    learner = graded.qw.learner
    response = client.post(
        url(graded),
        {"user": learner.pk, "time_limit_minutes": "90", "closes_at": "2026-04-01T17:00", "reason": "Agreed with HR"},
    )
    assert response.status_code == 302 and response.url == url(graded)
    override = QuizOverride.objects.get()
    assert (override.user, override.time_limit_minutes, override.reason) == (learner, 90, "Agreed with HR")
    assert override.closes_at == dt.datetime(2026, 4, 1, 17, 0, tzinfo=dt.UTC)
    page = client.get(url(graded))
    assert page.context["rows"][0]["rules"] == ["Time limit 90 minutes"]
    # "Change" fills the form with what the person has.
    editing = client.get(page.context["rows"][0]["edit_url"])
    assert editing.context["editing"] == override
    assert editing.context["form"].initial["time_limit_minutes"] == 90
    client.post(url(graded), {"user": learner.pk, "extra_attempts": "2", "reason": "Second try"})
    override = QuizOverride.objects.get()
    assert (override.time_limit_minutes, override.extra_attempts, override.closes_at) == (None, 2, None)
    removed = client.post(reverse("assessment:override-remove", args=[graded.course.pk, graded.uid, override.pk]))
    assert removed.status_code == 302 and not QuizOverride.objects.exists()
    assert list(
        AuditRecord.objects.filter(action__startswith="assessment.override")
        .order_by("seq")
        .values_list("action", flat=True)
    ) == ["assessment.override_set", "assessment.override_set", "assessment.override_removed"]


def test_removing_needs_a_post(graded: Graded, sign_in: SignIn) -> None:
    override = attempts.override_set(
        course=graded.course, activity_uid=graded.uid, user=graded.qw.learner, by=graded.qw.owner,
        reason="Travel", extra_attempts=1,
    )  # fmt: skip
    response = sign_in(graded.qw.world.instructor).get(
        reverse("assessment:override-remove", args=[graded.course.pk, graded.uid, override.pk])
    )
    assert response.status_code == 405 and QuizOverride.objects.exists()


def test_an_override_of_another_quiz_is_not_found(graded: Graded, sign_in: SignIn) -> None:
    other_quiz = graded.qw.publish_quiz(slots=graded.quiz["config"]["slots"], title="Other quiz")
    override = attempts.override_set(
        course=graded.course, activity_uid=other_quiz["uid"], user=graded.qw.learner, by=graded.qw.owner,
        reason="Travel", extra_attempts=1,
    )  # fmt: skip
    response = sign_in(graded.qw.world.instructor).post(
        reverse("assessment:override-remove", args=[graded.course.pk, graded.uid, override.pk])
    )
    assert response.status_code == 404 and QuizOverride.objects.exists()


def test_a_non_editing_instructor_may_grant_overrides(graded: Graded, sign_in: SignIn, non_editing) -> None:
    response = sign_in(non_editing).post(
        url(graded), {"user": graded.qw.learner.pk, "extra_attempts": "1", "reason": "Retake agreed"}
    )
    assert response.status_code == 302 and QuizOverride.objects.get().created_by == non_editing.user
