"""Drag and drop into text: gapselect with limited-use words, keyboard-only (native selects)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict

from syllabus.assessment.question_types.base import FULL_REVIEW, NO_REVIEW, Question, RenderContext, Review
from syllabus.assessment.question_types.ddwtos import qtype as ddwtos
from syllabus.assessment.question_types.gapselect.qtype import GapSelect

TYPE = ddwtos.DragIntoText()
TEXT = "<p>[[1]] cat sat on [[2]] mat by [[3]] door.</p>"
CHOICES = [
    {"text": "the", "group": 1, "infinite": False},
    {"text": "the", "group": 1, "infinite": False},
    {"text": "a", "group": 1, "infinite": True},
    {"text": "my", "group": 1},
]
VARIANT = {"choices_by_group": {"1": [3, 1, 4, 2]}}


def make(text: str = TEXT, rows: list[dict[str, Any]] | None = None) -> Question:
    data = TYPE.clean({"choices": rows or CHOICES}, text=text)
    return Question("ddwtos", "Cat", text, "", Decimal(1), data)


def render(question: Question, response: dict[str, Any], review: Review = NO_REVIEW) -> str:
    return str(
        TYPE.render(RenderContext(question, VARIANT, response, prefix="q7-", label_id="q7-label", review=review))
    )


def test_ddwtos_is_gapselect_with_an_infinite_flag_per_choice() -> None:
    assert isinstance(TYPE, GapSelect)
    assert [c["infinite"] for c in make().data["choices"]] == [False, False, True, False]


@pytest.mark.parametrize(
    ("text", "rows", "message"),
    [
        ("<p>[[1]] [[1]] [[1]]</p>", CHOICES, ddwtos.CHOICE_OVERUSED.format(row=1, text="the", count=3, uses=2)),
        ("<p>[[4]] [[4]]</p>", CHOICES, ddwtos.CHOICE_OVERUSED.format(row=4, text="my", count=2, uses=1)),
        ("<p>[[1]]</p>", [{"text": "the", "infinite": "yes"}], ddwtos.INFINITE_INVALID.format(row=1)),
    ],
)
def test_clean_refuses_right_answers_that_need_a_limited_word_too_often(
    text: str, rows: list[dict[str, Any]], message: str
) -> None:
    with pytest.raises(ValidationError) as exc:
        TYPE.clean({"choices": rows}, text=text)
    assert exc.value.message_dict["choices"] == [message]


def test_an_unlimited_word_may_be_the_answer_of_any_number_of_gaps() -> None:
    assert make(text="<p>[[3]] [[3]] [[3]]</p>").data["choices"][2]["infinite"] is True


def test_the_author_form_has_an_unlimited_checkbox_per_row() -> None:
    html = str(TYPE.render_author(data=make().data, prefix="d-"))
    assert html.count("Unlimited (may fill any number of gaps)") == 7
    assert 'name="d-choices-2-infinite" id="d-choices-2-infinite" value="on" checked' in html
    post = QueryDict(
        "d-choices-0-text=the&d-choices-0-group=1&d-choices-0-infinite=on&d-choices-1-text=a&d-choices-1-group=1"
    )
    data = TYPE.clean(TYPE.data_from_form(post, prefix="d-"), text="[[1]] [[1]]")
    assert data["choices"] == [
        {"text": "the", "group": 1, "infinite": True},
        {"text": "a", "group": 1, "infinite": False},
    ]


def test_learner_html_uses_native_selects_that_say_how_often_a_word_fits_and_reveals_nothing() -> None:
    html = render(make(), {"gaps": {"1": 1}})
    lowered = html.lower()
    for secret in ("correct", "right", "wrong", "[["):
        assert secret not in lowered, secret
    first = html.split("<select")[1]
    # one option per text, in the attempt's order: a, the (two copies), my
    assert '<option value="1">a</option><option value="2" selected>the (up to 2 times)</option>' in first
    assert '<option value="3">my (once)</option>' in first
    assert "<script" not in html and "draggable" not in html


def test_review_marks_gaps_in_words() -> None:
    html = render(make(), {"gaps": {"1": 1, "2": 4}}, review=FULL_REVIEW)
    assert html.count("✓</span> Correct") == 1 and html.count("✗</span> Incorrect") == 1


def test_placing_a_limited_word_twice_takes_its_second_copy() -> None:
    question = make()
    raw = TYPE.response_from_form(question, VARIANT, QueryDict("q7-gap-1=2&q7-gap-2=2&q7-gap-3=2"), "q7-")
    assert raw == {"gaps": {"1": 1, "2": 2, "3": 1}}
    with pytest.raises(ValidationError) as exc:
        TYPE.clean_response(question, VARIANT, raw)
    assert exc.value.message_dict["gaps"] == [ddwtos.CHOICE_USED_TOO_OFTEN.format(text="the", uses=2)]
    two = TYPE.response_from_form(question, VARIANT, QueryDict("q7-gap-1=2&q7-gap-2=2&q7-gap-3=1"), "q7-")
    assert TYPE.clean_response(question, VARIANT, two) == {"gaps": {"1": 1, "2": 2, "3": 3}}


def test_an_unlimited_word_may_fill_every_gap_and_a_limited_one_only_once() -> None:
    question = make()
    assert TYPE.clean_response(question, VARIANT, {"gaps": {"1": 3, "2": 3, "3": 3}}) == {
        "gaps": {"1": 3, "2": 3, "3": 3}
    }
    with pytest.raises(ValidationError) as exc:
        TYPE.clean_response(question, VARIANT, {"gaps": {"1": 4, "3": 4}})
    assert exc.value.message_dict["gaps"] == ["“my” can fill at most 1 gap(s)."]


@pytest.mark.parametrize(
    ("gaps", "fraction"),
    [({"1": 1, "2": 2, "3": 4}, "0.6666667"), ({"1": 2, "2": 1, "3": 3}, "1"), ({"1": 3}, "0")],
)
def test_grade_is_right_gaps_over_gaps_and_either_copy_of_a_word_counts(gaps: dict[str, int], fraction: str) -> None:
    assert str(TYPE.grade(make(), VARIANT, {"gaps": gaps}).fraction) == fraction
