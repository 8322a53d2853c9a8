"""Domain events of accounts and access, turned into audit records (subscribed in AuditConfig.ready()).

Events are dispatched after their transaction commits, so these records are written in a transaction of their
own. A failure here is logged loudly and does not turn a change that already happened into an error page.

Sign-in events belong to no organisation (a person may work for several): they are recorded in the chain of
every organisation where the person has an active membership, and in the platform chain when there is none
(platform admins without a membership, and emails that belong to nobody).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from syllabus.access import events as access_events
from syllabus.accounts import events as accounts_events
from syllabus.accounts.models import ApiToken, Membership, Organization, OrgUnit, User
from syllabus.audit import services
from syllabus.audit.chain import ids_digest
from syllabus.audit.services import Target
from syllabus.core.events import subscribe

logger = logging.getLogger(__name__)

E = TypeVar("E")

# Fields of a membership change that are personal data of the person: kept in their erasable part.
PERSONAL_MEMBERSHIP_FIELDS = frozenset({"display_name", "employee_id", "hire_date", "attributes"})


def _logged(handler: Callable[[E], None]) -> Callable[[E], None]:
    @functools.wraps(handler)
    def run(event: E) -> None:
        try:
            handler(event)
        except Exception:
            # The change itself has committed; losing its record must at least be seen by operators.
            logger.exception("audit.record_failed event=%r", event)

    return run


def _user(user_id: int | None) -> User | None:
    return User.objects.filter(pk=user_id).first() if user_id else None


def _organization(organization_id: int) -> Organization:
    return Organization.objects.get(pk=organization_id)


def _membership(membership_id: int) -> Membership | Target:
    membership = Membership.objects.select_related("user").filter(pk=membership_id).first()
    return membership if membership is not None else Target("accounts.membership", str(membership_id))


# --- organisation and structure ---------------------------------------------------------------------------


def on_organization_changed(event: accounts_events.OrganizationChanged) -> None:
    organization = _organization(event.organization_id)
    created = event.fields == ("created",)
    services.audit_record(
        organization=organization,
        action="organization.created" if created else "organization.changed",
        actor=_user(event.actor_id),
        target=organization,
        after=None if created else {"fields": list(event.fields)},
    )


def on_org_unit_moved(event: accounts_events.OrgUnitMoved) -> None:
    services.audit_record(
        organization=_organization(event.organization_id),
        action="org_unit.moved",
        actor=_user(event.actor_id),
        target=Target(OrgUnit._meta.label_lower, str(event.org_unit_id)),
        before={"path": event.old_path},
        after={"path": event.new_path},
    )


def on_org_unit_changed(event: accounts_events.OrgUnitChanged) -> None:
    services.audit_record(
        organization=_organization(event.organization_id),
        action=f"org_unit.{event.action}",
        actor=_user(event.actor_id),
        target=Target(OrgUnit._meta.label_lower, str(event.org_unit_id)),
    )


# ReferenceDataChanged.kind -> the model it names
REFERENCE_TYPES = {
    "job_role": "accounts.jobrole",
    "location": "accounts.location",
    "attribute": "accounts.attributedefinition",
}


def on_reference_data_changed(event: accounts_events.ReferenceDataChanged) -> None:
    services.audit_record(
        organization=_organization(event.organization_id),
        action=f"{event.kind}.{event.action}",
        actor=_user(event.actor_id),
        target=Target(REFERENCE_TYPES.get(event.kind, event.kind), str(event.object_id)),
    )


# --- people -----------------------------------------------------------------------------------------------


def on_person_created(event: accounts_events.PersonCreated) -> None:
    membership = Membership.objects.select_related("user").get(pk=event.membership_id)
    services.audit_record(
        organization=_organization(event.organization_id),
        action="person.created",
        actor=_user(event.actor_id),
        target=membership,
        after={
            "user_id": membership.user_id,
            "org_unit_id": membership.org_unit_id,
            "job_role_id": membership.job_role_id,
            "location_id": membership.location_id,
            "manager_id": membership.manager_id,
        },
        personal_after={
            "employee_id": membership.employee_id,
            "hire_date": membership.hire_date,
            "attributes": membership.attributes,
        },
    )


def _split(values: dict[str, object], keys: set[str]) -> tuple[dict[str, object], dict[str, object]]:
    plain = {key: values.get(key) for key in keys if key not in PERSONAL_MEMBERSHIP_FIELDS}
    personal = {key: values.get(key) for key in keys if key in PERSONAL_MEMBERSHIP_FIELDS}
    return plain, personal


def on_membership_changed(event: accounts_events.MembershipChanged) -> None:
    changed = {key for key in {*event.before, *event.after} if event.before.get(key) != event.after.get(key)}
    before, personal_before = _split(event.before, changed)
    after, personal_after = _split(event.after, changed)
    services.audit_record(
        organization=_organization(event.organization_id),
        action="membership.changed",
        actor=_user(event.actor_id),
        target=_membership(event.membership_id),
        before=before,
        after=after,
        personal_before=personal_before,
        personal_after=personal_after,
    )


def on_membership_deactivated(event: accounts_events.MembershipDeactivated) -> None:
    services.audit_record(
        organization=_organization(event.organization_id),
        action="membership.deactivated",
        actor=_user(event.actor_id),
        target=_membership(event.membership_id),
        before={"is_active": True},
        after={"is_active": False},
    )


def on_membership_reactivated(event: accounts_events.MembershipReactivated) -> None:
    services.audit_record(
        organization=_organization(event.organization_id),
        action="membership.reactivated",
        actor=_user(event.actor_id),
        target=_membership(event.membership_id),
        before={"is_active": False},
        after={"is_active": True},
    )


def on_api_token_created(event: accounts_events.ApiTokenCreated) -> None:
    token = ApiToken.objects.select_related("membership__user").get(pk=event.token_id)
    services.audit_record(
        organization=_organization(event.organization_id),
        action="api_token.created",
        actor=_user(event.actor_id),
        target=token,
        after={
            "membership_id": event.membership_id,
            "name": token.name,
            "prefix": token.prefix,
            "expires_at": token.expires_at,
        },
    )


def on_api_token_revoked(event: accounts_events.ApiTokenRevoked) -> None:
    token = ApiToken.objects.select_related("membership__user").filter(pk=event.token_id).first()
    services.audit_record(
        organization=_organization(event.organization_id),
        action="api_token.revoked",
        actor=_user(event.actor_id),
        target=token or Target(ApiToken._meta.label_lower, str(event.token_id)),
        after={"revoked_at": token.revoked_at if token else None},
    )


def on_people_imported(event: accounts_events.PeopleImported) -> None:
    # One summary record for the whole import, never one per person.
    services.audit_record(
        organization=_organization(event.organization_id),
        action="people.imported",
        actor=_user(event.actor_id),
        target=Target("accounts.importjob", str(event.job_id)),
        summary={
            "count": event.created + event.updated + event.deactivated,
            # Proves which people the import touched without one record per person.
            "ids_digest": ids_digest(event.membership_ids),
            "created": event.created,
            "updated": event.updated,
            "deactivated": event.deactivated,
        },
    )


# --- roles ------------------------------------------------------------------------------------------------


def _assignment(event: access_events.RoleAssigned | access_events.RoleUnassigned) -> dict[str, Any]:
    return {"role": event.role_key, "scope": event.scope, "org_unit_id": event.org_unit_id}


def on_role_assigned(event: access_events.RoleAssigned) -> None:
    services.audit_record(
        organization=_organization(event.organization_id),
        action="role.assigned",
        actor=_user(event.actor_id),
        target=_membership(event.membership_id),
        after={**_assignment(event), "assignment_id": event.assignment_id},
    )


def on_role_unassigned(event: access_events.RoleUnassigned) -> None:
    services.audit_record(
        organization=_organization(event.organization_id),
        action="role.unassigned",
        actor=_user(event.actor_id),
        target=_membership(event.membership_id),
        before=_assignment(event),
    )


def on_role_changed(event: access_events.RoleChanged) -> None:
    services.audit_record(
        organization=_organization(event.organization_id),
        action=f"role.{event.action}",
        actor=_user(event.actor_id),
        target=Target("access.role", str(event.role_id)),
        after={"capabilities": sorted(event.capabilities)} if event.action != "deleted" else None,
    )


# --- sign-in and account security -------------------------------------------------------------------------


def _organizations_of(user: User) -> list[Organization]:
    active = Membership.objects.filter(user=user, is_active=True).values("organization_id")
    return list(Organization.objects.filter(pk__in=active).order_by("pk"))


def _record_security(
    *,
    action: str,
    person: User | None,
    actor: User | None,
    email: str = "",
    ip_address: str | None = services.FROM_REQUEST,
    after: dict[str, Any] | None = None,
) -> None:
    """Record a security event in each organisation of `person`, or in the platform chain."""
    if person is None:
        # An email that belongs to nobody: a subject of its own, in the platform chain.
        services.audit_record_for_subjects(
            organization=None,
            action=action,
            actor_subject=None,
            target=Target(User._meta.label_lower),
            target_subject=services.subject_for_email(email),
            after=after,
            ip_address=ip_address,
        )
        return
    organizations: list[Organization | None] = [*_organizations_of(person)] or [None]
    for organization in organizations:
        services.audit_record(
            organization=organization, action=action, actor=actor, target=person, after=after, ip_address=ip_address
        )


def _user_by_email(email: str) -> User | None:
    return User.objects.filter(email__iexact=email.strip()).first() if email else None


def on_user_signed_in(event: accounts_events.UserSignedIn) -> None:
    user = _user(event.user_id)
    _record_security(
        action="auth.signed_in",
        person=user,
        actor=user,
        ip_address=event.ip_address or services.FROM_REQUEST,
        after={"two_factor": event.two_factor},
    )


def on_user_signed_out(event: accounts_events.UserSignedOut) -> None:
    user = _user(event.user_id)
    _record_security(
        action="auth.signed_out", person=user, actor=user, ip_address=event.ip_address or services.FROM_REQUEST
    )


def on_sign_in_failed(event: accounts_events.SignInFailed) -> None:
    # Nobody is signed in: no actor. The person whose account was tried is the target.
    _record_security(
        action="auth.sign_in_failed",
        person=_user_by_email(event.email),
        actor=None,
        email=event.email,
        ip_address=event.ip_address or services.FROM_REQUEST,
        after={"reason": event.reason},
    )


def on_user_locked_out(event: accounts_events.UserLockedOut) -> None:
    _record_security(
        action="auth.locked_out",
        person=_user_by_email(event.email),
        actor=None,
        email=event.email,
        ip_address=event.ip_address or services.FROM_REQUEST,
    )


def on_user_unlocked(event: accounts_events.UserUnlocked) -> None:
    _record_security(
        action="auth.unlocked", person=_user_by_email(event.email), actor=_user(event.actor_id), email=event.email
    )


def on_password_changed(event: accounts_events.PasswordChanged) -> None:
    _record_security(
        action="auth.password_changed",
        person=_user(event.user_id),
        actor=_user(event.actor_id),
        after={"via_reset": event.via_reset},
    )


def on_two_factor_changed(event: accounts_events.TwoFactorChanged) -> None:
    _record_security(
        action="auth.two_factor_changed",
        person=_user(event.user_id),
        actor=_user(event.actor_id),
        after={"change": event.action},
    )


def on_sessions_ended(event: accounts_events.SessionsEnded) -> None:
    _record_security(
        action="auth.sessions_ended",
        person=_user(event.user_id),
        actor=_user(event.actor_id),
        after={"count": event.count},
    )


def on_profile_changed(event: accounts_events.ProfileChanged) -> None:
    # Which fields, not their values: a name or language is the person's own data.
    _record_security(
        action="profile.changed",
        person=_user(event.user_id),
        actor=_user(event.actor_id),
        after={"fields": sorted(event.fields)},
    )


# Not recorded: an audit write in the request only for addresses that have an account would make the reset form
# answer measurably slower for them. The reset itself is recorded as auth.password_changed (via_reset).
UNRECORDED: tuple[type, ...] = (accounts_events.PasswordResetRequested,)

HANDLERS: tuple[tuple[type, Callable[[Any], None]], ...] = (
    (accounts_events.OrganizationChanged, on_organization_changed),
    (accounts_events.OrgUnitMoved, on_org_unit_moved),
    (accounts_events.OrgUnitChanged, on_org_unit_changed),
    (accounts_events.ReferenceDataChanged, on_reference_data_changed),
    (accounts_events.PeopleImported, on_people_imported),
    (accounts_events.ProfileChanged, on_profile_changed),
    (accounts_events.PersonCreated, on_person_created),
    (accounts_events.MembershipChanged, on_membership_changed),
    (accounts_events.MembershipDeactivated, on_membership_deactivated),
    (accounts_events.MembershipReactivated, on_membership_reactivated),
    (accounts_events.ApiTokenCreated, on_api_token_created),
    (accounts_events.ApiTokenRevoked, on_api_token_revoked),
    (access_events.RoleAssigned, on_role_assigned),
    (access_events.RoleUnassigned, on_role_unassigned),
    (access_events.RoleChanged, on_role_changed),
    (accounts_events.UserSignedIn, on_user_signed_in),
    (accounts_events.UserSignedOut, on_user_signed_out),
    (accounts_events.SignInFailed, on_sign_in_failed),
    (accounts_events.UserLockedOut, on_user_locked_out),
    (accounts_events.UserUnlocked, on_user_unlocked),
    (accounts_events.PasswordChanged, on_password_changed),
    (accounts_events.TwoFactorChanged, on_two_factor_changed),
    (accounts_events.SessionsEnded, on_sessions_ended),
)

# The wrapped handlers, built once so subscribing twice (ready() may run again) does not double them.
_SUBSCRIBED = tuple((event_type, _logged(handler)) for event_type, handler in HANDLERS)


def subscribe_all() -> None:
    for event_type, handler in _SUBSCRIBED:
        subscribe(event_type, handler)
