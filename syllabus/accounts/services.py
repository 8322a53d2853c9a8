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

from django.conf import settings
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
from syllabus.accounts.security.two_factor import required_roles_clean
from syllabus.core import clock
from syllabus.core.events import emit

ORG_UNIT_CYCLE = "An org unit cannot be moved under itself or one of its own sub-units."
ORG_UNIT_OTHER_ORG = "That parent org unit belongs to another organisation."
ORG_UNIT_HAS_ROLES = "{count} role assignments are scoped to this org unit; remove them first."
ORG_UNIT_NOT_EMPTY = "Move or delete its {children} sub-units and {members} people first."
MANAGER_CYCLE = "A person cannot report to themselves or to someone who reports to them."
MANAGER_OTHER_ORG = "The manager must be a member of the same organisation."
ALREADY_MEMBER = "{email} is already a member of this organisation."
EMPLOYEE_ID_TAKEN = "Employee id {employee_id!r} is already used by someone else in this organisation."
NOT_IN_ORGANIZATION = "{field} belongs to another organisation."
NEEDS_ORG_WIDE = "Only people who manage people across the whole organisation may do this."
NAME_NOT_OURS = "This person also belongs to other organisations; only they can change their name (on their profile)."
UNKNOWN_LOCALE = "Unknown language {locale!r}."
OUTRANKS_YOU = "This person holds capabilities you do not hold; ask someone who does."
TOKEN_FOR_OTHERS = "API tokens act as the person they belong to: people create their own."  # noqa: S105
CANNOT_DEACTIVATE_SELF = "You cannot deactivate your own membership."
LAST_ORG_ADMIN = "This is the organisation's last active org admin; make someone else org admin first."
CHOICES_REQUIRED = "A choice attribute needs at least one choice."
TYPE_CHANGE_IN_USE = "The type cannot change while people have values for this attribute."
NAME_TAKEN = "That name is already used in this organisation."
KEY_TAKEN = "That key is already used in this organisation."
SLUG_TAKEN = "That short name is already used by another organisation."

ORGANIZATION_FIELDS = (
    "name",
    "primary_color",
    "accent_color",
    "default_language",
    "default_time_zone",
    "two_factor_required_roles",
)
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
    if "two_factor_required_roles" in changes:
        # Role keys of this organisation (built-in or its custom roles) whose holders must use two-factor sign-in.
        changes["two_factor_required_roles"] = required_roles_clean(
            organization=organization, keys=changes["two_factor_required_roles"]
        )
    for field, value in changes.items():
        setattr(organization, field, value.strip() if isinstance(value, str) else value)
    changed = list(changes)
    # Validate everything before touching files, so a refused change leaves the stored logo as it was.
    cleaned_logo = clean_logo(logo) if logo is not None else None
    organization.full_clean(exclude=["slug", "logo"])
    old_logo = organization.logo.name if organization.logo else ""
    storage = organization.logo.storage
    with transaction.atomic():
        if cleaned_logo is not None:
            organization.logo.save(cleaned_logo.name or "logo.png", cleaned_logo, save=False)
            changed.append("logo")
        elif remove_logo and old_logo:
            organization.logo = None  # type: ignore[assignment]
            changed.append("logo")
        organization.save()
        if old_logo and "logo" in changed:
            transaction.on_commit(lambda: storage.delete(old_logo))
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
        if parent is not None:
            # The parent may have moved since the caller loaded it: build the path from the locked, current row.
            parent = OrgUnit.objects.select_for_update().get(pk=parent.pk)
            unit.parent = parent
        unit.save()
        # The path holds the row's own id, so it is set once the id exists.
        unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
        unit.depth = parent.depth + 1 if parent else 0
        OrgUnit.objects.filter(pk=unit.pk).update(path=unit.path, depth=unit.depth)
    emit(events.OrgUnitChanged(organization.pk, unit.pk, "created", _actor_id(by)))
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
    emit(events.OrgUnitChanged(organization.pk, unit.pk, "updated", _actor_id(by)))
    return unit


def _org_unit_move(*, unit: OrgUnit, parent: OrgUnit | None, by: User) -> None:
    # Two crossing moves must not both pass the cycle check on stale paths: re-read both rows under lock.
    locked = {u.pk: u for u in OrgUnit.objects.select_for_update().filter(pk__in=[unit.pk, getattr(parent, "pk", 0)])}
    unit.path, unit.depth = locked[unit.pk].path, locked[unit.pk].depth
    if parent is not None:
        parent = locked[parent.pk]
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
    # Deleting would silently cascade to role assignments scoped to this unit: make the admin remove them.
    scoped = RoleAssignment.objects.filter(org_unit=unit).count()
    if scoped:
        raise ValidationError(ORG_UNIT_HAS_ROLES.format(count=scoped))
    organization_id, unit_id = unit.organization_id, unit.pk
    unit.delete()
    emit(events.OrgUnitChanged(organization_id, unit_id, "deleted", _actor_id(by)))


# --- job roles, locations -------------------------------------------------------------------------------


def _reference_event(organization: Organization, kind: str, object_id: int, action: str, by: User) -> None:
    emit(events.ReferenceDataChanged(organization.pk, kind, object_id, action, _actor_id(by)))


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
    created = job_role.pk is None
    _save_unique(job_role, NAME_TAKEN, "name")
    _reference_event(organization, "job_role", job_role.pk, "created" if created else "updated", by)
    return job_role


def job_role_delete(*, job_role: JobRole, by: User) -> None:
    policy.require(by, "job_role.manage", job_role.organization)
    organization, pk = job_role.organization, job_role.pk
    job_role.delete()
    _reference_event(organization, "job_role", pk, "deleted", by)


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
    created = location.pk is None
    _save_unique(location, NAME_TAKEN, "name")
    _reference_event(organization, "location", location.pk, "created" if created else "updated", by)
    return location


def location_delete(*, location: Location, by: User) -> None:
    policy.require(by, "location.manage", location.organization)
    organization, pk = location.organization, location.pk
    location.delete()
    _reference_event(organization, "location", pk, "deleted", by)


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
    created = definition.pk is None
    _save_unique(definition, KEY_TAKEN, "key")
    _reference_event(organization, "attribute", definition.pk, "created" if created else "updated", by)
    return definition


def attribute_definition_delete(*, definition: AttributeDefinition, by: User) -> None:
    """Delete a definition and every stored value of it, so a later definition with the same key starts clean."""
    organization, key, pk = definition.organization, definition.key, definition.pk
    policy.require(by, "attribute.manage", organization)
    with transaction.atomic():
        holders = list(Membership.objects.filter(organization=organization, attributes__has_key=key).only("attributes"))
        for membership in holders:
            membership.attributes.pop(key, None)
        Membership.objects.bulk_update(holders, ["attributes"], batch_size=1000)
        definition.delete()
    _reference_event(organization, "attribute", pk, "deleted", by)


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
    taken = ValidationError({"employee_id": [EMPLOYEE_ID_TAKEN.format(employee_id=membership.employee_id)]})
    if membership.employee_id:
        clash = Membership.objects.filter(
            organization_id=membership.organization_id, employee_id=membership.employee_id
        )
        if clash.exclude(pk=membership.pk).exists():
            raise taken
    try:
        with transaction.atomic():
            membership.save()
    except IntegrityError as exc:
        # Only a concurrent write can get here (the check above ran first); the employee id is the likely clash.
        raise taken from exc


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
    if membership_fields.get("manager") is not None:
        _require_org_wide(by, organization, "people.manage")
    _check_locale(person.locale)
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
    if "org_unit" in fields and fields["org_unit"] != membership.org_unit:
        # Where they go counts too; "no org unit" is organisation level, beyond any subtree admin.
        if fields["org_unit"] is None:
            _require_org_wide(by, organization, "people.manage")
        else:
            policy.require(
                by, "people.manage", organization, Membership(organization=organization, org_unit=fields["org_unit"])
            )
    if "manager" in fields and fields["manager"] != membership.manager:
        # A manager gains team capabilities over the whole reporting line, which may reach beyond a subtree admin's
        # own units: only organisation-wide people admins set managers.
        _require_org_wide(by, organization, "people.manage")
    if display_name is not None and display_name.strip() != membership.user.display_name:
        _check_name_is_ours(membership)
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


def _require_org_wide(by: User, organization: Organization, capability: str) -> None:
    if not policy.principal_for(by, organization).holds_org_wide(capability):
        raise PermissionDenied(NEEDS_ORG_WIDE)


def _check_name_is_ours(membership: Membership) -> None:
    """The name lives on the global User: an organisation may change it only for people who belong to it alone."""
    user = membership.user
    others = Membership.objects.filter(user=user).exclude(organization_id=membership.organization_id).exists()
    if others or user.is_platform_admin:
        raise ValidationError({"display_name": [NAME_NOT_OURS]})


def _check_locale(locale: str | None) -> None:
    if locale and locale not in dict(settings.LANGUAGES):
        raise ValidationError({"locale": [UNKNOWN_LOCALE.format(locale=locale)]})


def _require_covers(by: User, membership: Membership) -> None:
    organization = membership.organization
    if not policy.principal_for(by, organization).covers(membership):
        raise PermissionDenied(OUTRANKS_YOU)


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
    _require_covers(by, membership)
    with transaction.atomic():
        # Lock the org-wide admin assignments so two admins deactivating each other cannot both pass the check.
        list(
            RoleAssignment.objects.select_for_update(of=("self",)).filter(
                organization_id=membership.organization_id, role__key="org_admin", scope="organization"
            )
        )
        if _is_last_org_admin(membership):
            raise ValidationError(LAST_ORG_ADMIN)
        updated = Membership.objects.filter(pk=membership.pk, is_active=True).update(
            is_active=False, deactivated_at=clock.now()
        )
        if updated:
            ApiToken.objects.filter(membership=membership, revoked_at__isnull=True).update(revoked_at=clock.now())
    membership.refresh_from_db()
    if updated:
        emit(events.MembershipDeactivated(membership.organization_id, membership.pk, _actor_id(by)))
    return membership


def membership_reactivate(*, membership: Membership, by: User) -> Membership:
    policy.require(by, "people.deactivate", membership.organization, membership)
    _require_covers(by, membership)
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
        _check_locale(locale)
        user.locale = locale
    if time_zone is not None:
        user.time_zone = time_zone
    user.full_clean(exclude=["password"])
    user.save(update_fields=["display_name", "locale", "time_zone"])
    changed = tuple(
        name
        for name, value in (("display_name", display_name), ("locale", locale), ("time_zone", time_zone))
        if value is not None
    )
    emit(events.ProfileChanged(user.pk, _actor_id(by), changed))
    return user


# --- API tokens -----------------------------------------------------------------------------------------

TOKEN_PREFIX_LENGTH = 8


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
        # A token for someone else would let its creator act as them (and as whatever they are elsewhere).
        raise PermissionDenied(TOKEN_FOR_OTHERS)
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
