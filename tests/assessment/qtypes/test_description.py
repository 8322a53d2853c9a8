"""Description: text only — no inputs, no answer, not graded."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict

from syllabus.assessment.question_types import base
from syllabus.assessment.question_types.base import FULL_REVIEW, Question, RenderContext
from syllabus.assessment.question_types.description import qtype as description

TYPE = description.Description()
QUESTION = Question("description", "Case", "<p>Read the case below.</p>", "", Decimal(0), {})


def test_a_description_is_not_graded_and_gives_no_tries() -> None:
    assert TYPE.graded is False and TYPE.allows_tries is False
    assert TYPE.grade(QUESTION, {}, {}) == base.Grade(None, "info")


def test_clean_keeps_nothing_and_refuses_what_is_not_an_object() -> None:
    assert TYPE.clean({"anything": 1}) == {}
    with pytest.raises(ValidationError) as exc:
        TYPE.clean("x")  # type: ignore[arg-type]
    assert exc.value.message_dict["data"] == ["The question's content must be a JSON object."]


def test_it_has_no_inputs_and_takes_no_answer() -> None:
    ctx = RenderContext(
        QUESTION, TYPE.start(QUESTION, random.Random(1)), {}, prefix="q9-", label_id="q9-label", review=FULL_REVIEW
    )
    html = str(TYPE.render(ctx))
    assert "<input" not in html and "<select" not in html and "<textarea" not in html
    assert TYPE.response_from_form(QUESTION, {}, QueryDict("q9-x=1"), "q9-") == {}
    assert TYPE.clean_response(QUESTION, {}, {}) == {}
    with pytest.raises(ValidationError) as exc:
        TYPE.clean_response(QUESTION, {}, {"text": "hi"})
    assert exc.value.message_dict["response"] == [description.NO_ANSWER]


def test_the_author_form_says_there_is_nothing_to_fill_in() -> None:
    assert "A description has no answers" in str(TYPE.render_author(data={}))
    assert base.get("description").key == "description"
