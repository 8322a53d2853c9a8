"""REST API of issued certificates (/api/v1/certificates/): the list with the page's filters, one certificate with
its links (PDF, verification page, badge downloads), the PDF, revoking with a reason, drawing the PDF again.

Who sees what is the pages' rule (`policy.visible_q`): a person sees their own, a manager their scope, officers
and auditors everyone. A certificate the caller may not see answers 404 whoever holds it (another organisation's,
a colleague's, a made-up id), so nobody learns which ids exist. Revoking and redrawing need `certificate.manage`
(403 for a certificate one may see but not manage).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseBase
from django.urls import NoReverseMatch, path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import renderers, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from syllabus.access.endpoints import OrganizationEndpoint
from syllabus.access.policy import NOT_ALLOWED, Principal
from syllabus.accounts.models import OrgUnit
from syllabus.certificates import credentials, selectors
from syllabus.certificates.models import Certificate
from syllabus.certificates.services import issuing
from syllabus.certificates.views_learner import pdf_response
from syllabus.core import clock
from syllabus.core.api import paginated_response, with_errors

TAG = "Certificates"
BODY_NOT_OBJECT = "Send a JSON object."
UNKNOWN_ORG_UNIT = "No org unit of the organisation has this id."
# The badge downloads, by link name and URL name (the badges endpoints register these).
BADGE_LINKS = (
    ("badge_png", "certificates:badge-png"),
    ("badge_svg", "certificates:badge-svg"),
    ("badge_json", "certificates:badge-json"),
    ("badge_jwt", "certificates:badge-jwt"),
)


def _absolute_or_none(name: str, public_id: uuid.UUID) -> str | None:
    try:
        return credentials.absolute(reverse(name, args=[public_id]))
    except NoReverseMatch:
        return None


class CertificateApi(OrganizationEndpoint):
    def member(self) -> Principal:
        principal = self.principal()
        if not (principal.is_member or principal.is_platform_admin):
            raise PermissionDenied(NOT_ALLOWED)
        return principal

    def get_certificate(self, public_id: uuid.UUID) -> Certificate:
        certificate = selectors.certificate_get(principal=self.member(), public_id=public_id)
        if certificate is None:
            raise Http404
        return certificate

    def body(self, request: Request) -> Mapping[str, Any]:
        if not isinstance(request.data, Mapping):
            raise serializers.ValidationError({"non_field_errors": [BODY_NOT_OBJECT]})
        return request.data

    def respond(self, certificate: Certificate) -> Response:
        fresh = selectors.certificate_get(principal=self.member(), public_id=certificate.public_id) or certificate
        return Response(IssuedCertificateSerializer(fresh, context={"now": clock.now()}).data)


class CertificatePersonSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(help_text="The membership id.")
    name = serializers.CharField(source="user.display_name")
    email = serializers.EmailField(source="user.email")
    org_unit = serializers.CharField(source="org_unit.name", allow_null=True, default=None)


class CertificateLinksSerializer(serializers.Serializer[Any]):
    verify = serializers.URLField(help_text="The public verification page (what the QR code on the PDF points to).")
    pdf = serializers.URLField(allow_null=True, help_text="The PDF download; null while it is being drawn.")
    detail = serializers.URLField()
    badge_png = serializers.URLField(allow_null=True, help_text="Null when no Open Badge was issued.")
    badge_svg = serializers.URLField(allow_null=True)
    badge_json = serializers.URLField(allow_null=True)
    badge_jwt = serializers.URLField(allow_null=True)


class CourseRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()


class ProgramRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class IssuedCertificateSerializer(serializers.Serializer[Certificate]):
    id = serializers.UUIDField(source="public_id", help_text="The public id (also the badge's id).")
    title = serializers.CharField()
    recipient_name = serializers.CharField()
    status = serializers.SerializerMethodField(help_text="`valid`, `expired`, `superseded` or `revoked`, now.")
    person = CertificatePersonSerializer(source="membership")
    award = serializers.IntegerField(source="award_id", allow_null=True)
    source = serializers.CharField(help_text="`course` or `program`.")  # type: ignore[assignment]
    course = serializers.SerializerMethodField()
    program = serializers.SerializerMethodField()
    cycle = serializers.IntegerField(allow_null=True, help_text="The program cycle that earned it.")
    version_label = serializers.CharField(help_text="The course version completed.")
    score = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    issued_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    state_changed_at = serializers.DateTimeField(allow_null=True, help_text="When it was superseded or revoked.")
    revoke_reason = serializers.CharField()
    superseded_by = serializers.SerializerMethodField(help_text="The public id of the certificate replacing it.")
    render_state = serializers.CharField(help_text="The PDF: `pending`, `ready` or `failed`.")
    has_badge = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.STR)
    def get_status(self, certificate: Certificate) -> str:
        return certificate.status_on(self.context.get("now") or clock.now())

    @extend_schema_field(CourseRefSerializer(allow_null=True))
    def get_course(self, certificate: Certificate) -> dict[str, Any] | None:
        if certificate.course is None:
            return None
        return {"id": certificate.course_id, "title": certificate.course.title}

    @extend_schema_field(ProgramRefSerializer(allow_null=True))
    def get_program(self, certificate: Certificate) -> dict[str, Any] | None:
        if certificate.program is None:
            return None
        return {"id": certificate.program_id, "name": certificate.program.name}

    @extend_schema_field(OpenApiTypes.UUID)
    def get_superseded_by(self, certificate: Certificate) -> str | None:
        successor = certificate.superseded_by
        return str(successor.public_id) if successor is not None else None

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_has_badge(self, certificate: Certificate) -> bool:
        return bool(certificate.credential)

    @extend_schema_field(CertificateLinksSerializer)
    def get_links(self, certificate: Certificate) -> dict[str, Any]:
        public_id = certificate.public_id
        ready = certificate.render_state == Certificate.RenderState.READY and bool(certificate.pdf)
        links: dict[str, Any] = {
            "verify": credentials.verify_url(certificate),
            "pdf": credentials.absolute(reverse("api:v1:certificates-pdf", args=[public_id])) if ready else None,
            "detail": credentials.absolute(reverse("api:v1:certificates-detail", args=[public_id])),
        }
        for key, name in BADGE_LINKS:
            links[key] = _absolute_or_none(name, public_id) if certificate.credential else None
        return links


# --- endpoints ------------------------------------------------------------------------------------------------------


class CertificateFilterSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(
        choices=selectors.STATUS_FILTERS,
        required=False,
        help_text="`valid`, `expired`, `superseded`, `revoked`, or `expiring` (valid, expiring within `days`).",
    )
    days = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=selectors.EXPIRING_DAYS_MAX,
        help_text=f"With `status=expiring` (default {selectors.EXPIRING_DAYS_DEFAULT}).",
    )
    award = serializers.IntegerField(required=False, help_text="An award id.")
    course = serializers.IntegerField(required=False, help_text="A course id.")
    program = serializers.IntegerField(required=False, help_text="A compliance program id.")
    person = serializers.IntegerField(required=False, help_text="A membership id.")
    org_unit = serializers.IntegerField(required=False, help_text="An org unit id: its people and its sub-units'.")
    search = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=selectors.SEARCH_MAX, help_text="Name or email."
    )


class CertificateListApi(CertificateApi):
    @extend_schema(
        tags=[TAG],
        summary="List certificates",
        description="Newest first. Everyone sees their own; managers the people they are responsible for; "
        "`certificate.manage` and `report.view_all` everyone in the organisation.",
        parameters=[CertificateFilterSerializer],
        responses=with_errors({200: IssuedCertificateSerializer(many=True)}, 400, 401, 403),
    )
    def get(self, request: Request) -> Response:
        principal = self.member()
        filters = CertificateFilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        unit_path = ""
        if data.get("org_unit") is not None:
            unit = OrgUnit.objects.filter(organization=self.organization, pk=data["org_unit"]).only("path").first()
            if unit is None:
                raise serializers.ValidationError({"org_unit": [UNKNOWN_ORG_UNIT]})
            unit_path = unit.path
        rows = selectors.certificate_list(
            principal=principal,
            filters=selectors.CertificateFilters(
                status=data.get("status", ""),
                expiring_within_days=data.get("days") or selectors.EXPIRING_DAYS_DEFAULT,
                award_id=data.get("award"),
                course_id=data.get("course"),
                program_id=data.get("program"),
                membership_id=data.get("person"),
                org_unit_path=unit_path,
                search=data["search"],
            ),
        ).select_related("superseded_by")
        return paginated_response(
            request=request,
            view=self,
            queryset=rows,
            serializer_class=IssuedCertificateSerializer,
            context={"now": clock.now()},
        )


class CertificateDetailApi(CertificateApi):
    @extend_schema(
        tags=[TAG],
        summary="Get a certificate",
        description="With its status now and its links: the PDF (once drawn), the public verification page and the "
        "Open Badge downloads.",
        responses=with_errors({200: IssuedCertificateSerializer}, 401, 403, 404),
    )
    def get(self, request: Request, public_id: uuid.UUID) -> Response:
        return self.respond(self.get_certificate(public_id))


class PdfRenderer(renderers.BaseRenderer):
    """Lets a client that asks for `Accept: application/pdf` through content negotiation (the file itself is a
    FileResponse, which DRF passes on untouched)."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return data if isinstance(data, bytes) else b""


class CertificatePdfApi(CertificateApi):
    renderer_classes = [renderers.JSONRenderer, PdfRenderer]

    @extend_schema(
        tags=[TAG],
        summary="Download a certificate's PDF",
        description="404 while the PDF is being drawn (`render_state` is not `ready`).",
        responses=with_errors(
            {200: OpenApiResponse(OpenApiTypes.BINARY, description="The PDF (application/pdf).")}, 401, 403, 404
        ),
    )
    def get(self, request: Request, public_id: uuid.UUID) -> HttpResponseBase:
        return pdf_response(self.get_certificate(public_id))


class CertificateRevokeApi(CertificateApi):
    class InputSerializer(serializers.Serializer[Any]):
        reason = serializers.CharField(
            max_length=issuing.REASON_LIMIT, help_text="Why: kept in the audit trail, shown to the holder."
        )

    @extend_schema(
        tags=[TAG],
        summary="Revoke a certificate",
        description="Needs `certificate.manage`. The verification page says `revoked` from now on. Audited.",
        request=InputSerializer,
        responses=with_errors({200: IssuedCertificateSerializer}),
    )
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        certificate = self.get_certificate(public_id)
        serializer = self.InputSerializer(data=self.body(request))
        serializer.is_valid(raise_exception=True)
        issuing.certificate_revoke(certificate=certificate, by=self.user, reason=serializer.validated_data["reason"])
        return self.respond(certificate)


class CertificateRerenderApi(CertificateApi):
    @extend_schema(
        tags=[TAG],
        summary="Draw a certificate's PDF again",
        description="Needs `certificate.manage`. With the template as it is now; the certificate's facts and badge "
        "do not change. `render_state` is `pending` until the worker is done.",
        request=None,
        responses=with_errors({200: IssuedCertificateSerializer}, 401, 403, 404),
    )
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        certificate = self.get_certificate(public_id)
        return self.respond(issuing.certificate_rerender(certificate=certificate, by=self.user))


CERTIFICATE = "<uuid:public_id>/"

urlpatterns = [
    path("", CertificateListApi.as_view(), name="certificates-list"),
    path(CERTIFICATE, CertificateDetailApi.as_view(), name="certificates-detail"),
    path(f"{CERTIFICATE}pdf/", CertificatePdfApi.as_view(), name="certificates-pdf"),
    path(f"{CERTIFICATE}revoke/", CertificateRevokeApi.as_view(), name="certificates-revoke"),
    path(f"{CERTIFICATE}rerender/", CertificateRerenderApi.as_view(), name="certificates-rerender"),
]
