"""REST API of audiences (under /api/v1/audiences/): CRUD, preview, members (now or at a point in time), recompute.

Thin endpoints (HackSoft style): a capability check up front (so a refused caller learns nothing from validation),
one service or selector, serialized output. Audiences are looked up inside the request's organisation: another
organisation's id answers 404, and ids of another organisation inside a rule are refused by validation.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from syllabus.access.endpoints import OrganizationEndpoint
from syllabus.audiences import selectors, services
from syllabus.audiences.models import Audience
from syllabus.core.api import paginated_response, with_errors

VIEWERS = ("audience.view", "audience.manage")
RULES_HELP = (
    'The rule as a JSON tree: groups `{"all": [...]}`, `{"any": [...]}`, `{"not": {...}}` and conditions '
    '`{"org_unit": id, "include_sub_units": true}`, `{"job_role": [ids]}`, `{"location": [ids]}`, '
    '`{"hire_date": {"before"|"after": "YYYY-MM-DD"}}` or `{"hire_date": {"within_days": N}}`, '
    '`{"attribute": {"key": "grade", "op": "eq", "value": "Band 5"}}` (ops: eq, neq, in, contains, lt, lte, gt, '
    'gte, is_set, by attribute type) and `{"audience": id}`. Errors name the path, e.g. `rules.all[1].attribute.value`.'
)
RULES_EXAMPLE = {
    "all": [
        {"org_unit": 12, "include_sub_units": True},
        {"any": [{"job_role": [3, 4]}, {"attribute": {"key": "grade", "op": "gte", "value": 6}}]},
        {"not": {"hire_date": {"within_days": 30}}},
    ]
}


class OrganizationApi(OrganizationEndpoint):
    def get_audience(self, pk: int) -> Audience:
        audience = selectors.audience_get(organization=self.organization, audience_id=pk)
        if audience is None:
            raise Http404
        return audience


class AudienceOutputSerializer(serializers.Serializer[Audience]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    rules = serializers.JSONField(help_text="The rule as stored (validated and normalised).")
    member_count = serializers.IntegerField(help_text="People in the audience after the last recompute.")
    is_time_based = serializers.BooleanField(help_text="Its rules use today's date: recomputed nightly.")
    is_stale = serializers.BooleanField(help_text="The rules changed after the last recompute (one is queued).")
    last_recomputed_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class PersonSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(help_text="The membership id.")
    display_name = serializers.CharField(source="user.display_name")
    email = serializers.EmailField(source="user.email")


class StaySerializer(serializers.Serializer[Any]):
    person = PersonSerializer(source="membership")
    joined_at = serializers.DateTimeField()
    left_at = serializers.DateTimeField(allow_null=True, help_text="Null while the person is in the audience.")


class AudienceListApi(OrganizationApi):
    class InputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField(max_length=200)
        description = serializers.CharField(required=False, default="", allow_blank=True)
        rules = serializers.JSONField(help_text=RULES_HELP)

    @extend_schema(
        summary="List audiences",
        description="Needs `audience.view` or `audience.manage`.",
        responses=with_errors({200: AudienceOutputSerializer(many=True)}, 401, 403),
    )
    def get(self, request: Request) -> Response:
        self.require_any(*VIEWERS)
        audiences = selectors.audience_list(organization=self.organization, search=request.query_params.get("q", ""))
        return paginated_response(
            request=request, view=self, queryset=audiences, serializer_class=AudienceOutputSerializer
        )

    @extend_schema(
        summary="Create an audience",
        description="Needs `audience.manage`. Members are computed right after (in the background).",
        request=InputSerializer,
        responses=with_errors({201: AudienceOutputSerializer}, 400, 401, 403),
        examples=[
            OpenApiExample("Nurses and senior staff", value={"name": "Clinical seniors", "rules": RULES_EXAMPLE})
        ],
    )
    def post(self, request: Request) -> Response:
        self.require_any("audience.manage")
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        audience = services.audience_create(
            organization=self.organization,
            by=self.user,
            name=data["name"],
            description=data["description"],
            rules_tree=data["rules"],
        )
        audience.refresh_from_db()
        return Response(AudienceOutputSerializer(audience).data, status=status.HTTP_201_CREATED)


class AudienceDetailApi(OrganizationApi):
    class InputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField(max_length=200, required=False)
        description = serializers.CharField(required=False, allow_blank=True)
        rules = serializers.JSONField(required=False, help_text=RULES_HELP)

    @extend_schema(summary="Get an audience", responses=with_errors({200: AudienceOutputSerializer}, 401, 403, 404))
    def get(self, request: Request, pk: int) -> Response:
        self.require_any(*VIEWERS)
        return Response(AudienceOutputSerializer(self.get_audience(pk)).data)

    @extend_schema(
        summary="Change an audience",
        description="Needs `audience.manage`. New rules are recomputed right after, with every audience that "
        "includes this one.",
        request=InputSerializer,
        responses=with_errors({200: AudienceOutputSerializer}),
    )
    def patch(self, request: Request, pk: int) -> Response:
        self.require_any("audience.manage")
        audience = self.get_audience(pk)
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.audience_update(
            audience=audience,
            by=self.user,
            name=data.get("name"),
            description=data.get("description"),
            rules_tree=data.get("rules"),
        )
        audience.refresh_from_db()
        return Response(AudienceOutputSerializer(audience).data)

    @extend_schema(
        summary="Delete an audience",
        description="Needs `audience.manage`. Refused (400) while another audience includes it.",
        responses=with_errors({204: None}),
    )
    def delete(self, request: Request, pk: int) -> Response:
        self.require_any("audience.manage")
        services.audience_delete(audience=self.get_audience(pk), by=self.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AudiencePreviewApi(OrganizationApi):
    class InputSerializer(serializers.Serializer[Any]):
        rules = serializers.JSONField(help_text=RULES_HELP)
        audience = serializers.IntegerField(
            required=False, allow_null=True, help_text="The audience being edited, if any (for the cycle check)."
        )

    class OutputSerializer(serializers.Serializer[Any]):
        count = serializers.IntegerField(help_text="How many active people match now.")
        people = PersonSerializer(
            many=True, source="sample", help_text="The first 20 matching people you may see, by name."
        )
        rules = serializers.JSONField(source="tree", help_text="The rule as it would be stored.")

    @extend_schema(
        summary="Preview who a rule matches",
        description="Needs `audience.manage`. Validates the rule and answers how many people match now and the "
        "first 20 by name, without saving anything.",
        request=InputSerializer,
        responses=with_errors({200: OutputSerializer}, 400, 401, 403),
    )
    def post(self, request: Request) -> Response:
        principal = self.require_any("audience.manage")
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        audience_id = serializer.validated_data.get("audience")
        if audience_id is not None:
            audience_id = self.get_audience(audience_id).pk
        preview = selectors.preview(
            organization=self.organization,
            rules_tree=serializer.validated_data["rules"],
            visible=selectors.visible_people(principal),
            audience_id=audience_id,
        )
        return Response(self.OutputSerializer(preview).data)


class AudienceMembersApi(OrganizationApi):
    class FilterSerializer(serializers.Serializer[Any]):
        at = serializers.DateTimeField(
            required=False, help_text="A point in time (ISO 8601): who was in the audience then. Default: now."
        )

    @extend_schema(
        summary="Members of an audience",
        description="Needs `audience.view` or `audience.manage`. Lists the members you may see as people "
        "(`people.view`), by name, with when each joined (and, at a past time, left).",
        parameters=[FilterSerializer],
        responses=with_errors({200: StaySerializer(many=True)}, 400, 401, 403, 404),
    )
    def get(self, request: Request, pk: int) -> Response:
        principal = self.require_any(*VIEWERS)
        audience = self.get_audience(pk)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        stays = selectors.members(
            audience=audience, visible=selectors.visible_people(principal), at=filters.validated_data.get("at")
        )
        return paginated_response(request=request, view=self, queryset=stays, serializer_class=StaySerializer)


class AudienceRecomputeApi(OrganizationApi):
    class OutputSerializer(serializers.Serializer[Any]):
        joined = serializers.IntegerField(source="joined_count")
        left = serializers.IntegerField(source="left_count")
        member_count = serializers.IntegerField()
        at = serializers.DateTimeField()

    @extend_schema(
        summary="Recompute an audience now",
        description="Needs `audience.manage`. Brings the members in line with the rules at once and answers how "
        "many joined and left.",
        request=None,
        responses=with_errors({200: OutputSerializer}, 401, 403, 404),
    )
    def post(self, request: Request, pk: int) -> Response:
        self.require_any("audience.manage")
        result = services.audience_recompute(audience=self.get_audience(pk), by=self.user)
        data = {
            "joined_count": len(result.joined),
            "left_count": len(result.left),
            "member_count": result.member_count,
            "at": result.at,
        }
        return Response(self.OutputSerializer(data).data)
