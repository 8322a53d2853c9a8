"""Shared by the enrollment services: messages, permission and seat helpers, options, audit and events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from syllabus.access.policy import NOT_ALLOWED, Principal, principal_for
from syllabus.accounts.models import Membership, Organization, User
from syllabus.audit.services import audit_record
from syllabus.catalog.models import Course
from syllabus.core import clock
from syllabus.core.events import emit
from syllabus.enrollment import events
from syllabus.enrollment.models import (
    LIVE_STATES,
    Enrollment,
    EnrollmentOptions,
    EnrollmentRule,
    Status,
)

NOT_PUBLISHED = "This course is not published yet: nobody can enroll in it."
ARCHIVED = "This course is archived: nobody new can enroll in it."
ALREADY_ENROLLED = "{name} is already enrolled in this course."
ALREADY_YOU = "You are already enrolled in this course."
CLOSED_TO_SELF = "This course is open by assignment only: ask your manager."
NOT_OPEN_YET = "Enrollment opens on {when}."
CLOSED_NOW = "Enrollment closed on {when}."
KEY_REQUIRED = "Enter the enrollment key your instructor gave you."
KEY_WRONG = "That enrollment key is not right."
KEY_LOCKED = "Too many wrong enrollment keys: try again in 15 minutes, or ask your instructor."
KEY_ATTEMPTS = 5
KEY_LOCK_SECONDS = 15 * 60
FULL = "This course is full."
NOT_VISIBLE = "You cannot enroll in this course."
NOT_MEMBER = "Only active members of the organisation can be enrolled."
NOT_PENDING = "This request has already been decided."
REASON_REQUIRED = "Give a reason: the person will read it."
NOT_LIVE = "This enrollment has already ended."
DUE_IN_PAST = "The due date must be in the future."
CAPACITY_NEGATIVE = "Places must be a positive number, or empty for no limit."
WINDOW_ORDER = "Enrollment must open before it closes."
KEY_TOO_LONG = "The enrollment key can be at most 64 characters."
RULE_EXISTS = "This audience already has a rule for this course."
DUE_DAYS_REQUIRED = "Give the number of days until the due date (at most 3650)."
DUE_DAYS_RANGE = "Give a number of days between 1 and 3650, or leave it empty."
MAX_DUE_DAYS = 3650
GROUP_NAME_REQUIRED = "Give the group a name."
GROUP_EXISTS = "This course already has a group with that name."
NOT_PARTICIPANT = "Only participants of this course can be put in its groups."
SUBJECT_REQUIRED = "Give the message a subject."
SUBJECT_ONE_LINE = "The subject must fit on one line."
BODY_REQUIRED = "Write the message."
NO_RECIPIENTS = "Choose at least one participant."
OTHER_COURSE = "That belongs to another course."

BULK_BATCH = 1000


# --- helpers -----------------------------------------------------------------------------------------------------


def _principal(by: User, organization: Organization) -> Principal:
    return principal_for(by, organization)


def _deny() -> PermissionDenied:
    return PermissionDenied(NOT_ALLOWED)


def _name(membership: Membership) -> str:
    return membership.user.display_name or membership.user.email


def options_for(course: Course) -> EnrollmentOptions:
    """The course's enrollment options, or unsaved defaults."""
    found = EnrollmentOptions.objects.filter(course=course).first()
    return found or EnrollmentOptions(organization_id=course.organization_id, course=course)


def _check_enrollable(course: Course) -> None:
    if course.published_version_id is None:
        raise ValidationError(NOT_PUBLISHED)
    if course.is_archived:
        raise ValidationError(ARCHIVED)


def _live(membership: Membership, course: Course) -> Enrollment | None:
    return Enrollment.objects.filter(membership=membership, course=course, status__in=LIVE_STATES).first()


def _chunks(ids: Iterable[int], size: int = 900) -> Iterator[list[int]]:
    """Ids in slices, so `__in` lists stay within SQLite's bound on query parameters (an audience of 50,000)."""
    ordered = sorted(ids)
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def _take_seat(options: EnrollmentOptions) -> bool:
    """Hold one place; False when the course is full. Without options there is no limit and nothing to count."""
    if options.pk is None:
        return True
    if options.capacity is None:
        EnrollmentOptions.objects.filter(pk=options.pk).update(seats_taken=F("seats_taken") + 1)
        return True
    taken = EnrollmentOptions.objects.filter(pk=options.pk, seats_taken__lt=F("capacity")).update(
        seats_taken=F("seats_taken") + 1
    )
    return taken == 1


def _take_seats(options: EnrollmentOptions, wanted: int) -> int:
    """Hold up to `wanted` places at once; returns how many were held."""
    if wanted <= 0:
        return 0
    if options.pk is None:
        return wanted
    if options.capacity is None:
        EnrollmentOptions.objects.filter(pk=options.pk).update(seats_taken=F("seats_taken") + wanted)
        return wanted
    while True:
        current = EnrollmentOptions.objects.filter(pk=options.pk).values_list("seats_taken", "capacity").first()
        if current is None:
            return wanted
        taken, capacity = current
        held = max(0, min(wanted, (capacity or 0) - taken))
        if held == 0:
            return 0
        # Only if nobody took a place meanwhile; otherwise read again.
        if EnrollmentOptions.objects.filter(pk=options.pk, seats_taken=taken).update(seats_taken=taken + held):
            return held


def _free_seats(course: Course, count: int = 1) -> None:
    if count > 0:
        EnrollmentOptions.objects.filter(course=course, seats_taken__gte=count).update(
            seats_taken=F("seats_taken") - count
        )


def due_at_end_of_day(day: dt.date, organization: Organization) -> dt.datetime:
    """A due day as the last second of that day in the organisation's time zone."""
    zone = ZoneInfo(organization.default_time_zone or "UTC")
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=zone)


def _activate_fields(course: Course, now: dt.datetime) -> dict[str, Any]:
    return {
        "status": Status.ACTIVE,
        "enrolled_at": now,
        "status_changed_at": now,
        "version_id": course.published_version_id,
    }


def _audit(enrollment: Enrollment, action: str, by: User | None, **after: Any) -> None:
    audit_record(
        organization=enrollment.organization,
        action=action,
        actor=by,
        target=enrollment,
        after={"course_id": enrollment.course_id, "status": enrollment.status, **after},
    )


def _emit_created(enrollment: Enrollment, by: User | None) -> None:
    emit(
        events.EnrollmentCreated(
            organization_id=enrollment.organization_id,
            enrollment_id=enrollment.pk,
            membership_id=enrollment.membership_id,
            course_id=enrollment.course_id,
            status=enrollment.status,
            method=enrollment.method,
            actor_id=by.pk if by else None,
            due_at=enrollment.due_at,
        )
    )


def _create_one(
    *,
    course: Course,
    membership: Membership,
    method: str,
    by: User | None,
    status_if_free: str = Status.ACTIVE,
    due_at: dt.datetime | None = None,
    rule: EnrollmentRule | None = None,
    note: str = "",
    full_message: str = FULL,
) -> Enrollment:
    """Insert one live enrollment (active, or pending, or waitlisted when full). The caller checked permission."""
    if not membership.is_active:
        raise ValidationError(NOT_MEMBER)
    options = options_for(course)
    now = clock.now()
    fields: dict[str, Any] = {"status": status_if_free, "status_changed_at": now}
    if status_if_free == Status.ACTIVE:
        if _take_seat(options):
            fields = _activate_fields(course, now)
        elif options.waitlist:
            fields = {"status": Status.WAITLISTED, "status_changed_at": now}
        else:
            raise ValidationError(full_message)
    try:
        with transaction.atomic():
            enrollment = Enrollment.objects.create(
                organization_id=course.organization_id,
                membership=membership,
                course=course,
                method=method,
                created_by=by,
                rule=rule,
                due_at=due_at,
                request_note=note,
                **fields,
            )
    except IntegrityError:
        if fields["status"] == Status.ACTIVE:
            _free_seats(course)
        raise ValidationError(ALREADY_ENROLLED.format(name=_name(membership))) from None
    _audit(enrollment, "enrollment.created", by, method=method, due_at=due_at.isoformat() if due_at else None)
    _emit_created(enrollment, by)
    return enrollment
