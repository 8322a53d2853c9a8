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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import formats, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from syllabus.notifications.types import NotificationType

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
# Anything brace-like outside the valid placeholders is a typo the author should hear about.
STRAY_BRACES = re.compile(r"\{\{|\}\}|\{%|%\}")
STRAY_OPENING = re.compile(r"\{[{%]")
STRAY_CLOSING = re.compile(r"[}%]\}+")
WORD_BEFORE = re.compile(r"[^\s{}%]*[ \t]*$")
# The error quotes the whole offending token ("{{ course|upper }}"); one without an end stops at its line's end,
# and a longer one is cut here, so a stray "{{" before a long paragraph does not quote the paragraph.
STRAY_SHOWN_MAX = 60

ERROR_UNKNOWN = "Unknown placeholder {name}: this notification offers {known}."
ERROR_STRAY = "“{text}” is not a placeholder: write placeholders as {{{{ name }}}}."
SUBJECT_MAX = 300
# The longest body an organisation may write (the form, the API and template_save all hold to it).
BODY_MAX = 10_000


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
    errors.extend(_(ERROR_STRAY).format(text=token) for token in _stray_tokens(text))
    return errors


def _stray_tokens(text: str) -> list[str]:
    """Each brace-like token outside the valid placeholders, whole: from its opening braces to its closing ones
    (`{{ course|upper }}`, `{% if x %}`), or a closing pair with the word before it (`name }}`)."""
    valid = [match.span() for match in PLACEHOLDER.finditer(text)]
    tokens: list[str] = []
    position = 0
    while match := STRAY_BRACES.search(text, position):
        start, end = match.span()
        inside = next((span_end for span_start, span_end in valid if span_start <= start < span_end), None)
        if inside is not None:
            position = inside
            continue
        if STRAY_OPENING.fullmatch(match.group()):
            while end < len(text) and text[end] == "{":
                end += 1  # "{{{{ name }}}}" is one token, not a stray "{{" before a valid placeholder
            line_end = text.find("\n", end)
            limit = line_end if line_end >= 0 else len(text)
            following = STRAY_OPENING.search(text, end, limit)
            if following:
                limit = following.start()
            closing = STRAY_CLOSING.search(text, end, limit)
            begin, stop = start, closing.end() if closing else limit
        else:
            word = WORD_BEFORE.search(text, position, start)
            begin, stop = word.start() if word else start, end
            while stop < len(text) and text[stop] == "}":
                stop += 1
        token = text[begin:stop].strip()
        if len(token) > STRAY_SHOWN_MAX:
            token = token[: STRAY_SHOWN_MAX - 1] + "…"
        if token not in tokens:
            tokens.append(token)
        position = max(stop, end)
    return tokens


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
    *,
    subject: str | Promise,
    body: str | Promise,
    context: Mapping[str, Any],
    language: str,
    time_zone: str,
    keep: Iterable[str] = (),
) -> Rendered:
    """Fill in the placeholders in `language` (one pass; unknown names become empty). Names in `keep` stay as
    placeholders, for the channel to fill in when it sends (`fill_at_send`)."""
    with translation.override(language or "en"):
        values = {name: format_value(value, time_zone=time_zone) for name, value in context.items()}
        values.update({name: f"{{{{ {name} }}}}" for name in keep})
        rendered_subject = " ".join(substitute(str(subject), values).split())[:SUBJECT_MAX]
        rendered_body = substitute(str(body), values).strip()
    return Rendered(subject=rendered_subject, body=rendered_body)


def fill_at_send(text: str, values: Mapping[str, str]) -> str:
    """Fill in only the placeholders a type keeps for send time (one pass); every other text stays as it is."""
    return PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def sample_context(kind: NotificationType) -> dict[str, str]:
    return {name: str(placeholder.sample) for name, placeholder in kind.placeholders.items()}
