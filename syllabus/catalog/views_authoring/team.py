"""A course's team: who works on it in which role. Owners (course.manage) add colleagues of the same organisation
(found by name or email, live with htmx), change roles and remove people; the services keep at least one owner."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from syllabus.access.decorators import organization_view
from syllabus.access.policy import Principal
from syllabus.accounts import selectors as account_selectors
from syllabus.accounts.models import Membership, Organization
from syllabus.catalog import selectors, services
from syllabus.catalog.forms import StaffRemoveForm, StaffRoleForm
from syllabus.catalog.models import Course, CourseStaff
from syllabus.catalog.views_authoring.common import (
    course_context,
    course_or_404,
    error_text,
    is_fragment,
    user_of,
    vary,
)

SEARCH_LIMIT = 10


def _candidates(organization: Organization, course: Course, term: str) -> list[Membership]:
    """Active members matching the search who are not on the team yet. Any member may be added: a course owner
    needs to find colleagues by name, whatever their own people-viewing rights."""
    on_team = set(CourseStaff.objects.filter(course=course).values_list("membership_id", flat=True))
    found = account_selectors.member_search(
        organization=organization, term=term, visible=Q(), limit=SEARCH_LIMIT + len(on_team)
    )
    return [member for member in found if member.pk not in on_team][:SEARCH_LIMIT]


def _search_context(organization: Organization, course: Course, term: str) -> dict[str, Any]:
    term = term.strip()[:100]
    return {
        "term": term,
        "candidates": _candidates(organization, course, term) if term else [],
        "role_choices": CourseStaff.Role.choices,
    }


@organization_view
@require_GET
def team(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    course = course_or_404(organization, principal, pk)
    context = course_context(principal, course, "team")
    context.update(
        staff=list(selectors.staff_of(course=course)),
        role_choices=CourseStaff.Role.choices,
    )
    if context["can_manage"]:
        context.update(_search_context(organization, course, request.GET.get("q", "")))
    return render(request, "catalog/authoring/course_team.html", context)


@organization_view
@require_GET
def team_search(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    """The search results alone (htmx, as the owner types); without JavaScript the team page shows them."""
    course = course_or_404(organization, principal, pk)
    principal.require("course.manage", course)
    context = {"course": course, **_search_context(organization, course, request.GET.get("q", ""))}
    if not is_fragment(request):
        return redirect(f"{_team_url(course)}?q={context['term']}")
    return vary(render(request, "catalog/authoring/_team_search.html", context))


def _team_url(course: Course) -> str:
    from django.urls import reverse

    return reverse("catalog:course-team", args=[course.pk])


def _member_or_404(organization: Organization, membership_id: int) -> Membership:
    member = account_selectors.person_get(organization=organization, membership_id=membership_id, visible=Q())
    if member is None:
        raise Http404
    return member


@organization_view
@require_POST
def team_set(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    course = course_or_404(organization, principal, pk)
    principal.require("course.manage", course)
    form = StaffRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a person and a role."))
        return redirect("catalog:course-team", pk=course.pk)
    member = _member_or_404(organization, form.cleaned_data["membership"])
    role = form.cleaned_data["role"]
    try:
        services.staff_set(course=course, by=user_of(request), membership=member, role=role)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(
            request,
            _("%(name)s is now %(role)s of this course.")
            % {"name": member.user.display_name or member.user.email, "role": CourseStaff.Role(role).label.lower()},
        )
    return redirect("catalog:course-team", pk=course.pk)


@organization_view
@require_POST
def team_remove(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    course = course_or_404(organization, principal, pk)
    principal.require("course.manage", course)
    form = StaffRemoveForm(request.POST)
    if not form.is_valid():
        raise Http404
    member = _member_or_404(organization, form.cleaned_data["membership"])
    try:
        services.staff_remove(course=course, by=user_of(request), membership=member)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(
            request, _("%(name)s was removed from the team.") % {"name": member.user.display_name or member.user.email}
        )
    return redirect("catalog:course-team", pk=course.pk)
