"""The outline editor: sections and their ordered activities.

Reordering works three ways, all ending in a service call: drag and drop (outline.js posts the whole order to
`structure_reorder`), "Move up" / "Move down" buttons (real buttons in forms, so they work with the keyboard and
without JavaScript; with htmx only the outline is swapped and the focus stays on the button pressed), and a
"Move to section" select. Each move answers with a sentence for the page's live region ("Moved 'Fire doors' to
position 3 of 5").
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from syllabus.access.decorators import organization_view
from syllabus.access.policy import Principal
from syllabus.accounts.models import Organization
from syllabus.catalog import services
from syllabus.catalog.activity_kinds import base as kinds
from syllabus.catalog.activity_kinds.base import ActivityKind
from syllabus.catalog.forms import ActivityForm, MoveToSectionForm, SectionForm, parameter_field_name
from syllabus.catalog.models import Activity, Course, Section
from syllabus.catalog.views_authoring import reads
from syllabus.catalog.views_authoring.common import (
    course_context,
    course_or_404,
    error_text,
    is_fragment,
    user_of,
    vary,
)

OUTLINE_PARTIAL = "catalog/authoring/_outline.html"
# The activity form's own fields; everything else in the POST belongs to the kind.
COMMON_FIELDS = frozenset(
    {"csrfmiddlewaretoken", "kind", "title", "completion_rule", "is_required", "duration_minutes", "skills"}
)


def _section_or_404(course: Course, pk: int) -> Section:
    section = reads.section_of(course, pk)
    if section is None:
        raise Http404
    return section


def _activity_or_404(course: Course, pk: int) -> Activity:
    activity = reads.activity_of(course, pk)
    if activity is None:
        raise Http404
    return activity


def _outline_url(course: Course, anchor: str = "") -> str:
    url = reverse("catalog:course-outline", args=[course.pk])
    return f"{url}#{anchor}" if anchor else url


def _outline_context(principal: Principal, course: Course, *, feedback: bool = False) -> dict[str, Any]:
    sections = reads.outline(course)
    return {
        **course_context(principal, course, "outline", feedback=feedback),
        "sections": sections,
        "section_choices": [(item.section.pk, item.section.title) for item in sections],
        "activity_count": sum(len(item.activities) for item in sections),
        "editable": principal.can("course.edit", course) and not course.in_review,
    }


def _outline_response(
    request: HttpRequest,
    principal: Principal,
    course: Course,
    *,
    status_message: str = "",
    error: str = "",
    focus: str = "",
    anchor: str = "",
) -> HttpResponse:
    """After a change: the outline fragment for htmx (with the live-region sentence and the element to focus),
    or back to the outline page for a plain form post."""
    if is_fragment(request):
        context = {
            **_outline_context(principal, course),
            "status_message": error or status_message,
            "status_is_error": bool(error),
            "focus": focus,
        }
        return vary(render(request, OUTLINE_PARTIAL, context))
    if error:
        messages.error(request, error)
    elif status_message:
        messages.success(request, status_message)
    return redirect(_outline_url(course, anchor))


# --- the page ----------------------------------------------------------------------------------------------------


@organization_view
@require_GET
def outline(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    course = course_or_404(organization, principal, pk)
    fragment = is_fragment(request) and request.GET.get("part") == "outline"
    context = {**_outline_context(principal, course, feedback=not fragment), "section_form": SectionForm()}
    if fragment:
        return vary(render(request, OUTLINE_PARTIAL, context))
    return vary(render(request, "catalog/authoring/outline.html", context))


@organization_view
@require_POST
def outline_reorder(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    """The whole order after a drag and drop: `order` is JSON, [{"section": uid, "activities": [uid, ...]}, ...]."""
    course = course_or_404(organization, principal, pk)
    principal.require("course.edit", course)
    try:
        order = json.loads(request.POST.get("order", ""))
        if not isinstance(order, list):
            raise ValueError
        services.structure_reorder(course=course, by=user_of(request), order=order)
    except ValueError:
        return _outline_response(request, principal, course, error=services.BAD_ORDER)
    except ValidationError as exc:
        return _outline_response(request, principal, course, error=error_text(exc))
    moved = request.POST.get("moved", "")[:200]
    message = (
        _("Moved '%(title)s'. The new order was saved.") % {"title": moved} if moved else _("The new order was saved.")
    )
    return _outline_response(request, principal, course, status_message=message)


# --- sections ------------------------------------------------------------------------------------------------------


@organization_view
@require_POST
def section_create(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    course = course_or_404(organization, principal, pk)
    principal.require("course.edit", course)
    form = SectionForm(request.POST)
    if form.is_valid():
        try:
            section = services.section_create(
                course=course,
                by=user_of(request),
                title=form.cleaned_data["title"],
                summary=form.cleaned_data["summary"],
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The section '%(title)s' was added.") % {"title": section.title})
            return redirect(_outline_url(course, f"section-{section.pk}"))
    context = {**_outline_context(principal, course, feedback=True), "section_form": form}
    return render(request, "catalog/authoring/outline.html", context, status=400)


@organization_view
@require_http_methods(["GET", "POST"])
def section_edit(
    request: HttpRequest, organization: Organization, principal: Principal, pk: int, section_pk: int
) -> HttpResponse:
    course = course_or_404(organization, principal, pk)
    principal.require("course.edit", course)
    section = _section_or_404(course, section_pk)
    form = SectionForm(request.POST or None, initial={"title": section.title, "summary": section.summary})
    if request.method == "POST" and form.is_valid():
        try:
            services.section_update(
                section=section,
                by=user_of(request),
                title=form.cleaned_data["title"],
                summary=form.cleaned_data["summary"],
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The section was saved."))
            return redirect(_outline_url(course, f"section-{section.pk}"))
    context = {**course_context(principal, course, "outline"), "section": section, "form": form}
    return render(request, "catalog/authoring/section_form.html", context)


@organization_view
@require_POST
def section_delete(
    request: HttpRequest, organization: Organization, principal: Principal, pk: int, section_pk: int
) -> HttpResponse:
    course = course_or_404(organization, principal, pk)
    principal.require("course.edit", course)
    section = _section_or_404(course, section_pk)
    try:
        services.section_delete(section=section, by=user_of(request))
    except ValidationError as exc:
        return _outline_response(request, principal, course, error=error_text(exc))
    message = _("The section '%(title)s' and its activities were deleted.") % {"title": section.title}
    return _outline_response(request, principal, course, status_message=message, focus="add-section-title")


def _offset(request: HttpRequest) -> int:
    try:
        offset = int(request.POST.get("offset", "0"))
    except ValueError:
        return 0
    return max(-1, min(1, offset))


def _moved_message(title: str, position: int, count: int) -> str:
    return _("Moved '%(title)s' to position %(position)s of %(count)s.") % {
        "title": title,
        "position": position,
        "count": count,
    }


@organization_view
@require_POST
def section_move(
    request: HttpRequest, organization: Organization, principal: Principal, pk: int, section_pk: int
) -> HttpResponse:
    course = course_or_404(organization, principal, pk)
    principal.require("course.edit", course)
    section = _section_or_404(course, section_pk)
    offset = _offset(request)
    focus = f"section-{section.pk}-{'up' if offset < 0 else 'down'}"
    try:
        position = services.section_move(section=section, by=user_of(request), offset=offset)
    except ValidationError as exc:
        return _outline_response(request, principal, course, error=error_text(exc), focus=focus)
    count = Section.objects.filter(course=course).count()
    return _outline_response(
        request,
        principal,
        course,
        status_message=_moved_message(section.title, position + 1, count),
        focus=focus,
        anchor=f"section-{section.pk}",
    )


# --- activities ----------------------------------------------------------------------------------------------------


def _kind_or_404(key: str) -> ActivityKind:
    if not kinds.is_registered(key):
        raise Http404
    return kinds.get(key)


def _activity_page(
    request: HttpRequest,
    principal: Principal,
    course: Course,
    *,
    kind: ActivityKind,
    section: Section,
    activity: Activity | None,
    form: ActivityForm,
    kind_errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    current: dict[str, Any] = dict(activity.config) if activity is not None else {}
    if request.method == "POST":
        # Show what the author typed again, not the saved config.
        for name in request.POST:
            if name not in COMMON_FIELDS and not name.startswith("completion_"):
                posted = request.POST.getlist(name)
                current[name] = posted if len(posted) > 1 else posted[0]
    context = {
        **course_context(principal, course, "outline"),
        "kind": kind,
        "section": section,
        "activity": activity,
        "form": form,
        "rules": form.rules(),
        "kind_fields": kind.render_author(request=request, current=current, course=course, errors=kind_errors or {}),
        "kind_errors": kind_errors or {},
    }
    return render(request, "catalog/authoring/activity_form.html", context, status=status)


@organization_view
@require_http_methods(["GET", "POST"])
def activity_new(
    request: HttpRequest, organization: Organization, principal: Principal, pk: int, section_pk: int
) -> HttpResponse:
    """Step 1 (no kind yet): choose what kind of activity to add. Step 2: that kind's form."""
    course = course_or_404(organization, principal, pk)
    principal.require("course.edit", course)
    section = _section_or_404(course, section_pk)
    key = request.POST.get("kind") or request.GET.get("kind") or ""
    if not key:
        context = {
            **course_context(principal, course, "outline"),
            "section": section,
            "kinds": sorted(kinds.all_kinds(), key=lambda kind: str(kind.label)),
        }
        return render(request, "catalog/authoring/activity_kind_choice.html", context)
    kind = _kind_or_404(key)
    skill_choices = reads.skill_choices(organization)
    form = ActivityForm(request.POST or None, kind=kind, skill_choices=skill_choices)
    if request.method == "POST":
        if form.is_valid():
            try:
                activity = services.activity_create(
                    section=section,
                    by=user_of(request),
                    kind=kind.key,
                    title=form.cleaned_data["title"],
                    data=request.POST,
                    files=request.FILES,
                    completion=form.completion(),
                    is_required=form.cleaned_data["is_required"],
                    duration_minutes=form.cleaned_data["duration_minutes"] or 0,
                    skills=form.cleaned_data["skills"],
                )
            except ValidationError as exc:
                kind_errors = form.service_errors_for_kind(exc)
                return _activity_page(
                    request,
                    principal,
                    course,
                    kind=kind,
                    section=section,
                    activity=None,
                    form=form,
                    kind_errors=kind_errors,
                    status=400,
                )
            messages.success(request, _("The activity '%(title)s' was added.") % {"title": activity.title})
            return redirect(_outline_url(course, f"activity-{activity.pk}"))
        return _activity_page(
            request, principal, course, kind=kind, section=section, activity=None, form=form, status=400
        )
    return _activity_page(request, principal, course, kind=kind, section=section, activity=None, form=form)


def _activity_initial(activity: Activity, kind: ActivityKind) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "title": activity.title,
        "is_required": activity.is_required,
        "duration_minutes": activity.duration_minutes,
        "skills": [skill.pk for skill in activity.skills.all()],
        "completion_rule": (activity.completion or {}).get("rule", ""),
    }
    for rule in kind.completion_rules:
        if rule.key == initial["completion_rule"]:
            for name in rule.parameters:
                if name in activity.completion:
                    initial[parameter_field_name(rule, name)] = activity.completion[name]
    return initial


@organization_view
@require_http_methods(["GET", "POST"])
def activity_edit(
    request: HttpRequest, organization: Organization, principal: Principal, pk: int, activity_pk: int
) -> HttpResponse:
    course = course_or_404(organization, principal, pk)
    principal.require("course.edit", course)
    activity = _activity_of_registered_kind(course, activity_pk)
    kind = kinds.get(activity.kind)
    initial = _activity_initial(activity, kind)
    form = ActivityForm(
        request.POST or None,
        initial=initial,
        kind=kind,
        skill_choices=reads.skill_choices(organization, include=initial["skills"]),
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                services.activity_update(
                    activity=activity,
                    by=user_of(request),
                    title=form.cleaned_data["title"],
                    data=request.POST,
                    files=request.FILES,
                    completion=form.completion(),
                    is_required=form.cleaned_data["is_required"],
                    duration_minutes=form.cleaned_data["duration_minutes"] or 0,
                    skills=form.cleaned_data["skills"],
                )
            except ValidationError as exc:
                kind_errors = form.service_errors_for_kind(exc)
                return _activity_page(
                    request,
                    principal,
                    course,
                    kind=kind,
                    section=activity.section,
                    activity=activity,
                    form=form,
                    kind_errors=kind_errors,
                    status=400,
                )
            messages.success(request, _("The activity '%(title)s' was saved.") % {"title": activity.title})
            return redirect(_outline_url(course, f"activity-{activity.pk}"))
        return _activity_page(
            request, principal, course, kind=kind, section=activity.section, activity=activity, form=form, status=400
        )
    return _activity_page(request, principal, course, kind=kind, section=activity.section, activity=activity, form=form)


def _activity_of_registered_kind(course: Course, pk: int) -> Activity:
    activity = _activity_or_404(course, pk)
    if not kinds.is_registered(activity.kind):
        # A kind this site no longer offers cannot be edited, only moved or deleted from the outline.
        raise Http404
    return activity


@organization_view
@require_POST
def activity_delete(
    request: HttpRequest, organization: Organization, principal: Principal, pk: int, activity_pk: int
) -> HttpResponse:
    course = course_or_404(organization, principal, pk)
    principal.require("course.edit", course)
    activity = _activity_or_404(course, activity_pk)
    try:
        services.activity_delete(activity=activity, by=user_of(request))
    except ValidationError as exc:
        return _outline_response(request, principal, course, error=error_text(exc))
    message = _("The activity '%(title)s' was deleted.") % {"title": activity.title}
    return _outline_response(
        request,
        principal,
        course,
        status_message=message,
        focus=f"section-{activity.section_id}-add",
        anchor=f"section-{activity.section_id}",
    )


@organization_view
@require_POST
def activity_move(
    request: HttpRequest, organization: Organization, principal: Principal, pk: int, activity_pk: int
) -> HttpResponse:
    """Up or down within its section (`offset`), or to the end of another section (`section`)."""
    course = course_or_404(organization, principal, pk)
    principal.require("course.edit", course)
    activity = _activity_or_404(course, activity_pk)
    by = user_of(request)
    if "section" in request.POST:
        form = MoveToSectionForm(
            request.POST, sections=[(s.pk, s.title) for s in Section.objects.filter(course=course)]
        )
        if not form.is_valid():
            return _outline_response(request, principal, course, error=_("Choose a section of this course."))
        target = _section_or_404(course, form.cleaned_data["section"])
        focus = f"activity-{activity.pk}-edit"
        try:
            position = services.activity_move(activity=activity, by=by, section=target)
        except ValidationError as exc:
            return _outline_response(request, principal, course, error=error_text(exc), focus=focus)
        count = Activity.objects.filter(section=target).count()
        message = _("Moved '%(title)s' to section '%(section)s', position %(position)s of %(count)s.") % {
            "title": activity.title,
            "section": target.title,
            "position": position + 1,
            "count": count,
        }
        return _outline_response(
            request, principal, course, status_message=message, focus=focus, anchor=f"activity-{activity.pk}"
        )
    offset = _offset(request)
    focus = f"activity-{activity.pk}-{'up' if offset < 0 else 'down'}"
    try:
        position = services.activity_move(activity=activity, by=by, offset=offset)
    except ValidationError as exc:
        return _outline_response(request, principal, course, error=error_text(exc), focus=focus)
    count = Activity.objects.filter(section_id=activity.section_id).count()
    return _outline_response(
        request,
        principal,
        course,
        status_message=_moved_message(activity.title, position + 1, count),
        focus=focus,
        anchor=f"activity-{activity.pk}",
    )
