"""REST API of assignment grading (/api/v1/assessment/): the grading queue of a course's assignments, one submission
with its grade, grading it (rubric, marking guide or points), releasing grades, reopening a submission, and
per-person extensions.

Who: the course team (`policy.can_grade`). A course, assignment, submission or extension of another organisation —
or one that does not exist, or a draft — is not found (404); anyone else, a learner of the course included, is
refused (403). The services validate, so the pages and the API refuse the same things with the same words
(`services/assignment_grading.py`, `rubric_scoring.py`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from syllabus.access.endpoints import OrganizationEndpoint
from syllabus.access.policy import NOT_ALLOWED
from syllabus.accounts.models import User
from syllabus.assessment import policy, rubric_scoring
from syllabus.assessment import selectors_assignments as selectors
from syllabus.assessment.models import AssignmentExtension, Submission, SubmissionGrade
from syllabus.assessment.services import assignment_grading as services
from syllabus.catalog.models import Course
from syllabus.core.api import Pagination, with_errors

TAG = "Assessment: assignment grading"
BODY_NOT_OBJECT = "Send a JSON object."
BAD_UUID = "Give an assignment's uid."
BAD_GROUP = "Give a group's id."


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else rubric_scoring.decimal_text(value)


def _person(user: User | None) -> dict[str, Any] | None:
    return None if user is None else {"id": user.pk, "name": user.display_name, "email": user.email}


def service_errors(exc: DjangoValidationError) -> serializers.ValidationError:
    if not hasattr(exc, "error_dict"):
        return serializers.ValidationError({"non_field_errors": exc.messages})
    return serializers.ValidationError(
        {("non_field_errors" if name == "__all__" else name): messages for name, messages in exc.message_dict.items()}
    )


class AssignmentGradingApi(OrganizationEndpoint):
    def course(self, course_id: int) -> Course:
        course = selectors.course_get(organization=self.organization, pk=course_id)
        if course is None:
            raise Http404
        if not policy.can_grade(self.principal(), course):
            raise PermissionDenied(NOT_ALLOWED)
        return course

    def assignment(self, course: Course, uid: uuid.UUID) -> selectors.AssignmentRef:
        found = selectors.assignment_get(course=course, uid=uid)
        if found is None:
            raise Http404
        return found

    def submission(self, course: Course, submission_id: int) -> Submission:
        found = selectors.submission_get(course=course, pk=submission_id)
        if found is None:
            raise Http404
        return found

    def body(self, request: Request) -> Mapping[str, Any]:
        if not isinstance(request.data, Mapping):
            raise serializers.ValidationError({"non_field_errors": [BODY_NOT_OBJECT]})
        return request.data


# --- serializers --------------------------------------------------------------------------------------------------


class AssignmentGradingPersonSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()


class AssignmentGradingGradeSerializer(serializers.Serializer[Any]):
    method = serializers.CharField(help_text="`points`, `rubric` or `guide`.")
    definition = serializers.JSONField(help_text="The rubric or guide the grade was given against ({} for points).")
    filling = serializers.JSONField(
        help_text='Rubric: {criterion: {"level", "remark"}}; guide: {criterion: {"mark", "comment"}}; points: {}.'
    )
    raw_points = serializers.CharField()
    penalty_points = serializers.CharField(help_text="Taken off for lateness.")
    points = serializers.CharField()
    max_points = serializers.CharField()
    percent = serializers.CharField()
    passed = serializers.BooleanField(allow_null=True, help_text="null: the assignment has no pass mark.")
    feedback = serializers.CharField(help_text="Sanitised HTML.")
    grader = AssignmentGradingPersonSerializer(allow_null=True)
    graded_at = serializers.DateTimeField()
    released = serializers.BooleanField()
    released_at = serializers.DateTimeField(allow_null=True)


class AssignmentGradingFileSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    role = serializers.CharField(help_text="`submission` (the learner's) or `feedback` (the grader's).")
    name = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.CharField(help_text="The team's download link (a page, signed-in session).")


class AssignmentGradingSubmissionSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    public_id = serializers.UUIDField()
    assignment = serializers.UUIDField(help_text="The assignment activity's uid.")
    learner = AssignmentGradingPersonSerializer()
    number = serializers.IntegerField(help_text="1 for the first try; a reopened submission's next is number + 1.")
    state = serializers.CharField(help_text="`submitted` or `reopened`.")
    submitted_at = serializers.DateTimeField(allow_null=True)
    late_seconds = serializers.IntegerField(help_text="After the person's due date (their extension applied).")
    grade = AssignmentGradingGradeSerializer(allow_null=True)


class AssignmentGradingSubmissionDetailSerializer(AssignmentGradingSubmissionSerializer):
    text = serializers.CharField(help_text="The online text (sanitised HTML or plain text).")
    word_count = serializers.IntegerField()
    files = AssignmentGradingFileSerializer(many=True)
    reopen_requested_at = serializers.DateTimeField(allow_null=True)
    reopen_note = serializers.CharField()


def _grade(grade: SubmissionGrade | None, *, full: bool) -> dict[str, Any] | None:
    if grade is None:
        return None
    return {
        "method": grade.method,
        "definition": grade.definition if full else {},
        "filling": grade.filling if full else {},
        "raw_points": _decimal(grade.raw_points),
        "penalty_points": _decimal(grade.penalty_points),
        "points": _decimal(grade.points),
        "max_points": _decimal(grade.max_points),
        "percent": _decimal(grade.percent),
        "passed": grade.passed,
        "feedback": grade.feedback if full else "",
        "grader": _person(grade.grader),
        "graded_at": grade.graded_at,
        "released": grade.released,
        "released_at": grade.released_at,
    }


def _grade_of(submission: Submission) -> SubmissionGrade | None:
    try:
        return submission.grade
    except SubmissionGrade.DoesNotExist:
        return None


def _submission(submission: Submission, *, full: bool = False) -> dict[str, Any]:
    data = {
        "id": submission.pk,
        "public_id": submission.public_id,
        "assignment": submission.activity_uid,
        "learner": _person(submission.user),
        "number": submission.number,
        "state": submission.state,
        "submitted_at": submission.submitted_at,
        "late_seconds": submission.late_seconds,
        "grade": _grade(_grade_of(submission), full=full),
    }
    if full:
        learner_files, feedback_files = selectors.files_of(submission)
        data.update(
            text=submission.text,
            word_count=submission.word_count,
            files=[
                {
                    "id": f.pk,
                    "role": f.role,
                    "name": f.name,
                    "size": f.size,
                    "url": reverse("assessment:assignment-team-file", args=[submission.course_id, f.pk]),
                }
                for f in [*learner_files, *feedback_files]
            ],
            reopen_requested_at=submission.reopen_requested_at,
            reopen_note=submission.reopen_note,
        )
    return data


# --- the queue ----------------------------------------------------------------------------------------------------


class SubmissionListApi(AssignmentGradingApi):
    @extend_schema(
        tags=[TAG],
        summary="The grading queue: each person's latest handed-in submission of each assignment",
        description="The course team. Oldest first. Grades are summarised (no definition, filling or feedback: "
        "GET one submission for those).",
        parameters=[
            OpenApiParameter("assignment", OpenApiTypes.UUID, required=False, description="Only this assignment."),
            OpenApiParameter("show", str, enum=[s for s in selectors.SHOW_CHOICES if s], required=False),
            OpenApiParameter("late", bool, required=False, description="Only late submissions."),
            OpenApiParameter("group", int, required=False, description="Only members of this course group."),
            OpenApiParameter("q", str, required=False, description="Part of a name or email."),
        ],
        responses=with_errors({200: AssignmentGradingSubmissionSerializer(many=True)}, 400, 401, 403, 404),
    )
    def get(self, request: Request, course_id: int) -> Response:
        course = self.course(course_id)
        params = request.query_params
        assignment = None
        if params.get("assignment"):
            try:
                assignment = uuid.UUID(str(params["assignment"]))
            except ValueError:
                raise serializers.ValidationError({"assignment": [BAD_UUID]}) from None
            self.assignment(course, assignment)
        group = None
        if params.get("group"):
            raw = str(params["group"])
            if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
                raise serializers.ValidationError({"group": [BAD_GROUP]})
            group = int(raw)
        show = str(params.get("show", ""))
        filters = selectors.QueueFilters(
            assignment=assignment,
            show=show if show in selectors.SHOW_CHOICES else selectors.SHOW_ALL,
            late=str(params.get("late", "")).lower() in {"1", "true", "on", "yes"},
            group=group,
            q=str(params.get("q", ""))[:100],
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(selectors.queue(course=course, filters=filters), request, view=self) or []
        return paginator.get_paginated_response(
            AssignmentGradingSubmissionSerializer([_submission(s) for s in page], many=True).data
        )


# --- one submission and its grade ---------------------------------------------------------------------------------


class AssignmentGradingGradeInputSerializer(serializers.Serializer[Any]):
    filling = serializers.JSONField(
        required=False, default=dict,
        help_text='Rubric: {"c1": {"level": "c1-l2", "remark": "..."}}; guide: {"g1": {"mark": "7.5", "comment": ""}}.',
    )  # fmt: skip
    points = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, default=None, max_length=40,
        help_text='With the points method: from 0 to the maximum ("17.5").',
    )  # fmt: skip
    feedback = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=services.FEEDBACK_LIMIT,
        help_text="For the learner (HTML is sanitised).",
    )  # fmt: skip
    release = serializers.BooleanField(required=False, default=False, help_text="Release it to the learner now.")


class SubmissionApi(AssignmentGradingApi):
    @extend_schema(
        tags=[TAG],
        summary="One handed-in submission with its grade",
        responses=with_errors({200: AssignmentGradingSubmissionDetailSerializer}, 401, 403, 404),
    )
    def get(self, request: Request, course_id: int, submission_id: int) -> Response:
        submission = self.submission(self.course(course_id), submission_id)
        return Response(AssignmentGradingSubmissionDetailSerializer(_submission(submission, full=True)).data)

    @extend_schema(
        tags=[TAG],
        summary="Grade a submission (or change its grade)",
        description="The course team. By the assignment's method: a rubric `filling` (a level for every criterion), "
        "a guide `filling` (a mark for every criterion) or `points`. The late penalty follows from the submission's "
        "lateness. With `release`, the learner sees it at once; a released grade stays released and a change "
        "reaches progress and the gradebook again. Errors are keyed by criterion id, `points` or `feedback`. "
        "Feedback files are added on the grading page. Audited.",
        request=AssignmentGradingGradeInputSerializer,
        responses=with_errors({200: AssignmentGradingSubmissionDetailSerializer}, 400, 401, 403, 404),
        examples=[
            OpenApiExample(
                "A rubric grade",
                value={"filling": {"c1": {"level": "c1-l2", "remark": "Clear"}, "c2": "c2-l1"}, "release": True},
            ),
            OpenApiExample("Points", value={"points": "17.5", "feedback": "<p>Good work.</p>"}),
        ],
    )
    def put(self, request: Request, course_id: int, submission_id: int) -> Response:
        submission = self.submission(self.course(course_id), submission_id)
        serializer = AssignmentGradingGradeInputSerializer(data=self.body(request))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            services.grade_save(
                by=self.user,
                submission=submission,
                settings=selectors.settings_for_submission(submission),
                filling=data["filling"],
                points=data["points"],
                feedback=data["feedback"],
                release=data["release"],
            )
        except DjangoValidationError as exc:
            raise service_errors(exc) from None
        fresh = self.submission(submission.course, submission.pk)
        return Response(AssignmentGradingSubmissionDetailSerializer(_submission(fresh, full=True)).data)


class AssignmentGradingReleaseInputSerializer(serializers.Serializer[Any]):
    submissions = serializers.ListField(
        child=serializers.IntegerField(min_value=1), max_length=services.RELEASE_LIMIT,
        help_text="Submission ids of this assignment; those not graded or already released are skipped.",
    )  # fmt: skip


class AssignmentGradingReleaseResultSerializer(serializers.Serializer[Any]):
    released = serializers.IntegerField()


class ReleaseApi(AssignmentGradingApi):
    @extend_schema(
        tags=[TAG],
        summary="Release grades of an assignment",
        description="The course team. Learners see them; progress and the gradebook hear of them. One audit record.",
        request=AssignmentGradingReleaseInputSerializer,
        responses=with_errors({200: AssignmentGradingReleaseResultSerializer}, 400, 401, 403, 404),
    )
    def post(self, request: Request, course_id: int, uid: uuid.UUID) -> Response:
        course = self.course(course_id)
        self.assignment(course, uid)
        serializer = AssignmentGradingReleaseInputSerializer(data=self.body(request))
        serializer.is_valid(raise_exception=True)
        try:
            count = services.grades_release(
                by=self.user, course=course, activity_uid=uid, submission_ids=serializer.validated_data["submissions"]
            )
        except DjangoValidationError as exc:
            raise service_errors(exc) from None
        return Response({"released": count})


class AssignmentGradingReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=services.REASON_LIMIT, help_text="Kept in the audit trail.")


class ReopenApi(AssignmentGradingApi):
    @extend_schema(
        tags=[TAG],
        summary="Reopen a submission for resubmission",
        description="The course team, when the assignment takes resubmissions on request and the person has "
        "attempts left. Audited with the reason.",
        request=AssignmentGradingReasonSerializer,
        responses=with_errors({200: AssignmentGradingSubmissionDetailSerializer}, 400, 401, 403, 404),
    )
    def post(self, request: Request, course_id: int, submission_id: int) -> Response:
        submission = self.submission(self.course(course_id), submission_id)
        serializer = AssignmentGradingReasonSerializer(data=self.body(request))
        serializer.is_valid(raise_exception=True)
        try:
            services.submission_reopen(by=self.user, submission=submission, reason=serializer.validated_data["reason"])
        except DjangoValidationError as exc:
            raise service_errors(exc) from None
        fresh = self.submission(submission.course, submission.pk)
        return Response(AssignmentGradingSubmissionDetailSerializer(_submission(fresh, full=True)).data)


# --- extensions ---------------------------------------------------------------------------------------------------


class AssignmentGradingExtensionSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    learner = AssignmentGradingPersonSerializer()
    due_at = serializers.DateTimeField()
    cutoff_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField()
    granted_by = AssignmentGradingPersonSerializer(allow_null=True)


def _extension(extension: AssignmentExtension) -> dict[str, Any]:
    return {
        "id": extension.pk,
        "learner": _person(extension.user),
        "due_at": extension.due_at,
        "cutoff_at": extension.cutoff_at,
        "reason": extension.reason,
        "granted_by": _person(extension.granted_by),
    }


class AssignmentGradingExtensionInputSerializer(serializers.Serializer[Any]):
    user = serializers.IntegerField(min_value=1, help_text="A person enrolled in the course.")
    due_at = serializers.DateTimeField(
        help_text="After the assignment's own due date (or, without one, in the future)."
    )
    cutoff_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(max_length=services.REASON_LIMIT)


class ExtensionsApi(AssignmentGradingApi):
    @extend_schema(
        tags=[TAG],
        summary="Extensions of an assignment",
        responses=with_errors({200: AssignmentGradingExtensionSerializer(many=True)}, 401, 403, 404),
    )
    def get(self, request: Request, course_id: int, uid: uuid.UUID) -> Response:
        course = self.course(course_id)
        self.assignment(course, uid)
        paginator = Pagination()
        rows = selectors.extensions_of(course=course, activity_uid=uid)
        page = paginator.paginate_queryset(rows, request, view=self) or []
        return paginator.get_paginated_response(
            AssignmentGradingExtensionSerializer([_extension(e) for e in page], many=True).data
        )

    @extend_schema(
        tags=[TAG],
        summary="Grant (or change) a person's extension",
        description="The course team. Replaces the person's extension, if any. Audited with the reason; the "
        "lateness and late penalty of what they handed in follow.",
        request=AssignmentGradingExtensionInputSerializer,
        responses=with_errors({201: AssignmentGradingExtensionSerializer}, 400, 401, 403, 404),
    )
    def post(self, request: Request, course_id: int, uid: uuid.UUID) -> Response:
        course = self.course(course_id)
        self.assignment(course, uid)
        serializer = AssignmentGradingExtensionInputSerializer(data=self.body(request))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = selectors.enrolled_learner(course=course, user_id=data["user"])
        if user is None:
            raise serializers.ValidationError({"user": [services.EXTENSION_NOT_LEARNER]})
        try:
            extension = services.extension_set(
                by=self.user,
                course=course,
                activity_uid=uid,
                user=user,
                due_at=data["due_at"],
                cutoff_at=data["cutoff_at"],
                reason=data["reason"],
            )
        except DjangoValidationError as exc:
            raise service_errors(exc) from None
        return Response(
            AssignmentGradingExtensionSerializer(_extension(extension)).data, status=status.HTTP_201_CREATED
        )


class ExtensionApi(AssignmentGradingApi):
    @extend_schema(
        tags=[TAG],
        summary="Remove a person's extension",
        description="The body carries the `reason` (kept in the audit trail).",
        request=AssignmentGradingReasonSerializer,
        responses=with_errors({204: None}, 400, 401, 403, 404),
    )
    def delete(self, request: Request, course_id: int, uid: uuid.UUID, pk: int) -> Response:
        course = self.course(course_id)
        self.assignment(course, uid)
        extension = selectors.extension_get(course=course, activity_uid=uid, pk=pk)
        if extension is None:
            raise Http404
        serializer = AssignmentGradingReasonSerializer(data=self.body(request))
        serializer.is_valid(raise_exception=True)
        try:
            services.extension_remove(by=self.user, extension=extension, reason=serializer.validated_data["reason"])
        except DjangoValidationError as exc:
            raise service_errors(exc) from None
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path(
        "courses/<int:course_id>/assignments/submissions/",
        SubmissionListApi.as_view(),
        name="assessment-assignment-submissions",
    ),
    path(
        "courses/<int:course_id>/assignments/submissions/<int:submission_id>/",
        SubmissionApi.as_view(),
        name="assessment-assignment-submission",
    ),
    path(
        "courses/<int:course_id>/assignments/submissions/<int:submission_id>/reopen/",
        ReopenApi.as_view(),
        name="assessment-assignment-reopen",
    ),
    path(
        "courses/<int:course_id>/assignments/<uuid:uid>/release/",
        ReleaseApi.as_view(),
        name="assessment-assignment-release",
    ),
    path(
        "courses/<int:course_id>/assignments/<uuid:uid>/extensions/",
        ExtensionsApi.as_view(),
        name="assessment-assignment-extensions",
    ),
    path(
        "courses/<int:course_id>/assignments/<uuid:uid>/extensions/<int:pk>/",
        ExtensionApi.as_view(),
        name="assessment-assignment-extension",
    ),
]
