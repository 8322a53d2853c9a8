"""Moodle XML: import of every type Moodle exports (fixtures/moodle_export.xml is shaped like a Moodle 4.x export),
malformed files, and the round trip export → import for every Syllabus type."""

from __future__ import annotations

import importlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from syllabus.assessment import xmlsafe
from syllabus.assessment.formats import base
from syllabus.assessment.formats.moodlexml import format as moodlexml
from syllabus.assessment.formats.moodlexml import reader
from syllabus.assessment.models import Question
from syllabus.assessment.question_types import TYPES
from syllabus.assessment.question_types import base as qtypes
from syllabus.assessment.services import imports
from tests.assessment.conftest import QuizWorld

FIXTURES = Path(__file__).parent / "fixtures"
FORMAT = base.get("moodlexml")


def qtype_or_skip(key: str) -> qtypes.QuestionType:
    """The registered type; skipped while its plugin (written in parallel) is not there yet."""
    try:
        importlib.import_module(f"syllabus.assessment.question_types.{key}.qtype")
    except ImportError:
        pytest.skip(f"question type {key} is not written yet")
    return qtypes.get(key)


def quiz(*questions: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n' + "\n".join(questions) + "\n</quiz>\n").encode()


def question(qtype: str, body: str = "", *, name: str = "Q", text: str = "<p>Text</p>") -> str:
    return (
        f'  <question type="{qtype}">\n'
        f"    <name><text>{name}</text></name>\n"
        f'    <questiontext format="html"><text><![CDATA[{text}]]></text></questiontext>\n'
        f"{body}\n"
        f"  </question>"
    )


def only(content: bytes) -> base.ParsedQuestion:
    result = FORMAT.parse(content)
    assert result.problems == []
    assert len(result.questions) == 1
    return result.questions[0]


# --- the fixture: a Moodle export with every type ------------------------------------------------------------


@pytest.fixture(scope="module")
def export() -> base.ParseResult:
    return FORMAT.parse((FIXTURES / "moodle_export.xml").read_bytes())


def test_the_moodle_export_reads_every_question_with_its_line_type_and_category(export: base.ParseResult) -> None:
    assert export.problems == []
    assert [(q.line, q.qtype, q.name) for q in export.questions] == [
        (15, "single", "Extinguisher for electrical fires"),
        (74, "multiple", "Classes of fire"),
        (140, "truefalse", "Lifts in a fire"),
        (171, "shortanswer", "Assembly point"),
        (207, "numerical", "Hose length"),
        (252, "matching", "Safety signs"),
        (304, "ordering", "Evacuation steps"),
        (346, "essay", "Drill report"),
        (378, "description", "About this section"),
        (395, "cloze", "Cloze: extinguishers"),
        (411, "calculated", "Flow rate"),
        (527, "calculated", "Area of a room"),
        (617, "ddwtos", "Fire triangle (drag)"),
        (662, "gapselect", "Extinguisher labels (select)"),
        (702, "numerical", "Plain numerical, units optional"),
    ]
    assert [q.category for q in export.questions[:2]] == ["Default for Fire safety/Extinguishers"] * 2
    assert {q.category for q in export.questions[2:]} == {"Default for Fire safety/Evacuation"}
    assert export.summary == " ".join(["Moodle XML file: 15 questions.", moodlexml.FILES_DROPPED.format(count=1)])


def test_the_single_choice_keeps_html_fractions_feedback_grade_idnumber_and_tags(export: base.ParseResult) -> None:
    question = export.questions[0]
    assert question.text.startswith('<p dir="ltr">Which extinguisher is safe on <strong>electrical</strong>')
    assert question.data == {
        "options": [
            {"text": '<p dir="ltr">CO2</p>', "fraction": "1", "feedback": "<p>Right.</p>"},
            {"text": '<p dir="ltr">Water</p>', "fraction": "0", "feedback": "<p>Water conducts.</p>"},
            {"text": '<p dir="ltr">Foam</p>', "fraction": "-0.3333333", "feedback": ""},
        ],
        "shuffle": True,
        "numbering": "ABCD",
    }
    assert question.general_feedback == "<p>CO2 does not conduct electricity.</p>"
    assert (question.default_mark, question.idnumber, question.tags) == (
        Decimal(2),
        "FS-EXT-01",
        ["fire", "electrical"],
    )


def test_the_multiple_response_reads_moodles_seven_decimal_percentages(export: base.ParseResult) -> None:
    question = export.questions[1]
    assert [o["fraction"] for o in question.data["options"]] == ["0.3333333", "0.3333333", "0.3333333", "-1"]
    assert (question.data["shuffle"], question.data["numbering"]) == (False, "123")


def test_true_false_feedback_belongs_to_the_answer_the_learner_gives(export: base.ParseResult) -> None:
    question = export.questions[2]
    assert question.data == {
        "correct": False,
        "feedback_true": "<p>Lifts can fail.</p>",
        "feedback_false": "<p>Right: take the stairs.</p>",
    }
    # moodle_auto_format text is plain: escaped, its blank line a new paragraph.
    assert question.text == "<p>You should use the lift during a fire evacuation.</p><p>Think before you answer.</p>"


def test_numerical_units_map_moodles_unit_settings(export: base.ParseResult) -> None:
    hose, plain = export.questions[4], export.questions[14]
    assert hose.data == {
        "answers": [
            {"value": "30", "tolerance": "0.5", "fraction": "1", "feedback": "<p>Right.</p>"},
            {"value": "*", "tolerance": "0", "fraction": "0", "feedback": "It is 30 m."},
        ],
        "units": [{"unit": "m", "multiplier": "1"}, {"unit": "cm", "multiplier": "100"}],
        "unit_handling": "required",
        "unit_penalty": "0.2",
    }
    assert plain.data["unit_handling"] == "optional"
    assert plain.text == "<p>How many litres does a standard 9 l extinguisher hold? (Answer &lt; 10 &amp; &gt; 8)</p>"


def test_matching_ordering_essay_and_gaps_read_their_moodle_elements(export: base.ParseResult) -> None:
    matching, ordering, essay = export.questions[5], export.questions[6], export.questions[7]
    assert matching.data["pairs"][-1] == {"prompt": "", "answer": "Mandatory action"}
    assert matching.default_mark == Decimal(3)
    assert ordering.data == {
        "items": [
            {"text": "<p>Raise the alarm</p>"},
            {"text": "<p>Leave by the nearest exit</p>"},
            {"text": "<p>Go to the assembly point</p>"},
        ],
        "grading": "absolute_position",
    }
    assert essay.data == {
        "response_format": "editor",
        "min_words": 50,
        "max_words": 300,
        "grader_info": "<p>Look for the assembly point and the head count.</p>",
        "template": "<p>What went well:</p>",
    }
    ddwtos, gapselect = export.questions[12], export.questions[13]
    assert ddwtos.data["choices"][2] == {"text": "oxygen", "group": 1, "infinite": True}
    assert ddwtos.data["choices"][0] == {"text": "heat", "group": 1, "infinite": False}
    assert gapselect.data == {
        "choices": [{"text": "black", "group": 1}, {"text": "red", "group": 1}, {"text": "cream", "group": 1}],
        "shuffle": False,
    }


def test_calculated_questions_read_dataset_definitions_and_tolerance_types(export: base.ParseResult) -> None:
    flow, area = export.questions[10], export.questions[11]
    assert flow.data == {
        "answers": [
            {
                "formula": "{a} * {b}",
                "fraction": "1",
                "tolerance": "0.01",
                "tolerance_type": "relative",
                "decimals": 1,
                "feedback": "",
            },
            {
                "formula": "{a} + {b}",
                "fraction": "0.5",
                "tolerance": "0.5",
                "tolerance_type": "nominal",
                "decimals": 2,
                "feedback": "<p>You added them.</p>",
            },
        ],
        "variables": [
            {"name": "a", "min": "1", "max": "10", "decimals": 1},
            {"name": "b", "min": "10", "max": "60", "decimals": 0},
        ],
        "units": [{"unit": "l", "multiplier": "1"}],
        "unit_handling": "none",
        "unit_penalty": "0.1",
    }
    assert area.data["answers"][0]["tolerance_type"] == "geometric"
    assert area.data["unit_handling"] == "optional"


def test_the_cloze_question_keeps_its_markup_in_the_text(export: base.ParseResult) -> None:
    question = export.questions[9]
    assert question.data == {}
    assert "{1:MULTICHOICE:=CO2#Right~Water#Conducts~Foam}" in question.text
    assert question.default_mark == Decimal(1)


def test_the_description_is_not_graded(export: base.ParseResult) -> None:
    assert export.questions[8].data == {}
    assert export.questions[8].default_mark == Decimal(0)


@pytest.mark.parametrize("index", range(15))
def test_every_imported_question_passes_its_types_clean(export: base.ParseResult, index: int) -> None:
    parsed = export.questions[index]
    cleaned = qtype_or_skip(parsed.qtype).clean(parsed.data, text=parsed.text)
    assert isinstance(cleaned, dict)


# --- details of the import ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "raw", "html"),
    [
        ("html", "<p>Kept <b>as is</b></p>", "<p>Kept <b>as is</b></p>"),
        ("moodle_auto_format", "Line <one>\nline two", "<p>Line &lt;one&gt;<br>line two</p>"),
        ("plain_text", "1 < 2 & 3", "<p>1 &lt; 2 &amp; 3</p>"),
        ("markdown", "**bold** <i>", "<p>**bold** &lt;i&gt;</p>"),
    ],
)
def test_text_formats_keep_html_and_escape_the_others(fmt: str, raw: str, html: str) -> None:
    body = f'<question type="description"><name><text>D</text></name><questiontext format="{fmt}">'
    content = quiz(body + f"<text><![CDATA[{raw}]]></text></questiontext></question>")
    assert only(content).text == html


def test_html_written_without_cdata_is_kept() -> None:
    content = quiz('<question type="description"><questiontext><text><p>Bare <b>html</b></p> tail</text>'
                   "</questiontext></question>")  # fmt: skip
    parsed = only(content)
    assert parsed.text == "<p>Bare <b>html</b></p> tail"
    assert parsed.name == "Bare html tail"


@pytest.mark.parametrize(
    ("grading", "showunits", "units", "handling"),
    [
        ("0", "3", True, "none"),
        ("0", "0", True, "optional"),
        ("0", "1", True, "optional"),
        ("0", "", True, "optional"),
        ("1", "0", True, "required"),
        ("2", "2", True, "required"),
        ("1", "0", False, "none"),
    ],
)
def test_numerical_unit_settings_map_to_unit_handling(grading: str, showunits: str, units: bool, handling: str) -> None:
    unit = "<units><unit><multiplier>1</multiplier><unit_name>m</unit_name></unit></units>" if units else ""
    body = (
        '<answer fraction="100"><text>3</text><tolerance>0</tolerance></answer>'
        f"{unit}<unitgradingtype>{grading}</unitgradingtype><showunits>{showunits}</showunits>"
    )
    assert only(quiz(question("numerical", body))).data["unit_handling"] == handling


@pytest.mark.parametrize(
    ("raw", "grading"),
    [
        ("ALL_OR_NOTHING", "all_or_nothing"),
        ("-1", "all_or_nothing"),
        ("ABSOLUTE_POSITION", "absolute_position"),
        ("0", "absolute_position"),
        ("RELATIVE_NEXT_EXCLUDE_LAST", "relative_next"),
        ("LONGEST_ORDERED_SUBSET", "relative_next"),
        ("", "relative_next"),
    ],
)
def test_ordering_grading_types_map_to_the_nearest_syllabus_mode(raw: str, grading: str) -> None:
    body = (
        f"<gradingtype>{raw}</gradingtype>"
        '<answer fraction="2" format="html"><text>b</text></answer>'
        '<answer fraction="1" format="html"><text>a</text></answer>'
    )
    result = FORMAT.parse(quiz(question("ordering", body)))
    assert result.questions[0].data == {"items": [{"text": "a"}, {"text": "b"}], "grading": grading}
    noted = moodlexml.ORDERING_GRADING.format(count=1) in result.summary
    assert noted == (raw == "LONGEST_ORDERED_SUBSET")


@pytest.mark.parametrize(
    ("path", "category"),
    [
        ("$course$/top/Fire safety", "Fire safety"),
        ("$system$/top", ""),
        ("$module$/top/A/B", "A/B"),
        ("top/A", "A"),
        ("Plain/Path", "Plain/Path"),
    ],
)
def test_category_pseudo_questions_set_the_path_of_the_questions_after_them(path: str, category: str) -> None:
    content = quiz(
        f'<question type="category"><category><text>{path}</text></category></question>',
        question("description"),
    )
    assert only(content).category == category


def test_a_question_without_a_name_is_named_after_its_text() -> None:
    content = quiz('<question type="description"><questiontext format="html"><text><![CDATA[<p>Hello '
                   "<b>world</b></p>]]></text></questiontext></question>")  # fmt: skip
    assert only(content).name == "Hello world"


def test_blank_answer_rows_are_left_out_as_moodle_does() -> None:
    body = (
        '<answer fraction="100" format="html"><text>A</text></answer>'
        '<answer fraction="0" format="html"><text></text></answer>'
        '<answer fraction="0" format="html"><text>B</text></answer>'
    )
    assert [o["text"] for o in only(quiz(question("multichoice", body))).data["options"]] == ["A", "B"]


# --- malformed files ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("element", "message"),
    [
        (question("ddmarker", name="Marker"), reader.UNSUPPORTED_TYPE.format(qtype="ddmarker")),
        (question("random", name="Marker"), reader.UNSUPPORTED_TYPE.format(qtype="random")),
        ('<question><name><text>Marker</text></name></question>', reader.NO_TYPE),
        (question("multichoice", name="Marker"), reader.NO_ANSWERS),
        (question("shortanswer", '<answer fraction="100"><text></text></answer>', name="Marker"), reader.NO_ANSWERS),
        (
            question("multichoice", '<answer fraction="abc"><text>A</text></answer>', name="Marker"),
            reader.BAD_FRACTION.format(n=1, value="abc"),
        ),
        (
            question("multichoice", '<answer fraction="150"><text>A</text></answer>', name="Marker"),
            reader.BAD_FRACTION.format(n=1, value="150"),
        ),
        (
            question("numerical", '<answer fraction="100"><text>three</text></answer>', name="Marker"),
            reader.BAD_NUMBER.format(field="Answer 1", value="three"),
        ),
        (
            question("numerical", '<answer fraction="100"><text>3</text><tolerance>-1</tolerance></answer>',
                     name="Marker"),
            reader.NEGATIVE_TOLERANCE.format(n=1),
        ),
        (
            question("truefalse", '<answer fraction="100"><text>true</text></answer>', name="Marker"),
            reader.TRUEFALSE_ANSWERS,
        ),
        (
            question("multianswer", text="<p>{#1} and {#2}</p>", name="Marker"),
            reader.CLOZE_PLACEHOLDERS,
        ),
        (
            question("calculated", '<answer fraction="100"><text>{a}</text><tolerancetype>7</tolerancetype></answer>',
                     name="Marker"),
            reader.BAD_TOLERANCE_TYPE.format(n=1, value="7"),
        ),
        (
            question("calculated", '<answer fraction="100"><text>{a}</text></answer>', name="Marker"),
            reader.NO_VARIABLES,
        ),
        (
            question("calculated", '<answer fraction="100"><text>{a}</text></answer><dataset_definitions>'
                     "<dataset_definition><name><text>a</text></name><minimum><text>x</text></minimum>"
                     "</dataset_definition></dataset_definitions>", name="Marker"),
            reader.BAD_NUMBER.format(field="Wildcard a", value="x"),
        ),
        (
            question("gapselect", "<selectoption><text>a</text><group>21</group></selectoption>", name="Marker"),
            reader.BAD_GROUP.format(n=1, value="21"),
        ),
        (
            question("essay", "<minwordlimit>many</minwordlimit>", name="Marker"),
            reader.BAD_NUMBER.format(field="minwordlimit", value="many"),
        ),
        (
            question("description", "<defaultgrade>one</defaultgrade>", name="Marker"),
            moodlexml.BAD_GRADE.format(value="one"),
        ),
    ],
    ids=[
        "unsupported type", "random question", "no type", "no answers", "blank answers", "fraction not a number",
        "fraction over 100", "value not a number", "negative tolerance", "true without false", "cloze placeholders",
        "unknown tolerance type", "no wildcards", "wildcard range not a number", "group over 20",
        "word limit not a number", "grade not a number",
    ],
)  # fmt: skip
def test_a_malformed_question_is_a_problem_naming_its_line_and_the_others_are_read(element: str, message: str) -> None:
    content = quiz(question("description", name="Before"), element, question("description", name="After"))
    result = FORMAT.parse(content)
    assert [(p.message, p.line) for p in result.problems] == [(message, 8)]
    assert result.problems[0].question in {"Marker", ""}
    assert [q.name for q in result.questions] == ["Before", "After"]


def test_a_truncated_file_is_refused_with_the_parsers_reason() -> None:
    content = (FIXTURES / "moodle_export.xml").read_bytes()
    [problem] = FORMAT.parse(content[: len(content) // 2]).problems
    assert problem.message.startswith("The file is not well-formed XML: ")
    assert problem.line is None


def test_a_file_whose_root_is_not_quiz_is_refused() -> None:
    assert FORMAT.parse(b"<questestinterop><item/></questestinterop>").problems == [
        base.Problem(moodlexml.NOT_QUIZ.format(tag="questestinterop"))
    ]


def test_an_empty_quiz_holds_no_questions() -> None:
    assert FORMAT.parse(quiz()).problems == [base.Problem(base.EMPTY)]


def test_more_questions_than_the_limit_refuse_the_file_before_any_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "MAX_QUESTIONS", 2)
    categories = '<question type="category"><category><text>top/A</text></category></question>'
    assert len(FORMAT.parse(quiz(categories, question("description"), question("description"))).questions) == 2
    result = FORMAT.parse(quiz(*(question("description") for _ in range(3))))
    assert (result.problems, result.questions) == ([base.Problem(base.TOO_MANY.format(limit=2))], [])


# --- export and the round trip -------------------------------------------------------------------------------

# One question of every type, in the shapes of question_types/README.md (ids are assigned by each type's clean).
SAMPLES: dict[str, tuple[str, dict[str, Any]]] = {
    "single": (
        "<p>Which extinguisher for electrical fires?</p>",
        {
            "options": [
                {"text": "<p>CO2</p>", "fraction": "1", "feedback": "<p>Right.</p>"},
                {"text": "Foam &amp; water", "fraction": "-0.3333333", "feedback": ""},
                {"text": "Powder", "fraction": "0.5", "feedback": "<p>Partly.</p>"},
            ],
            "shuffle": False,
            "numbering": "ABCD",
        },
    ),
    "multiple": (
        "<p>Which are fire classes?</p>",
        {
            "options": [
                {"text": "A", "fraction": "0.3333333", "feedback": "Solids"},
                {"text": "B", "fraction": "0.3333333", "feedback": ""},
                {"text": "C", "fraction": "0.3333334", "feedback": ""},
                {"text": "Z", "fraction": "-1", "feedback": "<p>No such class.</p>"},
            ],
            "shuffle": True,
            "numbering": "123",
        },
    ),
    "truefalse": (
        "<p>Lifts are safe in a fire.</p>",
        {"correct": False, "feedback_true": "<p>They can fail.</p>", "feedback_false": "<p>Right.</p>"},
    ),
    "shortanswer": (
        "<p>Where do you go?</p>",
        {
            "answers": [
                {"text": "assembly point", "fraction": "1", "feedback": "<p>Yes.</p>"},
                {"text": "car*park", "fraction": "0.5", "feedback": ""},
                {"text": "*", "fraction": "0", "feedback": "<p>No.</p>"},
            ],
            "case_sensitive": True,
        },
    ),
    "numerical": (
        "<p>How long is the hose?</p>",
        {
            "answers": [
                {"value": "30", "tolerance": "0.5", "fraction": "1", "feedback": "<p>Right.</p>"},
                {"value": "25", "tolerance": "1", "fraction": "0.5", "feedback": ""},
                {"value": "*", "tolerance": "0", "fraction": "0", "feedback": "<p>30 m.</p>"},
            ],
            "units": [{"unit": "m", "multiplier": "1"}, {"unit": "cm", "multiplier": "100"}],
            "unit_handling": "required",
            "unit_penalty": "0.2",
        },
    ),
    "matching": (
        "<p>Match the colours.</p>",
        {
            "pairs": [
                {"prompt": "<p>Green</p>", "answer": "Safe condition"},
                {"prompt": "<p>Red</p>", "answer": "Prohibition"},
                {"prompt": "", "answer": "Warning & caution"},
            ],
            "shuffle": False,
        },
    ),
    "ordering": (
        "<p>Order the steps.</p>",
        {
            "items": [{"text": "<p>Raise the alarm</p>"}, {"text": "<p>Leave</p>"}, {"text": "<p>Assemble</p>"}],
            "grading": "all_or_nothing",
        },
    ),
    "gapselect": (
        "<p>CO2 has a [[1]] label, foam a [[3]] one.</p>",
        {
            "choices": [{"text": "black", "group": 1}, {"text": "red", "group": 2}, {"text": "cream", "group": 1}],
            "shuffle": False,
        },
    ),
    "ddwtos": (
        "<p>A fire needs [[1]], [[2]] and [[3]].</p>",
        {
            "choices": [
                {"text": "heat", "group": 1, "infinite": False},
                {"text": "fuel", "group": 1, "infinite": True},
                {"text": "oxygen", "group": 1, "infinite": False},
            ],
            "shuffle": True,
        },
    ),
    "cloze": (
        "<p>Paris is the capital of {1:SHORTANSWER:=France#Yes~%50%Gaul#Old name}; pi is about "
        "{2:NUMERICAL:=3.14:0.01#Good}; and CO2 is {1:MULTICHOICE:=a gas~a liquid#No}.</p>",
        {},
    ),
    "calculated": (
        "<p>A hose gives {a} litres a second for {b} seconds: how many litres?</p>",
        {
            "answers": [
                {
                    "formula": "{a} * {b}",
                    "fraction": "1",
                    "tolerance": "0.01",
                    "tolerance_type": "relative",
                    "decimals": 1,
                    "feedback": "<p>Right.</p>",
                },
                {
                    "formula": "{a} + {b}",
                    "fraction": "0.5",
                    "tolerance": "0.5",
                    "tolerance_type": "geometric",
                    "decimals": 2,
                    "feedback": "",
                },
            ],
            "variables": [
                {"name": "a", "min": "1.5", "max": "10", "decimals": 1},
                {"name": "b", "min": "10", "max": "60", "decimals": 0},
            ],
            "units": [{"unit": "l", "multiplier": "1"}],
            "unit_handling": "optional",
            "unit_penalty": "0.1",
        },
    ),
    "essay": (
        "<p>Describe the drill.</p>",
        {
            "response_format": "plain",
            "min_words": 20,
            "max_words": 200,
            "grader_info": "<p>Look for the head count.</p>",
            "template": "What went well:\nWhat did not < expected:",
        },
    ),
    "description": ("<p>The next questions are about first aid.</p>", {}),
}


def without_ids(value: Any) -> Any:
    """Data with the ids every clean assigns at random (Moodle XML does not carry Syllabus's ids)."""
    if isinstance(value, dict):
        return {key: without_ids(item) for key, item in value.items() if key != "id"}
    if isinstance(value, list):
        return [without_ids(item) for item in value]
    return value


def exported(qtype: str, **fields: Any) -> base.ExportedQuestion:
    """The sample of `qtype` as the export service hands it over: data already cleaned by its type."""
    text, data = SAMPLES[qtype]
    kind = qtype_or_skip(qtype)
    cleaned = kind.clean(data, text=text)
    values: dict[str, Any] = {
        "qtype": qtype,
        "name": f"The {qtype} question",
        "text": kind.clean_text(text, cleaned),
        "general_feedback": "<p>General feedback with ]]> inside.</p>",
        "default_mark": Decimal("2.5") if kind.graded else Decimal(0),
        "data": cleaned,
        "category": "Fire safety/Extinguishers",
        "tags": ("fire", "safety"),
        "idnumber": f"FS-{qtype}",
    }
    values.update(fields)
    return base.ExportedQuestion(**values)


def test_every_syllabus_type_has_a_sample_and_moodle_xml_carries_every_type() -> None:
    assert set(SAMPLES) == set(TYPES)
    assert [key for key in TYPES if FORMAT.unsupported(key)] == []
    assert FORMAT.unsupported("random") is True
    assert (FORMAT.can_import, FORMAT.can_export, FORMAT.export_extension) == (True, True, ".xml")


@pytest.mark.parametrize("qtype", sorted(SAMPLES))
def test_export_then_import_keeps_every_types_content(qtype: str) -> None:
    original = exported(qtype)
    result = FORMAT.parse(FORMAT.export([original]))
    assert result.problems == []
    [back] = result.questions
    kind = qtypes.get(qtype)
    assert back.qtype == qtype
    assert back.text == original.text
    assert without_ids(kind.clean(back.data, text=back.text)) == without_ids(dict(original.data))
    assert (back.name, back.general_feedback, back.default_mark) == (
        original.name,
        original.general_feedback,
        original.default_mark,
    )
    assert (back.category, back.tags, back.idnumber) == (original.category, list(original.tags), original.idnumber)


def test_the_export_is_moodle_xml_as_moodle_writes_it() -> None:
    content = FORMAT.export([exported("single"), exported("numerical", category="")])
    root = xmlsafe.parse(content)
    assert content.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert [(q.get("type"), q.findtext("category/text")) for q in root] == [
        ("category", "$course$/top/Fire safety/Extinguishers"),
        ("multichoice", None),
        ("category", "$course$/top"),
        ("numerical", None),
    ]
    single = root[1]
    assert single.findtext("single") == "true"
    assert [a.get("fraction") for a in single.findall("answer")] == ["100", "-33.33333", "50"]
    assert single.find("questiontext").get("format") == "html"
    assert b"<![CDATA[<p>Which extinguisher for electrical fires?</p>]]>" in content
    assert single.findtext("idnumber") == "FS-single"
    assert [t.findtext("text") for t in single.findall("tags/tag")] == ["fire", "safety"]
    numerical = root[3]
    assert [(u.findtext("unit_name"), u.findtext("multiplier")) for u in numerical.findall("units/unit")] == [
        ("m", "1"),
        ("cm", "100"),
    ]
    assert (numerical.findtext("unitgradingtype"), numerical.findtext("showunits")) == ("1", "0")


def test_a_calculated_export_carries_dataset_items_moodle_can_use() -> None:
    root = xmlsafe.parse(FORMAT.export([exported("calculated")]))
    definitions = root[1].findall("dataset_definitions/dataset_definition")
    values = [item.findtext("value") for item in definitions[0].findall("dataset_items/dataset_item")]
    assert values[0] == "1.5" and values[-1] == "10.0" and len(values) == 10
    assert definitions[1].findtext("itemcount") == "10"
    assert [a.findtext("tolerancetype") for a in root[1].findall("answer")] == ["1", "3"]


def test_the_export_skips_types_it_does_not_know_and_survives_characters_xml_cannot_hold() -> None:
    unknown = base.ExportedQuestion(
        qtype="hotspot", name="x", text="", general_feedback="", default_mark=Decimal(1), data={}
    )
    odd = exported("description", name="Bell\x07 and nul\x00", text="<p>Form\x0cfeed</p>")
    root = xmlsafe.parse(FORMAT.export([unknown, odd]))
    assert [q.get("type") for q in root] == ["category", "description"]
    assert root[1].findtext("name/text") == "Bell and nul"
    assert root[1].findtext("questiontext/text") == "<p>Formfeed</p>"


def test_an_export_of_nothing_is_an_empty_quiz() -> None:
    root = xmlsafe.parse(FORMAT.export([]))
    assert (root.tag, len(root)) == ("quiz", 0)
    assert etree.tostring(root) == b"<quiz/>"


@pytest.mark.django_db
def test_the_sample_file_imports_whole_through_the_import_service(quiz_world: QuizWorld) -> None:
    content = (FIXTURES / "moodle_export.xml").read_bytes()
    plan = imports.import_preview(
        bank=quiz_world.bank, category=quiz_world.category, fmt="moodlexml", content=content, filename="m.xml",
        by=quiz_world.owner,
    )  # fmt: skip
    assert plan.problems == []
    assert {row.name: row.messages for row in plan.rows if not row.valid} == {}
    result = imports.import_apply(
        bank=quiz_world.bank, category=quiz_world.category, fmt="moodlexml", content=content, filename="m.xml",
        valid_only=False, by=quiz_world.owner,
    )  # fmt: skip
    assert len(result.created_ids) == 15
    cloze = Question.objects.get(name="Cloze: extinguishers")
    assert [part["kind"] for part in cloze.latest.data["parts"]] == ["single", "numerical", "shortanswer"]
    image = Question.objects.get(name="Extinguisher for electrical fires")
    assert "<img" not in image.latest.text and "electrical" in image.latest.text


# --- fuzzing: no element soup makes parse raise ------------------------------------------------------------------

VALUES = ["", "0", "1", "-1", "3.5", "100", "150", "-33.33333", "1e999", "NaN", "abc", "true", "false", "21", " 2 "]
ELEMENTS = [
    '<answer fraction="{v}" format="html"><text>{v}</text><feedback><text>{v}</text></feedback>'
    "<tolerance>{v}</tolerance><tolerancetype>{v}</tolerancetype><correctanswerlength>{v}</correctanswerlength>"
    "</answer>",
    '<answer fraction="{v}"><text>{v}</text></answer>',
    "<answer><text>true</text></answer>",
    "<single>{v}</single>",
    "<shuffleanswers>{v}</shuffleanswers>",
    "<answernumbering>{v}</answernumbering>",
    "<usecase>{v}</usecase>",
    "<units><unit><multiplier>{v}</multiplier><unit_name>{v}</unit_name></unit></units>",
    "<unitgradingtype>{v}</unitgradingtype>",
    "<unitpenalty>{v}</unitpenalty>",
    "<showunits>{v}</showunits>",
    "<subquestion><text>{v}</text><answer><text>{v}</text></answer></subquestion>",
    "<gradingtype>{v}</gradingtype>",
    "<selectoption><text>{v}</text><group>{v}</group></selectoption>",
    "<dragbox><text>{v}</text><group>{v}</group><infinite/></dragbox>",
    "<minwordlimit>{v}</minwordlimit>",
    "<responseformat>{v}</responseformat>",
    '<graderinfo format="{v}"><text>{v}</text></graderinfo>',
    "<dataset_definitions><dataset_definition><name><text>{v}</text></name><minimum><text>{v}</text></minimum>"
    "<maximum><text>{v}</text></maximum><decimals><text>{v}</text></decimals></dataset_definition>"
    "</dataset_definitions>",
    "<defaultgrade>{v}</defaultgrade>",
    "<tags><tag><text>{v}</text></tag></tags>",
    "<idnumber>{v}</idnumber>",
    '<questiontext format="{v}"><text>{v}<b>bare</b></text><file name="x">AAAA</file></questiontext>',
    "<category><text>{v}</text></category>",
    "<name/>",
]
MOODLE_TYPES = [*reader.READERS, "category", "random", ""]


@settings(derandomize=True, deadline=None, max_examples=400)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(MOODLE_TYPES),
            st.lists(st.tuples(st.sampled_from(ELEMENTS), st.sampled_from(VALUES)), max_size=8),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_no_soup_of_moodle_elements_makes_parse_raise(questions: list[tuple[str, list[tuple[str, str]]]]) -> None:
    parts = []
    for qtype, elements in questions:
        body = "".join(template.format(v=value) for template, value in elements)
        parts.append(f'<question type="{qtype}">\n{body}\n</question>')
    result = FORMAT.parse(quiz(*parts))
    assert len(result.questions) + len(result.problems) >= 1
    for parsed in result.questions:
        assert parsed.qtype in set(TYPES)
        assert isinstance(parsed.data, dict) and isinstance(parsed.default_mark, Decimal)
    for problem in result.problems:
        assert problem.line is None or problem.line >= 1
