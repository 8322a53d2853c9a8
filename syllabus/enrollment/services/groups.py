"""Course groups and messages to participants."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from syllabus.accounts.models import User
from syllabus.audit.services import audit_record, audit_record_bulk
from syllabus.catalog.models import Course
from syllabus.enrollment import policy
from syllabus.enrollment.models import (
    LIVE_STATES,
    CourseGroup,
    CourseMessage,
    Enrollment,
    GroupMember,
)
from syllabus.enrollment.services.common import (
    BODY_REQUIRED,
    GROUP_EXISTS,
    GROUP_NAME_REQUIRED,
    NO_RECIPIENTS,
    NOT_PARTICIPANT,
    SUBJECT_ONE_LINE,
    SUBJECT_REQUIRED,
    _deny,
    _principal,
)

# --- groups ------------------------------------------------------------------------------------------------------


def _require_teach(by: User, course: Course) -> None:
    if not policy.can_manage_participants(_principal(by, course.organization), course):
        raise _deny()


def group_create(*, course: Course, by: User, name: str, description: str = "") -> CourseGroup:
    _require_teach(by, course)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": GROUP_NAME_REQUIRED})
    try:
        with transaction.atomic():
            group = CourseGroup.objects.create(
                organization_id=course.organization_id, course=course, name=name[:120], description=description[:500]
            )
            audit_record(
                organization=course.organization,
                action="enrollment.group_created",
                actor=by,
                target=group,
                after={"course_id": course.pk, "name": group.name},
            )
    except IntegrityError:
        raise ValidationError({"name": GROUP_EXISTS}) from None
    return group


def group_update(*, group: CourseGroup, by: User, name: str, description: str = "") -> CourseGroup:
    course = group.course
    _require_teach(by, course)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": GROUP_NAME_REQUIRED})
    before = {"name": group.name}
    group.name, group.description = name[:120], (description or "")[:500]
    try:
        with transaction.atomic():
            group.save(update_fields=["name", "description", "updated_at"])
            audit_record(
                organization=course.organization,
                action="enrollment.group_changed",
                actor=by,
                target=group,
                before=before,
                after={"name": group.name},
            )
    except IntegrityError:
        raise ValidationError({"name": GROUP_EXISTS}) from None
    return group


def group_delete(*, group: CourseGroup, by: User) -> None:
    course = group.course
    _require_teach(by, course)
    with transaction.atomic():
        audit_record(
            organization=course.organization,
            action="enrollment.group_deleted",
            actor=by,
            target=group,
            before={"course_id": course.pk, "name": group.name},
        )
        group.delete()


def group_members_change(
    *, group: CourseGroup, by: User, add: Iterable[int] = (), remove: Iterable[int] = ()
) -> tuple[int, int]:
    """Put participants (enrollment ids) in the group or take them out. Returns (added, removed)."""
    course = group.course
    _require_teach(by, course)
    add_ids, remove_ids = set(add), set(remove)
    found = set(Enrollment.objects.filter(course=course, pk__in=add_ids | remove_ids).values_list("pk", flat=True))
    if found != add_ids | remove_ids:
        raise ValidationError({"enrollments": NOT_PARTICIPANT})
    with transaction.atomic():
        existing = set(GroupMember.objects.filter(group=group).values_list("enrollment_id", flat=True))
        new = sorted(add_ids - existing)
        GroupMember.objects.bulk_create([GroupMember(group=group, enrollment_id=pk) for pk in new])
        removed, _ = GroupMember.objects.filter(group=group, enrollment_id__in=remove_ids).delete()
        if new or removed:
            audit_record_bulk(
                organization=course.organization,
                action="enrollment.group_members_changed",
                actor=by,
                target_type="enrollment.enrollment",
                ids=sorted(new) + sorted(remove_ids & existing),
                details={"group_id": group.pk, "added": len(new), "removed": removed},
            )
    return len(new), removed


# --- messages ----------------------------------------------------------------------------------------------------


def course_message_send(
    *, course: Course, by: User, subject: str, body: str, enrollment_ids: Iterable[int]
) -> CourseMessage:
    """Send an email to participants (the worker sends it after commit); the message is kept for the record."""
    _require_teach(by, course)
    subject, body = (subject or "").strip(), (body or "").strip()
    errors = {}
    if not subject:
        errors["subject"] = SUBJECT_REQUIRED
    elif "\n" in subject or "\r" in subject:
        errors["subject"] = SUBJECT_ONE_LINE
    if not body:
        errors["body"] = BODY_REQUIRED
    ids = set(enrollment_ids)
    membership_ids = list(
        Enrollment.objects.filter(course=course, pk__in=ids, status__in=LIVE_STATES).values_list(
            "membership_id", flat=True
        )
    )
    if not membership_ids:
        errors["recipients"] = NO_RECIPIENTS
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        message = CourseMessage.objects.create(
            organization_id=course.organization_id,
            course=course,
            sender=by,
            subject=subject[:200],
            body=body[:20000],
            recipient_count=len(membership_ids),
        )
        message.recipients.set(membership_ids)
        audit_record(
            organization=course.organization,
            action="enrollment.message_sent",
            actor=by,
            target=message,
            after={"course_id": course.pk, "recipients": len(membership_ids)},
        )
        from syllabus.enrollment.tasks import send_course_message

        message_id = message.pk
        transaction.on_commit(lambda: send_course_message.delay(message_id))
    return message
