"""REST API of the gradebook (/api/v1/grades/): a course's gradebook (paginated learners with their grades),
its setup (settings, categories, items), one grade (override or entry, history, release), import and export, the
organisation's letter scales, and a learner's own grades. See docs/api_grades.md.

Who: the course team (`policy.can_view` / `can_grade`) reads and grades; `policy.can_setup` (course.edit) changes
the setup; `policy.can_manage_scales` (org.manage) the letter scales; a learner of the course reads their own
released grades. A course, item, category or scale of another organisation — or one that does not exist — is not
found (404); anyone else is refused (403). The services validate, so pages and API refuse with the same words.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from syllabus.access.endpoints import OrganizationEndpoint
from syllabus.access.policy import NOT_ALLOWED, Principal
from syllabus.accounts.models import OrgUnit, User
from syllabus.catalog.models import Course
from syllabus.core.api import Pagination, with_errors
from syllabus.grades import policy, selectors, services
from syllabus.grades.models import Grade, GradebookSettings, GradeCategory, GradeItem, ItemSource, LetterScale

TAG = "Gradebook"
BODY_NOT_OBJECT = "Send a JSON object."
UNKNOWN_UNIT = "No org unit of the organisation has this id."
NOT_A_NUMBER = "Give a whole number."
FORMAT_INVALID = "Choose csv or xlsx."
FILE_REQUIRED = "Attach the file as `file`."
USER_NOT_FOUND = "Nobody enrolled in this course has this id."

Check = Callable[[Principal, Course], bool]


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else f"{value.normalize():f}"


# --- serializers (the shapes; values are built as dicts) ---------------------------------------------------------


class GradebookSettingsSerializer(serializers.Serializer[Any]):
    display = serializers.ChoiceField(choices=["percent", "points", "letter"])
    letter_scale = serializers.IntegerField(allow_null=True, help_text="A letter scale id (null: the default).")
    pass_mark = serializers.CharField(allow_null=True, help_text='Percent as a string ("50"), or null.')
    only_graded = serializers.BooleanField(help_text="Leave ungraded items out of the total (else they count 0).")
    show_total_to_learners = serializers.BooleanField()


class GradebookSettingsInputSerializer(serializers.Serializer[Any]):
    display = serializers.CharField(required=False)
    letter_scale = serializers.IntegerField(required=False, allow_null=True)
    pass_mark = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    only_graded = serializers.BooleanField(required=False)
    show_total_to_learners = serializers.BooleanField(required=False)


class GradebookCategorySerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    weight = serializers.CharField()
    drop_lowest = serializers.IntegerField()
    position = serializers.IntegerField()


class GradebookCategoryInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    weight = serializers.CharField(required=False, max_length=30)
    drop_lowest = serializers.IntegerField(required=False)
    position = serializers.IntegerField(required=False)


class GradebookItemSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    # Text, not a choice: "source" names other choice sets elsewhere in the API (the schema's enum names would clash).
    source = serializers.CharField(help_text='"activity" (a graded activity) or "manual" (offline work).')  # type: ignore[assignment]
    kind = serializers.CharField(help_text='The activity\'s kind ("quiz", "assignment"); "" for a manual item.')
    activity_uid = serializers.UUIDField(allow_null=True)
    category = serializers.IntegerField(allow_null=True)
    max_points = serializers.CharField()
    weight = serializers.CharField()
    position = serializers.IntegerField()
    hidden = serializers.BooleanField()
    excluded = serializers.BooleanField()
    retired = serializers.BooleanField(help_text="The activity left the course: grades kept, not counted.")


class GradebookItemInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    max_points = serializers.CharField(required=False, max_length=30)
    weight = serializers.CharField(required=False, max_length=30)
    category = serializers.IntegerField(required=False, allow_null=True)
    hidden = serializers.BooleanField(required=False)
    excluded = serializers.BooleanField(required=False)
    position = serializers.IntegerField(required=False)


class GradebookReorderInputSerializer(serializers.Serializer[Any]):
    item_ids = serializers.ListField(child=serializers.IntegerField(), max_length=5000)


class GradebookPersonSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(help_text="The person's user id.")
    name = serializers.CharField()
    email = serializers.EmailField()


class GradebookCellSerializer(serializers.Serializer[Any]):
    final = serializers.CharField(allow_null=True, help_text="Percent; null: not graded.")
    overridden = serializers.BooleanField()
    hidden = serializers.BooleanField(help_text="Hidden from the learner until released.")


class GradebookTotalSerializer(serializers.Serializer[Any]):
    percent = serializers.CharField(allow_null=True)
    points = serializers.CharField(allow_null=True)
    max_points = serializers.CharField(allow_null=True)
    passed = serializers.BooleanField(allow_null=True)


class GradebookRowSerializer(serializers.Serializer[Any]):
    person = GradebookPersonSerializer()
    status = serializers.CharField(help_text="The enrollment's status.")
    grades = serializers.DictField(
        child=GradebookCellSerializer(), help_text="Item id -> grade (items without one left out)."
    )
    total = GradebookTotalSerializer()


class GradebookSerializer(serializers.Serializer[Any]):
    settings = GradebookSettingsSerializer()
    categories = GradebookCategorySerializer(many=True)
    items = GradebookItemSerializer(many=True)
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = GradebookRowSerializer(many=True)


class GradebookGradeInputSerializer(serializers.Serializer[Any]):
    percent = serializers.CharField(
        allow_null=True, allow_blank=True, max_length=30, help_text='0..100 as a string ("85.5"); null clears.'
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=5000, help_text="Required to override."
    )
    feedback = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=20000, help_text="Manual items only."
    )


class GradebookChangeSerializer(serializers.Serializer[Any]):
    at = serializers.DateTimeField()
    source = serializers.CharField(help_text="activity, entered, override, import or release.")  # type: ignore[assignment]
    old_final = serializers.CharField(allow_null=True)
    new_final = serializers.CharField(allow_null=True)
    old_override = serializers.CharField(allow_null=True)
    new_override = serializers.CharField(allow_null=True)
    reason = serializers.CharField()
    by = GradebookPersonSerializer(allow_null=True)


class GradebookGradeSerializer(serializers.Serializer[Any]):
    item = serializers.IntegerField()
    person = GradebookPersonSerializer()
    raw = serializers.CharField(allow_null=True, help_text="What the activity reported (or the entry).")
    override = serializers.CharField(allow_null=True)
    override_reason = serializers.CharField()
    final = serializers.CharField(allow_null=True)
    feedback = serializers.CharField()
    hidden = serializers.BooleanField()
    history = GradebookChangeSerializer(many=True)


class GradebookVisibilityInputSerializer(serializers.Serializer[Any]):
    user_ids = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=10000)
    hidden = serializers.BooleanField()


class GradebookVisibilitySerializer(serializers.Serializer[Any]):
    changed = serializers.IntegerField()


class GradebookImportInputSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="CSV or XLSX (see docs/api_grades.md).")
    dry_run = serializers.BooleanField(default=True)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class GradebookImportChangeSerializer(serializers.Serializer[Any]):
    line = serializers.IntegerField()
    person = serializers.CharField()
    user_id = serializers.IntegerField()
    item = serializers.IntegerField()
    item_name = serializers.CharField()
    old = serializers.CharField(allow_null=True)
    new = serializers.CharField()
    action = serializers.ChoiceField(choices=["enter", "override"])


class GradebookImportErrorSerializer(serializers.Serializer[Any]):
    line = serializers.IntegerField(help_text="0: the file as a whole.")
    column = serializers.CharField()
    message = serializers.CharField(help_text="With its place: \"line 4, column 'Essay 2': 120 is above 100\".")


class GradebookImportSerializer(serializers.Serializer[Any]):
    applied = serializers.BooleanField()
    changes = GradebookImportChangeSerializer(many=True)
    errors = GradebookImportErrorSerializer(many=True)  # type: ignore[assignment]


class GradebookBandSerializer(serializers.Serializer[Any]):
    letter = serializers.CharField()
    min = serializers.CharField()


class GradebookScaleSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    bands = GradebookBandSerializer(many=True)
    is_default = serializers.BooleanField()


class GradebookScaleInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    bands = serializers.JSONField(required=False)
    is_default = serializers.BooleanField(required=False)


class GradebookOwnGradeSerializer(serializers.Serializer[Any]):
    item = serializers.IntegerField()
    name = serializers.CharField()
    category = serializers.CharField(allow_null=True)
    max_points = serializers.CharField()
    percent = serializers.CharField(allow_null=True, help_text="Null: not graded or not released.")
    feedback = serializers.CharField()


class GradebookOwnSerializer(serializers.Serializer[Any]):
    display = serializers.CharField()
    grades = GradebookOwnGradeSerializer(many=True)
    total = serializers.CharField(allow_null=True, help_text="Null when the course does not show it, or none yet.")
    passed = serializers.BooleanField(allow_null=True)


# --- values -----------------------------------------------------------------------------------------------------


def _settings(gradebook: GradebookSettings) -> dict[str, Any]:
    return {
        "display": gradebook.display,
        "letter_scale": gradebook.letter_scale_id,
        "pass_mark": _decimal(gradebook.pass_mark),
        "only_graded": gradebook.only_graded,
        "show_total_to_learners": gradebook.show_total_to_learners,
    }


def _category(category: GradeCategory) -> dict[str, Any]:
    return {
        "id": category.pk,
        "name": category.name,
        "weight": _decimal(category.weight),
        "drop_lowest": category.drop_lowest,
        "position": category.position,
    }


def _item(item: GradeItem) -> dict[str, Any]:
    return {
        "id": item.pk,
        "name": item.name,
        "source": item.source,
        "kind": item.kind,
        "activity_uid": item.activity_uid,
        "category": item.category_id,
        "max_points": _decimal(item.max_points),
        "weight": _decimal(item.weight),
        "position": item.position,
        "hidden": item.hidden,
        "excluded": item.excluded,
        "retired": item.retired,
    }


def _person(user: User | None) -> dict[str, Any] | None:
    return None if user is None else {"id": user.pk, "name": user.display_name, "email": user.email}


def _grade(grade: Grade, user: User) -> dict[str, Any]:
    changes = grade.changes.select_related("by").order_by("at", "pk") if grade.pk else []
    return {
        "item": grade.item_id,
        "person": _person(user),
        "raw": _decimal(grade.raw),
        "override": _decimal(grade.override),
        "override_reason": grade.override_reason,
        "final": _decimal(grade.final),
        "feedback": grade.feedback,
        "hidden": grade.hidden,
        "history": [
            {
                "at": change.at,
                "source": change.source,
                "old_final": _decimal(change.old_final),
                "new_final": _decimal(change.new_final),
                "old_override": _decimal(change.old_override),
                "new_override": _decimal(change.new_override),
                "reason": change.reason,
                "by": _person(change.by),
            }
            for change in changes
        ],
    }


def _scale(scale: LetterScale) -> dict[str, Any]:
    return {"id": scale.pk, "name": scale.name, "bands": scale.bands, "is_default": scale.is_default}


def _int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    if not str(raw).isdigit() or len(str(raw)) > 18:
        raise serializers.ValidationError({name: [NOT_A_NUMBER]})
    return int(str(raw))


# --- endpoints ----------------------------------------------------------------------------------------------------


class GradesApi(OrganizationEndpoint):
    def course(self, course_id: int, check: Check) -> Course:
        course = selectors.course_get(organization=self.organization, pk=course_id)
        if course is None:
            raise Http404
        if not check(self.principal(), course):
            raise PermissionDenied(NOT_ALLOWED)
        return course

    def item(self, course: Course, item_id: int) -> GradeItem:
        item = GradeItem.objects.filter(course=course, pk=item_id).select_related("course__organization").first()
        if item is None:
            raise Http404
        return item

    def category(self, course: Course, category_id: int) -> GradeCategory:
        category = GradeCategory.objects.filter(course=course, pk=category_id).select_related("course").first()
        if category is None:
            raise Http404
        return category

    def body(self, request: Request) -> Mapping[str, Any]:
        if not isinstance(request.data, Mapping):
            raise serializers.ValidationError({"non_field_errors": [BODY_NOT_OBJECT]})
        return request.data

    def valid(self, serializer_class: type[serializers.Serializer[Any]], request: Request) -> dict[str, Any]:
        serializer = serializer_class(data=self.body(request))
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def filters(self, request: Request) -> selectors.Filters:
        unit = None
        unit_id = _int_param(request, "unit")
        if unit_id is not None:
            unit = OrgUnit.objects.filter(organization=self.organization, pk=unit_id).first()
            if unit is None:
                raise serializers.ValidationError({"unit": [UNKNOWN_UNIT]})
        return selectors.Filters(
            unit=unit,
            group_id=_int_param(request, "group"),
            status=str(request.query_params.get("status", ""))[:20],
            search=str(request.query_params.get("search", ""))[:100],
            sort=str(request.query_params.get("sort", "name"))[:10],
        )


FILTERS = [
    OpenApiParameter("unit", int, required=False, description="Only people of this org unit (and below)."),
    OpenApiParameter("group", int, required=False, description="Only members of this course group."),
    OpenApiParameter(
        "status",
        str,
        required=False,
        description="An enrollment status (active, completed, withdrawn, renewed), or passed, failed, partial (a "
        "total but no result yet: an item still waits for its grade), ungraded. Default: active and completed.",
    ),
    OpenApiParameter("search", str, required=False, description="Part of a name or email."),
    OpenApiParameter("sort", str, enum=["name", "-name", "total", "-total"], required=False),
]


class GradebookApi(GradesApi):
    @extend_schema(
        tags=[TAG],
        summary="A course's gradebook",
        description="The course team. Settings, categories and items, and a page of learners with their grades "
        "(item id -> grade) and course total. Items follow the published version (synced when it changed).",
        parameters=[*FILTERS, OpenApiParameter("page", int, required=False), OpenApiParameter("page_size", int)],
        responses=with_errors({200: GradebookSerializer}, 400, 401, 403, 404),
    )
    def get(self, request: Request, course_id: int) -> Response:
        course = self.course(course_id, policy.can_view)
        services.items_sync_if_stale(course=course)
        gradebook = services.settings_for(course)
        items = list(GradeItem.objects.filter(course=course).order_by("position", "pk"))
        categories = list(GradeCategory.objects.filter(course=course).order_by("position", "pk"))
        people = selectors.people(course=course, filters=self.filters(request)).select_related("membership__user")
        paginator = Pagination()
        page = paginator.paginate_queryset(people, request, view=self) or []
        user_ids = [enrollment.membership.user_id for enrollment in page]
        cells: dict[int, dict[str, dict[str, Any]]] = {uid: {} for uid in user_ids}
        for user_id, item_id, final, override, hidden in Grade.objects.filter(
            item__course=course, user_id__in=user_ids
        ).values_list("user_id", "item_id", "final", "override", "hidden"):
            cells[user_id][str(item_id)] = {
                "final": _decimal(final),
                "overridden": override is not None,
                "hidden": hidden,
            }
        rows = [
            {
                "person": _person(enrollment.membership.user),
                "status": enrollment.status,
                "grades": cells[enrollment.membership.user_id],
                "total": {
                    "percent": _decimal(enrollment.total_percent),  # type: ignore[attr-defined]
                    "points": _decimal(enrollment.total_points),  # type: ignore[attr-defined]
                    "max_points": None,
                    "passed": enrollment.total_passed,  # type: ignore[attr-defined]
                },
            }
            for enrollment in page
        ]
        paged = paginator.get_paginated_response(rows).data
        return Response(
            {
                "settings": _settings(gradebook),
                "categories": [_category(c) for c in categories],
                "items": [_item(i) for i in items],
                **paged,
            }
        )


class SettingsApi(GradesApi):
    @extend_schema(
        tags=[TAG],
        summary="Change the gradebook's settings",
        description="`course.edit`. Any of display, letter_scale, pass_mark, only_graded, show_total_to_learners. "
        "Totals are recomputed in the background when they may change. Audited.",
        request=GradebookSettingsInputSerializer,
        responses=with_errors({200: GradebookSettingsSerializer}, 400, 401, 403, 404),
    )
    def patch(self, request: Request, course_id: int) -> Response:
        course = self.course(course_id, policy.can_setup)
        data = self.valid(GradebookSettingsInputSerializer, request)
        gradebook = services.settings_update(by=self.user, course=course, **data)
        return Response(_settings(gradebook))


class CategoriesApi(GradesApi):
    @extend_schema(
        tags=[TAG],
        summary="A course's grade categories",
        responses=with_errors({200: GradebookCategorySerializer(many=True)}, 401, 403, 404),
    )
    def get(self, request: Request, course_id: int) -> Response:
        course = self.course(course_id, policy.can_view)
        categories = GradeCategory.objects.filter(course=course).order_by("position", "pk")
        return Response([_category(c) for c in categories])

    @extend_schema(
        tags=[TAG],
        summary="Add a grade category",
        description="`course.edit`. name (unique in the course), weight (default 1), drop_lowest. Audited.",
        request=GradebookCategoryInputSerializer,
        responses=with_errors({201: GradebookCategorySerializer}, 400, 401, 403, 404),
    )
    def post(self, request: Request, course_id: int) -> Response:
        course = self.course(course_id, policy.can_setup)
        data = self.valid(GradebookCategoryInputSerializer, request)
        data.pop("position", None)
        category = services.category_create(by=self.user, course=course, name=data.pop("name", ""), **data)
        return Response(_category(category), status=status.HTTP_201_CREATED)


class CategoryApi(GradesApi):
    @extend_schema(
        tags=[TAG],
        summary="Change a grade category",
        request=GradebookCategoryInputSerializer,
        responses=with_errors({200: GradebookCategorySerializer}, 400, 401, 403, 404),
    )
    def patch(self, request: Request, course_id: int, category_id: int) -> Response:
        course = self.course(course_id, policy.can_setup)
        category = self.category(course, category_id)
        data = self.valid(GradebookCategoryInputSerializer, request)
        return Response(_category(services.category_update(by=self.user, category=category, **data)))

    @extend_schema(
        tags=[TAG],
        summary="Delete a grade category",
        description="Its items become uncategorised and keep their grades. Audited.",
        responses=with_errors({204: None}, 401, 403, 404),
    )
    def delete(self, request: Request, course_id: int, category_id: int) -> Response:
        course = self.course(course_id, policy.can_setup)
        services.category_delete(by=self.user, category=self.category(course, category_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ItemsApi(GradesApi):
    @extend_schema(
        tags=[TAG],
        summary="A course's grade items",
        responses=with_errors({200: GradebookItemSerializer(many=True)}, 401, 403, 404),
    )
    def get(self, request: Request, course_id: int) -> Response:
        course = self.course(course_id, policy.can_view)
        services.items_sync_if_stale(course=course)
        return Response([_item(i) for i in GradeItem.objects.filter(course=course).order_by("position", "pk")])

    @extend_schema(
        tags=[TAG],
        summary="Add a manual grade item",
        description="`course.edit`. Offline work graded by the team: name, max_points (default 100), weight, "
        "category. Placed last. Audited.",
        request=GradebookItemInputSerializer,
        responses=with_errors({201: GradebookItemSerializer}, 400, 401, 403, 404),
    )
    def post(self, request: Request, course_id: int) -> Response:
        course = self.course(course_id, policy.can_setup)
        data = self.valid(GradebookItemInputSerializer, request)
        extra = {key: data[key] for key in ("max_points", "weight", "category") if key in data}
        item = services.item_create(by=self.user, course=course, name=data.get("name", ""), **extra)
        rest = {key: data[key] for key in ("hidden", "excluded") if key in data}
        if rest:
            item = services.item_update(by=self.user, item=item, **rest)
        return Response(_item(item), status=status.HTTP_201_CREATED)


class ItemApi(GradesApi):
    @extend_schema(
        tags=[TAG],
        summary="Change a grade item",
        description="`course.edit`. name and max_points of manual items only (an activity's follow it); weight, "
        "category, hidden, excluded, position of any. Audited.",
        request=GradebookItemInputSerializer,
        responses=with_errors({200: GradebookItemSerializer}, 400, 401, 403, 404),
    )
    def patch(self, request: Request, course_id: int, item_id: int) -> Response:
        course = self.course(course_id, policy.can_setup)
        item = self.item(course, item_id)
        data = self.valid(GradebookItemInputSerializer, request)
        return Response(_item(services.item_update(by=self.user, item=item, **data)))

    @extend_schema(
        tags=[TAG],
        summary="Delete a manual grade item",
        description="Manual items only, with their grades. Audited.",
        responses=with_errors({204: None}, 400, 401, 403, 404),
    )
    def delete(self, request: Request, course_id: int, item_id: int) -> Response:
        course = self.course(course_id, policy.can_setup)
        services.item_delete(by=self.user, item=self.item(course, item_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ItemsOrderApi(GradesApi):
    @extend_schema(
        tags=[TAG],
        summary="Reorder a course's grade items",
        description="`course.edit`. Every item id of the course, each once, in the new order.",
        request=GradebookReorderInputSerializer,
        responses=with_errors({200: GradebookItemSerializer(many=True)}, 400, 401, 403, 404),
    )
    def post(self, request: Request, course_id: int) -> Response:
        course = self.course(course_id, policy.can_setup)
        data = self.valid(GradebookReorderInputSerializer, request)
        services.items_reorder(by=self.user, course=course, item_ids=data["item_ids"])
        return Response([_item(i) for i in GradeItem.objects.filter(course=course).order_by("position", "pk")])


class GradeApi(GradesApi):
    def person(self, course: Course, user_id: int) -> User:
        from syllabus.enrollment.models import Enrollment

        user = User.objects.filter(pk=user_id).first()
        if user is None or not Enrollment.objects.filter(course=course, membership__user=user).exists():
            raise Http404
        return user

    @extend_schema(
        tags=[TAG],
        summary="One grade and its history",
        description="The course team. What the activity reported, the override and its reason, the feedback, "
        "whether it is hidden, and every change (append-only).",
        responses=with_errors({200: GradebookGradeSerializer}, 401, 403, 404),
    )
    def get(self, request: Request, course_id: int, item_id: int, user_id: int) -> Response:
        course = self.course(course_id, policy.can_view)
        item = self.item(course, item_id)
        user = self.person(course, user_id)
        grade = Grade.objects.filter(item=item, user=user).first() or Grade(item=item, user=user)
        return Response(_grade(grade, user))

    @extend_schema(
        tags=[TAG],
        summary="Override or enter a grade",
        description="The course team. On an activity's item, `percent` overrides the grade (a `reason` is "
        "required; null clears the override). On a manual item, `percent` is the grade (null clears) with "
        "optional `feedback`. Audited; the history keeps every change.",
        request=GradebookGradeInputSerializer,
        responses=with_errors({200: GradebookGradeSerializer}, 400, 401, 403, 404),
    )
    def put(self, request: Request, course_id: int, item_id: int, user_id: int) -> Response:
        course = self.course(course_id, policy.can_grade)
        item = self.item(course, item_id)
        user = self.person(course, user_id)
        data = self.valid(GradebookGradeInputSerializer, request)
        percent = data["percent"] if data["percent"] not in ("", None) else None
        if item.source == ItemSource.MANUAL:
            grade = services.grade_enter(by=self.user, item=item, user=user, percent=percent, feedback=data["feedback"])
        else:
            grade = services.grade_override(by=self.user, item=item, user=user, percent=percent, reason=data["reason"])
        return Response(_grade(grade, user))


class VisibilityApi(GradesApi):
    @extend_schema(
        tags=[TAG],
        summary="Hide or release grades of an item",
        description="The course team. Hides (or releases) these people's grades of the item from them; a grade "
        "not given yet stays hidden when it comes. One audit record.",
        request=GradebookVisibilityInputSerializer,
        responses=with_errors({200: GradebookVisibilitySerializer}, 400, 401, 403, 404),
    )
    def post(self, request: Request, course_id: int, item_id: int) -> Response:
        course = self.course(course_id, policy.can_grade)
        item = self.item(course, item_id)
        data = self.valid(GradebookVisibilityInputSerializer, request)
        changed = services.grades_hide(by=self.user, item=item, user_ids=data["user_ids"], hidden=data["hidden"])
        return Response({"changed": changed})


class ImportApi(GradesApi):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        tags=[TAG],
        summary="Import offline grades",
        description="The course team. A CSV or XLSX file (multipart `file`): a column of emails or employee ids, "
        "a column per item (its name or `#id`), values as percentages or points (17/20). `dry_run` (default "
        "true) lists the changes and every error with its line and column; otherwise the file is applied all or "
        "nothing (400 with the errors). Audited with one summary.",
        request={"multipart/form-data": GradebookImportInputSerializer},
        responses=with_errors({200: GradebookImportSerializer}, 400, 401, 403, 404),
    )
    def post(self, request: Request, course_id: int) -> Response:
        course = self.course(course_id, policy.can_grade)
        serializer = GradebookImportInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data["dry_run"]:
            preview = services.import_preview(course=course, upload=data["file"])
            applied = False
        else:
            preview = services.import_apply(
                by=self.user, course=course, upload=data["file"], reason=data["reason"]
            ).preview
            applied = True
        return Response(
            {
                "applied": applied,
                "changes": [
                    {
                        "line": c.line,
                        "person": c.person,
                        "user_id": c.user_id,
                        "item": c.item_id,
                        "item_name": c.item_name,
                        "old": _decimal(c.old),
                        "new": _decimal(c.new),
                        "action": c.action,
                    }
                    for c in preview.rows
                ],
                "errors": [{"line": e.line, "column": e.column, "message": str(e)} for e in preview.errors],
            }
        )


class _AnyFormat(DefaultContentNegotiation):
    """`?format=csv|xlsx` chooses the file, not a DRF renderer."""

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        return renderers[0], renderers[0].media_type


class ExportApi(GradesApi):
    content_negotiation_class = _AnyFormat

    @extend_schema(
        tags=[TAG],
        summary="Export the gradebook",
        description="The course team. CSV (streamed) or XLSX: name, email, employee id, org unit, each item's "
        "grade as the gradebook shows it, course total; the same filters as the gradebook.",
        parameters=[*FILTERS, OpenApiParameter("format", str, enum=["csv", "xlsx"], required=False)],
        responses=with_errors(
            {200: OpenApiResponse(OpenApiTypes.BINARY, description="text/csv or an XLSX workbook")}, 400, 401, 403, 404
        ),
    )
    def get(self, request: Request, course_id: int) -> HttpResponse | StreamingHttpResponse:
        course = self.course(course_id, policy.can_view)
        kind = request.query_params.get("format", "csv")
        if kind not in ("csv", "xlsx"):
            raise serializers.ValidationError({"format": [FORMAT_INVALID]})
        services.items_sync_if_stale(course=course)
        people = selectors.people(course=course, filters=self.filters(request))
        name = f"gradebook-{course.pk}"
        if kind == "csv":
            response: HttpResponse | StreamingHttpResponse = StreamingHttpResponse(
                services.export_csv(course=course, rows_query=people), content_type="text/csv; charset=utf-8"
            )
        else:
            response = HttpResponse(
                services.export_xlsx(course=course, rows_query=people),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        response["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
        return response


class OwnGradesApi(GradesApi):
    @extend_schema(
        tags=[TAG],
        summary="My grades in a course",
        description="A learner of the course: the items not hidden, with their released grades and feedback, and "
        "the course total as learners see it (when the course shows it).",
        responses=with_errors({200: GradebookOwnSerializer}, 401, 403, 404),
    )
    def get(self, request: Request, course_id: int) -> Response:
        course = self.course(course_id, policy.can_see_own)
        gradebook = services.settings_for(course)
        items = list(
            GradeItem.objects.filter(course=course, hidden=False, retired=False)
            .select_related("category")
            .order_by("position", "pk")
        )
        grades = {g.item_id: g for g in Grade.objects.filter(item__in=items, user=self.user)}
        rows = []
        for item in items:
            grade = grades.get(item.pk)
            shown = grade is not None and not grade.hidden
            rows.append(
                {
                    "item": item.pk,
                    "name": item.name,
                    "category": item.category.name if item.category else None,
                    "max_points": _decimal(item.max_points),
                    "percent": _decimal(grade.final) if shown and grade else None,
                    "feedback": grade.feedback if shown and grade else "",
                }
            )
        total = services.course_total_for(course=course, user_id=self.user.pk)
        # The learner's view: hidden items and grades left out (never the team's total when they see nothing).
        learner = total.learner_total
        show = gradebook.show_total_to_learners and learner is not None
        # Passed or not only when decided (every counted item graded) and on what the learner sees, as on the page.
        passed = total.passed if show and learner == total.percent else None
        return Response(
            {
                "display": gradebook.display,
                "grades": rows,
                "total": _decimal(learner) if show else None,
                "passed": passed,
            }
        )


class ScalesApi(GradesApi):
    @extend_schema(
        tags=[TAG],
        summary="The organisation's letter scales",
        description="Any member reads them (letters and their minimums are shown beside grades anyway); "
        "`org.manage` changes them.",
        responses=with_errors({200: GradebookScaleSerializer(many=True)}, 401, 403),
    )
    def get(self, request: Request) -> Response:
        if not self.principal().is_member:
            raise PermissionDenied(NOT_ALLOWED)
        return Response([_scale(s) for s in LetterScale.objects.filter(organization=self.organization)])

    @extend_schema(
        tags=[TAG],
        summary="Add a letter scale",
        description="`org.manage`. bands: [{letter, min}] from the highest minimum down to 0. Audited.",
        request=GradebookScaleInputSerializer,
        responses=with_errors({201: GradebookScaleSerializer}, 400, 401, 403),
    )
    def post(self, request: Request) -> Response:
        data = self.valid(GradebookScaleInputSerializer, request)
        scale = services.letter_scale_create(
            by=self.user,
            organization=self.organization,
            name=data.get("name", ""),
            bands=data.get("bands"),
            is_default=data.get("is_default", False),
        )
        return Response(_scale(scale), status=status.HTTP_201_CREATED)


class ScaleApi(GradesApi):
    def scale(self, scale_id: int) -> LetterScale:
        scale = LetterScale.objects.filter(organization=self.organization, pk=scale_id).first()
        if scale is None:
            raise Http404
        return scale

    @extend_schema(
        tags=[TAG],
        summary="Change a letter scale",
        request=GradebookScaleInputSerializer,
        responses=with_errors({200: GradebookScaleSerializer}, 400, 401, 403, 404),
    )
    def patch(self, request: Request, scale_id: int) -> Response:
        scale = self.scale(scale_id)
        data = self.valid(GradebookScaleInputSerializer, request)
        return Response(_scale(services.letter_scale_update(by=self.user, scale=scale, **data)))

    @extend_schema(
        tags=[TAG],
        summary="Delete a letter scale",
        description="Gradebooks using it fall back to the organisation's default. Audited.",
        responses=with_errors({204: None}, 401, 403, 404),
    )
    def delete(self, request: Request, scale_id: int) -> Response:
        services.letter_scale_delete(by=self.user, scale=self.scale(scale_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("courses/<int:course_id>/", GradebookApi.as_view(), name="grades-gradebook"),
    path("courses/<int:course_id>/settings/", SettingsApi.as_view(), name="grades-settings"),
    path("courses/<int:course_id>/categories/", CategoriesApi.as_view(), name="grades-categories"),
    path("courses/<int:course_id>/categories/<int:category_id>/", CategoryApi.as_view(), name="grades-category"),
    path("courses/<int:course_id>/items/", ItemsApi.as_view(), name="grades-items"),
    path("courses/<int:course_id>/items/order/", ItemsOrderApi.as_view(), name="grades-items-order"),
    path("courses/<int:course_id>/items/<int:item_id>/", ItemApi.as_view(), name="grades-item"),
    path(
        "courses/<int:course_id>/items/<int:item_id>/visibility/",
        VisibilityApi.as_view(),
        name="grades-item-visibility",
    ),
    path(
        "courses/<int:course_id>/items/<int:item_id>/grades/<int:user_id>/",
        GradeApi.as_view(),
        name="grades-grade",
    ),
    path("courses/<int:course_id>/import/", ImportApi.as_view(), name="grades-import"),
    path("courses/<int:course_id>/export/", ExportApi.as_view(), name="grades-export"),
    path("courses/<int:course_id>/mine/", OwnGradesApi.as_view(), name="grades-mine"),
    path("scales/", ScalesApi.as_view(), name="grades-scales"),
    path("scales/<int:scale_id>/", ScaleApi.as_view(), name="grades-scale"),
]
