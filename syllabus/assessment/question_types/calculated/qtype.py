"""Calculated: a numerical question whose answer is a formula of wildcards drawn afresh for every attempt.

The author writes `{name}` wildcards in the text and in answer formulas (formulas.py: a safe evaluator, never
`eval`) and gives each wildcard a range and a number of decimals. `start` draws every value uniformly from its
range with the attempt's rng (`variant = {"values": {name: "3.25"}}`); `render` shows the text with the values
(and `{=formula}`s computed); `grade` evaluates each answer's formula with the values and compares like numerical,
with Moodle's three tolerance types:

- relative:  |r − a| ≤ tolerance × |a|
- nominal:   |r − a| ≤ tolerance
- geometric: a / (1 + tolerance) ≤ r ≤ a × (1 + tolerance)  (the bounds swap for a negative answer)

The right answer shown to learners is rounded to the answer's `decimals`; grading compares with the exact value.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext
from typing import TYPE_CHECKING, Any, ClassVar

from django.core.exceptions import ValidationError
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from syllabus.assessment import formulas
from syllabus.assessment.question_types import matching_text as mt
from syllabus.assessment.question_types.base import (
    ONE,
    ZERO,
    Grade,
    Question,
    RenderContext,
    register,
)
from syllabus.assessment.question_types.numerical.qtype import NumberResponse, units_context, units_from_form
from syllabus.catalog import richtext

if TYPE_CHECKING:
    import random

    from django.http import QueryDict
    from django.utils.safestring import SafeString

ANSWER_FORMULA = "Answer {row}: {message}"
ANSWER_UNDEFINED = "Answer {row}: the wildcard {{{name}}} is not a variable: add it to the variables."
ANSWER_AT_END = "Answer {row}: the formula cannot be computed with the wildcards at their {end}: {message}"
ANSWER_TOLERANCE = "Answer {row}: the tolerance is a number, 0 or more."
ANSWER_TOLERANCE_TYPE = "Answer {row}: choose a tolerance type: relative, nominal or geometric."
ANSWER_DECIMALS = "Answer {row}: the decimals of the right answer are a whole number from 0 to {limit}."
VARIABLES_NOT_A_LIST = "The variables must be a list."
VARIABLES_REQUIRED = "Add at least one variable, and use it as {name} in the formulas."
TOO_MANY_VARIABLES = "Give at most {limit} variables."
VARIABLE_NOT_AN_OBJECT = "Variable {row}: must be an object."
VARIABLE_NAME = "Variable {row}: the name is a letter, then letters, digits or _ (at most 30)."
VARIABLE_DUPLICATE = "Variable {row}: {{{name}}} is defined twice."
VARIABLE_BOUNDS = "Variable {row}: the minimum and maximum are numbers from -{limit} to {limit}."
VARIABLE_ORDER = "Variable {row}: the minimum is more than the maximum."
VARIABLE_DECIMALS = "Variable {row}: the decimals are a whole number from 0 to {limit}."
VARIABLE_EMPTY_RANGE = "Variable {row}: no value with {decimals} decimals lies between the minimum and the maximum."
TEXT_FORMULA = "The formula {{={formula}}} in the text: {message}"
TEXT_TOO_MANY_FORMULAS = "The text holds more than {limit} formulas {{=...}}."
TEXT_UNDEFINED = "The formula {{={formula}}} in the text uses {{{name}}}, which is not a variable."

TOLERANCE_TYPES = ("relative", "nominal", "geometric")
MAX_DECIMALS = 10
MAX_VARIABLES = 20
MAX_CALCULATED_ANSWERS = 20
MAX_TEXT_FORMULAS = 100
VARIABLE_LIMIT = Decimal("1e12")
DEFAULT_TOLERANCE = "0.01"
DEFAULT_DECIMALS = 2
SPARE_ROWS = 2
SPARE_VARIABLES = 2
TOLERANCE_LABELS = (
    ("relative", _("Relative (a fraction of the answer)")),
    ("nominal", _("Nominal (±, in the answer's unit)")),
    ("geometric", _("Geometric (between a ÷ (1 + t) and a × (1 + t))")),
)


def _whole(raw: Any, default: int, limit: int) -> int | None:
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str) and raw.strip().isdigit() and len(raw.strip()) <= 3:
        raw = int(raw.strip())
    return raw if isinstance(raw, int) and 0 <= raw <= limit else None


def range_ends(variable: Mapping[str, Any]) -> tuple[int, int, int]:
    """The smallest and largest value of a variable in units of its last decimal place, and its decimals."""
    decimals = int(variable.get("decimals", 0))
    scale = Decimal(10) ** decimals
    with localcontext() as context:
        context.prec = 60
        low = (Decimal(str(variable["min"])) * scale).to_integral_value(rounding=ROUND_CEILING)
        high = (Decimal(str(variable["max"])) * scale).to_integral_value(rounding=ROUND_FLOOR)
    return int(low), int(high), decimals


def value_string(units_of_place: int, decimals: int) -> str:
    """A drawn value with exactly its decimals ("3.20"), as the text shows it."""
    return format(Decimal(units_of_place).scaleb(-decimals), "f")


def values_of(question: Question, variant: Mapping[str, Any]) -> dict[str, str]:
    """The variant's value of each variable. A value missing or outside the range (a stale or hand-made variant)
    is replaced by the range's lower end, so grading stays deterministic and never fails."""
    given = variant.get("values") if isinstance(variant, Mapping) else None
    given = given if isinstance(given, Mapping) else {}
    values: dict[str, str] = {}
    for variable in question.data.get("variables") or []:
        name = variable["name"]
        low, high, decimals = range_ends(variable)
        fallback = value_string(low, decimals)
        raw = mt.clean_decimal(given.get(name))
        scaled = None if raw is None else raw.scaleb(decimals)
        if scaled is None or scaled != scaled.to_integral_value() or not low <= scaled <= high:
            values[name] = fallback
        else:
            values[name] = value_string(int(scaled), decimals)
    return values


def within_tolerance(response: Decimal, answer: Decimal, tolerance: Decimal, kind: str) -> bool:
    tolerance = abs(tolerance)
    with localcontext() as context:
        context.prec = mt.PRECISION
        if kind == "nominal":
            return abs(response - answer) <= tolerance
        if kind == "geometric":
            quotient = ONE + tolerance
            low, high = sorted((answer / quotient, answer * quotient))
            return low <= response <= high
        return abs(response - answer) <= tolerance * abs(answer)


def answer_values(question: Question, values: Mapping[str, str]) -> dict[str, Decimal | None]:
    """Each answer's value with these wildcard values (None when its formula cannot be computed with them)."""
    computed: dict[str, Decimal | None] = {}
    for answer in question.data.get("answers") or []:
        try:
            computed[answer["id"]] = formulas.evaluate(str(answer.get("formula", "")), values)
        except formulas.FormulaError:
            computed[answer["id"]] = None
    return computed


class CalculatedType(NumberResponse):
    key = "calculated"
    label = _("Calculated")
    description = _("A numerical question whose values are drawn at random for each attempt; the answer is a formula.")
    template = "assessment/qtypes/calculated/learner.html"
    author_template = "assessment/qtypes/calculated/author.html"
    # The learner view shows the question text itself, with the drawn values in place of the wildcards.
    renders_text: ClassVar[bool] = True

    # --- authoring ----------------------------------------------------------------------------------------------
    def clean(self, data: Mapping[str, Any], *, text: str = "") -> dict[str, Any]:
        if not isinstance(data, Mapping):
            raise ValidationError({"data": mt.DATA_NOT_AN_OBJECT})
        errors: dict[str, list[str]] = {}
        variables = self._clean_variables(data.get("variables"), errors)
        names = {v["name"] for v in variables}
        rows = mt.answer_rows(data.get("answers"), limit=MAX_CALCULATED_ANSWERS)
        answers: list[dict[str, Any]] = []
        parsed: list[formulas.Formula | None] = []
        for row, item in enumerate(rows, start=1):
            formula: formulas.Formula | None = None
            try:
                formula = formulas.parse(item.get("formula"))  # type: ignore[arg-type]
            except formulas.FormulaError as exc:
                errors.setdefault("answers", []).append(ANSWER_FORMULA.format(row=row, message=exc.message))
            if formula is not None:
                for name in sorted(formula.names - names):
                    errors.setdefault("answers", []).append(ANSWER_UNDEFINED.format(row=row, name=name))
            raw_tolerance = item.get("tolerance")
            tolerance = mt.clean_decimal(DEFAULT_TOLERANCE if raw_tolerance in (None, "") else raw_tolerance, low=ZERO)
            if tolerance is None:
                errors.setdefault("answers", []).append(ANSWER_TOLERANCE.format(row=row))
            kind = item.get("tolerance_type") or "relative"
            if kind not in TOLERANCE_TYPES:
                errors.setdefault("answers", []).append(ANSWER_TOLERANCE_TYPE.format(row=row))
            decimals = _whole(item.get("decimals"), DEFAULT_DECIMALS, MAX_DECIMALS)
            if decimals is None:
                errors.setdefault("answers", []).append(ANSWER_DECIMALS.format(row=row, limit=MAX_DECIMALS))
            answer = {
                "formula": formula.source.strip() if formula is not None else "",
                "tolerance": mt.decimal_str(tolerance or ZERO),
                "tolerance_type": kind,
                "decimals": decimals if decimals is not None else DEFAULT_DECIMALS,
            }
            answer.update(mt.clean_answer_common(item, row, errors, "answers"))
            answers.append(answer)
            parsed.append(formula)
        if not answers:
            errors.setdefault("answers", []).append(mt.ANSWERS_REQUIRED)
        id_errors = mt.assign_ids(answers, [item.get("id") for item in rows])
        if id_errors:
            errors.setdefault("answers", []).extend(id_errors)
        if "answers" not in errors:
            mt.require_full_marks(answers, errors, "answers")
        if "answers" not in errors and "variables" not in errors:
            self._check_range_ends(parsed, variables, errors)
        self._check_text(text, names, errors)
        units, handling, penalty = mt.clean_units(data, errors)
        if errors:
            raise ValidationError(errors)
        return {
            "answers": [
                {k: a[k] for k in ("id", "formula", "fraction", "tolerance", "tolerance_type", "decimals", "feedback")}
                for a in answers
            ],
            "variables": variables,
            "units": units,
            "unit_handling": handling,
            "unit_penalty": penalty,
        }

    def _clean_variables(self, raw: Any, errors: dict[str, list[str]]) -> list[dict[str, Any]]:
        problems = errors.setdefault("variables", [])
        variables: list[dict[str, Any]] = []
        if raw in (None, ""):
            raw = []
        if not isinstance(raw, list | tuple):
            problems.append(VARIABLES_NOT_A_LIST)
        elif len(raw) > MAX_VARIABLES:
            problems.append(TOO_MANY_VARIABLES.format(limit=MAX_VARIABLES))
        else:
            seen: set[str] = set()
            for row, item in enumerate(raw, start=1):
                if not isinstance(item, Mapping):
                    problems.append(VARIABLE_NOT_AN_OBJECT.format(row=row))
                    continue
                name = item.get("name")
                name = name.strip().strip("{}") if isinstance(name, str) else ""
                if not formulas.WILDCARD.fullmatch(f"{{{name}}}"):
                    problems.append(VARIABLE_NAME.format(row=row))
                    continue
                if name in seen:
                    problems.append(VARIABLE_DUPLICATE.format(row=row, name=name))
                    continue
                seen.add(name)
                low = mt.clean_decimal(item.get("min"), low=-VARIABLE_LIMIT, high=VARIABLE_LIMIT)
                high = mt.clean_decimal(item.get("max"), low=-VARIABLE_LIMIT, high=VARIABLE_LIMIT)
                decimals = _whole(item.get("decimals"), 0, MAX_DECIMALS)
                if low is None or high is None:
                    problems.append(VARIABLE_BOUNDS.format(row=row, limit=f"{VARIABLE_LIMIT:,.0f}"))
                    continue
                if decimals is None:
                    problems.append(VARIABLE_DECIMALS.format(row=row, limit=MAX_DECIMALS))
                    continue
                if low > high:
                    problems.append(VARIABLE_ORDER.format(row=row))
                    continue
                variable = {"name": name, "min": mt.decimal_str(low), "max": mt.decimal_str(high), "decimals": decimals}
                first, last, _places = range_ends(variable)
                if first > last:
                    problems.append(VARIABLE_EMPTY_RANGE.format(row=row, decimals=decimals))
                    continue
                variables.append(variable)
            if not raw:
                problems.append(VARIABLES_REQUIRED)
        if not problems:
            del errors["variables"]
        return variables

    def _check_range_ends(
        self, parsed: list[formulas.Formula | None], variables: list[dict[str, Any]], errors: dict[str, list[str]]
    ) -> None:
        """Every formula must compute with all wildcards at the lower ends, and at the upper ends, of their ranges
        (a formula dividing by a variable that may be 0 is caught here, not in front of a learner)."""
        ends = {"minimum": 0, "maximum": 1}
        for end, position in ends.items():
            values = {}
            for variable in variables:
                low, high, decimals = range_ends(variable)
                values[variable["name"]] = value_string((low, high)[position], decimals)
            for row, formula in enumerate(parsed, start=1):
                if formula is None:
                    continue
                try:
                    formula.evaluate(values)
                except formulas.FormulaError as exc:
                    message = ANSWER_AT_END.format(row=row, end=end, message=exc.message)
                    errors.setdefault("answers", []).append(message)

    def _check_text(self, text: str, names: set[str], errors: dict[str, list[str]]) -> None:
        sources = formulas.text_formulas(text)
        if len(sources) > MAX_TEXT_FORMULAS:
            # Each is parsed and computed on every view of the question: tens of thousands in a 200,000-character
            # text made every page showing it slow.
            errors.setdefault("text", []).append(TEXT_TOO_MANY_FORMULAS.format(limit=MAX_TEXT_FORMULAS))
            return
        for source in sources:
            shown = source[:60]
            try:
                formula = formulas.parse(source)
            except formulas.FormulaError as exc:
                errors.setdefault("text", []).append(TEXT_FORMULA.format(formula=shown, message=exc.message))
                continue
            for name in sorted(formula.names - names):
                errors.setdefault("text", []).append(TEXT_UNDEFINED.format(formula=shown, name=name))

    def default_data(self) -> dict[str, Any]:
        return {
            "answers": [],
            "variables": [],
            "units": [],
            "unit_handling": "none",
            "unit_penalty": mt.DEFAULT_UNIT_PENALTY,
        }

    def data_from_form(self, post: QueryDict, *, prefix: str = "") -> dict[str, Any]:
        fields = ("id", "formula", "fraction", "tolerance", "tolerance_type", "decimals", "feedback")
        rows = mt.form_rows(post, prefix, "answer", fields, content=("formula", "feedback"))
        variable_fields = ("name", "min", "max", "decimals")
        variables = mt.form_rows(post, prefix, "variable", variable_fields, content=("name", "min", "max"))
        data: dict[str, Any] = {
            "answers": [{f: row.get(f, "") for f in fields} for row in rows],
            "variables": [{f: row.get(f, "") for f in variable_fields} for row in variables],
        }
        data.update(units_from_form(post, prefix))
        return data

    def render_author(
        self, *, data: Mapping[str, Any], errors: Mapping[str, list[str]] | None = None, prefix: str = ""
    ) -> SafeString:
        from django.template.loader import render_to_string

        data = data if isinstance(data, Mapping) else {}
        raw_answers = data.get("answers")
        given = [a for a in raw_answers if isinstance(a, Mapping)] if isinstance(raw_answers, list) else []
        rows: list[dict[str, Any]] = []
        for answer in given[:MAX_CALCULATED_ANSWERS]:
            kind = str(answer.get("tolerance_type") or "relative")
            rows.append(
                {
                    "id": str(answer.get("id") or ""),
                    "formula": str(answer.get("formula") or ""),
                    "tolerance": str(answer.get("tolerance") or DEFAULT_TOLERANCE),
                    "kinds": [(value, label, value == kind) for value, label in TOLERANCE_LABELS],
                    "decimals": str(answer.get("decimals", DEFAULT_DECIMALS)),
                    "feedback": str(answer.get("feedback") or ""),
                    "fractions": mt.fraction_options(str(answer.get("fraction") or "0")),
                }
            )
        for _spare in range(min(SPARE_ROWS, MAX_CALCULATED_ANSWERS - len(rows))):
            rows.append(
                {
                    "id": "",
                    "formula": "",
                    "tolerance": DEFAULT_TOLERANCE,
                    "kinds": [(value, label, value == "relative") for value, label in TOLERANCE_LABELS],
                    "decimals": str(DEFAULT_DECIMALS),
                    "feedback": "",
                    "fractions": mt.fraction_options("1" if not given else "0"),
                }
            )
        for number, row in enumerate(rows, start=1):
            row["number"] = str(number)
            row["html_id"] = f"{prefix}answer-{number}"
        raw_variables = data.get("variables")
        defined = [v for v in raw_variables if isinstance(v, Mapping)] if isinstance(raw_variables, list) else []
        variables = [
            {
                "name": str(v.get("name") or ""),
                "min": str(v.get("min") if v.get("min") is not None else ""),
                "max": str(v.get("max") if v.get("max") is not None else ""),
                "decimals": str(v.get("decimals", 0)),
            }
            for v in defined[:MAX_VARIABLES]
        ]
        variables += [
            {"name": "", "min": "", "max": "", "decimals": "0"}
            for _spare in range(min(SPARE_VARIABLES, MAX_VARIABLES - len(variables)))
        ]
        for number, variable in enumerate(variables, start=1):
            variable["number"] = str(number)
            variable["html_id"] = f"{prefix}variable-{number}"
        context = {"qtype": self, "prefix": prefix, "errors": errors or {}, "rows": rows, "variables": variables}
        context.update(units_context(data, errors or {}, prefix))
        return mark_safe(render_to_string(self.author_template, context))

    # --- learners -----------------------------------------------------------------------------------------------
    def start(self, question: Question, rng: random.Random, *, shuffle: bool = True) -> dict[str, Any]:
        values: dict[str, str] = {}
        for variable in question.data.get("variables") or []:
            low, high, decimals = range_ends(variable)
            values[variable["name"]] = value_string(rng.randint(low, high), decimals)
        return {"values": values}

    def display_text(self, question: Question, variant: Mapping[str, Any]) -> SafeString:
        """The question text with the variant's values in place of the wildcards (and `{=formula}`s computed)."""
        # Sanitised again as every stored text is when shown; what `substitute` puts in is numbers only.
        return mark_safe(formulas.substitute(richtext.sanitize_html(question.text), values_of(question, variant)))

    def render_context(self, ctx: RenderContext) -> dict[str, Any]:
        return {"text_html": self.display_text(ctx.question, ctx.variant), **self.number_input_context(ctx)}

    # --- grading ------------------------------------------------------------------------------------------------
    def grade(self, question: Question, variant: Mapping[str, Any], response: Mapping[str, Any]) -> Grade:
        data = question.data
        computed = answer_values(question, values_of(question, variant))

        def matches(answer: Mapping[str, Any], value: Decimal) -> bool:
            expected = computed.get(answer.get("id", ""))
            if expected is None:
                return False
            tolerance = mt.clean_decimal(answer.get("tolerance", "0"), low=ZERO) or ZERO
            return within_tolerance(value, expected, tolerance, str(answer.get("tolerance_type", "relative")))

        return mt.grade_number(
            response,
            answers=list(data.get("answers") or []),
            units=list(data.get("units") or []),
            handling=str(data.get("unit_handling", "none")),
            penalty=data.get("unit_penalty", "0"),
            matches=matches,
        )

    def right_answer(self, question: Question, variant: Mapping[str, Any]) -> str:
        data = question.data
        computed = answer_values(question, values_of(question, variant))
        answers = list(data.get("answers") or [])
        full = [a for a in answers if Decimal(str(a.get("fraction", "0"))) >= 1]
        for answer in full or answers:
            value = computed.get(answer["id"])
            if value is not None:
                shown = formulas.format_decimals(value, int(answer.get("decimals", DEFAULT_DECIMALS)))
                unit = mt.first_unit(list(data.get("units") or []), str(data.get("unit_handling", "none")))
                return f"{shown} {unit}".strip()
        return ""

    def summarise_response(self, question: Question, variant: Mapping[str, Any], response: Mapping[str, Any]) -> str:
        return mt.summarise_number(response)

    def search_text(self, question: Question) -> str:
        parts = []
        for answer in question.data.get("answers") or []:
            parts.append(str(answer.get("formula", "")))
            parts.append(richtext.html_to_text(str(answer.get("feedback", ""))))
        parts.extend(str(v.get("name", "")) for v in question.data.get("variables") or [])
        return " ".join(p for p in parts if p)


register(CalculatedType())
