"""Domain events of the audiences app (dispatched after commit through syllabus.core.events).

Membership changes come two ways, both after the recompute's transaction commits:
- one `AudienceMemberJoined` / `AudienceMemberLeft` per person, for reactions about one person (a notification,
  an enrollment);
- one `AudienceRecomputed` per recompute that changed anything, with every id, for reactions that are cheaper in
  bulk (enrolling 5,000 people in one statement). Subscribe to one kind or the other, not both.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class AudienceCreated:
    organization_id: int
    audience_id: int
    actor_id: int | None
    name: str


@dataclass(frozen=True)
class AudienceChanged:
    organization_id: int
    audience_id: int
    actor_id: int | None
    fields: tuple[str, ...]  # "name", "description", "rules"


@dataclass(frozen=True)
class AudienceDeleted:
    organization_id: int
    audience_id: int
    actor_id: int | None
    name: str


@dataclass(frozen=True)
class AudienceMemberJoined:
    organization_id: int
    audience_id: int
    membership_id: int
    at: dt.datetime


@dataclass(frozen=True)
class AudienceMemberLeft:
    organization_id: int
    audience_id: int
    membership_id: int
    at: dt.datetime


@dataclass(frozen=True)
class AudienceRecomputed:
    organization_id: int
    audience_id: int
    at: dt.datetime
    joined: tuple[int, ...]  # membership ids
    left: tuple[int, ...]
    member_count: int
