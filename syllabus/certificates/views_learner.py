"""The holder's pages: "My certificates" (cards, with the PDF, the badge downloads and a link to share), one
certificate's page (also for those who may see it: managers, officers, auditors), and the PDF download.

Who sees what: `selectors.certificate_get` answers None for a certificate the person may not see, whatever the
reason (another organisation's, someone else's outside their scope, a made-up id): every one of them is 404, so
nobody learns which ids exist. Revoking and drawing the PDF again are for `certificate.manage` (views_manage.py).

Views are thin: they parse, authorise, call one selector and hand ready-made words and flags to the templates.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from dataclasses import dataclass
from urllib.parse import quote

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_safe

from syllabus.access.decorators import organization_view
from syllabus.access.policy import NOT_ALLOWED, Principal
from syllabus.accounts.models import Organization
from syllabus.certificates import credentials, policy, selectors
from syllabus.certificates.models import STATUS_LABELS, Certificate, Source, organization_zone
from syllabus.core import clock

# While a PDF is being drawn, its card asks again this often (htmx); the answer stops asking once it is ready.
POLL_SECONDS = 3
FILENAME_TITLE_MAX = 60


@dataclass(frozen=True)
class CertificateCard:
    """One certificate as the holder's pages show it, with its words and links ready."""

    certificate: Certificate
    status: str  # valid, expired, superseded, revoked
    status_label: str
    valid_until: dt.date | None  # the last valid day in the organisation's time zone (None: does not expire)
    verify_url: str  # absolute, on SITE_URL: what the holder shares
    detail_url: str
    pdf_url: str
    pdf_state_url: str
    pdf_ready: bool
    pdf_pending: bool
    pdf_failed: bool
    has_badge: bool

    @property
    def is_current(self) -> bool:
        return self.status in ("valid", "expired")


def card(certificate: Certificate, now: dt.datetime, zone: zoneinfo.ZoneInfo) -> CertificateCard:
    """`zone`: the organisation's (`organization_zone`), given so that no card loads its organisation."""
    status = certificate.status_on(now)
    ready = certificate.render_state == Certificate.RenderState.READY and bool(certificate.pdf)
    return CertificateCard(
        certificate=certificate,
        status=status,
        status_label=str(STATUS_LABELS[status]),
        valid_until=certificate.valid_until(zone),
        verify_url=credentials.verify_url(certificate),
        detail_url=reverse("certificates:detail", args=[certificate.public_id]),
        pdf_url=reverse("certificates:pdf", args=[certificate.public_id]),
        pdf_state_url=reverse("certificates:pdf-state", args=[certificate.public_id]),
        pdf_ready=ready,
        pdf_pending=certificate.render_state == Certificate.RenderState.PENDING,
        pdf_failed=certificate.render_state == Certificate.RenderState.FAILED,
        has_badge=bool(certificate.credential),
    )


def _visible(principal: Principal, public_id: uuid.UUID) -> Certificate:
    if not principal.is_member and not principal.is_platform_admin:
        raise PermissionDenied(NOT_ALLOWED)
    certificate = selectors.certificate_get(principal=principal, public_id=public_id)
    if certificate is None:
        raise Http404
    return certificate


@organization_view
@require_GET
def mine(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    now = clock.now()
    certificates = list(selectors.certificates_of(principal.membership)) if principal.membership else []
    zone = organization_zone(organization)
    cards = [card(certificate, now, zone) for certificate in certificates]
    context = {
        "current": [c for c in cards if c.is_current],
        "history": [c for c in cards if not c.is_current],
        "poll_seconds": POLL_SECONDS,
    }
    return render(request, "certificates/learner/mine.html", context)


def earned_by(certificate: Certificate) -> str:
    """What earned the certificate, in words: the course and its version, or the program and its cycle."""
    if certificate.source == Source.PROGRAM:
        name = certificate.program.name if certificate.program is not None else certificate.title
        if certificate.cycle:
            return _("Compliance program %(name)s, cycle %(cycle)s") % {"name": name, "cycle": certificate.cycle}
        return _("Compliance program %(name)s") % {"name": name}
    title = certificate.course.title if certificate.course is not None else certificate.title
    if certificate.version_label:
        return _("Course %(title)s, version %(version)s") % {"title": title, "version": certificate.version_label}
    return _("Course %(title)s") % {"title": title}


@organization_view
@require_GET
def detail(
    request: HttpRequest, organization: Organization, principal: Principal, public_id: uuid.UUID
) -> HttpResponse:
    certificate = _visible(principal, public_id)
    can_manage = policy.can_revoke(principal, certificate)
    is_holder = principal.membership is not None and certificate.membership_id == principal.membership.pk
    successor = certificate.superseded_by
    context = {
        "card": card(certificate, clock.now(), organization_zone(organization)),
        "certificate": certificate,
        "is_holder": is_holder,
        "earned_by": earned_by(certificate),
        "score": f"{certificate.score.normalize():f}%" if certificate.score is not None else "",
        # The successor's page only when this person may see it (they may: it is the same person's).
        "successor_url": reverse("certificates:detail", args=[successor.public_id]) if successor else "",
        "can_revoke": can_manage and certificate.state != Certificate.State.REVOKED,
        "can_rerender": can_manage and certificate.render_state != Certificate.RenderState.PENDING,
        "back_url": reverse("certificates:mine") if is_holder else reverse("certificates:list"),
        "poll_seconds": POLL_SECONDS,
    }
    return render(request, "certificates/learner/detail.html", context)


@organization_view
@require_GET
def pdf_state(
    request: HttpRequest, organization: Organization, principal: Principal, public_id: uuid.UUID
) -> HttpResponse:
    """The PDF part of a card (htmx polls it while the PDF is drawn; the answer stops the polling once ready)."""
    certificate = _visible(principal, public_id)
    context = {"card": card(certificate, clock.now(), organization_zone(organization)), "poll_seconds": POLL_SECONDS}
    response = render(request, "certificates/learner/_pdf.html", context)
    patch_vary_headers(response, ["HX-Request"])
    response["Cache-Control"] = "private, no-store"
    return response


def pdf_filename(certificate: Certificate, *, ascii_only: bool = False) -> str:
    """ "certificate-<title>-<issue day>.pdf", readable in the holder's download folder (Unicode kept, or folded to
    ASCII for the header's plain `filename` that old clients read)."""
    title = slugify(certificate.title, allow_unicode=not ascii_only)[:FILENAME_TITLE_MAX].strip("-") or "certificate"
    return f"certificate-{title}-{certificate.issued_at.date().isoformat()}.pdf"


def content_disposition(certificate: Certificate) -> str:
    """An attachment with a plain ASCII `filename` and, when the title is not ASCII, the RFC 6266 `filename*`."""
    plain = pdf_filename(certificate, ascii_only=True)
    full = pdf_filename(certificate)
    if full == plain:
        return f'attachment; filename="{plain}"'
    return f"attachment; filename=\"{plain}\"; filename*=utf-8''{quote(full)}"


def pdf_response(certificate: Certificate) -> HttpResponseBase:
    """The stored PDF as a download (404 while it is not drawn, or when the file is missing)."""
    if certificate.render_state != Certificate.RenderState.READY or not certificate.pdf:
        raise Http404
    try:
        handle = certificate.pdf.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(certificate)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@organization_view
@require_safe
def pdf(
    request: HttpRequest, organization: Organization, principal: Principal, public_id: uuid.UUID
) -> HttpResponseBase:
    return pdf_response(_visible(principal, public_id))
