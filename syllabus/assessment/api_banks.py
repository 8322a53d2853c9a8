"""REST API of question banks (/api/v1/assessment/): banks, their categories and questions (every change of a
question is a new version), the versions, and import / export.

Who (policy.py): a course's bank is read by its team and changed by its editors; shared banks are read with
`question.use` and changed with `question.manage`. Another organisation's bank, category or question answers 404;
one the caller may not read or change, 403. Validation is the pages' (`services.questions`): each error names its
field; an import's errors name the question (`questions[3].name`) or the file's line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.urls import path
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import negotiation, parsers, renderers, serializers, status
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from syllabus.access.endpoints import OrganizationEndpoint
from syllabus.access.policy import NOT_ALLOWED
from syllabus.assessment import policy, selectors_banks
from syllabus.assessment.formats import base as formats
from syllabus.assessment.models import Difficulty, Question, QuestionBank, QuestionCategory, QuestionVersion
from syllabus.assessment.services import exports, imports
from syllabus.assessment.services import questions as services
from syllabus.core.api import paginated_response, with_errors

TAG = "Question banks"
BODY_NOT_OBJECT = "Send a JSON object."
CATEGORY_NOT_FOUND = "No such category in this bank."
NO_CATEGORY = "The bank has no category: create one first."
ID_MAX = 10**18
TYPE_FIXED = "This question has been answered in attempts: its type cannot change. Write a new question instead."


# --- the base -------------------------------------------------------------------------------------------------------


class BankApi(OrganizationEndpoint):
    def require(self, allowed: bool) -> None:  # type: ignore[override]
        if not allowed:
            raise PermissionDenied(NOT_ALLOWED)

    def require_area(self) -> None:
        """A learner asking the bank endpoints is refused (403) rather than shown empty lists."""
        self.require(policy.bank_area_visible(self.principal()))

    def readable_bank(self, pk: int) -> QuestionBank:
        bank = selectors_banks.bank_get(organization=self.organization, pk=pk)
        if bank is None:
            raise Http404
        self.require(policy.can_read_bank(self.principal(), bank))
        return bank

    def managed_bank(self, pk: int) -> QuestionBank:
        bank = self.readable_bank(pk)
        self.require(policy.can_manage_bank(self.principal(), bank))
        return bank

    def readable_question(self, pk: int) -> Question:
        question = selectors_banks.question_get(organization=self.organization, pk=pk)
        if question is None:
            raise Http404
        self.require(policy.can_read_bank(self.principal(), question.bank))
        return question

    def managed_question(self, pk: int) -> Question:
        question = self.readable_question(pk)
        self.require(policy.can_manage_bank(self.principal(), question.bank))
        return question

    def body(self, request: Request) -> Mapping[str, Any]:
        if not isinstance(request.data, Mapping):
            raise serializers.ValidationError({"non_field_errors": [BODY_NOT_OBJECT]})
        return request.data


def _category_in(bank: QuestionBank, pk: int | None, *, field: str = "category") -> QuestionCategory | None:
    if pk is None:
        return None
    category = QuestionCategory.objects.filter(bank=bank, pk=pk).select_related("parent").first()
    if category is None:
        raise serializers.ValidationError({field: [CATEGORY_NOT_FOUND]})
    category.bank = bank
    return category


def _default_category(bank: QuestionBank) -> QuestionCategory:
    category = (
        QuestionCategory.objects.filter(bank=bank, parent__isnull=True).order_by("position", "name", "pk").first()
    )
    if category is None:
        raise serializers.ValidationError({"category": [NO_CATEGORY]})
    category.bank = bank
    return category


# --- serializers ----------------------------------------------------------------------------------------------------


class BankOutputSerializer(serializers.Serializer[QuestionBank]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    course = serializers.IntegerField(source="course_id", allow_null=True, help_text="Null for a shared bank.")
    question_count = serializers.IntegerField(required=False, help_text="Visible questions (hidden ones left out).")
    created_at = serializers.DateTimeField()


class BankDetailOutputSerializer(BankOutputSerializer):
    # Only on one bank: asked of every bank of a list, it would cost a query per course bank.
    can_manage = serializers.SerializerMethodField(help_text="Whether the caller may change the bank.")

    def get_can_manage(self, bank: QuestionBank) -> bool:
        return policy.can_manage_bank(self.context["principal"], bank)


class BankInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(allow_blank=True, max_length=200)
    description = serializers.CharField(allow_blank=True, required=False, default="", max_length=2000)


class QuestionCategoryOutputSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    parent = serializers.IntegerField(source="category.parent_id", allow_null=True)  # type: ignore[assignment]
    description = serializers.CharField(source="category.description")
    path = serializers.CharField(help_text="From the bank's top: `Fire safety/Extinguishers`.")
    depth = serializers.IntegerField(help_text="0 for a top category.")
    question_count = serializers.IntegerField(help_text="Visible questions in this category (not below it).")


class QuestionCategoryInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(allow_blank=True, max_length=200)
    parent = serializers.IntegerField(allow_null=True, required=False, default=None, help_text="Null: top level.")  # type: ignore[assignment]
    description = serializers.CharField(allow_blank=True, required=False, default="", max_length=2000)


class VersionOutputSerializer(serializers.Serializer[QuestionVersion]):
    number = serializers.IntegerField()
    qtype = serializers.CharField()
    name = serializers.CharField()
    text = serializers.CharField(help_text="Sanitised HTML.")
    general_feedback = serializers.CharField()
    default_mark = serializers.DecimalField(max_digits=7, decimal_places=3, coerce_to_string=True)
    data = serializers.JSONField(help_text="The type's own content, as question_types/README.md describes it.")  # type: ignore[assignment]
    created_by = serializers.IntegerField(source="created_by_id", allow_null=True)
    created_at = serializers.DateTimeField()


class QuestionOutputSerializer(serializers.Serializer[Question]):
    id = serializers.IntegerField()
    bank = serializers.IntegerField(source="bank_id")
    category = serializers.IntegerField(source="category_id")
    qtype = serializers.CharField()
    name = serializers.CharField()
    difficulty = serializers.IntegerField()
    hidden = serializers.BooleanField()
    idnumber = serializers.CharField()
    tags = serializers.SerializerMethodField()
    version = serializers.SerializerMethodField(help_text="The latest version's number.")

    def get_tags(self, question: Question) -> list[str]:
        return [tag.name for tag in question.tags.all()]

    def get_version(self, question: Question) -> int | None:
        number = getattr(question, "version_number", None)
        if number is None and question.latest is not None:
            number = question.latest.number
        return number


class QuestionDetailOutputSerializer(QuestionOutputSerializer):
    skills = serializers.SerializerMethodField()
    in_use = serializers.SerializerMethodField(help_text="Answered in attempts: it can be hidden, not deleted.")
    latest = VersionOutputSerializer(allow_null=True)

    def get_skills(self, question: Question) -> list[int]:
        return [skill.pk for skill in question.skills.all()]

    def get_in_use(self, question: Question) -> bool:
        return question.versions.filter(answers__isnull=False).exists()


class QuestionInputSerializer(serializers.Serializer[Any]):
    """The types only; `services.questions` judges the values (and the type's `clean` its `data`)."""

    qtype = serializers.CharField(max_length=40, help_text="A registered type key: single, truefalse, essay...")
    name = serializers.CharField(allow_blank=True, max_length=1000)
    text = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=services.TEXT_LIMIT + 1)
    general_feedback = serializers.CharField(allow_blank=True, required=False, default="", max_length=200_000)
    default_mark = serializers.CharField(
        required=False, default="1", max_length=20, help_text='A decimal string: "2.5".'
    )
    difficulty = serializers.IntegerField(required=False, default=Difficulty.MEDIUM, help_text="1 to 5.")
    tags = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, default=list, max_length=100
    )
    skills = serializers.ListField(child=serializers.IntegerField(), required=False, default=list, max_length=200)
    data = serializers.DictField(required=False, default=dict, help_text="The type's own content.")  # type: ignore[assignment]
    category = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="A category of the bank; default: its first top one."
    )
    idnumber = serializers.CharField(allow_blank=True, required=False, default="", max_length=100)
    hidden = serializers.BooleanField(required=False)


def _fields(validated: Mapping[str, Any]) -> services.QuestionFields:
    return services.QuestionFields(
        qtype=validated["qtype"],
        name=validated["name"],
        text=validated["text"],
        general_feedback=validated.get("general_feedback", ""),
        default_mark=str(validated.get("default_mark", "1")),
        data=dict(validated.get("data") or {}),
        difficulty=validated.get("difficulty", Difficulty.MEDIUM),
        tags=list(validated.get("tags") or []),
        skill_ids=list(validated.get("skills") or []),
        idnumber=validated.get("idnumber", ""),
    )


def _current(question: Question) -> dict[str, Any]:
    """The question's fields as the input serializer takes them (PATCH starts from these)."""
    latest = question.latest
    assert latest is not None
    return {
        "qtype": question.qtype,
        "name": latest.name,
        "text": latest.text,
        "general_feedback": latest.general_feedback,
        "default_mark": str(latest.default_mark),
        "difficulty": question.difficulty,
        "tags": [tag.name for tag in question.tags.all()],
        "skills": [skill.pk for skill in question.skills.all()],
        "data": dict(latest.data),
        "idnumber": question.idnumber,
    }


def _question_output(organization: Any, pk: int, context: dict[str, Any]) -> dict[str, Any]:
    question = (
        Question.objects.filter(organization=organization, pk=pk)
        .select_related("latest")
        .prefetch_related("tags", "skills")
        .get()
    )
    return dict(QuestionDetailOutputSerializer(question, context=context).data)


QUESTION_EXAMPLE = {
    "qtype": "truefalse",
    "name": "Water on electrical fires",
    "text": "<p>Water puts out an electrical fire safely.</p>",
    "general_feedback": "<p>Use a CO₂ extinguisher.</p>",
    "default_mark": "1",
    "difficulty": 2,
    "tags": ["fire", "electrical"],
    "skills": [],
    "data": {"correct": False, "feedback_true": "", "feedback_false": ""},
}


# --- banks ----------------------------------------------------------------------------------------------------------


class BankListApi(BankApi):
    @extend_schema(
        tags=[TAG],
        summary="List the question banks",
        description="The course banks of the caller's courses (made when a course's bank is first opened) and, "
        "with `question.use` or `question.manage`, the organisation's shared banks. Learners: 403.",
        responses=with_errors({200: BankOutputSerializer(many=True)}, 401, 403),
    )
    def get(self, request: Request) -> Response:
        self.require_area()
        banks = selectors_banks.readable_bank_list(organization=self.organization, principal=self.principal())
        return paginated_response(request=request, view=self, queryset=banks, serializer_class=BankOutputSerializer)

    @extend_schema(
        tags=[TAG],
        summary="Create a shared question bank",
        description="Needs `question.manage`. The bank starts with one category, `Default`.",
        request=BankInputSerializer,
        responses=with_errors({201: BankDetailOutputSerializer}, 400, 401, 403),
    )
    def post(self, request: Request) -> Response:
        self.require(policy.can_manage_shared(self.principal()))
        serializer = BankInputSerializer(data=self.body(request))
        serializer.is_valid(raise_exception=True)
        bank = services.bank_create(organization=self.organization, by=self.user, **serializer.validated_data)
        bank.question_count = 0  # type: ignore[attr-defined]
        data = BankDetailOutputSerializer(bank, context={"principal": self.principal()}).data
        return Response(data, status=status.HTTP_201_CREATED)


class BankDetailApi(BankApi):
    @extend_schema(tags=[TAG], summary="Get a question bank", responses=with_errors({200: BankDetailOutputSerializer}))
    def get(self, request: Request, pk: int) -> Response:
        bank = self.readable_bank(pk)
        bank.question_count = bank.questions.filter(hidden=False).count()  # type: ignore[attr-defined]
        return Response(BankDetailOutputSerializer(bank, context={"principal": self.principal()}).data)

    @extend_schema(
        tags=[TAG],
        summary="Rename a question bank",
        request=BankInputSerializer,
        responses=with_errors({200: BankDetailOutputSerializer}),
    )
    def patch(self, request: Request, pk: int) -> Response:
        bank = self.managed_bank(pk)
        serializer = BankInputSerializer(
            data={"name": bank.name, "description": bank.description, **self.body(request)}
        )
        serializer.is_valid(raise_exception=True)
        services.bank_update(bank=bank, by=self.user, **serializer.validated_data)
        return self.get(request, pk)


# --- categories -----------------------------------------------------------------------------------------------------


class CategoryListApi(BankApi):
    @extend_schema(
        tags=[TAG],
        summary="List a bank's categories",
        description="Every category in tree order (parents before their children), with its path and depth.",
        responses=with_errors({200: QuestionCategoryOutputSerializer(many=True)}, 401, 403, 404),
    )
    def get(self, request: Request, pk: int) -> Response:
        bank = self.readable_bank(pk)
        nodes = selectors_banks.category_tree(bank=bank).flat()
        return paginated_response(
            request=request, view=self, queryset=nodes, serializer_class=QuestionCategoryOutputSerializer
        )

    @extend_schema(
        tags=[TAG],
        summary="Create a category",
        request=QuestionCategoryInputSerializer,
        responses=with_errors({201: QuestionCategoryOutputSerializer}),
    )
    def post(self, request: Request, pk: int) -> Response:
        bank = self.managed_bank(pk)
        serializer = QuestionCategoryInputSerializer(data=self.body(request))
        serializer.is_valid(raise_exception=True)
        wanted = serializer.validated_data
        category = services.category_create(
            bank=bank,
            name=wanted["name"],
            parent=_category_in(bank, wanted["parent"], field="parent"),
            description=wanted["description"],
            by=self.user,
        )
        node = selectors_banks.category_tree(bank=bank).by_id[category.pk]
        return Response(QuestionCategoryOutputSerializer(node).data, status=status.HTTP_201_CREATED)


class CategoryDetailApi(BankApi):
    def category(self, pk: int, *, manage: bool) -> QuestionCategory:
        category = selectors_banks.category_get(organization=self.organization, pk=pk)
        if category is None:
            raise Http404
        self.require(policy.can_read_bank(self.principal(), category.bank))
        if manage:
            self.require(policy.can_manage_bank(self.principal(), category.bank))
        return category

    @extend_schema(tags=[TAG], summary="Get a category", responses=with_errors({200: QuestionCategoryOutputSerializer}))
    def get(self, request: Request, pk: int) -> Response:
        category = self.category(pk, manage=False)
        node = selectors_banks.category_tree(bank=category.bank).by_id[category.pk]
        return Response(QuestionCategoryOutputSerializer(node).data)

    @extend_schema(
        tags=[TAG],
        summary="Rename or move a category",
        description="Fields left out keep their value; `parent` null moves it to the top level.",
        request=QuestionCategoryInputSerializer(partial=True),
        responses=with_errors({200: QuestionCategoryOutputSerializer}),
    )
    def patch(self, request: Request, pk: int) -> Response:
        category = self.category(pk, manage=True)
        current = {"name": category.name, "parent": category.parent_id, "description": category.description}
        serializer = QuestionCategoryInputSerializer(data={**current, **self.body(request)})
        serializer.is_valid(raise_exception=True)
        wanted = serializer.validated_data
        services.category_update(
            category=category,
            name=wanted["name"],
            parent=_category_in(category.bank, wanted["parent"], field="parent"),
            description=wanted["description"],
            by=self.user,
        )
        return self.get(request, pk)

    @extend_schema(
        tags=[TAG],
        summary="Delete a category",
        description="Only an empty category (no question, no sub-category), and never a bank's last one.",
        responses=with_errors({204: None}),
    )
    def delete(self, request: Request, pk: int) -> Response:
        services.category_delete(category=self.category(pk, manage=True), by=self.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- questions ------------------------------------------------------------------------------------------------------


class QuestionFilterSerializer(serializers.Serializer[Any]):
    q = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=200, help_text="In name and text."
    )
    qtype = serializers.CharField(required=False, default="", allow_blank=True, max_length=40)
    tag = serializers.CharField(required=False, default="", allow_blank=True, max_length=60)
    # Bounded: an id past the database's integers would make it raise rather than find nothing.
    skill = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1, max_value=ID_MAX)
    difficulty = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1, max_value=5)
    category = serializers.IntegerField(required=False, allow_null=True, default=None)
    subcategories = serializers.BooleanField(required=False, default=False, help_text="With `category`: below too.")
    hidden = serializers.ChoiceField(
        choices=["false", "true", "all"], required=False, default="false", help_text="`false`: visible ones only."
    )


class QuestionListApi(BankApi):
    @extend_schema(
        tags=[TAG],
        summary="List a bank's questions",
        description="By name, with search and filters. Each with its latest version's number (not its content: "
        "get one question for that).",
        parameters=[QuestionFilterSerializer],
        responses=with_errors({200: QuestionOutputSerializer(many=True)}, 400, 401, 403, 404),
    )
    def get(self, request: Request, pk: int) -> Response:
        bank = self.readable_bank(pk)
        filters = QuestionFilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        wanted = filters.validated_data
        category_ids = None
        if wanted["category"] is not None:
            tree = selectors_banks.category_tree(bank=bank, with_counts=False)
            if wanted["category"] not in tree.by_id:
                raise serializers.ValidationError({"category": [CATEGORY_NOT_FOUND]})
            category_ids = tree.descendant_ids(wanted["category"]) if wanted["subcategories"] else [wanted["category"]]
        questions = selectors_banks.question_list(
            bank=bank,
            filters=selectors_banks.QuestionFilters(
                search=wanted["q"],
                qtype=wanted["qtype"],
                tag=" ".join(wanted["tag"].split()).lower(),
                skill_id=wanted["skill"],
                difficulty=wanted["difficulty"],
                category_ids=category_ids,
                hidden={"false": False, "true": True}.get(wanted["hidden"]),
            ),
        )
        return paginated_response(
            request=request, view=self, queryset=questions, serializer_class=QuestionOutputSerializer
        )

    @extend_schema(
        tags=[TAG],
        summary="Create a question",
        description="Version 1 of a new question. `data` is the type's own content (question_types/README.md); "
        "errors name the field, the type's too (`options`, `answers`...).",
        request=QuestionInputSerializer,
        responses=with_errors({201: QuestionDetailOutputSerializer}),
        examples=[OpenApiExample("A true/false question", value=QUESTION_EXAMPLE, request_only=True)],
    )
    def post(self, request: Request, pk: int) -> Response:
        bank = self.managed_bank(pk)
        serializer = QuestionInputSerializer(data=self.body(request))
        serializer.is_valid(raise_exception=True)
        wanted = serializer.validated_data
        category = _category_in(bank, wanted["category"]) or _default_category(bank)
        with transaction.atomic():
            question = services.question_create(bank=bank, category=category, values=_fields(wanted), by=self.user)
            if wanted.get("hidden"):
                services.question_set_hidden(question=question, hidden=True, by=self.user)
        data = _question_output(self.organization, question.pk, {"principal": self.principal()})
        return Response(data, status=status.HTTP_201_CREATED)


class QuestionDetailApi(BankApi):
    @extend_schema(
        tags=[TAG],
        summary="Get a question",
        description="With its latest version's content (`latest`), the type's `data` included.",
        responses=with_errors({200: QuestionDetailOutputSerializer}, 401, 403, 404),
    )
    def get(self, request: Request, pk: int) -> Response:
        question = self.readable_question(pk)
        return Response(_question_output(self.organization, question.pk, {"principal": self.principal()}))

    def _save(self, request: Request, pk: int, *, partial: bool) -> Response:
        question = self.managed_question(pk)
        body = self.body(request)
        base = _current(question) if partial else {"qtype": question.qtype}
        serializer = QuestionInputSerializer(data={**base, **body})
        serializer.is_valid(raise_exception=True)
        wanted = serializer.validated_data
        if wanted["qtype"] != question.qtype and question.versions.filter(answers__isnull=False).exists():
            # Attempts hold responses shaped by the old type: regrading them against another type is meaningless.
            raise serializers.ValidationError({"qtype": [TYPE_FIXED]})
        category = _category_in(question.bank, wanted["category"])
        content = {key for key in body if key not in {"category", "hidden"}}
        # All or nothing: a refused move or flag leaves the new version unsaved too.
        with transaction.atomic():
            if content or not partial:
                services.question_update(question=question, values=_fields(wanted), by=self.user)
            if category is not None and category.pk != question.category_id:
                services.question_move(questions=[question], category=category, by=self.user)
            if "hidden" in wanted and wanted["hidden"] != question.hidden:
                services.question_set_hidden(question=question, hidden=wanted["hidden"], by=self.user)
        return Response(_question_output(self.organization, question.pk, {"principal": self.principal()}))

    @extend_schema(
        tags=[TAG],
        summary="Replace a question (a new version)",
        description="Every content field is sent; the new version becomes the latest. Attempts keep theirs. "
        "`category` moves the question, `hidden` hides or shows it.",
        request=QuestionInputSerializer,
        responses=with_errors({200: QuestionDetailOutputSerializer}),
    )
    def put(self, request: Request, pk: int) -> Response:
        return self._save(request, pk, partial=False)

    @extend_schema(
        tags=[TAG],
        summary="Change a question (a new version)",
        description="Fields left out keep the latest version's value. Sending only `category` and/or `hidden` "
        "moves or hides the question without a new version.",
        request=QuestionInputSerializer(partial=True),
        responses=with_errors({200: QuestionDetailOutputSerializer}),
    )
    def patch(self, request: Request, pk: int) -> Response:
        return self._save(request, pk, partial=True)

    @extend_schema(
        tags=[TAG],
        summary="Delete a question",
        description="Only a question nobody answered (400 otherwise: hide it instead). Its versions go with it.",
        responses=with_errors({204: None}),
    )
    def delete(self, request: Request, pk: int) -> Response:
        services.question_delete(question=self.managed_question(pk), by=self.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class QuestionVersionListApi(BankApi):
    @extend_schema(
        tags=[TAG],
        summary="List a question's versions",
        description="Newest first, each with its full content.",
        responses=with_errors({200: VersionOutputSerializer(many=True)}, 401, 403, 404),
    )
    def get(self, request: Request, pk: int) -> Response:
        question = self.readable_question(pk)
        versions = question.versions.order_by("-number")
        return paginated_response(
            request=request, view=self, queryset=versions, serializer_class=VersionOutputSerializer
        )


# --- import and export ----------------------------------------------------------------------------------------------


class ImportInputSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text=f"At most {formats.MAX_FILE_BYTES // (1024 * 1024)} MB.")
    format = serializers.CharField(max_length=40, help_text="gift, aiken, moodlexml, qti2, qti12.")
    category = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Where to import; default: the bank's first top one."
    )
    dry_run = serializers.BooleanField(required=False, default=True, help_text="Only check (the default).")
    valid_only = serializers.BooleanField(
        required=False, default=False, help_text="Import the valid questions even when others have errors."
    )

    def validate_file(self, upload: Any) -> Any:
        # The upload's counted size: refused before it is read.
        if upload.size is None or upload.size > formats.MAX_FILE_BYTES:
            raise serializers.ValidationError(formats.TOO_LARGE.format(limit=formats.MAX_FILE_BYTES // (1024 * 1024)))
        return upload


class PlanQuestionSerializer(serializers.Serializer[Any]):
    index = serializers.IntegerField(help_text="1-based, in file order.")
    name = serializers.CharField()
    qtype = serializers.CharField()
    line = serializers.IntegerField(allow_null=True)
    where = serializers.CharField()
    category = serializers.CharField(help_text="Path below the chosen category.")
    idnumber = serializers.CharField()
    action = serializers.CharField(
        help_text="`create`, or `update` (a new version of the question with this idnumber)."
    )
    valid = serializers.BooleanField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))  # type: ignore[assignment]


class ProblemSerializer(serializers.Serializer[Any]):
    message = serializers.CharField()
    line = serializers.IntegerField(allow_null=True)
    where = serializers.CharField()
    question = serializers.CharField()


class ImportOutputSerializer(serializers.Serializer[Any]):
    dry_run = serializers.BooleanField()
    format = serializers.CharField()
    summary = serializers.CharField()
    problems = ProblemSerializer(many=True)  # type: ignore[assignment]
    questions = PlanQuestionSerializer(many=True)  # type: ignore[assignment]
    valid_count = serializers.IntegerField()
    error_count = serializers.IntegerField()
    created = serializers.ListField(child=serializers.IntegerField(), help_text="Ids of the new questions.")
    updated = serializers.ListField(child=serializers.IntegerField(), help_text="Ids given a new version.")


def _plan_output(plan: imports.ImportPlan, *, dry_run: bool, result: imports.ImportResult | None) -> dict[str, Any]:
    return {
        "dry_run": dry_run,
        "format": plan.format_key,
        "summary": plan.summary,
        "problems": [
            {"message": p.message, "line": p.line, "where": p.where, "question": p.question} for p in plan.problems
        ],
        "questions": [
            {
                "index": row.index,
                "name": row.name,
                "qtype": row.qtype,
                "line": row.line,
                "where": row.where,
                "category": row.category,
                "idnumber": row.idnumber,
                "action": row.action,
                "valid": row.valid,
                "errors": row.errors,
            }
            for row in plan.rows
        ],
        "valid_count": plan.valid_count,
        "error_count": plan.error_count,
        "created": list(result.created_ids) if result else [],
        "updated": list(result.updated_ids) if result else [],
    }


class ImportApi(BankApi):
    parser_classes = [parsers.MultiPartParser, parsers.FormParser]

    @extend_schema(
        tags=[TAG],
        summary="Import questions from a file",
        description="Multipart. `dry_run` true (the default): the plan, nothing saved — every question with its "
        "errors by field, and the file's problems with their line. `dry_run` false: saved in one transaction; with "
        "errors, nothing is saved (400, errors named `questions[i].field` and `file`) unless `valid_only`. A "
        "question whose `idnumber` is already in the bank gets a new version. Audited.",
        request={"multipart/form-data": ImportInputSerializer},
        responses=with_errors({200: ImportOutputSerializer, 201: ImportOutputSerializer}),
    )
    def post(self, request: Request, pk: int) -> Response:
        bank = self.managed_bank(pk)
        serializer = ImportInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        wanted = serializer.validated_data
        category = _category_in(bank, wanted["category"]) or _default_category(bank)
        upload = wanted["file"]
        content = upload.read()
        options = {
            "bank": bank,
            "category": category,
            "fmt": wanted["format"],
            "content": content,
            "filename": str(upload.name or ""),
            "by": self.user,
        }
        if wanted["dry_run"]:
            plan = imports.import_preview(**options)
            return Response(_plan_output(plan, dry_run=True, result=None))
        try:
            result = imports.import_apply(**options, valid_only=wanted["valid_only"])
        except imports.ImportRejected as rejected:
            raise serializers.ValidationError(
                {"non_field_errors": rejected.messages, **imports.plan_errors(rejected.plan)}
            ) from rejected
        return Response(_plan_output(result.plan, dry_run=False, result=result), status=status.HTTP_201_CREATED)


class FormatIsTheQuestionFormat(negotiation.DefaultContentNegotiation):
    """`?format=` names the question format here (moodlexml, qti2), not DRF's renderer: the file is an
    HttpResponse DRF passes on, and errors are JSON."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[Any, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


class ExportFilterSerializer(serializers.Serializer[Any]):
    format = serializers.CharField(max_length=40, help_text="moodlexml, qti2.")
    category = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Default: the bank's first top category."
    )
    subcategories = serializers.BooleanField(required=False, default=True)
    hidden = serializers.BooleanField(required=False, default=False, help_text="Include hidden questions.")


class ExportApi(BankApi):
    renderer_classes = [renderers.JSONRenderer]
    content_negotiation_class = FormatIsTheQuestionFormat

    @extend_schema(
        tags=[TAG],
        summary="Export questions to a file",
        description="The latest versions of the category's questions (and below it, by default). Questions whose "
        "type the format cannot carry are left out; the `X-Questions-Left-Out` header counts them.",
        parameters=[ExportFilterSerializer],
        responses=with_errors(
            {200: OpenApiResponse(OpenApiTypes.BINARY, description="The file in the format's content type.")}
        ),
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        bank = self.readable_bank(pk)
        filters = ExportFilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        wanted = filters.validated_data
        category = _category_in(bank, wanted["category"]) or _default_category(bank)
        exported = exports.export_questions(
            bank=bank,
            category=category,
            fmt=wanted["format"],
            include_subcategories=wanted["subcategories"],
            include_hidden=wanted["hidden"],
            by=self.user,
        )
        response = HttpResponse(exported.content, content_type=exported.content_type)
        response["Content-Disposition"] = content_disposition_header(True, exported.filename) or "attachment"
        response["X-Questions-Left-Out"] = str(len(exported.plan.unsupported))
        response["Cache-Control"] = "no-store"
        return response


urlpatterns = [
    path("banks/", BankListApi.as_view(), name="assessment-banks"),
    path("banks/<int:pk>/", BankDetailApi.as_view(), name="assessment-bank-detail"),
    path("banks/<int:pk>/categories/", CategoryListApi.as_view(), name="assessment-bank-categories"),
    path("banks/<int:pk>/questions/", QuestionListApi.as_view(), name="assessment-bank-questions"),
    path("banks/<int:pk>/import/", ImportApi.as_view(), name="assessment-bank-import"),
    path("banks/<int:pk>/export/", ExportApi.as_view(), name="assessment-bank-export"),
    path("categories/<int:pk>/", CategoryDetailApi.as_view(), name="assessment-category-detail"),
    path("questions/<int:pk>/", QuestionDetailApi.as_view(), name="assessment-question-detail"),
    path("questions/<int:pk>/versions/", QuestionVersionListApi.as_view(), name="assessment-question-versions"),
]
