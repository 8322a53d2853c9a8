"""REST API of a course's history (under /api/v1/courses/{id}/): what the draft changes since the live version,
the published versions (by label or id, with their snapshot), and restoring one as the draft."""

from __future__ import annotations

import re
from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from syllabus.catalog import selectors, services, versions
from syllabus.catalog.api import (
    TAG_COURSES,
    CourseApi,
    CourseSerializer,
    CourseVersionSerializer,
    VersionChangeSerializer,
)
from syllabus.catalog.models import Course, CourseVersion
from syllabus.core.api import paginated_response, with_errors

# ASCII digits only, and few enough for the database's integers (str.isdigit() is true for "²", which int() refuses).
VERSION_REF = re.compile(r"^([0-9]{1,9})\.([0-9]{1,9})$")
VERSION_ID = re.compile(r"^[0-9]{1,18}$")


class CourseDiffApi(CourseApi):
    class OutputSerializer(serializers.Serializer[Any]):
        base_version = serializers.CharField(allow_null=True, help_text="Label of the published version compared.")
        change = serializers.ChoiceField(
            choices=CourseVersion.Change.choices, help_text="What publishing the draft now would make."
        )
        changes = VersionChangeSerializer(many=True)

    @extend_schema(
        operation_id="courses_diff",
        tags=[TAG_COURSES],
        summary="What changed since the published version",
        description="The draft compared with the live version (everything is new before the first publish).",
        responses=with_errors({200: OutputSerializer}, 401, 403, 404),
    )
    def get(self, request: Request, pk: int) -> Response:
        course = self.course_for_staff(pk)
        version = course.published_version
        base = version.snapshot if version is not None else None
        draft = versions.build_snapshot(course)
        data = {
            "base_version": version.label if version is not None else None,
            "change": versions.classify(base, draft),
            "changes": [change.as_dict() for change in versions.diff(base, draft)],
        }
        return Response(self.OutputSerializer(data).data)


# --- versions -----------------------------------------------------------------------------------------------------


class VersionApi(CourseApi):
    def get_version(self, course: Course, ref: str) -> CourseVersion:
        """A version of this course by label ("2.1") or by id."""
        match = VERSION_REF.match(ref)
        version: CourseVersion | None = None
        if match:
            version = (
                CourseVersion.objects.filter(course=course, major=int(match.group(1)), minor=int(match.group(2)))
                .select_related("published_by")
                .first()
            )
        elif VERSION_ID.match(ref):
            version = selectors.version_get(course=course, pk=int(ref))
        if version is None:
            raise Http404
        version.course = course
        return version


VERSION_PARAMETER = OpenApiParameter(
    "ref", str, OpenApiParameter.PATH, description='The version\'s label ("2.1") or id.'
)


class VersionListApi(VersionApi):
    @extend_schema(
        operation_id="courses_versions_list",
        tags=[TAG_COURSES],
        summary="A course's published versions",
        description="Newest first, without their content. For whoever may see the course's draft.",
        responses=with_errors({200: CourseVersionSerializer(many=True)}, 401, 403, 404),
    )
    def get(self, request: Request, pk: int) -> Response:
        course = self.course_for_staff(pk)
        return paginated_response(
            request=request,
            view=self,
            queryset=selectors.versions_of(course=course),
            serializer_class=CourseVersionSerializer,
            context={"current_version_id": course.published_version_id},
        )


class VersionDetailApi(VersionApi):
    class OutputSerializer(CourseVersionSerializer):
        snapshot = serializers.JSONField(help_text="The version's content, as learners get it (schema 1).")

    @extend_schema(
        operation_id="courses_versions_retrieve",
        tags=[TAG_COURSES],
        summary="One published version, with its content",
        parameters=[VERSION_PARAMETER],
        responses=with_errors({200: OutputSerializer}, 401, 403, 404),
    )
    def get(self, request: Request, pk: int, ref: str) -> Response:
        course = self.course_for_staff(pk)
        version = self.get_version(course, ref)
        context = {"current_version_id": course.published_version_id}
        return Response(self.OutputSerializer(version, context=context).data)


class VersionRestoreApi(VersionApi):
    @extend_schema(
        operation_id="courses_versions_restore",
        tags=[TAG_COURSES],
        summary="Restore a version as the draft",
        description="Needs `course.edit`. The draft becomes that version's content; publishing it makes a new "
        "version (history is never rewritten).",
        parameters=[VERSION_PARAMETER],
        request=None,
        responses=with_errors({200: CourseSerializer}),
    )
    def post(self, request: Request, pk: int, ref: str) -> Response:
        course = self.course_to_change(pk)
        version = self.get_version(course, ref)
        services.version_restore(version=version, by=self.user)
        return self.course_response(course.pk)
