"""REST API of access: capabilities, roles and role assignments (under /api/v1/).

Thin endpoints (HackSoft style): nested input serializers, an up-front capability check through `policy`, one
service or selector, serialized output. Roles are the built-in ones plus this organisation's custom roles; anything
else (another organisation's role or assignment) answers 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from syllabus.access import selectors, services
from syllabus.access.capabilities import CAPABILITIES, Capability
from syllabus.access.endpoints import OrganizationEndpoint
from syllabus.access.models import Role, RoleAssignment
from syllabus.accounts.models import Membership, OrgUnit
from syllabus.core.api import TenantPrimaryKeyField, paginated_response, with_errors
from syllabus.core.schema import AutoSchema


class OrganizationApi(OrganizationEndpoint):
    pass


class RolePrimaryKeyField(serializers.PrimaryKeyRelatedField[Role]):
    """A built-in role or a custom role of the request's organisation."""

    def get_queryset(self) -> QuerySet[Role]:
        return selectors.role_queryset(organization=self.context["organization"])


# --- output serializers -----------------------------------------------------------------------------------


class CapabilityOutputSerializer(serializers.Serializer[Capability]):
    code = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    scopes = serializers.ListField(
        child=serializers.CharField(), help_text="Where a role assignment may grant it: `organization`, `org_unit`."
    )
    writes = serializers.BooleanField(help_text="False for read-only capabilities.")


class RoleOutputSerializer(serializers.Serializer[Role]):
    id = serializers.IntegerField()
    key = serializers.SlugField()
    name = serializers.CharField()
    description = serializers.CharField()
    is_builtin = serializers.BooleanField()
    capabilities = serializers.SerializerMethodField()

    def get_capabilities(self, role: Role) -> list[str]:
        return sorted(role.capabilities)


class AssigneeSerializer(serializers.Serializer[Membership]):
    id = serializers.IntegerField(help_text="The membership id.")
    display_name = serializers.CharField(source="user.display_name")


class RoleRefSerializer(serializers.Serializer[Role]):
    id = serializers.IntegerField()
    key = serializers.SlugField()
    name = serializers.CharField()


class UnitRefSerializer(serializers.Serializer[OrgUnit]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class GrantorSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    display_name = serializers.CharField()


class RoleAssignmentOutputSerializer(serializers.Serializer[RoleAssignment]):
    id = serializers.IntegerField()
    membership = AssigneeSerializer()
    role = RoleRefSerializer()
    scope = serializers.ChoiceField(choices=RoleAssignment.Scope.choices)
    org_unit = UnitRefSerializer(allow_null=True, help_text="The subtree covered, for `org_unit` scope.")
    granted_by = GrantorSerializer(allow_null=True)
    created_at = serializers.DateTimeField()


# --- capabilities -----------------------------------------------------------------------------------------


class CapabilityListApi(APIView):
    permission_classes = [IsAuthenticated]
    schema = AutoSchema()

    @extend_schema(
        summary="List capabilities",
        description="Every capability that roles can bundle, as declared in code. Not paginated.",
        responses=with_errors({200: CapabilityOutputSerializer(many=True)}, 401),
    )
    def get(self, request: Request) -> Response:
        return Response(CapabilityOutputSerializer(list(CAPABILITIES), many=True).data)  # type: ignore[arg-type]


# --- roles ------------------------------------------------------------------------------------------------


class RoleListApi(OrganizationApi):
    class InputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField(max_length=120)
        description = serializers.CharField(required=False, allow_blank=True, default="")
        capabilities = serializers.ListField(child=serializers.CharField(), allow_empty=True)

    @extend_schema(
        summary="List roles",
        description="Built-in roles, then this organisation's custom roles. Needs `role.view`.",
        responses=with_errors({200: RoleOutputSerializer(many=True)}, 401, 403),
    )
    def get(self, request: Request) -> Response:
        self.require("role.view")
        roles = selectors.role_list(organization=self.organization, count_holders=False)
        return paginated_response(request=request, view=self, queryset=roles, serializer_class=RoleOutputSerializer)

    @extend_schema(
        summary="Create a custom role",
        description="Needs `role.manage`; you can only bundle capabilities you hold organisation-wide.",
        request=InputSerializer,
        responses=with_errors({201: RoleOutputSerializer}, 400, 401, 403),
    )
    def post(self, request: Request) -> Response:
        self.require("role.manage")
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        role = services.role_create(
            organization=self.organization,
            by=request.user,  # type: ignore[arg-type]
            **serializer.validated_data,
        )
        return Response(RoleOutputSerializer(role).data, status=status.HTTP_201_CREATED)


class RoleDetailApi(OrganizationApi):
    class InputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField(max_length=120)
        description = serializers.CharField(allow_blank=True)
        capabilities = serializers.ListField(child=serializers.CharField(), allow_empty=True)

    def get_role(self, pk: int) -> Role:
        role = selectors.role_get(organization=self.organization, role_id=pk)
        if role is None:
            raise Http404
        return role

    @extend_schema(
        summary="Get a role",
        description="Needs `role.view`.",
        responses=with_errors({200: RoleOutputSerializer}, 401, 403, 404),
    )
    def get(self, request: Request, pk: int) -> Response:
        self.require("role.view")
        return Response(RoleOutputSerializer(self.get_role(pk)).data)

    @extend_schema(
        summary="Change a custom role",
        description="Needs `role.manage`. Built-in roles cannot be changed.",
        request=InputSerializer,
        responses=with_errors({200: RoleOutputSerializer}),
    )
    def patch(self, request: Request, pk: int) -> Response:
        self.require("role.manage")
        role = self.get_role(pk)
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        role = services.role_update(role=role, by=request.user, **serializer.validated_data)  # type: ignore[arg-type]
        return Response(RoleOutputSerializer(role).data)

    @extend_schema(
        summary="Delete a custom role",
        description="Needs `role.manage`. Only a role nobody holds can be deleted.",
        responses=with_errors({204: None}),
    )
    def delete(self, request: Request, pk: int) -> Response:
        self.require("role.manage")
        services.role_delete(role=self.get_role(pk), by=request.user)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- role assignments -------------------------------------------------------------------------------------


class RoleAssignmentListApi(OrganizationApi):
    class FilterSerializer(serializers.Serializer[Any]):
        membership = TenantPrimaryKeyField(queryset=Membership.objects.all(), required=False)
        role = RolePrimaryKeyField(queryset=Role.objects.all(), required=False)

    class InputSerializer(serializers.Serializer[Any]):
        membership = TenantPrimaryKeyField(queryset=Membership.objects.all())
        role = RolePrimaryKeyField(queryset=Role.objects.all())
        scope = serializers.ChoiceField(
            choices=RoleAssignment.Scope.choices, required=False, default=RoleAssignment.Scope.ORGANIZATION
        )
        org_unit = TenantPrimaryKeyField(
            queryset=OrgUnit.objects.all(), required=False, allow_null=True, help_text="Required for `org_unit` scope."
        )

    @extend_schema(
        summary="List role assignments",
        description="Needs `role.view`.",
        parameters=[FilterSerializer],
        responses=with_errors({200: RoleAssignmentOutputSerializer(many=True)}, 400, 401, 403),
    )
    def get(self, request: Request) -> Response:
        self.require("role.view")
        filters = self.FilterSerializer(data=request.query_params, context=self.serializer_context())
        filters.is_valid(raise_exception=True)
        assignments = selectors.organization_role_assignment_list(
            organization=self.organization, **filters.validated_data
        )
        return paginated_response(
            request=request, view=self, queryset=assignments, serializer_class=RoleAssignmentOutputSerializer
        )

    @extend_schema(
        summary="Assign a role",
        description="Needs `role.assign`; you can only grant capabilities you hold organisation-wide.",
        request=InputSerializer,
        responses=with_errors({201: RoleAssignmentOutputSerializer}, 400, 401, 403),
    )
    def post(self, request: Request) -> Response:
        self.require("role.assign")
        serializer = self.InputSerializer(data=request.data, context=self.serializer_context())
        serializer.is_valid(raise_exception=True)
        assignment = services.role_assign(by=request.user, **serializer.validated_data)  # type: ignore[arg-type]
        return Response(RoleAssignmentOutputSerializer(assignment).data, status=status.HTTP_201_CREATED)


class RoleAssignmentDetailApi(OrganizationApi):
    def get_assignment(self, pk: int) -> RoleAssignment:
        assignment = selectors.organization_role_assignment_list(organization=self.organization).filter(pk=pk).first()
        if assignment is None:
            raise Http404
        return assignment

    @extend_schema(
        summary="Get a role assignment",
        description="Needs `role.view`.",
        responses=with_errors({200: RoleAssignmentOutputSerializer}, 401, 403, 404),
    )
    def get(self, request: Request, pk: int) -> Response:
        self.require("role.view")
        return Response(RoleAssignmentOutputSerializer(self.get_assignment(pk)).data)

    @extend_schema(
        summary="Remove a role assignment",
        description="Needs `role.assign`. The organisation's last org admin cannot be removed.",
        responses=with_errors({204: None}),
    )
    def delete(self, request: Request, pk: int) -> Response:
        self.require("role.assign")
        services.role_unassign(assignment=self.get_assignment(pk), by=request.user)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)
