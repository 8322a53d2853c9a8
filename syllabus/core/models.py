"""Base models shared by every tenant-owned table."""

from __future__ import annotations

from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class TenantModel(TimeStampedModel):
    """A row owned by one organisation. Requests only ever see rows of their current organisation."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True


class Heartbeat(models.Model):
    """The last time a background process proved it was alive ("worker alive at T"), shown by /readyz."""

    name = models.CharField(max_length=60, unique=True)
    last_seen = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_seen.isoformat()}"
