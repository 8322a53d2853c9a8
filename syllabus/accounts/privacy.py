"""What accounts holds about one person, for the privacy registry (core.privacy): export and erasure (GDPR).

Registered in AccountsConfig.ready(). The request itself (permission, audit record) is handled by
`syllabus.audit.services.privacy_export` / `privacy_erase`.

Erasure pseudonymises rather than deletes: the User row stays (other apps' records point at it) but no longer
says who it was, memberships are deactivated with their HR data cleared, tokens revoked, sessions ended and
two-factor devices removed. Org units, job roles and locations stay on the membership: they describe the
organisation, not the person, and keep reports about departments right.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from syllabus.access.models import RoleAssignment
from syllabus.accounts.models import ApiToken, Membership, Organization, User, UserSession
from syllabus.accounts.services import LAST_ORG_ADMIN
from syllabus.core import clock

ERASED_NAME = "Erased person"


def erased_email(user: User) -> str:
    # ".invalid" is reserved (RFC 2606): mail to it can never reach anyone.
    return f"erased-{user.pk}@invalid"


def _memberships(user: User, organization: Organization | None) -> QuerySet[Membership]:
    qs = Membership.objects.filter(user=user).select_related(
        "organization", "org_unit", "job_role", "location", "manager__user"
    )
    return qs.filter(organization=organization) if organization is not None else qs


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def export_person(user: User, organization: Organization | None) -> dict[str, Any]:
    """Profile, memberships with every HR field and attribute, role assignments and API tokens (metadata only:
    the keys were never stored). Sessions are global to the person, so only in an export of every organisation."""
    memberships = list(_memberships(user, organization).order_by("organization__name"))
    assignments: dict[int, list[dict[str, Any]]] = {}
    for assignment in RoleAssignment.objects.filter(membership__in=memberships).select_related("role", "org_unit"):
        assignments.setdefault(assignment.membership_id, []).append(
            {
                "role": assignment.role.name,
                "scope": assignment.scope,
                "org_unit": assignment.org_unit.name if assignment.org_unit else None,
                "assigned_at": _iso(assignment.created_at),
            }
        )
    tokens: dict[int, list[dict[str, Any]]] = {}
    for token in ApiToken.objects.filter(membership__in=memberships).order_by("created_at"):
        tokens.setdefault(token.membership_id, []).append(
            {
                "name": token.name,
                "prefix": token.prefix,
                "created_at": _iso(token.created_at),
                "last_used_at": _iso(token.last_used_at),
                "expires_at": _iso(token.expires_at),
                "revoked_at": _iso(token.revoked_at),
            }
        )
    data: dict[str, Any] = {
        "profile": {
            "email": user.email,
            "display_name": user.display_name,
            "language": user.locale,
            "time_zone": user.time_zone,
            "active": user.is_active,
            "joined_at": _iso(user.date_joined),
            "last_sign_in_at": _iso(user.last_login),
        },
        "memberships": [
            {
                "organization": membership.organization.name,
                "active": membership.is_active,
                "deactivated_at": _iso(membership.deactivated_at),
                "org_unit": membership.org_unit.name if membership.org_unit else None,
                "job_role": membership.job_role.name if membership.job_role else None,
                "location": membership.location.name if membership.location else None,
                "manager": membership.manager.user.display_name if membership.manager else None,
                "employee_id": membership.employee_id,
                "hire_date": _iso(membership.hire_date),
                "attributes": membership.attributes,
                "member_since": _iso(membership.created_at),
                "role_assignments": assignments.get(membership.pk, []),
                "api_tokens": tokens.get(membership.pk, []),
            }
            for membership in memberships
        ],
    }
    if organization is None:
        data["sessions"] = [
            {
                "started_at": _iso(session.created_at),
                "last_seen_at": _iso(session.last_seen_at),
                "ended_at": _iso(session.ended_at),
                "ip_address": session.ip_address,
                "user_agent": session.user_agent,
            }
            for session in UserSession.objects.filter(user=user).order_by("created_at")
        ]
    return data


def _last_org_admin_somewhere(user: User) -> bool:
    """Is the person the only active org admin of one of their organisations?"""
    admins = RoleAssignment.objects.filter(
        role__organization__isnull=True, role__key="org_admin", scope="organization", membership__is_active=True
    )
    theirs = set(admins.filter(membership__user=user).values_list("organization_id", flat=True))
    if not theirs:
        return False
    covered = set(
        admins.filter(organization_id__in=theirs)
        .exclude(membership__user=user)
        .values_list("organization_id", flat=True)
    )
    return bool(theirs - covered)


def _end_sessions(user: User) -> None:
    engine = import_module(settings.SESSION_ENGINE)
    for key in UserSession.objects.filter(user=user, ended_at__isnull=True).values_list("session_key", flat=True):
        engine.SessionStore(session_key=key).delete()
    now = clock.now()
    UserSession.objects.filter(user=user, ended_at__isnull=True).update(ended_at=now)
    # Where they signed in from is personal data too; the rows stay as "a session existed".
    UserSession.objects.filter(user=user).update(ip_address=None, user_agent="")


def _remove_two_factor(user: User) -> None:
    if apps.is_installed("django_otp"):
        from django_otp import devices_for_user

        for device in devices_for_user(user, confirmed=None):
            device.delete()


def _forget_sign_in_attempts(email: str) -> None:
    # django-axes keeps failed attempts (email, IP address, browser) to decide lockouts.
    if apps.is_installed("axes"):
        from axes.models import AccessAttempt, AccessFailureLog, AccessLog

        for model in (AccessAttempt, AccessFailureLog, AccessLog):
            model.objects.filter(username__iexact=email).delete()


def erase_person(user: User, by: User | None) -> None:
    """Pseudonymise the person everywhere in accounts. Refuses to leave an organisation without an org admin."""
    if _last_org_admin_somewhere(user):
        raise ValidationError(LAST_ORG_ADMIN)
    now = clock.now()
    memberships = Membership.objects.filter(user=user)
    memberships.filter(is_active=True).update(is_active=False, deactivated_at=now)
    memberships.update(employee_id="", hire_date=None, attributes={})
    ApiToken.objects.filter(membership__user=user, revoked_at__isnull=True).update(revoked_at=now)
    _end_sessions(user)
    _remove_two_factor(user)
    _forget_sign_in_attempts(user.email)
    user.email = erased_email(user)
    user.display_name = ERASED_NAME
    user.is_active = False
    user.is_staff = False
    user.last_login = None
    user.set_unusable_password()
    user.save(update_fields=["email", "display_name", "is_active", "is_staff", "last_login", "password"])
