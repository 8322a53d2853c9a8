"""REST API of assignments, the learner's part (/api/v1/assessment/): what a learner's app needs to hand in.

- `assignments/{course_id}/{activity_uid}/` GET: the assignment's rules, the caller's dates (their extension
  applied), their submissions (newest first) with files and — once released — grades, and what they may do now;
- `.../draft/` PUT `{text, revision}`: save the draft text (409 `stale` when another tab saved since `revision`);
- `.../files/` POST (multipart, `file`): add a file (201); `.../files/{file_id}/` DELETE: remove one;
- `.../submit/` POST `{confirm: true}`: hand the draft in (the honesty statement is required);
- `.../reopen-request/` POST `{note}`: ask the course team for another try.

The assignment is found in the version the caller learns (404 for anyone who may not learn the course, whatever
the reason). Every rule is the service's (services/assignments.py). The course team's part (submissions, grading,
release, extensions) is `api_assignment_grading.py`.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import path
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from syllabus.access.endpoints import OrganizationEndpoint
from syllabus.assessment.assignment_kind import grade_view
from syllabus.assessment.assignment_settings import decimal_text
from syllabus.assessment.models.assignments import FileRole, Submission
from syllabus.assessment.services import assignments as services
from syllabus.catalog import richtext
from syllabus.core import clock
from syllabus.core.api import ErrorSerializer, with_errors

TAG = "Assignments"
NO_SUBMISSION = "You have no submission to this assignment yet."


class AssignmentFileSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    size = serializers.IntegerField()
    content_type = serializers.CharField()
    sha256 = serializers.CharField()
    url = serializers.CharField(help_text="Download (an attachment), for the owner and the course team.")


class AssignmentGradeSerializer(serializers.Serializer[Any]):
    points = serializers.CharField()
    max_points = serializers.CharField()
    percent = serializers.CharField()
    penalty_points = serializers.CharField()
    passed = serializers.BooleanField(allow_null=True)
    method = serializers.CharField(help_text="`points`, `rubric` or `guide`.")
    feedback = serializers.CharField(help_text="Sanitised HTML.")
    criteria = serializers.ListField(
        child=serializers.DictField(),
        help_text="Rubric: name, levels (points, definition, chosen), score, max, remark. Guide: name, "
        "description, score, max, remark.",
    )
    feedback_files = AssignmentFileSerializer(many=True)  # type: ignore[assignment]


class AssignmentSubmissionSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    number = serializers.IntegerField()
    state = serializers.CharField(help_text="`draft`, `submitted` or `reopened`.")
    text = serializers.CharField(help_text="Plain text.")
    word_count = serializers.IntegerField()
    revision = serializers.IntegerField(help_text="Send it back with the next draft save.")
    submitted_at = serializers.DateTimeField(allow_null=True)
    late_seconds = serializers.IntegerField()
    reopen_requested_at = serializers.DateTimeField(allow_null=True)
    files = AssignmentFileSerializer(many=True)  # type: ignore[assignment]
    grade = AssignmentGradeSerializer(allow_null=True, help_text="Only once released.")


class AssignmentSerializer(serializers.Serializer[Any]):
    course_id = serializers.IntegerField()
    activity_uid = serializers.UUIDField()
    title = serializers.CharField()
    intro = serializers.CharField(help_text="Sanitised HTML.")
    submission_text = serializers.BooleanField()
    submission_files = serializers.BooleanField()
    word_limit = serializers.IntegerField(help_text="0: none.")
    max_files = serializers.IntegerField()
    max_file_mb = serializers.IntegerField()
    accepted_types = serializers.ListField(child=serializers.CharField())
    opens_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True, help_text="The caller's (their extension applied).")
    cutoff_at = serializers.DateTimeField(allow_null=True, help_text="The caller's (their extension applied).")
    extension = serializers.BooleanField()
    closed_reason = serializers.CharField(help_text="Why nothing can be saved now, or empty.")
    resubmission = serializers.CharField()
    max_attempts = serializers.IntegerField()
    max_points = serializers.CharField()
    pass_mark = serializers.CharField(allow_null=True)
    can_edit = serializers.BooleanField()
    can_submit = serializers.BooleanField()
    can_request = serializers.BooleanField()
    submissions = AssignmentSubmissionSerializer(many=True)  # type: ignore[assignment]


class AssignmentDraftInputSerializer(serializers.Serializer[Any]):
    text = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=services.TEXT_LIMIT)
    revision = serializers.IntegerField(min_value=0, help_text="The revision the text was written on (0: none).")


class AssignmentSubmitInputSerializer(serializers.Serializer[Any]):
    confirm = serializers.BooleanField(help_text="The honesty statement: “this is my own work”.")


class AssignmentReopenInputSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=services.NOTE_LIMIT)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


class AssignmentApi(OrganizationEndpoint):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def assignment(self, course_id: int, activity_uid: uuid.UUID) -> services.LearnerAssignment:
        return services.assignment_for(self.principal(), self.organization, course_id, activity_uid)

    def current(self, assignment: services.LearnerAssignment) -> Submission:
        found = services.current_submission(
            user_id=self.user.pk, course_id=assignment.course.pk, activity_uid=assignment.uid
        )
        if found is None:
            raise serializers.ValidationError({"non_field_errors": [NO_SUBMISSION]})
        return found

    def file_payload(self, assignment: services.LearnerAssignment, f: Any) -> dict[str, Any]:
        from syllabus.assessment.assignment_kind import file_url

        return {
            "id": f.pk,
            "name": f.name,
            "size": f.size,
            "content_type": f.content_type,
            "sha256": f.sha256,
            "url": file_url(assignment.course.pk, assignment.uid, f.pk),
        }

    def submission_payload(self, assignment: services.LearnerAssignment, s: Submission) -> dict[str, Any]:
        files = list(s.files.all())
        grade = grade_view(s)
        return {
            "id": str(s.public_id),
            "number": s.number,
            "state": s.state,
            "text": s.text,
            "word_count": s.word_count,
            "revision": s.revision,
            "submitted_at": _iso(s.submitted_at),
            "late_seconds": s.late_seconds,
            "reopen_requested_at": _iso(s.reopen_requested_at),
            "files": [self.file_payload(assignment, f) for f in files if f.role == FileRole.SUBMISSION],
            "grade": None
            if grade is None
            else {
                "points": grade["points"],
                "max_points": grade["max_points"],
                "percent": grade["percent"],
                "penalty_points": grade["penalty"] or "0",
                "passed": grade["passed"],
                "method": grade["method"],
                "feedback": str(grade["feedback"]),
                "criteria": grade["criteria"],
                "feedback_files": [self.file_payload(assignment, f) for f in files if f.role == FileRole.FEEDBACK],
            },
        }

    def detail(self, assignment: services.LearnerAssignment) -> dict[str, Any]:
        from syllabus.assessment.assignment_kind import learner_view

        settings = assignment.settings
        course = assignment.course
        now = clock.now()
        dates = services.dates_for(
            settings=settings, user_id=self.user.pk, course_id=course.pk, activity_uid=assignment.uid
        )
        submissions = services.submissions_of(user_id=self.user.pk, course_id=course.pk, activity_uid=assignment.uid)
        view = learner_view(
            settings=settings, dates=dates, submissions=submissions, course_id=course.pk, uid=assignment.uid, now=now
        )
        return {
            "course_id": course.pk,
            "activity_uid": str(assignment.uid),
            "title": str(assignment.activity.get("title", "")),
            "intro": richtext.sanitize_html(settings.intro, course_id=course.pk),
            "submission_text": settings.submission_text,
            "submission_files": settings.submission_files,
            "word_limit": settings.word_limit,
            "max_files": settings.max_files,
            "max_file_mb": settings.max_file_mb,
            "accepted_types": list(settings.types),
            "opens_at": _iso(dates.opens_at),
            "due_at": _iso(dates.due_at),
            "cutoff_at": _iso(dates.cutoff_at),
            "extension": dates.extension is not None,
            "closed_reason": view["closed"],
            "resubmission": settings.resubmission,
            "max_attempts": settings.max_attempts,
            "max_points": decimal_text(settings.max_points),
            "pass_mark": decimal_text(settings.pass_mark) if settings.pass_mark is not None else None,
            "can_edit": view["can_edit"],
            "can_submit": view["can_submit"],
            "can_request": view["can_request"],
            "submissions": [self.submission_payload(assignment, s) for s in submissions],
        }

    def one(self, assignment: services.LearnerAssignment, submission: Submission) -> dict[str, Any]:
        fresh = Submission.objects.select_related("grade").prefetch_related("files").filter(pk=submission.pk).first()
        return self.submission_payload(assignment, fresh or submission)


def _conflict(message: str) -> Response:
    body = {"error": {"status": 409, "code": "stale", "message": message, "errors": []}}
    return Response(body, status=status.HTTP_409_CONFLICT)


class AssignmentDetailApi(AssignmentApi):
    @extend_schema(
        tags=[TAG],
        summary="An assignment: its rules, my dates and my submissions",
        responses=with_errors({200: AssignmentSerializer}, 401, 403, 404),
    )
    def get(self, request: Request, course_id: int, activity_uid: uuid.UUID) -> Response:
        return Response(self.detail(self.assignment(course_id, activity_uid)))


class DraftApi(AssignmentApi):
    @extend_schema(
        tags=[TAG],
        summary="Save my draft text",
        description="Makes the first submission, or the next try after one the team reopened (its text and files "
        "copied). 409 `stale` when the submission changed since `revision` (another tab or app saved). 400 when "
        "the assignment is not open, closed (cut-off passed) or the submission is handed in.",
        request=AssignmentDraftInputSerializer,
        responses=with_errors(
            {200: AssignmentSubmissionSerializer, 409: OpenApiResponse(ErrorSerializer, description="`stale`.")},
            400,
            401,
            403,
            404,
        ),
        examples=[OpenApiExample("A draft", value={"text": "The fire door was blocked.", "revision": 3})],
    )
    def put(self, request: Request, course_id: int, activity_uid: uuid.UUID) -> Response:
        assignment = self.assignment(course_id, activity_uid)
        serializer = AssignmentDraftInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if assignment.version is None:
            raise Http404
        try:
            submission = services.submission_save(
                by=self.user, course=assignment.course, version=assignment.version, activity_uid=assignment.uid,
                settings=assignment.settings, text=serializer.validated_data["text"],
                revision=serializer.validated_data["revision"],
            )  # fmt: skip
        except services.StaleRevision:
            return _conflict(services.STALE)
        except PermissionDenied:
            raise Http404 from None
        return Response(self.one(assignment, submission))


class FilesApi(AssignmentApi):
    @extend_schema(
        tags=[TAG],
        summary="Add a file to my draft",
        description="multipart/form-data with `file`. Refused (400, under `file`) when too large, of a type the "
        "assignment does not take, when its content does not match its extension, or is a program, HTML or SVG.",
        request={
            "multipart/form-data": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
        },
        responses=with_errors({201: AssignmentSubmissionSerializer}, 400, 401, 403, 404),
    )
    def post(self, request: Request, course_id: int, activity_uid: uuid.UUID) -> Response:
        assignment = self.assignment(course_id, activity_uid)
        if assignment.version is None:
            raise Http404
        try:
            draft = services.draft_for(
                by=self.user, course=assignment.course, version=assignment.version, activity_uid=assignment.uid,
                settings=assignment.settings,
            )  # fmt: skip
            added = services.submission_file_add(by=self.user, submission=draft, upload=request.FILES.get("file"))
        except PermissionDenied:
            raise Http404 from None
        return Response(self.one(assignment, added.submission), status=status.HTTP_201_CREATED)


class FileApi(AssignmentApi):
    @extend_schema(
        tags=[TAG], summary="Remove a file from my draft", responses=with_errors({200: AssignmentSubmissionSerializer})
    )
    def delete(self, request: Request, course_id: int, activity_uid: uuid.UUID, file_id: int) -> Response:
        assignment = self.assignment(course_id, activity_uid)
        try:
            draft = services.submission_file_remove(by=self.user, submission=self.current(assignment), file_id=file_id)
        except PermissionDenied:
            raise Http404 from None
        return Response(self.one(assignment, draft))


class SubmitApi(AssignmentApi):
    @extend_schema(
        tags=[TAG],
        summary="Hand my draft in for grading",
        description="Final: afterwards the submission is read-only (the team may give it back). Needs `confirm: "
        "true`, some text or a file, the text within the word limit, and the caller's cut-off not passed. Late "
        "work records `late_seconds` against the caller's due date.",
        request=AssignmentSubmitInputSerializer,
        responses=with_errors({200: AssignmentSubmissionSerializer}, 400, 401, 403, 404),
        examples=[OpenApiExample("Hand in", value={"confirm": True}, request_only=True)],
    )
    def post(self, request: Request, course_id: int, activity_uid: uuid.UUID) -> Response:
        assignment = self.assignment(course_id, activity_uid)
        serializer = AssignmentSubmitInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        current = self.current(assignment)
        try:
            done = services.submission_submit(
                by=self.user, submission=current, confirm=serializer.validated_data["confirm"]
            )
        except PermissionDenied:
            raise Http404 from None
        return Response(self.one(assignment, done))


class ReopenRequestApi(AssignmentApi):
    @extend_schema(
        tags=[TAG],
        summary="Ask for another try",
        description="Where the assignment takes resubmissions on request and tries are left; once per submission.",
        request=AssignmentReopenInputSerializer,
        responses=with_errors({200: AssignmentSubmissionSerializer}, 400, 401, 403, 404),
    )
    def post(self, request: Request, course_id: int, activity_uid: uuid.UUID) -> Response:
        assignment = self.assignment(course_id, activity_uid)
        serializer = AssignmentReopenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        current = self.current(assignment)
        try:
            done = services.reopen_request(by=self.user, submission=current, note=serializer.validated_data["note"])
        except PermissionDenied:
            raise Http404 from None
        return Response(self.one(assignment, done))


ASSIGNMENT = "assignments/<int:course_id>/<uuid:activity_uid>/"

urlpatterns = [
    path(ASSIGNMENT, AssignmentDetailApi.as_view(), name="assessment-assignment"),
    path(f"{ASSIGNMENT}draft/", DraftApi.as_view(), name="assessment-assignment-draft"),
    path(f"{ASSIGNMENT}files/", FilesApi.as_view(), name="assessment-assignment-files"),
    path(f"{ASSIGNMENT}files/<int:file_id>/", FileApi.as_view(), name="assessment-assignment-file"),
    path(f"{ASSIGNMENT}submit/", SubmitApi.as_view(), name="assessment-assignment-submit"),
    path(f"{ASSIGNMENT}reopen-request/", ReopenRequestApi.as_view(), name="assessment-assignment-reopen-request"),
]
