"""Reads of certificates and awards for pages, the API and exports, each with a constant number of queries.

Every read of other people's certificates goes through `policy.visible_q`: a manager sees their scope, officers
and auditors everyone, a person always their own. The status a reader sees ("expired" included) is derived from
the stored state and `expires_at` at the moment asked (`Certificate.status_on`), so the filters here derive it the
same way in SQL.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from syllabus.access.policy import Principal
from syllabus.accounts.models import Membership, Organization, OrgUnit
from syllabus.certificates import policy
from syllabus.certificates.models import EXPIRED, Award, Certificate
from syllabus.core import clock

# The status filter's choices: the four statuses the verification page says, plus "expiring within N days".
EXPIRING = "expiring"
STATUS_FILTERS = ("valid", EXPIRED, "superseded", "revoked", EXPIRING)
EXPIRING_DAYS_DEFAULT = 30
EXPIRING_DAYS_MAX = 3650
SEARCH_MAX = 100

# What a list row shows: the person, their unit, and what earned the certificate, joined in the one query.
ROW_RELATED = ("membership__user", "membership__org_unit", "award", "course", "program")


@dataclass(frozen=True)
class CertificateFilters:
    """What a list of certificates is narrowed to. Blank or None: no filter on that."""

    status: str = ""
    expiring_within_days: int = EXPIRING_DAYS_DEFAULT  # with status "expiring"
    award_id: int | None = None
    course_id: int | None = None
    program_id: int | None = None
    search: str = ""  # part of the holder's name or email
    org_unit_path: str = ""  # the holder's org unit and everything below it
    membership_id: int | None = None


def status_q(status: str, *, now: dt.datetime, expiring_within_days: int = EXPIRING_DAYS_DEFAULT) -> Q:
    """The certificates whose status at `now` is `status` (as `Certificate.status_on` says it)."""
    valid = Q(state=Certificate.State.VALID)
    if status == "valid":
        return valid & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    if status == EXPIRED:
        return valid & Q(expires_at__lte=now)
    if status == EXPIRING:
        until = now + dt.timedelta(days=max(1, min(expiring_within_days, EXPIRING_DAYS_MAX)))
        return valid & Q(expires_at__gt=now, expires_at__lte=until)
    if status in (Certificate.State.SUPERSEDED, Certificate.State.REVOKED):
        return Q(state=status)
    return Q()


def certificate_list(
    *, principal: Principal, filters: CertificateFilters | None = None, now: dt.datetime | None = None
) -> QuerySet[Certificate]:
    """The certificates of the principal's organisation they may see, filtered, newest first, with the holder,
    their unit and what earned each one joined (a page of rows costs one query)."""
    organization = principal.organization
    if organization is None:
        return Certificate.objects.none()
    wanted = filters or CertificateFilters()
    moment = now or clock.now()
    qs = Certificate.objects.filter(organization=organization).filter(policy.visible_q(principal))
    if wanted.status:
        qs = qs.filter(status_q(wanted.status, now=moment, expiring_within_days=wanted.expiring_within_days))
    if wanted.award_id is not None:
        qs = qs.filter(award_id=wanted.award_id)
    if wanted.course_id is not None:
        qs = qs.filter(course_id=wanted.course_id)
    if wanted.program_id is not None:
        qs = qs.filter(program_id=wanted.program_id)
    if wanted.membership_id is not None:
        qs = qs.filter(membership_id=wanted.membership_id)
    if wanted.org_unit_path:
        qs = qs.filter(OrgUnit.subtree_q(wanted.org_unit_path, prefix="membership__org_unit__"))
    text = wanted.search.strip()[:SEARCH_MAX]
    if text:
        qs = qs.filter(Q(membership__user__display_name__icontains=text) | Q(membership__user__email__icontains=text))
    return qs.select_related(*ROW_RELATED).order_by("-issued_at", "-pk")


def certificate_get(*, principal: Principal, public_id: uuid.UUID | str) -> Certificate | None:
    """One certificate by its public id, when the principal may see it (None otherwise: the caller answers 404,
    so nobody learns whether an id they may not see exists)."""
    organization = principal.organization
    if organization is None:
        return None
    try:
        key = public_id if isinstance(public_id, uuid.UUID) else uuid.UUID(str(public_id))
    except ValueError:
        return None
    certificate = (
        Certificate.objects.filter(organization=organization, public_id=key)
        .select_related(
            *ROW_RELATED,
            "organization",
            "completion",
            "superseded_by",
            "revoked_by",
            "signing_key",
            "template",
        )
        .first()
    )
    if certificate is None or not policy.can_see(principal, certificate):
        return None
    return certificate


def certificates_of(membership: Membership) -> QuerySet[Certificate]:
    """A person's own certificates, newest first (the holder's pages and their dashboard)."""
    return (
        Certificate.objects.filter(organization_id=membership.organization_id, membership=membership)
        .select_related("award", "course", "program", "superseded_by")
        .order_by("-issued_at", "-pk")
    )


def award_list(*, organization: Organization) -> QuerySet[Award]:
    """The organisation's awards with what earns each and how many certificates it issued (one query)."""
    return (
        Award.objects.filter(organization=organization)
        .select_related("course", "program", "template")
        .annotate(issued_count=Count("certificates"))
        .order_by("pk")
    )


def award_get(*, organization: Organization, pk: int) -> Award | None:
    return (
        Award.objects.filter(organization=organization, pk=pk)
        .select_related("course", "program", "template", "organization")
        .annotate(issued_count=Count("certificates"))
        .first()
    )


def units_for(principal: Principal) -> QuerySet[OrgUnit]:
    """The org units a filter offers: the whole tree to those who see everyone, else the units of the people whose
    certificates the principal may see (a manager picks among their own people's units)."""
    units = OrgUnit.objects.filter(organization=principal.organization)
    if not policy.sees_everyone(principal):
        seen = Certificate.objects.filter(organization=principal.organization).filter(policy.visible_q(principal))
        units = units.filter(pk__in=seen.values("membership__org_unit_id"))
    return units.only("pk", "name", "path").order_by("path")
