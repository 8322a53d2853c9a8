"""bench/quiz_submit.py at the smallest size: 3 learners x 3 questions, in this process, through the HTTP endpoints
and through the service. What it counts is checked, never how fast it was."""

from __future__ import annotations

from typing import Any

import pytest

from bench import quiz_submit
from syllabus.assessment.models import AnswerState, Attempt, AttemptState, QuestionAnswer

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup() -> quiz_submit.Setup:
    return quiz_submit.build(learners=3, questions=3)


def test_the_bench_builds_its_quiz_once_with_mixed_types_and_enrolled_learners(setup: quiz_submit.Setup) -> None:
    again = quiz_submit.build(learners=3, questions=3)
    assert (again.course_id, again.version_id, again.user_ids) == (setup.course_id, setup.version_id, setup.user_ids)
    assert len(setup.user_ids) == 3
    slots = setup.activity["config"]["slots"]
    assert [s["type"] for s in slots] == ["fixed"] * 3
    assert setup.activity["config"]["questions_per_page"] == 1


@pytest.mark.parametrize("path", ["http", "service"])
def test_every_learner_saves_each_answer_and_submits(setup: quiz_submit.Setup, path: str, settings: Any) -> None:
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    figures = quiz_submit.run(setup, workers=0, path=path)

    assert figures.errors == []
    assert (len(figures.starts), len(figures.saves), len(figures.submits)) == (3, 9, 3)
    assert figures.saved == 9
    attempts = Attempt.objects.filter(course_id=setup.course_id)
    assert [a.state for a in attempts] == [AttemptState.FINISHED] * 3
    answers = QuestionAnswer.objects.filter(attempt__in=attempts)
    assert answers.count() == 9 and not answers.filter(state=AnswerState.TODO).exists()
    # About three answers in four are right: some marks, not all.
    assert 0 < sum(a.marks for a in attempts) < sum(a.max_marks for a in attempts)

    lines = quiz_submit.describe(figures, path=path, learners=3, questions=3, workers=0)
    assert lines[0].startswith("path: HTTP endpoints" if path == "http" else "path: the attempt service")
    assert any(line.startswith("answers saved: 9 = ") for line in lines)
    assert lines[-1] == "errors: 0"
    # A second run starts from no attempts.
    assert quiz_submit.clear_attempts(setup) > 0
    assert not Attempt.objects.filter(course_id=setup.course_id).exists()
