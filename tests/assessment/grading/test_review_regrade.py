"""Review findings on regrading interactive attempts: the penalty a settled answer carried is recomputed exactly as
the attempt service applied it, so regrading a question nobody changed changes no mark — with a mark that is not 1,
and with a penalty that reaches its cap — and the plan is what is applied."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from syllabus.assessment.models import Question
from syllabus.assessment.services import attempts, regrade
from tests.assessment.conftest import NOW, QuizWorld, fixed

pytestmark = pytest.mark.django_db

SINGLE = {
    "options": [
        {"id": "a1", "text": "Right", "fraction": "1", "feedback": ""},
        {"id": "a2", "text": "Mostly", "fraction": "0.8", "feedback": ""},
        {"id": "a3", "text": "Half", "fraction": "0.5", "feedback": ""},
        {"id": "a4", "text": "Wrong", "fraction": "0", "feedback": ""},
    ],
    "shuffle": False,
    "numbering": "abc",
}


def interactive(quiz_world: QuizWorld, *, tries: int, penalty: str, mark: str) -> tuple[Question, dict[str, Any]]:
    question = quiz_world.make_question("single", data=SINGLE)
    quiz = quiz_world.publish_quiz(
        slots=[fixed(question, mark=mark)], behaviour="interactive", tries=tries, penalty=penalty
    )
    return question, quiz


def checks(quiz_world: QuizWorld, quiz: dict[str, Any], choices: list[str]) -> Decimal:
    """Check each choice in turn (the last settles the question), submit, and return the answer's mark."""
    attempt = quiz_world.start(quiz)
    by = quiz_world.learner
    for choice in choices:
        answer = attempts.attempt_check(attempt=attempt, slot=1, raw={"choice": choice}, by=by, now=NOW)
    assert answer.locked
    attempts.attempt_submit(attempt=attempt, by=by, now=NOW)
    mark = attempt.answers.get().mark
    assert mark is not None
    return mark


def plan(quiz_world: QuizWorld, question: Question, *, to_latest: bool) -> regrade.RegradePlan:
    return regrade.regrade_plan(
        course=quiz_world.course, activity_uid=None, question=question, to_latest=to_latest, by=quiz_world.owner
    )


@pytest.mark.parametrize("to_latest", [True, False])
def test_regrading_a_partly_right_last_try_with_a_thirds_penalty_changes_nothing(
    quiz_world: QuizWorld, to_latest: bool
) -> None:
    question, quiz = interactive(quiz_world, tries=2, penalty="0.3333333", mark="10")
    mark = checks(quiz_world, quiz, ["a4", "a3"])  # wrong, then half right on the last try
    assert mark == Decimal("1.66667")  # (0.5 − 0.3333333) × 10
    found = plan(quiz_world, question, to_latest=to_latest)
    assert found.counts() == {"changes": 0, "unchanged": 1, "manual": 0, "cannot": 0}
    assert found.rows[0].new_mark == mark


def test_regrading_a_last_try_after_the_penalty_reached_its_cap_changes_nothing(quiz_world: QuizWorld) -> None:
    question, quiz = interactive(quiz_world, tries=2, penalty="0.6", mark="1")
    # The stored penalty is capped at 1 after the second wrong-ish try; the second try itself carried 0.6.
    mark = checks(quiz_world, quiz, ["a4", "a2"])
    assert mark == Decimal("0.2")  # 0.8 − 0.6
    assert plan(quiz_world, question, to_latest=True).counts()["changes"] == 0


def test_the_applied_regrade_is_the_plan_and_changes_nothing_the_plan_did_not_show(quiz_world: QuizWorld) -> None:
    question, quiz = interactive(quiz_world, tries=3, penalty="0.25", mark="4")
    before = [checks(quiz_world, quiz, ["a4", "a4", "a3"])]
    shown = plan(quiz_world, question, to_latest=True)
    applied = regrade.regrade_apply(
        course=quiz_world.course, activity_uid=None, question=question, to_latest=True, by=quiz_world.owner
    )
    assert applied.summary() == shown.summary()
    assert [row.new_mark for row in applied.rows] == before == [Decimal("0")]  # 0.5 − 0.5, never below 0


# --- what is applied is what was previewed ----------------------------------------------------------------------------


def wrong_key(quiz_world: QuizWorld) -> tuple[Question, dict[str, Any]]:
    from tests.assessment.conftest import DEFAULT_DATA

    question = quiz_world.make_question("truefalse", name="Water on oil fires", data={**DEFAULT_DATA["truefalse"]})
    return question, quiz_world.publish_quiz(slots=[fixed(question, mark="2")])


def fixed_key(quiz_world: QuizWorld, question: Question) -> None:
    from syllabus.assessment.services import questions as question_services

    latest = question.latest
    assert latest is not None
    values = question_services.QuestionFields(qtype="truefalse", name=latest.name, text=latest.text,
                                              data={**latest.data, "correct": False})  # fmt: skip
    question_services.question_update(question=question, values=values, by=quiz_world.owner)
    question.refresh_from_db()


def test_a_plan_changed_since_its_preview_is_not_applied(quiz_world: QuizWorld) -> None:
    from django.core.exceptions import ValidationError

    question, quiz = wrong_key(quiz_world)
    attempt = quiz_world.take(quiz, {1: {"answer": False}})
    fixed_key(quiz_world, question)
    previewed = plan(quiz_world, question, to_latest=True)
    # Between the preview and "Apply", a grader corrects the answer by hand.
    attempts.answer_grade(answer=attempt.answers.get(), mark="1", by=quiz_world.owner, now=NOW)
    with pytest.raises(ValidationError) as refused:
        regrade.regrade_apply(course=quiz_world.course, activity_uid=None, question=question, to_latest=True,
                              by=quiz_world.owner, expected=previewed.fingerprint)  # fmt: skip
    assert isinstance(refused.value, regrade.RegradeChanged)
    assert refused.value.message_dict == {"fingerprint": [regrade.PLAN_CHANGED]}
    assert refused.value.plan.counts()["manual"] == 1
    assert attempt.answers.get().mark == Decimal("1")


def test_the_previewed_plan_is_applied_when_nothing_changed(quiz_world: QuizWorld) -> None:
    question, quiz = wrong_key(quiz_world)
    attempt = quiz_world.take(quiz, {1: {"answer": False}})
    fixed_key(quiz_world, question)
    previewed = plan(quiz_world, question, to_latest=True)
    applied = regrade.regrade_apply(course=quiz_world.course, activity_uid=None, question=question, to_latest=True,
                                    by=quiz_world.owner, expected=previewed.fingerprint)  # fmt: skip
    assert applied.fingerprint == previewed.fingerprint
    assert attempt.answers.get().mark == Decimal("2")
    assert plan(quiz_world, question, to_latest=True).fingerprint != previewed.fingerprint  # nothing left to change


def test_the_page_and_the_api_apply_only_the_previewed_plan(quiz_world: QuizWorld, client, as_member) -> None:
    from django.urls import reverse

    from tests.api.conftest import V1, error_fields

    question, quiz = wrong_key(quiz_world)
    attempt = quiz_world.take(quiz, {1: {"answer": False}})
    fixed_key(quiz_world, question)
    client.force_login(quiz_world.owner)
    url = reverse("assessment:regrade", args=[quiz_world.course.pk])
    shown = client.get(f"{url}?question={question.pk}&to_latest=on").context["plan_fingerprint"]
    stale = client.post(url, {"question": question.pk, "to_latest": "on", "plan": "0" * 32})
    assert stale.status_code == 200 and [str(m) for m in stale.context["messages"]] == [regrade.PLAN_CHANGED]
    assert stale.context["plan_fingerprint"] == shown and attempt.answers.get().mark == Decimal("0")
    api = as_member(quiz_world.world.instructor)
    endpoint = f"{V1}/assessment/courses/{quiz_world.course.pk}/regrade/"
    dry = api.post(endpoint, {"question": question.pk}, format="json").json()
    assert dry["fingerprint"] == shown
    refused = api.post(endpoint, {"question": question.pk, "dry_run": False, "fingerprint": "é" * 10}, format="json")
    assert error_fields(refused) == {"fingerprint": regrade.PLAN_CHANGED}
    done = client.post(url, {"question": question.pk, "to_latest": "on", "plan": shown}, follow=True)
    assert [str(m) for m in done.context["messages"]] == ["1 answer regraded."]
    assert attempt.answers.get().mark == Decimal("2")
