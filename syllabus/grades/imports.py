"""Import of offline grades (CSV or XLSX), with a dry run.

The file:
- CSV (UTF-8, with or without a byte-order mark; comma or semicolon separated) or XLSX (the first sheet), at most
  5 MB, 20,000 rows and 600 columns. The first row holds the headings.
- One column identifies the person: headed "Email" (also "Username": people sign in with their email) or
  "Employee ID" (the organisation's HR id). It is the first such column.
- A column per grade item, headed by the item's name (as the gradebook shows it, any case) or `#<item id>`.
  Other columns an export has ("Name", "Org unit", "Course total") are skipped, so an exported file can be
  edited and imported back.
- A value is a percentage ("85", "85.5", "85%") or points out of a maximum ("17/20" = 85 %); blank = no change,
  and so is a cell that still says what the export wrote for the person's grade now ("17 / 20", "B", "85.5") or
  a value equal to it: an exported file imported back unchanged changes nothing (and overrides nothing).
  Cells are only ever read as text or numbers: "=SUM(A1)" is not a grade (never evaluated).
- Manual items get the grade entered; activity items get it as an override, with the reason
  "Imported from <file name>" or the one the person types.

The dry run lists every change and every error with its line and column; applying is all or nothing.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from syllabus.access.policy import NOT_ALLOWED, principal_for
from syllabus.accounts.models import Membership, User
from syllabus.catalog.models import Course
from syllabus.enrollment.models import Enrollment
from syllabus.grades import policy
from syllabus.grades.exports import grade_texts
from syllabus.grades.models import ChangeSource, Grade, GradeItem, ItemSource

AUDIT_ACTIONS = (("grades.imported", "Grades imported from a file"),)

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MAX_COLUMNS = 600
MAX_ERRORS = 500
# An XLSX file is a ZIP archive: what openpyxl would unpack is checked first (a "zip bomb" of a few MB can hold
# gigabytes of sheet XML or shared strings, which openpyxl reads into memory).
MAX_XLSX_UNPACKED = 100 * 1024 * 1024
MAX_XLSX_MEMBERS = 1_000
MAX_XLSX_RATIO = 200

PERSON_HEADINGS = {"email": "email", "username": "email", "e-mail": "email", "employee id": "employee_id"}
SKIPPED_HEADINGS = {"name", "org unit", "course total", "total", "email", "username", "e-mail", "employee id"}

FILE_TOO_BIG = "The file is larger than 5 MB: split it."
FILE_TYPE = "Upload a .csv or .xlsx file."
FILE_NOT_UTF8 = "The file is not UTF-8 text: save it as “CSV UTF-8”."
FILE_UNREADABLE = "The file cannot be read as a spreadsheet."
FILE_XLSX_TOO_BIG = "The spreadsheet unpacks to too much data: save only the grades sheet, or use CSV."
FILE_NUL = "The file contains NUL bytes, so it is not a text CSV file: save it as “CSV UTF-8”."
FILE_EMPTY = "The file is empty: the first row holds the headings."
TOO_MANY_ROWS = "The file has more than 20,000 rows: split it."
TOO_MANY_COLUMNS = "The file has more than 600 columns."
NO_PERSON_COLUMN = "No column identifies the people: head one “Email” (or “Username”) or “Employee ID”."
NO_ITEM_COLUMN = "No column is headed by a grade item's name or #id."
UNKNOWN_ITEM = "No grade item of this course is called {heading!r} (use its name or #id)."
ITEM_TWICE = "This item has a column already ({other!r})."
RETIRED_ITEM = "This item's activity is no longer in the course: its grades cannot change."
UNKNOWN_PERSON = "Nobody in the organisation has {kind} {value!r}."
NOT_ENROLLED = "{value} is not enrolled in the course."
PERSON_MISSING = "Say who this row is about."
PERSON_TWICE = "{value} is on line {line} already."
VALUE_INVALID = "{value!r} is not a percentage (85 or 85%) or points (17/20)."
VALUE_ABOVE = "{value} is above 100."
VALUE_NEGATIVE = "{value} is below 0."
POINTS_ZERO = "{value!r}: the maximum after the slash must be above 0."
TOO_MANY_ERRORS = "More than 500 errors: fix these and try again."
REASON_TOO_LONG = "Use at most 2000 characters."
DEFAULT_REASON = "Imported from {name}"

_NUMBER = re.compile(r"^\d+(?:[.,]\d+)?$")
_POINTS = re.compile(r"^(\d+(?:[.,]\d+)?)\s*/\s*(\d+(?:[.,]\d+)?)$")
_ITEM_ID = re.compile(r"^#(\d{1,12})$")


@dataclass(frozen=True)
class ImportChange:
    line: int
    user_id: int
    person: str  # what the file said (email or employee id)
    item_id: int
    item_name: str
    old: Decimal | None
    new: Decimal
    action: str  # "enter" (manual item) or "override" (activity item)


@dataclass(frozen=True)
class ImportProblem:
    line: int  # 0: the file as a whole
    column: str  # the column's heading ("" for the whole line or file)
    message: str

    def __str__(self) -> str:
        if not self.line:
            return self.message
        where = f"line {self.line}" + (f", column '{self.column}'" if self.column else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class ImportPreview:
    file_name: str
    rows: list[ImportChange] = field(default_factory=list)
    errors: list[ImportProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def people(self) -> int:
        return len({change.user_id for change in self.rows})


@dataclass(frozen=True)
class ImportResult:
    changed: int
    preview: ImportPreview


class _Refused(Exception):
    """The file as a whole cannot be read."""


# --- reading the file -------------------------------------------------------------------------------------------


def _file_name(upload: Any) -> str:
    # Shown on the page and kept in the override reason: no folders, no control or bidi-format characters.
    name = str(getattr(upload, "name", "") or "grades").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in name if ch.isprintable())[:200].strip() or "grades"


def _read_bytes(upload: Any) -> bytes:
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise _Refused(FILE_TOO_BIG)
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _Refused(FILE_TOO_BIG)
    return bytes(data)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        # A spreadsheet's 85.5 is a float: read its shortest exact text, not 85.5000000001.
        return repr(value).removesuffix(".0") if value.is_integer() else repr(value)
    return str(value).strip()


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _Refused(FILE_NOT_UTF8) from None
    if "\x00" in text:
        # A binary file named .csv; PostgreSQL refuses NUL in text, so no cell may carry one either.
        raise _Refused(FILE_NUL)
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
        yield [cell.strip() for cell in row]


def _check_zip(data: bytes) -> None:
    """Refuse an XLSX whose members would unpack to too much (sizes as the archive declares them; zipfile refuses to
    read past a member's declared size, so openpyxl cannot unpack more than this)."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise _Refused(FILE_UNREADABLE) from None
    if len(members) > MAX_XLSX_MEMBERS:
        raise _Refused(FILE_XLSX_TOO_BIG)
    total = 0
    for member in members:
        total += member.file_size
        if total > MAX_XLSX_UNPACKED:
            raise _Refused(FILE_XLSX_TOO_BIG)
        if member.file_size > 1024 * 1024 and member.file_size > MAX_XLSX_RATIO * max(member.compress_size, 1):
            raise _Refused(FILE_XLSX_TOO_BIG)


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    _check_zip(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors for a broken or hostile file
        raise _Refused(FILE_UNREADABLE) from None
    try:
        sheet = book.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            if len(row) > MAX_COLUMNS:
                # Trailing empty cells of a formatted sheet do not count.
                row = tuple(row[: max((i + 1 for i, v in enumerate(row) if v not in (None, "")), default=0)])
                if len(row) > MAX_COLUMNS:
                    raise _Refused(TOO_MANY_COLUMNS)
            yield [_cell_text(v).replace("\x00", "") for v in row]
    finally:
        book.close()


def _table(upload: Any) -> list[list[str]]:
    name = _file_name(upload).lower()
    data = _read_bytes(upload)
    if name.endswith(".csv"):
        reader = _csv_rows(data)
    elif name.endswith(".xlsx"):
        reader = _xlsx_rows(data)
    else:
        raise _Refused(FILE_TYPE)
    rows: list[list[str]] = []
    try:
        for row in reader:
            if len(row) > MAX_COLUMNS:
                raise _Refused(TOO_MANY_COLUMNS)
            rows.append(row)
            if len(rows) > MAX_ROWS + 1:
                raise _Refused(TOO_MANY_ROWS)
    except csv.Error:
        raise _Refused(FILE_UNREADABLE) from None
    if not rows or not any(rows[0]):
        raise _Refused(FILE_EMPTY)
    return rows


# --- values -----------------------------------------------------------------------------------------------------


def _decimal(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


def parse_value(text: str) -> Decimal | None:
    """A cell as a percentage (2 places), None when blank; ValueError with the message otherwise."""
    raw = text.strip()
    if not raw:
        return None
    points = _POINTS.match(raw)
    try:
        if points:
            got, out_of = _decimal(points.group(1)), _decimal(points.group(2))
            if out_of <= 0:
                raise ValueError(POINTS_ZERO.format(value=raw))
            value = got / out_of * 100
        else:
            number = raw.removesuffix("%").strip()
            negative = number.startswith("-") and _NUMBER.match(number[1:])
            if negative:
                raise ValueError(VALUE_NEGATIVE.format(value=raw))
            if not _NUMBER.match(number):
                raise ValueError(VALUE_INVALID.format(value=raw[:40]))
            value = _decimal(number)
    except InvalidOperation:
        raise ValueError(VALUE_INVALID.format(value=raw[:40])) from None
    if value > 100:
        raise ValueError(VALUE_ABOVE.format(value=raw))
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --- the plan ---------------------------------------------------------------------------------------------------


@dataclass
class _Plan:
    preview: ImportPreview
    items: dict[int, GradeItem]


def _plan(course: Course, upload: Any) -> _Plan:
    name = _file_name(upload)
    errors: list[ImportProblem] = []
    changes: list[ImportChange] = []
    try:
        table = _table(upload)
    except _Refused as refused:
        return _Plan(ImportPreview(name, [], [ImportProblem(0, "", str(refused))]), {})
    headings = table[0]
    items = list(GradeItem.objects.filter(course=course).order_by("position", "pk"))
    by_id: dict[int, GradeItem] = {each.pk: each for each in items}
    by_name: dict[str, GradeItem] = {}
    for each in items:
        by_name.setdefault(each.name.strip().casefold(), each)  # two items of one name: the first (use #id)
    person_column: tuple[int, str] | None = None
    columns: dict[int, GradeItem] = {}
    seen_items: dict[int, str] = {}
    for index, heading in enumerate(headings):
        key = heading.strip().casefold()
        if person_column is None and key in PERSON_HEADINGS:
            person_column = (index, PERSON_HEADINGS[key])
            continue
        if not key or key in SKIPPED_HEADINGS:
            continue
        match = _ITEM_ID.match(heading.strip())
        item = by_id.get(int(match.group(1))) if match else by_name.get(key)
        if item is None:
            errors.append(ImportProblem(1, heading, UNKNOWN_ITEM.format(heading=heading[:100])))
        elif item.pk in seen_items:
            errors.append(ImportProblem(1, heading, ITEM_TWICE.format(other=seen_items[item.pk])))
        elif item.retired:
            errors.append(ImportProblem(1, heading, RETIRED_ITEM))
        else:
            seen_items[item.pk] = heading
            columns[index] = item
    if person_column is None:
        errors.append(ImportProblem(1, "", NO_PERSON_COLUMN))
    elif not columns and not errors:
        errors.append(ImportProblem(1, "", NO_ITEM_COLUMN))
    if person_column is None or not columns:
        return _Plan(ImportPreview(name, [], errors), {})
    person_index, person_kind = person_column
    person_heading = headings[person_index]
    body = [(line, row) for line, row in enumerate(table[1:], start=2) if any(cell.strip() for cell in row)]
    # Who the rows are about: two queries for the whole file.
    wanted = {row[person_index].strip() for _line, row in body if person_index < len(row) and row[person_index]}
    memberships = Membership.objects.filter(organization_id=course.organization_id)
    if person_kind == "email":
        found = {
            email.casefold(): user_id
            for email, user_id in memberships.filter(user__email__in=_email_variants(wanted)).values_list(
                "user__email", "user_id"
            )
        }
    else:
        found = dict(memberships.filter(employee_id__in=wanted).values_list("employee_id", "user_id"))
    enrolled = set(
        Enrollment.objects.filter(course=course, membership__user_id__in=set(found.values())).values_list(
            "membership__user_id", flat=True
        )
    )
    current: dict[tuple[int, int], tuple[Decimal | None, Decimal | None]] = {
        (item_id, user_id): (raw, final)
        for item_id, user_id, raw, final in Grade.objects.filter(
            item_id__in=[i.pk for i in columns.values()], user_id__in=enrolled
        ).values_list("item_id", "user_id", "raw", "final")
    }
    exported = grade_texts(course)
    lines_of: dict[int, int] = {}
    for line, row in body:
        if len(errors) >= MAX_ERRORS:
            errors.append(ImportProblem(0, "", TOO_MANY_ERRORS))
            break
        who = row[person_index].strip() if person_index < len(row) else ""
        if not who:
            errors.append(ImportProblem(line, person_heading, PERSON_MISSING))
            continue
        user_id = found.get(who.casefold() if person_kind == "email" else who)
        if user_id is None:
            kind = "the email" if person_kind == "email" else "the employee id"
            errors.append(ImportProblem(line, person_heading, UNKNOWN_PERSON.format(kind=kind, value=who[:100])))
            continue
        if user_id not in enrolled:
            errors.append(ImportProblem(line, person_heading, NOT_ENROLLED.format(value=who[:100])))
            continue
        if user_id in lines_of:
            errors.append(ImportProblem(line, person_heading, PERSON_TWICE.format(value=who, line=lines_of[user_id])))
            continue
        lines_of[user_id] = line
        for index, item in columns.items():
            text = row[index] if index < len(row) else ""
            raw, final = current.get((item.pk, user_id), (None, None))
            if final is not None and text.strip() == exported(final, item.max_points):
                continue  # as the export wrote the grade it has (also a letter or "17 / 20"): unchanged
            try:
                value = parse_value(text)
            except ValueError as problem:
                errors.append(ImportProblem(line, headings[index], str(problem)))
                continue
            if value is None:
                continue
            manual = item.source == ItemSource.MANUAL
            # An activity's grade is overridden only when the file says something else than the gradebook shows.
            old = raw if manual else final
            if old == value:
                continue
            changes.append(
                ImportChange(
                    line=line,
                    user_id=user_id,
                    person=who,
                    item_id=item.pk,
                    item_name=item.name,
                    old=old,
                    new=value,
                    action="enter" if manual else "override",
                )
            )
    return _Plan(ImportPreview(name, changes, errors), {item.pk: item for item in columns.values()})


def _email_variants(values: set[str]) -> set[str]:
    # Emails are stored as typed at sign-up; match the file's case-insensitively without a query per person.
    return {v for value in values for v in (value, value.lower())}


def import_preview(*, course: Course, upload: Any) -> ImportPreview:
    """Read the file and list every change and every error (nothing is written). See the module docstring."""
    return _plan(course, upload).preview


def import_apply(*, by: User, course: Course, upload: Any, reason: str = "") -> ImportResult:
    """Apply every change of the file or none: a file with any error raises ValidationError listing them all
    ("line 4, column 'Essay 2': 120 is above 100"). One audit summary."""
    from syllabus.audit.services import audit_record_bulk
    from syllabus.grades.services.grading import course_grades_refresh, entry_apply, override_apply

    if not policy.can_grade(principal_for(by, course.organization), course):
        raise PermissionDenied(NOT_ALLOWED)
    reason = str(reason or "").strip()
    if len(reason) > 2000:
        raise ValidationError({"reason": REASON_TOO_LONG})
    plan = _plan(course, upload)
    preview = plan.preview
    if preview.errors:
        raise ValidationError([str(problem) for problem in preview.errors])
    reason = reason or DEFAULT_REASON.format(name=preview.file_name)
    with transaction.atomic():
        for change in preview.rows:
            item = plan.items[change.item_id]
            if change.action == "enter":
                entry_apply(
                    item=item,
                    user_id=change.user_id,
                    percent=change.new,
                    feedback=None,
                    by=by,
                    source=ChangeSource.IMPORT,
                    refresh=False,
                )
            else:
                override_apply(
                    item=item,
                    user_id=change.user_id,
                    percent=change.new,
                    reason=reason,
                    by=by,
                    source=ChangeSource.IMPORT,
                    refresh=False,
                )
        people = sorted({change.user_id for change in preview.rows})
        if people:
            course_grades_refresh(course=course, user_ids=people)
            audit_record_bulk(
                organization=course.organization,
                action="grades.imported",
                actor=by,
                target_type="grades.Grade",
                ids=[f"{c.item_id}:{c.user_id}" for c in preview.rows],
                details={"course": course.pk, "people": len(people), "items": len(plan.items)},
            )
    return ImportResult(changed=len(preview.rows), preview=preview)
