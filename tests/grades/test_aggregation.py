"""The course total (grades/aggregation.py): hand-computed cases and a property."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from syllabus.grades.aggregation import CategorySpec, GradeValue, ItemSpec, course_total

D = Decimal


def g(value: str | None, hidden: bool = False) -> GradeValue:
    return GradeValue(None if value is None else D(value), hidden)


# Category 1 (weight 2): item 1 (weight 1, max 10) and item 2 (weight 3, max 20); category 2 (weight 1): item 3
# (max 50); item 4 uncategorised (max 100).
CATEGORIES = [CategorySpec(1, D(2)), CategorySpec(2, D(1))]
ITEMS = [
    ItemSpec(1, category_id=1, weight=D(1), max_points=D(10)),
    ItemSpec(2, category_id=1, weight=D(3), max_points=D(20)),
    ItemSpec(3, category_id=2, max_points=D(50)),
    ItemSpec(4, category_id=None, max_points=D(100)),
]


def test_weighted_categories_and_items_by_hand() -> None:
    # Category 1: (80×1 + 60×3) / 4 = 65; category 2: 90; uncategorised: 50.
    # Total: (65×2 + 90×1 + 50×1) / 4 = 67.5. Points: 8 + 12 + 45 + 50 = 115 of 180.
    total = course_total(items=ITEMS, categories=CATEGORIES, grades={1: g("80"), 2: g("60"), 3: g("90"), 4: g("50")})
    assert total.percent == D("67.50")
    assert total.categories == {1: D("65.00"), 2: D("90.00"), None: D("50.00")}
    assert (total.points, total.max_points) == (D("115.00"), D("180.00"))
    assert total.passed is None and total.learner_percent is None


def test_rounding_is_half_up_to_two_places() -> None:
    # (65×2 + 90) / 3 = 73.333...
    total = course_total(items=ITEMS[:3], categories=CATEGORIES, grades={1: g("80"), 2: g("60"), 3: g("90")})
    assert total.percent == D("73.33")
    # (0.005 + 0) / 2 rounds half up: two items of 0.01 and 0 → 0.005 → 0.01.
    items = [ItemSpec(1), ItemSpec(2)]
    assert course_total(items=items, categories=[], grades={1: g("0.01"), 2: g("0")}).percent == D("0.01")


def test_only_graded_leaves_missing_grades_out_or_counts_them_as_zero() -> None:
    grades = {1: g("80"), 3: g("90")}
    # Left out: category 1 is 80 (item 2 missing), total (80×2 + 90) / 3 = 83.33; item 4 has no grade either.
    assert course_total(items=ITEMS, categories=CATEGORIES, grades=grades).percent == D("83.33")
    # As 0: category 1 = (80 + 0×3) / 4 = 20; uncategorised 0; total (20×2 + 90 + 0) / 4 = 32.5.
    as_zero = course_total(items=ITEMS, categories=CATEGORIES, grades=grades, only_graded=False)
    assert as_zero.percent == D("32.50")
    assert (as_zero.points, as_zero.max_points) == (D("53.00"), D("180.00"))


def test_nothing_graded_is_no_total() -> None:
    total = course_total(items=ITEMS, categories=CATEGORIES, grades={}, pass_mark=D(50))
    assert (total.percent, total.points, total.passed) == (None, None, None)


def test_drop_lowest_keeps_the_best_and_always_one() -> None:
    items = [ItemSpec(i, category_id=1) for i in (1, 2, 3)]
    grades = {1: g("50"), 2: g("70"), 3: g("90")}
    drop_one = course_total(items=items, categories=[CategorySpec(1, drop_lowest=1)], grades=grades)
    assert drop_one.percent == D("80.00")
    drop_many = course_total(items=items, categories=[CategorySpec(1, drop_lowest=5)], grades=grades)
    assert drop_many.percent == D("90.00")
    # Dropping applies to grades present: with one grade, that grade stays.
    assert course_total(items=items, categories=[CategorySpec(1, drop_lowest=1)], grades={1: g("40")}).percent == D(
        "40.00"
    )


def test_excluded_retired_and_weightless_items_never_count() -> None:
    items = [
        ItemSpec(1),
        ItemSpec(2, excluded=True),
        ItemSpec(3, retired=True),
        ItemSpec(4, weight=D(0)),
    ]
    total = course_total(items=items, categories=[], grades={1: g("60"), 2: g("0"), 3: g("0"), 4: g("0")})
    assert total.percent == D("60.00")
    assert total.max_points == D("100.00")


def test_a_weightless_category_does_not_count() -> None:
    items = [ItemSpec(1, category_id=1), ItemSpec(2, category_id=2)]
    categories = [CategorySpec(1, D(0)), CategorySpec(2, D(1))]
    assert course_total(items=items, categories=categories, grades={1: g("10"), 2: g("70")}).percent == D("70.00")


def test_pass_mark_decides_passed() -> None:
    items = [ItemSpec(1)]
    assert course_total(items=items, categories=[], grades={1: g("50")}, pass_mark=D(50)).passed is True
    assert course_total(items=items, categories=[], grades={1: g("49.99")}, pass_mark=D(50)).passed is False


def test_no_result_while_a_counted_item_waits_for_its_grade() -> None:
    """100 % on the one graded item of four is no pass yet, nor 30 % a failure; an excluded item doesn't wait."""
    items = [ItemSpec(1), ItemSpec(2), ItemSpec(3), ItemSpec(4, excluded=True)]
    partly = course_total(items=items, categories=[], grades={1: g("100")}, pass_mark=D(50))
    assert (partly.percent, partly.passed) == (D("100.00"), None)
    assert course_total(items=items, categories=[], grades={1: g("30")}, pass_mark=D(50)).passed is None
    every = {1: g("100"), 2: g("40"), 3: g("30")}
    assert course_total(items=items, categories=[], grades=every, pass_mark=D(50)).passed is True
    # Counting a missing grade as 0 decides at once: the total is what it would be if nothing more came.
    as_zero = course_total(items=items, categories=[], grades={1: g("100")}, only_graded=False, pass_mark=D(30))
    assert (as_zero.percent, as_zero.passed) == (D("33.33"), True)


def test_learner_percent_leaves_out_hidden_items_and_hidden_grades() -> None:
    items = [ItemSpec(1), ItemSpec(2, hidden=True), ItemSpec(3)]
    grades = {1: g("80"), 2: g("20"), 3: g("50", hidden=True)}
    total = course_total(items=items, categories=[], grades=grades)
    assert total.percent == D("50.00")  # (80 + 20 + 50) / 3
    assert total.learner_percent == D("80.00")
    # Nothing hidden: the same, so None.
    assert course_total(items=items[:1], categories=[], grades=grades).learner_percent is None


percents = st.decimals(min_value=0, max_value=100, places=2)
weights = st.decimals(min_value=0, max_value=10, places=3)


@given(
    data=st.lists(
        st.tuples(
            st.one_of(st.none(), percents),  # the grade
            st.sampled_from([None, 1, 2, 3]),  # its category
            weights,
            st.booleans(),  # excluded
        ),
        min_size=1,
        max_size=12,
    ),
    category_weights=st.tuples(weights, weights, weights),
    drops=st.tuples(*(st.integers(0, 3),) * 3),
    only_graded=st.booleans(),
)
def test_the_total_stays_within_the_counted_grades(
    data: list[tuple[Decimal | None, int | None, Decimal, bool]],
    category_weights: tuple[Decimal, Decimal, Decimal],
    drops: tuple[int, int, int],
    only_graded: bool,
) -> None:
    items = [ItemSpec(i, category_id=c, weight=w, excluded=x) for i, (_v, c, w, x) in enumerate(data)]
    categories = [CategorySpec(i + 1, category_weights[i], drops[i]) for i in range(3)]
    grades = {i: GradeValue(v) for i, (v, *_rest) in enumerate(data) if v is not None}
    total = course_total(items=items, categories=categories, grades=grades, only_graded=only_graded)
    category_weight = {None: D(1), **{c.id: c.weight for c in categories}}
    counted = [
        (v if v is not None else D(0))
        for v, c, w, x in data
        if not x and w > 0 and category_weight[c] > 0 and (v is not None or not only_graded)
    ]
    if total.percent is None:
        assert not counted
        return
    assert min(counted) <= total.percent <= max(counted)
    assert total.points is not None and total.max_points is not None
    assert D(0) <= total.points <= total.max_points
