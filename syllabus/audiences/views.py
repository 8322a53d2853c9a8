"""The audience pages: the list, the builder (create and edit, with a live preview), an audience's members now or
at a point in time with its history of joins and leaves, recompute and delete."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from syllabus.access.decorators import organization_view
from syllabus.access.policy import NOT_ALLOWED, Principal
from syllabus.accounts.models import Organization, User
from syllabus.audiences import rules, selectors, services
from syllabus.audiences.forms import AudienceForm, MembersAtForm, parse_rules, rule_error_messages
from syllabus.audiences.models import Audience

PAGE_SIZE = 25
VIEWERS = ("audience.view", "audience.manage")
View = Callable[..., HttpResponse]


def _require_any(principal: Principal, *capabilities: str) -> None:
    if not any(principal.can(code) for code in capabilities):
        raise PermissionDenied(NOT_ALLOWED)


def _audience_or_404(organization: Organization, pk: int) -> Audience:
    audience = selectors.audience_get(organization=organization, audience_id=pk)
    if audience is None:
        raise Http404
    return audience


def _is_fragment(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request  # type: ignore[union-attr]


def _vary(response: HttpResponse) -> HttpResponse:
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- list ------------------------------------------------------------------------------------------------------


@organization_view
@require_GET
def audience_list(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    _require_any(principal, *VIEWERS)
    audiences = selectors.audience_list(organization=organization, search=request.GET.get("q", ""))
    page = Paginator(audiences, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page_obj": page, "q": request.GET.get("q", ""), "can_manage": principal.can("audience.manage")}
    return render(request, "audiences/audience_list.html", context)


# --- builder: create, edit, preview ----------------------------------------------------------------------------


def _builder_context(organization: Organization, form: AudienceForm, audience: Audience | None) -> dict[str, Any]:
    options = selectors.builder_options(
        organization=organization, exclude_audience_id=audience.pk if audience else None
    )
    options["text"] = builder_text()
    return {
        "form": form,
        "audience": audience,
        "builder_options": options,
        "preview_url": reverse("audiences:preview"),
    }


def _initial(audience: Audience | None) -> dict[str, Any]:
    if audience is None:
        return {"rules": json.dumps({"all": []})}
    return {
        "name": audience.name,
        "description": audience.description,
        "rules": json.dumps(audience.rules, indent=2),
    }


def _preview_context(
    organization: Organization, principal: Principal, text: str, audience: Audience | None
) -> dict[str, Any]:
    try:
        preview = selectors.preview(
            organization=organization,
            rules_tree=parse_rules(text),
            visible=selectors.visible_people(principal),
            audience_id=audience.pk if audience else None,
        )
    except ValidationError as exc:
        about_rules, others = rule_error_messages(exc)
        return {"preview": None, "preview_errors": about_rules + [m for ms in others.values() for m in ms]}
    return {"preview": preview, "preview_errors": [], "preview_size": selectors.PREVIEW_SIZE}


def _builder_page(
    request: HttpRequest, organization: Organization, principal: Principal, audience: Audience | None
) -> HttpResponse:
    principal.require("audience.manage")
    form = AudienceForm(request.POST or None, initial=_initial(audience))
    extra: dict[str, Any] = {}
    if request.method == "POST" and request.POST.get("action") == "preview":
        # Without JavaScript the Preview button posts the whole form here: show the preview, save nothing.
        extra = _preview_context(organization, principal, request.POST.get("rules", ""), audience)
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user: User = request.user  # type: ignore[assignment]
        try:
            if audience is None:
                audience = services.audience_create(
                    organization=organization,
                    by=user,
                    name=data["name"],
                    description=data["description"],
                    rules_tree=data["rules"],
                )
                messages.success(request, _("The audience %(name)s was created.") % {"name": audience.name})
            else:
                services.audience_update(
                    audience=audience,
                    by=user,
                    name=data["name"],
                    description=data["description"],
                    rules_tree=data["rules"],
                )
                messages.success(request, _("Your changes were saved."))
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            return redirect("audiences:detail", pk=audience.pk)
    context = {**_builder_context(organization, form, audience), **extra}
    return render(request, "audiences/audience_form.html", context)


@organization_view
@require_http_methods(["GET", "POST"])
def audience_create(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    return _builder_page(request, organization, principal, None)


@organization_view
@require_http_methods(["GET", "POST"])
def audience_edit(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    principal.require("audience.manage")
    return _builder_page(request, organization, principal, _audience_or_404(organization, pk))


@organization_view
@require_POST
def audience_preview(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    """The preview fragment (htmx): how many people match the rule in the form now, and the first of them."""
    principal.require("audience.manage")
    audience = None
    if request.POST.get("audience"):
        try:
            audience = _audience_or_404(organization, int(request.POST["audience"]))
        except ValueError as exc:
            raise Http404 from exc
    context = _preview_context(organization, principal, request.POST.get("rules", ""), audience)
    return render(request, "audiences/_preview.html", context)


# --- one audience ----------------------------------------------------------------------------------------------


@organization_view
@require_GET
def audience_detail(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    _require_any(principal, *VIEWERS)
    audience = _audience_or_404(organization, pk)
    visible = selectors.visible_people(principal)
    at_form = MembersAtForm(request.GET or None)
    at = at_form.cleaned_data.get("at") if at_form.is_valid() else None
    members_page = Paginator(selectors.members(audience=audience, visible=visible, at=at), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context: dict[str, Any] = {
        "audience": audience,
        "at_form": at_form,
        "at": at,
        "members_page": members_page,
        "member_count": selectors.member_count(audience=audience, at=at),
        "sees_everyone": not visible,
    }
    if _is_fragment(request) and request.GET.get("part") == "members":
        return _vary(render(request, "audiences/_members.html", context))
    history_page = Paginator(selectors.history(audience=audience, visible=visible), PAGE_SIZE).get_page(
        request.GET.get("history_page")
    )
    context.update(
        history_page=history_page,
        described=rules.describe(audience.rules, organization=organization),
        can_manage=principal.can("audience.manage"),
        used_by=selectors.audiences_including(audience=audience),
    )
    if _is_fragment(request) and request.GET.get("part") == "history":
        return _vary(render(request, "audiences/_history.html", context))
    return _vary(render(request, "audiences/audience_detail.html", context))


@organization_view
@require_POST
def audience_recompute(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    principal.require("audience.manage")
    audience = _audience_or_404(organization, pk)
    user: User = request.user  # type: ignore[assignment]
    result = services.audience_recompute(audience=audience, by=user)
    messages.success(
        request,
        _("Recomputed: %(joined)s joined, %(left)s left, %(count)s members now.")
        % {"joined": len(result.joined), "left": len(result.left), "count": result.member_count},
    )
    return redirect("audiences:detail", pk=audience.pk)


@organization_view
@require_POST
def audience_delete(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    principal.require("audience.manage")
    audience = _audience_or_404(organization, pk)
    user: User = request.user  # type: ignore[assignment]
    try:
        services.audience_delete(audience=audience, by=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("audiences:detail", pk=audience.pk)
    messages.success(request, _("The audience %(name)s was deleted.") % {"name": audience.name})
    return redirect("audiences:list")


def builder_text() -> dict[str, str]:
    """The rule builder's words, translated here so builder.js holds no text of its own."""
    return {
        "rootLegend": _("People who match"),
        "groupLegend": _("Group %(n)s"),
        "conditionLabel": _("Condition %(n)s"),
        "matchAll": _("all of these"),
        "matchAny": _("any of these"),
        "match": _("Match"),
        "exclude": _("Exclude the people this matches (NOT)"),
        "is": _("is"),
        "isNot": _("is not"),
        "type": _("type"),
        "negation": _("is or is not"),
        "addCondition": _("Add a condition"),
        "addGroup": _("Add a group"),
        "removeGroup": _("Remove this group"),
        "remove": _("Remove"),
        "empty": _("No conditions: everyone in the organisation matches."),
        "emptyAny": _("No conditions: nobody matches."),
        "kind_org_unit": _("Department"),
        "kind_job_role": _("Job role"),
        "kind_location": _("Location"),
        "kind_hire_date": _("Hire date"),
        "kind_attribute": _("Custom attribute"),
        "kind_audience": _("Member of audience"),
        "choose": _("Choose…"),
        "includeSubUnits": _("and its sub-units"),
        "hireBefore": _("before"),
        "hireAfter": _("after"),
        "hireWithin": _("within the last N days"),
        "mode": _("how"),
        "date": _("date"),
        "days": _("days"),
        "attribute": _("attribute"),
        "operator": _("operator"),
        "value": _("value"),
        "values": _("values, separated by commas"),
        "op_eq": _("is"),
        "op_neq": _("is not"),
        "op_in": _("is one of"),
        "op_contains": _("contains"),
        "op_lt": _("less than"),
        "op_lte": _("at most"),
        "op_gt": _("more than"),
        "op_gte": _("at least"),
        "op_is_set": _("has a value"),
        "noAttributes": _("No custom attributes are defined."),
        "noAudiences": _("No other audiences yet."),
        "selectHint": _("Hold Ctrl (Cmd on a Mac) or Shift to pick several."),
    }
