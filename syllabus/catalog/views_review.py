"""The review pages: the queue of submissions waiting for review, and one submission with the diff since the
published version, its comment thread, and the decision (approve = publish, or send back with a reason).

Reviewers (course.review) decide; the course's team may read a review and comment on it. The services refuse what
the rules forbid (approving one's own submission, deciding twice) and the page shows their message.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from syllabus.access.decorators import organization_view
from syllabus.access.policy import Principal
from syllabus.accounts.models import Organization
from syllabus.catalog import selectors, services
from syllabus.catalog.forms import ApproveForm, CommentForm, RejectForm
from syllabus.catalog.models import ReviewRequest
from syllabus.catalog.views_authoring import feedback
from syllabus.catalog.views_authoring.common import (
    PAGE_SIZE,
    course_state,
    url_or_empty,
    user_of,
)
from syllabus.catalog.views_authoring.diffs import anchors, diff_rows

REVIEW_CAPABILITY = "course.review"


@organization_view
@require_GET
def review_queue(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    principal.require(REVIEW_CAPABILITY)
    page = Paginator(selectors.review_queue(organization=organization), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "catalog/review/review_queue.html", {"page_obj": page})


def _review_or_404(organization: Organization, principal: Principal, pk: int) -> ReviewRequest:
    review = selectors.review_get(principal=principal, organization=organization, pk=pk)
    if review is None:
        raise Http404
    return review


def _detail(
    request: HttpRequest,
    principal: Principal,
    review: ReviewRequest,
    *,
    comment_form: CommentForm | None = None,
    approve_form: ApproveForm | None = None,
    reject_form: RejectForm | None = None,
    status: int = 200,
) -> HttpResponse:
    course = review.course
    base = review.base_version.snapshot if review.base_version is not None else None
    anchor_choices = anchors(review.snapshot)
    comments = feedback.comments_of(review, review.comments.select_related("author").order_by("created_at", "pk"))
    pending = review.state == ReviewRequest.State.PENDING
    can_decide = pending and principal.can(REVIEW_CAPABILITY, course)
    context: dict[str, Any] = {
        "review": review,
        "course": course,
        "state": course_state(course),
        "changes": diff_rows(base, review.snapshot),
        "comments": comments,
        # A resubmission: what was asked for in the earlier rounds of the same changes.
        "earlier_rounds": feedback.earlier_rounds(review),
        "pending": pending,
        "can_decide": can_decide,
        "is_own_submission": review.submitted_by_id == principal.user.pk,
        "comment_form": comment_form or CommentForm(anchors=anchor_choices),
        "approve_form": approve_form or ApproveForm(),
        "reject_form": reject_form or RejectForm(),
        "preview_url": url_or_empty("catalog:course-preview", course.pk),
        # A decision refused after the review closed: its forms are gone, so say why at the top.
        "decision_errors": []
        if can_decide
        else [str(e) for form in (approve_form, reject_form) if form is not None for e in form.non_field_errors()],
    }
    return render(request, "catalog/review/review_detail.html", context, status=status)


@organization_view
@require_GET
def review_detail(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    return _detail(request, principal, _review_or_404(organization, principal, pk))


@organization_view
@require_POST
def review_comment(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    review = _review_or_404(organization, principal, pk)
    form = CommentForm(request.POST, anchors=anchors(review.snapshot))
    if form.is_valid():
        try:
            services.review_comment_add(
                review=review,
                by=user_of(request),
                body=form.cleaned_data["body"],
                about_uid=form.cleaned_data["about_uid"] or None,
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Your comment was added."))
            return redirect(f"{reverse('catalog:review', args=[review.pk])}#comments")
    return _detail(request, principal, review, comment_form=form, status=400)


@organization_view
@require_POST
def review_approve(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    review = _review_or_404(organization, principal, pk)
    principal.require(REVIEW_CAPABILITY, review.course)
    form = ApproveForm(request.POST)
    if form.is_valid():
        try:
            version = services.review_approve(review=review, by=user_of(request), notes=form.cleaned_data["notes"])
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(
                request,
                _("Approved: %(title)s version %(label)s is published.")
                % {"title": review.course.title, "label": version.label},
            )
            return redirect("catalog:reviews")
    return _detail(request, principal, review, approve_form=form, status=400)


@organization_view
@require_POST
def review_reject(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    review = _review_or_404(organization, principal, pk)
    principal.require(REVIEW_CAPABILITY, review.course)
    form = RejectForm(request.POST)
    if form.is_valid():
        try:
            services.review_reject(review=review, by=user_of(request), reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("%(title)s was sent back to its authors.") % {"title": review.course.title})
            return redirect("catalog:reviews")
    return _detail(request, principal, review, reject_form=form, status=400)
