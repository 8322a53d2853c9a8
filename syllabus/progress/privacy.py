"""What progress holds about one person, for the privacy registry (core.privacy): export and erasure (GDPR).

Exported: the person's progress per activity (with the activity's title in the version they learn), their
transcript (every completion, course or external), and the external training they submitted — the evidence as
its file name and type, never the file's bytes (the person uploaded it and can download it from their page).

Erasure keeps the transcript and the activity progress behind it: completions are compliance evidence and are
never deleted, only left about a pseudonymised person (accounts does that). What goes is what the person wrote
or uploaded themselves: the notes of their external training and its evidence file, deleted from storage once
the erasure commits (a refusal by another app rolls the rows back and must find the file still there).
External training still waiting for approval is declined, so no approver is asked about a person who is gone.
Titles, providers and dates stay: they are what the transcript line says.
"""

from __future__ import annotations

import functools
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction

from syllabus.accounts.models import Organization, User
from syllabus.catalog import versions
from syllabus.catalog.models import CourseVersion
from syllabus.core import clock
from syllabus.progress.models import ActivityProgress, Completion, ExternalTraining

ERASED_REASON = "The person's data was erased."


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _plain(value: Any) -> str | None:
    return str(value) if value is not None else None


def _activity_titles(version_ids: set[int]) -> dict[tuple[int, str], str]:
    """(version id, activity uid) -> title, from the versions' snapshots (one query)."""
    titles: dict[tuple[int, str], str] = {}
    for pk, snapshot in CourseVersion.objects.filter(pk__in=version_ids).values_list("pk", "snapshot"):
        for activity in versions.activities(snapshot or {}):
            titles[(pk, str(activity["uid"]))] = str(activity.get("title", ""))
    return titles


def export_person(user: User, organization: Organization | None) -> dict[str, Any]:
    rows = ActivityProgress.objects.filter(enrollment__membership__user=user).select_related(
        "organization", "enrollment__course"
    )
    completions = Completion.objects.filter(membership__user=user).select_related("organization")
    external = ExternalTraining.objects.filter(membership__user=user).select_related("organization", "decided_by")
    if organization is not None:
        rows = rows.filter(organization=organization)
        completions = completions.filter(organization=organization)
        external = external.filter(organization=organization)
    rows = rows.order_by("enrollment_id", "first_seen_at", "pk")
    titles = _activity_titles({row.enrollment.version_id for row in rows if row.enrollment.version_id})
    return {
        "activity_progress": [
            {
                "organization": row.organization.name,
                "course": row.enrollment.course.title if row.enrollment.course else "",
                "activity": titles.get((row.enrollment.version_id or 0, str(row.activity_uid)), ""),
                "activity_uid": str(row.activity_uid),
                "state": row.state,
                "first_seen_at": _iso(row.first_seen_at),
                "last_seen_at": _iso(row.last_seen_at),
                "completed_at": _iso(row.completed_at),
                "score": _plain(row.score),
                "passed": row.passed,
                "time_spent_seconds": row.time_spent_seconds,
                "marked_complete_by_course_team": row.completed_by_id is not None,
                "note": row.completion_note,
            }
            for row in rows
        ],
        "transcript": [
            {
                "organization": c.organization.name,
                "title": c.title,
                "source": c.source,
                "provider": c.provider,
                "version": c.version_label,
                "completed_at": _iso(c.completed_at),
                "expires_at": _iso(c.expires_at),
                "score": _plain(c.score),
                "time_spent_seconds": c.time_spent_seconds,
            }
            for c in completions.order_by("-completed_at", "-pk")
        ],
        "external_training": [
            {
                "organization": x.organization.name,
                "title": x.title,
                "provider": x.provider,
                "completed_on": _iso(x.completed_on),
                "hours": _plain(x.hours),
                "score": _plain(x.score),
                "notes": x.description,
                "evidence_file": x.evidence_name or None,
                "evidence_type": x.evidence_type or None,
                "status": x.status,
                "submitted_at": _iso(x.created_at),
                "decided_by": x.decided_by.display_name if x.decided_by else None,
                "decided_at": _iso(x.decided_at),
                "decision_reason": x.decision_reason,
            }
            for x in external.order_by("created_at", "pk")
        ],
    }


def erase_person(user: User, by: Any) -> None:
    """Delete the person's notes and evidence files of external training; decline what is still waiting."""
    records = ExternalTraining.objects.filter(membership__user=user)
    files = [name for name in records.values_list("evidence", flat=True) if name]
    records.filter(status=ExternalTraining.Status.PENDING).update(
        status=ExternalTraining.Status.DECLINED, decided_by=None, decided_at=clock.now(), decision_reason=ERASED_REASON
    )
    records.update(description="", evidence="", evidence_name="", evidence_type="")
    if files:
        transaction.on_commit(functools.partial(_delete_files, files))


def _delete_files(names: list[str]) -> None:
    for name in set(names):
        # Another record never shares a name (each upload is stored under a fresh one), but check anyway.
        if not ExternalTraining.objects.filter(evidence=name).exists():
            default_storage.delete(name)
