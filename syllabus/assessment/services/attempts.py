"""Quiz attempts: start, autosave, check (interactive), submit, time limits, and the quiz grade that drives the
activity's completion.

The server is the only clock: an attempt's `deadline` is fixed when it starts (time limit and close date, overrides
applied). A save or submission that arrives after the deadline plus `QUIZ_GRACE_SECONDS` changes nothing: the
attempt is submitted with what was saved in time (`AttemptOver` tells the caller). `attempts_close_overdue` (every
minute, Celery beat) submits attempts whose learner went away.

Writes that race (two tabs, a double click, the overdue task and the learner at once) are conditional UPDATEs on
the attempt's state, so an attempt is finished exactly once on SQLite as on PostgreSQL.

Results reach progress as `catalog.events.ActivitySignalled` (kind "quiz"): "submitted" when an attempt ends,
"graded" with the quiz grade (by the grading method) once no answer waits for a grader, "passed" when that grade
reaches the pass mark, "exhausted" when no attempt is left.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import logging
import random
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q

from syllabus.access.policy import NOT_ALLOWED, principal_for
from syllabus.accounts.models import User
from syllabus.assessment import policy
from syllabus.assessment.dates import when_text
from syllabus.assessment.models import (
    AnswerState,
    Attempt,
    AttemptState,
    Question,
    QuestionAnswer,
    QuestionCategory,
    QuestionVersion,
    QuizOverride,
)
from syllabus.assessment.question_types import base as qtypes
from syllabus.assessment.quiz_settings import MINUTES_LIMIT, QuizSettings, Slot
from syllabus.assessment.services.questions import version_as_question
from syllabus.catalog import course_access
from syllabus.catalog.events import ActivitySignalled
from syllabus.catalog.models import Course, CourseVersion
from syllabus.core import clock
from syllabus.core.events import emit

log = logging.getLogger(__name__)

NOT_OPEN_YET = "This quiz opens on {when}."
CLOSED = "This quiz closed on {when}."
NO_ATTEMPTS_LEFT = "You have used all {count} attempts at this quiz."
WAIT_BEFORE_NEXT = "You can start your next attempt after {when}."
WRONG_PASSWORD = "The quiz password is not right."  # noqa: S105 (a message)
PASSWORD_REQUIRED = "This quiz needs a password to start."  # noqa: S105 (a message)
TOO_MANY_PASSWORDS = "Too many wrong passwords: try again in {minutes} minutes, or ask the course team."
NO_QUESTIONS = "This quiz has no questions yet."
QUESTION_MISSING = "Question {ref} of this quiz is no longer in a bank the course may use. Tell the course team."
POOL_TOO_SMALL = (
    "The quiz cannot start: a random slot asks for {count} questions from “{category}”, which has {found} that fit. "
    "Tell the course team."
)
ATTEMPT_CLOSED = "This attempt is already submitted."
TIME_UP = "Time is up: the attempt was submitted with the answers saved before the deadline."
UNKNOWN_SLOT = "This attempt has no question {slot}."
SLOT_LOCKED = "Question {slot} is settled and can no longer be changed."
PAGE_LEFT = "This quiz moves forward only: question {slot} is on a page you have left."
NO_TRIES = "Question {slot} cannot be checked: it is graded by a person, or the quiz is not interactive."
CHECK_EMPTY = "Answer the question before checking it."
RESPONSES_NOT_OBJECT = "Send the responses as an object of question numbers and answers."
NOT_YOUR_ATTEMPT = "This is not your attempt."
MARK_RANGE = "Give a mark from 0 to {max}."
NOT_GRADED = "This question takes no part in the grade: there is nothing to mark."
NOT_WAITING = "This attempt is still in progress: grade it once it is submitted."
COMMENT_TOO_LONG = "Keep the comment under {limit} characters."

HISTORY_LIMIT = 200
# Wrong quiz passwords one person may try per quiz in a window: a password read out in an exam room is short, and
# without a limit a script could try them all.
PASSWORD_TRIES = 10
PASSWORD_WINDOW_SECONDS = 15 * 60
# The history's size in characters of JSON: past it, the oldest autosaves lose their response (their date and kind
# stay), so a learner autosaving a long essay hundreds of times cannot grow one row without end.
HISTORY_CHARS = 1_000_000
# A slot number as a form or the API sends it: ASCII digits only, and few (str.isdigit() is also true for "²",
# which int() refuses).
SLOT_DIGITS = re.compile(r"[0-9]{1,6}")
COMMENT_LIMIT = 20_000
FRACTION_PLACES = Decimal("0.0000001")
MARK_PLACES = Decimal("0.00001")
GRADE_PLACES = Decimal("0.01")

AUDIT_ACTIONS: tuple[tuple[str, str], ...] = (
    ("assessment.answer_graded", "Quiz answer graded by hand"),
    ("assessment.override_set", "Quiz override granted or changed"),
    ("assessment.override_removed", "Quiz override removed"),
    ("assessment.regraded", "Quiz attempts regraded"),
)


class AttemptOver(Exception):
    """A save or submission reached an attempt past its deadline: it was submitted instead (message: TIME_UP)."""

    def __init__(self, attempt: Attempt) -> None:
        super().__init__(TIME_UP)
        self.attempt = attempt


def grace() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, "QUIZ_GRACE_SECONDS", 10))


def slot_number(raw: Any) -> int | None:
    """A slot number sent by a form or the API ("3" or 3), or None when it is not one."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if 0 <= raw < 10**6 else None
    text = str(raw).strip() if isinstance(raw, str | int) else ""
    return int(text) if SLOT_DIGITS.fullmatch(text) else None


# --- availability -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """The quiz's rules for one person: the settings with their override applied."""

    settings: QuizSettings
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None
    time_limit_minutes: int | None
    attempts_allowed: int  # 0 = unlimited
    needs_password: bool
    override: QuizOverride | None


def rules_for(*, user: User, course: Course, activity: Mapping[str, Any]) -> Rules:
    quiz = QuizSettings.from_config(activity.get("config") or {})
    override = QuizOverride.objects.filter(
        course=course, activity_uid=uuid.UUID(str(activity["uid"])), user=user
    ).first()
    opens, closes, limit, allowed = quiz.opens_at, quiz.closes_at, quiz.time_limit_minutes, quiz.attempts_allowed
    needs_password = bool(quiz.password)
    if override is not None:
        opens = override.opens_at or opens
        closes = override.closes_at or closes
        limit = override.time_limit_minutes or limit
        if allowed:
            allowed += override.extra_attempts
        needs_password = needs_password and not override.skip_password
    return Rules(quiz, opens, closes, limit, allowed, needs_password, override)


@dataclass(frozen=True)
class Availability:
    """What the quiz's page says to one person: may they start (or resume), and if not, why."""

    rules: Rules
    attempts: Sequence[Attempt]
    open_attempt: Attempt | None
    can_start: bool
    reason: str = ""
    next_start_at: dt.datetime | None = None

    @property
    def attempts_used(self) -> int:
        return sum(1 for a in self.attempts if a.state != AttemptState.IN_PROGRESS)


def availability(
    *, user: User, course: Course, activity: Mapping[str, Any], preview: bool = False, now: dt.datetime | None = None
) -> Availability:
    now = now or clock.now()
    rules = rules_for(user=user, course=course, activity=activity)
    attempts = list(
        Attempt.objects.filter(
            course=course, activity_uid=uuid.UUID(str(activity["uid"])), user=user, preview=preview
        ).order_by("number")
    )
    open_attempt = next((a for a in attempts if a.state == AttemptState.IN_PROGRESS), None)
    if open_attempt is not None:
        return Availability(rules, attempts, open_attempt, True)
    if not rules.settings.slots:
        return Availability(rules, attempts, None, False, NO_QUESTIONS)
    if preview:
        return Availability(rules, attempts, None, True)
    if rules.opens_at is not None and now < rules.opens_at:
        return Availability(rules, attempts, None, False, NOT_OPEN_YET.format(when=_when(rules.opens_at)))
    if rules.closes_at is not None and now >= rules.closes_at:
        return Availability(rules, attempts, None, False, CLOSED.format(when=_when(rules.closes_at)))
    done = [a for a in attempts if a.state != AttemptState.IN_PROGRESS]
    if rules.attempts_allowed and len(done) >= rules.attempts_allowed:
        return Availability(rules, attempts, None, False, NO_ATTEMPTS_LEFT.format(count=rules.attempts_allowed))
    if done and rules.settings.delay_minutes:
        last_end = max(a.finished_at or a.started_at for a in done)
        next_at = last_end + dt.timedelta(minutes=rules.settings.delay_minutes)
        if now < next_at:
            return Availability(rules, attempts, None, False, WAIT_BEFORE_NEXT.format(when=_when(next_at)), next_at)
    return Availability(rules, attempts, None, True)


def _when(value: dt.datetime) -> str:
    return when_text(value)


# --- start --------------------------------------------------------------------------------------------------------


def _usable_questions(course: Course) -> Any:
    """Questions a quiz of this course may draw: the course's own bank and the organisation's shared banks."""
    return Question.objects.filter(organization_id=course.organization_id, latest__isnull=False).filter(
        Q(bank__course__isnull=True) | Q(bank__course=course)
    )


def _category_ids(category: QuestionCategory, include_subcategories: bool) -> list[int]:
    ids = [category.pk]
    if include_subcategories:
        frontier = [category.pk]
        while frontier:
            frontier = list(QuestionCategory.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
            ids.extend(frontier)
    return ids


def pool_for(*, course: Course, slot: Slot) -> Any:
    """The questions a random slot may draw from (hidden ones left out), ordered by id (draws are reproducible)."""
    pool = _usable_questions(course).filter(hidden=False)
    category = QuestionCategory.objects.filter(
        pk=slot.category_id or 0, bank__organization_id=course.organization_id
    ).first()
    if category is None:
        return pool.none()
    pool = pool.filter(category_id__in=_category_ids(category, slot.include_subcategories))
    for tag in slot.tags:
        pool = pool.filter(tags__name=tag)
    if slot.skill_ids:
        pool = pool.filter(skills__in=slot.skill_ids)
    if slot.min_difficulty is not None:
        pool = pool.filter(difficulty__gte=slot.min_difficulty)
    if slot.max_difficulty is not None:
        pool = pool.filter(difficulty__lte=slot.max_difficulty)
    return pool.distinct().order_by("pk")


def _draw(course: Course, quiz: QuizSettings, rng: random.Random) -> list[tuple[QuestionVersion, Decimal]]:
    """The question versions of a new attempt with their marks, in slot order."""
    fixed_ids = [s.question_id for s in quiz.slots if s.type == "fixed" and s.question_id]
    fixed = {q.pk: q for q in _usable_questions(course).filter(pk__in=fixed_ids).select_related("latest")}
    chosen: set[int] = set(fixed)
    drawn: list[tuple[QuestionVersion, Decimal]] = []
    for slot in quiz.slots:
        if slot.type == "fixed":
            question = fixed.get(slot.question_id or 0)
            if question is None or question.latest is None:
                raise ValidationError(QUESTION_MISSING.format(ref=slot.question_id))
            drawn.append((question.latest, _mark(slot, question.latest)))
            continue
        candidates = [pk for pk in pool_for(course=course, slot=slot).values_list("pk", flat=True) if pk not in chosen]
        if len(candidates) < slot.count:
            category = (
                QuestionCategory.objects.filter(pk=slot.category_id or 0, bank__organization_id=course.organization_id)
                .values_list("name", flat=True)
                .first()
            )
            raise ValidationError(
                POOL_TOO_SMALL.format(count=slot.count, category=category or "?", found=len(candidates))
            )
        picked = rng.sample(candidates, slot.count)
        chosen.update(picked)
        versions = {q.pk: q.latest for q in Question.objects.filter(pk__in=picked).select_related("latest")}
        for pk in picked:
            version = versions[pk]
            assert version is not None
            drawn.append((version, _mark(slot, version)))
    return drawn


def _mark(slot: Slot, version: QuestionVersion) -> Decimal:
    if not qtypes.get(version.qtype).graded:
        return Decimal(0)
    return slot.mark if slot.mark is not None else version.default_mark


def _pages(count: int, per_page: int) -> list[list[int]]:
    slots = list(range(1, count + 1))
    if per_page <= 0:
        return [slots] if slots else []
    return [slots[i : i + per_page] for i in range(0, count, per_page)]


def attempt_start(
    *,
    user: User,
    course: Course,
    version: CourseVersion | None,
    activity: Mapping[str, Any],
    password: str = "",
    preview: bool = False,
    now: dt.datetime | None = None,
) -> Attempt:
    """Start an attempt (or return the open one: Start pressed twice, or in two tabs, resumes the same attempt).

    `version` is the course version the learner learns (None only for a preview of the draft by the team).
    Raises PermissionDenied, or ValidationError with the reason the quiz cannot start now.
    """
    now = now or clock.now()
    principal = principal_for(user, course.organization)
    if preview:
        allowed = course_access.can_see_draft(principal, course)
    else:
        allowed = version is not None and policy.can_take(principal, course, version.pk)
    if not allowed:
        raise PermissionDenied(NOT_ALLOWED)
    _close_if_overdue(user=user, course=course, activity=activity, preview=preview, now=now)
    state = availability(user=user, course=course, activity=activity, preview=preview, now=now)
    if state.open_attempt is not None:
        return state.open_attempt
    if not state.can_start:
        raise ValidationError(state.reason)
    rules = state.rules
    if rules.needs_password and not preview:
        _check_password(user=user, course=course, activity=activity, given=password, expected=rules.settings.password)
    public_id = uuid.uuid4()
    # Seeded by the attempt: its draw can be reproduced (support, tests); nothing here is a secret.
    rng = random.Random(public_id.int)  # noqa: S311
    drawn = _draw(course, rules.settings, rng)
    if rules.settings.shuffle_questions:
        rng.shuffle(drawn)
    deadline = None
    if rules.time_limit_minutes:
        deadline = now + dt.timedelta(minutes=rules.time_limit_minutes)
    if rules.closes_at is not None and not preview:
        deadline = min(deadline, rules.closes_at) if deadline else rules.closes_at
    number = max((a.number for a in state.attempts), default=0) + 1
    snapshot = rules.settings.as_snapshot()
    snapshot["time_limit_minutes"] = rules.time_limit_minutes
    # The person's own close date (an override may move it): review "after close" starts then for them.
    snapshot["closes_at"] = rules.closes_at.isoformat() if rules.closes_at else None
    try:
        with transaction.atomic():
            attempt = Attempt.objects.create(
                organization_id=course.organization_id,
                public_id=public_id,
                user=user,
                course=course,
                version=version,
                activity_uid=uuid.UUID(str(activity["uid"])),
                number=number,
                preview=preview,
                settings=snapshot,
                layout=_pages(len(drawn), rules.settings.questions_per_page),
                started_at=now,
                deadline=deadline,
                max_marks=sum((mark for _, mark in drawn), Decimal(0)),
            )
            QuestionAnswer.objects.bulk_create(
                [
                    QuestionAnswer(
                        attempt=attempt,
                        slot=index,
                        question_version=qv,
                        max_mark=mark,
                        variant=qtypes.get(qv.qtype).start(
                            version_as_question(qv), rng, shuffle=rules.settings.shuffle_options
                        ),
                        state=AnswerState.TODO if qtypes.get(qv.qtype).graded else AnswerState.INFO,
                    )
                    for index, (qv, mark) in enumerate(drawn, start=1)
                ]
            )
    except IntegrityError:
        # Another request started this person's attempt at the same moment: resume that one.
        existing = Attempt.objects.filter(
            course=course, activity_uid=uuid.UUID(str(activity["uid"])), user=user, preview=preview,
            state=AttemptState.IN_PROGRESS,
        ).first()  # fmt: skip
        if existing is None:
            raise
        return existing
    return attempt


def _check_password(*, user: User, course: Course, activity: Mapping[str, Any], given: str, expected: str) -> None:
    """The quiz password, at most PASSWORD_TRIES wrong ones per person and quiz in PASSWORD_WINDOW_SECONDS."""
    from django.core.cache import cache

    key = f"assessment:quiz-password:{user.pk}:{course.pk}:{activity['uid']}"
    if int(cache.get(key) or 0) >= PASSWORD_TRIES:
        raise ValidationError({"password": TOO_MANY_PASSWORDS.format(minutes=PASSWORD_WINDOW_SECONDS // 60)})
    if not given:
        raise ValidationError({"password": PASSWORD_REQUIRED})
    if not hmac.compare_digest(given.encode(), expected.encode()):
        # The window starts at the first wrong password (`add` does nothing when the key exists).
        cache.add(key, 0, PASSWORD_WINDOW_SECONDS)
        try:
            cache.incr(key)
        except ValueError:  # expired between the two calls
            cache.set(key, 1, PASSWORD_WINDOW_SECONDS)
        raise ValidationError({"password": WRONG_PASSWORD})


def _close_if_overdue(
    *, user: User, course: Course, activity: Mapping[str, Any], preview: bool, now: dt.datetime
) -> None:
    overdue = Attempt.objects.filter(
        course=course,
        activity_uid=uuid.UUID(str(activity["uid"])),
        user=user,
        preview=preview,
        state=AttemptState.IN_PROGRESS,
        deadline__lt=now - grace(),
    ).first()
    if overdue is not None:
        _finish(overdue, now=now, by=None)


# --- saving and checking ------------------------------------------------------------------------------------------


@dataclass
class SaveResult:
    saved: list[int] = field(default_factory=list)
    errors: dict[int, list[str]] = field(default_factory=dict)
    revision: int = 0


def _is_over(attempt: Attempt, now: dt.datetime) -> bool:
    return attempt.deadline is not None and now > attempt.deadline + grace()


def _owned_open(attempt: Attempt, by: User, now: dt.datetime) -> None:
    if attempt.user_id != by.pk:
        raise PermissionDenied(NOT_YOUR_ATTEMPT)
    if attempt.state != AttemptState.IN_PROGRESS:
        raise ValidationError(ATTEMPT_CLOSED)
    if _is_over(attempt, now):
        _finish(attempt, now=now, by=None)
        attempt.refresh_from_db()
        raise AttemptOver(attempt)


def _page_of(attempt: Attempt, slot: int) -> int:
    for index, page in enumerate(attempt.layout or []):
        if slot in page:
            return index
    return 0


def _history(answer: QuestionAnswer, entry: dict[str, Any]) -> list[dict[str, Any]]:
    history = list(answer.history or [])
    history.append(entry)
    return bounded_history(history)


def bounded_history(history: list[Any]) -> list[Any]:
    """The last HISTORY_LIMIT entries, within HISTORY_CHARS: the oldest autosaves ("save") give up their response
    first; tries, submissions, manual grades and regrades keep theirs (they are how the answer was graded)."""
    history = history[-HISTORY_LIMIT:]
    sizes = [len(json.dumps(entry, default=str)) for entry in history]
    total = sum(sizes)
    for index, entry in enumerate(history):
        if total <= HISTORY_CHARS:
            break
        if isinstance(entry, dict) and entry.get("kind") == "save" and "response" in entry:
            slim = {key: value for key, value in entry.items() if key != "response"}
            history[index] = slim
            total += len(json.dumps(slim, default=str)) - sizes[index]
    return history


def attempt_save(
    *,
    attempt: Attempt,
    responses: Mapping[int, Any],
    by: User,
    page: int | None = None,
    now: dt.datetime | None = None,
) -> SaveResult:
    """Autosave: validate and store the responses given (slot -> raw response); the others keep theirs.

    Raises AttemptOver past the deadline (nothing of this save is kept), ValidationError once submitted.
    A response the type refuses is reported per slot in `errors` and not stored; the valid ones are.
    """
    now = now or clock.now()
    if not isinstance(responses, Mapping):
        raise ValidationError({"responses": RESPONSES_NOT_OBJECT})
    try:
        page = int(page) if page is not None else None
    except (TypeError, ValueError, OverflowError):
        page = None  # a page that does not exist: the learner stays where they are
    _owned_open(attempt, by, now)
    with transaction.atomic():
        current_page = _claim(attempt)
        # Read after the claim: a submission that closed the attempt first made `_claim` fail, and one that comes
        # later waits for this save and grades what it stored.
        answers = {a.slot: a for a in attempt.answers.select_related("question_version")}
        result = SaveResult()
        changed: list[QuestionAnswer] = []
        sequential = attempt.settings.get("navigation") == "sequential"
        for raw_slot, raw in responses.items():
            slot = slot_number(raw_slot)
            if slot is None:
                continue
            answer = answers.get(slot)
            if answer is None:
                result.errors[slot] = [UNKNOWN_SLOT.format(slot=slot)]
                continue
            qtype = qtypes.get(answer.question_version.qtype)
            if not qtype.graded:
                continue
            if answer.locked:
                result.errors[slot] = [SLOT_LOCKED.format(slot=slot)]
                continue
            if sequential and _page_of(attempt, slot) < current_page:
                result.errors[slot] = [PAGE_LEFT.format(slot=slot)]
                continue
            question = version_as_question(answer.question_version)
            try:
                response = qtype.clean_response(question, answer.variant, raw)
            except ValidationError as exc:
                result.errors[slot] = [str(m) for m in exc.messages]
                continue
            if response == answer.response:
                continue
            answer.response = response
            answered = qtype.is_answered(question, answer.variant, response)
            answer.state = AnswerState.SAVED if answered else AnswerState.TODO
            answer.saved_at = now
            answer.history = _history(answer, {"at": now.isoformat(), "kind": "save", "response": response})
            changed.append(answer)
            result.saved.append(slot)
        if changed:
            QuestionAnswer.objects.bulk_update(changed, ["response", "state", "saved_at", "history"])
        if page is not None and 0 <= page < len(attempt.layout or [[]]):
            # Sequential navigation never goes back a page.
            current_page = max(page, current_page) if sequential else page
            Attempt.objects.filter(pk=attempt.pk).update(current_page=current_page)
        attempt.refresh_from_db(fields=["revision", "current_page"])
    result.revision = attempt.revision
    return result


def _claim(attempt: Attempt) -> int:
    """Take the attempt for one write (inside the caller's transaction) and return its current page; raise
    ATTEMPT_CLOSED when it was submitted meanwhile.

    Every write to an open attempt starts with this conditional UPDATE of the attempt's row, before reading its
    answers: on PostgreSQL the row lock orders a save, a check and a submission of the same attempt, on SQLite the
    database's write lock does. So an answer is never saved into an attempt that was just submitted, and a
    submission grades the responses that were saved before it."""
    claimed = Attempt.objects.filter(pk=attempt.pk, state=AttemptState.IN_PROGRESS).update(revision=F("revision") + 1)
    if not claimed:
        raise ValidationError(ATTEMPT_CLOSED)
    return int(Attempt.objects.values_list("current_page", flat=True).get(pk=attempt.pk))


def _graded(answer: QuestionAnswer) -> qtypes.Grade:
    qtype = qtypes.get(answer.question_version.qtype)
    question = version_as_question(answer.question_version)
    if not qtype.graded:
        return qtypes.Grade(None, "info")
    if not answer.response or not qtype.is_answered(question, answer.variant, answer.response):
        return qtypes.Grade(Decimal(0), "gave_up")
    return qtype.grade(question, answer.variant, answer.response)


def _mark_of(fraction: Decimal, penalty: Decimal, max_mark: Decimal) -> Decimal:
    return (max(Decimal(0), fraction - penalty) * max_mark).quantize(MARK_PLACES, ROUND_HALF_UP)


def attempt_check(*, attempt: Attempt, slot: int, raw: Any, by: User, now: dt.datetime | None = None) -> QuestionAnswer:
    """Interactive behaviour: save the response to one question and grade it now (one try). A right answer, or the
    last try, settles the question; each wrong try costs `penalty` of its mark on a later right answer."""
    now = now or clock.now()
    _owned_open(attempt, by, now)
    number = slot_number(slot)
    if number is None:
        raise ValidationError({"slot": UNKNOWN_SLOT.format(slot=str(slot)[:20])})
    slot = number
    if attempt.settings.get("behaviour") != "interactive":
        raise ValidationError({"slot": NO_TRIES.format(slot=slot)})
    with transaction.atomic():
        current_page = _claim(attempt)
        answer = attempt.answers.select_related("question_version").filter(slot=slot).first()
        if answer is None:
            raise ValidationError({"slot": UNKNOWN_SLOT.format(slot=slot)})
        qtype = qtypes.get(answer.question_version.qtype)
        if not qtype.graded or qtype.manual or not qtype.allows_tries:
            raise ValidationError({"slot": NO_TRIES.format(slot=slot)})
        if answer.locked:
            raise ValidationError({"slot": SLOT_LOCKED.format(slot=slot)})
        if attempt.settings.get("navigation") == "sequential" and _page_of(attempt, slot) < current_page:
            raise ValidationError({"slot": PAGE_LEFT.format(slot=slot)})
        question = version_as_question(answer.question_version)
        response = qtype.clean_response(question, answer.variant, raw)
        if not qtype.is_answered(question, answer.variant, response):
            raise ValidationError({"response": CHECK_EMPTY})
        grade = qtype.grade(question, answer.variant, response)
        fraction = qtypes.clamp(grade.fraction or Decimal(0)).quantize(FRACTION_PLACES)
        tries = answer.tries + 1
        per_try = Decimal(str(attempt.settings.get("penalty") or "0"))
        allowed = int(attempt.settings.get("tries") or 1)
        settled = fraction >= 1 or tries >= allowed
        # The penalty of the earlier wrong tries applies to this one; a wrong one adds its own for the next.
        penalty = answer.penalty
        updates: dict[str, Any] = {
            "response": response,
            "tries": tries,
            "fraction": fraction,
            "feedback": list(grade.feedback),
            "state": qtypes.state_for(fraction),
            "saved_at": now,
            "locked": settled,
            "mark": _mark_of(fraction, penalty, answer.max_mark),
            "history": _history(
                answer, {"at": now.isoformat(), "kind": "try", "response": response, "fraction": str(fraction)}
            ),
        }
        if fraction < 1:
            updates["penalty"] = min(Decimal(1), penalty + per_try)
        QuestionAnswer.objects.filter(pk=answer.pk, locked=False).update(**updates)
    answer.refresh_from_db()
    return answer


# --- submitting and grading ---------------------------------------------------------------------------------------


def attempt_submit(*, attempt: Attempt, by: User, now: dt.datetime | None = None) -> Attempt:
    """Submit the attempt: every answer is graded with its saved response. Idempotent (a second submit, or one
    racing the overdue task, returns the attempt as it is). Past the deadline it is submitted all the same, with
    the answers saved in time, and flagged as late."""
    now = now or clock.now()
    if attempt.user_id != by.pk:
        raise PermissionDenied(NOT_YOUR_ATTEMPT)
    if attempt.state != AttemptState.IN_PROGRESS:
        return attempt
    _finish(attempt, now=now, by=by)
    attempt.refresh_from_db()
    return attempt


def _finish(attempt: Attempt, *, now: dt.datetime, by: User | None) -> bool:
    """Grade and close an open attempt; False when someone else closed it first."""
    late = _is_over(attempt, now)
    interactive = attempt.settings.get("behaviour") == "interactive"
    with transaction.atomic():
        # Claim the attempt before reading its answers (see `_claim`): the submit button and the overdue task
        # racing each other finish it once, and the answers graded are the ones saved before the claim.
        claimed = Attempt.objects.filter(pk=attempt.pk, state=AttemptState.IN_PROGRESS).update(
            revision=F("revision") + 1
        )
        if not claimed:
            return False
        answers = list(attempt.answers.select_related("question_version"))
        for answer in answers:
            if answer.locked:
                continue  # settled by an interactive check: its mark stands
            grade = _graded(answer)
            if grade.fraction is None:
                answer.fraction, answer.mark = None, None
                answer.state = AnswerState.NEEDS_GRADING if grade.state == "needs_grading" else AnswerState.INFO
            else:
                fraction = qtypes.clamp(grade.fraction).quantize(FRACTION_PLACES)
                answer.fraction = fraction
                penalty = answer.penalty if interactive else Decimal(0)
                answer.mark = _mark_of(fraction, penalty, answer.max_mark)
                answer.state = AnswerState.GAVE_UP if grade.state == "gave_up" else qtypes.state_for(fraction)
            answer.feedback = list(grade.feedback)
            answer.locked = True
            if qtypes.get(answer.question_version.qtype).graded:
                answer.history = _history(
                    answer,
                    {"at": now.isoformat(), "kind": "submit", "response": answer.response,
                     "fraction": str(answer.fraction) if answer.fraction is not None else None},
                )  # fmt: skip
        QuestionAnswer.objects.bulk_update(answers, ["fraction", "mark", "state", "feedback", "locked", "history"])
        Attempt.objects.filter(pk=attempt.pk).update(
            finished_at=min(now, attempt.deadline + grace()) if late and attempt.deadline else now,
            submitted_late=late,
            **_totals(attempt, answers),
        )
        attempt.refresh_from_db()
        _emit_results(attempt, submitted=True)
    return True


def _totals(attempt: Attempt, answers: Sequence[QuestionAnswer]) -> dict[str, Any]:
    waiting = any(a.state == AnswerState.NEEDS_GRADING for a in answers)
    marks = sum((a.mark or Decimal(0) for a in answers), Decimal(0)).quantize(MARK_PLACES)
    if waiting:
        return {"state": AttemptState.NEEDS_GRADING, "marks": marks, "grade": None, "passed": None}
    grade = (
        (marks / attempt.max_marks * 100).quantize(GRADE_PLACES, ROUND_HALF_UP) if attempt.max_marks else Decimal(100)
    )
    pass_mark = attempt.settings.get("pass_mark")
    passed = grade >= Decimal(str(pass_mark)) if pass_mark not in (None, "") else True
    return {"state": AttemptState.FINISHED, "marks": marks, "grade": grade, "passed": passed}


def quiz_grade(*, user_id: int, course_id: int, activity_uid: uuid.UUID) -> tuple[Decimal | None, bool | None]:
    """The person's quiz grade by the grading method of their latest attempt, and whether it passes; (None, None)
    while it is not known (see `grade_of`)."""
    attempts = Attempt.objects.filter(
        course_id=course_id, activity_uid=activity_uid, user_id=user_id, preview=False,
        state__in=(AttemptState.FINISHED, AttemptState.NEEDS_GRADING),
    )  # fmt: skip
    return grade_of(attempts)


def grade_of(attempts: Sequence[Attempt] | Any) -> tuple[Decimal | None, bool | None]:
    """The quiz grade of one person's attempts at one quiz, and whether it passes; (None, None) while it is not
    known. The results pages grade a page of learners with it from attempts already loaded: their grade is the one
    progress heard.

    Closed attempts count (finished, or waiting for a grader); previews, running and abandoned ones never. "first"
    and "last" are the grade of the first / latest closed attempt and stay unknown while that attempt waits for a
    grader (never another attempt's grade in the meantime); "average" waits until every closed attempt is graded;
    "highest" is the best graded attempt (one still waiting can only raise it). The grading method and pass mark are
    those of the latest closed attempt."""
    closed = sorted(
        (a for a in attempts if not a.preview and a.state in (AttemptState.FINISHED, AttemptState.NEEDS_GRADING)),
        key=lambda a: a.number,
    )
    if not closed:
        return None, None
    method = closed[-1].settings.get("grading_method", "highest")
    grades = [a.grade for a in closed if a.state == AttemptState.FINISHED and a.grade is not None]
    grade: Decimal | None
    if method == "first":
        grade = closed[0].grade if closed[0].state == AttemptState.FINISHED else None
    elif method == "last":
        grade = closed[-1].grade if closed[-1].state == AttemptState.FINISHED else None
    elif method == "average":
        complete = len(grades) == len(closed)
        grade = (sum(grades, Decimal(0)) / len(grades)).quantize(GRADE_PLACES, ROUND_HALF_UP) if complete else None
    else:
        grade = max(grades, default=None)
    if grade is None:
        return None, None
    pass_mark = closed[-1].settings.get("pass_mark")
    passed = grade >= Decimal(str(pass_mark)) if pass_mark not in (None, "") else True
    return grade, passed


def _emit_results(attempt: Attempt, *, submitted: bool) -> None:
    """Tell progress what this attempt changed (after commit). Previews tell nothing."""
    if attempt.preview or attempt.version_id is None:
        return
    at = attempt.finished_at or clock.now()

    def signal(name: str, data: dict[str, Any] | None = None) -> None:
        emit(
            ActivitySignalled(
                organization_id=attempt.organization_id,
                course_id=attempt.course_id,
                version_id=attempt.version_id or 0,
                activity_uid=attempt.activity_uid,
                kind="quiz",
                signal=name,
                user_id=attempt.user_id,
                at=at,
                data=data or {},
            )
        )

    if submitted:
        signal("submitted")
    grade, passed = quiz_grade(user_id=attempt.user_id, course_id=attempt.course_id, activity_uid=attempt.activity_uid)
    if grade is not None:
        data = {"score": str(grade), "scale": "percent", "replace": True, "passed": bool(passed)}
        signal("graded", data)
        if passed:
            signal("passed", data)
    allowed = int(_allowed_attempts(attempt) or 0)
    if allowed:
        used = (
            Attempt.objects.filter(
                course_id=attempt.course_id, activity_uid=attempt.activity_uid, user_id=attempt.user_id, preview=False
            )
            .exclude(state=AttemptState.IN_PROGRESS)
            .count()
        )
        if used >= allowed and not any(a.state == AttemptState.NEEDS_GRADING for a in _latest(attempt)):
            signal("exhausted")


def _latest(attempt: Attempt) -> list[Attempt]:
    return list(
        Attempt.objects.filter(
            course_id=attempt.course_id, activity_uid=attempt.activity_uid, user_id=attempt.user_id, preview=False
        )
    )


def _allowed_attempts(attempt: Attempt) -> int:
    """Attempts allowed to this person, from the version's quiz settings and their override."""
    from syllabus.catalog import learning

    if attempt.version_id is None:
        return 0
    version = CourseVersion.objects.filter(pk=attempt.version_id).defer("snapshot").first()
    if version is None:
        return 0
    activity = learning.version_activity(version, learning.version_outline(version), str(attempt.activity_uid))
    if activity is None:
        return 0
    return rules_for(user=attempt.user, course=attempt.course, activity=activity).attempts_allowed


def attempts_close_overdue(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Submit attempts whose deadline (plus grace) passed while nobody was there. Returns how many."""
    now = now or clock.now()
    closed = 0
    overdue = Attempt.objects.filter(state=AttemptState.IN_PROGRESS, deadline__lt=now - grace()).order_by("deadline")
    for attempt in overdue[:limit]:
        try:
            if _finish(attempt, now=now, by=None):
                closed += 1
        except Exception:
            # One attempt that cannot be graded (a question type removed, a bug in one) is logged and left for the
            # next run; it must not keep every attempt after it open past its deadline.
            log.exception("The overdue attempt %s could not be submitted", attempt.public_id)
    return closed


# --- manual grading -----------------------------------------------------------------------------------------------


def answer_grade(
    *, answer: QuestionAnswer, mark: Decimal | str, comment: str = "", by: User, now: dt.datetime | None = None
) -> QuestionAnswer:
    """A person grades one answer (an essay, or a correction of any answer): 0..max mark, with a comment.
    Audited; the attempt's grade follows, and progress hears of it once nothing waits for grading."""
    from syllabus.audit.services import audit_record
    from syllabus.catalog import richtext

    now = now or clock.now()
    attempt = answer.attempt
    if not policy.can_grade(principal_for(by, attempt.course.organization), attempt.course):
        raise PermissionDenied(NOT_ALLOWED)
    if attempt.state == AttemptState.IN_PROGRESS:
        raise ValidationError(NOT_WAITING)
    if not qtypes.get(answer.question_version.qtype).graded:
        raise ValidationError(NOT_GRADED)
    try:
        if isinstance(mark, bool) or len(str(mark)) > 40:
            raise ValueError
        value = Decimal(str(mark).strip())
        if not value.is_finite() or not Decimal(0) <= value <= answer.max_mark:
            raise ValueError
    except (ArithmeticError, ValueError):
        raise ValidationError({"mark": MARK_RANGE.format(max=answer.max_mark.normalize())}) from None
    if len(comment) > COMMENT_LIMIT:
        raise ValidationError({"comment": COMMENT_TOO_LONG.format(limit=f"{COMMENT_LIMIT:,}")})
    before = {"mark": str(answer.mark) if answer.mark is not None else None, "state": answer.state}
    fraction = (value / answer.max_mark).quantize(FRACTION_PLACES) if answer.max_mark else Decimal(0)
    with transaction.atomic():
        answer.mark = value.quantize(MARK_PLACES)
        answer.fraction = fraction
        answer.state = AnswerState.MANUALLY_GRADED
        answer.comment = richtext.sanitize_html(comment)
        answer.graded_by, answer.graded_at = by, now
        answer.history = _history(
            answer, {"at": now.isoformat(), "kind": "manual", "fraction": str(fraction), "by": by.pk}
        )
        answer.save(update_fields=["mark", "fraction", "state", "comment", "graded_by", "graded_at", "history"])
        attempt_recompute(attempt)
        audit_record(
            organization=attempt.course.organization,
            action="assessment.answer_graded",
            actor=by,
            target=attempt.user,
            before=before,
            after={"mark": str(answer.mark), "attempt": str(attempt.public_id), "slot": answer.slot},
        )
    return answer


def attempt_recompute(attempt: Attempt) -> None:
    """The attempt's totals from its answers (after a manual grade or a regrade); progress hears the result."""
    answers = list(attempt.answers.all())
    totals = _totals(attempt, answers)
    Attempt.objects.filter(pk=attempt.pk).exclude(state=AttemptState.IN_PROGRESS).update(
        revision=F("revision") + 1, **totals
    )
    attempt.refresh_from_db()
    _emit_results(attempt, submitted=False)


# --- overrides ----------------------------------------------------------------------------------------------------


OVERRIDE_REASON_REQUIRED = "Say why this person gets different rules (kept in the audit trail)."
OVERRIDE_EMPTY = "Change at least one rule: extra time, more attempts, other dates, or no password."
OVERRIDE_DATES = "The close date must be after the open date."
OVERRIDE_NOT_LEARNER = "Choose a person of this organisation."
OVERRIDE_MINUTES = "Give the time limit in whole minutes, from 1 to {limit}."
OVERRIDE_ATTEMPTS = "Give the extra attempts as a whole number from 0 to {limit}."
EXTRA_ATTEMPTS_LIMIT = 100


def override_set(
    *,
    course: Course,
    activity_uid: uuid.UUID,
    user: User,
    by: User,
    reason: str,
    time_limit_minutes: int | None = None,
    extra_attempts: int = 0,
    opens_at: dt.datetime | None = None,
    closes_at: dt.datetime | None = None,
    skip_password: bool = False,
) -> QuizOverride:
    """Give one person different rules on one quiz (replacing any they had). Audited with the reason."""
    from syllabus.accounts.models import Membership
    from syllabus.audit.services import audit_record

    if not policy.can_override(principal_for(by, course.organization), course):
        raise PermissionDenied(NOT_ALLOWED)
    errors: dict[str, str] = {}
    reason = str(reason or "").strip()
    if not reason:
        errors["reason"] = OVERRIDE_REASON_REQUIRED
    # Hostile numbers: a negative time limit would set a deadline in the past, a huge one overflow the clock.
    raw_limit: Any = time_limit_minutes
    time_limit_minutes = None
    try:
        if raw_limit not in (None, "", 0):  # none or 0: the quiz's own limit
            time_limit_minutes = int(raw_limit)
            if isinstance(raw_limit, bool) or not 1 <= time_limit_minutes <= MINUTES_LIMIT:
                raise ValueError
    except (TypeError, ValueError, OverflowError):
        errors["time_limit_minutes"] = OVERRIDE_MINUTES.format(limit=MINUTES_LIMIT)
        time_limit_minutes = None
    try:
        extra_attempts = int(extra_attempts or 0)
        if not 0 <= extra_attempts <= EXTRA_ATTEMPTS_LIMIT:
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        errors["extra_attempts"] = OVERRIDE_ATTEMPTS.format(limit=EXTRA_ATTEMPTS_LIMIT)
        extra_attempts = 0
    if not Membership.objects.filter(organization_id=course.organization_id, user=user).exists():
        errors["user"] = OVERRIDE_NOT_LEARNER
    if not errors.keys() & {"time_limit_minutes", "extra_attempts"} and not (
        time_limit_minutes or extra_attempts or opens_at or closes_at or skip_password
    ):
        errors["__all__"] = OVERRIDE_EMPTY
    if opens_at and closes_at and closes_at <= opens_at:
        errors["closes_at"] = OVERRIDE_DATES
    if errors:
        raise ValidationError(errors)
    values = {
        "time_limit_minutes": time_limit_minutes or None,
        "extra_attempts": extra_attempts,
        "opens_at": opens_at,
        "closes_at": closes_at,
        "skip_password": skip_password,
        "reason": reason[:500],
        "created_by": by,
    }
    with transaction.atomic():
        previous = (
            QuizOverride.objects.select_for_update().filter(course=course, activity_uid=activity_uid, user=user).first()
        )
        override, _created = QuizOverride.objects.update_or_create(
            course=course,
            activity_uid=activity_uid,
            user=user,
            defaults={"organization_id": course.organization_id, **values},
        )
        audit_record(
            organization=course.organization,
            action="assessment.override_set",
            actor=by,
            target=user,
            # The rules it replaced, if any: the trail shows what changed, not only what is.
            before=_override_rules(previous) if previous is not None else None,
            after=_override_rules(override),
            personal_before={"reason": previous.reason} if previous is not None else None,
            personal_after={"reason": reason[:500]},
        )
    return override


def override_remove(*, override: QuizOverride, by: User) -> None:
    from syllabus.audit.services import audit_record

    if not policy.can_override(principal_for(by, override.course.organization), override.course):
        raise PermissionDenied(NOT_ALLOWED)
    with transaction.atomic():
        audit_record(
            organization=override.course.organization,
            action="assessment.override_removed",
            actor=by,
            target=override.user,
            before=_override_rules(override),
            personal_before={"reason": override.reason},
        )
        override.delete()


def _override_rules(override: QuizOverride) -> dict[str, Any]:
    """An override's rules as the audit trail keeps them (the reason goes in its personal part)."""
    return {
        "course": override.course_id,
        "activity": str(override.activity_uid),
        "time_limit_minutes": override.time_limit_minutes,
        "extra_attempts": override.extra_attempts,
        "opens_at": override.opens_at.isoformat() if override.opens_at else None,
        "closes_at": override.closes_at.isoformat() if override.closes_at else None,
        "skip_password": override.skip_password,
    }
