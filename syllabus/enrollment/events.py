"""Domain events of enrollment (dispatched after commit through syllabus.core.events)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class EnrollmentCreated:
    """A live enrollment exists: active, or pending approval, or on the waiting list (`status` says which)."""

    organization_id: int
    enrollment_id: int
    membership_id: int
    course_id: int | None
    status: str
    method: str
    actor_id: int | None
    due_at: dt.datetime | None


@dataclass(frozen=True)
class EnrollmentsCreated:
    """Many enrollments made in one set-based operation (an audience rule, a team assignment, a bulk API call)."""

    organization_id: int
    course_id: int | None
    enrollment_ids: tuple[int, ...]
    method: str
    actor_id: int | None


@dataclass(frozen=True)
class EnrollmentActivated:
    """A pending or waitlisted enrollment became active (approved, or promoted from the waiting list)."""

    organization_id: int
    enrollment_id: int
    membership_id: int
    course_id: int | None
    actor_id: int | None
    reason: str  # "approved" or "promoted"


@dataclass(frozen=True)
class EnrollmentDecided:
    """An enrollment request was approved or declined."""

    organization_id: int
    enrollment_id: int
    membership_id: int
    course_id: int | None
    actor_id: int | None
    approved: bool
    reason: str


@dataclass(frozen=True)
class EnrollmentWithdrawn:
    organization_id: int
    enrollment_id: int
    membership_id: int
    course_id: int | None
    actor_id: int | None
    reason: str


@dataclass(frozen=True)
class EnrollmentsMigrated:
    """Learners were moved on purpose to the course's current version (`enrollments_migrate_version`)."""

    organization_id: int
    course_id: int
    enrollment_ids: tuple[int, ...]
    version_id: int
    actor_id: int | None
