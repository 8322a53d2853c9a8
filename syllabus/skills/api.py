"""REST API of the skills framework (under /api/v1/): skills, proficiency scales, the CSV import and export.

Thin endpoints (HackSoft style): authorize up front (any member reads the framework; writing needs `skill.manage`),
one service or selector, serialized output. Skills and scales are looked up inside the request's organisation:
another organisation's id answers 404, and in a body or filter it "does not exist" (400).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import renderers, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from syllabus.access.endpoints import OrganizationEndpoint
from syllabus.access.policy import NOT_ALLOWED
from syllabus.core.api import TenantPrimaryKeyField, paginated_response, with_errors
from syllabus.skills import framework_csv, imports, selectors, services
from syllabus.skills.models import ProficiencyScale, Skill

MANAGE = services.MANAGE
NO_SUCH_SKILL = services.NO_SUCH_SKILL
CSV_HELP = (
    "UTF-8 CSV (with or without a byte-order mark; comma, semicolon or tab separated) with a header row: `code`, "
    "`name` (required), `parent_code`, `description`, `scale`. A code that exists updates that skill, any other "
    "creates one; a column left out keeps what the framework holds; parents may come after their children. "
    f"At most {framework_csv.MAX_BYTES // 1000} KB and {framework_csv.MAX_ROWS} skills."
)


class SkillsApi(OrganizationEndpoint):
    def require_reader(self) -> None:
        """Any member reads the framework (it tags the courses they take); non-members are refused."""
        principal = self.principal()
        if not (principal.is_member or principal.is_platform_admin):
            raise PermissionDenied(NOT_ALLOWED)

    def get_skill(self, pk: int) -> Skill:
        skill = selectors.skill_get(organization=self.organization, skill_id=pk)
        if skill is None:
            raise Http404
        return skill

    def get_scale(self, pk: int) -> ProficiencyScale:
        scale = selectors.scale_get(organization=self.organization, scale_id=pk)
        if scale is None:
            raise Http404
        return scale


# --- serializers -----------------------------------------------------------------------------------------------


class ProficiencyScaleRefSerializer(serializers.Serializer[ProficiencyScale]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class SkillOutputSerializer(serializers.Serializer[Skill]):
    id = serializers.IntegerField()
    code = serializers.CharField(help_text="Unique in the organisation: letters, digits, hyphens, underscores.")
    name = serializers.CharField()
    description = serializers.CharField()
    parent = serializers.IntegerField(source="parent_id", allow_null=True, help_text="Null for a top-level skill.")  # type: ignore[assignment]
    path = serializers.CharField(help_text='The ids from the top down, e.g. "/12/40/": a subtree is a prefix.')
    depth = serializers.IntegerField(help_text="0 for a top-level skill.")
    scale = ProficiencyScaleRefSerializer(allow_null=True, help_text="The proficiency scale the skill is measured on.")
    is_active = serializers.BooleanField(help_text="Deactivated skills keep their tags but cannot be chosen.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ProficiencyLevelSerializer(serializers.Serializer[Any]):
    value = serializers.IntegerField(read_only=True, help_text="1 for the lowest level; the position in `levels`.")
    name = serializers.CharField(max_length=80)
    descriptor = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)


class ProficiencyScaleOutputSerializer(serializers.Serializer[ProficiencyScale]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    levels = ProficiencyLevelSerializer(many=True, source="levels.all")
    skill_count = serializers.IntegerField(help_text="How many skills are measured on this scale.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


def _levels(data: list[dict[str, str]]) -> list[services.LevelInput]:
    return [services.LevelInput(level["name"], level.get("descriptor", "")) for level in data]


# --- skills ----------------------------------------------------------------------------------------------------


class SkillListApi(SkillsApi):
    class FilterSerializer(serializers.Serializer[Any]):
        parent = serializers.IntegerField(required=False, help_text="Only the direct sub-skills of this skill.")  # type: ignore[assignment]
        subtree_of = serializers.IntegerField(required=False, help_text="This skill and every skill below it.")
        q = serializers.CharField(required=False, default="", help_text="Words in the name, code or description.")
        active = serializers.BooleanField(
            required=False, allow_null=True, default=None, help_text="true: active only; false: deactivated only."
        )

    class InputSerializer(serializers.Serializer[Any]):
        code = serializers.CharField(max_length=80)
        name = serializers.CharField(max_length=200)
        description = serializers.CharField(required=False, default="", allow_blank=True)
        parent = TenantPrimaryKeyField(queryset=Skill.objects.all(), required=False, allow_null=True, default=None)  # type: ignore[assignment]
        scale = TenantPrimaryKeyField(
            queryset=ProficiencyScale.objects.all(), required=False, allow_null=True, default=None
        )

    def _filter_skill(self, name: str, pk: int | None) -> Skill | None:
        if pk is None:
            return None
        skill = selectors.skill_get(organization=self.organization, skill_id=pk)
        if skill is None:
            raise serializers.ValidationError({name: [NO_SUCH_SKILL]})
        return skill

    @extend_schema(
        summary="List skills",
        description="Any member. The framework in tree order (by path), with each skill's scale.",
        parameters=[FilterSerializer],
        responses=with_errors({200: SkillOutputSerializer(many=True)}, 400, 401, 403),
    )
    def get(self, request: Request) -> Response:
        self.require_reader()
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        skills = selectors.skill_list(
            organization=self.organization,
            parent=self._filter_skill("parent", data.get("parent")),
            subtree_of=self._filter_skill("subtree_of", data.get("subtree_of")),
            search=data["q"],
            active=data["active"],
        )
        return paginated_response(request=request, view=self, queryset=skills, serializer_class=SkillOutputSerializer)

    @extend_schema(
        summary="Create a skill",
        description="Needs `skill.manage`. The parent must be active; the tree is at most "
        f"{imports.MAX_DEPTH} levels deep.",
        request=InputSerializer,
        responses=with_errors({201: SkillOutputSerializer}, 400, 401, 403),
        examples=[
            OpenApiExample(
                "Hand hygiene", value={"code": "hand-hygiene", "name": "Hand hygiene", "parent": 12, "scale": 3}
            )
        ],
    )
    def post(self, request: Request) -> Response:
        self.require(MANAGE)
        serializer = self.InputSerializer(data=request.data, context=self.serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        skill = services.skill_create(
            organization=self.organization,
            by=self.user,
            code=data["code"],
            name=data["name"],
            description=data["description"],
            parent=data["parent"],
            scale=data["scale"],
        )
        return Response(SkillOutputSerializer(self.get_skill(skill.pk)).data, status=status.HTTP_201_CREATED)


class SkillDetailApi(SkillsApi):
    class InputSerializer(serializers.Serializer[Any]):
        code = serializers.CharField(max_length=80, required=False)
        name = serializers.CharField(max_length=200, required=False)
        description = serializers.CharField(required=False, allow_blank=True)
        parent = TenantPrimaryKeyField(  # type: ignore[assignment]
            queryset=Skill.objects.all(), required=False, allow_null=True, help_text="Moves the skill; null: top."
        )
        scale = TenantPrimaryKeyField(queryset=ProficiencyScale.objects.all(), required=False, allow_null=True)
        is_active = serializers.BooleanField(
            required=False, help_text="false deactivates the skill and its sub-skills; true reactivates it alone."
        )

    @extend_schema(summary="Get a skill", responses=with_errors({200: SkillOutputSerializer}, 401, 403, 404))
    def get(self, request: Request, pk: int) -> Response:
        self.require_reader()
        return Response(SkillOutputSerializer(self.get_skill(pk)).data)

    @extend_schema(
        summary="Change, move, deactivate or reactivate a skill",
        description="Needs `skill.manage`. All the changes apply, or none.",
        request=InputSerializer,
        responses=with_errors({200: SkillOutputSerializer}),
    )
    def patch(self, request: Request, pk: int) -> Response:
        self.require(MANAGE)
        skill = self.get_skill(pk)
        serializer = self.InputSerializer(data=request.data, partial=True, context=self.serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        changes: dict[str, Any] = {key: data[key] for key in ("parent", "scale") if key in data}
        services.skill_edit(
            skill=skill,
            by=self.user,
            code=data.get("code"),
            name=data.get("name"),
            description=data.get("description"),
            is_active=data.get("is_active"),
            **changes,
        )
        return Response(SkillOutputSerializer(self.get_skill(pk)).data)

    @extend_schema(
        summary="Delete a skill",
        description="Needs `skill.manage`. Refused (400) while it has sub-skills or tags anything (courses, "
        "activities, questions): deactivate it instead.",
        responses=with_errors({204: None}),
    )
    def delete(self, request: Request, pk: int) -> Response:
        self.require(MANAGE)
        services.skill_delete(skill=self.get_skill(pk), by=self.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- import and export -----------------------------------------------------------------------------------------


class SkillImportProblemSerializer(serializers.Serializer[Any]):
    field = serializers.CharField(help_text="The column (`parent_code`), or empty for the whole row or file.")
    line = serializers.IntegerField(help_text="The file's line (the header is line 1); 0 for the whole file.")
    message = serializers.CharField(help_text='The whole sentence, e.g. "line 7, parent_code: No skill …".')
    code = serializers.CharField()


class SkillImportErrorDetailSerializer(serializers.Serializer[Any]):
    status = serializers.IntegerField()
    code = serializers.CharField()
    message = serializers.CharField()
    errors = SkillImportProblemSerializer(many=True)  # type: ignore[assignment]
    error_count = serializers.IntegerField(help_text="Every problem; `errors` lists the first 200.")


class SkillImportErrorSerializer(serializers.Serializer[Any]):
    error = SkillImportErrorDetailSerializer()


class SkillImportRowSerializer(serializers.Serializer[Any]):
    line = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    parent_code = serializers.CharField(allow_null=True, help_text="Null when the file has no parent_code column.")
    scale = serializers.CharField(source="scale_name", allow_null=True)
    action = serializers.ChoiceField(choices=[imports.CREATE, imports.UPDATE, imports.UNCHANGED])
    changes = serializers.ListField(child=serializers.CharField(), help_text="The columns an update changes.")


class SkillImportOutputSerializer(serializers.Serializer[Any]):
    dry_run = serializers.BooleanField()
    applied = serializers.BooleanField()
    fingerprint = serializers.CharField(
        help_text="Send it back with `dry_run=false` to apply only if the import still does exactly this."
    )
    created = serializers.IntegerField(help_text="Skills created (dry run: to create).")
    updated = serializers.IntegerField(help_text="Skills updated (dry run: to update).")
    unchanged = serializers.IntegerField()
    rows = SkillImportRowSerializer(many=True)


def _import_output(plan: imports.ImportPlan, *, dry_run: bool) -> dict[str, Any]:
    return {
        "dry_run": dry_run,
        "applied": not dry_run,
        "fingerprint": plan.fingerprint,
        "created": plan.count(imports.CREATE),
        "updated": plan.count(imports.UPDATE),
        "unchanged": plan.count(imports.UNCHANGED),
        "rows": plan.rows,
    }


def _problems_response(plan: imports.ImportPlan) -> Response:
    """The one error format, each error with its line, column and the whole sentence."""
    errors = [
        {"field": problem.field, "line": problem.line, "message": str(problem), "code": "invalid"}
        for problem in plan.problems
    ]
    body = {
        "error": {
            "status": status.HTTP_400_BAD_REQUEST,
            "code": "invalid",
            "message": str(errors[0]["message"]) if len(errors) == 1 else services.IMPORT_INVALID,
            "errors": errors,
            "error_count": plan.problem_count,
        }
    }
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


class SkillImportApi(SkillsApi):
    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer[Any]):
        file = serializers.FileField(help_text=CSV_HELP)
        dry_run = serializers.BooleanField(default=False, help_text="true: check and answer the plan, change nothing.")
        fingerprint = serializers.CharField(
            required=False, default="", allow_blank=True, help_text="A dry run's fingerprint (optional)."
        )

    @extend_schema(
        summary="Import skills from a CSV file",
        description="Needs `skill.manage`. Send multipart/form-data. The whole file is checked first; with any "
        "problem nothing changes and the answer (400) lists every problem with its line and column. With "
        "`dry_run=true` a valid file is only planned: the answer says what would be created and updated. "
        "Otherwise the file is applied in one transaction.",
        request={"multipart/form-data": InputSerializer},
        responses={
            200: SkillImportOutputSerializer,
            400: OpenApiResponse(SkillImportErrorSerializer, description="The file has problems: nothing changed."),
            **with_errors({}, 401, 403),
        },
    )
    def post(self, request: Request) -> Response:
        self.require(MANAGE)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # One byte past the limit is enough to say "too big" without reading a hostile upload whole.
        content = data["file"].read(framework_csv.MAX_BYTES + 1)
        if data["dry_run"]:
            plan = services.skills_import_preview(organization=self.organization, by=self.user, data=content)
            if not plan.valid:
                return _problems_response(plan)
            return Response(SkillImportOutputSerializer(_import_output(plan, dry_run=True)).data)
        try:
            result = services.skills_import_apply(
                organization=self.organization, by=self.user, data=content, fingerprint=data["fingerprint"]
            )
        except services.ImportRejected as rejected:
            return _problems_response(rejected.plan)
        return Response(SkillImportOutputSerializer(_import_output(result.plan, dry_run=False)).data)


class CsvRenderer(renderers.BaseRenderer):
    """Lets `Accept: text/csv` through content negotiation; the endpoint writes the CSV itself."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> Any:
        return str(data).encode() if data is not None else b""


class SkillExportApi(SkillsApi):
    renderer_classes = [renderers.JSONRenderer, CsvRenderer]

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        # Errors are JSON in the one error format, even when CSV was asked for.
        if isinstance(response, Response) and response.status_code >= 400:
            request.accepted_renderer = renderers.JSONRenderer()
            request.accepted_media_type = "application/json"
        return super().finalize_response(request, response, *args, **kwargs)

    @extend_schema(
        summary="Export the framework as CSV",
        description="Any member. The active skills in the import's format (parents before children), so the file "
        "imports back unchanged. Cells that a spreadsheet would run as a formula (starting with =, +, -, @) "
        "are written with a leading apostrophe, which the import removes.",
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The CSV file.")},
    )
    def get(self, request: Request) -> HttpResponse:
        self.require_reader()
        response = HttpResponse(
            selectors.framework_export(organization=self.organization), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="skills-{self.organization.slug}.csv"'
        return response


# --- proficiency scales ------------------------------------------------------------------------------------


class ScaleListApi(SkillsApi):
    class InputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField(max_length=120)
        description = serializers.CharField(required=False, default="", allow_blank=True)
        levels = ProficiencyLevelSerializer(
            many=True, help_text="From the lowest (value 1) to the highest; 2 to 10 levels."
        )

    @extend_schema(
        summary="List proficiency scales",
        description="Any member. Each scale with its levels, lowest first.",
        responses=with_errors({200: ProficiencyScaleOutputSerializer(many=True)}, 401, 403),
    )
    def get(self, request: Request) -> Response:
        self.require_reader()
        scales = selectors.scale_list(organization=self.organization)
        return paginated_response(
            request=request, view=self, queryset=scales, serializer_class=ProficiencyScaleOutputSerializer
        )

    @extend_schema(
        summary="Create a proficiency scale",
        description="Needs `skill.manage`.",
        request=InputSerializer,
        responses=with_errors({201: ProficiencyScaleOutputSerializer}, 400, 401, 403),
        examples=[
            OpenApiExample(
                "Three steps",
                value={
                    "name": "Competence",
                    "levels": [
                        {"name": "Supervised", "descriptor": "Performs the task under direct supervision."},
                        {"name": "Independent", "descriptor": "Performs the task safely alone."},
                        {"name": "Assessor", "descriptor": "Can assess and sign off others."},
                    ],
                },
            )
        ],
    )
    def post(self, request: Request) -> Response:
        self.require(MANAGE)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        scale = services.scale_create(
            organization=self.organization,
            by=self.user,
            name=data["name"],
            description=data["description"],
            levels=_levels(data["levels"]),
        )
        return Response(ProficiencyScaleOutputSerializer(self.get_scale(scale.pk)).data, status=status.HTTP_201_CREATED)


class ScaleDefaultApi(SkillsApi):
    @extend_schema(
        summary="Create the default 1–5 proficiency scale",
        description="Needs `skill.manage`. Awareness, Working knowledge, Practitioner, Advanced, Expert, each with "
        "a descriptor. Refused (400) if a scale of that name exists.",
        request=None,
        responses=with_errors({201: ProficiencyScaleOutputSerializer}, 400, 401, 403),
    )
    def post(self, request: Request) -> Response:
        self.require(MANAGE)
        scale = services.scale_create_default(organization=self.organization, by=self.user)
        return Response(ProficiencyScaleOutputSerializer(self.get_scale(scale.pk)).data, status=status.HTTP_201_CREATED)


class ScaleDetailApi(SkillsApi):
    class InputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField(max_length=120, required=False)
        description = serializers.CharField(required=False, allow_blank=True)
        levels = ProficiencyLevelSerializer(
            many=True, required=False, help_text="Replaces the levels (values 1..N in order)."
        )

    @extend_schema(
        summary="Get a proficiency scale", responses=with_errors({200: ProficiencyScaleOutputSerializer}, 401, 403, 404)
    )
    def get(self, request: Request, pk: int) -> Response:
        self.require_reader()
        return Response(ProficiencyScaleOutputSerializer(self.get_scale(pk)).data)

    @extend_schema(
        summary="Change a proficiency scale",
        description="Needs `skill.manage`. `levels` replaces the levels: levels keep their value by position.",
        request=InputSerializer,
        responses=with_errors({200: ProficiencyScaleOutputSerializer}),
    )
    def patch(self, request: Request, pk: int) -> Response:
        self.require(MANAGE)
        scale = self.get_scale(pk)
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.scale_update(
            scale=scale,
            by=self.user,
            name=data.get("name"),
            description=data.get("description"),
            levels=_levels(data["levels"]) if "levels" in data else None,
        )
        return Response(ProficiencyScaleOutputSerializer(self.get_scale(pk)).data)

    @extend_schema(
        summary="Delete a proficiency scale",
        description="Needs `skill.manage`. Refused (400) while skills use it.",
        responses=with_errors({204: None}),
    )
    def delete(self, request: Request, pk: int) -> Response:
        self.require(MANAGE)
        services.scale_delete(scale=self.get_scale(pk), by=self.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
