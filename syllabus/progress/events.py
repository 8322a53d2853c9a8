"""Domain events of progress (dispatched after commit through syllabus.core.events)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class ActivityCompleted:
    organization_id: int
    enrollment_id: int
    membership_id: int
    course_id: int
    version_id: int | None
    activity_uid: uuid.UUID
    at: dt.datetime
    actor_id: int | None  # None: the learner's own activity; else who marked it complete


@dataclass(frozen=True)
class CourseCompleted:
    organization_id: int
    enrollment_id: int
    completion_id: int
    membership_id: int
    course_id: int
    version_id: int | None
    version_label: str
    at: dt.datetime
    expires_at: dt.datetime | None
    score: Decimal | None


@dataclass(frozen=True)
class ProgressReset:
    organization_id: int
    enrollment_id: int
    membership_id: int
    course_id: int
    actor_id: int | None


@dataclass(frozen=True)
class ExternalTrainingSubmitted:
    """A person recorded training taken elsewhere; it waits for someone who assigns them training to decide."""

    organization_id: int
    external_id: int
    membership_id: int
    actor_id: int | None


@dataclass(frozen=True)
class ExternalTrainingDecided:
    organization_id: int
    external_id: int
    membership_id: int
    actor_id: int | None
    approved: bool
