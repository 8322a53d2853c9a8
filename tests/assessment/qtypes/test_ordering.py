"""Ordering: three grading modes, permutation-only responses, selects named by shuffled place."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict
from hypothesis import given, settings
from hypothesis import strategies as st

from syllabus.assessment.question_types.base import FULL_REVIEW, NO_REVIEW, Question, RenderContext, Review
from syllabus.assessment.question_types.ordering import qtype as ordering

TYPE = ordering.Ordering()
STEPS = ["Raise the alarm", "Call 112", "Evacuate", "Gather at the assembly point"]
IDS = ["s1", "s2", "s3", "s4"]


def make(grading: str = "absolute_position", texts: list[str] | None = None) -> Question:
    texts = texts or STEPS
    items = [{"id": f"s{n}", "text": f"<p>{t}</p>"} for n, t in enumerate(texts, start=1)]
    data = TYPE.clean({"items": items, "grading": grading})
    return Question("ordering", "Fire drill", "<p>Put the steps in order.</p>", "", Decimal(1), data)


def render(question: Question, variant: dict[str, Any], response: dict[str, Any], review: Review = NO_REVIEW) -> str:
    return str(
        TYPE.render(RenderContext(question, variant, response, prefix="q5-", label_id="q5-label", review=review))
    )


# --- clean --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"items": [{"text": "Only"}, {"text": ""}]}, "items", ordering.TOO_FEW_ITEMS),
        ({"items": [{"text": "A"}, {"text": "<b>a</b>"}]}, "items", ordering.DUPLICATE_ITEM.format(row=2)),
        ({"items": [{"text": "A"}, {"text": "B"}], "grading": "random"}, "grading", ordering.GRADING_INVALID),
        ({"items": {"text": "A"}}, "items", "Give the items as a list."),
    ],
)
def test_clean_refuses_bad_data_naming_the_field(data: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        TYPE.clean(data)
    assert message in exc.value.message_dict[field]


def test_clean_defaults_to_absolute_position_and_the_author_form_round_trips() -> None:
    assert TYPE.clean({"items": [{"text": "A"}, {"text": "B"}]})["grading"] == "absolute_position"
    html = str(TYPE.render_author(data=TYPE.default_data(), errors={"grading": ["x"]}, prefix="o-"))
    assert html.count('name="o-items-') == 10  # five blank rows: id and text each
    assert '<ul class="errorlist" id="o-grading_error"><li>x</li></ul>' in html
    assert "o-items_error" not in html  # an error elsewhere never shows up as the items' error
    post = QueryDict("o-items-0-text=A&o-items-1-text=B&o-items-2-text=&o-grading=relative_next")
    data = TYPE.clean(TYPE.data_from_form(post, prefix="o-"))
    assert [i["text"] for i in data["items"]] == ["A", "B"] and data["grading"] == "relative_next"


# --- variants and rendering ---------------------------------------------------------------------------------------


@settings(derandomize=True, deadline=None, max_examples=50)
@given(seed=st.integers(min_value=0, max_value=2**32), size=st.integers(min_value=2, max_value=6))
def test_the_shown_order_is_a_shuffle_that_never_starts_right(seed: int, size: int) -> None:
    question = make(texts=[f"Step {n}" for n in range(size)])
    order = TYPE.start(question, random.Random(seed))["order"]
    right = [item["id"] for item in question.data["items"]]
    assert sorted(order) == sorted(right) and order != right


def test_learner_html_before_grading_reveals_nothing() -> None:
    question, variant = make(), {"order": ["s3", "s1", "s4", "s2"]}
    html = render(question, variant, {})
    lowered = html.lower()
    for secret in ("correct", "right", "wrong", "s1", "s2", "s3", "s4"):
        assert secret not in lowered, secret
    assert html.index("Evacuate") < html.index("Raise the alarm") < html.index("Gather") < html.index("Call 112")
    assert 'name="q5-position-1"' in html and html.count("<select") == 4


def test_learner_html_shows_the_learners_order_and_with_review_marks_items_in_words() -> None:
    question, variant = make(), {"order": ["s3", "s1", "s4", "s2"]}
    response = {"order": ["s1", "s3", "s2", "s4"]}
    html = render(question, variant, response, review=FULL_REVIEW)
    assert html.index("Raise the alarm") < html.index("Evacuate") < html.index("Call 112")
    assert html.count("✓</span> Correct") == 2 and html.count("✗</span> Incorrect") == 2
    assert (
        "The correct answer is: 1. Raise the alarm; 2. Call 112; 3. Evacuate; 4. Gather at the assembly point" in html
    )


def test_form_positions_become_an_order() -> None:
    question, variant = make(), {"order": ["s3", "s1", "s4", "s2"]}
    post = QueryDict("q5-position-1=3&q5-position-2=1&q5-position-3=4&q5-position-4=2")
    raw = TYPE.response_from_form(question, variant, post, "q5-")
    assert TYPE.clean_response(question, variant, raw) == {"order": ["s1", "s2", "s3", "s4"]}
    assert TYPE.response_from_form(question, variant, QueryDict(""), "q5-") == {}


@pytest.mark.parametrize(
    "post",
    [
        "q5-position-1=1&q5-position-2=1&q5-position-3=3&q5-position-4=4",
        "q5-position-1=1&q5-position-2=2&q5-position-3=3",
        "q5-position-1=9&q5-position-2=2&q5-position-3=3&q5-position-4=4",
        "q5-position-1=x&q5-position-2=2&q5-position-3=3&q5-position-4=4",
    ],
)
def test_two_items_in_one_position_or_a_missing_position_are_refused_with_a_message(post: str) -> None:
    question, variant = make(), {"order": ["s3", "s1", "s4", "s2"]}
    raw = TYPE.response_from_form(question, variant, QueryDict(post), "q5-")
    with pytest.raises(ValidationError) as exc:
        TYPE.clean_response(question, variant, raw)
    assert exc.value.message_dict["order"] == [ordering.ORDER_NOT_PERMUTATION]


@pytest.mark.parametrize(
    "order",
    [
        ["s1", "s2", "s3"],
        ["s1", "s1", "s2", "s3"],
        ["s1", "s2", "s3", "s9"],
        "s1s2s3s4",
        [1, 2, 3, 4],
        [["s1"], "s2", "s3", "s4"],
    ],
)
def test_only_a_permutation_of_the_items_is_an_answer(order: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        TYPE.clean_response(make(), {}, {"order": order})
    assert exc.value.message_dict["order"] == [ordering.ORDER_NOT_PERMUTATION]


# --- grading ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("grading", "order", "fraction", "state"),
    [
        ("all_or_nothing", IDS, "1", "right"),
        ("all_or_nothing", ["s2", "s1", "s3", "s4"], "0", "wrong"),
        ("absolute_position", ["s2", "s1", "s3", "s4"], "0.5", "partial"),
        ("absolute_position", ["s4", "s1", "s2", "s3"], "0", "wrong"),
        ("absolute_position", IDS, "1", "right"),
        # s4→s1 wrong; s1→s2 and s2→s3 right
        ("relative_next", ["s4", "s1", "s2", "s3"], "0.6666667", "partial"),
        ("relative_next", ["s2", "s1", "s4", "s3"], "0", "wrong"),
        ("relative_next", ["s3", "s4", "s1", "s2"], "0.6666667", "partial"),
        ("relative_next", IDS, "1", "right"),
    ],
)
def test_grade_follows_the_grading_mode(grading: str, order: list[str], fraction: str, state: str) -> None:
    grade = TYPE.grade(make(grading), {}, {"order": order})
    assert (str(grade.fraction), grade.state) == (fraction, state)


def test_no_order_is_gave_up_and_summaries_are_numbered() -> None:
    question = make()
    assert TYPE.grade(question, {}, {}).state == "gave_up"
    assert TYPE.summarise_response(question, {}, {"order": ["s2", "s1", "s3", "s4"]}).startswith(
        "1. Call 112; 2. Raise"
    )
    assert TYPE.search_text(question).splitlines() == STEPS
