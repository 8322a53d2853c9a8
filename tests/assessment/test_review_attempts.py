"""Review findings on the attempt service: an answer's history cannot grow without end, a pool that is too small
never names another organisation's category, the quiz grade the team reads is the one progress heard, and a
regrade's audit keeps what an override replaced."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from syllabus.assessment.models import Attempt, AttemptState, QuestionBank, QuestionCategory
from syllabus.assessment.services import attempts
from tests.assessment.conftest import NOW, QuizWorld, fixed, pool

pytestmark = pytest.mark.django_db


# --- the history of an answer -----------------------------------------------------------------------------------------


def essay_quiz(quiz_world: QuizWorld) -> dict[str, Any]:
    return quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("essay"))])


def test_autosaving_a_long_essay_again_and_again_keeps_the_history_within_its_size(quiz_world: QuizWorld) -> None:
    quiz = essay_quiz(quiz_world)
    attempt = quiz_world.start(quiz)
    words = "fire " * 6_000  # 30,000 characters
    for n in range(60):
        result = attempts.attempt_save(attempt=attempt, responses={1: {"text": f"{n} {words}"}}, by=quiz_world.learner,
                                       now=NOW)  # fmt: skip
        assert result.saved == [1]
    attempts.attempt_submit(attempt=attempt, by=quiz_world.learner, now=NOW)
    history = attempt.answers.get(slot=1).history
    # Every save is still there (when and what kind), but only the latest keep their 30,000 characters.
    assert [entry["kind"] for entry in history] == ["save"] * 60 + ["submit"]
    assert len(json.dumps(history)) <= attempts.HISTORY_CHARS + 40_000
    assert history[-1]["response"]["text"].startswith("59 ") and history[-2]["response"]["text"].startswith("59 ")
    assert "response" not in history[0]
    assert all("at" in entry for entry in history)


def test_a_bounded_history_keeps_the_responses_of_tries_and_submissions() -> None:
    big = {"text": "x" * 400_000}
    history: list[Any] = [
        {"kind": "try", "response": big, "fraction": "0"},
        {"kind": "save", "response": big},
        {"kind": "save", "response": big},
        {"kind": "submit", "response": big, "fraction": "0"},
    ]
    kept = attempts.bounded_history(history)
    assert [("response" in entry, entry["kind"]) for entry in kept] == [
        (True, "try"), (False, "save"), (False, "save"), (True, "submit"),
    ]  # fmt: skip


# --- a pool that is too small ---------------------------------------------------------------------------------------


def test_a_pool_too_small_never_names_another_organisations_category(quiz_world: QuizWorld) -> None:
    world = quiz_world.world
    theirs = QuestionBank.objects.create(organization=world.other_org, name="Theirs")
    secret = QuestionCategory.objects.create(bank=theirs, name="Their secret project")
    # A config no author form would let through (a hand-edited version, an old release): the learner's message
    # still says nothing of the other organisation.
    quiz = quiz_world.publish_quiz(slots=[pool(secret, count=1)])
    with pytest.raises(ValidationError) as refused:
        quiz_world.start(quiz)
    assert refused.value.messages == [attempts.POOL_TOO_SMALL.format(count=1, category="?", found=0)]


# --- the grade the team reads is the grade progress heard ----------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "waiting_first"),
    [("first", True), ("last", False), ("average", True), ("highest", True)],
)
def test_grade_of_matches_quiz_grade_while_an_attempt_waits_for_a_grader(
    quiz_world: QuizWorld, method: str, waiting_first: bool
) -> None:
    truefalse = quiz_world.make_question("truefalse")
    essay = quiz_world.make_question("essay", default_mark="4")
    quiz = quiz_world.publish_quiz(slots=[fixed(truefalse), fixed(essay)], grading_method=method)
    essay_text = {"text": "Heat, fuel and oxygen."}
    first = quiz_world.take(quiz, {1: {"answer": True}, **({2: essay_text} if waiting_first else {})})
    second = quiz_world.take(quiz, {1: {"answer": True}, **({} if waiting_first else {2: essay_text})})
    states = [first.state, second.state]
    assert AttemptState.NEEDS_GRADING in states and AttemptState.FINISHED in states
    expected = attempts.quiz_grade(user_id=quiz_world.learner.pk, course_id=quiz_world.course.pk,
                                   activity_uid=first.activity_uid)  # fmt: skip
    loaded = list(Attempt.objects.filter(user=quiz_world.learner))
    assert attempts.grade_of(loaded) == expected
    from syllabus.assessment import selectors_grading

    assert selectors_grading.overall_grade(loaded) == expected
    if method in ("first", "last", "average"):
        # The attempt that counts (or one of those averaged) waits: no grade yet, never the other attempt's.
        assert expected == (None, None)
    else:
        assert expected == (Decimal("20.00"), True)


# --- the quiz password --------------------------------------------------------------------------------------------


@pytest.fixture
def empty_cache() -> Any:
    """The cache counts wrong passwords by ids a later test may reuse: empty before and after."""
    from django.core.cache import cache

    cache.clear()
    yield cache
    cache.clear()


def test_wrong_passwords_are_limited_per_person_and_quiz(quiz_world: QuizWorld, empty_cache: Any) -> None:
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("truefalse"))], password="room-12")
    for _ in range(attempts.PASSWORD_TRIES):
        with pytest.raises(ValidationError) as wrong:
            quiz_world.start(quiz, password="room-13")
        assert wrong.value.message_dict == {"password": [attempts.WRONG_PASSWORD]}
    too_many = {"password": [attempts.TOO_MANY_PASSWORDS.format(minutes=15)]}
    for password in ("room-14", "room-12"):  # even the right one, until the window ends
        with pytest.raises(ValidationError) as refused:
            quiz_world.start(quiz, password=password)
        assert refused.value.message_dict == too_many
    assert not Attempt.objects.exists()
    # Someone else is not held back by this person's guesses.
    other = quiz_world.world.report.user
    assert quiz_world.start(quiz, other, password="room-12").user == other
    empty_cache.clear()  # the window ended
    assert quiz_world.start(quiz, password="room-12").user == quiz_world.learner


# --- the overdue task -----------------------------------------------------------------------------------------------


def test_one_attempt_that_cannot_be_graded_does_not_keep_the_others_open(
    quiz_world: QuizWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt

    from tests.assessment.conftest import member

    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("truefalse"))], time_limit_minutes=20)
    broken = quiz_world.start(quiz)  # the earliest deadline: the task meets it first
    later = quiz_world.start(quiz, member(quiz_world.world, "Olga Other").user, now=NOW + dt.timedelta(minutes=1))
    real = attempts._graded

    def graded(answer: Any) -> Any:
        if answer.attempt_id == broken.pk:
            raise KeyError("a question type bug")
        return real(answer)

    monkeypatch.setattr(attempts, "_graded", graded)
    now = NOW + dt.timedelta(hours=1)
    assert attempts.attempts_close_overdue(now=now) == 1
    states = dict(Attempt.objects.values_list("pk", "state"))
    assert states == {broken.pk: AttemptState.IN_PROGRESS, later.pk: AttemptState.FINISHED}
    monkeypatch.setattr(attempts, "_graded", real)  # fixed: the next run closes it
    assert attempts.attempts_close_overdue(now=now) == 1
