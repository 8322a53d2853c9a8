"""Roles (bundles of capabilities) and role assignments held in a scope."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from syllabus.access.capabilities import BUILTIN_BY_KEY, ORG_UNIT, ORGANIZATION
from syllabus.core.models import TimeStampedModel


class Role(TimeStampedModel):
    """A bundle of capabilities. Built-in roles have no organisation and take their capabilities from code."""

    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    key = models.SlugField(_("key"), max_length=60)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    custom_capabilities = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["organization_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="role_key_unique_per_org"),
            models.UniqueConstraint(
                fields=["key"], condition=Q(organization__isnull=True), name="role_builtin_key_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_builtin(self) -> bool:
        return self.organization_id is None

    @property
    def capabilities(self) -> frozenset[str]:
        if self.is_builtin:
            builtin = BUILTIN_BY_KEY.get(self.key)
            return builtin.capabilities if builtin else frozenset()
        return frozenset(self.custom_capabilities)


class RoleAssignment(TimeStampedModel):
    """A role granted to one membership in a scope: the whole organisation or an org-unit subtree."""

    class Scope(models.TextChoices):
        ORGANIZATION = ORGANIZATION, _("Whole organisation")
        ORG_UNIT = ORG_UNIT, _("Org unit and below")

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey("accounts.Membership", on_delete=models.CASCADE, related_name="role_assignments")
    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="assignments")
    scope = models.CharField(_("scope"), max_length=20, choices=Scope.choices, default=Scope.ORGANIZATION)
    org_unit = models.ForeignKey(
        "accounts.OrgUnit", null=True, blank=True, on_delete=models.CASCADE, related_name="role_assignments"
    )
    granted_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(scope=ORGANIZATION, org_unit__isnull=True) | Q(scope=ORG_UNIT, org_unit__isnull=False)),
                name="roleassignment_scope_matches_target",
            ),
            models.UniqueConstraint(fields=["membership", "role", "scope", "org_unit"], name="roleassignment_unique"),
            models.UniqueConstraint(
                fields=["membership", "role"],
                condition=Q(org_unit__isnull=True),
                name="roleassignment_unique_org_scope",
            ),
        ]
        indexes = [models.Index(fields=["organization", "membership"], name="roleassignment_org_member")]

    def __str__(self) -> str:
        return f"{self.role} ({self.scope})"
