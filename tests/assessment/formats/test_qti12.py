"""IMS QTI 1.2 as Canvas and Blackboard export it: fixtures/qti/canvas_export is a Canvas classic-quiz QTI export
(manifest, the quiz's questestinterop, assessment_meta.xml) and fixtures/qti/blackboard_pool a Blackboard pool
export (manifest with bb:file, res00001.dat). Every supported type, the unsupported ones named by item, plain
QTI 1.2 without vendor metadata, and the refusals."""

from __future__ import annotations

import importlib
import io
import time
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syllabus.assessment import archives, xmlsafe
from syllabus.assessment.formats import base
from syllabus.assessment.formats.qti2 import markup
from syllabus.assessment.formats.qti12 import format as qti12
from syllabus.assessment.formats.qti12 import reading
from syllabus.assessment.question_types import base as qtypes
from syllabus.assessment.services import imports
from tests.assessment.conftest import QuizWorld
from tests.assessment.formats.test_qti2 import mutate

FIXTURES = Path(__file__).parent / "fixtures" / "qti"
FORMAT = base.get("qti12")
CANVAS_QUIZ = FIXTURES / "canvas_export" / "g3f7c2a9b1e" / "g3f7c2a9b1e.xml"
BLACKBOARD_POOL = FIXTURES / "blackboard_pool" / "res00001.dat"


def qtype_or_skip(key: str) -> qtypes.QuestionType:
    """The registered type; skipped while its plugin (written in parallel) is not there yet."""
    try:
        importlib.import_module(f"syllabus.assessment.question_types.{key}.qtype")
    except ImportError:
        pytest.skip(f"question type {key} is not written yet")
    return qtypes.get(key)


def zip_folder(folder: Path, *, extra: dict[str, bytes] | None = None, leave_out: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for path in sorted(folder.rglob("*")):
            name = path.relative_to(folder).as_posix()
            if path.is_file() and name not in leave_out:
                package.write(path, name)
        for name, content in (extra or {}).items():
            package.writestr(name, content)
    return buffer.getvalue()


def by_name(result: base.ParseResult) -> dict[str, base.ParsedQuestion]:
    return {q.name: q for q in result.questions}


def canvas() -> dict[str, base.ParsedQuestion]:
    return by_name(FORMAT.parse(zip_folder(FIXTURES / "canvas_export"), filename="quiz-export.zip"))


def blackboard() -> dict[str, base.ParsedQuestion]:
    return by_name(FORMAT.parse(zip_folder(FIXTURES / "blackboard_pool"), filename="pool.zip"))


def questestinterop(*items: str) -> bytes:
    return ('<questestinterop><assessment title="Plain"><section ident="s1">' + "".join(items)
            + "</section></assessment></questestinterop>").encode()  # fmt: skip


# --- Canvas ---------------------------------------------------------------------------------------------------------


def test_the_canvas_export_imports_every_supported_question_and_names_the_unsupported_one() -> None:
    result = FORMAT.parse(zip_folder(FIXTURES / "canvas_export"), filename="quiz-export.zip")
    assert result.summary == "QTI 1.2 (Canvas), 10 items"
    assert [q.qtype for q in result.questions] == [
        "single", "truefalse", "multiple", "shortanswer", "numerical", "matching", "essay", "description", "cloze",
        "gapselect",
    ]  # fmt: skip
    assert result.problems == [
        base.Problem(
            reading.UNSUPPORTED_CANVAS.format(name="file_upload_question"),
            line=541,
            where="g3f7c2a9b1e/g3f7c2a9b1e.xml, item iad0e1f2a3b4c5d6e7f8a9b0c1d2e3f4b",
            question="Upload your certificate",
        )
    ]


def test_every_canvas_question_passes_its_type_validation() -> None:
    for question in canvas().values():
        qtype_or_skip(question.qtype).clean(question.data, text=question.text)


def test_canvas_points_ids_and_the_quiz_title_become_mark_id_number_and_category() -> None:
    question = canvas()["Extinguisher colours"]
    assert (question.default_mark, question.idnumber, question.category) == (
        Decimal(2),
        "i0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d",
        "Fire safety check",
    )
    assert question.where == "g3f7c2a9b1e/g3f7c2a9b1e.xml, item i0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d"


def test_a_canvas_multiple_choice_scores_the_option_its_condition_sets_to_100() -> None:
    question = canvas()["Extinguisher colours"]
    assert question.text == "<div><p>What colour is the label of a <strong>foam</strong> extinguisher?</p></div>"
    assert question.data == {
        "options": [
            {"text": "Cream", "fraction": "1", "feedback": ""},
            {"text": "Red", "fraction": "0", "feedback": "Red is water."},
            {"text": "Blue &amp; white", "fraction": "0", "feedback": ""},
        ],
        "shuffle": False,
        "numbering": "abc",
    }
    assert question.general_feedback == "<p>Since 1997 every extinguisher is red, with a coloured band.</p>"


def test_a_canvas_true_false_gives_correct_and_incorrect_feedback_to_the_right_answers() -> None:
    assert canvas()["Lift in a fire"].data == {
        "correct": False,
        "feedback_true": "<p>Lifts can trap you.</p>",
        "feedback_false": "<p>Right: never the lift.</p>",
    }


def test_a_canvas_multiple_answers_gives_right_choices_a_share_and_wrong_ones_a_share_off() -> None:
    options = canvas()["Fire hazards"].data["options"]
    assert [(o["text"], o["fraction"]) for o in options] == [
        ("Frayed cables", "0.3333333"),
        ("Blocked fire doors", "0.3333333"),
        ("A closed window", "-0.3333333"),
        ("Overflowing bins", "0.3333333"),
    ]


def test_a_canvas_short_answer_accepts_each_answer_and_keeps_its_feedback() -> None:
    assert canvas()["Emergency number"].data == {
        "answers": [
            {"text": "999", "fraction": "1", "feedback": ""},
            {"text": "112", "fraction": "1", "feedback": "112 works across Europe, the UK included."},
        ],
        "case_sensitive": False,
    }


def test_a_canvas_numerical_answer_with_a_margin_and_a_range_answer_become_values_with_tolerances() -> None:
    assert canvas()["Travel distance"].data["answers"] == [
        {"value": "18", "tolerance": "0.5", "fraction": "1", "feedback": ""},
        {"value": "20", "tolerance": "5", "fraction": "1", "feedback": ""},
    ]


def test_a_canvas_matching_shares_answers_and_keeps_the_unused_one_as_a_distractor() -> None:
    assert canvas()["Match the class"].data == {
        "pairs": [
            {"prompt": "Wood", "answer": "Class A"},
            {"prompt": "Petrol", "answer": "Class B"},
            {"prompt": "Paper", "answer": "Class A"},
            {"prompt": "", "answer": "Class F"},
        ],
        "shuffle": True,
    }


def test_canvas_fill_in_multiple_blanks_becomes_cloze_markup_accepting_every_listed_answer() -> None:
    question = canvas()["Fire triangle"]
    assert question.text == (
        "<div><p>A fire needs heat, {1:SHORTANSWER:=fuel~=combustible material} and {1:SHORTANSWER:=oxygen}.</p></div>"
    )
    parts = qtype_or_skip("cloze").clean(question.data, text=question.text)["parts"]
    assert [[a["text"] for a in part["answers"]] for part in parts] == [["fuel", "combustible material"], ["oxygen"]]


def test_canvas_multiple_dropdowns_become_select_missing_words_with_a_group_per_dropdown() -> None:
    question = canvas()["Alarm call points"]
    assert question.text == "<div><p>Call points are [[1]] and you [[4]] the glass.</p></div>"
    assert question.data == {
        "choices": [
            {"text": "red", "group": 1},
            {"text": "green", "group": 1},
            {"text": "pull", "group": 2},
            {"text": "press", "group": 2},
        ],
        "shuffle": True,
    }


def test_canvas_essay_and_text_only_questions_become_essay_and_description() -> None:
    questions = canvas()
    assert questions["Incident report"].data == {
        "response_format": "editor", "min_words": 0, "max_words": 0, "grader_info": "", "template": "",
    }  # fmt: skip
    assert (questions["Incident report"].default_mark, questions["Before you start"].data) == (Decimal(5), {})
    assert questions["Before you start"].default_mark == Decimal(0)


def test_the_canvas_quiz_file_alone_imports_as_well_as_the_package() -> None:
    result = FORMAT.parse(CANVAS_QUIZ.read_bytes(), filename="quiz.xml")
    assert len(result.questions) == 10
    assert result.questions[0].where == "quiz.xml, item i0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d"


# --- Blackboard -----------------------------------------------------------------------------------------------------


def test_the_blackboard_pool_imports_from_the_file_its_manifest_names() -> None:
    result = FORMAT.parse(zip_folder(FIXTURES / "blackboard_pool"), filename="pool.zip")
    assert result.summary == "QTI 1.2 (Blackboard), 7 items"
    assert [q.qtype for q in result.questions] == [
        "truefalse", "single", "multiple", "matching", "shortanswer", "ordering", "essay",
    ]  # fmt: skip
    assert result.problems == [
        base.Problem(
            reading.UNSUPPORTED_BLACKBOARD.format(name="Hot Spot"),
            line=1135,
            where="res00001.dat, item C8192A3B4C5D6E7F8091A2B3C4D5E6F7",
            question="Find the call point",
        )
    ]


def test_every_blackboard_question_passes_its_type_validation() -> None:
    for question in blackboard().values():
        qtype_or_skip(question.qtype).clean(question.data, text=question.text)


def test_blackboard_object_ids_points_and_the_pool_name_become_id_number_mark_and_category() -> None:
    question = blackboard()["Smoke colour"]
    assert (question.idnumber, question.default_mark, question.category) == (
        "C2B3D4E5F6071829304A5B6C7D8E9F01",
        Decimal(2),
        "Fire wardens",
    )


def test_a_blackboard_multiple_choice_marks_score_max_as_right_and_keeps_each_answers_feedback() -> None:
    question = blackboard()["Smoke colour"]
    assert question.text == "<p>Thick <em>black</em> smoke usually means burning</p>"
    assert question.data["options"] == [
        {"text": "paper", "fraction": "0", "feedback": "Paper smoke is light grey."},
        {"text": "plastics or oil", "fraction": "1", "feedback": "Yes: oil and plastics smoke black."},
        {"text": "dry wood", "fraction": "0", "feedback": "Dry wood smokes white to grey."},
    ]


def test_a_blackboard_true_false_reads_its_true_and_false_identifiers() -> None:
    assert blackboard()["Propping fire doors"].data == {
        "correct": False,
        "feedback_true": "Fire doors stay shut, whatever the weather.",
        "feedback_false": "Right: a propped door lets smoke through.",
    }


def test_a_blackboard_multiple_answer_reads_its_and_and_not_conditions() -> None:
    options = blackboard()["Warden duties"].data["options"]
    assert [(o["text"], o["fraction"]) for o in options] == [
        ("Sweep the area", "0.5"),
        ("Fight large fires", "-0.5"),
        ("Report to the assembly point", "0.5"),
    ]


def test_a_blackboard_matching_takes_right_hand_texts_by_position() -> None:
    assert blackboard()["Extinguisher bands"].data == {
        "pairs": [
            {"prompt": "red", "answer": "water"},
            {"prompt": "cream", "answer": "foam"},
            {"prompt": "black", "answer": "CO2"},
            {"prompt": "", "answer": "wet chemical"},
        ],
        "shuffle": True,
    }


def test_a_blackboard_fill_in_the_blank_accepts_each_answer_and_turns_incorrect_feedback_into_a_catch_all() -> None:
    assert blackboard()["Name the gas"].data == {
        "answers": [
            {"text": "oxygen", "fraction": "1", "feedback": "Yes, oxygen."},
            {"text": "O2", "fraction": "1", "feedback": "Oxygen, usually from the air."},
            {"text": "*", "fraction": "0", "feedback": "Think of what is in the air."},
        ],
        "case_sensitive": False,
    }


def test_a_blackboard_ordering_lists_the_items_in_the_right_order() -> None:
    assert blackboard()["Alarm response"].data == {
        "items": [{"text": "Raise the alarm"}, {"text": "Call 112"}, {"text": "Leave the building"}],
        "grading": "all_or_nothing",
    }


def test_a_blackboard_essay_takes_its_sample_answer_as_grader_information() -> None:
    question = blackboard()["Your evacuation route"]
    assert question.data["grader_info"] == "Names two exits and the assembly point."
    assert question.default_mark == Decimal(5)


def test_the_blackboard_pool_file_alone_imports_as_well_as_the_package() -> None:
    result = FORMAT.parse(BLACKBOARD_POOL.read_bytes(), filename="res00001.dat")
    assert [q.qtype for q in result.questions][:3] == ["truefalse", "single", "multiple"]


def test_a_package_without_a_manifest_is_searched_for_qti_1_2_files() -> None:
    result = FORMAT.parse(zip_folder(FIXTURES / "blackboard_pool", leave_out=("imsmanifest.xml",)))
    assert len(result.questions) == 7


# --- QTI 1.2 without vendor metadata ---------------------------------------------------------------------------------

PLAIN_CHOICE = """<item ident="q1" title="Plain choice"><presentation>
  <material><mattext texttype="text/plain">Pick &lt;one&gt;</mattext></material>
  <response_lid ident="R" rcardinality="Single"><render_choice shuffle="Yes">
    <response_label ident="A"><material><mattext>Stairs</mattext></material></response_label>
    <response_label ident="B"><material><mattext>Lift</mattext></material></response_label>
  </render_choice></response_lid></presentation>
  <resprocessing><outcomes><decvar varname="SCORE" vartype="Integer" maxvalue="4"/></outcomes>
    <respcondition><conditionvar><varequal respident="R">A</varequal></conditionvar>
      <setvar action="Set" varname="SCORE">4</setvar></respcondition>
    <respcondition><conditionvar><varequal respident="R">B</varequal></conditionvar>
      <setvar action="Set" varname="SCORE">1</setvar></respcondition>
  </resprocessing></item>"""

PLAIN_TEXT = """<item ident="q2" title="Plain text"><presentation>
  <material><mattext>The gas?</mattext></material>
  <response_str ident="R" rcardinality="Single"><render_fib/></response_str></presentation>
  <resprocessing><outcomes><decvar varname="SCORE"/></outcomes>
    <respcondition><conditionvar><varequal respident="R" case="Yes">O2</varequal></conditionvar>
      <setvar action="Set" varname="SCORE">1</setvar></respcondition>
  </resprocessing></item>"""

PLAIN_ESSAY = """<item ident="q3" title="Plain essay"><presentation>
  <material><mattext>Explain.</mattext></material>
  <response_str ident="R" rcardinality="Single"><render_fib rows="10"/></response_str></presentation></item>"""


def test_plain_qti_1_2_infers_the_type_from_the_response_and_scales_scores_by_the_maximum() -> None:
    result = FORMAT.parse(questestinterop(PLAIN_CHOICE, PLAIN_TEXT, PLAIN_ESSAY), filename="plain.xml")
    assert result.problems == []
    assert result.summary == "QTI 1.2, 3 items"
    choice, text, essay = result.questions
    assert (choice.qtype, choice.text, choice.default_mark) == ("single", "<p>Pick &lt;one&gt;</p>", Decimal(4))
    assert [(o["text"], o["fraction"]) for o in choice.data["options"]] == [("Stairs", "1"), ("Lift", "0.25")]
    assert choice.data["shuffle"] is True
    assert (text.qtype, text.data) == (
        "shortanswer",
        {"answers": [{"text": "O2", "fraction": "1", "feedback": ""}], "case_sensitive": True},
    )
    assert (essay.qtype, essay.category) == ("essay", "Plain")


def test_an_item_nobody_can_score_on_is_a_problem_naming_it() -> None:
    unscored = PLAIN_CHOICE.replace('<setvar action="Set" varname="SCORE">4</setvar>', "").replace(
        '<setvar action="Set" varname="SCORE">1</setvar>', ""
    )
    result = FORMAT.parse(questestinterop(unscored), filename="plain.xml")
    assert [(p.message, p.where) for p in result.problems] == [(reading.NO_RIGHT_ANSWER, "plain.xml, item q1")]


def test_an_item_with_two_kinds_of_response_and_no_metadata_is_a_problem() -> None:
    mixed = PLAIN_CHOICE.replace(
        "</presentation>", '<response_str ident="S"><render_fib/></response_str></presentation>'
    )
    result = FORMAT.parse(questestinterop(mixed), filename="plain.xml")
    assert [p.message for p in result.problems] == [reading.UNKNOWN_TYPE]


def test_a_canvas_blank_missing_from_the_text_is_a_problem() -> None:
    content = CANVAS_QUIZ.read_bytes().replace(b"heat, [fuel] and [gas]", b"heat, fuel and [gas]")
    result = FORMAT.parse(content, filename="quiz.xml")
    assert [p.message for p in result.problems if "blank" in p.message] == [reading.BLANK_MISSING.format(name="fuel")]


# --- what is refused -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="x"/>', qti12.QTI2_HERE),
        (b'<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p2" identifier="x"/>', qti12.QTI2_HERE),
        (b'<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0"/>', qti12.QTI3_REFUSED),
        (b"<quiz/>", "This is not QTI 1.2: the file holds <quiz> without a namespace, not <questestinterop>."),
    ],
    ids=["qti 2.1", "qti 2.2", "qti 3", "moodle xml"],
)
def test_anything_but_qti_1_2_is_refused_with_what_was_found(content: bytes, message: str) -> None:
    result = FORMAT.parse(content, filename="upload.xml")
    assert (result.questions, result.problems) == ([], [base.Problem(message, where="upload.xml")])


def test_a_qti_2_package_is_sent_to_the_qti_2_format() -> None:
    result = FORMAT.parse(zip_folder(FIXTURES / "qti21_package"))
    assert result.problems == [base.Problem(qti12.QTI2_HERE)]


def test_a_package_without_qti_is_refused() -> None:
    content = zip_folder(FIXTURES / "canvas_export", leave_out=("g3f7c2a9b1e/g3f7c2a9b1e.xml", "imsmanifest.xml"))
    assert FORMAT.parse(content).problems == [base.Problem(qti12.NO_QTI12)]


def test_a_pool_with_an_external_entity_is_refused_before_parsing() -> None:
    hostile = (
        b'<?xml version="1.0"?><!DOCTYPE questestinterop [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<questestinterop><item ident="q"><presentation><material><mattext>&x;</mattext></material>'
        b"</presentation></item></questestinterop>"
    )
    assert FORMAT.parse(hostile, filename="pool.xml").problems == [
        base.Problem(xmlsafe.DOCTYPE_REFUSED, where="pool.xml")
    ]
    package = zip_folder(FIXTURES / "blackboard_pool", leave_out=("res00001.dat",), extra={"res00001.dat": hostile})
    assert FORMAT.parse(package).problems == [base.Problem(xmlsafe.DOCTYPE_REFUSED, where="res00001.dat")]


def test_a_package_with_a_symbolic_link_is_refused_whole() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.write(BLACKBOARD_POOL, "res00001.dat")
        link = zipfile.ZipInfo("secrets.dat")
        link.create_system = 3
        link.external_attr = 0o120777 << 16
        package.writestr(link, "/etc/shadow")
    result = FORMAT.parse(buffer.getvalue())
    assert result.problems == [base.Problem(archives.SYMLINK.format(name="secrets.dat"))]
    assert result.questions == []


# --- through the import service --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_canvas_export_imports_its_valid_questions_through_the_import_service(quiz_world: QuizWorld) -> None:
    content = zip_folder(FIXTURES / "canvas_export")
    with pytest.raises(imports.ImportRejected):
        imports.import_apply(
            bank=quiz_world.bank, category=quiz_world.category, fmt="qti12", content=content,
            filename="quiz-export.zip", valid_only=False, by=quiz_world.owner,
        )  # fmt: skip
    result = imports.import_apply(
        bank=quiz_world.bank, category=quiz_world.category, fmt="qti12", content=content,
        filename="quiz-export.zip", valid_only=True, by=quiz_world.owner,
    )  # fmt: skip
    assert len(result.created_ids) == 10


# --- malformed items ------------------------------------------------------------------------------------------------


@settings(derandomize=True, deadline=None, max_examples=100)
@given(
    blackboard_file=st.booleans(),
    edits=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 5000), st.integers(0, 50)), min_size=1, max_size=6),
)
def test_a_broken_export_is_imported_or_refused_item_by_item_and_never_crashes(
    blackboard_file: bool, edits: list[tuple[int, int, int]]
) -> None:
    path = BLACKBOARD_POOL if blackboard_file else CANVAS_QUIZ
    result = FORMAT.parse(mutate(path.read_bytes(), edits), filename=path.name)
    assert len(result.questions) + len(result.problems) >= 1
    for problem in result.problems:
        assert problem.message and (problem.where.startswith(path.name) or problem.message == base.EMPTY)
    for question in result.questions:
        assert qtypes.is_registered(question.qtype)


# --- regressions: an item costs time in proportion to its size ------------------------------------------------------


def _matching(prompts: int, answers: int = 3) -> str:
    """A Canvas-shaped matching item: every prompt lists every answer, the first answer right for each."""
    labels = "".join(
        f'<response_label ident="A{j}"><material><mattext>Answer {j}</mattext></material></response_label>'
        for j in range(answers)
    )
    responses = "".join(
        f'<response_lid ident="R{i}"><material><mattext>Prompt {i}</mattext></material>'
        f"<render_choice>{labels}</render_choice></response_lid>"
        for i in range(prompts)
    )
    conditions = "".join(
        f'<respcondition><conditionvar><varequal respident="R{i}">A0</varequal></conditionvar>'
        '<setvar action="Add" varname="SCORE">1</setvar></respcondition>'
        for i in range(prompts)
    )
    return (
        '<item ident="m1" title="Many prompts"><itemmetadata><qtimetadata><qtimetadatafield>'
        "<fieldlabel>question_type</fieldlabel><fieldentry>matching_question</fieldentry></qtimetadatafield>"
        f"</qtimetadata></itemmetadata><presentation><material><mattext>Match</mattext></material>{responses}"
        f"</presentation><resprocessing>{conditions}</resprocessing></item>"
    )


def test_a_matching_item_with_many_prompts_is_read_quickly() -> None:
    # Each prompt scanned every condition for its answer, and every answer text was searched in a list.
    started = time.monotonic()
    [question] = FORMAT.parse(questestinterop(_matching(reading.MAX_RESPONSES, 8))).questions
    assert time.monotonic() - started < 5
    assert question.data["pairs"][:2] == [
        {"prompt": "Prompt 0", "answer": "Answer 0"},
        {"prompt": "Prompt 1", "answer": "Answer 0"},
    ]
    assert len(question.data["pairs"]) == reading.MAX_RESPONSES + 7


def test_an_item_with_more_responses_than_the_limit_is_refused_before_it_is_read() -> None:
    result = FORMAT.parse(questestinterop(_matching(reading.MAX_RESPONSES + 1, 1), PLAIN_CHOICE), filename="x.xml")
    assert [(p.message, p.where) for p in result.problems] == [
        (markup.ITEM_TOO_MANY_ROWS.format(limit=reading.MAX_RESPONSES, name="response_lid"), "x.xml, item m1")
    ]
    assert [q.name for q in result.questions] == ["Plain choice"]


def test_an_item_nested_deeper_than_the_limit_is_refused() -> None:
    depth = markup.MAX_ITEM_DEPTH
    nested = PLAIN_CHOICE.replace("<presentation>", "<presentation>" + "<flow>" * depth).replace(
        "</presentation>", "</flow>" * depth + "</presentation>"
    )
    [problem] = FORMAT.parse(questestinterop(nested)).problems
    assert problem.message == markup.ITEM_TOO_DEEP.format(limit=depth)


def test_question_text_from_many_materials_nested_to_the_limit_is_read_quickly() -> None:
    # Each material walked up to the presentation to know whether it was an answer's: materials × depth.
    depth = markup.MAX_ITEM_DEPTH - 8
    materials = "<material><mattext>x</mattext></material>" * 9000
    nested = PLAIN_CHOICE.replace("<presentation>", "<presentation>" + "<flow>" * depth + materials + "</flow>" * depth)
    started = time.monotonic()
    [question] = FORMAT.parse(questestinterop(nested)).questions
    assert time.monotonic() - started < 5
    assert question.text.count("<p>x</p>") == 9000
    assert [o["text"] for o in question.data["options"]] == ["Stairs", "Lift"]


def test_a_manifest_naming_its_files_many_times_is_listed_quickly() -> None:
    # Each file reference was looked for in the list of those already taken: references × files.
    names = [f"q{i}.xml" for i in range(1500)]
    files = "".join(f'<file href="{n}"/>' for n in names) + f'<file href="{names[-1]}"/>' * 150_000
    manifest = (
        '<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"><resources>'
        f'<resource identifier="r" type="imsqti_xmlv1p2" href="{names[0]}">{files}</resource></resources></manifest>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("imsmanifest.xml", manifest, compress_type=zipfile.ZIP_STORED)  # not a zip bomb's ratio
        package.writestr(names[0], questestinterop(PLAIN_CHOICE))
        for name in names[1:]:
            package.writestr(name, b"<other/>")
    started = time.monotonic()
    result = FORMAT.parse(buffer.getvalue(), filename="x.zip")
    assert time.monotonic() - started < 10
    assert [q.name for q in result.questions] == ["Plain choice"]
