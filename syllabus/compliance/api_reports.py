"""REST API of compliance reports (/api/v1/compliance/reports/...): the dashboard's figures, point-in-time answers
from the ledger, and the evidence pack as a streamed CSV.

Figures and point-in-time answers: whoever may view reports (`compliance.policy.can_view_reports`), scoped to the
people they see. The evidence pack: only people who see everyone (compliance officers, auditors); each export is
recorded in the audit trail with the SHA-256 of the file.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, StreamingHttpResponse
from django.urls import URLPattern, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from syllabus.access.endpoints import OrganizationEndpoint
from syllabus.access.policy import NOT_ALLOWED, Principal
from syllabus.accounts.models import OrgUnit
from syllabus.compliance import evaluation, evidence, policy, reports
from syllabus.compliance.models import Program, ProgramStatus, StatusChange, StatusCode
from syllabus.core import request_context
from syllabus.core.api import Pagination, with_errors

TAG = "compliance"


class ReportsApi(OrganizationEndpoint):
    def reader(self) -> Principal:
        principal = self.principal()
        if not policy.can_view_reports(principal):
            raise PermissionDenied(NOT_ALLOWED)
        return principal

    def get_program(self, pk: int) -> Program:
        program = (
            Program.objects.for_organization(self.organization)
            .exclude(status=ProgramStatus.DRAFT)
            .select_related("organization", "audience")
            .filter(pk=pk)
            .first()
        )
        if program is None:
            raise Http404
        return program

    def get_unit(self, pk: int | None) -> OrgUnit | None:
        if pk is None:
            return None
        unit = OrgUnit.objects.filter(organization=self.organization, pk=pk).first()
        if unit is None:
            raise Http404
        return unit


# --- the dashboard -----------------------------------------------------------------------------------------------


class FiguresSerializer(serializers.Serializer[Any]):
    in_scope = serializers.IntegerField()
    compliant = serializers.IntegerField()
    exempt = serializers.IntegerField()
    percent_compliant = serializers.FloatField(
        allow_null=True, help_text="Compliant and exempt people over the people in scope (null: nobody in scope)."
    )
    not_yet_due = serializers.IntegerField()
    due_soon = serializers.IntegerField()
    overdue = serializers.IntegerField()
    expired = serializers.IntegerField()
    expiring = serializers.DictField(
        child=serializers.IntegerField(),
        help_text='Compliant people whose completion expires within "30", "60", "90" days.',
    )


class ComplianceUnitRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class UnitFiguresSerializer(serializers.Serializer[Any]):
    unit = ComplianceUnitRefSerializer(allow_null=True, help_text="null: people without an org unit.")
    direct = serializers.BooleanField(help_text="People directly in the picked unit (not in a unit below it).")
    figures = FiguresSerializer()


class TrendPointSerializer(serializers.Serializer[Any]):
    day = serializers.DateField()
    in_scope = serializers.IntegerField()
    good = serializers.IntegerField(help_text="Compliant or exempt that day.")
    percent = serializers.FloatField(allow_null=True)


class ProgramFiguresSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    figures = FiguresSerializer()
    units = UnitFiguresSerializer(many=True)
    trend = TrendPointSerializer(many=True)


class DashboardSerializer(serializers.Serializer[Any]):
    today = serializers.DateField()
    unit = ComplianceUnitRefSerializer(allow_null=True)
    programs = ProgramFiguresSerializer(many=True)


def _unit(unit: OrgUnit | None) -> dict[str, Any] | None:
    return {"id": unit.pk, "name": unit.name} if unit is not None else None


class DashboardApi(ReportsApi):
    class FilterSerializer(serializers.Serializer[Any]):
        unit = serializers.IntegerField(required=False, help_text="An org unit id: only people in its subtree.")

    @extend_schema(
        tags=[TAG],
        summary="Compliance dashboard figures",
        description="Per active program: people in scope, % compliant, each status, expiries ahead, the same per "
        "top-level org unit (or per child of `unit`), and the share in good standing at the end of each of the "
        "last 12 months (from the ledger). Managers see their people only.",
        parameters=[FilterSerializer],
        responses=with_errors({200: DashboardSerializer}, 400, 403, 404),
    )
    def get(self, request: Request) -> Response:
        principal = self.reader()
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        unit = self.get_unit(filters.validated_data.get("unit"))
        board = reports.dashboard(organization=self.organization, principal=principal, unit=unit)
        data = {
            "today": board.today,
            "unit": _unit(unit),
            "programs": [
                {
                    "id": item.program.pk,
                    "name": item.program.name,
                    "figures": item.figures.as_dict(),
                    "units": [
                        {"unit": _unit(row.unit), "direct": row.direct, "figures": row.figures.as_dict()}
                        for row in item.units
                    ],
                    "trend": [
                        {"day": p.day, "in_scope": p.in_scope, "good": p.good, "percent": p.percent} for p in item.trend
                    ],
                }
                for item in board.programs
            ],
        }
        return Response(DashboardSerializer(data).data)


# --- point in time -----------------------------------------------------------------------------------------------


class PointInTimeRowSerializer(serializers.Serializer[StatusChange]):
    membership_id = serializers.IntegerField()
    name = serializers.CharField(source="membership.user.display_name")
    email = serializers.CharField(source="membership.user.email")
    org_unit = serializers.CharField(source="membership.org_unit.name", default=None, allow_null=True)
    status = serializers.CharField(help_text="The status that held that day.")
    since = serializers.DateField(source="effective_on")
    cycle = serializers.IntegerField()
    due_on = serializers.DateField(allow_null=True)
    until = serializers.DateField(allow_null=True)


def _day_in_bounds(day: Any) -> None:
    if not reports.FIRST_DAY <= day <= reports.LAST_DAY:
        raise serializers.ValidationError(str(reports.DAY_OUT_OF_BOUNDS))


def DayField(**kwargs: Any) -> serializers.DateField:
    return serializers.DateField(validators=[_day_in_bounds], **kwargs)


class PointInTimeApi(ReportsApi):
    class FilterSerializer(serializers.Serializer[Any]):
        program = serializers.IntegerField()
        on = DayField(help_text="The day (YYYY-MM-DD), 1900-01-01 to today.")
        status = serializers.ChoiceField(
            choices=[c for c in StatusCode.values if c != StatusCode.UNASSIGNED], required=False
        )
        unit = serializers.IntegerField(required=False)

    @extend_schema(
        tags=[TAG],
        summary="Who was in a program's scope on a day, and their status",
        description="Answered from the program's append-only ledger (the status that held that day), never from "
        "today's state: counts per status, the cross-check with the audience's membership that day, and the "
        "people (paginated).",
        parameters=[FilterSerializer],
        responses=with_errors({200: OpenApiTypes.OBJECT}, 400, 403, 404),
    )
    def get(self, request: Request) -> Response:
        principal = self.reader()
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        program = self.get_program(data["program"])
        if data["on"] > evaluation.program_today(program):
            raise serializers.ValidationError({"on": [str(reports.DAY_IN_FUTURE)]})
        answer = reports.point_in_time(
            program=program,
            on=data["on"],
            principal=principal,
            status=data.get("status", ""),
            unit=self.get_unit(data.get("unit")),
        )
        paginator = Pagination()
        page: Any = paginator.paginate_queryset(answer.rows, request, view=self)  # type: ignore[arg-type]
        rows = PointInTimeRowSerializer(page, many=True).data  # type: ignore[arg-type]
        response = paginator.get_paginated_response(rows)
        response.data = {
            "program": {"id": program.pk, "name": program.name},
            "on": data["on"].isoformat(),
            "active_since": reports.active_since(program),
            "counts": answer.counts,
            "total": answer.total,
            "percent_compliant": answer.percent,
            "in_audience_not_assigned": answer.in_audience_not_assigned,
            "assigned_not_in_audience": answer.assigned_not_in_audience,
            **response.data,
        }
        return response


# --- the evidence pack -------------------------------------------------------------------------------------------


class EvidenceCsvApi(ReportsApi):
    class FilterSerializer(serializers.Serializer[Any]):
        program = serializers.IntegerField()
        start = DayField(help_text="First day of the range (from 1900-01-01).")
        end = DayField(help_text="Last day of the range (up to 2200-12-31).")

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            message = evidence.check_range(attrs["start"], attrs["end"])
            if message:
                raise serializers.ValidationError({"end": message})
            return attrs

    @extend_schema(
        tags=[TAG],
        summary="Evidence pack of a program (CSV)",
        description="Every person's assignments and cycles overlapping the range, streamed in constant memory. "
        "Only compliance officers and auditors. The export is recorded in the audit trail "
        "(`compliance.evidence_exported`) with the SHA-256 of the bytes sent and the number of rows, once the "
        "stream ends.",
        parameters=[FilterSerializer],
        responses={(200, "text/csv"): OpenApiResponse(response=OpenApiTypes.STR), **with_errors({}, 400, 403, 404)},
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        principal = self.principal()
        if not policy.sees_everyone(principal):
            raise PermissionDenied(NOT_ALLOWED)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        program = self.get_program(data["program"])
        context = request_context.current()
        stream = evidence.evidence_csv(
            program=program,
            start=data["start"],
            end=data["end"],
            by=self.user,
            ip_address=context.ip_address if context else None,
            user_agent=context.user_agent if context else "",
        )
        response = StreamingHttpResponse(stream, content_type="text/csv; charset=utf-8")
        name = evidence.filename(program, data["start"], data["end"], "csv")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


urlpatterns: list[URLPattern] = [
    path("reports/dashboard/", DashboardApi.as_view(), name="compliance-dashboard"),
    path("reports/point-in-time/", PointInTimeApi.as_view(), name="compliance-point-in-time"),
    path("reports/evidence.csv", EvidenceCsvApi.as_view(), name="compliance-evidence-csv"),
]
