"""Watched intervals of a video: pure functions, no Django.

The player reports the stretches of the video it actually played ([start, end] in seconds, from `timeupdate`
while playing, a seek starting a new stretch). Coverage is the length of their union over the duration: watching
the first minute twice is one minute, and seeking to the end covers nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

Interval = tuple[float, float]

# Browsers report a duration and a final position that differ by a few frames; allow that much beyond the end.
END_TOLERANCE = 1.0
MAX_INTERVALS = 500
# Separate stretches kept for one learner and video: a real viewer seeks far less; without a bound, tiny disjoint
# intervals sent report after report would grow the row (sorted and rewritten on every report) for ever.
MAX_STORED_INTERVALS = 1000
MAX_DURATION = 24 * 60 * 60.0
PRECISION = 2  # stored to the hundredth of a second

NOT_A_LIST = "Intervals must be a list of [start, end] pairs."
TOO_MANY = "Too many intervals (at most {limit})."
NOT_A_PAIR = "Interval {index} is not a [start, end] pair of numbers."
OUT_OF_RANGE = "Interval {index} is outside the video (0 to {duration} seconds) or ends before it starts."
TOO_FRAGMENTED = "Too many separate stretches of this video were reported (at most {limit})."
BAD_DURATION = "The duration must be a number of seconds above 0 and at most {limit}."


class TooFragmented(ValueError):
    """The watched stretches, merged with what is stored, would be more than MAX_STORED_INTERVALS."""


def _number(value: object) -> float | None:
    # bool is an int in Python; JSON true is not a time.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def parse_duration(value: object) -> float:
    number = _number(value)
    if number is None or not 0 < number <= MAX_DURATION:
        raise ValueError(BAD_DURATION.format(limit=int(MAX_DURATION)))
    return round(number, PRECISION)


def parse(raw: object, duration: float, *, tolerance: float = END_TOLERANCE) -> list[Interval]:
    """Validate reported intervals: a list of at most MAX_INTERVALS pairs with 0 <= start < end <= duration
    (+ tolerance). Ends past the duration are clipped to it. Raises ValueError with a message for the client."""
    if not isinstance(raw, list):
        raise ValueError(NOT_A_LIST)
    if len(raw) > MAX_INTERVALS:
        raise ValueError(TOO_MANY.format(limit=MAX_INTERVALS))
    out: list[Interval] = []
    for index, pair in enumerate(raw):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ValueError(NOT_A_PAIR.format(index=index))
        start, end = _number(pair[0]), _number(pair[1])
        if start is None or end is None:
            raise ValueError(NOT_A_PAIR.format(index=index))
        if start < 0 or end <= start or end > duration + tolerance:
            raise ValueError(OUT_OF_RANGE.format(index=index, duration=duration))
        out.append((round(start, PRECISION), round(min(end, duration), PRECISION)))
    return [(start, end) for start, end in out if end > start]


def merge(intervals: Iterable[Sequence[float]]) -> list[Interval]:
    """The union of intervals as sorted, disjoint intervals (touching ones joined)."""
    ordered = sorted((float(start), float(end)) for start, end in intervals if end > start)
    merged: list[Interval] = []
    for start, end in ordered:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def covered(intervals: Iterable[Sequence[float]]) -> float:
    """Seconds covered by the union of the intervals."""
    return sum(end - start for start, end in merge(intervals))


def coverage(intervals: Iterable[Sequence[float]], duration: float) -> float:
    """The fraction of the video watched, 0 to 1."""
    if duration <= 0:
        return 0.0
    return min(1.0, covered(intervals) / duration)


def reaches(intervals: Iterable[Sequence[float]], duration: float, percent: int) -> bool:
    """Whether the watched part reaches `percent` of the video (a hair of float error forgiven)."""
    return coverage(intervals, duration) * 100 >= percent - 1e-9
