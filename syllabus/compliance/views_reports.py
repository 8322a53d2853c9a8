"""Compliance report pages: the dashboard, point-in-time answers (with CSV) and the evidence pack (CSV and PDF).

Thin: parse the filters, check `compliance.policy`, call `reports` / `evidence`, render. Officers and auditors see
everyone; managers (`report.view_team`) see their people; others get 403. Another organisation's program or unit
is not found (404). Only people who see everyone export evidence.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import formats
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


def _indented(units: list[OrgUnit]) -> list[tuple[str, str]]:
    return [("", _("The whole organisation"))] + [(str(u.pk), "\u2003" * u.depth + u.name) for u in units]


# --- the dashboard -------------------------------------------------------------------------------------------


class UnitForm(forms.Form):
    unit = forms.ChoiceField(label=gettext_lazy("Org unit"), required=False)

    def __init__(self, *args: Any, units: list[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = _indented(units)  # type: ignore[attr-defined]


def _trend_chart(report: reports.ProgramReport) -> dict[str, Any]:
    return {
        "label": report.program.name,
        # The month (and year) in the reader's language; the last point is today, named in full.
        "labels": [
            formats.date_format(point.day, "DATE_FORMAT" if index == len(report.trend) - 1 else "YEAR_MONTH_FORMAT")
            for index, point in enumerate(report.trend)
        ],
        "values": [point.percent for point in report.trend],
    }


@require_GET
@organization_view
def dashboard(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    _require_reports(principal)
    unit = _unit_or_404(organization, request.GET.get("unit"))
    board = reports.dashboard(organization=organization, principal=principal, unit=unit)
    units = reports.units_for_picker(organization)
    programs = []
    for report in board.programs:
        people = _link("compliance:program", report.program.pk)
        programs.append(
            {
                "report": report,
                "people_url": people,
                "chart_id": f"trend-{report.program.pk}",
                "chart": _trend_chart(report),
            }
        )
    context = {
        "form": UnitForm(request.GET or None, units=units),
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
    on = forms.DateField(label=gettext_lazy("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].choices = _program_choices(organization)  # type: ignore[attr-defined]
        self.fields["status"].choices = [("", _("Any status")), *reports_status_choices()]  # type: ignore[attr-defined]


def reports_status_choices() -> list[tuple[str, str]]:
    return evidence.reports_status_labels()


def _csv_lines(rows: Iterator[list[str]]) -> Iterator[str]:
    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())
    for row in rows:
        yield writer.writerow([escape_cell(cell) for cell in row])


def _point_in_time_csv(answer: reports.PointInTime) -> Iterator[list[str]]:
    labels = dict(StatusCode.choices)
    yield [_("Name"), _("Email"), _("Employee id"), _("Org unit"), _("Status"), _("Since"), _("Due on"), _("Until")]
    for row in answer.rows.iterator(chunk_size=2000):
        membership = row.membership
        yield [
            membership.user.display_name,
            membership.user.email,
            membership.employee_id,
            membership.org_unit.name if membership.org_unit else "",
            str(labels.get(row.status, row.status)),
            row.effective_on.isoformat(),
            row.due_on.isoformat() if row.due_on else "",
            row.until.isoformat() if row.until else "",
        ]


@require_GET
@organization_view
def point_in_time(
    request: HttpRequest, organization: Organization, principal: Principal
) -> HttpResponse | StreamingHttpResponse:
    _require_reports(principal)
    data = request.GET.copy() if "program" in request.GET else None
    if data is not None and data.get("program"):
        # Another organisation's id is not found (404), rather than "not one of the choices".
        chosen = _program_or_404(organization, data.get("program"))
        if not data.get("on"):
            data["on"] = evaluation.program_today(chosen).isoformat()
    form = PointInTimeForm(data, organization=organization, initial={"on": clock.today()})
    answer = page = None
    flags: set[int] = set()
    if form.is_valid():
        program = _program_or_404(organization, form.cleaned_data["program"])
        answer = reports.point_in_time(
            program=program, on=form.cleaned_data["on"], principal=principal, status=form.cleaned_data["status"]
        )
        if request.GET.get("format") == "csv":
            response = StreamingHttpResponse(_csv_lines(_point_in_time_csv(answer)), content_type="text/csv")
            name = f"point-in-time-{program.pk}-{answer.on.isoformat()}.csv"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        page = Paginator(answer.rows, PAGE_SIZE).get_page(request.GET.get("page"))
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
    start = forms.DateField(label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}))

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
