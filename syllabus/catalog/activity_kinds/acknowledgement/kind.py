"""Acknowledgement: a policy (rich text and/or a PDF) the learner reads and confirms with a statement.

Each confirmation is a compliance record (models.Acknowledgement): who, which course version, which activity,
the statement, a digest of the document as published, when, from where. The compliance issue adds e-signatures.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from syllabus.catalog import richtext, uploads
from syllabus.catalog.activity_kinds import fields
from syllabus.catalog.activity_kinds.acknowledgement import services
from syllabus.catalog.activity_kinds.acknowledgement.models import Acknowledgement
from syllabus.catalog.activity_kinds.base import (
    UNKNOWN_SIGNAL,
    ActivityKind,
    AuthorContext,
    CompletionRule,
    Emitted,
    LearnerContext,
    SignalContext,
)
from syllabus.catalog.activity_kinds.file.kind import download_url
from syllabus.catalog.activity_kinds.page.kind import copy_html
from syllabus.catalog.models import Course, CourseAsset, CourseVersion

DOCUMENT_REQUIRED = "Write the policy, attach it as a PDF, or both."
STATEMENT_TOO_LONG = "The statement is too long (at most {limit} characters)."
BODY_TOO_LONG = "The policy text is too long (at most {limit} characters of HTML)."
CONFIRM_REQUIRED = "Tick the box to confirm you have read the policy."
DEFAULT_STATEMENT = "I have read and understood this policy."
MAX_STATEMENT = 500
MAX_BODY = 500_000
PDF_ONLY = {"application/pdf": "a PDF document"}


class AcknowledgementKind(ActivityKind):
    key = "acknowledgement"
    label = _("Acknowledgement")
    description = _("A policy the learner reads and confirms; each confirmation is recorded.")
    signals = ("acknowledged",)
    completion_rules = (CompletionRule("acknowledged", _("When the learner confirms it"), ("acknowledged",)),)
    author_template = "catalog/kinds/acknowledgement/author.html"

    def form_fields(self, *, current: Mapping[str, Any], course: Course | None = None) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = [
            {"name": "body", "label": _("Policy text"), "type": "richtext", "value": current.get("body", "")},
            {
                "name": "document",
                "label": _("Policy document (PDF)"),
                "type": "file",
                "accept": ".pdf,application/pdf",
                "help": _("Optional if the policy text above is complete."),
                "note": _("Current file: %(name)s") % {"name": current["name"]} if current.get("name") else "",
            },
        ]
        if current.get("asset_id"):
            out.append(
                {"name": "remove_document", "label": _("Remove the current PDF"), "type": "checkbox", "value": False}
            )
        out.append(
            {
                "name": "statement",
                "label": _("What the learner confirms"),
                "type": "text",
                "value": current.get("statement", DEFAULT_STATEMENT),
                "maxlength": MAX_STATEMENT,
                "help": _("Shown beside the tick box, e.g. “%(statement)s”") % {"statement": DEFAULT_STATEMENT},
            }
        )
        return out

    def clean(self, *, data: Mapping[str, Any], files: Mapping[str, Any], context: AuthorContext) -> dict[str, Any]:
        current = context.current
        errors: dict[str, str] = {}
        raw = data.get("body", "")
        raw = raw if isinstance(raw, str) else ""
        if len(raw) > MAX_BODY:
            errors["body"] = BODY_TOO_LONG.format(limit=f"{MAX_BODY:,}")
        body = richtext.sanitize_html(raw, course_id=context.course.pk)
        has_text = bool(richtext.html_to_text(body)) or "<img" in body
        statement = fields.text(data, "statement") or DEFAULT_STATEMENT
        if len(statement) > MAX_STATEMENT:
            errors["statement"] = STATEMENT_TOO_LONG.format(limit=MAX_STATEMENT)
        document = fields.upload(files, "document")
        keep = current.get("asset_id") and not fields.flag(data, "remove_document")
        if not has_text and document is None and not keep:
            errors["body"] = DOCUMENT_REQUIRED
        if errors:
            raise ValidationError(errors)
        config: dict[str, Any] = {"body": body if has_text else "", "statement": statement}
        if document is not None:
            try:
                asset = uploads.store_upload(
                    course=context.course,
                    by=context.by,
                    upload=document,
                    purpose=CourseAsset.Purpose.DOCUMENT,
                    only=PDF_ONLY,
                )
            except ValidationError as exc:
                raise fields.field_errors("document", exc) from None
            config.update(asset_id=asset.pk, name=asset.original_name, asset_sha256=asset.sha256)
        elif keep:
            config.update({key: current[key] for key in ("asset_id", "name", "asset_sha256") if key in current})
        return config

    def render_learner(self, context: LearnerContext) -> SafeString:
        config = context.activity["config"]
        body = richtext.sanitize_html(str(config.get("body", "")), course_id=context.course.pk)
        src = context.asset_url(int(config["asset_id"])) if config.get("asset_id") else ""
        confirmed = None
        user = getattr(context.request, "user", None)
        if context.version_id is not None and not context.preview and user is not None and user.is_authenticated:
            confirmed = Acknowledgement.objects.filter(
                user=user, version_id=context.version_id, activity_uid=uuid.UUID(str(context.activity["uid"]))
            ).first()
        return mark_safe(
            render_to_string(
                "catalog/kinds/acknowledgement/learner.html",
                {
                    "ctx": context,
                    "body": mark_safe(body),
                    "src": src,
                    "download_url": download_url(src) if src else "",
                    "statement": config.get("statement") or DEFAULT_STATEMENT,
                    "confirmed": confirmed,
                },
                request=context.request,
            )
        )

    def accept_signal(self, *, payload: Mapping[str, Any], context: SignalContext) -> list[Emitted]:
        if payload.get("signal") != "acknowledged":
            raise ValidationError({"signal": UNKNOWN_SIGNAL.format(signal=str(payload.get("signal", ""))[:40])})
        if not fields.flag(payload, "confirm"):
            raise ValidationError({"confirm": CONFIRM_REQUIRED})
        version = CourseVersion.objects.get(pk=context.version_id)
        record, _created = services.acknowledgement_record(
            user=context.user, course=context.course, version=version, activity=context.activity
        )
        context.reply.update({"confirmed_at": record.confirmed_at.isoformat()})
        return [Emitted("acknowledged", {"acknowledgement_id": record.pk, "document_digest": record.document_digest})]

    def search_text(self, config: Mapping[str, Any]) -> str:
        return richtext.html_to_text(str(config.get("body", "")))

    def describe(self, config: Mapping[str, Any]) -> dict[str, str]:
        return {
            str(_("Policy text")): richtext.html_to_text(str(config.get("body", ""))),
            str(_("Policy document")): str(config.get("name", "")),
            str(_("Statement")): str(config.get("statement", "")),
        }

    def asset_ids(self, config: Mapping[str, Any]) -> list[int]:
        ids = [int(config["asset_id"])] if config.get("asset_id") else []
        return ids + [i for i in richtext.asset_ids_in(str(config.get("body", ""))) if i not in ids]

    def copy_config(self, config: Mapping[str, Any], asset_map: Mapping[int, int]) -> dict[str, Any]:
        copied = {**config, "body": copy_html(str(config.get("body", "")), asset_map)}
        if copied.get("asset_id"):
            copied["asset_id"] = asset_map.get(int(copied["asset_id"]), copied["asset_id"])
        return copied
