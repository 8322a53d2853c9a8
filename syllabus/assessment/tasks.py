"""Celery tasks of assessment: thin, idempotent wrappers around services."""

from __future__ import annotations

from celery import shared_task

from syllabus.assessment.services import attempts


@shared_task(name="syllabus.assessment.tasks.close_overdue")
def close_overdue() -> int:
    """Submit timed attempts whose learner went away (every minute): their answers saved in time are graded."""
    return attempts.attempts_close_overdue()
