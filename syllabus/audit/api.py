"""REST API of the audit trail (under /api/v1/audit/): records (JSON or CSV), anchors, verification.

Read-only: the trail is written by services, never through the API. Every endpoint needs `audit.view` in the
request's organisation; the platform chain (`?chain=platform`) is for platform admins only.
"""

from __future__ import annotations

from typing import Any

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import renderers, serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from syllabus.access.policy import NOT_ALLOWED, Principal, principal_for
from syllabus.accounts.models import Organization
from syllabus.audit import selectors, verification
from syllabus.audit.csv_export import csv_lines
from syllabus.audit.models import AuditAnchor
from syllabus.audit.selectors import AuditRow
from syllabus.audit.services import audit_export_record
from syllabus.core import clock
from syllabus.core.api import OrganizationRequired, Pagination, with_errors
from syllabus.core.schema import AutoSchema
from syllabus.core.tenancy import current_organization

PLATFORM_ONLY = "Only platform admins can read the platform chain."


class CsvRenderer(renderers.BaseRenderer):
    """Selected by `?format=csv`; the endpoint streams the CSV itself."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> Any:
        # Reached only for errors (the CSV itself is streamed): a short text body.
        return str(data).encode() if data is not None else b""


class ChainQuerySerializer(serializers.Serializer[Any]):
    chain = serializers.ChoiceField(
        choices=["organization", "platform"],
        required=False,
        default="organization",
        help_text="`platform`: the platform chain (sign-ins outside any organisation); platform admins only.",
    )


class FilterSerializer(ChainQuerySerializer):
    date_from = serializers.DateField(required=False, help_text="Records on or after this day.")
    date_to = serializers.DateField(required=False, help_text="Records on or before this day.")
    actor = serializers.CharField(required=False, default="", allow_blank=True, help_text="Name or email contains.")
    action = serializers.CharField(required=False, default="", allow_blank=True, help_text="Action code, exactly.")
    target_type = serializers.CharField(
        required=False, default="", allow_blank=True, help_text='Target type, exactly (e.g. "accounts.membership").'
    )
    text = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        help_text="Anywhere: action, target id, names, emails, changed values, IP address.",
    )

    def to_filter(self) -> selectors.AuditFilter:
        data = dict(self.validated_data)
        data.pop("chain", None)
        return selectors.AuditFilter(**data)


def json_errors(*codes: int) -> dict[Any, Any]:
    """The error responses, documented as JSON only (a CSV request that fails still answers in JSON)."""
    return {(code, "application/json"): response for code, response in with_errors({}, *codes).items()}


CSV_RESPONSE = OpenApiResponse(OpenApiTypes.STR, description="CSV, one line per record, newest first.")


class AuditApi(APIView):
    permission_classes = [IsAuthenticated, OrganizationRequired]
    schema = AutoSchema()

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        # Errors are JSON in the one error format, even when CSV was asked for.
        if isinstance(response, Response) and response.status_code >= 400:
            request.accepted_renderer = renderers.JSONRenderer()
            request.accepted_media_type = "application/json"
        return super().finalize_response(request, response, *args, **kwargs)

    @property
    def organization(self) -> Organization:
        organization: Organization = current_organization(self.request)
        return organization

    def authorize(self, chain: str) -> tuple[Principal, bool]:
        """Refuse (403) without audit.view; answer whether the platform chain is asked for (and allowed)."""
        principal = principal_for(self.request.user, self.organization)
        if not principal.can("audit.view"):
            raise PermissionDenied(NOT_ALLOWED)
        platform = chain == "platform"
        if platform and not principal.is_platform_admin:
            raise PermissionDenied(PLATFORM_ONLY)
        return principal, platform


class SubjectOutputSerializer(serializers.Serializer[Any]):
    subject_id = serializers.UUIDField(allow_null=True, help_text="Pseudonymous id; null for the system.")
    name = serializers.CharField(help_text='"System", a name, or "Erased person".')
    email = serializers.CharField()


class RecordOutputSerializer(serializers.Serializer[AuditRow]):
    seq = serializers.IntegerField(source="record.seq")
    created_at = serializers.DateTimeField(source="record.created_at")
    action = serializers.CharField(source="record.action")
    action_label = serializers.CharField()
    actor = serializers.SerializerMethodField()
    target_type = serializers.CharField(source="record.target_type")
    target_id = serializers.CharField(source="record.target_id")
    target = serializers.SerializerMethodField()
    before = serializers.DictField(help_text="Values before the change (personal values merged back in).")
    after = serializers.DictField(help_text="Values after the change.")
    summary = serializers.DictField(allow_null=True, help_text="Bulk operations: count, ids_digest and details.")
    ip_address = serializers.CharField()
    user_agent = serializers.CharField()
    prev_hash = serializers.CharField(source="record.prev_hash")
    hash = serializers.CharField(source="record.hash")

    @extend_schema_field(SubjectOutputSerializer)
    def get_actor(self, row: AuditRow) -> dict[str, Any]:
        return {"subject_id": row.record.actor_subject, "name": row.actor, "email": row.actor_detail}

    @extend_schema_field(SubjectOutputSerializer)
    def get_target(self, row: AuditRow) -> dict[str, Any]:
        return {"subject_id": row.record.target_subject, "name": row.target, "email": ""}


class AnchorOutputSerializer(serializers.Serializer[AuditAnchor]):
    seq = serializers.IntegerField()
    head_hash = serializers.CharField()
    created_at = serializers.DateTimeField()


class ProblemOutputSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=["changed", "inserted", "deleted", "truncated"])
    first_seq = serializers.IntegerField()
    last_seq = serializers.IntegerField()
    detail = serializers.CharField()


class VerifyOutputSerializer(serializers.Serializer[Any]):
    ok = serializers.BooleanField()
    records = serializers.IntegerField(help_text="Records checked.")
    head_seq = serializers.IntegerField()
    head_hash = serializers.CharField()
    anchors = serializers.IntegerField(help_text="Anchors checked against.")
    problems = ProblemOutputSerializer(many=True)


def _csv_response(records: Any, scope: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(records), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{scope}-{clock.now():%Y%m%d-%H%M%S}.csv"'
    return response


class RecordListApi(AuditApi):
    renderer_classes = [renderers.JSONRenderer, CsvRenderer]
    pagination_class = Pagination

    @extend_schema(
        summary="List audit records",
        description='The organisation\'s audit records, newest first, with names resolved ("Erased person" '
        "once erased). Needs `audit.view`. Add `format=csv` (or use `records.csv`) for the whole filtered set "
        "as a streamed CSV file, which is recorded in the trail.",
        parameters=[FilterSerializer],
        responses={
            (200, "application/json"): RecordOutputSerializer(many=True),
            (200, "text/csv"): CSV_RESPONSE,
            **json_errors(400, 401, 403),
        },
    )
    def get(self, request: Request) -> Response | StreamingHttpResponse:
        filters = FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        _principal, platform = self.authorize(filters.validated_data["chain"])
        records = selectors.audit_record_list(
            organization=self.organization, platform=platform, filters=filters.to_filter()
        )
        if getattr(request.accepted_renderer, "format", None) == "csv":
            return self.csv(records, platform, filters.to_filter())
        paginator = Pagination()
        page = paginator.paginate_queryset(records, request, view=self)
        rows = selectors.audit_rows(list(page or []))
        return paginator.get_paginated_response(RecordOutputSerializer(rows, many=True).data)  # type: ignore[arg-type]

    def csv(self, records: Any, platform: bool, filters: selectors.AuditFilter) -> StreamingHttpResponse:
        audit_export_record(
            organization=None if platform else self.organization,
            by=self.request.user,  # type: ignore[arg-type]
            filters=filters,
        )
        return _csv_response(records, "platform" if platform else self.organization.slug)


class RecordCsvApi(RecordListApi):
    # The CSV is streamed by the view itself; the renderer only serves content negotiation (Accept: text/csv).
    renderer_classes = [renderers.JSONRenderer, CsvRenderer]

    @extend_schema(
        summary="Export audit records as CSV",
        operation_id="audit_records_csv",
        description="The whole filtered set, newest first, streamed in constant memory; each line carries the "
        "record's hashes so the chain can be recomputed outside Syllabus. Needs `audit.view`; the export is "
        "recorded in the trail.",
        parameters=[FilterSerializer],
        responses={(200, "text/csv"): CSV_RESPONSE, **json_errors(400, 401, 403)},
    )
    def get(self, request: Request) -> Response | StreamingHttpResponse:
        filters = FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        _principal, platform = self.authorize(filters.validated_data["chain"])
        records = selectors.audit_record_list(
            organization=self.organization, platform=platform, filters=filters.to_filter()
        )
        return self.csv(records, platform, filters.to_filter())


class AnchorListApi(AuditApi):
    @extend_schema(
        summary="List audit anchors",
        description="Copies of the chain head taken hourly (newest first). Keep them outside Syllabus: "
        "`manage.py audit_verify --anchor SEQ:HASH` checks the chain against them. Needs `audit.view`.",
        parameters=[ChainQuerySerializer],
        responses=with_errors({200: AnchorOutputSerializer(many=True)}, 400, 401, 403),
    )
    def get(self, request: Request) -> Response:
        query = ChainQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        _principal, platform = self.authorize(query.validated_data["chain"])
        chain = selectors.audit_chain_get(organization=self.organization, platform=platform)
        anchors = selectors.audit_anchor_list(chain=chain, limit=500)
        return Response(AnchorOutputSerializer(anchors, many=True).data)  # type: ignore[arg-type]


class VerifyApi(AuditApi):
    @extend_schema(
        summary="Verify the audit chain",
        description="Recompute the chain now and report every changed, inserted, deleted or truncated record "
        "(the check `manage.py audit_verify` runs). Needs `audit.view`.",
        parameters=[ChainQuerySerializer],
        responses=with_errors({200: VerifyOutputSerializer}, 400, 401, 403),
    )
    def get(self, request: Request) -> Response:
        query = ChainQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        _principal, platform = self.authorize(query.validated_data["chain"])
        report = verification.verify_organization(self.organization, platform=platform)
        data = {
            "ok": report.ok,
            "records": report.records,
            "head_seq": report.head_seq,
            "head_hash": report.head_hash,
            "anchors": report.anchors,
            "problems": [vars(problem) for problem in report.problems],
        }
        return Response(VerifyOutputSerializer(data).data)
