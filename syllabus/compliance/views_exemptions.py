"""Exemption and extension pages: asking (`?assignment=<id>`, from "My compliance" or a person's page), the queue
(pending first; officers see everyone's, managers their people's, everyone their own), one request with its history
and the approver's signature, deciding (approvals signed with the password or an authenticator code), withdrawing
and revoking.

Thin: parse, authorise through `compliance.policy` / `services.exemptions.can_see`, call one service, render. A
request or assignment of another organisation is not found (404); one of this organisation the person may not see
or act on is forbidden (403).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from syllabus.access.policy import NOT_ALLOWED, Principal, principal_for
from syllabus.accounts.models import Organization, User
from syllabus.accounts.security import two_factor
from syllabus.audit import selectors as audit_selectors
from syllabus.audit.models import AuditRecord
from syllabus.compliance import policy
from syllabus.compliance.forms_exemptions import DecisionForm, QueueFilterForm, RequestForm, RevokeForm
from syllabus.compliance.models import Assignment, Exemption, StatusCode
from syllabus.compliance.services import exemptions as services
from syllabus.compliance.services.signatures import Credentials, can_sign
from syllabus.core.tenancy import current_organization
from syllabus.enrollment.forms_course import error_summary

View = Callable[..., HttpResponse]
PAGE_SIZE = 25
AUDIT_ACTIONS = [code for code, _label in services.AUDIT_ACTIONS]


def exemptions_view(view: View) -> View:
    """Signed in, acting in an organisation they belong to; passes the organisation and the principal on."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        organization = current_organization(request)
        if organization is None:
            return redirect(f"{reverse('accounts:choose-organization')}?{urlencode({'next': request.get_full_path()})}")
        principal = principal_for(request.user, organization)
        if not principal.is_member:
            raise PermissionDenied(NOT_ALLOWED)
        return view(request, organization, principal, *args, **kwargs)

    return wrapper


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _exemption(organization: Organization, principal: Principal, pk: int) -> Exemption:
    exemption = services.exemption_get(organization=organization, pk=pk)
    if exemption is None:
        raise Http404
    if not services.can_see(principal, exemption):
        raise PermissionDenied(NOT_ALLOWED)
    return exemption


@dataclass(frozen=True)
class QueueRow:
    exemption: Exemption
    can_decide: bool


# --- the queue -------------------------------------------------------------------------------------------------


@exemptions_view
@require_GET
def exemption_list(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    form = QueueFilterForm(request.GET or None, organization=organization)
    rows = services.exemption_list(organization=organization, principal=principal, **form.filters())
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page_obj": page,
        "rows": [
            QueueRow(
                exemption=item,
                can_decide=item.state == Exemption.State.PENDING and policy.can_decide_exemption(principal, item),
            )
            for item in page
        ],
        "is_officer": policy.can_manage(principal),
        "filtered": any(form.filters().values()),
    }
    return render(request, "compliance/exemptions/list.html", context)


# --- asking ----------------------------------------------------------------------------------------------------


@exemptions_view
@require_http_methods(["GET", "POST"])
def exemption_new(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    raw = request.POST.get("assignment") or request.GET.get("assignment") or ""
    assignment = (
        Assignment.objects.filter(organization=organization, pk=int(raw), ended_at__isnull=True)
        .select_related("program", "membership__user", "organization")
        .first()
        if raw.isdigit()
        else None
    )
    if assignment is None:
        raise Http404
    if not policy.can_request_exemption(principal, assignment.membership):
        raise PermissionDenied(NOT_ALLOWED)
    # The person asking about themselves goes back to "My compliance" (the one page a gated person may use);
    # a manager or officer to the request and the queue.
    own = principal.membership is not None and principal.membership.pk == assignment.membership_id
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            exemption = services.exemption_request(
                assignment=assignment,
                by=_user(request),
                kind=data["kind"],
                reason=data["reason"],
                ends_on=data.get("ends_on"),
                extend_to=data.get("extend_to"),
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Your request was sent to the compliance officers."))
            if own:
                return redirect("compliance:mine")
            return redirect("compliance:exemption", pk=exemption.pk)
    context = {
        "assignment": assignment,
        "status_label": StatusCode(assignment.status).label,
        "own": own,
        "back_url": reverse("compliance:mine") if own else reverse("compliance:exemptions"),
        "form": form,
        "error_summary": error_summary(form),
    }
    return render(request, "compliance/exemptions/new.html", context)


# --- one request -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryRow:
    when: Any
    what: str
    who: str
    note: str


def _history(organization: Organization, exemption: Exemption) -> list[HistoryRow]:
    """Each step as the audit trail recorded it (the revocation and its reason live only there)."""
    records = list(
        AuditRecord.objects.filter(
            organization=organization,
            action__in=AUDIT_ACTIONS,
            target_type="compliance.exemption",
            target_id=str(exemption.pk),
        ).order_by("seq")
    )
    # Our own labels, so the page reads well whether or not the actions are registered with the audit app.
    labels = dict(services.AUDIT_ACTIONS)
    return [
        HistoryRow(
            when=row.record.created_at,
            what=str(labels.get(row.record.action, row.action_label)),
            who=row.actor,
            note=str(row.after.get("note") or row.after.get("reason") or ""),
        )
        for row in audit_selectors.audit_rows(records)
    ]


def _detail_context(
    organization: Organization, principal: Principal, user: User, exemption: Exemption
) -> dict[str, Any]:
    pending = exemption.state == Exemption.State.PENDING
    own = principal.membership is not None and principal.membership.pk == exemption.membership_id
    return {
        "own": own,
        "exemption": exemption,
        "assignment": exemption.assignment,
        "status_label": StatusCode(exemption.assignment.status).label,
        "signature": exemption.signature,
        "history": _history(organization, exemption),
        "can_decide": pending and policy.can_decide_exemption(principal, exemption),
        "can_withdraw": pending and exemption.requested_by_id == user.pk,
        "can_revoke": exemption.state == Exemption.State.APPROVED and policy.can_manage(principal),
    }


@exemptions_view
@require_GET
def exemption_detail(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    exemption = _exemption(organization, principal, pk)
    return render(
        request,
        "compliance/exemptions/detail.html",
        _detail_context(organization, principal, _user(request), exemption),
    )


@exemptions_view
@require_http_methods(["GET", "POST"])
def exemption_decide(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    exemption = _exemption(organization, principal, pk)
    if exemption.state != Exemption.State.PENDING:
        messages.info(request, _("This request is no longer waiting for a decision."))
        return redirect("compliance:exemption", pk=exemption.pk)
    if not policy.can_decide_exemption(principal, exemption):
        raise PermissionDenied(services.FOUR_EYES if policy.can_manage(principal) else NOT_ALLOWED)
    form = DecisionForm(request.POST or None, with_code=two_factor.has_authenticator(_user(request)))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.exemption_decide(
                exemption=exemption,
                by=_user(request),
                approve=form.approve,
                note=data["note"],
                request=request,
                credentials=Credentials(password=data["password"], code=data.get("code") or ""),
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            if form.approve:
                messages.success(request, _("Approved and signed. The person's status is updated."))
            else:
                messages.success(request, _("Declined. The person is told why."))
            return redirect("compliance:exemption", pk=exemption.pk)
    context = {
        "exemption": exemption,
        "assignment": exemption.assignment,
        "status_label": StatusCode(exemption.assignment.status).label,
        "meaning": services.approval_meaning(exemption),
        "can_sign": can_sign(_user(request)),
        "form": form,
        "error_summary": error_summary(form),
    }
    return render(request, "compliance/exemptions/decide.html", context)


@exemptions_view
@require_POST
def exemption_withdraw(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    exemption = _exemption(organization, principal, pk)
    try:
        services.exemption_withdraw(exemption=exemption, by=_user(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Your request was withdrawn."))
    # Back where the button was ("My compliance" sends itself as `next`), when that is a page of this site.
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("compliance:exemption", pk=exemption.pk)


@exemptions_view
@require_http_methods(["GET", "POST"])
def exemption_revoke(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    """A confirmation page with the reason (works without JavaScript), then the revocation."""
    exemption = _exemption(organization, principal, pk)
    if not policy.can_manage(principal):
        raise PermissionDenied(NOT_ALLOWED)
    if exemption.state != Exemption.State.APPROVED:
        messages.info(request, _("Only an approved exemption or extension can be revoked."))
        return redirect("compliance:exemption", pk=exemption.pk)
    form = RevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.exemption_revoke(exemption=exemption, by=_user(request), reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Revoked. The person's status is updated from today."))
            return redirect("compliance:exemption", pk=exemption.pk)
    context = {"exemption": exemption, "form": form, "error_summary": error_summary(form)}
    return render(request, "compliance/exemptions/revoke.html", context)
