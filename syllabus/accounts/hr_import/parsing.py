"""Reading an uploaded HR file: bytes to text, the delimiter, the header, then one list of cells per row.

The file is hostile until proven otherwise: its size is capped before this module runs (the service checks
HR_IMPORT_MAX_BYTES), the encoding must be UTF-8 (with or without a byte-order mark), the delimiter is one of comma,
semicolon or tab, the header must name known columns, and the number of rows is capped (HR_IMPORT_MAX_ROWS).
Problems with the file as a whole raise `FileProblem`; problems with a header cell are `HeaderProblem`s (reported
on row 1 with the column as written), and rows are checked by `validation`.

Row numbers are those a spreadsheet shows: the header is row 1, the first person row 2 (a record whose quoted cell
spans several lines still counts as one row, as in a spreadsheet).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from syllabus.accounts.models import AttributeDefinition

# Canonical column keys, in the order of the downloadable template.
EMAIL = "email"
NAME = "name"
EMPLOYEE_ID = "employee_id"
ORG_UNIT = "org_unit"
JOB_ROLE = "job_role"
LOCATION = "location"
MANAGER_EMAIL = "manager_email"
HIRE_DATE = "hire_date"
STANDARD_COLUMNS = (EMAIL, NAME, EMPLOYEE_ID, ORG_UNIT, JOB_ROLE, LOCATION, MANAGER_EMAIL, HIRE_DATE)
REQUIRED_COLUMNS = (EMAIL, NAME)
# Other titles HR exports commonly use (compared after normalising: lower case, spaces and hyphens as "_").
ALIASES = {
    "e_mail": EMAIL,
    "email_address": EMAIL,
    "full_name": NAME,
    "display_name": NAME,
    "employee_number": EMPLOYEE_ID,
    "department": ORG_UNIT,
    "org_unit_path": ORG_UNIT,
    "manager": MANAGER_EMAIL,
    "start_date": HIRE_DATE,
}
ATTRIBUTE_PREFIX = "attr:"
DELIMITERS = (",", ";", "\t")

NOT_UTF8 = N_(
    "The file is not UTF-8 text: line {line} has a byte (0x{byte:02X}) that UTF-8 does not allow. "
    "Save it from your spreadsheet as “CSV UTF-8” and upload it again."
)
UTF16 = N_("The file is UTF-16 text. Save it from your spreadsheet as “CSV UTF-8” and upload it again.")
EMPTY_FILE = N_("The file is empty.")
NO_ROWS = N_("The file has a header but no people.")
TOO_MANY_ROWS = N_("The file has more than {max_rows} rows: split it, or ask the operator to raise HR_IMPORT_MAX_ROWS.")
UNREADABLE = N_("The file cannot be read as CSV (line {line}): {reason}.")
MISSING_COLUMN = N_("The header has no “{column}” column; it is required.")
UNKNOWN_COLUMN = N_(
    "Unknown column. Known columns: {columns}; custom attributes as attr:<key> or their key. "
    "Define new attributes under Settings > Custom attributes first."
)
UNKNOWN_ATTRIBUTE_COLUMN = N_(
    "No custom attribute has the key “{key}”: define it under Settings > Custom attributes first."
)
DUPLICATE_COLUMN = N_("This column appears twice in the header.")
EMPTY_HEADER = N_("A header cell is empty: every column needs a name.")


class FileProblem(Exception):
    """The file as a whole cannot be imported (encoding, no rows, too many rows, broken CSV)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class HeaderProblem:
    column: str
    message: str


@dataclass(frozen=True)
class Column:
    """One header cell: where it is, how it was written, and what it holds."""

    index: int
    title: str  # as written in the file: error reports name columns this way
    key: str  # a STANDARD_COLUMNS key, or the attribute key when `attribute` is true
    attribute: bool = False


@dataclass
class Header:
    columns: list[Column]
    problems: list[HeaderProblem] = field(default_factory=list)

    def by_key(self) -> dict[str, Column]:
        return {column.key: column for column in self.columns if not column.attribute}

    def attributes(self) -> list[Column]:
        return [column for column in self.columns if column.attribute]

    @property
    def usable(self) -> bool:
        """Rows can be checked: the required columns are there (unknown columns are reported, not fatal)."""
        keys = self.by_key()
        return all(key in keys for key in REQUIRED_COLUMNS)


def decode(data: bytes) -> str:
    """UTF-8 text without its byte-order mark, or a FileProblem that says how to fix the file."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileProblem(_(UTF16))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FileProblem(_(NOT_UTF8).format(line=line, byte=data[exc.start])) from exc


def sniff_delimiter(first_line: str) -> str:
    """The delimiter of the header line: whichever of comma, semicolon and tab splits it into the most cells.

    csv.Sniffer guesses from character frequencies and picks letters on short samples; the header of an HR file is
    a short, reliable sample of known shape, so counting cells per candidate is both simpler and sturdier.
    """
    best, best_cells = ",", 0
    for delimiter in DELIMITERS:
        cells = len(next(csv.reader([first_line], delimiter=delimiter), []))
        if cells > best_cells:
            best, best_cells = delimiter, cells
    return best


def _normalise_title(title: str) -> str:
    return re.sub(r"[\s\-]+", "_", title.strip().casefold())


def read_header(cells: list[str], definitions: list[AttributeDefinition]) -> Header:
    """Map header cells to columns; report unknown, duplicate and missing columns (all at once)."""
    keys = {definition.key for definition in definitions}
    folded_keys = {definition.key.casefold(): definition.key for definition in definitions}
    columns: list[Column] = []
    problems: list[HeaderProblem] = []
    seen: set[tuple[bool, str]] = set()
    for index, raw in enumerate(cells):
        title = raw.strip()
        normalised = _normalise_title(title)
        normalised = ALIASES.get(normalised, normalised)
        column: Column | None = None
        if not title:
            problems.append(HeaderProblem(f"#{index + 1}", _(EMPTY_HEADER)))
            continue
        if normalised in STANDARD_COLUMNS:
            column = Column(index, title, normalised)
        elif title.casefold().startswith(ATTRIBUTE_PREFIX):
            key = title[len(ATTRIBUTE_PREFIX) :].strip()
            key = key if key in keys else folded_keys.get(key.casefold(), key)
            if key in keys:
                column = Column(index, title, key, attribute=True)
            else:
                problems.append(HeaderProblem(title, _(UNKNOWN_ATTRIBUTE_COLUMN).format(key=key)))
                continue
        elif title in keys or title.casefold() in folded_keys:
            column = Column(index, title, title if title in keys else folded_keys[title.casefold()], attribute=True)
        else:
            problems.append(HeaderProblem(title, _(UNKNOWN_COLUMN).format(columns=", ".join(STANDARD_COLUMNS))))
            continue
        identity = (column.attribute, column.key)
        if identity in seen:
            problems.append(HeaderProblem(title, _(DUPLICATE_COLUMN)))
            continue
        seen.add(identity)
        columns.append(column)
    header = Header(columns, problems)
    present = header.by_key()
    for key in REQUIRED_COLUMNS:
        if key not in present:
            problems.append(HeaderProblem(key, _(MISSING_COLUMN).format(column=key)))
    return header


@dataclass
class ParsedFile:
    """The header, an estimate of the row count (for progress) and an iterator of (row number, cells)."""

    header_cells: list[str]
    delimiter: str
    estimated_rows: int
    rows: Iterator[tuple[int, list[str]]]


def parse(data: bytes, *, max_rows: int) -> ParsedFile:
    """Decode and split the file; rows are produced lazily, so the row cap and CSV errors surface while iterating."""
    text = decode(data)
    if not text.strip():
        raise FileProblem(_(EMPTY_FILE))
    first_line = text.split("\n", 1)[0].rstrip("\r")
    delimiter = sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header_cells = next(reader)
    except csv.Error as exc:
        raise FileProblem(_(UNREADABLE).format(line=reader.line_num, reason=exc)) from exc
    # Lines, not records (a quoted cell may span lines): only used to show progress.
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    estimated_rows = max(1, lines - 1)

    def rows() -> Iterator[tuple[int, list[str]]]:
        row_number = 1
        seen_person = False
        try:
            for cells in reader:
                row_number += 1
                if not any(cell.strip() for cell in cells):
                    continue  # blank lines (often at the end of an export) are not people
                if row_number - 1 > max_rows:
                    raise FileProblem(_(TOO_MANY_ROWS).format(max_rows=max_rows))
                seen_person = True
                yield row_number, cells
        except csv.Error as exc:
            raise FileProblem(_(UNREADABLE).format(line=reader.line_num, reason=exc)) from exc
        if not seen_person:
            raise FileProblem(_(NO_ROWS))

    return ParsedFile(header_cells, delimiter, estimated_rows, rows())
