"""Link: an external web page, opened in a new tab — or shown in a sandboxed iframe when its host is on the
organisation's embed allow-list (CatalogSettings.embed_allowlist). Complete when opened."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from syllabus.catalog import course_access
from syllabus.catalog.activity_kinds import fields
from syllabus.catalog.activity_kinds.base import ActivityKind, AuthorContext, CompletionRule, LearnerContext
from syllabus.catalog.models import Course

URL_REQUIRED = "Enter the address of the page."
URL_INVALID = "Enter a full web address starting with https:// or http://."
URL_TOO_LONG = "The address is too long (at most {limit} characters)."
DISPLAY_INVALID = "Choose how the page opens."
EMBED_NOT_ALLOWED = (
    "{host} is not on your organisation's list of sites that may be shown inside a course: "
    "choose “Open in a new tab”, or ask an administrator to add it."
)
DESCRIPTION_TOO_LONG = "The description is too long (at most {limit} characters)."
MAX_URL_LENGTH = 2000
MAX_DESCRIPTION = 5000
NEW_TAB = "new_tab"
EMBED = "embed"
_HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def normalise_url(raw: str) -> tuple[str, str]:
    """(URL, host) of an http(s) address, or ValueError. No other scheme, no credentials, a real host name."""
    raw = (raw or "").strip()
    if not raw:
        raise ValueError(URL_REQUIRED)
    if len(raw) > MAX_URL_LENGTH:
        raise ValueError(URL_TOO_LONG.format(limit=MAX_URL_LENGTH))
    if any(ord(char) < 33 for char in raw):
        raise ValueError(URL_INVALID)
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise ValueError(URL_INVALID) from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if scheme not in ("http", "https") or parts.username or parts.password or not _HOST.match(host):
        raise ValueError(URL_INVALID)
    default_port = 443 if scheme == "https" else 80
    netloc = host if port in (None, default_port) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, parts.fragment)), host


def allowlist_of(organization_id: int) -> frozenset[str]:
    settings_row = course_access.catalog_settings(organization_id)
    return frozenset(line.strip().lower() for line in settings_row.embed_allowlist.splitlines() if line.strip())


def embeds(config: Mapping[str, Any], allowlist: frozenset[str]) -> bool:
    """Shown in an iframe: asked for, https, and the host is on the allow-list *now* (it may have shrunk)."""
    return (
        config.get("display") == EMBED
        and str(config.get("url", "")).startswith("https://")
        and str(config.get("host", "")) in allowlist
    )


class LinkKind(ActivityKind):
    key = "link"
    label = _("Link")
    description = _("A web page elsewhere: opened in a new tab, or shown in the course if the site is allowed.")
    signals = ("opened",)
    completion_rules = (CompletionRule("opened", _("When the learner opens it"), ("opened",)),)
    author_template = "catalog/kinds/link/author.html"

    def form_fields(self, *, current: Mapping[str, Any], course: Course | None = None) -> list[dict[str, Any]]:
        return [
            {
                "name": "url",
                "label": _("Web address"),
                "type": "url",
                "value": current.get("url", ""),
                "required": True,
                "maxlength": MAX_URL_LENGTH,
            },
            {
                "name": "display",
                "label": _("Opens"),
                "type": "radio",
                "value": current.get("display", NEW_TAB),
                "choices": [
                    (NEW_TAB, _("In a new tab")),
                    (EMBED, _("Inside the course (only sites your organisation allows)")),
                ],
            },
            {
                "name": "description",
                "label": _("Description"),
                "type": "textarea",
                "rows": 3,
                "value": current.get("description", ""),
                "help": _("Optional: what the learner will find there."),
            },
        ]

    def clean(self, *, data: Mapping[str, Any], files: Mapping[str, Any], context: AuthorContext) -> dict[str, Any]:
        errors: dict[str, str] = {}
        url = host = ""
        try:
            url, host = normalise_url(fields.text(data, "url"))
        except ValueError as exc:
            errors["url"] = str(exc)
        display = fields.text(data, "display") or NEW_TAB
        if display not in (NEW_TAB, EMBED):
            errors["display"] = DISPLAY_INVALID
        elif (
            display == EMBED
            and host
            and (host not in allowlist_of(context.course.organization_id) or not url.startswith("https://"))
        ):
            errors["display"] = EMBED_NOT_ALLOWED.format(host=host)
        description = fields.text(data, "description")
        if len(description) > MAX_DESCRIPTION:
            errors["description"] = DESCRIPTION_TOO_LONG.format(limit=f"{MAX_DESCRIPTION:,}")
        if errors:
            raise ValidationError(errors)
        return {"url": url, "host": host, "display": display, "description": description}

    def render_learner(self, context: LearnerContext) -> SafeString:
        config = context.activity["config"]
        return mark_safe(
            render_to_string(
                "catalog/kinds/link/learner.html",
                {
                    "ctx": context,
                    "config": config,
                    "embed": embeds(config, context.embed_allowlist),
                    # New-tab links go through the "open" endpoint, which records "opened" (direct in a preview).
                    "open_url": context.open_url or config.get("url", ""),
                },
                request=context.request,
            )
        )

    def signals_on_open(self, config: Mapping[str, Any]) -> tuple[str, ...]:
        # Only an embed is "opened" by opening the activity; otherwise the learner must follow the link. The
        # player checks the allow-list again before showing the iframe (see `embeds`).
        return ("opened",) if config.get("display") == EMBED else ()

    def open_target(self, *, config: Mapping[str, Any], context: LearnerContext) -> str | None:
        try:
            url, _host = normalise_url(str(config.get("url", "")))
        except ValueError:
            return None
        return url

    def csp_for(self, *, config: Mapping[str, Any], context: LearnerContext) -> dict[str, list[str]]:
        if not embeds(config, context.embed_allowlist):
            return {}
        parts = urlsplit(str(config["url"]))
        return {"frame-src": [f"https://{parts.netloc}"]}

    def search_text(self, config: Mapping[str, Any]) -> str:
        return str(config.get("description", ""))

    def describe(self, config: Mapping[str, Any]) -> dict[str, str]:
        return {
            str(_("Web address")): str(config.get("url", "")),
            str(_("Opens")): str(_("inside the course")) if config.get("display") == EMBED else str(_("in a new tab")),
            str(_("Description")): str(config.get("description", "")),
        }
