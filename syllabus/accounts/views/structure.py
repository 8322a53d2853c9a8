"""The organisation's structure: the org-unit tree, job roles, locations and custom person attributes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from syllabus.accounts import selectors, services
from syllabus.accounts.forms import (
    AttributeDefinitionForm,
    JobRoleForm,
    LocationForm,
    OrgUnitForm,
    ServiceErrorsForm,
)
from syllabus.accounts.models import AttributeDefinition, JobRole, Location, Organization, OrgUnit
from syllabus.accounts.views.guards import Acting, View, acting, organization_required
from syllabus.core.tenancy import get_for_tenant_or_404

# --- org units ------------------------------------------------------------------------------------------


def _unit_or_404(who: Acting, pk: int) -> OrgUnit:
    return get_for_tenant_or_404(selectors.org_unit_list(organization=who.organization), who.organization, pk=pk)


@organization_required
@require_http_methods(["GET", "POST"])
def org_units(request: HttpRequest) -> HttpResponse:
    """The tree with member counts; people who manage units also get the form that adds one."""
    who = acting(request)
    who.require_any("org_unit.manage", "people.view")
    can_manage = who.principal.can("org_unit.manage")
    form = OrgUnitForm(request.POST or None, organization=who.organization) if can_manage else None
    if request.method == "POST":
        who.principal.require("org_unit.manage")
        assert form is not None
        if form.is_valid():
            data = form.cleaned_data
            try:
                unit = services.org_unit_create(
                    organization=who.organization,
                    by=who.user,
                    name=data["name"],
                    code=data["code"],
                    parent=data["parent"],
                )
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("%(name)s was added.") % {"name": unit.name})
                return redirect("accounts:org-units")
    context = {
        "tree": selectors.org_unit_tree(organization=who.organization),
        "form": form,
        "can_manage": can_manage,
        "can_see_people": bool({"people.view", "people.manage"} & who.principal.capabilities),
    }
    return render(request, "accounts/org_units.html", context)


@organization_required
@require_http_methods(["GET", "POST"])
def org_unit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    who = acting(request)
    who.principal.require("org_unit.manage")
    unit = _unit_or_404(who, pk)
    form = OrgUnitForm(request.POST or None, organization=who.organization, unit=unit)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.org_unit_update(
                unit=unit, by=who.user, name=data["name"], code=data["code"], parent=data["parent"]
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect("accounts:org-units")
    return render(request, "accounts/org_unit_form.html", {"form": form, "unit": unit})


@organization_required
@require_POST
def org_unit_delete(request: HttpRequest, pk: int) -> HttpResponse:
    who = acting(request)
    who.principal.require("org_unit.manage")
    unit = _unit_or_404(who, pk)
    try:
        services.org_unit_delete(unit=unit, by=who.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("accounts:org-unit-edit", pk=unit.pk)
    messages.success(request, _("%(name)s was deleted.") % {"name": unit.name})
    return redirect("accounts:org-units")


# --- job roles, locations, custom attributes: one list/edit/delete anatomy ---------------------------


@dataclass(frozen=True)
class Catalogue:
    """A flat list of organisation settings rows (job roles, locations...) with add, edit and delete pages.

    URL names are `<plural>` (the list), `<singular>-create`, `<singular>-edit` and `<singular>-delete`.
    """

    singular: str
    plural: str
    capability: str
    title: Promise
    add_title: Promise
    edit_title: Promise
    columns: tuple[Promise, ...]
    empty_text: Promise
    rows: Callable[[Organization], QuerySet[Any]]
    cells: Callable[[Any], Sequence[Any]]
    make_form: Callable[[Any, Any], ServiceErrorsForm]
    save: Callable[[Acting, Any, dict[str, Any]], Any]
    delete: Callable[[Acting, Any], None]
    delete_warning: Callable[[Any], str]

    def _get_or_404(self, who: Acting, pk: int) -> Any:
        return get_for_tenant_or_404(self.rows(who.organization), who.organization, pk=pk)

    def list_view(self) -> View:
        @organization_required
        @require_GET
        def view(request: HttpRequest) -> HttpResponse:
            who = acting(request)
            who.principal.require(self.capability)
            rows = [(obj, self.cells(obj)) for obj in self.rows(who.organization)]
            return render(request, "accounts/catalogue_list.html", {"catalogue": self, "rows": rows})

        return view

    def edit_view(self) -> View:
        """Add a row (no pk) or edit one."""

        @organization_required
        @require_http_methods(["GET", "POST"])
        def view(request: HttpRequest, pk: int | None = None) -> HttpResponse:
            who = acting(request)
            who.principal.require(self.capability)
            obj = self._get_or_404(who, pk) if pk is not None else None
            form = self.make_form(request.POST or None, obj)
            if request.method == "POST" and form.is_valid():
                try:
                    saved = self.save(who, obj, form.cleaned_data)
                except ValidationError as exc:
                    form.add_service_error(exc)
                else:
                    messages.success(request, _("%(name)s was saved.") % {"name": saved})
                    return redirect(f"accounts:{self.plural}")
            context = {
                "catalogue": self,
                "form": form,
                "object": obj,
                "delete_warning": self.delete_warning(obj) if obj is not None else "",
            }
            return render(request, "accounts/catalogue_form.html", context)

        return view

    def delete_view(self) -> View:
        @organization_required
        @require_POST
        def view(request: HttpRequest, pk: int) -> HttpResponse:
            who = acting(request)
            who.principal.require(self.capability)
            obj = self._get_or_404(who, pk)
            self.delete(who, obj)
            messages.success(request, _("%(name)s was deleted.") % {"name": obj})
            return redirect(f"accounts:{self.plural}")

        return view

    @property
    def list_url(self) -> str:
        return reverse(f"accounts:{self.plural}")

    @property
    def create_url(self) -> str:
        return reverse(f"accounts:{self.singular}-create")

    @property
    def edit_url_name(self) -> str:
        return f"accounts:{self.singular}-edit"

    @property
    def delete_url_name(self) -> str:
        return f"accounts:{self.singular}-delete"


def _people_warning(obj: Any) -> str:
    count: int = getattr(obj, "member_count", 0)
    if not count:
        return _("Nobody is linked to it.")
    return ngettext(
        "%(count)d person is linked to it and will be left without one.",
        "%(count)d people are linked to it and will be left without one.",
        count,
    ) % {"count": count}


def _job_role_form(data: Any, job_role: JobRole | None) -> ServiceErrorsForm:
    return JobRoleForm(data, initial=JobRoleForm.initial_for(job_role) if job_role else None)


def _job_role_save(who: Acting, job_role: JobRole | None, data: dict[str, Any]) -> JobRole:
    return services.job_role_save(
        organization=who.organization, by=who.user, name=data["name"], code=data["code"], job_role=job_role
    )


JOB_ROLES = Catalogue(
    singular="job-role",
    plural="job-roles",
    capability="job_role.manage",
    title=gettext_lazy("Job roles"),
    add_title=gettext_lazy("Add a job role"),
    edit_title=gettext_lazy("Edit job role"),
    columns=(gettext_lazy("Name"), gettext_lazy("Code"), gettext_lazy("People")),
    empty_text=gettext_lazy("No job roles yet."),
    rows=lambda organization: selectors.job_role_list(organization=organization),
    cells=lambda role: (role.code or "—", role.member_count),
    make_form=_job_role_form,
    save=_job_role_save,
    delete=lambda who, role: services.job_role_delete(job_role=role, by=who.user),
    delete_warning=_people_warning,
)


def _location_form(data: Any, location: Location | None) -> ServiceErrorsForm:
    return LocationForm(data, initial=LocationForm.initial_for(location) if location else None)


def _location_save(who: Acting, location: Location | None, data: dict[str, Any]) -> Location:
    return services.location_save(
        organization=who.organization,
        by=who.user,
        name=data["name"],
        code=data["code"],
        address=data["address"],
        time_zone=data["time_zone"],
        location=location,
    )


LOCATIONS = Catalogue(
    singular="location",
    plural="locations",
    capability="location.manage",
    title=gettext_lazy("Locations"),
    add_title=gettext_lazy("Add a location"),
    edit_title=gettext_lazy("Edit location"),
    columns=(gettext_lazy("Name"), gettext_lazy("Code"), gettext_lazy("Time zone"), gettext_lazy("People")),
    empty_text=gettext_lazy("No locations yet."),
    rows=lambda organization: selectors.location_list(organization=organization),
    cells=lambda location: (location.code or "—", location.time_zone or "—", location.member_count),
    make_form=_location_form,
    save=_location_save,
    delete=lambda who, location: services.location_delete(location=location, by=who.user),
    delete_warning=_people_warning,
)


def _attribute_save(who: Acting, definition: AttributeDefinition | None, data: dict[str, Any]) -> AttributeDefinition:
    return services.attribute_definition_save(
        organization=who.organization,
        by=who.user,
        key=data["key"],
        label=data["label"],
        type=data["type"],
        choices=data["choices"],
        required=data["required"],
        definition=definition,
    )


def _attribute_cells(definition: AttributeDefinition) -> tuple[str, ...]:
    return (
        definition.key,
        definition.get_type_display(),
        ", ".join(definition.choices) or "—",
        _("Yes") if definition.required else _("No"),
    )


ATTRIBUTES = Catalogue(
    singular="attribute",
    plural="attributes",
    capability="attribute.manage",
    title=gettext_lazy("Custom attributes"),
    add_title=gettext_lazy("Add a custom attribute"),
    edit_title=gettext_lazy("Edit custom attribute"),
    columns=(
        gettext_lazy("Label"),
        gettext_lazy("Key"),
        gettext_lazy("Type"),
        gettext_lazy("Choices"),
        gettext_lazy("Required"),
    ),
    empty_text=gettext_lazy("No custom attributes yet."),
    rows=lambda organization: selectors.attribute_definition_list(organization=organization),
    cells=_attribute_cells,
    make_form=lambda data, definition: AttributeDefinitionForm(data, definition=definition),
    save=_attribute_save,
    delete=lambda who, definition: services.attribute_definition_delete(definition=definition, by=who.user),
    delete_warning=lambda definition: _("Its input disappears from every person's page and form."),
)
