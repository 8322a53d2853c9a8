"""REST API of enrollment rules (/api/v1/enrollment-rules/) and of a course's enrollment options
(/api/v1/courses/{id}/enrollment-options/); see enrollment/api.py for how the enrollment API is cut.

Rules need `enrollment.manage` (organisation-wide). A course's options are read by its team and whoever may change
them (the course's owners, `enrollment.manage`), and changed by the latter.
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
from syllabus.audiences.models import Audience
from syllabus.catalog.models import Course
from syllabus.core.api import TenantPrimaryKeyField, paginated_response, with_errors
from syllabus.enrollment import policy, selectors, services
from syllabus.enrollment.api import TAG, EnrolledCourseSerializer, EnrollmentApi
from syllabus.enrollment.models import EnrollmentOptions, EnrollmentRule, SelfEnrollment

RULES_CAPABILITY = "enrollment.manage"


class RuleApi(EnrollmentApi):
    def get_rule(self, pk: int) -> EnrollmentRule:
        rule = selectors.rule_get(organization=self.organization, pk=pk)
        if rule is None:
            raise Http404
        return rule


class RuleAudienceSerializer(serializers.Serializer[Audience]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class RuleOutputSerializer(serializers.Serializer[EnrollmentRule]):
    id = serializers.IntegerField()
    course = EnrolledCourseSerializer()
    audience = RuleAudienceSerializer()
    due_from = serializers.ChoiceField(choices=EnrollmentRule.DueFrom.choices)
    due_days = serializers.IntegerField(allow_null=True)
    on_leave = serializers.ChoiceField(choices=EnrollmentRule.OnLeave.choices)
    is_active = serializers.BooleanField()
    enrollment_count = serializers.IntegerField(help_text="Live enrollments this rule made.")
    last_applied_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


RULE_EXAMPLE = {
    "id": 3,
    "course": {"id": 41, "title": "Working at height"},
    "audience": {"id": 12, "name": "Warehouse staff"},
    "due_from": "hire",
    "due_days": 30,
    "on_leave": "withdraw",
    "is_active": True,
    "enrollment_count": 148,
    "last_applied_at": "2026-01-12T09:31:02Z",
    "created_at": "2026-01-12T09:30:58Z",
}


class EnrollmentRuleListApi(RuleApi):
    class FilterSerializer(serializers.Serializer[Any]):
        course = serializers.IntegerField(required=False, help_text="A course id.")

    class InputSerializer(serializers.Serializer[Any]):
        course = TenantPrimaryKeyField(queryset=Course.objects.all(), help_text="A published course.")
        audience = TenantPrimaryKeyField(queryset=Audience.objects.all())  # type: ignore[assignment]
        due_from = serializers.ChoiceField(
            choices=EnrollmentRule.DueFrom.choices,
            required=False,
            default=EnrollmentRule.DueFrom.NONE,
            help_text="`enrollment`: due `due_days` after enrollment; `hire`: after the person's hire date.",
        )
        due_days = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=0)
        on_leave = serializers.ChoiceField(
            choices=EnrollmentRule.OnLeave.choices,
            required=False,
            default=EnrollmentRule.OnLeave.KEEP,
            help_text="What happens to people who leave the audience (completed enrollments are always kept).",
        )

    @extend_schema(
        tags=[TAG],
        summary="List enrollment rules",
        description="Needs `enrollment.manage`.",
        parameters=[FilterSerializer],
        responses=with_errors({200: RuleOutputSerializer(many=True)}, 400, 401, 403),
    )
    def get(self, request: Request) -> Response:
        self.require(RULES_CAPABILITY)
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        rules = selectors.rule_list(organization=self.organization, course_id=filters.validated_data.get("course"))
        return paginated_response(request=request, view=self, queryset=rules, serializer_class=RuleOutputSerializer)

    @extend_schema(
        tags=[TAG],
        summary="Attach an audience to a course",
        description="Needs `enrollment.manage`. Everyone in the audience is enrolled in the background (method "
        "`audience`), and people who join it later are enrolled when they join. One rule per course and audience.",
        request=InputSerializer,
        responses=with_errors({201: RuleOutputSerializer}, 400, 401, 403),
        examples=[
            OpenApiExample(
                "Due 30 days after hire",
                value={"course": 41, "audience": 12, "due_from": "hire", "due_days": 30, "on_leave": "withdraw"},
                request_only=True,
            ),
            OpenApiExample("Created", value=RULE_EXAMPLE, response_only=True, status_codes=["201"]),
        ],
    )
    def post(self, request: Request) -> Response:
        self.require(RULES_CAPABILITY)
        serializer = self.InputSerializer(data=request.data, context=self.serializer_context())
        serializer.is_valid(raise_exception=True)
        rule = services.rule_create(by=self.user, **serializer.validated_data)
        return Response(RuleOutputSerializer(self.get_rule(rule.pk)).data, status=status.HTTP_201_CREATED)


class EnrollmentRuleDetailApi(RuleApi):
    class InputSerializer(serializers.Serializer[Any]):
        due_from = serializers.ChoiceField(choices=EnrollmentRule.DueFrom.choices, required=False)
        due_days = serializers.IntegerField(required=False, allow_null=True, min_value=0)
        on_leave = serializers.ChoiceField(choices=EnrollmentRule.OnLeave.choices, required=False)
        is_active = serializers.BooleanField(required=False, help_text="An inactive rule enrolls nobody new.")

    @extend_schema(
        tags=[TAG],
        summary="Get an enrollment rule",
        description="Needs `enrollment.manage`.",
        responses=with_errors({200: RuleOutputSerializer}, 401, 403, 404),
    )
    def get(self, request: Request, pk: int) -> Response:
        self.require(RULES_CAPABILITY)
        return Response(RuleOutputSerializer(self.get_rule(pk)).data)

    @extend_schema(
        tags=[TAG],
        summary="Change an enrollment rule",
        description="Needs `enrollment.manage`. Fields left out keep their value; the course and audience stay "
        "(delete the rule and make another). An active rule is applied again right after.",
        request=InputSerializer,
        responses=with_errors({200: RuleOutputSerializer}),
        examples=[OpenApiExample("Pause", value={"is_active": False}, request_only=True)],
    )
    def patch(self, request: Request, pk: int) -> Response:
        self.require(RULES_CAPABILITY)
        rule = self.get_rule(pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.rule_update(
            rule=rule,
            by=self.user,
            due_from=data.get("due_from", rule.due_from),
            due_days=data.get("due_days", rule.due_days),
            on_leave=data.get("on_leave", rule.on_leave),
            is_active=data.get("is_active", rule.is_active),
        )
        return Response(RuleOutputSerializer(self.get_rule(pk)).data)

    @extend_schema(
        tags=[TAG],
        summary="Delete an enrollment rule",
        description="Needs `enrollment.manage`. People it enrolled stay enrolled.",
        responses=with_errors({204: None}, 401, 403, 404),
    )
    def delete(self, request: Request, pk: int) -> Response:
        self.require(RULES_CAPABILITY)
        services.rule_delete(rule=self.get_rule(pk), by=self.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- a course's enrollment options -----------------------------------------------------------------------------


class OptionsSerializer(serializers.Serializer[EnrollmentOptions]):
    self_enrollment = serializers.ChoiceField(
        choices=SelfEnrollment.choices,
        required=False,
        help_text="`open`: anyone who sees the course may enroll; `approval`: they request a place; `closed`: only "
        "by assignment.",
    )
    capacity = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="Places (held by active and completed enrollments); null for no limit.",
    )
    waitlist = serializers.BooleanField(required=False, help_text="Keep a waiting list when full.")
    opens_at = serializers.DateTimeField(required=False, allow_null=True, help_text="Self-enrollment opens.")
    closes_at = serializers.DateTimeField(required=False, allow_null=True, help_text="Self-enrollment closes.")
    enrollment_key = serializers.CharField(
        required=False, allow_blank=True, max_length=64, help_text="A key learners must type to enroll (empty: none)."
    )
    default_due_days = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, help_text="A self-enrollment is due this many days after."
    )
    seats_taken = serializers.IntegerField(read_only=True)


class EnrollmentOptionsApi(EnrollmentApi):
    @extend_schema(
        tags=[TAG],
        summary="A course's enrollment options",
        description="The course team and whoever may change the options (the course's owners, "
        "`enrollment.manage`). A course without options has the defaults: open, no limit.",
        responses=with_errors({200: OptionsSerializer}, 401, 403, 404),
    )
    def get(self, request: Request, pk: int) -> Response:
        course = self.get_course(pk)
        principal = self.principal()
        if not (policy.can_manage_participants(principal, course) or policy.can_edit_options(principal, course)):
            raise PermissionDenied(NOT_ALLOWED)
        return Response(OptionsSerializer(services.options_for(course)).data)

    @extend_schema(
        tags=[TAG],
        summary="Change a course's enrollment options",
        description="The course's owners (`course.manage`) or `enrollment.manage`. Fields left out keep their "
        "value. Raising the capacity gives the new places to the waiting list.",
        request=OptionsSerializer,
        responses=with_errors({200: OptionsSerializer}),
        examples=[
            OpenApiExample(
                "Twenty places, approval, a window",
                value={
                    "self_enrollment": "approval",
                    "capacity": 20,
                    "waitlist": True,
                    "opens_at": "2026-02-01T08:00:00Z",
                    "closes_at": "2026-02-28T18:00:00Z",
                    "enrollment_key": "",
                    "default_due_days": 30,
                },
                request_only=True,
            )
        ],
    )
    def put(self, request: Request, pk: int) -> Response:
        course = self.get_course(pk)
        serializer = OptionsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        options = services.options_update(course=course, by=self.user, **serializer.validated_data)
        return Response(OptionsSerializer(options).data)
