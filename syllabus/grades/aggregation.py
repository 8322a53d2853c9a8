"""The course total from items, categories and one person's grades: pure functions, no database (see README,
"Aggregation").

- An item's grade is a percentage. Items `excluded` or `retired`, and items of weight 0, never count.
- A category's percentage is the weighted mean (item `weight`) of its counted items' grades, after dropping the
  lowest `drop_lowest` — always keeping at least one, so a learner's only grade never vanishes.
- The course percentage is the weighted mean (category `weight`) of the categories that have a counted grade;
  items without a category form an implicit "Uncategorised" category of weight 1.
- `only_graded` False: a counted item without a grade counts as 0.
- Passed or not is decided only once every counted item has a grade (or `only_graded` is off): 100 % on the one
  graded item of four is no pass yet, and 30 % on it no failure.
- Points: each kept grade × its item's maximum, summed, over the maximums of the same items.
- The learner's view leaves out hidden items and hidden grades (`learner_percent`, None when the same).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal(0)


def q2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class ItemSpec:
    id: int
    category_id: int | None = None
    weight: Decimal = Decimal(1)
    max_points: Decimal = HUNDRED
    hidden: bool = False
    excluded: bool = False
    retired: bool = False

    @property
    def counts(self) -> bool:
        return not (self.excluded or self.retired) and self.weight > 0


@dataclass(frozen=True)
class CategorySpec:
    id: int
    weight: Decimal = Decimal(1)
    drop_lowest: int = 0


@dataclass(frozen=True)
class GradeValue:
    final: Decimal | None
    hidden: bool = False


@dataclass(frozen=True)
class Total:
    percent: Decimal | None
    points: Decimal | None
    max_points: Decimal | None
    passed: bool | None
    learner_percent: Decimal | None  # None when the learner's view gives the same percent
    categories: Mapping[int | None, Decimal] = field(default_factory=dict)  # category id (None: uncategorised)
    # The learner's own view, always (None: they see no total). `learner_percent` alone cannot tell "the same as
    # the team's" from "nothing at all" (every counted grade hidden): learner-facing code reads this.
    learner_total: Decimal | None = None


@dataclass(frozen=True)
class _View:
    percent: Decimal | None
    points: Decimal | None
    max_points: Decimal | None
    categories: dict[int | None, Decimal]
    ungraded: int = 0  # counted items left out for want of a grade


def _weighted_mean(pairs: Iterable[tuple[Decimal, Decimal]]) -> Decimal | None:
    total = weights = ZERO
    for value, weight in pairs:
        total += value * weight
        weights += weight
    return total / weights if weights > 0 else None


def _view(
    items: Iterable[ItemSpec],
    categories: Mapping[int, CategorySpec],
    grades: Mapping[int, GradeValue],
    *,
    only_graded: bool,
    as_learner: bool,
) -> _View:
    by_category: dict[int | None, list[tuple[Decimal, ItemSpec]]] = {}
    ungraded = 0
    for item in items:
        if not item.counts or (as_learner and item.hidden):
            continue
        grade = grades.get(item.id)
        value = grade.final if grade is not None and not (as_learner and grade.hidden) else None
        if value is None:
            if only_graded:
                ungraded += 1
                continue
            value = ZERO
        # An item of a category that no longer exists is uncategorised (the foreign key is SET_NULL anyway).
        key = item.category_id if item.category_id in categories else None
        by_category.setdefault(key, []).append((value, item))
    category_percents: dict[int | None, Decimal] = {}
    category_pairs: list[tuple[Decimal, Decimal]] = []
    points = max_points = ZERO
    for key, entries in by_category.items():
        spec = categories.get(key) if key is not None else None
        drop = min(spec.drop_lowest if spec else 0, len(entries) - 1)
        # Lowest first; among equal grades, drop the lighter item (it moves the mean least), then the later one.
        kept = sorted(entries, key=lambda e: (e[0], e[1].weight, -e[1].id))[drop:]
        percent = _weighted_mean((value, item.weight) for value, item in kept)
        if percent is None:
            continue
        category_percents[key] = q2(percent)
        weight = spec.weight if spec is not None else Decimal(1)
        if weight > 0:
            category_pairs.append((percent, weight))
            for value, item in kept:
                points += value * item.max_points / HUNDRED
                max_points += item.max_points
    total = _weighted_mean(category_pairs)
    if total is None:
        return _View(None, None, None, category_percents, ungraded)
    return _View(q2(total), q2(points), q2(max_points), category_percents, ungraded)


def course_total(
    *,
    items: Iterable[ItemSpec],
    categories: Iterable[CategorySpec],
    grades: Mapping[int, GradeValue],
    only_graded: bool = True,
    pass_mark: Decimal | None = None,
) -> Total:
    """One person's course total (`grades`: item id -> their grade; a missing key is no grade)."""
    item_list = list(items)
    category_map = {c.id: c for c in categories}
    team = _view(item_list, category_map, grades, only_graded=only_graded, as_learner=False)
    learner = _view(item_list, category_map, grades, only_graded=only_graded, as_learner=True)
    passed = None
    if pass_mark is not None and team.percent is not None and not team.ungraded:
        passed = team.percent >= pass_mark
    return Total(
        percent=team.percent,
        points=team.points,
        max_points=team.max_points,
        passed=passed,
        learner_percent=learner.percent if learner.percent != team.percent else None,
        categories=team.categories,
        learner_total=learner.percent,
    )
