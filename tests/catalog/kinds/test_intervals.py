"""Watched intervals: merging, coverage and validation of what the player reports."""

from __future__ import annotations

import itertools
import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syllabus.catalog.activity_kinds.video import intervals as iv

times = st.floats(min_value=0, max_value=600, allow_nan=False, allow_infinity=False)
pairs = st.tuples(times, times).map(lambda pair: (min(pair), max(pair)))
interval_lists = st.lists(pairs, max_size=30)


def _inside(point: float, intervals: list[tuple[float, float]]) -> bool:
    return any(start <= point <= end for start, end in intervals if end > start)


@given(interval_lists)
def test_merged_intervals_are_sorted_disjoint_and_non_empty(raw: list[tuple[float, float]]) -> None:
    merged = iv.merge(raw)
    for start, end in merged:
        assert end > start
    for (_, first_end), (second_start, _) in itertools.pairwise(merged):
        assert first_end < second_start


@given(interval_lists, times)
def test_merging_keeps_exactly_the_points_that_were_covered(raw: list[tuple[float, float]], point: float) -> None:
    assert _inside(point, iv.merge(raw)) == _inside(point, raw)


@given(interval_lists, interval_lists)
def test_merging_in_steps_is_the_same_as_merging_at_once(
    a: list[tuple[float, float]], b: list[tuple[float, float]]
) -> None:
    assert iv.merge([*iv.merge(a), *iv.merge(b)]) == iv.merge([*a, *b])


@given(interval_lists)
def test_watching_the_same_stretch_twice_counts_once(raw: list[tuple[float, float]]) -> None:
    once = iv.covered(raw)
    assert math.isclose(iv.covered([*raw, *raw]), once, abs_tol=1e-6)
    assert once <= sum(end - start for start, end in raw) + 1e-6


@given(interval_lists, st.floats(min_value=1, max_value=600))
def test_coverage_is_a_fraction_between_zero_and_one(raw: list[tuple[float, float]], duration: float) -> None:
    assert 0 <= iv.coverage(raw, duration) <= 1


def test_coverage_of_a_video_watched_from_start_to_end_is_complete() -> None:
    assert iv.coverage([(0, 30), (30, 60)], 60) == 1
    assert iv.reaches([(0, 54)], 60, 90)
    assert not iv.reaches([(0, 53.9)], 60, 90)


def test_seeking_to_the_end_covers_only_what_was_played_there() -> None:
    # The player reports the first 5 seconds, then a new stretch after the seek: the last 2 seconds.
    watched = [(0, 5), (58, 60)]
    assert iv.coverage(watched, 60) == pytest.approx(7 / 60)
    assert not iv.reaches(watched, 60, 90)


def test_a_zero_duration_has_no_coverage() -> None:
    assert iv.coverage([(0, 1)], 0) == 0


def test_valid_reports_are_rounded_and_clipped_to_the_duration() -> None:
    assert iv.parse([[0, 10.123456], [20, 60.4]], 60.0) == [(0.0, 10.12), (20.0, 60.0)]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("0-10", iv.NOT_A_LIST),
        ([[0, 10, 20]], iv.NOT_A_PAIR.format(index=0)),
        ([[0, "10"]], iv.NOT_A_PAIR.format(index=0)),
        ([[True, 10]], iv.NOT_A_PAIR.format(index=0)),
        ([[0, float("nan")]], iv.NOT_A_PAIR.format(index=0)),
        ([[0, float("inf")]], iv.NOT_A_PAIR.format(index=0)),
        ([[0, 5], [-1, 5]], iv.OUT_OF_RANGE.format(index=1, duration=60.0)),
        ([[10, 5]], iv.OUT_OF_RANGE.format(index=0, duration=60.0)),
        ([[5, 5]], iv.OUT_OF_RANGE.format(index=0, duration=60.0)),
        ([[0, 61.5]], iv.OUT_OF_RANGE.format(index=0, duration=60.0)),
        ([[i, i + 0.5] for i in range(iv.MAX_INTERVALS + 1)], iv.TOO_MANY.format(limit=iv.MAX_INTERVALS)),
    ],
)
def test_bad_reports_are_refused_with_a_message(raw: object, message: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        iv.parse(raw, 60.0)


@pytest.mark.parametrize("duration", [0, -5, "60", None, True, float("nan"), iv.MAX_DURATION + 1])
def test_implausible_durations_are_refused(duration: object) -> None:
    with pytest.raises(ValueError):
        iv.parse_duration(duration)
