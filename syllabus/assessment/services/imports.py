"""Importing questions into a bank: the dry run (`import_preview`) and the import itself (`import_apply`).

The format's parser turns the file into `ParsedQuestion`s and `Problem`s (formats/base.py); every question is then
validated exactly as the author form and the API validate one (`services.questions.validate`), so the dry run shows
every problem of every question — its name, type, line, and each message under the field it is about — before
anything is saved. `import_apply` parses the file again (nothing of the preview is trusted) and saves in ONE
transaction: everything, or — when the person chooses — only the valid questions; with errors and no such choice,
nothing is saved. Category paths of the file are created below the category chosen for the import; a question
whose `idnumber` is already in the bank gets a new version instead of a duplicate. One audit record per import.

Between the dry run and the import, the uploaded file waits on the server (`upload_stash` / `upload_load`: the
cache, under a random key, bound to the person and the bank, for an hour), so the browser never sends back
content it could have changed.
"""

from __future__ import annotations

import logging
import re
import secrets
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from syllabus.access.policy import NOT_ALLOWED, principal_for
from syllabus.accounts.models import User
from syllabus.assessment import policy
from syllabus.assessment.formats import base as formats
from syllabus.assessment.models import Difficulty, Question, QuestionAnswer, QuestionBank, QuestionCategory
from syllabus.assessment.question_types import base as qtypes
from syllabus.assessment.services import questions
from syllabus.audit.services import audit_record

log = logging.getLogger(__name__)

AUDIT_ACTION = "assessment.questions_imported"
AUDIT_LABEL = "Questions imported into a bank"

FILE_REQUIRED = "Choose a file to import."
FORMAT_CANNOT_IMPORT = "Syllabus cannot import questions from {format}."
CATEGORY_REQUIRED = "Choose the category to import into."
UNREADABLE = "The file could not be read as {format}."
HAS_ERRORS = "The file has {count} problem(s): nothing was imported. Fix the file, or import only the valid questions."
NOTHING_VALID = "No question of the file can be imported."
IDNUMBER_TWICE = "This ID number is already used by the question on {where}."
UPLOAD_EXPIRED = "The uploaded file is no longer available: upload it again."
PATH_TOO_DEEP = "This category path nests more than {limit} levels deep."

UPLOAD_TTL_SECONDS = 60 * 60
_CACHE_PREFIX = "assessment:import:"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")  # what token_urlsafe makes; anything else is not looked up


# --- the plan ------------------------------------------------------------------------------------------------------


@dataclass
class PlanRow:
    """One question of the file as the dry run judged it."""

    index: int  # 1-based, in file order
    name: str
    qtype: str
    qtype_label: str
    where: str  # "line 12", "items/q3.xml"
    line: int | None
    category: str  # the path below the chosen category, "" for the category itself
    idnumber: str
    # {field: [messages]}: empty when the question can be imported.
    errors: dict[str, list[str]] = field(default_factory=dict)
    # "create", or "update" when a question with the same idnumber is in the bank (a new version of it).
    action: str = "create"
    existing_id: int | None = None
    clean: dict[str, Any] | None = None
    # Whether the file gave a difficulty: a re-import keeps the question's own difficulty otherwise.
    difficulty_given: bool = False

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def messages(self) -> list[tuple[str, str]]:
        """(field, message) pairs, for tables."""
        return [(name, message) for name, messages in self.errors.items() for message in messages]


@dataclass
class ImportPlan:
    bank: QuestionBank
    category: QuestionCategory
    format_key: str
    format_label: str
    filename: str
    summary: str = ""
    # Problems of the file itself, or of questions that could not be read at all.
    problems: list[formats.Problem] = field(default_factory=list)
    rows: list[PlanRow] = field(default_factory=list)

    @property
    def valid_rows(self) -> list[PlanRow]:
        return [row for row in self.rows if row.valid]

    @property
    def valid_count(self) -> int:
        return len(self.valid_rows)

    @property
    def invalid_count(self) -> int:
        return len(self.rows) - self.valid_count

    @property
    def error_count(self) -> int:
        """Questions with errors plus problems of the file: what stands between the file and "Import all"."""
        return self.invalid_count + len(self.problems)

    @property
    def can_import_all(self) -> bool:
        return bool(self.rows) and self.error_count == 0

    @property
    def can_import_valid(self) -> bool:
        return self.valid_count > 0


@dataclass(frozen=True)
class ImportResult:
    plan: ImportPlan
    created_ids: tuple[int, ...]
    updated_ids: tuple[int, ...]
    skipped: int


class ImportRejected(ValidationError):
    """The file has problems and the person did not choose to import only the valid questions: nothing saved."""

    def __init__(self, plan: ImportPlan, message: str) -> None:
        super().__init__({"file": [message]})
        self.plan = plan


# --- helpers -------------------------------------------------------------------------------------------------------


def _require_manage(bank: QuestionBank, by: User) -> None:
    if not policy.can_manage_bank(principal_for(by, bank.organization), bank):
        raise PermissionDenied(NOT_ALLOWED)


def importable_formats() -> list[formats.Format]:
    return [fmt for fmt in formats.all_formats() if fmt.can_import]


def _format(fmt: formats.Format | str) -> formats.Format:
    found = formats.get(fmt) if isinstance(fmt, str) else fmt
    if not found.can_import:
        raise ValidationError({"format": FORMAT_CANNOT_IMPORT.format(format=found.label)})
    return found


def _where(parsed: formats.ParsedQuestion) -> str:
    if parsed.where:
        return parsed.where
    return f"line {parsed.line}" if parsed.line else ""


def _fields_of(parsed: formats.ParsedQuestion) -> questions.QuestionFields:
    """The question as the question service takes it. The parser's values are not trusted to have the declared
    types: anything odd becomes a validation error of its field, never a crash."""
    tags = parsed.tags if isinstance(parsed.tags, list | tuple) else []
    difficulty = parsed.difficulty if parsed.difficulty is not None else Difficulty.MEDIUM
    return questions.QuestionFields(
        qtype=str(parsed.qtype or ""),
        name=str(parsed.name or ""),
        text=str(parsed.text or ""),
        general_feedback=str(parsed.general_feedback or ""),
        default_mark=parsed.default_mark if parsed.default_mark is not None else Decimal(1),
        data=parsed.data if isinstance(parsed.data, dict) else {},
        difficulty=difficulty,
        tags=[str(tag) for tag in tags],
        idnumber=str(parsed.idnumber or ""),
    )


def _category_parts(path: str) -> list[str]:
    return [part.strip() for part in str(path or "").split("/") if part.strip()]


def _depth(category: QuestionCategory) -> int:
    depth = 0
    walk: QuestionCategory | None = category
    while walk is not None:
        depth += 1
        walk = walk.parent
    return depth


def _parse(fmt: formats.Format, content: bytes, filename: str) -> formats.ParseResult:
    """The format's reading of the file. Parsers never raise for bad content; should one fail anyway, the file is
    refused with a message rather than an error page."""
    try:
        return fmt.parse(content, filename=filename)
    except ValidationError as exc:
        return formats.ParseResult(problems=[formats.Problem(message) for message in exc.messages])
    except Exception:  # a parser bug must not take the page down; it is logged to be fixed
        log.exception("The %s parser failed on %s", fmt.key, filename)
        return formats.ParseResult(problems=[formats.Problem(UNREADABLE.format(format=fmt.label))])


def _plan(
    *, bank: QuestionBank, category: QuestionCategory, fmt: formats.Format, content: bytes, filename: str
) -> ImportPlan:
    if category.bank_id != bank.pk:
        raise ValidationError({"category": questions.CATEGORY_NOT_IN_BANK})
    if len(content) > formats.MAX_FILE_BYTES:
        raise ValidationError({"file": formats.TOO_LARGE.format(limit=formats.MAX_FILE_BYTES // (1024 * 1024))})
    plan = ImportPlan(bank=bank, category=category, format_key=fmt.key, format_label=str(fmt.label), filename=filename)
    result = _parse(fmt, content, filename)
    plan.summary = str(result.summary or "")
    plan.problems = list(result.problems)
    parsed_list = list(result.questions)
    if len(parsed_list) > formats.MAX_QUESTIONS:
        plan.problems.append(formats.Problem(formats.TOO_MANY.format(limit=formats.MAX_QUESTIONS)))
        return plan
    if not parsed_list and not plan.problems:
        plan.problems.append(formats.Problem(formats.EMPTY))
    base_depth = _depth(category)
    idnumbers = {str(p.idnumber).strip()[:100] for p in parsed_list if str(p.idnumber or "").strip()}
    existing: dict[str, int] = {}
    existing_types: dict[int, str] = {}
    answered: set[int] = set()
    if idnumbers:
        for idnumber, pk, qtype in (
            Question.objects.filter(bank=bank, idnumber__in=idnumbers)
            .order_by("pk")
            .values_list("idnumber", "pk", "qtype")
        ):
            existing.setdefault(idnumber, pk)
            existing_types[pk] = qtype
        # A re-import may not change the type of a question people answered (as an edit may not).
        answered = set(
            QuestionAnswer.objects.filter(question_version__question_id__in=list(existing.values()))
            .values_list("question_version__question_id", flat=True)
            .distinct()
        )
    seen_idnumbers: dict[str, str] = {}
    for index, parsed in enumerate(parsed_list, start=1):
        values = _fields_of(parsed)
        row = PlanRow(
            index=index,
            name=values.name.strip()[: questions.NAME_LIMIT],
            qtype=values.qtype,
            qtype_label=str(qtypes.get(values.qtype).label) if qtypes.is_registered(values.qtype) else values.qtype,
            where=_where(parsed),
            line=parsed.line if isinstance(parsed.line, int) else None,
            category="/".join(_category_parts(parsed.category)),
            idnumber=values.idnumber.strip()[:100],
            difficulty_given=parsed.difficulty is not None,
        )
        try:
            row.clean = questions.validate(organization=bank.organization, values=values)
        except ValidationError as exc:
            row.errors = {name: [str(m) for m in messages] for name, messages in exc.message_dict.items()}
        except (TypeError, ValueError, ArithmeticError):  # a value of the wrong shape (a parser's slip)
            log.exception("Validating question %s of %s failed", index, filename)
            row.errors = {"question": [UNREADABLE.format(format=fmt.label)]}
        if base_depth + len(_category_parts(parsed.category)) > questions.DEPTH_LIMIT:
            row.errors.setdefault("category", []).append(PATH_TOO_DEEP.format(limit=questions.DEPTH_LIMIT))
        if row.idnumber:
            if row.idnumber in seen_idnumbers:
                row.errors.setdefault("idnumber", []).append(IDNUMBER_TWICE.format(where=seen_idnumbers[row.idnumber]))
            else:
                seen_idnumbers[row.idnumber] = row.where or f"question {index}"
            if row.idnumber in existing:
                row.action, row.existing_id = "update", existing[row.idnumber]
                target_id = existing[row.idnumber]
                if target_id in answered and values.qtype != existing_types.get(target_id):
                    row.errors.setdefault("qtype", []).append(questions.TYPE_LOCKED)
        if row.errors:
            row.clean = None
        plan.rows.append(row)
    return plan


# --- the service ---------------------------------------------------------------------------------------------------


def import_preview(
    *,
    bank: QuestionBank,
    category: QuestionCategory,
    fmt: formats.Format | str,
    content: bytes,
    filename: str = "",
    by: User,
) -> ImportPlan:
    """The dry run: what importing the file would do, question by question, with every error. Saves nothing."""
    _require_manage(bank, by)
    return _plan(bank=bank, category=category, fmt=_format(fmt), content=content, filename=filename)


def import_apply(
    *,
    bank: QuestionBank,
    category: QuestionCategory,
    fmt: formats.Format | str,
    content: bytes,
    filename: str = "",
    valid_only: bool,
    by: User,
) -> ImportResult:
    """Import the file in one transaction. With errors and `valid_only` False nothing is saved (ImportRejected,
    carrying the plan); with `valid_only` only the valid questions are saved. A failure while saving (a category
    that cannot be created, the database refusing a row) rolls everything back: nothing is ever half-imported."""
    _require_manage(bank, by)
    plan = _plan(bank=bank, category=category, fmt=_format(fmt), content=content, filename=filename)
    if not valid_only and plan.error_count:
        raise ImportRejected(plan, HAS_ERRORS.format(count=plan.error_count))
    if not plan.valid_count:
        raise ImportRejected(plan, NOTHING_VALID)
    created: list[int] = []
    updated: list[int] = []
    with transaction.atomic():
        paths: dict[str, QuestionCategory] = {}
        targets = {
            q.pk: q
            for q in Question.objects.select_for_update()
            .filter(bank=bank, pk__in=[row.existing_id for row in plan.valid_rows if row.existing_id])
            .prefetch_related("skills")
        }
        for row in plan.valid_rows:
            assert row.clean is not None
            try:
                target = targets.get(row.existing_id or 0)
                if target is not None:
                    # A re-import: a new version of the question, which stays in its category and keeps what
                    # files do not carry (its skills; its difficulty unless the file gives one).
                    clean = {**row.clean, "skill_ids": [skill.pk for skill in target.skills.all()]}
                    if not row.difficulty_given:
                        clean["difficulty"] = target.difficulty
                    questions.question_update_clean(question=target, clean=clean, by=by)
                    updated.append(target.pk)
                    continue
                if row.category not in paths:
                    paths[row.category] = questions.category_path_get_or_create(
                        bank=bank, under=category, path=row.category
                    )
                question = questions.question_create_clean(
                    bank=bank, category=paths[row.category], clean=row.clean, by=by
                )
                created.append(question.pk)
            except ValidationError as exc:
                # Raised inside the atomic block: everything saved so far is rolled back with it.
                label = f"{row.name} ({row.where})" if row.where else row.name
                raise ValidationError({"file": [f"{label}: {message}" for message in exc.messages]}) from exc
        audit_record(
            organization=bank.organization,
            action=AUDIT_ACTION,
            actor=by,
            target=bank,
            after={
                "bank_id": bank.pk,
                "category_id": category.pk,
                "format": plan.format_key,
                "created": len(created),
                "updated": len(updated),
                "skipped": plan.invalid_count + len(plan.problems),
            },
            summary={"questions": len(plan.rows)},
        )
    return ImportResult(plan=plan, created_ids=tuple(created), updated_ids=tuple(updated), skipped=plan.invalid_count)


# --- the uploaded file between the dry run and the import -----------------------------------------------------------


@dataclass(frozen=True)
class StashedUpload:
    content: bytes
    filename: str
    format_key: str
    category_id: int


def upload_stash(
    *, bank: QuestionBank, by: User, content: bytes, filename: str, format_key: str, category_id: int
) -> str:
    """Keep the uploaded file on the server for an hour; the returned random key finds it again (with the same
    person and bank only)."""
    token = secrets.token_urlsafe(24)
    cache.set(
        _CACHE_PREFIX + token,
        {
            "user_id": by.pk,
            "bank_id": bank.pk,
            "filename": filename[:255],
            "format": format_key,
            "category_id": category_id,
            # Question files are text: compressed, a 20 MB file takes a few MB of cache.
            "content": zlib.compress(content, 6),
        },
        UPLOAD_TTL_SECONDS,
    )
    return token


def upload_load(*, token: str, bank: QuestionBank, by: User) -> StashedUpload:
    """The stashed upload, or ValidationError(UPLOAD_EXPIRED) when it is gone or belongs to someone else."""
    token = str(token or "")
    found = cache.get(_CACHE_PREFIX + token) if _TOKEN.fullmatch(token) else None
    if not isinstance(found, Mapping) or found.get("user_id") != by.pk or found.get("bank_id") != bank.pk:
        raise ValidationError({"upload": UPLOAD_EXPIRED})
    return StashedUpload(
        content=zlib.decompress(found["content"]),
        filename=str(found["filename"]),
        format_key=str(found["format"]),
        category_id=int(found["category_id"]),
    )


def upload_discard(*, token: str) -> None:
    if _TOKEN.fullmatch(str(token or "")):
        cache.delete(_CACHE_PREFIX + token)


def plan_errors(plan: ImportPlan) -> dict[str, Any]:
    """The plan's errors as one ValidationError dict for the API: `file` for the file's problems (with their line),
    `questions[i].field` for each question's."""
    out: dict[str, Any] = {}
    file_messages: Sequence[str] = [
        f"line {p.line}: {p.message}" if p.line else (f"{p.where}: {p.message}" if p.where else p.message)
        for p in plan.problems
    ]
    if file_messages:
        out["file"] = list(file_messages)
    rows = {row.index - 1: dict(row.errors) for row in plan.rows if row.errors}
    if rows:
        out["questions"] = rows
    return out
