"""Matching: shared answer texts, distractors, opaque choice ids, partial credit."""

from __future__ import annotations

import random
import re
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict

from syllabus.assessment.question_types import choices
from syllabus.assessment.question_types.base import FULL_REVIEW, NO_REVIEW, Question, RenderContext, Review
from syllabus.assessment.question_types.matching import qtype as matching

TYPE = matching.Matching()

PAIRS = [
    {"id": "p1", "prompt": "<p>Wood fire</p>", "answer": "Water"},
    {"id": "p2", "prompt": "<p>Paper fire</p>", "answer": "Water"},
    {"id": "p3", "prompt": "<p>Electrical fire</p>", "answer": "CO2"},
    {"id": "p4", "prompt": "", "answer": "Sand"},
]


def make(shuffle: bool = False) -> Question:
    data = TYPE.clean({"pairs": PAIRS, "shuffle": shuffle})
    return Question("matching", "Extinguishers", "<p>Match each fire with its extinguisher.</p>", "", Decimal(1), data)


def started(question: Question | None = None, seed: int = 7) -> tuple[Question, dict[str, Any]]:
    question = question or make()
    return question, TYPE.start(question, random.Random(seed))


def choice_for(variant: dict[str, Any], text: str) -> str:
    return next(c for c, t in variant["choice_text"].items() if t == text)


def render(question: Question, variant: dict[str, Any], response: dict[str, Any], review: Review = NO_REVIEW) -> str:
    return str(
        TYPE.render(RenderContext(question, variant, response, prefix="q4-", label_id="q4-label", review=review))
    )


# --- clean --------------------------------------------------------------------------------------------------------


def test_clean_keeps_distractors_and_drops_blank_rows() -> None:
    data = TYPE.clean({"pairs": [*PAIRS, {"prompt": "", "answer": "  "}], "shuffle": True})
    assert [p["answer"] for p in data["pairs"]] == ["Water", "Water", "CO2", "Sand"]
    assert data["pairs"][3]["prompt"] == ""


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ([{"prompt": "A", "answer": "1"}, {"prompt": "", "answer": "2"}], matching.TOO_FEW_PROMPTS),
        (
            [{"prompt": "A", "answer": "1"}, {"prompt": "B", "answer": ""}],
            "Pair 2: give the answer that matches this prompt.",
        ),
        ([{"prompt": "A", "answer": "1"}, {"prompt": "B", "answer": {"x": 1}}], "Pair 2: the answer must be text."),
        (
            [{"prompt": "A", "answer": "1" * 1001}, {"prompt": "B", "answer": "2"}],
            "Pair 1: the text is too long (at most 1,000 characters).",
        ),
    ],
)
def test_clean_refuses_bad_pairs_naming_the_row(pairs: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        TYPE.clean({"pairs": pairs})
    assert message in exc.value.message_dict["pairs"]


def test_a_new_question_form_has_five_blank_pairs() -> None:
    html = str(TYPE.render_author(data=TYPE.default_data(), prefix="m-"))
    assert html.count('<fieldset class="qtype-author-row">') == 5
    post = QueryDict(
        "m-pairs-0-prompt=A&m-pairs-0-answer=1&m-pairs-1-prompt=B&m-pairs-1-answer=2&m-pairs-2-prompt=&m-pairs-2-answer="
    )
    data = TYPE.clean(TYPE.data_from_form(post, prefix="m-"))
    assert [(p["prompt"], p["answer"]) for p in data["pairs"]] == [("A", "1"), ("B", "2")]
    assert data["shuffle"] is False


# --- variants and rendering ---------------------------------------------------------------------------------------


def test_equal_answers_share_one_choice_and_choice_ids_follow_the_shown_order() -> None:
    _, variant = started()
    assert sorted(variant["choice_text"].values()) == ["CO2", "Sand", "Water"]
    assert variant["choices"] == ["c1", "c2", "c3"]
    assert variant["prompts"] == ["p1", "p2", "p3"]
    orders = {tuple(TYPE.start(make(), random.Random(seed))["choice_text"].values()) for seed in range(12)}
    assert len(orders) > 1  # the answers are shuffled even when the prompts are not


def test_learner_html_before_grading_reveals_nothing() -> None:
    question, variant = started()
    html = render(question, variant, {"pairs": {"p1": choice_for(variant, "Water")}})
    lowered = html.lower()
    for secret in ("correct", "right", "wrong", "p1", "p2", "p3"):
        assert secret not in lowered, secret
    assert html.count("<select") == 3
    assert len(re.findall(r" selected>", html)) == 1
    assert 'aria-labelledby="q4-pair-1-prompt"' in html


def test_learner_html_with_review_marks_each_answered_prompt() -> None:
    question, variant = started()
    response = {"pairs": {"p1": choice_for(variant, "Water"), "p3": choice_for(variant, "Sand")}}
    html = render(question, variant, response, review=FULL_REVIEW)
    assert html.count("✓</span> Correct") == 1 and html.count("✗</span> Incorrect") == 1
    assert "The correct answer is: Wood fire → Water; Paper fire → Water; Electrical fire → CO2" in html


def test_form_post_reads_one_select_per_prompt() -> None:
    question, variant = started()
    water = choice_for(variant, "Water")
    raw = TYPE.response_from_form(question, variant, QueryDict(f"q4-pair-2={water}&q4-pair-3="), "q4-")
    assert TYPE.clean_response(question, variant, raw) == {"pairs": {"p2": water}}


@pytest.mark.parametrize(
    "raw",
    [
        {"pairs": {"p9": "c1"}},
        {"pairs": {"p1": "c9"}},
        {"pairs": {"p4": "c1"}},
        {"pairs": {"p1": ["c1"]}},
        {"pairs": ["p1", "c1"]},
        {"pairs": {f"x{n}": "c1" for n in range(200)}},
    ],
)
def test_hostile_responses_are_refused(raw: Any) -> None:
    question, variant = started()
    with pytest.raises(ValidationError) as exc:
        TYPE.clean_response(question, variant, raw)
    assert exc.value.message_dict["pairs"] in ([matching.PAIR_UNKNOWN], [matching.PAIRS_NOT_MAPPING])


def test_unanswered_prompts_are_left_out_and_nothing_is_no_answer() -> None:
    question, variant = started()
    assert TYPE.clean_response(question, variant, {"pairs": {"p1": "", "p2": None}}) == {}
    assert TYPE.clean_response(question, variant, {}) == {}


# --- grading ------------------------------------------------------------------------------------------------------


def test_grade_is_right_prompts_over_prompts_and_either_shared_answer_counts() -> None:
    question, variant = started()
    water, co2, sand = (choice_for(variant, t) for t in ("Water", "CO2", "Sand"))
    assert TYPE.grade(question, variant, {"pairs": {"p1": water, "p2": water, "p3": co2}}).fraction == 1
    two_of_three = TYPE.grade(question, variant, {"pairs": {"p1": water, "p2": water, "p3": sand}})
    assert (str(two_of_three.fraction), two_of_three.state) == ("0.6666667", "partial")
    wrong = TYPE.grade(question, variant, {"pairs": {"p1": sand}})
    assert (wrong.fraction, wrong.state) == (Decimal(0), "wrong")
    assert TYPE.grade(question, variant, {}).state == "gave_up"


def test_summary_and_search_text() -> None:
    question, variant = started()
    response = {"pairs": {"p3": choice_for(variant, "Sand")}}
    assert TYPE.summarise_response(question, variant, response) == "Electrical fire → Sand"
    assert TYPE.search_text(question).split("\n")[:2] == ["Wood fire", "Water"]
    assert choices.plain("<p>Wood fire</p>") == "Wood fire"
