"""Shared REST API plumbing: pagination and one error format for every endpoint."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, pagination, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class Pagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


def _flatten(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    """Turn DRF's nested error detail into a flat list of {field, message, code}."""
    errors: list[dict[str, str]] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
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
    message = (
        "The request has invalid fields." if isinstance(exc, exceptions.ValidationError) else str(exc.detail)
    )
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
