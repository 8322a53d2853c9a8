"""Worked examples of `standing.compute` and `standing.transitions`: both anchors, month ends and leap years,
look-back, "all of a set", recertification windows, exemptions and extensions, and the regressions found while
testing (each named after the rule it protects)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from syllabus.compliance import standing
from syllabus.compliance.due_dates import DaysAfterAssignment, FixedDate, Schedule
from syllabus.compliance.standing import Evidence, Exempt, Extension, Facts

D = dt.date


MARCH_31 = D(2026, 3, 31)
NEW_YEAR = D(2026, 1, 1)


def yearly(anchor: str = "completion", *, due: D = MARCH_31, **kwargs: int) -> Schedule:
    return Schedule(due=FixedDate(due), valid_months=12, anchor=anchor, **kwargs)  # type: ignore[arg-type]


def done(on: D, ref: int = 1, *, part: str = "course:1", recorded: D | None = None) -> Evidence:
    return Evidence(on, part, f"completion:{ref}", recorded or on)


def facts(schedule: Schedule, *evidence: Evidence, assigned: D = NEW_YEAR, **kwargs: object) -> Facts:
    return Facts(schedule=schedule, assigned_on=assigned, evidence=evidence, **kwargs)  # type: ignore[arg-type]


def steps(item: Facts, today: D) -> list[tuple[D, str, int]]:
    return [(day, s.code, s.cycle.number) for day, s in standing.transitions(item, after=None, today=today)]


# --- both anchors: the README's table -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("completed", "by_completion", "by_due_date"),
    [
        (D(2026, 2, 1), D(2027, 2, 1), D(2027, 3, 31)),  # early
        (D(2026, 3, 31), D(2027, 3, 31), D(2027, 3, 31)),  # on time
        (D(2026, 6, 10), D(2027, 6, 10), D(2027, 3, 31)),  # late
        (D(2027, 3, 31), D(2028, 3, 31), D(2028, 3, 31)),  # a year late, on the next due date
        (D(2027, 5, 15), D(2028, 5, 15), D(2028, 3, 31)),  # very late: skips the missed period
    ],
)
def test_both_anchors_give_the_readme_expiry_dates(completed: D, by_completion: D, by_due_date: D) -> None:
    for anchor, expected in (("completion", by_completion), ("due_date", by_due_date)):
        item = standing.compute(facts(yearly(anchor), done(completed)), completed)
        assert item.code == "compliant" and not item.closed
        assert (item.cycle.number, item.cycle.completed_on, item.cycle.expires_on) == (1, completed, expected)
        assert item.until == expected - dt.timedelta(days=1)


def test_a_late_completion_settles_the_missed_cycles_in_one_go() -> None:
    item = standing.compute(facts(yearly("due_date"), done(D(2027, 5, 15))), D(2027, 6, 1))
    # The first cycle, overdue since April 2026, is the one it closes; nobody redoes the 2027 cycle as well.
    assert (item.code, item.cycle.number, item.cycle.expires_on) == ("compliant", 1, D(2028, 3, 31))
    history = steps(facts(yearly("due_date"), done(D(2027, 5, 15))), D(2027, 6, 1))
    assert history == [
        (D(2026, 1, 1), "not_yet_due", 1),
        (D(2026, 3, 1), "due_soon", 1),
        (D(2026, 4, 1), "overdue", 1),
        (D(2027, 5, 15), "compliant", 1),
    ]


def test_after_expiry_the_next_cycle_falls_due_on_the_expiry_day_and_is_expired_after_grace() -> None:
    item = facts(yearly("completion", grace_days=3), done(D(2026, 3, 10)))
    assert steps(item, D(2027, 4, 1)) == [
        (D(2026, 1, 1), "not_yet_due", 1),
        (D(2026, 3, 1), "due_soon", 1),
        (D(2026, 3, 10), "compliant", 1),
        (D(2027, 3, 10), "due_soon", 2),
        (D(2027, 3, 14), "expired", 2),
    ]
    now = standing.compute(item, D(2027, 4, 1))
    assert now.closed[0].outcome == "expired" and now.closed[0].closed_on == D(2027, 3, 10)
    assert now.explanation() == "Expired on 10 March 2027; recertification overdue since 14 March 2027"


# --- month ends and leap years ------------------------------------------------------------------------------------


def test_a_completion_on_29_february_expires_on_28_february_the_next_year() -> None:
    item = standing.compute(facts(yearly(), done(D(2028, 2, 29)), assigned=D(2028, 1, 1)), D(2028, 3, 1))
    assert item.cycle.expires_on == D(2029, 2, 28)
    assert item.explanation() == "Compliant until 27 February 2029"


def test_a_monthly_calendar_due_on_the_31st_comes_back_on_the_31st() -> None:
    """Regression: each cycle's expiry was counted from the previous (clamped) due date, so the calendar drifted
    from the 31st to the 29th after February, against the README's rule."""
    schedule = Schedule(due=FixedDate(D(2028, 1, 31)), valid_months=1, anchor="due_date")
    evidence = [done(D(2028, 1, 31), 1), done(D(2028, 2, 29), 2), done(D(2028, 3, 31), 3), done(D(2028, 4, 30), 4)]
    item = standing.compute(facts(schedule, *evidence, assigned=D(2028, 1, 1)), D(2028, 5, 1))
    dues = [c.original_due_on for c in (*item.closed, item.cycle)]
    assert dues == [D(2028, 1, 31), D(2028, 2, 29), D(2028, 3, 31), D(2028, 4, 30)]
    assert item.cycle.expires_on == D(2028, 5, 31)


# --- recertification window -----------------------------------------------------------------------------------------


def test_a_renewal_inside_the_window_closes_the_cycle_early_without_losing_time_on_the_calendar() -> None:
    schedule = yearly("due_date", window_days=60)
    item = standing.compute(facts(schedule, done(D(2026, 3, 1), 1), done(D(2027, 2, 15), 2)), D(2027, 2, 15))
    assert [(c.number, c.outcome, c.closed_on) for c in item.closed] == [(1, "renewed", D(2027, 2, 15))]
    assert (item.cycle.number, item.cycle.original_due_on, item.cycle.expires_on) == (2, D(2027, 3, 31), D(2028, 3, 31))
    assert item.window_opens == D(2028, 1, 31)
    assert item.explanation() == "Compliant until 30 March 2028; recertification opens 31 January 2028"


def test_a_completion_before_the_window_does_not_count_for_the_next_cycle() -> None:
    schedule = yearly("completion", window_days=30)
    item = standing.compute(facts(schedule, done(D(2026, 3, 1), 1), done(D(2026, 12, 1), 2)), D(2027, 3, 1))
    # 1 December 2026 is before the window (30 January 2027): it neither renews nor satisfies cycle 2.
    assert (item.code, item.cycle.number, item.cycle.due_on) == ("due_soon", 2, D(2027, 3, 1))
    assert item.closed[0].outcome == "expired"
    assert item.cycle.opened_on == D(2027, 1, 30)


# --- look-back ----------------------------------------------------------------------------------------------------


def test_a_prior_completion_inside_the_look_back_counts_from_its_own_day() -> None:
    schedule = yearly(due=D(2026, 3, 31))
    item = standing.compute(facts(schedule, done(D(2025, 9, 1)), lookback_days=365), D(2026, 1, 1))
    assert (item.code, item.cycle.completed_on, item.cycle.expires_on) == ("compliant", D(2025, 9, 1), D(2026, 9, 1))


def test_a_prior_completion_outside_the_look_back_does_not_count() -> None:
    item = standing.compute(facts(yearly(), done(D(2025, 9, 1)), lookback_days=30), D(2026, 1, 1))
    assert item.code == "not_yet_due" and item.cycle.completed_on is None


def test_an_expired_prior_completion_does_not_make_a_new_joiner_overdue() -> None:
    item = standing.compute(facts(yearly(), done(D(2024, 6, 1)), lookback_days=800), D(2026, 1, 1))
    assert (item.code, item.cycle.number, item.closed) == ("not_yet_due", 1, ())


def test_an_old_expired_prior_completion_does_not_hide_a_newer_valid_one() -> None:
    """Regression: the earliest completion in the look-back was tried alone; expired, it made the person redo a
    course they had completed, validly, two months before joining."""
    evidence = (done(D(2024, 6, 1), 1), done(D(2025, 11, 1), 2))
    item = standing.compute(facts(yearly(), *evidence, lookback_days=800), D(2026, 1, 1))
    assert (item.code, item.cycle.satisfied_by, item.cycle.expires_on) == (
        "compliant",
        ("completion:2",),
        D(2026, 11, 1),
    )
    assert not item.closed


# --- "all of a set" -------------------------------------------------------------------------------------------------


def test_all_of_a_set_is_satisfied_on_the_day_of_the_last_part() -> None:
    parts = frozenset({"course:1", "course:2"})
    first = done(D(2026, 2, 1), 1, part="course:1")
    item = facts(yearly(), first, mode="all", parts=parts)
    assert standing.compute(item, D(2026, 3, 15)).code == "due_soon"
    both = replace(item, evidence=(first, done(D(2026, 3, 20), 2, part="course:2")))
    now = standing.compute(both, D(2026, 3, 20))
    assert (now.code, now.cycle.completed_on, now.cycle.expires_on) == ("compliant", D(2026, 3, 20), D(2027, 3, 20))
    assert now.cycle.satisfied_by == ("completion:1", "completion:2")


def test_all_of_a_set_needs_every_part_again_for_the_next_cycle() -> None:
    parts = frozenset({"course:1", "course:2"})
    evidence = (
        done(D(2026, 2, 1), 1, part="course:1"),
        done(D(2026, 2, 2), 2, part="course:2"),
        done(D(2027, 2, 10), 3, part="course:1"),
    )
    item = standing.compute(facts(yearly(window_days=30), *evidence, mode="all", parts=parts), D(2027, 2, 20))
    assert (item.code, item.cycle.number) == ("expired", 2)


# --- exemptions and extensions ----------------------------------------------------------------------------------


def test_an_exemption_holds_until_its_end_and_then_the_status_comes_back() -> None:
    item = facts(yearly(), exemptions=(Exempt(D(2026, 3, 15), D(2026, 5, 31), "exemption:7"),))
    during = standing.compute(item, D(2026, 4, 15))
    assert (during.code, during.until, during.exemption) == ("exempt", D(2026, 5, 31), "exemption:7")
    assert during.next_change_on == D(2026, 6, 1)
    assert during.explanation() == "Exempt until 31 May 2026"
    assert standing.compute(item, D(2026, 6, 1)).code == "overdue"
    assert steps(item, D(2026, 6, 1))[-3:] == [
        (D(2026, 3, 1), "due_soon", 1),
        (D(2026, 3, 15), "exempt", 1),
        (D(2026, 6, 1), "overdue", 1),
    ]


def test_of_overlapping_exemptions_the_longest_is_the_one_shown() -> None:
    exemptions = (Exempt(D(2026, 2, 1), D(2026, 3, 1), "exemption:1"), Exempt(D(2026, 2, 10), None, "exemption:2"))
    item = standing.compute(facts(yearly(), exemptions=exemptions), D(2026, 2, 20))
    assert (item.until, item.exemption, item.next_change_on) == (None, "exemption:2", D(2026, 3, 1))
    assert item.explanation() == "Exempt (no end date)"


def test_a_cycle_that_expires_under_an_exemption_is_noticed_on_the_day() -> None:
    """Regression: under an exemption `next_change_on` ignored the cycle's own days, so the nightly run did not
    look at the person when their completion expired and the new cycle began."""
    exemptions = (Exempt(D(2027, 1, 1), None, "exemption:1"),)
    item = standing.compute(facts(yearly(), done(D(2026, 3, 10)), exemptions=exemptions), D(2027, 2, 1))
    assert (item.code, item.cycle.number, item.next_change_on) == ("exempt", 1, D(2027, 3, 10))
    assert (
        standing.compute(facts(yearly(), done(D(2026, 3, 10)), exemptions=exemptions), D(2027, 3, 10)).cycle.number == 2
    )


def test_an_extension_moves_the_due_date_of_its_cycle_only() -> None:
    schedule = Schedule(due=DaysAfterAssignment(30), valid_months=12)
    item = facts(schedule, extensions=(Extension(1, D(2026, 3, 15), D(2026, 1, 20)),))
    now = standing.compute(item, D(2026, 3, 1))
    assert (now.code, now.cycle.due_on, now.cycle.original_due_on, now.cycle.is_extended) == (
        "due_soon",
        D(2026, 3, 15),
        D(2026, 1, 31),
        True,
    )
    assert standing.compute(item, D(2026, 3, 16)).code == "overdue"


def test_an_extension_granted_after_the_due_date_keeps_the_overdue_days_in_the_history() -> None:
    """Regression: `transitions` took its days from the extended due date only, so a run after the extension
    skipped the days the person had been overdue under the original one."""
    schedule = Schedule(due=FixedDate(D(2026, 4, 1)))
    item = facts(
        schedule, assigned=D(2026, 3, 1), due_soon_days=0, extensions=(Extension(1, D(2026, 5, 1), D(2026, 4, 10)),)
    )
    assert steps(item, D(2026, 4, 10)) == [
        (D(2026, 3, 1), "not_yet_due", 1),
        (D(2026, 4, 1), "due_soon", 1),
        (D(2026, 4, 2), "overdue", 1),
        (D(2026, 4, 10), "not_yet_due", 1),
    ]


# --- what was known when ------------------------------------------------------------------------------------------


def test_a_completion_recorded_late_takes_effect_on_the_day_it_was_recorded() -> None:
    item = facts(yearly(), done(D(2026, 3, 20), recorded=D(2026, 4, 15)))
    assert steps(item, D(2026, 4, 15)) == [
        (D(2026, 1, 1), "not_yet_due", 1),
        (D(2026, 3, 1), "due_soon", 1),
        (D(2026, 4, 1), "overdue", 1),
        (D(2026, 4, 15), "compliant", 1),
    ]
    # It still counts from its own day: the validity is not shortened by the delay.
    assert standing.compute(item, D(2026, 4, 15)).cycle.expires_on == D(2027, 3, 20)


def test_transitions_after_today_return_only_today() -> None:
    item = facts(yearly(), done(D(2026, 3, 20)))
    assert [(d, s.code) for d, s in standing.transitions(item, after=D(2026, 4, 1), today=D(2026, 4, 1))] == [
        (D(2026, 4, 1), "compliant")
    ]


def test_next_change_on_names_the_next_boundary() -> None:
    item = facts(yearly(grace_days=5), due_soon_days=10)
    assert standing.compute(item, D(2026, 1, 5)).next_change_on == D(2026, 3, 21)
    assert standing.compute(item, D(2026, 3, 21)).next_change_on == D(2026, 4, 6)
    assert standing.compute(item, D(2026, 4, 6)).next_change_on is None
    one_off = facts(Schedule(due=FixedDate(D(2026, 3, 31))), done(D(2026, 2, 1)))
    assert standing.compute(one_off, D(2026, 2, 1)).next_change_on is None
    assert standing.compute(one_off, D(2026, 2, 1)).explanation() == "Compliant (does not expire)"


def test_a_completion_recorded_late_that_changes_an_earlier_cycle_keeps_the_days_as_they_were() -> None:
    """Regression: a completion recorded late, dated before the one that had closed cycle 1, moved cycle 2's due
    date in today's replay; `transitions` took its days from today's cycles only and skipped the day the person
    actually became expired under the cycles as they ran."""
    schedule = Schedule(due=FixedDate(D(2025, 10, 3)), valid_months=1)
    first = done(D(2026, 1, 2), 1)
    known = facts(schedule, first, due_soon_days=0)
    late = replace(known, evidence=(first, done(D(2026, 1, 1), 2, recorded=D(2026, 2, 4))))
    expected = [
        (D(2026, 1, 1), "overdue", 1),
        (D(2026, 1, 2), "compliant", 1),
        (D(2026, 2, 2), "due_soon", 2),
        (D(2026, 2, 3), "expired", 2),
    ]
    assert steps(known, D(2026, 2, 3)) == expected
    assert steps(late, D(2026, 2, 4)) == expected
