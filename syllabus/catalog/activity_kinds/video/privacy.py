"""What the video kind holds about a person (watched intervals), for core.privacy.

Watched intervals are progress data, not a compliance record: erasure deletes them. (Whether someone completed
a course is kept by the progress app, which pseudonymises its own records.)
"""

from __future__ import annotations

from typing import Any

from syllabus.accounts.models import Organization, User
from syllabus.catalog.activity_kinds.video.models import WatchProgress


def export_person(user: User, organization: Organization | None) -> dict[str, Any]:
    rows = WatchProgress.objects.filter(user=user).select_related("course", "version")
    if organization is not None:
        rows = rows.filter(organization=organization)
    return {
        "watched_videos": [
            {
                "course": row.course.title,
                "version": row.version.label,
                "activity_uid": str(row.activity_uid),
                "duration_seconds": row.duration,
                "watched_seconds": row.watched_seconds,
                "intervals": row.intervals,
                "watched_at": row.watched_at.isoformat() if row.watched_at else None,
                "last_report_at": row.updated_at.isoformat(),
            }
            for row in rows.order_by("created_at", "pk")
        ]
    }


def erase_person(user: User, by: Any) -> None:
    WatchProgress.objects.filter(user=user).delete()


def has_learner_records(course_id: int) -> bool:
    return WatchProgress.objects.filter(course_id=course_id).exists()
