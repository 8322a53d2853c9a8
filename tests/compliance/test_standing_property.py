"""Properties of `standing.compute` and `standing.transitions` over generated programs and histories.

Each property is a rule the ledger relies on: one open cycle at a time, numbered without gaps; a completion
expires after it was made and the next cycle falls due when it expires; the fixed calendar of anchor "due_date";
`transitions` agrees with `compute` on every day; a completion recorded late never rewrites earlier days; and
`next_change_on` is the first day the status changes when nothing new is recorded.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from syllabus.compliance import due_dates, standing
from syllabus.compliance.due_dates import DaysAfterAssignment, DaysAfterHire, FixedDate, Schedule, add_months
from syllabus.compliance.standing import Evidence, Exempt, Extension, Facts

D = dt.date
DAY = dt.timedelta(days=1)
# Around leap years (2028) and month ends; wide enough for several yearly cycles.
BASE = st.dates(min_value=D(2026, 1, 1), max_value=D(2029, 12, 31))
PARTS = ("course:1", "course:2")


def _key(item: standing.Standing) -> tuple[str, int]:
    return item.code, item.cycle.number


@st.composite
def schedules(draw: st.DrawFn, around: D, *, anchor: str | None = None, recurring: bool | None = None) -> Schedule:
    due = draw(
        st.one_of(
            st.builds(FixedDate, st.dates(min_value=around - 90 * DAY, max_value=around + 200 * DAY)),
            st.builds(DaysAfterAssignment, st.integers(0, 120)),
            st.builds(DaysAfterHire, st.integers(0, 120)),
        )
    )
    months = draw(
        st.integers(1, 24)
        if recurring
        else st.none()
        if recurring is False
        else st.one_of(st.none(), st.integers(1, 24))
    )
    window = 0
    if months is not None:
        window = draw(st.integers(0, min(90, due_dates.shortest_validity_days(months) - 1)))
    return Schedule(
        due=due,
        valid_months=months,
        window_days=window,
        anchor=anchor or draw(st.sampled_from(due_dates.ANCHORS)),  # type: ignore[arg-type]
        grace_days=draw(st.integers(0, 20)),
    )


@st.composite
def facts_strategy(
    draw: st.DrawFn,
    *,
    with_exemptions: bool = True,
    anchor: str | None = None,
    recurring: bool | None = None,
    lookback: bool = False,
) -> Facts:
    assigned = draw(BASE)
    schedule = draw(schedules(assigned, anchor=anchor, recurring=recurring))
    mode = draw(st.sampled_from(("any", "all")))
    offsets = st.integers(-400, 1400)
    evidence = []
    for index in range(draw(st.integers(0, 6))):
        on = assigned + draw(offsets) * DAY
        late = draw(st.one_of(st.just(0), st.integers(0, 90)))
        evidence.append(Evidence(on, draw(st.sampled_from(PARTS)), f"completion:{index}", on + late * DAY))
    exemptions: list[Exempt] = []
    extensions: list[Extension] = []
    if with_exemptions:
        for index in range(draw(st.integers(0, 2))):
            start = assigned + draw(st.integers(0, 900)) * DAY
            length = draw(st.one_of(st.none(), st.integers(0, 200)))
            ends = start + length * DAY if length is not None else None
            exemptions.append(Exempt(start, ends, f"exemption:{index}"))
        for _ in range(draw(st.integers(0, 2))):
            recorded = assigned + draw(st.integers(0, 900)) * DAY
            extensions.append(Extension(draw(st.integers(1, 3)), recorded + draw(st.integers(1, 120)) * DAY, recorded))
    return Facts(
        schedule=schedule,
        assigned_on=assigned,
        hire_date=draw(st.one_of(st.none(), st.dates(min_value=assigned - 800 * DAY, max_value=assigned + 60 * DAY))),
        mode=mode,
        parts=frozenset(PARTS) if mode == "all" else frozenset(),
        lookback_days=draw(st.sampled_from((30, 365, 400) if lookback else (0, 0, 30, 365, 400))),
        due_soon_days=draw(st.integers(0, 60)),
        evidence=tuple(evidence),
        exemptions=tuple(exemptions),
        extensions=tuple(extensions),
    )


HORIZON = st.integers(0, 1500)


@given(facts_strategy(), HORIZON)
def test_cycles_are_numbered_without_gaps_and_only_the_last_is_open(facts: Facts, days: int) -> None:
    today = facts.assigned_on + days * DAY
    item = standing.compute(facts, today)
    numbers = [c.number for c in item.closed] + [item.cycle.number]
    assert numbers == list(range(1, len(numbers) + 1))
    assert item.cycle.closed_on is None and not item.cycle.outcome
    for cycle in item.closed:
        assert cycle.closed_on is not None and cycle.outcome in ("expired", "renewed")
        assert cycle.completed_on is not None and cycle.expires_on is not None
        assert cycle.closed_on <= cycle.expires_on and cycle.closed_on <= today
    closing = [c.closed_on for c in item.closed]
    assert closing == sorted(closing)


@given(facts_strategy(), HORIZON)
def test_a_completion_expires_after_it_was_made_and_the_next_cycle_is_due_then(facts: Facts, days: int) -> None:
    today = facts.assigned_on + days * DAY
    item = standing.compute(facts, today)
    cycles = [*item.closed, item.cycle]
    for cycle in cycles:
        if cycle.completed_on is None:
            continue
        assert cycle.completed_on <= today
        if facts.schedule.valid_months is None:
            assert cycle.expires_on is None
            continue
        assert cycle.expires_on is not None and cycle.expires_on > cycle.completed_on
        if facts.schedule.anchor == "completion":
            assert cycle.expires_on == add_months(cycle.completed_on, facts.schedule.valid_months)
        else:
            # The first date of the fixed calendar after both the completion and the cycle's own due date.
            after = max(cycle.completed_on, cycle.original_due_on)
            calendar = (add_months(cycles[0].original_due_on, k * facts.schedule.valid_months) for k in range(1, 999))
            assert cycle.expires_on == next(day for day in calendar if day > after)
    for earlier, later in itertools.pairwise(cycles):
        assert later.original_due_on == earlier.expires_on
        assert earlier.completed_on is not None and later.original_due_on > earlier.completed_on
        # Completions count for the next cycle only from its window on, never the one that closed the last.
        assert later.opened_on > earlier.completed_on
        if later.completed_on is not None:
            assert later.completed_on >= later.opened_on


@given(facts_strategy(anchor="due_date", recurring=True), HORIZON)
def test_anchor_due_date_keeps_the_calendar_fixed(facts: Facts, days: int) -> None:
    months = facts.schedule.valid_months
    assert months is not None
    item = standing.compute(facts, facts.assigned_on + days * DAY)
    first = item.closed[0].original_due_on if item.closed else item.cycle.original_due_on
    calendar = {add_months(first, k * months) for k in range(0, 200)}
    for cycle in (*item.closed, item.cycle):
        assert cycle.original_due_on in calendar


@given(facts_strategy(), HORIZON)
def test_the_status_matches_the_facts_of_the_current_cycle(facts: Facts, days: int) -> None:
    today = facts.assigned_on + days * DAY
    item = standing.compute(facts, today)
    cycle = item.cycle
    if item.code == "exempt":
        assert any(x.starts_on <= today and (x.ends_on is None or today <= x.ends_on) for x in facts.exemptions)
        return
    assert not any(x.starts_on <= today and (x.ends_on is None or today <= x.ends_on) for x in facts.exemptions)
    if item.code == "compliant":
        assert cycle.completed_on is not None
        assert cycle.expires_on is None or today < cycle.expires_on
        assert item.until == (cycle.expires_on - DAY if cycle.expires_on else None)
        return
    assert cycle.completed_on is None
    last_day = cycle.due_on + facts.schedule.grace_days * DAY
    if item.code in ("overdue", "expired"):
        assert today > last_day and item.since == last_day + DAY
        assert (item.code == "expired") == (cycle.number > 1)
    elif item.code == "due_soon":
        assert cycle.due_on - facts.due_soon_days * DAY <= today <= last_day
    else:
        assert item.code == "not_yet_due" and today < cycle.due_on - facts.due_soon_days * DAY


@given(facts_strategy(), st.integers(0, 900))
def test_transitions_agree_with_compute_on_every_day(facts: Facts, days: int) -> None:
    today = facts.assigned_on + days * DAY
    steps = standing.transitions(facts, after=None, today=today)
    assert steps[0][0] == facts.assigned_on
    assert [d for d, _ in steps] == sorted({d for d, _ in steps})
    keys = [_key(s) for _, s in steps]
    assert all(a != b for a, b in itertools.pairwise(keys))
    index = 0
    day = facts.assigned_on
    while day <= today:
        while index + 1 < len(steps) and steps[index + 1][0] <= day:
            index += 1
        assert _key(standing.compute(facts, day)) == keys[index], day
        day += DAY


@given(facts_strategy(), st.integers(0, 900), st.integers(0, 300))
def test_transitions_after_a_recorded_day_continue_the_full_history(facts: Facts, days: int, more: int) -> None:
    """What the nightly run writes from the last recorded change equals the history from the start."""
    middle = facts.assigned_on + days * DAY
    today = middle + more * DAY
    full = standing.transitions(facts, after=None, today=today)
    before = [(d, _key(s)) for d, s in full if d <= middle]
    after = [(d, _key(s)) for d, s in standing.transitions(facts, after=middle, today=today)]
    if after and before and after[0][1] == before[-1][1]:
        after = after[1:]  # the caller drops a first entry that repeats the last recorded one
    assert before + after == [(d, _key(s)) for d, s in full]


@given(facts_strategy(), st.integers(0, 900), st.integers(1, 200), st.integers(0, 400))
def test_a_completion_recorded_late_does_not_rewrite_earlier_days(
    facts: Facts, days: int, delay: int, before_by: int
) -> None:
    recorded = facts.assigned_on + days * DAY + delay * DAY
    done = recorded - before_by * DAY
    part = "course:1"
    late = replace(facts, evidence=(*facts.evidence, Evidence(done, part, "completion:99", recorded)))
    earlier = standing.transitions(facts, after=None, today=recorded - DAY)
    now = standing.transitions(late, after=None, today=recorded)
    assert [(d, _key(s)) for d, s in now if d < recorded] == [(d, _key(s)) for d, s in earlier]


@given(facts_strategy(), HORIZON)
def test_next_change_on_is_the_first_day_the_status_changes_when_nothing_new_is_recorded(
    facts: Facts, days: int
) -> None:
    today = facts.assigned_on + days * DAY
    # Only what is on record today: the status then changes by time alone.
    known = replace(
        facts,
        evidence=tuple(e for e in facts.evidence if e.known_on <= today),
        extensions=tuple(x for x in facts.extensions if x.recorded_on <= today),
    )
    item = standing.compute(known, today)
    horizon = item.next_change_on or today + 1200 * DAY
    day = today + DAY
    while day < horizon:
        assert _key(standing.compute(known, day)) == _key(item), day
        day += DAY
    if item.next_change_on is None:
        return
    assert item.next_change_on > today
    simple = not known.exemptions and known.schedule.window_days == 0
    if simple:
        assert _key(standing.compute(known, item.next_change_on)) != _key(item)


@given(facts_strategy(with_exemptions=False), HORIZON)
def test_an_exemption_changes_only_the_days_it_covers(facts: Facts, days: int) -> None:
    today = facts.assigned_on + days * DAY
    start = facts.assigned_on + (days // 2) * DAY
    exempt = replace(facts, exemptions=(Exempt(start, start + 30 * DAY, "exemption:1"),))
    plain, covered = standing.compute(facts, today), standing.compute(exempt, today)
    assert plain.cycle == covered.cycle and plain.closed == covered.closed
    if start <= today <= start + 30 * DAY:
        assert covered.code == "exempt" and covered.until == start + 30 * DAY
    else:
        assert covered.code == plain.code


@given(facts_strategy(with_exemptions=False, lookback=True), HORIZON)
def test_a_prior_completion_never_makes_a_new_joiner_overdue_on_the_day_they_join(facts: Facts, days: int) -> None:
    """Evidence before the assignment either counts (still valid) or is ignored: on the day of assignment the
    status is what it would be with no evidence at all, or compliant."""
    prior = tuple(e for e in facts.evidence if e.on < facts.assigned_on)
    only_prior = replace(facts, evidence=prior)
    none = replace(facts, evidence=())
    joined = standing.compute(only_prior, facts.assigned_on)
    assert joined.code == "compliant" or _key(joined) == _key(standing.compute(none, facts.assigned_on))
    assert not joined.closed
