"""File: a document of the course. PDFs are shown in the page (a vendored pdf.js viewer), other documents are
downloaded; complete when opened."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from syllabus.catalog import uploads
from syllabus.catalog.activity_kinds import fields
from syllabus.catalog.activity_kinds.base import ActivityKind, AuthorContext, CompletionRule, LearnerContext
from syllabus.catalog.models import Course, CourseAsset

DOCUMENT_REQUIRED = "Choose the document to upload."
DESCRIPTION_TOO_LONG = "The description is too long (at most {limit} characters)."
MAX_DESCRIPTION = 5000
PDF = "application/pdf"


def download_url(asset_url: str) -> str:
    """The asset's URL that always downloads (Content-Disposition: attachment), even for a PDF."""
    return f"{asset_url}?download=1"


def shows_inline(config: Mapping[str, Any]) -> bool:
    return config.get("content_type") == PDF and not config.get("download_only")


class FileKind(ActivityKind):
    key = "file"
    label = _("File")
    description = _("A document: PDFs are shown in the page, other files are downloaded.")
    signals = ("opened",)
    completion_rules = (CompletionRule("opened", _("When the learner opens it"), ("opened",)),)
    author_template = "catalog/kinds/file/author.html"

    def form_fields(self, *, current: Mapping[str, Any], course: Course | None = None) -> list[dict[str, Any]]:
        return [
            {
                "name": "document",
                "label": _("Document"),
                "type": "file",
                "accept": ".pdf,.docx,.xlsx,.pptx,.odt,.ods,.odp,.txt,.csv",
                "help": _("PDF, Word, Excel, PowerPoint, OpenDocument, text or CSV."),
                "note": _("Current file: %(name)s") % {"name": current["name"]} if current.get("name") else "",
                "required": not current.get("asset_id"),
            },
            {
                "name": "description",
                "label": _("Description"),
                "type": "textarea",
                "rows": 3,
                "value": current.get("description", ""),
                "help": _("Optional: what the document is and why it matters."),
            },
            {
                "name": "download_only",
                "label": _("Offer PDFs as a download instead of showing them in the page"),
                "type": "checkbox",
                "value": bool(current.get("download_only")),
            },
        ]

    def clean(self, *, data: Mapping[str, Any], files: Mapping[str, Any], context: AuthorContext) -> dict[str, Any]:
        current = context.current
        document = fields.upload(files, "document")
        description = fields.text(data, "description")
        errors: dict[str, str] = {}
        if document is None and not current.get("asset_id"):
            errors["document"] = DOCUMENT_REQUIRED
        if len(description) > MAX_DESCRIPTION:
            errors["description"] = DESCRIPTION_TOO_LONG.format(limit=f"{MAX_DESCRIPTION:,}")
        if errors:
            raise ValidationError(errors)
        if document is not None:
            try:
                asset = uploads.store_upload(
                    course=context.course, by=context.by, upload=document, purpose=CourseAsset.Purpose.DOCUMENT
                )
            except ValidationError as exc:
                raise fields.field_errors("document", exc) from None
            stored = {
                "asset_id": asset.pk,
                "name": asset.original_name,
                "content_type": asset.content_type,
                "size": asset.size,
            }
        else:
            stored = {key: current[key] for key in ("asset_id", "name", "content_type", "size") if key in current}
        return {**stored, "description": description, "download_only": fields.flag(data, "download_only")}

    def render_learner(self, context: LearnerContext) -> SafeString:
        config = context.activity["config"]
        asset_id = config.get("asset_id")
        src = context.asset_url(int(asset_id)) if asset_id else ""
        return mark_safe(
            render_to_string(
                "catalog/kinds/file/learner.html",
                {
                    "ctx": context,
                    "config": config,
                    "src": src,
                    "download_url": download_url(src) if src else "",
                    "inline": bool(src) and shows_inline(config),
                    # Downloads go through the "open" endpoint, which records "opened" (direct while previewing).
                    "open_url": context.open_url or (download_url(src) if src else ""),
                },
                request=context.request,
            )
        )

    def signals_on_open(self, config: Mapping[str, Any]) -> tuple[str, ...]:
        return ("opened",) if shows_inline(config) else ()

    def open_target(self, *, config: Mapping[str, Any], context: LearnerContext) -> str | None:
        asset_id = config.get("asset_id")
        return download_url(context.asset_url(int(asset_id))) if asset_id else None

    def search_text(self, config: Mapping[str, Any]) -> str:
        return "\n".join(part for part in (str(config.get("name", "")), str(config.get("description", ""))) if part)

    def describe(self, config: Mapping[str, Any]) -> dict[str, str]:
        return {
            str(_("Document")): str(config.get("name", "")),
            str(_("Description")): str(config.get("description", "")),
            str(_("Shown as")): str(_("download")) if config.get("download_only") else str(_("in the page if PDF")),
        }

    def asset_ids(self, config: Mapping[str, Any]) -> list[int]:
        return [int(config["asset_id"])] if config.get("asset_id") else []

    def copy_config(self, config: Mapping[str, Any], asset_map: Mapping[int, int]) -> dict[str, Any]:
        copied = dict(config)
        if copied.get("asset_id"):
            copied["asset_id"] = asset_map.get(int(copied["asset_id"]), copied["asset_id"])
        return copied
