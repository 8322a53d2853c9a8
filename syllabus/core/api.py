"""Shared REST API plumbing: pagination, one error format, tenant-scoped keys (schema naming: core.schema)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, pagination, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from syllabus.core.tenancy import current_organization, for_tenant


class Pagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


def _flatten(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    """Turn DRF's nested error detail into a flat list of {field, message, code}."""
    errors: list[dict[str, str]] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            if isinstance(key, int):
                # DRF reports errors of a list's items as a dict keyed by index: items[0].field, as lists do.
                errors.extend(_flatten(value, f"{prefix}[{key}]"))
                continue
            field = key if key != "non_field_errors" else ""
            errors.extend(_flatten(value, f"{prefix}.{field}" if prefix and field else (field or prefix)))
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, (dict, list)) and not isinstance(value, exceptions.ErrorDetail):
                errors.extend(_flatten(value, f"{prefix}[{index}]"))
            else:
                errors.extend(_flatten(value, prefix))
    else:
        errors.append({"field": prefix, "message": str(detail), "code": getattr(detail, "code", "invalid")})
    return errors


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every API error looks the same: {"error": {"status", "code", "message", "errors": [...]}}."""
    if isinstance(exc, DjangoValidationError):
        detail: Any = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    assert isinstance(exc, exceptions.APIException)
    errors = _flatten(exc.detail) if isinstance(exc, exceptions.ValidationError) else []
    code = exc.get_codes() if not isinstance(exc, exceptions.ValidationError) else "invalid"
    message = "The request has invalid fields." if isinstance(exc, exceptions.ValidationError) else str(exc.detail)
    if response.status_code == status.HTTP_400_BAD_REQUEST and errors and len(errors) == 1:
        message = errors[0]["message"] if not errors[0]["field"] else message
    response.data = {
        "error": {
            "status": response.status_code,
            "code": code if isinstance(code, str) else "error",
            "message": message,
            "errors": errors,
        }
    }
    return response


# --- endpoint plumbing (HackSoft style: each endpoint nests its own input/output serializers) --------------

NO_ORGANIZATION = (
    "No current organisation: choose one in the web app first, or use an API token (a token is bound to one "
    "organisation)."
)


class OrganizationRequired(permissions.BasePermission):
    """The request acts in an organisation (chosen in the session, or fixed by its API token)."""

    message = NO_ORGANIZATION
    code = "no_organization"

    def has_permission(self, request: Request, view: APIView) -> bool:
        return current_organization(request) is not None


class ErrorItemSerializer(serializers.Serializer[Any]):
    field = serializers.CharField(
        help_text="Dotted path of the invalid field (e.g. `attributes.cost_center`); empty for the whole request."
    )
    message = serializers.CharField()
    code = serializers.CharField()


class ErrorDetailSerializer(serializers.Serializer[Any]):
    status = serializers.IntegerField()
    code = serializers.CharField()
    message = serializers.CharField()
    errors = ErrorItemSerializer(many=True)  # type: ignore[assignment]


class ErrorSerializer(serializers.Serializer[Any]):
    """The one error format of every endpoint (see `exception_handler`)."""

    error = ErrorDetailSerializer()


ERROR_DESCRIPTIONS = {
    400: "Invalid input: `errors` names each field.",
    401: "Not signed in, or the API token is invalid, expired or revoked.",
    403: "Not allowed, or no current organisation.",
    404: "Not found in the current organisation.",
}


def with_errors(responses: dict[int, Any], *codes: int) -> dict[int, Any]:
    """Schema responses: the given ones plus the error format for each status in `codes` (default 400-404)."""
    errors = {
        code: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code])
        for code in codes or tuple(ERROR_DESCRIPTIONS)
    }
    return {**responses, **errors}


class TenantPrimaryKeyField(serializers.PrimaryKeyRelatedField[Any]):
    """A primary key that must name a row of the request's organisation; another tenant's id "does not exist".

    Pass `context={"organization": ...}` to the serializer.
    """

    def get_queryset(self) -> QuerySet[Any]:
        queryset = super().get_queryset()
        assert queryset is not None
        return for_tenant(queryset, self.context.get("organization"))


def paginated_response(
    *,
    request: Request,
    view: APIView,
    queryset: QuerySet[Any] | Sequence[Any],
    serializer_class: type[serializers.BaseSerializer[Any]],
    context: dict[str, Any] | None = None,
) -> Response:
    paginator = Pagination()
    page = paginator.paginate_queryset(queryset, request, view=view)  # type: ignore[arg-type]
    data = serializer_class(page, many=True, context={"request": request, **(context or {})}).data
    return paginator.get_paginated_response(data)
