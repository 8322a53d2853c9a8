"""REST API of the learners' catalog and of its reference data (under /api/v1/): the catalog with full-text search
and filters, one course's published page, categories, tags, the catalog settings and the activity kinds.

Learners read only published versions: the catalog lists `CatalogEntry` rows (the searchable copy of each listed
course's live version) visible to the caller, and a course page is built from the live version's snapshot, never
from the draft. A course one may not learn from is not found (404), whatever the reason.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from syllabus.catalog import course_access, selectors, services
from syllabus.catalog import selectors_browse as browse
from syllabus.catalog.activity_kinds import base as kinds
from syllabus.catalog.api import TAG_CATALOG, CatalogApi, CatalogRefSerializer, asset_url
from syllabus.catalog.models import CatalogEntry, CatalogSettings, Category, Level, Tag
from syllabus.core.api import Pagination, TenantPrimaryKeyField, paginated_response, with_errors
from syllabus.skills.models import Skill

CATALOG_MANAGE = "catalog.manage"
# What an API client needs of a kind's form fields (not the pre-rendered widgets or current values of the HTML form).
FIELD_KEYS = frozenset({"name", "label", "type", "help", "required", "choices", "accept"})


# --- the learners' catalog ----------------------------------------------------------------------------------------


class CatalogFilterSerializer(serializers.Serializer[Any]):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Words to find (title, summary, description, page text, tags; stemmed, the last word as a "
        "prefix). Results come best first, with a `rank`.",
    )
    category = TenantPrimaryKeyField(queryset=Category.objects.all(), required=False, help_text="A category id.")
    skill = TenantPrimaryKeyField(
        queryset=Skill.objects.all(), required=False, help_text="A skill id: courses about it or any skill below it."
    )
    language = serializers.CharField(required=False, max_length=16, help_text="A language code, e.g. en.")
    level = serializers.ChoiceField(choices=Level.choices, required=False)
    duration = serializers.ChoiceField(
        choices=list(browse.DURATION_BANDS),
        required=False,
        help_text="A band of estimated duration: short (under 15 minutes), medium (15-60), long (61-180), "
        "extended (over 3 hours).",
    )
    duration_min = serializers.IntegerField(required=False, min_value=0, help_text="Minutes, at least.")
    duration_max = serializers.IntegerField(required=False, min_value=0, help_text="Minutes, at most.")
    sort = serializers.ChoiceField(
        choices=list(browse.SORTS),
        required=False,
        help_text="Default: relevance while searching (`q`), title otherwise.",
    )


class CatalogEntrySerializer(serializers.Serializer[CatalogEntry]):
    id = serializers.IntegerField(source="course_id", help_text="The course id (for `/catalog/{id}/`).")
    title = serializers.CharField()
    summary = serializers.CharField()
    category = CatalogRefSerializer(allow_null=True)
    tags = serializers.SerializerMethodField()
    skills = CatalogRefSerializer(many=True, source="skills.all")
    language = serializers.CharField()
    level = serializers.CharField()
    duration_minutes = serializers.IntegerField()
    version = serializers.CharField(source="version.label", help_text="The live version's label.")
    published_at = serializers.DateTimeField()
    cover_url = serializers.SerializerMethodField()
    rank = serializers.FloatField(default=0.0, help_text="Relevance to `q` (higher is better; 0 without `q`).")

    def get_tags(self, entry: CatalogEntry) -> list[str]:
        return [tag.strip() for tag in entry.tags.split(",") if tag.strip()]

    def get_cover_url(self, entry: CatalogEntry) -> str | None:
        return asset_url(self.context.get("covers", {}).get(entry.pk), entry.course_id)


class CatalogListApi(CatalogApi):
    @extend_schema(
        operation_id="catalog_list",
        tags=[TAG_CATALOG],
        summary="The course catalog",
        description="Published courses you may take: shown to the whole organisation or to an audience you are "
        "in. Filters combine with AND; with `q`, the best matches come first.",
        parameters=[CatalogFilterSerializer],
        responses=with_errors({200: CatalogEntrySerializer(many=True)}, 400, 401, 403),
    )
    def get(self, request: Request) -> Response:
        serializer = CatalogFilterSerializer(data=request.query_params, context=self.serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        filters = browse.CatalogFilters(
            q=data.get("q", ""),
            category_id=data["category"].pk if data.get("category") else None,
            skill_id=data["skill"].pk if data.get("skill") else None,
            language=data.get("language", ""),
            level=data.get("level", ""),
            duration=data.get("duration", ""),
            sort=data.get("sort", ""),
        )
        entries = browse.catalog_entries(organization=self.organization, principal=self.principal(), filters=filters)
        # Exact bounds for API clients, beside the page's bands (a filter keeps the order search gave).
        if data.get("duration_min") is not None:
            entries = entries.filter(duration_minutes__gte=data["duration_min"])
        if data.get("duration_max") is not None:
            entries = entries.filter(duration_minutes__lte=data["duration_max"])
        paginator = Pagination()
        # The version for its label only: never its snapshot (large), nor the entry's search document.
        entries = entries.select_related("version").defer("document", "version__snapshot")
        page = paginator.paginate_queryset(entries, request, view=self)  # type: ignore[arg-type]
        context = {"covers": browse.cover_asset_ids(page or [])}
        results = CatalogEntrySerializer(page, many=True, context=context).data  # type: ignore[arg-type]
        return paginator.get_paginated_response(results)


class CoursePageActivitySerializer(serializers.Serializer[Any]):
    uid = serializers.CharField()
    kind = serializers.CharField()
    title = serializers.CharField()
    is_required = serializers.BooleanField(default=True)
    duration_minutes = serializers.IntegerField(default=0)


class CoursePageSectionSerializer(serializers.Serializer[Any]):
    uid = serializers.CharField()
    title = serializers.CharField()
    summary = serializers.CharField(default="")
    activities = CoursePageActivitySerializer(many=True)


class CoursePageSerializer(serializers.Serializer[Any]):
    """A course as learners see it: its live version's metadata and outline (activity content is in the player)."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    summary = serializers.CharField()
    description = serializers.CharField(help_text="Sanitised HTML.")
    cover_url = serializers.CharField(allow_null=True)
    category = CatalogRefSerializer(allow_null=True)
    tags = serializers.ListField(child=serializers.CharField())
    skills = CatalogRefSerializer(many=True)
    language = serializers.CharField()
    level = serializers.CharField()
    duration_minutes = serializers.IntegerField()
    version = serializers.CharField(help_text="The live version's label.")
    published_at = serializers.DateTimeField()
    sections = CoursePageSectionSerializer(many=True)


class CatalogDetailApi(CatalogApi):
    @extend_schema(
        operation_id="catalog_retrieve",
        tags=[TAG_CATALOG],
        summary="A course's page",
        description="The live version of a course you may take. A draft-only, archived or hidden course is not "
        "found (404).",
        responses=with_errors({200: CoursePageSerializer}, 401, 403, 404),
    )
    def get(self, request: Request, pk: int) -> Response:
        course = selectors.course_get_for_learner(principal=self.principal(), organization=self.organization, pk=pk)
        if course is None or course.published_version is None:
            raise Http404
        version = course.published_version
        snapshot = version.snapshot
        cover_id = snapshot.get("cover_asset_id")
        page = {
            "id": course.pk,
            "title": snapshot.get("title", ""),
            "summary": snapshot.get("summary", ""),
            "description": snapshot.get("description", ""),
            "cover_url": asset_url(cover_id, course.pk),
            "category": snapshot.get("category"),
            "tags": snapshot.get("tags", []),
            "skills": snapshot.get("skills", []),
            "language": snapshot.get("language", "en"),
            "level": snapshot.get("level", Level.BEGINNER),
            "duration_minutes": snapshot.get("duration_minutes", 0),
            "version": version.label,
            "published_at": version.published_at,
            "sections": snapshot.get("sections", []),
        }
        return Response(CoursePageSerializer(page).data)


# --- categories and tags ------------------------------------------------------------------------------------------


class CategorySerializer(serializers.Serializer[Category]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    position = serializers.IntegerField(help_text="Categories are listed by position, then name.")


class CategoryInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=120)
    position = serializers.IntegerField(min_value=0, required=False, help_text="Default: after the others.")


class CategoryListApi(CatalogApi):
    @extend_schema(
        operation_id="categories_list",
        tags=[TAG_CATALOG],
        summary="Catalog categories",
        responses=with_errors({200: CategorySerializer(many=True)}, 401, 403),
    )
    def get(self, request: Request) -> Response:
        categories = Category.objects.filter(organization=self.organization).order_by("position", "name")
        return paginated_response(request=request, view=self, queryset=categories, serializer_class=CategorySerializer)

    @extend_schema(
        operation_id="categories_create",
        tags=[TAG_CATALOG],
        summary="Create a category",
        description="Needs `catalog.manage`.",
        request=CategoryInputSerializer,
        responses=with_errors({201: CategorySerializer}, 400, 401, 403),
    )
    def post(self, request: Request) -> Response:
        self.require(CATALOG_MANAGE)
        serializer = CategoryInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        category = services.category_create(organization=self.organization, by=self.user, **serializer.validated_data)
        return Response(CategorySerializer(category).data, status=status.HTTP_201_CREATED)


class CategoryDetailApi(CatalogApi):
    def get_category(self, pk: int) -> Category:
        category = Category.objects.filter(organization=self.organization, pk=pk).select_related("organization").first()
        if category is None:
            raise Http404
        return category

    @extend_schema(
        operation_id="categories_partial_update",
        tags=[TAG_CATALOG],
        summary="Rename or move a category",
        description="Needs `catalog.manage`. Published versions keep the name they showed until republished.",
        request=CategoryInputSerializer(partial=True),
        responses=with_errors({200: CategorySerializer}),
    )
    def patch(self, request: Request, pk: int) -> Response:
        self.require(CATALOG_MANAGE)
        category = self.get_category(pk)
        serializer = CategoryInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        changed = services.category_update(
            category=category, by=self.user, name=data.get("name", category.name), position=data.get("position")
        )
        return Response(CategorySerializer(changed).data)

    @extend_schema(
        operation_id="categories_destroy",
        tags=[TAG_CATALOG],
        summary="Delete a category",
        description="Needs `catalog.manage`. Its courses become uncategorised.",
        responses=with_errors({204: None}),
    )
    def delete(self, request: Request, pk: int) -> Response:
        self.require(CATALOG_MANAGE)
        services.category_delete(category=self.get_category(pk), by=self.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TagListApi(CatalogApi):
    class FilterSerializer(serializers.Serializer[Any]):
        q = serializers.CharField(required=False, allow_blank=True, help_text="Tags whose name contains this.")

    @extend_schema(
        operation_id="tags_list",
        tags=[TAG_CATALOG],
        summary="Tags in use",
        description="Tags are created by naming them on a course.",
        parameters=[FilterSerializer],
        responses=with_errors({200: CatalogRefSerializer(many=True)}, 401, 403),
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        tags = Tag.objects.filter(organization=self.organization).order_by("name")
        if words := filters.validated_data.get("q", "").strip():
            tags = tags.filter(name__icontains=words)
        return paginated_response(request=request, view=self, queryset=tags, serializer_class=CatalogRefSerializer)


# --- settings and kinds -------------------------------------------------------------------------------------------


class CatalogSettingsSerializer(serializers.Serializer[CatalogSettings]):
    publish_without_review = serializers.BooleanField(
        help_text="Course owners and editors publish directly; otherwise every publish goes through review."
    )
    embed_allowlist = serializers.ListField(
        child=serializers.CharField(max_length=253),
        help_text="Host names Link activities may show in a frame (anything else opens in a new tab).",
    )

    def to_representation(self, instance: CatalogSettings) -> dict[str, Any]:
        return {
            "publish_without_review": instance.publish_without_review,
            "embed_allowlist": instance.embed_allowlist.split(),
        }


class CatalogSettingsApi(CatalogApi):
    @extend_schema(
        operation_id="catalog_settings_retrieve",
        tags=[TAG_CATALOG],
        summary="Catalog settings",
        description="Needs `catalog.manage`.",
        responses=with_errors({200: CatalogSettingsSerializer}, 401, 403),
    )
    def get(self, request: Request) -> Response:
        self.require(CATALOG_MANAGE)
        return Response(CatalogSettingsSerializer(course_access.catalog_settings(self.organization.pk)).data)

    @extend_schema(
        operation_id="catalog_settings_update",
        tags=[TAG_CATALOG],
        summary="Change the catalog settings",
        description="Needs `catalog.manage`.",
        request=CatalogSettingsSerializer,
        responses=with_errors({200: CatalogSettingsSerializer}, 400, 401, 403),
    )
    def put(self, request: Request) -> Response:
        self.require(CATALOG_MANAGE)
        serializer = CatalogSettingsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        settings_row = services.catalog_settings_update(
            organization=self.organization,
            by=self.user,
            publish_without_review=data["publish_without_review"],
            embed_allowlist="\n".join(data["embed_allowlist"]),
        )
        return Response(CatalogSettingsSerializer(settings_row).data)


class CompletionParameterSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    minimum = serializers.IntegerField()
    maximum = serializers.IntegerField()
    default = serializers.IntegerField()


class CompletionRuleSerializer(serializers.Serializer[Any]):
    key = serializers.CharField(help_text='The value of `completion.rule`, e.g. "watched".')
    label = serializers.CharField()  # type: ignore[assignment]
    signals = serializers.ListField(child=serializers.CharField(), help_text="The signals that satisfy it.")
    parameters = CompletionParameterSerializer(many=True, help_text="Whole numbers set beside `rule` in `completion`.")


class ActivityKindSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    description = serializers.CharField()
    signals = serializers.ListField(
        child=serializers.CharField(), help_text="The completion signals its activities produce for learners."
    )
    completion_rules = CompletionRuleSerializer(many=True)
    fields = serializers.JSONField(
        help_text="The kind's own fields: name (send it beside the common fields), label, type (text, url, textarea, "
        "richtext, file, select, radio, checkbox, checkboxes, number), and help, required, choices, accept."
    )  # type: ignore[assignment]


def _kind_data(kind: kinds.ActivityKind) -> dict[str, Any]:
    return {
        "key": kind.key,
        "label": str(kind.label),
        "description": str(kind.description),
        "signals": list(kind.signals),
        "completion_rules": [
            {
                "key": rule.key,
                "label": str(rule.label),
                "signals": list(rule.signals),
                "parameters": [
                    {"name": name, "minimum": low, "maximum": high, "default": default}
                    for name, (low, high, default) in rule.parameters.items()
                ],
            }
            for rule in kind.completion_rules
        ],
        "fields": [
            {key: value for key, value in item.items() if key in FIELD_KEYS} for item in kind.form_fields(current={})
        ],
    }


class ActivityKindListApi(CatalogApi):
    pagination_class = None  # type: ignore[assignment]  # a short, fixed list

    @extend_schema(
        operation_id="activity_kinds_list",
        tags=[TAG_CATALOG],
        summary="Activity kinds",
        description="Every kind of activity a course may hold, with its completion rules and signals. Not paginated.",
        responses=with_errors({200: ActivityKindSerializer(many=True)}, 401, 403),
    )
    def get(self, request: Request) -> Response:
        data = [_kind_data(kind) for kind in sorted(kinds.all_kinds(), key=lambda kind: kind.key)]
        return Response(ActivityKindSerializer(data, many=True).data)
