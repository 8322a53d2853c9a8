"""Reads of question banks: the banks a person may open, a bank's category tree, its questions with search and
filters, a question's versions, and where a question is used (quiz slots, attempts).

Every lookup is scoped by organisation first (another organisation's id is simply not found); whether the person
may read what was found is `policy`'s answer, asked by the caller. Lists cost a constant number of queries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, F, FloatField, OuterRef, Q, QuerySet, Sum

from syllabus.access.policy import Principal
from syllabus.accounts.models import Organization
from syllabus.assessment import policy
from syllabus.assessment.models import (
    Question,
    QuestionAnswer,
    QuestionBank,
    QuestionCategory,
    QuestionTag,
    QuestionVersion,
)
from syllabus.assessment.models.statistics import AttemptChoice, QuestionStatistic
from syllabus.assessment.question_types import TYPES
from syllabus.assessment.question_types import base as qtypes
from syllabus.assessment.quiz_settings import QuizSettings, Slot
from syllabus.catalog import versions as course_versions
from syllabus.catalog.models import Activity, Course, CourseVersion

QUIZ_KIND = "quiz"
SEARCH_LIMIT = 200  # characters of a search term that are used


# --- question types, as menus and filters show them -------------------------------------------------------------


def type_list() -> list[qtypes.QuestionType]:
    """The registered question types in the order of `question_types.TYPES` (the "new question" menu's order)."""
    order = {key: index for index, key in enumerate(TYPES)}
    return sorted(qtypes.all_types(), key=lambda qtype: (order.get(qtype.key, len(order)), qtype.key))


def type_choices() -> list[tuple[str, str]]:
    return [(qtype.key, str(qtype.label)) for qtype in type_list()]


def type_label(key: str) -> str:
    """A type's label, or its key when it is not registered (a plugin removed since the question was written)."""
    return str(qtypes.get(key).label) if qtypes.is_registered(key) else key


# --- banks --------------------------------------------------------------------------------------------------------


def bank_get(*, organization: Organization, pk: int) -> QuestionBank | None:
    return QuestionBank.objects.filter(organization=organization, pk=pk).select_related("course").first()


def course_get(*, organization: Organization, pk: int) -> Course | None:
    """A course of the organisation, with its bank when it has one."""
    return Course.objects.filter(organization=organization, pk=pk).select_related("question_bank").first()


def shared_bank_list(*, organization: Organization, principal: Principal) -> QuerySet[QuestionBank]:
    """The organisation's shared banks with their number of questions, or none when the person may not read them."""
    if not policy.can_read_shared(principal):
        return QuestionBank.objects.none()
    return (
        QuestionBank.objects.filter(organization=organization, course__isnull=True)
        .annotate(question_count=Count("questions", filter=Q(questions__hidden=False)))
        .order_by("name", "pk")
    )


def course_bank_list(*, organization: Organization, principal: Principal, search: str = "") -> QuerySet[Course]:
    """The courses whose bank the person may open, each with `bank_id` (None until someone opens it: the bank is
    created on demand) and `question_count`."""
    courses = (
        Course.objects.filter(organization=organization, archived_at__isnull=True)
        .filter(policy.team_courses_q(principal))
        .annotate(
            bank_id=F("question_bank__pk"),
            question_count=Count("question_bank__questions", filter=Q(question_bank__questions__hidden=False)),
        )
        .only("pk", "title", "organization_id")
        .order_by("title", "pk")
    )
    search = " ".join(search.split())[:SEARCH_LIMIT]
    if search:
        courses = courses.filter(title__icontains=search)
    return courses


def readable_bank_list(*, organization: Organization, principal: Principal) -> QuerySet[QuestionBank]:
    """Every existing bank the person may read (the API's list): the course banks of their courses and, with
    `question.use` or `question.manage`, the shared banks."""
    courses = Course.objects.filter(organization=organization).filter(policy.team_courses_q(principal))
    shared = Q(course__isnull=True) if policy.can_read_shared(principal) else Q(pk__in=[])
    return (
        QuestionBank.objects.filter(organization=organization)
        .filter(Q(course__in=courses.values("pk")) | shared)
        .select_related("course")
        .annotate(question_count=Count("questions", filter=Q(questions__hidden=False)))
        .order_by(F("course").asc(nulls_first=True), "name", "pk")
    )


# --- categories ---------------------------------------------------------------------------------------------------


@dataclass
class CategoryNode:
    """One category of a bank's tree, with its place in it and its number of (visible) questions."""

    category: QuestionCategory
    depth: int
    path: str  # "Fire safety/Extinguishers", from the bank's top
    question_count: int = 0
    children: list[CategoryNode] = field(default_factory=list)

    @property
    def pk(self) -> int:
        return self.category.pk

    @property
    def name(self) -> str:
        return self.category.name

    @property
    def label(self) -> str:
        """The name indented by depth, for a <select>."""
        return "\u2003" * self.depth + self.category.name


@dataclass
class CategoryTree:
    roots: list[CategoryNode]
    by_id: dict[int, CategoryNode]

    def flat(self) -> list[CategoryNode]:
        """Every node in tree order (parents before their children)."""
        out: list[CategoryNode] = []

        def walk(nodes: Sequence[CategoryNode]) -> None:
            for node in nodes:
                out.append(node)
                walk(node.children)

        walk(self.roots)
        return out

    def descendant_ids(self, category_id: int) -> list[int]:
        """The category and every category below it."""
        node = self.by_id.get(category_id)
        if node is None:
            return []
        out = [node.pk]
        frontier = list(node.children)
        while frontier:
            child = frontier.pop()
            out.append(child.pk)
            frontier.extend(child.children)
        return out

    def choices(self) -> list[tuple[int, str]]:
        return [(node.pk, node.label) for node in self.flat()]


def category_tree(*, bank: QuestionBank, with_counts: bool = True) -> CategoryTree:
    """The bank's categories as a tree (two queries: the categories, their question counts)."""
    categories = list(QuestionCategory.objects.filter(bank=bank).order_by("position", "name", "pk"))
    counts: dict[int, int] = {}
    if with_counts:
        counts = dict(
            Question.objects.filter(bank=bank, hidden=False)
            .values_list("category_id")
            .annotate(n=Count("pk"))
            .values_list("category_id", "n")
        )
    by_id = {c.pk: CategoryNode(category=c, depth=0, path="", question_count=counts.get(c.pk, 0)) for c in categories}
    roots: list[CategoryNode] = []
    for category in categories:
        node = by_id[category.pk]
        parent = by_id.get(category.parent_id) if category.parent_id else None
        (parent.children if parent is not None else roots).append(node)

    def place(nodes: Sequence[CategoryNode], depth: int, prefix: str) -> None:
        for node in nodes:
            node.depth = depth
            node.path = f"{prefix}/{node.name}" if prefix else node.name
            place(node.children, depth + 1, node.path)

    place(roots, 0, "")
    return CategoryTree(roots=roots, by_id=by_id)


def category_get(*, organization: Organization, pk: int) -> QuestionCategory | None:
    return (
        QuestionCategory.objects.filter(bank__organization=organization, pk=pk)
        .select_related("bank", "bank__course", "parent")
        .first()
    )


# --- questions ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionFilters:
    """What a question list is narrowed to. `hidden`: None every question, False the visible ones (the default),
    True the hidden ones only. `category_ids`: None for the whole bank."""

    search: str = ""
    qtype: str = ""
    tag: str = ""
    skill_id: int | None = None
    difficulty: int | None = None
    category_ids: Sequence[int] | None = None
    hidden: bool | None = False


def question_list(*, bank: QuestionBank, filters: QuestionFilters = QuestionFilters()) -> QuerySet[Question]:
    """The bank's questions matching `filters`, by name, each annotated with `version_number`, `changed_at` and
    `in_use` (answered in an attempt), tags prefetched — a constant number of queries whatever the page size."""
    answered = QuestionAnswer.objects.filter(question_version__question=OuterRef("pk"))
    questions = Question.objects.filter(bank=bank).annotate(
        version_number=F("latest__number"), changed_at=F("latest__created_at"), in_use=Exists(answered)
    )
    if filters.category_ids is not None:
        questions = questions.filter(category_id__in=list(filters.category_ids))
    if filters.hidden is not None:
        questions = questions.filter(hidden=filters.hidden)
    if filters.qtype:
        questions = questions.filter(qtype=filters.qtype)
    if filters.difficulty is not None:
        questions = questions.filter(difficulty=filters.difficulty)
    if filters.tag:
        questions = questions.filter(Exists(QuestionTag.objects.filter(question=OuterRef("pk"), name=filters.tag)))
    if filters.skill_id is not None:
        questions = questions.filter(
            Exists(Question.skills.through.objects.filter(question_id=OuterRef("pk"), skill_id=filters.skill_id))
        )
    search = " ".join(filters.search.split())[:SEARCH_LIMIT]
    for word in search.split(" ") if search else []:
        questions = questions.filter(Q(name__icontains=word) | Q(latest__text__icontains=word))
    return (
        questions.select_related("category")
        .prefetch_related("tags")
        .defer("category__description")
        .order_by("name", "pk")
    )


def question_get(*, organization: Organization, pk: int) -> Question | None:
    return (
        Question.objects.filter(organization=organization, pk=pk)
        .select_related("bank", "bank__course", "category", "latest", "latest__created_by")
        .first()
    )


def bank_tags(*, bank: QuestionBank) -> list[str]:
    """The tags used in the bank, for the filter."""
    return list(
        QuestionTag.objects.filter(question__bank=bank).values_list("name", flat=True).distinct().order_by("name")
    )


def version_list(*, question: Question) -> QuerySet[QuestionVersion]:
    return question.versions.select_related("created_by").defer("data", "text", "general_feedback").order_by("-number")


def version_get(*, question: Question, number: int | None) -> QuestionVersion | None:
    """The version `number` of the question, or its latest."""
    if number is None:
        return question.latest
    return question.versions.select_related("created_by").filter(number=number).first()


# --- usage --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuizUse:
    """A quiz that uses the question: by naming it in a fixed slot, or through a random slot whose pool holds it."""

    course: Course
    activity_title: str
    activity_uid: str
    where: str  # "draft" or "published"
    version_label: str  # the published version ("2.1"), "" for the draft
    how: str  # "fixed" or "random"


@dataclass(frozen=True)
class VersionUse:
    number: int
    attempts: int


@dataclass(frozen=True)
class Usage:
    quizzes: list[QuizUse]
    versions: list[VersionUse]

    @property
    def attempt_count(self) -> int:
        return sum(use.attempts for use in self.versions)


def _in_pool(
    slot: Slot, question: Question, categories: Mapping[int, int | None], tags: set[str], skills: set[int]
) -> bool:
    """Whether a random slot may draw the question (as `services.attempts.pool_for` chooses: tags all present,
    any of the skills, difficulty within the range, the category or one below it when the slot says so)."""
    if question.hidden or slot.category_id is None:
        return False
    if slot.bank_id is not None and slot.bank_id != question.bank_id:
        return False
    category: int | None = question.category_id
    if category != slot.category_id:
        if not slot.include_subcategories:
            return False
        seen: set[int] = set()
        while category is not None and category != slot.category_id and category not in seen:
            seen.add(category)
            category = categories.get(category)
        if category != slot.category_id:
            return False
    if not set(slot.tags) <= tags:
        return False
    if slot.skill_ids and not set(slot.skill_ids) & skills:
        return False
    if slot.min_difficulty is not None and question.difficulty < slot.min_difficulty:
        return False
    return not (slot.max_difficulty is not None and question.difficulty > slot.max_difficulty)


def _how_used(
    config: Any, question: Question, categories: Mapping[int, int | None], tags: set[str], skills: set[int]
) -> str:
    if not isinstance(config, Mapping):
        return ""
    try:
        quiz = QuizSettings.from_config(config)
    except (TypeError, ValueError):  # a config no quiz could run either: it uses nothing
        return ""
    if any(slot.type == "fixed" and slot.question_id == question.pk for slot in quiz.slots):
        return "fixed"
    if any(slot.type == "random" and _in_pool(slot, question, categories, tags, skills) for slot in quiz.slots):
        return "random"
    return ""


def question_usage(*, question: Question) -> Usage:
    """The quizzes of the organisation's courses that use the question (their drafts and published versions), and
    the number of attempts (previews left out) that answered each of its versions.

    A course bank's questions can only be used by that course; a shared bank's by every course of the organisation.
    """
    courses = Course.objects.filter(organization_id=question.organization_id)
    if question.bank.course_id is not None:
        courses = courses.filter(pk=question.bank.course_id)
    activities = list(
        Activity.objects.filter(kind=QUIZ_KIND, course__in=courses.values("pk"))
        .select_related("course")
        .only("uid", "title", "config", "course__id", "course__title", "course__organization_id",
              "course__published_version_id")
        .order_by("course__title", "course_id", "position", "pk")
    )  # fmt: skip
    categories = dict(QuestionCategory.objects.filter(bank_id=question.bank_id).values_list("pk", "parent_id"))
    tags = set(question.tags.values_list("name", flat=True))
    skills = set(question.skills.values_list("pk", flat=True))
    quizzes: list[QuizUse] = []
    course_by_id: dict[int, Course] = {}
    for activity in activities:
        course_by_id[activity.course.pk] = activity.course
        how = _how_used(activity.config, question, categories, tags, skills)
        if how:
            quizzes.append(QuizUse(activity.course, activity.title, str(activity.uid), "draft", "", how))
    # The published versions of the courses that have quizzes: learners take those, which may differ from the draft.
    published = CourseVersion.objects.filter(
        pk__in=[c.published_version_id for c in course_by_id.values() if c.published_version_id]
    ).only("pk", "course_id", "major", "minor", "snapshot")
    for version in published:
        for item in course_versions.activities(version.snapshot or {}):
            if item.get("kind") != QUIZ_KIND:
                continue
            how = _how_used(item.get("config"), question, categories, tags, skills)
            if how:
                quizzes.append(
                    QuizUse(
                        course_by_id[version.course_id],
                        str(item.get("title") or ""),
                        str(item.get("uid") or ""),
                        "published",
                        f"{version.major}.{version.minor}",
                        how,
                    )
                )
    counts = dict(
        QuestionAnswer.objects.filter(question_version__question=question, attempt__preview=False)
        .values_list("question_version__number")
        .annotate(n=Count("attempt", distinct=True))
        .values_list("question_version__number", "n")
    )
    numbers = question.versions.order_by("-number").values_list("number", flat=True)
    return Usage(quizzes=quizzes, versions=[VersionUse(number, counts.get(number, 0)) for number in numbers])


# --- item statistics ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionFigures:
    """A question's facility and discrimination across the quizzes that used it (None: not known yet)."""

    facility: float | None
    discrimination: float | None
    answers: int

    @property
    def weak(self) -> bool:
        """Flagged in the bank as in the statistics page: a discrimination index below 20."""
        return self.discrimination is not None and self.discrimination < 20


def question_figures(*, organization_id: int, question_ids: Sequence[int]) -> dict[int, QuestionFigures]:
    """Facility and discrimination of each question from the stored statistics of first attempts (one query): the
    mean over every quiz's row for the question (a fixed slot, or the question's own row in a random slot),
    weighted by the answers each row counted. A quiz's stored statistics are its latest computation."""
    rows = (
        QuestionStatistic.objects.filter(
            organization_id=organization_id,
            question_id__in=list(question_ids),
            is_slot_total=False,
            statistics__which=AttemptChoice.FIRST,
            count__gt=0,
        )
        .values("question_id")
        .annotate(
            answers=Sum("count"),
            facility_sum=Sum(F("facility") * F("count"), output_field=FloatField()),
            facility_count=Sum("count", filter=Q(facility__isnull=False)),
            discrimination_sum=Sum(F("discrimination") * F("count"), output_field=FloatField()),
            discrimination_count=Sum("count", filter=Q(discrimination__isnull=False)),
        )
        .order_by()
    )
    figures = {}
    for row in rows:
        figures[row["question_id"]] = QuestionFigures(
            facility=row["facility_sum"] / row["facility_count"] if row["facility_count"] else None,
            discrimination=(
                row["discrimination_sum"] / row["discrimination_count"] if row["discrimination_count"] else None
            ),
            answers=row["answers"] or 0,
        )
    return figures
