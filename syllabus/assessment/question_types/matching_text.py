"""Matching typed responses against authored answers — shared by shortanswer, numerical, calculated and cloze.

- Text: `*` is a wildcard for any run of characters, `\\*` a literal star; whitespace is trimmed and inner runs
  collapsed; without case sensitivity both sides are Unicode case-folded ("STRASSE" matches "straße"). Matching is
  a linear scan, never a regular expression, so a hostile pattern cannot backtrack for ever.
- Numbers: a response is a decimal number with an optional exponent ("1.5e3"), then an optional unit ("250 cm").
  A decimal comma is read only when it cannot be a thousands separator ("1,5" yes, "1,500" no); thousands
  separators are refused. Units follow Moodle: the answer is in the first unit (multiplier 1), a response in a unit
  with multiplier k is divided by k (units m=1, cm=100: "250 cm" is 2.5).
- The answer lists these types share: ids, grade fractions (Moodle's grades, any decimal in 0..1), feedback, units.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation, localcontext
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from syllabus.assessment.formulas import decimal_string as decimal_str
from syllabus.assessment.question_types.base import ONE, ZERO, Grade, clamp, state_for
from syllabus.catalog import richtext

if TYPE_CHECKING:
    from django.http import QueryDict

    from syllabus.assessment.question_types.base import RenderContext

# --- messages -----------------------------------------------------------------------------------------------------
NOT_A_NUMBER = "Enter a number, such as 2.5 or -1.5e3."
THOUSANDS_SEPARATOR = "Write the number without thousands separators or spaces (12500, not 12,500)."
NUMBER_OUT_OF_RANGE = "That number is too large or too small."
NUMBER_ONLY = "Enter a number only: this answer takes no unit."
UNKNOWN_UNIT = "This question does not accept the unit “{unit}”."
UNIT_RESPONSE_TOO_LONG = "The unit is too long (at most {limit} characters)."
RESPONSE_TOO_LONG = "The answer is too long (at most {limit} characters)."
RESPONSE_NOT_TEXT = "The answer must be text."

DATA_NOT_AN_OBJECT = "The question's content must be a JSON object."
ANSWERS_REQUIRED = "Give at least one answer."
TOO_MANY_ANSWERS = "Give at most {limit} answers."
ANSWERS_NOT_A_LIST = "The answers must be a list."
ANSWER_NOT_AN_OBJECT = "Answer {row}: must be an object."
ANSWER_FULL_MARKS = "One of the answers must be worth 100% so that full marks are possible."
ANSWER_BAD_ID = "Answer {row}: the id must be 1 to 32 letters, digits, - or _."
ANSWER_DUPLICATE_ID = "Answer {row}: the id {id} is used twice."
FRACTION_RANGE = "Answer {row}: the grade is a decimal from 0 to 1 (0.5 is 50%)."
FEEDBACK_TOO_LONG = "Answer {row}: the feedback is too long (at most {limit} characters)."

UNITS_NOT_A_LIST = "The units must be a list."
TOO_MANY_UNITS = "Give at most {limit} units."
UNIT_NOT_AN_OBJECT = "Unit {row}: must be an object."
UNIT_REQUIRED = "Unit {row}: write the unit."
UNIT_TOO_LONG = "Unit {row}: keep the unit under {limit} characters."
UNIT_STARTS_WITH_NUMBER = "Unit {row}: a unit cannot start with a digit, a sign or a decimal point."
UNIT_DUPLICATE = "Unit {row}: the unit {unit} is listed twice."
UNIT_MULTIPLIER = "Unit {row}: the multiplier is a positive number."
UNIT_FIRST_MULTIPLIER = "The first unit is the answer's unit: its multiplier is 1."
UNITS_NEEDED = "Add at least one unit, or set the unit handling to “no units”."
UNIT_HANDLING_CHOICE = "Choose how units are handled: none, optional or required."
UNIT_PENALTY_RANGE = "The unit penalty is a decimal from 0 to 1 (0.1 is 10% of the mark)."

MAX_ANSWERS = 50
MAX_UNITS = 20
UNIT_LIMIT = 30
MAX_RESPONSE_CHARS = 1000
MAX_NUMBER_CHARS = 60
# A typed number with its unit, as the learner's input allows it.
MAX_NUMBER_RESPONSE = 100
FEEDBACK_LIMIT = 20_000
# Numbers beyond this many powers of ten are refused: no sensible answer needs them, and they keep Decimal cheap.
MAX_POWER = 300
# Precision for tolerance arithmetic: enough digits for the difference of any two accepted numbers (their powers of
# ten span at most 2 × MAX_POWER), so a response on the boundary of the tolerance is judged exactly.
PRECISION = 2 * MAX_POWER + 2 * MAX_NUMBER_RESPONSE + 20

UNIT_HANDLINGS = ("none", "optional", "required")
DEFAULT_UNIT_PENALTY = "0.1"

# Moodle's grade choices (question/format and edit forms), without the negative ones these types do not use.
FRACTION_CHOICES: tuple[str, ...] = (
    "1", "0.9", "0.8333333", "0.8", "0.75", "0.7", "0.6666667", "0.6", "0.5", "0.4", "0.3333333", "0.3", "0.25",
    "0.2", "0.1666667", "0.1428571", "0.125", "0.1111111", "0.1", "0.05", "0",
)  # fmt: skip

_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
# A number: sign (ASCII or the minus sign), digits with an optional decimal point or comma, an optional exponent.
_NUMBER = re.compile(r"^\s*([+\-\u2212]?)(\d*)(?:([.,])(\d*))?(?:[eE]([+\-\u2212]?\d+))?")


# --- text ---------------------------------------------------------------------------------------------------------
def normalise_space(text: str) -> str:
    """Trimmed, with every run of whitespace (any Unicode space, tabs, newlines) made one space."""
    return " ".join(text.split())


def _fold(text: str, case_sensitive: bool) -> str:
    # NFC first so a composed "é" and "e" + combining accent compare equal; casefold handles ß, ﬁ, Σ...
    text = unicodedata.normalize("NFC", text)
    return text if case_sensitive else unicodedata.normalize("NFC", text.casefold())


def _segments(pattern: str) -> list[str]:
    """The literal pieces between unescaped `*` wildcards ("a*b\\*c" → ["a", "b*c"])."""
    pieces, current, i = [], [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern) and pattern[i + 1] == "*":
            current.append("*")
            i += 2
            continue
        if char == "*":
            pieces.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    pieces.append("".join(current))
    return pieces


def has_wildcard(pattern: str) -> bool:
    return len(_segments(pattern)) > 1


def unescape_stars(pattern: str) -> str:
    """The answer as a learner would type it (for "the right answer is ...")."""
    return pattern.replace("\\*", "*")


def text_matches(pattern: str, response: str, *, case_sensitive: bool) -> bool:
    """Whether a (normalised) response matches an answer pattern with `*` wildcards."""
    pieces = [_fold(p, case_sensitive) for p in _segments(normalise_space(pattern))]
    subject = _fold(normalise_space(response), case_sensitive)
    if len(pieces) == 1:
        return subject == pieces[0]
    first, *middle, last = pieces
    if not subject.startswith(first) or len(subject) < len(first) + len(last) or not subject.endswith(last):
        return False
    # Leftmost placement of each middle piece is optimal for a `*`-only pattern: linear, no backtracking.
    position, end = len(first), len(subject) - len(last)
    for piece in middle:
        found = subject.find(piece, position, end)
        if found < 0:
            return False
        position = found + len(piece)
    return True


def clean_text_response(raw: Any, field: str = "text") -> str:
    """A typed answer, normalised; ValidationError({field: ...}) when it is not text or is too long."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise ValidationError({field: RESPONSE_NOT_TEXT})
    if len(raw) > MAX_RESPONSE_CHARS:
        raise ValidationError({field: RESPONSE_TOO_LONG.format(limit=MAX_RESPONSE_CHARS)})
    # NUL is no character a learner types, and PostgreSQL's jsonb refuses "\u0000": saving it was a 500.
    return normalise_space(raw.replace("\x00", ""))


# --- numbers ------------------------------------------------------------------------------------------------------
class NumberError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def split_number(raw: str) -> tuple[str, str]:
    """A response split into its number (normalised for `Decimal`: "1,5" → "1.5") and the unit after it.

    NumberError when there is no number, the number is ambiguous or out of range.
    """
    text = normalise_space(raw)
    if len(text) > MAX_NUMBER_RESPONSE:
        raise NumberError(RESPONSE_TOO_LONG.format(limit=MAX_NUMBER_RESPONSE))
    match = _NUMBER.match(text)
    if match is None or not (match.group(2) or match.group(4)):
        raise NumberError(NOT_A_NUMBER)
    sign, whole, point, fraction, exponent = match.groups()
    unit = text[match.end() :].strip()
    # "1,500" reads as one thousand five hundred in English and one and a half in French: refuse it.
    if point == "," and (len(fraction) == 3 or not whole):
        raise NumberError(THOUSANDS_SEPARATOR)
    if unit[:1] in {",", ".", " "} or unit[:1].isdigit() or (unit[:1] in "+-\u2212" and unit[1:2].isdigit()):
        raise NumberError(THOUSANDS_SEPARATOR if unit[:1].isdigit() or unit[:1] in ",." else NOT_A_NUMBER)
    number = ("-" if sign in {"-", "\u2212"} else "") + (whole or "0")
    if point:
        number += "." + (fraction or "0")
    if exponent:
        if len(exponent.lstrip("+-\u2212")) > 6:
            raise NumberError(NUMBER_OUT_OF_RANGE)
        number += "e" + exponent.replace("\u2212", "-")
    value = Decimal(number)
    if not value.is_zero() and not -MAX_POWER <= value.adjusted() <= MAX_POWER:
        raise NumberError(NUMBER_OUT_OF_RANGE)
    return number, unit


def parse_number(raw: str) -> Decimal:
    """A number alone (no unit); NumberError otherwise."""
    number, unit = split_number(raw)
    if unit:
        raise NumberError(NUMBER_ONLY)
    return Decimal(number)


def clean_decimal(raw: Any, *, low: Decimal | None = None, high: Decimal | None = None) -> Decimal | None:
    """An authored decimal (a string, int or float from JSON, or a Decimal), or None when it is not one or is out
    of range."""
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, float):
        raw = repr(raw)  # the float's shortest decimal, not its binary expansion
    if isinstance(raw, int | Decimal):
        raw = str(raw)
    if not isinstance(raw, str) or len(raw.strip()) > MAX_NUMBER_CHARS:
        return None
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        return None
    if not value.is_finite() or (not value.is_zero() and not -MAX_POWER <= value.adjusted() <= MAX_POWER):
        return None
    if (low is not None and value < low) or (high is not None and value > high):
        return None
    return value


def within(response: Decimal, answer: Decimal, tolerance: Decimal) -> bool:
    """|response − answer| ≤ tolerance, computed exactly."""
    with localcontext() as context:
        context.prec = PRECISION
        return abs(response - answer) <= abs(tolerance)


def convert(value: Decimal, unit: str, *, units: Sequence[Mapping[str, Any]], handling: str) -> tuple[Decimal, bool]:
    """The response in the answer's unit, and whether its unit is right (a wrong unit costs the unit penalty).

    A missing or unknown unit leaves the value as it is (multiplier 1), as Moodle does.
    """
    if handling == "none" or not units:
        return value, True
    for candidate in units:
        if candidate["unit"] == unit:
            with localcontext() as context:
                context.prec = PRECISION
                return value / Decimal(candidate["multiplier"]), True
    return value, handling == "optional" and not unit


def with_unit_penalty(fraction: Decimal, unit_right: bool, penalty: Decimal) -> Decimal:
    return fraction if unit_right else clamp(fraction - penalty)


def clean_number_response(
    raw: Mapping[str, Any], *, units: Sequence[Mapping[str, Any]], handling: str
) -> dict[str, Any]:
    """`{value, unit}` from a response; `value` may also carry the unit ("250 cm"). `{}` when nothing is typed."""
    value, unit = raw.get("value", ""), raw.get("unit", "")
    if value is None:
        value = ""
    if unit is None:
        unit = ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = repr(value)
    if not isinstance(value, str) or not isinstance(unit, str):
        raise ValidationError({"value": RESPONSE_NOT_TEXT})
    if len(value) > MAX_RESPONSE_CHARS or len(unit) > MAX_RESPONSE_CHARS:
        raise ValidationError({"value": RESPONSE_TOO_LONG.format(limit=MAX_NUMBER_RESPONSE)})
    # NUL dropped as in clean_text_response: an unknown unit is kept (to be marked down) and jsonb refuses it.
    value, unit = normalise_space(value.replace("\x00", "")), normalise_space(unit.replace("\x00", ""))
    if not value:
        if unit:
            raise ValidationError({"value": NOT_A_NUMBER})
        return {}
    try:
        number, typed_unit = split_number(value)
    except NumberError as exc:
        raise ValidationError({"value": exc.message}) from None
    if typed_unit and unit and typed_unit != unit:
        raise ValidationError({"value": NOT_A_NUMBER})
    unit = unit or typed_unit
    if len(unit) > UNIT_LIMIT:
        raise ValidationError({"value": UNIT_RESPONSE_TOO_LONG.format(limit=UNIT_LIMIT)})
    if unit and (handling == "none" or not units):
        raise ValidationError({"value": NUMBER_ONLY})
    if unit and handling == "optional" and unit not in {u["unit"] for u in units}:
        # Units are optional, so an unknown one is a slip to point out, not a mistake to mark down.
        raise ValidationError({"value": UNKNOWN_UNIT.format(unit=unit[:UNIT_LIMIT])})
    return {"value": number, "unit": unit}


def grade_number(
    response: Mapping[str, Any],
    *,
    answers: Sequence[Mapping[str, Any]],
    units: Sequence[Mapping[str, Any]],
    handling: str,
    penalty: Any,
    matches: Callable[[Mapping[str, Any], Decimal], bool],
) -> Grade:
    """The grade of a number response: the first answer that `matches` the value (in the answer's unit) gives
    its fraction and feedback, less the unit penalty when the unit is wrong or missing (required units)."""
    raw = response.get("value", "")
    if not isinstance(raw, str) or not raw:
        return Grade(ZERO, "gave_up")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return Grade(ZERO, "wrong")
    if not value.is_finite():
        return Grade(ZERO, "wrong")
    unit = response.get("unit", "")
    converted, unit_right = convert(value, unit if isinstance(unit, str) else "", units=units, handling=handling)
    for answer in answers:
        if matches(answer, converted):
            fraction = clamp(Decimal(str(answer.get("fraction", "0"))))
            if handling == "required":
                fraction = with_unit_penalty(fraction, unit_right, clean_decimal(penalty, low=ZERO) or ZERO)
            feedback = str(answer.get("feedback") or "")
            return Grade(fraction, state_for(fraction), (feedback,) if feedback else ())
    return Grade(ZERO, "wrong")


def summarise_number(response: Mapping[str, Any]) -> str:
    value = str(response.get("value", ""))
    unit = str(response.get("unit", ""))
    return f"{value} {unit}".strip()


# --- authored answer lists ----------------------------------------------------------------------------------------
def answer_rows(raw: Any, *, field: str = "answers", limit: int = MAX_ANSWERS) -> list[Mapping[str, Any]]:
    """The list of answer objects of `data`, or ValidationError({field: ...})."""
    if raw is None:
        raw = []
    if not isinstance(raw, list | tuple):
        raise ValidationError({field: ANSWERS_NOT_A_LIST})
    if len(raw) > limit:
        raise ValidationError({field: TOO_MANY_ANSWERS.format(limit=limit)})
    for row, item in enumerate(raw, start=1):
        if not isinstance(item, Mapping):
            raise ValidationError({field: ANSWER_NOT_AN_OBJECT.format(row=row)})
    return list(raw)


def assign_ids(items: list[dict[str, Any]], given: Sequence[Any], *, prefix: str = "a") -> list[str]:
    """Keep each given id (checked: short, safe, unique) and give the others the next free `<prefix><n>`.

    Returns the errors (one message per bad row); ids are written into `items`.
    """
    errors: list[str] = []
    taken: set[str] = set()
    for row, raw in enumerate(given, start=1):
        if raw in (None, ""):
            continue
        if not isinstance(raw, str) or not _ID.match(raw):
            errors.append(ANSWER_BAD_ID.format(row=row))
        elif raw in taken:
            errors.append(ANSWER_DUPLICATE_ID.format(row=row, id=raw))
        else:
            taken.add(raw)
            items[row - 1]["id"] = raw
    counter = 0
    for item in items:
        if item.get("id"):
            continue
        counter += 1
        while f"{prefix}{counter}" in taken:
            counter += 1
        item["id"] = f"{prefix}{counter}"
        taken.add(item["id"])
    return errors


def clean_fraction(raw: Any) -> str | None:
    """A grade fraction in 0..1 as a decimal string ("0.5"), or None when it is not one."""
    value = clean_decimal(raw, low=ZERO, high=ONE)
    return None if value is None else decimal_str(value)


def clean_feedback(raw: Any) -> str | None:
    """Sanitised feedback HTML, or None when it is not text or too long."""
    if raw in (None, ""):
        return ""
    if not isinstance(raw, str) or len(raw) > FEEDBACK_LIMIT:
        return None
    return richtext.sanitize_html(raw)


def clean_answer_common(item: Mapping[str, Any], row: int, errors: dict[str, list[str]], field: str) -> dict[str, Any]:
    """The fraction and feedback of an answer row (every type of this family has them)."""
    fraction = clean_fraction(item.get("fraction", "0"))
    if fraction is None:
        errors.setdefault(field, []).append(FRACTION_RANGE.format(row=row))
    feedback = clean_feedback(item.get("feedback"))
    if feedback is None:
        errors.setdefault(field, []).append(FEEDBACK_TOO_LONG.format(row=row, limit=f"{FEEDBACK_LIMIT:,}"))
    return {"fraction": fraction, "feedback": feedback or ""}


def clean_units(data: Mapping[str, Any], errors: dict[str, list[str]]) -> tuple[list[dict[str, str]], str, str]:
    """`units`, `unit_handling` and `unit_penalty` of numerical and calculated data; problems go into `errors`."""
    handling = data.get("unit_handling") or "none"
    if handling not in UNIT_HANDLINGS:
        errors.setdefault("unit_handling", []).append(UNIT_HANDLING_CHOICE)
        handling = "none"
    penalty_raw = data.get("unit_penalty")
    penalty = clean_fraction(DEFAULT_UNIT_PENALTY if penalty_raw in (None, "") else penalty_raw)
    if penalty is None:
        errors.setdefault("unit_penalty", []).append(UNIT_PENALTY_RANGE)
        penalty = DEFAULT_UNIT_PENALTY
    raw_units = data.get("units") or []
    units: list[dict[str, str]] = []
    if not isinstance(raw_units, list | tuple):
        errors.setdefault("units", []).append(UNITS_NOT_A_LIST)
        return units, handling, penalty
    if len(raw_units) > MAX_UNITS:
        errors.setdefault("units", []).append(TOO_MANY_UNITS.format(limit=MAX_UNITS))
        return units, handling, penalty
    seen: set[str] = set()
    for row, item in enumerate(raw_units, start=1):
        if not isinstance(item, Mapping):
            errors.setdefault("units", []).append(UNIT_NOT_AN_OBJECT.format(row=row))
            continue
        unit = item.get("unit")
        unit = normalise_space(unit) if isinstance(unit, str) else ""
        if not unit:
            errors.setdefault("units", []).append(UNIT_REQUIRED.format(row=row))
            continue
        if len(unit) > UNIT_LIMIT:
            errors.setdefault("units", []).append(UNIT_TOO_LONG.format(row=row, limit=UNIT_LIMIT))
            continue
        if unit[0].isdigit() or unit[0] in "+-\u2212.,":
            errors.setdefault("units", []).append(UNIT_STARTS_WITH_NUMBER.format(row=row))
            continue
        if unit in seen:
            errors.setdefault("units", []).append(UNIT_DUPLICATE.format(row=row, unit=unit))
            continue
        seen.add(unit)
        multiplier = clean_decimal(item.get("multiplier", "1" if row == 1 else None))
        if multiplier is None or multiplier <= ZERO:
            errors.setdefault("units", []).append(UNIT_MULTIPLIER.format(row=row))
            continue
        if row == 1 and multiplier != ONE:
            errors.setdefault("units", []).append(UNIT_FIRST_MULTIPLIER)
            continue
        units.append({"unit": unit, "multiplier": decimal_str(multiplier)})
    if handling != "none" and not raw_units:
        errors.setdefault("units", []).append(UNITS_NEEDED)
    return units, handling, penalty


def require_full_marks(answers: Iterable[Mapping[str, Any]], errors: dict[str, list[str]], field: str) -> None:
    if not any(Decimal(a["fraction"]) == ONE for a in answers if a.get("fraction") is not None):
        errors.setdefault(field, []).append(ANSWER_FULL_MARKS)


def first_unit(units: Sequence[Mapping[str, Any]], handling: str) -> str:
    return units[0]["unit"] if units and handling != "none" else ""


# --- author forms -------------------------------------------------------------------------------------------------
_ROW_FIELD = re.compile(r"^(\d{1,3})-([a-z_]+)$")


def form_rows(
    post: QueryDict, prefix: str, name: str, fields: Sequence[str], *, content: Sequence[str]
) -> list[dict[str, str]]:
    """Rows of a repeated form block (`<prefix><name>-<n>-<field>`), in row order; rows whose `content` fields
    are all blank are left out (blank rows of the form, whose selects still post their defaults)."""
    head = f"{prefix}{name}-"
    rows: dict[int, dict[str, str]] = {}
    for key in post:
        if not key.startswith(head):
            continue
        match = _ROW_FIELD.match(key[len(head) :])
        if match is None or match.group(2) not in fields:
            continue
        rows.setdefault(int(match.group(1)), {})[match.group(2)] = post.get(key, "")
    ordered = [rows[n] for n in sorted(rows)]
    return [row for row in ordered if any((row.get(f) or "").strip() for f in content)]


def fraction_options(selected: str) -> list[tuple[str, str, bool]]:
    """(value, label, selected) for a grade select; a fraction outside Moodle's list (imported) is kept."""
    selected = clean_fraction(selected) or "0"
    values = list(FRACTION_CHOICES)
    if selected not in values:
        values.append(selected)
        values.sort(key=Decimal, reverse=True)
    options = []
    for value in values:
        percent = decimal_str(Decimal(value) * 100)
        options.append((value, f"{percent}%" if value != "0" else gettext("None"), value == selected))
    return options


# --- the learner view ---------------------------------------------------------------------------------------------
OUTCOMES = {
    "right": _("Correct"),
    "partial": _("Partially correct"),
    "wrong": _("Incorrect"),
    "gave_up": _("Not answered"),
}


def outcome_label(state: str) -> str:
    return str(OUTCOMES.get(state, ""))


def review_context(ctx: RenderContext, *, right_answer: Callable[[], str]) -> dict[str, Any]:
    """What of the grade the learner may see now, in words: only `ctx.review` opens each piece. (The question's
    general feedback and marks are the quiz page's, as for every type.)

    `right_answer` is called only when the review shows it, so nothing about the answer is even computed before.
    """
    review, grade = ctx.review, ctx.grade
    values: dict[str, Any] = {"outcome": "", "state": "", "feedback": [], "right_answer": ""}
    if grade is not None and review.correctness:
        values["outcome"], values["state"] = outcome_label(grade.state), grade.state
    if grade is not None and review.feedback:
        # Sanitised again here, as the page does with every stored text: mark_safe only ever wraps sanitize_html.
        values["feedback"] = [mark_safe(richtext.sanitize_html(f)) for f in grade.feedback if f]
    if review.right_answer:
        values["right_answer"] = right_answer()
    return values
