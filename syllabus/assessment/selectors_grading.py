"""Reads of the grading area: a quiz's results per learner, the manual grading queue, overrides, and what a regrade
may choose from. Every function takes a course already found in the caller's organisation (the views and the API
check `policy.can_grade` / `can_regrade` first) and keeps a constant query count: lists are paged by learner, and a
page's attempts come in one query.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.functions import Lower

from syllabus.accounts.models import Organization, User
from syllabus.assessment.models import AnswerState, Attempt, AttemptState, Question, QuestionAnswer, QuizOverride
from syllabus.assessment.services import attempts as attempt_services
from syllabus.catalog import versions
from syllabus.catalog.models import Activity, Course
from syllabus.enrollment.models import Enrollment, Status

QUIZ_KIND = "quiz"
GRADE_PLACES = Decimal("0.01")

# Results filters (a learner matches when one of their attempts is in that state).
STATE_FILTERS = {
    "needs_grading": AttemptState.NEEDS_GRADING,
    "finished": AttemptState.FINISHED,
    "in_progress": AttemptState.IN_PROGRESS,
}

# The grading queue: answers waiting for a grader, or with `graded` also those a person graded already.
QUEUE_WAITING = "waiting"
QUEUE_ALL = "all"
BY_QUESTION = "question"
BY_ATTEMPT = "attempt"
# Enrollments whose person may still take, or has taken, the course's quizzes.
LEARNING_STATUSES = (Status.ACTIVE, Status.COMPLETED)


def course_get(*, organization: Organization, pk: int) -> Course | None:
    """The course of this organisation (None: not found, whoever asks); permission is the caller's question."""
    return Course.objects.filter(organization=organization, pk=pk).select_related("organization").first()


# --- quizzes ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuizRef:
    """A quiz of a course as the grading pages name it: from the draft, else the published version (a quiz removed
    from the draft still has attempts to grade)."""

    uid: uuid.UUID
    title: str
    config: dict[str, Any] = field(default_factory=dict)


def quiz_get(*, course: Course, uid: uuid.UUID) -> QuizRef | None:
    """The quiz `uid` of the course, or None when the course never had it (404)."""
    draft = Activity.objects.filter(course=course, uid=uid, kind=QUIZ_KIND).values_list("title", "config").first()
    if draft is not None:
        return QuizRef(uid=uid, title=draft[0], config=dict(draft[1] or {}))
    if course.published_version_id is not None:
        snapshot = course.published_version.snapshot if course.published_version else {}
        found = versions.find_activity(snapshot or {}, str(uid))
        if found is not None and found.get("kind") == QUIZ_KIND:
            return QuizRef(uid=uid, title=str(found.get("title", "")), config=dict(found.get("config") or {}))
    if Attempt.objects.filter(course=course, activity_uid=uid).exists():
        return QuizRef(uid=uid, title="")
    return None


def course_quizzes(*, course: Course) -> list[QuizRef]:
    """The quizzes of the course's draft, in outline order."""
    rows = Activity.objects.filter(course=course, kind=QUIZ_KIND).order_by("section__position", "position", "pk")
    return [QuizRef(uid=uid, title=title) for uid, title in rows.values_list("uid", "title")]


# --- results ------------------------------------------------------------------------------------------------------


def overall_grade(finished: Sequence[Attempt]) -> tuple[Decimal | None, bool | None]:
    """The quiz grade of one person from their attempts, exactly as progress hears it (`attempts.grade_of`, the
    grading method and pass mark of their latest closed attempt), without a query: the results page grades a page
    of learners from one list of attempts."""
    return attempt_services.grade_of(finished)


@dataclass
class ResultRow:
    """One learner of the results page."""

    learner: User
    attempts: list[Attempt]
    grade: Decimal | None
    passed: bool | None
    state: str  # the most telling state of their attempts: needs grading, in progress, finished (or abandoned)

    @property
    def submitted(self) -> int:
        return sum(1 for a in self.attempts if a.state != AttemptState.IN_PROGRESS)

    @property
    def last_finished_at(self) -> Any:
        return max((a.finished_at for a in self.attempts if a.finished_at), default=None)


def _learner_state(attempts: Iterable[Attempt]) -> str:
    states = {a.state for a in attempts}
    for state in (AttemptState.NEEDS_GRADING, AttemptState.IN_PROGRESS, AttemptState.FINISHED):
        if state in states:
            return str(state)
    return str(AttemptState.ABANDONED)


def quiz_attempts(*, course: Course, activity_uid: uuid.UUID) -> QuerySet[Attempt]:
    """Every counted attempt at the quiz (the team's previews left out)."""
    return Attempt.objects.filter(
        organization_id=course.organization_id, course=course, activity_uid=activity_uid, preview=False
    )


def result_learners(*, course: Course, activity_uid: uuid.UUID, state: str = "") -> QuerySet[User]:
    """The people with an attempt at the quiz (with `state`: an attempt in that state), by name: what the results
    page pages through."""
    attempts = quiz_attempts(course=course, activity_uid=activity_uid)
    if state in STATE_FILTERS:
        attempts = attempts.filter(state=STATE_FILTERS[state])
    return User.objects.filter(pk__in=attempts.values("user_id")).order_by(Lower("display_name"), "email", "pk")


def result_rows(*, course: Course, activity_uid: uuid.UUID, learners: Sequence[User]) -> list[ResultRow]:
    """The rows of a page of learners: their attempts in one query, graded by the grading method."""
    by_user: dict[int, list[Attempt]] = {user.pk: [] for user in learners}
    attempts = (
        quiz_attempts(course=course, activity_uid=activity_uid)
        .filter(user_id__in=list(by_user))
        .order_by("user_id", "number")
    )
    for attempt in attempts:
        by_user[attempt.user_id].append(attempt)
    rows = []
    for user in learners:
        mine = by_user[user.pk]
        for attempt in mine:
            # The page links each attempt's review: spare the policy a query per attempt.
            attempt.user = user
            attempt.course = course
        grade, passed = overall_grade(mine)
        rows.append(ResultRow(learner=user, attempts=mine, grade=grade, passed=passed, state=_learner_state(mine)))
    return rows


def all_result_rows(
    *, course: Course, activity_uid: uuid.UUID, state: str = "", chunk: int = 500
) -> Iterator[ResultRow]:
    """Every row, a chunk of learners at a time (the CSV export: two queries per chunk, whatever the size)."""
    learners = result_learners(course=course, activity_uid=activity_uid, state=state)
    offset = 0
    while True:
        page = list(learners[offset : offset + chunk])
        if not page:
            return
        yield from result_rows(course=course, activity_uid=activity_uid, learners=page)
        offset += chunk


def questions_answered(*, course: Course, activity_uid: uuid.UUID | None = None) -> QuerySet[Question]:
    """The questions submitted attempts of the course (or of one quiz) answered: what a regrade may choose."""
    answers = QuestionAnswer.objects.filter(
        attempt__course=course, attempt__preview=False, attempt__organization_id=course.organization_id
    ).exclude(attempt__state=AttemptState.IN_PROGRESS)
    if activity_uid is not None:
        answers = answers.filter(attempt__activity_uid=activity_uid)
    return Question.objects.filter(
        organization_id=course.organization_id, pk__in=answers.values("question_version__question_id")
    ).order_by(Lower("name"), "pk")


# --- the manual grading queue --------------------------------------------------------------------------------------


def grading_queue(
    *, course: Course, activity_uid: uuid.UUID | None = None, show: str = QUEUE_WAITING, group: str = BY_QUESTION
) -> QuerySet[QuestionAnswer]:
    """Answers a person grades: those waiting (essays of submitted attempts), or with `show=all` also those already
    graded by hand. `group` orders them by question (every answer to one question in turn) or by attempt."""
    states = [AnswerState.NEEDS_GRADING]
    if show == QUEUE_ALL:
        states.append(AnswerState.MANUALLY_GRADED)
    answers = (
        QuestionAnswer.objects.filter(
            attempt__organization_id=course.organization_id,
            attempt__course=course,
            attempt__preview=False,
            state__in=states,
        )
        .exclude(attempt__state=AttemptState.IN_PROGRESS)
        .select_related("attempt", "attempt__user", "question_version", "graded_by")
        # The list never shows the (possibly long) response: the grading page loads one answer whole.
        .defer("response", "history", "variant", "question_version__data", "question_version__text")
    )
    if activity_uid is not None:
        answers = answers.filter(attempt__activity_uid=activity_uid)
    if group == BY_ATTEMPT:
        return answers.order_by("attempt__finished_at", "attempt_id", "slot", "pk")
    return answers.order_by(
        Lower("question_version__name"), "question_version__question_id", "attempt__finished_at", "attempt_id", "pk"
    )


def queue_ids(
    *, course: Course, activity_uid: uuid.UUID | None = None, show: str = QUEUE_WAITING, group: str = BY_QUESTION
) -> list[int]:
    """The queue's answer ids in order (what "Save and next" walks)."""
    return list(
        grading_queue(course=course, activity_uid=activity_uid, show=show, group=group).values_list("pk", flat=True)
    )


def waiting_count(*, course: Course, activity_uid: uuid.UUID | None = None) -> int:
    return grading_queue(course=course, activity_uid=activity_uid).count()


def answer_get(*, course: Course, pk: int) -> QuestionAnswer | None:
    """One answer of a counted attempt of the course, for a grader (an answer of another course: None, 404)."""
    return (
        QuestionAnswer.objects.filter(
            pk=pk, attempt__course=course, attempt__organization_id=course.organization_id, attempt__preview=False
        )
        .select_related("attempt", "attempt__user", "attempt__course__organization", "question_version", "graded_by")
        .first()
    )


# --- overrides ----------------------------------------------------------------------------------------------------


def overrides_of(*, course: Course, activity_uid: uuid.UUID) -> QuerySet[QuizOverride]:
    return (
        QuizOverride.objects.filter(organization_id=course.organization_id, course=course, activity_uid=activity_uid)
        .select_related("user", "created_by")
        .order_by(Lower("user__display_name"), "user__email", "pk")
    )


def override_get(*, course: Course, activity_uid: uuid.UUID, pk: int) -> QuizOverride | None:
    return (
        overrides_of(course=course, activity_uid=activity_uid)
        .select_related("course__organization")
        .filter(pk=pk)
        .first()
    )


def enrolled_learners(*, course: Course) -> QuerySet[User]:
    """The people enrolled in the course (now, or who completed it): who an override may name."""
    memberships = Enrollment.objects.filter(
        organization_id=course.organization_id, course=course, status__in=LEARNING_STATUSES
    ).values("membership__user_id")
    return User.objects.filter(pk__in=memberships).order_by(Lower("display_name"), "email", "pk")


def enrolled_learner(*, course: Course, user_id: Any) -> User | None:
    try:
        pk = int(user_id)
    except (TypeError, ValueError):
        return None
    return enrolled_learners(course=course).filter(pk=pk).first()


def name_filter(q: str) -> Q:
    q = q.strip()[:100]
    return Q(display_name__icontains=q) | Q(email__icontains=q) if q else Q()
