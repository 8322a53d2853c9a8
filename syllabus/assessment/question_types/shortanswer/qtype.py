"""Short answer: the learner types a word or phrase, matched against the author's answers in order.

An answer may hold `*` wildcards (any run of characters; `\\*` is a literal star); `*` alone catches every other
response (for "any other answer" feedback). The first answer that matches gives its fraction and feedback, so the
author orders them from the most to the least specific, as in Moodle.
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
    clamp,
    register,
    state_for,
)
from syllabus.catalog import richtext

if TYPE_CHECKING:
    from django.http import QueryDict
    from django.utils.safestring import SafeString

ANSWER_TEXT_REQUIRED = "Answer {row}: write the answer (or clear the whole row)."
ANSWER_TEXT_TOO_LONG = "Answer {row}: keep the answer under {limit} characters."
CASE_CHOICE = "Choose whether case matters: true or false."

ANSWER_TEXT_LIMIT = 255
SPARE_ROWS = 3


def clean_answer_text(raw: Any, row: int, errors: dict[str, list[str]], field: str = "answers") -> str:
    text = mt.normalise_space(raw) if isinstance(raw, str) else ""
    if not text:
        errors.setdefault(field, []).append(ANSWER_TEXT_REQUIRED.format(row=row))
    elif len(text) > ANSWER_TEXT_LIMIT:
        errors.setdefault(field, []).append(ANSWER_TEXT_TOO_LONG.format(row=row, limit=ANSWER_TEXT_LIMIT))
    return text


def first_match(answers: list[Mapping[str, Any]], text: str, *, case_sensitive: bool) -> Mapping[str, Any] | None:
    for answer in answers:
        if mt.text_matches(str(answer.get("text", "")), text, case_sensitive=case_sensitive):
            return answer
    return None


def best_text(answers: list[Mapping[str, Any]]) -> str:
    """The answer shown as right: the first full-marks answer without a wildcard, else the first full-marks one."""
    full = [a for a in answers if Decimal(str(a.get("fraction", "0"))) >= 1]
    plain = [a for a in full if not mt.has_wildcard(str(a.get("text", "")))]
    chosen = (plain or full or [{"text": ""}])[0]
    return mt.unescape_stars(str(chosen.get("text", "")))


class ShortAnswerType(QuestionType):
    key = "shortanswer"
    label = _("Short answer")
    description = _("The learner types a word or phrase. Answers may use * as a wildcard.")
    template = "assessment/qtypes/shortanswer/learner.html"
    author_template = "assessment/qtypes/shortanswer/author.html"

    # --- authoring ----------------------------------------------------------------------------------------------
    def clean(self, data: Mapping[str, Any], *, text: str = "") -> dict[str, Any]:
        if not isinstance(data, Mapping):
            raise ValidationError({"data": mt.DATA_NOT_AN_OBJECT})
        errors: dict[str, list[str]] = {}
        case_sensitive = data.get("case_sensitive", False)
        if case_sensitive is None:
            case_sensitive = False
        if not isinstance(case_sensitive, bool):
            errors["case_sensitive"] = [CASE_CHOICE]
            case_sensitive = False
        rows = mt.answer_rows(data.get("answers"))
        answers: list[dict[str, Any]] = []
        for row, item in enumerate(rows, start=1):
            answer = {"text": clean_answer_text(item.get("text"), row, errors)}
            answer.update(mt.clean_answer_common(item, row, errors, "answers"))
            answers.append(answer)
        if not answers:
            errors.setdefault("answers", []).append(mt.ANSWERS_REQUIRED)
        errors.setdefault("answers", []).extend(mt.assign_ids(answers, [item.get("id") for item in rows]))
        if not errors["answers"]:
            del errors["answers"]
            mt.require_full_marks(answers, errors, "answers")
        if errors:
            raise ValidationError(errors)
        ordered = [
            {"id": a["id"], "text": a["text"], "fraction": a["fraction"], "feedback": a["feedback"]} for a in answers
        ]
        return {"answers": ordered, "case_sensitive": case_sensitive}

    def default_data(self) -> dict[str, Any]:
        return {"answers": [], "case_sensitive": False}

    def data_from_form(self, post: QueryDict, *, prefix: str = "") -> dict[str, Any]:
        rows = mt.form_rows(
            post, prefix, "answer", ("id", "text", "fraction", "feedback"), content=("text", "feedback")
        )
        return {
            "case_sensitive": post.get(f"{prefix}case_sensitive") == "1",
            "answers": [
                {
                    "id": row.get("id", ""),
                    "text": row.get("text", ""),
                    "fraction": row.get("fraction", "0"),
                    "feedback": row.get("feedback", ""),
                }
                for row in rows
            ],
        }

    def render_author(
        self, *, data: Mapping[str, Any], errors: Mapping[str, list[str]] | None = None, prefix: str = ""
    ) -> SafeString:
        from django.template.loader import render_to_string
        from django.utils.safestring import mark_safe

        answers = data.get("answers") if isinstance(data, Mapping) else None
        rows = [a for a in answers if isinstance(a, Mapping)] if isinstance(answers, list) else []
        shown: list[dict[str, Any]] = [
            {
                "id": str(a.get("id") or ""),
                "text": str(a.get("text") or ""),
                "feedback": str(a.get("feedback") or ""),
                "fractions": mt.fraction_options(str(a.get("fraction") or "0")),
            }
            for a in rows[: mt.MAX_ANSWERS]
        ]
        shown += [
            {"id": "", "text": "", "feedback": "", "fractions": mt.fraction_options("0")}
            for _spare in range(min(SPARE_ROWS, mt.MAX_ANSWERS - len(shown)))
        ]
        for number, row in enumerate(shown, start=1):
            row["number"] = number
            row["html_id"] = f"{prefix}answer-{number}"
        context = {
            "qtype": self,
            "prefix": prefix,
            "errors": errors or {},
            "rows": shown,
            "case_sensitive": isinstance(data, Mapping) and data.get("case_sensitive") is True,
        }
        return mark_safe(render_to_string(self.author_template, context))

    # --- learners -----------------------------------------------------------------------------------------------
    def render_context(self, ctx: RenderContext) -> dict[str, Any]:
        response_text = ctx.response.get("text", "") if isinstance(ctx.response, Mapping) else ""
        values = {
            "field_name": f"{ctx.prefix}text",
            "value": response_text if isinstance(response_text, str) else "",
            "limit": mt.MAX_RESPONSE_CHARS,
        }
        values.update(mt.review_context(ctx, right_answer=lambda: self.right_answer(ctx.question, ctx.variant)))
        return values

    def response_from_form(self, question: Question, variant: Mapping[str, Any], post: QueryDict, prefix: str) -> Any:
        return {"text": post.get(f"{prefix}text", "")}

    def clean_response(self, question: Question, variant: Mapping[str, Any], raw: Any) -> dict[str, Any]:
        response = as_response(raw)
        text = mt.clean_text_response(response.get("text", ""))
        return {"text": text} if text else {}

    # --- grading ------------------------------------------------------------------------------------------------
    def grade(self, question: Question, variant: Mapping[str, Any], response: Mapping[str, Any]) -> Grade:
        text = response.get("text", "")
        if not isinstance(text, str) or not mt.normalise_space(text):
            return Grade(ZERO, "gave_up")
        answers = list(question.data.get("answers", []))
        found = first_match(answers, text, case_sensitive=bool(question.data.get("case_sensitive")))
        if found is None:
            return Grade(ZERO, "wrong")
        fraction = clamp(Decimal(str(found.get("fraction", "0"))))
        feedback = str(found.get("feedback") or "")
        return Grade(fraction, state_for(fraction), (feedback,) if feedback else ())

    def right_answer(self, question: Question, variant: Mapping[str, Any]) -> str:
        return best_text(list(question.data.get("answers", [])))

    def summarise_response(self, question: Question, variant: Mapping[str, Any], response: Mapping[str, Any]) -> str:
        text = response.get("text", "")
        return text if isinstance(text, str) else ""

    def random_guess_score(self, question: Question) -> float | None:
        """Moodle's shortanswer: the fraction of a catch-all `*` answer, else 0 (a guess rarely hits a typed answer)."""
        for answer in question.data.get("answers", []):
            if isinstance(answer, Mapping) and str(answer.get("text", "")).strip() == "*":
                return max(0.0, float(str(answer.get("fraction", 0) or 0)))
        return 0.0

    def search_text(self, question: Question) -> str:
        parts = []
        for answer in question.data.get("answers", []):
            parts.append(str(answer.get("text", "")))
            parts.append(richtext.html_to_text(str(answer.get("feedback", ""))))
        return " ".join(p for p in parts if p)


register(ShortAnswerType())
