"""QuizSettings.from_config: what the attempt service reads of a quiz's config, whatever the config holds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syllabus.assessment.quiz_settings import DEFAULT_PENALTY, DEFAULT_REVIEW, MINUTES_LIMIT, QuizSettings, Slot


def test_an_empty_config_reads_as_the_defaults() -> None:
    quiz = QuizSettings.from_config({})
    assert quiz == QuizSettings()
    assert quiz.slots == ()
    assert quiz.questions_per_page == 1
    assert quiz.navigation == "free"
    assert quiz.behaviour == "deferred"
    assert quiz.grading_method == "highest"
    assert quiz.tries == 3
    assert quiz.penalty == Decimal("0.3333333")
    assert quiz.pass_mark is None
    assert quiz.attempts_allowed == 0
    assert quiz.review == DEFAULT_REVIEW


def test_a_full_config_reads_every_setting() -> None:
    quiz = QuizSettings.from_config(
        {
            "intro": "<p>Hi</p>",
            "slots": [
                {"type": "fixed", "question_id": 12, "mark": "2"},
                {
                    "type": "random",
                    "bank_id": 3,
                    "category_id": 7,
                    "include_subcategories": True,
                    "tags": ["fire"],
                    "skill_ids": [4],
                    "min_difficulty": 2,
                    "max_difficulty": None,
                    "count": 3,
                    "mark": "",
                },
            ],
            "questions_per_page": 0,
            "shuffle_questions": True,
            "shuffle_options": False,
            "navigation": "sequential",
            "opens_at": "2026-03-01T08:00:00+00:00",
            "closes_at": "2026-03-10T17:00:00Z",
            "time_limit_minutes": 30,
            "attempts_allowed": 2,
            "delay_minutes": 60,
            "password": "blue door",
            "behaviour": "interactive",
            "tries": 2,
            "penalty": "0.5",
            "grading_method": "average",
            "pass_mark": "60",
            "review": {"immediately": {"right_answer": False}, "after_close": {}},
        }
    )
    assert quiz.slots == (
        Slot(type="fixed", mark=Decimal(2), question_id=12),
        Slot(
            type="random",
            mark=None,
            bank_id=3,
            category_id=7,
            include_subcategories=True,
            tags=("fire",),
            skill_ids=(4,),
            min_difficulty=2,
            count=3,
        ),
    )
    assert quiz.intro == "<p>Hi</p>"
    assert quiz.questions_per_page == 0
    assert (quiz.shuffle_questions, quiz.shuffle_options) == (True, False)
    assert quiz.navigation == "sequential"
    assert quiz.opens_at == dt.datetime(2026, 3, 1, 8, tzinfo=dt.UTC)
    assert quiz.closes_at == dt.datetime(2026, 3, 10, 17, tzinfo=dt.UTC)
    assert (quiz.time_limit_minutes, quiz.attempts_allowed, quiz.delay_minutes) == (30, 2, 60)
    assert quiz.password == "blue door"
    assert (quiz.behaviour, quiz.tries, quiz.penalty) == ("interactive", 2, Decimal("0.5"))
    assert (quiz.grading_method, quiz.pass_mark) == ("average", Decimal(60))
    assert quiz.review["immediately"]["right_answer"] is False
    assert quiz.review["immediately"]["responses"] is True
    assert quiz.review["after_close"] == DEFAULT_REVIEW["after_close"]


def test_unknown_choices_fall_back_to_the_defaults() -> None:
    quiz = QuizSettings.from_config({"navigation": "backwards", "behaviour": "adaptive", "grading_method": "best"})
    assert (quiz.navigation, quiz.behaviour, quiz.grading_method) == ("free", "deferred", "highest")


def test_a_naive_date_is_read_as_utc_and_an_impossible_one_as_no_date() -> None:
    quiz = QuizSettings.from_config({"opens_at": "2026-03-01T08:00", "closes_at": "2026-02-30T10:00"})
    assert quiz.opens_at == dt.datetime(2026, 3, 1, 8, tzinfo=dt.UTC)
    assert quiz.closes_at is None
    assert QuizSettings.from_config({"opens_at": "next tuesday"}).opens_at is None


def test_tags_are_read_as_the_bank_stores_them() -> None:
    slot = QuizSettings.from_config({"slots": [{"type": "random", "tags": ["  Fire  Safety ", "fire safety", ""]}]})
    assert slot.slots[0].tags == ("fire safety",)


def test_a_string_where_a_list_belongs_is_not_read_letter_by_letter() -> None:
    quiz = QuizSettings.from_config({"slots": [{"type": "random", "tags": "fire", "skill_ids": "12"}]})
    assert quiz.slots[0].tags == ()
    assert quiz.slots[0].skill_ids == ()
    assert QuizSettings.from_config({"slots": "fixed"}).slots == ()
    assert QuizSettings.from_config({"slots": 7}).slots == ()


def test_slot_marks_outside_zero_to_a_thousand_mean_the_default_mark_and_are_kept_to_three_places() -> None:
    quiz = QuizSettings.from_config(
        {"slots": [{"mark": "-1"}, {"mark": "1001"}, {"mark": "NaN"}, {"mark": "2.34567"}, {"mark": True}]}
    )
    assert [s.mark for s in quiz.slots] == [None, None, None, Decimal("2.346"), None]


def test_a_penalty_outside_zero_to_one_is_the_default_penalty() -> None:
    assert QuizSettings.from_config({"penalty": "-0.5"}).penalty == DEFAULT_PENALTY
    assert QuizSettings.from_config({"penalty": "2"}).penalty == DEFAULT_PENALTY
    assert QuizSettings.from_config({"penalty": "0"}).penalty == Decimal(0)
    assert QuizSettings.from_config({"penalty": "1"}).penalty == Decimal(1)


def test_a_pass_mark_is_clamped_to_a_percentage_never_dropped() -> None:
    assert QuizSettings.from_config({"pass_mark": "150"}).pass_mark == Decimal(100)
    assert QuizSettings.from_config({"pass_mark": "-5"}).pass_mark == Decimal(0)
    assert QuizSettings.from_config({"pass_mark": ""}).pass_mark is None


def test_durations_are_never_negative_nor_large_enough_to_overflow_a_date() -> None:
    quiz = QuizSettings.from_config({"time_limit_minutes": -30, "delay_minutes": -1})
    assert (quiz.time_limit_minutes, quiz.delay_minutes) == (None, 0)
    quiz = QuizSettings.from_config({"time_limit_minutes": 10**30, "delay_minutes": "9" * 35})
    assert (quiz.time_limit_minutes, quiz.delay_minutes) == (MINUTES_LIMIT, MINUTES_LIMIT)
    assert dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=MINUTES_LIMIT) > dt.datetime(
        2035, 1, 1, tzinfo=dt.UTC
    )


def test_counts_and_tries_are_at_least_one() -> None:
    quiz = QuizSettings.from_config({"tries": 0, "slots": [{"type": "random", "count": -3}]})
    assert quiz.tries == 1
    assert quiz.slots[0].count == 1


def test_a_config_that_is_not_an_object_reads_as_the_defaults() -> None:
    assert QuizSettings.from_config(["slots"]) == QuizSettings()  # type: ignore[arg-type]


def test_the_snapshot_keeps_what_governs_a_running_attempt_as_json() -> None:
    quiz = QuizSettings.from_config(
        {"closes_at": "2026-03-10T17:00:00Z", "pass_mark": "60", "penalty": "0.25", "time_limit_minutes": 20}
    )
    snapshot = quiz.as_snapshot()
    assert snapshot["closes_at"] == "2026-03-10T17:00:00+00:00"
    assert snapshot["pass_mark"] == "60"
    assert snapshot["penalty"] == "0.25"
    assert snapshot["time_limit_minutes"] == 20
    assert set(snapshot) == {
        "questions_per_page",
        "navigation",
        "behaviour",
        "tries",
        "penalty",
        "grading_method",
        "pass_mark",
        "time_limit_minutes",
        "closes_at",
        "review",
    }


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
KEYS = st.sampled_from(
    [
        "slots",
        "questions_per_page",
        "shuffle_questions",
        "navigation",
        "opens_at",
        "closes_at",
        "time_limit_minutes",
        "attempts_allowed",
        "delay_minutes",
        "password",
        "behaviour",
        "tries",
        "penalty",
        "grading_method",
        "pass_mark",
        "review",
    ]
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    config=st.dictionaries(KEYS, JSON, max_size=8),
    slots=st.lists(st.dictionaries(st.sampled_from(["type", "mark", "tags", "skill_ids", "count"]), JSON), max_size=3),
)
def test_any_json_config_reads_into_settings_within_their_ranges(config: dict[str, Any], slots: list[Any]) -> None:
    if slots:
        config["slots"] = slots
    quiz = QuizSettings.from_config(config)
    assert quiz.navigation in ("free", "sequential")
    assert quiz.behaviour in ("deferred", "interactive")
    assert Decimal(0) <= quiz.penalty <= Decimal(1)
    assert quiz.pass_mark is None or Decimal(0) <= quiz.pass_mark <= Decimal(100)
    assert quiz.tries >= 1 and quiz.attempts_allowed >= 0 and 0 <= quiz.delay_minutes <= MINUTES_LIMIT
    assert quiz.time_limit_minutes is None or 1 <= quiz.time_limit_minutes <= MINUTES_LIMIT
    for slot in quiz.slots:
        assert slot.mark is None or Decimal(0) <= slot.mark <= Decimal(1000)
        assert slot.count >= 1
        assert all(isinstance(tag, str) and tag == tag.lower() for tag in slot.tags)
    quiz.as_snapshot()


@pytest.mark.parametrize("value", ["1e999999", "Infinity", "-0", "0.1e-99999"])
def test_odd_decimal_strings_never_break_the_marks(value: str) -> None:
    quiz = QuizSettings.from_config({"slots": [{"mark": value}], "penalty": value, "pass_mark": value})
    mark = quiz.slots[0].mark
    assert mark is None or Decimal(0) <= mark <= Decimal(1000)
    assert Decimal(0) <= quiz.penalty <= Decimal(1)
