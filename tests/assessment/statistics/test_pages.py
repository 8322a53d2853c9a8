"""The statistics page, its CSV and the API: who may see them (attacker side), what they show, a constant query
count, and "being calculated" for big quizzes."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.urls import reverse

from syllabus.access.policy import forget
from syllabus.assessment.models import QuestionStatistic, QuizStatistics
from syllabus.assessment.services import statistics
from tests.assessment.statistics.conftest import StatsQuiz
from tests.factories import CourseFactory

pytestmark = pytest.mark.django_db


def page_url(sq: StatsQuiz, **query: str) -> str:
    url = reverse("assessment:quiz-statistics", args=[sq.course.pk, sq.uid])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def api_url(sq: StatsQuiz, course_id: int | None = None) -> str:
    return f"/api/v1/assessment/courses/{course_id or sq.course.pk}/quizzes/{sq.uid}/statistics/"


def test_the_team_sees_the_figures_and_the_flags(stats_quiz: StatsQuiz, sign_in: Any) -> None:
    stats_quiz.fixture()
    response = sign_in(stats_quiz.qw.world.instructor).get(page_url(stats_quiz))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Statement 1" in body and "64.55 %" in body and "46.15 %" in body
    # Statement 2 discriminates nothing (0): flagged in words.
    [row2] = [r for r in response.context["rows"] if r["slot"] == 2]
    assert row2["flags"] == ["Low discrimination"]
    assert "What these mean" in body and 'aria-describedby="explain-discrimination"' in body
    # The charts read a JSON block (no inline script) and have the table as their text.
    chart = response.context["chart"]
    assert chart["labels"] == ["Q1", "Q2", "Q3"] and chart["histogram"]["values"][6] == 2
    assert '<script id="statistics-chart" type="application/json">' in body
    assert "assessment/statistics.js" in body


def test_the_page_computes_once_and_then_reads_the_stored_figures(
    stats_quiz: StatsQuiz, sign_in: Any, django_assert_max_num_queries: Any
) -> None:
    stats_quiz.fixture()
    client = sign_in(stats_quiz.qw.world.instructor)
    client.get(page_url(stats_quiz))
    assert QuizStatistics.objects.filter(course=stats_quiz.course).count() == 1
    forget(stats_quiz.qw.world.instructor.user)
    with django_assert_max_num_queries(20) as first:
        client.get(page_url(stats_quiz))
    # More attempts and questions drawn: the same number of queries.
    for person in stats_quiz.people(6):
        stats_quiz.attempt(person, (1, 0, 1))
    statistics.statistics_compute(course=stats_quiz.course, activity_uid=stats_quiz.uid, which="first")
    forget(stats_quiz.qw.world.instructor.user)
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get(page_url(stats_quiz))


def test_the_choice_of_attempts_and_recalculate(stats_quiz: StatsQuiz, sign_in: Any) -> None:
    stats_quiz.fixture()
    client = sign_in(stats_quiz.qw.world.instructor)
    response = client.get(page_url(stats_quiz, which="all"))
    assert response.context["which"] == "all"
    response = client.get(page_url(stats_quiz, which="nonsense"))
    assert response.status_code == 200 and response.context["which"] == "first"
    response = client.post(page_url(stats_quiz), {"which": "last"})
    assert response.status_code == 302 and response["Location"].endswith("?which=last")
    assert QuizStatistics.objects.filter(course=stats_quiz.course, which="last").exists()


def test_a_big_quiz_is_being_calculated_with_the_last_figures(
    stats_quiz: StatsQuiz, sign_in: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    stats_quiz.fixture()
    stats_quiz.compute()
    stats_quiz.attempt(stats_quiz.people(1)[0], (1, 1, 1))  # stale now
    monkeypatch.setattr(statistics, "SYNC_LIMIT", 2)
    from syllabus.assessment import tasks

    monkeypatch.setattr(tasks.compute_statistics, "delay", lambda **kw: None)
    response = sign_in(stats_quiz.qw.world.instructor).get(page_url(stats_quiz))
    assert response.context["pending"] is True
    body = response.content.decode()
    assert "being calculated again" in body and "64.55 %" in body


def test_the_csv_has_every_figure_and_escapes_formulas(stats_quiz: StatsQuiz, sign_in: Any) -> None:
    stats_quiz.fixture()
    stats_quiz.questions[0].latest.name = "=HYPERLINK(1)"
    stats_quiz.questions[0].latest.save(update_fields=["name"])
    response = sign_in(stats_quiz.qw.world.instructor).get(page_url(stats_quiz, format="csv"))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:6] == ["Slot", "Question", "Type", "Drawn at random", "Attempts", "Facility index"]
    assert rows[1][1] == "'=HYPERLINK(1)"
    assert rows[1][4:] == ["5", "60.00", "54.77", "50.00", "33.33", "37.83", "64.55", "100.00", ""]
    assert rows[2][-1] == "Low discrimination"


def test_a_learner_is_refused_and_another_org_finds_nothing(stats_quiz: StatsQuiz, sign_in: Any) -> None:
    world = stats_quiz.qw.world
    assert sign_in(world.learner).get(page_url(stats_quiz)).status_code == 403
    assert sign_in(world.outsider).get(page_url(stats_quiz)).status_code == 404
    # The outsider's own course with this quiz's uid: still nothing of ours.
    theirs = CourseFactory(organization=world.other_org)
    url = reverse("assessment:quiz-statistics", args=[theirs.pk, stats_quiz.uid])
    assert sign_in(world.outsider).get(url).status_code == 404
    # A quiz the course never had.
    other = reverse("assessment:quiz-statistics", args=[stats_quiz.course.pk, "00000000-0000-0000-0000-000000000001"])
    assert sign_in(world.instructor).get(other).status_code == 404
    assert not QuizStatistics.objects.exists()


def test_the_api_reads_and_recalculates(stats_quiz: StatsQuiz, as_member: Any) -> None:
    stats_quiz.fixture()
    client = as_member(stats_quiz.qw.world.instructor)
    response = client.get(api_url(stats_quiz), {"which": "all"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["which"] == "all" and data["state"] == "current"
    assert data["summary"]["alpha"] == pytest.approx(46.1538, abs=1e-4)
    assert [q["name"] for q in data["questions"]] == ["Statement 1", "Statement 2", "Statement 3"]
    assert data["questions"][0]["discrimination"] == pytest.approx(64.5497, abs=1e-4)
    response = client.post(api_url(stats_quiz), json.dumps({"which": "highest"}), content_type="application/json")
    assert response.status_code == 200 and response.json()["which"] == "highest"
    bad = client.get(api_url(stats_quiz), {"which": "best"})
    assert bad.status_code == 400


def test_the_api_refuses_learners_and_hides_from_other_orgs(stats_quiz: StatsQuiz, as_member: Any) -> None:
    world = stats_quiz.qw.world
    assert as_member(world.learner).get(api_url(stats_quiz)).status_code == 403
    assert as_member(world.outsider).get(api_url(stats_quiz)).status_code == 404
    assert as_member(world.outsider).post(api_url(stats_quiz), {}, format="json").status_code == 404
    assert not QuestionStatistic.objects.exists()
