"""REST API of courses as their team works on them (under /api/v1/courses/): the authoring list, one course's draft
metadata, its cover and uploads, and the publishing actions (submit, publish, archive, unarchive, copy).
Elsewhere: sections, activities and the outline (api_structure.py), the diff and versions (api_versions.py), the
course team (api_team.py); shared helpers in api.py.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from syllabus.access.policy import NOT_ALLOWED
from syllabus.audiences.models import Audience
from syllabus.catalog import course_access, selectors, services
from syllabus.catalog.api import (
    TAG_COURSES,
    CourseApi,
    CourseAssetSerializer,
    CourseSerializer,
    CourseSummarySerializer,
    CourseVersionSerializer,
    ReviewSerializer,
)
from syllabus.catalog.models import Category, CourseAsset, CourseVersion, Level, Visibility
from syllabus.core.api import TenantPrimaryKeyField, paginated_response, with_errors
from syllabus.skills.models import Skill

CHANGE_HELP = (
    "`major` or `minor`; default: what the changes are (adding, removing or changing what learners must do is "
    "major; a minor version cannot be forced over such changes)."
)


class CourseInputSerializer(serializers.Serializer[Any]):
    """The metadata of a draft. Ids of another organisation are refused as not existing."""

    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(max_length=500, required=False, allow_blank=True)
    description = serializers.CharField(
        required=False, allow_blank=True, help_text="HTML; sanitised (unsafe markup is removed, never stored)."
    )
    category = TenantPrimaryKeyField(queryset=Category.objects.all(), required=False, allow_null=True)  # type: ignore[assignment]
    tags = serializers.ListField(
        child=serializers.CharField(max_length=60),
        required=False,
        max_length=20,
        help_text="Tag names (created as needed).",
    )
    skills = TenantPrimaryKeyField(queryset=Skill.objects.all(), many=True, required=False, help_text="Skill ids.")
    language = serializers.CharField(max_length=16, required=False, help_text="A language code: en, pt-BR...")
    level = serializers.ChoiceField(choices=Level.choices, required=False)
    duration_minutes = serializers.IntegerField(min_value=0, max_value=100_000, required=False)
    visibility = serializers.ChoiceField(
        choices=Visibility.choices, required=False, help_text="`audience` needs `audience` set."
    )
    audience = TenantPrimaryKeyField(queryset=Audience.objects.all(), required=False, allow_null=True)  # type: ignore[assignment]


class CourseListApi(CourseApi):
    class FilterSerializer(serializers.Serializer[Any]):
        state = serializers.ChoiceField(choices=selectors.STATES, required=False)
        q = serializers.CharField(required=False, allow_blank=True, help_text="Words in the title or summary.")

    @extend_schema(
        operation_id="courses_list",
        tags=[TAG_COURSES],
        summary="Courses you work on",
        description="The authoring list: every course for holders of `course.edit`, `course.view_all`, "
        "`course.teach` or `course.review` organisation-wide, otherwise the courses whose team you are on. "
        "Refused (403) to people with no part in authoring.",
        parameters=[FilterSerializer],
        responses=with_errors({200: CourseSummarySerializer(many=True)}, 400, 401, 403),
    )
    def get(self, request: Request) -> Response:
        principal = self.principal()
        if not course_access.can_author(principal):
            raise PermissionDenied(NOT_ALLOWED)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        courses = selectors.courses_for_staff(
            principal=principal,
            organization=self.organization,
            q=filters.validated_data.get("q", ""),
            state=filters.validated_data.get("state", ""),
        )
        # A row shows the live version's label only: never load its snapshot (large).
        courses = courses.defer("published_version__snapshot")
        return paginated_response(
            request=request, view=self, queryset=courses, serializer_class=CourseSummarySerializer
        )

    @extend_schema(
        operation_id="courses_create",
        tags=[TAG_COURSES],
        summary="Create a course",
        description="Needs `course.create`. The new draft's creator becomes its owner.",
        request=CourseInputSerializer,
        responses=with_errors({201: CourseSerializer}, 400, 401, 403),
        examples=[
            OpenApiExample(
                "A course",
                value={"title": "Fire safety", "summary": "What to do when the alarm rings.", "tags": ["safety"]},
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        self.require("course.create")
        serializer = CourseInputSerializer(data=request.data, context=self.serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        course = services.course_create(organization=self.organization, by=self.user, **data)
        return self.course_response(course.pk, status_code=status.HTTP_201_CREATED)


class CourseDetailApi(CourseApi):
    @extend_schema(
        operation_id="courses_retrieve",
        tags=[TAG_COURSES],
        summary="Get a course's draft",
        description="For the course team, reviewers and holders of `course.view_all`; anyone else gets 404.",
        responses=with_errors({200: CourseSerializer}, 401, 403, 404),
    )
    def get(self, request: Request, pk: int) -> Response:
        course = self.course_for_staff(pk)
        return Response(CourseSerializer(course, context={"principal": self.principal()}).data)

    @extend_schema(
        operation_id="courses_partial_update",
        tags=[TAG_COURSES],
        summary="Change a course's metadata",
        description="Needs `course.edit` on the course (owner, editor). Refused while the course is in review.",
        request=CourseInputSerializer(partial=True),
        responses=with_errors({200: CourseSerializer}),
    )
    def patch(self, request: Request, pk: int) -> Response:
        course = self.course_to_change(pk)
        serializer = CourseInputSerializer(data=request.data, partial=True, context=self.serializer_context())
        serializer.is_valid(raise_exception=True)
        services.course_update(course=course, by=self.user, **serializer.validated_data)
        return self.course_response(course.pk)

    @extend_schema(
        operation_id="courses_destroy",
        tags=[TAG_COURSES],
        summary="Delete a course",
        description="Needs `course.manage` on the course (owner). Refused (400) once learners have records in it: "
        "archive it instead.",
        responses=with_errors({204: None}),
    )
    def delete(self, request: Request, pk: int) -> Response:
        course = self.course_to_change(pk, "course.manage")
        services.course_delete(course=course, by=self.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CourseCoverApi(CourseApi):
    class InputSerializer(serializers.Serializer[Any]):
        file = serializers.FileField(help_text="PNG, JPEG, GIF or WebP (re-encoded); send as multipart/form-data.")

    @extend_schema(
        operation_id="courses_cover_update",
        tags=[TAG_COURSES],
        summary="Upload a course's cover image",
        description="Needs `course.edit`. A refused file leaves the draft as it was.",
        request={"multipart/form-data": InputSerializer},
        responses=with_errors({200: CourseAssetSerializer}),
    )
    def put(self, request: Request, pk: int) -> Response:
        course = self.course_to_change(pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        asset = services.course_cover_set(course=course, by=self.user, upload=serializer.validated_data["file"])
        return Response(CourseAssetSerializer(asset).data)

    @extend_schema(
        operation_id="courses_cover_destroy",
        tags=[TAG_COURSES],
        summary="Remove a course's cover image",
        description="Needs `course.edit`. The file stays (published versions may show it).",
        responses=with_errors({204: None}),
    )
    def delete(self, request: Request, pk: int) -> Response:
        course = self.course_to_change(pk)
        services.course_cover_remove(course=course, by=self.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CourseAssetListApi(CourseApi):
    class InputSerializer(serializers.Serializer[Any]):
        file = serializers.FileField(help_text="Send as multipart/form-data.")
        purpose = serializers.ChoiceField(
            choices=CourseAsset.Purpose.choices,
            help_text="What the file is for; decides the types and size allowed (checked on the content, not the "
            "name): image (PNG, JPEG, GIF, WebP; re-encoded), video (MP4, WebM), captions (WebVTT), document.",
        )

    @extend_schema(
        operation_id="courses_assets_create",
        tags=[TAG_COURSES],
        summary="Upload a file for a course's activities",
        description="Needs `course.edit`. Answers the new asset's id, to name in an activity's fields, and the URL "
        "it is served from (to people who may see the course).",
        request={"multipart/form-data": InputSerializer},
        responses=with_errors({201: CourseAssetSerializer}),
    )
    def post(self, request: Request, pk: int) -> Response:
        course = self.course_to_change(pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        asset = services.course_asset_upload(
            course=course,
            by=self.user,
            upload=serializer.validated_data["file"],
            purpose=serializer.validated_data["purpose"],
        )
        return Response(CourseAssetSerializer(asset).data, status=status.HTTP_201_CREATED)


# --- publishing ---------------------------------------------------------------------------------------------------


class PublishInputSerializer(serializers.Serializer[Any]):
    notes = serializers.CharField(required=False, allow_blank=True, default="", help_text="What changed.")
    change = serializers.ChoiceField(
        choices=CourseVersion.Change.choices, required=False, allow_null=True, default=None, help_text=CHANGE_HELP
    )


class CourseSubmitApi(CourseApi):
    @extend_schema(
        operation_id="courses_submit",
        tags=[TAG_COURSES],
        summary="Submit a course for review",
        description="Needs `course.edit`. The draft is locked until a reviewer approves it (which publishes it), "
        "sends it back, or the team withdraws it. Answers the new review (see `/reviews/{id}/`).",
        request=PublishInputSerializer,
        responses=with_errors({201: ReviewSerializer}),
    )
    def post(self, request: Request, pk: int) -> Response:
        course = self.course_to_change(pk)
        serializer = PublishInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = services.course_submit(course=course, by=self.user, **serializer.validated_data)
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)


class CoursePublishApi(CourseApi):
    @extend_schema(
        operation_id="courses_publish",
        tags=[TAG_COURSES],
        summary="Publish a course without review",
        description="Needs `course.publish`: org admins, or the course's owners and editors where the organisation "
        "lets instructors publish without review (`/catalog-settings/`). Answers the new version.",
        request=PublishInputSerializer,
        responses=with_errors({201: CourseVersionSerializer}),
    )
    def post(self, request: Request, pk: int) -> Response:
        course = self.course_for_staff(pk)
        serializer = PublishInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # The service tells an editor why (publishing goes through review here) rather than a bare 403.
        version = services.course_publish(course=course, by=self.user, **serializer.validated_data)
        data = CourseVersionSerializer(version, context={"current_version_id": version.pk}).data
        return Response(data, status=status.HTTP_201_CREATED)


class CourseArchiveApi(CourseApi):
    @extend_schema(
        operation_id="courses_archive",
        tags=[TAG_COURSES],
        summary="Archive a course",
        description="Needs `course.manage`. Takes the course out of the catalog; versions and learner records stay.",
        request=None,
        responses=with_errors({200: CourseSerializer}),
    )
    def post(self, request: Request, pk: int) -> Response:
        course = self.course_to_change(pk, "course.manage")
        services.course_archive(course=course, by=self.user)
        return self.course_response(course.pk)


class CourseUnarchiveApi(CourseApi):
    @extend_schema(
        operation_id="courses_unarchive",
        tags=[TAG_COURSES],
        summary="Unarchive a course",
        description="Needs `course.manage`. A published course is listed in the catalog again.",
        request=None,
        responses=with_errors({200: CourseSerializer}),
    )
    def post(self, request: Request, pk: int) -> Response:
        course = self.course_to_change(pk, "course.manage")
        services.course_unarchive(course=course, by=self.user)
        return self.course_response(course.pk)


class CourseCopyApi(CourseApi):
    class InputSerializer(serializers.Serializer[Any]):
        title = serializers.CharField(max_length=200, help_text="The copy's title.")

    @extend_schema(
        operation_id="courses_copy",
        tags=[TAG_COURSES],
        summary="Copy a course",
        description="Needs `course.create` and to see the course's draft. The copy is a new draft (with copies of "
        "its files), owned by you.",
        request=InputSerializer,
        responses=with_errors({201: CourseSerializer}),
    )
    def post(self, request: Request, pk: int) -> Response:
        course = self.course_for_staff(pk)
        self.require("course.create")
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        copy = services.course_copy(course=course, by=self.user, title=serializer.validated_data["title"])
        return self.course_response(copy.pk, status_code=status.HTTP_201_CREATED)
