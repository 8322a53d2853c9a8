"""An assignment's settings, read from its activity config (the assignment kind's `config`, kept in each course
version).

The assignment kind (assignment_kind.py) validates what an author sends into this shape; the submission and
grading services read it through `AssignmentSettings.from_config`, which falls back to defaults for anything absent
or nonsensical, so a config written by an older release (or edited by hand) still reads. Config keys:

    intro              HTML instructions (catalog.richtext sanitised)
    submission_text    bool: an online text answer (default true)
    submission_files   bool: file uploads (default false)
    word_limit         int, 0 = none (online text)
    max_files          int 1..20 (default 3)
    max_file_mb        int 1..settings.ASSIGNMENT_MAX_FILE_MB (default 20)
    accepted_types     list of lowercase extensions like [".pdf", ".docx"]; [] = the safe default list
    opens_at           ISO datetime or null: submissions accepted from
    due_at             ISO datetime or null
    cutoff_at          ISO datetime or null: no submission after it (>= due_at)
    late_penalty       null, or {"percent_per_day": "10", "max_percent": "50"}: percent of the maximum points lost
                       per started 24 h late (ceil), at most max_percent
    resubmission       "none" | "on_request"
    max_attempts       int, 0 = unlimited (with on_request)
    grading            {"method": "points"|"rubric"|"guide", "max_points": "100", "rubric": {...}|null,
                        "guide": {...}|null}
    pass_mark          percentage string "50" or null

Rubric: {"criteria": [{"id": "c1", "description": "...", "levels": [{"id": "c1-l1", "points": "0",
"definition": "..."}, ...]}]} — max points = the sum over criteria of the highest level's points.
Guide: {"criteria": [{"id": "g1", "name": "...", "description": "...", "marker_notes": "...", "max_mark": "10"}]}
— max points = the sum of max_mark.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings as django_settings
from django.utils.dateparse import parse_datetime

GRADING_METHODS = ("points", "rubric", "guide")
RESUBMISSION = ("none", "on_request")

DEFAULT_MAX_POINTS = Decimal(100)
DEFAULT_MAX_FILES = 3
DEFAULT_MAX_FILE_MB = 20
MAX_FILES_LIMIT = 20
POINTS_LIMIT = Decimal(1000)  # a rubric level's points, a guide criterion's max mark
MAX_POINTS_LIMIT = Decimal(100_000)  # an assignment's maximum in points (SubmissionGrade holds 10 digits, 5 places)
WORD_LIMIT_MAX = 1_000_000
ATTEMPTS_LIMIT = 100
POINT_PLACES = Decimal("0.00001")  # SubmissionGrade's decimals
NUMBER_LIMIT = 40  # longer decimal strings are not numbers an author typed
DAY_SECONDS = 24 * 60 * 60

# Accepted when the author lists no types: documents, sheets, slides, images, plain text and audio/video.
DEFAULT_TYPES: tuple[str, ...] = (
    ".pdf", ".doc", ".docx", ".odt", ".rtf", ".txt", ".md", ".csv",
    ".xls", ".xlsx", ".ods", ".ppt", ".pptx", ".odp",
    ".png", ".jpg", ".jpeg", ".gif", ".webp",
    ".mp3", ".m4a", ".wav", ".mp4", ".webm", ".zip",
)  # fmt: skip
# Never accepted, whatever the author lists: programs and scripts, and types a browser runs or renders as a page
# (a submission is served to the course team: HTML or SVG could carry script).
BLOCKED_TYPES: frozenset[str] = frozenset(
    {
        ".exe", ".dll", ".com", ".bat", ".cmd", ".msi", ".msp", ".scr", ".pif", ".cpl", ".jar", ".js", ".mjs",
        ".jse", ".vbs", ".vbe", ".wsf", ".wsh", ".ps1", ".psm1", ".sh", ".bash", ".zsh", ".csh", ".app", ".apk",
        ".deb", ".rpm", ".dmg", ".pkg", ".elf", ".bin", ".so", ".dylib", ".lnk", ".reg", ".hta", ".html", ".htm",
        ".xhtml", ".shtml", ".svg", ".svgz", ".xml", ".xsl", ".php", ".py", ".pl", ".rb", ".cgi", ".asp", ".aspx",
        ".jsp", ".swf", ".iso", ".img",
    }
)  # fmt: skip


# --- tolerant readers -----------------------------------------------------------------------------------------


def _decimal(raw: Any) -> Decimal | None:
    if raw is None or raw == "" or isinstance(raw, bool) or len(str(raw)) > NUMBER_LIMIT:
        return None
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def _bounded(raw: Any, low: Decimal, high: Decimal) -> Decimal | None:
    value = _decimal(raw)
    return value if value is not None and low <= value <= high else None


def _int(raw: Any, default: int, low: int, high: int) -> int:
    if raw is None or raw == "" or isinstance(raw, bool) or len(str(raw)) > NUMBER_LIMIT:
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError, OverflowError):
        return default
    return value if low <= value <= high else default


def _bool(raw: Any, default: bool) -> bool:
    if raw is None:
        return default
    if isinstance(raw, bool):
        return raw
    return str(raw).strip().lower() in {"on", "true", "1", "yes"}


def _text(raw: Any) -> str:
    return raw if isinstance(raw, str) else ""


def _list(raw: Any) -> list[Any]:
    return list(raw) if isinstance(raw, list | tuple) else []


def when(raw: Any) -> dt.datetime | None:
    """An aware datetime from a stored ISO string (naive ones are UTC), or None for absent or nonsense."""
    if not raw:
        return None
    if isinstance(raw, dt.datetime):
        return raw if raw.tzinfo is not None else raw.replace(tzinfo=dt.UTC)
    try:
        parsed = parse_datetime(str(raw)[:40])
    except ValueError:
        return None
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def normalise_type(raw: Any) -> str:
    """ ".PDF", "pdf", " .pdf " -> ".pdf" ("" for nothing usable)."""
    text = str(raw or "").strip().lower()
    if not text:
        return ""
    return text if text.startswith(".") else f".{text}"


def max_file_mb_limit() -> int:
    return max(1, int(getattr(django_settings, "ASSIGNMENT_MAX_FILE_MB", DEFAULT_MAX_FILE_MB)))


# --- the shape --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    id: str
    points: Decimal
    definition: str


@dataclass(frozen=True)
class Criterion:
    id: str
    description: str
    levels: tuple[Level, ...]

    @property
    def max_points(self) -> Decimal:
        return max((level.points for level in self.levels), default=Decimal(0))

    def level(self, level_id: str) -> Level | None:
        return next((level for level in self.levels if level.id == level_id), None)


@dataclass(frozen=True)
class Rubric:
    criteria: tuple[Criterion, ...]

    @property
    def max_points(self) -> Decimal:
        return sum((criterion.max_points for criterion in self.criteria), Decimal(0))

    def criterion(self, criterion_id: str) -> Criterion | None:
        return next((c for c in self.criteria if c.id == criterion_id), None)

    @classmethod
    def from_config(cls, raw: Any) -> Rubric | None:
        if not isinstance(raw, Mapping):
            return None
        criteria = []
        for item in _list(raw.get("criteria")):
            if not isinstance(item, Mapping) or not str(item.get("id") or ""):
                continue
            levels = tuple(
                Level(
                    id=str(level.get("id") or ""),
                    points=_bounded(level.get("points"), Decimal(0), POINTS_LIMIT) or Decimal(0),
                    definition=_text(level.get("definition")),
                )
                for level in _list(item.get("levels"))
                if isinstance(level, Mapping) and str(level.get("id") or "")
            )
            criteria.append(Criterion(id=str(item["id"]), description=_text(item.get("description")), levels=levels))
        return cls(criteria=tuple(criteria))

    def as_config(self) -> dict[str, Any]:
        return {
            "criteria": [
                {
                    "id": c.id,
                    "description": c.description,
                    "levels": [
                        {"id": lv.id, "points": decimal_text(lv.points), "definition": lv.definition} for lv in c.levels
                    ],
                }
                for c in self.criteria
            ]
        }


@dataclass(frozen=True)
class GuideCriterion:
    id: str
    name: str
    description: str  # shown to learners
    marker_notes: str  # only for graders
    max_mark: Decimal


@dataclass(frozen=True)
class Guide:
    criteria: tuple[GuideCriterion, ...]

    @property
    def max_points(self) -> Decimal:
        return sum((criterion.max_mark for criterion in self.criteria), Decimal(0))

    def criterion(self, criterion_id: str) -> GuideCriterion | None:
        return next((c for c in self.criteria if c.id == criterion_id), None)

    @classmethod
    def from_config(cls, raw: Any) -> Guide | None:
        if not isinstance(raw, Mapping):
            return None
        criteria = tuple(
            GuideCriterion(
                id=str(item["id"]),
                name=_text(item.get("name")),
                description=_text(item.get("description")),
                marker_notes=_text(item.get("marker_notes")),
                max_mark=_bounded(item.get("max_mark"), Decimal(0), POINTS_LIMIT) or Decimal(0),
            )
            for item in _list(raw.get("criteria"))
            if isinstance(item, Mapping) and str(item.get("id") or "")
        )
        return cls(criteria=criteria)

    def as_config(self) -> dict[str, Any]:
        return {
            "criteria": [
                {
                    "id": c.id,
                    "name": c.name,
                    "description": c.description,
                    "marker_notes": c.marker_notes,
                    "max_mark": decimal_text(c.max_mark),
                }
                for c in self.criteria
            ]
        }


@dataclass(frozen=True)
class LatePenalty:
    percent_per_day: Decimal
    max_percent: Decimal

    @classmethod
    def from_config(cls, raw: Any) -> LatePenalty | None:
        if not isinstance(raw, Mapping):
            return None
        per_day = _bounded(raw.get("percent_per_day"), Decimal(0), Decimal(100))
        if not per_day:
            return None
        cap = _bounded(raw.get("max_percent"), Decimal(0), Decimal(100))
        return cls(percent_per_day=per_day, max_percent=Decimal(100) if cap is None else cap)

    def as_config(self) -> dict[str, str]:
        return {"percent_per_day": decimal_text(self.percent_per_day), "max_percent": decimal_text(self.max_percent)}


@dataclass(frozen=True)
class AssignmentSettings:
    intro: str = ""
    submission_text: bool = True
    submission_files: bool = False
    word_limit: int = 0
    max_files: int = DEFAULT_MAX_FILES
    max_file_mb: int = DEFAULT_MAX_FILE_MB
    accepted_types: tuple[str, ...] = ()
    opens_at: dt.datetime | None = None
    due_at: dt.datetime | None = None
    cutoff_at: dt.datetime | None = None
    late_penalty: LatePenalty | None = None
    resubmission: str = "none"
    max_attempts: int = 0
    grading_method: str = "points"
    points: Decimal = DEFAULT_MAX_POINTS  # the maximum with the "points" method
    rubric: Rubric | None = None
    guide: Guide | None = None
    pass_mark: Decimal | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> AssignmentSettings:
        if not isinstance(config, Mapping):
            config = {}
        raw_grading = config.get("grading")
        grading: Mapping[str, Any] = raw_grading if isinstance(raw_grading, Mapping) else {}
        method = str(grading.get("method") or "points")
        resubmission = str(config.get("resubmission") or "none")
        types = tuple(
            dict.fromkeys(
                t
                for t in (normalise_type(raw) for raw in _list(config.get("accepted_types")) if isinstance(raw, str))
                if t and t not in BLOCKED_TYPES
            )
        )
        pass_mark = _decimal(config.get("pass_mark"))
        cutoff = when(config.get("cutoff_at"))
        due = when(config.get("due_at"))
        return cls(
            intro=_text(config.get("intro")),
            submission_text=_bool(config.get("submission_text"), True),
            submission_files=_bool(config.get("submission_files"), False),
            word_limit=_int(config.get("word_limit"), 0, 0, WORD_LIMIT_MAX),
            max_files=_int(config.get("max_files"), DEFAULT_MAX_FILES, 1, MAX_FILES_LIMIT),
            max_file_mb=min(
                max_file_mb_limit(), _int(config.get("max_file_mb"), DEFAULT_MAX_FILE_MB, 1, max_file_mb_limit())
            ),
            accepted_types=types,
            opens_at=when(config.get("opens_at")),
            due_at=due,
            # A cut-off before the due date (a hand-edited config) would close before the due date: the due date wins.
            cutoff_at=max(cutoff, due) if cutoff is not None and due is not None else cutoff,
            late_penalty=LatePenalty.from_config(config.get("late_penalty")),
            resubmission=resubmission if resubmission in RESUBMISSION else "none",
            max_attempts=_int(config.get("max_attempts"), 0, 0, ATTEMPTS_LIMIT),
            grading_method=method if method in GRADING_METHODS else "points",
            points=_bounded(grading.get("max_points"), Decimal(0), MAX_POINTS_LIMIT) or DEFAULT_MAX_POINTS,
            rubric=Rubric.from_config(grading.get("rubric")),
            guide=Guide.from_config(grading.get("guide")),
            # Clamped, not dropped: a pass mark of 150 must not turn into "no pass mark".
            pass_mark=None if pass_mark is None else min(Decimal(100), max(Decimal(0), pass_mark)),
        )

    @property
    def max_points(self) -> Decimal:
        """The grade's maximum: the points of the "points" method, the rubric's or the guide's total."""
        if self.grading_method == "rubric" and self.rubric is not None and self.rubric.criteria:
            return self.rubric.max_points
        if self.grading_method == "guide" and self.guide is not None and self.guide.criteria:
            return self.guide.max_points
        return self.points

    @property
    def types(self) -> tuple[str, ...]:
        """The extensions a file may have: the author's list, or the default list."""
        return self.accepted_types or DEFAULT_TYPES

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb * 1024 * 1024


def late_penalty_points(settings: AssignmentSettings, *, max_points: Decimal, late_seconds: int) -> Decimal:
    """The points lost for handing in `late_seconds` after the due date: `percent_per_day` of `max_points` for each
    started 24 hours, at most `max_percent` of it; 0 when on time or without a penalty rule."""
    rule = settings.late_penalty
    if rule is None or late_seconds <= 0 or max_points <= 0:
        return Decimal(0)
    days = -(-late_seconds // DAY_SECONDS)  # every started day counts
    percent = min(rule.percent_per_day * days, rule.max_percent, Decimal(100))
    return (max_points * percent / Decimal(100)).quantize(POINT_PLACES, rounding=ROUND_HALF_UP)


def decimal_text(value: Decimal) -> str:
    """A decimal as an author would write it: "10", "2.5" (no exponent, no trailing zeros)."""
    text = format(value.normalize(), "f")
    return "0" if text in {"-0", "0"} else text
