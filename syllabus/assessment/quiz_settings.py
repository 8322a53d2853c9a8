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

DEFAULT_REVIEW: dict[str, dict[str, bool]] = {
    "immediately": dict.fromkeys(REVIEW_FLAGS, True),
    "after_close": dict.fromkeys(REVIEW_FLAGS, True),
}


def _decimal(raw: Any, default: Decimal | None) -> Decimal | None:
    if raw is None or raw == "":
        return default
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return default
    return value if value.is_finite() else default


def _int(raw: Any, default: int | None) -> int | None:
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except (TypeError, ValueError):
        return default


def _when(raw: Any) -> dt.datetime | None:
    if not raw:
        return None
    if isinstance(raw, dt.datetime):
        return raw
    parsed = parse_datetime(str(raw))
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
    penalty: Decimal = Decimal("0.3333333")
    grading_method: str = "highest"
    pass_mark: Decimal | None = None
    review: Mapping[str, Mapping[str, bool]] = field(default_factory=lambda: DEFAULT_REVIEW)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> QuizSettings:
        slots = []
        for raw in config.get("slots") or []:
            if not isinstance(raw, Mapping):
                continue
            slots.append(
                Slot(
                    type="random" if raw.get("type") == "random" else "fixed",
                    mark=_decimal(raw.get("mark"), None),
                    question_id=_int(raw.get("question_id"), None),
                    bank_id=_int(raw.get("bank_id"), None),
                    category_id=_int(raw.get("category_id"), None),
                    include_subcategories=bool(raw.get("include_subcategories")),
                    tags=tuple(str(t) for t in raw.get("tags") or ()),
                    skill_ids=tuple(int(s) for s in raw.get("skill_ids") or () if str(s).isdigit()),
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
            time_limit_minutes=_int(config.get("time_limit_minutes"), None) or None,
            attempts_allowed=max(0, _int(config.get("attempts_allowed"), 0) or 0),
            delay_minutes=max(0, _int(config.get("delay_minutes"), 0) or 0),
            password=str(config.get("password") or ""),
            behaviour=behaviour if behaviour in BEHAVIOURS else "deferred",
            tries=max(1, _int(config.get("tries"), 3) or 1),
            penalty=_decimal(config.get("penalty"), Decimal("0.3333333")) or Decimal(0),
            grading_method=method if method in GRADING_METHODS else "highest",
            pass_mark=_decimal(config.get("pass_mark"), None),
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
