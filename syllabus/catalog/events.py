"""Domain events of the catalog (dispatched after commit through syllabus.core.events)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CourseSubmitted:
    organization_id: int
    course_id: int
    review_id: int
    actor_id: int | None


@dataclass(frozen=True)
class CourseReviewDecided:
    organization_id: int
    course_id: int
    review_id: int
    actor_id: int | None
    approved: bool


@dataclass(frozen=True)
class CoursePublished:
    """A new version is live. `change` is "major" or "minor": later apps move in-progress learners to a new
    minor version automatically and leave them on their major version otherwise."""

    organization_id: int
    course_id: int
    version_id: int
    major: int
    minor: int
    change: str
    actor_id: int | None


@dataclass(frozen=True)
class CourseArchived:
    organization_id: int
    course_id: int
    actor_id: int | None


@dataclass(frozen=True)
class CourseUnarchived:
    organization_id: int
    course_id: int
    actor_id: int | None


@dataclass(frozen=True)
class CourseDeleted:
    organization_id: int
    course_id: int
    actor_id: int | None
    title: str


@dataclass(frozen=True)
class ActivitySignalled:
    """A learner produced a completion signal on an activity of a published version ("viewed", "opened",
    "watched", "acknowledged"). The progress app (a later issue) stores these and applies the completion rule."""

    organization_id: int
    course_id: int
    version_id: int
    activity_uid: uuid.UUID
    kind: str
    signal: str
    user_id: int
    at: dt.datetime
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ActivityOpened:
    """A learner opened an activity of a published version in the player (a GET of the activity page). The
    progress app marks it in progress and remembers it as where the learner resumes."""

    organization_id: int
    course_id: int
    version_id: int
    activity_uid: uuid.UUID
    user_id: int
    at: dt.datetime
