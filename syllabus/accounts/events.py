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


# --- sign-in and account security (not tied to one organisation: a person may belong to several) ---------------


@dataclass(frozen=True)
class UserSignedIn:
    user_id: int
    ip_address: str | None
    two_factor: bool
    # The `UserSession` row of this sign-in: None when no browser session was recorded (no request).
    session_id: int | None = None


@dataclass(frozen=True)
class UserSignedOut:
    user_id: int
    ip_address: str | None


@dataclass(frozen=True)
class SignInFailed:
    # The email as typed: there may be no such user.
    email: str
    ip_address: str | None
    reason: str  # "password" | "two_factor" | "inactive"


@dataclass(frozen=True)
class UserLockedOut:
    email: str
    ip_address: str | None


@dataclass(frozen=True)
class UserUnlocked:
    email: str
    actor_id: int | None


@dataclass(frozen=True)
class PasswordChanged:
    user_id: int
    actor_id: int | None
    via_reset: bool


@dataclass(frozen=True)
class PasswordResetRequested:
    """Someone asked for a reset link for this active account. Emitted on the worker (the reset form queues the
    same task for any address), so that no handler makes a known address answer slower than an unknown one."""

    user_id: int


@dataclass(frozen=True)
class TwoFactorChanged:
    user_id: int
    actor_id: int | None
    action: str  # "enabled" | "disabled" | "recovery_code_used" | "recovery_codes_regenerated"


@dataclass(frozen=True)
class SessionsEnded:
    user_id: int
    actor_id: int | None
    count: int


# --- HR import (accounts/hr_import) ------------------------------------------------------------------------


@dataclass(frozen=True)
class PeopleImported:
    """One HR import applied: a summary, not one event per person (an import may touch 100,000 people)."""

    organization_id: int
    job_id: int
    created: int
    updated: int
    deactivated: int
    actor_id: int | None
    # Every membership the import created, updated or deactivated: the audit record keeps a digest of them.
    membership_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class OrgUnitChanged:
    organization_id: int
    org_unit_id: int
    action: str  # "created" | "updated" | "deleted"
    actor_id: int | None


@dataclass(frozen=True)
class ReferenceDataChanged:
    """A job role, location or custom attribute definition was created, updated or deleted."""

    organization_id: int
    kind: str  # "job_role" | "location" | "attribute"
    object_id: int
    action: str
    actor_id: int | None


@dataclass(frozen=True)
class ProfileChanged:
    user_id: int
    actor_id: int | None
    fields: tuple[str, ...]
