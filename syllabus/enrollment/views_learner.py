"""The learner's own enrollment actions from a course's page: enroll (or ask for a place) and leave.

Both answer 303 back to the course page with a message; a wrong or missing enrollment key is shown beside the
key field (the panel reads it from the session). A course this person may not see does not exist for them (404).
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from syllabus.access.decorators import organization_view
from syllabus.access.policy import Principal
from syllabus.accounts.models import Organization, User
from syllabus.catalog import selectors as catalog_selectors
from syllabus.catalog.models import Course
from syllabus.enrollment import panel, services
from syllabus.enrollment.models import LIVE_STATES, Enrollment, Status

View = Callable[..., HttpResponseBase]

ENROLLED = "You are enrolled in {title}."
REQUESTED = "Your request for a place in {title} has been sent for approval."
WAITLISTED = "{title} is full: you are on the waiting list."
LEFT = "You have left {title}. Your progress so far is kept."
REQUEST_WITHDRAWN = "Your request for a place in {title} has been withdrawn."
WAITLIST_LEFT = "You have left the waiting list of {title}."
NOT_YOURS_TO_LEAVE = "You were enrolled in this course by someone else: ask them to remove you."
NOT_ENROLLED = "You are not enrolled in this course."


def _course_or_404(principal: Principal, organization: Organization, pk: int) -> Course:
    course = catalog_selectors.course_get_for_learner(principal=principal, organization=organization, pk=pk)
    if course is None:
        raise Http404
    return course


def _back(course: Course) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("catalog:course", args=[course.pk]) + "#enrollment", status=303)


@organization_view
@require_POST
def enroll(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    course = _course_or_404(principal, organization, pk)
    user: User = request.user  # type: ignore[assignment]
    try:
        enrollment = services.enrollment_self(
            course=course, by=user, key=request.POST.get("key", ""), note=request.POST.get("note", "")
        )
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field_name, field_messages in exc.message_dict.items():
                for message in field_messages:
                    if field_name == "key":
                        panel.key_error_store(request, course.pk, _(message))
                    else:
                        messages.error(request, _(message))
        else:
            for message in exc.messages:
                messages.error(request, _(message))
        return _back(course)
    done = {Status.PENDING: REQUESTED, Status.WAITLISTED: WAITLISTED}.get(enrollment.status, ENROLLED)  # type: ignore[call-overload]
    messages.success(request, _(done).format(title=course.title))
    return _back(course)


@organization_view
@require_POST
def leave(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    course = _course_or_404(principal, organization, pk)
    enrollment = (
        Enrollment.objects.filter(membership=principal.membership, course=course, status__in=LIVE_STATES).first()
        if principal.is_member
        else None
    )
    if enrollment is None:
        messages.error(request, _(NOT_ENROLLED))
        return _back(course)
    user: User = request.user  # type: ignore[assignment]
    before = enrollment.status
    try:
        services.enrollment_withdraw(enrollment=enrollment, by=user, reason=_("Left by the learner"))
    except PermissionDenied:
        messages.error(request, _(NOT_YOURS_TO_LEAVE))
        return _back(course)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, _(message))
        return _back(course)
    done = {Status.PENDING: REQUEST_WITHDRAWN, Status.WAITLISTED: WAITLIST_LEFT}.get(before, LEFT)  # type: ignore[call-overload]
    messages.success(request, _(done).format(title=course.title))
    return _back(course)
