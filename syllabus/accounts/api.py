"""REST API of accounts: the caller, organisations, org units, job roles, locations, custom attributes, people and
API tokens (under /api/v1/).

Every endpoint is thin (HackSoft style): it parses input with its own nested serializer, authorizes through
`access.policy`, calls one service or selector, and serializes the result. Rows are looked up inside the request's
organisation (`core.tenancy`), so another organisation's id answers 404. Views check the capability up front so a
refused caller learns nothing from validation errors; the services check again, object by object.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from syllabus.access.endpoints import OrganizationEndpoint
from syllabus.access.policy import NOT_ALLOWED, Principal, principal_for
from syllabus.accounts import selectors, services
from syllabus.accounts.models import (
    ApiToken,
    AttributeDefinition,
    JobRole,
    Location,
    Membership,
    Organization,
    OrgUnit,
    User,
)
from syllabus.accounts.security import lockout
from syllabus.core import clock
from syllabus.core.api import (
    Pagination,
    TenantPrimaryKeyField,
    paginated_response,
    with_errors,
)
from syllabus.core.schema import AutoSchema
from syllabus.core.tenancy import current_organization, get_for_tenant_or_404

UNKNOWN_ATTRIBUTE_FILTER = "Unknown attribute: define it under Settings > Custom attributes first."
TOKEN_FROM_TOKEN = "Sign in to create API tokens: a token cannot create another token."  # noqa: S105
MEMBERSHIP_REQUIRED = "Name the membership the token acts as: you are not a member of this organisation."
EXPIRY_IN_PAST = "The expiry must be in the future."
ADMIN_NOT_FOUND = "No user has this email address."
ATTRIBUTE_FILTER_PREFIX = "attr."


class BaseApi(APIView):
    schema = AutoSchema()
    # Read by the schema generator only: list responses (`many=True`) are documented as pages.
    pagination_class = Pagination

    def principal(self) -> Principal:
        return principal_for(self.request.user, current_organization(self.request))


class OrganizationApi(OrganizationEndpoint):
    pass


# --- output serializers shared by list, detail and write endpoints ------------------------------------------


class NamedRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class PersonRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    display_name = serializers.CharField(source="user.display_name")


class UserOutputSerializer(serializers.Serializer[User]):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    display_name = serializers.CharField()
    locale = serializers.CharField()
    time_zone = serializers.CharField()
    is_platform_admin = serializers.BooleanField()


class OrganizationOutputSerializer(serializers.Serializer[Organization]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.SlugField()
    logo = serializers.ImageField(allow_null=True, help_text="URL of the logo, or null.")
    primary_color = serializers.CharField()
    accent_color = serializers.CharField()
    default_language = serializers.CharField()
    default_time_zone = serializers.CharField()
    is_active = serializers.BooleanField()
    two_factor_required_roles = serializers.ListField(
        child=serializers.CharField(), help_text="Keys of the roles whose holders must use two-factor sign-in."
    )


class OrgUnitOutputSerializer(serializers.Serializer[OrgUnit]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    code = serializers.CharField()
    parent = serializers.IntegerField(source="parent_id", allow_null=True)  # type: ignore[assignment]
    path = serializers.CharField(help_text="Materialised path of ids from the root, e.g. `/3/17/42/`.")
    depth = serializers.IntegerField()
    member_count = serializers.IntegerField(default=0, help_text="Active people in this unit (not sub-units).")


class JobRoleOutputSerializer(serializers.Serializer[JobRole]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    code = serializers.CharField()
    member_count = serializers.IntegerField(default=0)


class LocationOutputSerializer(serializers.Serializer[Location]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    code = serializers.CharField()
    address = serializers.CharField()
    time_zone = serializers.CharField()
    member_count = serializers.IntegerField(default=0)


class AttributeDefinitionOutputSerializer(serializers.Serializer[AttributeDefinition]):
    id = serializers.IntegerField()
    key = serializers.SlugField()
    label = serializers.CharField()  # type: ignore[assignment]
    type = serializers.ChoiceField(choices=AttributeDefinition.Type.choices)
    choices = serializers.ListField(child=serializers.CharField())
    required = serializers.BooleanField()  # type: ignore[assignment]


class PersonUserSerializer(serializers.Serializer[User]):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    display_name = serializers.CharField()


class PersonOutputSerializer(serializers.Serializer[Membership]):
    """A person in the organisation: their membership (the id used everywhere) with their user and HR data."""

    id = serializers.IntegerField(help_text="The membership id.")
    user = PersonUserSerializer()
    org_unit = NamedRefSerializer(allow_null=True)
    job_role = NamedRefSerializer(allow_null=True)
    location = NamedRefSerializer(allow_null=True)
    manager = PersonRefSerializer(allow_null=True)
    employee_id = serializers.CharField()
    hire_date = serializers.DateField(allow_null=True)
    is_active = serializers.BooleanField()
    deactivated_at = serializers.DateTimeField(allow_null=True)
    attributes = serializers.DictField(help_text="Custom attributes by key.")


class PersonDetailOutputSerializer(PersonOutputSerializer):
    direct_reports = PersonRefSerializer(many=True, help_text="Active people who report to this person.")


class TokenOutputSerializer(serializers.Serializer[ApiToken]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="The first characters of the key, to recognise it.")
    membership = PersonRefSerializer()
    created_by = PersonUserSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    is_active = serializers.SerializerMethodField()

    def get_is_active(self, token: ApiToken) -> bool:
        return token.revoked_at is None and (token.expires_at is None or token.expires_at > clock.now())


class TokenCreatedOutputSerializer(TokenOutputSerializer):
    key = serializers.CharField(help_text="The secret key. Shown in this response only: store it now.")


# --- the caller -------------------------------------------------------------------------------------------


class OwnMembershipSerializer(serializers.Serializer[Membership]):
    id = serializers.IntegerField()
    org_unit = NamedRefSerializer(allow_null=True)
    job_role = NamedRefSerializer(allow_null=True)
    location = NamedRefSerializer(allow_null=True)
    manager = serializers.IntegerField(source="manager_id", allow_null=True, help_text="The manager's membership id.")
    employee_id = serializers.CharField()
    hire_date = serializers.DateField(allow_null=True)
    attributes = serializers.DictField()


class MeApi(BaseApi):
    permission_classes = [IsAuthenticated]

    class OutputSerializer(serializers.Serializer[Any]):
        user = UserOutputSerializer()
        organization = OrganizationOutputSerializer(allow_null=True)
        membership = OwnMembershipSerializer(allow_null=True, help_text="Null for platform admins who are not members.")
        capabilities = serializers.ListField(
            child=serializers.CharField(), help_text="Capabilities held in this organisation, in any scope."
        )

    @extend_schema(
        summary="The caller",
        description="The signed-in user, the organisation the request acts in (null until one is chosen), "
        "their membership there and the capabilities it gives.",
        responses=with_errors({200: OutputSerializer}, 401),
    )
    def get(self, request: Request) -> Response:
        principal = self.principal()
        data = {
            "user": request.user,
            "organization": principal.organization,
            "membership": principal.membership,
            "capabilities": sorted(principal.capabilities),
        }
        return Response(self.OutputSerializer(data, context={"request": request}).data)


# --- organisations ------------------------------------------------------------------------------------------


def _organizations_for(request: Request) -> Any:
    """The organisations the caller may see. A token acts in its own organisation only."""
    user: User = request.user  # type: ignore[assignment]
    organizations = selectors.organizations_for_user(user=user)
    if isinstance(request.auth, ApiToken) and not user.is_platform_admin:
        organizations = organizations.filter(pk=request.auth.membership.organization_id)
    return organizations.order_by("name")


class OrganizationListApi(BaseApi):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField(max_length=200)
        slug = serializers.SlugField(max_length=60)
        admin = serializers.EmailField(
            required=False, help_text="Email of an existing user who becomes the first organisation admin."
        )
        primary_color = serializers.CharField(required=False)
        accent_color = serializers.CharField(required=False)
        default_language = serializers.CharField(required=False)
        default_time_zone = serializers.CharField(required=False)

        def validate_admin(self, value: str) -> User:
            user = selectors.user_by_email(email=value)
            if user is None:
                raise serializers.ValidationError(ADMIN_NOT_FOUND)
            return user

    @extend_schema(
        summary="List organisations",
        description="The organisations the caller belongs to (platform admins: all of them). "
        "With an API token: the token's organisation only.",
        responses=with_errors({200: OrganizationOutputSerializer(many=True)}, 401),
    )
    def get(self, request: Request) -> Response:
        return paginated_response(
            request=request,
            view=self,
            queryset=_organizations_for(request),
            serializer_class=OrganizationOutputSerializer,
        )

    @extend_schema(
        summary="Create an organisation",
        description="Platform admins only.",
        request=InputSerializer,
        responses=with_errors({201: OrganizationOutputSerializer}, 400, 401, 403),
    )
    def post(self, request: Request) -> Response:
        # Authorize before validating, so nobody else learns which emails have accounts.
        if not self.principal().is_platform_admin:
            raise PermissionDenied(NOT_ALLOWED)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organization = services.organization_create(by=request.user, **serializer.validated_data)  # type: ignore[arg-type]
        output = OrganizationOutputSerializer(organization, context={"request": request})
        return Response(output.data, status=status.HTTP_201_CREATED)


class OrganizationDetailApi(BaseApi):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Get an organisation", responses=with_errors({200: OrganizationOutputSerializer}, 401, 404))
    def get(self, request: Request, pk: int) -> Response:
        organization = _organizations_for(request).filter(pk=pk).first()
        if organization is None:
            raise Http404
        return Response(OrganizationOutputSerializer(organization, context={"request": request}).data)


class CurrentOrganizationApi(OrganizationApi):
    class InputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField(max_length=200)
        primary_color = serializers.CharField(help_text="#RRGGBB")
        accent_color = serializers.CharField(help_text="#RRGGBB")
        default_language = serializers.CharField(max_length=10)
        default_time_zone = serializers.CharField(max_length=64)
        logo = serializers.FileField(help_text="PNG, JPEG, GIF or WebP; send as multipart/form-data.")
        remove_logo = serializers.BooleanField()
        two_factor_required_roles = serializers.ListField(
            child=serializers.CharField(),
            help_text="Keys of roles (built-in or this organisation's) whose holders must use two-factor sign-in; "
            "`learner` means everyone.",
        )

    @extend_schema(
        summary="Current organisation settings",
        responses=with_errors({200: OrganizationOutputSerializer}, 401, 403),
    )
    def get(self, request: Request) -> Response:
        return Response(OrganizationOutputSerializer(self.organization, context={"request": request}).data)

    @extend_schema(
        summary="Change the current organisation's settings",
        description="Needs `org.manage`. Upload a logo with multipart/form-data; `remove_logo=true` removes it.",
        request=InputSerializer,
        responses=with_errors({200: OrganizationOutputSerializer}, 400, 401, 403),
    )
    def patch(self, request: Request) -> Response:
        self.require("org.manage")
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        organization = services.organization_update(
            organization=self.organization,
            by=request.user,  # type: ignore[arg-type]
            **serializer.validated_data,
        )
        return Response(OrganizationOutputSerializer(organization, context={"request": request}).data)


# --- org units --------------------------------------------------------------------------------------------


class OrgUnitListApi(OrganizationApi):
    class FilterSerializer(serializers.Serializer[Any]):
        parent = TenantPrimaryKeyField(  # type: ignore[assignment]
            queryset=OrgUnit.objects.all(), required=False, help_text="Only the direct children of this unit."
        )
        subtree_of = TenantPrimaryKeyField(
            queryset=OrgUnit.objects.all(), required=False, help_text="This unit and every unit below it."
        )

    class InputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField(max_length=200)
        code = serializers.CharField(max_length=60, required=False, allow_blank=True)
        parent = TenantPrimaryKeyField(queryset=OrgUnit.objects.all(), required=False, allow_null=True)  # type: ignore[assignment]

    @extend_schema(
        summary="List org units",
        description="In tree order (by path). Any member may read.",
        parameters=[FilterSerializer],
        responses=with_errors({200: OrgUnitOutputSerializer(many=True)}, 400, 401, 403),
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params, context=self.serializer_context())
        filters.is_valid(raise_exception=True)
        units = selectors.org_unit_list(organization=self.organization, **filters.validated_data)
        return paginated_response(request=request, view=self, queryset=units, serializer_class=OrgUnitOutputSerializer)

    @extend_schema(
        summary="Create an org unit",
        description="Needs `org_unit.manage`.",
        request=InputSerializer,
        responses=with_errors({201: OrgUnitOutputSerializer}, 400, 401, 403),
    )
    def post(self, request: Request) -> Response:
        self.require("org_unit.manage")
        serializer = self.InputSerializer(data=request.data, context=self.serializer_context())
        serializer.is_valid(raise_exception=True)
        unit = services.org_unit_create(
            organization=self.organization,
            by=request.user,  # type: ignore[arg-type]
            **serializer.validated_data,
        )
        return Response(OrgUnitOutputSerializer(unit).data, status=status.HTTP_201_CREATED)


class OrgUnitDetailApi(OrganizationApi):
    class InputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField(max_length=200)
        code = serializers.CharField(max_length=60, allow_blank=True)
        parent = TenantPrimaryKeyField(  # type: ignore[assignment]
            queryset=OrgUnit.objects.all(), allow_null=True, help_text="Move the unit (and its subtree) here."
        )

    def get_unit(self, pk: int) -> OrgUnit:
        return get_for_tenant_or_404(selectors.org_unit_list(organization=self.organization), self.organization, pk=pk)

    @extend_schema(summary="Get an org unit", responses=with_errors({200: OrgUnitOutputSerializer}, 401, 403, 404))
    def get(self, request: Request, pk: int) -> Response:
        return Response(OrgUnitOutputSerializer(self.get_unit(pk)).data)

    @extend_schema(
        summary="Rename or move an org unit",
        description="Needs `org_unit.manage`. Setting `parent` moves the whole subtree; `null` makes it a root.",
        request=InputSerializer,
        responses=with_errors({200: OrgUnitOutputSerializer}),
    )
    def patch(self, request: Request, pk: int) -> Response:
        self.require("org_unit.manage")
        unit = self.get_unit(pk)
        serializer = self.InputSerializer(data=request.data, partial=True, context=self.serializer_context())
        serializer.is_valid(raise_exception=True)
        unit = services.org_unit_update(unit=unit, by=request.user, **serializer.validated_data)  # type: ignore[arg-type]
        return Response(OrgUnitOutputSerializer(unit).data)

    @extend_schema(
        summary="Delete an org unit",
        description="Needs `org_unit.manage`. Only an empty unit (no sub-units, no people) can be deleted.",
        responses=with_errors({204: None}),
    )
    def delete(self, request: Request, pk: int) -> Response:
        self.require("org_unit.manage")
        services.org_unit_delete(unit=self.get_unit(pk), by=request.user)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- job roles --------------------------------------------------------------------------------------------


class JobRoleListApi(OrganizationApi):
    class InputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField(max_length=200)
        code = serializers.CharField(max_length=60, required=False, allow_blank=True)

    @extend_schema(
        summary="List job roles",
        description="Any member may read.",
        responses=with_errors({200: JobRoleOutputSerializer(many=True)}, 401, 403),
    )
    def get(self, request: Request) -> Response:
        job_roles = selectors.job_role_list(organization=self.organization)
        return paginated_response(
            request=request, view=self, queryset=job_roles, serializer_class=JobRoleOutputSerializer
        )

    @extend_schema(
        summary="Create a job role",
        description="Needs `job_role.manage`.",
        request=InputSerializer,
        responses=with_errors({201: JobRoleOutputSerializer}, 400, 401, 403),
    )
    def post(self, request: Request) -> Response:
        self.require("job_role.manage")
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job_role = services.job_role_save(
            organization=self.organization,
            by=request.user,  # type: ignore[arg-type]
            **serializer.validated_data,
        )
        return Response(JobRoleOutputSerializer(job_role).data, status=status.HTTP_201_CREATED)


class JobRoleDetailApi(OrganizationApi):
    class InputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField(max_length=200)
        code = serializers.CharField(max_length=60, allow_blank=True)

    def get_job_role(self, pk: int) -> JobRole:
        return get_for_tenant_or_404(selectors.job_role_list(organization=self.organization), self.organization, pk=pk)

    @extend_schema(summary="Get a job role", responses=with_errors({200: JobRoleOutputSerializer}, 401, 403, 404))
    def get(self, request: Request, pk: int) -> Response:
        return Response(JobRoleOutputSerializer(self.get_job_role(pk)).data)

    @extend_schema(
        summary="Change a job role",
        description="Needs `job_role.manage`.",
        request=InputSerializer,
        responses=with_errors({200: JobRoleOutputSerializer}),
    )
    def patch(self, request: Request, pk: int) -> Response:
        self.require("job_role.manage")
        job_role = self.get_job_role(pk)
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = {"name": job_role.name, "code": job_role.code, **serializer.validated_data}
        job_role = services.job_role_save(
            organization=self.organization,
            by=request.user,  # type: ignore[arg-type]
            job_role=job_role,
            **changes,
        )
        return Response(JobRoleOutputSerializer(job_role).data)

    @extend_schema(
        summary="Delete a job role", description="Needs `job_role.manage`.", responses=with_errors({204: None})
    )
    def delete(self, request: Request, pk: int) -> Response:
        self.require("job_role.manage")
        services.job_role_delete(job_role=self.get_job_role(pk), by=request.user)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- locations --------------------------------------------------------------------------------------------


class LocationListApi(OrganizationApi):
    class InputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField(max_length=200)
        code = serializers.CharField(max_length=60, required=False, allow_blank=True)
        address = serializers.CharField(required=False, allow_blank=True)
        time_zone = serializers.CharField(max_length=64, required=False, allow_blank=True)

    @extend_schema(
        summary="List locations",
        description="Any member may read.",
        responses=with_errors({200: LocationOutputSerializer(many=True)}, 401, 403),
    )
    def get(self, request: Request) -> Response:
        locations = selectors.location_list(organization=self.organization)
        return paginated_response(
            request=request, view=self, queryset=locations, serializer_class=LocationOutputSerializer
        )

    @extend_schema(
        summary="Create a location",
        description="Needs `location.manage`.",
        request=InputSerializer,
        responses=with_errors({201: LocationOutputSerializer}, 400, 401, 403),
    )
    def post(self, request: Request) -> Response:
        self.require("location.manage")
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        location = services.location_save(
            organization=self.organization,
            by=request.user,  # type: ignore[arg-type]
            **serializer.validated_data,
        )
        return Response(LocationOutputSerializer(location).data, status=status.HTTP_201_CREATED)


class LocationDetailApi(OrganizationApi):
    class InputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField(max_length=200)
        code = serializers.CharField(max_length=60, allow_blank=True)
        address = serializers.CharField(allow_blank=True)
        time_zone = serializers.CharField(max_length=64, allow_blank=True)

    def get_location(self, pk: int) -> Location:
        return get_for_tenant_or_404(selectors.location_list(organization=self.organization), self.organization, pk=pk)

    @extend_schema(summary="Get a location", responses=with_errors({200: LocationOutputSerializer}, 401, 403, 404))
    def get(self, request: Request, pk: int) -> Response:
        return Response(LocationOutputSerializer(self.get_location(pk)).data)

    @extend_schema(
        summary="Change a location",
        description="Needs `location.manage`.",
        request=InputSerializer,
        responses=with_errors({200: LocationOutputSerializer}),
    )
    def patch(self, request: Request, pk: int) -> Response:
        self.require("location.manage")
        location = self.get_location(pk)
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        current = {
            "name": location.name,
            "code": location.code,
            "address": location.address,
            "time_zone": location.time_zone,
        }
        location = services.location_save(
            organization=self.organization,
            by=request.user,  # type: ignore[arg-type]
            location=location,
            **{**current, **serializer.validated_data},
        )
        return Response(LocationOutputSerializer(location).data)

    @extend_schema(
        summary="Delete a location", description="Needs `location.manage`.", responses=with_errors({204: None})
    )
    def delete(self, request: Request, pk: int) -> Response:
        self.require("location.manage")
        services.location_delete(location=self.get_location(pk), by=request.user)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- custom attribute definitions ---------------------------------------------------------------------------


class AttributeDefinitionListApi(OrganizationApi):
    class InputSerializer(serializers.Serializer[Any]):
        key = serializers.SlugField(max_length=60, help_text="Used in the API (`attributes.<key>`) and in imports.")
        label = serializers.CharField(max_length=120)  # type: ignore[assignment]
        type = serializers.ChoiceField(choices=AttributeDefinition.Type.choices)
        choices = serializers.ListField(child=serializers.CharField(), required=False, help_text="For `choice` only.")
        required = serializers.BooleanField(required=False, default=False)  # type: ignore[assignment]

    @extend_schema(
        summary="List custom attribute definitions",
        description="Any member may read.",
        responses=with_errors({200: AttributeDefinitionOutputSerializer(many=True)}, 401, 403),
    )
    def get(self, request: Request) -> Response:
        definitions = selectors.attribute_definition_list(organization=self.organization)
        return paginated_response(
            request=request, view=self, queryset=definitions, serializer_class=AttributeDefinitionOutputSerializer
        )

    @extend_schema(
        summary="Define a custom attribute",
        description="Needs `attribute.manage`.",
        request=InputSerializer,
        responses=with_errors({201: AttributeDefinitionOutputSerializer}, 400, 401, 403),
    )
    def post(self, request: Request) -> Response:
        self.require("attribute.manage")
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        definition = services.attribute_definition_save(
            organization=self.organization,
            by=request.user,  # type: ignore[arg-type]
            **serializer.validated_data,
        )
        return Response(AttributeDefinitionOutputSerializer(definition).data, status=status.HTTP_201_CREATED)


class AttributeDefinitionDetailApi(OrganizationApi):
    class InputSerializer(serializers.Serializer[Any]):
        label = serializers.CharField(max_length=120)  # type: ignore[assignment]
        type = serializers.ChoiceField(
            choices=AttributeDefinition.Type.choices, help_text="Cannot change while people have values."
        )
        choices = serializers.ListField(child=serializers.CharField())
        required = serializers.BooleanField()  # type: ignore[assignment]

    def get_definition(self, pk: int) -> AttributeDefinition:
        definitions = selectors.attribute_definition_list(organization=self.organization)
        return get_for_tenant_or_404(definitions, self.organization, pk=pk)

    @extend_schema(
        summary="Get a custom attribute definition",
        responses=with_errors({200: AttributeDefinitionOutputSerializer}, 401, 403, 404),
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(AttributeDefinitionOutputSerializer(self.get_definition(pk)).data)

    @extend_schema(
        summary="Change a custom attribute definition",
        description="Needs `attribute.manage`. The key is fixed once created.",
        request=InputSerializer,
        responses=with_errors({200: AttributeDefinitionOutputSerializer}),
    )
    def patch(self, request: Request, pk: int) -> Response:
        self.require("attribute.manage")
        definition = self.get_definition(pk)
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        current = {
            "key": definition.key,
            "label": definition.label,
            "type": definition.type,
            "choices": list(definition.choices),
            "required": definition.required,
        }
        definition = services.attribute_definition_save(
            organization=self.organization,
            by=request.user,  # type: ignore[arg-type]
            definition=definition,
            **{**current, **serializer.validated_data},
        )
        return Response(AttributeDefinitionOutputSerializer(definition).data)

    @extend_schema(
        summary="Delete a custom attribute definition",
        description="Needs `attribute.manage`.",
        responses=with_errors({204: None}),
    )
    def delete(self, request: Request, pk: int) -> Response:
        self.require("attribute.manage")
        services.attribute_definition_delete(definition=self.get_definition(pk), by=request.user)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- people -----------------------------------------------------------------------------------------------


def _attribute_filters(request: Request, organization: Organization) -> tuple[tuple[str, str], ...]:
    """`attr.<key>=<value>` query parameters, checked against the organisation's attribute keys."""
    wanted = {
        name.removeprefix(ATTRIBUTE_FILTER_PREFIX): value
        for name, value in request.query_params.dict().items()
        if name.startswith(ATTRIBUTE_FILTER_PREFIX)
    }
    if not wanted:
        return ()
    known = {definition.key for definition in selectors.attribute_definition_list(organization=organization)}
    unknown = sorted(set(wanted) - known)
    if unknown:
        raise serializers.ValidationError(
            {f"{ATTRIBUTE_FILTER_PREFIX}{key}": [UNKNOWN_ATTRIBUTE_FILTER] for key in unknown}
        )
    return tuple(sorted(wanted.items()))


class PersonListApi(OrganizationApi):
    class FilterSerializer(serializers.Serializer[Any]):
        search = serializers.CharField(
            required=False, default="", allow_blank=True, help_text="Name or email contains; or exact employee id."
        )
        org_unit = TenantPrimaryKeyField(queryset=OrgUnit.objects.all(), required=False)
        include_sub_units = serializers.BooleanField(
            required=False, default=True, help_text="With `org_unit`: also people in units below it."
        )
        job_role = TenantPrimaryKeyField(queryset=JobRole.objects.all(), required=False)
        location = TenantPrimaryKeyField(queryset=Location.objects.all(), required=False)
        manager = TenantPrimaryKeyField(
            queryset=Membership.objects.all(), required=False, help_text="Direct reports of this membership."
        )
        status = serializers.ChoiceField(choices=["active", "inactive", "all"], required=False, default="active")

    class InputSerializer(serializers.Serializer[Any]):
        email = serializers.EmailField()
        display_name = serializers.CharField(max_length=150)
        password = serializers.CharField(
            required=False,
            write_only=True,
            style={"input_type": "password"},
            help_text="Leave out for people who sign in through SSO or set a password later.",
        )
        locale = serializers.CharField(max_length=10, required=False)
        time_zone = serializers.CharField(max_length=64, required=False)
        org_unit = TenantPrimaryKeyField(queryset=OrgUnit.objects.all(), required=False, allow_null=True)
        job_role = TenantPrimaryKeyField(queryset=JobRole.objects.all(), required=False, allow_null=True)
        location = TenantPrimaryKeyField(queryset=Location.objects.all(), required=False, allow_null=True)
        manager = TenantPrimaryKeyField(queryset=Membership.objects.all(), required=False, allow_null=True)
        employee_id = serializers.CharField(max_length=64, required=False, allow_blank=True)
        hire_date = serializers.DateField(required=False, allow_null=True)
        attributes = serializers.DictField(required=False, help_text="Custom attribute values by key.")

    @extend_schema(
        summary="List people",
        description="The people the caller may see with `people.view`: everyone for org admins, their org-unit "
        "subtrees for unit-scoped roles, their reporting line for managers. Filter on custom attributes with "
        "`attr.<key>=<value>` query parameters (e.g. `?attr.cost_center=CC-100`); several are combined with AND.",
        parameters=[FilterSerializer],
        responses=with_errors({200: PersonOutputSerializer(many=True)}, 400, 401, 403),
    )
    def get(self, request: Request) -> Response:
        principal = self.require("people.view")
        # A plain dict, so a missing boolean takes its default instead of reading as an unticked checkbox.
        filters = self.FilterSerializer(data=request.query_params.dict(), context=self.serializer_context())
        filters.is_valid(raise_exception=True)
        people = selectors.people_list(
            organization=self.organization,
            visible=principal.membership_q("people.view"),
            filters=selectors.PeopleFilter(
                **filters.validated_data, attributes=_attribute_filters(request, self.organization)
            ),
        )
        return paginated_response(request=request, view=self, queryset=people, serializer_class=PersonOutputSerializer)

    @extend_schema(
        summary="Add a person",
        description="Needs `people.manage` where the person is placed. An existing user (from another "
        "organisation) is added by email; otherwise a new user is created.",
        request=InputSerializer,
        responses=with_errors({201: PersonDetailOutputSerializer}, 400, 401, 403),
    )
    def post(self, request: Request) -> Response:
        self.require("people.manage")
        serializer = self.InputSerializer(data=request.data, context=self.serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        person = services.PersonInput(
            email=data.pop("email"),
            display_name=data.pop("display_name"),
            password=data.pop("password", None),
            locale=data.pop("locale", None),
            time_zone=data.pop("time_zone", None),
        )
        membership = services.person_create(
            organization=self.organization,
            by=request.user,  # type: ignore[arg-type]
            person=person,
            **data,
        )
        created = selectors.person_get(organization=self.organization, membership_id=membership.pk, visible=Q())
        return Response(PersonDetailOutputSerializer(created).data, status=status.HTTP_201_CREATED)


class PersonApi(OrganizationApi):
    def get_person(self, pk: int, capability: str) -> Membership:
        """The person if the caller holds `capability` over them; 404 otherwise (as for another organisation)."""
        membership = selectors.person_get(
            organization=self.organization, membership_id=pk, visible=self.principal().membership_q(capability)
        )
        if membership is None:
            raise Http404
        return membership

    def person_response(self, membership: Membership) -> Response:
        # Read back after a write: the caller may have just moved the person out of their own view.
        person = selectors.person_get(organization=self.organization, membership_id=membership.pk, visible=Q())
        return Response(PersonDetailOutputSerializer(person).data)


class PersonDetailApi(PersonApi):
    class InputSerializer(serializers.Serializer[Any]):
        display_name = serializers.CharField(max_length=150)
        org_unit = TenantPrimaryKeyField(queryset=OrgUnit.objects.all(), allow_null=True)
        job_role = TenantPrimaryKeyField(queryset=JobRole.objects.all(), allow_null=True)
        location = TenantPrimaryKeyField(queryset=Location.objects.all(), allow_null=True)
        manager = TenantPrimaryKeyField(queryset=Membership.objects.all(), allow_null=True)
        employee_id = serializers.CharField(max_length=64, allow_blank=True)
        hire_date = serializers.DateField(allow_null=True)
        attributes = serializers.DictField(
            help_text='Merged into the stored values; send a key with null or "" to clear it.'
        )

    @extend_schema(summary="Get a person", responses=with_errors({200: PersonDetailOutputSerializer}, 401, 403, 404))
    def get(self, request: Request, pk: int) -> Response:
        return Response(PersonDetailOutputSerializer(self.get_person(pk, "people.view")).data)

    @extend_schema(
        summary="Change a person's HR data",
        description="Needs `people.manage` over the person, where they are and where they are moved to.",
        request=InputSerializer,
        responses=with_errors({200: PersonDetailOutputSerializer}),
    )
    def patch(self, request: Request, pk: int) -> Response:
        self.require("people.manage")
        membership = self.get_person(pk, "people.manage")
        serializer = self.InputSerializer(data=request.data, partial=True, context=self.serializer_context())
        serializer.is_valid(raise_exception=True)
        services.membership_update(membership=membership, by=request.user, **serializer.validated_data)  # type: ignore[arg-type]
        return self.person_response(membership)


class PersonDeactivateApi(PersonApi):
    @extend_schema(
        summary="Deactivate a person",
        description="Needs `people.deactivate`. They can no longer act in this organisation and their API tokens "
        "are revoked; their records stay.",
        request=None,
        responses=with_errors({200: PersonDetailOutputSerializer}),
    )
    def post(self, request: Request, pk: int) -> Response:
        self.require("people.deactivate")
        membership = self.get_person(pk, "people.deactivate")
        services.membership_deactivate(membership=membership, by=request.user)  # type: ignore[arg-type]
        return self.person_response(membership)


class PersonReactivateApi(PersonApi):
    @extend_schema(
        summary="Reactivate a person",
        description="Needs `people.deactivate`.",
        request=None,
        responses=with_errors({200: PersonDetailOutputSerializer}),
    )
    def post(self, request: Request, pk: int) -> Response:
        self.require("people.deactivate")
        membership = self.get_person(pk, "people.deactivate")
        services.membership_reactivate(membership=membership, by=request.user)  # type: ignore[arg-type]
        return self.person_response(membership)


class PersonUnlockApi(PersonApi):
    class OutputSerializer(serializers.Serializer[Any]):
        cleared_failures = serializers.IntegerField(help_text="Recent failed sign-ins forgotten (0: none).")
        locked = serializers.BooleanField(help_text="Whether sign-in with their email is still locked (false).")

    @extend_schema(
        summary="Unlock a person's sign-in",
        description="Needs `people.unlock`. Forgets the failed sign-ins of the person's email, which ends a lockout "
        "after too many wrong passwords (the lock is on the email: this unlocks them everywhere).",
        request=None,
        responses=with_errors({200: OutputSerializer}, 401, 403, 404),
    )
    def post(self, request: Request, pk: int) -> Response:
        self.require("people.unlock")
        membership = self.get_person(pk, "people.unlock")
        cleared = lockout.account_unlock(membership=membership, by=request.user)  # type: ignore[arg-type]
        data = {"cleared_failures": cleared, "locked": lockout.lock_state(membership.user.email).locked}
        return Response(self.OutputSerializer(data).data)


# --- API tokens -------------------------------------------------------------------------------------------


class TokenApi(OrganizationApi):
    def own_membership_unless_manager(self) -> Membership | None:
        """None (every token of the organisation) for holders of `token.manage`, else the caller's membership."""
        principal = self.principal()
        if principal.can("token.manage"):
            return None
        if principal.membership is None:
            raise PermissionDenied(NOT_ALLOWED)
        return principal.membership

    def get_token(self, pk: int) -> ApiToken:
        token = selectors.api_token_get(
            organization=self.organization, token_id=pk, membership=self.own_membership_unless_manager()
        )
        if token is None:
            raise Http404
        return token


class TokenListApi(TokenApi):
    class InputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField(max_length=100)
        expires_at = serializers.DateTimeField(required=False, allow_null=True)
        membership = TenantPrimaryKeyField(
            queryset=Membership.objects.all(),
            required=False,
            help_text="Whose token (needs `token.manage` unless it is your own membership). Default: yours.",
        )

        def validate_expires_at(self, value: dt.datetime | None) -> dt.datetime | None:
            if value is not None and value <= clock.now():
                raise serializers.ValidationError(EXPIRY_IN_PAST)
            return value

    @extend_schema(
        summary="List API tokens",
        description="Your own tokens; every token of the organisation with `token.manage`. Keys are never shown.",
        responses=with_errors({200: TokenOutputSerializer(many=True)}, 401, 403),
    )
    def get(self, request: Request) -> Response:
        tokens = selectors.api_token_list(
            organization=self.organization, membership=self.own_membership_unless_manager()
        )
        return paginated_response(request=request, view=self, queryset=tokens, serializer_class=TokenOutputSerializer)

    @extend_schema(
        summary="Create an API token",
        description="The response holds the key, once: it is stored only as a hash.",
        request=InputSerializer,
        responses=with_errors({201: TokenCreatedOutputSerializer}, 400, 401, 403),
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data, context=self.serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if isinstance(request.auth, ApiToken):
            # A leaked short-lived token must not be able to mint itself a permanent successor.
            raise PermissionDenied(TOKEN_FROM_TOKEN)
        membership = data.pop("membership", None) or self.principal().membership
        if membership is None:
            raise serializers.ValidationError({"membership": [MEMBERSHIP_REQUIRED]})
        token, key = services.api_token_create(membership=membership, by=request.user, **data)  # type: ignore[arg-type]
        token.key = key  # type: ignore[attr-defined]
        return Response(TokenCreatedOutputSerializer(token).data, status=status.HTTP_201_CREATED)


class TokenDetailApi(TokenApi):
    @extend_schema(summary="Get an API token", responses=with_errors({200: TokenOutputSerializer}, 401, 403, 404))
    def get(self, request: Request, pk: int) -> Response:
        return Response(TokenOutputSerializer(self.get_token(pk)).data)

    @extend_schema(
        summary="Revoke an API token",
        description="The token stops working at once. Revoking twice is harmless.",
        responses=with_errors({204: None}, 401, 403, 404),
    )
    def delete(self, request: Request, pk: int) -> Response:
        services.api_token_revoke(token=self.get_token(pk), by=request.user)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenRevokeApi(TokenApi):
    @extend_schema(
        summary="Revoke an API token (returning it)",
        request=None,
        responses=with_errors({200: TokenOutputSerializer}, 401, 403, 404),
    )
    def post(self, request: Request, pk: int) -> Response:
        token = services.api_token_revoke(token=self.get_token(pk), by=request.user)  # type: ignore[arg-type]
        return Response(TokenOutputSerializer(token).data)
