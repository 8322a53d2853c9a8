"""Reading Moodle XML (`<quiz><question type="...">`) into Syllabus's question shapes (question_types/README.md).

Each reader takes one `<question>` element and returns the Syllabus type and its `data`, or raises `Refused` with a
module-constant message; the format turns that into a `Problem` naming the element's line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from lxml import etree

from syllabus.assessment.formats import moodle as conventions

UNSUPPORTED_TYPE = "Question type {qtype} is not supported."
NO_TYPE = "The <question> element has no type attribute."
NO_ANSWERS = "The question has no answers."
BAD_FRACTION = "Answer {n}: the fraction {value} is not a percentage between -100 and 100."
BAD_NUMBER = "{field}: {value} is not a number."
NEGATIVE_TOLERANCE = "Answer {n}: the tolerance cannot be negative."
BAD_TOLERANCE_TYPE = "Answer {n}: tolerance type {value} is not 1 (relative), 2 (nominal) or 3 (geometric)."
TRUEFALSE_ANSWERS = "A true/false question needs one answer whose text is true and one whose text is false."
BAD_GROUP = "Choice {n}: the group {value} is not a whole number from 1 to 20."
CLOZE_PLACEHOLDERS = (
    "The cloze question's text holds placeholders such as {#1} instead of its embedded answers: export it again "
    "from a Moodle version that writes the answers into the text."
)
NO_VARIABLES = "The calculated question defines no wildcard (dataset definition)."
BAD_VARIABLE_NAME = "Dataset definition {n} has no name."

# Moodle numerical/calculated unit settings (question/type/numerical/questiontype.php).
_SHOWUNITS_HIDDEN = "3"
_TOLERANCE_TYPES = {"1": "relative", "2": "nominal", "3": "geometric"}
# qtype_ordering grading types, by name and by the numbers older versions wrote.
_ORDERING_GRADING = {
    "ALL_OR_NOTHING": "all_or_nothing",
    "-1": "all_or_nothing",
    "ABSOLUTE_POSITION": "absolute_position",
    "ABSOLUTE": "absolute_position",
    "ABS": "absolute_position",
    "0": "absolute_position",
    "RELATIVE_NEXT_EXCLUDE_LAST": "relative_next",
    "1": "relative_next",
}
_NUMBERING = {"abc": "abc", "ABCD": "ABCD", "123": "123", "none": "none", "iii": "123", "IIII": "123"}
_ESSAY_FORMATS = {"editor": "editor", "editorfilepicker": "editor", "plain": "plain", "monospaced": "plain",
                  "noinline": "plain"}  # fmt: skip
_PLACEHOLDER = re.compile(r"\{#\d+\}")


class Refused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Notes:
    """Things dropped on the way in that do not stop a question (the preview's summary names them)."""

    files: int = 0
    ordering_grading: int = 0


# --- reading elements -------------------------------------------------------------------------------------------


def inner_text(element: Any) -> str:
    """A <text> element's content. HTML belongs in CDATA, but hand-written files often put it in bare: keep it."""
    if element is None:
        return ""
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str):
            parts.append(etree.tostring(child, encoding="unicode", with_tail=True))
        else:
            parts.append(child.tail or "")
    return "".join(parts)


def plain(element: Any, path: str = "text") -> str:
    """A plain value (answer text, unit name, number) at `path`, trimmed."""
    if element is None:
        return ""
    found = element.find(path) if path else element
    return "".join(found.itertext()).strip() if found is not None else ""


def rich(element: Any, *, paragraphs: bool = False) -> str:
    """An element with a `format` attribute and a <text> child, as HTML: html is kept (the question service
    sanitises it); moodle_auto_format, plain_text and markdown are plain text, escaped. A missing format is read as
    html — what hand-written files mean by it."""
    if element is None:
        return ""
    text = inner_text(element.find("text"))
    if element.get("format", "html") == "html":
        return text.strip()
    return conventions.plain_to_html(text, paragraphs=paragraphs)


def flag(element: Any, path: str, *, default: bool) -> bool:
    """Moodle writes booleans as true/false, 1/0, or an empty element that is there when set (<infinite/>)."""
    found = element.find(path)
    if found is None:
        return default
    value = "".join(found.itertext()).strip().lower()
    return value in {"", "1", "true", "yes"}


def whole(element: Any, path: str, *, field: str, default: int = 0) -> int:
    raw = plain(element, path)
    if not raw:
        return default
    value = conventions.parse_decimal(raw)
    if value is None or value != value.to_integral_value():
        raise Refused(BAD_NUMBER.format(field=field, value=raw[:40]))
    return int(value)


def number(raw: str, *, field: str) -> str:
    value = conventions.parse_decimal(raw)
    if value is None:
        raise Refused(BAD_NUMBER.format(field=field, value=raw[:40] or '""'))
    return conventions.decimal_string(value)


def rows(element: Any, path: str) -> list[Any]:
    """The repeated elements at `path` (answers, subquestions, units...), refused past `MAX_ANSWERS`."""
    found = element.findall(path)
    if len(found) > conventions.MAX_ANSWERS:
        raise Refused(conventions.TOO_MANY_ANSWERS.format(limit=conventions.MAX_ANSWERS))
    return list(found)


def fraction(answer: Any, n: int) -> str:
    raw = answer.get("fraction", "0")
    value = conventions.percent_to_fraction(raw)
    if value is None:
        raise Refused(BAD_FRACTION.format(n=n, value=raw[:40]))
    return value


def tolerance(raw: str, n: int) -> str:
    value = number(raw or "0", field=f"Answer {n}")
    if Decimal(value) < 0:
        raise Refused(NEGATIVE_TOLERANCE.format(n=n))
    return value


def units(question: Any) -> dict[str, Any]:
    """The unit list and Moodle's unit settings as `units`, `unit_handling` and `unit_penalty`."""
    found: list[dict[str, str]] = []
    for n, unit in enumerate(rows(question, "units/unit"), 1):
        name = plain(unit, "unit_name")
        if name:
            found.append({"unit": name, "multiplier": number(plain(unit, "multiplier") or "1", field=f"Unit {n}")})
    grading = whole(question, "unitgradingtype", field="unitgradingtype")
    if not found:
        handling = "none"
    elif grading > 0:
        handling = "required"
    elif plain(question, "showunits") == _SHOWUNITS_HIDDEN:
        handling = "none"
    else:
        handling = "optional"
    penalty = plain(question, "unitpenalty")
    return {
        "units": found,
        "unit_handling": handling,
        "unit_penalty": number(penalty, field="unitpenalty") if penalty else "0.1",
    }


# --- one reader per Moodle type --------------------------------------------------------------------------------

Reader = Callable[[Any, Notes], tuple[str, dict[str, Any]]]


def _multichoice(question: Any, notes: Notes) -> tuple[str, dict[str, Any]]:
    options = []
    for n, answer in enumerate(rows(question, "answer"), 1):
        text = rich(answer)
        # Moodle keeps blank answer rows out of a question; a blank row in a file is the same nothing.
        if text:
            options.append({"text": text, "fraction": fraction(answer, n), "feedback": rich(answer.find("feedback"))})
    if not options:
        raise Refused(NO_ANSWERS)
    single = flag(question, "single", default=True)
    numbering = _NUMBERING.get(plain(question, "answernumbering"), "abc")
    data = {"options": options, "shuffle": flag(question, "shuffleanswers", default=True), "numbering": numbering}
    return ("single" if single else "multiple"), data


def _truefalse(question: Any, notes: Notes) -> tuple[str, dict[str, Any]]:
    found: dict[str, tuple[Any, int]] = {}
    for n, answer in enumerate(rows(question, "answer"), 1):
        found.setdefault(plain(answer).lower(), (answer, n))
    if "true" not in found or "false" not in found:
        raise Refused(TRUEFALSE_ANSWERS)
    (true_answer, n), (false_answer, _) = found["true"], found["false"]
    return "truefalse", {
        "correct": Decimal(fraction(true_answer, n)) > 0,
        "feedback_true": rich(true_answer.find("feedback")),
        "feedback_false": rich(false_answer.find("feedback")),
    }


def _shortanswer(question: Any, notes: Notes) -> tuple[str, dict[str, Any]]:
    answers = [
        {"text": plain(answer), "fraction": fraction(answer, n), "feedback": rich(answer.find("feedback"))}
        for n, answer in enumerate(rows(question, "answer"), 1)
        if plain(answer)
    ]
    if not answers:
        raise Refused(NO_ANSWERS)
    return "shortanswer", {"answers": answers, "case_sensitive": flag(question, "usecase", default=False)}


def _numerical(question: Any, notes: Notes) -> tuple[str, dict[str, Any]]:
    answers = []
    for n, answer in enumerate(rows(question, "answer"), 1):
        raw = plain(answer)
        if not raw:
            continue
        answers.append(
            {
                "value": "*" if raw == "*" else number(raw, field=f"Answer {n}"),
                "tolerance": tolerance(plain(answer, "tolerance"), n),
                "fraction": fraction(answer, n),
                "feedback": rich(answer.find("feedback")),
            }
        )
    if not answers:
        raise Refused(NO_ANSWERS)
    return "numerical", {"answers": answers, **units(question)}


def _matching(question: Any, notes: Notes) -> tuple[str, dict[str, Any]]:
    pairs = []
    for subquestion in rows(question, "subquestion"):
        prompt, answer = rich(subquestion), plain(subquestion, "answer/text")
        if prompt or answer:
            pairs.append({"prompt": prompt, "answer": answer})
    if not pairs:
        raise Refused(NO_ANSWERS)
    return "matching", {"pairs": pairs, "shuffle": flag(question, "shuffleanswers", default=True)}


def _ordering(question: Any, notes: Notes) -> tuple[str, dict[str, Any]]:
    # Each answer's "fraction" is its place in the right order.
    ranked = []
    for n, answer in enumerate(rows(question, "answer"), 1):
        text = rich(answer)
        if text:
            position = Decimal(number(answer.get("fraction", str(n)), field=f"Answer {n}"))
            ranked.append((position, n, text))
    if not ranked:
        raise Refused(NO_ANSWERS)
    raw_grading = plain(question, "gradingtype").upper()
    grading = _ORDERING_GRADING.get(raw_grading)
    if grading is None:
        # The other Moodle modes all credit items by their neighbours: next-item pairs are the closest Syllabus has.
        grading = "relative_next"
        notes.ordering_grading += bool(raw_grading)
    return "ordering", {"items": [{"text": text} for _, _, text in sorted(ranked)], "grading": grading}


def _choices(question: Any, tag: str, *, infinite: bool) -> list[dict[str, Any]]:
    choices = []
    for n, element in enumerate(rows(question, tag), 1):
        raw_group = plain(element, "group") or "1"
        group = conventions.parse_decimal(raw_group)
        if group is None or group != group.to_integral_value() or not 1 <= group <= 20:
            raise Refused(BAD_GROUP.format(n=n, value=raw_group[:40]))
        choice: dict[str, Any] = {"text": plain(element), "group": int(group)}
        if infinite:
            choice["infinite"] = element.find("infinite") is not None
        choices.append(choice)
    if not choices:
        raise Refused(NO_ANSWERS)
    return choices


def _gapselect(question: Any, notes: Notes) -> tuple[str, dict[str, Any]]:
    choices = _choices(question, "selectoption", infinite=False)
    return "gapselect", {"choices": choices, "shuffle": flag(question, "shuffleanswers", default=True)}


def _ddwtos(question: Any, notes: Notes) -> tuple[str, dict[str, Any]]:
    choices = _choices(question, "dragbox", infinite=True)
    return "ddwtos", {"choices": choices, "shuffle": flag(question, "shuffleanswers", default=True)}


def _essay(question: Any, notes: Notes) -> tuple[str, dict[str, Any]]:
    return "essay", {
        "response_format": _ESSAY_FORMATS.get(plain(question, "responseformat"), "editor"),
        "min_words": whole(question, "minwordlimit", field="minwordlimit"),
        "max_words": whole(question, "maxwordlimit", field="maxwordlimit"),
        "grader_info": rich(question.find("graderinfo"), paragraphs=True),
        "template": inner_text(question.find("responsetemplate/text")).strip(),
    }


def _description(question: Any, notes: Notes) -> tuple[str, dict[str, Any]]:
    return "description", {}


def _multianswer(question: Any, notes: Notes) -> tuple[str, dict[str, Any]]:
    # Moodle writes each sub-question's cloze markup back into the text; the cloze type's clean parses it from there.
    if _PLACEHOLDER.search(inner_text(question.find("questiontext/text"))):
        raise Refused(CLOZE_PLACEHOLDERS)
    return "cloze", {}


def _calculated(question: Any, notes: Notes) -> tuple[str, dict[str, Any]]:
    answers = []
    for n, answer in enumerate(rows(question, "answer"), 1):
        formula = plain(answer)
        if not formula:
            continue
        raw_type = plain(answer, "tolerancetype") or "1"
        if raw_type not in _TOLERANCE_TYPES:
            raise Refused(BAD_TOLERANCE_TYPE.format(n=n, value=raw_type[:40]))
        answers.append(
            {
                "formula": formula,
                "fraction": fraction(answer, n),
                "tolerance": tolerance(plain(answer, "tolerance") or "0.01", n),
                "tolerance_type": _TOLERANCE_TYPES[raw_type],
                "decimals": whole(answer, "correctanswerlength", field=f"Answer {n}", default=2),
                "feedback": rich(answer.find("feedback")),
            }
        )
    if not answers:
        raise Refused(NO_ANSWERS)
    variables = []
    for n, definition in enumerate(rows(question, "dataset_definitions/dataset_definition"), 1):
        name = plain(definition, "name/text")
        if not name:
            raise Refused(BAD_VARIABLE_NAME.format(n=n))
        variables.append(
            {
                "name": name,
                "min": number(plain(definition, "minimum/text"), field=f"Wildcard {name}"),
                "max": number(plain(definition, "maximum/text"), field=f"Wildcard {name}"),
                "decimals": whole(definition, "decimals/text", field=f"Wildcard {name}"),
            }
        )
    if not variables:
        raise Refused(NO_VARIABLES)
    return "calculated", {"answers": answers, "variables": variables, **units(question)}


READERS: dict[str, Reader] = {
    "multichoice": _multichoice,
    "truefalse": _truefalse,
    "shortanswer": _shortanswer,
    "numerical": _numerical,
    "matching": _matching,
    "ordering": _ordering,
    "gapselect": _gapselect,
    "ddwtos": _ddwtos,
    "essay": _essay,
    "description": _description,
    "multianswer": _multianswer,
    "calculated": _calculated,
    "calculatedsimple": _calculated,
}
