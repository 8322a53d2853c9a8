"""Reads of audiences for pages, the API and other apps, each with a constant number of queries.

Other apps target people through audiences with `member_ids` (a subquery of membership ids, for filters such as
"courses visible to this person") and `audience_ids_of` ("which audiences is this person in?"), now or at a point
in time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce

from syllabus.access.policy import Principal
from syllabus.accounts.models import AttributeDefinition, JobRole, Location, Membership, Organization, OrgUnit
from syllabus.audiences import rules
from syllabus.audiences.models import Audience, AudienceMembership, AudienceReference

PREVIEW_SIZE = 20


def visible_people(principal: Principal) -> Q:
    """People whose names the caller may see in member lists: those they may view or manage (`Q()`: everyone).

    Holding `audience.view` shows an audience and its size; the names in it follow the people capabilities.
    """
    view_q, manage_q = principal.membership_q("people.view"), principal.membership_q("people.manage")
    # An empty Q means "everyone"; OR-ing it with another Q would keep only the other one.
    if not view_q or not manage_q:
        return Q()
    return view_q | manage_q


def audience_list(*, organization: Organization, search: str = "") -> QuerySet[Audience]:
    qs = Audience.objects.for_organization(organization)
    if search:
        qs = qs.filter(name__icontains=search.strip())
    return qs.order_by("name", "pk")


def audience_get(*, organization: Organization, audience_id: int) -> Audience | None:
    return Audience.objects.for_organization(organization).select_related("created_by").filter(pk=audience_id).first()


def _stays_at(when: dt.datetime | None) -> Q:
    if when is None:
        return Q(left_at__isnull=True)
    return Q(joined_at__lte=when) & (Q(left_at__isnull=True) | Q(left_at__gt=when))


def member_ids(audience: Audience | int, *, at: dt.datetime | None = None) -> QuerySet[AudienceMembership, Any]:
    """Membership ids in the audience now (or at `at`), as a subquery: `Membership.objects.filter(pk__in=...)`."""
    return AudienceMembership.objects.filter(_stays_at(at), audience=audience).values("membership_id")


def is_member(*, audience: Audience | int, membership: Membership | int, at: dt.datetime | None = None) -> bool:
    return AudienceMembership.objects.filter(_stays_at(at), audience=audience, membership=membership).exists()


def audience_ids_of(
    *, membership: Membership | int, at: dt.datetime | None = None
) -> QuerySet[AudienceMembership, Any]:
    """Ids of the audiences the person is in now (or at `at`), as a subquery: `Audience...filter(pk__in=...)`."""
    return AudienceMembership.objects.filter(_stays_at(at), membership=membership).values("audience_id")


def _visible(qs: QuerySet[AudienceMembership], visible: Q) -> QuerySet[AudienceMembership]:
    # An empty Q means the caller sees everyone: no subquery then.
    return qs.filter(membership__in=Membership.objects.filter(visible).values("pk")) if visible else qs


_PERSON = ("membership__user", "membership__org_unit", "membership__job_role", "membership__location")


def members(*, audience: Audience, visible: Q, at: dt.datetime | None = None) -> QuerySet[AudienceMembership]:
    """The stays of the people in the audience now (or at `at`) whom the caller may see, by name.

    `visible` is a filter on Membership from access policy (`Q()` for everyone).
    """
    qs = AudienceMembership.objects.filter(_stays_at(at), audience=audience).select_related(*_PERSON)
    return _visible(qs, visible).order_by("membership__user__display_name", "membership_id")


def member_count(*, audience: Audience, at: dt.datetime | None = None) -> int:
    """How many people are in the audience now (the stored count) or were at `at` (one COUNT)."""
    if at is None:
        return audience.member_count
    return AudienceMembership.objects.filter(_stays_at(at), audience=audience).count()


def history(*, audience: Audience, visible: Q) -> QuerySet[AudienceMembership]:
    """Every stay, the most recent change (a join or a leave) first."""
    qs = AudienceMembership.objects.filter(audience=audience).select_related("membership__user")
    return _visible(qs, visible).order_by(Coalesce("left_at", "joined_at").desc(), "-pk")


@dataclass(frozen=True)
class Preview:
    count: int
    sample: list[Membership]  # the first PREVIEW_SIZE matching people the caller may see, by name
    tree: dict[str, Any]  # the rule as validated
    described: rules.Described


def preview(*, organization: Organization, rules_tree: Any, visible: Q, audience_id: int | None = None) -> Preview:
    """Who a rule would match now, before saving it. Raises ValidationError (naming paths) for a bad rule."""
    cleaned = rules.validate(rules_tree, organization=organization, audience_id=audience_id)
    matching = rules.matching_memberships(cleaned.tree, organization=organization)
    sample = (
        matching.filter(visible)
        .select_related("user", "org_unit", "job_role", "location")
        .order_by("user__display_name", "pk")[:PREVIEW_SIZE]
    )
    return Preview(
        count=matching.count(),
        sample=list(sample),
        tree=cleaned.tree,
        described=rules.describe(cleaned.tree, organization=organization),
    )


def audiences_including(*, audience: Audience) -> QuerySet[Audience]:
    """The audiences whose rules include this one (directly)."""
    return Audience.objects.filter(
        pk__in=AudienceReference.objects.filter(target=audience).values("source_id")
    ).order_by("name")


def builder_options(*, organization: Organization, exclude_audience_id: int | None = None) -> dict[str, Any]:
    """What the rule builder offers to pick from, in five queries."""
    definitions = AttributeDefinition.objects.for_organization(organization).order_by("label")
    audiences = Audience.objects.for_organization(organization).order_by("name")
    if exclude_audience_id is not None:
        audiences = audiences.exclude(pk=exclude_audience_id)
    return {
        "units": [
            {"id": pk, "name": name, "depth": depth}
            for pk, name, depth in OrgUnit.objects.for_organization(organization)
            .order_by("path")
            .values_list("pk", "name", "depth")
        ],
        "jobRoles": [
            {"id": pk, "name": name}
            for pk, name in JobRole.objects.for_organization(organization).order_by("name").values_list("pk", "name")
        ],
        "locations": [
            {"id": pk, "name": name}
            for pk, name in Location.objects.for_organization(organization).order_by("name").values_list("pk", "name")
        ],
        "attributes": [
            {
                "key": d.key,
                "label": d.label,
                "type": d.type,
                "choices": list(d.choices),
                "ops": list(rules.OPERATORS[d.type]),
            }
            for d in definitions
        ],
        "audiences": [{"id": pk, "name": name} for pk, name in audiences.values_list("pk", "name")],
    }
