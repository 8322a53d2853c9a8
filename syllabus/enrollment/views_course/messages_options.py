"""Writing to participants (the worker sends the emails) with the list of what was sent, and the course's
enrollment options (self-enrollment, places and waiting list, window, key, default due date)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from syllabus.access.decorators import organization_view
from syllabus.access.policy import Principal
from syllabus.accounts.models import Organization
from syllabus.enrollment import policy, services
from syllabus.enrollment import selectors_course as selectors
from syllabus.enrollment.forms_course import IdsField, MessageForm, OptionsForm, add_service_error, error_summary
from syllabus.enrollment.models import EnrollmentOptions
from syllabus.enrollment.views_course.common import course_or_404, require, user_of

SELECTED_SHOWN = 50


@organization_view
@require_http_methods(["GET", "POST"])
def message(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    course = course_or_404(organization, principal, pk)
    require(policy.can_manage_participants(principal, course))
    groups = selectors.groups_of(course=course)
    # Arriving from the participants page with rows selected (GET), or sending to them (POST): stale or forged ids
    # are dropped, and "The people selected" is offered only when someone is left.
    source = request.POST if request.method == "POST" else request.GET
    selected_ids = selectors.live_enrollment_ids(course=course, ids=IdsField().to_python(source.getlist("selected")))
    counts = selectors.message_counts(course=course)
    if request.method == "POST":
        form = MessageForm(request.POST, groups=groups, counts=counts, selected_count=len(selected_ids))
    else:
        initial = {"to": "selected", "selected": selected_ids} if selected_ids else {}
        form = MessageForm(initial=initial, groups=groups, counts=counts, selected_count=len(selected_ids))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["to"] == "selected":
            ids = selected_ids
        else:
            ids = selectors.everyone_ids(
                course=course,
                group_id=data["group"] if data["to"] == "group" else None,
                include_completed=bool(data.get("include_completed")),
            )
        try:
            sent = services.course_message_send(
                course=course, by=user_of(request), subject=data["subject"], body=data["body"], enrollment_ids=ids
            )
        except ValidationError as exc:
            add_service_error(form, exc)
            if "recipients" in getattr(exc, "message_dict", {}):
                form.add_error("to", exc.message_dict["recipients"])
        else:
            messages.success(
                request,
                ngettext(
                    "Your message is on its way to %(count)s person.",
                    "Your message is on its way to %(count)s people.",
                    sent.recipient_count,
                )
                % {"count": sent.recipient_count},
            )
            return redirect("enrollment:message", pk=course.pk)
    context: dict[str, Any] = {
        **selectors.course_header(principal, course, "participants"),
        "form": form,
        "selected_ids": selected_ids,
        "selected_people": selectors.enrollments_named(course=course, ids=selected_ids[:SELECTED_SHOWN]),
        "sent": selectors.messages_sent(course=course),
        "error_summary": error_summary(form),
    }
    return render(request, "enrollment/course/message.html", context, status=400 if form.errors else 200)


def _options_initial(options: EnrollmentOptions) -> dict[str, Any]:
    return {name: getattr(options, name) for name in services.OPTION_FIELDS}


@organization_view
@require_http_methods(["GET", "POST"])
def options(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    course = course_or_404(organization, principal, pk)
    require(policy.can_edit_options(principal, course))
    current = selectors.options_of(course=course)
    form = OptionsForm(
        request.POST or None, initial=_options_initial(current), zone=timezone.get_current_timezone_name()
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.options_update(course=course, by=user_of(request), **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("The enrollment options were saved."))
            return redirect("enrollment:options", pk=course.pk)
    context = {
        **selectors.course_header(principal, course, "enrollment"),
        "form": form,
        "options": current,
        "seats_taken": selectors.seats_taken(course=course),
        "waiting": selectors.waiting_list(course=course),
        "error_summary": error_summary(form),
    }
    return render(request, "enrollment/course/options.html", context, status=400 if form.errors else 200)
