"""Select missing words: [[n]] markers, groups, opaque option values, right gaps / gaps."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict

from syllabus.assessment.question_types.base import FULL_REVIEW, NO_REVIEW, Question, RenderContext, Review
from syllabus.assessment.question_types.gapselect import qtype as gapselect

TYPE = gapselect.GapSelect()
TEXT = "<p>A fire needs [[1]], [[2]] and oxygen; put it out with [[3]].</p>"
CHOICES = [
    {"text": "heat", "group": 1},
    {"text": "fuel", "group": 1},
    {"text": "a blanket", "group": 2},
    {"text": "water", "group": 1},
    {"text": "petrol", "group": 2},
]


def make(text: str = TEXT, rows: list[dict[str, Any]] | None = None) -> Question:
    data = TYPE.clean({"choices": rows or CHOICES, "shuffle": True}, text=text)
    return Question("gapselect", "Fire", text, "", Decimal(1), data)


def render(question: Question, variant: dict[str, Any], response: dict[str, Any], review: Review = NO_REVIEW) -> str:
    return str(
        TYPE.render(RenderContext(question, variant, response, prefix="q6-", label_id="q6-label", review=review))
    )


VARIANT = {"choices_by_group": {"1": [4, 2, 1], "2": [5, 3]}}


# --- clean --------------------------------------------------------------------------------------------------------


def test_split_text_finds_gaps_only_between_tags() -> None:
    html = '<p title="[[2]]">The [[1]] <a href="/x?a=1>2" title="[[3]]">sat</a> on [[4]]</p>'
    assert gapselect.gap_numbers(html) == [1, 4]
    assert gapselect.split_text("<p>[[1]]</p>") == ["<p>", 1, "</p>"]


def test_clean_normalises_choices_and_drops_spare_rows_at_the_end() -> None:
    data = TYPE.clean({"choices": [*CHOICES, {"text": " ", "group": "1"}, {"text": ""}]}, text=TEXT)
    assert data == {"choices": [{"text": c["text"], "group": c["group"]} for c in CHOICES], "shuffle": True}
    assert TYPE.clean({"choices": [{"text": "x", "group": "3"}]}, text="[[1]]")["choices"] == [
        {"text": "x", "group": 3}
    ]


@pytest.mark.parametrize(
    ("text", "rows", "field", "message"),
    [
        ("<p>No gaps here.</p>", CHOICES, "text", gapselect.NO_GAPS),
        ("<p>[[1]] and [[7]]</p>", CHOICES, "text", "The gap [[7]] names choice 7, which does not exist."),
        ("<p>[[0]]</p>", CHOICES, "text", "The gap [[0]] names choice 0, which does not exist."),
        ("<p>[[1]]</p>", [{"text": "a"}, {"text": ""}, {"text": "b"}], "choices", gapselect.CHOICE_BLANK.format(row=2)),
        ("<p>[[1]]</p>", [{"text": "a", "group": 21}], "choices", "Choice 1: the group is a number from 1 to 20."),
        ("<p>[[1]]</p>", [{"text": "a", "group": "²"}], "choices", "Choice 1: the group is a number from 1 to 20."),
        ("<p>[[1]]</p>", [{"text": "a", "group": True}], "choices", "Choice 1: the group is a number from 1 to 20."),
        ("<p>[[1]]</p>", [{"text": ["a"]}], "choices", "Choice 1: the text must be text."),
        ("<p>" + "[[1]]" * 101 + "</p>", CHOICES, "text", "Use at most 100 gaps."),
    ],
)
def test_clean_refuses_bad_gaps_and_choices_naming_the_field(
    text: str, rows: list[dict[str, Any]], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as exc:
        TYPE.clean({"choices": rows}, text=text)
    assert message in exc.value.message_dict[field]


def test_the_author_form_round_trips_and_offers_twenty_groups() -> None:
    question = make()
    html = str(TYPE.render_author(data=question.data, prefix="g-"))
    assert html.count('<fieldset class="qtype-author-row">') == 8  # five choices and three spare rows
    assert '<option value="20">20</option>' in html and "Unlimited" not in html
    post = QueryDict("g-choices-0-text=heat&g-choices-0-group=2&g-choices-1-text=&g-choices-1-group=1&g-shuffle=on")
    assert TYPE.clean(TYPE.data_from_form(post, prefix="g-"), text="[[1]]") == {
        "choices": [{"text": "heat", "group": 2}],
        "shuffle": True,
    }


# --- variants and rendering ---------------------------------------------------------------------------------------


def test_start_lists_each_group_shuffled_by_the_attempts_rng() -> None:
    question = make()
    variant = TYPE.start(question, random.Random(1))
    assert sorted(variant["choices_by_group"]["1"]) == [1, 2, 4] and sorted(variant["choices_by_group"]["2"]) == [3, 5]
    assert TYPE.start(question, random.Random(1), shuffle=False) == {"choices_by_group": {"1": [1, 2, 4], "2": [3, 5]}}


def test_learner_html_before_grading_reveals_nothing_and_offers_only_the_gaps_group() -> None:
    html = render(make(), VARIANT, {"gaps": {"1": 1}})
    lowered = html.lower()
    for secret in ("correct", "right", "wrong", "[["):
        assert secret not in lowered, secret
    first, second, third = html.split("<select")[1:]
    assert ">water<" in first and ">petrol<" not in first
    assert ">petrol<" in third and ">a blanket<" in third and ">heat<" not in third
    assert '<option value="3" selected>heat</option>' in first  # a position in the shown list, not choice 1
    assert 'aria-label="Gap 2 of 3"' in second
    assert html.startswith('<div class="qtype qtype-gaps" role="group" aria-labelledby="q6-label"')
    assert "A fire needs " in html and " and oxygen; put it out with " in html


def test_learner_html_with_review_marks_gaps_in_words_and_shows_the_right_answer() -> None:
    html = render(make(), VARIANT, {"gaps": {"1": 1, "3": 5}}, review=FULL_REVIEW)
    assert html.count("✓</span> Correct") == 1 and html.count("✗</span> Incorrect") == 1
    assert "The correct answer is: {heat} {fuel} {a blanket}" in html


def test_the_text_is_sanitised_when_drawn() -> None:
    question = make(text="<p>[[1]]</p>")
    hostile = Question(
        "gapselect", "x", "<p onclick='x()'>[[1]]<script>alert(1)</script></p>", "", Decimal(1), question.data
    )
    html = render(hostile, VARIANT, {})
    assert "onclick" not in html and "<script" not in html and "<select" in html


def test_form_positions_become_choice_numbers() -> None:
    question = make()
    raw = TYPE.response_from_form(question, VARIANT, QueryDict("q6-gap-1=3&q6-gap-2=&q6-gap-3=1"), "q6-")
    assert TYPE.clean_response(question, VARIANT, raw) == {"gaps": {"1": 1, "3": 5}}


@pytest.mark.parametrize(
    "raw",
    [
        {"gaps": {"1": 5}},
        {"gaps": {"4": 1}},
        {"gaps": {"1": 9}},
        {"gaps": {"x": 1}},
        {"gaps": {"1": True}},
        {"gaps": {"1": [1]}},
        {"gaps": [1, 2]},
        {"gaps": {str(n): 1 for n in range(1, 200)}},
        {"gaps": {"1": "²"}},
    ],
)
def test_hostile_responses_are_refused(raw: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        TYPE.clean_response(make(), VARIANT, raw)
    assert exc.value.message_dict["gaps"] in ([gapselect.GAP_UNKNOWN], [gapselect.GAPS_NOT_MAPPING])


def test_json_responses_may_give_choice_numbers_as_numbers_or_digits() -> None:
    assert TYPE.clean_response(make(), VARIANT, {"gaps": {"2": "2", "1": 4, "3": ""}}) == {"gaps": {"1": 4, "2": 2}}


# --- grading ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gaps", "fraction", "state"),
    [
        ({"1": 1, "2": 2, "3": 3}, "1", "right"),
        ({"1": 2, "2": 1, "3": 3}, "0.3333333", "partial"),
        ({"1": 1, "2": 2}, "0.6666667", "partial"),
        ({"1": 4, "2": 4, "3": 5}, "0", "wrong"),
    ],
)
def test_grade_is_right_gaps_over_gaps(gaps: dict[str, int], fraction: str, state: str) -> None:
    grade = TYPE.grade(make(), VARIANT, {"gaps": gaps})
    assert (str(grade.fraction), grade.state) == (fraction, state)


def test_a_choice_with_the_same_text_in_the_group_is_as_right() -> None:
    rows = [{"text": "the", "group": 1}, {"text": "cat", "group": 1}, {"text": "the", "group": 1}]
    question = make(text="<p>[[1]] [[2]] sat on [[1]] mat</p>", rows=rows)
    assert TYPE.grade(question, {}, {"gaps": {"1": 3, "2": 2, "3": 3}}).fraction == 1


def test_no_answer_is_gave_up_and_summaries_read_like_moodles() -> None:
    question = make()
    assert TYPE.grade(question, VARIANT, {}).state == "gave_up"
    assert TYPE.summarise_response(question, VARIANT, {"gaps": {"1": 4, "3": 3}}) == "{water} {} {a blanket}"
    assert TYPE.right_answer(question, VARIANT) == "{heat} {fuel} {a blanket}"
    assert TYPE.search_text(question).splitlines() == ["heat", "fuel", "a blanket", "water", "petrol"]
    assert TYPE.renders_text is True
