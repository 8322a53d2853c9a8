"""Writing Syllabus questions as Moodle XML, in the shape Moodle 4.x writes and reads (question/format/xml).

One writer per Syllabus type adds the type's elements to a `<question>` element already holding the common ones.
Every type has a writer; calculated questions also get a few dataset items so Moodle can use them at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from syllabus.assessment.formats import base
from syllabus.assessment.formats import moodle as conventions

# Characters XML 1.0 cannot carry at all; stored text should hold none, but an export must never fail on one.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ORDERING_GRADING = {
    "all_or_nothing": "ALL_OR_NOTHING",
    "absolute_position": "ABSOLUTE_POSITION",
    "relative_next": "RELATIVE_NEXT_EXCLUDE_LAST",
}
_TOLERANCE_TYPES = {"relative": "1", "nominal": "2", "geometric": "3"}
DATASET_ITEMS = 10


def _clean(value: Any) -> str:
    return _NOT_XML.sub("", "" if value is None else str(value))


def _sub(parent: Any, tag: str, value: Any = None, **attributes: str) -> Any:
    element = etree.SubElement(parent, tag, **attributes)
    if value is not None:
        element.text = _clean(value)
    return element


def _text(parent: Any, value: Any, *, cdata: bool = False) -> Any:
    """A <text> child; HTML goes in CDATA as Moodle writes it (unless the HTML itself holds "]]>")."""
    text = _clean(value)
    element = etree.SubElement(parent, "text")
    element.text = etree.CDATA(text) if cdata and text and "]]>" not in text else text
    return element


def _rich(parent: Any, tag: str, value: Any, **attributes: str) -> Any:
    element = etree.SubElement(parent, tag, format="html", **attributes)
    _text(element, value, cdata=True)
    return element


def _combined_feedback(question: Any) -> None:
    for tag in ("correctfeedback", "partiallycorrectfeedback", "incorrectfeedback"):
        _rich(question, tag, "")


def _rows(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    rows = data.get(key)
    return [row for row in rows if isinstance(row, Mapping)] if isinstance(rows, list) else []


def _bool(value: Any) -> str:
    return "true" if value else "false"


def _units(question: Any, data: Mapping[str, Any]) -> None:
    units = _rows(data, "units")
    if units:
        container = _sub(question, "units")
        for row in units:
            unit = _sub(container, "unit")
            _sub(unit, "multiplier", row.get("multiplier", "1"))
            _sub(unit, "unit_name", row.get("unit", ""))
    handling = data.get("unit_handling", "none")
    # Moodle stores "units required" as a grading type (1: penalty on the response's mark) and "none" as hidden.
    _sub(question, "unitgradingtype", "1" if handling == "required" else "0")
    _sub(question, "unitpenalty", data.get("unit_penalty") or "0.1")
    _sub(question, "showunits", "3" if handling == "none" or not units else "0")
    _sub(question, "unitsleft", "0")


# --- one writer per Syllabus type ------------------------------------------------------------------------------


def _choice(question: Any, data: Mapping[str, Any], *, single: bool) -> None:
    _sub(question, "single", _bool(single))
    _sub(question, "shuffleanswers", _bool(data.get("shuffle", True)))
    _sub(question, "answernumbering", data.get("numbering", "abc"))
    _sub(question, "showstandardinstruction", "0")
    _combined_feedback(question)
    _sub(question, "shownumcorrect")
    for option in _rows(data, "options"):
        answer = _sub(question, "answer", fraction=conventions.fraction_to_percent(option.get("fraction")))
        answer.set("format", "html")
        _text(answer, option.get("text", ""), cdata=True)
        _rich(answer, "feedback", option.get("feedback", ""))


def _single(question: Any, data: Mapping[str, Any]) -> None:
    _choice(question, data, single=True)


def _multiple(question: Any, data: Mapping[str, Any]) -> None:
    _choice(question, data, single=False)


def _truefalse(question: Any, data: Mapping[str, Any]) -> None:
    correct = bool(data.get("correct"))
    for value, feedback in ((True, data.get("feedback_true", "")), (False, data.get("feedback_false", ""))):
        answer = _sub(question, "answer", fraction="100" if value == correct else "0", format="moodle_auto_format")
        _text(answer, "true" if value else "false")
        _rich(answer, "feedback", feedback)


def _shortanswer(question: Any, data: Mapping[str, Any]) -> None:
    _sub(question, "usecase", "1" if data.get("case_sensitive") else "0")
    for row in _rows(data, "answers"):
        answer = _sub(question, "answer", fraction=conventions.fraction_to_percent(row.get("fraction")))
        answer.set("format", "moodle_auto_format")
        _text(answer, row.get("text", ""))
        _rich(answer, "feedback", row.get("feedback", ""))


def _numerical(question: Any, data: Mapping[str, Any]) -> None:
    for row in _rows(data, "answers"):
        answer = _sub(question, "answer", fraction=conventions.fraction_to_percent(row.get("fraction")))
        answer.set("format", "moodle_auto_format")
        _text(answer, row.get("value", ""))
        _rich(answer, "feedback", row.get("feedback", ""))
        _sub(answer, "tolerance", row.get("tolerance", "0"))
    _units(question, data)


def _matching(question: Any, data: Mapping[str, Any]) -> None:
    _sub(question, "shuffleanswers", _bool(data.get("shuffle", True)))
    _combined_feedback(question)
    _sub(question, "shownumcorrect")
    for pair in _rows(data, "pairs"):
        subquestion = _sub(question, "subquestion", format="html")
        _text(subquestion, pair.get("prompt", ""), cdata=True)
        _text(_sub(subquestion, "answer"), pair.get("answer", ""))


def _ordering(question: Any, data: Mapping[str, Any]) -> None:
    _sub(question, "layouttype", "VERTICAL")
    _sub(question, "selecttype", "ALL")
    _sub(question, "selectcount", "0")
    _sub(question, "gradingtype", _ORDERING_GRADING.get(str(data.get("grading")), "RELATIVE_NEXT_EXCLUDE_LAST"))
    _sub(question, "showgrading", "SHOW")
    _sub(question, "numberingstyle", "none")
    _combined_feedback(question)
    _sub(question, "shownumcorrect")
    # qtype_ordering keeps the right order as each answer's "fraction": its position.
    for position, item in enumerate(_rows(data, "items"), 1):
        answer = _sub(question, "answer", fraction=str(position), format="html")
        _text(answer, item.get("text", ""), cdata=True)


def _gaps(question: Any, data: Mapping[str, Any], *, tag: str) -> None:
    _sub(question, "shuffleanswers", "1" if data.get("shuffle", True) else "0")
    _combined_feedback(question)
    _sub(question, "shownumcorrect")
    for choice in _rows(data, "choices"):
        element = _sub(question, tag)
        _text(element, choice.get("text", ""))
        _sub(element, "group", choice.get("group", 1))
        if choice.get("infinite"):
            _sub(element, "infinite")


def _gapselect(question: Any, data: Mapping[str, Any]) -> None:
    _gaps(question, data, tag="selectoption")


def _ddwtos(question: Any, data: Mapping[str, Any]) -> None:
    _gaps(question, data, tag="dragbox")


def _essay(question: Any, data: Mapping[str, Any]) -> None:
    response_format = "plain" if data.get("response_format") == "plain" else "editor"
    _sub(question, "responseformat", response_format)
    _sub(question, "responserequired", "1")
    _sub(question, "responsefieldlines", "15")
    # Moodle reads an empty limit as "no limit"; Syllabus stores 0.
    _sub(question, "minwordlimit", data.get("min_words") or "")
    _sub(question, "maxwordlimit", data.get("max_words") or "")
    _sub(question, "attachments", "0")
    _sub(question, "attachmentsrequired", "0")
    _sub(question, "maxbytes", "0")
    _sub(question, "filetypeslist", "")
    _rich(question, "graderinfo", data.get("grader_info", ""))
    template = _sub(question, "responsetemplate", format="html" if response_format == "editor" else "plain_text")
    _text(template, data.get("template", ""), cdata=response_format == "editor")


def _description(question: Any, data: Mapping[str, Any]) -> None:
    return None


def _cloze(question: Any, data: Mapping[str, Any]) -> None:
    # The text already holds the cloze markup Moodle's multianswer type reads; nothing else to write.
    return None


def _dataset_values(variable: Mapping[str, Any]) -> list[str]:
    """Evenly spread values over the wildcard's range, with its decimals (Moodle needs items to use a question)."""
    low = conventions.parse_decimal(str(variable.get("min", "0"))) or Decimal(0)
    high = conventions.parse_decimal(str(variable.get("max", "0"))) or Decimal(0)
    places = conventions.parse_decimal(str(variable.get("decimals", "0"))) or Decimal(0)
    quantum = Decimal(1).scaleb(-int(max(Decimal(0), min(Decimal(10), places))))
    values = []
    for step in range(DATASET_ITEMS):
        value = low + (high - low) * Decimal(step) / Decimal(DATASET_ITEMS - 1)
        try:
            values.append(format(value.quantize(quantum), "f"))
        except InvalidOperation:  # more digits than Decimal's precision: keep the value as it is
            values.append(conventions.decimal_string(value))
    return values


def _calculated(question: Any, data: Mapping[str, Any]) -> None:
    _sub(question, "synchronize", "0")
    _sub(question, "single", "0")
    _sub(question, "answernumbering", "abc")
    _sub(question, "shuffleanswers", "1")
    _combined_feedback(question)
    for row in _rows(data, "answers"):
        answer = _sub(question, "answer", fraction=conventions.fraction_to_percent(row.get("fraction")))
        _text(answer, row.get("formula", ""))
        _sub(answer, "tolerance", row.get("tolerance", "0.01"))
        _sub(answer, "tolerancetype", _TOLERANCE_TYPES.get(str(row.get("tolerance_type")), "1"))
        _sub(answer, "correctanswerformat", "1")  # 1: decimals (2 would be significant figures)
        _sub(answer, "correctanswerlength", row.get("decimals", 2))
        _rich(answer, "feedback", row.get("feedback", ""))
    _units(question, data)
    definitions = _sub(question, "dataset_definitions")
    for variable in _rows(data, "variables"):
        definition = _sub(definitions, "dataset_definition")
        _text(_sub(definition, "status"), "private")
        _text(_sub(definition, "name"), variable.get("name", ""))
        _sub(definition, "type", "calculated")
        _text(_sub(definition, "distribution"), "uniform")
        _text(_sub(definition, "minimum"), variable.get("min", "0"))
        _text(_sub(definition, "maximum"), variable.get("max", "0"))
        _text(_sub(definition, "decimals"), variable.get("decimals", 0))
        values = _dataset_values(variable)
        _sub(definition, "itemcount", len(values))
        items = _sub(definition, "dataset_items")
        for index, value in enumerate(values, 1):
            item = _sub(items, "dataset_item")
            _sub(item, "number", index)
            _sub(item, "value", value)
        _sub(definition, "number_of_items", len(values))


Writer = Callable[[Any, Mapping[str, Any]], None]

# Syllabus type → (Moodle type, writer).
WRITERS: dict[str, tuple[str, Writer]] = {
    "single": ("multichoice", _single),
    "multiple": ("multichoice", _multiple),
    "truefalse": ("truefalse", _truefalse),
    "shortanswer": ("shortanswer", _shortanswer),
    "numerical": ("numerical", _numerical),
    "matching": ("matching", _matching),
    "ordering": ("ordering", _ordering),
    "gapselect": ("gapselect", _gapselect),
    "ddwtos": ("ddwtos", _ddwtos),
    "essay": ("essay", _essay),
    "description": ("description", _description),
    "cloze": ("multianswer", _cloze),
    "calculated": ("calculated", _calculated),
}


def _category(quiz: Any, path: str) -> None:
    question = _sub(quiz, "question", type="category")
    _text(_sub(question, "category"), "$course$/top" + (f"/{path}" if path else ""))
    _rich(question, "info", "")
    _sub(question, "idnumber", "")


def write(questions: Iterable[base.ExportedQuestion]) -> bytes:
    quiz = etree.Element("quiz")
    category: str | None = None
    for exported in questions:
        if exported.qtype not in WRITERS:
            continue
        moodle_type, writer = WRITERS[exported.qtype]
        if exported.category != category:
            category = exported.category
            _category(quiz, category)
        question = _sub(quiz, "question", type=moodle_type)
        _text(_sub(question, "name"), exported.name)
        _rich(question, "questiontext", exported.text)
        _rich(question, "generalfeedback", exported.general_feedback)
        _sub(question, "defaultgrade", format(Decimal(exported.default_mark), "f"))
        _sub(question, "penalty", "0.3333333")
        _sub(question, "hidden", "0")
        _sub(question, "idnumber", exported.idnumber)
        writer(question, exported.data)
        if exported.tags:
            tags = _sub(question, "tags")
            for tag in exported.tags:
                _text(_sub(tags, "tag"), tag)
    return bytes(etree.tostring(quiz, xml_declaration=True, encoding="UTF-8", pretty_print=True))
