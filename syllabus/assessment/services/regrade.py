"""Regrading: grade the stored responses to a question again, after the question was fixed (a wrong "right answer",
a forgotten accepted answer) — first as a plan the course's editors read (what changes, for whom), then applied.

`regrade_plan` writes nothing. `regrade_apply` computes the same plan again inside one transaction, with the answers
locked, and writes it: the answers (version, fraction, mark, state, feedback, a "regrade" history entry), the
attempts' totals (so the quiz grade and the learners' progress follow), and one audit record.

What is left alone, and listed as such:
- answers a person graded (`manually_graded`): a grader's mark is not the machine's to change;
- with `to_latest`, answers whose stored response does not fit the latest version (the type changed, an option the
  learner chose is gone, the attempt's variant no longer matches the options): they keep their version and grade.

Interactive penalties are kept: an answer settled by a "Check" keeps the penalty of the tries before it, one graded
at submission keeps the penalty of every try it used.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from syllabus.access.policy import NOT_ALLOWED, principal_for
from syllabus.accounts.models import User
from syllabus.assessment import policy
from syllabus.assessment.models import AnswerState, Attempt, AttemptState, Question, QuestionAnswer, QuestionVersion
from syllabus.assessment.question_types import base as qtypes
from syllabus.assessment.services import attempts
from syllabus.assessment.services.questions import version_as_question
from syllabus.catalog.models import Course
from syllabus.core import clock

QUESTION_NOT_AVAILABLE = "Choose a question of this organisation's banks."
QUESTION_HAS_NO_VERSION = "This question has no saved version to regrade with."
NOTHING_TO_REGRADE = "No submitted attempt of this course answers this question."
PLAN_CHANGED = (
    "What this regrade would change is no longer what was previewed (someone graded, fixed or regraded since): "
    "nothing was applied. Check the new preview, then apply it."
)

# Why an answer is left alone (shown in the plan, and counted in the audit record).
REASON_MANUAL = "Graded by a person: left as it is."
REASON_TYPE_CHANGED = "The latest version is another type of question: the answer cannot be regraded."
REASON_VARIANT = "The latest version has other options than this attempt showed: the answer cannot be regraded."
REASON_RESPONSE = "The response does not fit the latest version ({message}): the answer cannot be regraded."
REASON_BROKEN = "The question type could not grade this response again: the answer cannot be regraded."

# Row outcomes.
CHANGES = "changes"
UNCHANGED = "unchanged"
MANUAL = "manual"
CANNOT = "cannot"

MARK_PLACES = Decimal("0.00001")
FRACTION_PLACES = Decimal("0.0000001")
# States an attempt is in once it was submitted and counted (abandoned attempts never count: nothing to regrade).
DONE_STATES = (AttemptState.FINISHED, AttemptState.NEEDS_GRADING)


@dataclass(frozen=True)
class RegradeRow:
    """One answer of the plan: what it is now and what the regrade makes of it."""

    answer: QuestionAnswer
    attempt: Attempt
    learner: User
    slot: int
    outcome: str  # CHANGES, UNCHANGED, MANUAL, CANNOT
    old_version: QuestionVersion
    old_mark: Decimal | None
    old_fraction: Decimal | None
    old_state: str
    new_version: QuestionVersion
    new_mark: Decimal | None
    new_fraction: Decimal | None
    new_state: str
    new_feedback: tuple[str, ...] = ()
    reason: str = ""

    @property
    def changes(self) -> bool:
        return self.outcome == CHANGES

    @property
    def mark_changes(self) -> bool:
        return self.outcome == CHANGES and (self.old_mark != self.new_mark or self.old_state != self.new_state)


@dataclass
class RegradePlan:
    course: Course
    question: Question
    activity_uid: uuid.UUID | None
    to_latest: bool
    rows: list[RegradeRow] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def changed(self) -> list[RegradeRow]:
        return [row for row in self.rows if row.outcome == CHANGES]

    @property
    def attempt_ids(self) -> list[int]:
        return sorted({row.attempt.pk for row in self.changed})

    def counts(self) -> dict[str, int]:
        return {outcome: self.count(outcome) for outcome in (CHANGES, UNCHANGED, MANUAL, CANNOT)}

    @property
    def fingerprint(self) -> str:
        """A digest of what applying this plan writes: the preview carries it, and `regrade_apply` given it applies
        nothing unless the plan computed then is the same."""
        seen = [self.question.pk, str(self.activity_uid or ""), self.to_latest, [list(map(str, row)) for row in
                                                                                  self.summary()]]  # fmt: skip
        return hashlib.sha256(json.dumps(seen).encode()).hexdigest()[:32]

    def summary(self) -> list[tuple[int, str, Decimal | None, str, Decimal | None, str, str]]:
        """What a comparison of two plans looks at: per answer, its outcome and old and new grade (tests)."""
        return [
            (r.answer.pk, r.outcome, r.old_mark, r.old_state, r.new_mark, r.new_state, str(r.new_version.pk))
            for r in self.rows
        ]


class RegradeChanged(ValidationError):
    """The plan computed at apply time is not the one previewed (`expected`): nothing was applied."""

    def __init__(self, plan: RegradePlan) -> None:
        super().__init__({"fingerprint": [PLAN_CHANGED]})
        self.plan = plan


def _require(by: User, course: Course) -> None:
    if not policy.can_regrade(principal_for(by, course.organization), course):
        raise PermissionDenied(NOT_ALLOWED)


def _answers(course: Course, question: Question, activity_uid: uuid.UUID | None, *, lock: bool) -> list[QuestionAnswer]:
    answers = (
        QuestionAnswer.objects.filter(
            attempt__course=course,
            attempt__organization_id=course.organization_id,
            attempt__preview=False,
            attempt__state__in=DONE_STATES,
            question_version__question=question,
        )
        .select_related("attempt", "attempt__user", "question_version")
        .order_by("attempt__activity_uid", "attempt__user__display_name", "attempt__user_id", "attempt__number", "slot")
    )
    if activity_uid is not None:
        answers = answers.filter(attempt__activity_uid=activity_uid)
    if lock:
        # Nobody grades, submits or regrades these answers while they are rewritten (no-op on SQLite).
        answers = answers.select_for_update(of=("self",))
    return list(answers)


def _shape(value: Any) -> Any:
    """The structure of a variant without its drawn values: dict keys and list members, not the order of a
    shuffle or the value of a calculated variable."""
    if isinstance(value, Mapping):
        return {str(key): _shape(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return sorted(str(item) for item in value if not isinstance(item, Mapping | list | tuple))
    return None


def variant_fits(qtype: qtypes.QuestionType, question: qtypes.Question, variant: Mapping[str, Any]) -> bool:
    """Whether an attempt's variant (drawn from an older version) still describes `question`: the same options,
    prompts, gaps and variables, whatever their order. A fresh variant is drawn unshuffled to compare with."""
    import random

    # A fixed seed: only the structure of the fresh variant is compared, never its drawn values.
    fresh = qtype.start(question, random.Random(0), shuffle=False)  # noqa: S311
    return bool(_shape(dict(variant)) == _shape(fresh))


def _applied_penalty(answer: QuestionAnswer, attempt: Attempt) -> Decimal:
    """The penalty the answer's graded response carried (interactive behaviour only; see the module docstring),
    exactly as the attempt service applied it, so that regrading an unchanged question changes no mark."""
    if attempt.settings.get("behaviour") != "interactive":
        return Decimal(0)
    graded = [entry for entry in answer.history or [] if isinstance(entry, Mapping) and entry.get("kind") in
              ("try", "submit")]  # fmt: skip
    if not graded or graded[-1].get("kind") != "try":
        # Graded at submission: every try before it costs (what `attempt_submit` applied).
        return answer.penalty
    # Settled by a Check: every try before the last one was not right (a right one settles the question), and each
    # added `per_try` to the penalty, capped at 1 (`attempt_check`). The stored penalty also counts the last try
    # when it was not right, for a next try that never came: it is not what the last try's mark carried.
    per_try = Decimal(str(attempt.settings.get("penalty") or "0"))
    penalty = Decimal(0)
    for _earlier in range(max(0, answer.tries - 1)):
        # As stored after each try (the column keeps 7 places).
        penalty = min(Decimal(1), penalty + per_try).quantize(FRACTION_PLACES)
        if penalty >= 1 or per_try <= 0:
            break
    return penalty


def _mark_of(fraction: Decimal, penalty: Decimal, max_mark: Decimal) -> Decimal:
    return (max(Decimal(0), fraction - penalty) * max_mark).quantize(MARK_PLACES, ROUND_HALF_UP)


def _row(answer: QuestionAnswer, target: QuestionVersion) -> RegradeRow:
    attempt = answer.attempt
    old = answer.question_version
    common: dict[str, Any] = {
        "answer": answer,
        "attempt": attempt,
        "learner": attempt.user,
        "slot": answer.slot,
        "old_version": old,
        "old_mark": answer.mark,
        "old_fraction": answer.fraction,
        "old_state": answer.state,
    }

    def left_alone(outcome: str, reason: str) -> RegradeRow:
        return RegradeRow(
            **common, outcome=outcome, new_version=old, new_mark=answer.mark, new_fraction=answer.fraction,
            new_state=answer.state, new_feedback=tuple(answer.feedback or ()), reason=reason,
        )  # fmt: skip

    if answer.state == AnswerState.MANUALLY_GRADED:
        return left_alone(MANUAL, REASON_MANUAL)
    if target.qtype != old.qtype or not qtypes.is_registered(target.qtype):
        return left_alone(CANNOT, REASON_TYPE_CHANGED)
    qtype = qtypes.get(target.qtype)
    question = version_as_question(target)
    variant = answer.variant or {}
    if target.pk != old.pk and not variant_fits(qtype, question, variant):
        return left_alone(CANNOT, REASON_VARIANT)
    try:
        response = qtype.clean_response(question, variant, answer.response) if answer.response else {}
        if not qtype.graded:
            grade = qtypes.Grade(None, "info")
        elif not response or not qtype.is_answered(question, variant, response):
            grade = qtypes.Grade(Decimal(0), "gave_up")
        else:
            grade = qtype.grade(question, variant, response)
    except ValidationError as exc:
        return left_alone(CANNOT, REASON_RESPONSE.format(message=" ".join(exc.messages)))
    except (KeyError, IndexError, TypeError, ValueError, ArithmeticError):
        # A type that trips over a response it accepted before is a bug to fix there, not a reason to stop
        # regrading everyone else.
        return left_alone(CANNOT, REASON_BROKEN)
    state: str
    if grade.fraction is None:
        fraction, mark = None, None
        state = AnswerState.NEEDS_GRADING if grade.state == "needs_grading" else AnswerState.INFO
    else:
        fraction = qtypes.clamp(grade.fraction).quantize(FRACTION_PLACES)
        mark = _mark_of(fraction, _applied_penalty(answer, attempt), answer.max_mark)
        state = AnswerState.GAVE_UP if grade.state == "gave_up" else qtypes.state_for(fraction)
    feedback = tuple(grade.feedback)
    same = (
        target.pk == old.pk
        and fraction == answer.fraction
        and mark == answer.mark
        and state == answer.state
        and list(feedback) == list(answer.feedback or [])
    )
    return RegradeRow(
        **common, outcome=UNCHANGED if same else CHANGES, new_version=target, new_mark=mark, new_fraction=fraction,
        new_state=state, new_feedback=feedback,
    )  # fmt: skip


def _plan(
    course: Course, activity_uid: uuid.UUID | None, question: Question, to_latest: bool, *, lock: bool
) -> RegradePlan:
    if question.organization_id != course.organization_id:
        raise ValidationError({"question": QUESTION_NOT_AVAILABLE})
    latest = QuestionVersion.objects.filter(pk=question.latest_id).first() if question.latest_id else None
    if to_latest and latest is None:
        raise ValidationError({"question": QUESTION_HAS_NO_VERSION})
    plan = RegradePlan(course=course, question=question, activity_uid=activity_uid, to_latest=to_latest)
    for answer in _answers(course, question, activity_uid, lock=lock):
        target = latest if to_latest and latest is not None else answer.question_version
        plan.rows.append(_row(answer, target))
    return plan


def regrade_plan(
    *, course: Course, activity_uid: uuid.UUID | None, question: Question, to_latest: bool, by: User
) -> RegradePlan:
    """What regrading `question` in the course's submitted attempts (of one quiz, or all) would change. Writes
    nothing. Raises PermissionDenied without `course.edit`, ValidationError naming `question`."""
    _require(by, course)
    return _plan(course, activity_uid, question, to_latest, lock=False)


def regrade_apply(
    *,
    course: Course,
    activity_uid: uuid.UUID | None,
    question: Question,
    to_latest: bool,
    by: User,
    expected: str = "",
) -> RegradePlan:
    """Regrade as `regrade_plan` shows, in one transaction, and audit it. Returns the plan it applied (computed
    again here: what another grader changed since the preview is respected). With `expected` (the previewed plan's
    `fingerprint`), nothing is applied unless the plan is still that one: RegradeChanged carries the new plan."""
    from syllabus.audit.services import audit_record

    _require(by, course)
    now = clock.now()
    with transaction.atomic():
        plan = _plan(course, activity_uid, question, to_latest, lock=True)
        if not plan.rows:
            raise ValidationError({"question": NOTHING_TO_REGRADE})
        if expected and not hmac.compare_digest(str(expected).encode(), plan.fingerprint.encode()):
            raise RegradeChanged(plan)
        changed: list[QuestionAnswer] = []
        for row in plan.changed:
            answer = row.answer
            answer.question_version = row.new_version
            answer.fraction, answer.mark, answer.state = row.new_fraction, row.new_mark, row.new_state
            answer.feedback = list(row.new_feedback)
            entry = {
                "at": now.isoformat(), "kind": "regrade", "by": by.pk, "version": row.new_version.pk,
                "fraction": str(row.new_fraction) if row.new_fraction is not None else None,
                "before": {
                    "version": row.old_version.pk,
                    "fraction": str(row.old_fraction) if row.old_fraction is not None else None,
                    "mark": str(row.old_mark) if row.old_mark is not None else None,
                    "state": row.old_state,
                },
            }  # fmt: skip
            answer.history = attempts.bounded_history([*(answer.history or []), entry])
            changed.append(answer)
        QuestionAnswer.objects.bulk_update(
            changed, ["question_version", "fraction", "mark", "state", "feedback", "history"]
        )
        for attempt in Attempt.objects.filter(pk__in=plan.attempt_ids).order_by("pk"):
            attempts.attempt_recompute(attempt)
        audit_record(
            organization=course.organization,
            action="assessment.regraded",
            actor=by,
            target=question,
            after={
                "course": course.pk,
                "activity": str(activity_uid) if activity_uid else None,
                "question": question.pk,
                "to_latest": to_latest,
                "attempts": len(plan.attempt_ids),
                "plan": plan.fingerprint,
                **{f"answers_{outcome}": count for outcome, count in plan.counts().items()},
            },
        )
    return plan
