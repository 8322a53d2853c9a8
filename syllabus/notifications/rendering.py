"""Wording with safe placeholders: `{{ learner_name }}` and nothing else.

Templates are written by organisation admins, and placeholder values come from people (names, course titles), so
neither may execute anything: there are no tags, filters or attribute lookups, only names the type declares, and
substitution is one pass (a value that itself reads "{{ reset_link }}" stays that text). Values are plain text; the
HTML email escapes them when it builds paragraphs (see channels/email). Subjects lose line breaks, so a value cannot
add an email header.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import formats, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from syllabus.notifications.types import NotificationType

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
# Anything brace-like left once the valid placeholders are taken out is a typo the author should hear about.
STRAY_BRACES = re.compile(r"\{\{|\}\}|\{%|%\}")

ERROR_UNKNOWN = "Unknown placeholder {name}: this notification offers {known}."
ERROR_STRAY = "“{text}” is not a placeholder: write placeholders as {{{{ name }}}}."
SUBJECT_MAX = 300


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def template_errors(text: str, kind: NotificationType) -> list[str]:
    """What is wrong with an author's subject or body (empty when it can be saved)."""
    errors = []
    known = ", ".join(f"{{{{ {name} }}}}" for name in kind.placeholders) or _("no placeholders")
    for name in PLACEHOLDER.findall(text):
        if name not in kind.placeholders:
            errors.append(_(ERROR_UNKNOWN).format(name=f"{{{{ {name} }}}}", known=known))
    stray = STRAY_BRACES.search(PLACEHOLDER.sub("", text))
    if stray:
        start = max(stray.start() - 10, 0)
        errors.append(_(ERROR_STRAY).format(text=PLACEHOLDER.sub("", text)[start : stray.end() + 10]))
    return errors


def format_value(value: Any, *, time_zone: str) -> str:
    """A context value as the recipient reads it: dates and numbers in their language, times in their time zone."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        try:
            zone = zoneinfo.ZoneInfo(time_zone or "UTC")
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = zoneinfo.ZoneInfo("UTC")
        # A naive datetime is a caller's slip (USE_TZ is on); read it as UTC rather than print "(None)".
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        local = aware.astimezone(zone)
        return f"{formats.date_format(local, 'DATETIME_FORMAT')} ({local.tzname()})"
    if isinstance(value, dt.date):
        return formats.date_format(value, "DATE_FORMAT")
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return formats.localize(value)  # "1,5" for a French reader
    return str(value)


def substitute(text: str, values: Mapping[str, str]) -> str:
    return PLACEHOLDER.sub(lambda match: values.get(match.group(1), ""), text)


def render(
    *, subject: str | Promise, body: str | Promise, context: Mapping[str, Any], language: str, time_zone: str
) -> Rendered:
    """Fill in the placeholders in `language` (one pass; unknown names become empty)."""
    with translation.override(language or "en"):
        values = {name: format_value(value, time_zone=time_zone) for name, value in context.items()}
        rendered_subject = " ".join(substitute(str(subject), values).split())[:SUBJECT_MAX]
        rendered_body = substitute(str(body), values).strip()
    return Rendered(subject=rendered_subject, body=rendered_body)


def sample_context(kind: NotificationType) -> dict[str, str]:
    return {name: str(placeholder.sample) for name, placeholder in kind.placeholders.items()}
