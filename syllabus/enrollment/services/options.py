"""A course's enrollment options: self-enrollment, capacity and waiting list, window, key, due days."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from syllabus.accounts.models import User
from syllabus.audit.services import audit_record
from syllabus.catalog.models import Course
from syllabus.enrollment import policy
from syllabus.enrollment.models import (
    Enrollment,
    EnrollmentOptions,
    SelfEnrollment,
    Status,
)
from syllabus.enrollment.services.common import (
    CAPACITY_NEGATIVE,
    DUE_DAYS_RANGE,
    KEY_TOO_LONG,
    MAX_DUE_DAYS,
    WINDOW_ORDER,
    _deny,
    _principal,
)
from syllabus.enrollment.services.enrolling import waitlist_promote

# --- options -----------------------------------------------------------------------------------------------------

OPTION_FIELDS = (
    "self_enrollment",
    "capacity",
    "waitlist",
    "opens_at",
    "closes_at",
    "enrollment_key",
    "default_due_days",
)


def options_update(*, course: Course, by: User, **fields: Any) -> EnrollmentOptions:
    """Change how people get into the course. Raising the capacity promotes people from the waiting list."""
    principal = _principal(by, course.organization)
    if not policy.can_edit_options(principal, course):
        raise _deny()
    unknown = set(fields) - set(OPTION_FIELDS)
    if unknown:
        raise ValueError(f"Unknown enrollment options: {sorted(unknown)}")
    errors: dict[str, str] = {}
    if "self_enrollment" in fields and fields["self_enrollment"] not in SelfEnrollment.values:
        errors["self_enrollment"] = "Choose one of the listed ways."
    capacity = fields.get("capacity")
    if capacity is not None and (not isinstance(capacity, int) or capacity < 1):
        errors["capacity"] = CAPACITY_NEGATIVE
    due_days = fields.get("default_due_days")
    if due_days is not None and (not isinstance(due_days, int) or not 1 <= due_days <= MAX_DUE_DAYS):
        errors["default_due_days"] = DUE_DAYS_RANGE
    key = (fields.get("enrollment_key") or "").strip() if "enrollment_key" in fields else None
    if key is not None:
        if len(key) > 64:
            errors["enrollment_key"] = KEY_TOO_LONG
        fields["enrollment_key"] = key
    with transaction.atomic():
        options, _created = EnrollmentOptions.objects.select_for_update().get_or_create(
            course=course, defaults={"organization_id": course.organization_id}
        )
        before = {name: _plain(getattr(options, name)) for name in OPTION_FIELDS}
        for name, value in fields.items():
            setattr(options, name, value)
        if options.opens_at and options.closes_at and options.opens_at >= options.closes_at:
            errors["closes_at"] = WINDOW_ORDER
        if errors:
            raise ValidationError(errors)
        # Recount on every change: rows enrolled before the options existed count too.
        options.seats_taken = Enrollment.objects.filter(
            course=course, status__in=(Status.ACTIVE, Status.COMPLETED)
        ).count()
        options.save()
        after = {name: _plain(getattr(options, name)) for name in OPTION_FIELDS}
        # The key is a secret: record that it changed, not what it is.
        for snapshot in (before, after):
            snapshot["enrollment_key"] = bool(snapshot["enrollment_key"])
        audit_record(
            organization=course.organization,
            action="enrollment.options_changed",
            actor=by,
            target=course,
            before=before,
            after=after,
        )
        waitlist_promote(course=course)
    return options


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime) else value
