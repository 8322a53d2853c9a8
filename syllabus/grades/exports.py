"""Exports of a gradebook: CSV streamed line by line, XLSX in openpyxl's write-only mode. Both read the learners
in batches of 500 (flat memory for 10,000 learners × 500 items) and take the rows the page's filters chose.

Columns: Name, Email, Employee ID, Org unit, one per counted or shown item (in gradebook order; retired items
left out), Course total. Grades are shown as the gradebook shows them (percentage "85.5", points "17 / 20" or a
letter); an edited export can be imported back (imports.py skips the columns that are not grades).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from syllabus.accounts.models import Membership, User
from syllabus.catalog.models import Course
from syllabus.grades.aggregation import q2
from syllabus.grades.models import CourseGrade, Display, Grade, GradeItem
from syllabus.grades.services.scales import letter_for, scale_for
from syllabus.grades.services.setup import settings_for

BATCH = 500
# Cells a spreadsheet would run as a formula start with one of these: written with a leading apostrophe (OWASP
# "CSV injection"), as the quiz results CSV does. Names and org units come from people and HR imports.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def escape_cell(text: str) -> str:
    """The cell's text, with an apostrophe in front when a spreadsheet could read it as a formula: also behind
    leading spaces (" =cmd"), which spreadsheets skip when they guess a cell's type."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) or text.lstrip().startswith(FORMULA_STARTS) else text


def _plain(value: Decimal) -> str:
    text = f"{q2(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def display_value(
    percent: Decimal | None,
    *,
    display: str,
    max_points: Decimal | None = None,
    bands: Sequence[Mapping[str, Any]] = (),
) -> str:
    """A grade as the gradebook shows it: "85.5" (percent), "17 / 20" (points), "B" (letter); "" for none."""
    if percent is None:
        return ""
    if display == Display.POINTS and max_points:
        return f"{_plain(percent * max_points / 100)} / {_plain(max_points)}"
    if display == Display.LETTER and bands:
        return letter_for(bands, percent)
    return _plain(percent)


def _user_ids(rows_query: Iterable[Any]) -> Iterator[int]:
    """The learners' ids from a queryset of users or enrollments (or any iterable of those or of ids)."""
    if isinstance(rows_query, QuerySet):
        model: type[Model] = rows_query.model
        field = "pk" if issubclass(model, User) else "membership__user_id"
        yield from rows_query.values_list(field, flat=True).iterator(chunk_size=2000)
        return
    for row in rows_query:
        if isinstance(row, int):
            yield row
        elif isinstance(row, User):
            yield row.pk
        else:
            yield row.membership.user_id


def _batches(ids: Iterator[int]) -> Iterator[list[int]]:
    batch: list[int] = []
    seen: set[int] = set()
    for user_id in ids:
        if user_id in seen:
            continue
        seen.add(user_id)
        batch.append(user_id)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _display_of(course: Course) -> tuple[str, list[Any]]:
    """How the exports write grades: the gradebook's display and its letter bands (percent when no scale)."""
    gradebook = settings_for(course)
    scale = scale_for(gradebook) if gradebook.display == Display.LETTER else None
    bands = list(scale.bands) if scale is not None else []
    return (gradebook.display if gradebook.display != Display.LETTER or bands else Display.PERCENT), bands


def grade_texts(course: Course) -> Callable[[Decimal | None, Decimal | None], str]:
    """A grade (percent, item maximum) as the CSV export writes it: the import uses it to tell a cell left as
    exported from a changed one."""
    display, bands = _display_of(course)
    return lambda percent, max_points: display_value(percent, display=display, max_points=max_points, bands=bands)


def _rows(course: Course, rows_query: Any, *, numbers: bool) -> Iterator[list[Any]]:
    """The header, then one row per learner (values as text, or as numbers for percentages when `numbers`)."""
    display, bands = _display_of(course)
    items = list(GradeItem.objects.filter(course=course, retired=False).order_by("position", "pk"))

    def shown(percent: Decimal | None, max_points: Decimal | None) -> Any:
        if numbers and display == Display.PERCENT:
            return None if percent is None else float(percent)
        return display_value(percent, display=display, max_points=max_points, bands=bands)

    yield [_("Name"), _("Email"), _("Employee ID"), _("Org unit"), *(item.name for item in items), _("Course total")]
    item_ids = [item.pk for item in items]
    for batch in _batches(_user_ids(rows_query)):
        people = {
            pk: (name, email)
            for pk, name, email in User.objects.filter(pk__in=batch).values_list("pk", "display_name", "email")
        }
        memberships = {
            user_id: (employee_id or "", unit or "")
            for user_id, employee_id, unit in Membership.objects.filter(
                organization_id=course.organization_id, user_id__in=batch
            ).values_list("user_id", "employee_id", "org_unit__name")
        }
        grades: dict[int, dict[int, Decimal | None]] = {}
        for user_id, item_id, final in Grade.objects.filter(item_id__in=item_ids, user_id__in=batch).values_list(
            "user_id", "item_id", "final"
        ):
            grades.setdefault(user_id, {})[item_id] = final
        totals = {
            user_id: (percent, points, maximum)
            for user_id, percent, points, maximum in CourseGrade.objects.filter(
                course=course, user_id__in=batch
            ).values_list("user_id", "percent", "points", "max_points")
        }
        for user_id in batch:
            if user_id not in people:
                continue
            name, email = people[user_id]
            employee_id, unit = memberships.get(user_id, ("", ""))
            own = grades.get(user_id, {})
            percent, points, maximum = totals.get(user_id, (None, None, None))
            if display == Display.POINTS:
                # The total in points is the points earned (weights shape the percentage, not the points).
                total: Any = "" if points is None or not maximum else f"{_plain(points)} / {_plain(maximum)}"
            else:
                total = shown(percent, maximum)
            yield [
                name,
                email,
                employee_id,
                unit,
                *(shown(own.get(item.pk), item.max_points) for item in items),
                total,
            ]


def export_csv(*, course: Course, rows_query: Any) -> Iterator[str]:
    """CSV lines (for a StreamingHttpResponse): Name, Email, Employee ID, Org unit, each item's grade as displayed,
    Course total. `rows_query` is a queryset of users or of enrollments (the page's filters applied). Every text
    cell that a spreadsheet would run as a formula is escaped."""

    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())
    for row in _rows(course, rows_query, numbers=False):
        yield writer.writerow([escape_cell(str(cell)) for cell in row])


def export_xlsx(*, course: Course, rows_query: Any) -> bytes:
    """The same rows as an XLSX workbook (write-only mode: rows go to disk as they come). Percentages are numbers;
    no text cell is ever written as a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=_("Grades")[:31])
    for row in _rows(course, rows_query, numbers=True):
        cells = []
        for value in row:
            if isinstance(value, str):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"  # openpyxl would store "=..." as a formula
                cells.append(cell)
            else:
                cells.append(WriteOnlyCell(sheet, value=value))
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
