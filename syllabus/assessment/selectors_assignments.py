"""Reads of assignment grading: the course's assignments, the grading queue (person × assignment, the person's
latest handed-in submission), one submission for its grader, extensions, and a grade's history.

Every function takes a course already found in the caller's organisation (views and the API check
`policy.can_grade` first) and keeps a constant query count: a queue page is one query (plus its count), whatever the
number of rows, assignments or groups.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Lower

from syllabus.accounts.models import Organization, User
from syllabus.assessment import selectors_grading
from syllabus.assessment.assignment_settings import AssignmentSettings
from syllabus.assessment.models import (
    AssignmentExtension,
    FileRole,
    Submission,
    SubmissionFile,
    SubmissionState,
)
from syllabus.audit.models import AuditRecord
from syllabus.audit.selectors import audit_rows
from syllabus.catalog import versions
from syllabus.catalog.models import Activity, Course, CourseVersion
from syllabus.enrollment.models import CourseGroup, GroupMember

KIND = "assignment"
HANDED_IN = (SubmissionState.SUBMITTED, SubmissionState.REOPENED)

# The queue's "show" filter.
SHOW_ALL = ""
SHOW_UNGRADED = "ungraded"
SHOW_GRADED = "graded"
SHOW_UNRELEASED = "unreleased"
SHOW_RELEASED = "released"
SHOW_CHOICES = (SHOW_ALL, SHOW_UNGRADED, SHOW_GRADED, SHOW_UNRELEASED, SHOW_RELEASED)
HISTORY_ACTIONS = ("assessment.submission_graded", "assessment.submission_reopened")
HISTORY_LIMIT = 20


def course_get(*, organization: Organization, pk: int) -> Course | None:
    return selectors_grading.course_get(organization=organization, pk=pk)


# --- assignments --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssignmentRef:
    """An assignment of a course as the grading pages name it, with its config (from the published version, else
    the draft; a removed one keeps the config of the version its last submission was made on)."""

    uid: uuid.UUID
    title: str
    config: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def settings(self) -> AssignmentSettings:
        return AssignmentSettings.from_config(self.config)


def _published(course: Course) -> list[dict[str, Any]]:
    version = course.published_version if course.published_version_id else None
    return [a for a in versions.activities((version.snapshot if version else None) or {}) if a.get("kind") == KIND]


def course_assignments(*, course: Course) -> list[AssignmentRef]:
    """The assignments of the course's published version, in outline order."""
    return [
        AssignmentRef(uid=uuid.UUID(str(a["uid"])), title=str(a.get("title", "")), config=dict(a.get("config") or {}))
        for a in _published(course)
    ]


def assignment_get(*, course: Course, uid: uuid.UUID) -> AssignmentRef | None:
    """The assignment `uid` of the course, or None when the course never had it (404)."""
    for found in _published(course):
        if str(found.get("uid")) == str(uid):
            return AssignmentRef(uid=uid, title=str(found.get("title", "")), config=dict(found.get("config") or {}))
    draft = Activity.objects.filter(course=course, uid=uid, kind=KIND).values_list("title", "config").first()
    if draft is not None:
        return AssignmentRef(uid=uid, title=draft[0], config=dict(draft[1] or {}))
    last = (
        Submission.objects.filter(organization_id=course.organization_id, course=course, activity_uid=uid)
        .select_related("version")
        .order_by("-pk")
        .first()
    )
    if last is not None:
        return AssignmentRef(uid=uid, title="", config=_config_in(last.version, uid))
    return None


def _config_in(version: CourseVersion | None, uid: uuid.UUID) -> dict[str, Any]:
    found = versions.find_activity((version.snapshot if version else None) or {}, str(uid))
    return dict(found.get("config") or {}) if found and found.get("kind") == KIND else {}


def settings_for_submission(submission: Submission) -> AssignmentSettings:
    """The settings that govern a submission: those of the version it was made on (what the learner saw), else of
    the course's published version."""
    config = _config_in(submission.version, submission.activity_uid) if submission.version_id else {}
    if not config:
        ref = assignment_get(course=submission.course, uid=submission.activity_uid)
        config = ref.config if ref else {}
    return AssignmentSettings.from_config(config)


# --- the queue ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilters:
    assignment: uuid.UUID | None = None
    show: str = SHOW_ALL
    late: bool = False
    group: int | None = None
    q: str = ""


def latest_handed_in(*, course: Course) -> QuerySet[Submission]:
    """Each person's latest handed-in (submitted or reopened) submission of each assignment of the course."""
    newer = Submission.objects.filter(
        course_id=OuterRef("course_id"),
        activity_uid=OuterRef("activity_uid"),
        user_id=OuterRef("user_id"),
        number__gt=OuterRef("number"),
        state__in=HANDED_IN,
    )
    return (
        Submission.objects.filter(organization_id=course.organization_id, course=course, state__in=HANDED_IN)
        .exclude(Exists(newer))
    )  # fmt: skip


def queue(
    *, course: Course, filters: QueueFilters, assignments: list[AssignmentRef] | None = None
) -> QuerySet[Submission]:
    """The grading queue: the latest handed-in submission of each person on each assignment (or one), oldest
    first, with its person and grade (one query). `assignments`: the course's, when already read."""
    rows = latest_handed_in(course=course)
    if filters.assignment is not None:
        rows = rows.filter(activity_uid=filters.assignment)
    else:
        uids = [a.uid for a in (assignments if assignments is not None else course_assignments(course=course))]
        rows = rows.filter(activity_uid__in=uids)
    if filters.show == SHOW_UNGRADED:
        rows = rows.filter(state=SubmissionState.SUBMITTED, grade__isnull=True)
    elif filters.show == SHOW_GRADED:
        rows = rows.filter(grade__isnull=False)
    elif filters.show == SHOW_UNRELEASED:
        rows = rows.filter(grade__isnull=False, grade__released=False)
    elif filters.show == SHOW_RELEASED:
        rows = rows.filter(grade__released=True)
    if filters.late:
        rows = rows.filter(late_seconds__gt=0)
    if filters.group is not None:
        rows = rows.filter(
            Exists(
                GroupMember.objects.filter(
                    group_id=filters.group,
                    group__course=course,
                    enrollment__course=course,
                    enrollment__membership__user_id=OuterRef("user_id"),
                )
            )
        )
    q = filters.q.strip()[:100]
    if q:
        rows = rows.filter(Q(user__display_name__icontains=q) | Q(user__email__icontains=q))
    return (
        rows.select_related("user", "grade", "grade__grader")
        # The list never shows the (possibly long) text: the grading page loads one submission whole.
        .defer("text", "reopen_note", "grade__feedback", "grade__definition", "grade__filling")
        .order_by("submitted_at", "pk")
    )


def next_ungraded(*, course: Course, current: Submission, filters: QueueFilters | None = None) -> Submission | None:
    """What "Save and next" opens: the first ungraded submission after `current` in the queue's order, else the
    first ungraded one before it, within the queue's other `filters` (assignment, group, late, name)."""
    within = dataclasses.replace(filters or QueueFilters(), show=SHOW_UNGRADED)
    rest = queue(course=course, filters=within).exclude(pk=current.pk)
    if current.submitted_at is not None:
        after = rest.filter(
            Q(submitted_at__gt=current.submitted_at) | Q(submitted_at=current.submitted_at, pk__gt=current.pk)
        ).first()
        if after is not None:
            return after
    return rest.first()


def ungraded_count(*, course: Course, assignment: uuid.UUID | None = None) -> int:
    return queue(course=course, filters=QueueFilters(assignment=assignment, show=SHOW_UNGRADED)).count()


def course_groups(*, course: Course) -> QuerySet[CourseGroup]:
    return CourseGroup.objects.filter(organization_id=course.organization_id, course=course).order_by(
        Lower("name"), "pk"
    )


# --- one submission -----------------------------------------------------------------------------------------------


def submission_get(*, course: Course, pk: Any) -> Submission | None:
    """A handed-in submission of the course for a grader (a draft, or one of another course: None, 404)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return (
        Submission.objects.filter(pk=pk, organization_id=course.organization_id, course=course, state__in=HANDED_IN)
        .select_related("user", "course__organization", "version", "grade", "grade__grader", "grade__released_by")
        .first()
    )


def files_of(submission: Submission) -> tuple[list[SubmissionFile], list[SubmissionFile]]:
    """The learner's files and the grader's feedback files of a submission (one query)."""
    files = list(SubmissionFile.objects.filter(submission=submission).order_by("role", "pk"))
    return (
        [f for f in files if f.role == FileRole.SUBMISSION],
        [f for f in files if f.role == FileRole.FEEDBACK],
    )


def file_get(*, course: Course, pk: int) -> SubmissionFile | None:
    """A file of a handed-in submission of the course (for the team's download link)."""
    return (
        SubmissionFile.objects.filter(
            pk=pk,
            organization_id=course.organization_id,
            submission__course=course,
            submission__state__in=HANDED_IN,
        )
        .select_related("submission")
        .first()
    )


def earlier_submissions(submission: Submission) -> list[Submission]:
    """The person's earlier handed-in tries at the same assignment, with their grades (newest first)."""
    return list(
        Submission.objects.filter(
            organization_id=submission.organization_id,
            course_id=submission.course_id,
            activity_uid=submission.activity_uid,
            user_id=submission.user_id,
            number__lt=submission.number,
            state__in=HANDED_IN,
        )
        .select_related("grade")
        .defer("text")
        .order_by("-number")
    )


def grade_history(submission: Submission) -> list[Any]:
    """The audit trail's records of this submission's grading and reopening (newest first, at most
    HISTORY_LIMIT), as people read them (names resolved)."""
    records = list(
        AuditRecord.objects.filter(
            organization_id=submission.organization_id,
            action__in=HISTORY_ACTIONS,
            after__submission=str(submission.public_id),
        ).order_by("-seq")[:HISTORY_LIMIT]
    )
    return audit_rows(records)


# --- extensions and people ----------------------------------------------------------------------------------------


def extensions_of(*, course: Course, activity_uid: uuid.UUID) -> QuerySet[AssignmentExtension]:
    return (
        AssignmentExtension.objects.filter(
            organization_id=course.organization_id, course=course, activity_uid=activity_uid
        )
        .select_related("user", "granted_by")
        .order_by(Lower("user__display_name"), "user__email", "pk")
    )


def extension_get(*, course: Course, activity_uid: uuid.UUID, pk: Any) -> AssignmentExtension | None:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return (
        extensions_of(course=course, activity_uid=activity_uid)
        .select_related("course__organization")
        .filter(pk=pk)
        .first()
    )


def enrolled_learners(*, course: Course) -> QuerySet[User]:
    """The people enrolled in the course (now, or who completed it): who an extension may name."""
    return selectors_grading.enrolled_learners(course=course)


def enrolled_learner(*, course: Course, user_id: Any) -> User | None:
    return selectors_grading.enrolled_learner(course=course, user_id=user_id)
