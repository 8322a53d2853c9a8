"""Constant query counts of the quiz-taking lists that had no such test: an attempt's page, its summary and its review
(pages and API) for more questions, and a quiz's page and endpoint for more attempts."""

# Fixtures imported from conftest modules are redefined as test parameters, as pytest intends.
# ruff: noqa: F811

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from syllabus.assessment.models import Attempt
from syllabus.assessment.services import attempts
from tests.api.conftest import V1
from tests.assessment.conftest import NOW, RIGHT, QuizWorld, fixed
from tests.assessment.quiz.conftest import SignIn, as_member, as_person  # noqa: F401

pytestmark = pytest.mark.django_db
API = f"{V1}/assessment"
TYPES = ("truefalse", "single", "shortanswer", "essay")


def taken(quiz_world: QuizWorld, questions: int, *, submit: bool) -> Attempt:
    """An attempt at a quiz of `questions` questions (of four types, all on one page), every one answered."""
    slots = [fixed(quiz_world.make_question(TYPES[n % len(TYPES)], f"Q{n}")) for n in range(questions)]
    quiz = quiz_world.publish_quiz(slots=slots, questions_per_page=0)
    attempt = quiz_world.start(quiz)
    responses = {n + 1: RIGHT[TYPES[n % len(TYPES)]] for n in range(questions)}
    assert not attempts.attempt_save(attempt=attempt, responses=responses, by=quiz_world.learner, now=NOW).errors
    if submit:
        attempts.attempt_submit(attempt=attempt, by=quiz_world.learner, now=NOW)
    return attempt


@pytest.mark.parametrize("questions", [2, 12])
def test_the_attempt_page_and_its_summary_cost_the_same_queries_for_more_questions(
    quiz_world: QuizWorld, as_person: SignIn, django_assert_max_num_queries, questions: int
) -> None:
    attempt = taken(quiz_world, questions, submit=False)
    client = as_person(quiz_world.world.learner)
    page = reverse("assessment:attempt", args=[attempt.public_id])
    summary = reverse("assessment:attempt-summary", args=[attempt.public_id])
    client.get(page)
    with django_assert_max_num_queries(14):
        assert len(client.get(page).context["questions"]) == questions
    with django_assert_max_num_queries(14):
        assert len(client.get(summary).context["rows"]) == questions


@pytest.mark.parametrize("questions", [2, 12])
def test_the_review_page_costs_the_same_queries_for_more_questions(
    quiz_world: QuizWorld, as_person: SignIn, django_assert_max_num_queries, questions: int
) -> None:
    attempt = taken(quiz_world, questions, submit=True)
    client = as_person(quiz_world.world.learner)
    review = reverse("assessment:attempt-review", args=[attempt.public_id])
    client.get(review)
    with django_assert_max_num_queries(15):
        assert len(client.get(review).context["questions"]) == questions


@pytest.mark.parametrize("questions", [2, 12])
def test_the_attempt_and_review_endpoints_cost_the_same_queries_for_more_questions(
    quiz_world: QuizWorld, as_member, django_assert_max_num_queries, questions: int
) -> None:
    running = taken(quiz_world, questions, submit=False)
    api = as_member(quiz_world.world.learner)
    detail = f"{API}/attempts/{running.public_id}/"
    api.get(detail)
    with django_assert_max_num_queries(6):
        assert len(api.get(detail).json()["questions"]) == questions
    attempts.attempt_submit(attempt=running, by=quiz_world.learner, now=NOW)
    with django_assert_max_num_queries(6):
        assert len(api.get(detail).json()["questions"]) == questions
    with django_assert_max_num_queries(6):
        assert len(api.get(f"{detail}review/").json()["questions"]) == questions


def take_again(quiz_world: QuizWorld, quiz: dict[str, Any], count: int) -> None:
    for _ in range(count):
        quiz_world.take(quiz, {1: RIGHT["truefalse"]})


def test_a_quizs_endpoint_and_page_cost_the_same_queries_for_1_and_6_attempts(
    quiz_world: QuizWorld, as_member, as_person: SignIn, django_assert_max_num_queries
) -> None:
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("truefalse"))])
    take_again(quiz_world, quiz, 1)
    api = as_member(quiz_world.world.learner)
    endpoint = f"{API}/quizzes/{quiz_world.course.pk}/{quiz['uid']}/"
    client = as_person(quiz_world.world.learner)
    page = reverse("catalog:activity", args=[quiz_world.course.pk, quiz["uid"]])
    api.get(endpoint)
    client.get(page)
    with django_assert_max_num_queries(10) as small_api:
        assert len(api.get(endpoint).json()["attempts"]) == 1
    with django_assert_max_num_queries(22) as small_page:
        assert client.get(page).status_code == 200
    take_again(quiz_world, quiz, 5)
    with django_assert_max_num_queries(len(small_api.captured_queries)):
        assert len(api.get(endpoint).json()["attempts"]) == 6
    with django_assert_max_num_queries(len(small_page.captured_queries)):
        assert client.get(page).content.decode().count("/review/") == 6
