"""Domain events of the accounts app (dispatched after commit through syllabus.core.events)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OrganizationChanged:
    organization_id: int
    actor_id: int | None
    fields: tuple[str, ...]


@dataclass(frozen=True)
class PersonCreated:
    organization_id: int
    membership_id: int
    user_id: int
    actor_id: int | None


@dataclass(frozen=True)
class MembershipChanged:
    organization_id: int
    membership_id: int
    actor_id: int | None
    before: dict[str, object]
    after: dict[str, object]


@dataclass(frozen=True)
class MembershipDeactivated:
    organization_id: int
    membership_id: int
    actor_id: int | None


@dataclass(frozen=True)
class MembershipReactivated:
    organization_id: int
    membership_id: int
    actor_id: int | None


@dataclass(frozen=True)
class OrgUnitMoved:
    organization_id: int
    org_unit_id: int
    old_path: str
    new_path: str
    actor_id: int | None


@dataclass(frozen=True)
class ApiTokenCreated:
    organization_id: int
    token_id: int
    membership_id: int
    actor_id: int | None


@dataclass(frozen=True)
class ApiTokenRevoked:
    organization_id: int
    token_id: int
    actor_id: int | None
