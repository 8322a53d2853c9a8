"""Grades: scores reported by activities, manual entries, overrides, release, and the course totals."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from syllabus.access.policy import NOT_ALLOWED, principal_for
from syllabus.accounts.models import User
from syllabus.audit.services import audit_record, audit_record_bulk
from syllabus.catalog.models import Course
from syllabus.core import clock
from syllabus.enrollment.models import Enrollment
from syllabus.grades import aggregation, policy
from syllabus.grades.models import (
    ChangeSource,
    CourseGrade,
    Grade,
    GradeCategory,
    GradeChange,
    GradeItem,
    ItemSource,
)
from syllabus.grades.services.setup import decimal_in, settings_for

AUDIT_ACTIONS = (
    ("grades.grade_entered", "Grade entered"),
    ("grades.grade_overridden", "Grade overridden"),
    ("grades.override_cleared", "Grade override cleared"),
    ("grades.grades_hidden", "Grades hidden from learners"),
    ("grades.grades_released", "Grades released to learners"),
)

PERCENT_INVALID = "Enter a percentage from 0 to 100 (at most 2 decimal places)."
REASON_REQUIRED = "Say why you override this grade."
REASON_TOO_LONG = "Use at most {limit} characters."
FEEDBACK_TOO_LONG = "Use at most {limit} characters."
NOT_MANUAL_ITEM = "Grades of an activity come from the activity: override it instead."
NOT_ENROLLED = "This person is not enrolled in the course."
REASON_LIMIT = 2000
FEEDBACK_LIMIT = 10000
BATCH = 500

HUNDRED = Decimal(100)


def percent_from(value: Any) -> Decimal:
    """A percentage 0..100 with at most 2 decimal places from user input (ValueError otherwise)."""
    return decimal_in(value, low=Decimal(0), high=HUNDRED, places=2)


def score_from(data: Mapping[str, Any]) -> Decimal | None:
    """The percentage an ActivitySignalled reports (as progress reads it): a fraction 0..1 unless the scale is
    "percent", clamped to 0..100, 2 places."""
    raw = data.get("score")
    if raw is None or isinstance(raw, bool):
        return None
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite():
        return None
    if Decimal(0) <= value <= Decimal(1) and data.get("scale") != "percent":
        value *= 100
    return aggregation.q2(max(Decimal(0), min(HUNDRED, value)))


def _is_enrolled(course_id: int, user_id: int) -> bool:
    return Enrollment.objects.filter(course_id=course_id, membership__user_id=user_id).exists()


def _locked_grade(item: GradeItem, user_id: int) -> Grade:
    """The person's grade row of the item, locked for this transaction (made empty on first use: two first scores
    at once make it once — the unique constraint refuses the second, which then reads the first)."""
    found = Grade.objects.select_for_update().filter(item=item, user_id=user_id).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            Grade.objects.create(organization_id=item.organization_id, item=item, user_id=user_id)
    except IntegrityError:
        pass
    return Grade.objects.select_for_update().get(item=item, user_id=user_id)


def _final(grade: Grade) -> Decimal | None:
    return grade.override if grade.override is not None else grade.raw


def _record_change(
    grade: Grade,
    *,
    source: str,
    old_final: Decimal | None,
    old_override: Decimal | None,
    by: User | None,
    reason: str = "",
) -> GradeChange:
    return GradeChange.objects.create(
        organization_id=grade.organization_id,
        grade=grade,
        source=source,
        old_final=old_final,
        new_final=grade.final,
        old_override=old_override,
        new_override=grade.override,
        reason=reason,
        by=by,
        at=clock.now(),
    )


# --- scores from activities -------------------------------------------------------------------------------------


def score_record(*, course_id: int, activity_uid: uuid.UUID, user_id: int, data: Mapping[str, Any]) -> Grade | None:
    """Store the score of an ActivitySignalled (`data["score"]`, normalised to a percentage) for an enrolled
    person: with `data["replace"]` it replaces the raw grade (a regrade, a changed grade), else the higher is kept
    (a better attempt). Refreshes the person's course grade. None when nothing was stored."""
    percent = score_from(data)
    if percent is None or not _is_enrolled(course_id, user_id):
        return None
    item = GradeItem.objects.filter(course_id=course_id, activity_uid=activity_uid).first()
    if item is None:
        # A score arrived before the gradebook saw the version: sync once, then look again.
        from syllabus.grades.services.setup import items_sync

        course = Course.objects.filter(pk=course_id).first()
        if course is None:
            return None
        items_sync(course=course)
        item = GradeItem.objects.filter(course_id=course_id, activity_uid=activity_uid).first()
        if item is None:
            return None
    replace = bool(data.get("replace"))
    with transaction.atomic():
        grade = _locked_grade(item, user_id)
        if grade.raw == percent or (not replace and grade.raw is not None and grade.raw >= percent):
            return grade
        old_final, old_override = grade.final, grade.override
        grade.raw = percent
        grade.final = _final(grade)
        grade.save(update_fields=["raw", "final", "updated_at"])
        if grade.final != old_final:
            _record_change(grade, source=ChangeSource.ACTIVITY, old_final=old_final, old_override=old_override, by=None)
            course_grades_refresh(course=item.course, user_ids=[user_id])
    return grade


# --- the course team's grading ----------------------------------------------------------------------------------


def _require_grader(by: User, item: GradeItem) -> None:
    if not policy.can_grade(principal_for(by, item.course.organization), item.course):
        raise PermissionDenied(NOT_ALLOWED)


def grade_enter(*, by: User, item: GradeItem, user: User, percent: Decimal | str | None, feedback: str = "") -> Grade:
    """Set the raw grade of a manual item (None clears it) and its feedback. Audited."""
    _require_grader(by, item)
    value, feedback = _entry_values(item, user, percent, feedback)
    with transaction.atomic():
        grade, changed = entry_apply(item=item, user_id=user.pk, percent=value, feedback=feedback, by=by)
        if changed:
            audit_record(
                organization=item.course.organization,
                action="grades.grade_entered",
                actor=by,
                target=user,
                after={"course": item.course_id, "item": item.pk},
                personal_after={"percent": None if value is None else str(value)},
            )
    return grade


def _entry_values(item: GradeItem, user: User, percent: Any, feedback: Any) -> tuple[Decimal | None, str]:
    errors: dict[str, str] = {}
    if item.source != ItemSource.MANUAL:
        errors["item"] = NOT_MANUAL_ITEM
    value = None
    if percent not in (None, ""):
        try:
            value = percent_from(percent)
        except ValueError:
            errors["percent"] = PERCENT_INVALID
    feedback = str(feedback or "").replace("\x00", "").strip()  # PostgreSQL refuses NUL in text
    if len(feedback) > FEEDBACK_LIMIT:
        errors["feedback"] = FEEDBACK_TOO_LONG.format(limit=FEEDBACK_LIMIT)
    if not _is_enrolled(item.course_id, user.pk):
        errors["user"] = NOT_ENROLLED
    if errors:
        raise ValidationError(errors)
    return value, feedback


def entry_apply(
    *,
    item: GradeItem,
    user_id: int,
    percent: Decimal | None,
    feedback: str | None,
    by: User,
    source: str = ChangeSource.ENTERED,
    refresh: bool = True,
) -> tuple[Grade, bool]:
    """Write a validated manual entry (inside the caller's transaction; no permission check, no audit: for
    `grade_enter` and the import). Returns the grade and whether its final changed. `feedback` None keeps it."""
    grade = _locked_grade(item, user_id)
    old_final, old_override = grade.final, grade.override
    grade.raw = percent
    if feedback is not None:
        grade.feedback = feedback
    grade.final = _final(grade)
    grade.save(update_fields=["raw", "final", "feedback", "updated_at"])
    changed = grade.final != old_final
    if changed:
        _record_change(grade, source=source, old_final=old_final, old_override=old_override, by=by)
        if refresh:
            course_grades_refresh(course=item.course, user_ids=[user_id])
    return grade, changed


def grade_override(
    *, by: User, item: GradeItem, user: User, percent: Decimal | str | None, reason: str, source: str = "override"
) -> Grade:
    """Override a grade (None clears the override; a reason is required to set one, and kept when clearing).
    Audited ("grades.grade_overridden" / "grades.override_cleared") with the reason in the person's part."""
    _require_grader(by, item)
    value, reason = _override_values(item, user, percent, reason)
    with transaction.atomic():
        grade, before = override_apply(item=item, user_id=user.pk, percent=value, reason=reason, by=by, source=source)
        if before is not None or value is not None:
            audit_record(
                organization=item.course.organization,
                action="grades.grade_overridden" if value is not None else "grades.override_cleared",
                actor=by,
                target=user,
                after={"course": item.course_id, "item": item.pk},
                personal_before={"override": None if before is None else str(before)},
                personal_after={"override": None if value is None else str(value), "reason": reason},
            )
    return grade


def _override_values(item: GradeItem, user: User, percent: Any, reason: Any) -> tuple[Decimal | None, str]:
    errors: dict[str, str] = {}
    value = None
    if percent not in (None, ""):
        try:
            value = percent_from(percent)
        except ValueError:
            errors["percent"] = PERCENT_INVALID
    reason = str(reason or "").replace("\x00", "").strip()  # PostgreSQL refuses NUL in text
    if value is not None and not reason and "percent" not in errors:
        errors["reason"] = REASON_REQUIRED
    if len(reason) > REASON_LIMIT:
        errors["reason"] = REASON_TOO_LONG.format(limit=REASON_LIMIT)
    if not _is_enrolled(item.course_id, user.pk):
        errors["user"] = NOT_ENROLLED
    if errors:
        raise ValidationError(errors)
    return value, reason


def override_apply(
    *,
    item: GradeItem,
    user_id: int,
    percent: Decimal | None,
    reason: str,
    by: User,
    source: str = ChangeSource.OVERRIDE,
    refresh: bool = True,
) -> tuple[Grade, Decimal | None]:
    """Write a validated override (inside the caller's transaction; no permission check, no audit). Returns the
    grade and the override it had before."""
    grade = _locked_grade(item, user_id)
    old_final, old_override = grade.final, grade.override
    if old_override == percent and (percent is None or grade.override_reason == reason):
        return grade, old_override
    grade.override = percent
    grade.override_reason = reason if percent is not None else ""
    grade.overridden_by = by if percent is not None else None
    grade.overridden_at = clock.now() if percent is not None else None
    grade.final = _final(grade)
    grade.save(update_fields=["override", "override_reason", "overridden_by", "overridden_at", "final", "updated_at"])
    _record_change(grade, source=source, old_final=old_final, old_override=old_override, by=by, reason=reason)
    if refresh and grade.final != old_final:
        course_grades_refresh(course=item.course, user_ids=[user_id])
    return grade, old_override


def grades_hide(*, by: User, item: GradeItem, user_ids: Iterable[int], hidden: bool) -> int:
    """Hide (or release) these people's grades of an item: hiding a grade not given yet keeps it hidden when it
    comes. Only enrolled people count. Returns how many changed; one audit summary."""
    _require_grader(by, item)
    wanted = set()
    for raw in user_ids:
        try:
            wanted.add(int(raw))
        except (TypeError, ValueError):
            raise ValidationError({"user_ids": "Send people's ids as numbers."}) from None
    with transaction.atomic():
        enrolled = set(
            Enrollment.objects.filter(course_id=item.course_id, membership__user_id__in=wanted).values_list(
                "membership__user_id", flat=True
            )
        )
        grades = {g.user_id: g for g in Grade.objects.select_for_update().filter(item=item, user_id__in=enrolled)}
        missing = [uid for uid in enrolled if uid not in grades] if hidden else []
        Grade.objects.bulk_create(
            [Grade(organization_id=item.organization_id, item=item, user_id=uid, hidden=True) for uid in missing],
            ignore_conflicts=True,
        )
        to_change = [g for g in grades.values() if g.hidden != hidden]
        for grade in to_change:
            grade.hidden = hidden
        Grade.objects.bulk_update(to_change, ["hidden"])
        now = clock.now()
        GradeChange.objects.bulk_create(
            GradeChange(
                organization_id=g.organization_id,
                grade=g,
                source=ChangeSource.RELEASE,
                old_final=g.final,
                new_final=g.final,
                old_override=g.override,
                new_override=g.override,
                reason="hidden" if hidden else "released",
                by=by,
                at=now,
            )
            for g in to_change
        )
        touched = [g.user_id for g in to_change] + missing
        if touched:
            audit_record_bulk(
                organization=item.course.organization,
                action="grades.grades_hidden" if hidden else "grades.grades_released",
                actor=by,
                target_type="grades.Grade",
                ids=sorted(touched),
                details={"course": item.course_id, "item": item.pk},
            )
            course_grades_refresh(course=item.course, user_ids=touched)
    return len(touched)


# --- course totals ----------------------------------------------------------------------------------------------


def _chunks(ids: Iterable[int], size: int) -> Iterator[list[int]]:
    chunk: list[int] = []
    for value in ids:
        chunk.append(value)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _specs(course: Course) -> tuple[list[aggregation.ItemSpec], list[aggregation.CategorySpec]]:
    items = [
        aggregation.ItemSpec(
            id=pk,
            category_id=category_id,
            weight=weight,
            max_points=max_points,
            hidden=hidden,
            excluded=excluded,
            retired=retired,
        )
        for pk, category_id, weight, max_points, hidden, excluded, retired in GradeItem.objects.filter(
            course=course
        ).values_list("pk", "category_id", "weight", "max_points", "hidden", "excluded", "retired")
    ]
    categories = [
        aggregation.CategorySpec(id=pk, weight=weight, drop_lowest=drop)
        for pk, weight, drop in GradeCategory.objects.filter(course=course).values_list("pk", "weight", "drop_lowest")
    ]
    return items, categories


def course_total_for(*, course: Course, user_id: int) -> aggregation.Total:
    """One person's total computed now (what the learner's own page shows: `Total.learner_percent` tells the
    learner's view apart even when they see no grade at all). Four queries."""
    gradebook = settings_for(course)
    items, categories = _specs(course)
    grades = {
        item_id: aggregation.GradeValue(final, hidden)
        for item_id, final, hidden in Grade.objects.filter(item__course=course, user_id=user_id).values_list(
            "item_id", "final", "hidden"
        )
    }
    return aggregation.course_total(
        items=items,
        categories=categories,
        grades=grades,
        only_graded=gradebook.only_graded,
        pass_mark=gradebook.pass_mark,
    )


def course_grades_refresh(*, course: Course, user_ids: Iterable[int] | None = None) -> int:
    """Recompute the CourseGrade of these people (None: every person enrolled and every person with a grade), in
    batches of 500 (flat memory for 10,000 learners × 500 items). Returns how many rows were written."""
    gradebook = settings_for(course)
    items, categories = _specs(course)
    if user_ids is None:
        people = set(
            Enrollment.objects.filter(course=course).values_list("membership__user_id", flat=True).distinct()
        ) | set(Grade.objects.filter(item__course=course).values_list("user_id", flat=True).distinct())
        ordered = sorted(people)
    else:
        ordered = sorted({int(u) for u in user_ids})
    written = 0
    now = clock.now()
    for chunk in _chunks(ordered, BATCH):
        per_person: dict[int, dict[int, aggregation.GradeValue]] = {uid: {} for uid in chunk}
        for user_id, item_id, final, hidden in Grade.objects.filter(item__course=course, user_id__in=chunk).values_list(
            "user_id", "item_id", "final", "hidden"
        ):
            per_person[user_id][item_id] = aggregation.GradeValue(final, hidden)
        rows = []
        for user_id in chunk:
            total = aggregation.course_total(
                items=items,
                categories=categories,
                grades=per_person[user_id],
                only_graded=gradebook.only_graded,
                pass_mark=gradebook.pass_mark,
            )
            rows.append(
                CourseGrade(
                    organization_id=course.organization_id,
                    course=course,
                    user_id=user_id,
                    percent=total.percent,
                    points=total.points,
                    max_points=total.max_points,
                    passed=total.passed,
                    learner_percent=total.learner_percent,
                    computed_at=now,
                )
            )
        CourseGrade.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["course", "user"],
            update_fields=["percent", "points", "max_points", "passed", "learner_percent", "computed_at"],
        )
        written += len(rows)
    return written
