"""Roles and permissions pages: the roles of the organisation, custom roles, and one person's role assignments.

Each view parses, authorizes through `access.policy`, calls one service or selector and renders. Another
organisation's ids are simply not found (404).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from syllabus.access import selectors, services
from syllabus.access.capabilities import BY_CODE
from syllabus.access.decorators import organization_view
from syllabus.access.forms import RoleAssignmentForm, RoleForm, add_service_error
from syllabus.access.models import Role, RoleAssignment
from syllabus.access.policy import Principal
from syllabus.accounts.models import Membership, Organization
from syllabus.accounts.selectors import org_unit_choices
from syllabus.core.tenancy import get_for_tenant_or_404

ROLE_VIEWERS = ("role.view", "role.manage", "role.assign")

View = Callable[..., HttpResponse]


def _require_any(principal: Principal, capabilities: tuple[str, ...], obj: Any = None) -> None:
    if not any(principal.can(code, obj) for code in capabilities):
        raise PermissionDenied


def _custom_role_or_404(organization: Organization, pk: int) -> Role:
    # Built-in roles have no organisation, so they are not found here: they cannot be edited or deleted.
    return get_for_tenant_or_404(Role.objects.all(), organization, pk=pk)


# --- roles ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleRow:
    role: Role
    capability_labels: list[str]
    holder_count: int
    held_by_everyone: bool


@organization_view
@require_http_methods(["GET"])
def role_list(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    _require_any(principal, ROLE_VIEWERS)
    rows = [
        RoleRow(
            role=role,
            capability_labels=[str(BY_CODE[code].label) for code in BY_CODE if code in role.capabilities],
            holder_count=role.holder_count,  # type: ignore[attr-defined]
            # Everyone is a learner without an assignment; counting assignments would mislead.
            held_by_everyone=role.is_builtin and role.key == "learner",
        )
        for role in selectors.role_list(organization=organization)
    ]
    return render(
        request,
        "access/role_list.html",
        {
            "builtin_rows": [row for row in rows if row.role.is_builtin],
            "custom_rows": [row for row in rows if not row.role.is_builtin],
            "can_manage": principal.can("role.manage"),
        },
    )


@organization_view
@require_http_methods(["GET", "POST"])
def role_create(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    principal.require("role.manage")
    initial: dict[str, Any] = {}
    source = _source_role(organization, request.GET.get("from", ""))
    if source is not None:
        initial = RoleForm.initial_from(source, _("%(name)s (custom)") % {"name": source.name})
    form = RoleForm(request.POST or None, initial=initial, held=_grantable(principal))
    if request.method == "POST" and form.is_valid():
        try:
            role = services.role_create(
                organization=organization,
                by=request.user,  # type: ignore[arg-type]
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                capabilities=form.cleaned_data["capabilities"],
            )
        except (ValidationError, PermissionDenied) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("The role “%(name)s” was created.") % {"name": role.name})
            return redirect("access:roles")
    return render(request, "access/role_form.html", {"form": form, "role": None, "source": source})


def _grantable(principal: Principal) -> frozenset[str]:
    # What the escalation rule of the services lets this person put in a role.
    return frozenset(BY_CODE) if principal.is_platform_admin else principal.org_capabilities


def _source_role(organization: Organization, value: str) -> Role | None:
    """The role a new custom role starts from ("Duplicate as custom role"), if any."""
    try:
        role_id = int(value)
    except ValueError:
        return None
    role = selectors.role_get(organization=organization, role_id=role_id)
    if role is None:
        raise Http404
    return role


@organization_view
@require_http_methods(["GET", "POST"])
def role_edit(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    role = _custom_role_or_404(organization, pk)
    principal.require("role.manage")
    form = RoleForm(
        request.POST or None,
        initial=RoleForm.initial_from(role, role.name),
        held=_grantable(principal),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.role_update(
                role=role,
                by=request.user,  # type: ignore[arg-type]
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                capabilities=form.cleaned_data["capabilities"],
            )
        except (ValidationError, PermissionDenied) as exc:
            add_service_error(form, exc)
            role.refresh_from_db()
        else:
            messages.success(request, _("The role “%(name)s” was saved.") % {"name": role.name})
            return redirect("access:roles")
    return render(
        request,
        "access/role_form.html",
        {"form": form, "role": role, "source": None},
    )


@organization_view
@require_POST
def role_delete(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    role = _custom_role_or_404(organization, pk)
    principal.require("role.manage")
    try:
        services.role_delete(role=role, by=request.user)  # type: ignore[arg-type]
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The role “%(name)s” was deleted.") % {"name": role.name})
    return redirect("access:roles")


# --- one person's roles --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssignmentRow:
    assignment: RoleAssignment
    scope_label: str
    remove_url: str
    confirm: str


def _membership_or_404(organization: Organization, pk: int) -> Membership:
    return get_for_tenant_or_404(Membership.objects.select_related("user", "org_unit"), organization, pk=pk)


@organization_view
@require_http_methods(["GET", "POST"])
def person_roles(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    membership = _membership_or_404(organization, pk)
    can_assign = principal.can("role.assign")
    can_view_person = principal.can("people.view", membership)
    if not (can_assign or can_view_person or principal.can("role.view")):
        raise PermissionDenied
    form = RoleAssignmentForm(
        request.POST or None,
        organization=organization,
        # Every active member is a learner already; offering it would only add a row that changes nothing.
        roles=[
            role
            for role in selectors.role_list(organization=organization, count_holders=False)
            if not (role.is_builtin and role.key == "learner")
        ],
        org_units=org_unit_choices(organization=organization),
    )
    if request.method == "POST":
        if not can_assign:
            raise PermissionDenied
        if form.is_valid():
            try:
                assignment = services.role_assign(
                    membership=membership,
                    role=form.cleaned_data["role"],
                    by=request.user,  # type: ignore[arg-type]
                    scope=form.cleaned_data["scope"],
                    org_unit=form.cleaned_data["org_unit"],
                )
            except (ValidationError, PermissionDenied) as exc:
                add_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _("%(person)s now has the role “%(role)s”.")
                    % {"person": membership.user.display_name, "role": assignment.role.name},
                )
                return redirect("access:person-roles", pk=membership.pk)
    rows = [
        AssignmentRow(
            assignment=assignment,
            scope_label=(
                _("%(unit)s and below") % {"unit": assignment.org_unit.name}
                if assignment.org_unit is not None
                else _("Whole organisation")
            ),
            remove_url=reverse("access:person-role-remove", args=[membership.pk, assignment.pk]),
            confirm=_("Remove the role “%(role)s” from %(person)s?")
            % {"role": assignment.role.name, "person": membership.user.display_name},
        )
        for assignment in selectors.role_assignment_list(membership=membership)
    ]
    return render(
        request,
        "access/person_roles.html",
        {
            "person": membership,
            "rows": rows,
            "form": form,
            "can_assign": can_assign,
            "can_view_person": can_view_person,
        },
    )


@organization_view
@require_POST
def person_role_remove(
    request: HttpRequest, organization: Organization, principal: Principal, pk: int, assignment_pk: int
) -> HttpResponse:
    membership = _membership_or_404(organization, pk)
    assignment = get_for_tenant_or_404(
        RoleAssignment.objects.select_related("role", "org_unit"), organization, pk=assignment_pk, membership=membership
    )
    principal.require("role.assign")
    assignment.membership = membership
    try:
        services.role_unassign(assignment=assignment, by=request.user)  # type: ignore[arg-type]
    except (ValidationError, PermissionDenied) as exc:
        for message in exc.messages if isinstance(exc, ValidationError) else [str(exc)]:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("%(person)s no longer has the role “%(role)s”.")
            % {"person": membership.user.display_name, "role": assignment.role.name},
        )
    return redirect("access:person-roles", pk=membership.pk)
