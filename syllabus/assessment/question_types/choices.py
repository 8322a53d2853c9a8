"""Helpers for question types whose content is a list of rows (options, answers, pairs, items, choices).

Public surface for every type (shortanswer, numerical and cloze import these read-only):
- `FRACTION_CHOICES` — Moodle's grade fractions as `(value, label)` pairs: 100% down to 5%, 0, then -5% to -100%;
- `clean_fraction(raw, field, *, row="")` — a fraction as a normalised decimal string in [-1, 1] ("0.5", "-1"),
  or `ValidationError({field: message})` (the message names `row`, e.g. "Answer 2", when given);
- `assign_ids(items, prefix)` — the rows with ids: valid given ids are kept, missing, malformed or repeated ones
  replaced by a new random id (`prefix` + 5 characters). Ids are random, not "a1, a2...", because authors usually
  write the right option first: a sequential id would tell a learner which option that was.

The rest serves the choice family (single, multiple and the types that show a list): option rows, the order of a
variant, the HTML of a row, grade fractions and the author form's rows.
"""

from __future__ import annotations

import random
import re
import secrets
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ValidationError
from django.utils.safestring import SafeString, mark_safe

from syllabus.assessment.question_types.base import ONE, ZERO
from syllabus.catalog.richtext import html_to_text, sanitize_html

if TYPE_CHECKING:
    from django.http import QueryDict

FRACTION_INVALID = "The grade must be a number from -1 to 1 (0.5 is 50%)."
ROW_FRACTION_INVALID = "{row}: the grade must be a number from -1 to 1 (0.5 is 50%)."
NOT_A_LIST = "Give the {noun}s as a list."
DATA_NOT_OBJECT = "The question's content must be a JSON object."
ROW_NOT_OBJECT = "{row}: each row must be an object with its fields."
ROW_TEXT_REQUIRED = "{row}: write its text (or clear the whole row)."
ROW_TEXT_TOO_LONG = "{row}: the text is too long (at most {limit} characters)."
ROW_FEEDBACK_TOO_LONG = "{row}: the feedback is too long (at most {limit} characters)."
ROW_NOT_TEXT = "{row}: the {part} must be text."
TOO_FEW_OPTIONS = "Give at least two options."
TOO_MANY_ROWS = "Give at most {limit} {noun}s."
FLAG_INVALID = "Choose yes or no for “{name}”."
UNEXPECTED_FIELDS = "The response has fields this question does not take."
NUMBERING_INVALID = "Choose a numbering style: abc, ABCD, 123 or none."

# Moodle's grade fractions (question_bank::fraction_options_full), as exact decimal strings.
FRACTION_VALUES: tuple[str, ...] = (
    "1", "0.9", "0.8333333", "0.8", "0.75", "0.7", "0.6666667", "0.6", "0.5", "0.4", "0.3333333", "0.3", "0.25",
    "0.2", "0.1666667", "0.1428571", "0.125", "0.1111111", "0.1", "0.05",
)  # fmt: skip
PLACES = Decimal("0.0000001")  # the 7 decimals Moodle keeps, and QuestionAnswer.fraction stores


def _percent(value: str) -> str:
    return f"{_plain_decimal(Decimal(value) * 100)}%"


def _plain_decimal(value: Decimal) -> str:
    """A decimal as JSON keeps it: "0.5", "1", "-0.3333333" (no exponent, no trailing zeros, no "-0")."""
    text = format(value.normalize(), "f")
    return "0" if text in {"-0", "0"} else text


FRACTION_CHOICES: tuple[tuple[str, str], ...] = (
    *((v, _percent(v)) for v in FRACTION_VALUES),
    ("0", "0%"),
    *((f"-{v}", _percent(f"-{v}")) for v in reversed(FRACTION_VALUES)),
)

MAX_ROWS = 50
HTML_LIMIT = 20_000  # characters of HTML per option text or feedback, before sanitising
PLAIN_LIMIT = 1_000  # characters of a plain-text row (a matching answer, a gap choice)
NUMBERINGS = ("abc", "ABCD", "123", "none")
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,24}$")
_ID_ALPHABET = string.ascii_lowercase + string.digits

Errors = dict[str, list[str]]
T = TypeVar("T")


def clean_fraction(raw: Any, field: str, *, row: str = "") -> str:
    """A grade fraction as a decimal string in [-1, 1], rounded to 7 places ("0.5"); empty means 0."""
    message = ROW_FRACTION_INVALID.format(row=row) if row else FRACTION_INVALID
    if raw is None or raw == "":
        return "0"
    if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal):
        raise ValidationError({field: message})
    text = str(raw).strip()
    if len(text) > 40:
        raise ValidationError({field: message})
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationError({field: message}) from None
    # The range first: quantizing "1e999999999" (or the float 1e308) to 7 places needs more digits than the context
    # holds and raised InvalidOperation, a 500 instead of this message. ±1.00000004 still rounds into range.
    if not value.is_finite() or value.copy_abs() > 2:  # copy_abs: abs() rounds to the context (Overflow)
        raise ValidationError({field: message})
    value = value.quantize(PLACES, rounding=ROUND_HALF_EVEN)
    if not -ONE <= value <= ONE:
        raise ValidationError({field: message})
    return _plain_decimal(value)


def new_id(prefix: str, taken: set[str]) -> str:
    while True:
        candidate = prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(5))
        if candidate not in taken:
            taken.add(candidate)
            return candidate


def assign_ids(items: Iterable[Mapping[str, Any]], prefix: str) -> list[dict[str, Any]]:
    """Copies of `items`, each with an "id": the given one when it is a short word not used by an earlier row."""
    rows = [dict(item) for item in items]
    taken: set[str] = set()
    keep: list[bool] = []
    for row in rows:
        given = row.get("id")
        ok = isinstance(given, str) and bool(ID_PATTERN.match(given)) and given not in taken
        if ok:
            taken.add(str(given))
        keep.append(ok)
    for row, ok in zip(rows, keep, strict=True):
        if not ok:
            row["id"] = new_id(prefix, taken)
    return rows


# --- cleaning rows ------------------------------------------------------------------------------------------------


def as_text(raw: Any) -> str | None:
    """A JSON scalar as text (numbers are fine: an option may be "42"); None for lists, objects and booleans."""
    if raw is None:
        return ""
    if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal):
        return None
    return str(raw)


def is_blank_html(html: str) -> bool:
    return not html_to_text(html).strip() and "<img" not in html


def clean_flag(data: Mapping[str, Any], name: str, *, default: bool, errors: Errors, label: str = "") -> bool:
    raw = data.get(name, default)
    if raw is None:
        return default
    if not isinstance(raw, bool):
        errors.setdefault(name, []).append(FLAG_INVALID.format(name=label or name))
        return default
    return raw


def clean_numbering(data: Mapping[str, Any], errors: Errors) -> str:
    raw = data.get("numbering", "abc")
    if raw in (None, ""):
        return "abc"
    if not isinstance(raw, str) or raw not in NUMBERINGS:
        errors.setdefault("numbering", []).append(NUMBERING_INVALID)
        return "abc"
    return raw


def rows_of(data: Mapping[str, Any], field: str, noun: str, errors: Errors) -> list[Any]:
    """The raw rows under `field`, or [] with an error when they are not a list or far too many."""
    raw = data.get(field, [])
    if raw is None:
        return []
    if not isinstance(raw, list | tuple):
        errors.setdefault(field, []).append(NOT_A_LIST.format(noun=noun))
        return []
    # Blank rows of the author form are dropped later; a list far longer than any form is refused unread.
    if len(raw) > MAX_ROWS * 2:
        errors.setdefault(field, []).append(TOO_MANY_ROWS.format(limit=MAX_ROWS, noun=noun))
        return []
    return list(raw)


def clean_html_part(raw: Any, *, field: str, row: str, part: str, errors: Errors) -> str:
    """A row's HTML part (text, feedback) sanitised, or "" with an error naming the row."""
    text = as_text(raw)
    if text is None:
        errors.setdefault(field, []).append(ROW_NOT_TEXT.format(row=row, part=part))
        return ""
    if len(text) > HTML_LIMIT:
        message = ROW_FEEDBACK_TOO_LONG if part == "feedback" else ROW_TEXT_TOO_LONG
        errors.setdefault(field, []).append(message.format(row=row, limit=f"{HTML_LIMIT:,}"))
        return ""
    return sanitize_html(text)


def clean_plain_part(raw: Any, *, field: str, row: str, part: str, errors: Errors, limit: int = PLAIN_LIMIT) -> str:
    """A row's plain-text part, stripped, with its inner whitespace collapsed to single spaces."""
    text = as_text(raw)
    if text is None:
        errors.setdefault(field, []).append(ROW_NOT_TEXT.format(row=row, part=part))
        return ""
    text = " ".join(text.split())
    if len(text) > limit:
        errors.setdefault(field, []).append(ROW_TEXT_TOO_LONG.format(row=row, limit=f"{limit:,}"))
        return ""
    return text


def clean_options(data: Mapping[str, Any], errors: Errors, *, field: str = "options") -> list[dict[str, Any]]:
    """Option rows {id, text, fraction, feedback}: blank rows dropped, HTML sanitised, fractions normalised.

    A row is blank when its text and feedback are empty and its grade is 0 (the author form's spare rows). Row
    numbers in messages count the rows as sent, so they match the form the author sees.
    """
    options: list[dict[str, Any]] = []
    for number, item in enumerate(rows_of(data, field, "option", errors), start=1):
        row = f"Option {number}"
        if not isinstance(item, Mapping):
            errors.setdefault(field, []).append(ROW_NOT_OBJECT.format(row=row))
            continue
        text = clean_html_part(item.get("text"), field=field, row=row, part="text", errors=errors)
        feedback = clean_html_part(item.get("feedback"), field=field, row=row, part="feedback", errors=errors)
        try:
            fraction = clean_fraction(item.get("fraction"), field, row=row)
        except ValidationError as exc:
            errors.setdefault(field, []).extend(exc.message_dict[field])
            fraction = "0"
        if is_blank_html(text):
            if not is_blank_html(feedback) or Decimal(fraction) != ZERO:
                errors.setdefault(field, []).append(ROW_TEXT_REQUIRED.format(row=row))
            continue
        options.append({"id": item.get("id"), "text": text, "fraction": fraction, "feedback": feedback})
    if len(options) > MAX_ROWS:
        errors.setdefault(field, []).append(TOO_MANY_ROWS.format(limit=MAX_ROWS, noun="option"))
    elif len(options) < 2:
        errors.setdefault(field, []).append(TOO_FEW_OPTIONS)
    return assign_ids(options, "a")


def fraction_of(row: Mapping[str, Any]) -> Decimal:
    """A stored row's fraction as a Decimal (0 when a hand-made row holds something else)."""
    try:
        value = Decimal(str(row.get("fraction", "0")))
    except InvalidOperation:
        return ZERO
    return value if value.is_finite() else ZERO


def only_keys(response: Mapping[str, Any], allowed: Iterable[str]) -> None:
    """Refuse a response carrying fields the type does not take (the message does not echo them back)."""
    if set(response) - set(allowed):
        raise ValidationError({"response": UNEXPECTED_FIELDS})


def raise_if(errors: Errors) -> None:
    if errors:
        raise ValidationError({field: list(dict.fromkeys(messages)) for field, messages in errors.items()})


# --- variants and learner views -----------------------------------------------------------------------------------


def shuffled(ids: Sequence[T], rng: random.Random, *, shuffle: bool) -> list[T]:
    """`ids` in the order a variant shows them: drawn from the attempt's `rng` when shuffling, else as given."""
    order = list(ids)
    if shuffle:
        rng.shuffle(order)
    return order


def in_order(rows: Sequence[Mapping[str, Any]], order: Any) -> list[Mapping[str, Any]]:
    """The rows in the variant's order. Ids the variant does not know follow at the end (a variant is the server's
    own JSON, but a question is never left unanswerable because of a stale one)."""
    by_id = {row["id"]: row for row in rows if isinstance(row.get("id"), str)}
    ordered = [by_id.pop(i) for i in (order if isinstance(order, list) else []) if isinstance(i, str) and i in by_id]
    return ordered + list(by_id.values())


def number_label(numbering: str, index: int) -> str:
    """ "a.", "B.", "3." for the option at 0-based `index`; "" for "none"."""
    if numbering == "none":
        return ""
    if numbering == "123":
        return f"{index + 1}."
    letters = string.ascii_lowercase if numbering == "abc" else string.ascii_uppercase
    label, n = "", index
    while True:
        label = letters[n % 26] + label
        n = n // 26 - 1
        if n < 0:
            return f"{label}."


_SINGLE_PARAGRAPH = re.compile(r"^<p>((?:(?!<p>|</p>).)*)</p>$", re.DOTALL)


def inline_html(html: str) -> SafeString:
    """Sanitised HTML to show inside a label: one paragraph loses its <p> so it sits beside its radio button."""
    cleaned = sanitize_html(html or "")
    match = _SINGLE_PARAGRAPH.match(cleaned)
    return mark_safe(match.group(1) if match else cleaned)  # sanitize_html's output


def block_html(html: str) -> SafeString:
    return mark_safe(sanitize_html(html or ""))  # sanitize_html's output


def plain(html: str) -> str:
    """One line of plain text from HTML, for right answers and summaries."""
    return " ".join(html_to_text(html or "").split())


def grade_fraction(value: Decimal) -> Decimal:
    """A grade's fraction: clamped to 0..1 and rounded to the 7 places an answer stores (regrades compare them)."""
    # Through the plain string, so 0 reads "0" (not "0E-7") wherever the fraction is shown or stored.
    return Decimal(_plain_decimal(max(ZERO, min(ONE, value)).quantize(PLACES, rounding=ROUND_HALF_EVEN)))


def ratio(part: int, whole: int) -> Decimal:
    return grade_fraction(Decimal(part) / Decimal(whole)) if whole else ZERO


_SMALL_INT = re.compile(r"^[0-9]{1,9}$")


def small_int(raw: Any) -> int | None:
    """A whole number 0..999999999 given as a JSON integer or ASCII digits ("3"); None for anything else."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw if 0 <= raw < 10**9 else None
    if isinstance(raw, str) and _SMALL_INT.match(raw.strip()):
        return int(raw.strip())
    return None


def position_of(raw: Any, count: int) -> int | None:
    """A 1-based position posted by a form ("3"), as a 0-based index; None when it is not one."""
    number = small_int(raw) if isinstance(raw, str) else None
    return number - 1 if number is not None and 1 <= number <= count else None


# --- author form rows ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FractionOption:
    value: str
    label: str
    selected: bool


def fraction_options(current: Any) -> list[FractionOption]:
    """The grade select's options with `current` selected; a value outside Moodle's list (an import's 0.45) is
    offered too, so saving the form unchanged keeps it."""
    try:
        value = clean_fraction(current, "fraction")
    except ValidationError:
        value = "0"
    options = [FractionOption(v, label, v == value) for v, label in FRACTION_CHOICES]
    if value not in {v for v, _ in FRACTION_CHOICES}:
        options.insert(0, FractionOption(value, _percent(value), True))
    return options


def spare_rows(count: int, *, minimum: int = 5, extra: int = 2) -> int:
    """How many blank rows the author form adds: 5 on a new question, 2 after existing rows (no JavaScript needed
    to add more: saving with the spare rows filled gives two new spare rows)."""
    return max(minimum - count, extra)


def posted_rows(post: QueryDict, prefix: str, field: str, parts: Sequence[str]) -> list[dict[str, Any]]:
    """Rows `{prefix}{field}-{i}-{part}` of a form post, in order, while any part of row i is present."""
    rows: list[dict[str, Any]] = []
    for index in range(MAX_ROWS * 2):
        keys = {part: f"{prefix}{field}-{index}-{part}" for part in parts}
        if not any(key in post for key in keys.values()):
            break
        rows.append({part: post.get(key, "") for part, key in keys.items()})
    return rows


def option_rows(options: Any, prefix: str) -> list[dict[str, Any]]:
    """The author form's option rows: the question's options, then spare blank rows."""
    rows: list[dict[str, Any]] = []
    given = [item for item in options if isinstance(item, Mapping)] if isinstance(options, list) else []
    for item in given[: MAX_ROWS * 2]:
        rows.append(
            {
                "id": item.get("id") if isinstance(item.get("id"), str) else "",
                "text": as_text(item.get("text")) or "",
                "feedback": as_text(item.get("feedback")) or "",
                "fractions": fraction_options(item.get("fraction")),
            }
        )
    for _ in range(spare_rows(len(rows))):
        rows.append({"id": "", "text": "", "feedback": "", "fractions": fraction_options("0")})
    for index, row in enumerate(rows):
        row["index"] = index
        row["number"] = index + 1
        row["html_id"] = f"{prefix}options-{index}"
    return rows
