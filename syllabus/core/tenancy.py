"""The one place where request querysets are scoped to the current organisation.

Every tenant-owned model uses `TenantManager`; views and API endpoints fetch rows with `for_tenant` /
`get_for_tenant_or_404`, so a row of another organisation is simply not found (404), never shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.http import Http404

if TYPE_CHECKING:
    from django.http import HttpRequest

M = TypeVar("M", bound=models.Model)


class TenantQuerySet(models.QuerySet[M]):
    def for_organization(self, organization: Any) -> TenantQuerySet[M]:
        if organization is None:
            return self.none()
        return self.filter(organization=organization)


class TenantManager(models.Manager[M]):
    def get_queryset(self) -> TenantQuerySet[M]:
        return TenantQuerySet(self.model, using=self._db)

    def for_organization(self, organization: Any) -> TenantQuerySet[M]:
        return self.get_queryset().for_organization(organization)


def current_organization(request: HttpRequest) -> Any:
    """The organisation this request acts in (set by accounts' middleware or token authentication)."""
    return getattr(request, "organization", None)


def for_tenant(queryset: models.QuerySet[M], organization: Any) -> models.QuerySet[M]:
    if organization is None:
        return queryset.none()
    return queryset.filter(organization=organization)


def get_for_tenant_or_404(queryset: models.QuerySet[M], organization: Any, **lookup: Any) -> M:
    try:
        return for_tenant(queryset, organization).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
