"""The participants of a course: the table (25 a page, filters, sort), requests waiting for a decision, enrolling
people found by name or email, bulk actions on selected rows, and one participant's page with the course team's
corrections (mark an activity complete, reset progress, remove from the course)."""

from __future__ import annotations

import uuid
from html import escape  # the standard library's: Django's is wrapped for lazy strings, slower per call
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import dateformat, formats
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import is_aware, localtime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from syllabus.access.decorators import organization_view
from syllabus.access.policy import Principal
from syllabus.accounts.models import Organization
from syllabus.catalog.models import Course
from syllabus.core import links
from syllabus.enrollment import policy, services
from syllabus.enrollment import selectors_course as selectors
from syllabus.enrollment.forms_course import (
    ApproveForm,
    BulkForm,
    EnrollForm,
    ParticipantCorrectionForm,
    ParticipantFilterForm,
    ReasonForm,
    ResetForm,
    add_service_error,
)
from syllabus.enrollment.models import Enrollment, Method, Status
from syllabus.enrollment.views_course.common import (
    back_to_participants,
    course_or_404,
    error_text,
    is_fragment,
    list_query,
    require,
    user_of,
    vary,
)
from syllabus.progress import services as progress_services


def _name(enrollment: Enrollment) -> str:
    user = enrollment.membership.user
    return user.display_name or user.email


def _enrollment_or_404(course: Course, enrollment_id: int) -> Enrollment:
    enrollment = selectors.enrollment_get(course=course, enrollment_id=enrollment_id)
    if enrollment is None:
        raise Http404
    return enrollment


# --- the table ---------------------------------------------------------------------------------------------------


def _search_context(organization: Organization, course: Course, term: str) -> dict[str, Any]:
    term = term.strip()[:100]
    return {
        "term": term,
        "candidates": selectors.people_to_enroll(organization=organization, course=course, term=term) if term else [],
        "search_limit": selectors.SEARCH_LIMIT,
    }


def _rows_html(course: Course, rows: list[Enrollment], *, can_manage: bool) -> SafeString:
    """The participants table's rows, drawn here rather than by the template engine, which spent ~450 µs a row on
    them (a url tag, eight translated labels, a blocktranslate, date and number filters, choice labels): ~20 µs
    here. The markup is what the template drew, byte for byte; every value is escaped (the standard library's
    `escape`, as Django's does, without its lazy-string wrapper); labels are translated once a page."""
    status_label, progress_label, activity_label, score_label, groups_label, due_label, method_label = (
        escape(label)
        for label in (_("Status"), _("Progress"), _("Last activity"), _("Score"), _("Groups"), _("Due"), _("Method"))
    )
    not_started = escape(_("Not started"))
    select = _("Select %(name)s")  # blocktranslate: the name is escaped, the translation is not
    datetime_format, date_format = formats.get_format("DATETIME_FORMAT"), formats.get_format("DATE_FORMAT")
    statuses = {value: escape(str(label)) for value, label in Status.choices}
    methods = {value: escape(str(label)) for value, label in Method.choices}
    link = links.by_id("enrollment:participant", course.pk)  # one reverse() for the page

    def number(value: int) -> str:
        return escape(str(formats.localize(value)))

    def when(at: Any, day_format: str) -> str:
        local = localtime(at) if is_aware(at) else at  # as the template's date filter
        # What |date:'c' and |date:"..._FORMAT" write ("c" is isoformat()).
        return f'<time datetime="{escape(local.isoformat())}">{escape(dateformat.format(local, day_format))}</time>'

    drawn = []
    for row in rows:
        person = row.membership.user
        name = escape(person.display_name or person.email)
        pk = number(row.pk)
        check = (
            f'<td class="select-cell"><input type="checkbox" name="selected" value="{pk}" id="select-{pk}">'
            f'<label for="select-{pk}" class="visually-hidden">{select % {"name": name}}</label></td>'
            if can_manage
            else ""
        )
        url = escape(link(row.pk))
        status = str(row.status)
        last = when(row.last_activity_at, datetime_format) if row.last_activity_at else not_started
        score = f"{floatformat(row.score, '-2')}%" if row.score is not None else "—"
        groups = ", ".join(escape(member.group.name) for member in row.group_list) or "—"  # type: ignore[attr-defined]
        due = when(row.due_at, date_format) if row.due_at else "—"
        drawn.append(
            "\n          <tr>\n"
            f"            {check}\n"
            f'            <th scope="row"><a href="{url}">{name}</a><br>'
            f'<span class="muted break-anywhere">{escape(person.email)}</span></th>\n'
            f'            <td data-label="{status_label}"><span class="badge badge-enrollment-{escape(status)}">'
            f"{statuses.get(status, escape(status))}</span></td>\n"
            f'            <td data-label="{progress_label}">{number(row.progress_percent)}%</td>\n'
            f'            <td data-label="{activity_label}">{last}</td>\n'
            f'            <td data-label="{score_label}">{score}</td>\n'
            f'            <td data-label="{groups_label}">{groups}</td>\n'
            f'            <td data-label="{due_label}">{due}</td>\n'
            f'            <td data-label="{method_label}">{methods.get(row.method, escape(str(row.method)))}</td>\n'
            "          </tr>\n          "
        )
    return mark_safe("".join(drawn))  # every value escaped above


def _participants_page(
    request: HttpRequest,
    organization: Organization,
    principal: Principal,
    course: Course,
    *,
    enroll_form: EnrollForm | None = None,
    bulk_form: BulkForm | None = None,
    status: int = 200,
) -> HttpResponse:
    groups = selectors.groups_of(course=course)
    filters_form = ParticipantFilterForm(request.GET or None, groups=groups)
    filters = filters_form.filters() if request.GET else {"status": "", "group_id": None, "search": "", "sort": "name"}
    page = selectors.participants_page(
        selectors.participants(course=course, **filters), request.GET.get("page"), sort=filters["sort"]
    )
    can_manage = policy.can_manage_participants(principal, course)
    pending = selectors.pending_requests(course=course)
    context = {
        **selectors.course_header(principal, course, "participants"),
        "page_obj": page,
        "rows_html": _rows_html(course, list(page.object_list), can_manage=can_manage),
        "filters_form": filters_form,
        "filtered": any(filters[key] for key in ("status", "group_id", "search")),
        "groups": groups,
        "pending": pending,
        # Counted only when the list is cut short.
        "pending_count": len(pending)
        if len(pending) < selectors.PENDING_SHOWN
        else selectors.pending_count(course=course),
        "can_manage": can_manage,
        "back": list_query(request.GET),
        "enroll_form": enroll_form or EnrollForm(organization=organization),
        "bulk_form": bulk_form or BulkForm(groups=groups),
        "decline_form": ReasonForm(),
    }
    if can_manage:
        context.update(_search_context(organization, course, request.GET.get("find", "")))
    return render(request, "enrollment/course/participants.html", context, status=status)


@organization_view
@require_GET
def participants(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    course = course_or_404(organization, principal, pk)
    require(policy.can_view_participants(principal, course))
    return _participants_page(request, organization, principal, course)


@organization_view
@require_GET
def participants_search(
    request: HttpRequest, organization: Organization, principal: Principal, pk: int
) -> HttpResponse:
    """People to enroll, as the instructor types (htmx); without JavaScript the participants page shows them."""
    course = course_or_404(organization, principal, pk)
    require(policy.can_manage_participants(principal, course))
    term = request.GET.get("find", "")
    if not is_fragment(request):
        url = reverse("enrollment:participants", args=[course.pk])
        return redirect(f"{url}?{urlencode({'find': term.strip()[:100]})}#enroll")
    context = {"course": course, **_search_context(organization, course, term)}
    return vary(render(request, "enrollment/course/_people_search.html", context))


@organization_view
@require_POST
def participants_enroll(
    request: HttpRequest, organization: Organization, principal: Principal, pk: int
) -> HttpResponse:
    course = course_or_404(organization, principal, pk)
    require(policy.can_manage_participants(principal, course))
    form = EnrollForm(request.POST, organization=organization)
    if not form.is_valid():
        return _participants_page(request, organization, principal, course, enroll_form=form, status=400)
    people = selectors.memberships_by_ids(organization=organization, ids=form.cleaned_data["members"])
    if not people:
        raise Http404
    by = user_of(request)
    try:
        if len(people) == 1:
            services.enrollment_create(course=course, membership=people[0], by=by, due_at=form.due_at)
            messages.success(
                request, _("%(name)s was enrolled.") % {"name": people[0].user.display_name or people[0].user.email}
            )
        else:
            method = Method.INSTRUCTOR if principal.can("course.teach", course) else Method.ADMIN
            result = services.enrollments_bulk_create(
                course=course, memberships=people, by=by, method=method, due_at=form.due_at
            )
            messages.success(request, _bulk_message(result))
    except ValidationError as exc:
        add_service_error(form, exc)
        if "due_on" not in form.errors and form.has_error("due_at"):
            form.add_error("due_on", form.errors.pop("due_at"))
        return _participants_page(request, organization, principal, course, enroll_form=form, status=400)
    return back_to_participants(request, course)


def _bulk_message(result: services.BulkResult) -> str:
    parts = [ngettext("%(count)s person enrolled.", "%(count)s people enrolled.", len(result.created))]
    counts = {"count": len(result.created)}
    text = parts[0] % counts
    if result.waitlisted:
        text += " " + ngettext(
            "%(count)s of them is on the waiting list.",
            "%(count)s of them are on the waiting list.",
            len(result.waitlisted),
        ) % {"count": len(result.waitlisted)}
    if result.already:
        text += " " + ngettext(
            "%(count)s was already enrolled.", "%(count)s were already enrolled.", len(result.already)
        ) % {"count": len(result.already)}
    if result.skipped:
        text += " " + ngettext(
            "%(count)s could not be enrolled (the course is full).",
            "%(count)s could not be enrolled (the course is full).",
            len(result.skipped),
        ) % {"count": len(result.skipped)}
    return text


@organization_view
@require_POST
def participants_bulk(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    """Selected rows: add to a group, remove from a group, or write them a message."""
    course = course_or_404(organization, principal, pk)
    require(policy.can_manage_participants(principal, course))
    groups = selectors.groups_of(course=course)
    form = BulkForm(request.POST, groups=groups)
    if not form.is_valid():
        return _participants_page(request, organization, principal, course, bulk_form=form, status=400)
    ids = selectors.live_enrollment_ids(course=course, ids=form.cleaned_data["selected"])
    action = form.cleaned_data["action"]
    if action == "message":
        query = "&".join(f"selected={pk}" for pk in ids)
        return redirect(f"{reverse('enrollment:message', args=[course.pk])}?to=selected&{query}")
    group = selectors.group_get(course=course, group_id=form.cleaned_data["group"])
    if group is None:
        raise Http404
    try:
        if action == "add_to_group":
            added, _removed = services.group_members_change(group=group, by=user_of(request), add=ids)
            messages.success(
                request,
                ngettext("%(count)s person added to %(group)s.", "%(count)s people added to %(group)s.", added)
                % {"count": added, "group": group.name},
            )
        else:
            _added, removed = services.group_members_change(group=group, by=user_of(request), remove=ids)
            messages.success(
                request,
                ngettext(
                    "%(count)s person removed from %(group)s.", "%(count)s people removed from %(group)s.", removed
                )
                % {"count": removed, "group": group.name},
            )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    return back_to_participants(request, course)


# --- requests ----------------------------------------------------------------------------------------------------


@organization_view
@require_POST
def request_approve(
    request: HttpRequest, organization: Organization, principal: Principal, pk: int, enrollment_id: int
) -> HttpResponse:
    course = course_or_404(organization, principal, pk)
    require(policy.can_view_participants(principal, course))
    enrollment = _enrollment_or_404(course, enrollment_id)
    form = ApproveForm(request.POST)
    note = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        enrollment = services.enrollment_approve(enrollment=enrollment, by=user_of(request), reason=note)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        if enrollment.status == "active":
            messages.success(request, _("%(name)s is enrolled.") % {"name": _name(enrollment)})
        else:
            messages.success(
                request,
                _("%(name)s was approved; the course is full, so they are on the waiting list.")
                % {"name": _name(enrollment)},
            )
    return back_to_participants(request, course)


@organization_view
@require_POST
def request_decline(
    request: HttpRequest, organization: Organization, principal: Principal, pk: int, enrollment_id: int
) -> HttpResponse:
    course = course_or_404(organization, principal, pk)
    require(policy.can_view_participants(principal, course))
    enrollment = _enrollment_or_404(course, enrollment_id)
    try:
        services.enrollment_decline(enrollment=enrollment, by=user_of(request), reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, _("%(name)s: %(error)s") % {"name": _name(enrollment), "error": error_text(exc)})
    else:
        messages.success(request, _("The request of %(name)s was declined.") % {"name": _name(enrollment)})
    return back_to_participants(request, course)


# --- one participant ---------------------------------------------------------------------------------------------


def _participant_page(
    request: HttpRequest,
    principal: Principal,
    course: Course,
    enrollment: Enrollment,
    *,
    complete_form: ParticipantCorrectionForm | None = None,
    reset_form: ResetForm | None = None,
    remove_form: ReasonForm | None = None,
    status: int = 200,
) -> HttpResponse:
    can_manage = policy.can_manage_participants(principal, course)
    failed_uid = str(complete_form.data.get("activity", "")) if complete_form is not None else ""
    activities = selectors.participant_activities(enrollment=enrollment)
    # An error about an activity that shows no form (not in the outline, or completed meanwhile in another tab)
    # is shown above the table.
    offered = {line.uid for line in activities if line.state != "completed"}
    stray_errors = (
        [str(m) for errors in complete_form.errors.values() for m in errors]
        if complete_form is not None and failed_uid not in offered
        else []
    )
    context = {
        **selectors.course_header(principal, course, "participants"),
        "enrollment": enrollment,
        "person": enrollment.membership.user,
        "time_spent": selectors.duration_text(enrollment.time_spent_seconds),
        "activities": activities,
        "stray_errors": stray_errors,
        "groups_of_person": selectors.participant_groups(enrollment=enrollment),
        "can_manage": can_manage,
        "can_correct": can_manage and enrollment.can_learn,
        "complete_form": complete_form,
        "failed_uid": failed_uid,
        "reset_form": reset_form or ResetForm(),
        "remove_form": remove_form or ReasonForm(auto_id="remove_%s"),
    }
    return render(request, "enrollment/course/participant.html", context, status=status)


@organization_view
@require_GET
def participant(
    request: HttpRequest, organization: Organization, principal: Principal, pk: int, enrollment_id: int
) -> HttpResponse:
    course = course_or_404(organization, principal, pk)
    require(policy.can_view_participants(principal, course))
    return _participant_page(request, principal, course, _enrollment_or_404(course, enrollment_id))


def _participant_url(course: Course, enrollment: Enrollment) -> str:
    return reverse("enrollment:participant", args=[course.pk, enrollment.pk])


@organization_view
@require_POST
def participant_complete(
    request: HttpRequest, organization: Organization, principal: Principal, pk: int, enrollment_id: int
) -> HttpResponse:
    """Mark one activity complete for the learner, with a reason (audited by the service)."""
    course = course_or_404(organization, principal, pk)
    require(policy.can_manage_participants(principal, course))
    enrollment = _enrollment_or_404(course, enrollment_id)
    form = ParticipantCorrectionForm(request.POST, auto_id="complete_%s")
    if form.is_valid():
        uid: uuid.UUID = form.cleaned_data["activity"]
        try:
            progress_services.activity_mark_complete(
                enrollment=enrollment, activity_uid=uid, by=user_of(request), reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("The activity is marked complete for %(name)s.") % {"name": _name(enrollment)})
            return redirect(_participant_url(course, enrollment))
    return _participant_page(request, principal, course, enrollment, complete_form=form, status=400)


@organization_view
@require_POST
def participant_reset(
    request: HttpRequest, organization: Organization, principal: Principal, pk: int, enrollment_id: int
) -> HttpResponse:
    """Clear the learner's progress (reason and confirmation required; audited by the service)."""
    course = course_or_404(organization, principal, pk)
    require(policy.can_manage_participants(principal, course))
    enrollment = _enrollment_or_404(course, enrollment_id)
    form = ResetForm(request.POST)
    if form.is_valid():
        try:
            progress_services.progress_reset(
                enrollment=enrollment, by=user_of(request), reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("The progress of %(name)s was reset.") % {"name": _name(enrollment)})
            return redirect(_participant_url(course, enrollment))
    return _participant_page(request, principal, course, enrollment, reset_form=form, status=400)


@organization_view
@require_POST
def participant_remove(
    request: HttpRequest, organization: Organization, principal: Principal, pk: int, enrollment_id: int
) -> HttpResponse:
    """Withdraw the person from the course, with a reason (their progress and completions are kept)."""
    course = course_or_404(organization, principal, pk)
    require(policy.can_manage_participants(principal, course))
    enrollment = _enrollment_or_404(course, enrollment_id)
    form = ReasonForm(request.POST, auto_id="remove_%s")
    if form.is_valid():
        try:
            services.enrollment_withdraw(enrollment=enrollment, by=user_of(request), reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("%(name)s was removed from the course.") % {"name": _name(enrollment)})
            return redirect("enrollment:participants", pk=course.pk)
    return _participant_page(request, principal, course, enrollment, remove_form=form, status=400)
