"""Facility and discrimination in the question bank (one extra query, whatever the page holds), the question's
usage page, the "Statistics" links, and each type's random guess score (Moodle's rules)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from syllabus.access.policy import forget
from syllabus.assessment import selectors_banks
from syllabus.assessment.question_types import base as qtypes
from syllabus.assessment.services.questions import version_as_question
from tests.assessment.conftest import QuizWorld, fixed
from tests.assessment.statistics.conftest import StatsQuiz, make_stats_quiz

pytestmark = pytest.mark.django_db


def test_bank_figures_are_weighted_by_answers_across_quizzes(stats_quiz: StatsQuiz) -> None:
    stats_quiz.fixture()
    stats_quiz.compute()
    # The same first question in a second quiz of the course: two takers, both right (facility 100).
    q1 = stats_quiz.questions[0]
    other = stats_quiz.qw.publish_quiz(slots=[fixed(q1, "1"), fixed(stats_quiz.questions[1], "1")], title="Again")
    second = StatsQuiz(qw=stats_quiz.qw, questions=[q1, stats_quiz.questions[1]], quiz=other)
    ann, bob = second.people(2)
    second.attempt(ann, (1, 1))
    second.attempt(bob, (1, 0))
    second.compute()
    stats_quiz.compute("all")  # other choices never count in the bank
    figures = selectors_banks.question_figures(
        organization_id=stats_quiz.course.organization_id, question_ids=[q.pk for q in stats_quiz.questions]
    )
    # (5 × 60 + 2 × 100) / 7
    assert figures[q1.pk].facility == pytest.approx(500 / 7)
    assert figures[q1.pk].answers == 7
    # Statement 3: 32.73 in the first quiz only.
    assert figures[stats_quiz.questions[2].pk].discrimination == pytest.approx(32.7327, abs=1e-4)
    # Statement 2 discriminates 0 in the first quiz, and its two answers in the second (1, 0 against rests 1, 1):
    # no spread in the rest, no index. Weighted over the rows that have one: 0 → flagged.
    assert figures[stats_quiz.questions[1].pk].weak is True


def test_the_bank_page_shows_the_figures_with_one_query_whatever_the_page_holds(
    quiz_world: QuizWorld, sign_in: Any, django_assert_max_num_queries: Any
) -> None:
    sq = make_stats_quiz(quiz_world)
    sq.fixture()
    sq.compute()
    client = sign_in(quiz_world.world.instructor)
    url = reverse("assessment:bank", args=[quiz_world.bank.pk])
    client.get(url)
    forget(quiz_world.world.instructor.user)
    with django_assert_max_num_queries(40) as small:
        response = client.get(url)
    body = response.content.decode()
    assert "Facility / discrimination" in body and "60&nbsp;% / 65&nbsp;%" in body and "Low discrimination" in body
    for n in range(4):
        quiz_world.make_question("truefalse", name=f"More {n}")
    forget(quiz_world.world.instructor.user)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert "No statistics yet" in response.content.decode()


def test_the_usage_page_shows_the_figures(stats_quiz: StatsQuiz, sign_in: Any) -> None:
    stats_quiz.fixture()
    stats_quiz.compute()
    url = reverse("assessment:question-usage", args=[stats_quiz.questions[0].pk])
    response = sign_in(stats_quiz.qw.world.instructor).get(url)
    assert response.context["figures"].facility == pytest.approx(60)
    assert "64.55&nbsp;%" in response.content.decode()


def test_the_results_page_links_the_statistics(stats_quiz: StatsQuiz, sign_in: Any) -> None:
    url = reverse("assessment:quiz-results", args=[stats_quiz.course.pk, stats_quiz.uid])
    target = reverse("assessment:quiz-statistics", args=[stats_quiz.course.pk, stats_quiz.uid])
    assert target in sign_in(stats_quiz.qw.world.instructor).get(url).content.decode()


def guess(qtype: str, data: dict[str, Any], text: str = "") -> float | None:
    question = qtypes.Question(
        qtype=qtype,
        name="q",
        text=text,
        general_feedback="",
        default_mark=1,
        data=data,  # type: ignore[arg-type]
    )
    return qtypes.get(qtype).random_guess_score(question)


def test_random_guess_scores_follow_moodle() -> None:
    options = [
        {"id": "a", "fraction": "1"},
        {"id": "b", "fraction": "0.5"},
        {"id": "c", "fraction": "0"},
        {"id": "d", "fraction": "-0.5"},
    ]
    # Single: the mean of the fractions, a negative one as 0 (our grading floors it): 1.5 / 4.
    assert guess("single", {"options": options}) == pytest.approx(0.375)
    assert guess("multiple", {"options": options}) is None
    assert guess("truefalse", {"correct": True}) == 0.5
    # Matching: 1 / distinct answers (a distractor counts, equal answers are one choice): 3 choices.
    pairs = [
        {"id": "p1", "prompt": "Fire", "answer": "Hot"},
        {"id": "p2", "prompt": "Sun", "answer": "Hot"},
        {"id": "p3", "prompt": "Ice", "answer": "Cold"},
        {"id": "p4", "prompt": "", "answer": "Wet"},
    ]
    assert guess("matching", {"pairs": pairs}) == pytest.approx(1 / 3)
    # Gapselect / ddwtos: gap 1 in group 1 (2 choices), gap 3 in group 2 (3 choices): (1/2 + 1/3) / 2.
    gaps = {
        "choices": [
            {"text": "heat", "group": 1},
            {"text": "cold", "group": 1},
            {"text": "fuel", "group": 2},
            {"text": "water", "group": 2},
            {"text": "sand", "group": 2},
        ]
    }
    text = "<p>Fire needs [[1]] and [[3]].</p>"
    assert guess("gapselect", gaps, text) == pytest.approx(5 / 12)
    assert guess("ddwtos", gaps, text) == pytest.approx(5 / 12)
    # Short answer: a catch-all answer's fraction, else 0.
    assert guess("shortanswer", {"answers": [{"text": "Paris", "fraction": "1"}]}) == 0.0
    assert guess("shortanswer", {"answers": [{"text": "*", "fraction": "0.2"}]}) == pytest.approx(0.2)
    assert guess("numerical", {"answers": [{"value": "*", "fraction": "0.1"}]}) == pytest.approx(0.1)
    assert guess("essay", {}) is None


def test_a_stored_question_reads_its_guess(quiz_world: QuizWorld) -> None:
    question = quiz_world.make_question("single")
    # DEFAULT_DATA: fractions 1, 0.5, 0 → 0.5.
    assert qtypes.get("single").random_guess_score(version_as_question(question.latest)) == pytest.approx(0.5)
