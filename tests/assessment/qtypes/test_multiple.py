"""Multiple response: per-option fractions, partial credit, the positive-sum rule (with hypothesis)."""

from __future__ import annotations

import random
import re
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict
from hypothesis import given, settings
from hypothesis import strategies as st

from syllabus.assessment.question_types import base, choices
from syllabus.assessment.question_types.base import FULL_REVIEW, NO_REVIEW, Question, RenderContext, Review
from syllabus.assessment.question_types.multiple import qtype as multiple

TYPE = multiple.MultipleResponse()

OPTIONS = [
    {"id": "o1", "text": "Heat", "fraction": "0.3333333", "feedback": "<p>Heat is one.</p>"},
    {"id": "o2", "text": "Fuel", "fraction": "0.3333333", "feedback": ""},
    {"id": "o3", "text": "Oxygen", "fraction": "0.3333333", "feedback": ""},
    {"id": "o4", "text": "Water", "fraction": "-0.5", "feedback": "<p>Water puts fires out.</p>"},
]


def make(options: list[dict[str, Any]] | None = None) -> Question:
    data = TYPE.clean({"options": options or OPTIONS, "shuffle": False})
    return Question("multiple", "Fire triangle", "<p>What does a fire need?</p>", "", Decimal(1), data)


def render(question: Question, response: dict[str, Any], review: Review = NO_REVIEW) -> str:
    variant = {"order": ["o4", "o3", "o2", "o1"]}
    ctx = RenderContext(question, variant, response, prefix="q2-", label_id="q2-label", review=review)
    return str(TYPE.render(ctx))


# --- clean --------------------------------------------------------------------------------------------------------


def test_clean_accepts_positive_fractions_that_add_up_to_one_within_half_a_percent() -> None:
    assert [o["fraction"] for o in make().data["options"]] == ["0.3333333", "0.3333333", "0.3333333", "-0.5"]
    TYPE.clean({"options": [{"text": "A", "fraction": "0.5"}, {"text": "B", "fraction": "0.504"}]})


@pytest.mark.parametrize(
    ("fractions", "total"),
    [(["0.5", "0.4"], "90"), (["0.5", "0.506"], "100.6"), (["0", "-0.5"], "0"), (["1", "1"], "200")],
)
def test_clean_refuses_positive_fractions_that_do_not_add_up_to_one(fractions: list[str], total: str) -> None:
    with pytest.raises(ValidationError) as exc:
        TYPE.clean({"options": [{"text": f"Option {n}", "fraction": f} for n, f in enumerate(fractions)]})
    assert exc.value.message_dict["options"] == [multiple.POSITIVE_SUM.format(total=total)]


def test_the_author_form_explains_the_shares() -> None:
    html = str(TYPE.render_author(data=TYPE.default_data(), prefix="m-"))
    assert "the positive grades add up to 100%" in html
    assert html.count('<fieldset class="qtype-author-row">') == 5


# --- learners -----------------------------------------------------------------------------------------------------


def test_learner_html_before_grading_reveals_nothing_about_the_right_answers() -> None:
    html = render(make(), {"choices": ["o1", "o4"]})
    lowered = html.lower()
    for secret in ("0.3333333", "-0.5", "33.33333", "heat is one", "puts fires out", "correct", "right", "wrong"):
        assert secret not in lowered, secret
    assert not re.search(r'value="o\d"', html)
    assert html.count('type="checkbox"') == 4
    assert len(re.findall(r"checked", html)) == 2
    assert "Clear my choice" not in html


def test_learner_html_with_review_marks_each_ticked_option_in_words() -> None:
    html = render(make(), {"choices": ["o1", "o4"]}, review=FULL_REVIEW)
    assert html.count("✓</span> Correct") == 1 and html.count("✗</span> Incorrect") == 1
    assert "Heat is one." in html and "Water puts fires out." in html
    assert "The correct answer is: Oxygen; Fuel; Heat" in html  # in the order the learner sees


def test_form_post_of_positions_becomes_ids_in_the_attempts_order() -> None:
    question, variant = make(), {"order": ["o4", "o3", "o2", "o1"]}
    post = QueryDict("q2-choices=4&q2-choices=1&q2-choices=4")
    raw = TYPE.response_from_form(question, variant, post, "q2-")
    assert TYPE.clean_response(question, variant, raw) == {"choices": ["o4", "o1"]}
    assert TYPE.clean_response(question, variant, TYPE.response_from_form(question, variant, QueryDict(), "q2-")) == {}


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        ({"choices": "o1"}, "choices", multiple.CHOICES_NOT_LIST),
        ({"choices": ["o1"] * 101}, "choices", multiple.CHOICES_NOT_LIST),
        ({"choices": ["o1", "o9"]}, "choices", multiple.CHOICES_UNKNOWN),
        ({"choices": [["o1"]]}, "choices", multiple.CHOICES_UNKNOWN),
        ({"choices": [1]}, "choices", multiple.CHOICES_UNKNOWN),
        ({"choice": "o1"}, "response", choices.UNEXPECTED_FIELDS),
    ],
)
def test_hostile_responses_are_refused_naming_the_field(raw: Any, field: str, message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        TYPE.clean_response(make(), {}, raw)
    assert exc.value.message_dict[field] == [message]


# --- grading ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chosen", "fraction", "state"),
    [
        (["o1", "o2", "o3"], "1", "right"),
        (["o1", "o2"], "0.6666667", "partial"),
        (["o1"], "0.3333333", "partial"),
        # (3 × 0.3333333 − 0.5) / 0.9999999, rounded to the 7 places an answer keeps
        (["o1", "o2", "o3", "o4"], "0.4999999", "partial"),
        (["o1", "o4"], "0", "wrong"),
        (["o4"], "0", "wrong"),
    ],
)
def test_grade_is_the_sum_of_the_chosen_fractions_clamped(chosen: list[str], fraction: str, state: str) -> None:
    grade = TYPE.grade(make(), {}, {"choices": chosen})
    assert (str(grade.fraction), grade.state) == (fraction, state)


def test_grade_gives_the_feedback_of_each_chosen_option() -> None:
    grade = TYPE.grade(make(), {}, {"choices": ["o1", "o2", "o4"]})
    assert grade.feedback == ("<p>Heat is one.</p>", "<p>Water puts fires out.</p>")


def test_no_choice_is_gave_up() -> None:
    assert TYPE.grade(make(), {}, {}).state == "gave_up"


def test_summary_and_right_answer_are_plain_text() -> None:
    question = make()
    assert TYPE.summarise_response(question, {}, {"choices": ["o2", "o4"]}) == "Fuel; Water"
    assert TYPE.right_answer(question, {}) == "Heat; Fuel; Oxygen"


# --- properties ---------------------------------------------------------------------------------------------------


@st.composite
def option_sets(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Options whose positive fractions are shares of 1 rounded to 7 places (so they add up to 1 ± a few 1e-7),
    plus penalties: what an author can save."""
    weights = draw(st.lists(st.integers(min_value=1, max_value=1000), min_size=1, max_size=8))
    total = sum(weights)
    positive = [(Decimal(w) / total).quantize(choices.PLACES) for w in weights]
    penalties = draw(st.lists(st.integers(min_value=-10_000_000, max_value=0), max_size=6))
    fractions = [str(p) for p in positive] + [str(Decimal(p).scaleb(-7)) for p in penalties]
    if len(fractions) < 2:
        fractions.append("0")
    order = draw(st.permutations(fractions))
    return [{"text": f"Option {n}", "fraction": fraction} for n, fraction in enumerate(order)]


@settings(derandomize=True, deadline=None, max_examples=200)
@given(options=option_sets(), data=st.data())
def test_choosing_every_positive_option_gives_exactly_one_and_any_response_stays_within_zero_and_one(
    options: list[dict[str, Any]], data: st.DataObject
) -> None:
    question = make(options)  # clean accepts every set the strategy draws
    cleaned = question.data["options"]
    variant = TYPE.start(question, random.Random(0))
    positives = [o["id"] for o in cleaned if Decimal(o["fraction"]) > 0]
    assert TYPE.grade(question, variant, TYPE.clean_response(question, variant, {"choices": positives})).fraction == 1
    chosen = data.draw(st.lists(st.sampled_from([o["id"] for o in cleaned]), unique=True))
    grade = TYPE.grade(question, variant, TYPE.clean_response(question, variant, {"choices": chosen}))
    assert grade.fraction is not None and Decimal(0) <= grade.fraction <= Decimal(1)
    assert grade.state == (base.state_for(grade.fraction) if chosen else "gave_up")
