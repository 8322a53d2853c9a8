"""The assignment activity kind: the author's settings (validated into assignment_settings.py's config shape), the
learner's page in the player (instructions, their dates in words, their submission, the released grade and
feedback, and the ways to hand in), and the completion rules fed by the signals of the submission and grading
services ("submitted", "graded", "passed").

The author form is plain HTML (no script needed): the rubric editor is a list of criteria, each a fieldset of level
rows, with blank rows to add more and "Remove" ticks; the marking guide editor is a list of criterion rows. The same
`clean` reads a form post (flat field names, marked by the hidden `assignment_form` field; rows numbered from 1, as
the author sees them: "rubric-2-level-1-points") and the API's JSON (the config shape itself; absent keys keep their
current value; list positions from 0: "grading.rubric.criteria[1].levels[0].points").
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import re
import secrets
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from syllabus.access.policy import principal_for
from syllabus.assessment import policy
from syllabus.assessment.assignment_settings import (
    ATTEMPTS_LIMIT,
    BLOCKED_TYPES,
    DEFAULT_TYPES,
    GRADING_METHODS,
    MAX_FILES_LIMIT,
    MAX_POINTS_LIMIT,
    POINTS_LIMIT,
    RESUBMISSION,
    WORD_LIMIT_MAX,
    AssignmentSettings,
    decimal_text,
    max_file_mb_limit,
    normalise_type,
)
from syllabus.assessment.dates import local_input as _local_input
from syllabus.assessment.dates import organization_zone
from syllabus.assessment.dates import parse_when as _parse_when
from syllabus.assessment.models.assignments import FileRole, Submission, SubmissionState
from syllabus.assessment.services import assignments as services
from syllabus.catalog import richtext
from syllabus.catalog.activity_kinds import fields
from syllabus.catalog.activity_kinds.base import ActivityKind, AuthorContext, CompletionRule, LearnerContext
from syllabus.catalog.activity_kinds.page.kind import copy_html
from syllabus.core import clock

if TYPE_CHECKING:
    from django.http import HttpRequest

    from syllabus.accounts.models import User
    from syllabus.catalog.models import Course

INTRO_TOO_LONG = "The instructions are too long (at most {limit} characters of HTML)."
WHOLE_NUMBER = "Enter a whole number from {low} to {high}."
BAD_DATE = "Enter a date and time, e.g. 2026-03-02 09:30."
DUE_BEFORE_OPEN = "The due date must be after the date submissions open."
CUTOFF_BEFORE_DUE = "The cut-off must be on or after the due date."
CUTOFF_BEFORE_OPEN = "The cut-off must be after the date submissions open."
BAD_CHOICE = "Choose one of: {choices}."
NO_WAY_TO_HAND_IN = "Choose at least one way to hand in: online text or files."
BAD_TYPE = "“{type}” is not a file extension (e.g. .pdf)."
TYPE_REFUSED = "“{type}” cannot be accepted: programs, scripts, HTML and SVG never are."
TOO_MANY_TYPES = "List at most {limit} file types."
PERCENT_RANGE = "Enter a percentage from 0 to 100."
PENALTY_NOT_OBJECT = "Send the late penalty as an object with “percent_per_day” and “max_percent”, or null for none."
GRADING_NOT_OBJECT = "Send the grading as an object with “method”, “max_points”, “rubric” and “guide”."
MAX_POINTS_RANGE = "Enter the maximum points as a number above 0 and at most {high}."
PASS_MARK_RANGE = "The pass mark is a percentage from 0 to 100, or empty for none."  # noqa: S105 (a message)
RUBRIC_NOT_OBJECT = "Send the rubric as an object with a list of “criteria”."
GUIDE_NOT_OBJECT = "Send the marking guide as an object with a list of “criteria”."
RUBRIC_EMPTY = "Grading with a rubric needs at least one criterion."
GUIDE_EMPTY = "Grading with a marking guide needs at least one criterion."
TOO_MANY_CRITERIA = "At most {limit} criteria."
CRITERION_TEXT = "Criterion {number}: describe what it assesses."
CRITERION_NAME = "Criterion {number}: give it a name."
LEVEL_COUNT = "Criterion {number}: give it from {low} to {high} levels."
LEVEL_POINTS = "Criterion {number}, level {level}: the points are a number from 0 to {high}."
LEVEL_TEXT = "Criterion {number}, level {level}: describe the level."
MAX_MARK_RANGE = "Criterion {number}: the maximum mark is a number above 0 and at most {high}."
TEXT_TOO_LONG = "Keep this under {limit} characters."
BAD_ID = "Criterion {number}: an id is 1 to 40 letters, digits, “-” or “_”, used once."

INTRO_LIMIT = 200_000
TEXT_LIMIT = 5_000
MAX_CRITERIA = 50
MIN_LEVELS = 2
MAX_LEVELS = 10
MAX_TYPES = 50
MAX_ROWS = 60  # form rows read at most, criteria or levels (with blank ones)
BLANK_CRITERIA = 1
BLANK_LEVELS = 2  # blank level rows under a filled criterion
NEW_LEVELS = 4  # level rows of a blank criterion
POINT_PLACES = Decimal("0.01")
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,40}")
TYPE_PATTERN = re.compile(r"\.[a-z0-9]{1,10}")

METHOD_LABELS = {
    "points": _("Points: the grader gives a number of points"),
    "rubric": _("Rubric: the grader picks a level for each criterion"),
    "guide": _("Marking guide: the grader gives each criterion a mark and a comment"),
}
RESUBMISSION_LABELS = {
    "none": _("No: a handed-in submission is final"),
    "on_request": _("On request: the course team may give it back for another try (the learner may ask)"),
}
STATE_LABELS = {
    SubmissionState.DRAFT: _("Draft: not handed in yet"),
    SubmissionState.SUBMITTED: _("Handed in for grading"),
    SubmissionState.REOPENED: _("Given back for another try"),
}

# The errors of the form being drawn: `form_fields` has no errors argument, but the rubric and guide editors put each
# row's errors beside it (render_author sets them for its duration).
_drawing: contextvars.ContextVar[Mapping[str, list[str]] | None] = contextvars.ContextVar(
    "assignment_author_form", default=None
)


@contextmanager
def _drawing_with(errors: Mapping[str, list[str]]) -> Iterator[None]:
    token = _drawing.set(errors)
    try:
        yield
    finally:
        _drawing.reset(token)


# --- reading input --------------------------------------------------------------------------------------------


def _json(raw: Any) -> Any:
    """An object or list sent as JSON text (a multipart request), or as it is."""
    if isinstance(raw, str) and raw.strip()[:1] in ("{", "["):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def _number(text: str, low: Decimal, high: Decimal, *, above_low: bool = False) -> Decimal | None:
    """A decimal typed by an author, within bounds, at most 2 places (None: not one)."""
    text = text.strip().rstrip("%").strip()
    if not text or len(text) > 40:
        return None
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite() or value < low or value > high or (above_low and value == low):
        return None
    return value.quantize(POINT_PLACES)


def _row_count(data: Mapping[str, Any], name: str) -> int:
    try:
        return max(0, min(MAX_ROWS, int(fields.text(data, name) or 0)))
    except ValueError:
        return 0


Key = Callable[[str], str]


def _prefixed(prefix: str, separator: str = "") -> Key:
    """The error key of a row's field: "rubric-2-" + "description", "grading.rubric.criteria[1]" + "." + "id"."""
    return lambda name: f"{prefix}{separator}{name}"


@dataclass
class _RawLevel:
    key: Key
    id: str
    points: str
    definition: str


@dataclass
class _RawCriterion:
    number: int  # as the author sees it: the form's row, the API's position + 1
    key: Key
    id: str
    description: str = ""
    name: str = ""
    marker_notes: str = ""
    max_mark: str = ""
    levels: list[_RawLevel] = field(default_factory=list)


def _form_rubric(data: Mapping[str, Any]) -> list[_RawCriterion]:
    out = []
    for n in range(1, _row_count(data, "rubric_rows") + 1):
        prefix = f"rubric-{n}-"
        if fields.flag(data, f"{prefix}remove"):
            continue
        levels = []
        for m in range(1, _row_count(data, f"{prefix}level_rows") + 1):
            level = f"{prefix}level-{m}-"
            if fields.flag(data, f"{level}remove"):
                continue
            points, definition = fields.text(data, f"{level}points"), fields.text(data, f"{level}definition")
            if not points and not definition:
                continue
            levels.append(
                _RawLevel(
                    key=_prefixed(level),
                    id=fields.text(data, f"{level}id"),
                    points=points,
                    definition=definition,
                )
            )
        description = fields.text(data, f"{prefix}description")
        if not description and not levels:
            continue
        out.append(
            _RawCriterion(
                number=n,
                key=_prefixed(prefix),
                id=fields.text(data, f"{prefix}id"),
                description=description,
                levels=levels,
            )
        )
    return out


def _form_guide(data: Mapping[str, Any]) -> list[_RawCriterion]:
    out = []
    for n in range(1, _row_count(data, "guide_rows") + 1):
        prefix = f"guide-{n}-"
        if fields.flag(data, f"{prefix}remove"):
            continue
        values = {name: fields.text(data, f"{prefix}{name}") for name in ("name", "description", "marker_notes")}
        max_mark = fields.text(data, f"{prefix}max_mark")
        if not any(values.values()) and not max_mark:
            continue
        out.append(
            _RawCriterion(
                number=n,
                key=_prefixed(prefix),
                id=fields.text(data, f"{prefix}id"),
                name=values["name"],
                description=values["description"],
                marker_notes=values["marker_notes"],
                max_mark=max_mark,
            )
        )
    return out


def _api_criteria(raw: Any, base: str, errors: dict[str, list[str]], message: str) -> list[_RawCriterion] | None:
    """The criteria of an API rubric or guide object (None: none sent)."""
    raw = _json(raw)
    if raw is None:
        return None
    criteria = raw.get("criteria") if isinstance(raw, Mapping) else None
    if not isinstance(criteria, list) or not all(isinstance(item, Mapping) for item in criteria):
        errors.setdefault(base, []).append(message)
        return []
    if len(criteria) > MAX_CRITERIA:
        errors.setdefault(base, []).append(TOO_MANY_CRITERIA.format(limit=MAX_CRITERIA))
        return []
    out = []
    for i, item in enumerate(criteria):
        prefix = f"{base}.criteria[{i}]"
        levels_raw = item.get("levels")
        levels = []
        if isinstance(levels_raw, list):
            for j, level in enumerate(levels_raw[: MAX_LEVELS + 1]):
                level = level if isinstance(level, Mapping) else {}
                levels.append(
                    _RawLevel(
                        key=_prefixed(f"{prefix}.levels[{j}]", "."),
                        id=fields.text(level, "id"),
                        points=fields.text(level, "points"),
                        definition=fields.text(level, "definition"),
                    )
                )
        out.append(
            _RawCriterion(
                number=i + 1,
                key=_prefixed(prefix, "."),
                id=fields.text(item, "id"),
                description=fields.text(item, "description"),
                name=fields.text(item, "name"),
                marker_notes=fields.text(item, "marker_notes"),
                max_mark=fields.text(item, "max_mark"),
                levels=levels,
            )
        )
    return out


def _new_id(prefix: str, taken: set[str]) -> str:
    """A short id never used in this rubric or guide (random, so a removed row's id is not given again)."""
    while True:
        made = f"{prefix}{secrets.token_hex(3)}"
        if made not in taken:
            taken.add(made)
            return made


def _ids(raw_list: list[_RawCriterion], *, form: bool, errors: dict[str, list[str]]) -> tuple[list[str], set[str]]:
    """Each criterion's id: the one sent (the form's hidden field, the API's "id"), or a new one."""
    taken: set[str] = set()
    chosen: list[str] = []
    for raw in raw_list:
        if raw.id and ID_PATTERN.fullmatch(raw.id) and raw.id not in taken:
            taken.add(raw.id)
            chosen.append(raw.id)
        elif raw.id and not form:
            errors.setdefault(raw.key("id"), []).append(BAD_ID.format(number=raw.number))
            chosen.append("")
        else:
            chosen.append("")
    return chosen, taken


def _clean_rubric(raw_list: list[_RawCriterion], *, form: bool, errors: dict[str, list[str]]) -> dict[str, Any]:
    if len(raw_list) > MAX_CRITERIA:
        errors.setdefault("rubric" if form else "grading.rubric", []).append(
            TOO_MANY_CRITERIA.format(limit=MAX_CRITERIA)
        )
        return {"criteria": []}
    ids, taken = _ids(raw_list, form=form, errors=errors)
    level_ids = {lv.id for raw in raw_list for lv in raw.levels if lv.id and ID_PATTERN.fullmatch(lv.id)}
    taken |= level_ids
    seen_levels: set[str] = set()
    criteria = []
    for raw, chosen in zip(raw_list, ids, strict=True):
        n = raw.number
        if not raw.description:
            errors.setdefault(raw.key("description"), []).append(CRITERION_TEXT.format(number=n))
        elif len(raw.description) > TEXT_LIMIT:
            errors.setdefault(raw.key("description"), []).append(TEXT_TOO_LONG.format(limit=f"{TEXT_LIMIT:,}"))
        if not MIN_LEVELS <= len(raw.levels) <= MAX_LEVELS:
            errors.setdefault(raw.key("levels"), []).append(
                LEVEL_COUNT.format(number=n, low=MIN_LEVELS, high=MAX_LEVELS)
            )
        criterion_id = chosen or _new_id("c", taken)
        levels = []
        for m, level in enumerate(raw.levels, start=1):
            points = _number(level.points, Decimal(0), POINTS_LIMIT)
            if points is None:
                errors.setdefault(level.key("points"), []).append(
                    LEVEL_POINTS.format(number=n, level=m, high=POINTS_LIMIT)
                )
            if not level.definition:
                errors.setdefault(level.key("definition"), []).append(LEVEL_TEXT.format(number=n, level=m))
            elif len(level.definition) > TEXT_LIMIT:
                errors.setdefault(level.key("definition"), []).append(TEXT_TOO_LONG.format(limit=f"{TEXT_LIMIT:,}"))
            if level.id and ID_PATTERN.fullmatch(level.id) and level.id not in seen_levels:
                level_id = level.id
            elif level.id and not form:
                errors.setdefault(level.key("id"), []).append(BAD_ID.format(number=n))
                level_id = ""
            else:
                level_id = _new_id(f"{criterion_id}-l", taken)
            seen_levels.add(level_id)
            levels.append(
                {
                    "id": level_id,
                    "points": decimal_text(points) if points is not None else "0",
                    "definition": level.definition[:TEXT_LIMIT],
                }
            )
        criteria.append({"id": criterion_id, "description": raw.description[:TEXT_LIMIT], "levels": levels})
    return {"criteria": criteria}


def _clean_guide(raw_list: list[_RawCriterion], *, form: bool, errors: dict[str, list[str]]) -> dict[str, Any]:
    if len(raw_list) > MAX_CRITERIA:
        errors.setdefault("guide" if form else "grading.guide", []).append(TOO_MANY_CRITERIA.format(limit=MAX_CRITERIA))
        return {"criteria": []}
    ids, taken = _ids(raw_list, form=form, errors=errors)
    criteria = []
    for raw, chosen in zip(raw_list, ids, strict=True):
        n = raw.number
        if not raw.name:
            errors.setdefault(raw.key("name"), []).append(CRITERION_NAME.format(number=n))
        for name in ("name", "description", "marker_notes"):
            if len(getattr(raw, name)) > TEXT_LIMIT:
                errors.setdefault(raw.key(name), []).append(TEXT_TOO_LONG.format(limit=f"{TEXT_LIMIT:,}"))
        mark = _number(raw.max_mark, Decimal(0), POINTS_LIMIT, above_low=True)
        if mark is None:
            errors.setdefault(raw.key("max_mark"), []).append(MAX_MARK_RANGE.format(number=n, high=POINTS_LIMIT))
        criteria.append(
            {
                "id": chosen or _new_id("g", taken),
                "name": raw.name[:TEXT_LIMIT],
                "description": raw.description[:TEXT_LIMIT],
                "marker_notes": raw.marker_notes[:TEXT_LIMIT],
                "max_mark": decimal_text(mark) if mark is not None else "0",
            }
        )
    return {"criteria": criteria}


# --- words ---------------------------------------------------------------------------------------------------------


def duration_words(seconds: int) -> str:
    """ "2 days 3 hours", "5 hours 10 minutes", "12 minutes" (the two largest units)."""
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = max(1, rest // 60) if not days and not hours else rest // 60
    parts = []
    if days:
        parts.append(ngettext("%(n)s day", "%(n)s days", days) % {"n": days})
    if hours:
        parts.append(ngettext("%(n)s hour", "%(n)s hours", hours) % {"n": hours})
    if not days and minutes:
        parts.append(ngettext("%(n)s minute", "%(n)s minutes", minutes) % {"n": minutes})
    return " ".join(parts[:2])


def dates_in_words(dates: services.Dates, now: dt.datetime | None) -> list[str]:
    """The person's dates as sentences: open, due (with time left or how late), cut-off, their extension."""
    out: list[str] = []
    when = services.when_text
    if dates.opens_at:
        out.append(_g("Submissions open on %(when)s.") % {"when": when(dates.opens_at)})
    if dates.due_at:
        key = _g("Due on %(when)s (your extension).") if dates.extension else _g("Due on %(when)s.")
        out.append(key % {"when": when(dates.due_at)})
        if now is not None and (dates.opens_at is None or now >= dates.opens_at):
            if now <= dates.due_at:
                out.append(
                    _g("Time left: %(left)s.") % {"left": duration_words(int((dates.due_at - now).total_seconds()))}
                )
            elif dates.cutoff_at is None or now <= dates.cutoff_at:
                out.append(
                    _g("The due date has passed: anything handed in now is %(late)s late.")
                    % {"late": duration_words(int((now - dates.due_at).total_seconds()))}
                )
    else:
        out.append(_g("No due date."))
    if dates.cutoff_at:
        out.append(_g("Nothing can be handed in after %(when)s.") % {"when": when(dates.cutoff_at)})
    return out


def settings_in_words(settings: AssignmentSettings) -> list[str]:
    """What and how to hand in, and how it is graded, as sentences."""
    out: list[str] = []
    if settings.submission_text:
        out.append(
            ngettext("Online text, at most %(n)s word.", "Online text, at most %(n)s words.", settings.word_limit)
            % {"n": settings.word_limit}
            if settings.word_limit
            else _g("Online text.")
        )
    if settings.submission_files:
        out.append(
            ngettext(
                "Up to %(n)s file of at most %(mb)s MB (%(types)s).",
                "Up to %(n)s files of at most %(mb)s MB each (%(types)s).",
                settings.max_files,
            )
            % {"n": settings.max_files, "mb": settings.max_file_mb, "types": ", ".join(settings.types)}
        )
    out.append(
        _g("Graded out of %(max)s points (%(method)s).")
        % {"max": decimal_text(settings.max_points), "method": _g(settings.grading_method)}
    )
    if settings.late_penalty is not None:
        out.append(
            _g("Late work loses %(day)s %% of the points for each day or part of a day late, at most %(max)s %%.")
            % {
                "day": decimal_text(settings.late_penalty.percent_per_day),
                "max": decimal_text(settings.late_penalty.max_percent),
            }
        )
    if settings.pass_mark is not None:
        out.append(_g("Pass mark: %(mark)s %%.") % {"mark": decimal_text(settings.pass_mark)})
    if settings.resubmission == "on_request":
        out.append(
            ngettext(
                "You may ask for another try (at most %(n)s submission in all).",
                "You may ask for another try (at most %(n)s submissions in all).",
                settings.max_attempts,
            )
            % {"n": settings.max_attempts}
            if settings.max_attempts
            else _g("You may ask for another try.")
        )
    return out


# --- the kind ---------------------------------------------------------------------------------------------------


class AssignmentKind(ActivityKind):
    key = "assignment"
    label = _("Assignment")
    description = _("Learners hand in text or files by a due date; graded with points, a rubric or a marking guide.")
    signals = ("submitted", "graded", "passed")
    completion_rules = (
        CompletionRule("submitted", _("When the learner hands it in"), ("submitted",)),
        CompletionRule("graded", _("When its grade is released"), ("graded",)),
        CompletionRule("passed", _("When the learner passes"), ("passed",)),
    )
    author_template = "assessment/assignment_author.html"
    graded = True

    def grade_max(self, config: Mapping[str, Any]) -> Decimal | None:
        return AssignmentSettings.from_config(config).max_points

    # --- authoring -----------------------------------------------------------------------------------------
    def render_author(
        self,
        *,
        request: HttpRequest | None,
        current: Mapping[str, Any],
        course: Course | None,
        errors: Mapping[str, list[str]] | None = None,
    ) -> SafeString:
        with _drawing_with(errors or {}):
            return super().render_author(request=request, current=current, course=course, errors=errors)

    def form_fields(self, *, current: Mapping[str, Any], course: Course | None = None) -> list[dict[str, Any]]:
        settings = AssignmentSettings.from_config(current)
        zone = organization_zone(course)
        posted = "assignment_form" in current
        limit = max_file_mb_limit()

        def raw(name: str, fallback: Any) -> Any:
            return current.get(name, fallback) if current.get(name) is not None else fallback

        penalty = settings.late_penalty
        grading = current.get("grading") if isinstance(current.get("grading"), Mapping) else {}
        out: list[dict[str, Any]] = [
            {"name": "assignment_form", "type": "hidden", "value": "1", "group": ""},
            {"name": "intro", "label": _("Instructions"), "type": "richtext", "value": settings.intro,
             "help": _("What to do and how it is assessed, shown on the assignment's page."), "group": "intro"},
            {"name": "submission_text", "label": _("Learners write an online text"), "type": "checkbox",
             "group": "handin", "value": settings.submission_text},
            {"name": "word_limit", "label": _("Word limit of the text"), "type": "number", "group": "handin",
             "value": raw("word_limit", settings.word_limit), "min": 0, "max": WORD_LIMIT_MAX,
             "help": _("0: no limit. Checked when the learner hands in.")},
            {"name": "submission_files", "label": _("Learners upload files"), "type": "checkbox", "group": "handin",
             "value": settings.submission_files},
            {"name": "max_files", "label": _("Files at most"), "type": "number", "group": "handin",
             "value": raw("max_files", settings.max_files), "min": 1, "max": MAX_FILES_LIMIT},
            {"name": "max_file_mb", "label": _("Size of each file at most (MB)"), "type": "number", "group": "handin",
             "value": raw("max_file_mb", settings.max_file_mb), "min": 1, "max": limit},
            {"name": "accepted_types", "label": _("Accepted file types"), "type": "text", "group": "handin",
             "value": raw("accepted_types", ", ".join(settings.accepted_types))
             if posted else ", ".join(settings.accepted_types),
             "help": _("Extensions separated by commas, e.g. .pdf, .docx. Empty: %(types)s.")
             % {"types": ", ".join(DEFAULT_TYPES)}},
            {"name": "opens_at", "label": _("Submissions open"), "type": "datetime", "group": "dates",
             "value": _local_input(raw("opens_at", ""), zone),
             "help": _("Empty: as soon as the course is open. Time zone: %(zone)s.") % {"zone": zone.key}},
            {"name": "due_at", "label": _("Due"), "type": "datetime", "group": "dates",
             "value": _local_input(raw("due_at", ""), zone),
             "help": _("Empty: no due date. Later submissions are marked late. Time zone: %(zone)s.")
             % {"zone": zone.key}},
            {"name": "cutoff_at", "label": _("Cut-off"), "type": "datetime", "group": "dates",
             "value": _local_input(raw("cutoff_at", ""), zone),
             "help": _("Empty: late submissions are always accepted. Nothing can be handed in after it. "
                       "Time zone: %(zone)s.") % {"zone": zone.key}},
            {"name": "late_percent_per_day", "label": _("Late penalty per day (%)"), "type": "number",
             "group": "dates", "step": "0.01", "min": 0, "max": 100,
             "value": raw("late_percent_per_day", decimal_text(penalty.percent_per_day) if penalty else ""),
             "help": _("Share of the maximum points lost for each day or part of a day late. Empty: no penalty.")},
            {"name": "late_max_percent", "label": _("Late penalty at most (%)"), "type": "number", "group": "dates",
             "step": "0.01", "min": 0, "max": 100,
             "value": raw("late_max_percent", decimal_text(penalty.max_percent) if penalty else ""),
             "help": _("Empty: up to all the points.")},
            {"name": "resubmission", "label": _("Another try after handing in"), "type": "radio",
             "group": "tries", "value": raw("resubmission", settings.resubmission),
             "choices": list(RESUBMISSION_LABELS.items())},
            {"name": "max_attempts", "label": _("Submissions at most"), "type": "number", "group": "tries",
             "value": raw("max_attempts", settings.max_attempts), "min": 0, "max": ATTEMPTS_LIMIT,
             "help": _("0: unlimited. Counts the first submission and every try after it.")},
            {"name": "grading_method", "label": _("Grading"), "type": "radio", "group": "grading",
             "value": raw("grading_method", settings.grading_method), "choices": list(METHOD_LABELS.items())},
            {"name": "max_points", "label": _("Maximum points (grading with points)"), "type": "number",
             "group": "grading", "step": "0.01", "min": 0, "max": MAX_POINTS_LIMIT,
             "value": raw("max_points", grading.get("max_points") if isinstance(grading, Mapping) else None)
             or decimal_text(settings.points),
             "help": _("With a rubric or a guide, the maximum is the sum of their criteria.")},
            {"name": "pass_mark", "label": _("Pass mark (%)"), "type": "number", "group": "grading",
             "value": raw("pass_mark", "") or "", "min": 0, "max": 100, "step": "0.01",
             "help": _("Empty: no pass mark.")},
            {"name": "rubric", "label": _("Rubric"), "type": "rubric", "group": "rubric",
             **self._rubric_editor(current, settings, posted)},
            {"name": "guide", "label": _("Marking guide"), "type": "guide", "group": "guide",
             **self._guide_editor(current, settings, posted)},
        ]  # fmt: skip
        return out

    @staticmethod
    def _rubric_editor(current: Mapping[str, Any], settings: AssignmentSettings, posted: bool) -> dict[str, Any]:
        errors = _drawing.get() or {}
        rows: list[dict[str, Any]] = []
        if posted:
            for n in range(1, _row_count(current, "rubric_rows") + 1):
                prefix = f"rubric-{n}-"
                levels = [
                    {
                        "id": fields.text(current, f"{prefix}level-{m}-id"),
                        "points": fields.text(current, f"{prefix}level-{m}-points"),
                        "definition": fields.text(current, f"{prefix}level-{m}-definition"),
                    }
                    for m in range(1, _row_count(current, f"{prefix}level_rows") + 1)
                ]
                rows.append(
                    {"id": fields.text(current, f"{prefix}id"),
                     "description": fields.text(current, f"{prefix}description"), "levels": levels}
                )  # fmt: skip
        else:
            for criterion in settings.rubric.criteria if settings.rubric else ():
                levels = [
                    {"id": lv.id, "points": decimal_text(lv.points), "definition": lv.definition}
                    for lv in criterion.levels
                ]
                levels += [{"id": "", "points": "", "definition": ""} for _blank in range(BLANK_LEVELS)]
                rows.append({"id": criterion.id, "description": criterion.description, "levels": levels})
            for _blank in range(BLANK_CRITERIA):
                rows.append(
                    {"id": "", "description": "", "levels": [{"id": "", "points": "", "definition": ""}] * NEW_LEVELS}
                )
        for n, row in enumerate(rows, start=1):
            prefix = f"rubric-{n}-"
            row["number"] = n
            row["prefix"] = prefix
            row["filled"] = bool(row["id"])
            row["errors"] = {name: list(errors.get(f"{prefix}{name}", [])) for name in ("description", "levels")}
            row["level_rows"] = len(row["levels"])
            row["levels"] = [
                {
                    **level,
                    "number": m,
                    "prefix": f"{prefix}level-{m}-",
                    "filled": bool(level["id"]),
                    "errors": {
                        name: list(errors.get(f"{prefix}level-{m}-{name}", [])) for name in ("points", "definition")
                    },
                }
                for m, level in enumerate(row["levels"], start=1)
            ]
        return {"rows": rows, "row_count": len(rows), "errors": list(errors.get("rubric", []))}

    @staticmethod
    def _guide_editor(current: Mapping[str, Any], settings: AssignmentSettings, posted: bool) -> dict[str, Any]:
        errors = _drawing.get() or {}
        names = ("id", "name", "description", "marker_notes", "max_mark")
        rows: list[dict[str, Any]] = []
        if posted:
            for n in range(1, _row_count(current, "guide_rows") + 1):
                rows.append({name: fields.text(current, f"guide-{n}-{name}") for name in names})
        else:
            for c in settings.guide.criteria if settings.guide else ():
                rows.append(
                    {"id": c.id, "name": c.name, "description": c.description, "marker_notes": c.marker_notes,
                     "max_mark": decimal_text(c.max_mark)}
                )  # fmt: skip
            rows += [dict.fromkeys(names, "") for _blank in range(BLANK_CRITERIA + 1)]
        for n, row in enumerate(rows, start=1):
            prefix = f"guide-{n}-"
            row["number"] = n
            row["prefix"] = prefix
            row["filled"] = bool(row["id"])
            row["errors"] = {name: list(errors.get(f"{prefix}{name}", [])) for name in names}
        return {"rows": rows, "row_count": len(rows), "errors": list(errors.get("guide", []))}

    def clean(self, *, data: Mapping[str, Any], files: Mapping[str, Any], context: AuthorContext) -> dict[str, Any]:
        course = context.course
        zone = organization_zone(course)
        form = "assignment_form" in data
        # The API may send only what changes: the rest keeps its current value.
        source: Mapping[str, Any] = data if form else {**context.current, **data}
        errors: dict[str, list[str]] = {}
        defaults = AssignmentSettings()

        def add(name: str, message: str) -> None:
            errors.setdefault(name, []).append(message)

        def whole(name: str, low: int, high: int, default: int, text: str | None = None, key: str = "") -> int:
            text = fields.text(source, name) if text is None else text
            if text == "":
                return default
            try:
                value = int(text)
            except ValueError:
                value = None
            if value is None or not low <= value <= high:
                add(key or name, WHOLE_NUMBER.format(low=low, high=high))
                return default
            return value

        def choice(value: str, allowed: tuple[str, ...], default: str, key: str) -> str:
            value = value or default
            if value not in allowed:
                add(key, BAD_CHOICE.format(choices=", ".join(allowed)))
                return default
            return value

        def flag(name: str, default: bool) -> bool:
            # An unticked box sends nothing: in a form post, absent means off.
            return fields.flag(source, name, False if form else default)

        raw_intro = source.get("intro", "")
        raw_intro = raw_intro if isinstance(raw_intro, str) else ""
        if len(raw_intro) > INTRO_LIMIT:
            add("intro", INTRO_TOO_LONG.format(limit=f"{INTRO_LIMIT:,}"))
        intro = richtext.sanitize_html(raw_intro, course_id=course.pk)
        if not richtext.html_to_text(intro) and "<img" not in intro:
            intro = ""

        submission_text = flag("submission_text", defaults.submission_text)
        submission_files = flag("submission_files", defaults.submission_files)
        if not submission_text and not submission_files:
            add("submission_text", NO_WAY_TO_HAND_IN)
        limit = max_file_mb_limit()

        types = self._clean_types(source, form, add)

        when: dict[str, dt.datetime | None] = {}
        for name in ("opens_at", "due_at", "cutoff_at"):
            try:
                when[name] = _parse_when(source.get(name), zone)
            except ValueError:
                add(name, BAD_DATE)
                when[name] = None
        opens, due, cutoff = when["opens_at"], when["due_at"], when["cutoff_at"]
        if opens and due and due <= opens:
            add("due_at", DUE_BEFORE_OPEN)
        if due and cutoff and cutoff < due:
            add("cutoff_at", CUTOFF_BEFORE_DUE)
        elif opens and cutoff and cutoff <= opens:
            add("cutoff_at", CUTOFF_BEFORE_OPEN)

        late_penalty = self._clean_penalty(source, form, add)

        grading_in: Mapping[str, Any] = {}
        if form:
            method_text, points_text = fields.text(source, "grading_method"), fields.text(source, "max_points")
        else:
            sent = _json(data.get("grading")) if "grading" in data else {}
            saved = context.current.get("grading") if isinstance(context.current.get("grading"), Mapping) else {}
            if sent is not None and not isinstance(sent, Mapping):
                add("grading", GRADING_NOT_OBJECT)
                sent = {}
            grading_in = {**(saved or {}), **(sent or {})}
            method_text, points_text = fields.text(grading_in, "method"), fields.text(grading_in, "max_points")
        method = choice(
            method_text, GRADING_METHODS, defaults.grading_method, "grading_method" if form else "grading.method"
        )
        max_points = defaults.points
        if points_text:
            value = _number(points_text, Decimal(0), MAX_POINTS_LIMIT, above_low=True)
            if value is None:
                add("max_points" if form else "grading.max_points", MAX_POINTS_RANGE.format(high=MAX_POINTS_LIMIT))
            else:
                max_points = value

        if form:
            rubric_rows: list[_RawCriterion] | None = _form_rubric(source)
            guide_rows: list[_RawCriterion] | None = _form_guide(source)
        else:
            rubric_rows = _api_criteria(grading_in.get("rubric"), "grading.rubric", errors, RUBRIC_NOT_OBJECT)
            guide_rows = _api_criteria(grading_in.get("guide"), "grading.guide", errors, GUIDE_NOT_OBJECT)
        rubric = _clean_rubric(rubric_rows, form=form, errors=errors) if rubric_rows else None
        guide = _clean_guide(guide_rows, form=form, errors=errors) if guide_rows else None
        if method == "rubric" and not rubric:
            add("rubric" if form else "grading.rubric", RUBRIC_EMPTY)
        if method == "guide" and not guide:
            add("guide" if form else "grading.guide", GUIDE_EMPTY)

        pass_mark: Decimal | None = None
        pass_text = fields.text(source, "pass_mark")
        if pass_text:
            pass_mark = _number(pass_text, Decimal(0), Decimal(100))
            if pass_mark is None:
                add("pass_mark", PASS_MARK_RANGE)

        config: dict[str, Any] = {
            "intro": intro,
            "submission_text": submission_text,
            "submission_files": submission_files,
            "word_limit": whole("word_limit", 0, WORD_LIMIT_MAX, defaults.word_limit),
            "max_files": whole("max_files", 1, MAX_FILES_LIMIT, defaults.max_files),
            "max_file_mb": whole("max_file_mb", 1, limit, min(defaults.max_file_mb, limit)),
            "accepted_types": types,
            "opens_at": opens.isoformat() if opens else None,
            "due_at": due.isoformat() if due else None,
            "cutoff_at": cutoff.isoformat() if cutoff else None,
            "late_penalty": late_penalty,
            "resubmission": choice(
                fields.text(source, "resubmission"), RESUBMISSION, defaults.resubmission, "resubmission"
            ),
            "max_attempts": whole("max_attempts", 0, ATTEMPTS_LIMIT, defaults.max_attempts),
            "grading": {
                "method": method,
                "max_points": decimal_text(max_points),
                "rubric": rubric,
                "guide": guide,
            },
            "pass_mark": decimal_text(pass_mark) if pass_mark is not None else None,
        }
        if errors:
            raise ValidationError(errors)
        return config

    @staticmethod
    def _clean_types(source: Mapping[str, Any], form: bool, add: Callable[[str, str], None]) -> list[str]:
        raw = _json(source.get("accepted_types"))
        if isinstance(raw, (list, tuple)):
            items = [str(item) for item in raw]
        else:
            items = re.split(r"[\s,;]+", fields.text(source, "accepted_types"))
        out: list[str] = []
        for item in items:
            ext = normalise_type(item)
            if not ext:
                continue
            if not TYPE_PATTERN.fullmatch(ext):
                add("accepted_types", BAD_TYPE.format(type=item.strip()[:20]))
            elif ext in BLOCKED_TYPES:
                add("accepted_types", TYPE_REFUSED.format(type=ext))
            elif ext not in out:
                out.append(ext)
        if len(out) > MAX_TYPES:
            add("accepted_types", TOO_MANY_TYPES.format(limit=MAX_TYPES))
        return out[:MAX_TYPES]

    @staticmethod
    def _clean_penalty(source: Mapping[str, Any], form: bool, add: Callable[[str, str], None]) -> dict[str, str] | None:
        if form:
            per_day_text, cap_text = (
                fields.text(source, "late_percent_per_day"),
                fields.text(source, "late_max_percent"),
            )
            keys = ("late_percent_per_day", "late_max_percent")
        else:
            raw = _json(source.get("late_penalty"))
            if raw is None or raw == "":
                return None
            if not isinstance(raw, Mapping):
                add("late_penalty", PENALTY_NOT_OBJECT)
                return None
            per_day_text, cap_text = fields.text(raw, "percent_per_day"), fields.text(raw, "max_percent")
            keys = ("late_penalty.percent_per_day", "late_penalty.max_percent")
        per_day = _number(per_day_text, Decimal(0), Decimal(100)) if per_day_text else None
        cap = _number(cap_text, Decimal(0), Decimal(100)) if cap_text else Decimal(100)
        if per_day_text and per_day is None:
            add(keys[0], PERCENT_RANGE)
        if cap_text and cap is None:
            add(keys[1], PERCENT_RANGE)
        if not per_day or cap is None:
            return None
        return {"percent_per_day": decimal_text(per_day), "max_percent": decimal_text(cap)}

    # --- learners ------------------------------------------------------------------------------------------
    def render_learner(self, context: LearnerContext) -> SafeString:
        request = context.request
        user: User = request.user  # type: ignore[assignment]
        course = context.course
        settings = AssignmentSettings.from_config(context.activity.get("config") or {})
        uid = uuid.UUID(str(context.activity["uid"]))
        now = clock.now()
        if context.preview:
            dates = services.Dates(settings.opens_at, settings.due_at, settings.cutoff_at, None)
            submissions: list[Submission] = []
        else:
            dates = services.dates_for(settings=settings, user_id=user.pk, course_id=course.pk, activity_uid=uid)
            submissions = services.submissions_of(user_id=user.pk, course_id=course.pk, activity_uid=uid)
        view = learner_view(
            settings=settings, dates=dates, submissions=submissions, course_id=course.pk, uid=uid, now=now
        )
        principal = principal_for(user, course.organization)
        can_grade = not context.preview and policy.can_grade(principal, course)
        return mark_safe(
            render_to_string(
                "assessment/assignment_learner.html",
                {
                    "ctx": context,
                    "intro": mark_safe(richtext.sanitize_html(settings.intro, course_id=course.pk)),
                    "rules": settings_in_words(settings),
                    "dates": dates_in_words(dates, now),
                    "team_links": _team_links(course.pk, uid) if can_grade else [],
                    **view,
                },
                request=request,
            )
        )

    # --- search, review, versions --------------------------------------------------------------------------
    def search_text(self, config: Mapping[str, Any]) -> str:
        return richtext.html_to_text(str(config.get("intro", "")))

    def describe(self, config: Mapping[str, Any]) -> dict[str, str]:
        settings = AssignmentSettings.from_config(config)
        dates = services.Dates(settings.opens_at, settings.due_at, settings.cutoff_at, None)
        grading = str(METHOD_LABELS[settings.grading_method])
        if settings.grading_method == "rubric" and settings.rubric:
            grading += ": " + "; ".join(
                f"{c.description} (" + ", ".join(f"{decimal_text(lv.points)} {lv.definition}" for lv in c.levels) + ")"
                for c in settings.rubric.criteria
            )
        elif settings.grading_method == "guide" and settings.guide:
            grading += ": " + "; ".join(f"{c.name} (/{decimal_text(c.max_mark)})" for c in settings.guide.criteria)
        return {
            str(_("Instructions")): richtext.html_to_text(settings.intro),
            str(_("Hand in")): " ".join(settings_in_words(settings)),
            str(_("Dates")): " ".join(dates_in_words(dates, None)),
            str(_("Grading")): grading,
        }

    def asset_ids(self, config: Mapping[str, Any]) -> list[int]:
        return richtext.asset_ids_in(str(config.get("intro", "")))

    def copy_config(self, config: Mapping[str, Any], asset_map: Mapping[int, int]) -> dict[str, Any]:
        return {**config, "intro": copy_html(str(config.get("intro", "")), asset_map)}


# --- the learner's view of their submissions --------------------------------------------------------------------


def file_url(course_id: int, uid: uuid.UUID, file_id: int) -> str:
    return reverse("assessment:assignment-file", args=[course_id, uid, file_id])


def grade_view(submission: Submission) -> dict[str, Any] | None:
    """A released grade as the learner reads it: points, percentage, penalty, feedback, the rubric's chosen levels
    or the guide's marks with the graders' remarks (never the guide's marker notes)."""
    grade = getattr(submission, "grade", None)  # None also when there is no grade row
    if grade is None or not grade.released:
        return None
    filling = grade.filling if isinstance(grade.filling, Mapping) else {}
    criteria: list[dict[str, Any]] = []
    definition = grade.definition if isinstance(grade.definition, Mapping) else {}
    if grade.method == "rubric":
        from syllabus.assessment.assignment_settings import Rubric

        rubric = Rubric.from_config(definition)
        for criterion in rubric.criteria if rubric else ():
            chosen = filling.get(criterion.id) if isinstance(filling.get(criterion.id), Mapping) else {}
            level_id = str((chosen or {}).get("level") or "")
            criteria.append(
                {
                    "name": criterion.description,
                    "levels": [
                        {
                            "points": decimal_text(lv.points),
                            "definition": lv.definition,
                            "chosen": lv.id == level_id,
                        }
                        for lv in criterion.levels
                    ],
                    "score": next((decimal_text(lv.points) for lv in criterion.levels if lv.id == level_id), "—"),
                    "max": decimal_text(criterion.max_points),
                    "remark": str((chosen or {}).get("remark") or ""),
                }
            )
    elif grade.method == "guide":
        from syllabus.assessment.assignment_settings import Guide

        guide = Guide.from_config(definition)
        for c in guide.criteria if guide else ():
            chosen = filling.get(c.id) if isinstance(filling.get(c.id), Mapping) else {}
            mark = (chosen or {}).get("mark")
            criteria.append(
                {
                    "name": c.name,
                    "description": c.description,
                    "score": str(mark) if mark not in (None, "") else "—",
                    "max": decimal_text(c.max_mark),
                    "remark": str((chosen or {}).get("comment") or ""),
                }
            )
    return {
        "points": decimal_text(grade.points),
        "max_points": decimal_text(grade.max_points),
        "percent": decimal_text(grade.percent),
        "penalty": decimal_text(grade.penalty_points) if grade.penalty_points else "",
        "passed": grade.passed,
        "feedback": mark_safe(richtext.sanitize_html(grade.feedback)) if grade.feedback else "",
        "method": grade.method,
        "criteria": criteria,
        "released_at": grade.released_at,
    }


def learner_view(
    *,
    settings: AssignmentSettings,
    dates: services.Dates,
    submissions: list[Submission],
    course_id: int,
    uid: uuid.UUID,
    now: dt.datetime,
) -> dict[str, Any]:
    """What the learner's page shows of their submissions and which actions it offers (the player's page and the
    pages of views_assignment.py share it). `submissions` newest first, with files and grades prefetched."""
    current = submissions[0] if submissions else None
    closed = services.window_error(dates, now)
    rows = []
    for submission in submissions:
        files = list(submission.files.all())
        grade = grade_view(submission)
        rows.append(
            {
                "submission": submission,
                "state": STATE_LABELS.get(submission.state, submission.state),  # type: ignore[call-overload]
                "late": duration_words(submission.late_seconds) if submission.late_seconds else "",
                "files": [
                    {"id": f.pk, "name": f.name, "size": f.size, "url": file_url(course_id, uid, f.pk)}
                    for f in files
                    if f.role == FileRole.SUBMISSION
                ],
                "grade": grade,
                "feedback_files": [
                    {"id": f.pk, "name": f.name, "size": f.size, "url": file_url(course_id, uid, f.pk)}
                    for f in files
                    if f.role == FileRole.FEEDBACK
                ]
                if grade is not None
                else [],
            }
        )
    state = current.state if current is not None else None
    can_edit = not closed and state != SubmissionState.SUBMITTED
    has_content = current is not None and (
        bool(current.text.strip() and settings.submission_text)
        or (settings.submission_files and any(r["files"] for r in rows[:1]))
    )
    can_request = (
        current is not None
        and state == SubmissionState.SUBMITTED
        and current.reopen_requested_at is None
        and services.attempts_left(settings, current)
    )
    base = [course_id, uid]
    return {
        "current": rows[0] if rows else None,
        "earlier": rows[1:],
        "closed": closed,
        "can_edit": can_edit,
        "can_submit": can_edit and state == SubmissionState.DRAFT and has_content,
        "can_request": can_request,
        "edit_label": _g("Add submission")
        if current is None
        else (_g("Edit draft") if state == SubmissionState.DRAFT else _g("Start your next try")),
        "edit_url": reverse("assessment:assignment-submission", args=base),
        "submit_url": reverse("assessment:assignment-submit", args=base),
        "request_url": reverse("assessment:assignment-reopen-request", args=base),
        "late_now": services.late_seconds(dates, now) if not closed else 0,
    }


def _team_links(course_id: int, uid: uuid.UUID) -> list[tuple[str, str]]:
    """The course team's ways from the assignment's page to its submissions, extensions and the course's queue."""
    from django.urls import reverse

    return [
        (_g("Submissions"), reverse("assessment:assignment-submissions", args=[course_id, uid])),
        (_g("Extensions"), reverse("assessment:assignment-extensions", args=[course_id, uid])),
        (_g("Grading queue"), reverse("assessment:assignment-grading", args=[course_id])),
    ]
