"""REST API of course groups (see enrollment/api.py for how the enrollment API is cut): a course's groups under
/api/v1/courses/{id}/groups/, one group under /api/v1/course-groups/{id}/ and its members.

Reading needs to see the course's participants (the course team, `enrollment.assign` or `enrollment.view`
organisation-wide); changing needs to manage them (the course team or `enrollment.assign` organisation-wide).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from syllabus.access.policy import NOT_ALLOWED
from syllabus.core.api import paginated_response, with_errors
from syllabus.enrollment import policy, selectors, services
from syllabus.enrollment.api import TAG, EnrolledCourseSerializer, EnrolledPersonSerializer, EnrollmentApi, StatusField
from syllabus.enrollment.models import CourseGroup, GroupMember

MAX_MEMBERS_CHANGE = 5000


class GroupApi(EnrollmentApi):
    def get_group(self, pk: int) -> CourseGroup:
        group = selectors.group_get(organization=self.organization, principal=self.principal(), pk=pk)
        if group is None:
            raise Http404
        return group


class GroupOutputSerializer(serializers.Serializer[CourseGroup]):
    id = serializers.IntegerField()
    course = EnrolledCourseSerializer()
    name = serializers.CharField()
    description = serializers.CharField()
    member_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class GroupMemberOutputSerializer(serializers.Serializer[GroupMember]):
    enrollment = serializers.IntegerField(source="enrollment_id", help_text="The enrollment id.")
    person = EnrolledPersonSerializer(source="enrollment.membership")
    status = StatusField(source="enrollment.status")
    added_at = serializers.DateTimeField()


class GroupDetailOutputSerializer(GroupOutputSerializer):
    members = GroupMemberOutputSerializer(many=True, source="members.all")


class GroupInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=120, allow_blank=True)
    description = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)


GROUP_EXAMPLE = {
    "id": 9,
    "course": {"id": 41, "title": "Working at height"},
    "name": "Night shift",
    "description": "Trained by Ingrid on Thursdays.",
    "member_count": 2,
    "created_at": "2026-01-12T09:30:00Z",
}


class CourseGroupListApi(GroupApi):
    @extend_schema(
        tags=[TAG],
        summary="A course's groups",
        description="Needs to see the course's participants (its team, or `enrollment.view` organisation-wide).",
        responses=with_errors({200: GroupOutputSerializer(many=True)}, 401, 403, 404),
    )
    def get(self, request: Request, pk: int) -> Response:
        course = self.get_course(pk)
        if not policy.can_view_participants(self.principal(), course):
            raise PermissionDenied(NOT_ALLOWED)
        return paginated_response(
            request=request,
            view=self,
            queryset=selectors.group_list(course=course),
            serializer_class=GroupOutputSerializer,
        )

    @extend_schema(
        tags=[TAG],
        summary="Add a group to a course",
        description="Needs to manage the course's participants (its team, or `enrollment.assign` organisation-wide). "
        "Names are unique within the course.",
        request=GroupInputSerializer,
        responses=with_errors({201: GroupOutputSerializer}),
        examples=[
            OpenApiExample(
                "Night shift", value={"name": "Night shift", "description": "Trained by Ingrid on Thursdays."}
            ),
        ],
    )
    def post(self, request: Request, pk: int) -> Response:
        course = self.get_course(pk)
        serializer = GroupInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        group = services.group_create(course=course, by=self.user, **serializer.validated_data)
        return Response(GroupOutputSerializer(self.get_group(group.pk)).data, status=status.HTTP_201_CREATED)


class CourseGroupDetailApi(GroupApi):
    class InputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField(max_length=120, required=False, allow_blank=True)
        description = serializers.CharField(max_length=500, required=False, allow_blank=True)

    @extend_schema(
        tags=[TAG],
        summary="Get a course group with its members",
        responses=with_errors({200: GroupDetailOutputSerializer}, 401, 403, 404),
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(GroupDetailOutputSerializer(self.get_group(pk)).data)

    @extend_schema(
        tags=[TAG],
        summary="Rename a course group",
        description="Needs to manage the course's participants. Fields left out keep their value.",
        request=InputSerializer,
        responses=with_errors({200: GroupDetailOutputSerializer}),
    )
    def patch(self, request: Request, pk: int) -> Response:
        group = self.get_group(pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.group_update(
            group=group,
            by=self.user,
            name=data.get("name", group.name),
            description=data.get("description", group.description),
        )
        return Response(GroupDetailOutputSerializer(self.get_group(pk)).data)

    @extend_schema(
        tags=[TAG],
        summary="Delete a course group",
        description="Needs to manage the course's participants. Its members stay enrolled.",
        responses=with_errors({204: None}, 401, 403, 404),
    )
    def delete(self, request: Request, pk: int) -> Response:
        services.group_delete(group=self.get_group(pk), by=self.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CourseGroupMembersApi(GroupApi):
    class InputSerializer(serializers.Serializer[Any]):
        add = serializers.ListField(
            child=serializers.IntegerField(min_value=1),
            required=False,
            default=list,
            max_length=MAX_MEMBERS_CHANGE,
            help_text="Enrollment ids of the course's participants to put in the group.",
        )
        remove = serializers.ListField(
            child=serializers.IntegerField(min_value=1),
            required=False,
            default=list,
            max_length=MAX_MEMBERS_CHANGE,
            help_text="Enrollment ids to take out of the group.",
        )

    class OutputSerializer(serializers.Serializer[Any]):
        added = serializers.IntegerField(help_text="Put in the group now (those already in it are not counted).")
        removed = serializers.IntegerField()
        group = GroupDetailOutputSerializer()

    @extend_schema(
        tags=[TAG],
        summary="Change a course group's members",
        description="Needs to manage the course's participants. Every id must be an enrollment in the group's "
        "course (else 400 on `enrollments`, and nothing changes).",
        request=InputSerializer,
        responses=with_errors({200: OutputSerializer}),
        examples=[OpenApiExample("Move people in and out", value={"add": [813, 814], "remove": [790]})],
    )
    def post(self, request: Request, pk: int) -> Response:
        group = self.get_group(pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        added, removed = services.group_members_change(group=group, by=self.user, **serializer.validated_data)
        data = {"added": added, "removed": removed, "group": self.get_group(pk)}
        return Response(self.OutputSerializer(data).data)
