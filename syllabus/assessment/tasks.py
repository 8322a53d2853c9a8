"""Celery tasks of assessment: thin, idempotent wrappers around services."""

from __future__ import annotations

from celery import shared_task

from syllabus.assessment.services import attempts


@shared_task(name="syllabus.assessment.tasks.close_overdue")
def close_overdue() -> int:
    """Submit timed attempts whose learner went away (every minute): their answers saved in time are graded."""
    return attempts.attempts_close_overdue()


@shared_task(name="syllabus.assessment.tasks.compute_statistics")
def compute_statistics(*, course_id: int, activity_uid: str, which: str) -> int:
    """Compute a big quiz's item statistics (the page asked: more than `statistics.SYNC_LIMIT` attempts). Does
    nothing for a course that is gone; running twice only computes twice. Returns the attempts counted."""
    import uuid

    from syllabus.assessment.services import statistics
    from syllabus.catalog.models import Course

    course = Course.objects.filter(pk=course_id).first()
    if course is None:
        return 0
    uid = uuid.UUID(activity_uid)
    try:
        stored = statistics.statistics_compute(course=course, activity_uid=uid, which=which)
    finally:
        statistics.statistics_done(course=course, activity_uid=uid, which=which)
    return stored.attempts
