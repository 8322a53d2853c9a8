"""REST API of the HR import (under /api/v1/people-imports/): upload a CSV (the dry run starts by itself), follow
its status, read its errors, apply it.

Thin like the rest of accounts' API: parse, authorize (`hr_import.services.may_import`, then the service checks
again), call one service or selector, serialize. Another organisation's job id answers 404.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from syllabus.access.policy import NOT_ALLOWED
from syllabus.accounts.api import OrganizationApi, PersonUserSerializer
from syllabus.accounts.hr_import import selectors, services
from syllabus.accounts.models import ImportJob
from syllabus.core.api import paginated_response, with_errors

ERRORS_INLINE = 100


class ImportErrorSerializer(serializers.Serializer[Any]):
    row = serializers.IntegerField(help_text="The row as a spreadsheet numbers it: the header is row 1.")
    column = serializers.CharField(help_text="The column as written in the file's header; empty for the whole row.")
    message = serializers.CharField()


class ImportJobOutputSerializer(serializers.Serializer[ImportJob]):
    id = serializers.IntegerField()
    file_name = serializers.CharField(source="original_filename")
    mode = serializers.ChoiceField(choices=ImportJob.Mode.choices)
    threshold_percent = serializers.IntegerField(help_text="Full sync: the most people (in %) it may deactivate.")
    create_missing = serializers.BooleanField(help_text="Create org units, job roles and locations the file names.")
    status = serializers.ChoiceField(choices=ImportJob.Status.choices)
    progress = serializers.IntegerField(help_text="Percent done of the current phase (checking or applying).")
    can_apply = serializers.BooleanField(help_text="Validated with no errors and nothing blocking.")
    row_count = serializers.IntegerField()
    to_create = serializers.IntegerField(help_text="People to create (once applied: created).")
    to_update = serializers.IntegerField(help_text="People to update (once applied: updated).")
    unchanged = serializers.IntegerField()
    to_deactivate = serializers.IntegerField(help_text="Full sync: people to deactivate (once applied: deactivated).")
    error_count = serializers.IntegerField()
    failure = serializers.CharField(help_text="Why the whole import cannot go ahead (empty when nothing blocks).")
    created_by = PersonUserSerializer(allow_null=True)
    applied_by = PersonUserSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    validated_at = serializers.DateTimeField(allow_null=True)
    applied_at = serializers.DateTimeField(allow_null=True)


class ImportJobDetailOutputSerializer(ImportJobOutputSerializer):
    errors = serializers.SerializerMethodField(  # type: ignore[assignment]
        help_text=f"The first {ERRORS_INLINE} errors; all of them: /errors/."
    )

    @extend_schema_field(ImportErrorSerializer(many=True))
    def get_errors(self, job: ImportJob) -> list[dict[str, Any]]:
        return ImportErrorSerializer(job.errors[:ERRORS_INLINE], many=True).data  # type: ignore[return-value]


class ImportApi(OrganizationApi):
    def require_import(self) -> None:
        if not services.may_import(self.request.user, self.organization):  # type: ignore[arg-type]
            raise PermissionDenied(NOT_ALLOWED)

    def get_job(self, pk: int) -> ImportJob:
        job = selectors.import_job_get(organization=self.organization, job_id=pk)
        if job is None:
            raise Http404
        return job


class PeopleImportListApi(ImportApi):
    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer[Any]):
        file = serializers.FileField(help_text="UTF-8 CSV with a header row (email and name required).")
        mode = serializers.ChoiceField(choices=ImportJob.Mode.choices, default=ImportJob.Mode.ADD_UPDATE)
        threshold_percent = serializers.IntegerField(
            min_value=0, max_value=100, required=False, help_text="Full sync only; default from the server."
        )
        create_missing = serializers.BooleanField(default=False)

    @extend_schema(
        summary="List people imports",
        description="Needs `people.manage` organisation-wide. Newest first.",
        responses=with_errors({200: ImportJobOutputSerializer(many=True)}, 401, 403),
    )
    def get(self, request: Request) -> Response:
        self.require_import()
        jobs = selectors.import_job_list(organization=self.organization)
        return paginated_response(request=request, view=self, queryset=jobs, serializer_class=ImportJobOutputSerializer)

    @extend_schema(
        summary="Upload a people CSV (starts the dry run)",
        description="Send multipart/form-data. The file is checked in the background: poll the job until its "
        "status is `validated` (or `failed`), read its counts and errors, then apply it. A full sync needs "
        "`people.deactivate` too; `create_missing` needs `org_unit.manage`, `job_role.manage`, `location.manage`.",
        request={"multipart/form-data": InputSerializer},
        responses=with_errors({202: ImportJobDetailOutputSerializer}, 400, 401, 403),
    )
    def post(self, request: Request) -> Response:
        self.require_import()
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        job = services.import_job_create(
            organization=self.organization,
            by=request.user,  # type: ignore[arg-type]
            file=data["file"],
            filename=data["file"].name or "people.csv",
            mode=data["mode"],
            threshold_percent=data.get("threshold_percent"),
            create_missing=data["create_missing"],
        )
        job = self.get_job(job.pk)  # as the dry run left it (it has already run when tasks run inline)
        return Response(ImportJobDetailOutputSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class PeopleImportDetailApi(ImportApi):
    @extend_schema(
        summary="Get a people import",
        description="Status, progress, the plan's counts and the first errors.",
        responses=with_errors({200: ImportJobDetailOutputSerializer}, 401, 403, 404),
    )
    def get(self, request: Request, pk: int) -> Response:
        self.require_import()
        return Response(ImportJobDetailOutputSerializer(self.get_job(pk)).data)


class PeopleImportErrorsApi(ImportApi):
    @extend_schema(
        summary="List a people import's errors",
        description="Every error kept (up to HR_IMPORT_MAX_REPORTED_ERRORS; `error_count` on the job is exact).",
        responses=with_errors({200: ImportErrorSerializer(many=True)}, 401, 403, 404),
    )
    def get(self, request: Request, pk: int) -> Response:
        self.require_import()
        job = self.get_job(pk)
        return paginated_response(
            request=request, view=self, queryset=job.errors, serializer_class=ImportErrorSerializer
        )


class PeopleImportApplyApi(ImportApi):
    @extend_schema(
        summary="Apply a people import",
        description="Only a `validated` job without errors (`can_apply`). Runs in the background, in one "
        "transaction: poll the job until `applied` or `failed`.",
        request=None,
        responses=with_errors({202: ImportJobDetailOutputSerializer}, 400, 401, 403, 404),
    )
    def post(self, request: Request, pk: int) -> Response:
        self.require_import()
        job = services.import_job_apply(job=self.get_job(pk), by=request.user)  # type: ignore[arg-type]
        return Response(ImportJobDetailOutputSerializer(self.get_job(job.pk)).data, status=status.HTTP_202_ACCEPTED)
