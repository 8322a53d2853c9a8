"""Domain events of compliance (dispatched after commit through syllabus.core.events)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class ProgramCompleted:
    """A person satisfied a cycle of a program (certificates subscribe to this)."""

    organization_id: int
    program_id: int
    assignment_id: int
    membership_id: int
    cycle: int
    completed_on: dt.date
    expires_on: dt.date | None
    completion_id: int | None


@dataclass(frozen=True)
class ProgramChanged:
    organization_id: int
    program_id: int
    actor_id: int | None
    fields: tuple[str, ...]


@dataclass(frozen=True)
class ExemptionRequested:
    organization_id: int
    exemption_id: int
    program_id: int
    membership_id: int
    actor_id: int | None


@dataclass(frozen=True)
class ExemptionDecided:
    organization_id: int
    exemption_id: int
    program_id: int
    membership_id: int
    actor_id: int | None
    approved: bool
