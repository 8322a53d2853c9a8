"""A course's groups (per site, per trainer...): create, rename, delete, and who is in each."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from syllabus.access.decorators import organization_view
from syllabus.access.policy import Principal
from syllabus.accounts.models import Organization
from syllabus.catalog.models import Course
from syllabus.enrollment import policy, services
from syllabus.enrollment import selectors_course as selectors
from syllabus.enrollment.forms_course import GroupForm, GroupMembersForm, add_service_error
from syllabus.enrollment.models import CourseGroup
from syllabus.enrollment.views_course.common import course_or_404, error_text, require, user_of


def _team_course(organization: Organization, principal: Principal, pk: int) -> Course:
    course = course_or_404(organization, principal, pk)
    require(policy.can_manage_participants(principal, course))
    return course


def _group_or_404(course: Course, group_id: int) -> CourseGroup:
    group = selectors.group_get(course=course, group_id=group_id)
    if group is None:
        raise Http404
    return group


@organization_view
@require_http_methods(["GET", "POST"])
def groups(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    """The list, and the form that creates a group."""
    course = _team_course(organization, principal, pk)
    form = GroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            group = services.group_create(
                course=course,
                by=user_of(request),
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("The group %(name)s was created.") % {"name": group.name})
            return redirect("enrollment:groups", pk=course.pk)
    context = {
        **selectors.course_header(principal, course, "groups"),
        "groups": selectors.groups_of(course=course),
        "form": form,
    }
    return render(request, "enrollment/course/groups.html", context, status=400 if form.errors else 200)


def _group_page(
    request: HttpRequest, principal: Principal, course: Course, group: CourseGroup, *, form: GroupForm | None = None
) -> HttpResponse:
    term = request.GET.get("find", "").strip()[:100]
    context: dict[str, Any] = {
        **selectors.course_header(principal, course, "groups"),
        "group": group,
        "members": selectors.group_members(group=group),
        "form": form or GroupForm(initial={"name": group.name, "description": group.description}),
        "term": term,
        "candidates": selectors.participants_to_add(course=course, group=group, term=term),
    }
    return render(request, "enrollment/course/group.html", context, status=400 if form and form.errors else 200)


@organization_view
@require_http_methods(["GET", "POST"])
def group(
    request: HttpRequest, organization: Organization, principal: Principal, pk: int, group_id: int
) -> HttpResponse:
    """One group: its members, renaming it, finding participants to add."""
    course = _team_course(organization, principal, pk)
    found = _group_or_404(course, group_id)
    if request.method != "POST":
        return _group_page(request, principal, course, found)
    form = GroupForm(request.POST)
    if form.is_valid():
        try:
            services.group_update(
                group=found,
                by=user_of(request),
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("The group was renamed %(name)s.") % {"name": found.name})
            return redirect("enrollment:group", pk=course.pk, group_id=found.pk)
    found.refresh_from_db()
    return _group_page(request, principal, course, found, form=form)


@organization_view
@require_POST
def group_delete(
    request: HttpRequest, organization: Organization, principal: Principal, pk: int, group_id: int
) -> HttpResponse:
    course = _team_course(organization, principal, pk)
    found = _group_or_404(course, group_id)
    name = found.name
    services.group_delete(group=found, by=user_of(request))
    messages.success(request, _("The group %(name)s was deleted; its members stay in the course.") % {"name": name})
    return redirect("enrollment:groups", pk=course.pk)


@organization_view
@require_POST
def group_members(
    request: HttpRequest, organization: Organization, principal: Principal, pk: int, group_id: int
) -> HttpResponse:
    """Add the checked participants (`add`) or take them out (`remove`)."""
    course = _team_course(organization, principal, pk)
    found = _group_or_404(course, group_id)
    form = GroupMembersForm(request.POST)
    ids = form.cleaned_data["enrollments"] if form.is_valid() else []
    ids = selectors.live_enrollment_ids(course=course, ids=ids)
    if not ids:
        messages.error(request, _("Check at least one person."))
        return redirect("enrollment:group", pk=course.pk, group_id=found.pk)
    try:
        if request.POST.get("action") == "remove":
            _added, count = services.group_members_change(group=found, by=user_of(request), remove=ids)
            text = ngettext("%(count)s person removed.", "%(count)s people removed.", count)
        else:
            count, _removed = services.group_members_change(group=found, by=user_of(request), add=ids)
            text = ngettext("%(count)s person added.", "%(count)s people added.", count)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, text % {"count": count})
    return redirect("enrollment:group", pk=course.pk, group_id=found.pk)
