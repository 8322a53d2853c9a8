"""Select missing words: the question text holds gap markers `[[n]]` (n = the row number of the right choice); each
gap becomes a select offering the choices of the right choice's group. Grade: right gaps / gaps.

The type draws the question text itself (`renders_text`): the page shows this type's HTML instead of the text.
A select's option values are positions in the attempt's (shuffled) list of the group's texts — never choice
numbers, which authors usually write in gap order. Two choices with the same text in one group are one option, and
either is right where one of them is (grading compares texts).
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, gettext_lazy

from syllabus.assessment.question_types import base, choices
from syllabus.assessment.question_types.base import ZERO, Grade, Question, QuestionType, RenderContext
from syllabus.assessment.question_types.single.qtype import MARK_SYMBOLS, MARK_WORDS
from syllabus.catalog.richtext import sanitize_html

if TYPE_CHECKING:
    from django.http import QueryDict

NO_GAPS = "Put at least one gap in the question text: [[1]] stands for the choice in row 1."
GAP_MISSING_CHOICE = "The gap [[{number}]] names choice {number}, which does not exist."
TOO_MANY_GAPS = "Use at most {limit} gaps."
CHOICE_BLANK = "Choice {row}: write its text (gaps name choices by row number, so rows cannot be skipped)."
GROUP_INVALID = "Choice {row}: the group is a number from 1 to {limit}."
GAPS_NOT_MAPPING = "Give the answers as an object of gap numbers and choice numbers."
GAP_UNKNOWN = "Answer the question's gaps with the choices they offer."

GROUPS = 20
MAX_GAPS = 100
# A tag with its attributes (quoted values may hold ">"): markers are gaps only in the text between tags.
_TAG = re.compile(r"""(<(?:[^>"']|"[^"]*"|'[^']*')*>)""")
_GAP = re.compile(r"\[\[(\d{1,4})\]\]")


def split_text(html: str) -> list[str | int]:
    """The text as HTML pieces and gaps: ["<p>The ", 3, " sat.</p>"] (a gap is its choice number)."""
    pieces: list[str | int] = []
    for part in _TAG.split(html or ""):
        if part.startswith("<"):
            pieces.append(part)
            continue
        for index, chunk in enumerate(_GAP.split(part)):
            pieces.append(int(chunk) if index % 2 else chunk)
    return [piece for piece in pieces if piece != ""]


def gap_numbers(html: str) -> list[int]:
    """The choice number of each gap, in the text's order."""
    return [piece for piece in split_text(html) if isinstance(piece, int)]


class GapSelect(QuestionType):
    key = "gapselect"
    label = gettext_lazy("Select missing words")
    description = gettext_lazy("The learner fills each gap in the text by choosing a word from a list.")
    template = "assessment/qtypes/gapselect/learner.html"
    author_template = "assessment/qtypes/gapselect/author.html"
    # The question text is drawn by `render`, with its gaps as selects.
    renders_text: ClassVar[bool] = True
    row_parts: ClassVar[tuple[str, ...]] = ("text", "group")

    # --- authoring ----------------------------------------------------------------------------------------------
    def clean(self, data: Mapping[str, Any], *, text: str = "") -> dict[str, Any]:
        if not isinstance(data, Mapping):
            raise ValidationError({"data": choices.DATA_NOT_OBJECT})
        errors: choices.Errors = {}
        rows = choices.rows_of(data, "choices", "choice", errors)
        # Spare rows at the end of the form are dropped; a blank row before a filled one would renumber the rest.
        while rows and isinstance(rows[-1], Mapping) and self.is_spare(rows[-1]):
            rows.pop()
        cleaned: list[dict[str, Any]] = []
        for number, item in enumerate(rows, start=1):
            row = f"Choice {number}"
            if not isinstance(item, Mapping):
                errors.setdefault("choices", []).append(choices.ROW_NOT_OBJECT.format(row=row))
                continue
            words = choices.clean_plain_part(item.get("text"), field="choices", row=row, part="text", errors=errors)
            if not words:
                errors.setdefault("choices", []).append(CHOICE_BLANK.format(row=number))
            cleaned.append({"text": words, "group": self.clean_group(item.get("group"), number, errors)})
            self.clean_row(cleaned[-1], item, number, errors)
        if len(cleaned) > choices.MAX_ROWS:
            errors.setdefault("choices", []).append(choices.TOO_MANY_ROWS.format(limit=choices.MAX_ROWS, noun="choice"))
        gaps = gap_numbers(text)
        if not gaps:
            errors.setdefault("text", []).append(NO_GAPS)
        elif len(gaps) > MAX_GAPS:
            errors.setdefault("text", []).append(TOO_MANY_GAPS.format(limit=MAX_GAPS))
        for number in dict.fromkeys(gaps):
            if not 1 <= number <= len(cleaned):
                errors.setdefault("text", []).append(GAP_MISSING_CHOICE.format(number=number))
        shuffle = choices.clean_flag(data, "shuffle", default=True, errors=errors, label="Shuffle the choices")
        if not errors:
            self.check_gaps(cleaned, gaps, errors)
        choices.raise_if(errors)
        return {"choices": cleaned, "shuffle": shuffle}

    def is_spare(self, row: Mapping[str, Any]) -> bool:
        text = choices.as_text(row.get("text"))
        return text is not None and not text.strip()

    def clean_group(self, raw: Any, row: int, errors: choices.Errors) -> int:
        if raw is None or raw == "":
            return 1
        group = choices.small_int(raw)
        if group is None or not 1 <= group <= GROUPS:
            errors.setdefault("choices", []).append(GROUP_INVALID.format(row=row, limit=GROUPS))
            return 1
        return group

    def clean_row(self, cleaned: dict[str, Any], item: Mapping[str, Any], row: int, errors: choices.Errors) -> None:
        """The type's own parts of a choice row (ddwtos: `infinite`)."""

    def check_gaps(self, rows: list[dict[str, Any]], gaps: list[int], errors: choices.Errors) -> None:
        """Checks of the choices against the gaps (ddwtos: a choice used once cannot fill two gaps)."""

    def default_data(self) -> dict[str, Any]:
        return {"choices": [], "shuffle": True}

    def data_from_form(self, post: QueryDict, *, prefix: str = "") -> dict[str, Any]:
        return {
            "choices": choices.posted_rows(post, prefix, "choices", self.row_parts),
            "shuffle": post.get(f"{prefix}shuffle") == "on",
        }

    def author_row(self, item: Mapping[str, Any]) -> dict[str, Any]:
        group = choices.as_text(item.get("group")) or "1"
        return {"text": choices.as_text(item.get("text")) or "", "group": group}

    def render_author(
        self, *, data: Mapping[str, Any], errors: Mapping[str, list[str]] | None = None, prefix: str = ""
    ) -> SafeString:
        data = data if isinstance(data, Mapping) else {}
        given = data.get("choices")
        items = [item for item in given if isinstance(item, Mapping)] if isinstance(given, list) else []
        rows = [self.author_row(item) for item in items[: choices.MAX_ROWS * 2]]
        rows += [self.author_row({}) for _ in range(choices.spare_rows(len(rows), extra=3))]
        for index, row in enumerate(rows):
            row.update(
                index=index,
                number=index + 1,
                html_id=f"{prefix}choices-{index}",
                groups=[(str(n), str(n) == row["group"]) for n in range(1, GROUPS + 1)],
            )
        context = {
            "qtype": self,
            "prefix": prefix,
            "errors": errors or {},
            "rows": rows,
            "shuffle": data.get("shuffle", True) is not False,
        }
        return mark_safe(render_to_string(self.author_template, context))  # autoescaped template

    # --- learners -----------------------------------------------------------------------------------------------
    def rows(self, question: Question) -> list[Mapping[str, Any]]:
        rows = question.data.get("choices", [])
        return [row for row in rows if isinstance(row, Mapping)] if isinstance(rows, list) else []

    def start(self, question: Question, rng: random.Random, *, shuffle: bool = True) -> dict[str, Any]:
        by_group: dict[str, list[int]] = {}
        for number, row in enumerate(self.rows(question), start=1):
            by_group.setdefault(str(row.get("group", 1)), []).append(number)
        mix = shuffle and bool(question.data.get("shuffle", True))
        return {"choices_by_group": {g: choices.shuffled(numbers, rng, shuffle=mix) for g, numbers in by_group.items()}}

    def group_numbers(self, question: Question, variant: Mapping[str, Any], group: str) -> list[int]:
        """The choice numbers of a group in the attempt's order (any the variant misses at the end)."""
        rows = self.rows(question)
        numbers = [n for n, row in enumerate(rows, start=1) if str(row.get("group", 1)) == group]
        by_group = variant.get("choices_by_group")
        given = by_group.get(group) if isinstance(by_group, Mapping) else None
        order = [n for n in given if n in numbers] if isinstance(given, list) else []
        return list(dict.fromkeys(order + numbers))

    def gap_options(self, question: Question, variant: Mapping[str, Any], gap_choice: int) -> list[str]:
        """The distinct texts a gap offers, in the attempt's order (position k in the HTML is texts[k - 1])."""
        rows = self.rows(question)
        group = str(rows[gap_choice - 1].get("group", 1))
        numbers = self.group_numbers(question, variant, group)
        return list(dict.fromkeys(str(rows[n - 1].get("text", "")) for n in numbers))

    def valid_gaps(self, question: Question) -> list[int]:
        """The choice number of each gap, skipping any that names no choice (a hand-made version)."""
        count = len(self.rows(question))
        return [n for n in gap_numbers(question.text) if 1 <= n <= count]

    def answers(self, response: Mapping[str, Any]) -> dict[int, int]:
        gaps = response.get("gaps")
        if not isinstance(gaps, Mapping):
            return {}
        found = {}
        for key, value in gaps.items():
            index = choices.small_int(key) if isinstance(key, str) else None
            if index is not None and isinstance(value, int) and not isinstance(value, bool):
                found[index] = value
        return found

    def render_context(self, ctx: RenderContext) -> dict[str, Any]:
        rows = self.rows(ctx.question)
        answers = self.answers(ctx.response)
        gaps = self.valid_gaps(ctx.question)
        pieces: list[dict[str, Any]] = []
        index = 0
        for piece in split_text(sanitize_html(ctx.question.text)):
            if isinstance(piece, str):
                pieces.append({"html": mark_safe(piece)})  # a piece of sanitised HTML
                continue
            if not 1 <= piece <= len(rows):
                pieces.append({"html": f"[[{piece}]]"})
                continue
            index += 1
            texts = self.gap_options(ctx.question, ctx.variant, piece)
            group = str(rows[piece - 1].get("group", 1))
            picked = answers.get(index)
            picked_text = str(rows[picked - 1].get("text", "")) if picked and 1 <= picked <= len(rows) else None
            kind = ""
            if picked_text is not None and ctx.review.correctness:
                kind = "right" if picked_text == rows[piece - 1].get("text") else "wrong"
            pieces.append(
                {
                    "gap": {
                        "html_id": f"{ctx.prefix}gap-{index}",
                        "label": gettext("Gap {number} of {count}").format(number=index, count=len(gaps)),
                        "options": [
                            (str(k), self.option_label(rows, group, text), text == picked_text)
                            for k, text in enumerate(texts, start=1)
                        ],
                        "mark": str(MARK_WORDS[kind]) if kind else "",
                        "mark_kind": kind,
                        "symbol": MARK_SYMBOLS.get(kind, ""),
                    }
                }
            )
        return {
            "pieces": pieces,
            "instruction": self.instruction(),
            "right_answer": self.right_answer(ctx.question, ctx.variant) if ctx.review.right_answer else "",
        }

    def option_label(self, rows: list[Mapping[str, Any]], group: str, text: str) -> str:
        """How a choice reads in a gap's select (ddwtos adds how often it may be used)."""
        return text

    def instruction(self) -> str:
        return gettext("Choose the missing word for each gap.")

    def response_from_form(self, question: Question, variant: Mapping[str, Any], post: QueryDict, prefix: str) -> Any:
        rows = self.rows(question)
        used: set[int] = set()
        gaps: dict[str, Any] = {}
        for index, gap_choice in enumerate(self.valid_gaps(question), start=1):
            raw = post.get(f"{prefix}gap-{index}")
            if not raw:
                continue
            texts = self.gap_options(question, variant, gap_choice)
            position = choices.position_of(raw, len(texts))
            if position is None:
                gaps[str(index)] = raw  # not a position: `clean_response` refuses it
                continue
            group = str(rows[gap_choice - 1].get("group", 1))
            same = [
                n for n in self.group_numbers(question, variant, group) if rows[n - 1].get("text") == texts[position]
            ]
            number = self.pick(rows, same, used)
            used.add(number)
            gaps[str(index)] = number
        return {"gaps": gaps}

    def pick(self, rows: list[Mapping[str, Any]], same: list[int], used: set[int]) -> int:
        """Which of the choices sharing the chosen text a gap takes (gapselect: the first)."""
        return same[0]

    def clean_response(self, question: Question, variant: Mapping[str, Any], raw: Any) -> dict[str, Any]:
        response = base.as_response(raw)
        choices.only_keys(response, {"gaps"})
        gaps = response.get("gaps")
        if gaps is None:
            return {}
        if not isinstance(gaps, Mapping) or len(gaps) > MAX_GAPS:
            raise ValidationError({"gaps": GAPS_NOT_MAPPING})
        rows = self.rows(question)
        gap_choices = self.valid_gaps(question)
        cleaned: dict[int, int] = {}
        for key, value in gaps.items():
            if value is None or value == "":
                continue
            index = (choices.small_int(key) if isinstance(key, str) else None) or 0
            number = choices.small_int(value)
            if not 1 <= index <= len(gap_choices) or number is None or not 1 <= number <= len(rows):
                raise ValidationError({"gaps": GAP_UNKNOWN})
            group = str(rows[gap_choices[index - 1] - 1].get("group", 1))
            if str(rows[number - 1].get("group", 1)) != group:
                raise ValidationError({"gaps": GAP_UNKNOWN})
            cleaned[index] = number
        self.check_response(rows, cleaned)
        return {"gaps": {str(index): cleaned[index] for index in sorted(cleaned)}} if cleaned else {}

    def check_response(self, rows: list[Mapping[str, Any]], answers: Mapping[int, int]) -> None:
        """Type-specific checks of a response (ddwtos: a choice used once is in one gap only)."""

    # --- grading ------------------------------------------------------------------------------------------------
    def grade(self, question: Question, variant: Mapping[str, Any], response: Mapping[str, Any]) -> Grade:
        rows = self.rows(question)
        gaps = self.valid_gaps(question)
        answers = self.answers(response)
        if not gaps or not any(1 <= index <= len(gaps) for index in answers):
            return Grade(ZERO, "gave_up")
        right = 0
        for index, gap_choice in enumerate(gaps, start=1):
            picked = answers.get(index)
            if picked is None or not 1 <= picked <= len(rows):
                continue
            want, got = rows[gap_choice - 1], rows[picked - 1]
            if got.get("text") == want.get("text") and str(got.get("group", 1)) == str(want.get("group", 1)):
                right += 1
        fraction = choices.ratio(right, len(gaps))
        return Grade(fraction, base.state_for(fraction))

    def right_answer(self, question: Question, variant: Mapping[str, Any]) -> str:
        rows = self.rows(question)
        return " ".join("{" + str(rows[n - 1].get("text", "")) + "}" for n in self.valid_gaps(question))

    def summarise_response(self, question: Question, variant: Mapping[str, Any], response: Mapping[str, Any]) -> str:
        rows = self.rows(question)
        answers = self.answers(response)
        if not answers:
            return ""
        parts = []
        for index in range(1, len(self.valid_gaps(question)) + 1):
            picked = answers.get(index)
            text = str(rows[picked - 1].get("text", "")) if picked and 1 <= picked <= len(rows) else ""
            parts.append("{" + text + "}")
        return " ".join(parts)

    def random_guess_score(self, question: Question) -> float | None:
        """Moodle's gapselect (and ddwtos, which shares it): the mean over the gaps of one over the number of
        choices the gap offers (the distinct texts of its group)."""
        rows = self.rows(question)
        gaps = self.valid_gaps(question)
        if not gaps:
            return None
        total = 0.0
        for gap in gaps:
            group = str(rows[gap - 1].get("group", 1))
            texts = {str(row.get("text", "")) for row in rows if str(row.get("group", 1)) == group}
            total += 1 / len(texts)
        return total / len(gaps)

    def search_text(self, question: Question) -> str:
        return "\n".join(str(row.get("text", "")) for row in self.rows(question) if row.get("text"))


base.register(GapSelect())
