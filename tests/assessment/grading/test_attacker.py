"""Grading from the attacker's side: learners on the team's pages and endpoints (403), another organisation's ids
(404), answers of another course or of a preview (404), a non-editing instructor (grades, never regrades), and
hostile input that must be refused without a crash."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from syllabus.assessment.models import AnswerState
from syllabus.assessment.services import attempts
from tests.api.conftest import V1
from tests.assessment.conftest import NOW, fixed, make_quiz_world
from tests.assessment.grading.conftest import Graded, SignIn

pytestmark = pytest.mark.django_db

API = f"{V1}/assessment"


def pages(graded: Graded, answer_pk: int) -> list[str]:
    course, uid = graded.course.pk, graded.uid
    return [
        reverse("assessment:quiz-results", args=[course, uid]),
        reverse("assessment:quiz-results-export", args=[course, uid]),
        reverse("assessment:grading", args=[course]),
        reverse("assessment:grading", args=[course, uid]),
        reverse("assessment:grade-answer", args=[course, answer_pk]),
        reverse("assessment:overrides", args=[course, uid]),
        reverse("assessment:regrade", args=[course]),
    ]


def endpoints(graded: Graded) -> list[str]:
    course, uid = graded.course.pk, graded.uid
    return [
        f"{API}/courses/{course}/quizzes/{uid}/results/",
        f"{API}/courses/{course}/grading/",
        f"{API}/courses/{course}/quizzes/{uid}/overrides/",
    ]


def test_a_learner_of_the_course_is_refused_every_team_page(graded: Graded, sign_in: SignIn) -> None:
    attempt = graded.take()
    client = sign_in(graded.qw.world.learner)
    for url in pages(graded, graded.essay_answer(attempt).pk):
        assert client.get(url).status_code == 403, url
    grade = client.post(
        reverse("assessment:grade-answer", args=[graded.course.pk, graded.essay_answer(attempt).pk]), {"mark": "4"}
    )
    assert grade.status_code == 403
    assert graded.essay_answer(attempt).state == AnswerState.NEEDS_GRADING


def test_a_learner_of_the_course_is_refused_every_team_endpoint(graded: Graded, as_member) -> None:
    attempt = graded.take()
    client = as_member(graded.qw.world.learner)
    for url in endpoints(graded):
        assert client.get(url).status_code == 403, url
    answer = graded.essay_answer(attempt)
    assert client.post(f"{API}/answers/{answer.pk}/grade/", {"mark": "4"}, format="json").status_code == 403
    body = {"user": graded.qw.learner.pk, "extra_attempts": 5, "reason": "I deserve it"}
    assert client.post(endpoints(graded)[2], body, format="json").status_code == 403
    regrade = client.post(
        f"{API}/courses/{graded.course.pk}/regrade/", {"question": graded.truefalse.pk, "dry_run": False}, format="json"
    )
    assert regrade.status_code == 403
    answer.refresh_from_db()
    assert answer.state == AnswerState.NEEDS_GRADING


def test_a_member_off_the_course_team_is_refused(graded: Graded, sign_in: SignIn, as_member) -> None:
    attempt = graded.take()
    engineer = graded.qw.world.engineer
    for url in pages(graded, graded.essay_answer(attempt).pk):
        assert sign_in(engineer).get(url).status_code == 403, url
    for url in endpoints(graded):
        assert as_member(engineer).get(url).status_code == 403, url


def test_another_organisation_finds_nothing(graded: Graded, sign_in: SignIn, as_member) -> None:
    attempt = graded.take()
    outsider = graded.qw.world.outsider  # an org admin, of the other organisation
    answer = graded.essay_answer(attempt)
    for url in pages(graded, answer.pk):
        assert sign_in(outsider).get(url).status_code == 404, url
    client = as_member(outsider)
    for url in endpoints(graded):
        assert client.get(url).status_code == 404, url
    assert client.post(f"{API}/answers/{answer.pk}/grade/", {"mark": "4"}, format="json").status_code == 404
    assert (
        client.post(f"{API}/courses/{graded.course.pk}/regrade/", {"question": graded.truefalse.pk}, format="json")
    ).status_code == 404


def test_an_answer_of_another_course_is_not_found_through_this_one(graded: Graded, sign_in: SignIn) -> None:
    other = make_quiz_world(graded.qw.world, "Other course")
    essay = other.make_question("essay")
    quiz = other.publish_quiz(slots=[fixed(essay)])
    foreign = other.take(quiz, {1: {"text": "mine"}}).answers.get()
    client = sign_in(graded.qw.world.instructor)
    url = reverse("assessment:grade-answer", args=[graded.course.pk, foreign.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"mark": "1"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.state == AnswerState.NEEDS_GRADING


def test_a_preview_answer_is_not_graded_through_the_api(graded: Graded, as_member) -> None:
    preview = attempts.attempt_start(
        user=graded.qw.owner, course=graded.course, version=None, activity=graded.quiz, preview=True, now=NOW
    )
    attempts.attempt_submit(attempt=preview, by=graded.qw.owner, now=NOW)
    answer = preview.answers.get(slot=2)
    response = as_member(graded.qw.world.instructor).post(
        f"{API}/answers/{answer.pk}/grade/", {"mark": "1"}, format="json"
    )
    assert response.status_code == 404


def test_a_non_editing_instructor_grades_but_does_not_regrade(
    graded: Graded, sign_in: SignIn, as_member, non_editing
) -> None:
    attempt = graded.take()
    client = sign_in(non_editing)
    answer = graded.essay_answer(attempt)
    response = client.post(
        reverse("assessment:grade-answer", args=[graded.course.pk, answer.pk]), {"mark": "3", "save": "1"}
    )
    assert response.status_code == 302
    answer.refresh_from_db()
    assert answer.state == AnswerState.MANUALLY_GRADED and answer.graded_by == non_editing.user
    assert client.get(reverse("assessment:quiz-results", args=[graded.course.pk, graded.uid])).status_code == 200
    results = client.get(reverse("assessment:quiz-results", args=[graded.course.pk, graded.uid]))
    assert results.context["can_regrade"] is False and "Regrade a question" not in results.content.decode()
    assert client.get(reverse("assessment:regrade", args=[graded.course.pk])).status_code == 403
    assert (
        client.post(reverse("assessment:regrade", args=[graded.course.pk]), {"question": graded.essay.pk}).status_code
        == 403
    )
    api = as_member(non_editing).post(
        f"{API}/courses/{graded.course.pk}/regrade/", {"question": graded.truefalse.pk}, format="json"
    )
    assert api.status_code == 403


def test_someone_signed_out_is_sent_to_sign_in(graded: Graded) -> None:
    response = Client().get(reverse("assessment:quiz-results", args=[graded.course.pk, graded.uid]))
    assert response.status_code == 302 and "next=" in response.url


def test_made_up_ids_are_not_found(graded: Graded, sign_in: SignIn, as_member) -> None:
    client = sign_in(graded.qw.world.instructor)
    assert client.get(reverse("assessment:quiz-results", args=[graded.course.pk, uuid.uuid4()])).status_code == 404
    assert client.get(reverse("assessment:grade-answer", args=[graded.course.pk, 2**62])).status_code == 404
    assert client.get(reverse("assessment:overrides", args=[graded.course.pk, uuid.uuid4()])).status_code == 404
    assert client.get(f"/assessment/courses/{graded.course.pk}/quizzes/not-a-uid/results/").status_code == 404
    api = as_member(graded.qw.world.instructor)
    assert api.post(f"{API}/answers/{2**62}/grade/", {"mark": "1"}, format="json").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"mark": "1" * 30},
        {"mark": "1", "comment": "x" * (attempts.COMMENT_LIMIT + 1)},
        {"mark": ["1"]},
        {"mark": {"$gt": 0}},
        {},
    ],
)
def test_hostile_grades_are_refused_on_their_fields(graded: Graded, as_member, body: dict) -> None:  # type: ignore[type-arg]
    answer = graded.essay_answer(graded.take())
    response = as_member(graded.qw.world.instructor).post(f"{API}/answers/{answer.pk}/grade/", body, format="json")
    assert response.status_code == 400
    assert {item["field"] for item in response.json()["error"]["errors"]} <= {"mark", "comment"}
    answer.refresh_from_db()
    assert answer.state == AnswerState.NEEDS_GRADING


def test_a_hostile_comment_on_the_page_is_sanitised(graded: Graded, sign_in: SignIn) -> None:
    answer = graded.essay_answer(graded.take())
    sign_in(graded.qw.world.instructor).post(
        reverse("assessment:grade-answer", args=[graded.course.pk, answer.pk]),
        {"mark": "1", "comment": '<p onclick="x()">ok</p><script>steal()</script>', "save": "1"},
    )
    answer.refresh_from_db()
    assert answer.comment == "<p>ok</p>"


def test_regrading_through_the_api_with_hostile_fields_is_refused(graded: Graded, as_member) -> None:
    url = f"{API}/courses/{graded.course.pk}/regrade/"
    client = as_member(graded.qw.world.instructor)
    for body in ({"question": "x"}, {"question": 1, "activity_uid": "nope"}, {"question": graded.truefalse.pk,
                 "activity_uid": str(uuid.uuid4())}):  # fmt: skip
        assert client.post(url, body, format="json").status_code in (400, 404), body
