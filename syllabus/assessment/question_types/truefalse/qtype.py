"""True/false: the learner says whether the statement in the question text is true; 1 or 0, feedback per answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, gettext_lazy

from syllabus.assessment.question_types import base, choices
from syllabus.assessment.question_types.base import ONE, ZERO, Grade, Question, QuestionType, RenderContext
from syllabus.assessment.question_types.single.qtype import MARK_SYMBOLS, MARK_WORDS
from syllabus.catalog.richtext import sanitize_html

if TYPE_CHECKING:
    from django.http import QueryDict

CORRECT_REQUIRED = "Say whether the statement is true or false."
FEEDBACK_TOO_LONG = "The feedback is too long (at most {limit} characters)."
FEEDBACK_NOT_TEXT = "The feedback must be text."
ANSWER_INVALID = "Answer true or false."

FORM_VALUES = {"true": True, "false": False}


def _words(value: bool) -> str:
    return gettext("True") if value else gettext("False")


class TrueFalse(QuestionType):
    key = "truefalse"
    label = gettext_lazy("True/false")
    description = gettext_lazy("The learner says whether a statement is true or false.")
    template = "assessment/qtypes/truefalse/learner.html"
    author_template = "assessment/qtypes/truefalse/author.html"

    # --- authoring ----------------------------------------------------------------------------------------------
    def clean(self, data: Mapping[str, Any], *, text: str = "") -> dict[str, Any]:
        if not isinstance(data, Mapping):
            raise ValidationError({"data": choices.DATA_NOT_OBJECT})
        errors: choices.Errors = {}
        correct = data.get("correct")
        if not isinstance(correct, bool):
            errors["correct"] = [CORRECT_REQUIRED]
        cleaned: dict[str, Any] = {"correct": correct is True}
        for name in ("feedback_true", "feedback_false"):
            raw = choices.as_text(data.get(name))
            if raw is None:
                errors[name] = [FEEDBACK_NOT_TEXT]
            elif len(raw) > choices.HTML_LIMIT:
                errors[name] = [FEEDBACK_TOO_LONG.format(limit=f"{choices.HTML_LIMIT:,}")]
            cleaned[name] = sanitize_html(raw or "")
        choices.raise_if(errors)
        return cleaned

    def default_data(self) -> dict[str, Any]:
        return {"correct": True, "feedback_true": "", "feedback_false": ""}

    def data_from_form(self, post: QueryDict, *, prefix: str = "") -> dict[str, Any]:
        return {
            "correct": FORM_VALUES.get(post.get(f"{prefix}correct", "")),
            "feedback_true": post.get(f"{prefix}feedback_true", ""),
            "feedback_false": post.get(f"{prefix}feedback_false", ""),
        }

    def render_author(
        self, *, data: Mapping[str, Any], errors: Mapping[str, list[str]] | None = None, prefix: str = ""
    ) -> SafeString:
        data = data if isinstance(data, Mapping) else {}
        context = {
            "qtype": self,
            "prefix": prefix,
            "errors": errors or {},
            "correct": data.get("correct"),
            "feedback_true": choices.as_text(data.get("feedback_true")) or "",
            "feedback_false": choices.as_text(data.get("feedback_false")) or "",
        }
        return mark_safe(render_to_string(self.author_template, context))  # autoescaped template

    # --- learners -----------------------------------------------------------------------------------------------
    def render_context(self, ctx: RenderContext) -> dict[str, Any]:
        answer = ctx.response.get("answer")
        rows = []
        for value in (True, False):
            chosen = answer is value
            kind = ""
            if chosen and ctx.review.correctness:
                kind = "right" if value is ctx.question.data.get("correct") else "wrong"
            rows.append(
                {
                    "value": "true" if value else "false",
                    "label": _words(value),
                    "html_id": f"{ctx.prefix}answer-{'true' if value else 'false'}",
                    "chosen": chosen,
                    "mark": str(MARK_WORDS[kind]) if kind else "",
                    "mark_kind": kind,
                    "symbol": MARK_SYMBOLS.get(kind, ""),
                }
            )
        feedback = ""
        if isinstance(answer, bool) and ctx.review.feedback:
            feedback = str(ctx.question.data.get("feedback_true" if answer else "feedback_false", ""))
        return {
            "rows": rows,
            "feedback": choices.block_html(feedback) if feedback else "",
            "right_answer": self.right_answer(ctx.question, ctx.variant) if ctx.review.right_answer else "",
        }

    def response_from_form(self, question: Question, variant: Mapping[str, Any], post: QueryDict, prefix: str) -> Any:
        raw = post.get(f"{prefix}answer")
        if raw is None or raw == "":
            return {}
        return {"answer": FORM_VALUES.get(raw, raw)}

    def clean_response(self, question: Question, variant: Mapping[str, Any], raw: Any) -> dict[str, Any]:
        response = base.as_response(raw)
        choices.only_keys(response, {"answer"})
        answer = response.get("answer")
        if answer is None:
            return {}
        if not isinstance(answer, bool):
            raise ValidationError({"answer": ANSWER_INVALID})
        return {"answer": answer}

    # --- grading ------------------------------------------------------------------------------------------------
    def grade(self, question: Question, variant: Mapping[str, Any], response: Mapping[str, Any]) -> Grade:
        answer = response.get("answer")
        if not isinstance(answer, bool):
            return Grade(ZERO, "gave_up")
        fraction = ONE if answer is question.data.get("correct") else ZERO
        feedback = str(question.data.get("feedback_true" if answer else "feedback_false", ""))
        return Grade(fraction, base.state_for(fraction), (feedback,) if feedback else ())

    def right_answer(self, question: Question, variant: Mapping[str, Any]) -> str:
        return _words(question.data.get("correct") is True)

    def summarise_response(self, question: Question, variant: Mapping[str, Any], response: Mapping[str, Any]) -> str:
        answer = response.get("answer")
        return _words(answer) if isinstance(answer, bool) else ""

    def random_guess_score(self, question: Question) -> float | None:
        # Moodle's truefalse: one of two.
        return 0.5

    def search_text(self, question: Question) -> str:
        parts = [choices.plain(str(question.data.get(name, ""))) for name in ("feedback_true", "feedback_false")]
        return "\n".join(part for part in parts if part)


base.register(TrueFalse())
