"""The assignment activity kind (being written: see the assignment brief)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from syllabus.catalog.activity_kinds.base import ActivityKind, AuthorContext, LearnerContext


class AssignmentKind(ActivityKind):
    key = "assignment"
    label = _("Assignment")
    graded = True

    def clean(self, *, data: Mapping[str, Any], files: Mapping[str, Any], context: AuthorContext) -> dict[str, Any]:
        return {}

    def render_learner(self, context: LearnerContext) -> SafeString:
        return mark_safe("")
