"""The authoring list (the courses I work on), a new course, a course's details (metadata and cover), and its
lifecycle actions: copy, archive, unarchive, delete."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from syllabus.access.decorators import organization_view
from syllabus.access.policy import Principal
from syllabus.accounts.models import Organization
from syllabus.catalog import selectors, services
from syllabus.catalog.forms import CopyForm, CourseForm, CoverForm
from syllabus.catalog.models import Course
from syllabus.catalog.views_authoring import feedback, reads
from syllabus.catalog.views_authoring.common import (
    PAGE_SIZE,
    course_context,
    course_or_404,
    course_state,
    error_summary,
    error_text,
    require_author,
    url_or_empty,
    user_of,
)

TAG_LIST_ID = "existing-tags"
STATE_FILTERS = (
    ("", gettext_lazy("Any state")),
    (selectors.STATE_DRAFT, gettext_lazy("Draft (never published)")),
    (selectors.STATE_IN_REVIEW, gettext_lazy("In review")),
    (selectors.STATE_PUBLISHED, gettext_lazy("Published")),
    (selectors.STATE_ARCHIVED, gettext_lazy("Archived")),
)


# --- the list ----------------------------------------------------------------------------------------------------


@organization_view
@require_GET
def course_list(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    require_author(principal)
    q = request.GET.get("q", "").strip()
    state = request.GET.get("state", "")
    if state not in selectors.STATES:
        state = ""
    courses = selectors.courses_for_staff(principal=principal, organization=organization, q=q, state=state)
    page = Paginator(courses, PAGE_SIZE).get_page(request.GET.get("page"))
    on_page = list(page)
    sent_back = feedback.sent_back_by_course(on_page)
    rows = [
        {
            "course": course,
            "state": course_state(
                course,
                has_unpublished_changes=course.has_unpublished_changes,  # type: ignore[attr-defined]
                sent_back=course.pk in sent_back,
            ),
            "role": reads.role_label(getattr(course, "my_role", None)),
            "sent_back": sent_back.get(course.pk),
        }
        for course in on_page
    ]
    context = {
        "page_obj": page,
        "rows": rows,
        "q": q,
        "state": state,
        "state_filters": [(key, str(label)) for key, label in STATE_FILTERS],
        "can_create": principal.can("course.create"),
        "filtered": bool(q or state),
    }
    return render(request, "catalog/authoring/course_list.html", context)


# --- a new course and its details --------------------------------------------------------------------------------


def _course_form(request: HttpRequest, organization: Organization, initial: dict[str, Any] | None = None) -> CourseForm:
    return CourseForm(
        request.POST if request.method == "POST" and request.POST.get("action", "details") == "details" else None,
        initial=initial or {},
        categories=reads.categories(organization),
        audiences=reads.audiences(organization),
        skill_choices=reads.skill_choices(organization, include=(initial or {}).get("skills", ())),
        tag_list_id=TAG_LIST_ID,
    )


@organization_view
@require_http_methods(["GET", "POST"])
def course_new(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    principal.require("course.create")
    form = _course_form(request, organization)
    if request.method == "POST" and form.is_valid():
        try:
            course = services.course_create(organization=organization, by=user_of(request), **form.service_fields())
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(
                request,
                _("The course %(title)s was created. Now add its sections and activities.") % {"title": course.title},
            )
            return redirect("catalog:course-outline", pk=course.pk)
    context = {
        "form": form,
        "tag_names": reads.tag_names(organization),
        "tag_list_id": TAG_LIST_ID,
        "error_summary": error_summary(form),
    }
    return render(request, "catalog/authoring/course_new.html", context)


def _initial(course: Course) -> dict[str, Any]:
    return {
        "title": course.title,
        "summary": course.summary,
        "description": course.description,
        "category": course.category_id,
        "tags": ", ".join(tag.name for tag in course.tags.all()),
        "skills": [skill.pk for skill in course.skills.all()],
        "language": course.language,
        "level": course.level,
        "duration_minutes": course.duration_minutes or None,  # 0: not estimated, shown empty
        "visibility": course.visibility,
        "audience": course.audience_id,
    }


@organization_view
@require_http_methods(["GET", "POST"])
def course_edit(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    """The course's details: the metadata form and the cover upload for its editors, the facts for the others,
    and the settings (copy, archive, delete) for its owners."""
    course = course_or_404(organization, principal, pk)
    context = course_context(principal, course, "details", feedback=True)
    action = request.POST.get("action", "details")
    form = _course_form(request, organization, _initial(course))
    form.fields["description"].set_course(course)  # type: ignore[attr-defined]
    cover_form = CoverForm(request.POST if action == "cover" else None, request.FILES if action == "cover" else None)
    if request.method == "POST":
        principal.require("course.edit", course)
        if course.in_review:
            messages.error(request, services.IN_REVIEW_LOCKED)
            return redirect("catalog:course-edit", pk=course.pk)
        by = user_of(request)
        if action == "cover":
            if cover_form.is_valid():
                had_cover = course.cover_id is not None
                try:
                    services.course_cover_set(course=course, by=by, upload=cover_form.cleaned_data["cover"])
                except ValidationError as exc:
                    cover_form.add_service_error(exc)
                else:
                    messages.success(
                        request, _("The cover image was replaced.") if had_cover else _("The cover image was added.")
                    )
                    return redirect("catalog:course-edit", pk=course.pk)
        elif action == "remove-cover":
            try:
                services.course_cover_remove(course=course, by=by)
            except ValidationError as exc:
                messages.error(request, error_text(exc))
            else:
                messages.success(request, _("The cover image was removed."))
            return redirect("catalog:course-edit", pk=course.pk)
        elif form.is_valid():
            try:
                services.course_update(course=course, by=by, **form.service_fields())
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("Your changes were saved."))
                return redirect("catalog:course-edit", pk=course.pk)
    context.update(
        form=form,
        cover_form=cover_form,
        cover_url=(
            url_or_empty("catalog:asset", pk=course.pk, asset_id=course.cover.pk, name=course.cover.original_name)
            if course.cover
            else ""
        ),
        tag_names=reads.tag_names(organization) if context["can_edit"] and not course.in_review else [],
        tag_list_id=TAG_LIST_ID,
        copy_form=CopyForm(initial={"title": _("Copy of %(title)s") % {"title": course.title}}, prefix="copy"),
        can_copy=principal.can("course.create"),
        pending_review=selectors.pending_review(course=course) if course.in_review else None,
        error_summary=error_summary(form, cover_form),
    )
    if not context["can_edit"] or course.in_review:
        context["facts"] = reads.course_facts(course)
    return render(request, "catalog/authoring/course_edit.html", context)


# --- lifecycle -----------------------------------------------------------------------------------------------------


@organization_view
@require_POST
def course_copy(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    course = course_or_404(organization, principal, pk)
    form = CopyForm(request.POST, prefix="copy")
    if not form.is_valid():
        messages.error(request, _("Enter a title for the copy."))
        return redirect("catalog:course-edit", pk=course.pk)
    try:
        copy = services.course_copy(course=course, by=user_of(request), title=form.cleaned_data["title"])
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("catalog:course-edit", pk=course.pk)
    messages.success(request, _("This is the copy, a new draft. You are its owner."))
    return redirect("catalog:course-edit", pk=copy.pk)


@organization_view
@require_POST
def course_archive(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    course = course_or_404(organization, principal, pk)
    try:
        services.course_archive(course=course, by=user_of(request))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("The course was archived: learners no longer find it in the catalog."))
    return redirect("catalog:course-edit", pk=course.pk)


@organization_view
@require_POST
def course_unarchive(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    course = course_or_404(organization, principal, pk)
    try:
        services.course_unarchive(course=course, by=user_of(request))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("The course is back in the catalog."))
    return redirect("catalog:course-edit", pk=course.pk)


@organization_view
@require_POST
def course_delete(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    course = course_or_404(organization, principal, pk)
    title = course.title
    try:
        services.course_delete(course=course, by=user_of(request))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("catalog:course-edit", pk=course.pk)
    messages.success(request, _("The course %(title)s was deleted.") % {"title": title})
    return redirect("catalog:authoring")
