"""Taking a completed course again: the completed enrollment is kept as history and a new one starts.

Compliance programs that recur ask for it when a person's recertification window opens. The completion itself
stays on the transcript (it is a `progress.Completion`, not the enrollment); the old enrollment's status becomes
"renewed" and the new one starts from nothing, on the course's current version.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q

from syllabus.audit.services import audit_record_bulk
from syllabus.catalog.models import Course
from syllabus.core import clock
from syllabus.core.events import emit
from syllabus.enrollment import events
from syllabus.enrollment.models import Enrollment, Status
from syllabus.enrollment.services.common import BULK_BATCH, _activate_fields, _chunks


def enrollments_renew(
    *,
    course: Course,
    membership_ids: dict[int, dt.datetime | None],
    method: str,
    reason: str,
) -> list[int]:
    """Give each of these people (membership id -> new due date) a fresh active enrollment in place of their
    completed one. People whose live enrollment is not completed (still learning, pending) are left alone.
    The system acts here (a program's schedule): no permission check. Returns the new enrollment ids.

    The seat the completed enrollment held passes to the new one, so capacity counts do not move.
    """
    if course.published_version_id is None or course.is_archived or not membership_ids:
        return []
    created: list[int] = []
    with transaction.atomic():
        now = clock.now()
        for chunk in _chunks(membership_ids):
            done = list(
                Enrollment.objects.filter(course=course, membership_id__in=chunk, status=Status.COMPLETED).values_list(
                    "pk", "membership_id"
                )
            )
            if not done:
                continue
            # Conditional on the status read, so a concurrent change (withdrawal) is not overwritten.
            Enrollment.objects.filter(pk__in=[pk for pk, _ in done], status=Status.COMPLETED).update(
                status=Status.RENEWED, status_changed_at=now, reason=reason[:2000]
            )
            rows = [
                Enrollment(
                    organization_id=course.organization_id,
                    membership_id=membership_id,
                    course=course,
                    method=method,
                    due_at=membership_ids[membership_id],
                    **_activate_fields(course, now),
                )
                for _, membership_id in done
            ]
            created.extend(row.pk for row in Enrollment.objects.bulk_create(rows, batch_size=BULK_BATCH))
        if created:
            audit_record_bulk(
                organization=course.organization,
                action="enrollment.renewed",
                actor=None,
                target_type="enrollment.enrollment",
                ids=created,
                details={"course_id": course.pk, "method": method},
            )
            emit(
                events.EnrollmentsCreated(
                    organization_id=course.organization_id,
                    course_id=course.pk,
                    enrollment_ids=tuple(created),
                    method=method,
                    actor_id=None,
                )
            )
    return created


def enrollments_due_align(*, course: Course, due_by_membership: dict[int, dt.datetime], method: str) -> int:
    """Make the due dates of these people's active enrollments in `course` follow another app's schedule (a
    compliance program's due date, after an extension too). Enrollments made by that app (`method`) take the
    date as it is; others only when they have no due date or a later one (an earlier date a manager set stands).
    Set-based: one UPDATE per distinct date and slice of people. Returns how many enrollments changed."""
    by_day: dict[dt.datetime, list[int]] = {}
    for membership_id, due in due_by_membership.items():
        by_day.setdefault(due, []).append(membership_id)
    changed = 0
    with transaction.atomic():
        for due, people in by_day.items():
            for chunk in _chunks(people):
                active = Enrollment.objects.filter(course=course, membership_id__in=chunk, status=Status.ACTIVE)
                changed += active.filter(method=method).exclude(due_at=due).update(due_at=due)
                changed += (
                    active.exclude(method=method).filter(Q(due_at__isnull=True) | Q(due_at__gt=due)).update(due_at=due)
                )
    return changed
