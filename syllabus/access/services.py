"""Writes to roles and role assignments."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from syllabus.access import events, policy
from syllabus.access.capabilities import BY_CODE, ORG_UNIT
from syllabus.access.models import Role, RoleAssignment
from syllabus.accounts.models import Membership, Organization, OrgUnit, User
from syllabus.core.events import emit

UNKNOWN_CAPABILITY = "Unknown capability {code!r}."
BUILTIN_READ_ONLY = "Built-in roles cannot be changed; create a custom role instead."
ROLE_IN_USE = "This role is assigned to {count} people; remove those assignments first."
ROLE_OTHER_ORG = "That role belongs to another organisation."
NOT_IN_SCOPE = "The capability {code!r} cannot be granted for an org unit only."
SCOPE_NEEDS_UNIT = "Choose the org unit this assignment covers."
ALREADY_ASSIGNED = "This person already has this role in this scope."
ROLE_NAME_TAKEN = "A role with this name already exists."
ESCALATION = "You cannot grant capabilities you do not hold yourself: {codes}."
LAST_ADMIN = "This is the organisation's last org admin; assign another one first."
UNKNOWN_SCOPE = "Unknown scope {scope!r}."
UNIT_OTHER_ORG = "That org unit belongs to another organisation."


def _actor_id(by: User | None) -> int | None:
    return by.pk if by is not None and by.is_authenticated else None


def _forget(membership: Membership, by: User) -> None:
    # Grants are cached per user object: when people change their own roles, `by` is another object than
    # `membership.user`, and both must see the change at once.
    policy.forget(membership.user)
    if by.pk == membership.user_id:
        policy.forget(by)


def _check_name_free(organization: Organization, name: str, role: Role | None = None) -> None:
    others = Role.objects.filter(organization=organization, name__iexact=name.strip())
    if role is not None:
        others = others.exclude(pk=role.pk)
    if others.exists():
        raise ValidationError({"name": [ROLE_NAME_TAKEN]})


def _free_key(organization: Organization, name: str) -> str:
    # Keys stay when a role is renamed, so a new role may want a key an older role still uses.
    base = slugify(name)[:50] or "role"
    taken = set(Role.objects.filter(organization=organization, key__startswith=base).values_list("key", flat=True))
    key, number = base, 2
    while key in taken:
        key, number = f"{base}-{number}", number + 1
    return key


def _clean_capabilities(codes: list[str]) -> list[str]:
    unknown = [code for code in codes if code not in BY_CODE]
    if unknown:
        raise ValidationError({"capabilities": [UNKNOWN_CAPABILITY.format(code=code) for code in unknown]})
    return sorted(set(codes))


def _check_no_escalation(by: User, organization: Organization, codes: frozenset[str] | list[str]) -> None:
    principal = policy.principal_for(by, organization)
    if principal.is_platform_admin:
        return
    missing = sorted(set(codes) - principal.org_capabilities)
    if missing:
        raise PermissionDenied(ESCALATION.format(codes=", ".join(missing)))


def role_create(
    *, organization: Organization, by: User, name: str, capabilities: list[str], description: str = ""
) -> Role:
    policy.require(by, "role.manage", organization)
    codes = _clean_capabilities(capabilities)
    _check_no_escalation(by, organization, codes)
    _check_name_free(organization, name)
    role = Role(
        organization=organization,
        key=_free_key(organization, name),
        name=name.strip(),
        description=description.strip(),
        custom_capabilities=codes,
    )
    role.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            role.save()
    except IntegrityError as exc:
        raise ValidationError({"name": [ROLE_NAME_TAKEN]}) from exc
    emit(events.RoleChanged(organization.pk, role.pk, "created", tuple(codes), _actor_id(by)))
    return role


def role_update(
    *,
    role: Role,
    by: User,
    name: str | None = None,
    capabilities: list[str] | None = None,
    description: str | None = None,
) -> Role:
    if role.is_builtin:
        raise ValidationError(BUILTIN_READ_ONLY)
    assert role.organization is not None
    policy.require(by, "role.manage", role.organization)
    if name is not None:
        _check_name_free(role.organization, name, role)
        role.name = name.strip()
    if description is not None:
        role.description = description.strip()
    if capabilities is not None:
        codes = _clean_capabilities(capabilities)
        # Both ends: no granting what you lack, and no stripping a role of what you lack (its holders outrank you).
        _check_no_escalation(by, role.organization, codes)
        _check_no_escalation(by, role.organization, role.custom_capabilities)
        role.custom_capabilities = codes
    role.full_clean(validate_constraints=False)
    role.save()
    emit(events.RoleChanged(role.organization.pk, role.pk, "updated", tuple(role.custom_capabilities), _actor_id(by)))
    return role


def role_delete(*, role: Role, by: User) -> None:
    if role.is_builtin:
        raise ValidationError(BUILTIN_READ_ONLY)
    assert role.organization is not None
    policy.require(by, "role.manage", role.organization)
    count = role.assignments.count()
    if count:
        raise ValidationError(ROLE_IN_USE.format(count=count))
    organization_id, role_id = role.organization.pk, role.pk
    role.delete()
    emit(events.RoleChanged(organization_id, role_id, "deleted", (), _actor_id(by)))


def role_assign(
    *, membership: Membership, role: Role, by: User, scope: str = "organization", org_unit: OrgUnit | None = None
) -> RoleAssignment:
    organization = membership.organization
    policy.require(by, "role.assign", organization)
    if role.organization_id not in (None, organization.pk):
        raise ValidationError({"role": [ROLE_OTHER_ORG]})
    if scope not in RoleAssignment.Scope.values:
        raise ValidationError({"scope": [UNKNOWN_SCOPE.format(scope=scope)]})
    if scope == ORG_UNIT:
        if org_unit is None:
            raise ValidationError({"org_unit": [SCOPE_NEEDS_UNIT]})
        if org_unit.organization_id != organization.pk:
            raise ValidationError({"org_unit": [UNIT_OTHER_ORG]})
        not_scopable = sorted(c for c in role.capabilities if ORG_UNIT not in BY_CODE[c].scopes)
        if not_scopable:
            raise ValidationError({"scope": [NOT_IN_SCOPE.format(code=code) for code in not_scopable]})
    else:
        scope, org_unit = "organization", None
    _check_no_escalation(by, organization, role.capabilities)
    assignment = RoleAssignment(
        organization=organization, membership=membership, role=role, scope=scope, org_unit=org_unit, granted_by=by
    )
    try:
        with transaction.atomic():
            assignment.save()
    except IntegrityError as exc:
        raise ValidationError(ALREADY_ASSIGNED) from exc
    _forget(membership, by)
    emit(
        events.RoleAssigned(
            organization.pk,
            assignment.pk,
            membership.pk,
            role.key,
            scope,
            org_unit.pk if org_unit else None,
            _actor_id(by),
        )
    )
    return assignment


def role_unassign(*, assignment: RoleAssignment, by: User) -> None:
    organization = assignment.organization
    policy.require(by, "role.assign", organization)
    role = assignment.role
    _check_no_escalation(by, organization, role.capabilities)
    event = events.RoleUnassigned(
        organization.pk,
        assignment.membership_id,
        role.key,
        assignment.scope,
        assignment.org_unit_id,
        _actor_id(by),
    )
    with transaction.atomic():
        if role.is_builtin and role.key == "org_admin" and assignment.scope == "organization":
            # Locked, so two admins removing each other at the same moment cannot both pass the check.
            admins = RoleAssignment.objects.select_for_update(of=("self",)).filter(
                organization=organization, role=role, scope="organization", membership__is_active=True
            )
            if not [other for other in admins if other.pk != assignment.pk]:
                raise ValidationError(LAST_ADMIN)
        assignment.delete()
    _forget(assignment.membership, by)
    emit(event)


def grant_builtin_role(*, membership: Membership, role_key: str, by: User | None) -> RoleAssignment:
    """Bootstrap grant without a permission check: a new organisation's first admin, demo data, commands."""
    role = Role.objects.get(organization__isnull=True, key=role_key)
    assignment, created = RoleAssignment.objects.get_or_create(
        organization=membership.organization,
        membership=membership,
        role=role,
        scope="organization",
        org_unit=None,
        defaults={"granted_by": by},
    )
    if created:
        emit(
            events.RoleAssigned(
                membership.organization_id, assignment.pk, membership.pk, role.key, "organization", None, _actor_id(by)
            )
        )
    return assignment
