"""REST API of grading (/api/v1/assessment/): a quiz's results per learner, the answers waiting for a grader,
grading one answer, per-person overrides of a quiz, and regrading a question (a dry run shows the plan).

Who: the course team (`policy.can_grade`) for results, grading and overrides; regrading needs `course.edit`
(`policy.can_regrade`). A course, quiz or answer of another organisation — or one that does not exist — is not found
(404); anyone else, a learner of the course included, is refused (403). The services validate, so the pages and the
API refuse the same things with the same words (`services/attempts.py`, `services/regrade.py`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from syllabus.access.endpoints import OrganizationEndpoint
from syllabus.access.policy import NOT_ALLOWED
from syllabus.accounts.models import User
from syllabus.assessment import policy
from syllabus.assessment import selectors_grading as selectors
from syllabus.assessment.models import Attempt, Question, QuestionAnswer
from syllabus.assessment.question_types import base as qtypes
from syllabus.assessment.services import attempts as attempt_services
from syllabus.assessment.services import regrade as regrade_services
from syllabus.assessment.services.questions import version_as_question
from syllabus.catalog.models import Course
from syllabus.core.api import Pagination, paginated_response, with_errors

TAG = "Assessment: grading"
BODY_NOT_OBJECT = "Send a JSON object."
UNKNOWN_LEARNER = "Choose a person enrolled in this course."
UNKNOWN_QUESTION = "No question of the organisation has this id."
NO_OVERRIDE = "This person has no override on this quiz."
USER_REQUIRED = "Say whose override to remove (`user`)."
# A user id as sent: ASCII digits few enough for the database (a longer number makes SQLite raise, not "not found").
USER_ID = re.compile(r"[0-9]{1,18}")


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else f"{value.normalize():f}"


class GradingApi(OrganizationEndpoint):
    def course(self, course_id: int, *, regrade: bool = False) -> Course:
        course = selectors.course_get(organization=self.organization, pk=course_id)
        if course is None:
            raise Http404
        principal = self.principal()
        allowed = policy.can_regrade(principal, course) if regrade else policy.can_grade(principal, course)
        if not allowed:
            raise PermissionDenied(NOT_ALLOWED)
        return course

    def quiz(self, course: Course, uid: uuid.UUID) -> selectors.QuizRef:
        quiz = selectors.quiz_get(course=course, uid=uid)
        if quiz is None:
            raise Http404
        return quiz

    def body(self, request: Request) -> Mapping[str, Any]:
        if not isinstance(request.data, Mapping):
            raise serializers.ValidationError({"non_field_errors": [BODY_NOT_OBJECT]})
        return request.data


def service_errors(exc: DjangoValidationError) -> serializers.ValidationError:
    if not hasattr(exc, "error_dict"):
        return serializers.ValidationError({"non_field_errors": exc.messages})
    return serializers.ValidationError(
        {("non_field_errors" if name == "__all__" else name): messages for name, messages in exc.message_dict.items()}
    )


# --- results ------------------------------------------------------------------------------------------------------


class GradingPersonSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(help_text="The person's user id.")
    name = serializers.CharField()
    email = serializers.EmailField()


def _person(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.display_name, "email": user.email}


class QuizAttemptResultSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField(help_text="The attempt's public id (its review: `attempts/{id}/review/`).")
    number = serializers.IntegerField()
    state = serializers.CharField(help_text="`in_progress`, `finished`, `needs_grading` or `abandoned`.")
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    marks = serializers.CharField(allow_null=True, help_text='Decimal as a string ("7.5").')
    max_marks = serializers.CharField()
    grade = serializers.CharField(allow_null=True, help_text="Percent; null until every answer is graded.")
    passed = serializers.BooleanField(allow_null=True)
    submitted_late = serializers.BooleanField()


class QuizResultSerializer(serializers.Serializer[Any]):
    learner = GradingPersonSerializer()
    state = serializers.CharField(help_text="The most telling state of their attempts.")
    grade = serializers.CharField(allow_null=True, help_text="The quiz grade by its grading method (percent).")
    passed = serializers.BooleanField(allow_null=True)
    attempts = QuizAttemptResultSerializer(many=True)


def _attempt_result(attempt: Attempt) -> dict[str, Any]:
    return {
        "id": attempt.public_id,
        "number": attempt.number,
        "state": attempt.state,
        "started_at": attempt.started_at,
        "finished_at": attempt.finished_at,
        "marks": _decimal(attempt.marks),
        "max_marks": _decimal(attempt.max_marks),
        "grade": _decimal(attempt.grade),
        "passed": attempt.passed,
        "submitted_late": attempt.submitted_late,
    }


class QuizResultsApi(GradingApi):
    @extend_schema(
        tags=[TAG],
        summary="A quiz's results, one item per learner",
        description="The course team. Learners with an attempt, by name; `state` keeps those with an attempt in "
        "that state. The quiz grade follows the quiz's grading method (highest, average, first, last).",
        parameters=[
            OpenApiParameter("state", str, enum=list(selectors.STATE_FILTERS), required=False),
            OpenApiParameter("q", str, required=False, description="Part of a name or email."),
        ],
        responses=with_errors({200: QuizResultSerializer(many=True)}, 401, 403, 404),
    )
    def get(self, request: Request, course_id: int, uid: uuid.UUID) -> Response:
        course = self.course(course_id)
        self.quiz(course, uid)
        state = request.query_params.get("state", "")
        learners = selectors.result_learners(course=course, activity_uid=uid, state=state)
        if request.query_params.get("q"):
            learners = learners.filter(selectors.name_filter(str(request.query_params["q"])))
        paginator = Pagination()
        page = paginator.paginate_queryset(learners, request, view=self) or []
        rows = selectors.result_rows(course=course, activity_uid=uid, learners=list(page))
        data = [
            {
                "learner": _person(row.learner),
                "state": row.state,
                "grade": _decimal(row.grade),
                "passed": row.passed,
                "attempts": [_attempt_result(a) for a in row.attempts],
            }
            for row in rows
        ]
        return paginator.get_paginated_response(QuizResultSerializer(data, many=True).data)


# --- the grading queue and grading --------------------------------------------------------------------------------


class GradingQuestionSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    version = serializers.IntegerField(help_text="The version number the attempt used.")
    name = serializers.CharField()
    qtype = serializers.CharField()


class GradingAnswerSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(help_text="Grade it with `answers/{id}/grade/`.")
    attempt = serializers.UUIDField(help_text="The attempt's public id.")
    attempt_number = serializers.IntegerField()
    quiz = serializers.UUIDField(help_text="The quiz activity's uid.")
    learner = GradingPersonSerializer()
    slot = serializers.IntegerField()
    question = GradingQuestionSerializer()
    response = serializers.JSONField(help_text="As the question type stores it (an essay: `{text}`).")
    response_summary = serializers.CharField(help_text="The response as plain text.")
    state = serializers.CharField(help_text="`needs_grading`, or `manually_graded` with `show=all`.")
    mark = serializers.CharField(allow_null=True)
    max_mark = serializers.CharField()
    comment = serializers.CharField(help_text="The grader's comment (sanitised HTML).")
    graded_by = GradingPersonSerializer(allow_null=True)
    graded_at = serializers.DateTimeField(allow_null=True)


def _summary(answer: QuestionAnswer) -> str:
    version = answer.question_version
    if not qtypes.is_registered(version.qtype):
        return ""
    response = answer.response if isinstance(answer.response, dict) else {}
    return qtypes.get(version.qtype).summarise_response(version_as_question(version), answer.variant or {}, response)


def _answer(answer: QuestionAnswer) -> dict[str, Any]:
    attempt = answer.attempt
    version = answer.question_version
    return {
        "id": answer.pk,
        "attempt": attempt.public_id,
        "attempt_number": attempt.number,
        "quiz": attempt.activity_uid,
        "learner": _person(attempt.user),
        "slot": answer.slot,
        "question": {
            "id": version.question_id,
            "version": version.number,
            "name": version.name,
            "qtype": version.qtype,
        },
        "response": answer.response,
        "response_summary": _summary(answer),
        "state": answer.state,
        "mark": _decimal(answer.mark),
        "max_mark": _decimal(answer.max_mark),
        "comment": answer.comment,
        "graded_by": _person(answer.graded_by),
        "graded_at": answer.graded_at,
    }


class AnswerListSerializer(serializers.BaseSerializer[QuestionAnswer]):
    """Serialises an answer of the queue (declared for the schema as GradingAnswerSerializer)."""

    def to_representation(self, instance: QuestionAnswer) -> dict[str, Any]:
        return dict(GradingAnswerSerializer(_answer(instance)).data)


class GradingQueueApi(GradingApi):
    @extend_schema(
        tags=[TAG],
        summary="Answers waiting for a grader",
        description="The course team. Essays (and any answer a person grades) of submitted attempts, by question "
        "(`group=question`, the default) or by attempt; `show=all` adds those already graded by hand.",
        parameters=[
            OpenApiParameter("quiz", OpenApiTypes.UUID, required=False, description="Only this quiz's answers."),
            OpenApiParameter("show", str, enum=[selectors.QUEUE_WAITING, selectors.QUEUE_ALL], required=False),
            OpenApiParameter("group", str, enum=[selectors.BY_QUESTION, selectors.BY_ATTEMPT], required=False),
        ],
        responses=with_errors({200: GradingAnswerSerializer(many=True)}, 401, 403, 404),
    )
    def get(self, request: Request, course_id: int) -> Response:
        course = self.course(course_id)
        raw_quiz = request.query_params.get("quiz")
        quiz_uid = None
        if raw_quiz:
            try:
                quiz_uid = uuid.UUID(str(raw_quiz))
            except ValueError:
                raise serializers.ValidationError({"quiz": ["Give a quiz's uid."]}) from None
            self.quiz(course, quiz_uid)
        answers = selectors.grading_queue(
            course=course,
            activity_uid=quiz_uid,
            show=request.query_params.get("show", selectors.QUEUE_WAITING),
            group=request.query_params.get("group", selectors.BY_QUESTION),
        ).defer(None)  # the API returns each response whole
        return paginated_response(request=request, view=self, queryset=answers, serializer_class=AnswerListSerializer)


class GradeInputSerializer(serializers.Serializer[Any]):
    mark = serializers.CharField(max_length=20, help_text='From 0 to the answer\'s `max_mark`, as a string ("2.5").')
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=attempt_services.COMMENT_LIMIT,
        help_text="For the learner (HTML is sanitised).",
    )  # fmt: skip


class AnswerGradeApi(GradingApi):
    @extend_schema(
        tags=[TAG],
        summary="Grade one answer",
        description="The course team. Any answer of a submitted attempt (an essay, or a correction of any other "
        "answer). The attempt's grade follows; once nothing waits for grading, the quiz grade reaches the learner's "
        "progress. Audited.",
        request=GradeInputSerializer,
        responses=with_errors({200: GradingAnswerSerializer}, 400, 401, 403, 404),
        examples=[OpenApiExample("A grade", value={"mark": "4.5", "comment": "<p>Good reasoning.</p>"})],
    )
    def post(self, request: Request, answer_id: int) -> Response:
        answer = (
            QuestionAnswer.objects.filter(pk=answer_id, attempt__organization=self.organization, attempt__preview=False)
            .select_related("attempt", "attempt__user", "attempt__course__organization", "question_version")
            .first()
        )
        if answer is None:
            raise Http404
        if not policy.can_grade(self.principal(), answer.attempt.course):
            raise PermissionDenied(NOT_ALLOWED)
        serializer = GradeInputSerializer(data=self.body(request))
        serializer.is_valid(raise_exception=True)
        try:
            graded = attempt_services.answer_grade(
                answer=answer,
                mark=serializer.validated_data["mark"],
                comment=serializer.validated_data["comment"],
                by=self.user,
            )
        except DjangoValidationError as exc:
            raise service_errors(exc) from None
        fresh = selectors.answer_get(course=answer.attempt.course, pk=graded.pk) or graded
        return Response(GradingAnswerSerializer(_answer(fresh)).data)


# --- overrides ----------------------------------------------------------------------------------------------------


class QuizOverrideSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    learner = GradingPersonSerializer()
    time_limit_minutes = serializers.IntegerField(allow_null=True)
    extra_attempts = serializers.IntegerField()
    opens_at = serializers.DateTimeField(allow_null=True)
    closes_at = serializers.DateTimeField(allow_null=True)
    skip_password = serializers.BooleanField()
    reason = serializers.CharField()
    created_by = GradingPersonSerializer(allow_null=True)
    updated_at = serializers.DateTimeField()


def _override(override: Any) -> dict[str, Any]:
    return {
        "id": override.pk,
        "learner": _person(override.user),
        "time_limit_minutes": override.time_limit_minutes,
        "extra_attempts": override.extra_attempts,
        "opens_at": override.opens_at,
        "closes_at": override.closes_at,
        "skip_password": override.skip_password,
        "reason": override.reason,
        "created_by": _person(override.created_by),
        "updated_at": override.updated_at,
    }


class OverrideListSerializer(serializers.BaseSerializer[Any]):
    def to_representation(self, instance: Any) -> dict[str, Any]:
        return dict(QuizOverrideSerializer(_override(instance)).data)


class OverrideInputSerializer(serializers.Serializer[Any]):
    user = serializers.IntegerField(help_text="The user id of a person enrolled in the course.")
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    time_limit_minutes = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=10_000
    )
    extra_attempts = serializers.IntegerField(required=False, default=0, min_value=0, max_value=100)
    opens_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    closes_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    skip_password = serializers.BooleanField(required=False, default=False)


class OverrideRemoveSerializer(serializers.Serializer[Any]):
    user = serializers.IntegerField()


class QuizOverridesApi(GradingApi):
    @extend_schema(
        tags=[TAG],
        summary="A quiz's overrides",
        description="The course team. People with their own rules for the quiz.",
        responses=with_errors({200: QuizOverrideSerializer(many=True)}, 401, 403, 404),
    )
    def get(self, request: Request, course_id: int, uid: uuid.UUID) -> Response:
        course = self.course(course_id)
        self.quiz(course, uid)
        overrides = selectors.overrides_of(course=course, activity_uid=uid)
        return paginated_response(
            request=request, view=self, queryset=overrides, serializer_class=OverrideListSerializer
        )

    @extend_schema(
        tags=[TAG],
        summary="Give a learner their own rules",
        description="The course team. Replaces the person's override if they have one. At least one rule must "
        "change; `reason` is required (kept in the audit trail).",
        request=OverrideInputSerializer,
        responses=with_errors({200: QuizOverrideSerializer}, 400, 401, 403, 404),
        examples=[
            OpenApiExample(
                "Extra time", value={"user": 12, "time_limit_minutes": 90, "reason": "Extra time agreed with HR."}
            )
        ],
    )
    def post(self, request: Request, course_id: int, uid: uuid.UUID) -> Response:
        course = self.course(course_id)
        self.quiz(course, uid)
        serializer = OverrideInputSerializer(data=self.body(request))
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        learner = selectors.enrolled_learner(course=course, user_id=data.pop("user"))
        if learner is None:
            raise serializers.ValidationError({"user": [UNKNOWN_LEARNER]})
        try:
            override = attempt_services.override_set(
                course=course, activity_uid=uid, user=learner, by=self.user, **data
            )
        except DjangoValidationError as exc:
            raise service_errors(exc) from None
        fresh = selectors.override_get(course=course, activity_uid=uid, pk=override.pk) or override
        return Response(QuizOverrideSerializer(_override(fresh)).data)

    @extend_schema(
        tags=[TAG],
        summary="Remove a learner's override",
        description="The course team. The person gets the quiz's own rules again. Name them with `user` in the "
        "query (or a JSON body).",
        parameters=[OpenApiParameter("user", int, required=False)],
        request=OverrideRemoveSerializer,
        responses=with_errors({204: OpenApiResponse(description="Removed.")}, 400, 401, 403, 404),
    )
    def delete(self, request: Request, course_id: int, uid: uuid.UUID) -> Response:
        course = self.course(course_id)
        self.quiz(course, uid)
        raw = request.query_params.get("user")
        if raw is None and isinstance(request.data, Mapping):
            raw = request.data.get("user")
        if raw in (None, ""):
            raise serializers.ValidationError({"user": [USER_REQUIRED]})
        user_id = int(str(raw)) if USER_ID.fullmatch(str(raw)) else None
        if user_id is None:
            raise serializers.ValidationError({"user": [USER_REQUIRED]})
        override = selectors.overrides_of(course=course, activity_uid=uid).filter(user_id=user_id).first()
        if override is None:
            raise Http404(NO_OVERRIDE)
        override.course = course
        attempt_services.override_remove(override=override, by=self.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- regrade ------------------------------------------------------------------------------------------------------


class RegradeInputSerializer(serializers.Serializer[Any]):
    question = serializers.IntegerField(help_text="The question (not version) id.")
    activity_uid = serializers.UUIDField(required=False, allow_null=True, default=None, help_text="Only this quiz.")
    to_latest = serializers.BooleanField(
        required=False, default=True, help_text="Grade with the question's latest version (after a fix)."
    )
    dry_run = serializers.BooleanField(required=False, default=True, help_text="Only show the plan (the default).")
    fingerprint = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=64,
        help_text="With `dry_run` false: the previewed plan's `fingerprint`. Nothing is applied (400 on this field) "
        "if the plan changed since: preview again.",
    )  # fmt: skip


class RegradeRowSerializer(serializers.Serializer[Any]):
    answer = serializers.IntegerField()
    attempt = serializers.UUIDField()
    learner = GradingPersonSerializer()
    slot = serializers.IntegerField()
    outcome = serializers.CharField(help_text="`changes`, `unchanged`, `manual` (left alone) or `cannot` (left alone).")
    reason = serializers.CharField(help_text="Why an answer is left alone.")
    old_version = serializers.IntegerField()
    new_version = serializers.IntegerField()
    old_mark = serializers.CharField(allow_null=True)
    new_mark = serializers.CharField(allow_null=True)
    old_state = serializers.CharField()
    new_state = serializers.CharField()


class RegradeCountsSerializer(serializers.Serializer[Any]):
    changes = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    manual = serializers.IntegerField()
    cannot = serializers.IntegerField()


class RegradePlanSerializer(serializers.Serializer[Any]):
    applied = serializers.BooleanField()
    question = serializers.IntegerField()
    activity_uid = serializers.UUIDField(allow_null=True)
    to_latest = serializers.BooleanField()
    counts = RegradeCountsSerializer()
    attempts = serializers.IntegerField(help_text="Attempts whose grade the regrade recomputes.")
    fingerprint = serializers.CharField(help_text="Send it back with `dry_run` false to apply exactly this plan.")
    rows = RegradeRowSerializer(many=True)


def _plan(plan: regrade_services.RegradePlan, *, applied: bool) -> dict[str, Any]:
    return {
        "applied": applied,
        "question": plan.question.pk,
        "activity_uid": plan.activity_uid,
        "to_latest": plan.to_latest,
        "counts": plan.counts(),
        "attempts": len(plan.attempt_ids),
        "fingerprint": plan.fingerprint,
        "rows": [
            {
                "answer": row.answer.pk,
                "attempt": row.attempt.public_id,
                "learner": _person(row.learner),
                "slot": row.slot,
                "outcome": row.outcome,
                "reason": row.reason,
                "old_version": row.old_version.number,
                "new_version": row.new_version.number,
                "old_mark": _decimal(row.old_mark),
                "new_mark": _decimal(row.new_mark),
                "old_state": row.old_state,
                "new_state": row.new_state,
            }
            for row in plan.rows
        ],
    }


class RegradeApi(GradingApi):
    @extend_schema(
        tags=[TAG],
        summary="Regrade a question in the course's attempts",
        description="Needs `course.edit` on the course. With `dry_run` (the default) nothing is saved: the plan "
        "lists every submitted answer to the question and what the regrade makes of it. Without, the same plan "
        "is computed again and applied in one transaction, and audited. Answers graded by a person, and answers "
        "whose response does not fit the latest version, are left alone.",
        request=RegradeInputSerializer,
        responses=with_errors({200: RegradePlanSerializer}, 400, 401, 403, 404),
        examples=[OpenApiExample("Preview", value={"question": 31, "to_latest": True, "dry_run": True})],
    )
    def post(self, request: Request, course_id: int) -> Response:
        course = self.course(course_id, regrade=True)
        serializer = RegradeInputSerializer(data=self.body(request))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        question = Question.objects.filter(organization=self.organization, pk=data["question"]).first()
        if question is None:
            raise serializers.ValidationError({"question": [UNKNOWN_QUESTION]})
        if data["activity_uid"] is not None:
            self.quiz(course, data["activity_uid"])
        arguments = {
            "course": course, "activity_uid": data["activity_uid"], "question": question,
            "to_latest": data["to_latest"], "by": self.user,
        }  # fmt: skip
        try:
            if data["dry_run"]:
                plan = regrade_services.regrade_plan(**arguments)
            else:
                plan = regrade_services.regrade_apply(**arguments, expected=data["fingerprint"])
        except DjangoValidationError as exc:  # RegradeChanged too: nothing applied, under `fingerprint`
            raise service_errors(exc) from None
        return Response(RegradePlanSerializer(_plan(plan, applied=not data["dry_run"])).data)


urlpatterns = [
    path(
        "courses/<int:course_id>/quizzes/<uuid:uid>/results/",
        QuizResultsApi.as_view(),
        name="assessment-quiz-results",
    ),
    path("courses/<int:course_id>/grading/", GradingQueueApi.as_view(), name="assessment-grading"),
    path("answers/<int:answer_id>/grade/", AnswerGradeApi.as_view(), name="assessment-answer-grade"),
    path(
        "courses/<int:course_id>/quizzes/<uuid:uid>/overrides/",
        QuizOverridesApi.as_view(),
        name="assessment-quiz-overrides",
    ),
    path("courses/<int:course_id>/regrade/", RegradeApi.as_view(), name="assessment-regrade"),
]
