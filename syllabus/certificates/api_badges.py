"""REST API of Open Badges (/api/v1/certificates/): verify a credential (public), list and rotate signing keys.

- `POST verify/`: anyone, no sign-in, rate-limited per client address. A VC-JWT or a credential's JSON in
  `credential`, or a baked PNG/SVG badge (or a .jwt file) as multipart `file`; answers what verification.Result
  found. Always 200 for something that could be read, whatever the verdict: `ok` says whether it verified.
- `GET keys/`, `POST keys/rotate/`: `certificate.manage`, the current organisation's keys only.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.urls import path
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from syllabus.access.endpoints import OrganizationEndpoint
from syllabus.access.policy import NOT_ALLOWED, Principal
from syllabus.certificates import credentials, keys, policy, verification
from syllabus.certificates.models import SigningKey
from syllabus.certificates.services import keys as key_services
from syllabus.core import clock, parsers
from syllabus.core.api import ErrorSerializer, paginated_response, with_errors
from syllabus.core.request_context import client_ip
from syllabus.core.schema import AutoSchema

TAG = "certificates"
RATE_SETTING, RATE = "CERTIFICATES_VERIFY_API_RATE", 30
GIVE_ONE = "Send a credential (a VC-JWT or a credential's JSON) or a badge file."
GIVE_ONLY_ONE = "Send a credential or a file, not both."
FILE_TOO_LARGE = "The file is larger than {limit} MB."
# Plain strings in the schema, not enums: "status" and "source" name other choice sets elsewhere in the API.
STATUS_HELP = "The certificate's status today: `valid`, `expired`, `superseded` or `revoked`."


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


class VerifyThrottle(BaseThrottle):
    """Per client address and minute, counted in the cache with the verification pages' counter helper."""

    def allow_request(self, request: Request, view: APIView) -> bool:
        limit = int(getattr(settings, RATE_SETTING, RATE))
        ident = verification.rate_key(client_ip(request._request))
        return verification.within_rate(ident=ident, scope="verify-api", limit=limit)

    def wait(self) -> float:
        return 60.0


class IssuerSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    id = serializers.URLField(help_text="The issuer's Open Badges profile.")


class CertificateFactsSerializer(serializers.Serializer[Any]):
    id = serializers.URLField(help_text="The certificate's public verification page (the credential's id).")
    status = serializers.CharField(help_text=STATUS_HELP)
    status_label = serializers.CharField()
    recipient = serializers.CharField()
    achievement = serializers.CharField()
    issuer = IssuerSerializer()
    issued_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    superseded_by = serializers.URLField(allow_null=True, help_text="The newer certificate's page, if superseded.")
    has_badge = serializers.BooleanField()


class VerificationSerializer(serializers.Serializer[Any]):
    ok = serializers.BooleanField(help_text="Genuine and valid today.")
    authentic = serializers.BooleanField(
        help_text="Signed by one of our keys and exactly the credential we issued, whatever its status."
    )
    status = serializers.CharField(help_text=f"{STATUS_HELP} `unknown`: no certificate of ours.")
    status_label = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField(), help_text="Every problem found, in plain words.")
    notes = serializers.ListField(child=serializers.CharField())
    source = serializers.CharField(  # type: ignore[assignment]  # a field named like Field.source, as core.api does
        help_text="What was given: `jwt`, `json`, `png`, `svg`, or `file` (a file that could not be read)."
    )
    key = serializers.URLField(allow_null=True, help_text="The URL of the key that signed it (when one of ours).")
    certificate = CertificateFactsSerializer(allow_null=True)
    credential = serializers.JSONField(allow_null=True, help_text="The credential's content as given (claims).")


def result_data(result: verification.Result) -> dict[str, Any]:
    return {
        "ok": result.ok,
        "authentic": result.authentic,
        "status": result.status,
        "status_label": result.status_label,
        "reasons": result.reasons,
        "notes": result.notes,
        "source": result.source,
        "key": credentials.key_url(result.key) if result.key is not None else None,
        "certificate": verification.public_facts(result.certificate, clock.now()) if result.certificate else None,
        "credential": result.claims,
    }


class VerifyApi(APIView):
    authentication_classes: list[Any] = []  # public: no session, so no CSRF, and no token needed
    permission_classes = [AllowAny]
    throttle_classes = [VerifyThrottle]
    parser_classes = [parsers.JSONParser, MultiPartParser, FormParser]
    schema = AutoSchema()

    class InputSerializer(serializers.Serializer[Any]):
        credential = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=verification.TOKEN_LIMIT,
            help_text="A VC-JWT (compact JWS) or an OpenBadgeCredential's JSON, as text.",
        )
        file = serializers.FileField(
            required=False, help_text="A baked PNG or SVG badge, or a .jwt file, at most 5 MB (multipart/form-data)."
        )

        def validate_file(self, value: Any) -> Any:
            if value is not None and value.size > verification.UPLOAD_LIMIT:
                raise serializers.ValidationError(
                    FILE_TOO_LARGE.format(limit=verification.UPLOAD_LIMIT // (1024 * 1024))
                )
            return value

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            pasted, upload = (attrs.get("credential") or "").strip(), attrs.get("file")
            if pasted and upload:
                raise serializers.ValidationError({"credential": GIVE_ONLY_ONE})
            if not pasted and not upload:
                raise serializers.ValidationError({"credential": GIVE_ONE})
            return attrs

    @extend_schema(
        tags=[TAG],
        summary="Verify an Open Badge",
        description="Public (no authentication), rate-limited per address. Checks an Open Badges 3.0 VC-JWT as the "
        "specification requires (RS256 only, the kid must be one of our keys, the signature, iss/sub/nbf/jti/exp), "
        "then that it is exactly the credential we issued and the certificate's status today. A credential's JSON "
        "has no signature to check: its id is looked up. Answers 200 with the verdict in `ok`.",
        request={"application/json": InputSerializer, "multipart/form-data": InputSerializer},
        responses={
            **with_errors({200: VerificationSerializer}, 400),
            413: OpenApiResponse(ErrorSerializer, description="The body is larger than any badge or credential."),
        },
        examples=[
            OpenApiExample("A VC-JWT", value={"credential": "eyJhbGciOiJSUzI1NiIs..."}, request_only=True),
        ],
    )
    def post(self, request: Request) -> Response:
        # Before `request.data` reads (and parses) the body: DRF's parsers read whatever length is declared.
        if verification.body_too_large(request.META):
            raise BodyTooLarge(FILE_TOO_LARGE.format(limit=verification.UPLOAD_LIMIT // (1024 * 1024)))
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data.get("file")
        if upload is not None:
            result = verification.verify_upload(upload)
        else:
            result = verification.verify_text(serializer.validated_data["credential"])
        return Response(VerificationSerializer(result_data(result)).data)


class SigningKeyOutputSerializer(serializers.Serializer[SigningKey]):
    kid = serializers.UUIDField()
    url = serializers.SerializerMethodField(help_text="What credentials name as their `kid`: the public JWK.")
    state = serializers.ChoiceField(choices=SigningKey.State.choices)
    algorithm = serializers.CharField()
    created_at = serializers.DateTimeField()
    retired_at = serializers.DateTimeField(allow_null=True)
    certificates_signed = serializers.IntegerField(source="signed")
    jwk = serializers.SerializerMethodField(help_text="The public key (JWK).")

    def get_url(self, key: SigningKey) -> str:
        return credentials.key_url(key)

    def get_jwk(self, key: SigningKey) -> dict[str, Any]:
        return keys.public_jwk(key)


class KeyApi(OrganizationEndpoint):
    def manager(self) -> Principal:
        principal = self.principal()
        if not policy.can_manage(principal):
            raise PermissionDenied(NOT_ALLOWED)
        return principal


class KeyListApi(KeyApi):
    @extend_schema(
        tags=[TAG],
        summary="List the organisation's signing keys",
        description="Needs `certificate.manage`. Newest first; each with how many certificates it signed.",
        responses=with_errors({200: SigningKeyOutputSerializer(many=True)}, 401, 403),
    )
    def get(self, request: Request) -> Response:
        self.manager()
        return paginated_response(
            request=request,
            view=self,
            queryset=keys.with_usage(self.organization),
            serializer_class=SigningKeyOutputSerializer,
        )


class KeyRotateApi(KeyApi):
    @extend_schema(
        tags=[TAG],
        summary="Rotate the signing key",
        description="Needs `certificate.manage`. A new key signs badges from now on; the previous one is retired "
        "and stays published, so badges it signed keep verifying. Audited.",
        request=None,
        responses=with_errors({201: SigningKeyOutputSerializer}, 401, 403),
    )
    def post(self, request: Request) -> Response:
        self.manager()
        key = key_services.key_rotate(organization=self.organization, by=self.user)
        fresh = keys.with_usage(self.organization).get(pk=key.pk)
        return Response(SigningKeyOutputSerializer(fresh).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("verify/", VerifyApi.as_view(), name="certificates-verify"),
    path("keys/", KeyListApi.as_view(), name="certificates-keys"),
    path("keys/rotate/", KeyRotateApi.as_view(), name="certificates-keys-rotate"),
]
