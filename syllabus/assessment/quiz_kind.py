"""The quiz activity kind: the author's settings and slots (validated into quiz_settings.py's config shape), the
learner's summary page (rules, attempts, Start/Resume), and the completion rules fed by the attempt service's
signals ("submitted", "graded", "passed", "exhausted").

The author form is plain HTML (no script needed): the slot editor is a list of rows with a few blank rows to add
more, the review options a table of tick boxes. The same `clean` reads a form post (flat field names, marked by the
hidden `quiz_form` field) and the API's JSON (the config shape itself; absent keys keep their current value).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import re
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from syllabus.access.policy import Principal, principal_for
from syllabus.assessment import policy, rendering
from syllabus.assessment.dates import local_input as _local_input
from syllabus.assessment.dates import organization_zone, when_text
from syllabus.assessment.dates import parse_when as _parse_when
from syllabus.assessment.models import AttemptState, Difficulty, Question, QuestionBank, QuestionCategory
from syllabus.assessment.question_types import base as qtypes
from syllabus.assessment.quiz_settings import (
    BEHAVIOURS,
    DEFAULT_REVIEW,
    GRADING_METHODS,
    NAVIGATION,
    REVIEW_FLAGS,
    REVIEW_TIMES,
    QuizSettings,
    Slot,
)
from syllabus.assessment.services import attempts as attempt_services
from syllabus.catalog import richtext
from syllabus.catalog.activity_kinds import fields
from syllabus.catalog.activity_kinds.base import ActivityKind, AuthorContext, CompletionRule, LearnerContext
from syllabus.catalog.activity_kinds.page.kind import copy_html
from syllabus.core import clock
from syllabus.skills.models import Skill

if TYPE_CHECKING:
    from django.http import HttpRequest

    from syllabus.accounts.models import User
    from syllabus.catalog.models import Course

INTRO_TOO_LONG = "The introduction is too long (at most {limit} characters of HTML)."
WHOLE_NUMBER = "Enter a whole number from {low} to {high}."
TIME_LIMIT_RANGE = "Enter a time limit from 1 to {high} minutes, or leave it empty for none."
BAD_DATE = "Enter a date and time, e.g. 2026-03-02 09:30."
DATES_ORDER = "The close date must be after the open date."
PASSWORD_TOO_LONG = "Keep the password under {limit} characters."  # noqa: S105 (a message)
BAD_CHOICE = "Choose one of: {choices}."
PENALTY_RANGE = "The penalty is a fraction from 0 to 1 of the question's mark (e.g. 0.3333333)."
PASS_MARK_RANGE = "The pass mark is a percentage from 0 to 100, or empty for none."  # noqa: S105 (a message)
BAD_SLOTS = "Send the slots as a list of objects."
BAD_REVIEW = "Send the review options as an object with “immediately” and “after_close”, each of true/false flags."
TOO_MANY_SLOTS = "A quiz holds at most {limit} slots."
SLOT_TYPE = "Slot {slot}: the type is “fixed” (one question) or “random” (drawn from a pool)."
SLOT_MARK_RANGE = "Slot {slot}: the mark is a number from 0 to 1000, or empty for the question's default mark."
QUESTION_REQUIRED = "Slot {slot}: choose a question."
QUESTION_NOT_FOUND = "Slot {slot}: question {ref} is not in a bank this course's quizzes may use."
QUESTION_REPEATED = "Slot {slot}: this question is already in slot {first}."
CATEGORY_REQUIRED = "Slot {slot}: choose the category to draw questions from."
CATEGORY_NOT_FOUND = "Slot {slot}: that category is not in a bank this course's quizzes may use."
COUNT_RANGE = "Slot {slot}: draw from 1 to {high} questions."
DIFFICULTY_RANGE = "Slot {slot}: the difficulty is a whole number from 1 to 5."
DIFFICULTY_ORDER = "Slot {slot}: the minimum difficulty is above the maximum."
SKILL_NOT_FOUND = "Slot {slot}: choose skills of the organisation's framework."
TOO_MANY_TAGS = "Slot {slot}: give at most {limit} tags."
POOL_TOO_SMALL = (
    "Slot {slot}: “{category}” has {found} questions that fit (besides the quiz's fixed ones), fewer than the "
    "{count} to draw. Add questions to the bank, loosen the filters or draw fewer."
)
POOLS_TOO_SMALL = (
    "The random slots draw {count} questions in all, but their pools hold only {found} different questions that fit "
    "(besides the quiz's fixed ones): an attempt could not start. Add questions or draw fewer."
)

INTRO_LIMIT = 200_000
PASSWORD_LIMIT = 100
MAX_SLOTS = 200
MAX_ROWS = 400  # form rows read at most (slots plus blank ones)
BLANK_ROWS = 3  # empty rows offered to add slots without a script
MAX_TAGS = 20
MAX_COUNT = 100
QUESTION_SELECT_LIMIT = 500  # above this, a question is chosen by its id
PER_PAGE_MAX = 100
TIME_LIMIT_MAX = 7 * 24 * 60
ATTEMPTS_MAX = 100
DELAY_MAX = 365 * 24 * 60
TRIES_MAX = 10
MARK_MAX = Decimal(1000)
DECIMAL_PLACES = Decimal("0.0000001")

BEHAVIOUR_LABELS = {
    "deferred": _("Deferred feedback: everything is graded when the attempt is submitted"),
    "interactive": _("Interactive: the learner checks each answer and may try again, with a penalty"),
}
NAVIGATION_LABELS = {
    "free": _("Free: go to any page in any order"),
    "sequential": _("Sequential: forward only, no going back to an earlier page"),
}
GRADING_LABELS = {
    "highest": _("Highest grade"),
    "average": _("Average grade"),
    "first": _("First attempt"),
    "last": _("Last attempt"),
}
REVIEW_FLAG_LABELS = {
    "responses": _("The learner's own responses"),
    "correctness": _("Whether each answer is correct"),
    "marks": _("Marks and grade"),
    "feedback": _("Specific feedback"),
    "general_feedback": _("General feedback"),
    "right_answer": _("The right answer"),
}
REVIEW_TIME_LABELS = {"immediately": _("Until the quiz closes"), "after_close": _("After the quiz closes")}
PENALTY_CHOICES = ("0", "0.1", "0.2", "0.25", "0.3333333", "0.5", "1")
STATE_LABELS = dict(AttemptState.choices)


# The author and the errors of the form being drawn: `form_fields` has no request, but the slot editor lists only
# the banks this author may use and puts each row's errors beside it (render_author sets them for its duration).
_drawing: contextvars.ContextVar[tuple[Principal | None, Mapping[str, list[str]]]] = contextvars.ContextVar(
    "quiz_author_form", default=(None, {})
)


@contextmanager
def _drawing_for(principal: Principal | None, errors: Mapping[str, list[str]]) -> Iterator[None]:
    token = _drawing.set((principal, errors))
    try:
        yield
    finally:
        _drawing.reset(token)


# --- reading input --------------------------------------------------------------------------------------------


def _decimal_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in {"-0", "0"} else text


def _json_list(raw: Any) -> Any:
    """A list sent as JSON text in a multipart request, or as it is."""
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


@dataclass
class _RawSlot:
    """One slot as sent, before validation: from a form row or an API object."""

    index: int  # 0-based position as sent
    key: Any  # callable(field) -> the error key naming this slot's field
    type: str
    question: str = ""
    mark: str = ""
    category: str = ""
    include_subcategories: bool = False
    tags: list[str] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    min_difficulty: str = ""
    max_difficulty: str = ""
    count: str = "1"


def _form_key(index: int) -> Any:
    return lambda name: f"slot-{index}-{name}"


# The API names a slot's fields as the config does.
API_FIELDS = {"question": "question_id", "category": "category_id", "skills": "skill_ids"}


def _api_key(index: int) -> Any:
    return lambda name: f"slots[{index}].{API_FIELDS.get(name, name)}"


# An id as an author sends it: ASCII digits, few enough for the database (str.isdigit() is also true for "²", which
# int() refuses; a thousand-digit number is not an id either).
ID_DIGITS = re.compile(r"[0-9]{1,18}")


def _id(text: str) -> int | None:
    return int(text) if ID_DIGITS.fullmatch(text) else None


def _tags(raw: Any) -> list[str]:
    items = raw if isinstance(raw, (list, tuple)) else str(raw or "").split(",")
    return sorted({" ".join(str(t).split()).lower()[:60] for t in items if str(t).strip()})


def _form_slots(data: Mapping[str, Any]) -> list[_RawSlot]:
    """The slot rows of the author form, in the order shown (blank rows and ticked "remove" left out)."""
    try:
        rows = max(0, min(MAX_ROWS, int(fields.text(data, "slot_rows") or 0)))
    except ValueError:
        rows = 0
    found: list[tuple[int, int, _RawSlot]] = []
    for index in range(rows):
        name = f"slot-{index}-"
        if fields.flag(data, f"{name}remove"):
            continue
        kind = fields.text(data, f"{name}type") or "fixed"
        question = fields.text(data, f"{name}question")
        category = fields.text(data, f"{name}category")
        mark = fields.text(data, f"{name}mark")
        if kind == "fixed" and not question and not mark:
            continue  # a blank row
        pool_blank = not category and not fields.text(data, f"{name}tags") and not fields.values(data, f"{name}skills")
        if kind == "random" and pool_blank:
            continue
        try:
            order = int(fields.text(data, f"{name}order") or index + 1)
        except ValueError:
            order = index + 1
        slot = _RawSlot(
            index=index,
            key=_form_key(index),
            type=kind,
            question=question,
            mark=mark,
            category=category,
            include_subcategories=fields.flag(data, f"{name}subcategories"),
            tags=_tags(fields.text(data, f"{name}tags")),
            skills=fields.values(data, f"{name}skills"),
            min_difficulty=fields.text(data, f"{name}min_difficulty"),
            max_difficulty=fields.text(data, f"{name}max_difficulty"),
            count=fields.text(data, f"{name}count") or "1",
        )
        found.append((order, index, slot))
    return [slot for _order, _index, slot in sorted(found, key=lambda item: (item[0], item[1]))]


def _api_slots(raw: Any) -> list[_RawSlot]:
    raw = _json_list(raw)
    if not isinstance(raw, (list, tuple)) or not all(isinstance(item, Mapping) for item in raw):
        raise ValidationError({"slots": BAD_SLOTS})
    if len(raw) > MAX_SLOTS:
        raise ValidationError({"slots": TOO_MANY_SLOTS.format(limit=MAX_SLOTS)})
    out = []
    for index, item in enumerate(raw):
        skills = item.get("skill_ids") or []
        out.append(
            _RawSlot(
                index=index,
                key=_api_key(index),
                type=str(item.get("type") or "fixed"),
                question=fields.text(item, "question_id"),
                mark=fields.text(item, "mark"),
                category=fields.text(item, "category_id"),
                include_subcategories=fields.flag(item, "include_subcategories"),
                tags=_tags(item.get("tags") or []),
                skills=[str(s) for s in skills] if isinstance(skills, (list, tuple)) else [str(skills)],
                min_difficulty=fields.text(item, "min_difficulty"),
                max_difficulty=fields.text(item, "max_difficulty"),
                count=fields.text(item, "count") or "1",
            )
        )
    return out


def usable_banks(principal: Principal | None, course: Course) -> list[QuestionBank]:
    """The banks whose questions this author may put in the course's quizzes: its own bank and the shared banks
    (`policy.can_use_in_quiz`). Without a principal (no request), the course's bank and the shared ones."""
    banks = QuestionBank.objects.filter(organization_id=course.organization_id).filter(
        Q(course=course) | Q(course__isnull=True)
    )
    if principal is None:
        return list(banks)
    return [bank for bank in banks if policy.can_use_in_quiz(principal, bank, course)]


def _category_paths(bank_ids: list[int]) -> dict[int, tuple[str, int]]:
    """category id -> ("Bank › Parent › Child", bank id), for the categories of these banks (one query)."""
    rows = list(QuestionCategory.objects.filter(bank_id__in=bank_ids).select_related("bank").order_by("bank__name"))
    by_id = {c.pk: c for c in rows}
    paths: dict[int, tuple[str, int]] = {}
    for category in rows:
        names = [category.name]
        parent_id = category.parent_id
        seen = {category.pk}
        while parent_id is not None and parent_id in by_id and parent_id not in seen:
            seen.add(parent_id)
            names.append(by_id[parent_id].name)
            parent_id = by_id[parent_id].parent_id
        paths[category.pk] = (" › ".join([category.bank.name, *reversed(names)]), category.bank_id)
    return paths


# --- the kind ---------------------------------------------------------------------------------------------------


class QuizKind(ActivityKind):
    key = "quiz"
    label = _("Quiz")
    description = _("Questions from the course's bank, fixed or drawn at random, graded with rules and a pass mark.")
    signals = ("submitted", "graded", "passed", "exhausted")
    completion_rules = (
        CompletionRule("passed", _("When the learner passes"), ("passed",)),
        CompletionRule(
            "passed_or_exhausted", _("When the learner passes or has used every attempt"), ("passed", "exhausted")
        ),
        CompletionRule("graded", _("When an attempt is graded"), ("graded",)),
        CompletionRule("submitted", _("When the learner submits an attempt"), ("submitted",)),
    )
    graded = True

    def grade_max(self, config: Mapping[str, Any]) -> Decimal | None:
        """The quiz's total marks, for the gradebook's points: each slot's mark, a fixed question's default mark
        when its slot sets none (one query), 1 per drawn question of a random slot without a mark (drawn questions
        differ per attempt; the gradebook keeps percentages, so this only scales the points shown)."""
        quiz = QuizSettings.from_config(config)
        if not quiz.slots:
            return None
        unmarked = [slot.question_id for slot in quiz.slots if slot.type == "fixed" and slot.mark is None]
        defaults = dict(
            Question.objects.filter(pk__in=[q for q in unmarked if q is not None]).values_list(
                "pk", "latest__default_mark"
            )
        )
        total = Decimal(0)
        for slot in quiz.slots:
            if slot.type == "fixed":
                mark = slot.mark if slot.mark is not None else defaults.get(slot.question_id or 0)
                total += Decimal(mark if mark is not None else 1)
            else:
                total += (slot.mark if slot.mark is not None else Decimal(1)) * slot.count
        return total if total > 0 else None

    author_template = "catalog/kinds/quiz/author.html"

    # --- authoring -----------------------------------------------------------------------------------------
    def render_author(
        self,
        *,
        request: HttpRequest | None,
        current: Mapping[str, Any],
        course: Course | None,
        errors: Mapping[str, list[str]] | None = None,
    ) -> SafeString:
        principal = None
        user = getattr(request, "user", None)
        if course is not None and user is not None and user.is_authenticated:
            principal = principal_for(user, course.organization)
        with _drawing_for(principal, errors or {}):
            return super().render_author(request=request, current=current, course=course, errors=errors)

    def form_fields(self, *, current: Mapping[str, Any], course: Course | None = None) -> list[dict[str, Any]]:
        quiz = QuizSettings.from_config(current)
        zone = organization_zone(course)
        posted = "quiz_form" in current  # the form came back with an error: show what was sent

        def raw(name: str, fallback: Any) -> Any:
            return current.get(name, fallback) if current.get(name) is not None else fallback

        penalty = _decimal_text(quiz.penalty) if "penalty" not in current else str(current["penalty"])
        out: list[dict[str, Any]] = [
            {"name": "quiz_form", "type": "hidden", "value": "1", "group": ""},
            {"name": "intro", "label": _("Introduction"), "type": "richtext", "value": quiz.intro,
             "help": _("Shown on the quiz's page before the learner starts."), "group": "intro"},
            {"name": "opens_at", "label": _("Opens"), "type": "datetime", "group": "timing",
             "value": _local_input(raw("opens_at", ""), zone),
             "help": _("Empty: open as soon as the course is. Time zone: %(zone)s.") % {"zone": zone.key}},
            {"name": "closes_at", "label": _("Closes"), "type": "datetime", "group": "timing",
             "value": _local_input(raw("closes_at", ""), zone),
             "help": _("Empty: never closes. A running attempt is submitted at this time. Time zone: %(zone)s.")
             % {"zone": zone.key}},
            {"name": "time_limit_minutes", "label": _("Time limit (minutes)"), "type": "number", "group": "timing",
             "value": raw("time_limit_minutes", "") or "", "min": 1, "max": TIME_LIMIT_MAX,
             "help": _("Empty: no time limit. The server's clock counts; an attempt is submitted when time is up.")},
            {"name": "attempts_allowed", "label": _("Attempts allowed"), "type": "number", "group": "attempts",
             "value": raw("attempts_allowed", quiz.attempts_allowed), "min": 0, "max": ATTEMPTS_MAX,
             "help": _("0: unlimited.")},
            {"name": "delay_minutes", "label": _("Wait between attempts (minutes)"), "type": "number",
             "group": "attempts", "value": raw("delay_minutes", quiz.delay_minutes), "min": 0, "max": DELAY_MAX},
            {"name": "password", "label": _("Password"), "type": "text", "group": "attempts",
             "value": raw("password", quiz.password), "maxlength": PASSWORD_LIMIT,
             "help": _("Empty: none. Learners type it to start an attempt (e.g. given out in the exam room).")},
            {"name": "questions_per_page", "label": _("Questions per page"), "type": "number", "group": "layout",
             "value": raw("questions_per_page", quiz.questions_per_page), "min": 0, "max": PER_PAGE_MAX,
             "help": _("0: every question on one page.")},
            {"name": "shuffle_questions", "label": _("Shuffle the questions in each attempt"), "type": "checkbox",
             "group": "layout", "value": quiz.shuffle_questions},
            {"name": "shuffle_options", "label": _("Shuffle the options of each question (where it allows it)"),
             "type": "checkbox", "group": "layout", "value": quiz.shuffle_options},
            {"name": "navigation", "label": _("Navigation"), "type": "radio", "group": "layout",
             "value": raw("navigation", quiz.navigation), "choices": list(NAVIGATION_LABELS.items())},
            {"name": "behaviour", "label": _("How questions behave"), "type": "radio", "group": "behaviour",
             "value": raw("behaviour", quiz.behaviour), "choices": list(BEHAVIOUR_LABELS.items())},
            {"name": "tries", "label": _("Tries per question (interactive)"), "type": "number", "group": "behaviour",
             "value": raw("tries", quiz.tries), "min": 1, "max": TRIES_MAX},
            {"name": "penalty", "label": _("Penalty for each wrong try (interactive)"), "type": "select",
             "group": "behaviour", "value": penalty,
             "choices": [(value, f"{_decimal_text(Decimal(value) * 100)} %") for value in PENALTY_CHOICES]
             + ([(penalty, penalty)] if penalty not in PENALTY_CHOICES else []),
             "help": _("The share of the question's mark lost for each wrong try before a right one.")},
            {"name": "grading_method", "label": _("Quiz grade from"), "type": "select", "group": "grading",
             "value": raw("grading_method", quiz.grading_method), "choices": list(GRADING_LABELS.items())},
            {"name": "pass_mark", "label": _("Pass mark (%)"), "type": "number", "group": "grading",
             "value": raw("pass_mark", "") or "", "min": 0, "max": 100, "step": "0.01",
             "help": _("Empty: every graded attempt counts as passed.")},
            {"name": "review", "label": _("What learners see when they review an attempt"), "type": "review",
             "group": "review", "rows": self._review_rows(current, quiz, posted)},
            {"name": "slots", "label": _("Questions"), "type": "slots", "group": "slots",
             **self._slot_editor(current, course, posted)},
        ]  # fmt: skip
        return out

    def _review_rows(self, current: Mapping[str, Any], quiz: QuizSettings, posted: bool) -> list[dict[str, Any]]:
        rows = []
        for flag in REVIEW_FLAGS:
            cells = []
            for when in REVIEW_TIMES:
                name = f"review_{when}_{flag}"
                checked = bool(current.get(name)) if posted else bool(quiz.review[when][flag])
                cells.append({"name": name, "id": f"id_{name}", "checked": checked, "when": REVIEW_TIME_LABELS[when]})
            rows.append({"flag": flag, "label": REVIEW_FLAG_LABELS[flag], "cells": cells})
        return rows

    def _slot_editor(self, current: Mapping[str, Any], course: Course | None, posted: bool) -> dict[str, Any]:
        principal, errors = _drawing.get()
        editor: dict[str, Any] = {
            "rows": [],
            "questions": [],
            "categories": [],
            "skills": [],
            "question_select": True,
            "bank_url": "",
            "difficulties": [("", _("Any"))] + [(str(value), label) for value, label in Difficulty.choices],
        }
        if course is not None:
            banks = usable_banks(principal, course)
            bank_ids = [bank.pk for bank in banks]
            paths = _category_paths(bank_ids)
            editor["categories"] = sorted(((str(pk), path) for pk, (path, _bank) in paths.items()), key=lambda c: c[1])
            questions = Question.objects.filter(bank_id__in=bank_ids, hidden=False, latest__isnull=False)
            count = questions.count()
            if count <= QUESTION_SELECT_LIMIT:
                editor["questions"] = sorted(
                    (
                        (str(pk), f"{paths.get(category_id, ('?', 0))[0]} › {name} ({self._type_label(qtype)})")
                        for pk, category_id, name, qtype in questions.values_list("pk", "category_id", "name", "qtype")
                    ),
                    key=lambda q: q[1],
                )
            else:
                editor["question_select"] = False
            editor["bank_url"] = _bank_url(course)
            editor["skills"] = [
                (str(pk), name)
                for pk, name in Skill.objects.filter(organization_id=course.organization_id, is_active=True)
                .order_by("path", "name")
                .values_list("pk", "name")[:1000]
            ]
        rows = self._posted_rows(current) if posted else self._saved_rows(current)
        for number, row in enumerate([*rows, *({} for _blank in range(BLANK_ROWS))]):
            row = {
                "type": "fixed", "question": "", "mark": "", "category": "", "subcategories": False, "tags": "",
                "skills": [], "min_difficulty": "", "max_difficulty": "", "count": "1", **row,
            }  # fmt: skip
            row["index"] = number
            row["filled"] = number < len(rows)
            row["number"] = number + 1
            row["order"] = row.get("order") or str(number + 1)
            row["prefix"] = f"slot-{number}-"
            row["errors"] = {
                name: list(errors.get(f"slot-{number}-{name}", []))
                for name in ("type", "question", "mark", "category", "tags", "skills", "difficulty", "count")
            }
            row["has_errors"] = any(row["errors"].values())
            editor["rows"].append(row)
        editor["row_count"] = len(editor["rows"])
        editor["errors"] = list(errors.get("slots", []))
        return editor

    @staticmethod
    def _type_label(qtype: str) -> str:
        return str(qtypes.get(qtype).label) if qtypes.is_registered(qtype) else qtype

    @staticmethod
    def _saved_rows(current: Mapping[str, Any]) -> list[dict[str, Any]]:
        rows = []
        for slot in QuizSettings.from_config(current).slots:
            rows.append(
                {
                    "type": slot.type,
                    "question": str(slot.question_id or ""),
                    "mark": _decimal_text(slot.mark) if slot.mark is not None else "",
                    "category": str(slot.category_id or ""),
                    "subcategories": slot.include_subcategories,
                    "tags": ", ".join(slot.tags),
                    "skills": [str(s) for s in slot.skill_ids],
                    "min_difficulty": str(slot.min_difficulty or ""),
                    "max_difficulty": str(slot.max_difficulty or ""),
                    "count": str(slot.count),
                }
            )
        return rows

    @staticmethod
    def _posted_rows(current: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The rows as the author sent them (the form came back with an error), blank ones included so that each
        row keeps its number and its errors."""
        try:
            count = max(0, min(MAX_ROWS, int(str(current.get("slot_rows") or 0))))
        except ValueError:
            count = 0
        rows = []
        for index in range(count):
            name = f"slot-{index}-"

            def value(key: str, default: str = "", name: str = name) -> str:
                raw = current.get(f"{name}{key}", default)
                return str(raw[-1] if isinstance(raw, list) and raw else raw or default)

            skills = current.get(f"{name}skills", [])
            rows.append(
                {
                    "type": value("type", "fixed"),
                    "question": value("question"),
                    "mark": value("mark"),
                    "category": value("category"),
                    "subcategories": bool(current.get(f"{name}subcategories")),
                    "tags": value("tags"),
                    "skills": [str(s) for s in (skills if isinstance(skills, list) else [skills]) if s],
                    "min_difficulty": value("min_difficulty"),
                    "max_difficulty": value("max_difficulty"),
                    "count": value("count", "1"),
                    "order": value("order"),
                }
            )
        # The blank rows at the end are offered again by the editor itself.
        while rows and not any(rows[-1][key] for key in ("question", "mark", "category", "tags", "skills")):
            rows.pop()
        return rows

    def clean(self, *, data: Mapping[str, Any], files: Mapping[str, Any], context: AuthorContext) -> dict[str, Any]:
        course = context.course
        zone = organization_zone(course)
        form = "quiz_form" in data
        # The API may send only what changes: the rest keeps its current value.
        source: Mapping[str, Any] = data if form else {**context.current, **data}
        defaults = QuizSettings()
        errors: dict[str, str] = {}

        def whole(name: str, low: int, high: int, default: int | None, message: str = WHOLE_NUMBER) -> int | None:
            text = fields.text(source, name)
            if text == "":
                return default
            try:
                value = int(text)
            except ValueError:
                value = None
            if value is None or not low <= value <= high:
                errors[name] = message.format(low=low, high=high)
                return default
            return value

        def choice(name: str, allowed: tuple[str, ...], default: str) -> str:
            value = fields.text(source, name) or default
            if value not in allowed:
                errors[name] = BAD_CHOICE.format(choices=", ".join(allowed))
                return default
            return value

        def flag(name: str, default: bool) -> bool:
            # An unticked box sends nothing: in a form post, absent means off.
            return fields.flag(source, name, False if form else default)

        raw_intro = source.get("intro", "")
        raw_intro = raw_intro if isinstance(raw_intro, str) else ""
        if len(raw_intro) > INTRO_LIMIT:
            errors["intro"] = INTRO_TOO_LONG.format(limit=f"{INTRO_LIMIT:,}")
        intro = richtext.sanitize_html(raw_intro, course_id=course.pk)
        if not richtext.html_to_text(intro) and "<img" not in intro:
            intro = ""

        when: dict[str, dt.datetime | None] = {}
        for name in ("opens_at", "closes_at"):
            try:
                when[name] = _parse_when(source.get(name), zone)
            except ValueError:
                errors[name] = BAD_DATE
                when[name] = None
        if when["opens_at"] and when["closes_at"] and when["closes_at"] <= when["opens_at"]:
            errors["closes_at"] = DATES_ORDER

        limit = whole("time_limit_minutes", 1, TIME_LIMIT_MAX, None, TIME_LIMIT_RANGE)
        password = fields.text(source, "password")
        if len(password) > PASSWORD_LIMIT:
            errors["password"] = PASSWORD_TOO_LONG.format(limit=PASSWORD_LIMIT)

        penalty = defaults.penalty
        penalty_text = fields.text(source, "penalty")
        if penalty_text:
            try:
                penalty = Decimal(penalty_text)
                if not penalty.is_finite() or not Decimal(0) <= penalty <= Decimal(1):
                    raise InvalidOperation
                penalty = penalty.quantize(DECIMAL_PLACES)
            except (InvalidOperation, ValueError):
                errors["penalty"] = PENALTY_RANGE
                penalty = defaults.penalty

        pass_mark: Decimal | None = None
        pass_text = fields.text(source, "pass_mark").rstrip("%").strip()
        if pass_text:
            try:
                pass_mark = Decimal(pass_text)
                if not pass_mark.is_finite() or not Decimal(0) <= pass_mark <= Decimal(100):
                    raise InvalidOperation
                pass_mark = pass_mark.quantize(Decimal("0.01"))
            except (InvalidOperation, ValueError):
                errors["pass_mark"] = PASS_MARK_RANGE
                pass_mark = None

        config: dict[str, Any] = {
            "intro": intro,
            "slots": [],
            "questions_per_page": whole("questions_per_page", 0, PER_PAGE_MAX, defaults.questions_per_page),
            "shuffle_questions": flag("shuffle_questions", defaults.shuffle_questions),
            "shuffle_options": flag("shuffle_options", defaults.shuffle_options),
            "navigation": choice("navigation", NAVIGATION, defaults.navigation),
            "opens_at": when["opens_at"].isoformat() if when["opens_at"] else None,
            "closes_at": when["closes_at"].isoformat() if when["closes_at"] else None,
            "time_limit_minutes": limit,
            "attempts_allowed": whole("attempts_allowed", 0, ATTEMPTS_MAX, defaults.attempts_allowed),
            "delay_minutes": whole("delay_minutes", 0, DELAY_MAX, defaults.delay_minutes),
            "password": password[:PASSWORD_LIMIT],
            "behaviour": choice("behaviour", BEHAVIOURS, defaults.behaviour),
            "tries": whole("tries", 1, TRIES_MAX, defaults.tries),
            "penalty": _decimal_text(penalty) if penalty else "0",
            "grading_method": choice("grading_method", GRADING_METHODS, defaults.grading_method),
            "pass_mark": _decimal_text(pass_mark) if pass_mark is not None else None,
            "review": self._clean_review(source, form, errors),
        }
        slot_errors: dict[str, list[str]] = {}
        try:
            config["slots"] = self._clean_slots(source, form, context, slot_errors)
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                slot_errors.setdefault(key, []).extend(messages)
        if errors or slot_errors:
            raise ValidationError({**{k: [v] for k, v in errors.items()}, **slot_errors})
        return config

    @staticmethod
    def _clean_review(source: Mapping[str, Any], form: bool, errors: dict[str, str]) -> dict[str, dict[str, bool]]:
        if form:
            return {
                when: {flag: fields.flag(source, f"review_{when}_{flag}") for flag in REVIEW_FLAGS}
                for when in REVIEW_TIMES
            }
        raw = _json_list(source.get("review"))
        if raw is None:
            raw = {}
        if not isinstance(raw, Mapping) or any(not isinstance(raw.get(when, {}), Mapping) for when in REVIEW_TIMES):
            errors["review"] = BAD_REVIEW
            return {when: dict(flags) for when, flags in DEFAULT_REVIEW.items()}
        return {
            when: {flag: fields.flag(raw.get(when) or {}, flag, DEFAULT_REVIEW[when][flag]) for flag in REVIEW_FLAGS}
            for when in REVIEW_TIMES
        }

    def _clean_slots(
        self, source: Mapping[str, Any], form: bool, context: AuthorContext, errors: dict[str, list[str]]
    ) -> list[dict[str, Any]]:
        """The slots in the config's shape; problems under each row's field, every one at once."""
        raw_slots = _form_slots(source) if form else _api_slots(source.get("slots") or [])
        if len(raw_slots) > MAX_SLOTS:
            raise ValidationError({"slots": TOO_MANY_SLOTS.format(limit=MAX_SLOTS)})
        if not raw_slots:
            return []
        course = context.course
        principal = principal_for(context.by, course.organization)
        banks = {bank.pk: bank for bank in usable_banks(principal, course)}
        question_ids = {pk for s in raw_slots if s.type == "fixed" and (pk := _id(s.question)) is not None}
        questions = {
            q.pk: q for q in Question.objects.filter(pk__in=question_ids, bank_id__in=list(banks), latest__isnull=False)
        }
        category_ids = {pk for s in raw_slots if s.type == "random" and (pk := _id(s.category)) is not None}
        categories = {c.pk: c for c in QuestionCategory.objects.filter(pk__in=category_ids, bank_id__in=list(banks))}
        skill_ids = {pk for s in raw_slots for k in s.skills if (pk := _id(k)) is not None}
        skills = set(
            Skill.objects.filter(organization_id=course.organization_id, pk__in=skill_ids).values_list("pk", flat=True)
        )

        def add(slot: _RawSlot, name: str, message: str) -> None:
            errors.setdefault(slot.key(name), []).append(message)

        out: list[dict[str, Any]] = []
        first_use: dict[int, int] = {}
        pools: list[tuple[_RawSlot, Slot, str]] = []
        for raw in raw_slots:
            # Numbered as the author sees them: the row of the form, the item of the API's list.
            position = raw.index + 1
            mark = ""
            if raw.mark:
                try:
                    value = Decimal(raw.mark)
                    if not value.is_finite() or not Decimal(0) <= value <= MARK_MAX:
                        raise InvalidOperation
                    mark = _decimal_text(value.quantize(Decimal("0.001")))
                except (InvalidOperation, ValueError):
                    add(raw, "mark", SLOT_MARK_RANGE.format(slot=position))
            if raw.type == "fixed":
                if not raw.question:
                    add(raw, "question", QUESTION_REQUIRED.format(slot=position))
                    continue
                question = questions.get(_id(raw.question) or 0)
                if question is None:
                    add(raw, "question", QUESTION_NOT_FOUND.format(slot=position, ref=raw.question[:20]))
                    continue
                if question.pk in first_use:
                    add(raw, "question", QUESTION_REPEATED.format(slot=position, first=first_use[question.pk]))
                    continue
                first_use[question.pk] = position
                out.append({"type": "fixed", "question_id": question.pk, "mark": mark})
                continue
            if raw.type != "random":
                add(raw, "type", SLOT_TYPE.format(slot=position))
                continue
            category = categories.get(_id(raw.category) or 0)
            if not raw.category:
                add(raw, "category", CATEGORY_REQUIRED.format(slot=position))
            elif category is None:
                add(raw, "category", CATEGORY_NOT_FOUND.format(slot=position))
            count = None
            try:
                count = int(raw.count)
            except ValueError:
                count = None
            if count is None or not 1 <= count <= MAX_COUNT:
                add(raw, "count", COUNT_RANGE.format(slot=position, high=MAX_COUNT))
            difficulty: list[int | None] = []
            for text in (raw.min_difficulty, raw.max_difficulty):
                if not text:
                    difficulty.append(None)
                elif (level := _id(text)) is not None and 1 <= level <= 5:
                    difficulty.append(level)
                else:
                    add(raw, "difficulty", DIFFICULTY_RANGE.format(slot=position))
                    difficulty.append(None)
            low, high = difficulty
            if low is not None and high is not None and low > high:
                add(raw, "difficulty", DIFFICULTY_ORDER.format(slot=position))
            chosen_skills = sorted({pk for pk in (_id(k) for k in raw.skills) if pk is not None})
            if len(chosen_skills) != len(set(raw.skills)) or not set(chosen_skills) <= skills:
                add(raw, "skills", SKILL_NOT_FOUND.format(slot=position))
            if len(raw.tags) > MAX_TAGS:
                add(raw, "tags", TOO_MANY_TAGS.format(slot=position, limit=MAX_TAGS))
            if category is None or count is None or any(raw.key(n) in errors for n in ("count", "difficulty")):
                continue
            entry = {
                "type": "random",
                "bank_id": category.bank_id,
                "category_id": category.pk,
                "include_subcategories": raw.include_subcategories,
                "tags": raw.tags,
                "skill_ids": chosen_skills,
                "min_difficulty": low,
                "max_difficulty": high,
                "count": count,
                "mark": mark,
            }
            out.append(entry)
            pools.append((raw, QuizSettings.from_config({"slots": [entry]}).slots[0], category.name))
        if not errors and pools:
            self._check_pools(course, pools, set(first_use), errors)
        return out

    @staticmethod
    def _check_pools(
        course: Course, pools: list[tuple[_RawSlot, Slot, str]], fixed: set[int], errors: dict[str, list[str]]
    ) -> None:
        """Each pool holds enough questions now (besides the fixed ones), and all pools together do: otherwise an
        attempt could not start. The bank may change before then; the attempt service says so again."""
        union: set[int] = set()
        wanted = 0
        for raw, slot, name in pools:
            found = set(attempt_services.pool_for(course=course, slot=slot).values_list("pk", flat=True)) - fixed
            union |= found
            wanted += slot.count
            if len(found) < slot.count:
                errors.setdefault(raw.key("count"), []).append(
                    POOL_TOO_SMALL.format(slot=raw.index + 1, category=name, found=len(found), count=slot.count)
                )
        if not errors and len(union) < wanted:
            errors.setdefault("slots", []).append(POOLS_TOO_SMALL.format(count=wanted, found=len(union)))

    # --- learners ------------------------------------------------------------------------------------------
    def render_learner(self, context: LearnerContext) -> SafeString:
        request = context.request
        user: User = request.user  # type: ignore[assignment]
        config = context.activity.get("config") or {}
        quiz = QuizSettings.from_config(config)
        now = clock.now()
        state = attempt_services.availability(
            user=user, course=context.course, activity=context.activity, preview=context.preview, now=now
        )
        principal = principal_for(user, context.course.organization)
        rows = []
        for attempt in state.attempts:
            attempt.course = context.course  # the same course: no query per attempt
            review, _responses = rendering.review_for(attempt, principal, now)
            finished = attempt.state != AttemptState.IN_PROGRESS
            rows.append(
                {
                    "attempt": attempt,
                    "state": STATE_LABELS.get(attempt.state, attempt.state),
                    "marks": (
                        f"{_decimal_text(attempt.marks)} / {_decimal_text(attempt.max_marks)}"
                        if finished and review.marks and attempt.marks is not None
                        else ""
                    ),
                    "grade": f"{_decimal_text(attempt.grade)} %" if review.marks and attempt.grade is not None else "",
                    "review_url": reverse("assessment:attempt-review", args=[attempt.public_id])
                    if finished and rendering.has_review(attempt, principal, now)
                    else "",
                    "resume_url": reverse("assessment:attempt", args=[attempt.public_id]) if not finished else "",
                }
            )
        overall = ""
        if not context.preview and any(r["grade"] for r in rows):
            grade, passed = attempt_services.quiz_grade(
                user_id=user.pk, course_id=context.course.pk, activity_uid=uuid.UUID(str(context.activity["uid"]))
            )
            if grade is not None:
                overall = _g("Your grade for this quiz: %(grade)s %%") % {"grade": _decimal_text(grade)}
                if quiz.pass_mark is not None:
                    overall += " — " + (_g("passed") if passed else _g("not passed yet"))
        return mark_safe(
            render_to_string(
                "catalog/kinds/quiz/learner.html",
                {
                    "ctx": context,
                    "intro": mark_safe(richtext.sanitize_html(quiz.intro, course_id=context.course.pk)),
                    "rules": rules_in_words(state.rules, state.attempts_used),
                    "rows": rows,
                    "marks_shown": any(r["marks"] or r["grade"] for r in rows),
                    "overall": overall,
                    "state": state,
                    "start_url": reverse(
                        "assessment:attempt-start", args=[context.course.pk, str(context.activity["uid"])]
                    ),
                    "needs_password": state.rules.needs_password and not context.preview and state.open_attempt is None,
                    "team_links": _team_links(principal, context) if not context.preview else [],
                },
                request=request,
            )
        )

    # --- search, review, versions --------------------------------------------------------------------------
    def search_text(self, config: Mapping[str, Any]) -> str:
        return richtext.html_to_text(str(config.get("intro", "")))

    def describe(self, config: Mapping[str, Any]) -> dict[str, str]:
        quiz = QuizSettings.from_config(config)
        fixed = [s for s in quiz.slots if s.type == "fixed"]
        pools = [s for s in quiz.slots if s.type == "random"]
        names = dict(
            QuestionCategory.objects.filter(pk__in=[s.category_id for s in pools if s.category_id]).values_list(
                "pk", "name"
            )
        )
        questions = ", ".join(
            [
                *([ngettext("%(n)s fixed question", "%(n)s fixed questions", len(fixed)) % {"n": len(fixed)}]
                  if fixed else []),
                *(_g("%(count)s at random from “%(category)s”")
                  % {"count": s.count, "category": names.get(s.category_id or 0, s.category_id)}
                  for s in pools),
            ]
        ) or _g("None yet")  # fmt: skip
        review = "; ".join(
            f"{REVIEW_TIME_LABELS[when]}: "
            + (", ".join(str(REVIEW_FLAG_LABELS[f]) for f in REVIEW_FLAGS if quiz.review[when][f]) or _g("nothing"))
            for when in REVIEW_TIMES
        )
        return {
            str(_("Introduction")): richtext.html_to_text(quiz.intro),
            str(_("Questions")): questions,
            str(_("Question ids")): ", ".join(str(s.question_id) for s in fixed),
            str(_("Rules")): "; ".join(rules_in_words_for(quiz)),
            str(_("Password")): _g("Yes") if quiz.password else _g("No"),
            str(_("Behaviour")): str(BEHAVIOUR_LABELS[quiz.behaviour])
            + (f" ({quiz.tries}, {_decimal_text(quiz.penalty)})" if quiz.behaviour == "interactive" else ""),
            str(_("Layout")): f"{quiz.questions_per_page} / {NAVIGATION_LABELS[quiz.navigation]}"
            + (", " + _g("questions shuffled") if quiz.shuffle_questions else "")
            + (", " + _g("options shuffled") if quiz.shuffle_options else ""),
            str(_("Review options")): review,
        }

    def asset_ids(self, config: Mapping[str, Any]) -> list[int]:
        return richtext.asset_ids_in(str(config.get("intro", "")))

    def copy_config(self, config: Mapping[str, Any], asset_map: Mapping[int, int]) -> dict[str, Any]:
        """A copy keeps its slots: shared-bank questions stay valid; ids of the old course's bank cannot be mapped
        (the copy has its own bank) and are kept as they are — the copy's authors re-point them (README)."""
        return {**config, "intro": copy_html(str(config.get("intro", "")), asset_map)}


def _bank_url(course: Course) -> str:
    """Where the course's bank is managed (the banks pages), or "" before they exist."""
    for name, args in (("assessment:course-bank", [course.pk]), ("assessment:banks", [])):
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    return ""


def _when_text(value: dt.datetime) -> str:
    return when_text(value)


def rules_in_words_for(quiz: QuizSettings) -> list[str]:
    """The quiz's rules as sentences (for the review diff; the learner page uses the person's own rules)."""
    rules = attempt_services.Rules(
        quiz, quiz.opens_at, quiz.closes_at, quiz.time_limit_minutes, quiz.attempts_allowed, bool(quiz.password), None
    )
    return rules_in_words(rules, None)


def rules_in_words(rules: attempt_services.Rules, used: int | None) -> list[str]:
    """The rules one person takes the quiz under (their override applied), as sentences."""
    quiz: QuizSettings = rules.settings
    out: list[str] = []
    if rules.opens_at:
        out.append(_g("Opens on %(when)s.") % {"when": _when_text(rules.opens_at)})
    if rules.closes_at:
        out.append(_g("Closes on %(when)s.") % {"when": _when_text(rules.closes_at)})
    if rules.time_limit_minutes:
        out.append(
            ngettext("Time limit: %(n)s minute.", "Time limit: %(n)s minutes.", rules.time_limit_minutes)
            % {"n": rules.time_limit_minutes}
        )
    else:
        out.append(_g("No time limit."))
    if rules.attempts_allowed:
        sentence = ngettext("%(n)s attempt allowed", "%(n)s attempts allowed", rules.attempts_allowed) % {
            "n": rules.attempts_allowed
        }
        if used is not None:
            sentence += _g(", %(used)s used") % {"used": used}
        out.append(sentence + ".")
    else:
        out.append(_g("Unlimited attempts."))
    if quiz.delay_minutes:
        out.append(
            ngettext("Wait %(n)s minute between attempts.", "Wait %(n)s minutes between attempts.", quiz.delay_minutes)
            % {"n": quiz.delay_minutes}
        )
    out.append(_g("Grading method: %(method)s.") % {"method": str(GRADING_LABELS[quiz.grading_method]).lower()})
    if quiz.pass_mark is not None:
        out.append(_g("Pass mark: %(mark)s %%.") % {"mark": _decimal_text(quiz.pass_mark)})
    if quiz.navigation == "sequential":
        out.append(_g("Questions come in order: you cannot go back to an earlier page."))
    return out


# --- finding a quiz -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LearnerQuiz:
    """A quiz activity as one person takes it: the course, the version they learn (None for the team's preview of
    the draft) and the activity's snapshot."""

    course: Course
    version: Any  # CourseVersion | None
    activity: dict[str, Any]


def quiz_for(
    principal: Principal, organization: Any, course_id: int, uid: Any, *, preview: bool = False
) -> LearnerQuiz:
    """The quiz `uid` of the course as this person may take it (the version they learn), or Http404 — whatever the
    reason (another organisation's course, not learnable, no such activity, not a quiz): nothing tells which.

    With `preview`, the team's draft (`can_see_draft`) instead: what the author previews."""
    from syllabus.assessment.learner_activity import activity_for

    return LearnerQuiz(*activity_for(principal, organization, course_id, uid, kind=QuizKind.key, preview=preview))


def _team_links(principal: Any, context: LearnerContext) -> list[tuple[str, str]]:
    """The course team's ways from the quiz's page to its results, grading queue, overrides and item statistics
    (and the bank)."""
    course = context.course
    if not policy.can_grade(principal, course):
        return []
    uid = str(context.activity["uid"])
    return [
        (_g("Results"), reverse("assessment:quiz-results", args=[course.pk, uid])),
        (_g("Grading queue"), reverse("assessment:grading", args=[course.pk, uid])),
        (_g("Overrides"), reverse("assessment:overrides", args=[course.pk, uid])),
        (_g("Statistics"), reverse("assessment:quiz-statistics", args=[course.pk, uid])),
        (_g("Question bank"), reverse("assessment:course-bank", args=[course.pk])),
    ]
