"""REST API of exemptions and extensions (/api/v1/compliance/exemptions/): list with filters, ask, read one, decide
(an approval is signed with the approver's password or authenticator code), withdraw, revoke.

Thin, as the pages: the services check the permission again and validate. Officers and auditors see every
request of the organisation, managers their people's, everyone their own; a request of another organisation is
not found (404), one of this organisation the caller may not see is forbidden (403).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import path
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from syllabus.access.endpoints import OrganizationEndpoint
from syllabus.access.policy import NOT_ALLOWED, Principal
from syllabus.compliance.models import Assignment, Exemption
from syllabus.compliance.services import exemptions as services
from syllabus.compliance.services.signatures import Credentials
from syllabus.core.api import TenantPrimaryKeyField, paginated_response, with_errors

TAG = "compliance"


class ExemptionApi(OrganizationEndpoint):
    def member(self) -> Principal:
        principal = self.principal()
        if not principal.is_member:
            raise PermissionDenied(NOT_ALLOWED)
        return principal

    def get_exemption(self, pk: int) -> Exemption:
        principal = self.member()
        exemption = services.exemption_get(organization=self.organization, pk=pk)
        if exemption is None:
            raise Http404
        if not services.can_see(principal, exemption):
            raise PermissionDenied(NOT_ALLOWED)
        return exemption

    def respond(self, exemption: Exemption, code: int = status.HTTP_200_OK) -> Response:
        fresh = services.exemption_get(organization=self.organization, pk=exemption.pk) or exemption
        return Response(ExemptionOutputSerializer(fresh).data, status=code)


class RefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ExemptionPersonSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(help_text="The membership id.")
    display_name = serializers.CharField(source="user.display_name")


class ExemptionSignatureSerializer(serializers.Serializer[Any]):
    signer_name = serializers.CharField()
    meaning = serializers.CharField()
    signed_at = serializers.DateTimeField()
    method = serializers.CharField(help_text="`password` or `totp`.")
    record_hash = serializers.CharField(help_text="SHA-256 of the signed record.")


class ExemptionOutputSerializer(serializers.Serializer[Exemption]):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Exemption.Kind.choices)
    state = serializers.ChoiceField(choices=Exemption.State.choices)
    program = serializers.SerializerMethodField()
    person = ExemptionPersonSerializer(source="membership")
    assignment_id = serializers.IntegerField()
    cycle = serializers.IntegerField()
    reason = serializers.CharField()
    ends_on = serializers.DateField(allow_null=True, help_text="Exemption: the last exempt day (null: no end).")
    extend_to = serializers.DateField(allow_null=True, help_text="Extension: the new due date.")
    requested_by = serializers.CharField(source="requested_by.display_name", allow_null=True)
    requested_at = serializers.DateTimeField()
    decided_by = serializers.CharField(source="decided_by.display_name", allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_note = serializers.CharField()
    signature = ExemptionSignatureSerializer(
        allow_null=True, help_text="The approver's signature (approved or revoked)."
    )

    def get_program(self, exemption: Exemption) -> dict[str, Any]:
        return {"id": exemption.program_id, "name": exemption.program.name}


EXAMPLE = {
    "id": 7,
    "kind": "extension",
    "state": "pending",
    "program": {"id": 2, "name": "Fire safety"},
    "person": {"id": 41, "display_name": "Lena Learner"},
    "assignment_id": 130,
    "cycle": 1,
    "reason": "On sick leave in March",
    "ends_on": None,
    "extend_to": "2026-05-15",
    "requested_by": "Lena Learner",
    "requested_at": "2026-03-02T09:30:00Z",
    "decided_by": None,
    "decided_at": None,
    "decision_note": "",
    "signature": None,
}


class ExemptionListApi(ExemptionApi):
    class FilterSerializer(serializers.Serializer[Any]):
        state = serializers.ChoiceField(choices=Exemption.State.choices, required=False)
        kind = serializers.ChoiceField(choices=Exemption.Kind.choices, required=False)
        program = serializers.IntegerField(required=False, help_text="A program id.")
        assignment = serializers.IntegerField(required=False, help_text="An assignment id.")

    class InputSerializer(serializers.Serializer[Any]):
        assignment = TenantPrimaryKeyField(
            queryset=Assignment.objects.filter(ended_at__isnull=True), help_text="An open assignment."
        )
        kind = serializers.ChoiceField(choices=Exemption.Kind.choices)
        reason = serializers.CharField(max_length=services.MAX_REASON)
        ends_on = serializers.DateField(required=False, allow_null=True, default=None)
        extend_to = serializers.DateField(required=False, allow_null=True, default=None)

    @extend_schema(
        tags=[TAG],
        summary="List exemption and extension requests",
        description="Pending first. Officers and auditors see all, managers their people's, everyone their own.",
        parameters=[FilterSerializer],
        responses=with_errors({200: ExemptionOutputSerializer(many=True)}, 400, 401, 403),
    )
    def get(self, request: Request) -> Response:
        principal = self.member()
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        rows = services.exemption_list(
            organization=self.organization,
            principal=principal,
            state=data.get("state"),
            kind=data.get("kind"),
            program_id=data.get("program"),
            assignment_id=data.get("assignment"),
        )
        return paginated_response(request=request, view=self, queryset=rows, serializer_class=ExemptionOutputSerializer)

    @extend_schema(
        tags=[TAG],
        summary="Ask for an exemption or an extension",
        description="By the person, or whoever may assign training to them. An extension needs `extend_to` (after "
        "the current due date, at most 365 days away); an exemption takes an optional `ends_on` (its last day).",
        request=InputSerializer,
        responses=with_errors({201: ExemptionOutputSerializer}),
        examples=[
            OpenApiExample(
                "Extension",
                value={"assignment": 130, "kind": "extension", "extend_to": "2026-05-15", "reason": "Sick leave"},
                request_only=True,
            ),
            OpenApiExample("Created", value=EXAMPLE, response_only=True, status_codes=["201"]),
        ],
    )
    def post(self, request: Request) -> Response:
        self.member()
        serializer = self.InputSerializer(data=request.data, context=self.serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        exemption = services.exemption_request(
            assignment=data["assignment"],
            by=self.user,
            kind=data["kind"],
            reason=data["reason"],
            ends_on=data.get("ends_on"),
            extend_to=data.get("extend_to"),
        )
        return self.respond(exemption, status.HTTP_201_CREATED)


class ExemptionDetailApi(ExemptionApi):
    @extend_schema(
        tags=[TAG],
        summary="Get an exemption or extension request",
        responses=with_errors({200: ExemptionOutputSerializer}, 401, 403, 404),
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(ExemptionOutputSerializer(self.get_exemption(pk)).data)


class ExemptionDecideApi(ExemptionApi):
    class InputSerializer(serializers.Serializer[Any]):
        approve = serializers.BooleanField()
        note = serializers.CharField(required=False, allow_blank=True, default="", help_text="Required to decline.")
        password = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
        code = serializers.CharField(
            required=False, allow_blank=True, default="", help_text="An authenticator code (instead of a password)."
        )

    @extend_schema(
        tags=[TAG],
        summary="Approve or decline a request",
        description="Needs `compliance.manage`, never on one's own request or about oneself. An approval is an "
        "electronic signature: the approver's `password` or authenticator `code` (a wrong one counts towards the "
        "sign-in lockout).",
        request=InputSerializer,
        responses=with_errors({200: ExemptionOutputSerializer}),
    )
    def post(self, request: Request, pk: int) -> Response:
        exemption = self.get_exemption(pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        decided = services.exemption_decide(
            exemption=exemption,
            by=self.user,
            approve=data["approve"],
            note=data["note"],
            request=request._request,
            credentials=Credentials(password=data["password"], code=data["code"]),
        )
        return self.respond(decided)


class ExemptionWithdrawApi(ExemptionApi):
    @extend_schema(
        tags=[TAG],
        summary="Withdraw a request",
        description="By the person who made it, while it waits for a decision.",
        request=None,
        responses=with_errors({200: ExemptionOutputSerializer}),
    )
    def post(self, request: Request, pk: int) -> Response:
        return self.respond(services.exemption_withdraw(exemption=self.get_exemption(pk), by=self.user))


class ExemptionRevokeApi(ExemptionApi):
    class InputSerializer(serializers.Serializer[Any]):
        reason = serializers.CharField(max_length=services.MAX_REASON)

    @extend_schema(
        tags=[TAG],
        summary="Revoke an approved exemption or extension",
        description="Needs `compliance.manage`. The person is re-evaluated from today without it.",
        request=InputSerializer,
        responses=with_errors({200: ExemptionOutputSerializer}),
    )
    def post(self, request: Request, pk: int) -> Response:
        exemption = self.get_exemption(pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        revoked = services.exemption_revoke(
            exemption=exemption, by=self.user, reason=serializer.validated_data["reason"]
        )
        return self.respond(revoked)


urlpatterns = [
    path("exemptions/", ExemptionListApi.as_view(), name="compliance-exemptions"),
    path("exemptions/<int:pk>/", ExemptionDetailApi.as_view(), name="compliance-exemption"),
    path("exemptions/<int:pk>/decide/", ExemptionDecideApi.as_view(), name="compliance-exemption-decide"),
    path("exemptions/<int:pk>/withdraw/", ExemptionWithdrawApi.as_view(), name="compliance-exemption-withdraw"),
    path("exemptions/<int:pk>/revoke/", ExemptionRevokeApi.as_view(), name="compliance-exemption-revoke"),
]
