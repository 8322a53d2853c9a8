"""The gradebook's pages for the course team (the grader table, one grade, export) and the learner's own grades.
Setup and letter scales are in views_setup.py, import in views_import.py.

Views parse, ask `grades.policy`, call one service or selector, and render. A course of another organisation is
never found (404); a person who is not on the course's team gets 404 as on the other team pages, a team member
without the right to do something gets 403.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from syllabus.access.decorators import organization_view
from syllabus.access.policy import NOT_ALLOWED, Principal
from syllabus.accounts.models import Organization, User
from syllabus.catalog import course_access
from syllabus.catalog import course_header as catalog_course_header
from syllabus.catalog.models import Course
from syllabus.core import clock
from syllabus.grades import policy, selectors, services
from syllabus.grades.forms import ClearOverrideForm, EnterForm, GradebookFilterForm, OverrideForm
from syllabus.grades.models import Display, ItemSource

# The table's filters kept by exports, the column pager and the links back from a cell.
FILTER_PARAMS = ("unit", "group", "status", "q", "sort", "category")
# A cell's way back also keeps the table's page of people and of columns.
BACK_PARAMS = (*FILTER_PARAMS, "page", "cols")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def user_of(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(NOT_ALLOWED)


def team_course(
    organization: Organization, principal: Principal, pk: int, allowed: Callable[[Principal, Course], bool]
) -> Course:
    """The course for a team page: 404 unless this person works on it, 403 when they may not do this here."""
    course = selectors.course_get(organization=organization, pk=pk)
    if course is None:
        raise Http404
    if not (policy.can_view(principal, course) or course_access.can_see_draft(principal, course)):
        raise Http404
    require(allowed(principal, course))
    return course


def header(principal: Principal, course: Course) -> dict[str, Any]:
    """The course team's header (catalog.course_header) with the gradebook's own links."""
    return {
        **catalog_course_header.course_header(principal, course, "gradebook"),
        "can_grade": policy.can_grade(principal, course),
        "can_setup": policy.can_setup(principal, course),
    }


def error_text(exc: ValidationError | PermissionDenied) -> str:
    if isinstance(exc, PermissionDenied):
        return str(exc) or NOT_ALLOWED
    return " ".join(exc.messages)


def add_errors(form: Any, exc: ValidationError) -> None:
    """A service's ValidationError on the form: per field when it names fields, else above the form."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def filter_query(source: QueryDict, *, keys: tuple[str, ...] = FILTER_PARAMS, **extra: Any) -> str:
    """The table's filters re-encoded with only the known keys (a return address can never point elsewhere)."""
    pairs = [(key, value[:100]) for key in keys for value in source.getlist(key) if value]
    pairs += [(key, str(value)) for key, value in extra.items()]
    return urlencode(pairs)


def back_query(source: QueryDict) -> str:
    """Where a cell's page goes back to: the table's filters and its page of people and of columns."""
    return filter_query(source, keys=BACK_PARAMS)


def _filter_form(request: HttpRequest, organization: Organization, course: Course) -> GradebookFilterForm:
    return GradebookFilterForm(
        request.GET or None,
        units=selectors.units_of(organization=organization),
        groups=selectors.groups_of(course=course),
        categories=selectors.categories_of(course=course),
    )


# --- the grader table --------------------------------------------------------------------------------------------


@organization_view
@require_GET
def gradebook(request: HttpRequest, organization: Organization, principal: Principal, course_id: int) -> HttpResponse:
    course = team_course(organization, principal, course_id, policy.can_view)
    services.items_sync_if_stale(course=course)
    settings = services.settings_for(course)
    form = _filter_form(request, organization, course)
    filters = form.filters()
    book = selectors.gradebook(
        course=course,
        settings=settings,
        filters=filters,
        page_number=request.GET.get("page"),
        column_page=request.GET.get("cols"),
        back=back_query(request.GET),
    )
    query = filter_query(request.GET)
    export_url = reverse("grades:export", args=[course.pk])
    context = {
        **header(principal, course),
        "book": book,
        "filters_form": form,
        "filtered": filters.narrowed or filters.category_id is not None,
        "points": settings.display == Display.POINTS,
        "csv_url": f"{export_url}?{filter_query(request.GET, format='csv')}",
        "xlsx_url": f"{export_url}?{filter_query(request.GET, format='xlsx')}",
        "query": query,
    }
    return render(request, "grades/gradebook.html", context)


@organization_view
@require_GET
def export(request: HttpRequest, organization: Organization, principal: Principal, course_id: int) -> HttpResponse:
    """The table with the same filters (every item, every page) as CSV (streamed) or XLSX."""
    course = team_course(organization, principal, course_id, policy.can_view)
    kind = request.GET.get("format", "csv")
    if kind not in ("csv", "xlsx"):
        return HttpResponse(_("Choose the format csv or xlsx."), status=400, content_type="text/plain; charset=utf-8")
    services.items_sync_if_stale(course=course)
    filters = _filter_form(request, organization, course).filters()
    rows = selectors.people(course=course, filters=filters)
    stem = f"gradebook-{course.pk}-{clock.now().astimezone(dt.UTC):%Y%m%d-%H%M}"
    response: HttpResponse | StreamingHttpResponse
    if kind == "csv":
        response = StreamingHttpResponse(
            services.export_csv(course=course, rows_query=rows), content_type="text/csv; charset=utf-8"
        )
    else:
        response = HttpResponse(services.export_xlsx(course=course, rows_query=rows), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{stem}.{kind}"'
    response["Cache-Control"] = "no-store"
    return response  # type: ignore[return-value]


# --- one grade ---------------------------------------------------------------------------------------------------


def _grade_page(
    request: HttpRequest,
    principal: Principal,
    course: Course,
    cell: selectors.Cell,
    *,
    forms: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    settings = services.settings_for(course)
    bands = selectors.bands_for(settings) if settings.display == Display.LETTER else []
    grade = cell.grade
    forms = forms or {}
    manual = cell.item.source == ItemSource.MANUAL
    back = back_query(QueryDict(request.GET.get("back", "") or request.POST.get("back", "")))
    gradebook_url = reverse("grades:gradebook", args=[course.pk])

    def shown(value: Any) -> str:
        return selectors.show(value, display=settings.display, max_points=cell.item.max_points, bands=bands)

    context = {
        **header(principal, course),
        "cell": cell,
        "grade": grade,
        "manual": manual,
        "final_text": shown(grade.final if grade else None),
        "raw_text": shown(grade.raw if grade else None),
        "override_text": shown(grade.override) if grade and grade.override is not None else "",
        "history": [
            {
                "change": change,
                "old": shown(change.old_final),
                "new": shown(change.new_final),
            }
            for change in cell.history
        ],
        "override_form": forms.get("override")
        or OverrideForm(initial={"percent": grade.override if grade else None}, auto_id=OVERRIDE_IDS),
        "clear_form": forms.get("clear") or ClearOverrideForm(auto_id=CLEAR_IDS),
        "enter_form": forms.get("enter")
        or EnterForm(
            initial={"percent": grade.raw if grade else None, "feedback": grade.feedback if grade else ""},
            auto_id=ENTER_IDS,
        ),
        "back": back,
        "gradebook_url": f"{gradebook_url}?{back}" if back else gradebook_url,
    }
    return render(request, "grades/grade.html", context, status=status)


ACTIONS = ("override", "clear", "enter", "hide", "release")
# The grade page holds up to three forms with fields of the same names: each its own ids, so that every label,
# help text and error names its own field.
OVERRIDE_IDS = "override-%s"
CLEAR_IDS = "clear-%s"
ENTER_IDS = "enter-%s"


@organization_view
@require_http_methods(["GET", "POST"])
def grade(
    request: HttpRequest, organization: Organization, principal: Principal, course_id: int, item_id: int, user_id: int
) -> HttpResponse:
    """One person's grade for one item: where it came from, override (with a reason) or clear, manual entry for a
    manual item, hide or release, and its history."""
    course = team_course(organization, principal, course_id, policy.can_view)
    cell = selectors.cell_get(course=course, item_id=item_id, user_id=user_id)
    if cell is None:
        raise Http404
    if request.method == "GET":
        return _grade_page(request, principal, course, cell)
    require(policy.can_grade(principal, course))
    action = request.POST.get("action", "")
    if action not in ACTIONS:
        return HttpResponse(_("Unknown action."), status=400, content_type="text/plain; charset=utf-8")
    by = user_of(request)
    form: Any = None
    try:
        if action == "override":
            form = OverrideForm(request.POST, auto_id=OVERRIDE_IDS)
            if form.is_valid():
                services.grade_override(
                    by=by,
                    item=cell.item,
                    user=cell.person,
                    percent=form.cleaned_data["percent"],
                    reason=form.cleaned_data["reason"],
                )
                messages.success(request, _("The grade is overridden."))
        elif action == "clear":
            form = ClearOverrideForm(request.POST, auto_id=CLEAR_IDS)
            if form.is_valid():
                services.grade_override(
                    by=by, item=cell.item, user=cell.person, percent=None, reason=form.cleaned_data["reason"]
                )
                messages.success(request, _("The override is cleared: the grade is the activity's again."))
        elif action == "enter":
            form = EnterForm(request.POST, auto_id=ENTER_IDS)
            if cell.item.source != ItemSource.MANUAL:
                raise ValidationError(_("Only a manual item's grade is entered; override an activity's grade."))
            if form.is_valid():
                services.grade_enter(
                    by=by,
                    item=cell.item,
                    user=cell.person,
                    percent=form.cleaned_data["percent"],
                    feedback=form.cleaned_data["feedback"],
                )
                messages.success(request, _("The grade is saved."))
        else:
            services.grades_hide(by=by, item=cell.item, user_ids=[cell.person.pk], hidden=action == "hide")
            messages.success(
                request,
                _("The grade is hidden from the learner.") if action == "hide" else _("The grade is released."),
            )
    except ValidationError as exc:
        if form is None:
            messages.error(request, error_text(exc))  # shown on the grade page, reached below with its way back
        else:
            add_errors(form, exc)
    if form is not None and form.errors:
        return _grade_page(request, principal, course, cell, forms={action: form}, status=400)
    url = reverse("grades:grade", args=[course.pk, cell.item.pk, cell.person.pk])
    back = back_query(QueryDict(request.POST.get("back", "")))
    return redirect(f"{url}?{urlencode({'back': back})}" if back else url)


# --- the learner's own grades ------------------------------------------------------------------------------------


@organization_view
@require_GET
def mine(request: HttpRequest, organization: Organization, principal: Principal, course_id: int) -> HttpResponse:
    """A learner's released grades in one course (404 for anyone who does not learn it)."""
    course = selectors.course_get(organization=organization, pk=course_id)
    if course is None or not policy.can_see_own(principal, course):
        raise Http404
    settings = services.settings_for(course)
    own = selectors.own_grades(course=course, settings=settings, user_id=user_of(request).pk)
    return render(request, "grades/mine.html", {"course": course, "own": own})
