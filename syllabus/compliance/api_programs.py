"""REST API of compliance programs and their assignments (/api/v1/compliance/programs/...).

Programs are read by whoever may see compliance reports (`compliance.manage`, `report.view_all`,
`report.view_team`) and written by `compliance.manage` (organisation-wide). Assignments are filtered to the people
the caller may see (`compliance.policy.people_q`): a manager sees their team only. Another organisation's ids
answer 404.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import path
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from syllabus.access.endpoints import OrganizationEndpoint
from syllabus.access.policy import NOT_ALLOWED
from syllabus.compliance import policy, selectors, services
from syllabus.compliance.models import (
    Anchor,
    Assignment,
    DueRule,
    Program,
    ProgramStatus,
    Requirement,
    StatusChange,
    StatusCode,
)
from syllabus.core.api import paginated_response, with_errors

TAG = "Compliance"
BODY_NOT_OBJECT = "Send a JSON object of the program's fields."


class ComplianceApi(OrganizationEndpoint):
    def require_reports(self) -> None:
        if not policy.can_view_reports(self.principal()):
            raise PermissionDenied(NOT_ALLOWED)

    def require_manage(self) -> None:
        if not policy.can_manage(self.principal()):
            raise PermissionDenied(NOT_ALLOWED)

    def get_program(self, pk: int) -> Program:
        program = selectors.program_get(organization=self.organization, pk=pk, principal=self.principal())
        if program is None:
            raise Http404
        return program

    def body(self, request: Request) -> Mapping[str, Any]:
        """The JSON object sent; anything else (a list, a string) is refused with a 400 naming the problem."""
        if not isinstance(request.data, Mapping):
            raise serializers.ValidationError({"non_field_errors": [BODY_NOT_OBJECT]})
        return request.data


# --- output ---------------------------------------------------------------------------------------------------


class ProgramCourseSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="course.id")
    title = serializers.CharField(source="course.title")


class ProgramOutputSerializer(serializers.Serializer[Program]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    status = serializers.CharField(help_text="`draft`, `active` or `archived`.")
    audience = serializers.SerializerMethodField()
    requirement = serializers.CharField(help_text="`course`, `any`, `all` or `acknowledgement`.")
    courses = serializers.SerializerMethodField()
    min_score = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    statement = serializers.CharField()
    due_rule = serializers.CharField(help_text="`fixed`, `after_assignment` or `after_hire`.")
    due_on = serializers.DateField(allow_null=True)
    due_days = serializers.IntegerField(allow_null=True)
    grace_days = serializers.IntegerField()
    due_soon_days = serializers.IntegerField()
    valid_months = serializers.IntegerField(allow_null=True, help_text="Null: a one-off program.")
    window_days = serializers.IntegerField()
    anchor = serializers.CharField(help_text="`completion` or `due_date`.")
    lookback_days = serializers.IntegerField()
    reminder_days = serializers.ListField(child=serializers.IntegerField())
    remind_on_due = serializers.BooleanField()
    overdue_every_days = serializers.IntegerField()
    escalate_manager_days = serializers.IntegerField(allow_null=True)
    escalate_officer_days = serializers.IntegerField(allow_null=True)
    require_signature = serializers.BooleanField()
    signature_meaning = serializers.CharField()
    gating = serializers.BooleanField()
    enroll = serializers.BooleanField()
    revision = serializers.IntegerField()
    activated_at = serializers.DateTimeField(allow_null=True)
    last_evaluated_at = serializers.DateTimeField(allow_null=True)
    in_scope = serializers.IntegerField(required=False, help_text="People assigned now (lists only).")
    in_good_standing = serializers.IntegerField(required=False, help_text="Compliant or exempt (lists only).")

    def get_audience(self, program: Program) -> dict[str, Any]:
        return {"id": program.audience_id, "name": program.audience.name}

    def get_courses(self, program: Program) -> list[dict[str, Any]]:
        return [{"id": pc.course_id, "title": pc.course.title} for pc in program.program_courses.all()]


class ProgramInputSerializer(serializers.Serializer[Any]):
    """Every field of a program; `services.clean_fields` does the validation that names the field."""

    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    audience = serializers.IntegerField(help_text="The audience the program applies to.")
    requirement = serializers.ChoiceField(choices=Requirement.choices, default=Requirement.COURSE)
    courses = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    min_score = serializers.DecimalField(max_digits=5, decimal_places=2, required=False, allow_null=True)
    statement = serializers.CharField(required=False, allow_blank=True, default="")
    due_rule = serializers.ChoiceField(choices=DueRule.choices, default=DueRule.AFTER_ASSIGNMENT)
    due_on = serializers.DateField(required=False, allow_null=True)
    due_days = serializers.IntegerField(required=False, allow_null=True)
    grace_days = serializers.IntegerField(required=False, default=0)
    due_soon_days = serializers.IntegerField(required=False, default=30)
    valid_months = serializers.IntegerField(required=False, allow_null=True)
    window_days = serializers.IntegerField(required=False, default=0)
    anchor = serializers.ChoiceField(choices=Anchor.choices, default=Anchor.COMPLETION)
    lookback_days = serializers.IntegerField(required=False, default=0)
    reminder_days = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    remind_on_due = serializers.BooleanField(required=False, default=True)
    overdue_every_days = serializers.IntegerField(required=False, default=7)
    escalate_manager_days = serializers.IntegerField(required=False, allow_null=True)
    escalate_officer_days = serializers.IntegerField(required=False, allow_null=True)
    require_signature = serializers.BooleanField(required=False, default=False)
    signature_meaning = serializers.CharField(required=False, allow_blank=True, default="")
    gating = serializers.BooleanField(required=False, default=False)
    enroll = serializers.BooleanField(required=False, default=True)


def _service_data(data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    out["audience_id"] = out.pop("audience")
    out["course_ids"] = out.pop("courses", [])
    return out


def _program_data(program: Program) -> dict[str, Any]:
    """A program's fields as the input serializer names them (the base for a partial update)."""
    data: dict[str, Any] = {}
    for name in ProgramInputSerializer().fields:
        if str(name) not in ("audience", "courses"):
            data[str(name)] = getattr(program, str(name))
    data["audience"] = program.audience_id
    data["courses"] = [pc.course_id for pc in program.program_courses.all()]
    return data


PROGRAM_EXAMPLE = {
    "name": "Forklift safety",
    "audience": 12,
    "requirement": "course",
    "courses": [41],
    "due_rule": "after_hire",
    "due_days": 30,
    "valid_months": 12,
    "window_days": 60,
    "anchor": "completion",
    "grace_days": 7,
    "reminder_days": [14, 3],
    "escalate_manager_days": 7,
    "require_signature": True,
    "signature_meaning": "I have completed this training and understood it",
}


class ProgramListApi(ComplianceApi):
    class FilterSerializer(serializers.Serializer[Any]):
        status = serializers.ChoiceField(choices=ProgramStatus.choices, required=False)

    @extend_schema(
        tags=[TAG],
        summary="List compliance programs",
        description="Needs `compliance.manage`, `report.view_all` or `report.view_team`.",
        parameters=[FilterSerializer],
        responses=with_errors({200: ProgramOutputSerializer(many=True)}, 400, 401, 403),
    )
    def get(self, request: Request) -> Response:
        self.require_reports()
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        programs = selectors.program_list(
            organization=self.organization, principal=self.principal(), status=filters.validated_data.get("status")
        ).prefetch_related("program_courses__course")
        return paginated_response(
            request=request, view=self, queryset=programs, serializer_class=ProgramOutputSerializer
        )

    @extend_schema(
        tags=[TAG],
        summary="Create a compliance program (a draft)",
        description="Needs `compliance.manage`. Nobody is assigned until the program is activated.",
        request=ProgramInputSerializer,
        responses=with_errors({201: ProgramOutputSerializer}, 400, 401, 403),
        examples=[OpenApiExample("Yearly forklift safety", value=PROGRAM_EXAMPLE, request_only=True)],
    )
    def post(self, request: Request) -> Response:
        self.require_manage()
        serializer = ProgramInputSerializer(data=self.body(request))
        serializer.is_valid(raise_exception=True)
        program = services.program_create(
            organization=self.organization, by=self.user, data=_service_data(serializer.validated_data)
        )
        return Response(ProgramOutputSerializer(self.get_program(program.pk)).data, status=status.HTTP_201_CREATED)


class ProgramDetailApi(ComplianceApi):
    @extend_schema(
        tags=[TAG],
        summary="Get a compliance program",
        responses=with_errors({200: ProgramOutputSerializer}, 401, 403, 404),
    )
    def get(self, request: Request, pk: int) -> Response:
        self.require_reports()
        return Response(ProgramOutputSerializer(self.get_program(pk)).data)

    @extend_schema(
        tags=[TAG],
        summary="Change a compliance program",
        description="Needs `compliance.manage`. Fields left out keep their value. A change to who, what or when "
        "re-evaluates everyone in scope in the background; `POST .../preview/` first says who it affects.",
        request=ProgramInputSerializer(partial=True),
        responses=with_errors({200: ProgramOutputSerializer}, 400, 401, 403, 404),
    )
    def patch(self, request: Request, pk: int) -> Response:
        self.require_manage()
        program = self.get_program(pk)
        serializer = ProgramInputSerializer(data={**_program_data(program), **self.body(request)})
        serializer.is_valid(raise_exception=True)
        services.program_update(program=program, by=self.user, data=_service_data(serializer.validated_data))
        return Response(ProgramOutputSerializer(self.get_program(pk)).data)


class PreviewSerializer(serializers.Serializer[Any]):
    joining = serializers.IntegerField(help_text="People who would be assigned.")
    leaving = serializers.IntegerField(help_text="People who would be unassigned.")
    status_changes = serializers.ListField(child=serializers.DictField(), help_text="`from`, `to`, `count`.")
    due_changes = serializers.IntegerField(help_text="People whose due date moves, status unchanged.")
    unchanged = serializers.IntegerField()
    affected = serializers.IntegerField()
    sample = serializers.ListField(child=serializers.DictField(), help_text="The first people affected.")


class ProgramPreviewApi(ComplianceApi):
    @extend_schema(
        tags=[TAG],
        summary="Preview who a program (or a change to it) affects",
        description="Needs `compliance.manage`. Nothing is saved. `program`: the id of the program being changed "
        "(omit for a new one).",
        request=ProgramInputSerializer,
        responses=with_errors({200: PreviewSerializer}, 400, 401, 403),
    )
    def post(self, request: Request) -> Response:
        self.require_manage()
        program = None
        data = self.body(request)
        raw = data.get("program")
        if raw not in (None, ""):
            if not str(raw).isdigit():
                raise Http404
            program = self.get_program(int(str(raw)))
        base = _program_data(program) if program else {}
        serializer = ProgramInputSerializer(data={**base, **{k: v for k, v in data.items() if k != "program"}})
        serializer.is_valid(raise_exception=True)
        preview = services.program_preview(
            program=program, organization=self.organization, by=self.user, data=_service_data(serializer.validated_data)
        )
        return Response(preview.as_dict())


class ProgramActionApi(ComplianceApi):
    action = ""

    @extend_schema(tags=[TAG], request=None, responses=with_errors({200: ProgramOutputSerializer}, 400, 401, 403, 404))
    def post(self, request: Request, pk: int) -> Response:
        self.require_manage()
        program = self.get_program(pk)
        if self.action == "activate":
            services.program_activate(program=program, by=self.user)
        elif self.action == "archive":
            services.program_archive(program=program, by=self.user)
        else:
            services.program_evaluate(program=program, by=self.user, full=True)
        return Response(ProgramOutputSerializer(self.get_program(pk)).data)


class ProgramActivateApi(ProgramActionApi):
    """Activate a draft program: everyone in its audience is assigned in the background. Needs `compliance.manage`."""

    action = "activate"


class ProgramArchiveApi(ProgramActionApi):
    """Archive an active program: open assignments end, history stays. Needs `compliance.manage`."""

    action = "archive"


class ProgramEvaluateApi(ProgramActionApi):
    """Re-evaluate everyone in the program now (audited). Needs `compliance.manage`."""

    action = "evaluate"


# --- assignments --------------------------------------------------------------------------------------------------


class AssignmentOutputSerializer(serializers.Serializer[Assignment]):
    id = serializers.IntegerField()
    program = serializers.IntegerField(source="program_id")
    person = serializers.SerializerMethodField()
    assigned_on = serializers.DateField()
    ended_at = serializers.DateTimeField(allow_null=True)
    cycle = serializers.IntegerField()
    due_on = serializers.DateField()
    original_due_on = serializers.DateField(allow_null=True, help_text="Before an extension.")
    completed_on = serializers.DateField(allow_null=True)
    completion = serializers.SerializerMethodField()
    expires_on = serializers.DateField(allow_null=True)
    status = serializers.CharField(help_text="One of " + ", ".join(f"`{s}`" for s in StatusCode.values) + ".")
    status_since = serializers.DateField()
    status_until = serializers.DateField(allow_null=True)

    def get_person(self, assignment: Assignment) -> dict[str, Any]:
        membership = assignment.membership
        return {
            "id": membership.pk,
            "name": membership.user.display_name,
            "email": membership.user.email,
            "org_unit": membership.org_unit.name if membership.org_unit_id and membership.org_unit else None,
        }

    def get_completion(self, assignment: Assignment) -> dict[str, Any] | None:
        completion = assignment.completion
        if completion is None:
            return None
        return {
            "id": completion.pk,
            "course": completion.course_id,
            "title": completion.title,
            "version": completion.version_label,
            "score": str(completion.score) if completion.score is not None else None,
            "completed_at": completion.completed_at.isoformat(),
        }


class AssignmentListApi(ComplianceApi):
    class FilterSerializer(serializers.Serializer[Any]):
        status = serializers.ChoiceField(choices=StatusCode.choices, required=False)
        person = serializers.IntegerField(required=False, help_text="A membership id.")
        search = serializers.CharField(required=False, default="", help_text="Part of a name or email.")
        include_ended = serializers.BooleanField(required=False, default=False)

    @extend_schema(
        tags=[TAG],
        summary="List a program's assignments",
        description="People the caller may see only (a manager: their team).",
        parameters=[FilterSerializer],
        responses=with_errors({200: AssignmentOutputSerializer(many=True)}, 400, 401, 403, 404),
    )
    def get(self, request: Request, pk: int) -> Response:
        self.require_reports()
        program = self.get_program(pk)
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        rows = selectors.assignment_list(
            program=program,
            principal=self.principal(),
            status=data.get("status"),
            search=data["search"],
            membership_id=data.get("person"),
            include_ended=data["include_ended"],
        )
        return paginated_response(
            request=request, view=self, queryset=rows, serializer_class=AssignmentOutputSerializer
        )


class LedgerRowSerializer(serializers.Serializer[StatusChange]):
    effective_on = serializers.DateField()
    recorded_at = serializers.DateTimeField()
    status = serializers.CharField()
    cycle = serializers.IntegerField()
    due_on = serializers.DateField(allow_null=True)
    until = serializers.DateField(allow_null=True)
    completed_on = serializers.DateField(allow_null=True)
    reason = serializers.CharField()


class AssignmentDetailSerializer(AssignmentOutputSerializer):
    ledger = serializers.SerializerMethodField()

    def get_ledger(self, assignment: Assignment) -> list[dict[str, Any]]:
        rows = self.context.get("ledger", [])
        return list(LedgerRowSerializer(rows, many=True).data)


class AssignmentDetailApi(ComplianceApi):
    @extend_schema(
        tags=[TAG],
        summary="Get one assignment with its ledger",
        description="Officers and auditors, the person's managers, and the person themselves.",
        responses=with_errors({200: AssignmentDetailSerializer}, 401, 403, 404),
    )
    def get(self, request: Request, pk: int) -> Response:
        assignment = selectors.assignment_get(organization=self.organization, pk=pk)
        if assignment is None or not policy.can_see_person(self.principal(), assignment.membership):
            raise Http404
        history = selectors.assignment_history(assignment=assignment)
        return Response(AssignmentDetailSerializer(assignment, context={"ledger": history["ledger"]}).data)


urlpatterns = [
    path("programs/", ProgramListApi.as_view(), name="compliance-programs"),
    path("programs/preview/", ProgramPreviewApi.as_view(), name="compliance-program-preview"),
    path("programs/<int:pk>/", ProgramDetailApi.as_view(), name="compliance-program-detail"),
    path("programs/<int:pk>/activate/", ProgramActivateApi.as_view(), name="compliance-program-activate"),
    path("programs/<int:pk>/archive/", ProgramArchiveApi.as_view(), name="compliance-program-archive"),
    path("programs/<int:pk>/evaluate/", ProgramEvaluateApi.as_view(), name="compliance-program-evaluate"),
    path("programs/<int:pk>/assignments/", AssignmentListApi.as_view(), name="compliance-program-assignments"),
    path("assignments/<int:pk>/", AssignmentDetailApi.as_view(), name="compliance-assignment-detail"),
]
