"""Drag and drop into text: select missing words whose choices may be limited to one use (`infinite` False).

The keyboard path is the one path: each gap is a native select (gapselect's rendering), and a limited word's label
says how often it may still be placed, as the vanishing tiles of a drag-and-drop would. A response that puts a
limited word in more gaps than it has copies is refused with a message; the author form refuses a question whose
right answers would need a limited word more often than it exists.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext, gettext_lazy, ngettext

from syllabus.assessment.question_types import base, choices
from syllabus.assessment.question_types.gapselect.qtype import GapSelect

if TYPE_CHECKING:
    from django.http import QueryDict

INFINITE_INVALID = "Choice {row}: “Unlimited” is yes or no."
CHOICE_OVERUSED = (
    "Choice {row} (“{text}”) is the answer to {count} gaps but may be used {uses} time(s): tick “Unlimited” or add "
    "more choices with the same text."
)
CHOICE_USED_TOO_OFTEN = "“{text}” can fill at most {uses} gap(s)."


def _key(row: Mapping[str, Any]) -> tuple[str, str]:
    return (str(row.get("group", 1)), str(row.get("text", "")))


def _uses(rows: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str], int | None]:
    """How many gaps each (group, text) may fill: None for unlimited."""
    uses: dict[tuple[str, str], int | None] = {}
    for row in rows:
        key = _key(row)
        if row.get("infinite") is True or uses.get(key, 0) is None:
            uses[key] = None
        else:
            uses[key] = (uses.get(key) or 0) + 1
    return uses


class DragIntoText(GapSelect):
    key = "ddwtos"
    label = gettext_lazy("Drag and drop into text")
    description = gettext_lazy("The learner places words into the gaps of a text; a word may be usable only once.")
    template = "assessment/qtypes/ddwtos/learner.html"
    author_template = "assessment/qtypes/ddwtos/author.html"
    row_parts = ("text", "group", "infinite")

    def clean_row(self, cleaned: dict[str, Any], item: Mapping[str, Any], row: int, errors: choices.Errors) -> None:
        infinite = item.get("infinite", False)
        if infinite is None:
            infinite = False
        if not isinstance(infinite, bool):
            errors.setdefault("choices", []).append(INFINITE_INVALID.format(row=row))
            infinite = False
        cleaned["infinite"] = infinite

    def check_gaps(self, rows: list[dict[str, Any]], gaps: list[int], errors: choices.Errors) -> None:
        uses = _uses(rows)
        needed = Counter(_key(rows[number - 1]) for number in gaps)
        for key, count in needed.items():
            allowed = uses.get(key)
            if allowed is not None and count > allowed:
                row = next(n for n, r in enumerate(rows, start=1) if _key(r) == key)
                errors.setdefault("choices", []).append(
                    CHOICE_OVERUSED.format(row=row, text=key[1], count=count, uses=allowed)
                )

    def data_from_form(self, post: QueryDict, *, prefix: str = "") -> dict[str, Any]:
        data = super().data_from_form(post, prefix=prefix)
        for row in data["choices"]:
            row["infinite"] = row.get("infinite") == "on"
        return data

    def author_row(self, item: Mapping[str, Any]) -> dict[str, Any]:
        row = super().author_row(item)
        row["infinite"] = item.get("infinite") is True or item.get("infinite") == "on"
        return row

    def option_label(self, rows: list[Mapping[str, Any]], group: str, text: str) -> str:
        allowed = _uses(rows).get((group, text))
        if allowed is None:
            return text
        return ngettext("{text} (once)", "{text} (up to {count} times)", allowed).format(text=text, count=allowed)

    def instruction(self) -> str:
        return gettext("Choose the word for each gap. A word marked “once” fits in one gap only.")

    def pick(self, rows: list[Mapping[str, Any]], same: list[int], used: set[int]) -> int:
        # A limited word placed twice takes its next copy, so two gaps may both hold "the" when there are two.
        for number in same:
            if rows[number - 1].get("infinite") is True or number not in used:
                return number
        return same[0]

    def check_response(self, rows: list[Mapping[str, Any]], answers: Mapping[int, int]) -> None:
        uses = _uses(rows)
        placed = Counter(_key(rows[number - 1]) for number in answers.values())
        for key, count in placed.items():
            allowed = uses.get(key)
            if allowed is not None and count > allowed:
                raise ValidationError({"gaps": CHOICE_USED_TOO_OFTEN.format(text=key[1], uses=allowed)})


base.register(DragIntoText())
