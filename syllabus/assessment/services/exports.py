"""Exporting a bank's questions to an interchange file (Moodle XML, QTI 2.1...).

`export_plan` says what an export would hold — the questions (latest versions) of a category, optionally with its
sub-categories, hidden ones left out unless asked — and names the questions whose type the format cannot carry,
so the page can list them before the download. `export_questions` builds the file: each question as a
`formats.base.ExportedQuestion` with its category path from the bank's top, its tags and idnumber.
Reading a bank is enough to export it (`policy.can_read_bank`): an export changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.utils.text import slugify

from syllabus.access.policy import NOT_ALLOWED, principal_for
from syllabus.accounts.models import User
from syllabus.assessment import policy, selectors_banks
from syllabus.assessment.formats import base as formats
from syllabus.assessment.models import Question, QuestionBank, QuestionCategory, QuestionTag
from syllabus.assessment.services import questions

FORMAT_CANNOT_EXPORT = "Syllabus cannot export questions to {format}."
NOTHING_TO_EXPORT = "There is no question to export in this category."


@dataclass(frozen=True)
class ExportPlan:
    bank: QuestionBank
    category: QuestionCategory
    fmt: formats.Format
    include_subcategories: bool
    include_hidden: bool
    questions: list[Question]
    unsupported: list[Question]  # left out of the file: the format cannot carry their type
    paths: dict[int, str]  # category id → its path from the bank's top ("Fire safety/Extinguishers")

    @property
    def exported_count(self) -> int:
        return len(self.questions) - len(self.unsupported)


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    filename: str
    content_type: str
    plan: ExportPlan


def exportable_formats() -> list[formats.Format]:
    return [fmt for fmt in formats.all_formats() if fmt.can_export]


def _format(fmt: formats.Format | str) -> formats.Format:
    found = formats.get(fmt) if isinstance(fmt, str) else fmt
    if not found.can_export:
        raise ValidationError({"format": FORMAT_CANNOT_EXPORT.format(format=found.label)})
    return found


def export_plan(
    *,
    bank: QuestionBank,
    category: QuestionCategory,
    fmt: formats.Format | str,
    include_subcategories: bool = True,
    include_hidden: bool = False,
    by: User,
) -> ExportPlan:
    """What the export would hold (see the module docstring). Saves nothing."""
    if not policy.can_read_bank(principal_for(by, bank.organization), bank):
        raise PermissionDenied(NOT_ALLOWED)
    if category.bank_id != bank.pk:
        raise ValidationError({"category": questions.CATEGORY_NOT_IN_BANK})
    found = _format(fmt)
    tree = selectors_banks.category_tree(bank=bank, with_counts=False)
    ids = tree.descendant_ids(category.pk) if include_subcategories else [category.pk]
    queryset = Question.objects.filter(bank=bank, category_id__in=ids, latest__isnull=False)
    if not include_hidden:
        queryset = queryset.filter(hidden=False)
    chosen = list(
        queryset.select_related("latest", "category")
        .prefetch_related(Prefetch("tags", queryset=QuestionTag.objects.order_by("name")))
        .order_by("category_id", "name", "pk")
    )
    # The file lists categories in tree order, their questions by name.
    position = {node.pk: index for index, node in enumerate(tree.flat())}
    chosen.sort(key=lambda q: (position.get(q.category_id, 0), q.name.lower(), q.pk))
    unsupported = [q for q in chosen if found.unsupported(q.qtype)]
    return ExportPlan(
        bank=bank,
        category=category,
        fmt=found,
        include_subcategories=include_subcategories,
        include_hidden=include_hidden,
        questions=chosen,
        unsupported=unsupported,
        paths={node.pk: node.path for node in tree.flat()},
    )


def exported(question: Question, path: str) -> formats.ExportedQuestion:
    """A question's latest version as an exporter receives it."""
    version = question.latest
    assert version is not None
    return formats.ExportedQuestion(
        qtype=version.qtype,
        name=version.name,
        text=version.text,
        general_feedback=version.general_feedback,
        default_mark=version.default_mark,
        data=version.data,
        category=path,
        tags=tuple(tag.name for tag in question.tags.all()),
        difficulty=question.difficulty,
        idnumber=question.idnumber,
    )


def export_questions(
    *,
    bank: QuestionBank,
    category: QuestionCategory,
    fmt: formats.Format | str,
    include_subcategories: bool = True,
    include_hidden: bool = False,
    by: User,
) -> ExportFile:
    """The file of the export: the format's bytes, a file name and its content type."""
    plan = export_plan(
        bank=bank,
        category=category,
        fmt=fmt,
        include_subcategories=include_subcategories,
        include_hidden=include_hidden,
        by=by,
    )
    if not plan.exported_count:
        raise ValidationError({"category": NOTHING_TO_EXPORT})
    skip = {q.pk for q in plan.unsupported}
    items = [
        exported(question, plan.paths.get(question.category_id, ""))
        for question in plan.questions
        if question.pk not in skip
    ]
    content = plan.fmt.export(items)
    base = slugify(f"{bank.name} {category.name}")[:80] or f"bank-{bank.pk}"
    extension = plan.fmt.export_extension or ""
    if extension and not extension.startswith("."):
        extension = f".{extension}"
    return ExportFile(
        content=content,
        filename=f"{base}{extension}",
        content_type=plan.fmt.export_content_type,
        plan=plan,
    )
