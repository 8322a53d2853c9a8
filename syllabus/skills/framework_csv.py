"""The framework as a CSV file: reading an uploaded one (hostile until proven otherwise) and writing the export.

The format (README.md, "The CSV format"): a header row naming the columns `code`, `name` (required), `parent_code`,
`description`, `scale`, then one skill per row. Reading checks the file as a whole here — size, encoding,
delimiter, header, row count, cell sizes and characters — and `imports.plan` checks the rows against each other
and the framework. Every problem names its line ("line 7, parent_code: …"); line 1 is the header, blank lines
count, and a record whose quoted cell spans several lines is numbered by its first line.

Writing escapes formula-like cells (CSV injection: a cell starting with =, +, -, @, tab or carriage return is a
formula to spreadsheet programs) with a leading apostrophe, and reading removes that apostrophe again, so an export
imports back unchanged.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

if TYPE_CHECKING:
    import _csv

CODE = "code"
NAME = "name"
PARENT_CODE = "parent_code"
DESCRIPTION = "description"
SCALE = "scale"
COLUMNS = (CODE, NAME, PARENT_CODE, DESCRIPTION, SCALE)
REQUIRED_COLUMNS = (CODE, NAME)
# Other titles people give these columns (compared after normalising: lower case, spaces and hyphens as "_").
ALIASES = {"parent": PARENT_CODE, "parent_skill": PARENT_CODE, "proficiency_scale": SCALE, "skill_code": CODE}
DELIMITERS = (",", ";", "\t")

# Bounds of one upload: a large professional framework (SFIA, a hospital's clinical skills) has a few hundred to a
# few thousand skills; these leave room while keeping a hostile file from costing memory or time.
MAX_BYTES = 1_000_000
MAX_ROWS = 5_000
MAX_CELL_CHARS = 5_000

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

TOO_BIG = N_("The file is larger than {limit} KB: split it into several files.")
UTF16 = N_("The file is UTF-16 text. Save it from your spreadsheet as “CSV UTF-8” and upload it again.")
NOT_UTF8 = N_(
    "The file is not UTF-8 text: line {line} has a byte (0x{byte:02X}) that UTF-8 does not allow. "
    "Save it from your spreadsheet as “CSV UTF-8” and upload it again."
)
EMPTY_FILE = N_("The file is empty.")
NO_ROWS = N_("The file has a header but no skills.")
TOO_MANY_ROWS = N_("The file has more than {limit} skills: split it into several files.")
UNREADABLE = N_("The file cannot be read as CSV: {reason}.")
NUL_BYTE = N_("The file contains a NUL character: it is not a text file.")
UNKNOWN_COLUMN = N_("Unknown column. The columns are: {columns}.")
DUPLICATE_COLUMN = N_("This column appears twice in the header.")
EMPTY_HEADER = N_("A header cell is empty: every column needs a name.")
MISSING_COLUMN = N_("The header has no “{column}” column; it is required.")
WRONG_CELL_COUNT = N_("The row has {found} cells but the header has {expected}: a cell is missing or a comma too many.")
CELL_TOO_LONG = N_("Longer than {limit} characters.")
CONTROL_CHARACTERS = N_("Contains control characters.")


@dataclass(frozen=True)
class Problem:
    """What is wrong, where: `line` 0 is the file as a whole; `field` is a column key, or "" for the whole row."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        if self.line and self.field:
            return _("line %(line)s, %(field)s: %(message)s") % {
                "line": self.line,
                "field": self.field,
                "message": self.message,
            }
        if self.line:
            return _("line %(line)s: %(message)s") % {"line": self.line, "message": self.message}
        return self.message


@dataclass(frozen=True)
class Row:
    line: int
    cells: dict[str, str]  # column key -> text, trimmed, formula escape removed


@dataclass
class ParsedFile:
    columns: tuple[str, ...] = ()  # the keys of the header's columns, in the file's order
    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # The file as a whole cannot be read (size, encoding, header): its rows are not checked further.
    fatal: bool = False


class FileProblem(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _formula_like(text: str) -> bool:
    # Apostrophes already in front count too, so that escaping stays reversible ("'=x" is written "''=x").
    return text.lstrip("'").startswith(FORMULA_STARTS)


def escape_cell(text: str) -> str:
    """The cell as written to a CSV: formula-like text gets a leading apostrophe (spreadsheets show it as text)."""
    return f"'{text}" if _formula_like(text) else text


def unescape_cell(text: str) -> str:
    """The inverse of `escape_cell`: "'=SUM(A1)" reads back as "=SUM(A1)"."""
    if text.startswith("'") and _formula_like(text):
        return text[1:]
    return text


def decode(data: bytes) -> str:
    """UTF-8 text without its byte-order mark, or a FileProblem that says how to fix the file."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileProblem(_(UTF16))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FileProblem(_(NOT_UTF8).format(line=line, byte=data[exc.start])) from exc
    if "\x00" in text:
        raise FileProblem(_(NUL_BYTE))
    return text


def sniff_delimiter(first_line: str) -> str:
    """Comma, semicolon or tab: whichever splits the header line into the most cells (spreadsheets in some
    locales save "CSV" with semicolons)."""
    best, best_cells = ",", 0
    for delimiter in DELIMITERS:
        cells = len(next(csv.reader([first_line], delimiter=delimiter), []))
        if cells > best_cells:
            best, best_cells = delimiter, cells
    return best


def _normalise_title(title: str) -> str:
    key = re.sub(r"[\s\-]+", "_", title.strip().casefold())
    return ALIASES.get(key, key)


def read_header(cells: list[str]) -> tuple[tuple[str, ...], list[Problem]]:
    """The column keys of the header row, and what is wrong with it (every problem at once, on line 1)."""
    keys: list[str] = []
    problems: list[Problem] = []
    # Spreadsheets often save trailing empty columns; an empty cell *between* columns is a mistake.
    while cells and not cells[-1].strip():
        cells = cells[:-1]
    for index, raw in enumerate(cells):
        title = raw.strip()
        key = _normalise_title(title)
        if not title:
            problems.append(Problem(1, f"#{index + 1}", _(EMPTY_HEADER)))
            keys.append("")
            continue
        if key not in COLUMNS:
            problems.append(Problem(1, title, _(UNKNOWN_COLUMN).format(columns=", ".join(COLUMNS))))
        elif key in keys:
            problems.append(Problem(1, title, _(DUPLICATE_COLUMN)))
        keys.append(key)
    for key in REQUIRED_COLUMNS:
        if key not in keys:
            problems.append(Problem(1, key, _(MISSING_COLUMN).format(column=key)))
    return tuple(keys), problems


def _has_control_characters(text: str, *, multiline: bool) -> bool:
    allowed = {"\n", "\t"} if multiline else set()
    return any(unicodedata.category(char) == "Cc" and char not in allowed for char in text)


def _clean_cell(key: str, raw: str) -> str:
    text = unescape_cell(raw.strip())
    if key == DESCRIPTION:
        return text.replace("\r\n", "\n").replace("\r", "\n").strip()
    return text.strip()


def read(data: bytes, *, max_bytes: int | None = None, max_rows: int | None = None) -> ParsedFile:
    """Split an uploaded file into rows of cells by column key; whole-file problems stop at the first.

    The limits default to MAX_BYTES and MAX_ROWS (read at call time, so tests and operators can change them).
    """
    max_bytes = max_bytes or MAX_BYTES
    max_rows = max_rows or MAX_ROWS
    parsed = ParsedFile()
    try:
        if len(data) > max_bytes:
            raise FileProblem(_(TOO_BIG).format(limit=max_bytes // 1000))
        text = decode(data)
        if not text.strip():
            raise FileProblem(_(EMPTY_FILE))
        delimiter = sniff_delimiter(text.split("\n", 1)[0].rstrip("\r"))
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        _read_rows(parsed, reader, max_rows)
    except FileProblem as problem:
        parsed.problems.append(Problem(0, "", problem.message))
        parsed.fatal = True
    except csv.Error as exc:
        parsed.problems.append(Problem(0, "", _(UNREADABLE).format(reason=exc)))
        parsed.fatal = True
    return parsed


def _read_rows(parsed: ParsedFile, reader: _csv.Reader, max_rows: int) -> None:
    header: list[str] | None = None
    previous_end = 0
    for cells in reader:
        line, previous_end = previous_end + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue  # blank lines (often at the end of an export) are not skills
        if header is None:
            header = cells
            parsed.columns, parsed.problems = read_header(cells)
            if parsed.problems:
                parsed.fatal = True  # rows cannot be read without knowing their columns
                return
            continue
        if len(parsed.rows) >= max_rows:
            raise FileProblem(_(TOO_MANY_ROWS).format(limit=max_rows))
        _read_row(parsed, line, cells)
    if header is None:
        raise FileProblem(_(EMPTY_FILE))
    if not parsed.rows and not parsed.problems:
        raise FileProblem(_(NO_ROWS))


def _read_row(parsed: ParsedFile, line: int, cells: list[str]) -> None:
    columns = parsed.columns
    # Trailing empty cells (a spreadsheet's empty columns) are not a mismatch; anything else is.
    while len(cells) > len(columns) and not cells[-1].strip():
        cells = cells[:-1]
    if len(cells) != len(columns):
        message = _(WRONG_CELL_COUNT).format(found=len(cells), expected=len(columns))
        parsed.problems.append(Problem(line, "", message))
        return
    row: dict[str, str] = {}
    ok = True
    for key, raw in zip(columns, cells, strict=True):
        if len(raw) > MAX_CELL_CHARS:
            parsed.problems.append(Problem(line, key, _(CELL_TOO_LONG).format(limit=MAX_CELL_CHARS)))
            ok = False
            continue
        value = _clean_cell(key, raw)
        if _has_control_characters(value, multiline=key == DESCRIPTION):
            parsed.problems.append(Problem(line, key, _(CONTROL_CHARACTERS)))
            ok = False
            continue
        row[key] = value
    if ok:
        parsed.rows.append(Row(line, row))


# --- writing -----------------------------------------------------------------------------------------------


def write(rows: Iterable[Sequence[str]]) -> str:
    """The whole file: the header, then one escaped line per row (code, name, parent_code, description, scale)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([escape_cell(cell) for cell in row])
    return out.getvalue()
