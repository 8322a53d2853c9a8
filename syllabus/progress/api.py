"""REST API of progress (under /api/v1/): one enrollment's state per activity, completions, a person's transcript.

Thin endpoints (HackSoft style). What a caller may not read is not found (404), exactly like an id that does not
exist: a learner asking for another learner's progress or transcript learns nothing, not even that it exists.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from syllabus.access.endpoints import OrganizationEndpoint
from syllabus.accounts.models import Membership
from syllabus.core.api import paginated_response, with_errors
from syllabus.enrollment import selectors as enrollment_selectors
from syllabus.enrollment.models import Status
from syllabus.progress import selectors
from syllabus.progress.models import Completion, State

TAG = "progress"


class LearnerSerializer(serializers.Serializer[Membership]):
    id = serializers.IntegerField(help_text="The membership id.")
    display_name = serializers.CharField(source="user.display_name")
    email = serializers.EmailField(source="user.email")


# Documented as strings whose values the description lists, not as enums: the schema turns every enum into a
# component named after the field, and other apps already have `status` and `state` enums with other values.
@extend_schema_field({"type": "string", "example": Status.ACTIVE.value})
class EnrollmentStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "One of " + ", ".join(f"`{value}`" for value in Status.values) + ".")
        super().__init__(choices=Status.choices, **kwargs)


@extend_schema_field({"type": "string", "example": State.COMPLETED.value})
class ActivityStateField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "One of " + ", ".join(f"`{value}`" for value in State.values) + ".")
        super().__init__(choices=State.choices, **kwargs)


def _score() -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=5, decimal_places=2, coerce_to_string=False, allow_null=True, help_text="Percent."
    )


# --- one enrollment's progress -----------------------------------------------------------------------------------


class ActivityStateSerializer(serializers.Serializer[selectors.ActivityState]):
    uid = serializers.UUIDField(help_text="The activity's stable uid.")
    section_uid = serializers.UUIDField()
    title = serializers.CharField(help_text="As in the version the learner follows.")
    kind = serializers.CharField()
    is_required = serializers.BooleanField()
    state = ActivityStateField()
    first_seen_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    score = _score()
    passed = serializers.BooleanField(allow_null=True)
    time_spent_seconds = serializers.IntegerField()


class ProgressSummarySerializer(serializers.Serializer[selectors.EnrollmentProgress]):
    status = EnrollmentStatusField(source="enrollment.status")
    version = serializers.CharField(source="version_label", help_text="The version the learner follows, e.g. `1.2`.")
    progress_percent = serializers.IntegerField(source="enrollment.progress_percent")
    activity_count = serializers.IntegerField()
    completed_count = serializers.IntegerField()
    required_count = serializers.IntegerField()
    required_completed_count = serializers.IntegerField()
    time_spent_seconds = serializers.IntegerField(source="enrollment.time_spent_seconds")
    score = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        coerce_to_string=False,
        allow_null=True,
        source="enrollment.score",
        help_text="Percent: the mean of the activities' best scores.",
    )
    last_activity_at = serializers.DateTimeField(source="enrollment.last_activity_at", allow_null=True)
    last_activity_uid = serializers.UUIDField(source="enrollment.last_activity_uid", allow_null=True)
    completed_at = serializers.DateTimeField(source="enrollment.completed_at", allow_null=True)
    due_at = serializers.DateTimeField(source="enrollment.due_at", allow_null=True)


class EnrollmentProgressApi(OrganizationEndpoint):
    class OutputSerializer(serializers.Serializer[selectors.EnrollmentProgress]):
        enrollment = serializers.IntegerField(source="enrollment.pk")
        person = LearnerSerializer(source="enrollment.membership")
        course = serializers.IntegerField(source="enrollment.course_id")
        summary = ProgressSummarySerializer(source="*")
        activities = ActivityStateSerializer(many=True)

    @extend_schema(
        tags=[TAG],
        summary="Progress of an enrollment",
        description="The learner's state on every activity of the course version they follow, in outline order, "
        "with the summary. Whoever may see the enrollment: the person, the course team, people with "
        "`enrollment.view` over the person; anyone else gets 404.",
        responses=with_errors({200: OutputSerializer}, 401, 403, 404),
        examples=[
            OpenApiExample(
                "Two of three done",
                response_only=True,
                value={
                    "enrollment": 812,
                    "person": {"id": 57, "display_name": "Rita Report", "email": "rita@example.com"},
                    "course": 41,
                    "summary": {
                        "status": "active",
                        "version": "1.0",
                        "progress_percent": 66,
                        "activity_count": 3,
                        "completed_count": 2,
                        "required_count": 3,
                        "required_completed_count": 2,
                        "time_spent_seconds": 1260,
                        "score": 80.0,
                        "last_activity_at": "2026-01-14T16:02:11Z",
                        "last_activity_uid": "0f9c2b1e-6c1d-4f61-9d1a-2b8e2f0b7a10",
                        "completed_at": None,
                        "due_at": "2026-03-31T23:59:59Z",
                    },
                    "activities": [
                        {
                            "uid": "0f9c2b1e-6c1d-4f61-9d1a-2b8e2f0b7a10",
                            "section_uid": "5d0c2b1e-2a47-4e0b-8a51-3c7f1d2e9b04",
                            "title": "Three points of contact",
                            "kind": "page",
                            "is_required": True,
                            "state": "completed",
                            "first_seen_at": "2026-01-12T09:40:00Z",
                            "completed_at": "2026-01-12T09:41:30Z",
                            "score": None,
                            "passed": None,
                            "time_spent_seconds": 90,
                        }
                    ],
                },
            )
        ],
    )
    def get(self, request: Request, pk: int) -> Response:
        enrollment = enrollment_selectors.enrollment_get(
            organization=self.organization, principal=self.principal(), pk=pk
        )
        if enrollment is None:
            raise Http404
        return Response(self.OutputSerializer(selectors.enrollment_progress(enrollment=enrollment)).data)


# --- completions and transcripts ---------------------------------------------------------------------------------


class CompletionOutputSerializer(serializers.Serializer[Completion]):
    id = serializers.IntegerField()
    source = serializers.ChoiceField(choices=Completion.Source.choices)  # type: ignore[assignment]
    course = serializers.IntegerField(source="course_id", allow_null=True, help_text="Null for external training.")
    enrollment = serializers.IntegerField(source="enrollment_id", allow_null=True)
    title = serializers.CharField(help_text="As it was when completed.")
    version = serializers.CharField(source="version_label", help_text="The course version completed, e.g. `1.2`.")
    provider = serializers.CharField(help_text="Who provided external training.")
    completed_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True, help_text="When the completion lapses (null: never).")
    score = _score()
    time_spent_seconds = serializers.IntegerField()


class CompletionListOutputSerializer(CompletionOutputSerializer):
    person = LearnerSerializer(source="membership")


class CompletionListApi(OrganizationEndpoint):
    class FilterSerializer(serializers.Serializer[Any]):
        person = serializers.IntegerField(required=False, help_text="A membership id.")
        course = serializers.IntegerField(required=False, help_text="A course id.")
        since = serializers.DateTimeField(required=False, help_text="Completed at or after this time (ISO 8601).")

    @extend_schema(
        tags=[TAG],
        summary="List completions",
        description="Transcript lines (course completions and approved external training), newest first: the "
        "caller's own, and those of the people they may see training of (`enrollment.view`: their reporting line, "
        "an org-unit scope, or the whole organisation).",
        parameters=[FilterSerializer],
        responses=with_errors({200: CompletionListOutputSerializer(many=True)}, 400, 401, 403),
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        completions = selectors.completion_list(
            organization=self.organization,
            principal=self.principal(),
            filters=selectors.CompletionFilter(
                membership_id=data.get("person"), course_id=data.get("course"), since=data.get("since")
            ),
        )
        return paginated_response(
            request=request, view=self, queryset=completions, serializer_class=CompletionListOutputSerializer
        )


class PersonTranscriptApi(OrganizationEndpoint):
    class OutputSerializer(serializers.Serializer[Any]):
        person = LearnerSerializer()
        completion_count = serializers.IntegerField()
        total_time_spent_seconds = serializers.IntegerField()
        completions = CompletionOutputSerializer(many=True)

    @extend_schema(
        tags=[TAG],
        summary="A person's transcript",
        description="Every completion of one person, newest first, with the course version, score and time spent "
        "(not paginated). The person themselves, or someone with `enrollment.view` over them; anyone else gets "
        "404.",
        parameters=[OpenApiParameter("membership_id", int, OpenApiParameter.PATH, description="A membership id.")],
        responses=with_errors({200: OutputSerializer}, 401, 403, 404),
    )
    def get(self, request: Request, membership_id: int) -> Response:
        person = selectors.person_get(
            organization=self.organization, principal=self.principal(), membership_id=membership_id
        )
        if person is None:
            raise Http404
        completions = list(selectors.transcript(membership=person))
        data = {
            "person": person,
            "completion_count": len(completions),
            "total_time_spent_seconds": sum(line.time_spent_seconds for line in completions),
            "completions": completions,
        }
        return Response(self.OutputSerializer(data).data)
