"""The progress summary on the enrollment row, written by the progress app (monotonic)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F

from syllabus.core import clock
from syllabus.enrollment.models import (
    Enrollment,
    Status,
)

# --- progress summary (written by the progress app) --------------------------------------------------------------


def progress_summary_record(
    *,
    enrollment_id: int,
    percent: int | None = None,
    at: dt.datetime | None = None,
    activity_uid: Any = None,
    seconds: int = 0,
    score: Any = None,
) -> None:
    """Move the summary forward: percent only ever goes up, time adds up. Idempotent for the same input."""
    updates: dict[str, Any] = {}
    if at is not None:
        updates["last_activity_at"] = at
    if activity_uid is not None:
        updates["last_activity_uid"] = activity_uid
    if seconds:
        updates["time_spent_seconds"] = F("time_spent_seconds") + seconds
    if score is not None:
        updates["score"] = score
    if updates:
        Enrollment.objects.filter(pk=enrollment_id).update(**updates)
    if percent is not None:
        Enrollment.objects.filter(pk=enrollment_id, progress_percent__lt=percent).update(progress_percent=percent)


def enrollment_mark_completed(*, enrollment_id: int, at: dt.datetime, score: Any = None) -> bool:
    """Active -> completed, once. True when this call made the change (the caller then records the completion)."""
    updates: dict[str, Any] = {"status": Status.COMPLETED, "completed_at": at, "status_changed_at": at}
    updates["progress_percent"] = 100
    if score is not None:
        updates["score"] = score
    return bool(Enrollment.objects.filter(pk=enrollment_id, status=Status.ACTIVE).update(**updates))


def enrollment_progress_cleared(*, enrollment_id: int) -> None:
    """After an audited reset by the course team: back to 0 % and active (a completion stays on the transcript)."""
    now = clock.now()
    Enrollment.objects.filter(pk=enrollment_id, status__in=(Status.ACTIVE, Status.COMPLETED)).update(
        status=Status.ACTIVE,
        progress_percent=0,
        completed_at=None,
        score=None,
        last_activity_uid=None,
        status_changed_at=now,
    )
