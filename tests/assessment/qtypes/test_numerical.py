"""Numerical: number parsing, tolerance (exact, in Decimal), units with multipliers, and the learner's HTML."""

from __future__ import annotations

from decimal import Decimal, localcontext
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict
from hypothesis import assume, given
from hypothesis import strategies as st

from syllabus.assessment.question_types import base
from syllabus.assessment.question_types import matching_text as mt
from syllabus.assessment.question_types.numerical import qtype as numerical

QTYPE = base.get("numerical")

LENGTH = {
    "answers": [
        {"id": "a1", "value": "2.5", "tolerance": "0.05", "fraction": "1", "feedback": "<p>Right.</p>"},
        {"id": "a2", "value": "25", "tolerance": "0", "fraction": "0.5", "feedback": "<p>Off by ten.</p>"},
        {"id": "a3", "value": "*", "tolerance": "0", "fraction": "0", "feedback": "<p>Measure again.</p>"},
    ],
    "units": [
        {"unit": "m", "multiplier": "1"},
        {"unit": "cm", "multiplier": "100"},
        {"unit": "km", "multiplier": "0.001"},
    ],
    "unit_handling": "required",
    "unit_penalty": "0.2",
}


def question(data: dict[str, Any] | None = None, **changes: Any) -> base.Question:
    cleaned = QTYPE.clean({**(data or LENGTH), **changes})
    return base.Question("numerical", "Length", "<p>How long is the rod?</p>", "", Decimal(1), cleaned)


def plain(value: str, tolerance: str = "0") -> base.Question:
    return question({"answers": [{"value": value, "tolerance": tolerance, "fraction": "1"}]})


def grade(q: base.Question, value: Any, unit: str = "") -> base.Grade:
    return QTYPE.grade(q, {}, QTYPE.clean_response(q, {}, {"value": value, "unit": unit}))


def refused(q: base.Question, raw: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        QTYPE.clean_response(q, {}, raw)
    return caught.value.message_dict


def errors_of(data: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        QTYPE.clean(data)
    return caught.value.message_dict


# --- clean --------------------------------------------------------------------------------------------------------
def test_clean_normalises_numbers_as_decimal_strings() -> None:
    cleaned = QTYPE.clean(
        {"answers": [{"value": "2.50", "tolerance": 0.05, "fraction": "1.0"}, {"value": " * ", "fraction": 0}]}
    )
    assert cleaned == {
        "answers": [
            {"id": "a1", "value": "2.5", "tolerance": "0.05", "fraction": "1", "feedback": ""},
            {"id": "a2", "value": "*", "tolerance": "0", "fraction": "0", "feedback": ""},
        ],
        "units": [],
        "unit_handling": "none",
        "unit_penalty": "0.1",
    }
    assert QTYPE.clean(cleaned) == cleaned


def test_clean_keeps_big_and_small_numbers_exact() -> None:
    cleaned = QTYPE.clean({"answers": [{"value": "6.02214076e23", "tolerance": "1e-9", "fraction": "1"}]})
    assert cleaned["answers"][0]["value"] == "602214076000000000000000"
    assert cleaned["answers"][0]["tolerance"] == "0.000000001"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"answers": [{"value": "two", "fraction": "1"}]}, "answers", numerical.ANSWER_VALUE.format(row=1)),
        ({"answers": [{"value": "1e999", "fraction": "1"}]}, "answers", numerical.ANSWER_VALUE.format(row=1)),
        ({"answers": [{"value": "Infinity", "fraction": "1"}]}, "answers", numerical.ANSWER_VALUE.format(row=1)),
        ({"answers": [{"value": None, "fraction": "1"}]}, "answers", numerical.ANSWER_VALUE.format(row=1)),
        (
            {"answers": [{"value": "1", "tolerance": "-1", "fraction": "1"}]},
            "answers",
            numerical.ANSWER_TOLERANCE.format(row=1),
        ),
        ({"answers": [{"value": "1", "fraction": "0.9"}]}, "answers", mt.ANSWER_FULL_MARKS),
        (
            {"answers": [{"value": "1", "fraction": "1"}], "unit_handling": "always"},
            "unit_handling",
            mt.UNIT_HANDLING_CHOICE,
        ),
        ({"answers": [{"value": "1", "fraction": "1"}], "unit_handling": "required"}, "units", mt.UNITS_NEEDED),
        ({"answers": [{"value": "1", "fraction": "1"}], "unit_penalty": "2"}, "unit_penalty", mt.UNIT_PENALTY_RANGE),
        (
            {"answers": [{"value": "1", "fraction": "1"}], "units": [{"unit": "cm", "multiplier": "100"}]},
            "units",
            mt.UNIT_FIRST_MULTIPLIER,
        ),
        (
            {"answers": [{"value": "1", "fraction": "1"}], "units": [{"unit": "m"}, {"unit": "cm", "multiplier": "0"}]},
            "units",
            mt.UNIT_MULTIPLIER.format(row=2),
        ),
        (
            {"answers": [{"value": "1", "fraction": "1"}], "units": [{"unit": "m"}, {"unit": "m", "multiplier": "1"}]},
            "units",
            mt.UNIT_DUPLICATE.format(row=2, unit="m"),
        ),
        (
            {"answers": [{"value": "1", "fraction": "1"}], "units": [{"unit": "2m"}]},
            "units",
            mt.UNIT_STARTS_WITH_NUMBER.format(row=1),
        ),
        (
            {"answers": [{"value": "1", "fraction": "1"}], "units": [{"unit": ""}]},
            "units",
            mt.UNIT_REQUIRED.format(row=1),
        ),
        (
            {"answers": [{"value": "1", "fraction": "1"}], "units": [{"unit": "u" * 31}]},
            "units",
            mt.UNIT_TOO_LONG.format(row=1, limit=30),
        ),
        ({"answers": [{"value": "1", "fraction": "1"}], "units": "m"}, "units", mt.UNITS_NOT_A_LIST),
        ({"answers": [{"value": "1", "fraction": "1"}], "units": ["m"]}, "units", mt.UNIT_NOT_AN_OBJECT.format(row=1)),
    ],
)
def test_clean_names_the_field_and_row_of_each_problem(data: Any, field: str, message: str) -> None:
    assert message in errors_of(data)[field]


# --- reading numbers ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "number", "unit"),
    [
        ("2.5", "2.5", ""),
        ("  -2.5  ", "-2.5", ""),
        ("\u22122.5", "-2.5", ""),
        ("+3", "3", ""),
        (".5", "0.5", ""),
        ("5.", "5.0", ""),
        ("1.5e3", "1.5e3", ""),
        ("1.5E-3", "1.5e-3", ""),
        ("1,5", "1.5", ""),
        ("1,25", "1.25", ""),
        ("250 cm", "250", "cm"),
        ("250cm", "250", "cm"),
        ("2e3m", "2e3", "m"),
        ("3 em", "3", "em"),
        ("9.81 m/s²", "9.81", "m/s²"),
    ],
)
def test_numbers_are_read_with_an_optional_exponent_and_unit(typed: str, number: str, unit: str) -> None:
    assert mt.split_number(typed) == (number, unit)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1,500", mt.THOUSANDS_SEPARATOR),
        ("12,500.5", mt.THOUSANDS_SEPARATOR),
        ("1 500", mt.THOUSANDS_SEPARATOR),
        ("1.000.000", mt.THOUSANDS_SEPARATOR),
        (",5", mt.THOUSANDS_SEPARATOR),
        ("abc", mt.NOT_A_NUMBER),
        ("", mt.NOT_A_NUMBER),
        ("-", mt.NOT_A_NUMBER),
        ("e5", mt.NOT_A_NUMBER),
        ("5 -3", mt.NOT_A_NUMBER),
        ("1e999", mt.NUMBER_OUT_OF_RANGE),
        ("1e-999", mt.NUMBER_OUT_OF_RANGE),
        ("1e99999999999999999999", mt.NUMBER_OUT_OF_RANGE),
    ],
)
def test_ambiguous_or_broken_numbers_are_refused(typed: str, message: str) -> None:
    with pytest.raises(mt.NumberError) as caught:
        mt.split_number(typed)
    assert caught.value.message == message


# --- grading ------------------------------------------------------------------------------------------------------
def test_units_convert_the_response_to_the_first_unit() -> None:
    q = question()
    right = base.Grade(Decimal(1), "right", ("<p>Right.</p>",))
    assert grade(q, "2.5", "m") == right
    assert grade(q, "250 cm") == right
    assert grade(q, "250", "cm") == right
    assert grade(q, "0.0025 km") == right
    assert grade(q, "2.55 m") == right  # on the edge of the tolerance
    assert grade(q, "2.5501 m") == base.Grade(Decimal(0), "wrong", ("<p>Measure again.</p>",))


def test_a_missing_or_unknown_required_unit_costs_the_penalty() -> None:
    q = question()
    assert grade(q, "2.5").fraction == Decimal("0.8")
    assert grade(q, "2.5 furlongs").fraction == Decimal("0.8")
    assert grade(q, "25").fraction == Decimal("0.3")  # the second answer, less the penalty
    assert grade(q, "25 m").fraction == Decimal("0.5")
    assert grade(q, "250", "furlongs").fraction == Decimal(0)  # "*" matches, 0 less the penalty stays 0


def test_optional_units_convert_without_a_penalty_and_refuse_unknown_ones() -> None:
    q = question(unit_handling="optional")
    assert grade(q, "2.5").fraction == 1
    assert grade(q, "250 cm").fraction == 1
    assert refused(q, {"value": "2.5 furlongs"}) == {"value": [mt.UNKNOWN_UNIT.format(unit="furlongs")]}


def test_without_units_a_unit_is_refused() -> None:
    q = question(unit_handling="none")
    assert grade(q, "2.5").fraction == 1
    assert refused(q, {"value": "2.5 m"}) == {"value": [mt.NUMBER_ONLY]}


def test_the_first_matching_answer_grades_and_star_catches_the_rest() -> None:
    q = question(
        {
            "answers": [
                {"value": "10", "tolerance": "5", "fraction": "0.5", "feedback": "Near"},
                {"value": "10", "tolerance": "0", "fraction": "1", "feedback": "Exact"},
                {"value": "*", "fraction": "0", "feedback": "Far"},
            ]
        }
    )
    assert grade(q, "10") == base.Grade(Decimal("0.5"), "partial", ("Near",))
    assert grade(q, "100") == base.Grade(Decimal(0), "wrong", ("Far",))


def test_exponents_and_decimal_commas_grade_like_the_number_they_are() -> None:
    q = plain("1500")
    assert grade(q, "1.5e3").fraction == 1
    assert grade(plain("1.5"), "1,5").fraction == 1


@given(
    value=st.decimals(min_value=-(10**9), max_value=10**9, places=6, allow_nan=False, allow_infinity=False),
    tolerance=st.decimals(min_value=0, max_value=10**6, places=6, allow_nan=False, allow_infinity=False),
    share=st.fractions(min_value=-1, max_value=1, max_denominator=1000),
)
def test_a_response_within_the_tolerance_is_right(value: Decimal, tolerance: Decimal, share: Any) -> None:
    with localcontext() as context:
        context.prec = 80
        response = value + tolerance * Decimal(share.numerator) / Decimal(share.denominator)
        response = response.quantize(Decimal("1e-12"))
        assume(abs(response - value) <= tolerance)
    q = plain(str(value), str(tolerance))
    assert grade(q, str(response)).fraction == 1


@given(
    value=st.decimals(min_value=-(10**9), max_value=10**9, places=6, allow_nan=False, allow_infinity=False),
    tolerance=st.decimals(min_value=0, max_value=10**6, places=6, allow_nan=False, allow_infinity=False),
    beyond=st.decimals(min_value="0.000000000001", max_value=10**6, places=12, allow_nan=False, allow_infinity=False),
    below=st.booleans(),
)
def test_a_response_outside_the_tolerance_is_wrong(
    value: Decimal, tolerance: Decimal, beyond: Decimal, below: bool
) -> None:
    with localcontext() as context:
        context.prec = 80
        response = value - tolerance - beyond if below else value + tolerance + beyond
    q = plain(str(value), str(tolerance))
    assert grade(q, str(response)).fraction == 0


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"value": "two"}, mt.NOT_A_NUMBER),
        ({"value": "1,500"}, mt.THOUSANDS_SEPARATOR),
        ({"value": ["2.5"]}, mt.RESPONSE_NOT_TEXT),
        ({"value": "2.5", "unit": 5}, mt.RESPONSE_NOT_TEXT),
        ({"value": "9" * 2000}, mt.RESPONSE_TOO_LONG.format(limit=100)),
        ({"value": "9" * 101}, mt.RESPONSE_TOO_LONG.format(limit=100)),
        ({"value": "2.5 " + "m" * 31}, mt.UNIT_RESPONSE_TOO_LONG.format(limit=30)),
        ({"value": "2.5 cm", "unit": "m"}, mt.NOT_A_NUMBER),
        ({"value": "", "unit": "m"}, mt.NOT_A_NUMBER),
    ],
)
def test_hostile_responses_are_refused_on_the_value_field(raw: Any, message: str) -> None:
    assert refused(question(), raw) == {"value": [message]}


def test_an_empty_response_is_no_answer_and_json_numbers_are_read() -> None:
    q = question(unit_handling="optional")
    assert QTYPE.clean_response(q, {}, {"value": "  "}) == {}
    assert QTYPE.clean_response(q, {}, {}) == {}
    assert QTYPE.clean_response(q, {}, {"value": 2.5}) == {"value": "2.5", "unit": ""}
    assert QTYPE.grade(q, {}, {}) == base.Grade(Decimal(0), "gave_up")


def test_right_answer_and_summary_carry_the_unit() -> None:
    q = question()
    assert QTYPE.right_answer(q, {}) == "2.5 m"
    assert QTYPE.summarise_response(q, {}, {"value": "250", "unit": "cm"}) == "250 cm"
    assert QTYPE.right_answer(question(unit_handling="none"), {}) == "2.5"


# --- the learner's view -------------------------------------------------------------------------------------------
def render(q: base.Question, response: dict[str, Any], review: base.Review = base.NO_REVIEW) -> str:
    graded = QTYPE.grade(q, {}, response) if review != base.NO_REVIEW else None
    ctx = base.RenderContext(
        question=q, variant={}, response=response, prefix="q2-", label_id="q2-label", review=review, grade=graded
    )
    return str(QTYPE.render(ctx))


def test_before_grading_the_html_reveals_no_answer_unit_or_feedback() -> None:
    html = render(question(), {"value": "7", "unit": "cm"})
    assert 'name="q2-value"' in html and 'value="7 cm"' in html
    assert "Give the unit after the number." in html
    for secret in ("2.5", "Right.", "Measure", "correct", "Correct", "0.05", "km", "multiplier"):
        assert secret not in html


def test_after_grading_the_review_shows_outcome_feedback_and_answer() -> None:
    html = render(question(), {"value": "25", "unit": "m"}, base.FULL_REVIEW)
    assert "Partially correct" in html and "Off by ten." in html and "The correct answer is: 2.5 m" in html


def test_the_form_post_becomes_the_response() -> None:
    q = question()
    raw = QTYPE.response_from_form(q, {}, QueryDict("q2-value=250+cm"), "q2-")
    assert QTYPE.clean_response(q, {}, raw) == {"value": "250", "unit": "cm"}


def test_the_author_form_round_trips_through_data_from_form() -> None:
    cleaned = QTYPE.clean(LENGTH)
    html = str(QTYPE.render_author(data=cleaned, prefix="f-"))
    assert 'value="cm"' in html and 'name="f-unit-4-unit"' in html and 'value="required" selected' in html
    post = QueryDict(mutable=True)
    post.update(
        {
            "f-answer-1-id": "a1",
            "f-answer-1-value": "2.5",
            "f-answer-1-tolerance": "0.05",
            "f-answer-1-fraction": "1",
            "f-answer-2-value": "",
            "f-answer-2-tolerance": "0",
            "f-answer-2-fraction": "0",
            "f-unit-1-unit": "m",
            "f-unit-1-multiplier": "1",
            "f-unit-2-unit": "mm",
            "f-unit-2-multiplier": "1000",
            "f-unit-3-unit": "",
            "f-unit-3-multiplier": "",
            "f-unit_handling": "optional",
            "f-unit_penalty": "0.1",
        }
    )
    assert QTYPE.clean(QTYPE.data_from_form(post, prefix="f-")) == {
        "answers": [{"id": "a1", "value": "2.5", "tolerance": "0.05", "fraction": "1", "feedback": ""}],
        "units": [{"unit": "m", "multiplier": "1"}, {"unit": "mm", "multiplier": "1000"}],
        "unit_handling": "optional",
        "unit_penalty": "0.1",
    }


# --- regressions ------------------------------------------------------------------------------------------------


def test_a_nul_in_the_value_or_the_unit_is_dropped_before_it_is_stored() -> None:
    # With units required an unknown unit is kept (to cost the penalty): PostgreSQL's jsonb refuses "\u0000" in it.
    q = question()
    assert QTYPE.clean_response(q, {}, {"value": "2.5", "unit": "\x00c\x00m"}) == {"value": "2.5", "unit": "cm"}
    assert QTYPE.clean_response(q, {}, {"value": "2\x00.5 m\x00"}) == {"value": "2.5", "unit": "m"}
