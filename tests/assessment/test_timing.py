"""The server is the only clock: deadlines, the grace period, late submissions and the overdue task."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from syllabus.assessment import tasks
from syllabus.assessment.models import AnswerState, Attempt, AttemptState
from syllabus.assessment.services import attempts
from tests.assessment.conftest import NOW, RIGHT, WRONG, Clock, QuizWorld, fixed, member

LIMIT = dt.timedelta(minutes=20)
GRACE = dt.timedelta(seconds=10)


@pytest.fixture(autouse=True)
def ten_seconds_of_grace(settings: Any) -> None:
    settings.QUIZ_GRACE_SECONDS = 10


@pytest.fixture
def timed(quiz_world: QuizWorld) -> dict[str, Any]:
    """A 20-minute quiz of two true/false questions (pass mark 50) and the learner's attempt started at NOW."""
    questions = [quiz_world.make_question("truefalse", name=f"Q{n}") for n in range(2)]
    quiz = quiz_world.publish_quiz(slots=[fixed(q) for q in questions], time_limit_minutes=20, pass_mark="50")
    return {"quiz": quiz, "attempt": quiz_world.start(quiz)}


def test_the_time_limit_sets_the_deadline_at_start(timed: dict[str, Any]) -> None:
    attempt = timed["attempt"]
    assert attempt.deadline == NOW + LIMIT
    assert attempt.settings["time_limit_minutes"] == 20


def test_the_close_date_cuts_the_time_limit_short(quiz_world: QuizWorld) -> None:
    closes = NOW + dt.timedelta(minutes=5)
    quiz = quiz_world.publish_quiz(
        slots=[fixed(quiz_world.make_question("truefalse"))], time_limit_minutes=20, closes_at=closes.isoformat()
    )
    assert quiz_world.start(quiz).deadline == closes


def test_an_answer_saved_within_the_grace_period_counts(quiz_world: QuizWorld, timed: dict[str, Any]) -> None:
    attempt = timed["attempt"]
    just_late = NOW + LIMIT + GRACE - dt.timedelta(seconds=1)
    result = attempts.attempt_save(
        attempt=attempt, responses={1: RIGHT["truefalse"]}, by=quiz_world.learner, now=just_late
    )
    assert result.saved == [1]
    submitted = attempts.attempt_submit(attempt=attempt, by=quiz_world.learner, now=just_late)
    assert submitted.submitted_late is False
    assert submitted.finished_at == just_late
    assert submitted.grade == Decimal(50)


def test_a_save_after_the_grace_period_is_not_kept_and_the_attempt_is_submitted_with_what_was_saved(
    quiz_world: QuizWorld, timed: dict[str, Any]
) -> None:
    attempt = timed["attempt"]
    learner = quiz_world.learner
    attempts.attempt_save(
        attempt=attempt, responses={1: RIGHT["truefalse"]}, by=learner, now=NOW + dt.timedelta(minutes=5)
    )
    too_late = NOW + LIMIT + GRACE + dt.timedelta(seconds=1)

    with pytest.raises(attempts.AttemptOver) as exc:
        attempts.attempt_save(
            attempt=attempt, responses={1: WRONG["truefalse"], 2: RIGHT["truefalse"]}, by=learner, now=too_late
        )

    assert str(exc.value) == attempts.TIME_UP
    over = exc.value.attempt
    assert over.state == AttemptState.FINISHED
    assert over.submitted_late is True
    # It ended when the time (and the grace) ran out, not when the late request came.
    assert over.finished_at == NOW + LIMIT + GRACE
    first, second = over.answers.order_by("slot")
    assert (first.response, first.state) == (RIGHT["truefalse"], AnswerState.RIGHT)
    assert (second.response, second.state) == ({}, AnswerState.GAVE_UP)
    assert over.grade == Decimal(50)


def test_a_check_after_the_grace_period_submits_the_attempt(quiz_world: QuizWorld) -> None:
    quiz = quiz_world.publish_quiz(
        slots=[fixed(quiz_world.make_question("truefalse"))], time_limit_minutes=20, behaviour="interactive"
    )
    attempt = quiz_world.start(quiz)
    with pytest.raises(attempts.AttemptOver):
        attempts.attempt_check(
            attempt=attempt, slot=1, raw=RIGHT["truefalse"], by=quiz_world.learner, now=NOW + LIMIT + 2 * GRACE
        )
    answer = attempt.answers.get()
    assert (answer.tries, answer.response, answer.state) == (0, {}, AnswerState.GAVE_UP)


def test_a_late_submission_is_flagged_and_graded_with_the_answers_saved_in_time(
    quiz_world: QuizWorld, timed: dict[str, Any]
) -> None:
    attempt = timed["attempt"]
    attempts.attempt_save(
        attempt=attempt, responses={1: RIGHT["truefalse"], 2: RIGHT["truefalse"]}, by=quiz_world.learner, now=NOW
    )
    submitted = attempts.attempt_submit(attempt=attempt, by=quiz_world.learner, now=NOW + dt.timedelta(hours=3))
    assert (submitted.state, submitted.submitted_late, submitted.grade) == (AttemptState.FINISHED, True, Decimal(100))
    assert submitted.finished_at == NOW + LIMIT + GRACE


def test_without_grace_the_deadline_is_exact(quiz_world: QuizWorld, timed: dict[str, Any], settings: Any) -> None:
    settings.QUIZ_GRACE_SECONDS = 0
    attempt = timed["attempt"]
    on_time = attempts.attempt_save(
        attempt=attempt, responses={1: RIGHT["truefalse"]}, by=quiz_world.learner, now=NOW + LIMIT
    )
    assert on_time.saved == [1]
    with pytest.raises(attempts.AttemptOver):
        attempts.attempt_save(
            attempt=attempt,
            responses={2: RIGHT["truefalse"]},
            by=quiz_world.learner,
            now=NOW + LIMIT + dt.timedelta(microseconds=1),
        )


def test_the_overdue_task_closes_only_attempts_past_their_deadline_and_grace(
    quiz_world: QuizWorld, timed: dict[str, Any]
) -> None:
    quiz = timed["quiz"]
    overdue = timed["attempt"]
    attempts.attempt_save(attempt=overdue, responses={1: RIGHT["truefalse"]}, by=quiz_world.learner, now=NOW)
    # Started later: its deadline has not passed when the task runs.
    running = quiz_world.start(quiz, member(quiz_world.world, "Rick Running").user, now=NOW + dt.timedelta(minutes=15))
    # Within the grace period: not yet.
    in_grace = quiz_world.start(quiz, member(quiz_world.world, "Gina Grace").user, now=NOW + dt.timedelta(seconds=5))
    # No time limit at all: never closed by the task.
    untimed_quiz = quiz_world.publish_quiz(title="Untimed", slots=[fixed(quiz_world.make_question("truefalse"))])
    untimed = quiz_world.start(untimed_quiz)

    now = NOW + LIMIT + GRACE + dt.timedelta(seconds=1)
    assert attempts.attempts_close_overdue(now=now) == 1

    states = dict(Attempt.objects.values_list("pk", "state"))
    assert states == {
        overdue.pk: AttemptState.FINISHED,
        running.pk: AttemptState.IN_PROGRESS,
        in_grace.pk: AttemptState.IN_PROGRESS,
        untimed.pk: AttemptState.IN_PROGRESS,
    }
    overdue.refresh_from_db()
    assert (overdue.submitted_late, overdue.grade, overdue.finished_at) == (True, Decimal(50), NOW + LIMIT + GRACE)
    # Run again: nothing more to do.
    assert attempts.attempts_close_overdue(now=now) == 0


def test_the_celery_task_closes_overdue_attempts_by_the_server_clock(
    quiz_world: QuizWorld, timed: dict[str, Any], moved_clock: Clock
) -> None:
    moved_clock.move(minutes=21)
    assert tasks.close_overdue.apply().get() == 1
    assert tasks.close_overdue.apply().get() == 0
    timed["attempt"].refresh_from_db()
    assert timed["attempt"].state == AttemptState.FINISHED


def test_the_submit_button_and_the_overdue_task_finish_an_attempt_once(
    quiz_world: QuizWorld, timed: dict[str, Any], django_capture_on_commit_callbacks: Any, quiz_signals: list[Any]
) -> None:
    stale = timed["attempt"]  # the learner's page, loaded before the task ran
    now = NOW + LIMIT + 2 * GRACE
    with django_capture_on_commit_callbacks(execute=True):
        assert attempts.attempts_close_overdue(now=now) == 1
        submitted = attempts.attempt_submit(attempt=stale, by=quiz_world.learner, now=now + dt.timedelta(seconds=1))
        assert attempts.attempts_close_overdue(now=now + dt.timedelta(minutes=1)) == 0
    assert submitted.state == AttemptState.FINISHED
    assert submitted.finished_at == NOW + LIMIT + GRACE
    assert [s.signal for s in quiz_signals].count("submitted") == 1
    assert [entry["kind"] for entry in submitted.answers.get(slot=1).history] == ["submit"]


def test_a_stale_overdue_run_after_the_submission_changes_nothing(quiz_world: QuizWorld, timed: dict[str, Any]) -> None:
    attempt = timed["attempt"]
    stale_copy = Attempt.objects.get(pk=attempt.pk)
    submitted = attempts.attempt_submit(attempt=attempt, by=quiz_world.learner, now=NOW + dt.timedelta(minutes=1))
    # The task had loaded the attempt before the learner submitted.
    assert attempts._finish(stale_copy, now=NOW + LIMIT + 2 * GRACE, by=None) is False
    submitted.refresh_from_db()
    assert (submitted.finished_at, submitted.submitted_late) == (NOW + dt.timedelta(minutes=1), False)


def test_starting_again_closes_an_overdue_attempt_first(quiz_world: QuizWorld, timed: dict[str, Any]) -> None:
    later = NOW + dt.timedelta(hours=1)
    second = quiz_world.start(timed["quiz"], now=later)
    assert second.number == 2
    assert second.deadline == later + LIMIT
    first = Attempt.objects.get(pk=timed["attempt"].pk)
    assert (first.state, first.submitted_late) == (AttemptState.FINISHED, True)


def test_the_deadline_holds_for_a_resumed_attempt(quiz_world: QuizWorld, timed: dict[str, Any]) -> None:
    resumed = quiz_world.start(timed["quiz"], now=NOW + dt.timedelta(minutes=19))
    assert resumed.pk == timed["attempt"].pk
    assert resumed.deadline == NOW + LIMIT


def test_a_closed_quiz_takes_no_save_after_its_close_date(quiz_world: QuizWorld) -> None:
    closes = NOW + dt.timedelta(minutes=30)
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("truefalse"))], closes_at=closes.isoformat())
    attempt = quiz_world.start(quiz)
    with pytest.raises(attempts.AttemptOver):
        attempts.attempt_save(
            attempt=attempt, responses={1: RIGHT["truefalse"]}, by=quiz_world.learner, now=closes + 2 * GRACE
        )
    with pytest.raises(ValidationError) as exc:
        attempts.attempt_save(
            attempt=attempt, responses={1: RIGHT["truefalse"]}, by=quiz_world.learner, now=closes + 3 * GRACE
        )
    assert exc.value.messages == [attempts.ATTEMPT_CLOSED]
