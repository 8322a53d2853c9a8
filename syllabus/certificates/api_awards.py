"""REST API of awards (/api/v1/certificates/awards/): what earns a certificate. List, create, read, change, delete
(an award that issued certificates is disabled instead), and issuing certificates to people who completed before
the award existed (`backfill/`: GET counts them, POST issues).

Everything here needs `certificate.manage` (403 without it); an award of another organisation is not found (404).
The service validates, so the page and the API refuse the same things with the same words.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import path
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from syllabus.access.endpoints import OrganizationEndpoint
from syllabus.access.policy import NOT_ALLOWED
from syllabus.certificates import policy, selectors
from syllabus.certificates.models import Award
from syllabus.certificates.services import awards as services
from syllabus.core.api import paginated_response, with_errors

TAG = "Certificates"
BODY_NOT_OBJECT = "Send a JSON object of the award's fields."
# The service names the model's fields; the API names them without "_id".
FIELD_NAMES = {"course_id": "course", "program_id": "program", "template_id": "template"}
MODEL_NAMES = {api: model for model, api in FIELD_NAMES.items()}


class AwardApi(OrganizationEndpoint):
    def require_manage(self) -> None:
        if not policy.can_manage(self.principal()):
            raise PermissionDenied(NOT_ALLOWED)

    def get_award(self, pk: int) -> Award:
        self.require_manage()
        award = selectors.award_get(organization=self.organization, pk=pk)
        if award is None:
            raise Http404
        return award

    def body(self, request: Request) -> Mapping[str, Any]:
        if not isinstance(request.data, Mapping):
            raise serializers.ValidationError({"non_field_errors": [BODY_NOT_OBJECT]})
        return request.data

    def respond(self, pk: int, code: int = status.HTTP_200_OK) -> Response:
        award = selectors.award_get(organization=self.organization, pk=pk)
        return Response(CertificateAwardSerializer(award).data, status=code)


def service_errors(exc: DjangoValidationError) -> serializers.ValidationError:
    """A service's errors under the API's field names."""
    if not hasattr(exc, "error_dict"):
        return serializers.ValidationError({"non_field_errors": exc.messages})
    return serializers.ValidationError(
        {FIELD_NAMES.get(field, field): messages for field, messages in exc.message_dict.items()}
    )


class AwardCourseSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()


class AwardProgramSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class AwardTemplateSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CertificateAwardSerializer(serializers.Serializer[Award]):
    id = serializers.IntegerField()
    source = serializers.CharField(help_text="`course` or `program`.")  # type: ignore[assignment]
    course = serializers.SerializerMethodField()
    program = serializers.SerializerMethodField()
    template = AwardTemplateSerializer()
    enabled = serializers.BooleanField(help_text="Issues certificates (off: issues none, keeps those issued).")
    issue_badge = serializers.BooleanField(help_text="Also issues an Open Badge 3.0 credential.")
    achievement_name = serializers.CharField()
    achievement_description = serializers.CharField()
    criteria = serializers.CharField()
    remind_days = serializers.ListField(child=serializers.IntegerField(), help_text="Days before expiry.")
    issued_count = serializers.IntegerField(help_text="Certificates issued so far.")
    created_at = serializers.DateTimeField()

    @extend_schema_field(AwardCourseSerializer(allow_null=True))
    def get_course(self, award: Award) -> dict[str, Any] | None:
        return {"id": award.course_id, "title": award.course.title} if award.course is not None else None

    @extend_schema_field(AwardProgramSerializer(allow_null=True))
    def get_program(self, award: Award) -> dict[str, Any] | None:
        return {"id": award.program_id, "name": award.program.name} if award.program is not None else None


class AwardInputSerializer(serializers.Serializer[Any]):
    # Text, not a choice: another app's "source" enum (progress) would clash with this one in the schema's names.
    # The service refuses anything but `course` or `program`, naming this field.
    source = serializers.CharField(  # type: ignore[assignment]
        max_length=20, help_text="`course` (a course's completion) or `program` (each cycle of a compliance program)."
    )
    course = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="With `course`: a published course."
    )
    program = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="With `program`: an active compliance program."
    )
    template = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Omit for the organisation's default template."
    )
    enabled = serializers.BooleanField(required=False, default=True)
    issue_badge = serializers.BooleanField(required=False, default=True)
    achievement_name = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=services.NAME_LIMIT
    )
    achievement_description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=services.TEXT_LIMIT
    )
    criteria = serializers.CharField(required=False, allow_blank=True, default="", max_length=services.TEXT_LIMIT)
    remind_days = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        default=list,
        help_text=f"Days before expiry to remind the holder: {services.REMIND_DAYS_LOW}..{services.REMIND_DAYS_HIGH},"
        f" at most {services.REMIND_DAYS_MAX}.",
    )


def _fields(data: Mapping[str, Any], base: services.AwardFields | None = None) -> services.AwardFields:
    values: dict[str, Any] = {}
    for key, value in data.items():
        name = MODEL_NAMES.get(key, key)
        values[name] = tuple(value) if name == "remind_days" else value
    return (base or services.AwardFields()).changed(**values)


AWARD_EXAMPLE = {
    "source": "course",
    "course": 41,
    "template": 3,
    "issue_badge": True,
    "achievement_name": "Forklift operator",
    "criteria": "Completed the forklift safety course and its practical assessment.",
    "remind_days": [30, 7],
}


class AwardListApi(AwardApi):
    @extend_schema(
        tags=[TAG],
        summary="List certificate awards",
        description="Needs `certificate.manage`. What earns a certificate, with how many each issued.",
        responses=with_errors({200: CertificateAwardSerializer(many=True)}, 401, 403),
    )
    def get(self, request: Request) -> Response:
        self.require_manage()
        awards = selectors.award_list(organization=self.organization)
        return paginated_response(
            request=request, view=self, queryset=awards, serializer_class=CertificateAwardSerializer
        )

    @extend_schema(
        tags=[TAG],
        summary="Create a certificate award",
        description="Needs `certificate.manage`. From then on, completing the course (or a cycle of the program) "
        "issues a certificate. People who completed before are counted and issued theirs by `backfill/`.",
        request=AwardInputSerializer,
        responses=with_errors({201: CertificateAwardSerializer}, 400, 401, 403),
        examples=[OpenApiExample("A course award", value=AWARD_EXAMPLE, request_only=True)],
    )
    def post(self, request: Request) -> Response:
        self.require_manage()
        serializer = AwardInputSerializer(data=self.body(request))
        serializer.is_valid(raise_exception=True)
        try:
            award = services.award_create(
                organization=self.organization, by=self.user, data=_fields(serializer.validated_data)
            )
        except DjangoValidationError as exc:
            raise service_errors(exc) from None
        return self.respond(award.pk, status.HTTP_201_CREATED)


class AwardDetailApi(AwardApi):
    @extend_schema(
        tags=[TAG],
        summary="Get a certificate award",
        responses=with_errors({200: CertificateAwardSerializer}, 401, 403, 404),
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(CertificateAwardSerializer(self.get_award(pk)).data)

    @extend_schema(
        tags=[TAG],
        summary="Change a certificate award",
        description="Fields left out keep their value. Once an award has issued certificates, what earns it "
        "(`source`, `course`, `program`) cannot change.",
        request=AwardInputSerializer(partial=True),
        responses=with_errors({200: CertificateAwardSerializer}, 400, 401, 403, 404),
    )
    def patch(self, request: Request, pk: int) -> Response:
        award = self.get_award(pk)
        serializer = AwardInputSerializer(data=self.body(request), partial=True)
        serializer.is_valid(raise_exception=True)
        # Only what was sent: the partial serializer leaves the others out of validated_data.
        sent = {key: value for key, value in serializer.validated_data.items() if key in self.body(request)}
        try:
            services.award_update(award=award, by=self.user, data=_fields(sent, services.AwardFields.of(award)))
        except DjangoValidationError as exc:
            raise service_errors(exc) from None
        return self.respond(award.pk)

    @extend_schema(
        tags=[TAG],
        summary="Delete a certificate award",
        description="An award that issued nothing is deleted (204). One that issued certificates is disabled "
        "instead (200, with the award): its certificates keep what earned them.",
        responses=with_errors(
            {204: OpenApiResponse(description="Deleted."), 200: CertificateAwardSerializer}, 401, 403, 404
        ),
    )
    def delete(self, request: Request, pk: int) -> Response:
        award = self.get_award(pk)
        if services.award_delete(award=award, by=self.user):
            return Response(status=status.HTTP_204_NO_CONTENT)
        return self.respond(award.pk)


class BackfillCountSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField(help_text="People who would be issued a certificate now.")


class BackfillResultSerializer(serializers.Serializer[Any]):
    issued = serializers.IntegerField()
    skipped = serializers.IntegerField(help_text="Found but not issued (left the organisation meanwhile, say).")


class AwardBackfillApi(AwardApi):
    @extend_schema(
        tags=[TAG],
        summary="Count people who earned an award before it existed",
        description="Their latest completion of the course has not expired, or their current program cycle is "
        "satisfied, and they hold no certificate of this award for it.",
        responses=with_errors({200: BackfillCountSerializer}, 401, 403, 404),
    )
    def get(self, request: Request, pk: int) -> Response:
        award = self.get_award(pk)
        return Response({"count": services.award_backfill_preview(award=award)})

    @extend_schema(
        tags=[TAG],
        summary="Issue their certificates",
        description="Idempotent: a second call issues nothing. The award must be enabled.",
        request=None,
        responses=with_errors({200: BackfillResultSerializer}, 400, 401, 403, 404),
    )
    def post(self, request: Request, pk: int) -> Response:
        award = self.get_award(pk)
        try:
            result = services.award_backfill(award=award, by=self.user)
        except DjangoValidationError as exc:
            raise service_errors(exc) from None
        return Response({"issued": result.issued, "skipped": result.skipped})


urlpatterns = [
    path("awards/", AwardListApi.as_view(), name="certificates-awards"),
    path("awards/<int:pk>/", AwardDetailApi.as_view(), name="certificates-award-detail"),
    path("awards/<int:pk>/backfill/", AwardBackfillApi.as_view(), name="certificates-award-backfill"),
]
