"""True/false: 1 or 0, feedback per answer, nothing revealed before grading."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict

from syllabus.assessment.question_types import base, choices
from syllabus.assessment.question_types.base import FULL_REVIEW, NO_REVIEW, Question, RenderContext, Review
from syllabus.assessment.question_types.truefalse import qtype as truefalse

TYPE = truefalse.TrueFalse()


def make(correct: bool = False) -> Question:
    data = TYPE.clean(
        {
            "correct": correct,
            "feedback_true": "<p>Water conducts: never on electrical fires.</p>",
            "feedback_false": "<p onmouseover='x'>Good: never on electrical fires.</p>",
        }
    )
    return Question("truefalse", "Water", "<p>Water is safe on electrical fires.</p>", "", Decimal(1), data)


def render(question: Question, response: dict[str, Any], review: Review = NO_REVIEW) -> str:
    ctx = RenderContext(question, {}, response, prefix="q3-", label_id="q3-label", review=review)
    return str(TYPE.render(ctx))


def test_clean_sanitises_the_feedback_of_each_answer() -> None:
    assert make().data == {
        "correct": False,
        "feedback_true": "<p>Water conducts: never on electrical fires.</p>",
        "feedback_false": "<p>Good: never on electrical fires.</p>",
    }


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "correct", truefalse.CORRECT_REQUIRED),
        ({"correct": "true"}, "correct", truefalse.CORRECT_REQUIRED),
        ({"correct": True, "feedback_true": ["x"]}, "feedback_true", truefalse.FEEDBACK_NOT_TEXT),
        (
            {"correct": True, "feedback_false": "x" * 20_001},
            "feedback_false",
            "The feedback is too long (at most 20,000 characters).",
        ),
    ],
)
def test_clean_refuses_bad_data_naming_the_field(data: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        TYPE.clean(data)
    assert exc.value.message_dict[field] == [message]


def test_author_form_round_trips() -> None:
    html = str(TYPE.render_author(data=make().data, prefix="t-"))
    assert 'id="t-correct-false" value="false" checked' in html
    post = QueryDict("t-correct=false&t-feedback_true=A&t-feedback_false=B")
    assert TYPE.clean(TYPE.data_from_form(post, prefix="t-")) == {
        "correct": False,
        "feedback_true": "A",
        "feedback_false": "B",
    }
    assert TYPE.data_from_form(QueryDict(""), prefix="t-")["correct"] is None


def test_learner_html_before_grading_reveals_nothing() -> None:
    html = render(make(), {"answer": True})
    lowered = html.lower()
    for secret in ("conducts", "good:", "correct", "incorrect", "right", "wrong"):
        assert secret not in lowered, secret
    assert 'value="true" checked' in html and 'aria-labelledby="q3-label"' in html


def test_learner_html_with_review_shows_the_mark_feedback_and_right_answer() -> None:
    html = render(make(), {"answer": True}, review=FULL_REVIEW)
    assert "✗</span> Incorrect" in html
    assert "Water conducts: never on electrical fires." in html
    assert "The correct answer is: False" in html
    assert "Good:" not in html  # only the chosen answer's feedback


def test_review_without_feedback_shows_the_mark_only() -> None:
    html = render(make(), {"answer": False}, review=Review(correctness=True))
    assert "✓</span> Correct" in html and "never on electrical fires" not in html


def test_form_values_become_booleans() -> None:
    question = make()
    assert TYPE.clean_response(
        question, {}, TYPE.response_from_form(question, {}, QueryDict("q3-answer=false"), "q3-")
    ) == {"answer": False}
    assert TYPE.response_from_form(question, {}, QueryDict(""), "q3-") == {}


@pytest.mark.parametrize("raw", [{"answer": "yes"}, {"answer": 1}, {"answer": [True]}, {"answer": "maybe"}])
def test_anything_but_a_boolean_is_refused(raw: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        TYPE.clean_response(make(), {}, raw)
    assert exc.value.message_dict["answer"] == [truefalse.ANSWER_INVALID]


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        TYPE.clean_response(make(), {}, {"answer": True, "fraction": 1})
    assert exc.value.message_dict["response"] == [choices.UNEXPECTED_FIELDS]


@pytest.mark.parametrize(
    ("answer", "fraction", "state", "feedback"),
    [
        (False, Decimal(1), "right", "<p>Good: never on electrical fires.</p>"),
        (True, Decimal(0), "wrong", "<p>Water conducts: never on electrical fires.</p>"),
    ],
)
def test_grade_is_one_or_zero_with_the_answers_feedback(
    answer: bool, fraction: Decimal, state: str, feedback: str
) -> None:
    assert TYPE.grade(make(), {}, {"answer": answer}) == base.Grade(fraction, state, (feedback,))


def test_no_answer_is_gave_up_and_plain_texts_read_well() -> None:
    question = make()
    assert TYPE.grade(question, {}, {}).state == "gave_up"
    assert TYPE.right_answer(question, {}) == "False"
    assert TYPE.summarise_response(question, {}, {"answer": True}) == "True"
    assert "Water conducts" in TYPE.search_text(question)
