"""The people pages: the filtered list, a person's page, create and edit, deactivate and reactivate."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from syllabus.access.policy import Principal
from syllabus.accounts import selectors, services
from syllabus.accounts.forms import PeopleFilterForm, PersonForm
from syllabus.accounts.models import Membership
from syllabus.accounts.security import lockout, sessions, two_factor
from syllabus.accounts.views.guards import Acting, acting, organization_required, vary_on_htmx, wants_fragment

PAGE_SIZE = 25
PEOPLE_CAPABILITIES = ("people.view", "people.manage")
OUTSIDE_YOUR_UNITS = gettext_lazy("You may only place people in the departments you manage.")


def visible_people(principal: Principal) -> Q:
    """People the person may see: those they may view or manage."""
    view_q, manage_q = principal.membership_q("people.view"), principal.membership_q("people.manage")
    # An empty Q means "everyone"; OR-ing it with another Q would keep only the other one.
    if not view_q or not manage_q:
        return Q()
    return view_q | manage_q


def _person_or_404(who: Acting, pk: int) -> Membership:
    who.require_any(*PEOPLE_CAPABILITIES)
    membership = selectors.person_get(
        organization=who.organization, membership_id=pk, visible=visible_people(who.principal)
    )
    if membership is None:
        raise Http404
    return membership


@organization_required
@require_GET
def people_list(request: HttpRequest) -> HttpResponse:
    who = acting(request)
    who.require_any(*PEOPLE_CAPABILITIES)
    visible = visible_people(who.principal)
    form = PeopleFilterForm(request.GET, organization=who.organization, visible=visible)
    people = selectors.people_list(organization=who.organization, visible=visible, filters=form.to_filter())
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page_obj": page, "can_create": who.principal.can("people.manage")}
    template = "accounts/_people_results.html" if wants_fragment(request) else "accounts/people_list.html"
    return vary_on_htmx(render(request, template, context))


@organization_required
@require_GET
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    who = acting(request)
    membership = _person_or_404(who, pk)
    definitions = selectors.attribute_definition_list(organization=who.organization)
    attributes = [
        (definition.label, membership.attributes[definition.key])
        for definition in definitions
        if membership.attributes.get(definition.key) not in (None, "")
    ]
    principal = who.principal
    may_deactivate = principal.can("people.deactivate", membership) and membership.user_id != who.user.pk
    lock = lockout.lock_state(membership.user.email)
    context = {
        "membership": membership,
        "attributes": attributes,
        "direct_reports": membership.direct_reports.all(),
        "can_edit": principal.can("people.manage", membership),
        # The roles page (access app) is open to these; role.assign makes it a management page.
        "can_see_roles": principal.can("role.assign")
        or principal.can("role.view")
        or principal.can("people.view", membership),
        "can_assign_roles": principal.can("role.assign"),
        "can_deactivate": may_deactivate and membership.is_active,
        "can_reactivate": may_deactivate and not membership.is_active,
        # Data-protection requests (export, erasure): pages of the audit app.
        "can_handle_privacy": principal.can("people.privacy", membership),
        # Account security: the sign-in lock is on the email, sessions and two-factor belong to the person.
        "lock": lock,
        "can_unlock": lock.locked and principal.can("people.unlock", membership),
        "can_sign_out_everywhere": may_deactivate,
        "two_factor_enabled": two_factor.has_authenticator(membership.user),
    }
    return render(request, "accounts/person_detail.html", context)


@organization_required
@require_http_methods(["GET", "POST"])
def person_create(request: HttpRequest) -> HttpResponse:
    who = acting(request)
    who.principal.require("people.manage")
    form = PersonForm(
        request.POST or None,
        organization=who.organization,
        definitions=selectors.attribute_definition_list(organization=who.organization),
        manager_options_url=reverse("accounts:person-manager-options"),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        person = services.PersonInput(
            email=data["email"], display_name=data["display_name"], password=data["password"] or None
        )
        try:
            membership = services.person_create(
                organization=who.organization,
                by=who.user,
                person=person,
                attributes=form.attribute_values(),
                **form.membership_fields(),
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        except PermissionDenied:
            # The capability is held (checked above), so the refusal is about the chosen department.
            form.add_error("org_unit", OUTSIDE_YOUR_UNITS)
        else:
            messages.success(request, _("%(name)s was added.") % {"name": membership.user.display_name})
            return redirect("accounts:person-detail", pk=membership.pk)
    return render(request, "accounts/person_form.html", {"form": form, "membership": None})


@organization_required
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    who = acting(request)
    membership = _person_or_404(who, pk)
    who.principal.require("people.manage", membership)
    form = PersonForm(
        request.POST or None,
        organization=who.organization,
        definitions=selectors.attribute_definition_list(organization=who.organization),
        membership=membership,
        manager_options_url=reverse("accounts:person-manager-options"),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_update(
                membership=membership,
                by=who.user,
                display_name=form.cleaned_data["display_name"],
                attributes=form.attribute_values(),
                **form.membership_fields(),
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        except PermissionDenied:
            form.add_error("org_unit", OUTSIDE_YOUR_UNITS)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect("accounts:person-detail", pk=membership.pk)
    return render(request, "accounts/person_form.html", {"form": form, "membership": membership})


@organization_required
@require_POST
def person_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    who = acting(request)
    membership = _person_or_404(who, pk)
    try:
        services.membership_deactivate(membership=membership, by=who.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(name)s was deactivated.") % {"name": membership.user.display_name})
    return redirect("accounts:person-detail", pk=membership.pk)


@organization_required
@require_POST
def person_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    who = acting(request)
    membership = _person_or_404(who, pk)
    services.membership_reactivate(membership=membership, by=who.user)
    messages.success(request, _("%(name)s was reactivated.") % {"name": membership.user.display_name})
    return redirect("accounts:person-detail", pk=membership.pk)


@organization_required
@require_POST
def person_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    """Clear a sign-in lockout on the person's email (people.unlock over them)."""
    who = acting(request)
    membership = _person_or_404(who, pk)
    who.principal.require("people.unlock", membership)
    lockout.account_unlock(membership=membership, by=who.user)
    messages.success(request, _("%(name)s can sign in again.") % {"name": membership.user.display_name})
    return redirect("accounts:person-detail", pk=membership.pk)


@organization_required
@require_POST
def person_sign_out_everywhere(request: HttpRequest, pk: int) -> HttpResponse:
    """End every session of the person (people.deactivate over them), e.g. after a lost laptop."""
    who = acting(request)
    membership = _person_or_404(who, pk)
    who.principal.require("people.deactivate", membership)
    count = sessions.person_sessions_end(membership=membership, by=who.user)
    messages.success(
        request,
        ngettext(
            "%(name)s was signed out of %(count)d session.", "%(name)s was signed out of %(count)d sessions.", count
        )
        % {"name": membership.user.display_name, "count": count},
    )
    return redirect("accounts:person-detail", pk=membership.pk)


@organization_required
@require_GET
def manager_options(request: HttpRequest) -> HttpResponse:
    """Suggestions for the manager input (an htmx fragment of <option>s for its datalist)."""
    who = acting(request)
    who.principal.require("people.manage")
    members = selectors.member_search(
        organization=who.organization, term=request.GET.get("manager", ""), visible=visible_people(who.principal)
    )
    return render(request, "accounts/_manager_options.html", {"members": members})
