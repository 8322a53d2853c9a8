"""Compliance report pages: the dashboard, point-in-time answers (with CSV) and the evidence pack (CSV and PDF).

Thin: parse the filters, check `compliance.policy`, call `reports` / `evidence`, render. Officers and auditors see
everyone; managers (`report.view_team`) see their people; others get 403. Another organisation's program or unit
is not found (404). Only people who see everyone export evidence.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import formats
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from syllabus.access.decorators import organization_view
from syllabus.access.policy import NOT_ALLOWED, Principal
from syllabus.accounts.models import Organization, OrgUnit
from syllabus.compliance import evaluation, evidence, policy, reports
from syllabus.compliance.models import Program, ProgramStatus, StatusCode
from syllabus.core import clock, request_context
from syllabus.skills.framework_csv import escape_cell

PAGE_SIZE = 50


def check_bounds(day: dt.date) -> None:
    if not reports.FIRST_DAY <= day <= reports.LAST_DAY:
        raise ValidationError(reports.DAY_OUT_OF_BOUNDS, code="out_of_bounds")


class DayField(forms.DateField):
    """A date input whose day must lie within FIRST_DAY..LAST_DAY."""

    default_validators = [check_bounds]

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", forms.DateInput(attrs={"type": "date", "min": reports.FIRST_DAY, "max": reports.LAST_DAY})
        )
        super().__init__(**kwargs)


def _require_reports(principal: Principal) -> None:
    if not policy.can_view_reports(principal):
        raise PermissionDenied(NOT_ALLOWED)


def _require_evidence(principal: Principal) -> None:
    if not policy.sees_everyone(principal):
        raise PermissionDenied(NOT_ALLOWED)


def _link(name: str, *args: Any) -> str | None:
    """A page of another part of compliance that may not be there yet (the link is then left out)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _unit_or_404(organization: Organization, value: str | None) -> OrgUnit | None:
    if not value:
        return None
    try:
        pk = int(value)
    except ValueError:
        raise Http404 from None
    unit = OrgUnit.objects.filter(organization=organization, pk=pk).first()
    if unit is None:
        raise Http404
    return unit


def _program_choices(organization: Organization) -> list[tuple[str, str]]:
    # Drafts never had anyone in scope; archived programs keep their history, so they are listed.
    programs = Program.objects.for_organization(organization).exclude(status=ProgramStatus.DRAFT).order_by("name")
    return [("", "—")] + [(str(pk), name) for pk, name in programs.values_list("pk", "name")]


def _program_or_404(organization: Organization, value: Any) -> Program:
    try:
        value = int(value)
    except (TypeError, ValueError):
        raise Http404 from None
    program = (
        Program.objects.for_organization(organization)
        .select_related("organization", "audience")
        .filter(pk=value)
        .first()
    )
    if program is None:
        raise Http404
    return program


# --- the dashboard -------------------------------------------------------------------------------------------


class UnitSearchForm(forms.Form):
    """Find an org unit by name: the dashboard drills down by links, so no list of every unit is ever drawn."""

    q = forms.CharField(label=gettext_lazy("Find an org unit"), required=False, max_length=200)


def _trend_chart(report: reports.ProgramReport) -> dict[str, Any]:
    return {
        "label": report.program.name,
        # The month (and year) in the reader's language; the last point is today (the month so far).
        "labels": [
            _("Today") if index == len(report.trend) - 1 else formats.date_format(point.day, "YEAR_MONTH_FORMAT")
            for index, point in enumerate(report.trend)
        ],
        "values": [point.percent for point in report.trend],
    }


LINKED_STATUSES = (
    StatusCode.NOT_YET_DUE,
    StatusCode.DUE_SOON,
    StatusCode.OVERDUE,
    StatusCode.EXPIRED,
    StatusCode.EXEMPT,
)


def _count_links(
    people: str | None, figures: reports.Figures, unit: OrgUnit | None, report: reports.ProgramReport, everyone: bool
) -> dict[str, str]:
    """Status code -> the program's people page filtered by that status (and the unit's subtree): one per non-zero
    count. A manager's people page offers only the units of their people, so another unit gets no link rather than
    one that would show everyone."""
    if people is None or (unit is not None and not everyone and unit.pk not in report.unit_ids):
        return {}
    out = {}
    for code in LINKED_STATUSES:
        if getattr(figures, str(code)):
            query = {"status": str(code), **({"unit": str(unit.pk)} if unit is not None else {})}
            out[str(code)] = f"{people}?{urlencode(query)}"
    return out


@require_GET
@organization_view
def dashboard(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    _require_reports(principal)
    unit = _unit_or_404(organization, request.GET.get("unit"))
    form = UnitSearchForm(request.GET or None)
    search = form.cleaned_data["q"] if form.is_valid() else ""
    board = reports.dashboard(organization=organization, principal=principal, unit=unit, search=search)
    everyone = policy.sees_everyone(principal)
    programs = []
    for report in board.programs:
        people = _link("compliance:program", report.program.pk)
        programs.append(
            {
                "report": report,
                "people_url": people,
                "links": _count_links(people, report.figures, unit, report, everyone),
                "units": [
                    {
                        "row": row,
                        "links": {}
                        if row.direct or row.unit is None
                        else _count_links(people, row.figures, row.unit, report, everyone),
                    }
                    for row in report.units
                ],
                "chart_id": f"trend-{report.program.pk}",
                "chart": _trend_chart(report),
            }
        )
    context = {
        "form": form,
        "search": search,
        "board": board,
        "programs": programs,
        "unit": unit,
        "horizons": reports.EXPIRY_HORIZONS,
        "sees_everyone": policy.sees_everyone(principal),
        "point_in_time_url": reverse("compliance:point-in-time"),
        "evidence_url": reverse("compliance:evidence") if policy.sees_everyone(principal) else None,
    }
    return render(request, "compliance/reports/dashboard.html", context)


# --- point in time -----------------------------------------------------------------------------------------------


class PointInTimeForm(forms.Form):
    program = forms.ChoiceField(label=gettext_lazy("Program"))
    on = DayField(label=gettext_lazy("Day"))
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)

    def __init__(self, *args: Any, organization: Organization, today: dt.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["program"].choices = _program_choices(organization)  # type: ignore[attr-defined]
        self.fields["status"].choices = [("", _("Any status")), *reports_status_choices()]  # type: ignore[attr-defined]

    def clean_on(self) -> dt.date:
        day: dt.date = self.cleaned_data["on"]
        # The ledger records what happened: a day after today would answer with today's state as if it were known.
        if self.today is not None and day > self.today:
            raise ValidationError(reports.DAY_IN_FUTURE, code="future")
        return day


def reports_status_choices() -> list[tuple[str, str]]:
    return evidence.reports_status_labels()


def _csv_lines(rows: Iterator[list[str]]) -> Iterator[str]:
    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())
    for row in rows:
        yield writer.writerow([escape_cell(cell) for cell in row])


def _point_in_time_csv(program: Program, on: dt.date, principal: Principal, status: str) -> Iterator[list[str]]:
    labels = dict(StatusCode.choices)
    yield [_("Name"), _("Email"), _("Employee id"), _("Org unit"), _("Status"), _("Since"), _("Due on"), _("Until")]
    fields = (
        "membership__user__display_name",
        "membership__user__email",
        "membership__employee_id",
        "membership__org_unit__name",
        "status",
        "effective_on",
        "due_on",
        "until",
    )
    rows = reports.held_values(program=program, on=on, principal=principal, fields=fields, status=status)
    for name, email, employee_id, unit, code, since, due_on, until in rows:
        yield [
            name,
            email,
            employee_id,
            unit or "",
            str(labels.get(code, code)),
            since.isoformat(),
            due_on.isoformat() if due_on else "",
            until.isoformat() if until else "",
        ]


@require_GET
@organization_view
def point_in_time(
    request: HttpRequest, organization: Organization, principal: Principal
) -> HttpResponse | StreamingHttpResponse:
    _require_reports(principal)
    data = request.GET.copy() if "program" in request.GET else None
    today = clock.today()
    if data is not None and data.get("program"):
        # Another organisation's id is not found (404), rather than "not one of the choices".
        chosen = _program_or_404(organization, data.get("program"))
        today = evaluation.program_today(chosen)
        if not data.get("on"):
            data["on"] = today.isoformat()
    form = PointInTimeForm(data, organization=organization, today=today, initial={"on": today})
    answer = page = None
    not_active: str | None = None
    flags: set[int] = set()
    if form.is_valid():
        program = _program_or_404(organization, form.cleaned_data["program"])
        since = reports.active_since(program)
        if since is None or form.cleaned_data["on"] < since:
            # Nobody was in scope then: say so, rather than an empty table with a CSV to download.
            day = formats.date_format(form.cleaned_data["on"], "j F Y")
            not_active = str(reports.NOT_ACTIVE_YET) % {"day": day}
            return render(
                request,
                "compliance/reports/point_in_time.html",
                {"form": form, "not_active": not_active, "sees_everyone": policy.sees_everyone(principal)},
            )
        on, status = form.cleaned_data["on"], form.cleaned_data["status"]
        if request.GET.get("format") == "csv":
            # The CSV needs no counts: one streamed query.
            lines = _csv_lines(_point_in_time_csv(program, on, principal, status))
            response = StreamingHttpResponse(lines, content_type="text/csv")
            response["Content-Disposition"] = f'attachment; filename="point-in-time-{program.pk}-{on.isoformat()}.csv"'
            return response
        answer = reports.point_in_time(program=program, on=on, principal=principal, status=status)
        page = Paginator(answer.rows, PAGE_SIZE).get_page(request.GET.get("page"))  # type: ignore[arg-type]
        flags = reports.in_audience_ids(program, answer.on, [row.membership_id for row in page.object_list])
    labels = dict(StatusCode.choices)
    rows = (
        [
            {
                "row": row,
                "status_label": labels.get(row.status, row.status),
                "in_audience": row.membership_id in flags,
            }
            for row in page.object_list
        ]
        if page is not None
        else []
    )
    counts = [(labels[code], number, code) for code, number in answer.counts.items()] if answer is not None else []
    context = {
        "form": form,
        "answer": answer,
        "page_obj": page,
        "rows": rows,
        "counts": counts,
        "csv_query": _with(request, format="csv", page=None),
        "sees_everyone": policy.sees_everyone(principal),
    }
    return render(request, "compliance/reports/point_in_time.html", context)


def _with(request: HttpRequest, **changes: Any) -> str:
    query = request.GET.copy()
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return query.urlencode()


# --- the evidence pack -------------------------------------------------------------------------------------------


class EvidenceForm(forms.Form):
    program = forms.ChoiceField(label=gettext_lazy("Program"))
    start = DayField(label=gettext_lazy("From"))
    end = DayField(label=gettext_lazy("To"))

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].choices = _program_choices(organization)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end"):
            message = evidence.check_range(data["start"], data["end"])
            if message:
                self.add_error("end", _(message))
        return data


def _client() -> tuple[str | None, str]:
    context = request_context.current()
    return (context.ip_address, context.user_agent) if context else (None, "")


@require_GET
@organization_view
def evidence_pack(
    request: HttpRequest, organization: Organization, principal: Principal
) -> HttpResponse | StreamingHttpResponse:
    _require_evidence(principal)
    kind = request.GET.get("format")
    data = request.GET if "program" in request.GET else None
    if data is not None and data.get("program"):
        _program_or_404(organization, data.get("program"))
    form = EvidenceForm(data, organization=organization)
    if kind in ("csv", "pdf") and form.is_valid():
        program = _program_or_404(organization, form.cleaned_data["program"])
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        if kind == "csv":
            ip_address, user_agent = _client()
            stream = evidence.evidence_csv(
                program=program, start=start, end=end, by=principal.user, ip_address=ip_address, user_agent=user_agent
            )
            response: HttpResponse | StreamingHttpResponse = StreamingHttpResponse(stream, content_type="text/csv")
        else:
            response = HttpResponse(
                evidence.evidence_pdf(program=program, start=start, end=end, by=principal.user),
                content_type="application/pdf",
            )
        name = evidence.filename(program, start, end, kind)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return render(request, "compliance/reports/evidence.html", {"form": form})
