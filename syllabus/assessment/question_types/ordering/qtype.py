"""Ordering: the learner puts items in order, giving each a position from a select (no dragging needed).

`items` are stored in the right order. Grading modes:
- `all_or_nothing`: 1 when the whole order is right, else 0;
- `absolute_position`: items in their right position / number of items;
- `relative_next`: items directly followed by their right successor / (number of items − 1).
The variant's order is always shuffled (an ordering question in its right order is no question) and never starts
in the right order. Selects are named by the item's place in that shuffled order, never by its id.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy

from syllabus.assessment.question_types import base, choices
from syllabus.assessment.question_types.base import ONE, ZERO, Grade, Question, QuestionType, RenderContext
from syllabus.assessment.question_types.single.qtype import MARK_SYMBOLS, MARK_WORDS

if TYPE_CHECKING:
    from django.http import QueryDict

TOO_FEW_ITEMS = "Give at least two items to put in order."
DUPLICATE_ITEM = "Item {row}: another item has the same text; the learner could not tell them apart."
GRADING_INVALID = "Choose how to grade: all or nothing, by absolute position, or by the next item."
ORDER_NOT_PERMUTATION = "Give every item its own position: the order must list each item exactly once."

GRADINGS = (
    ("all_or_nothing", gettext_lazy("All or nothing: full marks only for the whole order right")),
    ("absolute_position", gettext_lazy("Absolute position: a share for each item in its right position")),
    ("relative_next", gettext_lazy("Next item: a share for each item followed by its right next item")),
)
DEFAULT_GRADING = "absolute_position"


class Ordering(QuestionType):
    key = "ordering"
    label = gettext_lazy("Ordering")
    description = gettext_lazy("The learner puts items in the right order.")
    template = "assessment/qtypes/ordering/learner.html"
    author_template = "assessment/qtypes/ordering/author.html"

    # --- authoring ----------------------------------------------------------------------------------------------
    def clean(self, data: Mapping[str, Any], *, text: str = "") -> dict[str, Any]:
        if not isinstance(data, Mapping):
            raise ValidationError({"data": choices.DATA_NOT_OBJECT})
        errors: choices.Errors = {}
        items: list[dict[str, Any]] = []
        seen: set[str] = set()
        for number, item in enumerate(choices.rows_of(data, "items", "item", errors), start=1):
            row = f"Item {number}"
            if not isinstance(item, Mapping):
                errors.setdefault("items", []).append(choices.ROW_NOT_OBJECT.format(row=row))
                continue
            html = choices.clean_html_part(item.get("text"), field="items", row=row, part="text", errors=errors)
            if choices.is_blank_html(html):
                continue
            words = choices.plain(html).casefold()
            if words in seen:
                errors.setdefault("items", []).append(DUPLICATE_ITEM.format(row=number))
            seen.add(words)
            items.append({"id": item.get("id"), "text": html})
        if len(items) > choices.MAX_ROWS:
            errors.setdefault("items", []).append(choices.TOO_MANY_ROWS.format(limit=choices.MAX_ROWS, noun="item"))
        elif len(items) < 2:
            errors.setdefault("items", []).append(TOO_FEW_ITEMS)
        grading = data.get("grading") or DEFAULT_GRADING
        if grading not in {key for key, _ in GRADINGS}:
            errors["grading"] = [GRADING_INVALID]
        choices.raise_if(errors)
        return {"items": choices.assign_ids(items, "i"), "grading": grading}

    def default_data(self) -> dict[str, Any]:
        return {"items": [], "grading": DEFAULT_GRADING}

    def data_from_form(self, post: QueryDict, *, prefix: str = "") -> dict[str, Any]:
        return {
            "items": choices.posted_rows(post, prefix, "items", ("id", "text")),
            "grading": post.get(f"{prefix}grading", ""),
        }

    def render_author(
        self, *, data: Mapping[str, Any], errors: Mapping[str, list[str]] | None = None, prefix: str = ""
    ) -> SafeString:
        data = data if isinstance(data, Mapping) else {}
        given = data.get("items")
        items = [item for item in given if isinstance(item, Mapping)] if isinstance(given, list) else []
        rows = [
            {
                "id": item.get("id") if isinstance(item.get("id"), str) else "",
                "text": choices.as_text(item.get("text")) or "",
            }
            for item in items[: choices.MAX_ROWS * 2]
        ]
        rows += [{"id": "", "text": ""} for _ in range(choices.spare_rows(len(rows)))]
        for index, row in enumerate(rows):
            row.update(index=index, number=index + 1, html_id=f"{prefix}items-{index}")
        grading = data.get("grading") or DEFAULT_GRADING
        context = {
            "qtype": self,
            "prefix": prefix,
            "errors": errors or {},
            # Not `errors.items` in the template: that is the dict's method when the key is missing.
            "item_errors": list((errors or {}).get("items", [])),
            "rows": rows,
            "gradings": [(key, label, key == grading) for key, label in GRADINGS],
        }
        return mark_safe(render_to_string(self.author_template, context))  # autoescaped template

    # --- learners -----------------------------------------------------------------------------------------------
    def items(self, question: Question) -> list[Mapping[str, Any]]:
        """The items in their right order."""
        return choices.in_order([i for i in question.data.get("items", []) if isinstance(i, Mapping)], [])

    def shown(self, question: Question, variant: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        """The items in the attempt's shuffled order (the order the selects are named by)."""
        return choices.in_order(self.items(question), variant.get("order"))

    def start(self, question: Question, rng: random.Random, *, shuffle: bool = True) -> dict[str, Any]:
        right = [str(item["id"]) for item in self.items(question)]
        order = list(right)
        for _ in range(10):
            rng.shuffle(order)
            if order != right or len(order) < 2:
                break
        if order == right and len(order) > 1:
            order = order[1:] + order[:1]  # ten unlucky draws of a two-item list: move the first to the end
        return {"order": order}

    def current(self, question: Question, variant: Mapping[str, Any], response: Mapping[str, Any]) -> list[str]:
        """The learner's order, or the shown order before they answer."""
        shown = [str(item["id"]) for item in self.shown(question, variant)]
        order = response.get("order")
        if isinstance(order, list) and sorted(map(str, order)) == sorted(shown):
            return [str(i) for i in order]
        return shown

    def marks(self, question: Question, order: list[str]) -> dict[str, str]:
        """Per item: "right"/"wrong" as the grading mode sees it (relative_next: the last item gets none)."""
        right = [str(item["id"]) for item in self.items(question)]
        place = {item_id: index for index, item_id in enumerate(right)}
        if question.data.get("grading") == "relative_next":
            return {
                item_id: "right" if item_id in place and place.get(nxt) == place[item_id] + 1 else "wrong"
                for item_id, nxt in itertools.pairwise(order)
            }
        return {item_id: "right" if place.get(item_id) == index else "wrong" for index, item_id in enumerate(order)}

    def render_context(self, ctx: RenderContext) -> dict[str, Any]:
        shown = self.shown(ctx.question, ctx.variant)
        select_of = {str(item["id"]): index for index, item in enumerate(shown, start=1)}
        by_id = {str(item["id"]): item for item in shown}
        order = self.current(ctx.question, ctx.variant, ctx.response)
        marks = self.marks(ctx.question, order) if ctx.review.correctness and ctx.response.get("order") else {}
        rows = []
        for position, item_id in enumerate(order, start=1):
            kind = marks.get(item_id, "")
            html_id = f"{ctx.prefix}position-{select_of[item_id]}"
            rows.append(
                {
                    "html_id": html_id,
                    "text": choices.inline_html(str(by_id[item_id].get("text", ""))),
                    "positions": [(n, n == position) for n in range(1, len(order) + 1)],
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
        shown = self.shown(question, variant)
        posted = [post.get(f"{prefix}position-{index}") for index in range(1, len(shown) + 1)]
        if all(raw is None for raw in posted):
            return {}
        # Each item claims the slot of its position; a clash or a missing position leaves a slot empty, which
        # `clean_response` refuses with a message, rather than guessing what the learner meant.
        slots = [""] * len(shown)
        for item, raw in zip(shown, posted, strict=True):
            index = choices.position_of(raw, len(shown))
            if index is not None and not slots[index]:
                slots[index] = str(item["id"])
        return {"order": slots}

    def clean_response(self, question: Question, variant: Mapping[str, Any], raw: Any) -> dict[str, Any]:
        response = base.as_response(raw)
        choices.only_keys(response, {"order"})
        order = response.get("order")
        if order is None:
            return {}
        ids = [str(item["id"]) for item in self.items(question)]
        if (
            not isinstance(order, list)
            or len(order) != len(ids)
            or any(not isinstance(i, str) for i in order)
            or sorted(order) != sorted(ids)
        ):
            raise ValidationError({"order": ORDER_NOT_PERMUTATION})
        return {"order": list(order)}

    # --- grading ------------------------------------------------------------------------------------------------
    def grade(self, question: Question, variant: Mapping[str, Any], response: Mapping[str, Any]) -> Grade:
        right = [str(item["id"]) for item in self.items(question)]
        order = response.get("order")
        if not isinstance(order, list) or sorted(map(str, order)) != sorted(right) or not right:
            return Grade(ZERO, "gave_up")
        order = [str(i) for i in order]
        grading = question.data.get("grading", DEFAULT_GRADING)
        if grading == "all_or_nothing":
            fraction = ONE if order == right else ZERO
        elif grading == "relative_next":
            marks = self.marks(question, order)
            fraction = choices.ratio(sum(1 for kind in marks.values() if kind == "right"), len(right) - 1)
        else:
            marks = self.marks(question, order)
            fraction = choices.ratio(sum(1 for kind in marks.values() if kind == "right"), len(right))
        return Grade(fraction, base.state_for(fraction))

    def _numbered(self, question: Question, ids: list[str]) -> str:
        by_id = {str(item["id"]): item for item in self.items(question)}
        return "; ".join(
            f"{n}. {choices.plain(str(by_id[i].get('text', '')))}" for n, i in enumerate(ids, start=1) if i in by_id
        )

    def right_answer(self, question: Question, variant: Mapping[str, Any]) -> str:
        return self._numbered(question, [str(item["id"]) for item in self.items(question)])

    def summarise_response(self, question: Question, variant: Mapping[str, Any], response: Mapping[str, Any]) -> str:
        order = response.get("order")
        return self._numbered(question, [str(i) for i in order]) if isinstance(order, list) else ""

    def search_text(self, question: Question) -> str:
        return "\n".join(choices.plain(str(item.get("text", ""))) for item in self.items(question))


base.register(Ordering())
