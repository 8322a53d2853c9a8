"""Reads of roles and role assignments, each with a constant number of queries."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from syllabus.access.capabilities import BUILTIN_ROLES
from syllabus.access.models import Role, RoleAssignment
from syllabus.accounts.models import Membership, Organization

_BUILTIN_ORDER = {role.key: index for index, role in enumerate(BUILTIN_ROLES)}


def role_queryset(*, organization: Organization) -> QuerySet[Role]:
    """Built-in roles and the organisation's custom roles (never another organisation's)."""
    return Role.objects.filter(Q(organization__isnull=True) | Q(organization=organization))


def role_list(*, organization: Organization, count_holders: bool = True) -> list[Role]:
    """Built-in roles in their declared order, then custom roles by name.

    With `count_holders`, each role has `holder_count`: the active people of this organisation holding it in
    any scope.
    """
    qs = role_queryset(organization=organization)
    if count_holders:
        qs = qs.annotate(
            holder_count=Count(
                "assignments__membership",
                filter=Q(assignments__organization=organization, assignments__membership__is_active=True),
                distinct=True,
            )
        )
    roles = list(qs)
    return sorted(
        roles,
        key=lambda role: (
            (0, _BUILTIN_ORDER.get(role.key, len(_BUILTIN_ORDER)), "") if role.is_builtin else (1, 0, role.name.lower())
        ),
    )


def role_get(*, organization: Organization, role_id: int) -> Role | None:
    return role_queryset(organization=organization).filter(pk=role_id).first()


def role_assignment_list(*, membership: Membership) -> QuerySet[RoleAssignment]:
    """One person's assignments, with what a page shows about them."""
    return (
        RoleAssignment.objects.filter(organization_id=membership.organization_id, membership=membership)
        .select_related("role", "org_unit", "granted_by")
        .order_by("created_at", "pk")
    )


def organization_role_assignment_list(
    *, organization: Organization, membership: Membership | None = None, role: Role | None = None
) -> QuerySet[RoleAssignment]:
    """Every assignment in the organisation (optionally of one person or one role), for the API."""
    qs = RoleAssignment.objects.filter(organization=organization).select_related(
        "membership__user", "role", "org_unit", "granted_by"
    )
    if membership is not None:
        qs = qs.filter(membership=membership)
    if role is not None:
        qs = qs.filter(role=role)
    return qs.order_by("created_at", "pk")
