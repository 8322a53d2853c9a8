"""Regrading after a question is fixed: the plan (what changes, for whom) equals what is applied; marks, attempt
grades and progress follow; manual grades, answers that no longer fit, and interactive penalties are respected;
one audit record; only the course's editors."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from syllabus.assessment.models import AnswerState, AttemptState, Question, QuestionAnswer
from syllabus.assessment.services import attempts, regrade
from syllabus.assessment.services import questions as question_services
from syllabus.audit.models import AuditRecord
from syllabus.progress.models import ActivityProgress
from tests.assessment.conftest import DEFAULT_DATA, NOW, QuizWorld, fixed, make_quiz_world
from tests.assessment.grading.conftest import Graded, SignIn

pytestmark = pytest.mark.django_db


def fix(question: Question, by: Any, **data: Any) -> None:
    """A new version of the question with `data` changed (the fix)."""
    latest = question.latest
    assert latest is not None
    values = question_services.QuestionFields(
        qtype=latest.qtype, name=latest.name, text=latest.text, general_feedback=latest.general_feedback,
        default_mark=latest.default_mark, data={**latest.data, **data},
    )  # fmt: skip
    question_services.question_update(question=question, values=values, by=by)
    question.refresh_from_db()


def plan_of(qw: QuizWorld, question: Question, *, to_latest: bool = True, by: Any = None) -> regrade.RegradePlan:
    return regrade.regrade_plan(
        course=qw.course, activity_uid=None, question=question, to_latest=to_latest, by=by or qw.owner
    )


def apply(qw: QuizWorld, question: Question, *, to_latest: bool = True) -> regrade.RegradePlan:
    return regrade.regrade_apply(
        course=qw.course, activity_uid=None, question=question, to_latest=to_latest, by=qw.owner
    )


@pytest.fixture
def wrong_key(quiz_world: QuizWorld) -> tuple[Question, dict[str, Any]]:
    """A true/false question whose author ticked the wrong answer ("true"; the statement is false)."""
    question = quiz_world.make_question(
        "truefalse", name="Water puts out oil fires", data={**DEFAULT_DATA["truefalse"]}
    )
    quiz = quiz_world.publish_quiz(slots=[fixed(question, mark="2")], pass_mark="50")
    return question, quiz


def test_fixing_a_wrong_right_answer_changes_the_marks_and_is_audited(
    quiz_world: QuizWorld, wrong_key, signals, django_capture_on_commit_callbacks
) -> None:
    question, quiz = wrong_key
    knew = quiz_world.take(quiz, {1: {"answer": False}})  # right, marked wrong
    other = quiz_world.world.report
    from syllabus.enrollment import services as enrollment_services

    enrollment_services.enrollment_create(course=quiz_world.course, membership=other, by=quiz_world.owner)
    guessed = quiz_world.take(quiz, {1: {"answer": True}}, other.user)  # wrong, marked right
    assert (knew.grade, guessed.grade) == (Decimal("0.00"), Decimal("100.00"))
    fix(question, quiz_world.owner, correct=False)
    signals.clear()
    with django_capture_on_commit_callbacks(execute=True):
        plan = apply(quiz_world, question)
    assert plan.counts() == {"changes": 2, "unchanged": 0, "manual": 0, "cannot": 0}
    knew.refresh_from_db()
    guessed.refresh_from_db()
    assert (knew.marks, knew.grade, knew.passed) == (Decimal("2"), Decimal("100.00"), True)
    assert (guessed.marks, guessed.grade, guessed.passed) == (Decimal("0"), Decimal("0.00"), False)
    answer = knew.answers.get()
    assert answer.question_version == question.latest and answer.state == AnswerState.RIGHT
    assert answer.history[-1]["kind"] == "regrade" and answer.history[-1]["before"]["state"] == "wrong"
    record = AuditRecord.objects.get(action="assessment.regraded")
    assert record.after == {
        "course": quiz_world.course.pk, "activity": None, "question": question.pk, "to_latest": True,
        "attempts": 2, "answers_changes": 2, "answers_unchanged": 0, "answers_manual": 0, "answers_cannot": 0,
        "plan": plan.fingerprint,  # the plan applied, as its preview showed it
    }  # fmt: skip
    # Progress hears the new grades ("last" and "highest" alike: the grade replaces the score).
    assert {(s.user_id, s.signal, s.data.get("score")) for s in signals if s.signal == "graded"} == {
        (quiz_world.learner.pk, "graded", "100.00"), (other.user.pk, "graded", "0.00"),
    }  # fmt: skip
    assert ActivityProgress.objects.get(enrollment__membership=quiz_world.world.learner).score == Decimal("100.00")


def test_the_preview_is_what_is_applied_and_nothing_is_left_to_change_after(quiz_world: QuizWorld, wrong_key) -> None:
    question, quiz = wrong_key
    quiz_world.take(quiz, {1: {"answer": False}})
    quiz_world.take(quiz, {1: {"answer": True}})
    fix(question, quiz_world.owner, correct=False)
    preview = plan_of(quiz_world, question)
    before = list(QuestionAnswer.objects.order_by("pk").values_list("mark", "state"))
    assert list(QuestionAnswer.objects.order_by("pk").values_list("mark", "state")) == before  # nothing written
    applied = apply(quiz_world, question)
    assert applied.summary() == preview.summary()
    assert [(r.new_mark, r.new_state) for r in preview.rows] == list(
        QuestionAnswer.objects.order_by("pk").values_list("mark", "state")
    )
    assert plan_of(quiz_world, question).counts()["changes"] == 0


def test_regrading_an_unchanged_question_changes_nothing(quiz_world: QuizWorld, wrong_key) -> None:
    question, quiz = wrong_key
    quiz_world.take(quiz, {1: {"answer": False}})
    for to_latest in (True, False):
        plan = plan_of(quiz_world, question, to_latest=to_latest)
        assert plan.counts() == {"changes": 0, "unchanged": 1, "manual": 0, "cannot": 0}


def test_without_to_latest_the_attempt_s_own_version_grades_again(quiz_world: QuizWorld, wrong_key) -> None:
    question, quiz = wrong_key
    quiz_world.take(quiz, {1: {"answer": False}})
    fix(question, quiz_world.owner, correct=False)
    plan = plan_of(quiz_world, question, to_latest=False)
    [row] = plan.rows
    assert row.outcome == regrade.UNCHANGED and row.new_version == row.old_version != question.latest


def test_answers_graded_by_a_person_are_left_alone(quiz_world: QuizWorld, wrong_key) -> None:
    question, quiz = wrong_key
    attempt = quiz_world.take(quiz, {1: {"answer": False}})
    attempts.answer_grade(answer=attempt.answers.get(), mark="1.5", by=quiz_world.owner, now=NOW)
    fix(question, quiz_world.owner, correct=False)
    plan = apply(quiz_world, question)
    [row] = plan.rows
    assert (row.outcome, row.reason) == (regrade.MANUAL, regrade.REASON_MANUAL)
    assert attempt.answers.get().mark == Decimal("1.5")


def test_a_grade_given_between_the_preview_and_the_apply_is_respected(quiz_world: QuizWorld, wrong_key) -> None:
    question, quiz = wrong_key
    attempt = quiz_world.take(quiz, {1: {"answer": False}})
    fix(question, quiz_world.owner, correct=False)
    assert plan_of(quiz_world, question).counts()["changes"] == 1
    attempts.answer_grade(answer=attempt.answers.get(), mark="0.5", by=quiz_world.owner, now=NOW)
    plan = apply(quiz_world, question)
    assert plan.counts() == {"changes": 0, "unchanged": 0, "manual": 1, "cannot": 0}
    assert attempt.answers.get().mark == Decimal("0.5")


def test_a_response_that_no_longer_fits_the_latest_version_is_left_alone(quiz_world: QuizWorld) -> None:
    question = quiz_world.make_question("single")
    quiz = quiz_world.publish_quiz(slots=[fixed(question)])
    attempt = quiz_world.take(quiz, {1: {"choice": "a2"}})
    options = [o for o in question.latest.data["options"] if o["id"] != "a2"]  # type: ignore[union-attr]
    fix(question, quiz_world.owner, options=options)
    plan = apply(quiz_world, question)
    [row] = plan.rows
    assert (row.outcome, row.reason) == (regrade.CANNOT, regrade.REASON_VARIANT)
    answer = attempt.answers.get()
    assert answer.question_version != question.latest and answer.mark == Decimal("0.5")


def test_options_reworded_in_a_new_version_still_regrade(quiz_world: QuizWorld) -> None:
    question = quiz_world.make_question("single")
    quiz = quiz_world.publish_quiz(slots=[fixed(question)])
    attempt = quiz_world.take(quiz, {1: {"choice": "a2"}})
    options = [{**o, "fraction": "1" if o["id"] == "a2" else "0"} for o in question.latest.data["options"]]  # type: ignore[union-attr]
    fix(question, quiz_world.owner, options=options)
    apply(quiz_world, question)
    answer = attempt.answers.get()
    assert (answer.question_version, answer.mark, answer.state) == (question.latest, Decimal("1"), AnswerState.RIGHT)


def accept_lyon(question: Question, quiz_world: QuizWorld) -> None:
    """The fix: "Lyon" is a right answer too."""
    lyon = {"id": "a2", "text": "Lyon", "fraction": "1", "feedback": ""}
    fix(question, quiz_world.owner, answers=[*question.latest.data["answers"], lyon])  # type: ignore[union-attr]


def interactive(quiz_world: QuizWorld, tries: int) -> tuple[Question, dict[str, Any]]:
    data = {"answers": [{"id": "a1", "text": "Paris", "fraction": "1", "feedback": ""}], "case_sensitive": False}
    question = quiz_world.make_question("shortanswer", data=data)
    quiz = quiz_world.publish_quiz(
        slots=[fixed(question, mark="1")], behaviour="interactive", tries=tries, penalty="0.3333333"
    )
    return question, quiz


def test_an_answer_settled_by_its_last_check_keeps_the_penalty_of_the_tries_before(quiz_world: QuizWorld) -> None:
    question, quiz = interactive(quiz_world, tries=2)
    attempt = quiz_world.start(quiz)
    by = quiz_world.learner
    attempts.attempt_check(attempt=attempt, slot=1, raw={"text": "Berlin"}, by=by, now=NOW)
    settled = attempts.attempt_check(attempt=attempt, slot=1, raw={"text": "Lyon"}, by=by, now=NOW)
    assert settled.locked and settled.mark == Decimal("0")
    attempts.attempt_submit(attempt=attempt, by=by, now=NOW)
    assert plan_of(quiz_world, question).counts()["changes"] == 0  # the same grade again, penalty included
    accept_lyon(question, quiz_world)
    apply(quiz_world, question)
    # One wrong try before the settling one: 1 − 0.33333.
    assert attempt.answers.get().mark == Decimal("0.66667")


def test_an_answer_graded_at_submission_keeps_the_penalty_of_every_try(quiz_world: QuizWorld) -> None:
    question, quiz = interactive(quiz_world, tries=3)
    attempt = quiz_world.start(quiz)
    by = quiz_world.learner
    attempts.attempt_check(attempt=attempt, slot=1, raw={"text": "Berlin"}, by=by, now=NOW)
    attempts.attempt_save(attempt=attempt, responses={1: {"text": "Lyon"}}, by=by, now=NOW)
    attempts.attempt_submit(attempt=attempt, by=by, now=NOW)
    assert plan_of(quiz_world, question).counts()["changes"] == 0
    accept_lyon(question, quiz_world)
    apply(quiz_world, question)
    answer = attempt.answers.get()
    assert answer.mark == (Decimal(1) - answer.penalty).quantize(Decimal("0.00001")) == Decimal("0.66667")


def test_an_essay_waiting_for_a_grader_stays_waiting(graded: Graded) -> None:
    attempt = graded.take()
    plan = plan_of(graded.qw, graded.essay)
    [row] = plan.rows
    assert row.outcome == regrade.UNCHANGED and row.new_state == AnswerState.NEEDS_GRADING
    assert attempt.state == AttemptState.NEEDS_GRADING


def test_previews_and_attempts_in_progress_are_not_regraded(quiz_world: QuizWorld, wrong_key) -> None:
    question, quiz = wrong_key
    quiz_world.start(quiz)
    attempts.attempt_start(
        user=quiz_world.owner, course=quiz_world.course, version=None, activity=quiz, preview=True, now=NOW
    )
    assert plan_of(quiz_world, question).rows == []
    with pytest.raises(ValidationError) as caught:
        apply(quiz_world, question)
    assert caught.value.message_dict == {"question": [regrade.NOTHING_TO_REGRADE]}


def test_one_quiz_only_when_asked(quiz_world: QuizWorld, wrong_key) -> None:
    question, quiz = wrong_key
    other = quiz_world.publish_quiz(slots=[fixed(question)], title="Second quiz")
    quiz_world.take(quiz, {1: {"answer": False}})
    quiz_world.take(other, {1: {"answer": False}})
    assert len(plan_of(quiz_world, question).rows) == 2
    only = regrade.regrade_plan(
        course=quiz_world.course, activity_uid=uuid.UUID(str(other["uid"])), question=question, to_latest=True,
        by=quiz_world.owner,
    )  # fmt: skip
    assert [r.attempt.activity_uid for r in only.rows] == [uuid.UUID(str(other["uid"]))]


def test_a_question_of_another_organisation_is_refused(quiz_world: QuizWorld, wrong_key) -> None:
    world = quiz_world.world
    elsewhere = make_quiz_world(world, "Elsewhere")
    elsewhere.course.organization = world.other_org
    foreign = Question.objects.create(
        organization=world.other_org, bank=elsewhere.bank, category=elsewhere.category, qtype="truefalse", name="x"
    )
    with pytest.raises(ValidationError) as caught:
        plan_of(quiz_world, foreign)
    assert caught.value.message_dict == {"question": [regrade.QUESTION_NOT_AVAILABLE]}


def test_a_non_editing_instructor_may_not_regrade(quiz_world: QuizWorld, wrong_key, non_editing) -> None:
    question, _quiz = wrong_key
    with pytest.raises(PermissionDenied):
        plan_of(quiz_world, question, by=non_editing.user)
    with pytest.raises(PermissionDenied):
        regrade.regrade_apply(
            course=quiz_world.course, activity_uid=None, question=question, to_latest=True, by=non_editing.user
        )


def test_the_page_shows_the_plan_then_applies_it(quiz_world: QuizWorld, wrong_key, sign_in: SignIn) -> None:
    question, quiz = wrong_key
    attempt = quiz_world.take(quiz, {1: {"answer": False}})
    fix(question, quiz_world.owner, correct=False)
    client = sign_in(quiz_world.world.instructor)
    url = reverse("assessment:regrade", args=[quiz_world.course.pk])
    page = client.get(f"{url}?question={question.pk}&quiz={quiz['uid']}&to_latest=on")
    assert page.status_code == 200
    [row] = page.context["rows"]
    assert (row["old_mark"], row["new_mark"], row["outcome"]) == ("0", "2", "changes")
    assert "1 answer changes." in page.content.decode()
    assert attempt.answers.get().mark == Decimal("0")  # a preview writes nothing
    done = client.post(url, {"question": question.pk, "quiz": quiz["uid"], "to_latest": "on"}, follow=True)
    assert [str(m) for m in done.context["messages"]] == ["1 answer regraded."]
    assert done.context["counts"]["changes"] == 0
    assert attempt.answers.get().mark == Decimal("2")


def test_the_page_offers_only_questions_answered_in_the_course(quiz_world: QuizWorld, wrong_key, sign_in) -> None:
    question, quiz = wrong_key
    unused = quiz_world.make_question("truefalse", name="Never asked")
    quiz_world.take(quiz, {1: {"answer": False}})
    client = sign_in(quiz_world.world.instructor)
    url = reverse("assessment:regrade", args=[quiz_world.course.pk])
    choices = [value for value, _label in client.get(url).context["form"].fields["question"].choices if value]
    assert choices == [question.pk]
    response = client.get(f"{url}?question={unused.pk}&to_latest=on")
    assert "question" in response.context["form"].errors and response.context["plan"] is None
