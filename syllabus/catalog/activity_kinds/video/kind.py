"""Video: an uploaded MP4/WebM, a direct https video file, or a YouTube/Vimeo embed; captions and a transcript.

Completion "watched" is computed from the real watched intervals the player reports (video/intervals.py,
video/services.py); embeds cannot report them, so opening an embed produces both "viewed" and "watched".
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from syllabus.catalog import uploads
from syllabus.catalog.activity_kinds import fields
from syllabus.catalog.activity_kinds.base import (
    UNKNOWN_SIGNAL,
    ActivityKind,
    AuthorContext,
    CompletionRule,
    Emitted,
    LearnerContext,
    SignalContext,
)
from syllabus.catalog.activity_kinds.video import intervals as iv
from syllabus.catalog.activity_kinds.video import probe, services
from syllabus.catalog.activity_kinds.video.sources import parse_video_url
from syllabus.catalog.models import Course, CourseAsset

SOURCE_INVALID = "Choose where the video comes from: an upload or an address."
VIDEO_REQUIRED = "Choose a video file to upload (MP4 or WebM)."
VIDEO_URL_REQUIRED = "Enter the address of the video."
CAPTIONS_LANGUAGE_INVALID = "Enter the captions' language as a language code, such as en or pt-BR."
CAPTIONS_LABEL_REQUIRED = "Enter a label for the captions, such as English."
CAPTIONS_LABEL_TOO_LONG = "The label is too long (at most {limit} characters)."
CAPTIONS_FILE_REQUIRED = "Choose the captions file (WebVTT) for this language."
CAPTIONS_TOO_MANY = "A video may have at most {limit} captions files."
TRANSCRIPT_TOO_LONG = "The transcript is too long (at most {limit} characters)."
EMBED_REPORTS_NOTHING = "This video is embedded: its progress cannot be reported."
VIDEO_AGAIN = "Choose the video file again: files are not kept when the form has an error."
CAPTIONS_AGAIN = "Choose the captions file again: files are not kept when the form has an error."

DEFAULT_PERCENT = 90
MAX_CAPTIONS = 20
MAX_LABEL = 60
MAX_TRANSCRIPT = 200_000
_LANGUAGE = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")


def _captions_transcript(asset_id: int) -> str:
    asset = CourseAsset.objects.filter(pk=asset_id).first()
    if asset is None:
        return ""
    with asset.file.open("rb") as handle:
        return uploads.captions_text(handle.read())


class VideoKind(ActivityKind):
    key = "video"
    label = _("Video")
    description = _("An uploaded video or a video link (YouTube, Vimeo, an .mp4 file), with captions.")
    signals = ("viewed", "watched")
    completion_rules = (
        CompletionRule(
            "watched",
            _("When the learner has watched a percentage of it"),
            ("watched",),
            {"percent": (1, 100, DEFAULT_PERCENT)},
        ),
        CompletionRule("viewed", _("When the learner opens it"), ("viewed",)),
    )
    author_template = "catalog/kinds/video/author.html"

    # --- authoring -------------------------------------------------------------------------------------------

    def form_fields(self, *, current: Mapping[str, Any], course: Course | None = None) -> list[dict[str, Any]]:
        source = current.get("source", "upload")
        captions = list(current.get("captions", []))
        out: list[dict[str, Any]] = [
            {
                "name": "source",
                "label": _("The video"),
                "type": "radio",
                "value": "upload" if source == "upload" else "url",
                "choices": [("upload", _("Upload a video file")), ("url", _("Link to a video"))],
                "required": True,
            },
            {
                "name": "video",
                "label": _("Video file"),
                "type": "file",
                "accept": "video/mp4,video/webm",
                "help": _("MP4 or WebM."),
                "note": _("Current file: %(name)s") % {"name": current["name"]}
                if source == "upload" and current.get("name")
                else "",
                "again": VIDEO_AGAIN,
            },
            {
                "name": "video_url",
                "label": _("Video address"),
                "type": "url",
                # What the author typed (a form sent back with an error), else the saved address.
                "value": current.get("video_url", current.get("url", "") if source != "upload" else ""),
                "help": _("A YouTube or Vimeo video, or an https:// address of an .mp4 or .webm file."),
            },
        ]
        if captions:
            out.append(
                {
                    "name": "remove_captions",
                    "label": _("Remove captions"),
                    "type": "checkboxes",
                    "value": [],
                    "choices": [(str(item["asset_id"]), f"{item['label']} ({item['language']})") for item in captions],
                }
            )
        out += [
            {
                "name": "captions_file",
                "label": _("Add captions (WebVTT file)"),
                "type": "file",
                "accept": ".vtt,text/vtt",
                "help": _("Captions of uploaded or linked video files; YouTube and Vimeo show their own."),
                "again": CAPTIONS_AGAIN,
            },
            # The new captions' language and label are not part of the config (each saved track has its own):
            # empty, unless the author typed them in a form that came back with an error.
            {"name": "captions_language", "label": _("Captions language code"), "type": "text",
             "value": current.get("captions_language", ""), "help": _("For example en, fr or pt-BR."),
             "maxlength": 20},
            {"name": "captions_label", "label": _("Captions label"), "type": "text",
             "value": current.get("captions_label", ""),
             "help": _("Shown in the player's captions menu, for example English."), "maxlength": MAX_LABEL},
            {
                "name": "transcript",
                "label": _("Transcript"),
                "type": "textarea",
                "rows": 8,
                "value": "" if current.get("transcript_from_captions") else current.get("transcript", ""),
                "help": _("Shown beside the video. Leave empty to use the text of the first captions file."),
            },
        ]  # fmt: skip
        return out

    def clean(self, *, data: Mapping[str, Any], files: Mapping[str, Any], context: AuthorContext) -> dict[str, Any]:
        current = context.current
        errors: dict[str, str] = {}
        url_text = fields.text(data, "video_url")
        choice = fields.text(data, "source") or ("url" if url_text else "upload")
        video_file = fields.upload(files, "video")
        source = None
        if choice == "url":
            if not url_text:
                errors["video_url"] = VIDEO_URL_REQUIRED
            else:
                try:
                    source = parse_video_url(url_text)
                except ValueError as exc:
                    errors["video_url"] = str(exc)
        elif choice == "upload":
            if video_file is None and not (current.get("source") == "upload" and current.get("asset_id")):
                errors["video"] = VIDEO_REQUIRED
        else:
            errors["source"] = SOURCE_INVALID

        remove = set(fields.values(data, "remove_captions"))
        captions = [dict(item) for item in current.get("captions", []) if str(item.get("asset_id")) not in remove]
        captions_file = fields.upload(files, "captions_file")
        language = fields.text(data, "captions_language")
        label = fields.text(data, "captions_label")
        if captions_file is not None:
            if not _LANGUAGE.match(language):
                errors["captions_language"] = CAPTIONS_LANGUAGE_INVALID
            if not label:
                errors["captions_label"] = CAPTIONS_LABEL_REQUIRED
            elif len(label) > MAX_LABEL:
                errors["captions_label"] = CAPTIONS_LABEL_TOO_LONG.format(limit=MAX_LABEL)
            if len(captions) >= MAX_CAPTIONS:
                errors["captions_file"] = CAPTIONS_TOO_MANY.format(limit=MAX_CAPTIONS)
        elif language or label:
            errors["captions_file"] = CAPTIONS_FILE_REQUIRED
        transcript = fields.text(data, "transcript")
        if len(transcript) > MAX_TRANSCRIPT:
            errors["transcript"] = TRANSCRIPT_TOO_LONG.format(limit=f"{MAX_TRANSCRIPT:,}")
        if errors:
            raise ValidationError(errors)

        config: dict[str, Any]
        # Both uploads or neither: a refused captions file takes the stored video (row and file) with it.
        with uploads.rollback_guard(), transaction.atomic():
            if source is not None:
                # Never the address as typed: the normalised file URL, or an embed URL built from the parsed id.
                config = {"source": source.kind, "url": source.url, "origin": source.origin}
            elif video_file is not None:
                try:
                    asset = uploads.store_upload(
                        course=context.course, by=context.by, upload=video_file, purpose=CourseAsset.Purpose.VIDEO
                    )
                except ValidationError as exc:
                    raise fields.field_errors("video", exc) from None
                config = {
                    "source": "upload",
                    "asset_id": asset.pk,
                    "name": asset.original_name,
                    "content_type": asset.content_type,
                }
                # The real length, so the watched percentage never rests on what the browser claims.
                with asset.file.open("rb") as handle:
                    length = probe.duration_seconds(handle, asset.content_type)
                if length is not None:
                    config["duration"] = length
            else:
                kept = ("source", "asset_id", "name", "content_type", "duration")
                config = {key: current[key] for key in kept if key in current}
            if captions_file is not None:
                try:
                    track = uploads.store_upload(
                        course=context.course,
                        by=context.by,
                        upload=captions_file,
                        purpose=CourseAsset.Purpose.CAPTIONS,
                    )
                except ValidationError as exc:
                    raise fields.field_errors("captions_file", exc) from None
                captions.append(
                    {"asset_id": track.pk, "language": language, "label": label, "name": track.original_name}
                )
        if config["source"] in ("youtube", "vimeo"):
            captions = []  # the embedded player shows its own captions
        config["captions"] = captions
        config["transcript"] = transcript
        config["transcript_from_captions"] = False
        if not transcript and captions:
            config["transcript"] = _captions_transcript(int(captions[0]["asset_id"]))
            config["transcript_from_captions"] = True
        return config

    # --- learners ------------------------------------------------------------------------------------------

    def render_learner(self, context: LearnerContext) -> SafeString:
        config = context.activity["config"]
        source = config.get("source")
        src = ""
        if source == "upload" and config.get("asset_id"):
            src = context.asset_url(int(config["asset_id"]))
        elif source in ("direct", "youtube", "vimeo"):
            src = str(config.get("url", ""))
        tracks = [
            {**item, "src": context.asset_url(int(item["asset_id"]))}
            for item in config.get("captions", [])
            if source in ("upload", "direct")
        ]
        completion = context.activity.get("completion") or {}
        paragraphs = [line for line in str(config.get("transcript", "")).splitlines() if line.strip()]
        return mark_safe(
            render_to_string(
                "catalog/kinds/video/learner.html",
                {
                    "ctx": context,
                    "source": source,
                    "src": src,
                    "content_type": config.get("content_type", ""),
                    "tracks": tracks,
                    "transcript": paragraphs,
                    "percent": completion.get("percent", DEFAULT_PERCENT),
                    "embed": source in ("youtube", "vimeo"),
                },
                request=context.request,
            )
        )

    def signals_on_open(self, config: Mapping[str, Any]) -> tuple[str, ...]:
        if config.get("source") in ("youtube", "vimeo"):
            return ("viewed", "watched")
        return ("viewed",)

    def accept_signal(self, *, payload: Mapping[str, Any], context: SignalContext) -> list[Emitted]:
        config = context.activity.get("config") or {}
        if payload.get("signal") != "progress":
            raise ValidationError({"signal": UNKNOWN_SIGNAL.format(signal=str(payload.get("signal", ""))[:40])})
        if config.get("source") in ("youtube", "vimeo"):
            raise ValidationError({"signal": EMBED_REPORTS_NOTHING})
        try:
            # An uploaded video's length was read from the file at upload; only other sources trust the player.
            known = config.get("duration")
            duration = float(known) if known else iv.parse_duration(payload.get("duration"))
            reported = iv.parse(payload.get("intervals"), duration)
        except ValueError as exc:
            raise ValidationError({"intervals": str(exc)}) from None
        completion = context.activity.get("completion") or {}
        percent = int(completion.get("percent", DEFAULT_PERCENT)) if completion.get("rule") == "watched" else 90
        try:
            result = services.watch_progress_record(
                user=context.user,
                course=context.course,
                version_id=context.version_id,
                activity_uid=uuid.UUID(str(context.activity["uid"])),
                duration=duration,
                intervals=reported,
                percent=percent,
            )
        except iv.TooFragmented as exc:
            raise ValidationError({"intervals": str(exc)}) from None
        except ValueError as exc:
            raise ValidationError({"duration": str(exc)}) from None
        context.reply.update(
            {"accepted": result.accepted, "coverage": round(result.coverage * 100, 1), "percent": percent}
        )
        if result.newly_watched:
            return [Emitted("watched", {"percent": percent, "coverage": round(result.coverage * 100, 1)})]
        return []

    def csp_for(self, *, config: Mapping[str, Any], context: LearnerContext) -> dict[str, list[str]]:
        origin = str(config.get("origin", ""))
        if config.get("source") == "direct" and origin:
            # media-src replaces default-src for media: keep our own origin for the captions tracks.
            return {"media-src": ["'self'", origin]}
        if config.get("source") in ("youtube", "vimeo") and origin:
            return {"frame-src": [origin]}
        return {}

    # --- search, review, versions --------------------------------------------------------------------------

    def search_text(self, config: Mapping[str, Any]) -> str:
        return str(config.get("transcript", ""))

    def describe(self, config: Mapping[str, Any]) -> dict[str, str]:
        source = config.get("source")
        video = str(config.get("name", "")) if source == "upload" else str(config.get("url", ""))
        captions = ", ".join(f"{item['label']} ({item['language']})" for item in config.get("captions", []))
        return {
            str(_("Video")): video,
            str(_("Captions")): captions,
            str(_("Transcript")): str(config.get("transcript", "")),
        }

    def asset_ids(self, config: Mapping[str, Any]) -> list[int]:
        ids = [int(config["asset_id"])] if config.get("source") == "upload" and config.get("asset_id") else []
        ids += [int(item["asset_id"]) for item in config.get("captions", []) if item.get("asset_id")]
        return ids

    def copy_config(self, config: Mapping[str, Any], asset_map: Mapping[int, int]) -> dict[str, Any]:
        copied = dict(config)
        if copied.get("asset_id"):
            copied["asset_id"] = asset_map.get(int(copied["asset_id"]), copied["asset_id"])
        copied["captions"] = [
            {**item, "asset_id": asset_map.get(int(item["asset_id"]), item["asset_id"])}
            for item in config.get("captions", [])
        ]
        return copied
