"""REST API of a course's team (under /api/v1/courses/{id}/staff/): owners, editors and non-editing instructors.
Reading it is for whoever may see the draft; changing it needs `course.manage` (the owners)."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from syllabus.accounts.models import Membership
from syllabus.catalog import selectors, services
from syllabus.catalog.api import TAG_COURSES, CourseApi, CourseStaffSerializer
from syllabus.catalog.models import Course, CourseStaff
from syllabus.core.api import TenantPrimaryKeyField, paginated_response, with_errors

# --- the course team ----------------------------------------------------------------------------------------------


class StaffListApi(CourseApi):
    class InputSerializer(serializers.Serializer[Any]):
        membership = TenantPrimaryKeyField(queryset=Membership.objects.all(), help_text="A membership id.")
        role = serializers.ChoiceField(choices=CourseStaff.Role.choices)

    @extend_schema(
        operation_id="courses_staff_list",
        tags=[TAG_COURSES],
        summary="A course's team",
        responses=with_errors({200: CourseStaffSerializer(many=True)}, 401, 403, 404),
    )
    def get(self, request: Request, pk: int) -> Response:
        course = self.course_for_staff(pk)
        return paginated_response(
            request=request,
            view=self,
            queryset=selectors.staff_of(course=course),
            serializer_class=CourseStaffSerializer,
        )

    @extend_schema(
        operation_id="courses_staff_create",
        tags=[TAG_COURSES],
        summary="Add someone to a course's team",
        description="Needs `course.manage` (owner). Someone already on the team gets the new role.",
        request=InputSerializer,
        responses=with_errors({201: CourseStaffSerializer}),
    )
    def post(self, request: Request, pk: int) -> Response:
        course = self.course_to_change(pk, "course.manage")
        serializer = self.InputSerializer(data=request.data, context=self.serializer_context())
        serializer.is_valid(raise_exception=True)
        member = services.staff_set(course=course, by=self.user, **serializer.validated_data)
        return Response(CourseStaffSerializer(member).data, status=status.HTTP_201_CREATED)


class StaffDetailApi(CourseApi):
    class InputSerializer(serializers.Serializer[Any]):
        role = serializers.ChoiceField(choices=CourseStaff.Role.choices)

    def get_member(self, course: Course, membership_id: int) -> CourseStaff:
        member = selectors.staff_of(course=course).filter(membership_id=membership_id).first()
        if member is None:
            raise Http404
        return member

    @extend_schema(
        operation_id="courses_staff_partial_update",
        tags=[TAG_COURSES],
        summary="Change someone's role on a course",
        description="Needs `course.manage`. A course keeps at least one owner.",
        parameters=[OpenApiParameter("membership_id", int, OpenApiParameter.PATH, description="A membership id.")],
        request=InputSerializer,
        responses=with_errors({200: CourseStaffSerializer}),
    )
    def patch(self, request: Request, pk: int, membership_id: int) -> Response:
        course = self.course_to_change(pk, "course.manage")
        member = self.get_member(course, membership_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changed = services.staff_set(
            course=course, by=self.user, membership=member.membership, role=serializer.validated_data["role"]
        )
        return Response(CourseStaffSerializer(changed).data)

    @extend_schema(
        operation_id="courses_staff_destroy",
        tags=[TAG_COURSES],
        summary="Take someone off a course's team",
        description="Needs `course.manage`. A course keeps at least one owner.",
        parameters=[OpenApiParameter("membership_id", int, OpenApiParameter.PATH, description="A membership id.")],
        responses=with_errors({204: None}),
    )
    def delete(self, request: Request, pk: int, membership_id: int) -> Response:
        course = self.course_to_change(pk, "course.manage")
        member = self.get_member(course, membership_id)
        services.staff_remove(course=course, by=self.user, membership=member.membership)
        return Response(status=status.HTTP_204_NO_CONTENT)
