"""Aiken import: single-answer multiple choice in plain text, and every way a file can be wrong (each problem
names the line its question starts on)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syllabus.assessment.formats import base
from syllabus.assessment.formats.aiken import format as aiken
from syllabus.assessment.question_types import base as qtypes
from syllabus.assessment.services import imports
from tests.assessment.conftest import QuizWorld

FIXTURES = Path(__file__).parent / "fixtures"
FORMAT = base.get("aiken")


def parse(text: str) -> base.ParseResult:
    return FORMAT.parse(text.encode())


def test_the_sample_file_reads_three_single_choice_questions_with_their_lines() -> None:
    result = FORMAT.parse((FIXTURES / "aiken.txt").read_bytes())
    assert result.problems == []
    assert [(q.line, q.qtype, q.name) for q in result.questions] == [
        (1, "single", "What is the correct way to lift a heavy box?"),
        (8, "single", "Which colour is a fire exit sign in the EU?"),
        (14, "single", "In a fire, you should:"),
    ]
    assert result.summary == "Aiken file: 3 questions."
    last = result.questions[2]
    assert last.text == "<p>In a fire, you should:</p>"
    assert last.data == {
        "options": [
            {"text": "Use the lift", "fraction": "0", "feedback": ""},
            {"text": "Hide under a desk", "fraction": "0", "feedback": ""},
            {"text": "Leave by the nearest safe exit &amp; go to the assembly point", "fraction": "1", "feedback": ""},
        ],
        "shuffle": True,
        "numbering": "ABCD",
    }


def test_every_sample_question_passes_the_single_types_clean() -> None:
    try:
        importlib.import_module("syllabus.assessment.question_types.single.qtype")
    except ImportError:
        pytest.skip("question type single is not written yet")
    for question in FORMAT.parse((FIXTURES / "aiken.txt").read_bytes()).questions:
        cleaned = qtypes.get("single").clean(question.data, text=question.text)
        assert [o["fraction"] for o in cleaned["options"]].count("1") == 1


def test_a_question_may_span_lines_and_blank_lines_are_ignored() -> None:
    result = parse("Line one of the question\nline <two>\n\nA) x\n\nB) y\nanswer:   b\n")
    [question] = result.questions
    assert question.text == "<p>Line one of the question<br>line &lt;two&gt;</p>"
    assert [o["fraction"] for o in question.data["options"]] == ["0", "1"]


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("Q?\nA) a\nB) b\n", aiken.NO_ANSWER_LINE, 1),
        ("Q?\nA) a\nB) b\nNext question?\nA) c\nB) d\nANSWER: A", aiken.NO_ANSWER_LINE, 1),
        ("Q?\nA) only\nANSWER: A", aiken.TOO_FEW_OPTIONS, 1),
        ("Q?\nANSWER: A", aiken.TOO_FEW_OPTIONS, 1),
        ("Q?\nA) a\nB) b\nANSWER: C", aiken.ANSWER_NOT_AN_OPTION.format(letter="C"), 1),
        ("Q?\nA) a\nB) b\nANSWER: A, B", aiken.BAD_ANSWER, 1),
        ("Q?\nA) a\nB) b\nANSWER:", aiken.BAD_ANSWER, 1),
        ("Q?\nA) a\nA) b\nANSWER: A", aiken.DUPLICATE_OPTION.format(letter="A"), 1),
        ("A) a\nB) b\nANSWER: A", aiken.OPTION_WITHOUT_QUESTION.format(letter="A"), 1),
        ("ANSWER: A", aiken.ANSWER_WITHOUT_QUESTION, 1),
    ],
)
def test_a_malformed_question_is_a_problem_naming_its_line(text: str, message: str, line: int) -> None:
    result = parse("Fine?\nA) yes\nB) no\nANSWER: A\n\n" + text + "\n\nAlso fine?\nA. yes\nB. no\nANSWER: B\n")
    assert [(p.message, p.line) for p in result.problems][:1] == [(message, line + 5)]
    assert result.questions[0].name == "Fine?"
    assert result.questions[-1].name == "Also fine?"


def test_a_truncated_file_reports_the_last_question_without_its_answer() -> None:
    text = (FIXTURES / "aiken.txt").read_text()
    result = parse(text[: text.rindex("ANSWER: C")])
    assert [(p.message, p.line) for p in result.problems] == [(aiken.NO_ANSWER_LINE, 14)]
    assert len(result.questions) == 2


def test_lowercase_option_letters_are_question_text_as_in_moodle() -> None:
    result = parse("Q?\na) not an option\nA) a\nB) b\nANSWER: B")
    assert result.questions[0].text == "<p>Q?<br>a) not an option</p>"


def test_an_empty_file_holds_no_questions() -> None:
    assert parse("\n \n").problems == [base.Problem(base.EMPTY)]


def test_more_questions_than_the_limit_refuse_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "MAX_QUESTIONS", 2)
    result = parse("\n".join(f"Q{i}?\nA) a\nB) b\nANSWER: A" for i in range(3)))
    assert result.problems == [base.Problem(base.TOO_MANY.format(limit=2))]
    assert result.questions == []


@settings(derandomize=True, deadline=None, max_examples=300)
@given(
    st.lists(
        st.sampled_from(["Q?", "A) x", "B. y", "C) z", "ANSWER: A", "ANSWER: Z", "answer:b", "", "  ", "A)", "é&<"]),
        max_size=20,
    ).map("\n".join)
)
def test_no_aiken_text_makes_parse_raise_and_every_problem_names_a_real_line(text: str) -> None:
    result = parse(text)
    lines = text.count("\n") + 1
    for problem in result.problems:
        assert problem.line is None or 1 <= problem.line <= lines
    for question in result.questions:
        assert question.line is not None and 1 <= question.line <= lines
        assert [o["fraction"] for o in question.data["options"]].count("1") == 1


def test_the_summary_counts_the_questions_read() -> None:
    assert parse("Q?\nA) a\nB) b\nANSWER: A").summary == "Aiken file: 1 question."
    assert parse("Q?\nA) a\nANSWER: A").summary == "Aiken file: 0 questions."


@pytest.mark.django_db
def test_the_sample_file_imports_whole_through_the_import_service(quiz_world: QuizWorld) -> None:
    content = (FIXTURES / "aiken.txt").read_bytes()
    plan = imports.import_preview(
        bank=quiz_world.bank, category=quiz_world.category, fmt="aiken", content=content, filename="aiken.txt",
        by=quiz_world.owner,
    )  # fmt: skip
    assert plan.problems == []
    assert {row.name: row.messages for row in plan.rows if not row.valid} == {}
    result = imports.import_apply(
        bank=quiz_world.bank, category=quiz_world.category, fmt="aiken", content=content, filename="aiken.txt",
        valid_only=False, by=quiz_world.owner,
    )  # fmt: skip
    assert len(result.created_ids) == 3
