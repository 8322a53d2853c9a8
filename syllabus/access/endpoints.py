"""The base of every REST endpoint that acts in the request's current organisation.

It lives here, beside the policy it asks, so each app's `api.py` subclasses one class instead of repeating it
(apps may not import each other's `api` modules).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from syllabus.access.policy import NOT_ALLOWED, Principal, principal_for
from syllabus.accounts.models import Organization, User
from syllabus.core.api import OrganizationRequired, Pagination
from syllabus.core.schema import AutoSchema
from syllabus.core.tenancy import current_organization


# A comment, not a docstring: the schema would show a docstring as the description of every endpoint without one.
class OrganizationEndpoint(APIView):
    permission_classes = [IsAuthenticated, OrganizationRequired]
    schema = AutoSchema()
    # Read by the schema generator only: list responses (`many=True`) are documented as pages.
    pagination_class = Pagination

    @property
    def organization(self) -> Organization:
        organization: Organization = current_organization(self.request)
        return organization

    @property
    def user(self) -> User:
        user: User = self.request.user  # type: ignore[assignment]
        return user

    def principal(self) -> Principal:
        return principal_for(self.request.user, current_organization(self.request))

    def require(self, capability: str) -> Principal:
        """Refuse (403) unless the caller holds `capability` somewhere in the organisation."""
        principal = self.principal()
        principal.require(capability)
        return principal

    def require_any(self, *capabilities: str) -> Principal:
        principal = self.principal()
        if not any(principal.can(code) for code in capabilities):
            raise PermissionDenied(NOT_ALLOWED)
        return principal

    def serializer_context(self) -> dict[str, Any]:
        return {"request": self.request, "organization": self.organization}
