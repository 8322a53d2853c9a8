"""Audit trail pages (browse, filter, export CSV, anchors, verify now) and the privacy-request pages of a person.

Each view parses, authorizes through `access.policy`, calls one service or selector and renders. Another
organisation's ids are not found (404); the platform chain is for platform admins only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from syllabus.access.decorators import organization_view
from syllabus.access.policy import Principal
from syllabus.accounts.models import Membership, Organization, User
from syllabus.audit import selectors, services, verification
from syllabus.audit.csv_export import csv_lines
from syllabus.audit.forms import CHAIN_PLATFORM, AuditFilterForm, EraseForm
from syllabus.core import clock
from syllabus.core.tenancy import get_for_tenant_or_404

AUDIT_CAPABILITY = "audit.view"
PAGE_SIZE = 50
ANCHORS_SHOWN = 10

View = Callable[..., HttpResponseBase]


def _wants_fragment(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request  # type: ignore[union-attr]


def _filter_form(request: HttpRequest, organization: Organization, principal: Principal) -> AuditFilterForm:
    platform_admin = principal.is_platform_admin
    platform = platform_admin and request.GET.get("chain") == CHAIN_PLATFORM
    return AuditFilterForm(
        request.GET,
        action_choices=selectors.action_choices(organization=organization, platform=platform),
        platform_admin=platform_admin,
    )


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# --- the trail --------------------------------------------------------------------------------------------


@organization_view
@require_GET
def audit_trail(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    principal.require(AUDIT_CAPABILITY)
    form = _filter_form(request, organization, principal)
    platform = form.platform
    records = selectors.audit_record_list(organization=organization, platform=platform, filters=form.to_filter())
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    query = _query_without_page(request)
    context: dict[str, Any] = {
        "form": form,
        "page_obj": page,
        "rows": selectors.audit_rows(list(page.object_list)),
        "platform": platform,
        "export_url": f"{reverse('audit:export')}?{query}" if query else reverse("audit:export"),
        "verify_url": f"{reverse('audit:verify')}?chain=platform" if platform else reverse("audit:verify"),
    }
    if _wants_fragment(request):
        response = render(request, "audit/_results.html", context)
    else:
        chain = selectors.audit_chain_get(organization=organization, platform=platform)
        context.update(chain=chain, anchors=selectors.audit_anchor_list(chain=chain, limit=ANCHORS_SHOWN))
        response = render(request, "audit/trail.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@organization_view
@require_GET
def audit_export(request: HttpRequest, organization: Organization, principal: Principal) -> StreamingHttpResponse:
    """The filtered trail as CSV, streamed. Exporting is itself recorded."""
    principal.require(AUDIT_CAPABILITY)
    form = _filter_form(request, organization, principal)
    platform = form.platform
    filters = form.to_filter()
    records = selectors.audit_record_list(organization=organization, platform=platform, filters=filters)
    user: User = request.user  # type: ignore[assignment]
    services.audit_export_record(organization=None if platform else organization, by=user, filters=filters)
    scope = "platform" if platform else organization.slug
    response = StreamingHttpResponse(csv_lines(records), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{scope}-{clock.now():%Y%m%d-%H%M%S}.csv"'
    return response


@organization_view
@require_GET
def audit_verify(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    """Verify the chain now: the same check as `manage.py audit_verify`, for one chain."""
    principal.require(AUDIT_CAPABILITY)
    platform = principal.is_platform_admin and request.GET.get("chain") == CHAIN_PLATFORM
    report = verification.verify_organization(organization, platform=platform)
    context = {"report": report, "platform": platform}
    template = "audit/_verify_result.html" if _wants_fragment(request) else "audit/verify.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- privacy requests -------------------------------------------------------------------------------------


def _privacy_target(organization: Organization, principal: Principal, pk: int) -> Membership:
    principal.require(services.PRIVACY_CAPABILITY)
    membership = get_for_tenant_or_404(Membership.objects.select_related("user"), organization, pk=pk)
    principal.require(services.PRIVACY_CAPABILITY, membership)
    return membership


@organization_view
@require_GET
def person_privacy(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    membership = _privacy_target(organization, principal, pk)
    return render(request, "audit/person_privacy.html", {"membership": membership})


@organization_view
@require_POST
def person_export(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    membership = _privacy_target(organization, principal, pk)
    user: User = request.user  # type: ignore[assignment]
    data = services.privacy_export(user=membership.user, organization=organization, by=user)
    body = json.dumps(data, indent=2, ensure_ascii=False, cls=DjangoJSONEncoder)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="personal-data-{organization.slug}-{membership.pk}.json"'
    return response


@organization_view
@require_http_methods(["GET", "POST"])
def person_erase(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    membership = _privacy_target(organization, principal, pk)
    user: User = request.user  # type: ignore[assignment]
    form = EraseForm(request.POST or None, email=membership.user.email)
    if request.method == "POST" and form.is_valid():
        try:
            services.privacy_erase(user=membership.user, organization=organization, by=user)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The person was erased. Their records stay, without personal data."))
            return redirect("accounts:person-detail", pk=membership.pk)
    return render(request, "audit/person_erase.html", {"membership": membership, "form": form})
