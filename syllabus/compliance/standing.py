"""Where one person stands in one program, replayed from facts: pure, no database, no clock.

`compute(facts, today)` walks the person's cycles from their assignment: cycle 1 is due by the program's due rule;
each completion that counts closes a cycle and, for a recurring program, sets when it expires — the next cycle's
due date (`due_dates.next_due`, either anchor). A cycle closes when its completion expires, or earlier when the
person recertifies inside the window. The result is the current cycle, the closed ones and the status today.

Facts carry the day each became *known* (`recorded_on`): asked about a past day, `compute` uses only what was on
record then. That is what lets the evaluation write the ledger's time-driven changes (due soon, overdue, expired)
with the day they happened, without rewriting history when a completion is recorded late (`transitions`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from syllabus.compliance import due_dates
from syllabus.compliance.due_dates import ONE_DAY, Schedule, format_date

Code = Literal["not_yet_due", "due_soon", "overdue", "compliant", "expired", "exempt"]
MAX_CYCLES = 1000  # a guard: a monthly program runs 83 years before reaching it


@dataclass(frozen=True)
class Evidence:
    """Something that satisfies (part of) the program: a course completion, an acknowledgement.

    `part` is the requirement it fulfils ("course:12", "ack"); `on` the day it counts from (the completion's day,
    or the signing day when the program requires signatures); `recorded_on` the day it entered the records.
    """

    on: dt.date
    part: str
    ref: str  # "completion:12", "ack:3"
    recorded_on: dt.date | None = None

    @property
    def known_on(self) -> dt.date:
        return max(self.on, self.recorded_on or self.on)


@dataclass(frozen=True)
class Exempt:
    """An approved exemption: from `starts_on` (the decision) to `ends_on` inclusive (None: no end)."""

    starts_on: dt.date
    ends_on: dt.date | None
    ref: str


@dataclass(frozen=True)
class Extension:
    """An approved extension of one cycle's due date, known from `recorded_on` (until `revoked_on`, if revoked)."""

    cycle: int
    due_on: dt.date
    recorded_on: dt.date
    revoked_on: dt.date | None = None


@dataclass(frozen=True)
class Facts:
    schedule: Schedule
    assigned_on: dt.date
    hire_date: dt.date | None = None
    mode: Literal["any", "all"] = "any"
    parts: frozenset[str] = frozenset()  # every part needed, for mode "all"
    lookback_days: int = 0
    due_soon_days: int = 30
    evidence: tuple[Evidence, ...] = ()
    exemptions: tuple[Exempt, ...] = ()
    extensions: tuple[Extension, ...] = ()


@dataclass(frozen=True)
class Cycle:
    number: int
    opened_on: dt.date
    due_on: dt.date  # after any extension
    original_due_on: dt.date  # as the schedule set it
    completed_on: dt.date | None = None
    satisfied_by: tuple[str, ...] = ()
    expires_on: dt.date | None = None
    closed_on: dt.date | None = None
    outcome: str = ""  # closed cycles: "expired" or "renewed"

    @property
    def is_extended(self) -> bool:
        return self.due_on != self.original_due_on


@dataclass(frozen=True)
class Standing:
    code: Code
    cycle: Cycle
    closed: tuple[Cycle, ...] = ()
    since: dt.date | None = None  # first day of an overdue or expired status
    until: dt.date | None = None  # last compliant day, last day of grace, last exempt day
    window_opens: dt.date | None = None  # recertification window of the current completion
    exemption: str = ""  # ref of the exemption in force
    next_change_on: dt.date | None = field(default=None, compare=False)

    def explanation(self) -> str:
        """One plain-English sentence (logs, exports, first screens; pages build translated wording from fields)."""
        cycle = self.cycle
        match self.code:
            case "exempt":
                return f"Exempt until {format_date(self.until)}" if self.until else "Exempt (no end date)"
            case "compliant":
                text = f"Compliant until {format_date(self.until)}" if self.until else "Compliant (does not expire)"
                if self.window_opens and cycle.expires_on:
                    text += f"; recertification opens {format_date(self.window_opens)}"
                return text
            case "expired":
                assert self.since is not None
                expired = format_date(cycle.original_due_on)
                return f"Expired on {expired}; recertification overdue since {format_date(self.since)}"
            case "overdue":
                assert self.since is not None
                return f"Overdue since {format_date(self.since)} (due {format_date(cycle.due_on)})"
            case _:
                if self.until and self.until != cycle.due_on:
                    return f"Due {format_date(cycle.due_on)} (with grace until {format_date(self.until)})"
                return f"Due {format_date(cycle.due_on)}"


def _known(facts: Facts, day: dt.date) -> list[Evidence]:
    return [e for e in facts.evidence if e.known_on <= day]


def _satisfied(facts: Facts, evidence: list[Evidence], opened_on: dt.date) -> tuple[dt.date, tuple[str, ...]] | None:
    """The day the requirement was met counting only evidence on or after `opened_on`, and what met it."""
    if facts.mode == "any":
        for item in evidence:
            if item.on >= opened_on:
                return item.on, (item.ref,)
        return None
    firsts: dict[str, Evidence] = {}
    for item in evidence:
        if item.on >= opened_on and item.part in facts.parts and item.part not in firsts:
            firsts[item.part] = item
    if not facts.parts or len(firsts) < len(facts.parts):
        return None
    chosen = sorted(firsts.values(), key=lambda e: (e.on, e.ref))
    return chosen[-1].on, tuple(e.ref for e in chosen)


def _extended(facts: Facts, number: int, day: dt.date) -> dt.date | None:
    found = [
        x
        for x in facts.extensions
        if x.cycle == number and x.recorded_on <= day and (x.revoked_on is None or day < x.revoked_on)
    ]
    return max(found, key=lambda x: x.recorded_on).due_on if found else None


def _first_cycle_satisfied(
    facts: Facts, evidence: list[Evidence], due: dt.date
) -> tuple[dt.date, tuple[str, ...]] | None:
    """Cycle 1 also counts completions from the look-back window, as long as they are still valid on the day of
    assignment (an old, already expired completion must not make a new joiner overdue at once)."""
    opened = facts.assigned_on - dt.timedelta(days=facts.lookback_days)
    found = _satisfied(facts, evidence, opened)
    if found is None or found[0] >= facts.assigned_on:
        return found
    # Everything was done before the assignment: take the latest of it (per part), the one valid the longest —
    # an old expired completion must not hide a newer valid one. Expiry only moves later with the completion
    # day, so when the latest has expired every earlier one has too.
    prior = [item for item in evidence if item.on < facts.assigned_on]
    latest = _satisfied(facts, prior[::-1], opened) or found
    expiry = due_dates.expires_on(facts.schedule, completed_on=latest[0], due_on=due)
    if expiry is None or expiry > facts.assigned_on:
        return latest
    return _satisfied(facts, evidence, facts.assigned_on)


def _expiry(schedule: Schedule, *, first: dt.date, due_on: dt.date, completed_on: dt.date) -> dt.date | None:
    """When a completion of the cycle due `due_on` expires. With anchor "due_date" the periods are counted from the
    first cycle's due date `first`, never chained from a clamped one (31 January, 29 February, 31 March — not
    29 March), and the next due date is after this cycle's as well as after the completion."""
    if schedule.anchor != "due_date":
        return due_dates.expires_on(schedule, completed_on=completed_on, due_on=due_on)
    return due_dates.next_due(schedule, due_on=first, completed_on=max(completed_on, due_on))


def compute(facts: Facts, today: dt.date) -> Standing:
    """Where the person stands on `today`, using only the facts on record that day."""
    schedule = facts.schedule
    evidence = sorted(_known(facts, today), key=lambda e: (e.on, e.ref))
    evidence = [e for e in evidence if e.on <= today]
    original = first = due_dates.first_due(schedule, assigned_on=facts.assigned_on, hire_date=facts.hire_date)
    number = 1
    opened = facts.assigned_on - dt.timedelta(days=facts.lookback_days)
    closed: list[Cycle] = []
    while True:
        due = _extended(facts, number, today) or original
        cycle = Cycle(number=number, opened_on=opened, due_on=due, original_due_on=original)
        found = (
            _first_cycle_satisfied(facts, evidence, original) if number == 1 else _satisfied(facts, evidence, opened)
        )
        if found is None:
            break
        completed_on, refs = found
        expiry = _expiry(schedule, first=first, due_on=original, completed_on=completed_on)
        # Built outright rather than with `dataclasses.replace`, which costs several times more (a hot path).
        cycle = Cycle(number, opened, due, original, completed_on, refs, expiry)
        if expiry is None:
            break
        next_opened = max(due_dates.window_opens(schedule, expires_on=expiry), completed_on + ONE_DAY)
        renewal = _satisfied(facts, evidence, next_opened)
        renewed_before_expiry = renewal is not None and renewal[0] < expiry
        if expiry > today and not renewed_before_expiry:
            break
        if len(closed) >= MAX_CYCLES:
            raise ValueError("too many cycles")
        closed.append(
            Cycle(
                number,
                opened,
                due,
                original,
                completed_on,
                refs,
                expiry,
                closed_on=min(expiry, renewal[0]) if renewal else expiry,
                outcome="renewed" if renewed_before_expiry else "expired",
            )
        )
        number += 1
        opened = next_opened
        original = expiry
    return _status(facts, cycle, tuple(closed), today)


def _active_exemption(facts: Facts, today: dt.date) -> Exempt | None:
    """The exemption in force on `today`; of overlapping ones, the one that lasts longest (its end is the day the
    person is exempt until)."""
    active = [x for x in facts.exemptions if x.starts_on <= today and (x.ends_on is None or today <= x.ends_on)]
    if not active:
        return None
    return max(active, key=lambda x: (x.ends_on is None, x.ends_on or dt.date.min, x.ref))


def _status(facts: Facts, cycle: Cycle, closed: tuple[Cycle, ...], today: dt.date) -> Standing:
    schedule = facts.schedule
    candidates: list[dt.date] = []
    exemption = _active_exemption(facts, today)
    window = None
    last_day = cycle.due_on + dt.timedelta(days=schedule.grace_days)
    # The cycle runs on under an exemption (it can expire and the next one fall due), so its days count too.
    if cycle.completed_on is not None:
        if cycle.expires_on is not None:
            window = due_dates.window_opens(schedule, expires_on=cycle.expires_on)
            candidates += [cycle.expires_on, window]
    else:
        candidates += [cycle.due_on - dt.timedelta(days=facts.due_soon_days), last_day + ONE_DAY]
    if exemption is not None and exemption.ends_on is not None:
        candidates.append(exemption.ends_on + ONE_DAY)
    # Exemptions decided later, and future-dated ones, change the status by themselves too.
    candidates += [x.starts_on for x in facts.exemptions]
    future = [day for day in candidates if day > today]
    next_change_on = min(future) if future else None
    if exemption is not None:
        return Standing(
            "exempt", cycle, closed, until=exemption.ends_on, exemption=exemption.ref, next_change_on=next_change_on
        )
    if cycle.completed_on is not None:
        return Standing(
            "compliant",
            cycle,
            closed,
            until=cycle.expires_on - ONE_DAY if cycle.expires_on else None,
            window_opens=window if schedule.window_days else None,
            next_change_on=next_change_on,
        )
    base = due_dates.status(
        schedule,
        today=today,
        due_on=cycle.due_on,
        completed_on=None,
        expires_on=None,
        due_soon_days=facts.due_soon_days,
    )
    code: Code = base.code  # type: ignore[assignment]
    if code == "overdue" and cycle.number > 1:
        code = "expired"
    return Standing(code, cycle, closed, since=base.since, until=base.until, next_change_on=next_change_on)


def _boundaries(facts: Facts, standing: Standing) -> Iterable[dt.date]:
    """Every day on which the status could have changed, from the cycles as they ran and the facts' dates."""
    schedule = facts.schedule
    for cycle in (*standing.closed, standing.cycle):
        yield cycle.opened_on
        # Before an extension was recorded the cycle ran on its earlier due date(s): their days count too.
        dues = {cycle.due_on, cycle.original_due_on}
        dues.update(x.due_on for x in facts.extensions if x.cycle == cycle.number)
        for due in dues:
            yield due - dt.timedelta(days=facts.due_soon_days)
            yield due + dt.timedelta(days=schedule.grace_days + 1)
        if cycle.completed_on:
            yield cycle.completed_on
        if cycle.expires_on:
            yield cycle.expires_on
    for item in facts.evidence:
        yield item.known_on
    for exemption in facts.exemptions:
        yield exemption.starts_on
        if exemption.ends_on:
            yield exemption.ends_on + ONE_DAY
    for extension in facts.extensions:
        yield extension.recorded_on
        if extension.revoked_on:
            yield extension.revoked_on


def _key(standing: Standing) -> tuple[str, int]:
    return standing.code, standing.cycle.number


def transitions(facts: Facts, *, after: dt.date | None, today: dt.date) -> list[tuple[dt.date, Standing]]:
    """The status changes in (`after`, `today`], each with the day it took effect: the first entry is the
    standing on the first day considered (`facts.assigned_on` when `after` is None; today when `after` is today
    or later). Used to write the ledger: the caller drops a first entry that repeats what it recorded last."""
    final = compute(facts, today)
    start = facts.assigned_on if after is None else after + ONE_DAY
    if start > today:
        # Already recorded up to today: only a change of facts today can show (the caller drops a repeat).
        return [(today, final)]
    # A fact recorded late can change which completion closed an earlier cycle, so the cycles as they ran before
    # it was known differ from today's: take the boundaries of the cycles as known at the end of each stretch of
    # days over which the facts on record did not change.
    learned = (
        {e.known_on for e in facts.evidence}
        | {x.recorded_on for x in facts.extensions}
        | {x.revoked_on for x in facts.extensions if x.revoked_on}
    )
    ends = {day - ONE_DAY for day in learned if start < day <= today}
    boundaries: set[dt.date] = set(_boundaries(facts, final))
    for end in ends:
        boundaries.update(_boundaries(facts, compute(facts, end)))
    days = sorted({day for day in boundaries if start < day <= today} | {start, today})
    out: list[tuple[dt.date, Standing]] = []
    previous: tuple[str, int] | None = None
    for day in days:
        standing = final if day == today else compute(facts, day)
        if _key(standing) != previous:
            out.append((day, standing))
            previous = _key(standing)
    return out


# A history as `Replays` compares it: assigned on, first due date, evidence (on, part, stand-in ref, recorded on),
# exemptions (starts on, ends on, stand-in ref), extensions.
_Shape = tuple[
    dt.date,
    dt.date,
    tuple[tuple[dt.date, str, str, dt.date | None], ...],
    tuple[tuple[dt.date, dt.date | None, str], ...],
    tuple[Extension, ...],
]


class Replays:
    """`compute` and `transitions` for the many people of one run (one `today`), each distinct history replayed
    once: in a program most people share their history but for the ids of their completions (the same day of
    completion, or none at all), and a replay costs more than everything else the evaluation does per person.

    A history's refs matter to a replay only by their order (evidence of the same day is taken in the order of
    its refs, overlapping exemptions by theirs) and are carried into the result as they are. So the refs are
    replaced by stand-in refs that sort alike (`e000000`, `e000001`, ... for evidence, `x...` for exemptions),
    the replay of the first person with that history serves everyone with it, and each caller gets the mapping
    back to its own refs (`real`). The hire date matters only through the first due date, which is what is
    compared. Results are shared: never change them. At most `KEEP` histories are kept (memory stays bounded
    when few people share one, e.g. due dates counted from each one's hire date).
    """

    KEEP = 20_000

    def __init__(self, today: dt.date) -> None:
        self.today = today
        self._program: tuple[object, ...] = ()
        self._template: Facts | None = None
        self._done: dict[tuple[object, ...], Any] = {}

    def _use(self, template: Facts) -> None:
        """Keep the replays of the program `template`'s facts belong to; another program's have nothing in common."""
        if template is self._template:
            return
        program = (template.schedule, template.mode, template.parts, template.lookback_days, template.due_soon_days)
        if program != self._program:
            self._program, self._done = program, {}
        self._template = template

    @staticmethod
    def evidence_shape(
        items: Iterable[tuple[dt.date, str, str, dt.date | None]],
    ) -> tuple[tuple[tuple[dt.date, str, str, dt.date | None], ...], dict[str, str]]:
        """One person's evidence (on, part, ref, recorded on), in their order, with stand-in refs, and the mapping
        of the stand-ins back to the refs: the evidence part of a shape (`shape`)."""
        items = tuple(items)
        if len(items) < 2:  # most people: nothing to sort or to name apart
            if not items:
                return (), {}
            on, part, ref, recorded = items[0]
            return ((on, part, "e000000", recorded),), {"e000000": ref}
        # In order of day and ref, as `compute` takes them: people whose rows came in another order share a shape.
        items = tuple(sorted(items, key=lambda item: (item[0], item[2])))
        names = {ref: f"e{i:06d}" for i, ref in enumerate(sorted({item[2] for item in items}))}
        return (
            tuple((on, part, names[ref], recorded) for on, part, ref, recorded in items),
            {name: ref for ref, name in names.items()},
        )

    @staticmethod
    def exemptions_shape(
        exemptions: Iterable[Exempt],
    ) -> tuple[tuple[tuple[dt.date, dt.date | None, str], ...], dict[str, str]]:
        """The exemption part of a shape, and its mapping back (see `evidence_shape`)."""
        exemptions = tuple(exemptions)
        if not exemptions:
            return (), {}
        names = {ref: f"x{i:06d}" for i, ref in enumerate(sorted({x.ref for x in exemptions}))}
        return (
            tuple((x.starts_on, x.ends_on, names[x.ref]) for x in exemptions),
            {name: ref for ref, name in names.items()},
        )

    def _shape(self, facts: Facts) -> tuple[_Shape, dict[str, str]]:
        evidence, back = self.evidence_shape((e.on, e.part, e.ref, e.recorded_on) for e in facts.evidence)
        exemptions, exempt_back = self.exemptions_shape(facts.exemptions)
        if exempt_back:
            back = {**back, **exempt_back}
        due = due_dates.first_due(facts.schedule, assigned_on=facts.assigned_on, hire_date=facts.hire_date)
        return (facts.assigned_on, due, evidence, exemptions, facts.extensions), back

    @staticmethod
    def _stand_ins(template: Facts, shape: _Shape, hire_date: dt.date | None) -> Facts:
        assigned_on, _due, evidence, exemptions, extensions = shape
        # Built outright: `dataclasses.replace` costs several times more, once per distinct history.
        return Facts(
            template.schedule,
            assigned_on,
            hire_date,
            template.mode,
            template.parts,
            template.lookback_days,
            template.due_soon_days,
            tuple(Evidence(*item) for item in evidence),
            tuple(Exempt(*item) for item in exemptions),
            extensions,
        )

    def compute(self, facts: Facts) -> tuple[Standing, dict[str, str]]:
        """`compute(facts, today)`, and the mapping of its stand-in refs back to this person's refs."""
        shape, back = self._shape(facts)
        return self.compute_shaped(facts, shape, facts.hire_date), back

    def transitions(
        self, facts: Facts, *, after: dt.date | None
    ) -> tuple[list[tuple[dt.date, Standing]], dict[str, str]]:
        """`transitions(facts, after=after, today=today)`, and the mapping back (see `compute`)."""
        shape, back = self._shape(facts)
        return self.transitions_shaped(facts, shape, facts.hire_date, after=after), back

    def compute_shaped(self, template: Facts, shape: _Shape, hire_date: dt.date | None) -> Standing:
        """`compute` of a history given as its shape: (assigned on, first due date, `evidence_shape`,
        `exemptions_shape`, extensions), with the person's hire date. `template` carries the program's part of the
        facts (its schedule, mode, parts, look-back and due-soon days; the rest is not read). A caller that reads
        the facts of many people can build their shapes straight from its rows, without `Facts` and `Evidence`
        objects that a shared replay never needs (a third of a full re-evaluation's time at 100,000 people)."""
        self._use(template)
        key = ("compute", shape)
        found = self._done.get(key)
        if found is None:
            found = compute(self._stand_ins(template, shape, hire_date), self.today)
            if len(self._done) < self.KEEP:
                self._done[key] = found
        return found  # type: ignore[no-any-return]

    def transitions_shaped(
        self, template: Facts, shape: _Shape, hire_date: dt.date | None, *, after: dt.date | None
    ) -> list[tuple[dt.date, Standing]]:
        """`transitions` of a history given as its shape (see `compute_shaped`)."""
        self._use(template)
        key = ("transitions", after, shape)
        found = self._done.get(key)
        if found is None:
            found = transitions(self._stand_ins(template, shape, hire_date), after=after, today=self.today)
            if len(self._done) < self.KEEP:
                self._done[key] = found
        return found  # type: ignore[no-any-return]

    @staticmethod
    def real(refs: Iterable[str], back: dict[str, str]) -> tuple[str, ...]:
        """The refs of a result of `compute` or `transitions` as this person's own."""
        return tuple(back.get(ref, ref) for ref in refs)
