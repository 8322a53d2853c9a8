"""Cloze (embedded answers): several sub-questions written into the question text with Moodle's markup.

The text is the source of truth: `clean` parses its `{weight:TYPE:answers}` markers (markup.py) into `parts`, and
the text is stored as written, markup included. The learner view is the text with each marker replaced by a field
labelled "Answer n" (a text input, a select, or a group of radio buttons), so this type draws the question text
itself (`renders_text`). Each part is graded like its type (short answer, numerical, single choice); the question's
fraction is the mean of the parts' fractions weighted by their weights.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from django.core.exceptions import ValidationError
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
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
from syllabus.assessment.question_types.cloze import markup
from syllabus.assessment.question_types.numerical.qtype import number_matches
from syllabus.assessment.question_types.shortanswer.qtype import best_text, first_match
from syllabus.catalog import richtext

if TYPE_CHECKING:
    from django.http import QueryDict
    from django.utils.safestring import SafeString

PARTS_NOT_AN_OBJECT = "The parts of the response must be an object (part number → answer)."
UNKNOWN_PART = "This question has no answer {key}."
PART_NOT_AN_OBJECT = "Answer {n}: must be an object."
UNKNOWN_CHOICE = "Choose one of its options."
PART_PROBLEM = "Answer {n}: {message}"

FRACTION_PLACES = Decimal("0.0000001")  # what an answer's fraction stores: regrades compare them
RESPONSE_KEYS = {"shortanswer": "text", "shortanswer_c": "text", "numerical": "value", "single": "choice"}
TEXT_SIZE = 20
NUMBER_SIZE = 10


def _parts(question: Question) -> list[Mapping[str, Any]]:
    parts = question.data.get("parts") if isinstance(question.data, Mapping) else None
    return [p for p in parts if isinstance(p, Mapping)] if isinstance(parts, list) else []


def _part_grade(part: Mapping[str, Any], entry: Mapping[str, Any]) -> tuple[Decimal, str] | None:
    """The fraction and feedback of one part's answer; None when the part is not answered."""
    answers = list(part.get("answers") or [])
    kind = part.get("kind")
    found: Mapping[str, Any] | None = None
    if kind in {"shortanswer", "shortanswer_c"}:
        text = entry.get("text")
        if not isinstance(text, str) or not text:
            return None
        found = first_match(answers, text, case_sensitive=kind == "shortanswer_c")
    elif kind == "numerical":
        raw = entry.get("value")
        if not isinstance(raw, str) or not raw:
            return None
        try:
            value = mt.parse_number(raw)
        except mt.NumberError:
            return ZERO, ""
        found = next((a for a in answers if number_matches(a, value)), None)
    elif kind == "single":
        choice = entry.get("choice")
        if not isinstance(choice, str) or not choice:
            return None
        found = next((a for a in answers if a.get("id") == choice), None)
    if found is None:
        return ZERO, ""
    return clamp(Decimal(str(found.get("fraction", "0")))), str(found.get("feedback") or "")


def _right(part: Mapping[str, Any]) -> str:
    answers = list(part.get("answers") or [])
    if part.get("kind") == "numerical":
        numbers = [a for a in answers if a.get("value") != "*"]
        full = [a for a in numbers if Decimal(str(a.get("fraction", "0"))) >= 1]
        return str((full or numbers or [{"value": ""}])[0].get("value", ""))
    if part.get("kind") == "single":
        full = [a for a in answers if Decimal(str(a.get("fraction", "0"))) >= 1]
        return str((full or answers or [{"text": ""}])[0].get("text", ""))
    return best_text(answers)


def _shown(part: Mapping[str, Any], entry: Mapping[str, Any]) -> str:
    """A part's response as plain text (the chosen option's text for a choice)."""
    if part.get("kind") == "single":
        choice = entry.get("choice")
        return next((str(a.get("text", "")) for a in part.get("answers") or [] if a.get("id") == choice), "")
    value = entry.get(RESPONSE_KEYS.get(str(part.get("kind")), "text"), "")
    return value if isinstance(value, str) else ""


class ClozeType(QuestionType):
    key = "cloze"
    label = _("Embedded answers (cloze)")
    description = _("Short answer, numerical and choice fields written into the text with Moodle's cloze markup.")
    template = "assessment/qtypes/cloze/learner.html"
    author_template = "assessment/qtypes/cloze/author.html"
    # The learner view is the question text itself, with a field in place of each marker.
    renders_text: ClassVar[bool] = True

    # --- authoring ----------------------------------------------------------------------------------------------
    def clean(self, data: Mapping[str, Any], *, text: str = "") -> dict[str, Any]:
        """The parts parsed from `text` (the markup is the source of truth: `data` carries nothing of its own)."""
        if not isinstance(data, Mapping):
            raise ValidationError({"data": mt.DATA_NOT_AN_OBJECT})
        try:
            parts = markup.parse(text if isinstance(text, str) else "")
        except markup.MarkupError as exc:
            raise ValidationError({"text": exc.messages}) from None
        return {"parts": parts}

    def clean_text(self, text: str, data: Mapping[str, Any]) -> str:
        return text

    def default_data(self) -> dict[str, Any]:
        return {"parts": []}

    def data_from_form(self, post: QueryDict, *, prefix: str = "") -> dict[str, Any]:
        return {}

    def render_author(
        self, *, data: Mapping[str, Any], errors: Mapping[str, list[str]] | None = None, prefix: str = ""
    ) -> SafeString:
        from django.template.loader import render_to_string

        summary = []
        for part in _parts(Question("cloze", "", "", "", Decimal(1), data if isinstance(data, Mapping) else {})):
            answers = []
            for answer in part.get("answers") or []:
                shown = answer.get("text", answer.get("value", ""))
                if part.get("kind") == "numerical" and answer.get("tolerance") not in (None, "0"):
                    shown = f"{shown} ± {answer.get('tolerance')}"
                percent = mt.decimal_str(Decimal(str(answer.get("fraction", "0"))) * 100)
                answers.append(f"{shown} ({percent}%)")
            summary.append({"index": part.get("index"), "kind": part.get("kind"), "answers": "; ".join(answers)})
        context = {"qtype": self, "prefix": prefix, "errors": errors or {}, "summary": summary}
        return mark_safe(render_to_string(self.author_template, context))

    # --- learners -----------------------------------------------------------------------------------------------
    def start(self, question: Question, rng: random.Random, *, shuffle: bool = True) -> dict[str, Any]:
        orders: dict[str, list[str]] = {}
        for part in _parts(question):
            if part.get("kind") != "single":
                continue
            ids = [str(a["id"]) for a in part.get("answers") or []]
            # Moodle shuffles only the _S variants of a choice part, and only when the quiz shuffles options.
            if shuffle and part.get("shuffle"):
                rng.shuffle(ids)
            orders[str(part["index"])] = ids
        return {"orders": orders}

    def render_context(self, ctx: RenderContext) -> dict[str, Any]:
        parts = _parts(ctx.question)
        entries = ctx.response.get("parts") if isinstance(ctx.response, Mapping) else None
        entries = entries if isinstance(entries, Mapping) else {}
        review, grade = ctx.review, ctx.grade
        show_marks = grade is not None and review.correctness
        show_feedback = grade is not None and review.feedback
        pieces: list[dict[str, Any]] = []
        # The stored text is sanitised when saved; it is sanitised again before it is cut, as the page and the API
        # do with every stored text (rendering.py), so mark_safe only ever wraps sanitize_html's output.
        for piece in markup.pieces(richtext.sanitize_html(ctx.question.text)):
            if isinstance(piece, str):
                pieces.append({"html": mark_safe(piece)})
                continue
            if piece >= len(parts):
                continue
            part = parts[piece]
            entry = entries.get(str(part.get("index")))
            entry = entry if isinstance(entry, Mapping) else {}
            pieces.append({"part": self._part_view(ctx, part, entry, show_marks, show_feedback)})
        return {"pieces": pieces}

    def _part_view(
        self,
        ctx: RenderContext,
        part: Mapping[str, Any],
        entry: Mapping[str, Any],
        show_marks: bool,
        show_feedback: bool,
    ) -> dict[str, Any]:
        index = str(part.get("index"))
        kind = str(part.get("kind"))
        field = f"{ctx.prefix}part-{index}"
        view: dict[str, Any] = {
            "number": index,
            "field_name": field,
            "display": part.get("display"),
            "kind": kind,
            "size": NUMBER_SIZE if kind == "numerical" else TEXT_SIZE,
            "value": _shown(part, entry) if kind != "single" else "",
            "outcome": "",
            "state": "",
            "feedback": "",
            "right_answer": "",
        }
        if kind == "single":
            order = ctx.variant.get("orders", {}).get(index) if isinstance(ctx.variant, Mapping) else None
            by_id = {str(a["id"]): a for a in part.get("answers") or []}
            ids = [i for i in order if i in by_id] if isinstance(order, list) else []
            ids += [i for i in by_id if i not in ids]
            chosen = entry.get("choice")
            view["options"] = [
                {"value": i, "text": by_id[i].get("text", ""), "selected": i == chosen, "html_id": f"{field}-{n}"}
                for n, i in enumerate(ids, start=1)
            ]
        if show_marks or show_feedback:
            graded = _part_grade(part, entry)
            fraction, feedback = graded if graded is not None else (ZERO, "")
            if show_marks:
                state = state_for(fraction) if graded is not None else "gave_up"
                view["outcome"], view["state"] = mt.outcome_label(state), state
            if show_feedback and feedback:
                view["feedback"] = mark_safe(richtext.sanitize_html(feedback))
        if ctx.review.right_answer:
            view["right_answer"] = _right(part)
        return view

    def response_from_form(self, question: Question, variant: Mapping[str, Any], post: QueryDict, prefix: str) -> Any:
        parts: dict[str, dict[str, str]] = {}
        for part in _parts(question):
            index = str(part.get("index"))
            raw = post.get(f"{prefix}part-{index}", "")
            parts[index] = {RESPONSE_KEYS.get(str(part.get("kind")), "text"): raw}
        return {"parts": parts}

    def clean_response(self, question: Question, variant: Mapping[str, Any], raw: Any) -> dict[str, Any]:
        response = as_response(raw)
        given = response.get("parts", {})
        if given in (None, ""):
            given = {}
        if not isinstance(given, Mapping):
            raise ValidationError({"parts": PARTS_NOT_AN_OBJECT})
        given = {str(key): value for key, value in given.items()}
        by_index = {str(p.get("index")): p for p in _parts(question)}
        unknown = [key for key in given if key not in by_index]
        if unknown:
            raise ValidationError({"parts": UNKNOWN_PART.format(key=unknown[0][:10])})
        problems: list[str] = []
        cleaned: dict[str, dict[str, str]] = {}
        for index, part in by_index.items():
            entry = given.get(index)
            if entry in (None, ""):
                continue
            if not isinstance(entry, Mapping):
                problems.append(PART_NOT_AN_OBJECT.format(n=index))
                continue
            try:
                value = self._clean_entry(part, entry)
            except ValidationError as exc:
                problems.extend(PART_PROBLEM.format(n=index, message=m) for m in exc.messages)
                continue
            if value:
                cleaned[index] = value
        if problems:
            raise ValidationError({"parts": problems})
        return {"parts": cleaned} if cleaned else {}

    def _clean_entry(self, part: Mapping[str, Any], entry: Mapping[str, Any]) -> dict[str, str]:
        kind = str(part.get("kind"))
        key = RESPONSE_KEYS.get(kind, "text")
        raw = entry.get(key, "")
        if kind == "single":
            if raw in (None, ""):
                return {}
            if not isinstance(raw, str) or raw not in {str(a.get("id")) for a in part.get("answers") or []}:
                raise ValidationError(UNKNOWN_CHOICE)
            return {"choice": raw}
        if kind == "numerical":
            if isinstance(raw, int | float) and not isinstance(raw, bool):
                raw = repr(raw)
            text = mt.clean_text_response(raw, "value")
            if not text:
                return {}
            try:
                return self._number_only(text)
            except mt.NumberError as exc:
                raise ValidationError(exc.message) from None
        text = mt.clean_text_response(raw, "text")
        return {"text": text} if text else {}

    @staticmethod
    def _number_only(text: str) -> dict[str, str]:
        # Embedded numerical answers take no units (as in Moodle).
        number, unit = mt.split_number(text)
        if unit:
            raise mt.NumberError(mt.NUMBER_ONLY)
        return {"value": number}

    def is_answered(self, question: Question, variant: Mapping[str, Any], response: Mapping[str, Any]) -> bool:
        parts = response.get("parts") if isinstance(response, Mapping) else None
        return isinstance(parts, Mapping) and bool(parts)

    # --- grading ------------------------------------------------------------------------------------------------
    def grade(self, question: Question, variant: Mapping[str, Any], response: Mapping[str, Any]) -> Grade:
        entries = response.get("parts") if isinstance(response, Mapping) else None
        entries = entries if isinstance(entries, Mapping) else {}
        total_weight, total = ZERO, ZERO
        feedback: list[str] = []
        answered = False
        for part in _parts(question):
            weight = Decimal(int(part.get("weight", 1)))
            total_weight += weight
            entry = entries.get(str(part.get("index")))
            graded = _part_grade(part, entry) if isinstance(entry, Mapping) else None
            if graded is None:
                continue
            answered = True
            fraction, part_feedback = graded
            total += weight * fraction
            if part_feedback:
                feedback.append(part_feedback)
        if not answered or not total_weight:
            return Grade(ZERO, "gave_up")
        fraction = clamp(total / total_weight).quantize(FRACTION_PLACES, rounding=ROUND_HALF_EVEN)
        return Grade(fraction, state_for(fraction), tuple(feedback))

    def right_answer(self, question: Question, variant: Mapping[str, Any]) -> str:
        answer = gettext("Answer")
        return "; ".join(f"{answer} {part.get('index')}: {_right(part)}" for part in _parts(question))

    def summarise_response(self, question: Question, variant: Mapping[str, Any], response: Mapping[str, Any]) -> str:
        entries = response.get("parts") if isinstance(response, Mapping) else None
        entries = entries if isinstance(entries, Mapping) else {}
        answer = gettext("Answer")
        shown = []
        for part in _parts(question):
            entry = entries.get(str(part.get("index")))
            value = _shown(part, entry) if isinstance(entry, Mapping) else ""
            shown.append(f"{answer} {part.get('index')}: {value or '—'}")
        return "; ".join(shown)

    def search_text(self, question: Question) -> str:
        words = []
        for part in _parts(question):
            for answer in part.get("answers") or []:
                words.append(str(answer.get("text", answer.get("value", ""))))
                words.append(richtext.html_to_text(str(answer.get("feedback", ""))))
        return " ".join(w for w in words if w)


register(ClozeType())
