"""Multiple choice (one answer), and the option-list helpers of question_types/choices.py it is built on."""

from __future__ import annotations

import random
import re
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict

from syllabus.assessment.question_types import base, choices
from syllabus.assessment.question_types.base import FULL_REVIEW, NO_REVIEW, Question, RenderContext, Review
from syllabus.assessment.question_types.single import qtype as single

TYPE = single.SingleChoice()

OPTIONS = [
    {"id": "a1", "text": "<p>Paris</p>", "fraction": "1", "feedback": "<p>Well done, Paris it is.</p>"},
    {"id": "a2", "text": "Lyon", "fraction": "0.5", "feedback": "<p>Half way there.</p>"},
    {"id": "a3", "text": "Berlin", "fraction": "-0.25", "feedback": "<p>That is in Germany.</p>"},
]


def make(data: dict[str, Any] | None = None) -> Question:
    data = data if data is not None else {"options": OPTIONS, "shuffle": False, "numbering": "abc"}
    return Question("single", "Capital", "<p>Capital of France?</p>", "", Decimal(1), TYPE.clean(data))


def render(question: Question, response: dict[str, Any], review: Review = NO_REVIEW, readonly: bool = False) -> str:
    variant = {"order": ["a3", "a1", "a2"]}
    ctx = RenderContext(
        question, variant, response, prefix="q1-", label_id="q1-label", readonly=readonly, review=review
    )
    return str(TYPE.render(ctx))


def messages(exc: pytest.ExceptionInfo[ValidationError], field: str) -> list[str]:
    return exc.value.message_dict[field]


# --- choices.py ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", "1"),
        ("0.50", "0.5"),
        (Decimal("-1"), "-1"),
        (0.1, "0.1"),
        ("0.83333333", "0.8333333"),
        ("", "0"),
        (None, "0"),
        ("-0", "0"),
        ("1e-1", "0.1"),
        (" 0.25 ", "0.25"),
    ],
)
def test_clean_fraction_normalises_to_a_decimal_string(raw: Any, expected: str) -> None:
    assert choices.clean_fraction(raw, "options") == expected


@pytest.mark.parametrize("raw", ["1.5", "-1.0000001", "abc", "NaN", "Infinity", True, [], {}, "1" * 50])
def test_clean_fraction_refuses_anything_outside_minus_one_to_one(raw: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        choices.clean_fraction(raw, "answers")
    assert messages(exc, "answers") == [choices.FRACTION_INVALID]


def test_clean_fraction_names_the_row_when_told() -> None:
    with pytest.raises(ValidationError) as exc:
        choices.clean_fraction("2", "answers", row="Answer 2")
    assert messages(exc, "answers") == ["Answer 2: the grade must be a number from -1 to 1 (0.5 is 50%)."]


def test_fraction_choices_are_moodles_grades_and_their_negatives() -> None:
    values = [value for value, _ in choices.FRACTION_CHOICES]
    assert values[:3] == ["1", "0.9", "0.8333333"]
    assert "0" in values and "-1" in values and "-0.1428571" in values
    assert len(values) == 41 and len(set(values)) == 41
    assert dict(choices.FRACTION_CHOICES)["0.1666667"] == "16.66667%"
    assert all(choices.clean_fraction(value, "f") == value for value in values)


def test_assign_ids_keeps_valid_ids_and_replaces_missing_malformed_and_repeated_ones() -> None:
    rows = choices.assign_ids([{"id": "a1"}, {}, {"id": "a1"}, {"id": "no spaces"}, {"id": 7}, {"id": "x" * 30}], "a")
    ids = [row["id"] for row in rows]
    assert ids[0] == "a1"
    assert len(set(ids)) == 6
    assert all(re.fullmatch(r"a[a-z0-9]{5}", i) for i in ids[1:])


def test_assign_ids_does_not_change_the_rows_it_was_given() -> None:
    given = [{"text": "x"}]
    choices.assign_ids(given, "a")
    assert given == [{"text": "x"}]


# --- clean --------------------------------------------------------------------------------------------------------


def test_clean_keeps_ids_sanitises_html_and_drops_blank_rows() -> None:
    data = TYPE.clean(
        {
            "options": [
                {"id": "a1", "text": "<p onclick='x()'>Paris<script>alert(1)</script></p>", "fraction": "1"},
                {"text": "Lyon", "fraction": "0", "feedback": "<b>No</b>"},
                {"text": "", "fraction": "0", "feedback": ""},
            ]
        }
    )
    assert data["options"][0] == {"id": "a1", "text": "<p>Paris</p>", "fraction": "1", "feedback": ""}
    assert data["options"][1]["feedback"] == "<b>No</b>"
    assert len(data["options"]) == 2
    assert data["shuffle"] is True and data["numbering"] == "abc"


def test_clean_wants_two_options() -> None:
    with pytest.raises(ValidationError) as exc:
        TYPE.clean({"options": [{"text": "Only", "fraction": "1"}]})
    assert messages(exc, "options") == [choices.TOO_FEW_OPTIONS]


def test_clean_wants_an_option_worth_full_marks() -> None:
    with pytest.raises(ValidationError) as exc:
        TYPE.clean({"options": [{"text": "A", "fraction": "0.5"}, {"text": "B", "fraction": "0.5"}]})
    assert messages(exc, "options") == [single.NO_FULL_MARKS]


def test_clean_names_the_row_of_each_problem() -> None:
    with pytest.raises(ValidationError) as exc:
        TYPE.clean(
            {
                "options": [
                    {"text": "A", "fraction": "1"},
                    {"text": "", "fraction": "0.5"},
                    {"text": "C", "fraction": "7"},
                    "not a row",
                ]
            }
        )
    assert messages(exc, "options") == [
        "Option 2: write its text (or clear the whole row).",
        "Option 3: the grade must be a number from -1 to 1 (0.5 is 50%).",
        "Option 4: each row must be an object with its fields.",
    ]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"options": "A, B"}, "options", "Give the options as a list."),
        ({"options": [{"text": "A", "fraction": "1"}] * 101}, "options", "Give at most 50 options."),
        ({"options": OPTIONS, "shuffle": "yes"}, "shuffle", "Choose yes or no for “Shuffle the options”."),
        ({"options": OPTIONS, "numbering": "roman"}, "numbering", choices.NUMBERING_INVALID),
        ({"options": [{"text": ["A"], "fraction": "1"}, OPTIONS[1]]}, "options", "Option 1: the text must be text."),
        (
            {"options": [{"text": "A" * 20_001, "fraction": "1"}, OPTIONS[1]]},
            "options",
            "Option 1: the text is too long (at most 20,000 characters).",
        ),
    ],
)
def test_clean_refuses_hostile_data_with_a_message_naming_the_field(data: Any, field: str, message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        TYPE.clean(data)
    assert message in messages(exc, field)


def test_clean_refuses_data_that_is_not_an_object() -> None:
    with pytest.raises(ValidationError) as exc:
        TYPE.clean(["options"])  # type: ignore[arg-type]
    assert messages(exc, "data") == [choices.DATA_NOT_OBJECT]


def test_clean_is_idempotent() -> None:
    once = TYPE.clean({"options": [{"text": "A", "fraction": "1"}, {"text": "B", "fraction": "0"}]})
    assert TYPE.clean(once) == once


# --- author form --------------------------------------------------------------------------------------------------


def test_a_new_question_form_has_five_blank_rows_with_a_grade_select() -> None:
    html = str(TYPE.render_author(data=TYPE.default_data(), prefix="new-"))
    assert html.count('<fieldset class="qtype-author-row">') == 5
    assert 'name="new-options-4-text"' in html
    assert '<option value="0" selected>0%</option>' in html
    assert '<option value="-0.3333333">-33.33333%</option>' in html


def test_the_author_form_round_trips_through_data_from_form() -> None:
    question = make()
    html = str(TYPE.render_author(data=question.data, prefix="x-"))
    post = QueryDict(mutable=True)
    for name, value in re.findall(r'name="(x-[^"]+)" value="([^"]*)"', html):
        post[name] = value
    for name, value in re.findall(r'name="(x-[^"]+)"[^>]*>([^<]*)</textarea>', html):
        post[name] = value.replace("&lt;", "<").replace("&gt;", ">")
    for name, block in re.findall(r'<select name="(x-[^"]+)"[^>]*>(.*?)</select>', html):
        post[name] = re.search(r'<option value="([^"]*)" selected', block).group(1)  # type: ignore[union-attr]
    assert TYPE.clean(TYPE.data_from_form(post, prefix="x-")) == {**question.data, "shuffle": False}


def test_the_author_form_keeps_a_fraction_outside_moodles_list() -> None:
    html = str(TYPE.render_author(data={"options": [{"text": "A", "fraction": "0.45"}]}))
    assert '<option value="0.45" selected>45%</option>' in html


def test_the_author_form_shows_errors_beside_the_options() -> None:
    html = str(TYPE.render_author(data={}, errors={"options": [choices.TOO_FEW_OPTIONS]}, prefix="p-"))
    assert 'aria-describedby="p-options_error"' in html
    assert '<ul class="errorlist" id="p-options_error"><li>Give at least two options.</li></ul>' in html


# --- learners -----------------------------------------------------------------------------------------------------


def test_start_shuffles_with_the_attempts_rng_only_when_both_quiz_and_question_say_so() -> None:
    question = make({"options": OPTIONS * 1, "shuffle": True})
    orders = {tuple(TYPE.start(question, random.Random(seed))["order"]) for seed in range(20)}
    assert len(orders) > 1
    assert TYPE.start(question, random.Random(3)) == TYPE.start(question, random.Random(3))
    assert TYPE.start(question, random.Random(3), shuffle=False) == {"order": ["a1", "a2", "a3"]}
    assert TYPE.start(make(), random.Random(3)) == {"order": ["a1", "a2", "a3"]}


def test_learner_html_before_grading_reveals_nothing_about_the_right_answer() -> None:
    html = render(make(), {"choice": "a3"})
    lowered = html.lower()
    for secret in ("0.5", "-0.25", "100%", "50%", "well done", "half way", "germany", "correct", "right", "wrong"):
        assert secret not in lowered, secret
    for option_id in ("a1", "a2", "a3"):
        assert option_id not in html  # values are positions in the shown order, not ids
    assert 'name="q1-choice"' in html and 'aria-labelledby="q1-label"' in html
    assert re.search(r'value="1" checked', html)  # Berlin (a3) is shown first and is the learner's choice


def test_learner_html_with_review_marks_the_choice_in_words_and_shows_feedback_and_right_answer() -> None:
    html = render(make(), {"choice": "a2"}, review=FULL_REVIEW, readonly=True)
    assert "Partially correct" in html
    assert "Half way there." in html
    assert "The correct answer is: Paris" in html
    assert "disabled" in html
    assert "Clear my choice" not in html


def test_review_shows_only_what_the_options_allow() -> None:
    html = render(make(), {"choice": "a3"}, review=Review(correctness=True))
    assert "Incorrect" in html
    assert "Germany" not in html and "The correct answer" not in html


def test_form_post_carries_the_position_and_becomes_the_option_id() -> None:
    question, variant = make(), {"order": ["a3", "a1", "a2"]}
    raw = TYPE.response_from_form(question, variant, QueryDict("q1-choice=2"), "q1-")
    assert TYPE.clean_response(question, variant, raw) == {"choice": "a1"}
    assert TYPE.response_from_form(question, variant, QueryDict("q1-choice="), "q1-") == {}


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        ({"choice": "zz"}, "choice", single.CHOICE_UNKNOWN),
        ({"choice": ["a1"]}, "choice", single.CHOICE_UNKNOWN),
        ({"choice": {"id": "a1"}}, "choice", single.CHOICE_UNKNOWN),
        ({"choice": "a1", "extra": 1}, "response", choices.UNEXPECTED_FIELDS),
        (["a1"], "response", base.NOT_AN_OBJECT),
        ({"choice": "a" * 100_000}, "choice", single.CHOICE_UNKNOWN),
    ],
)
def test_hostile_responses_are_refused_naming_the_field(raw: Any, field: str, message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        TYPE.clean_response(make(), {"order": ["a1", "a2", "a3"]}, raw)
    assert messages(exc, field) == [message]


def test_an_empty_choice_is_no_answer() -> None:
    assert TYPE.clean_response(make(), {}, {"choice": ""}) == {}
    assert TYPE.clean_response(make(), {}, None) == {}


# --- grading ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("choice", "fraction", "state"),
    [("a1", Decimal(1), "right"), ("a2", Decimal("0.5"), "partial"), ("a3", Decimal(0), "wrong")],
)
def test_grade_is_the_chosen_options_fraction_floored_at_zero(choice: str, fraction: Decimal, state: str) -> None:
    grade = TYPE.grade(make(), {}, {"choice": choice})
    assert (grade.fraction, grade.state) == (fraction, state)
    assert str(grade.fraction) == str(fraction)


def test_grade_gives_the_chosen_options_feedback() -> None:
    assert TYPE.grade(make(), {}, {"choice": "a2"}).feedback == ("<p>Half way there.</p>",)


def test_no_answer_is_gave_up() -> None:
    grade = TYPE.grade(make(), {}, {})
    assert (grade.fraction, grade.state, grade.feedback) == (Decimal(0), "gave_up", ())


def test_right_answer_summary_and_search_text_are_plain_text() -> None:
    question = make()
    assert TYPE.right_answer(question, {}) == "Paris"
    assert TYPE.summarise_response(question, {}, {"choice": "a3"}) == "Berlin"
    assert TYPE.search_text(question).splitlines()[:2] == ["Paris", "Well done, Paris it is."]


def test_the_type_is_registered() -> None:
    assert isinstance(base.get("single"), single.SingleChoice)


# --- regressions ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fraction", ["1e999999999", "-1e999999999", 1e308, "9" * 39])
def test_a_fraction_far_out_of_range_is_refused_with_the_message_not_a_decimal_error(fraction: Any) -> None:
    # Quantizing 1e999999999 to 7 places raised InvalidOperation: a 500 from the API and the importers.
    with pytest.raises(ValidationError) as caught:
        TYPE.clean({"options": [{"text": "a", "fraction": fraction}, {"text": "b", "fraction": "1"}]})
    assert messages(caught, "options") == [choices.ROW_FRACTION_INVALID.format(row="Option 1")]
    assert choices.clean_fraction("1.00000004", "f") == "1"
