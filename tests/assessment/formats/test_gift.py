"""GIFT import: every question type of Moodle's GIFT format, its escapes and categories, and malformed files (each
problem names the line its question starts on; nothing escapes `parse`)."""

from __future__ import annotations

import importlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from syllabus.assessment.formats import base
from syllabus.assessment.formats.gift import format as gift
from syllabus.assessment.models import Question
from syllabus.assessment.question_types import base as qtypes
from syllabus.assessment.services import imports
from tests.assessment.conftest import QuizWorld

FIXTURES = Path(__file__).parent / "fixtures"
FORMAT = base.get("gift")
# Fragments the fuzz test strings together: GIFT's syntax, escapes, the placeholder code points, plain text.
GIFT_PIECES = ["{", "}", "=", "~", "#", "%", ":", "::", "->", "..", "\\", "\n", "\n\n", "//", "[html]", "T", "50", "-",
               "$CATEGORY:", "####", " ", "a", "é", "\ue001"]  # fmt: skip


def parse(text: str) -> base.ParseResult:
    return FORMAT.parse(text.encode())


def only(text: str) -> base.ParsedQuestion:
    result = parse(text)
    assert result.problems == []
    assert len(result.questions) == 1
    return result.questions[0]


def problems(text: str) -> list[tuple[str, int | None]]:
    return [(problem.message, problem.line) for problem in parse(text).problems]


def qtype_or_skip(key: str) -> qtypes.QuestionType:
    """The registered type; skipped while its plugin (written in parallel) is not there yet."""
    try:
        importlib.import_module(f"syllabus.assessment.question_types.{key}.qtype")
    except ImportError:
        pytest.skip(f"question type {key} is not written yet")
    return qtypes.get(key)


# --- the fixture: every type -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def every_type() -> base.ParseResult:
    return FORMAT.parse((FIXTURES / "every_type.gift").read_bytes())


def test_the_sample_file_reads_every_question_with_its_line_type_name_category(
    every_type: base.ParseResult,
) -> None:
    assert every_type.problems == []
    assert [(q.line, q.qtype, q.name, q.category) for q in every_type.questions] == [
        (7, "single", "Extinguisher colours", "Fire safety"),
        (15, "single", "Fire triangle", "Fire safety"),
        (18, "multiple", "Fire classes", "Fire safety"),
        (27, "truefalse", "Lifts", "Fire safety/Evacuation"),
        (30, "shortanswer", "Assembly point", "Fire safety/Evacuation"),
        (36, "numerical", "Exits", "Fire safety/Evacuation"),
        (39, "numerical", "Drill minutes", "Fire safety/Evacuation"),
        (42, "numerical", "Boiling point", "Fire safety/Evacuation"),
        (49, "matching", "Signs", "Fire safety/Evacuation"),
        (57, "essay", "Incident report", "Fire safety/Evacuation"),
        (60, "description", "Before you start", "Fire safety/Evacuation"),
        (65, "single", "Escaped characters: all of them", "Escapes"),
        (71, "truefalse", "Plain", "Escapes"),
    ]
    assert every_type.summary == "GIFT file: 13 questions."
    assert all(q.where == f"line {q.line}" for q in every_type.questions)


def test_the_sample_single_choice_keeps_fractions_feedback_general_feedback_id_and_tags(
    every_type: base.ParseResult,
) -> None:
    question = every_type.questions[0]
    assert question.text == "<p>Which extinguisher is safe on electrical fires?</p>"
    assert question.data == {
        "options": [
            {
                "text": "CO2 (black label)",
                "fraction": "1",
                "feedback": "Right: CO2 leaves no residue and does not conduct.",
            },
            {"text": "Water (red label)", "fraction": "0", "feedback": "No: water conducts electricity."},
            {"text": "Foam (cream label)", "fraction": "0", "feedback": "No: foam is water-based."},
        ],
        "shuffle": True,
        "numbering": "abc",
    }
    assert question.general_feedback == "<p>Electrical fires need a non-conducting agent.</p>"
    assert question.idnumber == "FS-001"
    assert question.tags == ["fire", "extinguishers"]
    assert question.default_mark == Decimal(1)


def test_the_sample_numerical_questions_read_margins_ranges_and_weighted_answers(every_type: base.ParseResult) -> None:
    exits, drill, boiling = every_type.questions[5:8]
    assert exits.data["answers"] == [{"value": "4", "tolerance": "0", "fraction": "1", "feedback": ""}]
    assert drill.data["answers"] == [{"value": "3", "tolerance": "1", "fraction": "1", "feedback": ""}]
    assert boiling.data == {
        "answers": [
            {"value": "100", "tolerance": "0", "fraction": "1", "feedback": "Exactly."},
            {"value": "100", "tolerance": "5", "fraction": "0.5", "feedback": "Close enough."},
            {"value": "*", "tolerance": "0", "fraction": "0", "feedback": "Water boils at 100 °C at sea level."},
        ],
        "units": [],
        "unit_handling": "none",
        "unit_penalty": "0",
    }


def test_the_sample_escapes_become_literal_characters(every_type: base.ParseResult) -> None:
    question = every_type.questions[11]
    assert question.text == "<p>Which of these is written with the special characters { } ~ = # : in GIFT?</p>"
    assert [option["text"] for option in question.data["options"]] == ["a = b ~ c", "a \\ b"]
    assert question.data["options"][0]["feedback"] == "Right: {braces} too."


@pytest.mark.parametrize("index", range(13))
def test_every_sample_question_passes_its_types_clean(every_type: base.ParseResult, index: int) -> None:
    question = every_type.questions[index]
    cleaned = qtype_or_skip(question.qtype).clean(question.data, text=question.text)
    assert isinstance(cleaned, dict)


# --- each type ------------------------------------------------------------------------------------------------


def test_an_equals_answer_makes_a_single_choice_even_with_weighted_wrong_answers() -> None:
    question = only("Pick {=right ~%50%half right ~%-50%wrong}")
    assert question.qtype == "single"
    assert [o["fraction"] for o in question.data["options"]] == ["1", "0.5", "-0.5"]


def test_several_positive_weights_without_an_equals_answer_make_a_multiple_response() -> None:
    question = only("Pick {~%33.33333%a ~%33.33333%b ~%33.33334%c ~%-100%d}")
    assert question.qtype == "multiple"
    assert [o["fraction"] for o in question.data["options"]] == ["0.3333333", "0.3333333", "0.3333334", "-1"]


def test_one_positive_weight_without_an_equals_answer_stays_a_single_choice() -> None:
    question = only("Pick {~%100%a ~b}")
    assert question.qtype == "single"
    assert [o["fraction"] for o in question.data["options"]] == ["1", "0"]


def test_a_missing_word_question_joins_the_text_around_the_gap() -> None:
    question = only("Grant is {~buried =entombed ~living} in Grant's tomb.")
    assert question.qtype == "single"
    assert question.text == "<p>Grant is _____ in Grant's tomb.</p>"
    assert question.name == "Grant is _____ in Grant's tomb."


def test_true_false_feedback_follows_moodles_wrong_then_right_order() -> None:
    true = only("The sky is blue.{T#Look again.#Yes.}")
    assert true.data == {"correct": True, "feedback_true": "Yes.", "feedback_false": "Look again."}
    false = only("The sun is cold.{FALSE#No, it is hot.#Right.}")
    assert false.data == {"correct": False, "feedback_true": "No, it is hot.", "feedback_false": "Right."}
    assert only("Plain.{TRUE}").data == {"correct": True, "feedback_true": "", "feedback_false": ""}


def test_short_answers_keep_their_plain_text_and_weights() -> None:
    question = only("Who is buried in Grant's tomb?{=no one =%50%nobody#Close. ####Grant is entombed.}")
    assert question.qtype == "shortanswer"
    assert question.data == {
        "answers": [
            {"text": "no one", "fraction": "1", "feedback": ""},
            {"text": "nobody", "fraction": "0.5", "feedback": "Close."},
        ],
        "case_sensitive": False,
    }
    assert question.general_feedback == "<p>Grant is entombed.</p>"


def test_answers_written_before_the_first_marker_are_read_as_moodle_reads_them() -> None:
    assert only("Capital?{Paris =paris}").data["answers"] == [
        {"text": "Paris", "fraction": "1", "feedback": ""},
        {"text": "paris", "fraction": "1", "feedback": ""},
    ]
    assert only("Is it?{true}").qtype == "shortanswer"
    assert [o["fraction"] for o in only("Pick {first =a ~b}").data["options"]] == ["0", "1", "0"]
    assert only("Match {Canada -> Ottawa =Italy -> Rome}").data["pairs"][0] == {"prompt": "Canada", "answer": "Ottawa"}


def test_a_short_answer_with_html_characters_is_kept_as_plain_text_for_matching() -> None:
    question = only("Which is smaller?{=a<b}")
    assert question.data["answers"][0]["text"] == "a<b"


def test_numerical_answers_read_value_and_margin_ranges_and_negative_numbers() -> None:
    assert only("Pi?{#3.14159:0.0005}").data["answers"][0] == {
        "value": "3.14159",
        "tolerance": "0.0005",
        "fraction": "1",
        "feedback": "",
    }
    assert only("Range?{#-5..-1}").data["answers"][0]["value"] == "-3"
    assert only("Range?{#-5..-1}").data["answers"][0]["tolerance"] == "2"
    assert only("Born?{#1822#Yes.}").data["answers"][0] == {
        "value": "1822",
        "tolerance": "0",
        "fraction": "1",
        "feedback": "Yes.",
    }


def test_matching_pairs_keep_the_prompt_as_html_and_an_empty_prompt_as_a_distractor() -> None:
    question = only("Match.{=Canada -> Ottawa =Italy -> Rome =[html]<em>Japan</em> -> Tokyo = -> Paris}")
    assert question.data == {
        "pairs": [
            {"prompt": "Canada", "answer": "Ottawa"},
            {"prompt": "Italy", "answer": "Rome"},
            {"prompt": "<em>Japan</em>", "answer": "Tokyo"},
            {"prompt": "", "answer": "Paris"},
        ],
        "shuffle": True,
    }


def test_an_empty_block_is_an_essay_and_its_general_feedback_is_read() -> None:
    question = only("::E::Write about fire.{####Mention the triangle.}")
    assert question.qtype == "essay"
    assert question.data == {
        "response_format": "editor",
        "min_words": 0,
        "max_words": 0,
        "grader_info": "",
        "template": "",
    }
    assert question.general_feedback == "<p>Mention the triangle.</p>"


def test_text_without_a_block_is_a_description() -> None:
    question = only("::Intro::Read the next questions carefully.")
    assert (question.qtype, question.data, question.name) == ("description", {}, "Intro")


def test_html_text_is_kept_and_the_other_formats_are_escaped() -> None:
    assert only("[html]<p>A <b>bold</b> claim.</p>{T}").text == "<p>A <b>bold</b> claim.</p>"
    assert only("[plain]A <b>bold</b> claim.{T}").text == "<p>A &lt;b&gt;bold&lt;/b&gt; claim.</p>"
    assert only("[markdown]A **bold** <i>claim</i>.{T}").text == "<p>A **bold** &lt;i&gt;claim&lt;/i&gt;.</p>"
    assert only("[moodle]Two\\nlines.{T}").text == "<p>Two<br>lines.</p>"
    assert only("No format: 1 < 2.{T}").text == "<p>No format: 1 &lt; 2.</p>"


def test_a_bracketed_word_that_is_not_a_format_stays_in_the_text() -> None:
    assert only("[Note] Fire doors close by themselves.{T}").text == "<p>[Note] Fire doors close by themselves.</p>"


def test_answers_may_carry_their_own_format() -> None:
    question = only("[html]<p>Pick</p>{=[plain]<a> ~[html]<b>b</b>}")
    assert [o["text"] for o in question.data["options"]] == ["&lt;a&gt;", "<b>b</b>"]


@pytest.mark.parametrize(
    ("line", "path"),
    [
        ("$CATEGORY: $course$/top/Fire safety/Extinguishers", "Fire safety/Extinguishers"),
        ("$CATEGORY: $system$/top/Shared", "Shared"),
        ("$CATEGORY: top/First aid", "First aid"),
        ("$CATEGORY: $course$/top", ""),
        ("$CATEGORY: Plain path/Below", "Plain path/Below"),
        ("$CATEGORY: $course$/top/A//B", "A-B"),
    ],
)
def test_categories_lose_the_context_and_top_prefixes(line: str, path: str) -> None:
    assert only(f"{line}\n\nQ {{T}}").category == path


def test_a_question_written_right_under_its_category_line_is_read_from_the_next_line() -> None:
    question = only("$CATEGORY: Fire\nIs smoke dangerous?{T}")
    assert (question.category, question.line, question.qtype) == ("Fire", 2, "truefalse")


def test_comments_are_ignored_and_the_line_is_the_questions_first_line() -> None:
    result = parse("// header\n// more\n\n// about Q1\n::Q1::First {T}\n\n\n::Q2::Second\n{F}\n")
    assert [(q.name, q.line) for q in result.questions] == [("Q1", 5), ("Q2", 8)]


def test_a_question_without_a_title_is_named_after_its_text() -> None:
    long_text = "Word " * 40
    question = only(f"{long_text}{{T}}")
    assert len(question.name) == 80
    assert question.name.endswith("…")


def test_a_file_of_comments_only_holds_no_questions() -> None:
    assert problems("// nothing here\n\n// still nothing\n") == [(base.EMPTY, None)]


# --- malformed files ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Unclosed {=a ~b", gift.BLOCK_NOT_CLOSED),
        ("Stray } brace", gift.STRAY_CLOSE),
        ("Closed first } then {=a}", gift.STRAY_CLOSE),
        ("Nested {=a {~b} }", gift.NESTED_OPEN),
        ("Two {=a ~b} blocks {=c ~d}", gift.TWO_BLOCKS),
        ("Trailing {=a ~b} brace }", gift.STRAY_CLOSE),
        ("::Title without end {T}", gift.TITLE_NOT_CLOSED),
        ("Weight {~%abc%a =b}", gift.BAD_WEIGHT.format(n=1, weight="%abc%")),
        ("Weight {=a ~%150%b}", gift.BAD_WEIGHT.format(n=2, weight="%150%")),
        ("Weight {=a ~%50 b}", gift.BAD_WEIGHT.format(n=2, weight="%50 b")),
        ("Empty {=a ~#feedback only}", gift.EMPTY_ANSWER.format(n=2)),
        ("No right {~a ~b ~c}", gift.NO_RIGHT_ANSWER),
        ("One option {~%100%a}", gift.TOO_FEW_CHOICES),
        ("Pairs {=a -> b =c}", gift.BAD_PAIR.format(n=2)),
        ("Pairs {=a -> b}", gift.TOO_FEW_PAIRS),
        ("Short {=}", gift.EMPTY_ANSWER.format(n=1)),
        ("Number {#abc}", gift.BAD_NUMBER.format(n=1, value="abc")),
        ("Number {#3:x}", gift.BAD_NUMBER.format(n=1, value="x")),
        ("Number {#1e999999}", gift.BAD_NUMBER.format(n=1, value="1e999999")),
        ("Number {#NaN}", gift.BAD_NUMBER.format(n=1, value="NaN")),
        ("Number {#=1:0 =%50%two:1}", gift.BAD_NUMBER.format(n=2, value="two")),
        ("Range {#5..1}", gift.BAD_RANGE.format(n=1, value="5..1")),
        ("Margin {#5:-1}", gift.NEGATIVE_TOLERANCE.format(n=1)),
        ("Nothing {#}", gift.NO_NUMBERS),
        ("Nothing {# ~#Other}", gift.NO_NUMBERS),
    ],
)
def test_a_malformed_question_is_a_problem_naming_its_line(text: str, message: str) -> None:
    result = parse(f"// a comment\n::Fine::Fine {{T}}\n\n{text}\n\n::After::Still read {{F}}")
    assert [(p.message, p.line) for p in result.problems] == [(message, 4)]
    assert [q.name for q in result.questions] == ["Fine", "After"]


def test_a_problem_names_the_question_when_it_has_a_title() -> None:
    result = parse("::Broken one::Unclosed {=a")
    assert result.problems == [base.Problem(gift.BLOCK_NOT_CLOSED, line=1, question="Broken one")]


def test_a_truncated_file_keeps_the_questions_before_the_cut() -> None:
    text = (FIXTURES / "every_type.gift").read_text()
    cut = text[: text.index("~Water (red label)")]
    result = parse(cut + "\n\n::Second::Q {T}")
    assert result.problems == [base.Problem(gift.BLOCK_NOT_CLOSED, line=7, question="Extinguisher colours")]
    assert [q.name for q in result.questions] == ["Second"]


def test_a_file_that_is_not_utf8_is_refused_whole() -> None:
    assert FORMAT.parse("Caf\xe9 {T}".encode("latin-1")).problems == [base.Problem(base.NOT_TEXT)]


def test_a_utf8_bom_and_windows_line_endings_are_read() -> None:
    result = FORMAT.parse("\ufeff::A::One {T}\r\n\r\n::B::Two {F}\r\n".encode())
    assert [(q.name, q.line) for q in result.questions] == [("A", 1), ("B", 3)]


def test_the_placeholder_characters_in_a_file_cannot_forge_an_escape() -> None:
    question = only("Odd \ue004 characters {=a ~b}")
    assert question.text == "<p>Odd  characters</p>"


def test_more_questions_than_the_limit_refuse_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "MAX_QUESTIONS", 3)
    result = parse("\n\n".join(f"Q{i} {{T}}" for i in range(4)))
    assert result.problems == [base.Problem(base.TOO_MANY.format(limit=3))]
    assert result.questions == []


def test_the_limit_counts_questions_not_categories(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "MAX_QUESTIONS", 3)
    result = parse("$CATEGORY: A\n\nQ1 {T}\n\n$CATEGORY: B\n\nQ2 {T}\n\nQ3 {T}")
    assert len(result.questions) == 3


def test_gift_is_import_only() -> None:
    assert (FORMAT.can_import, FORMAT.can_export) == (True, False)
    with pytest.raises(ValidationError):
        FORMAT.export([])


@settings(derandomize=True, deadline=None, max_examples=300)
@given(st.lists(st.sampled_from(GIFT_PIECES), max_size=40).map("".join))
def test_no_gift_text_makes_parse_raise_and_every_problem_names_a_real_line(text: str) -> None:
    result = parse(text)
    lines = text.count("\n") + 1
    for problem in result.problems:
        assert problem.line is None or 1 <= problem.line <= lines
        assert problem.message
    for question in result.questions:
        assert question.line is not None and 1 <= question.line <= lines
        assert isinstance(question.data, dict)


def _fractions(data: dict[str, Any]) -> list[str]:
    return [row["fraction"] for row in data.get("options", data.get("answers", []))]


@settings(derandomize=True, deadline=None, max_examples=100)
@given(st.lists(st.integers(min_value=-100, max_value=100), min_size=2, max_size=6))
def test_weights_become_exact_fractions(weights: list[int]) -> None:
    answers = " ".join(f"~%{w}%option{i}" for i, w in enumerate(weights))
    result = parse(f"Pick {{{answers}}}")
    if not any(w > 0 for w in weights):
        assert [p.message for p in result.problems] == [gift.NO_RIGHT_ANSWER]
        return
    assert [Decimal(f) for f in _fractions(result.questions[0].data)] == [Decimal(w) / 100 for w in weights]


@pytest.mark.django_db
def test_the_sample_file_imports_whole_through_the_import_service(quiz_world: QuizWorld) -> None:
    content = (FIXTURES / "every_type.gift").read_bytes()
    plan = imports.import_preview(
        bank=quiz_world.bank, category=quiz_world.category, fmt="gift", content=content, filename="every_type.gift",
        by=quiz_world.owner,
    )  # fmt: skip
    assert plan.problems == []
    assert {row.name: row.messages for row in plan.rows if not row.valid} == {}
    result = imports.import_apply(
        bank=quiz_world.bank, category=quiz_world.category, fmt="gift", content=content, filename="every_type.gift",
        valid_only=False, by=quiz_world.owner,
    )  # fmt: skip
    assert len(result.created_ids) == 13
    saved = Question.objects.get(name="Extinguisher colours")
    assert (saved.category.name, saved.category.parent_id) == ("Fire safety", quiz_world.category.pk)
    assert saved.idnumber == "FS-001"
