"""Short answer: cleaning, wildcard matching, grading, hostile responses and what the learner's HTML shows."""

from __future__ import annotations

import re
import time
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict
from hypothesis import given, settings
from hypothesis import strategies as st

from syllabus.assessment.question_types import base
from syllabus.assessment.question_types import matching_text as mt
from syllabus.assessment.question_types.shortanswer import qtype as shortanswer

QTYPE = base.get("shortanswer")

CAPITAL = {
    "answers": [
        {"id": "a1", "text": "Paris", "fraction": "1", "feedback": "<p>Yes, Paris.</p>"},
        {"id": "a2", "text": "Par*", "fraction": "0.5", "feedback": "<p>Check the spelling.</p>"},
        {"id": "a3", "text": "*", "fraction": "0", "feedback": "<p>It is the city of the Louvre.</p>"},
    ],
    "case_sensitive": False,
}


def question(data: dict[str, Any] | None = None, **changes: Any) -> base.Question:
    cleaned = QTYPE.clean({**(data or CAPITAL), **changes})
    return base.Question("shortanswer", "Capital", "<p>The capital of France?</p>", "", Decimal(1), cleaned)


def errors_of(data: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        QTYPE.clean(data)
    return caught.value.message_dict


def grade(q: base.Question, text: Any) -> base.Grade:
    return QTYPE.grade(q, {}, QTYPE.clean_response(q, {}, {"text": text}))


def render(q: base.Question, response: dict[str, Any], review: base.Review = base.NO_REVIEW, **kw: Any) -> str:
    graded = QTYPE.grade(q, {}, response) if review != base.NO_REVIEW else None
    ctx = base.RenderContext(
        question=q, variant={}, response=response, prefix="q1-", label_id="q1-label", review=review, grade=graded, **kw
    )
    return str(QTYPE.render(ctx))


# --- clean --------------------------------------------------------------------------------------------------------
def test_clean_keeps_ids_normalises_text_and_sanitises_feedback() -> None:
    cleaned = QTYPE.clean(
        {
            "answers": [
                {"text": "  New   York ", "fraction": 1, "feedback": "<p>Yes</p><script>alert(1)</script>"},
                {"id": "keep", "text": "NY", "fraction": "0.50", "feedback": ""},
            ],
            "case_sensitive": True,
        }
    )
    assert cleaned == {
        "answers": [
            {"id": "a1", "text": "New York", "fraction": "1", "feedback": "<p>Yes</p>"},
            {"id": "keep", "text": "NY", "fraction": "0.5", "feedback": ""},
        ],
        "case_sensitive": True,
    }


def test_clean_is_idempotent() -> None:
    once = QTYPE.clean(CAPITAL)
    assert QTYPE.clean(once) == once


def test_moodle_grade_fractions_are_accepted() -> None:
    for fraction in mt.FRACTION_CHOICES:
        data = {"answers": [{"text": "x", "fraction": "1"}, {"text": "y", "fraction": fraction}]}
        assert QTYPE.clean(data)["answers"][1]["fraction"] == mt.decimal_str(Decimal(fraction))


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"answers": []}, "answers", mt.ANSWERS_REQUIRED),
        ({}, "answers", mt.ANSWERS_REQUIRED),
        ({"answers": "Paris"}, "answers", mt.ANSWERS_NOT_A_LIST),
        ({"answers": ["Paris"]}, "answers", mt.ANSWER_NOT_AN_OBJECT.format(row=1)),
        ({"answers": [{"text": "Paris", "fraction": "0.5"}]}, "answers", mt.ANSWER_FULL_MARKS),
        (
            {"answers": [{"text": "Paris", "fraction": "1"}, {"text": "  ", "fraction": "0"}]},
            "answers",
            shortanswer.ANSWER_TEXT_REQUIRED.format(row=2),
        ),
        (
            {"answers": [{"text": "x" * 256, "fraction": "1"}]},
            "answers",
            shortanswer.ANSWER_TEXT_TOO_LONG.format(row=1, limit=255),
        ),
        ({"answers": [{"text": "Paris", "fraction": "1.5"}]}, "answers", mt.FRACTION_RANGE.format(row=1)),
        ({"answers": [{"text": "Paris", "fraction": "-0.5"}]}, "answers", mt.FRACTION_RANGE.format(row=1)),
        ({"answers": [{"text": "Paris", "fraction": "NaN"}]}, "answers", mt.FRACTION_RANGE.format(row=1)),
        ({"answers": [{"text": "Paris", "fraction": True}]}, "answers", mt.FRACTION_RANGE.format(row=1)),
        ({"answers": [{"text": "Paris", "fraction": "1", "id": "<b>"}]}, "answers", mt.ANSWER_BAD_ID.format(row=1)),
        (
            {"answers": [{"text": "A", "fraction": "1", "id": "x"}, {"text": "B", "id": "x"}]},
            "answers",
            mt.ANSWER_DUPLICATE_ID.format(row=2, id="x"),
        ),
        (
            {"answers": [{"text": "A", "fraction": "1", "feedback": "x" * 20_001}]},
            "answers",
            mt.FEEDBACK_TOO_LONG.format(row=1, limit="20,000"),
        ),
        (
            {"answers": [{"text": "A", "fraction": "1"}], "case_sensitive": "yes"},
            "case_sensitive",
            shortanswer.CASE_CHOICE,
        ),
    ],
)
def test_clean_names_the_field_and_row_of_each_problem(data: Any, field: str, message: str) -> None:
    assert message in errors_of(data)[field]


def test_clean_refuses_data_that_is_not_an_object_and_too_many_answers() -> None:
    assert errors_of(["Paris"]) == {"data": [mt.DATA_NOT_AN_OBJECT]}
    many = {"answers": [{"text": str(n), "fraction": "1"} for n in range(51)]}
    assert errors_of(many) == {"answers": [mt.TOO_MANY_ANSWERS.format(limit=50)]}


# --- matching -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("pattern", "response", "case_sensitive", "matches"),
    [
        ("Paris", "paris", False, True),
        ("Paris", "paris", True, False),
        ("Paris", "  Paris  ", True, True),
        ("New York", "new \t  york", False, True),
        ("Par*", "Parisian", False, True),
        ("*ris", "Paris", False, True),
        ("P*r*s", "Parties", False, True),
        ("P*r*s", "Pars", False, True),
        ("P*r*s", "Prs", False, True),
        ("P*r*s", "Pas", False, False),
        ("a*a", "a", False, False),
        ("a*a", "aa", False, True),
        ("*", "", False, True),
        ("*", "anything at all", False, True),
        ("5\\*3", "5*3", False, True),
        ("5\\*3", "5x3", False, False),
        ("5*3", "5x3", False, True),
        ("C++", "c++", False, True),
        ("a.b", "axb", False, False),
        ("(x)", "(x)", False, True),
        ("straße", "STRASSE", False, True),
        ("straße", "STRASSE", True, False),
        ("ΣΊΣΥΦΟΣ", "σίσυφος", False, True),
        ("café", "cafe\u0301", True, True),
        ("Ǆ*", "ǆemal", False, True),
    ],
)
def test_wildcard_matching(pattern: str, response: str, case_sensitive: bool, matches: bool) -> None:
    assert mt.text_matches(pattern, response, case_sensitive=case_sensitive) is matches


def _reference(pattern: str, response: str) -> bool:
    parts = [re.escape(p) for p in pattern.split("*")]
    return re.fullmatch(".*".join(parts), response, flags=re.DOTALL) is not None


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="ab*", max_size=8), st.text(alphabet="ab", max_size=10))
def test_wildcard_matching_agrees_with_a_regular_expression(pattern: str, response: str) -> None:
    assert mt.text_matches(pattern, response, case_sensitive=True) is _reference(pattern, response)


def test_a_hostile_pattern_cannot_make_matching_slow() -> None:
    pattern = "*a" * 120 + "b"
    started = time.perf_counter()
    assert not mt.text_matches(pattern, "a" * 1000, case_sensitive=False)
    assert time.perf_counter() - started < 1


# --- grading ------------------------------------------------------------------------------------------------------
def test_the_first_matching_answer_grades_in_the_order_given() -> None:
    q = question()
    assert grade(q, "paris") == base.Grade(Decimal(1), "right", ("<p>Yes, Paris.</p>",))
    assert grade(q, "Parys") == base.Grade(Decimal("0.5"), "partial", ("<p>Check the spelling.</p>",))
    assert grade(q, "Berlin") == base.Grade(Decimal(0), "wrong", ("<p>It is the city of the Louvre.</p>",))


def test_without_a_catch_all_an_unmatched_response_is_wrong_with_no_feedback() -> None:
    q = question({"answers": [{"text": "Paris", "fraction": "1", "feedback": "<p>Yes</p>"}]})
    assert grade(q, "Lyon") == base.Grade(Decimal(0), "wrong", ())


def test_a_catch_all_first_hides_every_later_answer() -> None:
    q = question({"answers": [{"text": "*", "fraction": "1"}, {"text": "Paris", "fraction": "0"}]})
    assert grade(q, "Paris").fraction == 1


def test_case_sensitive_answers_need_the_same_case() -> None:
    q = question(
        {"answers": [{"text": "pH", "fraction": "1"}, {"text": "ph", "fraction": "0.5"}], "case_sensitive": True}
    )
    assert grade(q, "pH").fraction == 1
    assert grade(q, "ph").fraction == Decimal("0.5")
    assert grade(q, "PH").fraction == 0


def test_an_empty_response_is_no_answer() -> None:
    q = question()
    assert QTYPE.clean_response(q, {}, {"text": "   "}) == {}
    assert QTYPE.clean_response(q, {}, None) == {}
    assert QTYPE.grade(q, {}, {}) == base.Grade(Decimal(0), "gave_up")


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        (["Paris"], "response", base.NOT_AN_OBJECT),
        ("Paris", "response", base.NOT_AN_OBJECT),
        ({"text": ["Paris"]}, "text", mt.RESPONSE_NOT_TEXT),
        ({"text": 42}, "text", mt.RESPONSE_NOT_TEXT),
        ({"text": "x" * 1001}, "text", mt.RESPONSE_TOO_LONG.format(limit=1000)),
    ],
)
def test_hostile_responses_are_refused(raw: Any, field: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        QTYPE.clean_response(question(), {}, raw)
    assert caught.value.message_dict == {field: [message]}


def test_responses_are_normalised_and_other_fields_dropped() -> None:
    assert QTYPE.clean_response(question(), {}, {"text": "  Paris \n ", "fraction": "1"}) == {"text": "Paris"}


def test_right_answer_prefers_a_full_marks_answer_without_wildcards() -> None:
    q = question({"answers": [{"text": "Par*", "fraction": "1"}, {"text": "Paris", "fraction": "1"}]})
    assert QTYPE.right_answer(q, {}) == "Paris"
    starred = question({"answers": [{"text": "5\\*3", "fraction": "1"}]})
    assert QTYPE.right_answer(starred, {}) == "5*3"


def test_summary_and_search_text_are_plain_text() -> None:
    q = question()
    assert QTYPE.summarise_response(q, {}, {"text": "Lyon"}) == "Lyon"
    assert QTYPE.search_text(q) == "Paris Yes, Paris. Par* Check the spelling. * It is the city of the Louvre."


# --- the learner's view -------------------------------------------------------------------------------------------
def test_before_grading_the_html_reveals_no_answer_feedback_or_correctness() -> None:
    html = render(question(), {"text": "Lyon"})
    assert 'name="q1-text"' in html and 'value="Lyon"' in html and 'aria-labelledby="q1-label"' in html
    for secret in ("Paris", "Par*", "Louvre", "spelling", "correct", "Correct", "fraction", "a1", "0.5"):
        assert secret not in html


def test_after_grading_the_review_shows_what_its_options_allow() -> None:
    q = question()
    full = render(q, {"text": "Parys"}, base.FULL_REVIEW)
    assert "Partially correct" in full and "Check the spelling." in full
    assert "The correct answer is: Paris" in full
    only_marks = render(q, {"text": "Parys"}, base.Review(correctness=True))
    assert "Partially correct" in only_marks and "spelling" not in only_marks and "Paris" not in only_marks


def test_a_readonly_view_disables_the_input_and_escapes_the_response() -> None:
    html = render(question(), {"text": '"><script>alert(1)</script>'}, readonly=True)
    assert " disabled" in html and "<script>" not in html and "&lt;script&gt;" in html


def test_the_form_post_becomes_the_response() -> None:
    post = QueryDict("q1-text=+Paris+&q2-text=Lyon")
    assert QTYPE.response_from_form(question(), {}, post, "q1-") == {"text": " Paris "}


# --- the author's form --------------------------------------------------------------------------------------------
def test_the_author_form_round_trips_through_data_from_form() -> None:
    html = str(QTYPE.render_author(data=QTYPE.clean(CAPITAL), prefix="f-"))
    assert 'name="f-answer-1-text"' in html and 'value="Paris"' in html and 'name="f-answer-6-text"' in html
    post = QueryDict(mutable=True)
    post.update(
        {
            "f-case_sensitive": "1",
            "f-answer-1-id": "a1",
            "f-answer-1-text": "Paris",
            "f-answer-1-fraction": "1",
            "f-answer-1-feedback": "",
            "f-answer-2-text": "",
            "f-answer-2-fraction": "0",
            "f-answer-2-feedback": "",
            "f-answer-3-text": "Lyon",
            "f-answer-3-fraction": "0.3333333",
            "f-answer-3-feedback": "Close",
        }
    )
    data = QTYPE.data_from_form(post, prefix="f-")
    assert QTYPE.clean(data) == {
        "answers": [
            {"id": "a1", "text": "Paris", "fraction": "1", "feedback": ""},
            {"id": "a2", "text": "Lyon", "fraction": "0.3333333", "feedback": "Close"},
        ],
        "case_sensitive": True,
    }


def test_the_author_form_shows_errors_and_keeps_an_imported_fraction() -> None:
    data = {"answers": [{"text": "Paris", "fraction": "0.45"}]}
    html = str(QTYPE.render_author(data=data, errors={"answers": [mt.ANSWER_FULL_MARKS]}, prefix="f-"))
    assert 'id="f-answers_error"' in html and "worth 100%" in html
    assert '<option value="0.45" selected>45%</option>' in html


def test_the_author_form_survives_hostile_data() -> None:
    html = str(QTYPE.render_author(data={"answers": [{"fraction": "abc", "text": ["x"]}, "junk"]}, prefix="f-"))
    assert 'name="f-answer-1-text"' in html


# --- regressions ------------------------------------------------------------------------------------------------


def test_a_nul_in_the_answer_is_dropped_before_it_is_stored() -> None:
    # PostgreSQL's jsonb refuses "\u0000": a response holding one could not be saved (a 500).
    q = question()
    assert QTYPE.clean_response(q, {}, {"text": "Pa\x00ris"}) == {"text": "Paris"}
    assert grade(q, "Pa\x00ris").state == "right"
    assert QTYPE.clean_response(q, {}, {"text": "\x00"}) == {}


def test_feedback_shown_in_review_is_sanitised_again_when_rendered() -> None:
    # mark_safe may only wrap sanitize_html's output: a version whose data did not pass `clean` shows no script.
    stored = dict(question().data)
    stored["answers"] = [{**stored["answers"][0], "feedback": '<p onclick="x()">Yes<script>alert(1)</script></p>'}]
    q = base.Question("shortanswer", "Capital", "<p>?</p>", "", Decimal(1), stored)
    grade_ = QTYPE.grade(q, {}, {"text": "Paris"})
    ctx = base.RenderContext(q, {}, {"text": "Paris"}, "q1-", "q1-label", review=base.FULL_REVIEW, grade=grade_)
    html = str(QTYPE.render(ctx))
    assert "<p>Yes</p>" in html
    assert "script" not in html and "onclick" not in html
