"""REST API of enrollments (under /api/v1/enrollments/): list with filters, create one or many, read one, approve,
decline, withdraw and change the due date.

The endpoints are cut by what they serve:
- this module: enrollments themselves, and what the other modules share (the base class, person and course refs);
- `api_groups.py`: a course's groups and their members;
- `api_rules.py`: enrollment rules (audience -> course) and a course's enrollment options.

Thin endpoints (HackSoft style): parse with a nested serializer, look the row up inside the request's organisation
among what the caller may see (anything else answers 404, like an id that does not exist), call one service, which
checks the permission again (403) and validates (400 with field errors, through `core.api.exception_handler`).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from syllabus.access.endpoints import OrganizationEndpoint
from syllabus.accounts.models import Membership
from syllabus.catalog import course_access
from syllabus.catalog.models import Course
from syllabus.core.api import TenantPrimaryKeyField, paginated_response, with_errors
from syllabus.enrollment import policy, selectors, services
from syllabus.enrollment.models import Enrollment, Method, Status

# OpenAPI tag of every enrollment endpoint (enrollments, groups, rules, options).
TAG = "enrollments"
UNKNOWN_PEOPLE = "These people are not in the organisation: {ids}."
MAX_BULK = 5000


# Looks rows up inside the request's organisation, among what the caller may see. (A comment, not a docstring: the
# schema would show a docstring as the description of every endpoint without one.)
class EnrollmentApi(OrganizationEndpoint):
    def get_enrollment(self, pk: int) -> Enrollment:
        enrollment = selectors.enrollment_get(organization=self.organization, principal=self.principal(), pk=pk)
        if enrollment is None:
            raise Http404
        return enrollment

    def get_course(self, pk: int) -> Course:
        """A course the caller may at least open (as a learner or on its team); otherwise 404. What they may do
        with it (403) is for the endpoint and the service to say."""
        course = selectors.course_get(organization=self.organization, pk=pk)
        principal = self.principal()
        if course is None or not (
            course_access.can_see_draft(principal, course)
            or course_access.can_learn(principal, course)
            or policy.can_view_participants(principal, course)
            or policy.can_edit_options(principal, course)
        ):
            raise Http404
        return course

    def enrollment_response(self, pk: int, changed: Enrollment) -> Response:
        """The enrollment after a write, read again with its joins (still visible to whoever could change it)."""
        found = selectors.enrollment_get(organization=self.organization, principal=self.principal(), pk=pk)
        return Response(EnrollmentOutputSerializer(found or changed).data)


# --- shared output ---------------------------------------------------------------------------------------------


# Documented as a string whose values the description lists, not as an enum: the schema turns every enum into a
# component named after the field, and other apps already have a `status` enum with other values.
@extend_schema_field({"type": "string", "example": Status.ACTIVE.value})
class StatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "One of " + ", ".join(f"`{value}`" for value in Status.values) + ".")
        super().__init__(choices=Status.choices, **kwargs)


class EnrolledPersonSerializer(serializers.Serializer[Membership]):
    id = serializers.IntegerField(help_text="The membership id.")
    display_name = serializers.CharField(source="user.display_name")
    email = serializers.EmailField(source="user.email")


class EnrolledCourseSerializer(serializers.Serializer[Course]):
    id = serializers.IntegerField()
    title = serializers.CharField()


class EnrollmentOutputSerializer(serializers.Serializer[Enrollment]):
    id = serializers.IntegerField()
    person = EnrolledPersonSerializer(source="membership")
    course = EnrolledCourseSerializer()
    status = StatusField()
    method = serializers.ChoiceField(choices=Method.choices, help_text="How the person got the enrollment.")
    created_by = serializers.CharField(
        source="created_by.display_name", allow_null=True, help_text="Who enrolled them (null: a rule or the system)."
    )
    version = serializers.SerializerMethodField(help_text="The course version the person follows, e.g. `1.2`.")
    due_at = serializers.DateTimeField(allow_null=True)
    is_overdue = serializers.SerializerMethodField(help_text="Past its due date and not completed.")
    enrolled_at = serializers.DateTimeField(allow_null=True, help_text="When it became active.")
    status_changed_at = serializers.DateTimeField()
    progress_percent = serializers.IntegerField()
    last_activity_at = serializers.DateTimeField(allow_null=True)
    time_spent_seconds = serializers.IntegerField()
    score = serializers.DecimalField(
        max_digits=5, decimal_places=2, coerce_to_string=False, allow_null=True, help_text="Percent."
    )
    completed_at = serializers.DateTimeField(allow_null=True)
    request_note = serializers.CharField(help_text="The person's note to the approver.")
    reason = serializers.CharField(help_text="Why it was declined or ended (or the approver's note).")
    decided_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    def get_version(self, enrollment: Enrollment) -> str | None:
        return enrollment.version.label if enrollment.version_id and enrollment.version else None

    def get_is_overdue(self, enrollment: Enrollment) -> bool:
        return selectors.is_overdue(enrollment)


ENROLLMENT_EXAMPLE = {
    "id": 812,
    "person": {"id": 57, "display_name": "Rita Report", "email": "rita@example.com"},
    "course": {"id": 41, "title": "Working at height"},
    "status": "active",
    "method": "api",
    "created_by": "Max Manager",
    "version": "1.0",
    "due_at": "2026-03-31T23:59:59Z",
    "is_overdue": False,
    "enrolled_at": "2026-01-12T09:30:00Z",
    "status_changed_at": "2026-01-12T09:30:00Z",
    "progress_percent": 40,
    "last_activity_at": "2026-01-14T16:02:11Z",
    "time_spent_seconds": 1260,
    "score": None,
    "completed_at": None,
    "request_note": "",
    "reason": "",
    "decided_at": None,
    "created_at": "2026-01-12T09:30:00Z",
}


# --- enrollments -----------------------------------------------------------------------------------------------


class EnrollmentListApi(EnrollmentApi):
    class FilterSerializer(serializers.Serializer[Any]):
        person = serializers.IntegerField(required=False, help_text="A membership id: that person's enrollments.")
        course = serializers.IntegerField(required=False, help_text="A course id.")
        status = serializers.ChoiceField(choices=Status.choices, required=False)
        method = serializers.ChoiceField(choices=Method.choices, required=False)
        due_before = serializers.DateTimeField(required=False, help_text="Due before this time (ISO 8601).")
        overdue = serializers.BooleanField(
            required=False, default=False, help_text="Only enrollments past their due date and not completed."
        )
        ordering = serializers.ChoiceField(
            choices=list(selectors.ORDERINGS), required=False, default=selectors.DEFAULT_ORDERING
        )

    class InputSerializer(serializers.Serializer[Any]):
        course = TenantPrimaryKeyField(queryset=Course.objects.all(), help_text="A course id.")
        person = TenantPrimaryKeyField(queryset=Membership.objects.all(), help_text="A membership id.")
        due_at = serializers.DateTimeField(required=False, allow_null=True, help_text="In the future, or null.")

    @extend_schema(
        tags=[TAG],
        summary="List enrollments",
        description="The enrollments the caller may see: their own, those of the courses they teach, and those of "
        "the people they may see training of (`enrollment.view`: their reporting line, an org-unit scope, or the "
        "whole organisation). Newest first unless `ordering` says otherwise.",
        parameters=[FilterSerializer],
        responses=with_errors({200: EnrollmentOutputSerializer(many=True)}, 400, 401, 403),
    )
    def get(self, request: Request) -> Response:
        # A plain dict, so a missing boolean takes its default instead of reading as an unticked checkbox.
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        enrollments = selectors.enrollment_list(
            organization=self.organization,
            principal=self.principal(),
            filters=selectors.EnrollmentFilter(
                membership_id=data.get("person"),
                course_id=data.get("course"),
                status=data.get("status", ""),
                method=data.get("method", ""),
                due_before=data.get("due_before"),
                overdue=data["overdue"],
                ordering=data["ordering"],
            ),
        )
        return paginated_response(
            request=request, view=self, queryset=enrollments, serializer_class=EnrollmentOutputSerializer
        )

    @extend_schema(
        tags=[TAG],
        summary="Enroll someone",
        description="Enrolls a person in a published course, recorded with method `api`. Needs to be on the "
        "course's team, or `enrollment.assign` over the person (a manager for their reporting line). The course's "
        "self-enrollment window and key do not apply; its capacity does (the person is waitlisted when full).",
        request=InputSerializer,
        responses=with_errors({201: EnrollmentOutputSerializer}, 400, 401, 403),
        examples=[
            OpenApiExample(
                "Assign with a due date",
                value={"course": 41, "person": 57, "due_at": "2026-03-31T23:59:59Z"},
                request_only=True,
            ),
            OpenApiExample("Created", value=ENROLLMENT_EXAMPLE, response_only=True, status_codes=["201"]),
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data, context=self.serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        enrollment = services.enrollment_create(
            course=data["course"],
            membership=data["person"],
            by=self.user,
            method=Method.API,
            due_at=data.get("due_at"),
        )
        return Response(EnrollmentOutputSerializer(enrollment).data, status=status.HTTP_201_CREATED)


class EnrollmentBulkApi(EnrollmentApi):
    class InputSerializer(serializers.Serializer[Any]):
        course = TenantPrimaryKeyField(queryset=Course.objects.all(), help_text="A course id.")
        people = serializers.ListField(
            child=serializers.IntegerField(min_value=1),
            min_length=1,
            max_length=MAX_BULK,
            help_text=f"Membership ids (at most {MAX_BULK}).",
        )
        due_at = serializers.DateTimeField(required=False, allow_null=True, help_text="In the future, or null.")

        def validate_people(self, value: list[int]) -> list[int]:
            wanted = set(value)
            found = set(
                Membership.objects.filter(organization=self.context["organization"], pk__in=wanted).values_list(
                    "pk", flat=True
                )
            )
            if wanted - found:
                raise serializers.ValidationError(
                    UNKNOWN_PEOPLE.format(ids=", ".join(map(str, sorted(wanted - found))))
                )
            return sorted(wanted)

    class OutputSerializer(serializers.Serializer[Any]):
        created = serializers.IntegerField(help_text="Enrollments made (active or waitlisted).")
        waitlisted = serializers.IntegerField(help_text="Of those, how many are on the waiting list.")
        already_enrolled = serializers.IntegerField(help_text="People who already had a live enrollment.")
        skipped = serializers.IntegerField(help_text="People not enrolled: inactive, or the course is full.")
        enrollments = serializers.ListField(child=serializers.IntegerField(), help_text="Ids of the enrollments made.")
        already_enrolled_people = serializers.ListField(child=serializers.IntegerField(), help_text="Membership ids.")
        skipped_people = serializers.ListField(child=serializers.IntegerField(), help_text="Membership ids.")

    @extend_schema(
        tags=[TAG],
        summary="Enroll many people at once",
        description="One set-based operation, recorded with method `api` and one audit entry. The caller must be "
        "allowed to enroll every one of the people (else 403 and nothing changes). People already enrolled are "
        "left as they are; places go first come first served, then the waiting list.",
        request=InputSerializer,
        responses=with_errors({200: OutputSerializer}, 400, 401, 403),
        examples=[
            OpenApiExample(
                "A team",
                value={"course": 41, "people": [57, 58, 61], "due_at": "2026-03-31T23:59:59Z"},
                request_only=True,
            ),
            OpenApiExample(
                "Summary",
                value={
                    "created": 2,
                    "waitlisted": 0,
                    "already_enrolled": 1,
                    "skipped": 0,
                    "enrollments": [813, 814],
                    "already_enrolled_people": [57],
                    "skipped_people": [],
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data, context=self.serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = services.enrollments_bulk_create(
            course=data["course"],
            membership_ids=data["people"],
            by=self.user,
            method=Method.API,
            due_at=data.get("due_at"),
        )
        summary = {
            **result.as_dict(),
            "enrollments": result.created,
            "already_enrolled_people": result.already,
            "skipped_people": result.skipped,
        }
        return Response(self.OutputSerializer(summary).data)


class EnrollmentDetailApi(EnrollmentApi):
    class InputSerializer(serializers.Serializer[Any]):
        due_at = serializers.DateTimeField(allow_null=True, help_text="In the future, or null for no due date.")

    @extend_schema(
        tags=[TAG],
        summary="Get an enrollment",
        description="The person, the course team, and people with `enrollment.view` over the person.",
        responses=with_errors({200: EnrollmentOutputSerializer}, 401, 403, 404),
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(EnrollmentOutputSerializer(self.get_enrollment(pk)).data)

    @extend_schema(
        tags=[TAG],
        summary="Change the due date",
        description="The course team, or `enrollment.assign` over the person.",
        request=InputSerializer,
        responses=with_errors({200: EnrollmentOutputSerializer}),
        examples=[OpenApiExample("Extend", value={"due_at": "2026-04-30T23:59:59Z"}, request_only=True)],
    )
    def patch(self, request: Request, pk: int) -> Response:
        enrollment = self.get_enrollment(pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changed = services.enrollment_due_set(
            enrollment=enrollment, by=self.user, due_at=serializer.validated_data["due_at"]
        )
        return self.enrollment_response(pk, changed)


class ReasonInputSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)


class EnrollmentApproveApi(EnrollmentApi):
    @extend_schema(
        tags=[TAG],
        summary="Approve a request for a place",
        description="The person's manager (or `enrollment.assign` over them) or the course team; nobody approves "
        "their own request. The person gets a place, or a place on the waiting list when the course is full. "
        "`reason` is an optional note to the person.",
        request=ReasonInputSerializer,
        responses=with_errors({200: EnrollmentOutputSerializer}),
    )
    def post(self, request: Request, pk: int) -> Response:
        enrollment = self.get_enrollment(pk)
        serializer = ReasonInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changed = services.enrollment_approve(
            enrollment=enrollment, by=self.user, reason=serializer.validated_data["reason"]
        )
        return self.enrollment_response(pk, changed)


class EnrollmentDeclineApi(EnrollmentApi):
    @extend_schema(
        tags=[TAG],
        summary="Decline a request for a place",
        description="As approving; `reason` is required (the person reads it).",
        request=ReasonInputSerializer,
        responses=with_errors({200: EnrollmentOutputSerializer}),
        examples=[OpenApiExample("Decline", value={"reason": "Full this quarter: ask again in April."})],
    )
    def post(self, request: Request, pk: int) -> Response:
        enrollment = self.get_enrollment(pk)
        serializer = ReasonInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changed = services.enrollment_decline(
            enrollment=enrollment, by=self.user, reason=serializer.validated_data["reason"]
        )
        return self.enrollment_response(pk, changed)


class EnrollmentWithdrawApi(EnrollmentApi):
    @extend_schema(
        tags=[TAG],
        summary="Withdraw an enrollment",
        description="Ends a live enrollment; progress and completions are kept, and a freed place goes to the "
        "waiting list. The person may leave what they chose themselves (or a request still waiting); the course "
        "team and people with `enrollment.assign` over the person may remove anyone.",
        request=ReasonInputSerializer,
        responses=with_errors({200: EnrollmentOutputSerializer}),
    )
    def post(self, request: Request, pk: int) -> Response:
        enrollment = self.get_enrollment(pk)
        serializer = ReasonInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changed = services.enrollment_withdraw(
            enrollment=enrollment, by=self.user, reason=serializer.validated_data["reason"]
        )
        return self.enrollment_response(pk, changed)


class SelfEnrollInputSerializer(serializers.Serializer[Any]):
    key = serializers.CharField(required=False, default="", allow_blank=True, max_length=64)
    note = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)


class CourseSelfEnrollApi(EnrollmentApi):
    @extend_schema(
        tags=[TAG],
        summary="Enroll yourself in a course",
        description="The caller enrolls in a published course they can see, as on the course page: at once when "
        "it is open, as a request waiting for approval when it needs one (`note` goes to the approver), or on the "
        "waiting list when it is full. `key` is the enrollment key when the course has one. Outside the "
        "self-enrollment window, or for a course open by assignment only, the answer is 400 with the reason.",
        request=SelfEnrollInputSerializer,
        responses=with_errors({201: EnrollmentOutputSerializer}),
        examples=[OpenApiExample("With a key", value={"key": "blue-door"})],
    )
    def post(self, request: Request, pk: int) -> Response:
        course = self.get_course(pk)
        serializer = SelfEnrollInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        made = services.enrollment_self(
            course=course,
            by=self.user,
            key=serializer.validated_data["key"],
            note=serializer.validated_data["note"],
        )
        response = self.enrollment_response(made.pk, made)
        response.status_code = status.HTTP_201_CREATED
        return response
