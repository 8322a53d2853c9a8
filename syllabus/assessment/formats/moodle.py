"""Moodle's conventions shared by the three formats that come from Moodle (GIFT, Aiken, Moodle XML): category
paths, text formats turned into HTML, default question names, fractions written as percentages, and the size
check every importer makes before it reads a byte.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from html import escape

from syllabus.assessment.formats import base
from syllabus.catalog.richtext import html_to_text

TOO_MANY_ANSWERS = "A question holds at most {limit} answers (options, pairs, items, choices or units)."

# Far more than any type takes (their `clean` refuses more than 100 rows): the cap only stops a hostile file from
# costing minutes of parsing before the types refuse it.
MAX_ANSWERS = 200
# Moodle names a question after the start of its text when the file gives no name.
NAME_LENGTH = 80
NAME_SOURCE_LIMIT = 10_000  # characters of HTML read for those 80 characters of name
DEFAULT_NAME = "Question on line {line}"
EXPONENT_LIMIT = 30

# "$course$/top/Fire safety", "$system$/top/...", "$module$/...", "$cat1$/..." — the context prefix Moodle writes.
_CONTEXT = re.compile(r"^\$[a-z0-9]+\$$")
_BLANK_LINE = re.compile(r"\n[ \t]*\n\s*")
_SPACES = re.compile(r"\s+")


def questions(count: int) -> str:
    """ "1 question", "12 questions": for the summaries."""
    return "1 question" if count == 1 else f"{count} questions"


def too_large(content: bytes) -> base.Problem | None:
    """The whole-file refusal for an oversized upload, decided before anything is parsed."""
    if len(content) > base.MAX_FILE_BYTES:
        return base.Problem(base.TOO_LARGE.format(limit=base.MAX_FILE_BYTES // (1024 * 1024)))
    return None


def too_many(count: int) -> base.Problem | None:
    if count > base.MAX_QUESTIONS:
        return base.Problem(base.TOO_MANY.format(limit=base.MAX_QUESTIONS))
    return None


def category_path(raw: str) -> str:
    """A Moodle category path ("$course$/top/Fire safety/Extinguishers") as a path below the import's category
    ("Fire safety/Extinguishers"). Moodle doubles a slash that belongs to a name ("A//B" is the name "A/B");
    Syllabus paths cannot hold one, so it becomes a hyphen."""
    parts = [part.strip() for part in raw.replace("//", "\x00").split("/")]
    if parts and _CONTEXT.match(parts[0]):
        parts = parts[1:]
    if parts and parts[0] == "top":
        parts = parts[1:]
    return "/".join(part.replace("\x00", "-") for part in parts if part.replace("\x00", "").strip())


def plain_to_html(text: str, *, paragraphs: bool) -> str:
    """Plain text (or Moodle auto-format / Markdown, read as plain text) escaped into HTML: line breaks kept as
    <br>, and — for a question text — blank lines starting a new <p>."""
    text = text.strip()
    if not text:
        return ""
    if not paragraphs:
        return escape(text, quote=False).replace("\n", "<br>")
    blocks = [block.strip() for block in _BLANK_LINE.split(text) if block.strip()]
    return "".join(f"<p>{escape(block, quote=False).replace(chr(10), '<br>')}</p>" for block in blocks)


def name_from_html(html: str, *, line: int | None) -> str:
    """The name Moodle would give a question without one: the start of its text."""
    # Only the start is needed: the whole text of a 20 MB question (refused later, over TEXT_LIMIT) took a minute
    # to turn into words here. Cutting HTML mid-tag is harmless: the parser reads what it can.
    words = _SPACES.sub(" ", html_to_text(html[:NAME_SOURCE_LIMIT])).strip()
    if len(words) > NAME_LENGTH:
        words = words[: NAME_LENGTH - 1].rstrip() + "…"
    return words or DEFAULT_NAME.format(line=line or 0)


def decimal_string(value: Decimal) -> str:
    """A finite Decimal as JSON data keeps it: "0.5", "3", "-0.3333333" (no exponent, no trailing zeros)."""
    text = format(value.normalize(), "f")
    return "0" if text in {"-0", "0"} else text


def parse_decimal(raw: str | None) -> Decimal | None:
    """A finite number from the file, or None."""
    if raw is None:
        return None
    try:
        value = Decimal(raw.strip())
    except (InvalidOperation, ValueError):
        return None
    # A finite but absurd exponent ("1e-999999") would print as a million digits: no question needs it.
    if not value.is_finite() or (value and not -EXPONENT_LIMIT <= value.adjusted() <= EXPONENT_LIMIT):
        return None
    return value


def percent_to_fraction(raw: str | None) -> str | None:
    """Moodle's percentage ("50", "-33.33333") as a fraction string ("0.5", "-0.3333333"), or None when it is not a
    number between -100 and 100."""
    value = parse_decimal(raw)
    if value is None or not Decimal(-100) <= value <= Decimal(100):
        return None
    return decimal_string(value / 100)


def fraction_to_percent(fraction: object) -> str:
    """The inverse, for export: "0.5" → "50"."""
    value = parse_decimal(str(fraction))
    return decimal_string(value * 100) if value is not None else "0"
