"""When a compliance program is due, when a completion expires, and where a person stands today.

Pure functions over `datetime.date`: no models, no database, no clock (callers pass `today`). Programs,
assignments and the status ledger build on this module; the README states the rules with worked examples.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import itertools
from dataclasses import dataclass
from typing import Literal, assert_never

Anchor = Literal["due_date", "completion"]
StatusCode = Literal["not_yet_due", "due_soon", "overdue", "compliant", "expired"]

ANCHORS: tuple[Anchor, ...] = ("due_date", "completion")

# Error messages are constants so tests (and later the program form) can match them.
DAYS_NEGATIVE = "days must be 0 or more, not {value}."
VALID_MONTHS_TOO_SMALL = "valid_months must be 1 or more when set, not {value}."
WINDOW_DAYS_NEGATIVE = "window_days must be 0 or more, not {value}."
WINDOW_DAYS_WITHOUT_VALIDITY = (
    "window_days needs valid_months: a one-off program has no expiry to open a window before."
)
WINDOW_DAYS_TOO_LONG = (
    "window_days must be shorter than the validity: {months} month(s) can be as short as {shortest} days, "
    "so the window can be at most {most} days, not {value}."
)
GRACE_DAYS_NEGATIVE = "grace_days must be 0 or more, not {value}."
ANCHOR_UNKNOWN = "anchor must be 'due_date' or 'completion', not {value!r}."
DUE_SOON_DAYS_NEGATIVE = "due_soon_days must be 0 or more, not {value}."

# Our own month names: strftime("%B") and calendar.month_name follow the process locale; these sentences are English.
MONTH_NAMES = (
    "",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

ONE_DAY = dt.timedelta(days=1)


# --- calendar months -------------------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by whole calendar months (negative: back), clamped to the end of a shorter month.

    31 January + 1 → 28 February (29 in a leap year); 29 February 2028 + 12 → 28 February 2029.
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(index, 12)
    month = month0 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# The Gregorian calendar repeats every 400 years = 4800 months = 146097 days.
_CYCLE_MONTHS = 4800
_CYCLE_DAYS = 146_097


@functools.cache
def shortest_validity_days(months: int) -> int:
    """The fewest days `months` calendar months can span, over every possible start date.

    Clamping never makes a span shorter than the sum of some run of `months` consecutive month lengths (31 January
    + 1 month = 28 days = February), and a start on the 1st achieves every such sum, so this is the smallest sum of
    `months` consecutive month lengths in the 400-year cycle.
    """
    whole_cycles, rest = divmod(months, _CYCLE_MONTHS)
    if rest == 0:
        return whole_cycles * _CYCLE_DAYS
    lengths = [calendar.monthrange(2000 + i // 12, i % 12 + 1)[1] for i in range(_CYCLE_MONTHS)]
    # Prefix sums over the cycle laid out twice, so runs that wrap past its end are counted too.
    prefix = [0, *itertools.accumulate(lengths + lengths)]
    return whole_cycles * _CYCLE_DAYS + min(prefix[i + rest] - prefix[i] for i in range(_CYCLE_MONTHS))


# --- when it is due --------------------------------------------------------------------------------------------


def _check_days(days: int) -> None:
    if days < 0:
        raise ValueError(DAYS_NEGATIVE.format(value=days))


@dataclass(frozen=True)
class FixedDate:
    """Due on one calendar date for everyone (e.g. the annual audit)."""

    on: dt.date


@dataclass(frozen=True)
class DaysAfterAssignment:
    """Due `days` days after the person was assigned the program."""

    days: int

    def __post_init__(self) -> None:
        _check_days(self.days)


@dataclass(frozen=True)
class DaysAfterHire:
    """Due `days` days after the person's hire date (new joiners); after assignment when the hire date is unknown."""

    days: int

    def __post_init__(self) -> None:
        _check_days(self.days)


DueRule = FixedDate | DaysAfterAssignment | DaysAfterHire


@dataclass(frozen=True, kw_only=True)
class Schedule:
    """How a compliance program falls due and recurs.

    `valid_months=None` is a one-off: a completion never expires. Otherwise a completion is valid for that many
    calendar months, counted as `anchor` says; the recertification window opens `window_days` before expiry; a
    person is overdue only once `grace_days` have passed after the due date.
    """

    due: DueRule
    valid_months: int | None = None
    window_days: int = 0
    anchor: Anchor = "completion"
    grace_days: int = 0

    def __post_init__(self) -> None:
        if self.anchor not in ANCHORS:
            raise ValueError(ANCHOR_UNKNOWN.format(value=self.anchor))
        if self.grace_days < 0:
            raise ValueError(GRACE_DAYS_NEGATIVE.format(value=self.grace_days))
        if self.window_days < 0:
            raise ValueError(WINDOW_DAYS_NEGATIVE.format(value=self.window_days))
        if self.valid_months is None:
            if self.window_days:
                raise ValueError(WINDOW_DAYS_WITHOUT_VALIDITY)
            return
        if self.valid_months < 1:
            raise ValueError(VALID_MONTHS_TOO_SMALL.format(value=self.valid_months))
        # The window must open after the cycle starts, whatever the start date: compare with the shortest span.
        shortest = shortest_validity_days(self.valid_months)
        if self.window_days >= shortest:
            raise ValueError(
                WINDOW_DAYS_TOO_LONG.format(
                    months=self.valid_months, shortest=shortest, most=shortest - 1, value=self.window_days
                )
            )

    @property
    def recurs(self) -> bool:
        return self.valid_months is not None


def first_due(schedule: Schedule, *, assigned_on: dt.date, hire_date: dt.date | None) -> dt.date:
    """The due date of a person's first cycle.

    A fixed date stays as it is even when it is before `assigned_on`: the person is then overdue at once (after
    any grace) — moving it would hide that the organisation assigned it late. Likewise "N days after hire" counts
    from the hire date even when that is long past (the program decides who counts as a new joiner) or in the
    future (hired, not started yet); with no hire date on record it counts from the assignment.
    """
    match schedule.due:
        case FixedDate(on=on):
            return on
        case DaysAfterAssignment(days=days):
            return assigned_on + dt.timedelta(days=days)
        case DaysAfterHire(days=days):
            return (hire_date or assigned_on) + dt.timedelta(days=days)
        case _ as unreachable:
            assert_never(unreachable)


# --- when it recurs --------------------------------------------------------------------------------------------


def next_due(schedule: Schedule, *, due_on: dt.date, completed_on: dt.date) -> dt.date | None:
    """The due date of the cycle after the one due `due_on` and completed `completed_on`; None for a one-off.

    - anchor "completion": `completed_on` + valid_months.
    - anchor "due_date": the calendar stays fixed: `due_on` + k × valid_months for the smallest k ≥ 1 that falls
      strictly after `completed_on`. Early, on-time and late completions all give `due_on` + valid_months; a
      completion on or after that date skips whole periods, so one completion settles the missed cycles and the
      next due date is always in the future of the completion.

    Periods are always added to the original `due_on` (not chained) so a 31st does not drift to the 28th.
    """
    if schedule.valid_months is None:
        return None
    if schedule.anchor == "completion":
        return add_months(completed_on, schedule.valid_months)
    # Estimate k from the month gap, then step: at most a couple of iterations, even decades late.
    months_late = (completed_on.year - due_on.year) * 12 + completed_on.month - due_on.month
    k = max(1, months_late // schedule.valid_months)
    while (candidate := add_months(due_on, k * schedule.valid_months)) <= completed_on:
        k += 1
    return candidate


def expires_on(schedule: Schedule, *, completed_on: dt.date, due_on: dt.date) -> dt.date | None:
    """The first day a completion no longer counts (None: never expires). It is the next cycle's due date.

    Validity therefore depends on the anchor: with "completion" it is exactly valid_months; with "due_date" an early
    completion is valid for longer and a late one for shorter, because the calendar does not move (see `next_due`).
    """
    return next_due(schedule, due_on=due_on, completed_on=completed_on)


def window_opens(schedule: Schedule, *, expires_on: dt.date) -> dt.date:
    """The first day of the recertification window: `window_days` before expiry (the expiry day itself when 0)."""
    return expires_on - dt.timedelta(days=schedule.window_days)


# --- where a person stands -------------------------------------------------------------------------------------


def format_date(day: dt.date, *, with_year: bool = True) -> str:
    """`1 March 2026` — day month year, the form used in every explanation."""
    text = f"{day.day} {MONTH_NAMES[day.month]}"
    return f"{text} {day.year}" if with_year else text


@dataclass(frozen=True)
class Status:
    """Where one person stands on one cycle, on one day.

    Dates are inclusive days on which the status holds: `until` is the last day still compliant (the day before
    expiry) or the last day of grace for "due_soon"; `since` is the first day overdue or expired.
    """

    code: StatusCode
    due_on: dt.date
    grace_days: int = 0
    until: dt.date | None = None
    since: dt.date | None = None

    def explanation(self) -> str:
        """One plain-English sentence for people: "Compliant until 31 March 2027"."""
        match self.code:
            case "compliant":
                return f"Compliant until {format_date(self.until)}" if self.until else "Compliant (does not expire)"
            case "expired":
                assert self.since is not None
                return f"Expired on {format_date(self.since)}"
            case "overdue":
                assert self.since is not None
                # The due date's year is only repeated when it differs from the overdue date's.
                due = format_date(self.due_on, with_year=self.due_on.year != self.since.year)
                grace = f", {self._grace()}" if self.grace_days else ""
                return f"Overdue since {format_date(self.since)} (due {due}{grace})"
            case "due_soon" | "not_yet_due":
                if self.grace_days and self.until is not None:
                    return f"Due {format_date(self.due_on)} ({self._grace()}, until {format_date(self.until)})"
                return f"Due {format_date(self.due_on)}"
            case _ as unreachable:
                assert_never(unreachable)

    def _grace(self) -> str:
        return "1 day's grace" if self.grace_days == 1 else f"{self.grace_days} days' grace"


def status(
    schedule: Schedule,
    *,
    today: dt.date,
    due_on: dt.date,
    completed_on: dt.date | None,
    expires_on: dt.date | None,
    due_soon_days: int = 30,
) -> Status:
    """Where a person stands on `today` for the cycle due `due_on`.

    - completed, and no expiry or `today` < `expires_on` → compliant;
    - completed, and `today` ≥ `expires_on` → expired (the ledger then opens the next cycle, due `expires_on`);
    - not completed, `today` > `due_on` + grace → overdue;
    - not completed, `due_on` − `due_soon_days` ≤ `today` ≤ `due_on` + grace → due_soon;
    - otherwise → not_yet_due.
    """
    if due_soon_days < 0:
        raise ValueError(DUE_SOON_DAYS_NEGATIVE.format(value=due_soon_days))
    grace = schedule.grace_days
    if completed_on is not None:
        if expires_on is None or today < expires_on:
            return Status("compliant", due_on, grace, until=expires_on - ONE_DAY if expires_on else None)
        return Status("expired", due_on, grace, since=expires_on)
    last_day = due_on + dt.timedelta(days=grace)
    if today > last_day:
        return Status("overdue", due_on, grace, since=last_day + ONE_DAY)
    code: StatusCode = "due_soon" if today >= due_on - dt.timedelta(days=due_soon_days) else "not_yet_due"
    return Status(code, due_on, grace, until=last_day)
