"""The one answer to "may this person do X here?" and "which rows may they see?".

`principal_for(user, organization)` gathers a person's grants in an organisation with two queries and caches
them on the user object, which Django builds afresh for each request: the cache lives exactly one request.
Views, the API, services and selectors all ask through `can`, `require` and `scope_q`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import BooleanField, Exists, F, Func, OuterRef, Q, Value
from django.db.models.expressions import RawSQL

from syllabus.access.capabilities import BY_CODE, TEAM_CAPABILITIES
from syllabus.access.models import RoleAssignment
from syllabus.accounts.models import Membership, Organization, OrgUnit, User

NOT_ALLOWED = "You do not have permission to do this."
_CACHE_ATTR = "_syllabus_principals"

# Object rules: how a capability reaches one object beyond organisation-wide grants (a person's role on one
# course, say). Apps register a rule for their model in AppConfig.ready(); `Principal.can` asks it after the
# tenant check and the organisation-wide grants, so a rule can only widen access within the organisation.
ObjectRule = Callable[["Principal", str, Any], bool]
_object_rules: dict[type, ObjectRule] = {}


def register_object_rule(model: type, rule: ObjectRule) -> None:
    _object_rules[model] = rule


# Up to this many people of a reporting line already read in this request are filtered on as a list of ids; a
# longer line (or one not read yet) is filtered on with the recursive subquery. The list costs a few index probes
# in every query that uses it instead of walking the tree again; SQLite caps the number of bound parameters.
LINE_IDS_INLINE = 5000


def _line_ids_inline_limit() -> int:
    cap = connection.features.max_query_params
    return LINE_IDS_INLINE if cap is None else min(LINE_IDS_INLINE, cap // 2)


class _EqualsAny(Func):
    """`column = ANY(%s::bigint[])`: the column among the ids of one array parameter (PostgreSQL)."""

    arity = 2
    arg_joiner = " = ANY("
    template = "%(expressions)s::bigint[])"
    output_field = BooleanField()


def _pk_among(column: str, ids: list[int]) -> Q:
    """A filter for "`column` is one of these ids". On PostgreSQL one array parameter: Django prepares every value
    of an IN list on its own (15 ms for 2,000 ids in each query that uses it); `= ANY(array)` rather than
    `IN (SELECT unnest(array))` lets the planner walk the primary key index in id order instead of hashing the
    unnested ids first (~2 ms less for 2,000 ids)."""
    if connection.vendor == "postgresql":
        return Q(_EqualsAny(F(column), Value(ids)))
    return Q(**{f"{column}__in": ids})


def _reporting_line_sql() -> str:
    """Everyone below a manager (the manager's id is bound three times: `_reporting_line_params`).

    The walk starts from the manager's own row, found by primary key: the planner then expects a handful of rows
    per level and probes the manager index level by level (a few ms for a line of 2,000 people). Started from
    "WHERE manager_id = ..." it expected tens of thousands and hashed the whole membership table at every call
    (60 ms at 100,000 people, plus JIT compilation). UNION (not UNION ALL) stops at rows already seen, so a manager
    cycle in HR data cannot loop forever; the manager is in their own line only through such a cycle, as before.
    The table name comes from model metadata and the ids are bound parameters: nothing user-supplied.
    """
    table = connection.ops.quote_name(Membership._meta.db_table)
    sql = (
        "WITH RECURSIVE line(id) AS ("
        "SELECT id FROM {t} WHERE id = %s"
        " UNION SELECT m.id FROM {t} m JOIN line ON m.manager_id = line.id"
        ") SELECT id FROM line WHERE id <> %s"
        " OR EXISTS (SELECT 1 FROM {t} me WHERE me.id = %s AND me.manager_id IN (SELECT id FROM line))"
    )
    return sql.format(t=table)


def _reporting_line_params(manager_id: int) -> list[int]:
    return [manager_id, manager_id, manager_id]


@dataclass
class Principal:
    user: User
    organization: Organization | None
    membership: Membership | None
    org_capabilities: frozenset[str] = frozenset()
    # org-unit path -> capabilities granted over that subtree
    unit_capabilities: dict[str, frozenset[str]] = field(default_factory=dict)

    @property
    def is_platform_admin(self) -> bool:
        return bool(self.user.is_authenticated and self.user.is_active and self.user.is_platform_admin)

    @property
    def is_member(self) -> bool:
        return self.membership is not None and self.membership.is_active

    @cached_property
    def has_reports(self) -> bool:
        if not self.is_member:
            return False
        if "reporting_line_ids" in self.__dict__:
            # Read already in this request: the line is empty exactly when nobody reports to this person.
            return bool(self.reporting_line_ids)
        assert self.membership is not None
        return Membership.objects.filter(manager=self.membership).exists()

    @cached_property
    def reporting_line_ids(self) -> frozenset[int]:
        # Asked first, the line answers `has_reports` too (one query instead of two for a manager).
        if not self.is_member or ("has_reports" in self.__dict__ and not self.has_reports):
            return frozenset()
        assert self.membership is not None
        with connection.cursor() as cursor:
            cursor.execute(_reporting_line_sql(), _reporting_line_params(self.membership.pk))
            return frozenset(row[0] for row in cursor.fetchall())

    @property
    def capabilities(self) -> frozenset[str]:
        """Every capability held somewhere (org-wide, in a subtree, or over the reporting line)."""
        if self.is_platform_admin:
            return frozenset(BY_CODE)
        caps = set(self.org_capabilities)
        for unit_caps in self.unit_capabilities.values():
            caps |= unit_caps
        if self.has_reports:
            caps |= TEAM_CAPABILITIES
        return frozenset(caps)

    def can(self, capability: str, obj: Any = None) -> bool:
        if capability not in BY_CODE:
            raise ValueError(f"Unknown capability {capability!r}")
        if self.is_platform_admin:
            return True
        if not self.is_member:
            return False
        if obj is not None and getattr(obj, "organization_id", None) != getattr(self.organization, "pk", None):
            # Another tenant's object: no grant of this organisation reaches it.
            return False
        if capability in self.org_capabilities:
            return True
        if obj is None:
            return capability in self.capabilities
        if isinstance(obj, Membership):
            if capability in TEAM_CAPABILITIES and obj.pk in self.reporting_line_ids:
                return True
            return self._unit_grants(capability, obj.org_unit.path if obj.org_unit_id and obj.org_unit else None)
        if isinstance(obj, OrgUnit):
            return self._unit_grants(capability, obj.path)
        rule = _object_rules.get(type(obj))
        return rule(self, capability, obj) if rule is not None else False

    def _unit_grants(self, capability: str, path: str | None) -> bool:
        if not path:
            return False
        return any(
            capability in caps and path.startswith(unit_path) for unit_path, caps in self.unit_capabilities.items()
        )

    def holds_org_wide(self, capability: str) -> bool:
        """True when the capability reaches the whole organisation (not only a subtree or a team)."""
        return self.is_platform_admin or (self.is_member and capability in self.org_capabilities)

    def covers(self, membership: Membership) -> bool:
        """True when this person holds, organisation-wide, every capability `membership` is granted here.

        Acting on someone more powerful (deactivating or reactivating them) would be privilege escalation. The
        target's grants are counted whether or not their membership is active.
        """
        if self.is_platform_admin:
            return True
        if membership.user.is_platform_admin:
            return False
        return self.is_member and granted_capabilities(membership) <= self.org_capabilities

    def require(self, capability: str, obj: Any = None) -> None:
        if not self.can(capability, obj):
            raise PermissionDenied(NOT_ALLOWED)

    def membership_q(self, capability: str, prefix: str = "") -> Q:
        """A filter on Membership (or on rows reaching one through `prefix`, e.g. "membership__")."""
        if self.is_platform_admin or (self.is_member and capability in self.org_capabilities):
            return Q()
        if not self.is_member:
            return Q(pk__in=[])
        q = Q(pk__in=[])
        for unit_path, caps in self.unit_capabilities.items():
            if capability in caps:
                q |= OrgUnit.subtree_q(unit_path, prefix=f"{prefix}org_unit__")
        if capability in TEAM_CAPABILITIES and self.has_reports:
            assert self.membership is not None
            known = self.__dict__.get("reporting_line_ids")  # read already in this request (cached_property)
            if known is not None and len(known) <= _line_ids_inline_limit():
                q |= _pk_among(f"{prefix}pk", sorted(known))
            else:
                params = _reporting_line_params(self.membership.pk)
                line = RawSQL(_reporting_line_sql(), params)  # noqa: S611 (no user input, see above)
                q |= Q(**{f"{prefix}pk__in": line})
        return q


def principal_for(user: User | Any, organization: Organization | None) -> Principal:
    """The person's grants in `organization`, cached for the life of this user object (one request)."""
    org_key = organization.pk if organization is not None else None
    cache: dict[Any, Principal] = getattr(user, _CACHE_ATTR, None) or {}
    if org_key in cache:
        return cache[org_key]
    membership = None
    org_caps: set[str] = set()
    unit_caps: dict[str, set[str]] = {}
    if organization is not None and getattr(user, "is_authenticated", False) and user.is_active:
        membership = (
            Membership.objects.filter(organization=organization, user=user, is_active=True)
            .select_related("org_unit", "job_role", "location")
            # Whether anyone reports to them, read with the membership: every page's menu asks (`has_reports`),
            # and a query of its own cost a round trip on each.
            .annotate(has_reports=Exists(Membership.objects.filter(manager=OuterRef("pk"))))
            # One membership per person and organisation: by id, not the model's order by name (a join on users).
            .order_by("pk")
            .first()
        )
        if membership is not None:
            assignments = RoleAssignment.objects.filter(membership=membership).select_related("role", "org_unit")
            for assignment in assignments:
                caps = assignment.role.capabilities
                if assignment.scope == RoleAssignment.Scope.ORGANIZATION:
                    org_caps |= caps
                elif assignment.org_unit is not None:
                    allowed = {c for c in caps if "org_unit" in BY_CODE[c].scopes}
                    unit_caps.setdefault(assignment.org_unit.path, set()).update(allowed)
    principal = Principal(
        user=user,
        organization=organization,
        membership=membership,
        org_capabilities=frozenset(org_caps),
        unit_capabilities={path: frozenset(caps) for path, caps in unit_caps.items()},
    )
    if membership is not None:
        principal.__dict__["has_reports"] = bool(membership.has_reports)  # type: ignore[attr-defined]  # cached_property
    cache[org_key] = principal
    if getattr(user, "is_authenticated", False):
        setattr(user, _CACHE_ATTR, cache)
    return principal


def granted_capabilities(membership: Membership) -> frozenset[str]:
    """Everything a membership's role assignments grant (any scope), plus team capabilities if they manage anyone."""
    caps: set[str] = set()
    for assignment in RoleAssignment.objects.filter(membership=membership).select_related("role"):
        caps |= assignment.role.capabilities
    if Membership.objects.filter(manager=membership).exists():
        caps |= TEAM_CAPABILITIES
    return frozenset(caps)


def forget(user: User | Any) -> None:
    """Drop cached grants after a change to this person's roles or membership within the request."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def can(user: User | Any, capability: str, organization: Organization | None, obj: Any = None) -> bool:
    return principal_for(user, organization).can(capability, obj)


def require(user: User | Any, capability: str, organization: Organization | None, obj: Any = None) -> None:
    principal_for(user, organization).require(capability, obj)
