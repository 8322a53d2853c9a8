"""Matching: each prompt gets one answer from a select; the grade is the share of prompts matched right.

A pair with an empty prompt is a distractor (an extra wrong answer). Equal answer texts are one choice: two prompts
answered "Oxygen" offer "Oxygen" once. A variant names its choices "c1", "c2"... in the (always shuffled) order the
select shows them and keeps their texts (`choice_text`), so a choice's id says nothing about the prompt it fits.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy

from syllabus.assessment.question_types import base, choices
from syllabus.assessment.question_types.base import ZERO, Grade, Question, QuestionType, RenderContext
from syllabus.assessment.question_types.single.qtype import MARK_SYMBOLS, MARK_WORDS

if TYPE_CHECKING:
    from django.http import QueryDict

TOO_FEW_PROMPTS = "Give at least two prompts, each with the answer that matches it."
ANSWER_REQUIRED = "Pair {row}: give the answer that matches this prompt."
PAIRS_NOT_MAPPING = "Give the matches as an object of prompt ids and choice ids."
PAIR_UNKNOWN = "Match the question's prompts with its choices."


class Matching(QuestionType):
    key = "matching"
    label = gettext_lazy("Matching")
    description = gettext_lazy("The learner matches each prompt with an answer from a list.")
    template = "assessment/qtypes/matching/learner.html"
    author_template = "assessment/qtypes/matching/author.html"

    # --- authoring ----------------------------------------------------------------------------------------------
    def clean(self, data: Mapping[str, Any], *, text: str = "") -> dict[str, Any]:
        if not isinstance(data, Mapping):
            raise ValidationError({"data": choices.DATA_NOT_OBJECT})
        errors: choices.Errors = {}
        pairs: list[dict[str, Any]] = []
        for number, item in enumerate(choices.rows_of(data, "pairs", "pair", errors), start=1):
            row = f"Pair {number}"
            if not isinstance(item, Mapping):
                errors.setdefault("pairs", []).append(choices.ROW_NOT_OBJECT.format(row=row))
                continue
            prompt = choices.clean_html_part(item.get("prompt"), field="pairs", row=row, part="prompt", errors=errors)
            answer = choices.clean_plain_part(item.get("answer"), field="pairs", row=row, part="answer", errors=errors)
            if choices.is_blank_html(prompt):
                if answer:  # a distractor: an answer no prompt takes
                    pairs.append({"id": item.get("id"), "prompt": "", "answer": answer})
                continue
            if not answer:
                errors.setdefault("pairs", []).append(ANSWER_REQUIRED.format(row=number))
                continue
            pairs.append({"id": item.get("id"), "prompt": prompt, "answer": answer})
        if len(pairs) > choices.MAX_ROWS:
            errors.setdefault("pairs", []).append(choices.TOO_MANY_ROWS.format(limit=choices.MAX_ROWS, noun="pair"))
        elif sum(1 for pair in pairs if pair["prompt"]) < 2:
            errors.setdefault("pairs", []).append(TOO_FEW_PROMPTS)
        shuffle = choices.clean_flag(data, "shuffle", default=True, errors=errors, label="Shuffle the prompts")
        choices.raise_if(errors)
        return {"pairs": choices.assign_ids(pairs, "p"), "shuffle": shuffle}

    def default_data(self) -> dict[str, Any]:
        return {"pairs": [], "shuffle": True}

    def data_from_form(self, post: QueryDict, *, prefix: str = "") -> dict[str, Any]:
        return {
            "pairs": choices.posted_rows(post, prefix, "pairs", ("id", "prompt", "answer")),
            "shuffle": post.get(f"{prefix}shuffle") == "on",
        }

    def render_author(
        self, *, data: Mapping[str, Any], errors: Mapping[str, list[str]] | None = None, prefix: str = ""
    ) -> SafeString:
        data = data if isinstance(data, Mapping) else {}
        given = data.get("pairs")
        items = [item for item in given if isinstance(item, Mapping)] if isinstance(given, list) else []
        rows = [
            {
                "id": item.get("id") if isinstance(item.get("id"), str) else "",
                "prompt": choices.as_text(item.get("prompt")) or "",
                "answer": choices.as_text(item.get("answer")) or "",
            }
            for item in items[: choices.MAX_ROWS * 2]
        ]
        rows += [{"id": "", "prompt": "", "answer": ""} for _ in range(choices.spare_rows(len(rows)))]
        for index, row in enumerate(rows):
            row.update(index=index, number=index + 1, html_id=f"{prefix}pairs-{index}")
        context = {
            "qtype": self,
            "prefix": prefix,
            "errors": errors or {},
            "rows": rows,
            "shuffle": data.get("shuffle", True) is not False,
        }
        return mark_safe(render_to_string(self.author_template, context))  # autoescaped template

    # --- learners -----------------------------------------------------------------------------------------------
    def prompts(self, question: Question, variant: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        """The pairs with a prompt, in the attempt's order."""
        rows = [p for p in question.data.get("pairs", []) if isinstance(p, Mapping) and p.get("prompt")]
        return choices.in_order(rows, variant.get("prompts"))

    def choice_text(self, variant: Mapping[str, Any]) -> dict[str, str]:
        texts = variant.get("choice_text")
        if not isinstance(texts, Mapping):
            return {}
        return {key: value for key, value in texts.items() if isinstance(key, str) and isinstance(value, str)}

    def choice_ids(self, variant: Mapping[str, Any]) -> list[str]:
        texts = self.choice_text(variant)
        order = variant.get("choices")
        return [c for c in order if isinstance(c, str) and c in texts] if isinstance(order, list) else []

    def start(self, question: Question, rng: random.Random, *, shuffle: bool = True) -> dict[str, Any]:
        prompts = [str(pair["id"]) for pair in self.prompts(question, {})]
        pairs = [p for p in question.data.get("pairs", []) if isinstance(p, Mapping)]
        answers = list(dict.fromkeys(str(pair.get("answer", "")) for pair in pairs))
        # The answers are always shuffled (as in Moodle): in the authored order they would follow the prompts.
        rng.shuffle(answers)
        ids = [f"c{n}" for n in range(1, len(answers) + 1)]
        return {
            "prompts": choices.shuffled(prompts, rng, shuffle=shuffle and bool(question.data.get("shuffle", True))),
            "choices": ids,
            "choice_text": dict(zip(ids, answers, strict=True)),
        }

    def matches(self, response: Mapping[str, Any]) -> dict[str, str]:
        pairs = response.get("pairs")
        if not isinstance(pairs, Mapping):
            return {}
        return {key: value for key, value in pairs.items() if isinstance(key, str) and isinstance(value, str)}

    def render_context(self, ctx: RenderContext) -> dict[str, Any]:
        texts = self.choice_text(ctx.variant)
        options = [(choice, texts[choice]) for choice in self.choice_ids(ctx.variant)]
        chosen = self.matches(ctx.response)
        rows = []
        for index, pair in enumerate(self.prompts(ctx.question, ctx.variant), start=1):
            picked = chosen.get(pair["id"], "")
            kind = ""
            if picked and ctx.review.correctness:
                kind = "right" if texts.get(picked) == pair.get("answer") else "wrong"
            rows.append(
                {
                    "html_id": f"{ctx.prefix}pair-{index}",
                    "prompt": choices.block_html(str(pair.get("prompt", ""))),
                    "options": [(choice, text, choice == picked) for choice, text in options],
                    "mark": str(MARK_WORDS[kind]) if kind else "",
                    "mark_kind": kind,
                    "symbol": MARK_SYMBOLS.get(kind, ""),
                }
            )
        return {
            "rows": rows,
            "right_answer": self.right_answer(ctx.question, ctx.variant) if ctx.review.right_answer else "",
        }

    def response_from_form(self, question: Question, variant: Mapping[str, Any], post: QueryDict, prefix: str) -> Any:
        pairs = {}
        for index, pair in enumerate(self.prompts(question, variant), start=1):
            raw = post.get(f"{prefix}pair-{index}")
            if raw:
                pairs[str(pair["id"])] = raw
        return {"pairs": pairs}

    def clean_response(self, question: Question, variant: Mapping[str, Any], raw: Any) -> dict[str, Any]:
        response = base.as_response(raw)
        choices.only_keys(response, {"pairs"})
        pairs = response.get("pairs")
        if pairs is None:
            return {}
        if not isinstance(pairs, Mapping) or len(pairs) > choices.MAX_ROWS * 2:
            raise ValidationError({"pairs": PAIRS_NOT_MAPPING})
        prompts = [str(pair["id"]) for pair in self.prompts(question, variant)]
        choice_ids = set(self.choice_ids(variant))
        cleaned: dict[str, str] = {}
        for key, value in pairs.items():
            if value is None or value == "":
                continue  # a prompt left unanswered
            if key not in prompts or not isinstance(value, str) or value not in choice_ids:
                raise ValidationError({"pairs": PAIR_UNKNOWN})
            cleaned[key] = value
        # In the attempt's order: equal responses are stored equal.
        ordered = {key: cleaned[key] for key in prompts if key in cleaned}
        return {"pairs": ordered} if ordered else {}

    # --- grading ------------------------------------------------------------------------------------------------
    def grade(self, question: Question, variant: Mapping[str, Any], response: Mapping[str, Any]) -> Grade:
        prompts = self.prompts(question, variant)
        chosen = self.matches(response)
        if not prompts or not any(pair["id"] in chosen for pair in prompts):
            return Grade(ZERO, "gave_up")
        texts = self.choice_text(variant)
        right = sum(1 for pair in prompts if texts.get(chosen.get(pair["id"], "")) == pair.get("answer"))
        fraction = choices.ratio(right, len(prompts))
        return Grade(fraction, base.state_for(fraction))

    def right_answer(self, question: Question, variant: Mapping[str, Any]) -> str:
        return "; ".join(
            f"{choices.plain(str(pair.get('prompt', '')))} → {pair.get('answer', '')}"
            for pair in self.prompts(question, variant)
        )

    def summarise_response(self, question: Question, variant: Mapping[str, Any], response: Mapping[str, Any]) -> str:
        texts = self.choice_text(variant)
        chosen = self.matches(response)
        return "; ".join(
            f"{choices.plain(str(pair.get('prompt', '')))} → {texts[chosen[pair['id']]]}"
            for pair in self.prompts(question, variant)
            if chosen.get(pair["id"]) in texts
        )

    def random_guess_score(self, question: Question) -> float | None:
        """Moodle's match: one over the number of choices (equal answer texts are one choice, distractors count)."""
        pairs = [p for p in question.data.get("pairs", []) if isinstance(p, Mapping)]
        answers = {str(pair.get("answer", "")) for pair in pairs}
        return 1 / len(answers) if answers else None

    def search_text(self, question: Question) -> str:
        parts = []
        for pair in question.data.get("pairs", []):
            if isinstance(pair, Mapping):
                parts += [choices.plain(str(pair.get("prompt", ""))), str(pair.get("answer", ""))]
        return "\n".join(part for part in parts if part)


base.register(Matching())
