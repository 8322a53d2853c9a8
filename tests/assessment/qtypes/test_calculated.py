"""Calculated: drawing values, tolerance types, cleaning formulas and variables, and the learner's HTML."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict
from hypothesis import given
from hypothesis import strategies as st

from syllabus.assessment import formulas
from syllabus.assessment.question_types import base
from syllabus.assessment.question_types import matching_text as mt
from syllabus.assessment.question_types.calculated import qtype as calculated

QTYPE = base.get("calculated")
TEXT = "<p>A rectangle is {a} m by {b} m. What is its area?</p>"

AREA = {
    "answers": [
        {
            "id": "a1",
            "formula": "{a} * {b}",
            "fraction": "1",
            "tolerance": "0.01",
            "tolerance_type": "relative",
            "decimals": 2,
            "feedback": "<p>Length times width.</p>",
        },
        {
            "id": "a2",
            "formula": "2 * ({a} + {b})",
            "fraction": "0",
            "tolerance": "0.01",
            "tolerance_type": "relative",
            "decimals": 2,
            "feedback": "<p>That is the perimeter.</p>",
        },
    ],
    "variables": [
        {"name": "a", "min": "1", "max": "10", "decimals": 1},
        {"name": "b", "min": "2", "max": "5", "decimals": 2},
    ],
    "units": [{"unit": "m²", "multiplier": "1"}],
    "unit_handling": "optional",
    "unit_penalty": "0.1",
}


def question(data: dict[str, Any] | None = None, text: str = TEXT, **changes: Any) -> base.Question:
    cleaned = QTYPE.clean({**(data or AREA), **changes}, text=text)
    return base.Question("calculated", "Area", text, "", Decimal(1), cleaned)


def answer(formula: str, tolerance: str = "0.01", kind: str = "relative", **extra: Any) -> dict[str, Any]:
    return {"formula": formula, "fraction": "1", "tolerance": tolerance, "tolerance_type": kind, **extra}


def one_variable(*answers: dict[str, Any], low: str = "1", high: str = "9", decimals: int = 0) -> dict[str, Any]:
    return {"answers": list(answers), "variables": [{"name": "x", "min": low, "max": high, "decimals": decimals}]}


def grade(q: base.Question, values: dict[str, str], value: str) -> base.Grade:
    variant = {"values": values}
    return QTYPE.grade(q, variant, QTYPE.clean_response(q, variant, {"value": value}))


def errors_of(data: Any, text: str = TEXT) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        QTYPE.clean(data, text=text)
    return caught.value.message_dict


# --- drawing values -----------------------------------------------------------------------------------------------
def test_start_draws_each_value_in_its_range_with_its_decimals() -> None:
    q = question()
    for seed in range(200):
        values = QTYPE.start(q, random.Random(seed))["values"]
        a, b = Decimal(values["a"]), Decimal(values["b"])
        assert 1 <= a <= 10 and 2 <= b <= 5
        assert len(values["a"].split(".")[1]) == 1 and len(values["b"].split(".")[1]) == 2


def test_start_is_deterministic_for_a_seed_and_reaches_every_value() -> None:
    q = question(one_variable(answer("{x}"), low="1", high="4"))
    assert QTYPE.start(q, random.Random(7)) == QTYPE.start(q, random.Random(7))
    drawn = {QTYPE.start(q, random.Random(seed))["values"]["x"] for seed in range(200)}
    assert drawn == {"1", "2", "3", "4"}


def test_start_rounds_the_range_ends_inward() -> None:
    q = question(one_variable(answer("{x}"), low="0.15", high="0.25", decimals=1))
    drawn = {QTYPE.start(q, random.Random(seed))["values"]["x"] for seed in range(100)}
    assert drawn == {"0.2"}


# --- grading ------------------------------------------------------------------------------------------------------
def test_the_answer_is_computed_with_the_variant_values() -> None:
    q = question()
    values = {"a": "3.0", "b": "2.50"}
    assert grade(q, values, "7.5") == base.Grade(Decimal(1), "right", ("<p>Length times width.</p>",))
    assert grade(q, values, "7.5 m²").fraction == 1
    assert grade(q, values, "11") == base.Grade(Decimal(0), "wrong", ("<p>That is the perimeter.</p>",))
    assert grade(q, values, "8") == base.Grade(Decimal(0), "wrong", ())


@pytest.mark.parametrize(
    ("kind", "tolerance", "inside", "outside"),
    [
        ("relative", "0.1", ["90", "110", "100"], ["89.99", "110.01"]),
        ("nominal", "0.5", ["99.5", "100.5"], ["99.49", "100.51"]),
        ("geometric", "0.25", ["80", "125", "100"], ["79.99", "125.01"]),
        ("relative", "0", ["100"], ["100.0000001", "99.9999999"]),
    ],
)
def test_tolerance_types_follow_moodle(kind: str, tolerance: str, inside: list[str], outside: list[str]) -> None:
    q = question(one_variable(answer("{x} * 100", tolerance, kind), low="1", high="1"))
    for value in inside:
        assert grade(q, {"x": "1"}, value).fraction == 1, value
    for value in outside:
        assert grade(q, {"x": "1"}, value).fraction == 0, value


def test_geometric_tolerance_around_a_negative_answer() -> None:
    q = question(one_variable(answer("-{x}", "1", "geometric"), low="4", high="4"))
    assert grade(q, {"x": "4"}, "-2").fraction == 1
    assert grade(q, {"x": "4"}, "-8").fraction == 1
    assert grade(q, {"x": "4"}, "-8.01").fraction == 0


def test_relative_tolerance_of_a_zero_answer_needs_zero() -> None:
    q = question(one_variable(answer("{x} - {x}"), low="1", high="3"))
    assert grade(q, {"x": "2"}, "0").fraction == 1
    assert grade(q, {"x": "2"}, "0.0001").fraction == 0


@given(x=st.integers(min_value=1, max_value=500), y=st.integers(min_value=1, max_value=500))
def test_the_computed_answer_itself_is_always_right(x: int, y: int) -> None:
    data = {
        "answers": [answer("{x} / {y}", "0", "nominal")],
        "variables": [{"name": "x", "min": "1", "max": "500"}, {"name": "y", "min": "1", "max": "500"}],
    }
    q = question(data)
    expected = formulas.evaluate("{x} / {y}", {"x": x, "y": y})
    assert grade(q, {"x": str(x), "y": str(y)}, mt.decimal_str(expected)).fraction == 1


def test_a_tampered_variant_falls_back_to_the_range_start() -> None:
    q = question(one_variable(answer("{x} * 2"), low="3", high="9"))
    for values in ({"x": "100"}, {"x": "4.5"}, {"x": "abc"}, {}):
        assert grade(q, values, "6").fraction == 1
    assert QTYPE.grade(q, {"values": "junk"}, {"value": "6", "unit": ""}).fraction == 1


def test_a_formula_that_fails_inside_the_range_never_matches() -> None:
    q = question(one_variable(answer("1 / ({x} - 5)"), low="1", high="9"))
    assert grade(q, {"x": "5"}, "0") == base.Grade(Decimal(0), "wrong", ())
    assert QTYPE.right_answer(q, {"values": {"x": "5"}}) == ""


def test_required_units_cost_the_penalty() -> None:
    q = question(unit_handling="required")
    assert grade(q, {"a": "3.0", "b": "2.50"}, "7.5").fraction == Decimal("0.9")


def test_right_answer_is_rounded_to_the_answer_decimals_with_the_unit() -> None:
    q = question()
    assert QTYPE.right_answer(q, {"values": {"a": "3.3", "b": "2.17"}}) == "7.16 m²"
    assert QTYPE.summarise_response(q, {}, {"value": "7.16", "unit": "m²"}) == "7.16 m²"


# --- clean --------------------------------------------------------------------------------------------------------
def test_clean_normalises_answers_and_variables() -> None:
    cleaned = QTYPE.clean(
        {
            "answers": [{"formula": " {r} ** 2 * pi() ", "fraction": 1, "tolerance": "", "decimals": "3"}],
            "variables": [{"name": "{r}", "min": "1.0", "max": 5, "decimals": "1"}],
        },
        text="<p>Radius {r}</p>",
    )
    assert cleaned == {
        "answers": [
            {
                "id": "a1",
                "formula": "{r} ** 2 * pi()",
                "fraction": "1",
                "tolerance": "0.01",
                "tolerance_type": "relative",
                "decimals": 3,
                "feedback": "",
            }
        ],
        "variables": [{"name": "r", "min": "1", "max": "5", "decimals": 1}],
        "units": [],
        "unit_handling": "none",
        "unit_penalty": "0.1",
    }
    assert QTYPE.clean(cleaned, text="<p>Radius {r}</p>") == cleaned


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            one_variable(answer("{x} +")),
            "answers",
            calculated.ANSWER_FORMULA.format(row=1, message=formulas.FORMULA_SYNTAX),
        ),
        (
            one_variable(answer("")),
            "answers",
            calculated.ANSWER_FORMULA.format(row=1, message=formulas.FORMULA_REQUIRED),
        ),
        (one_variable(answer("{y} * 2")), "answers", calculated.ANSWER_UNDEFINED.format(row=1, name="y")),
        (
            one_variable(answer("1 / {x}"), low="0", high="5"),
            "answers",
            calculated.ANSWER_AT_END.format(row=1, end="minimum", message=formulas.FORMULA_DIVISION_BY_ZERO),
        ),
        (
            one_variable(answer("sqrt(4 - {x})"), low="0", high="5"),
            "answers",
            calculated.ANSWER_AT_END.format(row=1, end="maximum", message=formulas.FORMULA_DOMAIN.format(name="sqrt")),
        ),
        (one_variable(answer("{x}", "-1")), "answers", calculated.ANSWER_TOLERANCE.format(row=1)),
        (one_variable(answer("{x}", kind="absolute")), "answers", calculated.ANSWER_TOLERANCE_TYPE.format(row=1)),
        (one_variable(answer("{x}", decimals=11)), "answers", calculated.ANSWER_DECIMALS.format(row=1, limit=10)),
        (one_variable(answer("{x}", decimals=True)), "answers", calculated.ANSWER_DECIMALS.format(row=1, limit=10)),
        (one_variable({**answer("{x}"), "fraction": "0.5"}), "answers", mt.ANSWER_FULL_MARKS),
        ({"answers": [answer("{x}")], "variables": []}, "variables", calculated.VARIABLES_REQUIRED),
        ({"answers": [answer("2")], "variables": "x"}, "variables", calculated.VARIABLES_NOT_A_LIST),
        ({"answers": [answer("2")], "variables": ["x"]}, "variables", calculated.VARIABLE_NOT_AN_OBJECT.format(row=1)),
        (
            {"answers": [answer("2")], "variables": [{"name": "1x", "min": 1, "max": 2}]},
            "variables",
            calculated.VARIABLE_NAME.format(row=1),
        ),
        (
            {
                "answers": [answer("2")],
                "variables": [{"name": "x", "min": 1, "max": 2}, {"name": "x", "min": 1, "max": 2}],
            },
            "variables",
            calculated.VARIABLE_DUPLICATE.format(row=2, name="x"),
        ),
        (one_variable(answer("{x}"), low="5", high="1"), "variables", calculated.VARIABLE_ORDER.format(row=1)),
        (
            one_variable(answer("{x}"), low="1e13", high="2e13"),
            "variables",
            calculated.VARIABLE_BOUNDS.format(row=1, limit="1,000,000,000,000"),
        ),
        (
            one_variable(answer("{x}"), low="a", high="2"),
            "variables",
            calculated.VARIABLE_BOUNDS.format(row=1, limit="1,000,000,000,000"),
        ),
        (one_variable(answer("{x}"), decimals=-1), "variables", calculated.VARIABLE_DECIMALS.format(row=1, limit=10)),
        (
            one_variable(answer("{x}"), low="0.11", high="0.12", decimals=1),
            "variables",
            calculated.VARIABLE_EMPTY_RANGE.format(row=1, decimals=1),
        ),
    ],
)
def test_clean_names_the_field_and_row_of_each_problem(data: Any, field: str, message: str) -> None:
    assert message in errors_of(data)[field]


def test_formulas_in_the_text_are_checked() -> None:
    data = one_variable(answer("{x}"))
    assert errors_of(data, text="<p>{=sqrt({y})} and {=({x}}</p>")["text"] == [
        calculated.TEXT_UNDEFINED.format(formula="sqrt({y})", name="y"),
        calculated.TEXT_FORMULA.format(formula="({x}", message=formulas.FORMULA_SYNTAX),
    ]


def test_clean_refuses_hostile_formulas_with_the_evaluator_message() -> None:
    data = one_variable(answer("__import__('os').system('id')"))
    assert errors_of(data)["answers"][0].startswith("Answer 1: Only numbers, {wildcards}")


# --- the learner's view -------------------------------------------------------------------------------------------
def render(
    q: base.Question, variant: dict[str, Any], response: dict[str, Any], review: base.Review = base.NO_REVIEW
) -> str:
    graded = QTYPE.grade(q, variant, response) if review != base.NO_REVIEW else None
    ctx = base.RenderContext(
        question=q, variant=variant, response=response, prefix="q3-", label_id="q3-label", review=review, grade=graded
    )
    return str(QTYPE.render(ctx))


def test_the_text_shows_the_drawn_values_and_computed_formulas_but_no_answer() -> None:
    text = "<p>A rectangle is {a} m by {b} m (half of a is {=round({a} / 2, 2)}). Area?</p>"
    q = question(text=text)
    html = render(q, {"values": {"a": "3.3", "b": "2.17"}}, {})
    assert "A rectangle is 3.3 m by 2.17 m (half of a is 1.65). Area?" in html
    assert QTYPE.renders_text is True  # type: ignore[attr-defined]
    for secret in ("7.16", "7.161", "10.94", "{a}", "Length times", "perimeter", "correct", "Correct"):
        assert secret not in html


def test_after_grading_the_review_shows_the_rounded_right_answer() -> None:
    q = question()
    variant = {"values": {"a": "3.3", "b": "2.17"}}
    html = render(q, variant, {"value": "10.94", "unit": ""}, base.FULL_REVIEW)
    assert "Incorrect" in html and "That is the perimeter." in html and "The correct answer is: 7.16 m²" in html


def test_the_author_form_round_trips_through_data_from_form() -> None:
    cleaned = QTYPE.clean(AREA, text=TEXT)
    html = str(QTYPE.render_author(data=cleaned, prefix="f-"))
    assert 'value="{a} * {b}"' in html and 'name="f-variable-3-name"' in html and 'value="geometric"' in html
    post = QueryDict(mutable=True)
    post.update(
        {
            "f-answer-1-id": "a1",
            "f-answer-1-formula": "{a} * {b}",
            "f-answer-1-fraction": "1",
            "f-answer-1-tolerance": "0.01",
            "f-answer-1-tolerance_type": "nominal",
            "f-answer-1-decimals": "1",
            "f-answer-1-feedback": "",
            "f-answer-2-formula": "",
            "f-answer-2-fraction": "0",
            "f-answer-2-tolerance": "0.01",
            "f-answer-2-tolerance_type": "relative",
            "f-answer-2-decimals": "2",
            "f-variable-1-name": "a",
            "f-variable-1-min": "1",
            "f-variable-1-max": "10",
            "f-variable-1-decimals": "1",
            "f-variable-2-name": "b",
            "f-variable-2-min": "2",
            "f-variable-2-max": "5",
            "f-variable-2-decimals": "0",
            "f-variable-3-name": "",
            "f-variable-3-min": "",
            "f-variable-3-max": "",
            "f-variable-3-decimals": "0",
            "f-unit_handling": "none",
            "f-unit_penalty": "0.1",
        }
    )
    assert QTYPE.clean(QTYPE.data_from_form(post, prefix="f-"), text=TEXT) == {
        "answers": [
            {
                "id": "a1",
                "formula": "{a} * {b}",
                "fraction": "1",
                "tolerance": "0.01",
                "tolerance_type": "nominal",
                "decimals": 1,
                "feedback": "",
            }
        ],
        "variables": [
            {"name": "a", "min": "1", "max": "10", "decimals": 1},
            {"name": "b", "min": "2", "max": "5", "decimals": 0},
        ],
        "units": [],
        "unit_handling": "none",
        "unit_penalty": "0.1",
    }


# --- regressions ------------------------------------------------------------------------------------------------


def test_a_text_formula_rounding_a_large_value_is_shown_not_a_crash() -> None:
    # round() of a value past 28 digits raised InvalidOperation out of `substitute`: every render was a 500.
    q = question(text="<p>{a} m by {b} m, about {=round({a} * 1e30, 2)}, at least {=min({b})}.</p>")
    html = str(QTYPE.display_text(q, {"values": {"a": "2", "b": "3"}}))
    assert html == "<p>2.0 m by 3.00 m, about 2000000000000000000000000000000, at least 3.</p>"


def test_an_answer_formula_that_used_to_crash_in_the_middle_of_its_range_grades() -> None:
    # Computable at both ends of the range (so `clean` let it through), but not in between: InvalidOperation
    # escaped `grade` and `right_answer` for some attempts.
    q = question(
        one_variable(answer("round(1e30 * sin(pi() * {x}), 2)", tolerance="0.01"), low="0", high="1", decimals=1)
    )
    values = {"x": "0.5"}
    assert grade(q, values, "1e30").state == "right"
    assert QTYPE.right_answer(q, {"values": values}) == "1000000000000000000000000000000.00"


def test_the_stored_text_is_sanitised_again_when_rendered() -> None:
    q = question()
    hostile = base.Question(
        "calculated", "Area", '<p onclick="x()">{a} by {b}<script>alert(1)</script></p>', "", Decimal(1), q.data
    )
    assert str(QTYPE.display_text(hostile, {"values": {"a": "2", "b": "3"}})) == "<p>2.0 by 3.00</p>"


def test_a_text_with_more_formulas_than_the_limit_is_refused() -> None:
    # Every {=...} is parsed and computed on each view: thousands of them made every page showing it slow.
    text = "<p>{a} {b}" + " {=1}" * (calculated.MAX_TEXT_FORMULAS + 1) + "</p>"
    with pytest.raises(ValidationError) as caught:
        QTYPE.clean(AREA, text=text)
    assert caught.value.message_dict["text"] == [
        calculated.TEXT_TOO_MANY_FORMULAS.format(limit=calculated.MAX_TEXT_FORMULAS)
    ]
    QTYPE.clean(AREA, text="<p>{a} {b}" + " {=1}" * calculated.MAX_TEXT_FORMULAS + "</p>")
