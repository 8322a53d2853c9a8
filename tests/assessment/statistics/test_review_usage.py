"""Found by using the statistics page (review R2): a question name hiding a formula behind spaces reached the CSV
unescaped, and "calculated <date>." ended in "p.m.." in English."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.urls import reverse

from syllabus.assessment import views_statistics
from tests.assessment.statistics.conftest import StatsQuiz

pytestmark = pytest.mark.django_db


def page_url(sq: StatsQuiz, **query: str) -> str:
    url = reverse("assessment:quiz-statistics", args=[sq.course.pk, sq.uid])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


@pytest.mark.parametrize(
    ("text", "escaped"), [(" =cmd", "' =cmd"), ("\t-2+3", "'\t-2+3"), ("Statement 1", "Statement 1")]
)
def test_formula_escaping_sees_past_leading_spaces(text: str, escaped: str) -> None:
    assert views_statistics.escape_cell(text) == escaped


def test_the_csv_escapes_a_question_name_with_a_formula_behind_spaces(stats_quiz: StatsQuiz, sign_in: Any) -> None:
    stats_quiz.fixture()
    stats_quiz.questions[0].latest.name = "  =HYPERLINK(1)"
    stats_quiz.questions[0].latest.save(update_fields=["name"])
    response = sign_in(stats_quiz.qw.world.instructor).get(page_url(stats_quiz, format="csv"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][1] == "'  =HYPERLINK(1)"


def test_the_calculated_line_reads_as_one_sentence(stats_quiz: StatsQuiz, sign_in: Any) -> None:
    stats_quiz.fixture()
    stats_quiz.compute()
    body = sign_in(stats_quiz.qw.world.instructor).get(page_url(stats_quiz)).content.decode()
    [line] = [part for part in body.split("<p") if "attempts (first attempts), calculated" in part]
    assert ".." not in line and "m.</p>" not in line
