"""The anatomy of an interchange format (GIFT, Moodle XML, Aiken, QTI), and the one registry of formats.

A format is a plugin folder `formats/<key>/` whose `format.py` subclasses `Format` and calls `register(...)` at
import (`formats.load()` imports them). Importers never write: they turn a file into `ParsedQuestion`s and
`Problem`s, and the import service (services/imports.py) validates each question through its type's `clean`, shows
the dry run, and saves all of them in one transaction — or, when the person chooses, only the valid ones.
Exporters turn question versions into a file.

Every input is hostile: size limits are checked before parsing (`MAX_FILE_BYTES`, `MAX_QUESTIONS`, zip limits in
`archives.py`), XML goes through `xmlsafe.parse` (no DTD, no entities, no network), and a problem names its line
(or the file inside a package, and the item) so the author can fix the file.
"""

from __future__ import annotations

from abc import ABC
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.utils.functional import Promise

UNKNOWN_FORMAT = "Unknown question format: {key}."
NOT_IMPORTABLE = "Syllabus cannot import this format."
NOT_EXPORTABLE = "Syllabus cannot export to this format."
TOO_LARGE = "The file is too large: at most {limit} MB."
TOO_MANY = "The file holds more than {limit} questions: split it."
EMPTY = "The file holds no questions."
NOT_TEXT = "The file is not UTF-8 text."

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_QUESTIONS = 5000


@dataclass
class ParsedQuestion:
    """One question read from a file, in Syllabus's own shape (question_types/README.md), not yet validated."""

    qtype: str
    name: str
    text: str  # HTML (plain text from GIFT/Aiken is escaped into <p>...</p> by the importer)
    data: dict[str, Any]
    general_feedback: str = ""
    default_mark: Decimal = Decimal(1)
    # Category path below the category chosen for the import ("Fire safety/Extinguishers"), from the file.
    category: str = ""
    tags: list[str] = field(default_factory=list)
    difficulty: int | None = None
    idnumber: str = ""
    # Where it is in the file, for messages: "line 12" or "items/q3.xml".
    where: str = ""
    line: int | None = None


@dataclass(frozen=True)
class Problem:
    """Something wrong in the file: a question that cannot be read, or a whole file refused (`line` None)."""

    message: str
    line: int | None = None
    where: str = ""  # a file inside a package, an item identifier
    question: str = ""  # the question's name when known


@dataclass
class ParseResult:
    questions: list[ParsedQuestion] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Whole-file facts for the preview ("QTI 2.2 package, 12 items").
    summary: str = ""


@dataclass(frozen=True)
class ExportedQuestion:
    """A question version as an exporter receives it."""

    qtype: str
    name: str
    text: str
    general_feedback: str
    default_mark: Decimal
    data: Mapping[str, Any]
    category: str = ""  # path from the bank's top ("Fire safety/Extinguishers")
    tags: tuple[str, ...] = ()
    difficulty: int | None = None
    idnumber: str = ""


class Format(ABC):
    key: ClassVar[str]
    label: ClassVar[str | Promise]
    # File name extensions offered in the upload dialog (".txt", ".xml", ".zip").
    extensions: ClassVar[tuple[str, ...]] = ()
    can_import: ClassVar[bool] = True
    can_export: ClassVar[bool] = False
    export_extension: ClassVar[str] = ""
    export_content_type: ClassVar[str] = "application/octet-stream"

    def parse(self, content: bytes, *, filename: str = "") -> ParseResult:
        """Read a file. Never raises for bad content: everything wrong becomes a `Problem`."""
        raise ValidationError(NOT_IMPORTABLE)

    def export(self, questions: Iterable[ExportedQuestion]) -> bytes:
        """Write the questions; a type the format cannot carry is skipped and named by `unsupported`."""
        raise ValidationError(NOT_EXPORTABLE)

    def unsupported(self, qtype: str) -> bool:
        """True when this format's exporter cannot carry a question type (the export page names those)."""
        return False


def decode_text(content: bytes) -> str:
    """UTF-8 (with or without a BOM) text, or ValidationError(NOT_TEXT); line endings normalised to \\n."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(NOT_TEXT) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


_FORMATS: dict[str, Format] = {}


def register(fmt: Format) -> None:
    _FORMATS[fmt.key] = fmt


def get(key: str) -> Format:
    try:
        return _FORMATS[key]
    except KeyError:
        raise ValidationError({"format": UNKNOWN_FORMAT.format(key=key)}) from None


def all_formats() -> list[Format]:
    return list(_FORMATS.values())
