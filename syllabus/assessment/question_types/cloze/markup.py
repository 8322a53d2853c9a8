"""Moodle's embedded-answer (cloze) markup: `{weight:TYPE:answers}` in a question text.

    {1:SHORTANSWER:=Paris#Yes~%50%Lyon#Close~*#No}   {2:NUMERICAL:=23.8:0.1~%50%23.8:2}   {:MC:Yes~=No}

TYPE is one of `TYPES` (long and short names, Moodle's spelling, any case); answers are separated by `~`; `=` marks
a 100% answer and `%n%` a percentage; `#` starts an answer's feedback; a numerical answer is `value:tolerance`;
`\\}`, `\\#`, `\\~`, `\\/`, `\\"` and `\\\\` stand for the character itself (`\\*` stays: it is the short answer's
literal star). The weight (empty means 1) is the part's share of the question's mark.

The text is HTML (sanitised before it gets here): a marker may hold inline formatting, but not start inside a tag
or span paragraphs, so cutting it out of the text leaves the HTML around it whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.crypto import salted_hmac

from syllabus.assessment.question_types import matching_text as mt
from syllabus.catalog import richtext

NO_PARTS = "The text holds no embedded answers: write them as {1:SHORTANSWER:=answer} (see the help)."
TOO_MANY_PARTS = "The text holds more than {limit} embedded answers."
PART_UNCLOSED = "Part {n} ({type}) has no closing }}: close it, or write \\}} for a literal brace."
PART_IN_TAG = "Part {n} ({type}) sits inside an HTML tag: move it into the text."
PART_SPANS_TAGS = "Part {n} ({type}) spans several paragraphs or unclosed formatting: keep it on one line."
PART_UNKNOWN_TYPE = (
    "Part {n}: unknown type {type}. Use SHORTANSWER, SHORTANSWER_C, NUMERICAL or MULTICHOICE (_V, _H, _S)."
)
PART_MULTIRESPONSE = (
    "Part {n} ({type}): multiple-response parts are not supported in embedded answers: use a multiple response "
    "question, or a MULTICHOICE part."
)
PART_WEIGHT = "Part {n} ({type}): the weight is a whole number from 1 to {limit}."
PART_NO_ANSWERS = "Part {n} ({type}) has no answers."
PART_TOO_MANY_ANSWERS = "Part {n} ({type}) has more than {limit} answers."
PART_EMPTY_ANSWER = "Part {n} ({type}), answer {m} is empty."
PART_ANSWER_TOO_LONG = "Part {n} ({type}), answer {m} is too long (at most {limit} characters)."
PART_PERCENT = "Part {n} ({type}), answer {m}: the percentage is a number from 0 to 100, as in %50%."
PART_NUMBER = "Part {n} ({type}), answer {m}: write a number, or number:tolerance as in 23.8:0.1."
PART_TOLERANCE = "Part {n} ({type}), answer {m}: the tolerance is a number, 0 or more."
PART_FEEDBACK_TOO_LONG = "Part {n} ({type}), answer {m}: the feedback is too long."
PART_FULL_MARKS = "Part {n} ({type}): give one answer 100%, with = in front of it (=answer) or %100%."

MAX_PARTS = 100
MAX_PART_ANSWERS = 50
MAX_WEIGHT = 1000
ANSWER_LIMIT = 255
CHOICE_LIMIT = 1000

# TYPE -> (kind, display, shuffled)
TYPES: dict[str, tuple[str, str, bool]] = {}
for _names, _spec in (
    (("SHORTANSWER", "SA", "MW"), ("shortanswer", "inline", False)),
    (("SHORTANSWER_C", "SAC", "MWC"), ("shortanswer_c", "inline", False)),
    (("NUMERICAL", "NM"), ("numerical", "inline", False)),
    (("MULTICHOICE", "MC"), ("single", "select", False)),
    (("MULTICHOICE_S", "MCS"), ("single", "select", True)),
    (("MULTICHOICE_V", "MCV"), ("single", "radio_vertical", False)),
    (("MULTICHOICE_VS", "MCVS"), ("single", "radio_vertical", True)),
    (("MULTICHOICE_H", "MCH"), ("single", "radio_horizontal", False)),
    (("MULTICHOICE_HS", "MCHS"), ("single", "radio_horizontal", True)),
):
    for _name in _names:
        TYPES[_name] = _spec
MULTIRESPONSE = {"MULTIRESPONSE", "MR", "MULTIRESPONSE_S", "MRS", "MULTIRESPONSE_H", "MRH", "MULTIRESPONSE_HS", "MRHS"}

# The start of a marker: `{`, an optional weight, `:`, a type name, `:`.
_HEADER = re.compile(r"\{(\d*):([A-Za-z_]{1,20}):")
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)\b[^>]*?(/?)>")
_TAG_START = re.compile(r"<[A-Za-z/!?]")
_VOID = {"br", "img", "hr", "wbr"}
_ESCAPES = {"}", "#", "~", "/", '"', "\\"}
_PERCENT = re.compile(r"^%\s*(-?\d{1,3}(?:\.\d{1,7})?)\s*%")


@dataclass(frozen=True)
class Marker:
    """One `{...}` marker found in a text: where it is, and its raw pieces."""

    start: int
    end: int  # just after the closing brace
    weight: str
    type_name: str
    body: str


class MarkupError(Exception):
    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


def scan(text: str) -> tuple[list[Marker], list[str]]:
    """The markers of a text in order, and the problems of the markup (unclosed, inside a tag)."""
    markers: list[Marker] = []
    problems: list[str] = []
    position, in_tag, length = 0, False, len(text)
    while position < length:
        char = text[position]
        if in_tag:
            in_tag = char != ">"
            header = _HEADER.match(text, position) if char == "{" else None
            if header is not None:
                problems.append(PART_IN_TAG.format(n=len(markers) + 1, type=header.group(2)))
            position += 1
            continue
        if char == "<" and _TAG_START.match(text, position):
            in_tag = True
            position += 1
            continue
        header = _HEADER.match(text, position) if char == "{" else None
        if header is None:
            position += 1
            continue
        number = len(markers) + 1
        cursor = header.end()
        closed = False
        while cursor < length:
            inner = text[cursor]
            if inner == "\\":
                cursor += 2
                continue
            if inner == "}":
                closed = True
                break
            if inner == "{" and _HEADER.match(text, cursor):
                break
            cursor += 1
        if not closed:
            problems.append(PART_UNCLOSED.format(n=number, type=header.group(2)))
            position = header.end()
            continue
        markers.append(Marker(position, cursor + 1, header.group(1), header.group(2), text[header.end() : cursor]))
        position = cursor + 1
    return markers, problems


def pieces(text: str) -> Iterator[str | int]:
    """The text cut at its markers: HTML strings, and the 0-based number of each marker in its place."""
    markers, _problems = scan(text)
    position = 0
    for number, marker in enumerate(markers):
        yield text[position : marker.start]
        yield number
        position = marker.end
    yield text[position:]


def _split(body: str, separator: str) -> list[str]:
    """`body` split at each unescaped `separator` (escapes kept for `_unescape`)."""
    parts, current, i = [], [], 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            current.append(body[i : i + 2])
            i += 2
            continue
        # "&#39;" is an HTML character reference, not the start of a feedback.
        if char == separator and not (separator == "#" and i > 0 and body[i - 1] == "&"):
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    parts.append("".join(current))
    return parts


def _unescape(raw: str) -> str:
    out, i = [], 0
    while i < len(raw):
        if raw[i] == "\\" and i + 1 < len(raw) and raw[i + 1] in _ESCAPES:
            out.append(raw[i + 1])
            i += 2
            continue
        out.append(raw[i])
        i += 1
    return "".join(out)


def _balanced(html: str) -> bool:
    stack: list[str] = []
    for closing, name, self_closing in _TAG.findall(html):
        name = name.lower()
        if name in _VOID or self_closing:
            continue
        if not closing:
            stack.append(name)
        elif not stack or stack.pop() != name:
            return False
    return not stack


def answer_id(index: int, position: int, text: str) -> str:
    """An answer's id: stable for the same text (so cleaning twice gives the same data) but opaque — an id in a
    select cannot tell a learner which answer the author wrote first (usually the right one)."""
    digest = salted_hmac("syllabus.assessment.cloze", f"{index}:{position}:{text}").hexdigest()
    return f"c{digest[:10]}"


def parse(text: str) -> list[dict[str, Any]]:
    """The parts of a cloze text in the shape question_types/README.md gives; MarkupError lists every problem."""
    markers, problems = scan(text or "")
    if len(markers) > MAX_PARTS:
        raise MarkupError([TOO_MANY_PARTS.format(limit=MAX_PARTS)])
    parts: list[dict[str, Any]] = []
    for index, marker in enumerate(markers, start=1):
        part = _parse_marker(index, marker, problems)
        if part is not None:
            parts.append(part)
    if not markers and not problems:
        problems.append(NO_PARTS)
    if problems:
        raise MarkupError(problems)
    return parts


def _parse_marker(index: int, marker: Marker, problems: list[str]) -> dict[str, Any] | None:
    type_name = marker.type_name.upper()
    label = {"n": index, "type": type_name}
    if type_name in MULTIRESPONSE:
        problems.append(PART_MULTIRESPONSE.format(**label))
        return None
    if type_name not in TYPES:
        problems.append(PART_UNKNOWN_TYPE.format(**label))
        return None
    kind, display, shuffle = TYPES[type_name]
    weight = int(marker.weight) if marker.weight and len(marker.weight) <= 4 else (1 if not marker.weight else 0)
    if not 1 <= weight <= MAX_WEIGHT:
        problems.append(PART_WEIGHT.format(limit=MAX_WEIGHT, **label))
        return None
    if not _balanced(marker.body):
        problems.append(PART_SPANS_TAGS.format(**label))
        return None
    raw_answers = _split(marker.body, "~")
    if len(raw_answers) > MAX_PART_ANSWERS:
        problems.append(PART_TOO_MANY_ANSWERS.format(limit=MAX_PART_ANSWERS, **label))
        return None
    before = len(problems)
    answers = []
    for position, raw in enumerate(raw_answers, start=1):
        answer = _parse_answer(kind, raw, problems, m=position, **label)
        if answer is not None:
            answer["id"] = answer_id(index, position, raw)
            answers.append(answer)
    if len(problems) > before:
        return None
    if not answers:
        problems.append(PART_NO_ANSWERS.format(**label))
        return None
    if not any(Decimal(a["fraction"]) == 1 for a in answers):
        problems.append(PART_FULL_MARKS.format(**label))
        return None
    ordered = []
    for answer in answers:
        keys = ("id", "value", "tolerance") if kind == "numerical" else ("id", "text")
        ordered.append({**{k: answer[k] for k in keys}, "fraction": answer["fraction"], "feedback": answer["feedback"]})
    part: dict[str, Any] = {"index": index, "kind": kind, "display": display, "weight": weight, "answers": ordered}
    if kind == "single":
        part["shuffle"] = shuffle
    return part


def _parse_answer(kind: str, raw: str, problems: list[str], **label: Any) -> dict[str, Any] | None:
    raw = raw.strip()
    fraction = Decimal(0)
    if raw.startswith("="):
        fraction, raw = Decimal(1), raw[1:]
    elif raw.startswith("%"):
        match = _PERCENT.match(raw)
        percent = Decimal(match.group(1)) if match else None
        if match is None or percent is None or not 0 <= percent <= 100:
            problems.append(PART_PERCENT.format(**label))
            return None
        fraction, raw = percent / 100, raw[match.end() :]
    answer_raw, *feedback_raw = _split(raw, "#")
    feedback = mt.clean_feedback(_unescape("#".join(feedback_raw)).strip())
    if feedback is None:
        problems.append(PART_FEEDBACK_TOO_LONG.format(**label))
        return None
    answer: dict[str, Any] = {"fraction": mt.decimal_str(fraction), "feedback": feedback}
    text = mt.normalise_space(richtext.html_to_text(_unescape(answer_raw)))
    if not text:
        problems.append(PART_EMPTY_ANSWER.format(**label))
        return None
    if kind == "numerical":
        return _numeric_answer(answer, text, problems, **label)
    limit = CHOICE_LIMIT if kind == "single" else ANSWER_LIMIT
    if len(text) > limit:
        problems.append(PART_ANSWER_TOO_LONG.format(limit=limit, **label))
        return None
    answer["text"] = text
    return answer


def _numeric_answer(answer: dict[str, Any], text: str, problems: list[str], **label: Any) -> dict[str, Any] | None:
    if text == "*":
        answer.update(value="*", tolerance="0")
        return answer
    value_raw, _colon, tolerance_raw = text.partition(":")
    value = mt.clean_decimal(value_raw.strip())
    if value is None:
        problems.append(PART_NUMBER.format(**label))
        return None
    tolerance = mt.clean_decimal(tolerance_raw.strip() or "0", low=Decimal(0))
    if tolerance is None:
        problems.append(PART_TOLERANCE.format(**label))
        return None
    answer.update(value=mt.decimal_str(value), tolerance=mt.decimal_str(tolerance))
    return answer
