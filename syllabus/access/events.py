"""Domain events of the access app."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RoleAssigned:
    organization_id: int
    assignment_id: int
    membership_id: int
    role_key: str
    scope: str
    org_unit_id: int | None
    actor_id: int | None


@dataclass(frozen=True)
class RoleUnassigned:
    organization_id: int
    membership_id: int
    role_key: str
    scope: str
    org_unit_id: int | None
    actor_id: int | None


@dataclass(frozen=True)
class RoleChanged:
    organization_id: int
    role_id: int
    action: str
    capabilities: tuple[str, ...]
    actor_id: int | None
