"""REST API of item statistics (/api/v1/assessment/): read a quiz's statistics, ask for them to be recalculated.
Documented in docs/api_statistics.md.

Who: the course team (`policy.can_grade`). A course or quiz of another organisation, or one that does not exist,
is not found (404); anyone else, a learner of the course included, is refused (403). Reading computes the figures
when none are stored or they are stale, as the page does (a big quiz goes to a worker: `state` "calculating").
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from syllabus.access.endpoints import OrganizationEndpoint
from syllabus.access.policy import NOT_ALLOWED
from syllabus.assessment import policy
from syllabus.assessment import selectors_grading as selectors
from syllabus.assessment.models import AttemptChoice, QuestionStatistic, QuizStatistics
from syllabus.assessment.services import statistics as services
from syllabus.catalog.models import Course
from syllabus.core.api import with_errors

TAG = "Assessment: statistics"
FIGURES = (
    "facility", "sd", "random_guess", "intended_weight", "effective_weight", "discrimination",
    "discriminative_efficiency",
)  # fmt: skip


class QuestionFiguresSerializer(serializers.Serializer[Any]):
    slot = serializers.IntegerField(help_text="The quiz slot (1-based).")
    question = serializers.IntegerField(help_text="The question's id (for a random slot's total: its first one).")
    version = serializers.IntegerField(help_text="The question version's number.")
    name = serializers.CharField()
    qtype = serializers.CharField()
    is_slot_total = serializers.BooleanField(help_text="The row of a random slot as a whole.")
    count = serializers.IntegerField(help_text="Answers counted.")
    facility = serializers.FloatField(allow_null=True, help_text="0..100; null when undefined.")
    sd = serializers.FloatField(allow_null=True)
    random_guess = serializers.FloatField(allow_null=True)
    intended_weight = serializers.FloatField(allow_null=True)
    effective_weight = serializers.FloatField(allow_null=True)
    discrimination = serializers.FloatField(allow_null=True, help_text="-100..100, against the rest of the quiz.")
    discriminative_efficiency = serializers.FloatField(allow_null=True)


class QuizFiguresSerializer(serializers.Serializer[Any]):
    attempts = serializers.IntegerField()
    max_marks = serializers.FloatField(allow_null=True)
    mean = serializers.FloatField(allow_null=True, help_text="Percent of the quiz's marks.")
    median = serializers.FloatField(allow_null=True)
    sd = serializers.FloatField(allow_null=True)
    skewness = serializers.FloatField(allow_null=True)
    kurtosis = serializers.FloatField(allow_null=True)
    alpha = serializers.FloatField(allow_null=True, help_text="Cronbach's alpha, percent.")
    error_ratio = serializers.FloatField(allow_null=True)
    standard_error = serializers.FloatField(allow_null=True)
    distribution = serializers.ListField(
        child=serializers.IntegerField(), help_text="Attempts per band of 10 % (0–10 ... 90–100)."
    )


class StatisticsSerializer(serializers.Serializer[Any]):
    which = serializers.ChoiceField(choices=AttemptChoice.values)
    state = serializers.ChoiceField(
        choices=["current", "calculating"],
        help_text="`calculating`: a worker computes them; the figures (if any) are the last ones.",
    )
    computed_at = serializers.DateTimeField(allow_null=True)
    summary = QuizFiguresSerializer(allow_null=True)
    questions = QuestionFiguresSerializer(many=True)


class RecalculateSerializer(serializers.Serializer[Any]):
    which = serializers.ChoiceField(choices=AttemptChoice.values, default=AttemptChoice.FIRST)


def _question(row: QuestionStatistic) -> dict[str, Any]:
    return {
        "slot": row.slot,
        "question": row.question_id,
        "version": row.version.number,
        "name": row.version.name,
        "qtype": row.version.qtype,
        "is_slot_total": row.is_slot_total,
        "count": row.count,
        **{key: getattr(row, key) for key in FIGURES},
    }


def _payload(which: str, stored: QuizStatistics | None, pending: bool) -> dict[str, Any]:
    rows = (
        QuestionStatistic.objects.filter(statistics=stored)
        .select_related("version")
        .order_by("slot", "-is_slot_total", "question_id")
        if stored is not None
        else []
    )
    return {
        "which": which,
        "state": "calculating" if pending else "current",
        "computed_at": stored.computed_at if stored is not None else None,
        "summary": dict(stored.summary) if stored is not None and stored.summary else None,
        "questions": [_question(row) for row in rows],
    }


class QuizStatisticsApi(OrganizationEndpoint):
    def course(self, course_id: int, uid: uuid.UUID) -> Course:
        course = selectors.course_get(organization=self.organization, pk=course_id)
        if course is None:
            raise Http404
        if not policy.can_grade(self.principal(), course):
            raise PermissionDenied(NOT_ALLOWED)
        if selectors.quiz_get(course=course, uid=uid) is None:
            raise Http404
        return course

    @extend_schema(
        tags=[TAG],
        summary="A quiz's item statistics",
        description="The course team. Computed from finished, graded attempts (`which`: first, all, highest, "
        "last; previews never), when none are stored or the attempts changed since.",
        parameters=[OpenApiParameter("which", str, enum=list(AttemptChoice.values), required=False)],
        responses=with_errors({200: StatisticsSerializer}, 400, 401, 403, 404),
    )
    def get(self, request: Request, course_id: int, uid: uuid.UUID) -> Response:
        course = self.course(course_id, uid)
        try:
            which = services.which_of(request.query_params.get("which"))
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from None
        stored = services.statistics_stored(course=course, activity_uid=uid, which=which)
        pending = False
        if stored is None or not services.is_current(stored, course=course):
            if services.statistics_request(course=course, activity_uid=uid, which=which):
                stored = services.statistics_stored(course=course, activity_uid=uid, which=which)
            else:
                pending = True
        return Response(StatisticsSerializer(_payload(which, stored, pending)).data)

    @extend_schema(
        tags=[TAG],
        summary="Recalculate a quiz's item statistics",
        description="The course team. Computes now (200 with the figures) or, for a quiz with more than 2,000 "
        "counted attempts, asks a worker (202, `state` `calculating`).",
        request=RecalculateSerializer,
        responses=with_errors({200: StatisticsSerializer, 202: StatisticsSerializer}, 400, 401, 403, 404),
    )
    def post(self, request: Request, course_id: int, uid: uuid.UUID) -> Response:
        course = self.course(course_id, uid)
        serializer = RecalculateSerializer(data=request.data if isinstance(request.data, dict) else {})
        serializer.is_valid(raise_exception=True)
        which = serializer.validated_data["which"]
        done = services.statistics_request(course=course, activity_uid=uid, which=which)
        stored = services.statistics_stored(course=course, activity_uid=uid, which=which)
        return Response(
            StatisticsSerializer(_payload(which, stored, not done)).data,
            status=status.HTTP_200_OK if done else status.HTTP_202_ACCEPTED,
        )


urlpatterns = [
    path(
        "courses/<int:course_id>/quizzes/<uuid:uid>/statistics/",
        QuizStatisticsApi.as_view(),
        name="assessment-quiz-statistics",
    ),
]
