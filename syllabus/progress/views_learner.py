"""The learner's own pages: the dashboard, the transcript (HTML, CSV, PDF), external training with its evidence
files, and the approvals list of external training for the people who decide it.

Someone else's transcript (`person_transcript`) and evidence files exist only for the people allowed to read them:
anyone else, and any id of another organisation, gets 404, never 403, so ids reveal nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from syllabus.access.decorators import organization_view
from syllabus.access.policy import NOT_ALLOWED, Principal
from syllabus.accounts.models import Membership, Organization, User
from syllabus.core import clock
from syllabus.enrollment.forms_course import error_summary
from syllabus.progress import selectors_learner as selectors
from syllabus.progress import services, transcripts
from syllabus.progress.models import ExternalTraining
from syllabus.web import panels

View = Callable[..., HttpResponseBase]

TRANSCRIPT_PAGE_SIZE = 50
NOT_A_MEMBER = gettext_lazy("You are not a member of this organisation, so you have no learning here.")
SUBMITTED = gettext_lazy("Thank you: your manager will review “%(title)s”.")
APPROVED = gettext_lazy("“%(title)s” is approved and now on %(name)s’s transcript.")
DECLINED = gettext_lazy("“%(title)s” is declined; %(name)s will see your reason.")
DECLINE_REFUSED = gettext_lazy("“%(title)s” was not declined: %(errors)s")
DECLINE_REFUSED_KEY = "progress.external_decline_refused"
# Evidence shown in a browser tab rather than downloaded (the rest is a download).
INLINE_EVIDENCE = re.compile(r"^(image/(png|jpeg|gif|webp)|application/pdf)$")
# Even if an evidence file were opened as a page, it could run nothing and reach nothing.
EVIDENCE_CSP = "default-src 'none'; sandbox"


def _member(principal: Principal) -> Membership:
    """The person's own membership; pages about one's own learning are for members only."""
    if not principal.is_member or principal.membership is None:
        raise PermissionDenied(NOT_A_MEMBER)
    return principal.membership


# --- the dashboard ------------------------------------------------------------------------------------------------


@organization_view
@require_safe
def dashboard(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    context = selectors.dashboard(principal=principal, organization=organization)
    context.update(
        {
            "is_member": principal.is_member,
            "can_decide_external": principal.is_member and principal.can("enrollment.assign"),
            # What apps building on progress add (their certificates...): web.panels, registered in their ready().
            "panels": panels.dashboard_panels(request, principal, organization) if principal.is_member else [],
        }
    )
    return render(request, "progress/learner/dashboard.html", context)


@organization_view
@require_safe
def dashboard_section(
    request: HttpRequest, organization: Organization, principal: Principal, section: str
) -> HttpResponse:
    """One dashboard section in full, a page at a time ("Show all")."""
    if section not in selectors.SECTIONS:
        raise Http404
    membership = _member(principal)
    heading, empty = selectors.SECTIONS[section]
    page: Page[Any]
    if section == "completed":
        page = Paginator(selectors.completions_of(membership=membership), selectors.ALL_PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        items: list[Any] = list(selectors.completed_items(page.object_list))
    else:
        page = Paginator(
            selectors.section_enrollments(membership=membership, key=section), selectors.ALL_PAGE_SIZE
        ).get_page(request.GET.get("page"))
        items = list(selectors.learning_items(page.object_list))
    context = {"section": section, "heading": heading, "empty_text": empty, "items": items, "page_obj": page}
    return render(request, "progress/learner/dashboard_section.html", context)


# --- the transcript -----------------------------------------------------------------------------------------------


def _year(request: HttpRequest) -> int | None:
    raw = request.GET.get("year", "")
    return int(raw) if raw.isdigit() and 1900 <= int(raw) <= 9999 else None


def _transcript_response(
    request: HttpRequest, organization: Organization, principal: Principal, person: Membership, *, own: bool
) -> HttpResponseBase:
    year = _year(request)
    rows = selectors.transcript(membership=person, year=year)
    person_name = person.user.display_name or person.user.email
    wanted = request.GET.get("format", "")
    if wanted in ("csv", "pdf"):
        items = selectors.completed_items(rows)
        if wanted == "csv":
            response: HttpResponseBase = HttpResponse(
                transcripts.transcript_csv(items), content_type="text/csv; charset=utf-8"
            )
        else:
            pdf = transcripts.transcript_pdf(
                items=items,
                organization_name=organization.name,
                person_name=person_name,
                year=year,
                generated_at=clock.now(),
            )
            response = HttpResponse(pdf, content_type="application/pdf")
        name = transcripts.filename(person_name, year, wanted)
        response["Content-Disposition"] = content_disposition_header(True, name) or ""
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response
    page = Paginator(rows, TRANSCRIPT_PAGE_SIZE).get_page(request.GET.get("page"))
    base = reverse("progress:transcript") if own else reverse("progress:person-transcript", args=[person.pk])
    query = {"year": year} if year else {}
    items = selectors.completed_items(page.object_list)
    # Links other apps put beside the lines (the certificate a completion earned): one call for the whole page.
    links = panels.transcript_links(
        principal=principal, membership=person, completion_ids=[item.completion_id for item in items]
    )
    context = {
        "person": person,
        "person_name": person_name,
        "own": own,
        "items": items,
        "rows": panels.with_links(items, links),
        "page_obj": page,
        "years": selectors.transcript_years(membership=person),
        "year": year,
        "base_url": base,
        "csv_url": f"{base}?{urlencode({**query, 'format': 'csv'})}",
        "pdf_url": f"{base}?{urlencode({**query, 'format': 'pdf'})}",
    }
    return render(request, "progress/learner/transcript.html", context)


@organization_view
@require_safe
def transcript(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponseBase:
    return _transcript_response(request, organization, principal, _member(principal), own=True)


@organization_view
@require_safe
def person_transcript(
    request: HttpRequest, organization: Organization, principal: Principal, membership_id: int
) -> HttpResponseBase:
    person = selectors.person_for_transcript(
        principal=principal, organization=organization, membership_id=membership_id
    )
    if person is None:
        raise Http404
    own = principal.membership is not None and principal.membership.pk == person.pk
    return _transcript_response(request, organization, principal, person, own=own)


# --- external training --------------------------------------------------------------------------------------------


class ExternalTrainingForm(forms.Form):
    """Parses and labels what the person typed; `services.external_submit` validates again and writes."""

    title = forms.CharField(label=gettext_lazy("Course title"), max_length=200)
    provider = forms.CharField(
        label=gettext_lazy("Provider"),
        max_length=200,
        help_text=gettext_lazy("Who gave the training: a school, a company, a conference."),
    )
    completed_on = forms.DateField(
        label=gettext_lazy("Completed on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    hours = forms.DecimalField(
        label=gettext_lazy("Hours"), required=False, min_value=Decimal(0), max_digits=6, decimal_places=2
    )
    score = forms.DecimalField(
        label=gettext_lazy("Score (%)"),
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(100),
        max_digits=5,
        decimal_places=2,
    )
    description = forms.CharField(label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    evidence = forms.FileField(
        label=gettext_lazy("Evidence file"),
        required=False,
        allow_empty_file=True,  # the service says "is empty" with the file's name
        help_text=gettext_lazy("A certificate or attendance record: PDF, office document or image."),
    )

    def add_service_error(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for name, field_messages in exc.message_dict.items():
            self.add_error(name if name in self.fields else None, field_messages)


@organization_view
@require_http_methods(["GET", "POST"])
def external(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    membership = _member(principal)
    form = ExternalTrainingForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            user: User = request.user  # type: ignore[assignment]
            try:
                record = services.external_submit(
                    membership=membership,
                    by=user,
                    title=data["title"],
                    provider=data["provider"],
                    completed_on=data["completed_on"],
                    hours=data["hours"],
                    score=data["score"],
                    description=data["description"],
                    evidence=data["evidence"],
                )
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, SUBMITTED % {"title": record.title})
                return redirect("progress:external")
        status = 400
    page = Paginator(selectors.external_of(membership=membership), selectors.ALL_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "form": form,
        "page_obj": page,
        "today": clock.today(),
        "error_summary": error_summary(form),
        "can_decide_external": principal.can("enrollment.assign"),
    }
    return render(request, "progress/learner/external.html", context, status=status)


@organization_view
@require_safe
def external_evidence(
    request: HttpRequest, organization: Organization, principal: Principal, pk: int
) -> HttpResponseBase:
    record = selectors.external_get(organization=organization, pk=pk)
    if record is None or not record.evidence or not selectors.may_read_evidence(principal, record):
        raise Http404
    try:
        handle = record.evidence.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    content_type = record.evidence_type or "application/octet-stream"
    inline = bool(INLINE_EVIDENCE.match(content_type)) and request.GET.get("download") != "1"
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(not inline, record.evidence_name or "evidence") or ""
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = EVIDENCE_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    return response


def _approvals_page(
    request: HttpRequest,
    organization: Organization,
    principal: Principal,
    *,
    errors: dict[int, list[str]] | None = None,
    reasons: dict[int, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    page = Paginator(
        selectors.external_pending_for(principal=principal, organization=organization), selectors.ALL_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    rows = [
        {
            "record": record,
            "errors": (errors or {}).get(record.pk, []),
            "reason": (reasons or {}).get(record.pk, ""),
            "hours": selectors.percent_text(record.hours),
            "score": selectors.percent_text(record.score),
        }
        for record in page.object_list
    ]
    return render(request, "progress/learner/external_approvals.html", {"rows": rows, "page_obj": page}, status=status)


@organization_view
@require_safe
def external_approvals(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    if not principal.can("enrollment.assign"):
        raise PermissionDenied(NOT_ALLOWED)
    # A refused decline comes back here (post, redirect, get) with its error and what was typed, once.
    refused = request.session.pop(DECLINE_REFUSED_KEY, None) if request.method == "GET" else None
    if isinstance(refused, dict) and isinstance(refused.get("pk"), int):
        pk = refused["pk"]
        errors = [str(error) for error in refused.get("errors", [])]
        return _approvals_page(
            request, organization, principal, errors={pk: errors}, reasons={pk: str(refused.get("reason", ""))}
        )
    return _approvals_page(request, organization, principal)


def _back_to_approvals(request: HttpRequest, record: ExternalTraining | None = None) -> HttpResponse:
    """The approvals list again, on the page the decision was made from (at the record's decline box)."""
    url = reverse("progress:external-approvals")
    page = request.POST.get("page", "")
    if page.isdigit() and int(page) > 1:
        url = f"{url}?{urlencode({'page': page})}"
    if record is not None:
        url = f"{url}#decline-{record.pk}"
    return redirect(url)


@organization_view
@require_POST
def external_decide(
    request: HttpRequest, organization: Organization, principal: Principal, pk: int
) -> HttpResponseBase:
    """Approve (onto the transcript) or decline with a reason, from the approvals list."""
    record = selectors.external_get(organization=organization, pk=pk)
    if record is None or not selectors.may_decide_external(principal, record):
        raise Http404
    user: User = request.user  # type: ignore[assignment]
    name = record.membership.user.display_name or record.membership.user.email
    reason = request.POST.get("reason", "")
    try:
        if request.POST.get("action") == "approve":
            services.external_approve(record=record, by=user)
            messages.success(request, APPROVED % {"title": record.title, "name": name})
        elif request.POST.get("action") == "decline":
            services.external_decline(record=record, by=user, reason=reason)
            messages.success(request, DECLINED % {"title": record.title, "name": name})
        else:
            raise Http404
    except ValidationError as exc:
        if record.status != ExternalTraining.Status.PENDING or not hasattr(exc, "error_dict"):
            messages.error(request, " ".join(exc.messages))
            return _back_to_approvals(request)
        # Back on the approvals page (not left at this POST-only address), with the error at the decline box and
        # announced at the top; the reason typed so far is kept.
        request.session[DECLINE_REFUSED_KEY] = {"pk": record.pk, "errors": exc.messages, "reason": reason[:2000]}
        messages.error(request, DECLINE_REFUSED % {"title": record.title, "errors": " ".join(exc.messages)})
        return _back_to_approvals(request, record)
    return _back_to_approvals(request)
