"""Page: rich text (with this course's images) that a learner reads; complete when opened."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from syllabus.catalog import richtext
from syllabus.catalog.activity_kinds.base import ActivityKind, AuthorContext, CompletionRule, LearnerContext
from syllabus.catalog.models import Course, CourseAsset

BODY_REQUIRED = "Write the page: it is empty."
BODY_TOO_LONG = "The page is too long: at most {limit} characters of HTML."
BODY_MAX_LENGTH = 500_000


def asset_course_ids(asset_ids: list[int] | set[int]) -> dict[int, int]:
    """{asset id: its course id} — where a copied asset lives now (for rewriting image URLs)."""
    return dict(CourseAsset.objects.filter(pk__in=list(asset_ids)).values_list("pk", "course_id"))


def copy_html(html: str, asset_map: Mapping[int, int]) -> str:
    """Rich text of a copied course: images point at the copies of their assets."""
    if not html or not asset_map:
        return html
    return richtext.rewrite_asset_urls(html, asset_map=asset_map, course_ids=asset_course_ids(set(asset_map.values())))


class PageKind(ActivityKind):
    key = "page"
    label = _("Page")
    description = _("Text with headings, lists, links, tables and images.")
    signals = ("viewed",)
    completion_rules = (CompletionRule("viewed", _("When the learner opens it"), ("viewed",)),)
    author_template = "catalog/kinds/page/author.html"

    def form_fields(self, *, current: Mapping[str, Any], course: Course | None = None) -> list[dict[str, Any]]:
        return [
            {
                "name": "body",
                "label": _("Page text"),
                "type": "richtext",
                "value": current.get("body", ""),
                "required": True,
            }
        ]

    def clean(self, *, data: Mapping[str, Any], files: Mapping[str, Any], context: AuthorContext) -> dict[str, Any]:
        raw = data.get("body", "")
        raw = raw if isinstance(raw, str) else ""
        if len(raw) > BODY_MAX_LENGTH:
            raise ValidationError({"body": BODY_TOO_LONG.format(limit=f"{BODY_MAX_LENGTH:,}")})
        body = richtext.sanitize_html(raw, course_id=context.course.pk)
        if not richtext.html_to_text(body) and "<img" not in body:
            raise ValidationError({"body": BODY_REQUIRED})
        return {"body": body}

    def render_learner(self, context: LearnerContext) -> SafeString:
        # Sanitised when authored; again here, so a snapshot written by any other path cannot carry script.
        body = richtext.sanitize_html(str(context.activity["config"].get("body", "")), course_id=context.course.pk)
        return mark_safe(
            render_to_string(
                "catalog/kinds/page/learner.html",
                {"body": mark_safe(body), "ctx": context},
                request=context.request,
            )
        )

    def signals_on_open(self, config: Mapping[str, Any]) -> tuple[str, ...]:
        return ("viewed",)

    def search_text(self, config: Mapping[str, Any]) -> str:
        return richtext.html_to_text(str(config.get("body", "")))

    def describe(self, config: Mapping[str, Any]) -> dict[str, str]:
        return {str(_("Page text")): richtext.html_to_text(str(config.get("body", "")))}

    def asset_ids(self, config: Mapping[str, Any]) -> list[int]:
        return richtext.asset_ids_in(str(config.get("body", "")))

    def copy_config(self, config: Mapping[str, Any], asset_map: Mapping[int, int]) -> dict[str, Any]:
        return {**config, "body": copy_html(str(config.get("body", "")), asset_map)}
