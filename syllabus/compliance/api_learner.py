"""/api/v1/compliance/me/: the caller's own compliance — their open assignments with status and what they can
sign, acknowledging a statement, signing a completion. Never gated (the compliance gate is for pages only).

Another person's assignment is not found (404); a caller with no membership in the organisation gets 403.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from syllabus.access.endpoints import OrganizationEndpoint
from syllabus.access.policy import NOT_ALLOWED
from syllabus.accounts.models import Membership
from syllabus.compliance import evaluation
from syllabus.compliance.models import Assignment, Requirement, Signature, StatusCode
from syllabus.compliance.services import acknowledgements, completion_signing
from syllabus.compliance.services.signatures import Credentials
from syllabus.compliance.views_learner import explain, latest_signatures, my_assignments
from syllabus.core.api import paginated_response, with_errors
from syllabus.progress.models import Completion

TAG = "Compliance"


class MyComplianceApi(OrganizationEndpoint):
    def membership(self) -> Membership:
        membership = self.principal().membership
        if membership is None:
            raise PermissionDenied(NOT_ALLOWED)
        return membership

    def get_assignment(self, pk: int) -> Assignment:
        assignment = (
            Assignment.objects.filter(organization=self.organization, membership=self.membership(), pk=pk)
            .select_related("program", "program__organization", "membership__user")
            .first()
        )
        if assignment is None:
            raise Http404
        return assignment


class MySignatureSerializer(serializers.Serializer[Signature]):
    id = serializers.IntegerField()
    signer_name = serializers.CharField()
    meaning = serializers.CharField()
    signed_at = serializers.DateTimeField()
    method = serializers.CharField(help_text="`password` or `totp`.")
    record_type = serializers.CharField(help_text="`completion` or `acknowledgement`.")
    record_id = serializers.IntegerField()
    record_hash = serializers.CharField(help_text="SHA-256 of the canonical signed record.")


class SignableCompletionSerializer(serializers.Serializer[Completion]):
    id = serializers.IntegerField()
    course_id = serializers.IntegerField(allow_null=True)
    title = serializers.CharField()
    version_label = serializers.CharField()
    completed_at = serializers.DateTimeField()
    score = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)


class MyAssignmentSerializer(serializers.Serializer[Assignment]):
    id = serializers.IntegerField()
    program = serializers.SerializerMethodField()
    status = serializers.CharField(help_text="One of " + ", ".join(f"`{v}`" for v in StatusCode.values) + ".")
    status_label = serializers.SerializerMethodField()
    explanation = serializers.SerializerMethodField()
    cycle = serializers.IntegerField()
    due_on = serializers.DateField()
    original_due_on = serializers.DateField(allow_null=True, help_text="The due date before an extension.")
    completed_on = serializers.DateField(allow_null=True)
    expires_on = serializers.DateField(allow_null=True)
    status_since = serializers.DateField()
    status_until = serializers.DateField(allow_null=True)
    can_acknowledge = serializers.SerializerMethodField()
    signable_completions = serializers.SerializerMethodField()
    signature = serializers.SerializerMethodField()

    def get_program(self, obj: Assignment) -> dict[str, Any]:
        program = obj.program
        return {
            "id": program.pk,
            "name": program.name,
            "requirement": program.requirement,
            "require_signature": program.require_signature,
            "signature_meaning": program.signature_meaning,
            "statement": program.statement if program.requirement == Requirement.ACKNOWLEDGEMENT else "",
            "course_ids": [pc.course_id for pc in program.program_courses.all()],
        }

    def get_status_label(self, obj: Assignment) -> str:
        return str(StatusCode(obj.status).label)

    def get_explanation(self, obj: Assignment) -> str:
        return explain(obj, obj.program)

    def get_can_acknowledge(self, obj: Assignment) -> bool:
        if obj.program.requirement != Requirement.ACKNOWLEDGEMENT:
            return False
        today = evaluation.program_today(obj.program)
        return acknowledgements.acknowledgement_cycle(obj, obj.program, today) is not None

    def get_signable_completions(self, obj: Assignment) -> list[dict[str, Any]]:
        found = self.context.get("signable", {}).get(obj.pk, [])
        return SignableCompletionSerializer(found, many=True).data  # type: ignore[return-value]

    def get_signature(self, obj: Assignment) -> dict[str, Any] | None:
        found = self.context.get("signatures", {}).get(obj.program_id)
        return MySignatureSerializer(found).data if found else None  # type: ignore[return-value]


class MyAssignmentListApi(MyComplianceApi):
    @extend_schema(
        tags=[TAG],
        summary="List my compliance assignments",
        description="The caller's open assignments in active programs: status and why, due date, and what they can "
        "do (acknowledge a statement, sign a completion). Their latest signature in each program is included.",
        responses=with_errors({200: MyAssignmentSerializer(many=True)}, 401, 403),
    )
    def get(self, request: Request) -> Response:
        membership = self.membership()
        assignments = my_assignments(membership)
        context = {
            "signable": completion_signing.signable_completions(assignments),
            "signatures": latest_signatures(membership, [a.program_id for a in assignments]),
        }
        return paginated_response(
            request=request,
            view=self,
            queryset=assignments,
            serializer_class=MyAssignmentSerializer,
            context=context,
        )


class CredentialsSerializer(serializers.Serializer[Any]):
    password = serializers.CharField(
        required=False, allow_blank=True, default="", trim_whitespace=False, style={"input_type": "password"}
    )
    code = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="A code from the authenticator app (instead)."
    )


def _assignment_response(api: MyComplianceApi, pk: int, code: int = status.HTTP_200_OK) -> Response:
    assignments = [a for a in my_assignments(api.membership()) if a.pk == pk]
    if not assignments:
        raise Http404
    membership = api.membership()
    context = {
        "signable": completion_signing.signable_completions(assignments),
        "signatures": latest_signatures(membership, [assignments[0].program_id]),
    }
    return Response(MyAssignmentSerializer(assignments[0], context=context).data, status=code)


class MyAssignmentAcknowledgeApi(MyComplianceApi):
    @extend_schema(
        tags=[TAG],
        summary="Acknowledge the statement of one of my assignments",
        description="For programs satisfied by an acknowledgement. When the program requires signatures, send the "
        "password (or `code` from the authenticator app): each wrong password counts towards the sign-in lockout. "
        "Returns the assignment with its new status.",
        request=CredentialsSerializer,
        responses=with_errors({201: MyAssignmentSerializer}, 400, 401, 403, 404),
        examples=[OpenApiExample("Signed", value={"password": "correct horse battery staple"}, request_only=True)],
    )
    def post(self, request: Request, pk: int) -> Response:
        assignment = self.get_assignment(pk)
        serializer = CredentialsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        acknowledgements.acknowledgement_create(
            assignment=assignment,
            by=self.user,
            request=request._request,
            credentials=Credentials(**serializer.validated_data),
        )
        return _assignment_response(self, pk, status.HTTP_201_CREATED)


class SignInputSerializer(CredentialsSerializer):
    completion_id = serializers.IntegerField(help_text="One of the assignment's `signable_completions`.")


class MyAssignmentSignApi(MyComplianceApi):
    @extend_schema(
        tags=[TAG],
        summary="Sign a completion for one of my assignments",
        description="For programs requiring signed completions. Send the completion and the password (or `code` "
        "from the authenticator app): each wrong password counts towards the sign-in lockout. Returns the "
        "signature.",
        request=SignInputSerializer,
        responses=with_errors({201: MySignatureSerializer}, 400, 401, 403, 404),
        examples=[OpenApiExample("Sign", value={"completion_id": 812, "code": "123456"}, request_only=True)],
    )
    def post(self, request: Request, pk: int) -> Response:
        assignment = self.get_assignment(pk)
        serializer = SignInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        completion = Completion.objects.filter(
            organization=self.organization, membership=assignment.membership, pk=data["completion_id"]
        ).first()
        if completion is None:
            raise Http404
        signature = completion_signing.completion_sign(
            assignment=assignment,
            completion=completion,
            by=self.user,
            request=request._request,
            credentials=Credentials(password=data["password"], code=data["code"]),
        )
        return Response(MySignatureSerializer(signature).data, status=status.HTTP_201_CREATED)


urlpatterns: list[URLPattern] = [
    path("me/assignments/", MyAssignmentListApi.as_view(), name="compliance-my-assignments"),
    path(
        "me/assignments/<int:pk>/acknowledge/",
        MyAssignmentAcknowledgeApi.as_view(),
        name="compliance-my-assignment-acknowledge",
    ),
    path("me/assignments/<int:pk>/sign/", MyAssignmentSignApi.as_view(), name="compliance-my-assignment-sign"),
]
