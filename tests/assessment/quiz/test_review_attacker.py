"""Review findings on taking a quiz, from the attacker's side: numbers that look like digits but are not ("²", a
thousand digits) are refused with a message instead of crashing a page or an endpoint, a submitted attempt's
responses show through the API only as its review options allow, a refused check names its field, and every page
that writes refuses a post without its CSRF token."""

# Fixtures imported from conftest modules are redefined as test parameters, as pytest intends.
# ruff: noqa: F811

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from syllabus.assessment.models import Attempt, AttemptState
from syllabus.assessment.quiz_settings import DEFAULT_REVIEW
from syllabus.assessment.services import attempts
from tests.api.conftest import V1, error_fields
from tests.assessment.conftest import RIGHT, Clock, QuizWorld, fixed
from tests.assessment.quiz.conftest import SignIn, as_member, as_person  # noqa: F401
from tests.conftest import World

pytestmark = pytest.mark.django_db
API = f"{V1}/assessment"
NOT_DIGITS = ("²", "١٢", "9" * 5000, "-1", "1.0", " ")


def api_url(attempt: Attempt, part: str = "") -> str:
    return f"{API}/attempts/{attempt.public_id}/{part + '/' if part else ''}"


@pytest.fixture
def quiz(quiz_world: QuizWorld, moved_clock: Clock) -> dict[str, Any]:
    return quiz_world.publish_quiz(
        slots=[fixed(quiz_world.make_question("truefalse")), fixed(quiz_world.make_question("single"))],
        questions_per_page=1,
        behaviour="interactive",
    )


def test_slot_numbers_that_are_not_ascii_digits_are_refused_by_the_api(
    quiz_world: QuizWorld, quiz: dict[str, Any], world: World, as_member
) -> None:
    attempt = quiz_world.start(quiz)
    api = as_member(world.learner)
    for key in NOT_DIGITS:
        saved = api.patch(api_url(attempt, "responses"), {key: {"answer": True}}, format="json")
        assert saved.status_code == 400, key
        assert error_fields(saved) == {"responses": api_attempts_messages()["RESPONSES_NOT_OBJECT"]}
        checked = api.post(api_url(attempt, "check"), {"slot": key, "response": {"answer": True}}, format="json")
        assert checked.status_code == 400, key
        assert error_fields(checked) == {"slot": api_attempts_messages()["SLOT_REQUIRED"]}
    assert attempt.answers.get(slot=1).response == {}


def api_attempts_messages() -> dict[str, str]:
    from syllabus.assessment import api_attempts

    return {"RESPONSES_NOT_OBJECT": api_attempts.RESPONSES_NOT_OBJECT, "SLOT_REQUIRED": api_attempts.SLOT_REQUIRED}


def test_slot_numbers_that_are_not_ascii_digits_change_nothing_on_the_page(
    quiz_world: QuizWorld, quiz: dict[str, Any], world: World, as_person: SignIn
) -> None:
    attempt = quiz_world.start(quiz)
    client = as_person(world.learner)
    save = reverse("assessment:attempt-save", args=[attempt.public_id])
    for value in NOT_DIGITS:
        assert client.post(save, {"page": "1", "check": value}).status_code == 302, value
        assert client.post(save, {"page": "1", "go": f"slot-{value}"}).status_code == 302, value
    answer = attempt.answers.get(slot=1)
    assert answer.tries == 0 and answer.response == {}


def test_a_refused_check_names_the_slot(quiz_world: QuizWorld, quiz: dict[str, Any], world: World, as_member) -> None:
    attempt = quiz_world.start(quiz)
    api = as_member(world.learner)
    unknown = api.post(api_url(attempt, "check"), {"slot": 9, "response": {"answer": True}}, format="json")
    assert error_fields(unknown) == {"slot": attempts.UNKNOWN_SLOT.format(slot=9)}
    right = api.post(api_url(attempt, "check"), {"slot": 1, "response": RIGHT["truefalse"]}, format="json")
    assert right.status_code == 200 and right.json()["locked"] is True
    again = api.post(api_url(attempt, "check"), {"slot": 1, "response": RIGHT["truefalse"]}, format="json")
    assert error_fields(again) == {"slot": attempts.SLOT_LOCKED.format(slot=1)}


# --- a submitted attempt through the API follows the review options ---------------------------------------------------


def review_without(*flags: str) -> dict[str, dict[str, bool]]:
    review = {when: dict(values) for when, values in DEFAULT_REVIEW.items()}
    for flag in flags:
        review["immediately"][flag] = False
    return review


def test_a_submitted_attempt_shows_no_responses_through_the_api_when_the_review_hides_them(
    quiz_world: QuizWorld, world: World, as_member
) -> None:
    question = quiz_world.make_question("shortanswer")
    quiz = quiz_world.publish_quiz(slots=[fixed(question)], review=review_without("responses", "marks"))
    attempt = quiz_world.take(quiz, {1: {"text": "Zanzibar-typed-answer"}})
    api = as_member(world.learner)
    detail = api.get(api_url(attempt))
    assert detail.status_code == 200
    assert "Zanzibar-typed-answer" not in detail.content.decode()
    assert "response" not in detail.json()["questions"][0]
    review = api.get(api_url(attempt, "review")).json()
    assert "Zanzibar-typed-answer" not in str(review)


def test_a_submitted_attempt_shows_its_responses_through_the_api_when_the_review_shows_them(
    quiz_world: QuizWorld, world: World, as_member
) -> None:
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("shortanswer"))])
    attempt = quiz_world.take(quiz, {1: {"text": "Paris"}})
    assert attempt.state == AttemptState.FINISHED
    detail = as_member(world.learner).get(api_url(attempt)).json()
    assert detail["questions"][0]["response"] == {"text": "Paris"}


# --- CSRF -------------------------------------------------------------------------------------------------------------


def assessment_patterns() -> list[tuple[str, URLPattern]]:
    """Every page of the assessment app (its namespace), with its name."""
    found: list[tuple[str, URLPattern]] = []

    def walk(patterns: list[Any], namespace: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and namespace == "assessment" and entry.name:
                found.append((entry.name, entry))

    walk(get_resolver().url_patterns, "")
    return found


def test_every_assessment_page_refuses_a_post_without_its_csrf_token(
    quiz_world: QuizWorld, quiz: dict[str, Any], world: World
) -> None:
    attempt = quiz_world.start(quiz)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.instructor.user)
    uid = quiz["uid"]
    course = quiz_world.course.pk
    args: dict[str, list[Any]] = {
        "attempt-start": [course, uid], "attempt": [attempt.public_id], "attempt-save": [attempt.public_id],
        "attempt-summary": [attempt.public_id], "attempt-submit": [attempt.public_id],
        "attempt-review": [attempt.public_id], "banks": [], "bank-create": [], "course-bank": [course],
        "quiz-results": [course, uid], "quiz-results-export": [course, uid], "overrides": [course, uid],
        "override-remove": [course, uid, 1], "regrade": [course], "grade-answer": [course, 1],
    }  # fmt: skip
    checked = 0
    for name, pattern in assessment_patterns():
        keys = list(pattern.pattern.regex.groupindex)
        values = args.get(name) or [course if key in ("course_id", "course_pk") else (uid if key == "uid" else 1)
                                    for key in keys]  # fmt: skip
        if name == "grading" and len(keys) == 1:
            values = [course]
        url = reverse(f"assessment:{name}", args=values)
        response = client.post(url, {"name": "x", "page": "1", "go": "finish"})
        # Refused before the view runs, whatever the view would do with a POST.
        assert response.status_code == 403, (name, response.status_code)
        checked += 1
    assert checked >= 30  # every page of banks, quizzes and grading
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.IN_PROGRESS
