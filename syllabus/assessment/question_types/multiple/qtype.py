"""Multiple response: checkboxes; each option carries a fraction (a share of the mark, or a penalty).

The grade is the sum of the chosen options' fractions, clamped to 0..1. Authors may give shares that add up to 1
only within ± 0.005 (three options of 33.33333%): the sum is divided by the sum of the positive fractions, so
choosing every right option always gives exactly 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext, gettext_lazy

from syllabus.assessment.question_types import base, choices
from syllabus.assessment.question_types.base import ZERO, Grade, Question
from syllabus.assessment.question_types.single.qtype import SingleChoice

if TYPE_CHECKING:
    from django.http import QueryDict

POSITIVE_SUM = "The positive grades must add up to 100% (they add up to {total}%)."
CHOICES_NOT_LIST = "Give the chosen options as a list."
CHOICES_UNKNOWN = "Choose among the question's options."

SUM_TOLERANCE = Decimal("0.005")


class MultipleResponse(SingleChoice):
    key = "multiple"
    label = gettext_lazy("Multiple response (several answers)")
    description = gettext_lazy("The learner ticks every option that applies; each right option earns its share.")
    template = "assessment/qtypes/multiple/learner.html"
    author_template = "assessment/qtypes/multiple/author.html"
    input_type = "checkbox"
    field_name = "choices"

    def check_fractions(self, options: list[dict[str, Any]], errors: choices.Errors) -> None:
        total = sum((max(choices.fraction_of(option), ZERO) for option in options), ZERO)
        if abs(total - base.ONE) > SUM_TOLERANCE:
            percent = format((total * 100).normalize(), "f")
            errors.setdefault("options", []).append(POSITIVE_SUM.format(total=percent))

    def instruction(self) -> str:
        return gettext("Choose one or more answers.")

    def random_guess_score(self, question: Question) -> float | None:
        # Moodle's multichoice with several answers: "pretty much impossible to compute" — none.
        return None

    def chosen_ids(self, response: Mapping[str, Any]) -> list[str]:
        chosen = response.get("choices")
        return [i for i in chosen if isinstance(i, str)] if isinstance(chosen, list) else []

    def option_mark(self, fraction: Decimal) -> str:
        # A ticked option is right when it earns something, wrong when it earns nothing or costs.
        return "right" if fraction > ZERO else "wrong"

    def response_from_form(self, question: Question, variant: Mapping[str, Any], post: QueryDict, prefix: str) -> Any:
        picked = [raw for raw in post.getlist(f"{prefix}choices") if raw]
        return {"choices": [self.id_at(question, variant, raw) for raw in picked[: choices.MAX_ROWS * 2]]}

    def clean_response(self, question: Question, variant: Mapping[str, Any], raw: Any) -> dict[str, Any]:
        response = base.as_response(raw)
        choices.only_keys(response, {"choices"})
        picked = response.get("choices")
        if picked is None:
            return {}
        if not isinstance(picked, list | tuple) or len(picked) > choices.MAX_ROWS * 2:
            raise ValidationError({"choices": CHOICES_NOT_LIST})
        options = self.options(question, variant)
        ids = {option["id"] for option in options}
        if any(not isinstance(i, str) or i not in ids for i in picked):
            raise ValidationError({"choices": CHOICES_UNKNOWN})
        # In the attempt's order, each once: equal responses are stored equal.
        wanted = set(picked)
        ordered = [str(option["id"]) for option in options if option["id"] in wanted]
        return {"choices": ordered} if ordered else {}

    def grade(self, question: Question, variant: Mapping[str, Any], response: Mapping[str, Any]) -> Grade:
        options = self.options(question, variant)
        wanted = set(self.chosen_ids(response))
        chosen = [option for option in options if option["id"] in wanted]
        if not chosen:
            return Grade(ZERO, "gave_up")
        positive = sum((max(choices.fraction_of(option), ZERO) for option in options), ZERO)
        total = sum((choices.fraction_of(option) for option in chosen), ZERO)
        fraction = choices.grade_fraction(total / positive) if positive > ZERO else ZERO
        feedback = tuple(str(option["feedback"]) for option in chosen if option.get("feedback"))
        return Grade(fraction, base.state_for(fraction), feedback)

    def right_answer(self, question: Question, variant: Mapping[str, Any]) -> str:
        return "; ".join(
            choices.plain(str(option.get("text", "")))
            for option in self.options(question, variant)
            if choices.fraction_of(option) > ZERO
        )


base.register(MultipleResponse())
