"""IMS QTI 2.1 / 2.2: import of items and content packages (fixtures/qti/ hold a QTI 2.1 package shaped like an
authoring tool's export, and QTI 2.2 items as TAO writes them), the refusal of other versions and of hostile
files, and the QTI 2.1 export with its round trip export → import for every type."""

from __future__ import annotations

import importlib
import io
import time
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from syllabus.assessment import archives, xmlsafe
from syllabus.assessment.formats import base
from syllabus.assessment.formats.qti2 import format as qti2
from syllabus.assessment.formats.qti2 import manifest, markup, reading
from syllabus.assessment.question_types import base as qtypes
from syllabus.assessment.services import imports
from syllabus.catalog.richtext import sanitize_html
from tests.assessment.conftest import QuizWorld

FIXTURES = Path(__file__).parent / "fixtures" / "qti"
FORMAT = base.get("qti2")
QTI21 = "http://www.imsglobal.org/xsd/imsqti_v2p1"


def qtype_or_skip(key: str) -> qtypes.QuestionType:
    """The registered type; skipped while its plugin (written in parallel) is not there yet."""
    try:
        importlib.import_module(f"syllabus.assessment.question_types.{key}.qtype")
    except ImportError:
        pytest.skip(f"question type {key} is not written yet")
    return qtypes.get(key)


def zip_folder(folder: Path, *, extra: dict[str, bytes] | None = None, leave_out: tuple[str, ...] = ()) -> bytes:
    """A fixture folder as the zip an authoring tool would upload (built here: no binary fixtures)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for path in sorted(folder.rglob("*")):
            name = path.relative_to(folder).as_posix()
            if path.is_file() and name not in leave_out:
                package.write(path, name)
        for name, content in (extra or {}).items():
            package.writestr(name, content)
    return buffer.getvalue()


def fixture_package(**kwargs: Any) -> base.ParseResult:
    return FORMAT.parse(zip_folder(FIXTURES / "qti21_package", **kwargs), filename="fire_safety.zip")


def item(text: str) -> bytes:
    """A QTI 2.1 item around `text` (response declarations, body, processing)."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<assessmentItem xmlns="{QTI21}" identifier="q1" title="Q1" '
        f'adaptive="false" timeDependent="false">{text}</assessmentItem>'
    ).encode()


def by_name(result: base.ParseResult) -> dict[str, base.ParsedQuestion]:
    return {q.name: q for q in result.questions}


def without_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_ids(v) for k, v in value.items() if k != "id"}
    if isinstance(value, list):
        return [without_ids(v) for v in value]
    return value


# --- a QTI 2.1 package -----------------------------------------------------------------------------------------------


def test_the_package_imports_every_readable_item_and_names_the_files_it_cannot_read() -> None:
    result = fixture_package()
    assert result.summary == "QTI 2.1 package, 9 items"
    assert [(q.qtype, q.idnumber) for q in result.questions] == [
        ("single", "extinguisher"),
        ("multiple", "hazards"),
        ("ordering", "evacuation"),
        ("matching", "classes"),
        ("ddwtos", "triangle"),
        ("gapselect", "assembly"),
        ("shortanswer", "emergency-number"),
        ("numerical", "temperature"),
        ("essay", "report"),
    ]
    assert result.problems == [
        base.Problem(
            reading.UNSUPPORTED_INTERACTION.format(name="hotspotInteraction"),
            line=9,
            where="items/floor_plan.xml (item floor-plan)",
            question="Nearest exit",
        ),
        base.Problem(qti2.ITEM_MISSING.format(href="items/missing.xml"), where="items/missing.xml"),
    ]


def test_every_question_of_the_package_passes_its_type_validation() -> None:
    for question in fixture_package().questions:
        kind = qtype_or_skip(question.qtype)
        kind.clean(question.data, text=question.text)


def test_a_single_choice_takes_its_fractions_from_the_mapping_and_its_feedback_from_the_item() -> None:
    question = by_name(fixture_package())["Extinguisher for electrical fires"]
    assert question.qtype == "single"
    assert (
        question.text
        == "<p>A computer monitor has caught fire in the office.</p><p>Which extinguisher should you use?</p>"
    )
    assert question.default_mark == Decimal(2)
    assert question.data == {
        "options": [
            {"text": "Water", "fraction": "-0.5", "feedback": "Never use water on electrical equipment."},
            {"text": "Carbon dioxide (<em>black</em> label)", "fraction": "1", "feedback": ""},
            {"text": "Dry powder", "fraction": "0.5", "feedback": "It works, but the powder ruins the equipment."},
        ],
        "shuffle": True,
        "numbering": "abc",
    }


def test_a_multiple_response_normalises_mapped_values_so_the_right_choices_sum_to_one() -> None:
    question = by_name(fixture_package())["Fire hazards in a kitchen"]
    assert [o["fraction"] for o in question.data["options"]] == ["0.3333333", "0.3333333", "-0.5", "0.3333333"]
    assert question.default_mark == Decimal(3)
    assert question.text == "<p>Which of these are fire hazards? Choose every one that applies.</p>"


def test_an_order_interaction_lists_the_items_in_the_correct_order() -> None:
    question = by_name(fixture_package())["What to do when the alarm sounds"]
    assert question.data == {
        "items": [
            {"text": "Stop work and leave your things"},
            {"text": "Leave by the nearest exit"},
            {"text": "Go to the assembly point"},
            {"text": "Report to the fire marshal"},
        ],
        "grading": "all_or_nothing",
    }


def test_a_match_interaction_pairs_sources_with_targets_and_keeps_unused_targets_as_distractors() -> None:
    question = by_name(fixture_package())["Classes of fire"]
    assert question.data == {
        "pairs": [
            {"prompt": "Wood and paper", "answer": "Class A"},
            {"prompt": "Petrol", "answer": "Class B"},
            {"prompt": "Butane", "answer": "Class C"},
            {"prompt": "", "answer": "Class D"},
        ],
        "shuffle": True,
    }
    assert question.default_mark == Decimal(3)


def test_a_gap_match_interaction_becomes_drag_into_text_with_gap_markers_in_the_text() -> None:
    question = by_name(fixture_package())["The fire triangle"]
    assert question.text == "<p>Drag the words into the sentence.</p><p>A fire needs [[1]], [[2]] and [[3]].</p>"
    assert question.data == {
        "choices": [
            {"text": "heat", "group": 1, "infinite": False},
            {"text": "fuel", "group": 1, "infinite": False},
            {"text": "oxygen", "group": 1, "infinite": False},
            {"text": "water", "group": 1, "infinite": False},
        ],
        "shuffle": True,
    }


def test_inline_choices_alone_become_select_missing_words_with_a_group_per_list() -> None:
    question = by_name(fixture_package())["Assembly point"]
    assert question.text == "<p>Our assembly point is the [[1]], where you report to the [[4]].</p>"
    assert question.data == {
        "choices": [
            {"text": "car park", "group": 1},
            {"text": "canteen", "group": 1},
            {"text": "manager", "group": 2},
            {"text": "fire marshal", "group": 2},
        ],
        "shuffle": False,
    }


def test_one_string_text_entry_becomes_a_short_answer_from_its_mapping() -> None:
    question = by_name(fixture_package())["Emergency number"]
    assert question.text == "<p>Which number do you call for the fire service in Europe? </p>"
    assert question.data == {
        "answers": [
            {"text": "112", "fraction": "1", "feedback": ""},
            {"text": "999", "fraction": "1", "feedback": ""},
            {"text": "911", "fraction": "0.5", "feedback": ""},
        ],
        "case_sensitive": False,
    }


def test_a_float_text_entry_becomes_numerical_with_tolerances_from_equal_and_from_a_range() -> None:
    question = by_name(fixture_package())["Ignition temperature of paper"]
    assert question.data == {
        "answers": [
            {
                "value": "233",
                "tolerance": "5",
                "fraction": "1",
                "feedback": "Yes: 233 °C, the “Fahrenheit 451” of the novel.",
            },
            {"value": "250", "tolerance": "50", "fraction": "0.5", "feedback": ""},
        ],
        "units": [],
        "unit_handling": "none",
        "unit_penalty": "0.1",
    }


def test_an_extended_text_becomes_an_essay_and_the_scorer_rubric_its_grader_information() -> None:
    question = by_name(fixture_package())["Near-miss report"]
    assert question.text == "<p>Describe a fire near-miss you have seen at work and what should have been done.</p>"
    assert question.data == {
        "response_format": "editor",
        "min_words": 0,
        "max_words": 0,
        "grader_info": "<p>Full marks name the hazard, the risk and one control.</p>",
        "template": "",
    }


def test_tags_difficulty_and_category_come_from_the_manifest_and_the_test_sections() -> None:
    questions = by_name(fixture_package())
    first = questions["Extinguisher for electrical fires"]
    assert (first.tags, first.difficulty, first.category) == (["fire", "extinguishers"], 2, "Fire safety/Extinguishers")
    second = questions["Fire hazards in a kitchen"]
    assert (second.tags, second.difficulty, second.category) == ([], None, "Fire safety")
    assert questions["Classes of fire"].category == ""


def test_a_package_zipped_with_its_folder_is_found_one_level_down() -> None:
    folder = FIXTURES / "qti21_package"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                package.write(path, "export/" + path.relative_to(folder).as_posix())
    result = FORMAT.parse(buffer.getvalue())
    assert len(result.questions) == 9
    assert result.questions[0].where == "export/items/extinguisher.xml"


def test_a_package_without_a_manifest_is_refused() -> None:
    result = fixture_package(leave_out=("imsmanifest.xml",))
    assert result.problems == [base.Problem(manifest.NO_MANIFEST)]
    assert result.questions == []


def test_an_item_that_is_not_well_formed_is_a_problem_of_its_file_and_the_others_still_import() -> None:
    broken = (FIXTURES / "qti21_package" / "items" / "report.xml").read_bytes()[:-40]
    result = fixture_package(leave_out=("items/report.xml",), extra={"items/report.xml": broken})
    assert len(result.questions) == 8
    problem = next(p for p in result.problems if p.where == "items/report.xml")
    assert problem.message.startswith("The file is not well-formed XML:")


# --- QTI 2.2 items --------------------------------------------------------------------------------------------------


def qti22(name: str) -> base.ParseResult:
    return FORMAT.parse((FIXTURES / "qti22" / name).read_bytes(), filename=name)


def test_a_choice_between_true_and_false_becomes_a_true_false_question_with_its_feedback() -> None:
    result = qti22("true_false.xml")
    assert result.summary == "QTI 2.2 item"
    [question] = result.questions
    assert question.qtype == "truefalse"
    assert question.data == {
        "correct": False,
        "feedback_true": "<p>Lifts can stop between floors when the power fails: take the stairs.</p>",
        "feedback_false": "<p>Right: always take the stairs.</p>",
    }
    assert question.text == (
        '<div class="grid-row"><div class="col-12"><p>You may use the lift to leave the building during a fire.</p>'
        "</div></div>"
    )


def test_mixed_inline_choices_and_text_entries_become_cloze_markup_weighted_by_their_mappings() -> None:
    [question] = qti22("cloze.xml").questions
    assert question.qtype == "cloze"
    assert question.text == (
        "<p>The gauge needle must be in the {2:MULTICHOICE_S:=green~%50%yellow~red} zone, the extinguisher "
        "serviced every {1:NUMERICAL:=12} months, and the {1:SHORTANSWER:=safety pin~%50%pin} in place.</p>"
    )
    assert question.default_mark == Decimal(4)
    kind = qtype_or_skip("cloze")
    parts = kind.clean(question.data, text=question.text)["parts"]
    assert [(p["kind"], p["weight"], [a["fraction"] for a in p["answers"]]) for p in parts] == [
        ("single", 2, ["1", "0.5", "0"]),
        ("numerical", 1, ["1"]),
        ("shortanswer", 1, ["1", "0.5"]),
    ]


def test_equal_rounded_to_one_decimal_place_is_a_tolerance_of_half_a_tenth() -> None:
    [question] = qti22("rounded.xml").questions
    assert question.data["answers"] == [{"value": "2.5", "tolerance": "0.05", "fraction": "1", "feedback": ""}]


def test_an_associate_interaction_becomes_matching_with_unpaired_choices_as_distractors() -> None:
    [question] = qti22("associate.xml").questions
    assert question.data == {
        "pairs": [
            {"prompt": "Red square sign", "answer": "Fire equipment"},
            {"prompt": "Green running-man sign", "answer": "Escape route"},
            {"prompt": "", "answer": "First aid"},
        ],
        "shuffle": True,
    }


def test_an_item_without_interactions_is_a_description() -> None:
    [question] = qti22("description.xml").questions
    assert (question.qtype, question.data, question.default_mark) == ("description", {}, Decimal(0))
    assert (
        question.text
        == "<h2>Fire safety refresher</h2><p>The next questions are about <strong>your</strong> building.</p>"
    )


def test_an_unsupported_interaction_is_a_problem_naming_the_file_and_the_item() -> None:
    result = qti22("slider.xml")
    assert result.questions == []
    assert result.problems == [
        base.Problem(
            "QTI interaction sliderInteraction is not supported.",
            line=6,
            where="slider.xml (item confidence)",
            question="How confident are you?",
        )
    ]


# --- what is refused -------------------------------------------------------------------------------------------------


def test_qti_3_is_refused_with_the_way_forward() -> None:
    assert qti22("qti3.xml").problems == [
        base.Problem("QTI 3.0 is not supported; export QTI 2.1 or 2.2.", where="qti3.xml")
    ]


def test_qti_3_items_in_a_package_are_refused_too() -> None:
    listing = (
        b'<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"><resources>'
        b'<resource identifier="R" type="imsqti_item_xmlv3p0" href="qti3.xml"/></resources></manifest>'
    )
    package = zip_folder(FIXTURES / "qti22", extra={"imsmanifest.xml": listing})
    assert FORMAT.parse(package).problems == [base.Problem(qti2.QTI3_REFUSED, where="imsmanifest.xml")]


def test_qti_1_2_is_sent_to_the_qti_1_2_format() -> None:
    content = (FIXTURES / "blackboard_pool" / "res00001.dat").read_bytes()
    assert FORMAT.parse(content, filename="pool.xml").problems == [base.Problem(qti2.QTI12_HERE, where="pool.xml")]
    canvas = zip_folder(FIXTURES / "canvas_export")
    assert FORMAT.parse(canvas).problems == [base.Problem(qti2.QTI12_HERE, where="imsmanifest.xml")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p0" identifier="x"/>', qti2.QTI20_REFUSED),
        (f'<assessmentTest xmlns="{QTI21}" identifier="t" title="T"/>'.encode(), qti2.TEST_ALONE),
        (b'<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"/>', qti2.MANIFEST_ALONE),
        (b"<quiz><question/></quiz>", "This is not a QTI 2.1 or 2.2 item: the file holds <quiz> without a namespace."),
        (
            b'<assessmentItem xmlns="http://example.com/qti" identifier="x"/>',
            "This is not a QTI 2.1 or 2.2 item: the file holds <assessmentItem> in namespace http://example.com/qti.",
        ),
    ],
    ids=["qti 2.0", "test", "manifest", "moodle xml", "unknown namespace"],
)
def test_anything_but_a_qti_2_item_is_refused_naming_what_was_found(content: bytes, message: str) -> None:
    result = FORMAT.parse(content, filename="upload.xml")
    assert (result.questions, result.problems) == ([], [base.Problem(message, where="upload.xml")])


def test_an_item_with_an_external_entity_is_refused_before_parsing() -> None:
    content = (FIXTURES / "hostile" / "xxe_item.xml").read_bytes()
    result = FORMAT.parse(content, filename="xxe.xml")
    assert result.problems == [base.Problem(xmlsafe.DOCTYPE_REFUSED, where="xxe.xml")]
    assert result.questions == []


def test_an_item_with_an_external_entity_inside_a_package_is_refused_and_the_rest_imports() -> None:
    hostile = (FIXTURES / "hostile" / "xxe_item.xml").read_bytes()
    result = fixture_package(leave_out=("items/report.xml",), extra={"items/report.xml": hostile})
    assert base.Problem(xmlsafe.DOCTYPE_REFUSED, where="items/report.xml") in result.problems
    assert len(result.questions) == 8
    assert all("passwd" not in q.text and "root:" not in q.text for q in result.questions)


def test_a_manifest_with_a_doctype_is_refused() -> None:
    hostile = (FIXTURES / "hostile" / "doctype_manifest.xml").read_bytes()
    result = fixture_package(leave_out=("imsmanifest.xml",), extra={"imsmanifest.xml": hostile})
    assert result.problems == [base.Problem(xmlsafe.DOCTYPE_REFUSED, where="imsmanifest.xml")]
    assert result.questions == []


def test_a_package_with_a_zip_slip_member_is_refused_whole() -> None:
    result = fixture_package(extra={"../../etc/cron.d/owned": b"* * * * * root sh"})
    assert result.problems == [base.Problem(archives.UNSAFE_PATH.format(name="../../etc/cron.d/owned"))]
    assert result.questions == []


def test_a_package_with_a_zip_bomb_is_refused_whole() -> None:
    result = fixture_package(extra={"images/bomb.png": bytes(50 * 1024 * 1024)})
    assert result.problems == [base.Problem(archives.MEMBER_TOO_LARGE.format(limit=20, name="images/bomb.png"))]


def test_a_manifest_pointing_outside_the_package_is_a_problem() -> None:
    outside = (
        b'<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"><resources>'
        b'<resource identifier="R1" type="imsqti_item_xmlv2p1" href="../../etc/passwd"/>'
        b'<resource identifier="R2" type="imsqti_item_xmlv2p1" href="items/hazards.xml"/>'
        b"</resources></manifest>"
    )
    result = fixture_package(leave_out=("imsmanifest.xml",), extra={"imsmanifest.xml": outside})
    assert result.problems == [base.Problem(qti2.ITEM_OUTSIDE.format(href="../../etc/passwd"), where="imsmanifest.xml")]
    assert [q.idnumber for q in result.questions] == ["hazards"]


def test_template_variables_are_refused() -> None:
    content = item(
        '<templateDeclaration identifier="A" cardinality="single" baseType="integer"/><itemBody><p>{A}</p></itemBody>'
    )
    assert [p.message for p in FORMAT.parse(content).problems] == [reading.TEMPLATES]


def test_a_choice_and_a_text_entry_in_one_item_cannot_be_one_question() -> None:
    content = item(
        '<responseDeclaration identifier="R1" cardinality="single" baseType="identifier">'
        "<correctResponse><value>A</value></correctResponse></responseDeclaration>"
        '<responseDeclaration identifier="R2" cardinality="single" baseType="string"/>'
        '<itemBody><choiceInteraction responseIdentifier="R1" maxChoices="1">'
        '<simpleChoice identifier="A">a</simpleChoice><simpleChoice identifier="B">b</simpleChoice></choiceInteraction>'
        '<p><textEntryInteraction responseIdentifier="R2"/></p></itemBody>'
    )
    assert [p.message for p in FORMAT.parse(content).problems] == [
        reading.COMBINED.format(names="choiceInteraction, textEntryInteraction")
    ]


def test_a_choice_nobody_can_score_on_is_a_problem_not_a_question() -> None:
    content = item(
        '<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier"/>'
        '<itemBody><choiceInteraction responseIdentifier="RESPONSE" maxChoices="1">'
        '<simpleChoice identifier="A">a</simpleChoice><simpleChoice identifier="B">b</simpleChoice>'
        "</choiceInteraction></itemBody>"
    )
    result = FORMAT.parse(content, filename="q.xml")
    assert result.problems == [
        base.Problem(
            reading.NO_RIGHT_CHOICE.format(name="choiceInteraction"), line=2, where="q.xml (item q1)", question="Q1"
        )
    ]


def test_an_interaction_without_its_response_declaration_is_a_problem() -> None:
    content = item('<itemBody><p><textEntryInteraction responseIdentifier="NOWHERE"/></p></itemBody>')
    assert [p.message for p in FORMAT.parse(content).problems] == [
        reading.NO_DECLARATION.format(identifier="NOWHERE", name="textEntryInteraction")
    ]


def test_answer_rules_with_patterns_keep_their_order_wildcards_and_feedback() -> None:
    content = item(
        '<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="string"/>'
        '<outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"/>'
        '<itemBody><p>Name the gas <textEntryInteraction responseIdentifier="RESPONSE"/></p></itemBody>'
        "<responseProcessing><responseCondition>"
        '<responseIf><stringMatch caseSensitive="false"><variable identifier="RESPONSE"/>'
        '<baseValue baseType="string">oxygen</baseValue></stringMatch>'
        '<setOutcomeValue identifier="SCORE"><baseValue baseType="float">2</baseValue></setOutcomeValue>'
        '<setOutcomeValue identifier="FEEDBACK"><baseValue baseType="identifier">FB1</baseValue></setOutcomeValue>'
        "</responseIf>"
        '<responseElseIf><patternMatch pattern="[oO][xX].*"><variable identifier="RESPONSE"/></patternMatch>'
        '<setOutcomeValue identifier="SCORE"><baseValue baseType="float">1</baseValue></setOutcomeValue>'
        "</responseElseIf>"
        '<responseElseIf><patternMatch pattern="(a|b)+"><variable identifier="RESPONSE"/></patternMatch>'
        '<setOutcomeValue identifier="SCORE"><baseValue baseType="float">1</baseValue></setOutcomeValue>'
        "</responseElseIf>"
        "</responseCondition></responseProcessing>"
        '<modalFeedback outcomeIdentifier="FEEDBACK" identifier="FB1" showHide="show"><p>Yes.</p></modalFeedback>'
    )
    result = FORMAT.parse(content, filename="q.xml")
    [question] = result.questions
    assert question.data == {
        "answers": [
            {"text": "oxygen", "fraction": "1", "feedback": "<p>Yes.</p>"},
            {"text": "ox*", "fraction": "0.5", "feedback": ""},
        ],
        "case_sensitive": False,
    }
    assert question.default_mark == Decimal(2)
    assert result.problems == [
        base.Problem(reading.UNREADABLE_PATTERN.format(pattern="(a|b)+"), where="q.xml (item q1)")
    ]


# --- export ----------------------------------------------------------------------------------------------------------

SAMPLES: dict[str, tuple[str, dict[str, Any]]] = {
    "single": (
        "<p>Which extinguisher for an electrical fire?</p>",
        {
            "options": [
                {"text": "<p>CO<sub>2</sub></p>", "fraction": "1", "feedback": "<p>Yes.</p>"},
                {"text": "Powder &amp; foam", "fraction": "0.3333333", "feedback": ""},
                {"text": "Water", "fraction": "-0.5", "feedback": "<p>Never.</p>"},
            ],
            "shuffle": False,
            "numbering": "ABCD",
        },
    ),
    "multiple": (
        "<p>Which are hazards?</p>",
        {
            "options": [
                {"text": "Oil", "fraction": "0.5", "feedback": ""},
                {"text": "Towels", "fraction": "0.5", "feedback": "<p>Yes, towels.</p>"},
                {"text": "Kettle", "fraction": "-1", "feedback": ""},
            ],
            "shuffle": True,
            "numbering": "123",
        },
    ),
    "truefalse": (
        "<p>Fire doors may be propped open.</p>",
        {"correct": False, "feedback_true": "<p>No: smoke spreads.</p>", "feedback_false": "<p>Right.</p>"},
    ),
    "shortanswer": (
        "<p>Which gas feeds a fire?</p>",
        {
            "answers": [
                {"text": "oxygen", "fraction": "1", "feedback": "<p>Yes.</p>"},
                {"text": "O2", "fraction": "1", "feedback": ""},
                {"text": "oxy*", "fraction": "0.5", "feedback": "<p>Nearly.</p>"},
                {"text": "*", "fraction": "0", "feedback": "<p>Think of the air.</p>"},
            ],
            "case_sensitive": False,
        },
    ),
    "numerical": (
        "<p>How many metres from an exit?</p>",
        {
            "answers": [
                {"value": "18", "tolerance": "0.5", "fraction": "1", "feedback": "<p>Yes.</p>"},
                {"value": "20", "tolerance": "5", "fraction": "0.5", "feedback": ""},
                {"value": "*", "tolerance": "0", "fraction": "0", "feedback": "<p>Look at the plan.</p>"},
            ],
            "units": [],
            "unit_handling": "none",
            "unit_penalty": "0.1",
        },
    ),
    "matching": (
        "<p>Match the band to the extinguisher.</p>",
        {
            "pairs": [
                {"prompt": "<p>red</p>", "answer": "water"},
                {"prompt": "cream", "answer": "foam"},
                {"prompt": "<strong>black</strong>", "answer": "CO2"},
                {"prompt": "white", "answer": "foam"},
                {"prompt": "", "answer": "wet chemical"},
            ],
            "shuffle": True,
        },
    ),
    "ordering": (
        "<p>Order the steps.</p>",
        {
            "items": [{"text": "Raise the alarm"}, {"text": "<em>Call</em> 112"}, {"text": "Leave"}],
            "grading": "relative_next",
        },
    ),
    "gapselect": (
        "<p>The [[1]] sat on the [[3]], [[2]].</p><p>Then the [[4]].</p>",
        {
            "choices": [
                {"text": "cat", "group": 1},
                {"text": "dog", "group": 1},
                {"text": "mat", "group": 2},
                {"text": "hat", "group": 2},
            ],
            "shuffle": True,
        },
    ),
    "ddwtos": (
        "<p>A fire needs [[1]], [[2]] and [[3]].</p>",
        {
            "choices": [
                {"text": "heat", "group": 1, "infinite": False},
                {"text": "fuel", "group": 1, "infinite": True},
                {"text": "oxygen", "group": 2, "infinite": False},
                {"text": "water", "group": 2, "infinite": False},
            ],
            "shuffle": False,
        },
    ),
    "cloze": (
        "<p>The capital is {1:SHORTANSWER:=Paris#Yes~%50%Lyon#Close}, {2:NUMERICAL:=23.8:0.1~%50%23.8:2} degrees, "
        "and {3:MULTICHOICE_VS:Yes~=No#Right} and {1:SHORTANSWER_C:=CO2}.</p>",
        {},
    ),
    "essay": (
        "<p>Describe your route out.</p>",
        {
            "response_format": "plain",
            "min_words": 20,
            "max_words": 200,
            "grader_info": "<p>Two exits and the assembly point.</p>",
            "template": "My route:",
        },
    ),
    "description": ("<p>The next questions are about your floor.</p>", {}),
    "calculated": (
        "<p>{a} + {b}?</p>",
        {
            "answers": [
                {
                    "formula": "{a} + {b}",
                    "fraction": "1",
                    "tolerance": "0.01",
                    "tolerance_type": "nominal",
                    "decimals": 2,
                    "feedback": "",
                }
            ],
            "variables": [
                {"name": "a", "min": "1", "max": "9", "decimals": 0},
                {"name": "b", "min": "1", "max": "9", "decimals": 0},
            ],
            "units": [],
            "unit_handling": "none",
            "unit_penalty": "0.1",
        },
    ),
}
WRITABLE = [key for key in SAMPLES if key != "calculated"]


def exported(qtype: str, **fields: Any) -> base.ExportedQuestion:
    """The sample of `qtype` as the export service hands it over: data already cleaned by its type."""
    text, data = SAMPLES[qtype]
    kind = qtype_or_skip(qtype)
    cleaned = kind.clean(data, text=text)
    values: dict[str, Any] = {
        "qtype": qtype,
        "name": f"The {qtype} question",
        "text": kind.clean_text(text, cleaned),
        "general_feedback": "<p>General feedback &amp; more.</p>",
        "default_mark": Decimal("2.5") if kind.graded else Decimal(0),
        "data": cleaned,
        "category": "Fire safety/Extinguishers",
        "tags": ("fire", "safety"),
        "difficulty": 4,
        "idnumber": f"FS-{qtype}",
    }
    values.update(fields)
    return base.ExportedQuestion(**values)


def members(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as package:
        return {name: package.read(name) for name in package.namelist()}


def test_the_format_exports_a_qti_2_1_zip_and_names_calculated_as_unsupported() -> None:
    assert (FORMAT.can_import, FORMAT.can_export, FORMAT.export_extension) == (True, True, ".zip")
    assert [key for key in SAMPLES if FORMAT.unsupported(key)] == ["calculated"]


def test_the_export_writes_a_manifest_and_one_qti_2_1_item_per_question_leaving_calculated_out() -> None:
    questions = [exported(key) for key in ("single", "essay")]
    files = members(FORMAT.export([*questions, exported("calculated")]))
    assert sorted(files) == ["imsmanifest.xml", "items/FS-essay.xml", "items/FS-single.xml", "tests/test.xml"]
    root = xmlsafe.parse(files["imsmanifest.xml"])
    resources = [(r.get("identifier"), r.get("type"), r.get("href")) for r in root.iter("{*}resource")]
    assert resources == [
        ("res-FS-single", "imsqti_item_xmlv2p1", "items/FS-single.xml"),
        ("res-FS-essay", "imsqti_item_xmlv2p1", "items/FS-essay.xml"),
        ("res-test", "imsqti_test_xmlv2p1", "tests/test.xml"),
    ]
    item_root = xmlsafe.parse(files["items/FS-single.xml"])
    assert item_root.tag == f"{{{QTI21}}}assessmentItem"
    assert (item_root.get("identifier"), item_root.get("title")) == ("FS-single", "The single question")


def test_identifiers_that_are_not_qti_identifiers_or_repeat_are_replaced() -> None:
    questions = [exported("description", idnumber="1 bad id"), exported("description", idnumber="same"),
                 exported("description", idnumber="same")]  # fmt: skip
    assert sorted(members(FORMAT.export(questions))) == [
        "imsmanifest.xml", "items/item-1.xml", "items/item-3.xml", "items/same.xml", "tests/test.xml",
    ]  # fmt: skip


def test_a_single_choice_is_written_with_its_mapping_in_marks_and_feedback_shown_by_response() -> None:
    root = xmlsafe.parse(members(FORMAT.export([exported("single")]))["items/FS-single.xml"])
    entries = [(e.get("mapKey"), e.get("mappedValue")) for e in root.iter(f"{{{QTI21}}}mapEntry")]
    assert entries == [("c1", "2.5"), ("c2", "0.83333325"), ("c3", "-1.25")]
    assert [v.text for v in root.iter(f"{{{QTI21}}}value")][:1] == ["c1"]
    feedback = {m.get("identifier") for m in root.iter(f"{{{QTI21}}}modalFeedback")}
    assert feedback == {"c1", "c3", "GENERAL"}
    assert root.find(f"{{{QTI21}}}itemBody/{{{QTI21}}}choiceInteraction").get("class") == "qti-labels-upper-alpha"


def test_without_feedback_the_standard_template_is_referenced() -> None:
    question = exported("ordering", general_feedback="")
    root = xmlsafe.parse(members(FORMAT.export([question]))["items/FS-ordering.xml"])
    processing = root.find(f"{{{QTI21}}}responseProcessing")
    assert processing.get("template") == "http://www.imsglobal.org/question/qti_v2p1/rptemplates/match_correct"
    assert len(processing) == 0


def test_the_export_survives_characters_xml_cannot_hold_and_brings_back_tags_qti_2_1_lacks() -> None:
    text = (
        '<p>Bell\x07 <u>under</u> and <s>struck</s></p><figure><img src="/a.png" alt="A">'
        "<figcaption>Cap</figcaption></figure>"
    )
    question = exported("description", name="Nul\x00 name", text=text, general_feedback="")
    files = members(FORMAT.export([question]))
    body = files["items/FS-description.xml"].decode()
    assert '<span class="syllabus-u">under</span>' in body and "<u>" not in body
    [back] = FORMAT.parse(FORMAT.export([question])).questions
    assert back.name == "Nul name"
    assert back.text == (
        '<p>Bell <u>under</u> and <s>struck</s></p><figure><img src="/a.png" alt="A"><figcaption>Cap</figcaption>'
        "</figure>"
    )


def test_text_without_blocks_is_wrapped_for_qti_and_unwrapped_on_the_way_back() -> None:
    question = exported("description", text="Plain words &amp; <strong>one</strong> bold", general_feedback="")
    body = members(FORMAT.export([question]))["items/FS-description.xml"].decode()
    assert '<itemBody><div class="syllabus-inline">Plain words &amp; <strong>one</strong> bold</div></itemBody>' in body
    [back] = FORMAT.parse(FORMAT.export([question])).questions
    assert back.text == "Plain words &amp; <strong>one</strong> bold"


@pytest.mark.parametrize("qtype", WRITABLE)
def test_a_round_trip_keeps_every_types_content_fractions_and_feedback(qtype: str) -> None:
    original = exported(qtype)
    result = FORMAT.parse(FORMAT.export([original]))
    assert result.problems == []
    [back] = result.questions
    kind = qtypes.get(qtype)
    assert back.qtype == qtype
    assert without_ids(kind.clean(back.data, text=back.text)) == without_ids(dict(original.data))
    assert (back.name, back.default_mark, back.idnumber) == (original.name, original.default_mark, original.idnumber)
    assert sanitize_html(back.general_feedback) == original.general_feedback
    assert (back.category, back.tags, back.difficulty) == (original.category, list(original.tags), original.difficulty)
    if qtype != "cloze":  # cloze markup is rebuilt from its parts (same parts; weights written out)
        assert sanitize_html(back.text) == sanitize_html(original.text)


def test_a_round_trip_of_the_whole_set_keeps_the_order_and_the_categories() -> None:
    originals = [exported(key, category="" if key == "single" else f"Cat {key}") for key in WRITABLE]
    result = FORMAT.parse(FORMAT.export(originals))
    assert [(q.qtype, q.category) for q in result.questions] == [(q.qtype, q.category) for q in originals]
    assert result.summary == f"QTI 2.1 package, {len(WRITABLE)} items"


FRACTIONS = st.sampled_from(["1", "0.9", "0.8333333", "0.75", "0.6666667", "0.5", "0.3333333", "0.25", "0.2",
                             "0.1428571", "0.1", "0.05", "0", "-0.1", "-0.3333333", "-0.5", "-1"])  # fmt: skip
MARKS = st.sampled_from(["1", "0.5", "2.5", "3", "7", "10", "33.3", "100", "0.1"])


@settings(derandomize=True, deadline=None, max_examples=60)
@given(fractions=st.lists(FRACTIONS, min_size=1, max_size=7), mark=MARKS)
def test_single_choice_fractions_survive_any_mark_exactly(fractions: list[str], mark: str) -> None:
    kind = qtype_or_skip("single")
    options = [{"text": "Right", "fraction": "1", "feedback": ""}]
    options += [{"text": f"Option {n}", "fraction": f, "feedback": ""} for n, f in enumerate(fractions)]
    data = kind.clean({"options": options, "shuffle": False, "numbering": "abc"}, text="<p>Q</p>")
    question = exported("single", data=data, default_mark=Decimal(mark), general_feedback="")
    [back] = FORMAT.parse(FORMAT.export([question])).questions
    assert [o["fraction"] for o in back.data["options"]] == [o["fraction"] for o in data["options"]]
    assert back.default_mark == Decimal(mark)


@settings(derandomize=True, deadline=None, max_examples=40)
@given(weights=st.lists(st.integers(min_value=1, max_value=20), min_size=2, max_size=6))
def test_multiple_response_fractions_still_sum_to_one_after_a_round_trip(weights: list[int]) -> None:
    kind = qtype_or_skip("multiple")
    total = sum(weights)
    options = [
        {"text": f"Right {n}", "fraction": str(Decimal(w) / total), "feedback": ""} for n, w in enumerate(weights)
    ]
    options.append({"text": "Wrong", "fraction": "-1", "feedback": ""})
    data = kind.clean({"options": options, "shuffle": False, "numbering": "abc"}, text="<p>Q</p>")
    question = exported("multiple", data=data, general_feedback="")
    [back] = FORMAT.parse(FORMAT.export([question])).questions
    cleaned = kind.clean(back.data, text=back.text)
    fractions = [Decimal(o["fraction"]) for o in cleaned["options"]]
    positives = sum((f for f in fractions if f > 0), Decimal(0))
    assert abs(positives - 1) <= Decimal("0.005")
    assert without_ids(cleaned) == without_ids(data)


# --- through the import service --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_fixture_package_previews_through_the_import_service_with_its_two_problems(quiz_world: QuizWorld) -> None:
    content = zip_folder(FIXTURES / "qti21_package")
    plan = imports.import_preview(
        bank=quiz_world.bank, category=quiz_world.category, fmt="qti2", content=content, filename="fire.zip",
        by=quiz_world.owner,
    )  # fmt: skip
    assert plan.summary == "QTI 2.1 package, 9 items"
    assert [p.where for p in plan.problems] == ["items/floor_plan.xml (item floor-plan)", "items/missing.xml"]
    assert {row.name: row.messages for row in plan.rows if not row.valid} == {}
    assert plan.valid_count == 9


@pytest.mark.django_db
def test_an_export_imports_back_whole_through_the_import_service(quiz_world: QuizWorld) -> None:
    content = FORMAT.export([exported(key) for key in WRITABLE])
    result = imports.import_apply(
        bank=quiz_world.bank, category=quiz_world.category, fmt="qti2", content=content, filename="export.zip",
        valid_only=False, by=quiz_world.owner,
    )  # fmt: skip
    assert len(result.created_ids) == len(WRITABLE)


# --- malformed items ------------------------------------------------------------------------------------------------

ITEM_FILES = sorted((FIXTURES / "qti21_package" / "items").glob("*.xml")) + sorted((FIXTURES / "qti22").glob("*.xml"))
ODD_VALUES = ["", "0", "-1", "x y", "1e99999", "NaN", "99999999999999999999", "true", "c1", "[[1]]", "{1:SA:=x}"]


def mutate(content: bytes, edits: list[tuple[int, int, int]]) -> bytes:
    """The XML with elements dropped, attributes dropped or changed, texts replaced: what a broken tool writes."""
    root = etree.fromstring(content)
    for operation, target, value in edits:
        elements = [e for e in root.iter() if isinstance(e.tag, str)]
        element = elements[target % len(elements)]
        odd = ODD_VALUES[value % len(ODD_VALUES)]
        names = list(element.attrib)
        if operation == 0 and element.getparent() is not None:
            element.getparent().remove(element)
        elif operation == 1 and names:
            del element.attrib[names[value % len(names)]]
        elif operation == 2 and names:
            element.set(names[value % len(names)], odd)
        else:
            element.text = odd
    return bytes(etree.tostring(root))


@settings(derandomize=True, deadline=None, max_examples=150)
@given(
    index=st.integers(min_value=0, max_value=len(ITEM_FILES) - 1),
    edits=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 500), st.integers(0, 50)), min_size=1, max_size=4),
)
def test_a_broken_item_is_imported_or_refused_with_a_message_naming_it_and_never_crashes(
    index: int, edits: list[tuple[int, int, int]]
) -> None:
    path = ITEM_FILES[index]
    result = FORMAT.parse(mutate(path.read_bytes(), edits), filename=path.name)
    assert len(result.questions) + len(result.problems) >= 1
    for problem in result.problems:
        assert problem.message and problem.where.startswith(path.name)
    for question in result.questions:
        assert qtypes.is_registered(question.qtype)


# --- regressions: an item costs time in proportion to its size ------------------------------------------------------


def _choice_item(choices: int, *, modal: int = 0) -> bytes:
    body = "".join(f'<simpleChoice identifier="c{i}">Choice {i}</simpleChoice>' for i in range(choices))
    feedback = "".join(
        f'<modalFeedback outcomeIdentifier="FEEDBACK" identifier="c{i}" showHide="show">Why {i}</modalFeedback>'
        for i in range(modal)
    )
    return item(
        '<responseDeclaration identifier="R" cardinality="single" baseType="identifier">'
        "<correctResponse><value>c1</value></correctResponse></responseDeclaration>"
        f'<itemBody><choiceInteraction responseIdentifier="R" maxChoices="1">{body}</choiceInteraction></itemBody>'
        f"{feedback}"
    )


def test_an_item_with_more_choices_than_the_row_limit_is_refused_before_it_is_read() -> None:
    started = time.monotonic()
    [problem] = FORMAT.parse(_choice_item(markup.MAX_ITEM_ROWS + 1)).problems
    assert time.monotonic() - started < 2
    assert problem.message == markup.ITEM_TOO_MANY_ROWS.format(limit="2,000", name="simpleChoice")
    assert problem.where == "item q1"


def test_choices_each_with_its_modal_feedback_are_read_quickly_and_keep_their_feedback() -> None:
    # Each choice scanned every modal feedback: choices × feedbacks (minutes for a 20 MB file).
    started = time.monotonic()
    [question] = FORMAT.parse(_choice_item(1500, modal=1500)).questions
    assert time.monotonic() - started < 5
    assert [o["feedback"] for o in question.data["options"][:3]] == ["Why 0", "Why 1", "Why 2"]
    assert question.general_feedback == ""


def test_rules_repeating_the_correct_response_list_its_answers_once() -> None:
    # Every "match correct" rule added every correct value again: rules × values answers (73 s for 776 KB).
    values = "".join(f"<value>answer {i}</value>" for i in range(1000))
    rules = (
        '<responseCondition><responseIf><match><variable identifier="R"/><correct identifier="R"/></match>'
        '<setOutcomeValue identifier="SCORE"><baseValue baseType="float">1</baseValue></setOutcomeValue>'
        "</responseIf></responseCondition>"
    ) * 1000
    content = item(
        f'<responseDeclaration identifier="R" cardinality="single" baseType="string"><correctResponse>{values}'
        '</correctResponse></responseDeclaration><itemBody><p>Name one: <textEntryInteraction responseIdentifier="R"/>'
        f"</p></itemBody><responseProcessing>{rules}</responseProcessing>"
    )
    started = time.monotonic()
    [question] = FORMAT.parse(content).questions
    assert time.monotonic() - started < 5
    assert [a["text"] for a in question.data["answers"]] == [f"answer {i}" for i in range(1000)]


def test_an_item_nested_deeper_than_the_limit_is_refused() -> None:
    depth = markup.MAX_ITEM_DEPTH
    content = item("<itemBody>" + "<div>" * depth + "<p>deep</p>" + "</div>" * depth + "</itemBody>")
    [problem] = FORMAT.parse(content).problems
    assert problem.message == markup.ITEM_TOO_DEEP.format(limit=depth)


def test_an_item_with_more_elements_than_the_limit_is_refused() -> None:
    content = item("<itemBody><p>" + "<b>x</b>" * markup.MAX_ITEM_ELEMENTS + "</p></itemBody>")
    [problem] = FORMAT.parse(content).problems
    assert problem.message == markup.ITEM_TOO_LARGE.format(limit="50,000")


def test_a_large_body_nested_to_the_limit_is_read_quickly() -> None:
    # Every element of the body walked up to the root to know whether it was still attached: elements × depth.
    depth = markup.MAX_ITEM_DEPTH - 2
    body = "<div>" * depth + "<b>x</b>" * 20_000 + "</div>" * depth
    started = time.monotonic()
    [question] = FORMAT.parse(item(f"<itemBody>{body}</itemBody>")).questions
    assert time.monotonic() - started < 5
    assert question.qtype == "description"
    assert question.text.count("<b>x</b>") == 20_000


def test_two_interactions_bound_to_one_response_are_refused() -> None:
    content = item(
        '<responseDeclaration identifier="R" cardinality="single" baseType="string">'
        "<correctResponse><value>a</value></correctResponse></responseDeclaration>"
        '<itemBody><p><textEntryInteraction responseIdentifier="R"/> and '
        '<textEntryInteraction responseIdentifier="R"/></p></itemBody>'
    )
    assert [p.message for p in FORMAT.parse(content).problems] == [reading.SHARED_RESPONSE.format(identifier="R")]
