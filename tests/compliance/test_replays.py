"""`standing.Replays` (one replay per distinct history) gives exactly what `compute` and `transitions` give.

Refs are renumbered at random so that their order as strings differs from their order as numbers
("completion:10" sorts before "completion:9"), and two people whose histories differ only by their refs (and by
a hire date that does not move the first due date) share one replay.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from syllabus.compliance import standing
from syllabus.compliance.due_dates import DaysAfterHire
from syllabus.compliance.standing import Facts, Replays, Standing
from tests.compliance.test_standing_property import DAY, facts_strategy


def _renamed(facts: Facts, ids: list[int]) -> Facts:
    """The same history with the refs numbered by `ids` (distinct), in the order the facts list them."""
    numbers = iter(ids)
    evidence = tuple(replace(e, ref=f"{e.ref.split(':')[0]}:{next(numbers)}") for e in facts.evidence)
    exemptions = tuple(replace(x, ref=f"exemption:{next(numbers)}") for x in facts.exemptions)
    return replace(facts, evidence=evidence, exemptions=exemptions)


def _real(item: Standing, back: dict[str, str]) -> Standing:
    def cycle(c: standing.Cycle) -> standing.Cycle:
        return replace(c, satisfied_by=Replays.real(c.satisfied_by, back))

    return replace(
        item,
        cycle=cycle(item.cycle),
        closed=tuple(cycle(c) for c in item.closed),
        exemption=back.get(item.exemption, item.exemption),
    )


def _same(a: Standing, b: Standing) -> None:
    assert a == b
    assert a.next_change_on == b.next_change_on  # not part of Standing's equality


ids = st.lists(st.integers(1, 400), min_size=12, max_size=12, unique=True)


@given(facts_strategy(), st.integers(0, 1200), ids, ids)
def test_replays_give_what_compute_gives_to_people_who_share_a_history(
    facts: Facts, days: int, first: list[int], second: list[int]
) -> None:
    today = facts.assigned_on + days * DAY
    replays = Replays(today)
    for person in (_renamed(facts, first), _renamed(facts, second)):
        item, back = replays.compute(person)
        _same(_real(item, back), standing.compute(person, today))


@given(facts_strategy(), st.integers(0, 900), st.one_of(st.none(), st.integers(0, 600)), ids, ids)
def test_replays_give_what_transitions_give_to_people_who_share_a_history(
    facts: Facts, days: int, after_days: int | None, first: list[int], second: list[int]
) -> None:
    today = facts.assigned_on + days * DAY
    after = None if after_days is None else facts.assigned_on + after_days * DAY
    replays = Replays(today)
    for person in (_renamed(facts, first), _renamed(facts, second)):
        steps, back = replays.transitions(person, after=after)
        expected = standing.transitions(person, after=after, today=today)
        assert [day for day, _ in steps] == [day for day, _ in expected]
        for (_, got), (_, want) in zip(steps, expected, strict=True):
            _same(_real(got, back), want)


@given(facts_strategy(), st.integers(0, 1200))
def test_a_hire_date_counts_only_when_it_moves_the_first_due_date(facts: Facts, days: int) -> None:
    today = facts.assigned_on + days * DAY
    replays = Replays(today)
    other = replace(facts, hire_date=(facts.hire_date or facts.assigned_on) - 10 * DAY)
    for person in (facts, other):
        item, back = replays.compute(person)
        _same(_real(item, back), standing.compute(person, today))
    if not isinstance(facts.schedule.due, DaysAfterHire):
        assert replays.compute(other)[0] is replays.compute(facts)[0]


def test_people_of_another_program_do_not_share_replays() -> None:
    facts = Facts(
        schedule=standing.Schedule(due=standing.due_dates.DaysAfterAssignment(30)),
        assigned_on=dt.date(2026, 3, 2),
    )
    replays = Replays(dt.date(2026, 5, 1))
    overdue, _ = replays.compute(facts)
    later = replace(facts, schedule=standing.Schedule(due=standing.due_dates.DaysAfterAssignment(90)))
    due_soon, _ = replays.compute(later)
    assert (overdue.code, due_soon.code) == ("overdue", "due_soon")


def test_past_its_limit_replays_are_made_again_rather_than_kept() -> None:
    def facts(days: int) -> Facts:
        return Facts(
            schedule=standing.Schedule(due=standing.due_dates.DaysAfterAssignment(days)),
            assigned_on=dt.date(2026, 3, 2),
        )

    today = dt.date(2026, 5, 1)
    replays = Replays(today)
    replays.KEEP = 1
    for days in (30, 90, 90):
        item, _ = replays.compute(facts(days))
        _same(item, standing.compute(facts(days), today))
    assert len(replays._done) == 1
