"""statistics_compute / statistics_current: the attempts each choice counts, the rows stored, random slots,
shuffled attempts, and the fingerprint that makes stored figures stale."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError

from syllabus.assessment.models import AttemptState, QuestionStatistic, QuizStatistics
from syllabus.assessment.services import attempts as attempt_services
from syllabus.assessment.services import statistics
from tests.assessment.conftest import NOW
from tests.assessment.statistics.conftest import StatsQuiz

pytestmark = pytest.mark.django_db


def approx(value: float) -> object:
    return pytest.approx(value, abs=1e-4)


def test_the_stored_figures_are_the_hand_computed_ones(stats_quiz: StatsQuiz) -> None:
    stats_quiz.fixture()
    stored = stats_quiz.compute()
    assert stored.attempts == 5 and stored.which == "first"
    assert stored.summary["mean"] == approx(160 / 3)
    assert stored.summary["alpha"] == approx(46.1538)
    assert stored.summary["standard_error"] == approx(27.8886)
    rows = list(QuestionStatistic.objects.filter(statistics=stored).order_by("slot"))
    assert [r.question_id for r in rows] == [q.pk for q in stats_quiz.questions]
    assert [r.version_id for r in rows] == [q.latest_id for q in stats_quiz.questions]
    assert [r.discrimination for r in rows] == [approx(64.5497), approx(0), approx(32.7327)]
    assert [r.effective_weight for r in rows] == [approx(37.8347), approx(27.9428), approx(34.2226)]
    # True/false: a guess scores 50 %.
    assert [r.random_guess for r in rows] == [approx(50)] * 3


def test_previews_unfinished_and_ungraded_attempts_never_count(stats_quiz: StatsQuiz) -> None:
    stats_quiz.fixture()
    extra = stats_quiz.people(3)
    stats_quiz.attempt(extra[0], (1, 1, 1), preview=True)
    stats_quiz.attempt(extra[1], (1, 1, 1), state=AttemptState.NEEDS_GRADING)
    stats_quiz.attempt(extra[2], (1, 1, 1), state=AttemptState.IN_PROGRESS)
    assert stats_quiz.compute().attempts == 5


@pytest.mark.parametrize(
    ("which", "count", "mean"),
    [
        # Ann: 1/3 then 3/3; Bob: 2/3 then 0/3. First: 1 and 2; last: 3 and 0; highest: 3 and 2; all four.
        ("first", 2, 50.0),
        ("last", 2, 50.0),
        ("highest", 2, 500 / 6),
        ("all", 4, 50.0),
    ],
)
def test_which_attempts_count(stats_quiz: StatsQuiz, which: str, count: int, mean: float) -> None:
    ann, bob = stats_quiz.people(2)
    stats_quiz.attempt(ann, (1, 0, 0), number=1)
    stats_quiz.attempt(ann, (1, 1, 1), number=2)
    stats_quiz.attempt(bob, (1, 1, 0), number=1)
    stats_quiz.attempt(bob, (0, 0, 0), number=2)
    stored = stats_quiz.compute(which)
    assert stored.attempts == count
    assert stored.summary["mean"] == approx(mean)
    # One computation per choice: the others are kept.
    assert QuizStatistics.objects.filter(course=stats_quiz.course, which=which).count() == 1


def test_computing_again_replaces_the_rows(stats_quiz: StatsQuiz) -> None:
    stats_quiz.fixture()
    first = stats_quiz.compute()
    again = stats_quiz.compute()
    assert first.pk == again.pk
    assert QuestionStatistic.objects.filter(statistics=again).count() == 3


def test_an_unknown_choice_is_refused_by_name(stats_quiz: StatsQuiz) -> None:
    with pytest.raises(ValidationError) as caught:
        stats_quiz.compute("best")
    assert caught.value.message_dict == {"which": [statistics.UNKNOWN_WHICH]}


def test_a_random_slot_has_a_total_row_and_a_row_per_question(stats_quiz: StatsQuiz) -> None:
    q1, q2, q3 = stats_quiz.questions
    q4 = stats_quiz.qw.make_question("truefalse", name="Statement 4")
    people = stats_quiz.people(5)
    marks_of = [(1, 1, 1), (1, 1, 0), (1, 0, 1), (0, 1, 0), (0, 0, 0)]
    for n, (person, marks) in enumerate(zip(people, marks_of, strict=True)):
        stats_quiz.attempt(person, marks, questions=[q1, q2, q3 if n < 3 else q4])
    stored = stats_quiz.compute()
    rows = list(QuestionStatistic.objects.filter(statistics=stored).order_by("slot", "-is_slot_total", "question_id"))
    assert [(r.slot, r.question_id, r.is_slot_total, r.count) for r in rows] == [
        (1, q1.pk, False, 5),
        (2, q2.pk, False, 5),
        (3, q3.pk, True, 5),
        (3, q3.pk, False, 3),
        (3, q4.pk, False, 2),
    ]
    # See test_formulas: question 13 there is q3 here.
    assert rows[3].discrimination == approx(-50)


def test_shuffled_attempts_put_fixed_questions_back_at_their_slot(stats_quiz: StatsQuiz) -> None:
    q1, q2, q3 = stats_quiz.questions
    people = stats_quiz.people(2)
    stats_quiz.attempt(people[0], (1, 0, 0), questions=[q1, q2, q3])
    # Shown q3, q1, q2: q3 right, the others wrong.
    stats_quiz.attempt(people[1], (1, 0, 0), questions=[q3, q1, q2], shuffled=True)
    stored = stats_quiz.compute()
    rows = {r.slot: r for r in QuestionStatistic.objects.filter(statistics=stored)}
    assert {slot: row.question_id for slot, row in rows.items()} == {1: q1.pk, 2: q2.pk, 3: q3.pk}
    assert not any(r.is_slot_total for r in rows.values())
    assert [rows[s].facility for s in (1, 2, 3)] == [approx(50), approx(0), approx(50)]


def test_statistics_go_stale_when_attempts_change(stats_quiz: StatsQuiz) -> None:
    users = stats_quiz.fixture()
    kw = {"course": stats_quiz.course, "activity_uid": stats_quiz.uid, "which": "first"}
    assert statistics.statistics_current(**kw) is None  # nothing computed yet
    stored = stats_quiz.compute()
    assert statistics.statistics_current(**kw) == stored
    # Fingerprint: count, sum of revisions, last id, last finish.
    assert stored.fingerprint.startswith("5:0:")
    # A regrade or a manual grade recomputes the attempt (its revision moves): stale.
    attempt = users["E"].quiz_attempts.get()
    attempt_services.attempt_recompute(attempt)
    assert statistics.statistics_current(**kw) is None
    stats_quiz.compute()
    assert statistics.statistics_current(**kw) is not None
    # A new attempt: stale again.
    stats_quiz.attempt(stats_quiz.people(1)[0], (1, 1, 1), at=NOW + dt.timedelta(hours=1))
    assert statistics.statistics_current(**kw) is None


def test_a_quiz_without_attempts_stores_empty_figures(stats_quiz: StatsQuiz) -> None:
    stored = stats_quiz.compute()
    assert stored.attempts == 0 and stored.summary["mean"] is None
    assert not QuestionStatistic.objects.filter(statistics=stored).exists()


def test_big_quizzes_go_to_the_worker_once(stats_quiz: StatsQuiz, monkeypatch: pytest.MonkeyPatch) -> None:
    stats_quiz.fixture()
    monkeypatch.setattr(statistics, "SYNC_LIMIT", 2)
    queued: list[dict[str, object]] = []
    from syllabus.assessment import tasks

    monkeypatch.setattr(tasks.compute_statistics, "delay", lambda **kw: queued.append(kw))
    from django.core.cache import cache

    # Only this quiz's queue mark: clearing the whole cache would flush the Redis database other workers share.
    cache.delete(f"assessment:statistics:{stats_quiz.course.pk}:{stats_quiz.uid}:all")
    kw = {"course": stats_quiz.course, "activity_uid": stats_quiz.uid, "which": "all"}
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        assert statistics.statistics_request(**kw) is False
        assert statistics.statistics_request(**kw) is False
    assert queued == [{"course_id": stats_quiz.course.pk, "activity_uid": str(stats_quiz.uid), "which": "all"}]
    # The worker computes and lets the next request queue again.
    assert tasks.compute_statistics(**queued[0]) == 5  # type: ignore[arg-type]
    assert statistics.statistics_current(**kw) is not None
    with TestCase.captureOnCommitCallbacks(execute=True):
        statistics.statistics_request(**kw)
    assert len(queued) == 2


def test_the_task_does_nothing_for_a_course_that_is_gone() -> None:
    from syllabus.assessment import tasks

    assert tasks.compute_statistics(course_id=987654, activity_uid=str(uuid.uuid4()), which="first") == 0
