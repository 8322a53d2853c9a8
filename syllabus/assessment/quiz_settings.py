"""A quiz's settings, read from its activity config (the quiz kind's `config`, kept in each course version).

The quiz kind (quiz_kind.py) validates what an author sends into this shape; the attempt service reads it through
`QuizSettings.from_config`, which falls back to defaults for anything absent, so a config written by an older
release still reads. Config keys:

    intro                 HTML shown before the first attempt
    slots                 [{"type": "fixed", "question_id": 12, "mark": "2"},
                           {"type": "random", "bank_id": 3, "category_id": 7, "include_subcategories": true,
                            "tags": ["fire"], "skill_ids": [4], "min_difficulty": 2, "max_difficulty": null,
                            "count": 3, "mark": "1"}]   (mark "" or absent: the question's default mark)
    questions_per_page    0 = all on one page
    shuffle_questions     bool: the order of the slots within each attempt
    shuffle_options       bool: passed to each type's `start`
    navigation            "free" | "sequential" (no going back to an earlier page)
    opens_at, closes_at   ISO datetimes or null
    time_limit_minutes    null = none
    attempts_allowed      0 = unlimited
    delay_minutes         between the end of one attempt and the start of the next
    password              "" = none
    behaviour             "deferred" | "interactive"
    tries                 interactive: tries per question (>= 1)
    penalty               interactive: fraction lost per wrong try ("0.3333333")
    grading_method        "highest" | "average" | "first" | "last"
    pass_mark             percentage "60" or null (no pass mark: every graded attempt counts as passed)
    review                {"immediately": {...}, "after_close": {...}} each with the flags responses,
                          correctness, marks, feedback, general_feedback, right_answer
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.dateparse import parse_datetime

BEHAVIOURS = ("deferred", "interactive")
GRADING_METHODS = ("highest", "average", "first", "last")
NAVIGATION = ("free", "sequential")
REVIEW_FLAGS = ("responses", "correctness", "marks", "feedback", "general_feedback", "right_answer")
REVIEW_TIMES = ("immediately", "after_close")

DEFAULT_PENALTY = Decimal("0.3333333")

DEFAULT_REVIEW: dict[str, dict[str, bool]] = {
    "immediately": dict.fromkeys(REVIEW_FLAGS, True),
    "after_close": dict.fromkeys(REVIEW_FLAGS, True),
}


# A slot's mark is stored with the answer (max 9999.999, 3 places): beyond what an author may set, or more
# precise than that, it would be rounded by the database and no longer add up to the attempt's maximum.
MARK_LIMIT = Decimal(1000)
MARK_PLACES = Decimal("0.001")
# Durations are capped (ten years) so that `now + timedelta(minutes=...)` can never overflow.
MINUTES_LIMIT = 60 * 24 * 366 * 10
# Decimal strings longer than this are not numbers an author typed (and Decimal("9" * 10**6) is slow).
NUMBER_LIMIT = 40


def _decimal(raw: Any, default: Decimal | None) -> Decimal | None:
    if raw is None or raw == "" or isinstance(raw, bool) or len(str(raw)) > NUMBER_LIMIT:
        return default
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        return default
    return value if value.is_finite() else default


def _within(value: Decimal | None, low: Decimal, high: Decimal, default: Decimal | None) -> Decimal | None:
    """`value` if it lies in [low, high], else `default` (a hand-edited or old config never breaks the maths)."""
    if value is None or not low <= value <= high:
        return default
    return value


def _mark(raw: Any) -> Decimal | None:
    value = _within(_decimal(raw, None), Decimal(0), MARK_LIMIT, None)
    return value.quantize(MARK_PLACES) if value is not None else None


def _pass_mark(raw: Any) -> Decimal | None:
    # Clamped, not dropped: a pass mark of 150 must not turn into "no pass mark" (everyone passes).
    value = _decimal(raw, None)
    return None if value is None else min(Decimal(100), max(Decimal(0), value))


def _list(raw: Any) -> list[Any]:
    """A JSON list, or nothing: a string or a number where a list belongs is not iterated character by character."""
    return list(raw) if isinstance(raw, list | tuple) else []


def _ids(raw: Any) -> tuple[int, ...]:
    return tuple(
        dict.fromkeys(
            int(s)
            for s in _list(raw)
            if not isinstance(s, bool) and (str(s).isascii() and str(s).isdigit()) and len(str(s)) < 19
        )
    )


def _tags(raw: Any) -> tuple[str, ...]:
    # As the bank stores them (services.questions): lower-cased, whitespace collapsed.
    tags = (" ".join(str(t).split()).lower() for t in _list(raw) if isinstance(t, str | int))
    return tuple(dict.fromkeys(t for t in tags if t))


def _int(raw: Any, default: int | None) -> int | None:
    if raw is None or raw == "" or isinstance(raw, bool) or len(str(raw)) > NUMBER_LIMIT:
        return default
    try:
        return int(raw)
    except (TypeError, ValueError, OverflowError):
        return default


def _minutes(raw: Any) -> int:
    """A duration in whole minutes, 0 when absent, negative or nonsense."""
    return min(MINUTES_LIMIT, max(0, _int(raw, 0) or 0))


def _when(raw: Any) -> dt.datetime | None:
    if not raw:
        return None
    if isinstance(raw, dt.datetime):
        return raw if raw.tzinfo is not None else raw.replace(tzinfo=dt.UTC)
    try:
        parsed = parse_datetime(str(raw))
    except ValueError:
        # Well-formed but impossible ("2026-02-30T10:00"): as if no date was set.
        return None
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


@dataclass(frozen=True)
class Slot:
    type: str  # "fixed" | "random"
    mark: Decimal | None
    question_id: int | None = None
    bank_id: int | None = None
    category_id: int | None = None
    include_subcategories: bool = False
    tags: tuple[str, ...] = ()
    skill_ids: tuple[int, ...] = ()
    min_difficulty: int | None = None
    max_difficulty: int | None = None
    count: int = 1


@dataclass(frozen=True)
class QuizSettings:
    slots: tuple[Slot, ...] = ()
    intro: str = ""
    questions_per_page: int = 1
    shuffle_questions: bool = False
    shuffle_options: bool = True
    navigation: str = "free"
    opens_at: dt.datetime | None = None
    closes_at: dt.datetime | None = None
    time_limit_minutes: int | None = None
    attempts_allowed: int = 0
    delay_minutes: int = 0
    password: str = ""
    behaviour: str = "deferred"
    tries: int = 3
    penalty: Decimal = DEFAULT_PENALTY
    grading_method: str = "highest"
    pass_mark: Decimal | None = None
    review: Mapping[str, Mapping[str, bool]] = field(default_factory=lambda: DEFAULT_REVIEW)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> QuizSettings:
        if not isinstance(config, Mapping):
            config = {}
        slots = []
        for raw in _list(config.get("slots")):
            if not isinstance(raw, Mapping):
                continue
            slots.append(
                Slot(
                    type="random" if raw.get("type") == "random" else "fixed",
                    mark=_mark(raw.get("mark")),
                    question_id=_int(raw.get("question_id"), None),
                    bank_id=_int(raw.get("bank_id"), None),
                    category_id=_int(raw.get("category_id"), None),
                    include_subcategories=bool(raw.get("include_subcategories")),
                    tags=_tags(raw.get("tags")),
                    skill_ids=tuple(
                        dict.fromkeys(
                            int(s)
                            for s in _list(raw.get("skill_ids"))
                            if (str(s).isascii() and str(s).isdigit()) and len(str(s)) < 19
                        )
                    ),
                    min_difficulty=_int(raw.get("min_difficulty"), None),
                    max_difficulty=_int(raw.get("max_difficulty"), None),
                    count=max(1, _int(raw.get("count"), 1) or 1),
                )
            )
        review_raw: Mapping[str, Any] = config["review"] if isinstance(config.get("review"), Mapping) else {}
        review = {
            when: {
                flag: bool((review_raw.get(when) or {}).get(flag, DEFAULT_REVIEW[when][flag]))
                if isinstance(review_raw.get(when, {}), Mapping)
                else DEFAULT_REVIEW[when][flag]
                for flag in REVIEW_FLAGS
            }
            for when in REVIEW_TIMES
        }
        behaviour = str(config.get("behaviour") or "deferred")
        method = str(config.get("grading_method") or "highest")
        navigation = str(config.get("navigation") or "free")
        return cls(
            slots=tuple(slots),
            intro=str(config.get("intro") or ""),
            questions_per_page=max(0, _int(config.get("questions_per_page"), 1) or 0),
            shuffle_questions=bool(config.get("shuffle_questions", False)),
            shuffle_options=bool(config.get("shuffle_options", True)),
            navigation=navigation if navigation in NAVIGATION else "free",
            opens_at=_when(config.get("opens_at")),
            closes_at=_when(config.get("closes_at")),
            # Zero or less is "no limit", never a deadline in the past.
            time_limit_minutes=_minutes(config.get("time_limit_minutes")) or None,
            attempts_allowed=max(0, _int(config.get("attempts_allowed"), 0) or 0),
            delay_minutes=_minutes(config.get("delay_minutes")),
            password=str(config.get("password") or ""),
            behaviour=behaviour if behaviour in BEHAVIOURS else "deferred",
            tries=max(1, _int(config.get("tries"), 3) or 1),
            # A penalty outside 0..1 would add marks (negative) or take more than the question is worth.
            penalty=_within(_decimal(config.get("penalty"), DEFAULT_PENALTY), Decimal(0), Decimal(1), DEFAULT_PENALTY)
            or Decimal(0),
            grading_method=method if method in GRADING_METHODS else "highest",
            pass_mark=_pass_mark(config.get("pass_mark")),
            review=review,
        )

    def as_snapshot(self) -> dict[str, Any]:
        """What an attempt keeps of the settings (JSON): everything that governs it after it started."""
        return {
            "questions_per_page": self.questions_per_page,
            "navigation": self.navigation,
            "behaviour": self.behaviour,
            "tries": self.tries,
            "penalty": str(self.penalty),
            "grading_method": self.grading_method,
            "pass_mark": str(self.pass_mark) if self.pass_mark is not None else None,
            "time_limit_minutes": self.time_limit_minutes,
            "closes_at": self.closes_at.isoformat() if self.closes_at else None,
            "review": {when: dict(flags) for when, flags in self.review.items()},
        }
