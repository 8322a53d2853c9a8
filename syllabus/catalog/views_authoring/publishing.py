"""Submit for review (or publish now, where the organisation allows it), withdraw, the course's history of
versions and reviews, a version's read-only outline, and restoring a version as the new draft."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from syllabus.access.decorators import organization_view
from syllabus.access.policy import Principal
from syllabus.accounts.models import Organization
from syllabus.catalog import selectors, services, versions
from syllabus.catalog.forms import PublishForm, SubmitForm
from syllabus.catalog.models import Course, CourseVersion
from syllabus.catalog.views_authoring import feedback, reads
from syllabus.catalog.views_authoring.common import (
    course_context,
    course_or_404,
    error_text,
    user_of,
)
from syllabus.catalog.views_authoring.diffs import diff_rows, outline_of

# Where "Withdraw from review" returns to: the page it was pressed on.
WITHDRAW_RETURNS = {
    "details": "catalog:course-edit",
    "outline": "catalog:course-outline",
    "submit": "catalog:course-submit",
}


def _base_snapshot(course: Course) -> dict[str, Any] | None:
    version = course.published_version
    return version.snapshot if version is not None else None


def _next_label(base: CourseVersion | None, change: str) -> str:
    """The number the next version gets: 1.0 first, then 2.0 (major) or 1.4 (minor) after 1.3."""
    if base is None:
        return "1.0"
    if change == versions.MAJOR:
        return f"{base.major + 1}.0"
    return f"{base.major}.{base.minor + 1}"


@organization_view
@require_http_methods(["GET", "POST"])
def course_submit(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    """What changed since the published version, major or minor, and the form to submit it (or publish it)."""
    course = course_or_404(organization, principal, pk)
    principal.require("course.edit", course)
    can_publish = principal.can("course.publish", course)
    context = course_context(principal, course, "submit", feedback=True)
    if course.in_review:
        context["pending_review"] = selectors.pending_review(course=course)
        return render(request, "catalog/authoring/course_submit.html", context)
    base = _base_snapshot(course)
    draft = versions.build_snapshot(course)
    computed = versions.classify(base, draft)
    action = request.POST.get("action", "")
    # Numbers follow the course's latest version (as the service does); no version yet = 1.0, nothing to choose.
    latest = reads.latest_version(course)
    first = latest is None
    submit_form = SubmitForm(request.POST if action == "submit" else None, computed=computed, first=first)
    publish_form = PublishForm(
        request.POST if action == "publish" else None, computed=computed, first=first, prefix="publish"
    )
    by = user_of(request)
    if action == "submit" and submit_form.is_valid():
        try:
            services.course_submit(
                course=course, by=by, notes=submit_form.cleaned_data["notes"], change=submit_form.chosen_change()
            )
        except ValidationError as exc:
            submit_form.add_service_error(exc)
        else:
            messages.success(request, _("The course was submitted for review. It is locked until the review ends."))
            return redirect("catalog:course-submit", pk=course.pk)
    elif action == "publish" and can_publish and publish_form.is_valid():
        try:
            version = services.course_publish(
                course=course,
                by=by,
                notes=publish_form.cleaned_data["notes"],
                change=publish_form.chosen_change(),
            )
        except (ValidationError, PermissionDenied) as exc:
            if isinstance(exc, PermissionDenied):
                publish_form.add_error(None, error_text(exc))
            else:
                publish_form.add_service_error(exc)
        else:
            messages.success(request, _("Version %(label)s is published.") % {"label": version.label})
            return redirect("catalog:course-history", pk=course.pk)
    context.update(
        submit_form=submit_form,
        publish_form=publish_form,
        can_publish=can_publish,
        computed_change=computed,
        computed_change_label=CourseVersion.Change(computed).label,
        base_version=course.published_version,
        first_version=first,
        next_label=_next_label(latest, computed),
        next_major_label=_next_label(latest, versions.MAJOR),
        changes=diff_rows(base, draft),
    )
    status = 400 if request.method == "POST" else 200
    return render(request, "catalog/authoring/course_submit.html", context, status=status)


@organization_view
@require_POST
def course_withdraw(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    course = course_or_404(organization, principal, pk)
    principal.require("course.edit", course)
    review = selectors.pending_review(course=course)
    if review is None:
        messages.error(request, _("This course is not waiting for review."))
    else:
        try:
            services.review_withdraw(review=review, by=user_of(request))
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("The course was withdrawn from review: you can edit it again."))
    return redirect(WITHDRAW_RETURNS.get(request.POST.get("next", ""), "catalog:course-edit"), pk=course.pk)


def _unchanged_version_pk(course: Course) -> int | None:
    """The live version when the draft has not changed since: restoring it would change nothing, so it is not
    offered (older versions are)."""
    version = course.published_version
    if version is not None and version.source_revision == course.draft_revision:
        return version.pk
    return None


# --- history -------------------------------------------------------------------------------------------------------


@organization_view
@require_GET
def course_history(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    course = course_or_404(organization, principal, pk)
    context = course_context(principal, course, "history")
    context.update(
        versions=list(selectors.versions_of(course=course)),
        # Each review with its comments, those about a section or activity naming it.
        reviews=[
            feedback.Round(review=review, comments=feedback.comments_of(review, review.comments.all()))
            for review in selectors.reviews_of(course=course)
        ],
        can_restore=context["can_edit"] and not course.in_review,
        unchanged_version_pk=_unchanged_version_pk(course),
    )
    return render(request, "catalog/authoring/course_history.html", context)


def _version_or_404(course: Course, pk: int) -> CourseVersion:
    version = selectors.version_get(course=course, pk=pk)
    if version is None:
        raise Http404
    return version


@organization_view
@require_GET
def version_detail(
    request: HttpRequest, organization: Organization, principal: Principal, pk: int, version_pk: int
) -> HttpResponse:
    """A published version as it was: its details and outline, read-only."""
    course = course_or_404(organization, principal, pk)
    version = _version_or_404(course, version_pk)
    context = course_context(principal, course, "history")
    snapshot = version.snapshot
    context.update(
        version=version,
        snapshot=snapshot,
        outline=outline_of(snapshot),
        can_restore=context["can_edit"] and not course.in_review and version.pk != _unchanged_version_pk(course),
    )
    return render(request, "catalog/authoring/version_detail.html", context)


@organization_view
@require_http_methods(["GET", "POST"])
def version_restore(
    request: HttpRequest, organization: Organization, principal: Principal, pk: int, version_pk: int
) -> HttpResponse:
    """Confirm, then make this version the draft again (what restoring would change is shown first)."""
    course = course_or_404(organization, principal, pk)
    principal.require("course.edit", course)
    version = _version_or_404(course, version_pk)
    if request.method == "POST":
        try:
            services.version_restore(version=version, by=user_of(request))
        except ValidationError as exc:
            messages.error(request, error_text(exc))
            return redirect("catalog:course-history", pk=course.pk)
        messages.success(
            request,
            _("Version %(label)s is the draft again. Publish it to make it a new version.") % {"label": version.label},
        )
        return redirect("catalog:course-outline", pk=course.pk)
    context = course_context(principal, course, "history")
    context.update(version=version, changes=diff_rows(versions.build_snapshot(course), version.snapshot))
    return render(request, "catalog/authoring/version_restore.html", context)
