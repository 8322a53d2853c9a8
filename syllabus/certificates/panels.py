"""Certificates on the learner's pages of progress, through the registry in `syllabus.web.panels` (progress may not
import certificates):

- the dashboard's "Certificates" block: the person's three latest certificates that are valid today, with
  "Expires in N days" on those expiring within `EXPIRING_DAYS`, and a link to all of them (`certificates:mine`).
  One query; nothing is shown to someone who holds no valid certificate.
- the transcript's "Certificate" link beside each completion that earned one (a course certificate, or the
  program certificate of the cycle that completion satisfied), with its status when it is no longer valid.
  One query for the whole page, and only certificates the viewer may see (a manager reading a transcript).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Case, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext

from syllabus.access.policy import Principal
from syllabus.accounts.models import Membership, Organization
from syllabus.certificates import notifying, policy
from syllabus.certificates.models import STATUS_LABELS, Certificate, Source, organization_zone
from syllabus.core import clock
from syllabus.web import panels

DASHBOARD_SIZE = 3
# A valid certificate expiring within this many days says so on the dashboard.
EXPIRING_DAYS = 30


@dataclass(frozen=True)
class DashboardCertificate:
    title: str
    url: str
    issued_at: dt.datetime
    expires_at: dt.datetime | None
    valid_until: dt.date | None  # the last valid day in the organisation's time zone, what the PDF prints
    days_left: int | None  # set when it expires within EXPIRING_DAYS


def _mine_url() -> str:
    try:
        return reverse("certificates:mine")
    except NoReverseMatch:
        return ""


def dashboard_certificates(
    membership: Membership, now: dt.datetime, zone: zoneinfo.ZoneInfo | None = None
) -> list[DashboardCertificate]:
    """The person's latest certificates valid at `now` (one query; `zone`: the organisation's, when the caller
    has the organisation at hand)."""
    zone = zone or organization_zone(membership.organization)
    rows = (
        Certificate.objects.filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now),
            organization_id=membership.organization_id,
            membership=membership,
            state=Certificate.State.VALID,
        )
        .order_by("-issued_at", "-pk")
        .only("public_id", "title", "issued_at", "expires_at")[:DASHBOARD_SIZE]
    )
    items = []
    for row in rows:
        left = None
        if row.expires_at is not None and row.expires_at - now <= dt.timedelta(days=EXPIRING_DAYS):
            left = max((row.expires_at - now).days, 0)
        items.append(
            DashboardCertificate(
                title=row.title,
                url=notifying.certificate_link(row.public_id),
                issued_at=row.issued_at,
                expires_at=row.expires_at,
                valid_until=row.valid_until(zone),
                days_left=left,
            )
        )
    return items


def dashboard_panel(request: HttpRequest, principal: Principal, organization: Organization) -> str:
    if not principal.is_member or principal.membership is None:
        return ""
    items = dashboard_certificates(principal.membership, clock.now(), organization_zone(organization))
    if not items:
        return ""
    return render_to_string(
        "certificates/panels/dashboard.html", {"certificates": items, "mine_url": _mine_url()}, request=request
    )


def _earned_by() -> Case:
    """The completion that earned a certificate: its own (courses), or the one that satisfied its program cycle
    (the assignment's current cycle, else the closed cycle of that number)."""
    from syllabus.compliance.models import ClosedCycle

    closed = ClosedCycle.objects.filter(assignment_id=OuterRef("assignment_id"), number=OuterRef("cycle")).values(
        "completion_id"
    )[:1]
    return Case(
        When(completion_id__isnull=False, then=F("completion_id")),
        When(assignment_id__isnull=False, cycle=F("assignment__cycle"), then=F("assignment__completion_id")),
        When(assignment_id__isnull=False, then=Subquery(closed)),
        default=Value(None),
        output_field=IntegerField(),
    )


def transcript_links(
    principal: Principal, membership: Membership, completion_ids: Sequence[int]
) -> dict[int, list[panels.RowLink]]:
    """ "Certificate" links for these transcript lines of `membership`, as `principal` may see them (one query)."""
    organization = principal.organization
    if organization is None or membership.organization_id != organization.pk:
        return {}
    rows = Certificate.objects.filter(organization=organization, membership=membership)
    own = principal.membership is not None and principal.membership.pk == membership.pk
    if not own:
        rows = rows.filter(policy.visible_q(principal))
    now = clock.now()
    found: dict[int, list[panels.RowLink]] = {}
    for earned_by, public_id, title, source, state, expires_at in (
        rows.annotate(earned_by=_earned_by())
        .filter(earned_by__in=list(completion_ids))
        .order_by("issued_at", "pk")
        .values_list("earned_by", "public_id", "title", "source", "state", "expires_at")
    ):
        status = Certificate(state=state, expires_at=expires_at).status_on(now)
        label = (
            gettext("Certificate") if source == Source.COURSE else gettext("Certificate: %(title)s") % {"title": title}
        )
        found.setdefault(earned_by, []).append(
            panels.RowLink(
                label=label,
                url=notifying.certificate_link(public_id),
                hidden=gettext("for %(title)s") % {"title": title} if source == Source.COURSE else "",
                note=str(STATUS_LABELS[status]) if status != Certificate.State.VALID else "",
            )
        )
    return found


def connect() -> None:
    panels.register_dashboard("certificates", dashboard_panel)
    panels.register_transcript("certificates", transcript_links)
