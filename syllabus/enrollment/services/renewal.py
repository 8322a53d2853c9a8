"""Taking a completed course again: the completed enrollment is kept as history and a new one starts.

Compliance programs that recur ask for it when a person's recertification window opens. The completion itself
stays on the transcript (it is a `progress.Completion`, not the enrollment); the old enrollment's status becomes
"renewed" and the new one starts from nothing, on the course's current version.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

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
