"""Background work of progress. Thin and idempotent."""

from __future__ import annotations

from celery import shared_task


@shared_task
def recount_after_migration(enrollment_ids: list[int]) -> int:
    """After learners moved to another course version: their progress against the new version."""
    from syllabus.progress import services

    return services.recount_after_migration(enrollment_ids=enrollment_ids)
