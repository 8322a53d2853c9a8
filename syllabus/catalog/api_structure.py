"""REST API of a draft's structure (under /api/v1/courses/{id}/): sections, activities and the whole outline.

Sections and activities are named by their `uid`, which survives versions, restore and edits (ids do not leave
the server). An activity's own fields belong to its kind (`/activity-kinds/`): they travel beside the common
fields — flat, so a file can be uploaded in the same multipart request — or in a `config` object (JSON). The
kind validates them, and its errors come back as field errors under the kind's field names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import QueryDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from syllabus.catalog import services
from syllabus.catalog.api import TAG_COURSES, CatalogApi
from syllabus.catalog.models import Activity, Course, Section
from syllabus.core.api import TenantPrimaryKeyField, paginated_response, with_errors
from syllabus.skills.models import Skill

# The fields every activity has; anything else in a request belongs to the activity's kind.
COMMON_FIELDS = frozenset(
    {"section", "kind", "title", "completion", "is_required", "duration_minutes", "skills", "config", "offset"}
)
KIND_FIELDS_HELP = (
    "Besides these common fields, send the fields of the activity's kind (listed by `/activity-kinds/`), either "
    "at the top level (use multipart/form-data to upload a file in the same request) or inside `config`. "
    "The kind's errors name its own fields."
)
UID_PARAMETER = OpenApiParameter(
    "uid", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The section's or activity's uid."
)


def _sections(course: Course) -> QuerySet[Section]:
    """The draft's sections with their activities in order: two queries, whatever the size of the course."""
    activities = Activity.objects.order_by("position", "pk")
    return (
        Section.objects.filter(course=course)
        .order_by("position", "pk")
        .prefetch_related(Prefetch("activities", queryset=activities))
    )


def _kind_input(request: Request) -> Mapping[str, Any] | None:
    """What the request says for the activity's kind, or None when it says nothing (keep the config)."""
    if isinstance(request.data, QueryDict):
        # A form post: keep every value of repeated fields; files come through request.FILES.
        form = QueryDict(mutable=True)
        for key in request.POST:
            if key not in COMMON_FIELDS:
                form.setlist(key, request.POST.getlist(key))
        return form if form or request.FILES else None
    data: dict[str, Any] = {key: value for key, value in request.data.items() if key not in COMMON_FIELDS}
    config = request.data.get("config")
    if isinstance(config, dict):
        data.update(config)
    return data if data or "config" in request.data else None


# --- output -------------------------------------------------------------------------------------------------------


class ActivityBriefSerializer(serializers.Serializer[Activity]):
    uid = serializers.UUIDField()
    kind = serializers.CharField()
    title = serializers.CharField()
    position = serializers.IntegerField(help_text="0-based, within its section.")
    completion = serializers.JSONField(help_text='The completion rule, e.g. {"rule": "watched", "percent": 90}.')
    is_required = serializers.BooleanField()
    duration_minutes = serializers.IntegerField()


class ActivitySerializer(ActivityBriefSerializer):
    section = serializers.UUIDField(source="section.uid", help_text="The uid of its section.")
    config = serializers.JSONField(help_text="The kind's settings as stored (asset ids name uploaded files).")
    skills = serializers.SerializerMethodField()

    def get_skills(self, activity: Activity) -> list[int]:
        return [skill.pk for skill in activity.skills.all()]


class SectionSerializer(serializers.Serializer[Section]):
    uid = serializers.UUIDField()
    title = serializers.CharField()
    summary = serializers.CharField()
    position = serializers.IntegerField(help_text="0-based.")
    activities = ActivityBriefSerializer(many=True, source="activities.all")


class OutlineSerializer(serializers.Serializer[Any]):
    course = serializers.IntegerField(help_text="The course id.")
    draft_revision = serializers.IntegerField(help_text="Goes up with every change of the draft.")
    locked = serializers.BooleanField(help_text="The draft is in review: no change is accepted until it is back.")
    sections = SectionSerializer(many=True)


class StructureApi(CatalogApi):
    def outline_response(self, course: Course) -> Response:
        data = {
            "course": course.pk,
            "draft_revision": course.draft_revision,
            "locked": course.in_review,
            "sections": list(_sections(course)),
        }
        return Response(OutlineSerializer(data).data)

    def section_response(self, section: Section, *, status_code: int = status.HTTP_200_OK) -> Response:
        fresh = _sections(section.course).get(pk=section.pk)
        return Response(SectionSerializer(fresh).data, status=status_code)

    def activity_response(
        self, course: Course, activity: Activity, *, status_code: int = status.HTTP_200_OK
    ) -> Response:
        return Response(ActivitySerializer(self.activity_of(course, activity.uid)).data, status=status_code)


# --- the outline --------------------------------------------------------------------------------------------------


class OutlineItemSerializer(serializers.Serializer[Any]):
    section = serializers.UUIDField()
    activities = serializers.ListField(child=serializers.UUIDField(), required=False, default=list)


class OutlineApi(StructureApi):
    class InputSerializer(serializers.Serializer[Any]):
        order = OutlineItemSerializer(
            many=True, help_text="Every section of the course, each with every activity it should hold, in order."
        )

    @extend_schema(
        operation_id="courses_outline_retrieve",
        tags=[TAG_COURSES],
        summary="A draft's outline",
        description="Sections with their activities, in order. For whoever may see the course's draft.",
        responses=with_errors({200: OutlineSerializer}, 401, 403, 404),
    )
    def get(self, request: Request, pk: int) -> Response:
        return self.outline_response(self.course_for_staff(pk))

    @extend_schema(
        operation_id="courses_outline_update",
        tags=[TAG_COURSES],
        summary="Reorder a draft's outline",
        description="Needs `course.edit`. The whole new order at once (as after a drag and drop): sections in "
        "order, each with its activities in order; activities may change section. Must list every section and "
        "activity exactly once.",
        request=InputSerializer,
        responses=with_errors({200: OutlineSerializer}),
        examples=[
            OpenApiExample(
                "Two sections",
                request_only=True,
                value={
                    "order": [
                        {"section": "5d0c…", "activities": ["a1…", "a3…"]},
                        {"section": "9e2f…", "activities": ["a2…"]},
                    ]
                },
            )
        ],
    )
    def put(self, request: Request, pk: int) -> Response:
        course = self.course_to_change(pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = [
            {"section": str(item["section"]), "activities": [str(uid) for uid in item["activities"]]}
            for item in serializer.validated_data["order"]
        ]
        services.structure_reorder(course=course, by=self.user, order=order)
        course.refresh_from_db(fields=["draft_revision", "review_state"])
        return self.outline_response(course)


# --- sections -----------------------------------------------------------------------------------------------------


class SectionInputSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=200, allow_blank=True)
    summary = serializers.CharField(required=False, allow_blank=True)


class MoveInputSerializer(serializers.Serializer[Any]):
    offset = serializers.IntegerField(help_text="-1 moves up one place, +1 down one place.")


class SectionListApi(StructureApi):
    @extend_schema(
        operation_id="courses_sections_list",
        tags=[TAG_COURSES],
        summary="A draft's sections",
        description="In order, each with its activities.",
        responses=with_errors({200: SectionSerializer(many=True)}, 401, 403, 404),
    )
    def get(self, request: Request, pk: int) -> Response:
        course = self.course_for_staff(pk)
        return paginated_response(
            request=request, view=self, queryset=_sections(course), serializer_class=SectionSerializer
        )

    @extend_schema(
        operation_id="courses_sections_create",
        tags=[TAG_COURSES],
        summary="Add a section",
        description="Needs `course.edit`. The section goes at the end.",
        request=SectionInputSerializer,
        responses=with_errors({201: SectionSerializer}),
    )
    def post(self, request: Request, pk: int) -> Response:
        course = self.course_to_change(pk)
        serializer = SectionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        section = services.section_create(course=course, by=self.user, **serializer.validated_data)
        return self.section_response(section, status_code=status.HTTP_201_CREATED)


class SectionDetailApi(StructureApi):
    @extend_schema(
        operation_id="courses_sections_partial_update",
        tags=[TAG_COURSES],
        summary="Change a section",
        description="Needs `course.edit`.",
        parameters=[UID_PARAMETER],
        request=SectionInputSerializer(partial=True),
        responses=with_errors({200: SectionSerializer}),
    )
    def patch(self, request: Request, pk: int, uid: str) -> Response:
        course = self.course_to_change(pk)
        section = self.section_of(course, uid)
        serializer = SectionInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.section_update(
            section=section,
            by=self.user,
            title=data.get("title", section.title),
            summary=data.get("summary", section.summary),
        )
        return self.section_response(section)

    @extend_schema(
        operation_id="courses_sections_destroy",
        tags=[TAG_COURSES],
        summary="Delete a section",
        description="Needs `course.edit`. Deletes its activities too (published versions keep theirs).",
        parameters=[UID_PARAMETER],
        responses=with_errors({204: None}),
    )
    def delete(self, request: Request, pk: int, uid: str) -> Response:
        course = self.course_to_change(pk)
        services.section_delete(section=self.section_of(course, uid), by=self.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SectionMoveApi(StructureApi):
    @extend_schema(
        operation_id="courses_sections_move",
        tags=[TAG_COURSES],
        summary="Move a section up or down",
        description="Needs `course.edit`. Answers the section at its new position.",
        parameters=[UID_PARAMETER],
        request=MoveInputSerializer,
        responses=with_errors({200: SectionSerializer}),
    )
    def post(self, request: Request, pk: int, uid: str) -> Response:
        course = self.course_to_change(pk)
        section = self.section_of(course, uid)
        serializer = MoveInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.section_move(section=section, by=self.user, offset=serializer.validated_data["offset"])
        return self.section_response(section)


# --- activities ---------------------------------------------------------------------------------------------------


class ActivityInputSerializer(serializers.Serializer[Any]):
    section = serializers.UUIDField(help_text="The uid of the section it goes in (at the end).")
    kind = serializers.CharField(help_text="A kind key from `/activity-kinds/`: page, video, file, link...")
    title = serializers.CharField(max_length=200)
    completion = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text='{"rule": <a rule key of the kind>, ...its parameters}; default: the kind\'s first rule. '
        "In a multipart request, a JSON string.",
    )
    is_required = serializers.BooleanField(required=False, default=True, help_text="Counts for course completion.")
    duration_minutes = serializers.IntegerField(min_value=0, max_value=100_000, required=False, default=0)
    skills = TenantPrimaryKeyField(queryset=Skill.objects.all(), many=True, required=False, help_text="Skill ids.")
    config = serializers.DictField(required=False, help_text="The kind's fields (or send them at the top level).")


class ActivityUpdateSerializer(ActivityInputSerializer):
    section = None  # type: ignore[assignment]
    kind = None  # type: ignore[assignment]
    title = serializers.CharField(max_length=200, required=False)
    is_required = serializers.BooleanField(required=False)
    duration_minutes = serializers.IntegerField(min_value=0, max_value=100_000, required=False)


class ActivityMoveInputSerializer(serializers.Serializer[Any]):
    offset = serializers.IntegerField(required=False, default=0, help_text="-1 up one place, +1 down one place.")
    section = serializers.UUIDField(
        required=False, allow_null=True, help_text="Move to the end of this section (uid) of the same course."
    )


class ActivityListApi(StructureApi):
    @extend_schema(
        operation_id="courses_activities_create",
        tags=[TAG_COURSES],
        summary="Add an activity",
        description=f"Needs `course.edit`. The activity goes at the end of its section. {KIND_FIELDS_HELP}",
        request={"application/json": ActivityInputSerializer, "multipart/form-data": ActivityInputSerializer},
        responses=with_errors({201: ActivitySerializer}),
        examples=[
            OpenApiExample(
                "A page",
                request_only=True,
                value={
                    "section": "5d0c2b1e-…",
                    "kind": "page",
                    "title": "Welcome",
                    "body": "<p>Fire doors stay closed.</p>",
                    "duration_minutes": 5,
                },
            )
        ],
    )
    def post(self, request: Request, pk: int) -> Response:
        course = self.course_to_change(pk)
        serializer = ActivityInputSerializer(data=request.data, context=self.serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        activity = services.activity_create(
            section=self.section_of(course, data["section"]),
            by=self.user,
            kind=data["kind"],
            title=data["title"],
            data=_kind_input(request) or {},
            files=request.FILES,
            completion=data.get("completion"),
            is_required=data["is_required"],
            duration_minutes=data["duration_minutes"],
            skills=data.get("skills", ()),
        )
        return self.activity_response(course, activity, status_code=status.HTTP_201_CREATED)


class ActivityDetailApi(StructureApi):
    @extend_schema(
        operation_id="courses_activities_retrieve",
        tags=[TAG_COURSES],
        summary="Get an activity of a draft",
        parameters=[UID_PARAMETER],
        responses=with_errors({200: ActivitySerializer}, 401, 403, 404),
    )
    def get(self, request: Request, pk: int, uid: str) -> Response:
        course = self.course_for_staff(pk)
        return Response(ActivitySerializer(self.activity_of(course, uid)).data)

    @extend_schema(
        operation_id="courses_activities_partial_update",
        tags=[TAG_COURSES],
        summary="Change an activity",
        description="Needs `course.edit`. Fields left out keep their value; when any of the kind's fields is sent, "
        f"the kind validates the new settings as a whole. {KIND_FIELDS_HELP}",
        parameters=[UID_PARAMETER],
        request={"application/json": ActivityUpdateSerializer, "multipart/form-data": ActivityUpdateSerializer},
        responses=with_errors({200: ActivitySerializer}),
    )
    def patch(self, request: Request, pk: int, uid: str) -> Response:
        course = self.course_to_change(pk)
        activity = self.activity_of(course, uid)
        serializer = ActivityUpdateSerializer(data=request.data, partial=True, context=self.serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.activity_update(
            activity=activity,
            by=self.user,
            title=data.get("title"),
            data=_kind_input(request),
            files=request.FILES,
            completion=data.get("completion"),
            is_required=data.get("is_required"),
            duration_minutes=data.get("duration_minutes"),
            skills=data.get("skills"),
        )
        return self.activity_response(course, activity)

    @extend_schema(
        operation_id="courses_activities_destroy",
        tags=[TAG_COURSES],
        summary="Delete an activity",
        description="Needs `course.edit`. Published versions keep theirs.",
        parameters=[UID_PARAMETER],
        responses=with_errors({204: None}),
    )
    def delete(self, request: Request, pk: int, uid: str) -> Response:
        course = self.course_to_change(pk)
        services.activity_delete(activity=self.activity_of(course, uid), by=self.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ActivityMoveApi(StructureApi):
    @extend_schema(
        operation_id="courses_activities_move",
        tags=[TAG_COURSES],
        summary="Move an activity",
        description="Needs `course.edit`. Up or down within its section (`offset`), or to the end of another "
        "section (`section`).",
        parameters=[UID_PARAMETER],
        request=ActivityMoveInputSerializer,
        responses=with_errors({200: ActivitySerializer}),
    )
    def post(self, request: Request, pk: int, uid: str) -> Response:
        course = self.course_to_change(pk)
        activity = self.activity_of(course, uid)
        serializer = ActivityMoveInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        target = serializer.validated_data.get("section")
        services.activity_move(
            activity=activity,
            by=self.user,
            offset=serializer.validated_data["offset"],
            section=self.section_of(course, target) if target else None,
        )
        return self.activity_response(course, activity)
