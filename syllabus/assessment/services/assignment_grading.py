"""Grading assignments: a grade with a rubric, a marking guide or plain points (`grade_save`), releasing grades to
learners (`grades_release`), handing a submission back for another try (`submission_reopen`), and per-person
extensions of the due date and cut-off (`extension_set`, `extension_remove`).

Every function checks `policy.can_grade` (the course team), validates (messages are the constants below and those of
`rubric_scoring`, keyed by the field or criterion they concern), writes in one transaction and audits.

A grade keeps a copy of the rubric or guide it was given against (`SubmissionGrade.definition`). Its points are the
raw points less the late penalty (`assignment_settings.late_penalty_points`, from the submission's `late_seconds`),
never below 0; its percent is points / max points, two places.

Learners — and progress and the gradebook, through `catalog.events.ActivitySignalled` (kind "assignment") — hear of a
grade only once it is released: "graded" with `{"score": percent, "scale": "percent", "replace": True, "passed"}`,
and "passed" (same data) when it reached the pass mark. A released grade that changes (a regrade, an extension that
lifts a late penalty) is heard again, replacing the old score; saving a released grade unchanged tells nothing.

Extensions: the person's due date must be later than the assignment's own (when it has one; else in the future), and
their cut-off, if any, not before their due date. Granting or removing one recomputes how late the person's
handed-in submissions were, and their grades' late penalty.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import PurePath
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F

from syllabus.access.policy import NOT_ALLOWED, principal_for
from syllabus.accounts.models import User
from syllabus.assessment import policy, rubric_scoring
from syllabus.assessment import selectors_assignments as selectors
from syllabus.assessment.assignment_settings import BLOCKED_TYPES, AssignmentSettings, late_penalty_points
from syllabus.assessment.models import (
    AssignmentExtension,
    FileRole,
    Submission,
    SubmissionFile,
    SubmissionGrade,
    SubmissionState,
)
from syllabus.audit.services import audit_record, audit_record_bulk
from syllabus.catalog import richtext
from syllabus.catalog.events import ActivitySignalled
from syllabus.catalog.models import Course
from syllabus.core import clock
from syllabus.core.events import emit

AUDIT_ACTIONS: tuple[tuple[str, str], ...] = (
    ("assessment.submission_graded", "Assignment submission graded"),
    ("assessment.grades_released", "Assignment grades released to learners"),
    ("assessment.submission_reopened", "Assignment submission reopened for resubmission"),
    ("assessment.extension_set", "Assignment extension granted or changed"),
    ("assessment.extension_removed", "Assignment extension removed"),
)

KIND = "assignment"
FEEDBACK_LIMIT = 50_000
REASON_LIMIT = 2_000
FEEDBACK_FILES_LIMIT = 10
RELEASE_LIMIT = 1_000
PERCENT_PLACES = Decimal("0.01")
POINT_PLACES = Decimal("0.00001")

NOT_HANDED_IN = "This submission is still a draft: it can be graded once the learner submits it."
FEEDBACK_TOO_LONG = "Keep the feedback under {limit} characters."
TOO_MANY_FILES = "Attach at most {limit} feedback files."
FILE_TOO_BIG = "“{name}” is larger than {mb} MB."
FILE_TYPE = "“{name}”: files of this type cannot be attached."
FILE_EMPTY = "“{name}” is empty."
RELEASE_IDS = "Send the submissions to release as a list of their ids."
RELEASE_TOO_MANY = "Release at most {limit} grades at once."
REASON_REQUIRED = "Say why (kept in the audit trail)."
REASON_TOO_LONG = "Keep the reason under {limit} characters."
REOPEN_NOT_ALLOWED = "This assignment takes no resubmissions: set “Resubmission” to “on request” to reopen."
REOPEN_NOT_SUBMITTED = "Only a submitted submission can be reopened."
REOPEN_NOT_LATEST = "This person has a newer submission: reopen that one."
REOPEN_LIMIT = "This person has used all {count} attempts at this assignment."
NOT_AN_ASSIGNMENT = "The course has no such assignment."
EXTENSION_NOT_LEARNER = "Choose a person enrolled in this course."
EXTENSION_DUE_REQUIRED = "Give the new due date."
EXTENSION_DUE_AFTER = "The new due date must be after the assignment's own due date ({when})."
EXTENSION_DUE_FUTURE = "The new due date must be in the future."
EXTENSION_CUTOFF = "The cut-off must not be before the new due date."

HANDED_IN = (SubmissionState.SUBMITTED, SubmissionState.REOPENED)


def _allowed(by: User, course: Course) -> None:
    if not policy.can_grade(principal_for(by, course.organization), course):
        raise PermissionDenied(NOT_ALLOWED)


def _reason(raw: Any) -> str:
    reason = str(raw or "").replace("\x00", "").strip() if isinstance(raw, str | int) or raw is None else ""
    if not reason:
        raise ValidationError({"reason": REASON_REQUIRED})
    if len(reason) > REASON_LIMIT:
        raise ValidationError({"reason": REASON_TOO_LONG.format(limit=f"{REASON_LIMIT:,}")})
    return reason


def _text(value: Decimal) -> str:
    return rubric_scoring.decimal_text(value)


# --- scores -------------------------------------------------------------------------------------------------------


def definition_of(settings: AssignmentSettings) -> dict[str, Any]:
    """The rubric or guide of the settings as a grade keeps it ({} for points)."""
    if settings.grading_method == rubric_scoring.METHOD_RUBRIC and settings.rubric is not None:
        return settings.rubric.as_config()
    if settings.grading_method == rubric_scoring.METHOD_GUIDE and settings.guide is not None:
        return settings.guide.as_config()
    return {}


def outcome(
    *, settings: AssignmentSettings, raw_points: Decimal, max_points: Decimal, late_seconds: int
) -> dict[str, Any]:
    """Penalty, points, percent and passed from raw points: the one rule for a grade's numbers."""
    penalty = late_penalty_points(settings, max_points=max_points, late_seconds=late_seconds)
    points = max(Decimal(0), raw_points - penalty)
    percent = (
        (points * Decimal(100) / max_points).quantize(PERCENT_PLACES, rounding=ROUND_HALF_UP)
        if max_points > 0
        else Decimal(0)
    )
    passed = None if settings.pass_mark is None else percent >= settings.pass_mark
    return {
        "raw_points": raw_points.quantize(POINT_PLACES),
        "penalty_points": penalty.quantize(POINT_PLACES),
        "points": points.quantize(POINT_PLACES),
        "max_points": max_points.quantize(POINT_PLACES),
        "percent": percent,
        "passed": passed,
    }


def _facts(grade: SubmissionGrade | None) -> dict[str, Any] | None:
    """A grade as the audit trail keeps it (no feedback text: that is the grader's words about a person)."""
    if grade is None:
        return None
    return {
        "submission": str(grade.submission.public_id),
        "method": grade.method,
        "filling": {key: {k: v for k, v in value.items() if k != "remark" and k != "comment"}
                    for key, value in (grade.filling or {}).items() if isinstance(value, Mapping)},
        "raw_points": _text(grade.raw_points),
        "penalty_points": _text(grade.penalty_points),
        "points": _text(grade.points),
        "max_points": _text(grade.max_points),
        "percent": _text(grade.percent),
        "passed": grade.passed,
        "released": grade.released,
    }  # fmt: skip


def _signal_data(grade: SubmissionGrade) -> dict[str, Any]:
    return {"score": str(grade.percent), "scale": "percent", "replace": True, "passed": bool(grade.passed)}


def _emit_grade(submission: Submission, grade: SubmissionGrade, at: dt.datetime) -> None:
    """Tell progress and the gradebook a released grade (after commit): "graded", and "passed" when it passed.
    A submission made without a version (the team trying the assignment out) tells nothing."""
    if submission.version_id is None:
        return
    data = _signal_data(grade)
    signals = ["graded", "passed"] if grade.passed else ["graded"]
    for name in signals:
        emit(
            ActivitySignalled(
                organization_id=submission.organization_id,
                course_id=submission.course_id,
                version_id=submission.version_id,
                activity_uid=submission.activity_uid,
                kind=KIND,
                signal=name,
                user_id=submission.user_id,
                at=at,
                data=dict(data),
            )
        )


# --- feedback files -----------------------------------------------------------------------------------------------


def _file_errors(files: Sequence[UploadedFile], settings: AssignmentSettings) -> list[str]:
    """The rules of learners' files, for the grader's: a size limit, no blocked type (the team's files are served
    to learners). Any other type is allowed: a grader may return an annotated copy in any format."""
    errors: list[str] = []
    if len(files) > FEEDBACK_FILES_LIMIT:
        return [TOO_MANY_FILES.format(limit=FEEDBACK_FILES_LIMIT)]
    for upload in files:
        name = clean_name(upload.name or "")
        suffix = PurePath(name).suffix.lower()
        if not suffix or suffix in BLOCKED_TYPES:
            errors.append(FILE_TYPE.format(name=name))
        elif not upload.size:
            errors.append(FILE_EMPTY.format(name=name))
        elif upload.size > settings.max_file_bytes:
            errors.append(FILE_TOO_BIG.format(name=name, mb=settings.max_file_mb))
    return errors


def clean_name(raw: str) -> str:
    """A file's name as uploaded, without folders or control characters, at most 200 characters."""
    name = PurePath(str(raw).replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable()).strip() or "file"
    if len(name) > 200:
        suffix = PurePath(name).suffix[:20]
        name = name[: 200 - len(suffix)] + suffix
    return name


def _store_file(submission: Submission, upload: UploadedFile, by: User) -> SubmissionFile:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    name = clean_name(upload.name or "")
    row = SubmissionFile(
        organization_id=submission.organization_id,
        submission=submission,
        role=FileRole.FEEDBACK,
        name=name,
        size=upload.size or 0,
        content_type=(upload.content_type or "")[:120],
        sha256=digest.hexdigest(),
        uploaded_by=by,
    )
    # The stored name is random: the uploaded one is only shown (and sent as the download's name).
    row.file.save(f"{uuid.uuid4().hex}{PurePath(name).suffix.lower()[:20]}", upload, save=False)
    row.save()
    return row


# --- grading ------------------------------------------------------------------------------------------------------


def grade_save(
    *,
    by: User,
    submission: Submission,
    settings: AssignmentSettings,
    filling: Any,
    points: Any,
    feedback: str,
    feedback_files: Sequence[UploadedFile] = (),
    release: bool = False,
    now: dt.datetime | None = None,
) -> SubmissionGrade:
    """Grade a handed-in submission (or change its grade): by the assignment's method, a rubric `filling`
    {criterion: {"level", "remark"}}, a guide `filling` {criterion: {"mark", "comment"}}, or `points`. The late
    penalty follows from the submission's `late_seconds`. With `release`, the learner sees it at once (and progress
    hears of it); a grade already released stays released and a change is heard again. Audited."""
    now = now or clock.now()
    course = submission.course
    _allowed(by, course)
    if submission.state not in HANDED_IN:
        raise ValidationError(NOT_HANDED_IN)
    definition = definition_of(settings)
    score = rubric_scoring.score(
        method=settings.grading_method,
        definition=definition,
        filling=filling if filling is not None else {},
        points=points,
        max_points=settings.max_points,
    )
    errors: dict[str, Any] = dict(score.errors)
    feedback = feedback.replace("\x00", "") if isinstance(feedback, str) else ""
    if len(feedback) > FEEDBACK_LIMIT:
        errors["feedback"] = FEEDBACK_TOO_LONG.format(limit=f"{FEEDBACK_LIMIT:,}")
    files = list(feedback_files)
    file_errors = _file_errors(files, settings)
    if file_errors:
        errors["feedback_files"] = file_errors
    if errors:
        raise ValidationError(errors)
    stored: list[str] = []
    try:
        with transaction.atomic():
            # The submission's row first: two graders saving at once (the first grade of a submission has no grade row
            # to lock yet), a reopen, or an extension changing `late_seconds` meanwhile, wait for each other; the late
            # penalty is then computed from the lateness as it is now.
            locked = (
                Submission.objects.select_for_update().filter(pk=submission.pk).values("state", "late_seconds").first()
            )
            if locked is None or locked["state"] not in HANDED_IN:
                raise ValidationError(NOT_HANDED_IN)
            submission.state, submission.late_seconds = locked["state"], locked["late_seconds"]
            numbers = outcome(
                settings=settings,
                raw_points=score.raw_points,
                max_points=score.max_points,
                late_seconds=submission.late_seconds,
            )
            grade = SubmissionGrade.objects.select_for_update().filter(submission=submission).first()
            before = _facts(grade) if grade is not None else None
            was_released = grade is not None and grade.released
            heard = (grade.percent, grade.passed) if was_released and grade is not None else None
            if grade is None:
                grade = SubmissionGrade(organization_id=submission.organization_id, submission=submission)
            grade.method = settings.grading_method
            grade.definition = definition
            grade.filling = score.filling
            for name, value in numbers.items():
                setattr(grade, name, value)
            grade.feedback = richtext.sanitize_html(feedback, course_id=course.pk)
            grade.grader, grade.graded_at = by, now
            if release and not grade.released:
                grade.released, grade.released_at, grade.released_by = True, now, by
            grade.save()
            for upload in files:
                stored.append(_store_file(submission, upload, by).file.name or "")
            after = _facts(grade) or {}
            if files:
                after["feedback_files_added"] = len(files)
            audit_record(
                organization=course.organization,
                action="assessment.submission_graded",
                actor=by,
                target=submission.user,
                before=before,
                after=after,
            )
            if grade.released and (heard is None or heard != (grade.percent, grade.passed)):
                _emit_grade(submission, grade, now)
    except BaseException:
        # The rows rolled back: the feedback files written for them would stay in storage with nothing naming them.
        for name in stored:
            default_storage.delete(name)
        raise
    return grade


def _ids(raw: Any) -> list[int]:
    if isinstance(raw, str | bytes) or not isinstance(raw, Iterable):
        raise ValidationError({"submissions": RELEASE_IDS})
    ids: list[int] = []
    for item in raw:
        if isinstance(item, bool):
            raise ValidationError({"submissions": RELEASE_IDS})
        try:
            value = int(str(item).strip())
        except (TypeError, ValueError):
            raise ValidationError({"submissions": RELEASE_IDS}) from None
        if not 0 < value < 2**62:
            raise ValidationError({"submissions": RELEASE_IDS})
        ids.append(value)
        if len(ids) > RELEASE_LIMIT:
            raise ValidationError({"submissions": RELEASE_TOO_MANY.format(limit=f"{RELEASE_LIMIT:,}")})
    return list(dict.fromkeys(ids))


def grades_release(
    *, by: User, course: Course, activity_uid: uuid.UUID, submission_ids: Any, now: dt.datetime | None = None
) -> int:
    """Release the grades of these submissions of one assignment (those graded and not yet released; others are
    skipped): learners see them, progress and the gradebook hear of them. One audit record for the lot. Returns how
    many were released."""
    now = now or clock.now()
    _allowed(by, course)
    ids = _ids(submission_ids)
    if not ids:
        return 0
    with transaction.atomic():
        grades = list(
            SubmissionGrade.objects.select_for_update()
            .filter(
                organization_id=course.organization_id,
                submission__course=course,
                submission__activity_uid=activity_uid,
                submission_id__in=ids,
                released=False,
            )
            .select_related("submission")
        )
        if not grades:
            return 0
        # Conditional: a grade released meanwhile (another tab) is neither counted nor heard twice.
        released = SubmissionGrade.objects.filter(pk__in=[g.pk for g in grades], released=False).update(
            released=True, released_at=now, released_by=by
        )
        audit_record_bulk(
            organization=course.organization,
            action="assessment.grades_released",
            actor=by,
            target_type="assessment.submission",
            ids=sorted(g.submission_id for g in grades),
            details={"course": course.pk, "activity": str(activity_uid)},
        )
        for grade in grades:
            grade.released = True
            _emit_grade(grade.submission, grade, now)
    return released


# --- reopening ----------------------------------------------------------------------------------------------------


def submission_reopen(*, by: User, submission: Submission, reason: str) -> Submission:
    """Hand a submitted submission back for another try (the assignment takes resubmissions "on request", and the
    person has attempts left): its state becomes "reopened" and the learner's next save starts submission
    `number + 1`. Audited with the reason."""
    course = submission.course
    _allowed(by, course)
    reason = _reason(reason)
    settings = selectors.settings_for_submission(submission)
    if settings.resubmission != "on_request":
        raise ValidationError(REOPEN_NOT_ALLOWED)
    if submission.state != SubmissionState.SUBMITTED:
        raise ValidationError(REOPEN_NOT_SUBMITTED)
    newer = Submission.objects.filter(
        course_id=submission.course_id,
        activity_uid=submission.activity_uid,
        user_id=submission.user_id,
        number__gt=submission.number,
    )
    if newer.exists():
        raise ValidationError(REOPEN_NOT_LATEST)
    if settings.max_attempts and submission.number >= settings.max_attempts:
        raise ValidationError(REOPEN_LIMIT.format(count=settings.max_attempts))
    with transaction.atomic():
        changed = Submission.objects.filter(pk=submission.pk, state=SubmissionState.SUBMITTED).update(
            state=SubmissionState.REOPENED, revision=F("revision") + 1
        )
        if not changed:
            raise ValidationError(REOPEN_NOT_SUBMITTED)
        audit_record(
            organization=course.organization,
            action="assessment.submission_reopened",
            actor=by,
            target=submission.user,
            after={
                "submission": str(submission.public_id),
                "course": course.pk,
                "activity": str(submission.activity_uid),
                "number": submission.number,
            },
            personal_after={"reason": reason},
        )
    submission.refresh_from_db()
    return submission


# --- extensions ---------------------------------------------------------------------------------------------------


def _extension_facts(extension: AssignmentExtension) -> dict[str, Any]:
    return {
        "course": extension.course_id,
        "activity": str(extension.activity_uid),
        "due_at": extension.due_at.isoformat(),
        "cutoff_at": extension.cutoff_at.isoformat() if extension.cutoff_at else None,
    }


def _rescore_lateness(
    *, course: Course, activity_uid: uuid.UUID, user_id: int, settings: AssignmentSettings, due_at: dt.datetime | None
) -> None:
    """After an extension changed: how late each handed-in submission of the person was against their due date,
    and the late penalty of its grade (a released grade that changes is heard again)."""
    now = clock.now()
    # Locked (in the caller's transaction): a grade saved meanwhile waits, then reads the new lateness.
    submissions = (
        Submission.objects.select_for_update(of=("self",))
        .filter(
            organization_id=course.organization_id,
            course=course,
            activity_uid=activity_uid,
            user_id=user_id,
            state__in=HANDED_IN,
            submitted_at__isnull=False,
        )
        .select_related("grade")
    )
    for submission in submissions:
        assert submission.submitted_at is not None
        late = max(0, int((submission.submitted_at - due_at).total_seconds())) if due_at is not None else 0
        if late == submission.late_seconds:
            continue
        Submission.objects.filter(pk=submission.pk).update(late_seconds=late)
        submission.late_seconds = late
        grade = getattr(submission, "grade", None)
        if grade is None:
            continue
        heard = (grade.percent, grade.passed)
        numbers = outcome(
            settings=settings, raw_points=grade.raw_points, max_points=grade.max_points, late_seconds=late
        )
        for name, value in numbers.items():
            setattr(grade, name, value)
        grade.save(update_fields=list(numbers))
        if grade.released and heard != (grade.percent, grade.passed):
            _emit_grade(submission, grade, now)


def _enrolled(course: Course, user: User) -> bool:
    return selectors.enrolled_learners(course=course).filter(pk=user.pk).exists()


def extension_set(
    *,
    by: User,
    course: Course,
    activity_uid: uuid.UUID,
    user: User,
    due_at: dt.datetime | None,
    cutoff_at: dt.datetime | None = None,
    reason: str,
) -> AssignmentExtension:
    """Give one person their own due date (and cut-off) on one assignment, replacing any they had. The due date
    must be after the assignment's own (or, without one, in the future). Audited with the reason; the lateness and
    late penalty of what they already handed in follow."""
    _allowed(by, course)
    assignment = selectors.assignment_get(course=course, uid=activity_uid)
    if assignment is None:
        raise ValidationError({"activity_uid": NOT_AN_ASSIGNMENT})
    settings = assignment.settings
    errors: dict[str, str] = {}
    try:
        reason = _reason(reason)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if not _enrolled(course, user):
        errors["user"] = EXTENSION_NOT_LEARNER
    if not isinstance(due_at, dt.datetime):
        errors["due_at"] = EXTENSION_DUE_REQUIRED
    elif settings.due_at is not None and due_at <= settings.due_at:
        errors["due_at"] = EXTENSION_DUE_AFTER.format(when=settings.due_at.strftime("%Y-%m-%d %H:%M %Z"))
    elif settings.due_at is None and due_at <= clock.now():
        errors["due_at"] = EXTENSION_DUE_FUTURE
    if cutoff_at is not None and (
        not isinstance(cutoff_at, dt.datetime) or (isinstance(due_at, dt.datetime) and cutoff_at < due_at)
    ):
        errors["cutoff_at"] = EXTENSION_CUTOFF
    if errors:
        raise ValidationError(errors)
    assert due_at is not None
    with transaction.atomic():
        previous = (
            AssignmentExtension.objects.select_for_update()
            .filter(course=course, activity_uid=activity_uid, user=user)
            .first()
        )
        before = _extension_facts(previous) if previous is not None else None
        personal_before = {"reason": previous.reason} if previous is not None else None
        extension, _created = AssignmentExtension.objects.update_or_create(
            course=course,
            activity_uid=activity_uid,
            user=user,
            defaults={
                "organization_id": course.organization_id,
                "due_at": due_at,
                "cutoff_at": cutoff_at,
                "reason": reason,
                "granted_by": by,
            },
        )
        audit_record(
            organization=course.organization,
            action="assessment.extension_set",
            actor=by,
            target=user,
            before=before,
            after=_extension_facts(extension),
            personal_before=personal_before,
            personal_after={"reason": reason},
        )
        _rescore_lateness(
            course=course, activity_uid=activity_uid, user_id=user.pk, settings=settings, due_at=extension.due_at
        )
    return extension


def extension_remove(*, by: User, extension: AssignmentExtension, reason: str) -> None:
    """Give the person the assignment's own dates again. Audited with the reason; lateness follows."""
    course = extension.course
    _allowed(by, course)
    reason = _reason(reason)
    assignment = selectors.assignment_get(course=course, uid=extension.activity_uid)
    with transaction.atomic():
        audit_record(
            organization=course.organization,
            action="assessment.extension_removed",
            actor=by,
            target=extension.user,
            before=_extension_facts(extension),
            personal_before={"reason": extension.reason},
            personal_after={"reason": reason},
        )
        user_id, uid = extension.user_id, extension.activity_uid
        extension.delete()
        if assignment is not None:
            settings = assignment.settings
            _rescore_lateness(
                course=course, activity_uid=uid, user_id=user_id, settings=settings, due_at=settings.due_at
            )
