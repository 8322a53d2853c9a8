"""OpenAPI schema generation (drf-spectacular) tuned to how Syllabus writes endpoints.

Kept apart from `core.api` because drf-spectacular imports DRF's generic views, which import the pagination class
named in settings (`core.api.Pagination`): one module holding both would import itself.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi
from rest_framework import serializers


class AutoSchema(openapi.AutoSchema):
    """Names schema components after where a serializer is defined.

    Endpoints nest their own `InputSerializer` (HackSoft style), so the class name alone is not unique:
    `OrgUnitListApi.InputSerializer` becomes the component `OrgUnitListInput`.
    """

    def get_serializer_name(self, serializer: serializers.BaseSerializer[Any], direction: str) -> str:
        return "".join(part.removesuffix("Api") for part in type(serializer).__qualname__.split("."))
