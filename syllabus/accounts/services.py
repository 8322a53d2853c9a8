"""Every write to accounts data: organisations, org units, job roles, locations, attributes, people, tokens.

Each service checks permission through `access`, validates, writes in a transaction and emits a domain event
after commit (the audit trail subscribes to these).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr

from syllabus.access import policy
from syllabus.access.models import RoleAssignment
from syllabus.accounts import events
from syllabus.accounts.attributes import clean_attributes
from syllabus.accounts.images import clean_logo
from syllabus.accounts.models import (
    ApiToken,
    AttributeDefinition,
    JobRole,
    Location,
    Membership,
    Organization,
    OrgUnit,
    User,
)
from syllabus.core import clock
from syllabus.core.events import emit

ORG_UNIT_CYCLE = "An org unit cannot be moved under itself or one of its own sub-units."
ORG_UNIT_OTHER_ORG = "That parent org unit belongs to another organisation."
ORG_UNIT_NOT_EMPTY = "Move or delete its {children} sub-units and {members} people first."
MANAGER_CYCLE = "A person cannot report to themselves or to someone who reports to them."
MANAGER_OTHER_ORG = "The manager must be a member of the same organisation."
ALREADY_MEMBER = "{email} is already a member of this organisation."
EMPLOYEE_ID_TAKEN = "Employee id {employee_id!r} is already used by someone else in this organisation."
NOT_IN_ORGANIZATION = "{field} belongs to another organisation."
CANNOT_DEACTIVATE_SELF = "You cannot deactivate your own membership."
LAST_ORG_ADMIN = "This is the organisation's last active org admin; make someone else org admin first."
CHOICES_REQUIRED = "A choice attribute needs at least one choice."
TYPE_CHANGE_IN_USE = "The type cannot change while people have values for this attribute."
NAME_TAKEN = "That name is already used in this organisation."
KEY_TAKEN = "That key is already used in this organisation."
SLUG_TAKEN = "That short name is already used by another organisation."

ORGANIZATION_FIELDS = ("name", "primary_color", "accent_color", "default_language", "default_time_zone")
MEMBERSHIP_FIELDS = ("org_unit", "job_role", "location", "manager", "employee_id", "hire_date")


def _actor_id(by: User | None) -> int | None:
    return by.pk if by is not None and by.is_authenticated else None


# --- organisations ----------------------------------------------------------------------------------------


def organization_create(*, by: User, name: str, slug: str, admin: User | None = None, **settings: Any) -> Organization:
    """Create a tenant (platform admins only). `admin`, if given, becomes its first org admin."""
    if not policy.principal_for(by, None).is_platform_admin:
        raise PermissionDenied(policy.NOT_ALLOWED)
    organization = Organization(name=name.strip(), slug=slug.strip().lower(), **settings)
    organization.full_clean()
    with transaction.atomic():
        organization.save()
        if admin is not None:
            from syllabus.access.services import grant_builtin_role

            membership = Membership.objects.create(organization=organization, user=admin)
            grant_builtin_role(membership=membership, role_key="org_admin", by=by)
    emit(events.OrganizationChanged(organization.pk, _actor_id(by), ("created",)))
    return organization


def organization_update(
    *, organization: Organization, by: User, logo: UploadedFile | None = None, remove_logo: bool = False, **changes: Any
) -> Organization:
    policy.require(by, "org.manage", organization)
    unknown = set(changes) - set(ORGANIZATION_FIELDS)
    if unknown:
        raise ValidationError({field: ["This field cannot be changed here."] for field in sorted(unknown)})
    for field, value in changes.items():
        setattr(organization, field, value.strip() if isinstance(value, str) else value)
    changed = list(changes)
    if logo is not None:
        cleaned_logo = clean_logo(logo)
        organization.logo.save(cleaned_logo.name or "logo.png", cleaned_logo, save=False)
        changed.append("logo")
    elif remove_logo and organization.logo:
        organization.logo.delete(save=False)
        changed.append("logo")
    organization.full_clean(exclude=["slug"])
    organization.save()
    emit(events.OrganizationChanged(organization.pk, _actor_id(by), tuple(changed)))
    return organization


# --- org units ------------------------------------------------------------------------------------------


def _check_same_org(organization: Organization, field: str, obj: Any) -> None:
    if obj is not None and obj.organization_id != organization.pk:
        raise ValidationError({field: [NOT_IN_ORGANIZATION.format(field=field.replace("_", " ").capitalize())]})


def org_unit_create(
    *, organization: Organization, by: User, name: str, parent: OrgUnit | None = None, code: str = ""
) -> OrgUnit:
    policy.require(by, "org_unit.manage", organization)
    if parent is not None and parent.organization_id != organization.pk:
        raise ValidationError({"parent": [ORG_UNIT_OTHER_ORG]})
    unit = OrgUnit(organization=organization, name=name.strip(), code=code.strip(), parent=parent)
    unit.full_clean(exclude=["path", "depth"])
    with transaction.atomic():
        unit.save()
        # The path holds the row's own id, so it is set once the id exists.
        unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
        unit.depth = parent.depth + 1 if parent else 0
        OrgUnit.objects.filter(pk=unit.pk).update(path=unit.path, depth=unit.depth)
    return unit


def org_unit_update(
    *, unit: OrgUnit, by: User, name: str | None = None, code: str | None = None, parent: Any = ...
) -> OrgUnit:
    """Rename and/or move a unit; a move rewrites the whole subtree's paths in one UPDATE."""
    organization = unit.organization
    policy.require(by, "org_unit.manage", organization)
    if name is not None:
        unit.name = name.strip()
    if code is not None:
        unit.code = code.strip()
    unit.full_clean(exclude=["path", "depth", "parent"])
    with transaction.atomic():
        unit.save(update_fields=["name", "code", "updated_at"])
        if parent is not ... and parent != unit.parent:
            _org_unit_move(unit=unit, parent=parent, by=by)
    return unit


def _org_unit_move(*, unit: OrgUnit, parent: OrgUnit | None, by: User) -> None:
    if parent is not None:
        if parent.organization_id != unit.organization_id:
            raise ValidationError({"parent": [ORG_UNIT_OTHER_ORG]})
        if parent.path.startswith(unit.path):
            raise ValidationError({"parent": [ORG_UNIT_CYCLE]})
    old_path = unit.path
    new_path = f"{parent.path if parent else '/'}{unit.pk}/"
    depth_delta = (parent.depth + 1 if parent else 0) - unit.depth
    OrgUnit.objects.filter(pk=unit.pk).update(parent=parent)
    OrgUnit.objects.filter(OrgUnit.subtree_q(old_path), organization_id=unit.organization_id).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + depth_delta,
    )
    unit.refresh_from_db()
    emit(events.OrgUnitMoved(unit.organization_id, unit.pk, old_path, new_path, _actor_id(by)))


def org_unit_delete(*, unit: OrgUnit, by: User) -> None:
    policy.require(by, "org_unit.manage", unit.organization)
    children = OrgUnit.objects.filter(parent=unit).count()
    members = Membership.objects.filter(org_unit=unit).count()
    if children or members:
        raise ValidationError(ORG_UNIT_NOT_EMPTY.format(children=children, members=members))
    unit.delete()


# --- job roles, locations -------------------------------------------------------------------------------


def _save_unique(obj: Any, message: str, field: str) -> None:
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        raise ValidationError({field: [message]}) from exc


def job_role_save(
    *, organization: Organization, by: User, name: str, code: str = "", job_role: JobRole | None = None
) -> JobRole:
    policy.require(by, "job_role.manage", organization)
    job_role = job_role or JobRole(organization=organization)
    _check_same_org(organization, "job_role", job_role)
    job_role.name, job_role.code = name.strip(), code.strip()
    job_role.full_clean(validate_constraints=False)
    _save_unique(job_role, NAME_TAKEN, "name")
    return job_role


def job_role_delete(*, job_role: JobRole, by: User) -> None:
    policy.require(by, "job_role.manage", job_role.organization)
    job_role.delete()


def location_save(
    *,
    organization: Organization,
    by: User,
    name: str,
    code: str = "",
    address: str = "",
    time_zone: str = "",
    location: Location | None = None,
) -> Location:
    policy.require(by, "location.manage", organization)
    location = location or Location(organization=organization)
    _check_same_org(organization, "location", location)
    location.name, location.code, location.address, location.time_zone = (
        name.strip(),
        code.strip(),
        address.strip(),
        time_zone,
    )
    location.full_clean(validate_constraints=False)
    _save_unique(location, NAME_TAKEN, "name")
    return location


def location_delete(*, location: Location, by: User) -> None:
    policy.require(by, "location.manage", location.organization)
    location.delete()


# --- custom attributes ----------------------------------------------------------------------------------


def attribute_definition_save(
    *,
    organization: Organization,
    by: User,
    key: str,
    label: str,
    type: str,
    choices: list[str] | None = None,
    required: bool = False,
    definition: AttributeDefinition | None = None,
) -> AttributeDefinition:
    policy.require(by, "attribute.manage", organization)
    definition = definition or AttributeDefinition(organization=organization)
    _check_same_org(organization, "definition", definition)
    if definition.pk and definition.type != type:
        in_use = Membership.objects.filter(organization=organization, attributes__has_key=definition.key).exists()
        if in_use:
            raise ValidationError({"type": [TYPE_CHANGE_IN_USE]})
    cleaned_choices = [str(c).strip() for c in (choices or []) if str(c).strip()]
    if type == AttributeDefinition.Type.CHOICE and not cleaned_choices:
        raise ValidationError({"choices": [CHOICES_REQUIRED]})
    if definition.pk and definition.key != key:
        # Renaming the key would orphan stored values; keys are fixed once created.
        key = definition.key
    definition.key, definition.label, definition.type = key.strip(), label.strip(), type
    definition.choices = cleaned_choices if type == AttributeDefinition.Type.CHOICE else []
    definition.required = required
    definition.full_clean(validate_constraints=False)
    _save_unique(definition, KEY_TAKEN, "key")
    return definition


def attribute_definition_delete(*, definition: AttributeDefinition, by: User) -> None:
    policy.require(by, "attribute.manage", definition.organization)
    definition.delete()


# --- people ---------------------------------------------------------------------------------------------


def _check_manager(membership: Membership, manager: Membership | None) -> None:
    if manager is None:
        return
    if manager.organization_id != membership.organization_id:
        raise ValidationError({"manager": [MANAGER_OTHER_ORG]})
    if membership.pk is None:
        return
    if manager.pk == membership.pk:
        raise ValidationError({"manager": [MANAGER_CYCLE]})
    # Walk up from the proposed manager; meeting this person means a cycle.
    seen: set[int] = set()
    current: Membership | None = manager
    while current is not None and current.manager_id is not None and current.pk not in seen:
        seen.add(current.pk)
        if current.manager_id == membership.pk:
            raise ValidationError({"manager": [MANAGER_CYCLE]})
        current = Membership.objects.filter(pk=current.manager_id).only("pk", "manager_id").first()


def _apply_membership_fields(membership: Membership, fields: dict[str, Any]) -> None:
    organization = membership.organization
    for name in ("org_unit", "job_role", "location", "manager"):
        if name in fields:
            _check_same_org(organization, name, fields[name])
    if "manager" in fields:
        _check_manager(membership, fields["manager"])
    for name, value in fields.items():
        if name not in MEMBERSHIP_FIELDS:
            raise ValidationError({name: ["This field cannot be changed here."]})
        setattr(membership, name, value.strip() if isinstance(value, str) else value)


def _save_membership(membership: Membership) -> None:
    try:
        with transaction.atomic():
            membership.save()
    except IntegrityError as exc:
        raise ValidationError({"employee_id": [EMPLOYEE_ID_TAKEN.format(employee_id=membership.employee_id)]}) from exc


@dataclass(frozen=True)
class PersonInput:
    email: str
    display_name: str
    password: str | None = None
    locale: str | None = None
    time_zone: str | None = None


def person_create(
    *,
    organization: Organization,
    by: User,
    person: PersonInput,
    attributes: dict[str, Any] | None = None,
    **membership_fields: Any,
) -> Membership:
    """Add a person to the organisation: a new user, or an existing user (from another organisation)."""
    # The new person's place decides who may add them: an org-unit admin only within their subtree.
    policy.require(
        by,
        "people.manage",
        organization,
        Membership(organization=organization, org_unit=membership_fields.get("org_unit")),
    )
    email = User.objects.normalize_email(person.email.strip()).lower()
    with transaction.atomic():
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User(
                email=email,
                display_name=person.display_name.strip(),
                locale=person.locale or organization.default_language,
                time_zone=person.time_zone or organization.default_time_zone,
            )
            if person.password:
                from django.contrib.auth.password_validation import validate_password

                try:
                    validate_password(person.password, user)
                except ValidationError as exc:
                    raise ValidationError({"password": exc.messages}) from exc
                user.set_password(person.password)
            else:
                user.set_unusable_password()
            user.full_clean(exclude=["password"])
            user.save()
        elif Membership.objects.filter(organization=organization, user=user).exists():
            raise ValidationError({"email": [ALREADY_MEMBER.format(email=email)]})
        membership = Membership(organization=organization, user=user)
        _apply_membership_fields(membership, membership_fields)
        definitions = AttributeDefinition.objects.filter(organization=organization)
        membership.attributes = clean_attributes(definitions, attributes or {})
        membership.full_clean(exclude=["user", "organization", "manager"], validate_constraints=False)
        _save_membership(membership)
    emit(events.PersonCreated(organization.pk, membership.pk, user.pk, _actor_id(by)))
    return membership


def _snapshot(membership: Membership) -> dict[str, object]:
    data: dict[str, object] = {
        f"{name}_id": getattr(membership, f"{name}_id") for name in ("org_unit", "job_role", "location", "manager")
    }
    data.update(
        employee_id=membership.employee_id,
        hire_date=membership.hire_date.isoformat() if membership.hire_date else None,
        attributes=dict(membership.attributes),
        display_name=membership.user.display_name,
    )
    return data


def membership_update(
    *,
    membership: Membership,
    by: User,
    display_name: str | None = None,
    attributes: dict[str, Any] | None = None,
    **fields: Any,
) -> Membership:
    """Change a person's HR data. Needs people.manage over them where they are now and where they go."""
    organization = membership.organization
    policy.require(by, "people.manage", organization, membership)
    if "org_unit" in fields and fields["org_unit"] is not None:
        policy.require(
            by, "people.manage", organization, Membership(organization=organization, org_unit=fields["org_unit"])
        )
    before = _snapshot(membership)
    with transaction.atomic():
        _apply_membership_fields(membership, fields)
        if attributes is not None:
            definitions = list(AttributeDefinition.objects.filter(organization=organization))
            defined = {definition.key for definition in definitions}
            # Values of a definition deleted since are dropped, not reported: the person did not send them.
            kept = {key: value for key, value in membership.attributes.items() if key in defined}
            membership.attributes = clean_attributes(definitions, {**kept, **attributes})
        membership.full_clean(exclude=["user", "organization", "manager"], validate_constraints=False)
        _save_membership(membership)
        if display_name is not None and display_name.strip() != membership.user.display_name:
            membership.user.display_name = display_name.strip()
            membership.user.full_clean(exclude=["password"])
            membership.user.save(update_fields=["display_name"])
    after = _snapshot(membership)
    if after != before:
        emit(events.MembershipChanged(organization.pk, membership.pk, _actor_id(by), before, after))
    return membership


def _is_last_org_admin(membership: Membership) -> bool:
    admins = RoleAssignment.objects.filter(
        organization_id=membership.organization_id,
        role__organization__isnull=True,
        role__key="org_admin",
        scope="organization",
        membership__is_active=True,
    )
    return admins.filter(membership=membership).exists() and not admins.exclude(membership=membership).exists()


def membership_deactivate(*, membership: Membership, by: User) -> Membership:
    """Deactivate a person's membership: they can no longer act in this organisation; their records stay."""
    policy.require(by, "people.deactivate", membership.organization, membership)
    if membership.user_id == by.pk:
        raise ValidationError(CANNOT_DEACTIVATE_SELF)
    if _is_last_org_admin(membership):
        raise ValidationError(LAST_ORG_ADMIN)
    updated = Membership.objects.filter(pk=membership.pk, is_active=True).update(
        is_active=False, deactivated_at=clock.now()
    )
    membership.refresh_from_db()
    if updated:
        ApiToken.objects.filter(membership=membership, revoked_at__isnull=True).update(revoked_at=clock.now())
        emit(events.MembershipDeactivated(membership.organization_id, membership.pk, _actor_id(by)))
    return membership


def membership_reactivate(*, membership: Membership, by: User) -> Membership:
    policy.require(by, "people.deactivate", membership.organization, membership)
    updated = Membership.objects.filter(pk=membership.pk, is_active=False).update(is_active=True, deactivated_at=None)
    membership.refresh_from_db()
    if updated:
        emit(events.MembershipReactivated(membership.organization_id, membership.pk, _actor_id(by)))
    return membership


def profile_update(
    *, user: User, by: User, display_name: str | None = None, locale: str | None = None, time_zone: str | None = None
) -> User:
    """A person edits their own profile (name, language, time zone)."""
    if user.pk != by.pk:
        raise PermissionDenied(policy.NOT_ALLOWED)
    if display_name is not None:
        user.display_name = display_name.strip()
    if locale is not None:
        user.locale = locale
    if time_zone is not None:
        user.time_zone = time_zone
    user.full_clean(exclude=["password"])
    user.save(update_fields=["display_name", "locale", "time_zone"])
    return user


# --- API tokens -----------------------------------------------------------------------------------------

TOKEN_PREFIX_LENGTH = 8
TOKEN_ESCALATION = "You cannot create a token for someone who holds capabilities you do not hold."  # noqa: S105


def token_digest(key: str) -> str:
    # API keys are 256-bit random strings, so a fast hash is enough; a slow hash would only slow every request.
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_create(
    *, membership: Membership, by: User, name: str, expires_at: dt.datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a token for `membership`; returns the token and its key, which is shown once and never stored."""
    if not membership.is_active:
        raise PermissionDenied(policy.NOT_ALLOWED)
    if membership.user_id != by.pk:
        organization = membership.organization
        policy.require(by, "token.manage", organization)
        # A token acts as its holder: minting one for someone more powerful would be privilege escalation.
        actor = policy.principal_for(by, organization)
        holder = policy.principal_for(membership.user, organization)
        if not actor.is_platform_admin and not holder.capabilities <= actor.org_capabilities:
            raise PermissionDenied(TOKEN_ESCALATION)
    key = f"syl_{secrets.token_urlsafe(32)}"
    token = ApiToken(
        membership=membership,
        name=name.strip(),
        prefix=key[: TOKEN_PREFIX_LENGTH + 4],
        key_digest=token_digest(key),
        created_by=by,
        expires_at=expires_at,
    )
    token.full_clean()
    token.save()
    emit(events.ApiTokenCreated(membership.organization_id, token.pk, membership.pk, _actor_id(by)))
    return token, key


def api_token_revoke(*, token: ApiToken, by: User) -> ApiToken:
    membership = token.membership
    if membership.user_id != by.pk:
        policy.require(by, "token.manage", membership.organization)
    if token.revoked_at is None:
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=clock.now())
        token.refresh_from_db()
        emit(events.ApiTokenRevoked(membership.organization_id, token.pk, _actor_id(by)))
    return token


def api_token_authenticate(key: str) -> ApiToken | None:
    """The live token for `key`, or None. Marks it used (at most once a minute, to spare writes)."""
    token = (
        ApiToken.objects.select_related("membership__user", "membership__organization")
        .filter(key_digest=token_digest(key), revoked_at__isnull=True)
        .first()
    )
    now = clock.now()
    if token is None or (token.expires_at is not None and token.expires_at <= now):
        return None
    membership = token.membership
    if not membership.is_active or not membership.user.is_active or not membership.organization.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
