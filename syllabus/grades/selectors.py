"""Reads of the gradebook for its pages and exports: the grader table (a page of people × a page of items, in a
constant number of queries at any course size), one grade with its history, a learner's own grades, and how a
grade is shown (percentage, points or letter).

The grader table of a large course (10,000 learners × 500 items) is read in five queries whatever its size: the
number of people matching the filters (without the joins the list needs), one page of them, the course totals of
that page, every item of the course with its category (a few hundred short rows), and the grades of those people
for the items of the column page; all as tuples, not model instances (bench/gradebook.py). Cells are turned into
HTML here, once per row, so the template does not run tags for each of 2,000 cells.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from syllabus.accounts.models import Organization, OrgUnit, User
from syllabus.catalog.models import Course
from syllabus.enrollment.models import LEARNING_STATES, CourseGroup, Enrollment, GroupMember, Status
from syllabus.grades import services
from syllabus.grades.models import (
    CourseGrade,
    Display,
    Grade,
    GradebookSettings,
    GradeCategory,
    GradeChange,
    GradeItem,
    ItemSource,
    LetterScale,
)

ROWS_PER_PAGE = 50
COLUMNS_PER_PAGE = 40
SEARCH_MAX = 100

# The status filter: enrollment states, and where the person stands against the course's pass mark.
ENROLLMENT_STATUSES = (Status.ACTIVE, Status.COMPLETED, Status.WITHDRAWN, Status.RENEWED)
RESULT_STATUSES = {
    "passed": _("Passed"),
    "failed": _("Failed"),
    "partial": _("Partly graded, no result yet"),
    "ungraded": _("Not graded yet"),
}
SORTS = ("name", "-name", "total", "-total")


# --- how a grade is shown --------------------------------------------------------------------------------------


def _plain(value: Decimal) -> str:
    """12.50 -> "12.5", 80.00 -> "80": no trailing zeros, never an exponent."""
    text = format(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def show(percent: Decimal | None, *, display: str, max_points: Decimal, bands: Sequence[Mapping[str, Any]]) -> str:
    """A grade as the gradebook's settings say: "85.5%", "17.1" (points of `max_points`) or "B"; "–" when none."""
    if percent is None:
        return "\u2013"
    if display == Display.POINTS:
        return _plain(percent * max_points / 100)
    if display == Display.LETTER and bands:
        return services.letter_for(bands, percent) or f"{_plain(percent)}%"
    return f"{_plain(percent)}%"


def bands_for(settings: GradebookSettings) -> list[dict[str, Any]]:
    """The letters this course shows: its chosen scale, else the organisation's default, else none."""
    scale = services.scale_for(settings)
    if scale is None or not isinstance(scale.bands, list):
        return []
    return [band for band in scale.bands if isinstance(band, dict)]


# --- the course --------------------------------------------------------------------------------------------------


def course_get(*, organization: Organization, pk: int) -> Course | None:
    """The course of this organisation (another organisation's id is simply not there), with its published version
    for the header (its state badge) but not the version's snapshot: the whole course as JSON, ~25 ms to read and
    parse for 500 activities, and no gradebook page needs it (the item sync reads it alone when it runs)."""
    return (
        Course.objects.filter(organization=organization, pk=pk)
        .select_related("organization", "published_version")
        .defer("published_version__snapshot")
        .first()
    )


def items_of(*, course: Course) -> list[GradeItem]:
    """Every item of the course with its category, in the gradebook's order: categories in their order (items
    without one last), then each item's position. One query."""
    items = list(GradeItem.objects.filter(course=course).select_related("category").order_by("position", "pk"))
    last = (1 << 31, 0)
    items.sort(key=lambda item: (item.category.position, item.category.pk) if item.category else last)
    return items


@dataclass(frozen=True, slots=True)
class CategoryRow:
    pk: int
    name: str
    weight: Decimal
    position: int


@dataclass(frozen=True, slots=True)
class ItemRow:
    """What the grader table shows of an item (the attribute names of GradeItem): read as tuples, since 500
    model instances with their categories cost ~40 ms and the table shows at most COLUMNS_PER_PAGE of them."""

    pk: int
    name: str
    kind: str
    source: str
    max_points: Decimal
    hidden: bool
    excluded: bool
    retired: bool
    category_id: int | None
    category: CategoryRow | None


def item_rows(*, course: Course) -> list[ItemRow]:
    """`items_of` as ItemRows, in the same order. One query."""
    categories: dict[int, CategoryRow] = {}
    rows: list[ItemRow] = []
    for (
        pk,
        name,
        kind,
        source,
        max_points,
        hidden,
        excluded,
        retired,
        category_id,
        category_name,
        category_weight,
        category_position,
    ) in (
        GradeItem.objects.filter(course=course)
        .order_by("position", "pk")
        .values_list(
            "pk",
            "name",
            "kind",
            "source",
            "max_points",
            "hidden",
            "excluded",
            "retired",
            "category_id",
            "category__name",
            "category__weight",
            "category__position",
        )
    ):
        category = None
        if category_id is not None:
            category = categories.get(category_id)
            if category is None:
                category = categories[category_id] = CategoryRow(
                    category_id, category_name, category_weight, category_position
                )
        rows.append(ItemRow(pk, name, kind, source, max_points, hidden, excluded, retired, category_id, category))
    last = (1 << 31, 0)
    rows.sort(key=lambda item: (item.category.position, item.category.pk) if item.category else last)
    return rows


def categories_of(*, course: Course) -> list[GradeCategory]:
    return list(GradeCategory.objects.filter(course=course).order_by("position", "pk"))


def groups_of(*, course: Course) -> list[CourseGroup]:
    return list(CourseGroup.objects.filter(course=course).order_by("name", "pk").only("pk", "name", "course_id"))


def units_of(*, organization: Organization) -> list[OrgUnit]:
    return list(OrgUnit.objects.filter(organization=organization).order_by("path").only("pk", "name", "depth", "path"))


# --- the grader table --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    unit: OrgUnit | None = None
    group_id: int | None = None
    status: str = ""  # "" = active and completed enrollments; an enrollment status; or a RESULT_STATUSES key
    search: str = ""
    sort: str = "name"
    category_id: int | None = None  # the columns of one category only

    @property
    def narrowed(self) -> bool:
        return bool(self.unit or self.group_id or self.status or self.search)


def people_matching(*, course: Course, filters: Filters) -> QuerySet[Enrollment]:
    """The enrollments `people` lists, neither annotated nor sorted: what the grader table counts (without the
    names' joins and the totals, a quarter of the time of counting `people`)."""
    totals_query = CourseGrade.objects.filter(course=course, user_id=OuterRef("membership__user_id"))
    qs = Enrollment.objects.filter(course=course)
    if filters.status in ENROLLMENT_STATUSES:
        qs = qs.filter(status=filters.status)
    else:
        qs = qs.filter(status__in=LEARNING_STATES)
        if filters.status == "passed":
            qs = qs.filter(Exists(totals_query.filter(passed=True)))
        elif filters.status == "failed":
            qs = qs.filter(Exists(totals_query.filter(passed=False)))
        elif filters.status == "partial":
            # A total but no result: a counted item still waits for its grade (or the course has no pass mark).
            qs = qs.filter(Exists(totals_query.filter(percent__isnull=False, passed__isnull=True)))
        elif filters.status == "ungraded":
            qs = qs.exclude(Exists(totals_query.filter(percent__isnull=False)))
    if filters.unit is not None:
        qs = qs.filter(OrgUnit.subtree_q(filters.unit.path, prefix="membership__org_unit__"))
    if filters.group_id is not None:
        qs = qs.filter(Exists(GroupMember.objects.filter(enrollment=OuterRef("pk"), group_id=filters.group_id)))
    search = filters.search.strip()[:SEARCH_MAX]
    if search:
        qs = qs.filter(
            Q(membership__user__display_name__icontains=search) | Q(membership__user__email__icontains=search)
        )
    return qs


def people(*, course: Course, filters: Filters, totals: bool = True) -> QuerySet[Enrollment]:
    """The enrollments listed (one per person: enrollments of a person are live one at a time, and ended ones are
    listed only when their status is asked for), filtered and sorted, with each person's course total as
    `total_percent`, `total_passed` and `total_points`: the query the grader table and the exports page through.

    `totals=False` (the grader table): only `total_percent`, and only when sorting by it. The total's correlated
    sub-queries run for every row before an OFFSET (the middle page of 10,000 people: ~90 ms for that alone);
    the table reads the totals of its page afterwards in one query instead."""
    totals_query = CourseGrade.objects.filter(course=course, user_id=OuterRef("membership__user_id"))
    qs = people_matching(course=course, filters=filters)
    qs = qs.annotate(
        person_id=F("membership__user_id"),
        person_name=F("membership__user__display_name"),
        person_email=F("membership__user__email"),
    )
    if totals or filters.sort in ("total", "-total"):
        qs = qs.annotate(total_percent=Subquery(totals_query.values("percent")[:1]))
    if totals:
        qs = qs.annotate(
            total_points=Subquery(totals_query.values("points")[:1]),
            total_passed=Subquery(totals_query.values("passed")[:1]),
        )
    by_name: tuple[Any, ...] = ("person_name", "person_email", "pk")
    order: tuple[Any, ...]
    if filters.sort == "-name":
        order = ("-person_name", "-person_email", "-pk")
    elif filters.sort == "total":
        order = (F("total_percent").asc(nulls_last=True), *by_name)
    elif filters.sort == "-total":
        order = (F("total_percent").desc(nulls_last=True), *by_name)
    else:
        order = by_name
    return qs.order_by(*order)


class _Counted(Paginator):
    """A paginator told its count (counted on a leaner query than the one it pages through)."""

    def __init__(self, object_list: Any, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self._count = count

    @cached_property
    def count(self) -> int:
        return self._count


@dataclass(frozen=True)
class Column:
    item: ItemRow
    # "/ 20" under the name in points mode, the kind ("Quiz", "Manual"), and markers the header shows in words.
    max_label: str
    kind_label: str


@dataclass(frozen=True)
class CategoryHeader:
    name: str
    span: int
    weight: str


@dataclass
class Row:
    enrollment_id: int
    user_id: int
    name: str
    email: str
    status: str
    status_label: str
    total: str
    total_letter: str
    result: str  # "passed" | "failed" | ""
    result_label: str
    cells: SafeString


@dataclass
class Gradebook:
    settings: GradebookSettings
    page: Page[Any]
    rows: list[Row]
    columns: list[Column]
    category_headers: list[CategoryHeader]
    has_categories: bool
    column_page: int
    column_pages: int
    item_count: int
    bands: list[dict[str, Any]] = field(default_factory=list)


def _column_window(
    items: list[ItemRow], *, category_id: int | None, column_page: int
) -> tuple[list[ItemRow], int, int]:
    """The items of this column page (of one category when asked), the page number and the number of pages."""
    if category_id is not None:
        items = [item for item in items if item.category_id == category_id]
    pages = max(1, -(-len(items) // COLUMNS_PER_PAGE))
    number = min(max(1, column_page), pages)
    start = (number - 1) * COLUMNS_PER_PAGE
    return items[start : start + COLUMNS_PER_PAGE], number, pages


def _headers(columns: list[ItemRow]) -> list[CategoryHeader]:
    headers: list[CategoryHeader] = []
    current: int | str | None = "start"
    for item in columns:
        if item.category_id != current:
            current = item.category_id
            if item.category is not None:
                headers.append(CategoryHeader(item.category.name, 0, _plain(item.category.weight)))
            else:
                headers.append(CategoryHeader(_("Not in a category"), 0, ""))
        last = headers[-1]
        headers[-1] = CategoryHeader(last.name, last.span + 1, last.weight)
    return headers


def _kind_label(item: ItemRow) -> str:
    if item.source == ItemSource.MANUAL:
        return _("Manual")
    from syllabus.catalog import learning

    return learning.kind_label(item.kind) if item.kind else ""


# One cell's grade as read for the table: (final, overridden, hidden).
CellGrade = tuple[Decimal | None, bool, bool]


def _cells_html(
    *,
    user_id: int,
    columns: list[ItemRow],
    grades: Mapping[tuple[int, int], CellGrade],
    display: str,
    bands: Sequence[Mapping[str, Any]],
    prefix: str,
    words: Mapping[str, str],
    shown: dict[tuple[Decimal, Decimal], str],
    suffix: str = "",
) -> SafeString:
    """The `<td>`s of one row: each a link to the cell's page, with "overridden" / "hidden" markers in words.
    `shown` caches the escaped text of a (grade, maximum) across the page's rows (grades repeat a lot); `suffix`
    is the escaped "?back=..." that takes the cell's page back to this page of the table with its filters."""
    parts = []
    # A letter and words (never colour alone); the table's legend says what the letters mean.
    marker = {
        key: f'<span class="gb-mark" title="{w}">{letter}<span class="visually-hidden"> {w}</span></span>'
        for key, letter in (("overridden", "O"), ("hidden", "H"))
        for w in (escape(words[key]),)
    }
    ungraded = f'\u2013<span class="visually-hidden"> {words["ungraded"]}</span>'
    for item in columns:
        grade = grades.get((item.pk, user_id))
        url = f"{prefix}items/{item.pk}/people/{user_id}/{suffix}"
        final = grade[0] if grade is not None else None
        if final is None:
            text = ungraded
        else:
            key = (final, item.max_points)
            text = shown.get(key) or shown.setdefault(
                # html.escape is what django's escape() calls, without its lazy-string wrapper (~7 µs a call).
                key,
                html.escape(show(final, display=display, max_points=item.max_points, bands=bands)),
            )
        marks = ""
        if grade is not None:
            if grade[1]:
                marks += marker["overridden"]
            if grade[2]:
                marks += marker["hidden"]
        css = ' class="gb-excluded"' if item.excluded or item.retired else ""
        parts.append(f'<td{css}><a href="{url}">{text}</a>{marks}</td>')
    return mark_safe("".join(parts))  # every value above is escaped or a number


def _total_text(
    settings: GradebookSettings, percent: Decimal | None, points: Decimal | None, bands: Sequence[Mapping[str, Any]]
) -> str:
    if settings.display == Display.POINTS:
        return _plain(points) if points is not None else "\u2013"
    return show(percent, display=settings.display, max_points=Decimal(100), bands=bands)


def _letter_beside(settings: GradebookSettings, percent: Decimal | None, bands: Sequence[Mapping[str, Any]]) -> str:
    """The letter shown beside a total in percent or points (in letter mode the total is the letter)."""
    if settings.display == Display.LETTER or not bands or percent is None:
        return ""
    return services.letter_for(bands, percent)


def gradebook(
    *,
    course: Course,
    settings: GradebookSettings,
    filters: Filters,
    page_number: Any,
    column_page: Any,
    back: str = "",
) -> Gradebook:
    """One page of the grader table: ROWS_PER_PAGE people × at most COLUMNS_PER_PAGE items (or one category's),
    in a constant number of queries (count, people, items, grades, and the letter scale when letters show).
    `back` (the table's filters and page, URL-encoded) goes on every cell's link, for its way back."""
    bands = bands_for(settings) if settings.display == Display.LETTER or settings.letter_scale_id else []
    items = item_rows(course=course)
    try:
        wanted_column_page = int(column_page)
    except (TypeError, ValueError):
        wanted_column_page = 1
    columns, column_number, column_pages = _column_window(
        items, category_id=filters.category_id, column_page=wanted_column_page
    )
    listed = people(course=course, filters=filters, totals=False).values_list(
        "pk", "membership__user_id", "membership__user__display_name", "membership__user__email", "status"
    )
    page = _Counted(listed, ROWS_PER_PAGE, count=people_matching(course=course, filters=filters).count()).get_page(
        page_number
    )
    enrollments: list[tuple[int, int, str, str, str]] = list(page.object_list)
    user_ids = [row[1] for row in enrollments]
    grades: dict[tuple[int, int], CellGrade] = {}
    totals: dict[int, tuple[Decimal | None, Decimal | None, bool | None]] = {}
    if user_ids:
        # The page's totals, after the page (see `people`): one probe of course_grade_unique per person.
        totals = {
            user_id: (percent, points, passed)
            for user_id, percent, points, passed in CourseGrade.objects.filter(
                course=course, user_id__in=user_ids
            ).values_list("user_id", "percent", "points", "passed")
        }
        if columns:
            for item_id, user_id, final, override, hidden in (
                Grade.objects.filter(item__in=[item.pk for item in columns], user_id__in=user_ids)
                .order_by()
                .values_list("item_id", "user_id", "final", "override", "hidden")
            ):
                grades[(item_id, user_id)] = (final, override is not None, hidden)
    prefix = reverse("grades:gradebook", args=[course.pk])
    suffix = html.escape(f"?{urlencode({'back': back})}") if back else ""
    words = {"ungraded": _("not graded"), "overridden": _("overridden"), "hidden": _("hidden from the learner")}
    status_labels = dict(Status.choices)
    shown: dict[tuple[Decimal, Decimal], str] = {}
    rows = []
    for enrollment_id, user_id, name, email, status in enrollments:
        percent, points, passed = totals.get(user_id, (None, None, None))
        result = "" if passed is None else ("passed" if passed else "failed")
        rows.append(
            Row(
                enrollment_id=enrollment_id,
                user_id=user_id,
                name=name or email,
                email=email,
                status=status,
                status_label=str(status_labels.get(status, status)),
                total=_total_text(settings, percent, points, bands),
                total_letter=_letter_beside(settings, percent, bands),
                result=result,
                result_label=str(RESULT_STATUSES.get(result, "")),
                cells=_cells_html(
                    user_id=user_id,
                    columns=columns,
                    grades=grades,
                    display=settings.display,
                    bands=bands,
                    prefix=prefix,
                    words=words,
                    shown=shown,
                    suffix=suffix,
                ),
            )
        )
    return Gradebook(
        settings=settings,
        page=page,
        rows=rows,
        columns=[
            Column(
                item=item,
                max_label=_("of %(max)s") % {"max": _plain(item.max_points)}
                if settings.display == Display.POINTS
                else "",
                kind_label=_kind_label(item),
            )
            for item in columns
        ],
        category_headers=_headers(columns),
        has_categories=any(item.category_id for item in items),
        column_page=column_number,
        column_pages=column_pages,
        item_count=len(items),
        bands=bands,
    )


# --- one grade ---------------------------------------------------------------------------------------------------


@dataclass
class Cell:
    item: GradeItem
    person: User
    enrollment: Enrollment
    grade: Grade | None
    history: list[GradeChange]


def item_get(*, course: Course, item_id: int) -> GradeItem | None:
    return GradeItem.objects.filter(course=course, pk=item_id).select_related("category").first()


def cell_get(*, course: Course, item_id: int, user_id: int) -> Cell | None:
    """One person's grade for one item of the course, with its history newest first; None when the item is not
    the course's or the person was never enrolled in it (another course's or organisation's ids are not found)."""
    item = item_get(course=course, item_id=item_id)
    if item is None:
        return None
    enrollment = (
        Enrollment.objects.filter(course=course, membership__user_id=user_id)
        .select_related("membership__user")
        .order_by("-created_at", "-pk")
        .first()
    )
    if enrollment is None:
        return None
    grade = Grade.objects.filter(item=item, user_id=user_id).select_related("overridden_by").first()
    history: list[GradeChange] = []
    if grade is not None:
        history = list(GradeChange.objects.filter(grade=grade).select_related("by").order_by("-at", "-pk"))
    return Cell(item=item, person=enrollment.membership.user, enrollment=enrollment, grade=grade, history=history)


# --- a learner's own grades --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OwnGrade:
    item: GradeItem
    text: str  # as the settings show it; "–" while not graded or not released
    percent: Decimal | None
    feedback: str
    released: bool


@dataclass(frozen=True)
class OwnCategory:
    name: str
    weight: str
    grades: list[OwnGrade]


@dataclass(frozen=True)
class OwnGrades:
    settings: GradebookSettings
    categories: list[OwnCategory]
    total: str  # "" when the course does not show learners their total
    total_letter: str
    result: str  # "passed" | "failed" | ""


def own_grades(*, course: Course, settings: GradebookSettings, user_id: int) -> OwnGrades:
    """What a learner sees of their grades: the items not hidden, with their released grades and feedback (a
    hidden grade shows as not released), grouped by category; the course total as learners see it (hidden items
    and grades left out) when the course shows it."""
    bands = bands_for(settings) if settings.display == Display.LETTER or settings.letter_scale_id else []
    items = [item for item in items_of(course=course) if not item.hidden and not item.retired]
    grades = {
        grade.item_id: grade
        for grade in Grade.objects.filter(item__in=[item.pk for item in items], user_id=user_id).only(
            "pk", "item_id", "final", "feedback", "hidden"
        )
    }
    categories: list[OwnCategory] = []
    for item in items:
        grade = grades.get(item.pk)
        released = grade is not None and not grade.hidden
        percent = grade.final if grade is not None and released else None
        own = OwnGrade(
            item=item,
            text=show(percent, display=settings.display, max_points=item.max_points, bands=bands),
            percent=percent,
            feedback=grade.feedback if grade is not None and released else "",
            released=released,
        )
        name = item.category.name if item.category else _("Other grades")
        weight = _plain(item.category.weight) if item.category else ""
        if categories and categories[-1].name == name:
            categories[-1].grades.append(own)
        else:
            categories.append(OwnCategory(name=name, weight=weight, grades=[own]))
    total = letter = result = ""
    if settings.show_total_to_learners:
        # Computed now from what the learner may see: the stored CourseGrade cannot tell "the learner's view is the
        # team's" from "the learner sees no grade" (every counted grade hidden), and must never show the latter.
        computed = services.course_total_for(course=course, user_id=user_id)
        percent = computed.learner_total
        if percent is not None:
            total = show(
                percent,
                display=Display.PERCENT if settings.display == Display.POINTS else settings.display,
                max_points=Decimal(100),
                bands=bands,
            )
            letter = services.letter_for(bands, percent) if bands else ""
            if computed.passed is not None and percent == computed.percent:
                result = "passed" if computed.passed else "failed"
        else:
            total = "\u2013"
    return OwnGrades(settings=settings, categories=categories, total=total, total_letter=letter, result=result)


# --- letter scales -----------------------------------------------------------------------------------------------


def scales_of(*, organization: Organization) -> list[LetterScale]:
    return list(LetterScale.objects.filter(organization=organization).order_by("name", "pk"))


def scale_get(*, organization: Organization, pk: int) -> LetterScale | None:
    return LetterScale.objects.filter(organization=organization, pk=pk).first()
