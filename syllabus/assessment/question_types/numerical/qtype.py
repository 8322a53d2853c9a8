"""Numerical: the learner types a number (and perhaps a unit), graded against answers with an absolute tolerance.

Each answer is a value with a tolerance (Moodle's "nominal" error: |response − value| ≤ tolerance), a fraction and
feedback; `"*"` as the value matches any number (for "any other answer" feedback). The first answer that matches,
in the order given, grades the response. Units follow Moodle (see matching_text): the answer is in the first
unit; with units required, a missing or unknown unit costs `unit_penalty` (a fraction of the question's mark).
All arithmetic is in Decimal, so a response exactly at the edge of the tolerance is right.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from syllabus.assessment.question_types import matching_text as mt
from syllabus.assessment.question_types.base import (
    ZERO,
    Grade,
    Question,
    QuestionType,
    RenderContext,
    as_response,
    register,
)
from syllabus.catalog import richtext

if TYPE_CHECKING:
    from django.http import QueryDict
    from django.utils.safestring import SafeString

ANSWER_VALUE = "Answer {row}: the answer is a number (or * for any other answer)."
ANSWER_TOLERANCE = "Answer {row}: the error margin is a number, 0 or more."

SPARE_ROWS = 3
SPARE_UNITS = 2
UNIT_HANDLING_LABELS = (
    ("none", _("No units: the answer is a number only")),
    ("optional", _("Units are optional: a unit given converts the number")),
    ("required", _("Units are required: a missing or wrong unit costs the unit penalty")),
)


def number_matches(answer: Mapping[str, Any], value: Decimal) -> bool:
    if answer.get("value") == "*":
        return True
    expected = mt.clean_decimal(answer.get("value"))
    tolerance = mt.clean_decimal(answer.get("tolerance", "0"), low=ZERO) or ZERO
    return expected is not None and mt.within(value, expected, tolerance)


def units_context(data: Mapping[str, Any], errors: Mapping[str, list[str]], prefix: str) -> dict[str, Any]:
    """The unit part of the author form (numerical and calculated share it)."""
    raw = data.get("units") if isinstance(data, Mapping) else None
    units = [u for u in raw if isinstance(u, Mapping)] if isinstance(raw, list) else []
    rows = [{"unit": str(u.get("unit") or ""), "multiplier": str(u.get("multiplier") or "")} for u in units]
    rows = rows[: mt.MAX_UNITS]
    rows += [{"unit": "", "multiplier": ""} for _spare in range(min(SPARE_UNITS, mt.MAX_UNITS - len(rows)))]
    if not units:
        rows[0]["multiplier"] = "1"
    for number, row in enumerate(rows, start=1):
        row["number"] = str(number)
        row["html_id"] = f"{prefix}unit-{number}"
    handling = data.get("unit_handling") if isinstance(data, Mapping) else None
    penalty = data.get("unit_penalty") if isinstance(data, Mapping) else None
    return {
        "unit_rows": rows,
        "handlings": [(value, label, value == (handling or "none")) for value, label in UNIT_HANDLING_LABELS],
        "unit_penalty": str(penalty if penalty not in (None, "") else mt.DEFAULT_UNIT_PENALTY),
    }


def units_from_form(post: QueryDict, prefix: str) -> dict[str, Any]:
    rows = mt.form_rows(post, prefix, "unit", ("unit", "multiplier"), content=("unit",))
    return {
        "units": [{"unit": row.get("unit", ""), "multiplier": row.get("multiplier", "")} for row in rows],
        "unit_handling": post.get(f"{prefix}unit_handling", "none"),
        "unit_penalty": post.get(f"{prefix}unit_penalty", ""),
    }


def unit_hint(handling: str, units: list[Any]) -> str:
    """What the learner is told about units: whether one is expected, never which."""
    if not units or handling == "none":
        return ""
    if handling == "required":
        return str(_("Give the unit after the number."))
    return str(_("You may give a unit after the number."))


class NumberResponse(QuestionType):
    """A number with an optional unit, typed by the learner: what numerical and calculated questions share (their
    learner form, the response they accept, the values their template shows)."""

    def number_input_context(self, ctx: RenderContext) -> dict[str, Any]:
        data = ctx.question.data
        values = {
            "field_name": f"{ctx.prefix}value",
            "value": mt.summarise_number(ctx.response) if isinstance(ctx.response, Mapping) else "",
            "hint": unit_hint(str(data.get("unit_handling", "none")), list(data.get("units") or [])),
        }
        values.update(mt.review_context(ctx, right_answer=lambda: self.right_answer(ctx.question, ctx.variant)))
        return values

    def response_from_form(self, question: Question, variant: Mapping[str, Any], post: QueryDict, prefix: str) -> Any:
        return {"value": post.get(f"{prefix}value", ""), "unit": post.get(f"{prefix}unit", "")}

    def clean_response(self, question: Question, variant: Mapping[str, Any], raw: Any) -> dict[str, Any]:
        data = question.data
        return mt.clean_number_response(
            as_response(raw), units=list(data.get("units") or []), handling=str(data.get("unit_handling", "none"))
        )


class NumericalType(NumberResponse):
    key = "numerical"
    label = _("Numerical")
    description = _("The learner types a number, graded within an error margin, optionally with units.")
    template = "assessment/qtypes/numerical/learner.html"
    author_template = "assessment/qtypes/numerical/author.html"

    # --- authoring ----------------------------------------------------------------------------------------------
    def clean(self, data: Mapping[str, Any], *, text: str = "") -> dict[str, Any]:
        if not isinstance(data, Mapping):
            raise ValidationError({"data": mt.DATA_NOT_AN_OBJECT})
        errors: dict[str, list[str]] = {}
        rows = mt.answer_rows(data.get("answers"))
        answers: list[dict[str, Any]] = []
        for row, item in enumerate(rows, start=1):
            raw_value = item.get("value")
            value: str | None = None
            if isinstance(raw_value, str) and raw_value.strip() == "*":
                value = "*"
            else:
                number = mt.clean_decimal(raw_value)
                value = None if number is None else mt.decimal_str(number)
            if value is None:
                errors.setdefault("answers", []).append(ANSWER_VALUE.format(row=row))
            raw_tolerance = item.get("tolerance")
            tolerance = mt.clean_decimal("0" if raw_tolerance in (None, "") else raw_tolerance, low=ZERO)
            if tolerance is None:
                errors.setdefault("answers", []).append(ANSWER_TOLERANCE.format(row=row))
            answer = {"value": value, "tolerance": mt.decimal_str(tolerance or ZERO)}
            answer.update(mt.clean_answer_common(item, row, errors, "answers"))
            answers.append(answer)
        if not answers:
            errors.setdefault("answers", []).append(mt.ANSWERS_REQUIRED)
        id_errors = mt.assign_ids(answers, [item.get("id") for item in rows])
        if id_errors:
            errors.setdefault("answers", []).extend(id_errors)
        if "answers" not in errors:
            mt.require_full_marks(answers, errors, "answers")
        units, handling, penalty = mt.clean_units(data, errors)
        if errors:
            raise ValidationError(errors)
        return {
            "answers": [{k: a[k] for k in ("id", "value", "tolerance", "fraction", "feedback")} for a in answers],
            "units": units,
            "unit_handling": handling,
            "unit_penalty": penalty,
        }

    def default_data(self) -> dict[str, Any]:
        return {"answers": [], "units": [], "unit_handling": "none", "unit_penalty": mt.DEFAULT_UNIT_PENALTY}

    def data_from_form(self, post: QueryDict, *, prefix: str = "") -> dict[str, Any]:
        fields = ("id", "value", "tolerance", "fraction", "feedback")
        rows = mt.form_rows(post, prefix, "answer", fields, content=("value", "feedback"))
        data: dict[str, Any] = {"answers": [{f: row.get(f, "") for f in fields} for row in rows]}
        data.update(units_from_form(post, prefix))
        return data

    def render_author(
        self, *, data: Mapping[str, Any], errors: Mapping[str, list[str]] | None = None, prefix: str = ""
    ) -> SafeString:
        from django.template.loader import render_to_string
        from django.utils.safestring import mark_safe

        data = data if isinstance(data, Mapping) else {}
        answers = data.get("answers")
        given = [a for a in answers if isinstance(a, Mapping)] if isinstance(answers, list) else []
        rows = [
            {
                "id": str(a.get("id") or ""),
                "value": str(a.get("value") or ""),
                "tolerance": str(a.get("tolerance") or "0"),
                "feedback": str(a.get("feedback") or ""),
                "fractions": mt.fraction_options(str(a.get("fraction") or "0")),
            }
            for a in given[: mt.MAX_ANSWERS]
        ]
        rows += [
            {"id": "", "value": "", "tolerance": "0", "feedback": "", "fractions": mt.fraction_options("0")}
            for _spare in range(min(SPARE_ROWS, mt.MAX_ANSWERS - len(rows)))
        ]
        for number, row in enumerate(rows, start=1):
            row["number"] = str(number)
            row["html_id"] = f"{prefix}answer-{number}"
        context = {"qtype": self, "prefix": prefix, "errors": errors or {}, "rows": rows}
        context.update(units_context(data, errors or {}, prefix))
        return mark_safe(render_to_string(self.author_template, context))

    # --- learners -----------------------------------------------------------------------------------------------
    def render_context(self, ctx: RenderContext) -> dict[str, Any]:
        return self.number_input_context(ctx)

    # --- grading ------------------------------------------------------------------------------------------------
    def grade(self, question: Question, variant: Mapping[str, Any], response: Mapping[str, Any]) -> Grade:
        data = question.data
        return mt.grade_number(
            response,
            answers=list(data.get("answers") or []),
            units=list(data.get("units") or []),
            handling=str(data.get("unit_handling", "none")),
            penalty=data.get("unit_penalty", "0"),
            matches=number_matches,
        )

    def right_answer(self, question: Question, variant: Mapping[str, Any]) -> str:
        data = question.data
        answers = [a for a in data.get("answers") or [] if a.get("value") != "*"]
        full = [a for a in answers if Decimal(str(a.get("fraction", "0"))) >= 1]
        chosen = (full or answers or [{"value": ""}])[0]
        unit = mt.first_unit(list(data.get("units") or []), str(data.get("unit_handling", "none")))
        return f"{chosen.get('value', '')} {unit}".strip()

    def summarise_response(self, question: Question, variant: Mapping[str, Any], response: Mapping[str, Any]) -> str:
        return mt.summarise_number(response)

    def random_guess_score(self, question: Question) -> float | None:
        """Moodle's numerical: the fraction of a catch-all `*` answer, else 0 (a guess rarely hits a typed answer)."""
        for answer in question.data.get("answers", []):
            if isinstance(answer, Mapping) and str(answer.get("value", "")).strip() == "*":
                return max(0.0, float(str(answer.get("fraction", 0) or 0)))
        return 0.0

    def search_text(self, question: Question) -> str:
        parts = []
        for answer in question.data.get("answers") or []:
            parts.append(str(answer.get("value", "")))
            parts.append(richtext.html_to_text(str(answer.get("feedback", ""))))
        parts.extend(str(u.get("unit", "")) for u in question.data.get("units") or [])
        return " ".join(p for p in parts if p)


register(NumericalType())
