"""Due dates, recurrence and status of compliance programs: the worked examples of the README, and properties."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syllabus.compliance import due_dates
from syllabus.compliance.due_dates import (
    DaysAfterAssignment,
    DaysAfterHire,
    FixedDate,
    Schedule,
    add_months,
    expires_on,
    first_due,
    next_due,
    status,
    window_opens,
)

D = dt.date
DATES = st.dates(min_value=D(1900, 1, 1), max_value=D(2400, 12, 31))
MONTHS = st.integers(min_value=1, max_value=120)
ANCHORS = st.sampled_from(due_dates.ANCHORS)


def yearly(anchor: due_dates.Anchor, **kwargs: int) -> Schedule:
    return Schedule(due=FixedDate(D(2026, 3, 31)), valid_months=12, anchor=anchor, **kwargs)


# --- add_months ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
        (D(2028, 1, 31), 1, D(2028, 2, 29)),
        (D(2028, 2, 29), 12, D(2029, 2, 28)),
        (D(2028, 2, 29), 48, D(2032, 2, 29)),
        (D(2100, 1, 31), 1, D(2100, 2, 28)),  # 2100 is not a leap year
        (D(2000, 1, 31), 1, D(2000, 2, 29)),  # 2000 is
        (D(2026, 3, 31), 1, D(2026, 4, 30)),
        (D(2026, 12, 15), 1, D(2027, 1, 15)),
        (D(2026, 5, 10), 0, D(2026, 5, 10)),
        (D(2026, 3, 31), -1, D(2026, 2, 28)),
        (D(2026, 1, 15), -1, D(2025, 12, 15)),
        (D(2029, 2, 28), -12, D(2028, 2, 28)),
        (D(2026, 1, 31), -25, D(2023, 12, 31)),
    ],
)
def test_add_months_moves_by_calendar_months_clamped_to_the_month_end(day: D, months: int, expected: D) -> None:
    assert add_months(day, months) == expected


@given(DATES, st.integers(min_value=-1200, max_value=1200))
def test_add_months_lands_in_the_right_month_never_on_a_later_day(day: D, months: int) -> None:
    result = add_months(day, months)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
    assert result.day <= day.day
    # Clamped only when the target month is too short.
    assert result.day == day.day or (result + dt.timedelta(days=1)).day == 1


@given(DATES, st.integers(min_value=-1200, max_value=1200))
def test_adding_then_subtracting_returns_the_day_when_it_exists_in_both_months(day: D, months: int) -> None:
    there = add_months(day, months)
    if there.day == day.day:
        assert add_months(there, -months) == day


@pytest.mark.parametrize(("months", "days"), [(1, 28), (2, 59), (12, 365), (48, 1460), (4800, 146_097)])
def test_the_shortest_validity_counts_the_shortest_run_of_months(months: int, days: int) -> None:
    # 48 months: March 2097 – February 2101 has no 29 February, 2100 not being a leap year.
    assert due_dates.shortest_validity_days(months) == days


@given(DATES, MONTHS)
def test_no_validity_is_shorter_than_the_shortest(day: D, months: int) -> None:
    assert (add_months(day, months) - day).days >= due_dates.shortest_validity_days(months)


# --- when it is due --------------------------------------------------------------------------------------------


def test_a_fixed_date_is_kept_even_when_assigned_after_it() -> None:
    schedule = Schedule(due=FixedDate(D(2026, 3, 31)))
    assert first_due(schedule, assigned_on=D(2026, 1, 10), hire_date=None) == D(2026, 3, 31)
    assert first_due(schedule, assigned_on=D(2026, 5, 1), hire_date=D(2020, 1, 1)) == D(2026, 3, 31)


def test_days_after_assignment_count_from_the_assignment() -> None:
    schedule = Schedule(due=DaysAfterAssignment(30))
    assert first_due(schedule, assigned_on=D(2026, 1, 10), hire_date=D(2020, 1, 1)) == D(2026, 2, 9)
    assert first_due(Schedule(due=DaysAfterAssignment(0)), assigned_on=D(2026, 1, 10), hire_date=None) == D(2026, 1, 10)


def test_days_after_hire_count_from_the_hire_date_past_or_future() -> None:
    schedule = Schedule(due=DaysAfterHire(30))
    assert first_due(schedule, assigned_on=D(2026, 1, 10), hire_date=D(2026, 1, 5)) == D(2026, 2, 4)
    # Hired, not started yet: the clock starts on the first day of work.
    assert first_due(schedule, assigned_on=D(2026, 1, 10), hire_date=D(2026, 3, 1)) == D(2026, 3, 31)
    # Hired long ago: the rule says what it says; the program chooses who is a new joiner.
    assert first_due(schedule, assigned_on=D(2026, 1, 10), hire_date=D(2020, 1, 1)) == D(2020, 1, 31)


def test_days_after_hire_fall_back_to_the_assignment_when_the_hire_date_is_unknown() -> None:
    schedule = Schedule(due=DaysAfterHire(30))
    assert first_due(schedule, assigned_on=D(2026, 1, 10), hire_date=None) == D(2026, 2, 9)


@pytest.mark.parametrize("rule", [DaysAfterAssignment, DaysAfterHire])
def test_due_rules_refuse_negative_days(rule: type[DaysAfterAssignment | DaysAfterHire]) -> None:
    with pytest.raises(ValueError, match=r"^days must be 0 or more, not -1\.$"):
        rule(-1)


def test_due_rules_are_frozen() -> None:
    rule = DaysAfterHire(30)
    with pytest.raises(AttributeError):
        rule.days = 10  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"valid_months": 0}, "valid_months must be 1 or more when set, not 0."),
        ({"valid_months": -12}, "valid_months must be 1 or more when set, not -12."),
        ({"valid_months": 12, "window_days": -1}, "window_days must be 0 or more, not -1."),
        ({"grace_days": -1}, "grace_days must be 0 or more, not -1."),
        ({"window_days": 30}, due_dates.WINDOW_DAYS_WITHOUT_VALIDITY),
        (
            {"valid_months": 1, "window_days": 28},
            "window_days must be shorter than the validity: 1 month(s) can be as short as 28 days, "
            "so the window can be at most 27 days, not 28.",
        ),
        (
            {"valid_months": 12, "window_days": 365},
            "window_days must be shorter than the validity: 12 month(s) can be as short as 365 days, "
            "so the window can be at most 364 days, not 365.",
        ),
        ({"anchor": "assignment"}, "anchor must be 'due_date' or 'completion', not 'assignment'."),
    ],
)
def test_schedule_validation_names_the_field(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        Schedule(due=DaysAfterAssignment(30), **kwargs)  # type: ignore[arg-type]
    assert str(excinfo.value) == message


def test_the_longest_windows_are_accepted() -> None:
    assert Schedule(due=DaysAfterAssignment(30), valid_months=1, window_days=27).window_days == 27
    assert Schedule(due=DaysAfterAssignment(30), valid_months=12, window_days=364).window_days == 364


# --- when it recurs: the README's worked examples ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("completed_on", "anchored_to_due_date", "anchored_to_completion"),
    [
        (D(2026, 2, 1), D(2027, 3, 31), D(2027, 2, 1)),  # early
        (D(2026, 3, 31), D(2027, 3, 31), D(2027, 3, 31)),  # on time
        (D(2026, 6, 10), D(2027, 3, 31), D(2027, 6, 10)),  # late
        (D(2027, 3, 31), D(2028, 3, 31), D(2028, 3, 31)),  # on the next due date: that cycle is settled too
        (D(2027, 5, 15), D(2028, 3, 31), D(2028, 5, 15)),  # very late: the missed 2027 cycle is not redone
        (D(2029, 4, 1), D(2030, 3, 31), D(2030, 4, 1)),  # three years late
    ],
)
def test_the_next_cycle_follows_the_anchor(completed_on: D, anchored_to_due_date: D, anchored_to_completion: D) -> None:
    due_on = D(2026, 3, 31)
    assert next_due(yearly("due_date"), due_on=due_on, completed_on=completed_on) == anchored_to_due_date
    assert expires_on(yearly("due_date"), due_on=due_on, completed_on=completed_on) == anchored_to_due_date
    assert next_due(yearly("completion"), due_on=due_on, completed_on=completed_on) == anchored_to_completion
    assert expires_on(yearly("completion"), due_on=due_on, completed_on=completed_on) == anchored_to_completion


def test_a_month_end_due_date_does_not_drift_to_an_earlier_day() -> None:
    monthly = Schedule(due=FixedDate(D(2028, 1, 31)), valid_months=1, anchor="due_date")
    # 29 February 2028 has passed, the next is 31 March — not 29 March.
    assert next_due(monthly, due_on=D(2028, 1, 31), completed_on=D(2028, 3, 5)) == D(2028, 3, 31)
    assert next_due(monthly, due_on=D(2028, 1, 31), completed_on=D(2028, 1, 20)) == D(2028, 2, 29)


def test_a_one_off_never_expires_nor_recurs() -> None:
    one_off = Schedule(due=DaysAfterAssignment(30))
    assert not one_off.recurs
    assert next_due(one_off, due_on=D(2026, 3, 31), completed_on=D(2026, 3, 1)) is None
    assert expires_on(one_off, due_on=D(2026, 3, 31), completed_on=D(2026, 3, 1)) is None


def test_the_window_opens_before_expiry() -> None:
    schedule = yearly("due_date", window_days=60)
    assert window_opens(schedule, expires_on=D(2027, 3, 31)) == D(2027, 1, 30)
    assert window_opens(yearly("due_date"), expires_on=D(2027, 3, 31)) == D(2027, 3, 31)


@given(DATES, DATES, MONTHS, ANCHORS)
def test_the_next_due_date_is_after_the_completion(due_on: D, completed_on: D, months: int, anchor: str) -> None:
    schedule = Schedule(due=FixedDate(due_on), valid_months=months, anchor=anchor)  # type: ignore[arg-type]
    following = next_due(schedule, due_on=due_on, completed_on=completed_on)
    assert following is not None
    assert following > completed_on
    assert expires_on(schedule, due_on=due_on, completed_on=completed_on) == following


@given(DATES, DATES, MONTHS)
def test_anchored_to_the_due_date_the_next_due_is_the_first_whole_period_after_completion(
    due_on: D, completed_on: D, months: int
) -> None:
    schedule = Schedule(due=FixedDate(due_on), valid_months=months, anchor="due_date")
    following = next_due(schedule, due_on=due_on, completed_on=completed_on)
    assert following is not None
    gap = (following.year * 12 + following.month) - (due_on.year * 12 + due_on.month)
    periods, remainder = divmod(gap, months)
    assert remainder == 0
    assert periods >= 1
    assert following == add_months(due_on, periods * months)
    # The smallest such period: one fewer would not be after the completion.
    assert periods == 1 or add_months(due_on, (periods - 1) * months) <= completed_on


@given(DATES, DATES, MONTHS)
def test_anchored_to_completion_the_next_due_is_the_validity_after_completion(
    due_on: D, completed_on: D, months: int
) -> None:
    schedule = Schedule(due=FixedDate(due_on), valid_months=months, anchor="completion")
    assert next_due(schedule, due_on=due_on, completed_on=completed_on) == add_months(completed_on, months)


@given(DATES, MONTHS, st.data())
def test_the_window_opens_after_completion_and_not_after_expiry(
    completed_on: D, months: int, data: st.DataObject
) -> None:
    window_days = data.draw(st.integers(min_value=0, max_value=due_dates.shortest_validity_days(months) - 1))
    schedule = Schedule(due=FixedDate(completed_on), valid_months=months, window_days=window_days)
    expiry = expires_on(schedule, due_on=completed_on, completed_on=completed_on)
    assert expiry is not None
    assert completed_on < window_opens(schedule, expires_on=expiry) <= expiry


@given(DATES, DATES)
def test_a_one_off_gives_none_whatever_the_dates(due_on: D, completed_on: D) -> None:
    schedule = Schedule(due=FixedDate(due_on))
    assert next_due(schedule, due_on=due_on, completed_on=completed_on) is None
    assert expires_on(schedule, due_on=due_on, completed_on=completed_on) is None


# --- where a person stands -------------------------------------------------------------------------------------

GRACE_14 = Schedule(due=FixedDate(D(2026, 2, 15)), valid_months=12, anchor="due_date", grace_days=14)


def test_status_across_a_cycle_day_by_day() -> None:
    due_on = D(2026, 2, 15)
    expected = {
        D(2026, 1, 15): "not_yet_due",
        D(2026, 1, 16): "due_soon",  # 30 days before the due date
        D(2026, 2, 15): "due_soon",
        D(2026, 2, 16): "due_soon",  # in grace
        D(2026, 3, 1): "due_soon",  # the last day of grace
        D(2026, 3, 2): "overdue",
        D(2027, 1, 1): "overdue",
    }
    for today, code in expected.items():
        result = status(GRACE_14, today=today, due_on=due_on, completed_on=None, expires_on=None)
        assert result.code == code, today

    completed_on = D(2026, 3, 3)
    expiry = expires_on(GRACE_14, completed_on=completed_on, due_on=due_on)
    assert expiry == D(2027, 2, 15)
    for today, code in {
        D(2026, 3, 3): "compliant",
        D(2027, 2, 14): "compliant",
        D(2027, 2, 15): "expired",
        D(2030, 1, 1): "expired",
    }.items():
        result = status(GRACE_14, today=today, due_on=due_on, completed_on=completed_on, expires_on=expiry)
        assert result.code == code, today

    # The ledger then opens the next cycle, due on the expiry date, with the same grace.
    result = status(GRACE_14, today=D(2027, 2, 20), due_on=expiry, completed_on=None, expires_on=None)
    assert result.code == "due_soon"


def test_without_grace_overdue_starts_the_day_after_the_due_date() -> None:
    schedule = Schedule(due=FixedDate(D(2026, 2, 15)))
    on_the_day = status(schedule, today=D(2026, 2, 15), due_on=D(2026, 2, 15), completed_on=None, expires_on=None)
    the_day_after = status(schedule, today=D(2026, 2, 16), due_on=D(2026, 2, 15), completed_on=None, expires_on=None)
    assert (on_the_day.code, the_day_after.code) == ("due_soon", "overdue")
    assert the_day_after.explanation() == "Overdue since 16 February 2026 (due 15 February)"


def test_due_soon_days_widen_or_narrow_the_warning() -> None:
    def code(due_soon_days: int) -> str:
        return status(
            GRACE_14,
            today=D(2026, 1, 1),
            due_on=D(2026, 2, 15),
            completed_on=None,
            expires_on=None,
            due_soon_days=due_soon_days,
        ).code

    assert (code(45), code(44), code(0)) == ("due_soon", "not_yet_due", "not_yet_due")
    with pytest.raises(ValueError, match=r"^due_soon_days must be 0 or more"):
        code(-1)


def test_a_one_off_completion_stays_compliant() -> None:
    schedule = Schedule(due=FixedDate(D(2026, 2, 15)))
    result = status(schedule, today=D(2040, 1, 1), due_on=D(2026, 2, 15), completed_on=D(2026, 2, 1), expires_on=None)
    assert (result.code, result.until) == ("compliant", None)
    assert result.explanation() == "Compliant (does not expire)"


@pytest.mark.parametrize(
    ("today", "completed_on", "expiry", "explanation"),
    [
        (D(2026, 1, 1), None, None, "Due 15 February 2026 (14 days' grace, until 1 March 2026)"),
        (D(2026, 2, 20), None, None, "Due 15 February 2026 (14 days' grace, until 1 March 2026)"),
        (D(2026, 3, 2), None, None, "Overdue since 2 March 2026 (due 15 February, 14 days' grace)"),
        (D(2026, 6, 1), D(2026, 4, 1), D(2027, 4, 1), "Compliant until 31 March 2027"),
        (D(2027, 4, 1), D(2026, 4, 1), D(2027, 4, 1), "Expired on 1 April 2027"),
    ],
)
def test_explanations_read_as_sentences(today: D, completed_on: D | None, expiry: D | None, explanation: str) -> None:
    result = status(GRACE_14, today=today, due_on=D(2026, 2, 15), completed_on=completed_on, expires_on=expiry)
    assert result.explanation() == explanation


def test_explanations_repeat_the_due_year_only_when_it_differs() -> None:
    schedule = Schedule(due=FixedDate(D(2026, 12, 31)), grace_days=1)
    result = status(schedule, today=D(2027, 1, 2), due_on=D(2026, 12, 31), completed_on=None, expires_on=None)
    assert result.explanation() == "Overdue since 2 January 2027 (due 31 December 2026, 1 day's grace)"
    no_grace = Schedule(due=FixedDate(D(2026, 2, 15)))
    assert (
        status(no_grace, today=D(2026, 2, 1), due_on=D(2026, 2, 15), completed_on=None, expires_on=None).explanation()
        == "Due 15 February 2026"
    )


@given(DATES, DATES, st.integers(min_value=0, max_value=60), st.one_of(st.none(), DATES))
def test_an_unfinished_cycle_is_overdue_exactly_after_the_grace(
    today: D, due_on: D, grace_days: int, completed_on: D | None
) -> None:
    schedule = Schedule(due=FixedDate(due_on), grace_days=grace_days)
    result = status(schedule, today=today, due_on=due_on, completed_on=completed_on, expires_on=None)
    if completed_on is not None:
        assert result.code == "compliant"
    else:
        assert (result.code == "overdue") == (today > due_on + dt.timedelta(days=grace_days))
