"""Reads for pages, API lists and reports, each with a constant number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

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

# The request attribute where CurrentOrganizationMiddleware leaves `acting_organization`'s count (up to 2): the
# menu's "Switch organisation" link then needs no query of its own.
ORGANIZATION_COUNT_ATTR = "acting_organization_count"


def organizations_for_user(*, user: User) -> QuerySet[Organization]:
    """Organisations the person may act in: active memberships, or every organisation for platform admins."""
    if user.is_platform_admin:
        return Organization.objects.all()
    return Organization.objects.filter(
        is_active=True, pk__in=Membership.objects.filter(user=user, is_active=True).values("organization_id")
    )


def organization_for_user(*, user: User, organization_id: int | None) -> Organization | None:
    """The organisation to act in: the chosen one if still allowed, else the only one there is."""
    return acting_organization(user=user, organization_id=organization_id)[0]


def acting_organization(*, user: User, organization_id: int | None) -> tuple[Organization | None, int | None]:
    """`organization_for_user`, and how many organisations the person may act in, up to 2 ("two or more"), when
    the same query told it (None for platform admins without a chosen organisation). One query: every page asks
    both (the menu offers to switch organisation to people who have two)."""
    organizations = organizations_for_user(user=user)
    if organization_id is not None:
        # The chosen organisation first, and one other if there is: the count comes with it.
        first_two = list(
            organizations.order_by(Case(When(pk=organization_id, then=Value(0)), default=Value(1)), "pk")[:2]
        )
        chosen = first_two[0] if first_two and first_two[0].pk == organization_id else None
        return chosen, len(first_two)
    if user.is_platform_admin:
        return None, None
    first_two = list(organizations[:2])
    return (first_two[0] if len(first_two) == 1 else None), len(first_two)


def organization_list(*, search: str = "") -> QuerySet[Organization]:
    active_members = (
        Membership.objects.filter(organization=OuterRef("pk"), is_active=True)
        .order_by()
        .values("organization")
        .annotate(count=Count("pk"))
        .values("count")
    )
    qs = Organization.objects.annotate(member_count=Coalesce(Subquery(active_members, output_field=IntegerField()), 0))
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(slug__icontains=search))
    return qs.order_by("name")


@dataclass(frozen=True)
class PeopleFilter:
    search: str = ""
    org_unit: OrgUnit | None = None
    include_sub_units: bool = True
    job_role: JobRole | None = None
    location: Location | None = None
    manager: Membership | None = None
    status: str = "active"  # active | inactive | all
    attributes: tuple[tuple[str, str], ...] = ()


def people_list(*, organization: Organization, visible: Q, filters: PeopleFilter | None = None) -> QuerySet[Membership]:
    """Memberships of the organisation that the caller may see (`visible` comes from access policy)."""
    filters = filters or PeopleFilter()
    qs = (
        Membership.objects.for_organization(organization)
        .filter(visible)
        .select_related("user", "org_unit", "job_role", "location", "manager__user")
    )
    if filters.status == "active":
        qs = qs.filter(is_active=True)
    elif filters.status == "inactive":
        qs = qs.filter(is_active=False)
    if filters.search:
        term = filters.search.strip()
        qs = qs.filter(
            Q(user__display_name__icontains=term) | Q(user__email__icontains=term) | Q(employee_id__iexact=term)
        )
    if filters.org_unit is not None:
        if filters.include_sub_units:
            qs = qs.filter(OrgUnit.subtree_q(filters.org_unit.path, prefix="org_unit__"))
        else:
            qs = qs.filter(org_unit=filters.org_unit)
    if filters.job_role is not None:
        qs = qs.filter(job_role=filters.job_role)
    if filters.location is not None:
        qs = qs.filter(location=filters.location)
    if filters.manager is not None:
        qs = qs.filter(manager=filters.manager)
    for key, value in filters.attributes:
        qs = qs.filter(**{f"attributes__{key}": _attribute_lookup_value(organization, key, value)})
    return qs.order_by("user__display_name", "pk")


def _attribute_lookup_value(organization: Organization, key: str, value: str) -> Any:
    definition = AttributeDefinition.objects.for_organization(organization).filter(key=key).first()
    if definition is not None and definition.type == AttributeDefinition.Type.NUMBER:
        try:
            number = float(value)
            return int(number) if number.is_integer() else number
        except ValueError:
            return value
    return value


def person_get(*, organization: Organization, membership_id: int, visible: Q) -> Membership | None:
    return (
        Membership.objects.for_organization(organization)
        .filter(visible, pk=membership_id)
        .select_related("user", "org_unit", "job_role", "location", "manager__user")
        .prefetch_related(
            # Only the reports the caller may see: a subtree admin must not learn about people beyond it.
            Prefetch(
                "direct_reports", queryset=Membership.objects.select_related("user").filter(visible, is_active=True)
            )
        )
        .first()
    )


@dataclass
class TreeNode:
    unit: OrgUnit
    member_count: int
    children: list[TreeNode]


def org_unit_list(
    *, organization: Organization, parent: OrgUnit | None = None, subtree_of: OrgUnit | None = None
) -> QuerySet[OrgUnit]:
    """Units in tree order with their active member count; `subtree_of` includes that unit itself."""
    qs = (
        OrgUnit.objects.for_organization(organization)
        .annotate(member_count=Count("members", filter=Q(members__is_active=True)))
        .order_by("path")
    )
    if parent is not None:
        qs = qs.filter(parent=parent)
    if subtree_of is not None:
        qs = qs.filter(OrgUnit.subtree_q(subtree_of.path))
    return qs


def org_unit_tree(*, organization: Organization) -> list[TreeNode]:
    """The whole tree in one query, assembled in memory."""
    nodes: dict[int, TreeNode] = {}
    roots: list[TreeNode] = []
    for unit in org_unit_list(organization=organization):
        node = TreeNode(unit=unit, member_count=unit.member_count, children=[])  # type: ignore[attr-defined]
        nodes[unit.pk] = node
        parent = nodes.get(unit.parent_id) if unit.parent_id else None
        (parent.children if parent else roots).append(node)
    for node in nodes.values():
        node.children.sort(key=lambda child: child.unit.name.lower())
    roots.sort(key=lambda child: child.unit.name.lower())
    return roots


def org_unit_choices(*, organization: Organization) -> list[tuple[int, str]]:
    """(id, indented name) pairs in tree order, for select boxes."""
    out: list[tuple[int, str]] = []

    def walk(nodes: list[TreeNode]) -> None:
        for node in nodes:
            out.append((node.unit.pk, "\u2014 " * node.unit.depth + node.unit.name))
            walk(node.children)

    walk(org_unit_tree(organization=organization))
    return out


def job_role_list(*, organization: Organization) -> QuerySet[JobRole]:
    # Explicit order: an aggregate query drops Meta.ordering.
    return (
        JobRole.objects.for_organization(organization)
        .annotate(member_count=Count("members", filter=Q(members__is_active=True)))
        .order_by("name", "pk")
    )


def location_list(*, organization: Organization) -> QuerySet[Location]:
    # Explicit order: an aggregate query drops Meta.ordering.
    return (
        Location.objects.for_organization(organization)
        .annotate(member_count=Count("members", filter=Q(members__is_active=True)))
        .order_by("name", "pk")
    )


def attribute_definition_list(*, organization: Organization) -> QuerySet[AttributeDefinition]:
    return AttributeDefinition.objects.for_organization(organization)


def api_token_list(*, organization: Organization, membership: Membership | None = None) -> QuerySet[ApiToken]:
    qs = ApiToken.objects.filter(membership__organization=organization).select_related("membership__user", "created_by")
    if membership is not None:
        qs = qs.filter(membership=membership)
    return qs


# --- reads for the admin pages ---------------------------------------------------------------------------


def people_managers(*, organization: Organization, visible: Q) -> QuerySet[Membership]:
    """Visible members who manage someone: the choices of the people list's manager filter."""
    managing = Membership.objects.for_organization(organization).filter(manager__isnull=False).values("manager_id")
    return (
        Membership.objects.for_organization(organization)
        .filter(visible, pk__in=managing)
        .select_related("user")
        .order_by("user__display_name", "pk")
    )


def member_search(*, organization: Organization, term: str, visible: Q, limit: int = 10) -> list[Membership]:
    """Active members the caller may see whose name or email contains `term`: suggestions for the manager picker."""
    term = term.strip()
    if not term:
        return []
    return list(
        Membership.objects.for_organization(organization)
        .filter(visible)
        .filter(Q(user__display_name__icontains=term) | Q(user__email__icontains=term), is_active=True)
        .select_related("user")
        .order_by("user__display_name", "pk")[:limit]
    )


def member_by_email(*, organization: Organization, email: str) -> Membership | None:
    """The active member of the organisation with this email, if any."""
    return (
        Membership.objects.for_organization(organization)
        .filter(user__email__iexact=email.strip(), is_active=True)
        .select_related("user")
        .first()
    )


def user_by_email(*, email: str) -> User | None:
    return User.objects.filter(email__iexact=email.strip()).first()


def api_token_get(
    *, organization: Organization, token_id: int, membership: Membership | None = None
) -> ApiToken | None:
    """One token of the organisation (of `membership` only, when given)."""
    return api_token_list(organization=organization, membership=membership).filter(pk=token_id).first()


# How far up a reporting line `nearest_manager_user_id` looks past managers who have left (and stops on a cycle).
MAX_LINE_STEPS = 20


def nearest_manager_user_id(membership: Membership) -> int | None:
    """The user id of the person's nearest active manager, walking up past managers who have left (None: nobody)."""
    seen = {membership.pk}
    current = membership.manager_id
    for _step in range(MAX_LINE_STEPS):
        if current is None or current in seen:
            return None
        seen.add(current)
        row = (
            Membership.objects.filter(pk=current, organization_id=membership.organization_id)
            .values_list("manager_id", "is_active", "user_id", "user__is_active")
            .first()
        )
        if row is None:
            return None
        manager_id, active, user_id, user_active = row
        if active and user_active:
            return int(user_id)
        current = manager_id
    return None
