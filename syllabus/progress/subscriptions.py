"""How progress follows the catalog and enrollment: every completion signal of an activity is stored for enrolled
learners, every activity they open is marked in progress and remembered as where they resume, and learners moved to
another course version have their progress worked out again."""

from __future__ import annotations

import logging

from kombu.exceptions import OperationalError

from syllabus.catalog.events import ActivityOpened, ActivitySignalled
from syllabus.core.events import subscribe
from syllabus.enrollment.events import EnrollmentsMigrated

logger = logging.getLogger(__name__)


def on_activity_signalled(event: ActivitySignalled) -> None:
    from syllabus.progress import services

    services.signal_record(event)


def on_activity_opened(event: ActivityOpened) -> None:
    from syllabus.progress import services

    services.activity_opened_record(event)


def on_enrollments_migrated(event: EnrollmentsMigrated) -> None:
    from syllabus.progress.tasks import recount_after_migration

    try:
        recount_after_migration.delay(list(event.enrollment_ids))
    except OperationalError:
        # The move is committed; progress is recounted on the learner's next signal. Never fail the request.
        logger.exception("Could not queue the progress recount of %s enrollments", len(event.enrollment_ids))


def connect() -> None:
    subscribe(ActivitySignalled, on_activity_signalled)
    subscribe(ActivityOpened, on_activity_opened)
    subscribe(EnrollmentsMigrated, on_enrollments_migrated)
