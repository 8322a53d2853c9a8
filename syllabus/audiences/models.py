"""Audiences: rule-based dynamic groups of people, and their materialised membership over time."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from syllabus.core.models import TenantModel
from syllabus.core.tenancy import TenantManager


class Audience(TenantModel):
    """A named rule over the organisation's active people ("Nurses in the North region hired this year").

    `rules` is a validated JSON tree (see `rules.py`). Who matches is materialised in `AudienceMembership`
    by `services.audience_recompute`; `member_count` and `last_recomputed_at` are kept by that recompute.
    """

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    rules = models.JSONField(_("rules"), default=dict)
    # True when its own rules depend on today's date (hire date within N days): recomputed nightly, with every
    # audience that names it.
    is_time_based = models.BooleanField(default=False, editable=False)
    member_count = models.PositiveIntegerField(default=0, editable=False)
    # When the rules last changed (core.clock time, like last_recomputed_at, so the two compare).
    rules_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_recomputed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    objects = TenantManager["Audience"]()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="audience_name_unique_per_org")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_stale(self) -> bool:
        """The rules changed after the last recompute (a recompute is queued or running)."""
        if self.last_recomputed_at is None:
            return True
        return self.rules_changed_at is not None and self.last_recomputed_at < self.rules_changed_at


class AudienceReference(models.Model):
    """`source`'s rules name `target` (an audience-of-audience condition).

    Kept in step with `Audience.rules` by the services: answers "who depends on X?" (recompute order, cycle
    checks, refusing to delete a referenced audience) without parsing every rule.
    """

    source = models.ForeignKey(Audience, on_delete=models.CASCADE, related_name="+")
    # RESTRICT, not PROTECT: deleting an organisation deletes both ends in one cascade, which RESTRICT allows.
    target = models.ForeignKey(Audience, on_delete=models.RESTRICT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "target"], name="audience_reference_unique")]

    def __str__(self) -> str:
        return f"{self.source_id} -> {self.target_id}"


class AudienceMembership(models.Model):
    """One stay of a person in an audience: from `joined_at` until `left_at` (open while null).

    A person who leaves and comes back gets a second row, so "who was in this audience at T" is
    `joined_at <= T AND (left_at IS NULL OR left_at > T)`. At most one open row per person and audience.
    """

    audience = models.ForeignKey(Audience, on_delete=models.CASCADE, related_name="memberships")
    membership = models.ForeignKey("accounts.Membership", on_delete=models.CASCADE, related_name="audience_stays")
    joined_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # No default ordering: recomputes read tens of thousands of ids and must not sort them for nothing.
        constraints = [
            models.UniqueConstraint(
                fields=["audience", "membership"], condition=Q(left_at__isnull=True), name="audience_membership_open"
            ),
            models.CheckConstraint(
                condition=Q(left_at__isnull=True) | Q(left_at__gte=models.F("joined_at")),
                name="audience_membership_left_after_joined",
            ),
        ]
        indexes = [
            # Current members and point-in-time questions of one audience.
            models.Index(fields=["audience", "left_at", "membership"], name="audience_stay_open"),
            models.Index(fields=["audience", "joined_at"], name="audience_stay_joined"),
            # "Which audiences is this person in?" (catalog visibility, enrollment rules).
            models.Index(fields=["membership", "left_at"], name="audience_stay_person"),
        ]

    def __str__(self) -> str:
        return f"{self.membership_id} in {self.audience_id} from {self.joined_at.isoformat()}"
