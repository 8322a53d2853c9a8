"""Essay: word limits, editor vs plain responses, manual grading, grader information kept from learners."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict

from syllabus.assessment.question_types import base, choices
from syllabus.assessment.question_types.base import FULL_REVIEW, Question, RenderContext
from syllabus.assessment.question_types.essay import qtype as essay

TYPE = essay.Essay()


def make(**data: Any) -> Question:
    cleaned = TYPE.clean(
        {"response_format": "plain", "grader_info": "<p>Look for the three sides of the triangle.</p>", **data}
    )
    return Question("essay", "Triangle", "<p>Explain the fire triangle.</p>", "", Decimal(5), cleaned)


def render(question: Question, response: dict[str, Any], *, readonly: bool = False) -> str:
    ctx = RenderContext(
        question, {}, response, prefix="q8-", label_id="q8-label", readonly=readonly, review=FULL_REVIEW
    )
    return str(TYPE.render(ctx))


def test_the_type_is_manual_and_gives_no_second_try() -> None:
    assert TYPE.manual is True and TYPE.allows_tries is False and TYPE.graded is True


@pytest.mark.parametrize(
    ("text", "count"),
    [("Fire needs heat, fuel and oxygen.", 6), ("", 0), ("  well-known don't 3.5 — ok  ", 4), ("one\ntwo", 2)],
)
def test_count_words_counts_words_not_punctuation(text: str, count: int) -> None:
    assert essay.count_words(text) == count


# --- clean --------------------------------------------------------------------------------------------------------


def test_clean_normalises_the_settings() -> None:
    assert make(min_words="10", max_words=200, template="Start here").data == {
        "response_format": "plain",
        "min_words": 10,
        "max_words": 200,
        "grader_info": "<p>Look for the three sides of the triangle.</p>",
        "template": "Start here",
    }
    editor = TYPE.clean({"template": "Line one\n\nLine <two>"})
    assert editor["response_format"] == "editor" and editor["template"] == "<p>Line one</p><p>Line &lt;two&gt;</p>"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"response_format": "pdf"}, "response_format", essay.FORMAT_INVALID),
        ({"min_words": -1}, "min_words", "Give a whole number of words from 0 to 100,000 (0: no limit)."),
        ({"max_words": "many"}, "max_words", "Give a whole number of words from 0 to 100,000 (0: no limit)."),
        ({"max_words": 100_001}, "max_words", "Give a whole number of words from 0 to 100,000 (0: no limit)."),
        ({"max_words": True}, "max_words", "Give a whole number of words from 0 to 100,000 (0: no limit)."),
        ({"min_words": 50, "max_words": 10}, "min_words", essay.WORDS_ORDER),
        ({"grader_info": ["x"]}, "grader_info", essay.FIELD_NOT_TEXT),
        ({"template": "x" * 20_001}, "template", "This text is too long (at most 20,000 characters)."),
    ],
)
def test_clean_refuses_bad_settings_naming_the_field(data: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        TYPE.clean(data)
    assert exc.value.message_dict[field] == [message]


def test_the_author_form_round_trips() -> None:
    html = str(TYPE.render_author(data=make(max_words=100).data, prefix="e-"))
    assert '<option value="plain" selected>Plain text</option>' in html and 'value="100"' in html
    post = QueryDict("e-response_format=editor&e-min_words=&e-max_words=300&e-grader_info=<b>Key</b>&e-template=")
    assert TYPE.clean(TYPE.data_from_form(post, prefix="e-")) == {
        "response_format": "editor",
        "min_words": 0,
        "max_words": 300,
        "grader_info": "<b>Key</b>",
        "template": "",
    }


# --- responses ----------------------------------------------------------------------------------------------------


def test_a_response_over_the_word_limit_is_refused_with_a_clear_message() -> None:
    question = make(max_words=5)
    with pytest.raises(ValidationError) as exc:
        TYPE.clean_response(question, {}, {"text": "Fire needs heat, fuel and oxygen."})
    assert exc.value.message_dict["text"] == ["Your answer has 6 words; the limit is 5. Shorten it to save it."]
    assert TYPE.clean_response(question, {}, {"text": "Heat, fuel and oxygen."}) == {"text": "Heat, fuel and oxygen."}


def test_a_short_response_is_saved_and_the_minimum_is_a_warning_for_submit() -> None:
    question = make(min_words=10)
    response = TYPE.clean_response(question, {}, {"text": "Heat."})
    assert response == {"text": "Heat."}
    assert TYPE.word_count_warning(question, response) == "Your answer has 1 words; write at least 10."
    assert TYPE.word_count_warning(question, {"text": " ".join(["word"] * 10)}) == ""


def test_plain_responses_keep_their_text_and_editor_responses_are_sanitised() -> None:
    plain = make()
    assert TYPE.clean_response(plain, {}, {"text": "a <b>bold</b>\r\nclaim"}) == {"text": "a <b>bold</b>\nclaim"}
    editor = make(response_format="editor")
    assert TYPE.clean_response(editor, {}, {"text": "<p onclick='x'>Hi<script>x()</script></p>"}) == {
        "text": "<p>Hi</p>"
    }
    assert TYPE.clean_response(editor, {}, {"text": "Typed\nwithout <editor>\n\nTwo"}) == {
        "text": "<p>Typed<br>without &lt;editor&gt;</p><p>Two</p>"
    }


@pytest.mark.parametrize("text", ["", "   \n ", None])
def test_an_empty_answer_is_no_answer(text: Any) -> None:
    assert TYPE.clean_response(make(), {}, {"text": text}) == {}
    assert TYPE.clean_response(make(response_format="editor"), {}, {"text": "<p> </p>"}) == {}


def test_the_unchanged_template_is_no_answer() -> None:
    question = make(template="My answer:")
    assert TYPE.clean_response(question, {}, {"text": "My answer: "}) == {}


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        ({"text": ["a"]}, "text", essay.TEXT_NOT_TEXT),
        ({"text": "a" * 200_001}, "text", "The answer is too long (at most 200,000 characters)."),
        ({"text": "a", "files": []}, "response", choices.UNEXPECTED_FIELDS),
        ("just text", "response", base.NOT_AN_OBJECT),
    ],
)
def test_hostile_responses_are_refused(raw: Any, field: str, message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        TYPE.clean_response(make(), {}, raw)
    assert exc.value.message_dict[field] == [message]


def test_form_post_is_read_as_text() -> None:
    assert TYPE.response_from_form(make(), {}, QueryDict("q8-text=Heat"), "q8-") == {"text": "Heat"}
    assert TYPE.response_from_form(make(), {}, QueryDict(""), "q8-") == {}


# --- rendering and grading ----------------------------------------------------------------------------------------


def test_learners_never_see_the_grader_information_and_get_a_labelled_textarea() -> None:
    question = make(min_words=2, max_words=50, template="My answer:")
    html = render(question, {})
    assert "three sides" not in html
    assert '<label for="q8-text">Your answer</label>' in html
    assert 'aria-describedby="q8-text_helptext"' in html and "Write between 2 and 50 words." in html
    assert ">My answer:</textarea>" in html
    assert "three sides" not in render(question, {"text": "Heat"}, readonly=True)


def test_the_read_only_view_shows_the_answer_escaped_with_its_word_count() -> None:
    html = render(make(), {"text": "Heat <script>\nFuel"}, readonly=True)
    assert "Heat &lt;script&gt;<br>Fuel" in html and "3 words" in html and "<textarea" not in html


def test_an_answer_needs_grading_and_no_answer_is_gave_up() -> None:
    question = make()
    assert TYPE.grade(question, {}, {"text": "Heat"}) == base.Grade(None, "needs_grading")
    assert TYPE.grade(question, {}, {}) == base.Grade(Decimal(0), "gave_up")


def test_summaries_are_plain_text_and_search_finds_the_grader_information() -> None:
    editor = make(response_format="editor")
    assert TYPE.summarise_response(editor, {}, {"text": "<p>Heat</p><p>Fuel</p>"}) == "Heat\nFuel"
    assert TYPE.right_answer(editor, {}) == ""
    assert "three sides" in TYPE.search_text(editor)


# --- regressions ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", ["<p " * 66_000, "<table" * 33_000, "<br x=1 " * 25_000])
def test_an_answer_of_unclosed_tags_is_cleaned_in_linear_time(payload: str) -> None:
    # "[^>]*" let every "<p" scan to the end of a 200,000-character answer: 14 seconds per autosave.
    import time

    q = make(response_format="editor")
    started = time.monotonic()
    TYPE.clean_response(q, {}, {"text": payload})
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("response_format", ["plain", "editor"])
def test_a_nul_in_an_essay_is_dropped_before_it_is_stored(response_format: str) -> None:
    # PostgreSQL's jsonb refuses "\u0000": the answer could not be saved (a 500).
    cleaned = TYPE.clean_response(make(response_format=response_format), {}, {"text": "Fuel\x00, heat, oxygen"})
    assert "\x00" not in cleaned["text"]
    assert "Fuel, heat, oxygen" in cleaned["text"]
