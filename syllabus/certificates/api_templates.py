"""REST API of certificate templates (/api/v1/certificates/templates/): list and create, get, change and delete one,
and preview one as PDF (the saved template, or HTML and CSS sent to try before saving).

Everything needs `certificate.manage` (org admins and compliance officers): 403 without it. Another organisation's
template answers 404. Validation is the pages' (`services.templates.clean_fields`): each error names its field, and
the HTML and CSS ones their line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import renderers, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from syllabus.access.endpoints import OrganizationEndpoint
from syllabus.access.policy import NOT_ALLOWED
from syllabus.certificates import credentials, policy, rendering
from syllabus.certificates.models import PageSize, Template
from syllabus.certificates.services import templates as services
from syllabus.core.api import paginated_response, with_errors

TAG = "Certificates"
BODY_NOT_OBJECT = "Send a JSON object of the template's fields."
NOT_DEFAULT_FALSE = "Make another template the default instead."


class TemplateApi(OrganizationEndpoint):
    def require_manage(self) -> None:
        if not policy.can_manage(self.principal()):
            raise PermissionDenied(NOT_ALLOWED)

    def get_template(self, pk: int) -> Template:
        template = services.template_get(organization=self.organization, pk=pk)
        if template is None:
            raise Http404
        return template

    def body(self, request: Request) -> Mapping[str, Any]:
        """The JSON object sent; anything else (a list, a string) is refused with a 400 naming the problem."""
        if not isinstance(request.data, Mapping):
            raise serializers.ValidationError({"non_field_errors": [BODY_NOT_OBJECT]})
        return request.data


class PdfRenderer(renderers.BaseRenderer):
    """Lets a client ask for `Accept: application/pdf` (the PDF itself is an HttpResponse DRF passes on)."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return data if isinstance(data, bytes) else b""


# --- serializers ----------------------------------------------------------------------------------------------------


class SignatorySerializer(serializers.Serializer[Any]):
    name = serializers.CharField(allow_blank=True, help_text="Up to 100 characters.")
    title = serializers.CharField(allow_blank=True, required=False, default="", help_text="Up to 100 characters.")


class TemplateOutputSerializer(serializers.Serializer[Template]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    html = serializers.CharField(help_text="HTML with `{{ placeholders }}`.")
    css = serializers.CharField()
    page_size = serializers.ChoiceField(choices=PageSize.choices)
    signatories = SignatorySerializer(many=True)
    is_default = serializers.BooleanField(help_text="New awards start with this template.")
    archived = serializers.BooleanField()
    revision = serializers.IntegerField(help_text="Bumped by every change to what is drawn.")
    award_count = serializers.IntegerField(help_text="Awards that use this template.")
    preview_pdf_url = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_preview_pdf_url(self, template: Template) -> str:
        return credentials.absolute(reverse("api:v1:certificates-template-preview", args=[template.pk]))


class TemplateInputSerializer(serializers.Serializer[Any]):
    """The types; `services.templates.clean_fields` judges the values (sizes, placeholders, CSS, signatories)."""

    name = serializers.CharField(allow_blank=True, help_text="Unique in the organisation, up to 200 characters.")
    description = serializers.CharField(allow_blank=True, required=False, default="")
    html = serializers.CharField(
        allow_blank=True, trim_whitespace=False, help_text="Up to 100 kB; only the placeholders listed."
    )
    css = serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        required=False,
        default="",
        help_text="Up to 50 kB; no @import, url() only with data: URIs.",
    )
    page_size = serializers.ChoiceField(choices=PageSize.choices, required=False, default=PageSize.A4_LANDSCAPE)
    signatories = SignatorySerializer(many=True, required=False, default=list, help_text="At most 4.")


class TemplatePatchSerializer(TemplateInputSerializer):
    is_default = serializers.BooleanField(required=False, help_text="`true` makes it the default.")
    archived = serializers.BooleanField(required=False, help_text="`true` archives it, `false` restores it.")


class PreviewInputSerializer(serializers.Serializer[Any]):
    html = serializers.CharField(allow_blank=True, trim_whitespace=False, required=False)
    css = serializers.CharField(allow_blank=True, trim_whitespace=False, required=False)
    page_size = serializers.ChoiceField(choices=PageSize.choices, required=False)
    signatories = SignatorySerializer(many=True, required=False)


def _service_data(validated: Mapping[str, Any]) -> dict[str, Any]:
    data = {key: value for key, value in validated.items() if key in services.FIELDS}
    if "signatories" in data:
        data["signatories"] = [dict(row) for row in data["signatories"]]
    return data


def _output(template: Template) -> dict[str, Any]:
    return dict(TemplateOutputSerializer(template).data)


TEMPLATE_EXAMPLE = {
    "name": "Safety training",
    "html": '<div class="certificate"><h1>{{ title }}</h1><p>Awarded to {{ learner_name }} on {{ issued_on }}.</p>'
    "{{ signatories }}{{ qr_code }}</div>",
    "css": ".certificate { height: var(--page-height); overflow: hidden; padding: 20mm; }",
    "page_size": "a4_landscape",
    "signatories": [{"name": "Ada Byron", "title": "Head of Safety"}],
}
PDF_RESPONSE = OpenApiResponse(OpenApiTypes.BINARY, description="The PDF (application/pdf), drawn with made-up values.")


# --- endpoints ------------------------------------------------------------------------------------------------------


class TemplateListApi(TemplateApi):
    class FilterSerializer(serializers.Serializer[Any]):
        archived = serializers.BooleanField(required=False, allow_null=True, default=None)

    @extend_schema(
        tags=[TAG],
        summary="List certificate templates",
        description="Needs `certificate.manage`. Active ones first, by name.",
        parameters=[FilterSerializer],
        responses=with_errors({200: TemplateOutputSerializer(many=True)}, 400, 401, 403),
    )
    def get(self, request: Request) -> Response:
        self.require_manage()
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        templates = services.template_list(organization=self.organization, archived=filters.validated_data["archived"])
        return paginated_response(
            request=request, view=self, queryset=templates, serializer_class=TemplateOutputSerializer
        )

    @extend_schema(
        tags=[TAG],
        summary="Create a certificate template",
        description="Needs `certificate.manage`. Audited.",
        request=TemplateInputSerializer,
        responses=with_errors({201: TemplateOutputSerializer}, 400, 401, 403),
        examples=[OpenApiExample("A simple template", value=TEMPLATE_EXAMPLE, request_only=True)],
    )
    def post(self, request: Request) -> Response:
        self.require_manage()
        serializer = TemplateInputSerializer(data=self.body(request))
        serializer.is_valid(raise_exception=True)
        template = services.template_create(
            organization=self.organization, by=self.user, data=_service_data(serializer.validated_data)
        )
        return Response(_output(self.get_template(template.pk)), status=status.HTTP_201_CREATED)


class TemplateDetailApi(TemplateApi):
    @extend_schema(
        tags=[TAG],
        summary="Get a certificate template",
        responses=with_errors({200: TemplateOutputSerializer}, 401, 403, 404),
    )
    def get(self, request: Request, pk: int) -> Response:
        self.require_manage()
        return Response(_output(self.get_template(pk)))

    @extend_schema(
        tags=[TAG],
        summary="Change a certificate template",
        description="Needs `certificate.manage`. Fields left out keep their value; a change to what is drawn bumps "
        "`revision`. `archived: false` restores an archived template first, `archived: true` archives it after the "
        "other changes; `is_default: true` makes it the default. Audited.",
        request=TemplatePatchSerializer(partial=True),
        responses=with_errors({200: TemplateOutputSerializer}, 400, 401, 403, 404),
    )
    def patch(self, request: Request, pk: int) -> Response:
        self.require_manage()
        template = self.get_template(pk)
        serializer = TemplatePatchSerializer(data=self.body(request), partial=True)
        serializer.is_valid(raise_exception=True)
        wanted = serializer.validated_data
        if wanted.get("is_default") is False:
            raise serializers.ValidationError({"is_default": [NOT_DEFAULT_FALSE]})
        # All or nothing: a refused change leaves the archive and default flags as they were too.
        with transaction.atomic():
            if wanted.get("archived") is False:
                services.template_restore(template=template, by=self.user)
            if data := _service_data(wanted):
                services.template_update(template=template, by=self.user, data=data)
            if wanted.get("is_default"):
                services.template_set_default(template=template, by=self.user)
            if wanted.get("archived"):
                services.template_archive(template=template, by=self.user)
        return Response(_output(self.get_template(pk)))

    @extend_schema(
        tags=[TAG],
        summary="Delete a certificate template",
        description="Needs `certificate.manage`. Refused (400) while an award uses it: archive it instead. Audited.",
        responses=with_errors({204: None}, 400, 401, 403, 404),
    )
    def delete(self, request: Request, pk: int) -> Response:
        self.require_manage()
        services.template_delete(template=self.get_template(pk), by=self.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TemplatePreviewApi(TemplateApi):
    renderer_classes = [renderers.JSONRenderer, PdfRenderer]

    def pdf(self, template: Template, fields: rendering.TemplateFields) -> HttpResponse:
        response = HttpResponse(rendering.preview_pdf(fields, self.organization), content_type="application/pdf")
        response["Content-Disposition"] = (
            content_disposition_header(False, f"template-{template.pk}-preview.pdf") or "inline"
        )
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(
        tags=[TAG],
        summary="Preview a saved certificate template as PDF",
        description="Needs `certificate.manage`. Drawn as the worker draws certificates, with made-up values.",
        responses=with_errors({200: PDF_RESPONSE}, 401, 403, 404),
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        self.require_manage()
        template = self.get_template(pk)
        return self.pdf(template, rendering.TemplateFields.of(template))

    @extend_schema(
        tags=[TAG],
        summary="Preview changes to a certificate template as PDF",
        description="Needs `certificate.manage`. The fields sent replace the saved ones for this drawing only; "
        "nothing is saved. Refused (400) with the same errors as saving.",
        request=PreviewInputSerializer,
        responses=with_errors({200: PDF_RESPONSE}, 400, 401, 403, 404),
    )
    def post(self, request: Request, pk: int) -> HttpResponse:
        self.require_manage()
        template = self.get_template(pk)
        serializer = PreviewInputSerializer(data=self.body(request))
        serializer.is_valid(raise_exception=True)
        current = {name: getattr(template, name) for name in services.FIELDS}
        cleaned = services.clean_fields(
            self.organization, {**current, **_service_data(serializer.validated_data)}, template=template
        )
        fields = rendering.TemplateFields(
            html=cleaned["html"],
            css=cleaned["css"],
            page_size=cleaned["page_size"],
            signatories=rendering.signatories_of(cleaned["signatories"]),
            name=template.name,
        )
        return self.pdf(template, fields)


urlpatterns = [
    path("templates/", TemplateListApi.as_view(), name="certificates-templates"),
    path("templates/<int:pk>/", TemplateDetailApi.as_view(), name="certificates-template-detail"),
    path("templates/<int:pk>/preview/", TemplatePreviewApi.as_view(), name="certificates-template-preview"),
]
