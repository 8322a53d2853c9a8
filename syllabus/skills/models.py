"""A skills framework: proficiency scales, and a tree of skills that tag courses, activities and questions."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from syllabus.core.models import TenantModel
from syllabus.core.tenancy import TenantManager


class ProficiencyScale(TenantModel):
    """An ordered set of levels ("1 Awareness" ... "5 Expert") that skills are measured on."""

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)

    objects = TenantManager["ProficiencyScale"]()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="scale_name_unique_per_org")]

    def __str__(self) -> str:
        return self.name


class ProficiencyLevel(models.Model):
    scale = models.ForeignKey(ProficiencyScale, on_delete=models.CASCADE, related_name="levels")
    value = models.PositiveSmallIntegerField(_("value"))
    name = models.CharField(_("name"), max_length=80)
    descriptor = models.TextField(_("descriptor"), blank=True)

    class Meta:
        ordering = ["scale_id", "value"]
        constraints = [models.UniqueConstraint(fields=["scale", "value"], name="level_value_unique_per_scale")]

    def __str__(self) -> str:
        return f"{self.value} {self.name}"


class Skill(TenantModel):
    """One skill in the organisation's framework tree. `path` ("/12/40/") makes subtree queries one LIKE."""

    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.RESTRICT, related_name="children")
    code = models.SlugField(_("code"), max_length=80)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    scale = models.ForeignKey(ProficiencyScale, null=True, blank=True, on_delete=models.SET_NULL, related_name="skills")
    path = models.CharField(max_length=500, blank=True, editable=False, db_index=True)
    is_active = models.BooleanField(default=True)

    objects = TenantManager["Skill"]()

    class Meta:
        ordering = ["path", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="skill_code_unique_per_org"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        """0 for a top-level skill; derived from `path`, so it is right whenever the path is."""
        return max(self.path.count("/") - 2, 0)

    @property
    def ancestor_ids(self) -> list[int]:
        """The ids above this skill, from the top down (read from `path`, no query)."""
        return [int(part) for part in self.path.strip("/").split("/")[:-1] if part]

    @staticmethod
    def subtree_q(path: str, prefix: str = "") -> models.Q:
        """Rows whose path starts with `path` (the skill and everything below), as an index-friendly range."""
        # "~" sorts after the digits and "/" that paths are made of.
        return models.Q(**{f"{prefix}path__gte": path, f"{prefix}path__lt": path + "~"})
