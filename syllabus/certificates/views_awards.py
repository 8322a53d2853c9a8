"""The awards pages (`certificate.manage`): what earns a certificate, creating and changing an award, deleting it
(or disabling it once it has issued certificates), and issuing certificates to people who completed before the
award existed.

An award of another organisation is not found (404); without `certificate.manage`, every page is forbidden (403).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from syllabus.access.decorators import organization_view
from syllabus.access.policy import NOT_ALLOWED, Principal
from syllabus.accounts.models import Organization, User
from syllabus.certificates import policy, selectors
from syllabus.certificates.forms_awards import AwardForm
from syllabus.certificates.forms_manage import award_title, error_summary
from syllabus.certificates.models import Award, Source
from syllabus.certificates.services import awards as services


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _require_manage(principal: Principal) -> None:
    if not policy.can_manage(principal):
        raise PermissionDenied(NOT_ALLOWED)


def _award(organization: Organization, pk: int) -> Award:
    award = selectors.award_get(organization=organization, pk=pk)
    if award is None:
        raise Http404
    return award


def source_words(award: Award) -> str:
    if award.source == Source.PROGRAM:
        name = award.program.name if award.program is not None else ""
        return _("Each cycle of the compliance program %(name)s") % {"name": name}
    title = award.course.title if award.course is not None else ""
    return _("Completing the course %(title)s") % {"title": title}


@organization_view
@require_GET
def award_list(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    _require_manage(principal)
    rows = [
        {
            "award": award,
            "title": award_title(award),
            "source": source_words(award),
            "issued": award.issued_count,  # type: ignore[attr-defined]
        }
        for award in selectors.award_list(organization=organization)
    ]
    return render(request, "certificates/awards/list.html", {"rows": rows})


def _form_page(request: HttpRequest, organization: Organization, form: AwardForm, award: Award | None) -> HttpResponse:
    backfill = None
    if award is not None and award.enabled:
        backfill = services.award_backfill_preview(award=award)
    context: dict[str, Any] = {
        "form": form,
        "award": award,
        "title": award_title(award) if award else "",
        "error_summary": error_summary(form),
        "backfill_count": backfill,
        "issued": getattr(award, "issued_count", 0) if award else 0,
    }
    return render(request, "certificates/awards/form.html", context)


@organization_view
@require_http_methods(["GET", "POST"])
def award_create(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    _require_manage(principal)
    # Opening the page writes nothing: without a usable template it offers to add the ready-made designs (a POST).
    templates = list(services.available_templates(organization))
    if not templates:
        return render(request, "certificates/awards/needs_template.html", {})
    form = AwardForm(request.POST or None, organization=organization, templates=templates)
    if request.method == "POST" and form.is_valid():
        try:
            award = services.award_create(organization=organization, by=_user(request), data=form.fields_for_service)
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The award is saved: from now on, it issues certificates."))
            return redirect("certificates:award-edit", pk=award.pk)
    return _form_page(request, organization, form, None)


@organization_view
@require_http_methods(["GET", "POST"])
def award_edit(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    award = _award(organization, pk)
    _require_manage(principal)
    templates = list(services.available_templates(organization))
    form = AwardForm(request.POST or None, organization=organization, templates=templates, award=award)
    if request.method == "POST" and form.is_valid():
        try:
            services.award_update(award=award, by=_user(request), data=form.fields_for_service)
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The award is saved."))
            return redirect("certificates:award-edit", pk=award.pk)
    return _form_page(request, organization, form, award)


@organization_view
@require_POST
def award_delete(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    award = _award(organization, pk)
    _require_manage(principal)
    if services.award_delete(award=award, by=_user(request)):
        messages.success(request, _("The award is deleted."))
    else:
        messages.success(
            request,
            _("The award has issued certificates, so it is kept and disabled: it issues no new ones."),
        )
    return redirect("certificates:awards")


@organization_view
@require_POST
def award_backfill(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    award = _award(organization, pk)
    _require_manage(principal)
    try:
        result = services.award_backfill(award=award, by=_user(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            ngettext("%(count)s certificate issued.", "%(count)s certificates issued.", result.issued)
            % {"count": result.issued},
        )
    return redirect("certificates:award-edit", pk=award.pk)
