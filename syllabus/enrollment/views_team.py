"""The manager's pages: the team with each person's training, one person's training (due dates, withdrawal),
assigning a course to one person or the whole team, and the queue of enrollment requests to decide.

Who sees whom is `principal.membership_q("enrollment.view")`: a manager's reporting line (direct and indirect), an
org-unit scope, or the whole organisation. Someone outside it, or in another organisation, is not found (404).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape  # the standard library's: Django's is wrapped for lazy strings, slower per call
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import dateformat, formats
from django.utils.cache import patch_vary_headers
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import is_aware, localtime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from syllabus.access.decorators import organization_view
from syllabus.access.policy import NOT_ALLOWED, Principal
from syllabus.accounts.models import Membership, Organization, User
from syllabus.catalog.models import Course
from syllabus.core import links
from syllabus.enrollment import policy, services
from syllabus.enrollment import selectors_team as selectors
from syllabus.enrollment.forms_course import error_summary
from syllabus.enrollment.forms_team import (
    WHO_DIRECT,
    WHO_PERSON,
    WHO_TEAM,
    AssignForm,
    DueForm,
    ReasonForm,
    TeamFilterForm,
    due_day,
)
from syllabus.enrollment.models import Enrollment, Method, Status

PAGE_SIZE = 50
View = Callable[..., HttpResponse]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _require_team(principal: Principal, capability: str = "enrollment.view") -> None:
    """403 for people who look after nobody (as the people pages do); 404 then covers people out of scope."""
    if not principal.can(capability):
        raise PermissionDenied(NOT_ALLOWED)


def _is_fragment(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request  # type: ignore[union-attr]


def _vary(response: HttpResponse) -> HttpResponse:
    # The same URL answers with a page or a fragment: caches must tell them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


def _link(name: str, *args: Any) -> str | None:
    """A page of another area that may not be installed in every deployment yet (the link is then left out)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _name(membership: Membership) -> str:
    return membership.user.display_name or membership.user.email


def _names(enrollment: Enrollment) -> dict[str, str]:
    return {"name": _name(enrollment.membership), "course": enrollment.course.title if enrollment.course else ""}


# --- the team ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamRow:
    membership: Membership
    counts: selectors.TrainingCounts
    # What the row shows, read here once rather than through the template's lookups (50 rows, a page).
    url: str = ""
    name: str = ""
    email: str = ""
    unit: str | None = None


def _rows_html(rows: list[TeamRow]) -> SafeString:
    """The team table's rows, drawn here rather than by the template engine, which spent ~130 µs a row on them (a
    variable node, a lookup and an escape per value, labels translated in every row, two date filters): ~10 µs
    here. The markup is what the template drew, byte for byte; every value is escaped (the standard library's
    `escape`, as Django's does, without its lazy-string wrapper); labels are translated once a page."""
    assigned, in_progress, overdue, completed, last_activity, none_yet = (
        escape(label)
        for label in (_("Assigned"), _("In progress"), _("Overdue"), _("Completed"), _("Last activity"), _("None yet"))
    )
    date_format = formats.get_format("DATE_FORMAT")
    numbers: dict[int, str] = {}
    badges: dict[int, str] = {}

    def number(value: int) -> str:
        if value not in numbers:
            numbers[value] = escape(str(formats.localize(value)))
        return numbers[value]

    def badge(count: int) -> str:
        if count not in badges:
            text = ngettext("%(overdue)s overdue", "%(overdue)s overdue", count) % {"overdue": number(count)}
            badges[count] = f'<span class="badge badge-inactive">{text}</span>'
        return badges[count]

    drawn = []
    for row in rows:
        counts = row.counts
        unit = f'<br><span class="muted">{escape(row.unit)}</span>' if row.unit is not None else ""
        if counts.last_activity_at:
            at = counts.last_activity_at
            local = localtime(at) if is_aware(at) else at  # as the template's date filter
            # What |date:'c' and |date:"DATE_FORMAT" write ("c" is isoformat()), the format looked up once a page.
            iso, day = local.isoformat(), dateformat.format(local, date_format)
            last = f'<time datetime="{escape(iso)}">{escape(day)}</time>'
        else:
            last = none_yet
        drawn.append(
            "\n      <tr>\n"
            f'        <th scope="row"><a href="{escape(row.url)}">{escape(row.name)}</a><br>'
            f'<span class="muted break-anywhere">{escape(row.email)}</span>{unit}</th>\n'
            f'        <td data-label="{assigned}">{number(counts.assigned)}</td>\n'
            f'        <td data-label="{in_progress}">{number(counts.in_progress)}</td>\n'
            f'        <td data-label="{overdue}">{badge(counts.overdue) if counts.overdue else "0"}</td>\n'
            f'        <td data-label="{completed}">{number(counts.completed)}</td>\n'
            f'        <td data-label="{last_activity}">{last}</td>\n'
            "      </tr>\n      "
        )
    return mark_safe("".join(drawn))  # every value escaped above


def _team_rows(members: list[Membership], counts: dict[int, selectors.TrainingCounts]) -> list[TeamRow]:
    link = links.by_id("enrollment:team-person")  # one reverse() for the process, not one per person
    rows = []
    for member in members:
        user, unit = member.user, member.org_unit
        rows.append(
            TeamRow(
                membership=member,
                counts=counts.get(member.pk, selectors.TrainingCounts()),
                url=link(member.pk),
                name=user.display_name or user.email,
                email=user.email,
                unit=unit.name if unit is not None else None,
            )
        )
    return rows


@organization_view
@require_GET
def team(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    selectors.read_reporting_line(principal)  # first: "do they manage anyone?" then needs no query of its own
    _require_team(principal)
    chosen = request.GET.get("org_unit", "")
    also = int(chosen) if chosen.isdigit() else None
    listed: list[tuple[int, int | None]] | None = None
    everyone = True  # `listed` holds the whole scope, not a filtered part of it

    def units() -> list[tuple[int, str]]:
        # Read when the filters are drawn, not for the htmx results; the units of the people listed when that
        # was everyone (no second pass over them).
        team_units = {unit for _pk, unit in listed} if listed is not None and everyone else None
        return selectors.org_unit_choices(
            organization=organization, principal=principal, also=also, team_units=team_units
        )

    form = TeamFilterForm(request.GET, organization=organization, has_reports=principal.has_reports, unit_choices=units)
    filters = form.to_filter()
    everyone = filters == selectors.TeamFilter()
    listed = selectors.team_order(organization=organization, principal=principal, filters=filters)
    page: Page[Any]
    if listed is not None:
        # The line read whole, in order: its length is the count, a page a slice of it.
        page = Paginator([pk for pk, _unit in listed], PAGE_SIZE).get_page(request.GET.get("page"))
        members = selectors.team_people(list(page.object_list))
    else:
        people = selectors.team_list(organization=organization, principal=principal, filters=filters)
        page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
        members = selectors.with_people(list(page.object_list))
    counts = selectors.training_counts(membership_ids=[m.pk for m in members])
    rows = _team_rows(members, counts)
    context = {
        "form": form,
        "page_obj": page,
        "rows": rows,
        "rows_html": _rows_html(rows),
        "can_assign": principal.can("enrollment.assign"),
        "filtered": any(form.data.get(name) for name in ("q", "org_unit", "overdue", "direct")),
    }
    template = "enrollment/team/_team_results.html" if _is_fragment(request) else "enrollment/team/team.html"
    return _vary(render(request, template, context))


# --- one person --------------------------------------------------------------------------------------------------


def _person_or_404(organization: Organization, principal: Principal, membership_id: int) -> Membership:
    _require_team(principal)
    membership = selectors.team_person_get(organization=organization, principal=principal, membership_id=membership_id)
    if membership is None:
        raise Http404
    return membership


@dataclass
class CurrentRow:
    enrollment: Enrollment
    due_form: DueForm | None
    withdraw_form: ReasonForm | None


def _person_page(
    request: HttpRequest,
    organization: Organization,
    principal: Principal,
    membership: Membership,
    *,
    bound: dict[int, DueForm | ReasonForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    training = selectors.person_training(membership=membership)
    bound = bound or {}
    # Assigning to this person (their manager, their unit's admin) covers every row: no per-course checks then.
    may_assign = principal.can("enrollment.assign", membership)
    rows = []
    for enrollment in training.current:
        can_due = may_assign or policy.can_assign_due(principal, enrollment)
        can_withdraw = may_assign or policy.can_withdraw(principal, enrollment)
        posted = bound.get(enrollment.pk)
        due_form = posted if isinstance(posted, DueForm) else None
        withdraw_form = posted if isinstance(posted, ReasonForm) else None
        rows.append(
            CurrentRow(
                enrollment=enrollment,
                due_form=(
                    due_form
                    or DueForm(
                        None,
                        organization=organization,
                        prefix=f"due-{enrollment.pk}",
                        initial={"due": due_day(enrollment.due_at, organization)},
                    )
                )
                if can_due
                else None,
                withdraw_form=(withdraw_form or ReasonForm(None, prefix=f"withdraw-{enrollment.pk}"))
                if can_withdraw
                else None,
            )
        )
    context = {
        "membership": membership,
        "rows": rows,
        "completed": training.completed,
        "transcript_url": _link("progress:person-transcript", membership.pk),
        "can_assign": may_assign,
        "assign_url": f"{reverse('enrollment:team-assign')}?{urlencode({'person': membership.pk})}",
        "open_form": next(iter(bound), None),
    }
    return render(request, "enrollment/team/person.html", context, status=status)


@organization_view
@require_GET
def team_person(
    request: HttpRequest, organization: Organization, principal: Principal, membership_id: int
) -> HttpResponse:
    membership = _person_or_404(organization, principal, membership_id)
    return _person_page(request, organization, principal, membership)


def _enrollment_or_404(membership: Membership, enrollment_id: int) -> Enrollment:
    enrollment = selectors.team_enrollment_get(membership=membership, enrollment_id=enrollment_id)
    if enrollment is None:
        raise Http404
    return enrollment


@organization_view
@require_POST
def team_person_due(
    request: HttpRequest, organization: Organization, principal: Principal, membership_id: int, enrollment_id: int
) -> HttpResponse:
    membership = _person_or_404(organization, principal, membership_id)
    enrollment = _enrollment_or_404(membership, enrollment_id)
    form = DueForm(request.POST, organization=organization, prefix=f"due-{enrollment.pk}")
    if form.is_valid():
        try:
            services.enrollment_due_set(enrollment=enrollment, by=_user(request), due_at=form.due_at())
        except ValidationError as exc:
            form.add_service_error(_due_error(exc))
        else:
            assert enrollment.course is not None
            messages.success(request, _("The due date of %(course)s was saved.") % {"course": enrollment.course.title})
            return redirect("enrollment:team-person", membership_id=membership.pk)
    return _person_page(request, organization, principal, membership, bound={enrollment.pk: form})


def _due_error(exc: ValidationError) -> ValidationError:
    # The service names its field due_at; the form's is `due`.
    if hasattr(exc, "error_dict"):
        return ValidationError({"due" if key == "due_at" else key: value for key, value in exc.error_dict.items()})
    return exc


@organization_view
@require_POST
def team_person_withdraw(
    request: HttpRequest, organization: Organization, principal: Principal, membership_id: int, enrollment_id: int
) -> HttpResponse:
    membership = _person_or_404(organization, principal, membership_id)
    enrollment = _enrollment_or_404(membership, enrollment_id)
    if not policy.can_withdraw(principal, enrollment):
        raise PermissionDenied(NOT_ALLOWED)
    form = ReasonForm(request.POST, prefix=f"withdraw-{enrollment.pk}")
    if form.is_valid():
        try:
            services.enrollment_withdraw(enrollment=enrollment, by=_user(request), reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            assert enrollment.course is not None
            messages.success(
                request,
                _("%(name)s was withdrawn from %(course)s.")
                % {"name": _name(membership), "course": enrollment.course.title},
            )
            return redirect("enrollment:team-person", membership_id=membership.pk)
    return _person_page(request, organization, principal, membership, bound={enrollment.pk: form})


# --- assigning a course ------------------------------------------------------------------------------------------


def _assign_form(
    data: QueryDict | None,
    organization: Organization,
    principal: Principal,
    *,
    initial: dict[str, Any] | None = None,
) -> AssignForm:
    source = data if data is not None else (initial or {})
    query = str(source.get("course_q") or "")
    choices = selectors.course_search(organization=organization, query=query)
    courses = selectors.assignable_courses(organization=organization)
    chosen = str(source.get("course") or "")
    if chosen.isdigit() and all(course.pk != int(chosen) for course in choices):
        # Keep the course picked before the last search on offer.
        picked = courses.filter(pk=int(chosen)).first()
        if picked is not None:
            choices = [picked, *choices]
    people = selectors.assignable_people(organization=organization, principal=principal)
    people_choices = selectors.people_search(
        organization=organization, principal=principal, query=str(source.get("person_q") or "")
    )
    person = str(source.get("person") or "")
    if person.isdigit() and all(member.pk != int(person) for member in people_choices):
        found = people.filter(pk=int(person)).first()
        if found is not None:
            people_choices = [found, *people_choices]
    whole = (
        _("Your whole team (everyone reporting to you, directly or not)")
        if principal.has_reports and not _reaches_beyond_line(principal)
        else _("Everyone whose training you look after")
    )
    return AssignForm(
        data,
        organization=organization,
        courses=courses,
        course_choices=choices,
        people=people,
        people_choices=people_choices,
        team_label=whole,
        direct_label=_("Your direct reports only") if principal.has_reports else None,
        initial=initial,
    )


def _reaches_beyond_line(principal: Principal) -> bool:
    return principal.holds_org_wide("enrollment.assign") or any(
        "enrollment.assign" in caps for caps in principal.unit_capabilities.values()
    )


def _targets(organization: Organization, principal: Principal, data: dict[str, Any]) -> list[int]:
    if data["who"] == WHO_PERSON:
        return [data["person"].pk]
    return selectors.team_member_ids(
        organization=organization, principal=principal, direct_only=data["who"] == WHO_DIRECT
    )


def _initial_from_query(request: HttpRequest) -> dict[str, Any]:
    initial: dict[str, Any] = {"who": WHO_TEAM}
    for name in ("course_q", "course", "who", "person_q", "person", "due"):
        if request.GET.get(name):
            initial[name] = request.GET[name]
    if request.GET.get("person") and not request.GET.get("who"):
        initial["who"] = WHO_PERSON
    return initial


@organization_view
@require_http_methods(["GET", "POST"])
def team_assign(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    _require_team(principal, "enrollment.assign")
    action = request.POST.get("action", "review")
    if request.method == "GET" or action == "back":
        initial = _initial_from_query(request) if request.method == "GET" else request.POST.dict()
        form = _assign_form(None, organization, principal, initial=initial)
        return render(request, "enrollment/team/assign.html", _assign_context(form, initial))
    form = _assign_form(request.POST, organization, principal)
    if not form.is_valid():
        return render(request, "enrollment/team/assign.html", _assign_context(form, request.POST.dict()))
    data = form.cleaned_data
    course: Course = data["course"]
    targets = _targets(organization, principal, data)
    if not targets:
        form.add_error("who", _("Nobody is in your team yet: there is nobody to assign this course to."))
        return render(request, "enrollment/team/assign.html", _assign_context(form, request.POST.dict()))
    if action != "confirm":
        already = selectors.live_count(course=course, membership_ids=targets)
        context = {
            "form": form,
            "course": course,
            "people": len(targets),
            "already": already,
            "to_enroll": len(targets) - already,
            "person": data["person"] if data["who"] == WHO_PERSON else None,
            "who": data["who"],
            "due_at": data["due_at"],
            "due": request.POST.get("due", ""),
        }
        return render(request, "enrollment/team/assign_confirm.html", context)
    try:
        if data["who"] == WHO_PERSON:
            person: Membership = data["person"]
            enrollment = services.enrollment_create(
                course=course, membership=person, by=_user(request), due_at=data["due_at"]
            )
            if enrollment.status == Status.WAITLISTED:
                text = _("%(name)s is on the waiting list of %(course)s: the course is full.")
            else:
                text = _("%(name)s was enrolled in %(course)s.")
            messages.success(request, text % {"name": _name(person), "course": course.title})
            return redirect("enrollment:team-person", membership_id=person.pk)
        method = Method.MANAGER if set(targets) <= principal.reporting_line_ids else Method.ADMIN
        result = services.enrollments_bulk_create(
            course=course, membership_ids=targets, by=_user(request), method=method, due_at=data["due_at"]
        )
    except ValidationError as exc:
        form.add_service_error(_due_error(exc))
        return render(request, "enrollment/team/assign.html", _assign_context(form, request.POST.dict()))
    messages.success(request, _summary(course, result))
    return redirect("enrollment:team")


def _summary(course: Course, result: services.BulkResult) -> str:
    enrolled = len(result.created) - len(result.waitlisted)
    parts = [
        ngettext("%(count)d person enrolled", "%(count)d people enrolled", enrolled) % {"count": enrolled},
        ngettext("%(count)d already enrolled", "%(count)d already enrolled", len(result.already))
        % {"count": len(result.already)},
        ngettext("%(count)d on the waiting list", "%(count)d on the waiting list", len(result.waitlisted))
        % {"count": len(result.waitlisted)},
        ngettext("%(count)d skipped", "%(count)d skipped", len(result.skipped)) % {"count": len(result.skipped)},
    ]
    return _("%(course)s: %(parts)s.") % {"course": course.title, "parts": ", ".join(parts)}


def _assign_context(form: AssignForm, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "form": form,
        "course_q": values.get("course_q", ""),
        "person_q": values.get("person_q", ""),
        "error_summary": error_summary(form),
    }


@organization_view
@require_GET
def team_assign_courses(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    """The course choices for a search (htmx): the radio buttons only, keeping the course already picked."""
    _require_team(principal, "enrollment.assign")
    form = _assign_form(None, organization, principal, initial=request.GET.dict())
    return _vary(render(request, "enrollment/team/_course_choices.html", {"form": form}))


@organization_view
@require_GET
def team_assign_people(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    """The person choices for a search (htmx), keeping the person already picked."""
    _require_team(principal, "enrollment.assign")
    form = _assign_form(None, organization, principal, initial=request.GET.dict())
    return _vary(render(request, "enrollment/team/_person_choices.html", {"form": form}))


# --- approvals ---------------------------------------------------------------------------------------------------


@dataclass
class RequestRow:
    enrollment: Enrollment
    decline_form: ReasonForm


def _approvals_page(
    request: HttpRequest,
    organization: Organization,
    principal: Principal,
    *,
    bound: ReasonForm | None = None,
    bound_id: int | None = None,
) -> HttpResponse:
    pending = selectors.pending_requests(organization=organization, principal=principal)
    page = Paginator(pending, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        RequestRow(
            enrollment=enrollment,
            decline_form=bound
            if bound is not None and bound_id == enrollment.pk
            else ReasonForm(None, prefix=f"decline-{enrollment.pk}"),
        )
        for enrollment in page.object_list
    ]
    context = {
        "page_obj": page,
        "rows": rows,
        "external_url": _link("progress:external-approvals"),
        "external_count": selectors.pending_external_count(organization=organization, principal=principal),
        "open_id": bound_id,
    }
    return render(request, "enrollment/team/approvals.html", context)


def _require_approver(principal: Principal) -> None:
    if not selectors.may_approve_anything(principal):
        raise PermissionDenied(NOT_ALLOWED)


@organization_view
@require_GET
def approvals(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    _require_approver(principal)
    return _approvals_page(request, organization, principal)


def _request_or_404(organization: Organization, principal: Principal, enrollment_id: int) -> Enrollment:
    _require_approver(principal)
    enrollment = selectors.pending_request_get(
        organization=organization, principal=principal, enrollment_id=enrollment_id
    )
    if enrollment is None or not policy.can_decide(principal, enrollment):
        raise Http404
    return enrollment


@organization_view
@require_POST
def approval_approve(
    request: HttpRequest, organization: Organization, principal: Principal, enrollment_id: int
) -> HttpResponse:
    enrollment = _request_or_404(organization, principal, enrollment_id)
    names = _names(enrollment)
    try:
        decided = services.enrollment_approve(enrollment=enrollment, by=_user(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if decided.status == Status.WAITLISTED:
            messages.success(request, _("%(name)s was approved and is on the waiting list of %(course)s.") % names)
        else:
            messages.success(request, _("%(name)s was approved for %(course)s.") % names)
    return redirect("enrollment:approvals")


@organization_view
@require_POST
def approval_decline(
    request: HttpRequest, organization: Organization, principal: Principal, enrollment_id: int
) -> HttpResponse:
    enrollment = _request_or_404(organization, principal, enrollment_id)
    form = ReasonForm(request.POST, prefix=f"decline-{enrollment.pk}")
    if form.is_valid():
        try:
            services.enrollment_decline(enrollment=enrollment, by=_user(request), reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                form.add_service_error(exc)
            else:
                messages.error(request, " ".join(exc.messages))
                return redirect("enrollment:approvals")
        else:
            names = {
                "name": _name(enrollment.membership),
                "course": enrollment.course.title if enrollment.course else "",
            }
            messages.success(request, _("The request of %(name)s for %(course)s was declined.") % names)
            return redirect("enrollment:approvals")
    return _approvals_page(request, organization, principal, bound=form, bound_id=enrollment.pk)
