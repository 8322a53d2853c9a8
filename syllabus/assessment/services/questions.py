"""Writes to question banks: banks, categories and questions (every edit adds a version), move, copy, hide.

Every function is keyword-only, checks permission through `policy`, validates through the question type
(`question_types.base.get(qtype).clean`), and runs in one transaction. Error messages are module constants.
Questions and categories are bank content, not personal data: they are not audited one by one (the audit trail
records imports, regrades and overrides, which change what people were graded).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max

from syllabus.access.policy import NOT_ALLOWED, principal_for
from syllabus.accounts.models import Organization, User
from syllabus.assessment import policy
from syllabus.assessment.models import (
    Difficulty,
    Question,
    QuestionBank,
    QuestionCategory,
    QuestionTag,
    QuestionVersion,
)
from syllabus.assessment.question_types import base as qtypes
from syllabus.catalog import richtext
from syllabus.catalog.models import Course
from syllabus.skills.models import Skill

NAME_REQUIRED = "Give the question a name."
NAME_TOO_LONG = "Keep the name under {limit} characters."
TEXT_REQUIRED = "Write the question text."
TEXT_TOO_LONG = "The question text is too long (at most {limit} characters of HTML)."
MARK_RANGE = "The default mark is a number from 0 to 1000."
DIFFICULTY_RANGE = "The difficulty is a whole number from 1 to 5."
TOO_MANY_TAGS = "Give at most {limit} tags."
TAG_TOO_LONG = "Keep each tag under {limit} characters."
SKILL_NOT_AVAILABLE = "Choose skills of the organisation's framework."
CATEGORY_NOT_IN_BANK = "Choose a category of this bank."
CATEGORY_NAME_REQUIRED = "Give the category a name."
CATEGORY_NAME_TAKEN = "This category already has a sub-category with that name."
CATEGORY_CYCLE = "A category cannot move inside itself."
CATEGORY_TOO_DEEP = "Categories nest at most {limit} levels deep."
CATEGORY_NOT_EMPTY = "Move or delete this category's questions and sub-categories first."
CATEGORY_LAST = "A bank keeps at least one category."
BANK_NAME_REQUIRED = "Give the bank a name."
QUESTION_IN_USE = "This question has been answered in attempts: hide it instead of deleting it."
TYPE_LOCKED = "This question has been answered in attempts: its type can no longer change (copy it instead)."
DATA_NOT_OBJECT = "The question's content must be a JSON object."
TAGS_NOT_LIST = "Give the tags as a list of words."
FEEDBACK_TOO_LONG = "The general feedback is too long (at most {limit} characters of HTML)."
DEFAULT_CATEGORY = "Default"

NAME_LIMIT = 255
TEXT_LIMIT = 200_000
TAG_LIMIT = 60
TAGS_MAX = 30
DEPTH_LIMIT = 10


@dataclass
class QuestionFields:
    """A question's editable fields, as the author form, the API and the importers hand them over."""

    qtype: str
    name: str
    text: str = ""
    general_feedback: str = ""
    default_mark: Decimal | str | int = Decimal(1)
    data: dict[str, Any] = field(default_factory=dict)
    difficulty: int = Difficulty.MEDIUM
    tags: Sequence[str] = ()
    skill_ids: Sequence[int] = ()
    idnumber: str = ""


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(NOT_ALLOWED)


# --- banks and categories ----------------------------------------------------------------------------------------


def bank_create(*, organization: Organization, name: str, description: str = "", by: User) -> QuestionBank:
    """A shared bank of the organisation (course banks come with their course: `bank_for_course`)."""
    _require(policy.can_manage_shared(principal_for(by, organization)))
    name = name.strip()
    if not name:
        raise ValidationError({"name": BANK_NAME_REQUIRED})
    with transaction.atomic():
        bank = QuestionBank.objects.create(
            organization=organization, name=name[:200], description=description.strip(), created_by=by
        )
        QuestionCategory.objects.create(bank=bank, name=DEFAULT_CATEGORY)
    return bank


def bank_update(*, bank: QuestionBank, name: str, description: str = "", by: User) -> QuestionBank:
    _require(policy.can_manage_bank(principal_for(by, bank.organization), bank))
    name = name.strip()
    if not name:
        raise ValidationError({"name": BANK_NAME_REQUIRED})
    bank.name, bank.description = name[:200], description.strip()
    bank.save(update_fields=["name", "description", "updated_at"])
    return bank


def bank_for_course(*, course: Course) -> QuestionBank:
    """The course's own bank, created with a default category the first time anyone asks (no permission check:
    callers check `course.edit` / `course.teach` on the course)."""
    found = QuestionBank.objects.filter(course=course).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            bank = QuestionBank.objects.create(organization_id=course.organization_id, course=course, name=course.title)
            QuestionCategory.objects.create(bank=bank, name=DEFAULT_CATEGORY)
            return bank
    except IntegrityError:
        return QuestionBank.objects.get(course=course)


def _depth(category: QuestionCategory | None) -> int:
    depth = 0
    while category is not None:
        depth += 1
        category = category.parent
    return depth


def _height(category: QuestionCategory) -> int:
    """Levels from the category down to its deepest sub-category (1: it has none); one query per level."""
    height, level = 1, [category.pk]
    while height <= DEPTH_LIMIT:
        level = list(QuestionCategory.objects.filter(parent_id__in=level).values_list("pk", flat=True))
        if not level:
            break
        height += 1
    return height


def category_create(
    *, bank: QuestionBank, name: str, parent: QuestionCategory | None = None, description: str = "", by: User
) -> QuestionCategory:
    _require(policy.can_manage_bank(principal_for(by, bank.organization), bank))
    return _category_create(bank=bank, name=name, parent=parent, description=description)


def _category_create(
    *, bank: QuestionBank, name: str, parent: QuestionCategory | None, description: str = ""
) -> QuestionCategory:
    name = name.strip()[:200]
    if not name:
        raise ValidationError({"name": CATEGORY_NAME_REQUIRED})
    if parent is not None and parent.bank_id != bank.pk:
        raise ValidationError({"parent": CATEGORY_NOT_IN_BANK})
    if _depth(parent) + 1 > DEPTH_LIMIT:
        raise ValidationError({"parent": CATEGORY_TOO_DEEP.format(limit=DEPTH_LIMIT)})
    if QuestionCategory.objects.filter(bank=bank, parent=parent, name=name).exists():
        raise ValidationError({"name": CATEGORY_NAME_TAKEN})
    position = (QuestionCategory.objects.filter(bank=bank, parent=parent).aggregate(m=Max("position"))["m"] or 0) + 1
    return QuestionCategory.objects.create(
        bank=bank, parent=parent, name=name, description=description.strip(), position=position
    )


def category_path_get_or_create(*, bank: QuestionBank, under: QuestionCategory, path: str) -> QuestionCategory:
    """The category at `path` ("Fire safety/Extinguishers") below `under`, created as needed (imports).
    No permission check: the import service checked `can_manage_bank`."""
    category = under
    for part in [p.strip() for p in path.split("/") if p.strip()]:
        found = QuestionCategory.objects.filter(bank=bank, parent=category, name=part[:200]).first()
        category = found or _category_create(bank=bank, name=part, parent=category)
    return category


def category_update(
    *, category: QuestionCategory, name: str, parent: QuestionCategory | None, description: str = "", by: User
) -> QuestionCategory:
    bank = category.bank
    _require(policy.can_manage_bank(principal_for(by, bank.organization), bank))
    name = name.strip()[:200]
    if not name:
        raise ValidationError({"name": CATEGORY_NAME_REQUIRED})
    if parent is not None:
        if parent.bank_id != bank.pk:
            raise ValidationError({"parent": CATEGORY_NOT_IN_BANK})
        walk: QuestionCategory | None = parent
        while walk is not None:
            if walk.pk == category.pk:
                raise ValidationError({"parent": CATEGORY_CYCLE})
            walk = walk.parent
        # The category takes its sub-categories along: the deepest of them must stay within the limit too.
        if _depth(parent) + _height(category) > DEPTH_LIMIT:
            raise ValidationError({"parent": CATEGORY_TOO_DEEP.format(limit=DEPTH_LIMIT)})
    if QuestionCategory.objects.filter(bank=bank, parent=parent, name=name).exclude(pk=category.pk).exists():
        raise ValidationError({"name": CATEGORY_NAME_TAKEN})
    category.name, category.parent, category.description = name, parent, description.strip()
    category.save(update_fields=["name", "parent", "description"])
    return category


def category_delete(*, category: QuestionCategory, by: User) -> None:
    bank = category.bank
    _require(policy.can_manage_bank(principal_for(by, bank.organization), bank))
    if category.questions.exists() or category.children.exists():
        raise ValidationError({"category": CATEGORY_NOT_EMPTY})
    if QuestionCategory.objects.filter(bank=bank).count() <= 1:
        raise ValidationError({"category": CATEGORY_LAST})
    category.delete()


# --- questions ----------------------------------------------------------------------------------------------------


def _str(value: Any) -> str:
    """A text field as a string: from the API or an importer it may arrive as null or a number."""
    return value if isinstance(value, str) else "" if value is None else str(value)


def _skill_ids(raw: Any) -> list[int] | None:
    """The ids as whole numbers, or None when one of them is not an id."""
    if isinstance(raw, str | bytes) or not isinstance(raw, Iterable):
        return None
    ids: set[int] = set()
    for item in raw:
        text = str(item).strip()
        # ASCII digits only: str.isdigit() is also true for "²", which int() refuses.
        if isinstance(item, bool) or not (text.isascii() and text.isdigit()) or len(text) > 18:
            return None
        ids.add(int(text))
    return sorted(ids)


def _tag_list(raw: Any) -> list[str] | None:
    """Tags from a list, or from "fire, warehouse" (a form field); None when it is neither."""
    if isinstance(raw, str):
        raw = raw.split(",")
    if not isinstance(raw, list | tuple | set | frozenset):
        return None
    return sorted({" ".join(str(t).split()).lower() for t in raw if isinstance(t, str | int) and str(t).strip()})


def _clean_fields(organization: Organization, values: QuestionFields) -> dict[str, Any]:
    """Validate the common fields and the type's data; every problem at once, each under its field."""
    errors: dict[str, Any] = {}
    qtype = None
    try:
        qtype = qtypes.get(_str(values.qtype))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    name = _str(values.name).strip()
    if not name:
        errors["name"] = NAME_REQUIRED
    elif len(name) > NAME_LIMIT:
        errors["name"] = NAME_TOO_LONG.format(limit=NAME_LIMIT)
    raw_text = _str(values.text)
    if len(raw_text) > TEXT_LIMIT:
        errors["text"] = TEXT_TOO_LONG.format(limit=f"{TEXT_LIMIT:,}")
    text = richtext.sanitize_html(raw_text)
    if not richtext.html_to_text(text).strip() and "<img" not in text:
        errors.setdefault("text", TEXT_REQUIRED)
    raw_feedback = _str(values.general_feedback)
    if len(raw_feedback) > TEXT_LIMIT:
        errors["general_feedback"] = FEEDBACK_TOO_LONG.format(limit=f"{TEXT_LIMIT:,}")
        raw_feedback = ""
    feedback = richtext.sanitize_html(raw_feedback)
    try:
        if isinstance(values.default_mark, bool) or len(str(values.default_mark)) > 40:
            raise InvalidOperation
        mark = Decimal(str(values.default_mark).strip())
        if not (mark.is_finite() and Decimal(0) <= mark <= Decimal(1000)):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["default_mark"] = MARK_RANGE
        mark = Decimal(1)
    try:
        difficulty = int(values.difficulty)
        if isinstance(values.difficulty, bool) or difficulty not in Difficulty.values:
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        errors["difficulty"] = DIFFICULTY_RANGE
        difficulty = Difficulty.MEDIUM
    tags = _tag_list(values.tags)
    if tags is None:
        errors["tags"] = TAGS_NOT_LIST
        tags = []
    elif len(tags) > TAGS_MAX:
        errors["tags"] = TOO_MANY_TAGS.format(limit=TAGS_MAX)
    elif any(len(t) > TAG_LIMIT for t in tags):
        errors["tags"] = TAG_TOO_LONG.format(limit=TAG_LIMIT)
    skill_ids = _skill_ids(values.skill_ids)
    if skill_ids is None:
        errors["skills"] = SKILL_NOT_AVAILABLE
        skill_ids = []
    elif skill_ids and Skill.objects.filter(organization=organization, pk__in=skill_ids).count() != len(skill_ids):
        errors["skills"] = SKILL_NOT_AVAILABLE
    data: dict[str, Any] = {}
    if values.data is not None and not isinstance(values.data, Mapping):
        errors["data"] = DATA_NOT_OBJECT
    elif qtype is not None:
        try:
            data = qtype.clean(values.data or {}, text=text)
            text = qtype.clean_text(text, data)
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(key, messages)
        if not qtype.graded:
            mark = Decimal(0)
    if errors:
        raise ValidationError(errors)
    return {
        "qtype": values.qtype,
        "name": name,
        "text": text,
        "general_feedback": feedback,
        "default_mark": mark,
        "data": data,
        "difficulty": difficulty,
        "tags": tags,
        "skill_ids": skill_ids,
        "idnumber": _str(values.idnumber).strip()[:100],
    }


def validate(*, organization: Organization, values: QuestionFields) -> dict[str, Any]:
    """The cleaned fields, or ValidationError — what an import's dry run asks of every question."""
    return _clean_fields(organization, values)


def _save_version(question: Question, clean: dict[str, Any], by: User | None) -> QuestionVersion:
    number = (question.versions.aggregate(m=Max("number"))["m"] or 0) + 1
    version = QuestionVersion.objects.create(
        question=question,
        number=number,
        qtype=clean["qtype"],
        name=clean["name"],
        text=clean["text"],
        general_feedback=clean["general_feedback"],
        default_mark=clean["default_mark"],
        data=clean["data"],
        created_by=by,
    )
    Question.objects.filter(pk=question.pk).update(
        latest=version, qtype=clean["qtype"], name=clean["name"], difficulty=clean["difficulty"],
        idnumber=clean["idnumber"],
    )  # fmt: skip
    question.latest, question.qtype, question.name, question.difficulty = (
        version, clean["qtype"], clean["name"], clean["difficulty"]
    )  # fmt: skip
    QuestionTag.objects.filter(question=question).exclude(name__in=clean["tags"]).delete()
    have = set(QuestionTag.objects.filter(question=question).values_list("name", flat=True))
    QuestionTag.objects.bulk_create([QuestionTag(question=question, name=t) for t in clean["tags"] if t not in have])
    question.skills.set(clean["skill_ids"])
    return version


def question_create_clean(
    *, bank: QuestionBank, category: QuestionCategory, clean: dict[str, Any], by: User | None
) -> Question:
    """Save fields already returned by `validate` (the import service validates everything first).
    No permission check: callers checked `can_manage_bank`."""
    if category.bank_id != bank.pk:
        raise ValidationError({"category": CATEGORY_NOT_IN_BANK})
    question = Question.objects.create(
        organization_id=bank.organization_id,
        bank=bank,
        category=category,
        qtype=clean["qtype"],
        name=clean["name"],
        difficulty=clean["difficulty"],
        idnumber=clean["idnumber"],
        created_by=by,
    )
    _save_version(question, clean, by)
    return question


def question_create(*, bank: QuestionBank, category: QuestionCategory, values: QuestionFields, by: User) -> Question:
    _require(policy.can_manage_bank(principal_for(by, bank.organization), bank))
    clean = _clean_fields(bank.organization, values)
    with transaction.atomic():
        return question_create_clean(bank=bank, category=category, clean=clean, by=by)


def question_update(*, question: Question, values: QuestionFields, by: User) -> QuestionVersion:
    """Save an edit as a new version (attempts keep theirs). The type may change only while nobody answered it."""
    bank = question.bank
    _require(policy.can_manage_bank(principal_for(by, bank.organization), bank))
    clean = _clean_fields(bank.organization, values)
    with transaction.atomic():
        # Locked for the edit: two authors saving at once would both number their version n + 1.
        Question.objects.select_for_update().filter(pk=question.pk).first()
        _check_type_change(question, clean)
        return _save_version(question, clean, by)


def _check_type_change(question: Question, clean: dict[str, Any]) -> None:
    """Graders, regrades and reports read every answer with its version's type; a question whose answers are
    of one type must keep it (an author who wants another type copies the question)."""
    from syllabus.assessment.models import QuestionAnswer

    if clean["qtype"] == question.qtype:
        return
    if QuestionAnswer.objects.filter(question_version__question=question).exists():
        raise ValidationError({"qtype": TYPE_LOCKED})


def question_update_clean(*, question: Question, clean: dict[str, Any], by: User | None) -> QuestionVersion:
    """A new version from fields `validate` returned (re-import by idnumber). No permission check; the type may
    change only while nobody answered the question, as for an edit."""
    _check_type_change(question, clean)
    return _save_version(question, clean, by)


def question_move(*, questions: Iterable[Question], category: QuestionCategory, by: User) -> int:
    """Move questions to another category of a bank the person manages (from banks they manage)."""
    principal = principal_for(by, category.bank.organization)
    _require(policy.can_manage_bank(principal, category.bank))
    moved = 0
    with transaction.atomic():
        for question in questions:
            _require(policy.can_manage_bank(principal, question.bank))
            Question.objects.filter(pk=question.pk).update(bank=category.bank, category=category)
            moved += 1
    return moved


def question_copy(*, question: Question, category: QuestionCategory, by: User) -> Question:
    """A new question (its own history starts at version 1) with the latest content, in `category`."""
    principal = principal_for(by, category.bank.organization)
    _require(policy.can_read_bank(principal, question.bank))
    _require(policy.can_manage_bank(principal, category.bank))
    latest = question.latest
    assert latest is not None
    clean = {
        "qtype": latest.qtype,
        "name": latest.name,
        "text": latest.text,
        "general_feedback": latest.general_feedback,
        "default_mark": latest.default_mark,
        "data": latest.data,
        "difficulty": question.difficulty,
        "tags": list(question.tags.values_list("name", flat=True)),
        "skill_ids": list(question.skills.values_list("pk", flat=True)),
        "idnumber": "",
    }
    with transaction.atomic():
        return question_create_clean(bank=category.bank, category=category, clean=clean, by=by)


def question_set_hidden(*, question: Question, hidden: bool, by: User) -> None:
    _require(policy.can_manage_bank(principal_for(by, question.bank.organization), question.bank))
    Question.objects.filter(pk=question.pk).update(hidden=hidden)
    question.hidden = hidden


def question_delete(*, question: Question, by: User) -> None:
    """Delete a question nobody has answered (its versions go with it); an answered one can only be hidden."""
    _require(policy.can_manage_bank(principal_for(by, question.bank.organization), question.bank))
    from syllabus.assessment.models import QuestionAnswer

    if QuestionAnswer.objects.filter(question_version__question=question).exists():
        raise ValidationError({"question": QUESTION_IN_USE})
    with transaction.atomic():
        Question.objects.filter(pk=question.pk).update(latest=None)
        question.delete()


def version_as_question(version: QuestionVersion) -> qtypes.Question:
    """What the question type reads of a stored version."""
    return qtypes.Question(
        qtype=version.qtype,
        name=version.name,
        text=version.text,
        general_feedback=version.general_feedback,
        default_mark=version.default_mark,
        data=version.data,
    )
