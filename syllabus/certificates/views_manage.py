"""The certificates others see: the list (filters, pages of 50, CSV export of the filtered list), revoking one with
a reason, and drawing its PDF again.

Who: the list is for `policy.can_view_others` (officers and auditors see everyone, managers the people they are
responsible for); a learner is refused (403). Revoking and redrawing need `certificate.manage`. A certificate the
person may not see is not found (404), whoever holds it.
"""

from __future__ import annotations

import csv
import datetime as dt
import uuid
import zoneinfo
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from syllabus.access.decorators import organization_view
from syllabus.access.policy import NOT_ALLOWED, Principal
from syllabus.accounts.models import Organization, User
from syllabus.certificates import credentials, policy, selectors
from syllabus.certificates.forms_manage import CertificateFilterForm, RevokeForm, award_title, error_summary
from syllabus.certificates.models import STATUS_LABELS, Certificate, organization_zone
from syllabus.certificates.services import issuing
from syllabus.core import clock

PAGE_SIZE = 50
# Cells a spreadsheet would run as a formula start with one of these: such text is written with a leading
# apostrophe (OWASP "CSV injection"). Names and titles come from people and HR imports.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXPORT_CHUNK = 2000


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(NOT_ALLOWED)


def _filters(request: HttpRequest, organization: Organization, principal: Principal) -> CertificateFilterForm:
    return CertificateFilterForm(
        request.GET or None,
        awards=list(selectors.award_list(organization=organization)),
        units=list(selectors.units_for(principal)),
    )


def rows_of(certificates: list[Certificate], now: dt.datetime, zone: zoneinfo.ZoneInfo) -> list[dict[str, Any]]:
    """One page's rows with their words ready (no query: the selector joined what they show; `zone` is the
    organisation's, for the last valid day)."""
    rows = []
    for certificate in certificates:
        user = certificate.membership.user
        status = certificate.status_on(now)
        rows.append(
            {
                "certificate": certificate,
                "person": user.display_name or user.email,
                "email": user.email,
                "unit": certificate.membership.org_unit.name if certificate.membership.org_unit else "",
                "status": status,
                "status_label": str(STATUS_LABELS[status]),
                "valid_until": certificate.valid_until(zone),
                "url": reverse("certificates:detail", args=[certificate.public_id]),
            }
        )
    return rows


@organization_view
@require_GET
def certificate_list(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    _require(policy.can_view_others(principal))
    filters = _filters(request, organization, principal)
    certificates = selectors.certificate_list(principal=principal, filters=filters.filters())
    page = Paginator(certificates, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filters": filters,
        "page_obj": page,
        "rows": rows_of(list(page.object_list), clock.now(), organization_zone(organization)),
        "filtered": any(request.GET.get(name) for name in ("status", "award", "unit", "q", "days")),
        "sees_everyone": policy.sees_everyone(principal),
        "can_manage": policy.can_manage(principal),
        "export_url": f"{reverse('certificates:export')}?{query.urlencode()}"
        if query
        else reverse("certificates:export"),
    }
    return render(request, "certificates/manage/list.html", context)


def escape_cell(text: str) -> str:
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _csv_lines(certificates: QuerySet[Certificate], now: dt.datetime, zone: zoneinfo.ZoneInfo) -> Iterator[str]:
    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())
    yield writer.writerow(
        [
            _("Name"),
            _("Email"),
            _("Org unit"),
            _("Certificate"),
            _("Issued"),
            _("Valid until"),
            _("Status"),
            _("Certificate id"),
            _("Verification page"),
        ]
    )
    for certificate in certificates.iterator(chunk_size=EXPORT_CHUNK):
        user = certificate.membership.user
        unit = certificate.membership.org_unit
        status = certificate.status_on(now)
        yield writer.writerow(
            [
                escape_cell(user.display_name),
                escape_cell(user.email),
                escape_cell(unit.name if unit else ""),
                escape_cell(certificate.title),
                certificate.issued_at.date().isoformat(),
                until.isoformat() if (until := certificate.valid_until(zone)) else "",
                str(STATUS_LABELS[status]),
                str(certificate.public_id),
                credentials.verify_url(certificate),
            ]
        )


@organization_view
@require_GET
def certificate_export(request: HttpRequest, organization: Organization, principal: Principal) -> StreamingHttpResponse:
    """The filtered list as CSV, streamed (the whole list, not one page), in the list's order."""
    _require(policy.can_view_others(principal))
    filters = _filters(request, organization, principal)
    certificates = selectors.certificate_list(principal=principal, filters=filters.filters())
    response = StreamingHttpResponse(
        _csv_lines(certificates, clock.now(), organization_zone(organization)), content_type="text/csv; charset=utf-8"
    )
    day = clock.now().date().isoformat()
    response["Content-Disposition"] = f'attachment; filename="certificates-{day}.csv"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _managed(principal: Principal, public_id: uuid.UUID) -> Certificate:
    """A certificate the principal may see (else 404) and manage (else 403)."""
    certificate = selectors.certificate_get(principal=principal, public_id=public_id)
    if certificate is None:
        raise Http404
    _require(policy.can_revoke(principal, certificate))
    return certificate


@organization_view
@require_http_methods(["GET", "POST"])
def certificate_revoke(
    request: HttpRequest, organization: Organization, principal: Principal, public_id: uuid.UUID
) -> HttpResponse:
    """A confirmation page with the reason (works without JavaScript), then the revocation."""
    certificate = _managed(principal, public_id)
    if certificate.state == Certificate.State.REVOKED:
        messages.info(request, _("This certificate is already revoked."))
        return redirect("certificates:detail", public_id=certificate.public_id)
    form = RevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issuing.certificate_revoke(certificate=certificate, by=_user(request), reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(
                request, _("The certificate is revoked. Its verification page now says so, and so does its badge.")
            )
            return redirect("certificates:detail", public_id=certificate.public_id)
    context = {
        "certificate": certificate,
        "person": certificate.membership.user.display_name or certificate.membership.user.email,
        "award_title": award_title(certificate.award) if certificate.award else certificate.title,
        "form": form,
        "error_summary": error_summary(form),
    }
    return render(request, "certificates/manage/revoke.html", context)


@organization_view
@require_POST
def certificate_rerender(
    request: HttpRequest, organization: Organization, principal: Principal, public_id: uuid.UUID
) -> HttpResponse:
    certificate = _managed(principal, public_id)
    try:
        issuing.certificate_rerender(certificate=certificate, by=_user(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The PDF is being drawn again with the template as it is now."))
    return redirect("certificates:detail", public_id=certificate.public_id)
