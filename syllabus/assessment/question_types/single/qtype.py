"""Multiple choice, one answer: radio buttons; the chosen option's fraction is the grade (floored at 0).

The learner's HTML names options by their position in the attempt's order (1, 2, 3...), never by their ids or
fractions, so nothing in the page tells which one is right. `multiple` subclasses this type.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, gettext_lazy

from syllabus.assessment.question_types import base, choices
from syllabus.assessment.question_types.base import ZERO, Grade, Question, QuestionType, RenderContext

if TYPE_CHECKING:
    from django.http import QueryDict

NO_FULL_MARKS = "Give one option the grade 100%, so that full marks are possible."
CHOICE_UNKNOWN = "Choose one of the question's options."

NUMBERING_LABELS = (
    ("abc", gettext_lazy("a., b., c.")),
    ("ABCD", gettext_lazy("A., B., C.")),
    ("123", gettext_lazy("1., 2., 3.")),
    ("none", gettext_lazy("No numbering")),
)


@dataclass(frozen=True)
class OptionView:
    """One option as the learner template shows it: no fraction, and review words only when allowed."""

    value: str  # its 1-based position in the attempt's order
    html_id: str
    number: str
    text: SafeString
    chosen: bool
    mark: str = ""  # "Correct", "Partially correct", "Incorrect" — in words, not colour alone
    mark_kind: str = ""  # right / partial / wrong, for the style
    feedback: SafeString | str = ""


MARK_WORDS = {
    "right": gettext_lazy("Correct"),
    "partial": gettext_lazy("Partially correct"),
    "wrong": gettext_lazy("Incorrect"),
}
MARK_SYMBOLS = {"right": "✓", "partial": "◐", "wrong": "✗"}


class SingleChoice(QuestionType):
    key = "single"
    label = gettext_lazy("Multiple choice (one answer)")
    description = gettext_lazy("The learner picks one option; each option carries a grade and its feedback.")
    template = "assessment/qtypes/single/learner.html"
    author_template = "assessment/qtypes/single/author.html"
    input_type = "radio"
    field_name = "choice"

    # --- authoring ----------------------------------------------------------------------------------------------
    def clean(self, data: Mapping[str, Any], *, text: str = "") -> dict[str, Any]:
        if not isinstance(data, Mapping):
            raise ValidationError({"data": choices.DATA_NOT_OBJECT})
        errors: choices.Errors = {}
        options = choices.clean_options(data, errors)
        shuffle = choices.clean_flag(data, "shuffle", default=True, errors=errors, label="Shuffle the options")
        numbering = choices.clean_numbering(data, errors)
        if "options" not in errors:
            self.check_fractions(options, errors)
        choices.raise_if(errors)
        return {"options": options, "shuffle": shuffle, "numbering": numbering}

    def check_fractions(self, options: list[dict[str, Any]], errors: choices.Errors) -> None:
        if not any(choices.fraction_of(option) == base.ONE for option in options):
            errors.setdefault("options", []).append(NO_FULL_MARKS)

    def default_data(self) -> dict[str, Any]:
        return {"options": [], "shuffle": True, "numbering": "abc"}

    def data_from_form(self, post: QueryDict, *, prefix: str = "") -> dict[str, Any]:
        return {
            "options": choices.posted_rows(post, prefix, "options", ("id", "text", "fraction", "feedback")),
            "shuffle": post.get(f"{prefix}shuffle") == "on",
            "numbering": post.get(f"{prefix}numbering", "abc"),
        }

    def render_author(
        self, *, data: Mapping[str, Any], errors: Mapping[str, list[str]] | None = None, prefix: str = ""
    ) -> SafeString:
        data = data if isinstance(data, Mapping) else {}
        numbering = data.get("numbering") if data.get("numbering") in choices.NUMBERINGS else "abc"
        context = {
            "qtype": self,
            "prefix": prefix,
            "errors": errors or {},
            "rows": choices.option_rows(data.get("options"), prefix),
            "shuffle": data.get("shuffle", True) is not False,
            "numberings": [(value, label, value == numbering) for value, label in NUMBERING_LABELS],
        }
        return mark_safe(render_to_string(self.author_template, context))  # autoescaped template

    # --- learners -----------------------------------------------------------------------------------------------
    def options(self, question: Question, variant: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        """The question's options in the attempt's order."""
        rows = question.data.get("options", [])
        return choices.in_order([row for row in rows if isinstance(row, Mapping)], variant.get("order"))

    def start(self, question: Question, rng: random.Random, *, shuffle: bool = True) -> dict[str, Any]:
        ids = [str(option["id"]) for option in self.options(question, {})]
        return {"order": choices.shuffled(ids, rng, shuffle=shuffle and bool(question.data.get("shuffle", True)))}

    def chosen_ids(self, response: Mapping[str, Any]) -> list[str]:
        choice = response.get("choice")
        return [choice] if isinstance(choice, str) else []

    def option_mark(self, fraction: Decimal) -> str:
        return base.state_for(max(fraction, ZERO))

    def render_context(self, ctx: RenderContext) -> dict[str, Any]:
        numbering = str(ctx.question.data.get("numbering", "abc"))
        chosen = set(self.chosen_ids(ctx.response))
        views = []
        for index, option in enumerate(self.options(ctx.question, ctx.variant)):
            is_chosen = option["id"] in chosen
            kind = self.option_mark(choices.fraction_of(option)) if is_chosen and ctx.review.correctness else ""
            feedback = option.get("feedback", "") if is_chosen and ctx.review.feedback else ""
            views.append(
                OptionView(
                    value=str(index + 1),
                    html_id=f"{ctx.prefix}{self.field_name}-{index + 1}",
                    number=choices.number_label(numbering, index),
                    text=choices.inline_html(str(option.get("text", ""))),
                    chosen=is_chosen,
                    mark=str(MARK_WORDS[kind]) if kind else "",
                    mark_kind=kind,
                    feedback=choices.block_html(str(feedback)) if feedback else "",
                )
            )
        return {
            "options": views,
            "symbols": MARK_SYMBOLS,
            "input_type": self.input_type,
            "field_name": f"{ctx.prefix}{self.field_name}",
            "instruction": self.instruction(),
            "can_clear": self.input_type == "radio" and bool(chosen) and not ctx.readonly,
            "right_answer": self.right_answer(ctx.question, ctx.variant) if ctx.review.right_answer else "",
        }

    def instruction(self) -> str:
        return gettext("Choose one answer.")

    def response_from_form(self, question: Question, variant: Mapping[str, Any], post: QueryDict, prefix: str) -> Any:
        raw = post.get(f"{prefix}choice")
        if raw is None or raw == "":
            return {}
        return {"choice": self.id_at(question, variant, raw)}

    def id_at(self, question: Question, variant: Mapping[str, Any], raw: str) -> str:
        """The option id at a posted position; anything else is passed on for `clean_response` to judge."""
        options = self.options(question, variant)
        index = choices.position_of(raw, len(options))
        return str(options[index]["id"]) if index is not None else raw

    def clean_response(self, question: Question, variant: Mapping[str, Any], raw: Any) -> dict[str, Any]:
        response = base.as_response(raw)
        choices.only_keys(response, {"choice"})
        choice = response.get("choice")
        if choice is None or choice == "":
            return {}
        ids = {option["id"] for option in self.options(question, variant)}
        if not isinstance(choice, str) or choice not in ids:
            raise ValidationError({"choice": CHOICE_UNKNOWN})
        return {"choice": choice}

    # --- grading ------------------------------------------------------------------------------------------------
    def grade(self, question: Question, variant: Mapping[str, Any], response: Mapping[str, Any]) -> Grade:
        by_id = {option["id"]: option for option in self.options(question, variant)}
        option = by_id.get(response.get("choice")) if isinstance(response.get("choice"), str) else None
        if option is None:
            return Grade(ZERO, "gave_up")
        fraction = choices.grade_fraction(choices.fraction_of(option))
        feedback = (str(option["feedback"]),) if option.get("feedback") else ()
        return Grade(fraction, base.state_for(fraction), feedback)

    def right_answer(self, question: Question, variant: Mapping[str, Any]) -> str:
        options = self.options(question, variant)
        if not options:
            return ""
        best = max(options, key=choices.fraction_of)  # the first of the best, in the learner's order
        return choices.plain(str(best.get("text", "")))

    def summarise_response(self, question: Question, variant: Mapping[str, Any], response: Mapping[str, Any]) -> str:
        by_id = {option["id"]: option for option in self.options(question, variant)}
        return "; ".join(choices.plain(str(by_id[i].get("text", ""))) for i in self.chosen_ids(response) if i in by_id)

    def random_guess_score(self, question: Question) -> float | None:
        """Moodle's multichoice (single answer): the mean of the options' fractions. A negative fraction counts as
        0 here, as our grading floors the option's fraction at 0 (Moodle would let the mark go below 0)."""
        options = [o for o in question.data.get("options", []) if isinstance(o, Mapping)]
        if not options:
            return None
        return sum(max(0.0, float(str(o.get("fraction", 0) or 0))) for o in options) / len(options)

    def search_text(self, question: Question) -> str:
        parts = []
        for option in question.data.get("options", []):
            parts += [choices.plain(str(option.get("text", ""))), choices.plain(str(option.get("feedback", "")))]
        return "\n".join(part for part in parts if part)


base.register(SingleChoice())
