"""Scoring a grader's filling of an assignment's grading definition: a rubric, a marking guide, or plain points.

Pure functions, no database: they validate what a grader chose (a form or a JSON body, so every value is hostile)
against the definition (the shapes of `assignment_settings.py`) and return the raw points, the maximum, the cleaned
filling as `SubmissionGrade.filling` keeps it, and the errors, each keyed by the criterion's id (or "points") and
naming the criterion, so the page puts it beside its fieldset and the API on its field.

- Rubric: one level per criterion; every criterion must have one before the grade counts. Raw points are the sum
  of the chosen levels' points; the maximum is the sum over criteria of the highest level's points. An optional
  remark per criterion (plain text, up to `REMARK_LIMIT` characters).
- Marking guide: a mark per criterion from 0 to its `max_mark`, at most two decimal places, every criterion
  marked; an optional comment each. Raw points are the sum of the marks; the maximum the sum of `max_mark`.
- Points: one number from 0 to the assignment's maximum, at most two decimal places.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

REMARK_LIMIT = 5_000
# Longer text than any real number: refused before Decimal parses it.
NUMBER_CHARS = 30
PLACES = Decimal("0.01")

METHOD_POINTS = "points"
METHOD_RUBRIC = "rubric"
METHOD_GUIDE = "guide"
METHODS = (METHOD_POINTS, METHOD_RUBRIC, METHOD_GUIDE)

LEVEL_REQUIRED = "Choose a level for “{criterion}”."
LEVEL_UNKNOWN = "“{criterion}” has no such level: choose one of its levels."
MARK_REQUIRED = "Give a mark for “{criterion}”."
MARK_RANGE = "Give “{criterion}” a mark from 0 to {max}, with at most two decimal places."
REMARK_TOO_LONG = "Keep the remark on “{criterion}” under {limit} characters."
COMMENT_TOO_LONG = "Keep the comment on “{criterion}” under {limit} characters."
POINTS_REQUIRED = "Give the points."
POINTS_RANGE = "Give points from 0 to {max}, with at most two decimal places."
FILLING_NOT_OBJECT = "Send the filling as an object of criterion ids."
UNKNOWN_CRITERION = "There is no criterion “{id}” in this assignment's {method}."
NO_CRITERIA = "This assignment's {method} has no criteria: it cannot be graded with it."
UNKNOWN_METHOD = "Unknown grading method “{method}”."


@dataclass(frozen=True)
class Score:
    """What a filling is worth. `errors` maps a criterion id (or "points", or "filling") to its message; with
    errors, `raw_points` counts only what was valid and the grade must not be saved."""

    method: str
    raw_points: Decimal
    max_points: Decimal
    filling: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.errors


def decimal_or_none(raw: Any) -> Decimal | None:
    """A finite decimal from a form or JSON value ("7.5", 7.5, 7), or None when it is not one (booleans, NaN,
    "1e999", empty text, anything too long)."""
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int | float | str):
        text = str(raw).strip().replace(",", ".") if isinstance(raw, str) else repr(raw)
        if not text or len(text) > NUMBER_CHARS:
            return None
        try:
            value = Decimal(text)
        except (InvalidOperation, ValueError):
            return None
    else:
        return None
    if not value.is_finite() or abs(value) >= Decimal(10) ** 9:
        return None
    return value


def _places_ok(value: Decimal) -> bool:
    return value == value.quantize(PLACES)


def decimal_text(value: Decimal) -> str:
    """A decimal as people read it: 5, 7.5 (never 5.00000 or 1E+1)."""
    normal = value.normalize()
    return f"{normal:f}"


def _criteria(definition: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    rows = (definition or {}).get("criteria") if isinstance(definition, Mapping) else None
    return [row for row in rows if isinstance(row, Mapping)] if isinstance(rows, list) else []


def _levels(criterion: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    rows = criterion.get("levels")
    return [row for row in rows if isinstance(row, Mapping)] if isinstance(rows, list) else []


def _level_points(level: Mapping[str, Any]) -> Decimal:
    return decimal_or_none(level.get("points")) or Decimal(0)


def _text(raw: Any) -> str:
    # NUL means nothing in a remark and PostgreSQL's jsonb refuses it: dropped.
    return raw.replace("\x00", "").strip() if isinstance(raw, str) else ""


def _entry(filling: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """One criterion's part of a filling: an object, or a bare value (a level id, a mark) for short JSON."""
    raw = filling.get(key)
    if isinstance(raw, Mapping):
        return raw
    if raw is None:
        return {}
    return {"level": raw, "mark": raw}


def rubric_max(rubric: Mapping[str, Any] | None) -> Decimal:
    """The most a rubric gives: the sum over criteria of their highest level's points."""
    total = Decimal(0)
    for criterion in _criteria(rubric):
        levels = _levels(criterion)
        if levels:
            total += max(_level_points(level) for level in levels)
    return total


def guide_max(guide: Mapping[str, Any] | None) -> Decimal:
    """The most a marking guide gives: the sum of its criteria's `max_mark`."""
    return sum((decimal_or_none(criterion.get("max_mark")) or Decimal(0) for criterion in _criteria(guide)), Decimal(0))


def _unknown_keys(filling: Mapping[str, Any], known: set[str], method: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    for key in filling:
        if str(key) not in known:
            errors["filling"] = UNKNOWN_CRITERION.format(id=str(key)[:40], method=method)
            break
    return errors


def score_rubric(rubric: Mapping[str, Any] | None, filling: Any) -> Score:
    """A rubric filling {criterion id: {"level": level id, "remark": text}} scored against `rubric`."""
    maximum = rubric_max(rubric)
    criteria = _criteria(rubric)
    if not criteria:
        return Score(METHOD_RUBRIC, Decimal(0), maximum, errors={"filling": NO_CRITERIA.format(method="rubric")})
    if not isinstance(filling, Mapping):
        return Score(METHOD_RUBRIC, Decimal(0), maximum, errors={"filling": FILLING_NOT_OBJECT})
    errors = _unknown_keys(filling, {str(c.get("id")) for c in criteria}, "rubric")
    cleaned: dict[str, Any] = {}
    raw = Decimal(0)
    for criterion in criteria:
        key = str(criterion.get("id"))
        name = str(criterion.get("description") or key)
        entry = _entry(filling, key)
        remark = _text(entry.get("remark"))
        if len(remark) > REMARK_LIMIT:
            errors[key] = REMARK_TOO_LONG.format(criterion=name, limit=f"{REMARK_LIMIT:,}")
            continue
        chosen = entry.get("level")
        if chosen in (None, ""):
            errors[key] = LEVEL_REQUIRED.format(criterion=name)
            continue
        level = next((lv for lv in _levels(criterion) if str(lv.get("id")) == str(chosen)), None)
        if level is None:
            errors[key] = LEVEL_UNKNOWN.format(criterion=name)
            continue
        raw += _level_points(level)
        cleaned[key] = {"level": str(level.get("id")), "remark": remark}
    return Score(METHOD_RUBRIC, raw, maximum, cleaned, errors)


def score_guide(guide: Mapping[str, Any] | None, filling: Any) -> Score:
    """A marking-guide filling {criterion id: {"mark": "7.5", "comment": text}} scored against `guide`."""
    maximum = guide_max(guide)
    criteria = _criteria(guide)
    if not criteria:
        return Score(METHOD_GUIDE, Decimal(0), maximum, errors={"filling": NO_CRITERIA.format(method="guide")})
    if not isinstance(filling, Mapping):
        return Score(METHOD_GUIDE, Decimal(0), maximum, errors={"filling": FILLING_NOT_OBJECT})
    errors = _unknown_keys(filling, {str(c.get("id")) for c in criteria}, "guide")
    cleaned: dict[str, Any] = {}
    raw = Decimal(0)
    for criterion in criteria:
        key = str(criterion.get("id"))
        name = str(criterion.get("name") or key)
        top = decimal_or_none(criterion.get("max_mark")) or Decimal(0)
        entry = _entry(filling, key)
        comment = _text(entry.get("comment"))
        if len(comment) > REMARK_LIMIT:
            errors[key] = COMMENT_TOO_LONG.format(criterion=name, limit=f"{REMARK_LIMIT:,}")
            continue
        given = entry.get("mark")
        if given is None or (isinstance(given, str) and not given.strip()):
            errors[key] = MARK_REQUIRED.format(criterion=name)
            continue
        mark = decimal_or_none(given)
        if mark is None or not Decimal(0) <= mark <= top or not _places_ok(mark):
            errors[key] = MARK_RANGE.format(criterion=name, max=decimal_text(top))
            continue
        raw += mark
        cleaned[key] = {"mark": decimal_text(mark), "comment": comment}
    return Score(METHOD_GUIDE, raw, maximum, cleaned, errors)


def score_points(max_points: Decimal, points: Any) -> Score:
    """Plain points from 0 to `max_points`."""
    if points is None or (isinstance(points, str) and not points.strip()):
        return Score(METHOD_POINTS, Decimal(0), max_points, errors={"points": POINTS_REQUIRED})
    value = decimal_or_none(points)
    if value is None or not Decimal(0) <= value <= max_points or not _places_ok(value):
        return Score(
            METHOD_POINTS, Decimal(0), max_points, errors={"points": POINTS_RANGE.format(max=decimal_text(max_points))}
        )
    return Score(METHOD_POINTS, value, max_points)


def score(
    *, method: str, definition: Mapping[str, Any] | None, filling: Any, points: Any, max_points: Decimal
) -> Score:
    """Score by the assignment's method: the rubric or guide `definition` with `filling`, or `points` out of
    `max_points` (the points method's maximum; a rubric's and a guide's come from their definition)."""
    if method == METHOD_RUBRIC:
        return score_rubric(definition, filling)
    if method == METHOD_GUIDE:
        return score_guide(definition, filling)
    if method == METHOD_POINTS:
        return score_points(max_points, points)
    return Score(method, Decimal(0), max_points, errors={"filling": UNKNOWN_METHOD.format(method=str(method)[:20])})


def level_of(definition: Mapping[str, Any] | None, criterion_id: str, level_id: str) -> Mapping[str, Any] | None:
    """A rubric level by ids (what the grading page and the learner's view show for a filling)."""
    for criterion in _criteria(definition):
        if str(criterion.get("id")) == criterion_id:
            return next((lv for lv in _levels(criterion) if str(lv.get("id")) == level_id), None)
    return None
