"""The skills framework's pages: the framework tree (with search), a skill, adding and editing (moving) skills,
deactivating, reactivating and deleting them, the proficiency scales, the CSV import (upload, preview, apply) and
the export. Any member reads; managing needs `skill.manage`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from syllabus.access.decorators import organization_view
from syllabus.access.policy import NOT_ALLOWED, Principal
from syllabus.accounts.models import Organization, User
from syllabus.skills import forms, framework_csv, imports, selectors, services
from syllabus.skills.models import ProficiencyScale, Skill

MANAGE = services.MANAGE
# The preview lists at most this many rows to create or update (the counts are exact).
PREVIEW_ROWS = 500
View = Callable[..., HttpResponse]


def _require_reader(principal: Principal) -> None:
    if not (principal.is_member or principal.is_platform_admin):
        raise PermissionDenied(NOT_ALLOWED)


def _skill_or_404(organization: Organization, pk: int) -> Skill:
    skill = selectors.skill_get(organization=organization, skill_id=pk)
    if skill is None:
        raise Http404
    return skill


def _scale_or_404(organization: Organization, pk: int) -> ProficiencyScale:
    scale = selectors.scale_get(organization=organization, scale_id=pk)
    if scale is None:
        raise Http404
    return scale


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


# --- the framework ---------------------------------------------------------------------------------------------


@organization_view
@require_GET
def framework(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    _require_reader(principal)
    can_manage = principal.can(MANAGE)
    q = request.GET.get("q", "").strip()
    # Managers see deactivated skills too (to reactivate them); everyone else sees what can be chosen.
    tree = selectors.skill_tree(organization, search=q, include_inactive=can_manage)
    context = {
        "tree": tree,
        "q": q,
        "can_manage": can_manage,
        "has_scales": selectors.has_scales(organization=organization) if can_manage else True,
        "default_scale_name": services.DEFAULT_SCALE_NAME,
    }
    return render(request, "skills/framework.html", context)


@organization_view
@require_GET
def skill_detail(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    _require_reader(principal)
    skill = _skill_or_404(organization, pk)
    can_manage = principal.can(MANAGE)
    if not skill.is_active and not can_manage:
        raise Http404  # retired skills are the managers' business
    children = [child for child in selectors.skill_children(skill=skill) if child.is_active or can_manage]
    usage = selectors.skill_usage(skill=skill)
    ancestors = selectors.skill_ancestors(skill=skill)
    context = {
        "skill": skill,
        "ancestors": ancestors,
        "children": children,
        "levels": list(skill.scale.levels.all()) if skill.scale is not None else [],
        "usage": selectors.describe_usage(usage),
        "can_manage": can_manage,
        "can_delete": not children and not usage,
        "parent_inactive": any(not ancestor.is_active for ancestor in ancestors[-1:]),
    }
    return render(request, "skills/skill_detail.html", context)


def _skill_form_page(
    request: HttpRequest, organization: Organization, principal: Principal, skill: Skill | None
) -> HttpResponse:
    principal.require(MANAGE)
    initial: dict[str, Any] = {}
    if skill is not None:
        initial = {
            "name": skill.name,
            "code": skill.code,
            "description": skill.description,
            "parent": str(skill.parent_id or ""),
            "scale": str(skill.scale_id or ""),
        }
    else:
        initial = {"parent": request.GET.get("parent", "")}
        scale_ids = list(ProficiencyScale.objects.for_organization(organization).values_list("pk", flat=True)[:2])
        if len(scale_ids) == 1:  # one scale: the likely choice
            initial["scale"] = str(scale_ids[0])
    form = forms.SkillForm(request.POST or None, organization=organization, skill=skill, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if skill is None:
                skill = services.skill_create(
                    organization=organization,
                    by=_user(request),
                    code=data["code"],
                    name=data["name"],
                    description=data["description"],
                    parent=data["parent"],
                    scale=data["scale"],
                )
                messages.success(request, _("The skill %(name)s was added.") % {"name": skill.name})
            else:
                services.skill_edit(
                    skill=skill,
                    by=_user(request),
                    code=data["code"],
                    name=data["name"],
                    description=data["description"],
                    scale=data["scale"],
                    parent=data["parent"],
                )
                messages.success(request, _("Your changes were saved."))
        except ValidationError as exc:
            forms.add_service_error(form, exc)
        else:
            return redirect("skills:detail", pk=skill.pk)
    return render(request, "skills/skill_form.html", {"form": form, "skill": skill})


@organization_view
@require_http_methods(["GET", "POST"])
def skill_create(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    return _skill_form_page(request, organization, principal, None)


@organization_view
@require_http_methods(["GET", "POST"])
def skill_edit(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    principal.require(MANAGE)
    return _skill_form_page(request, organization, principal, _skill_or_404(organization, pk))


@organization_view
@require_POST
def skill_deactivate(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    principal.require(MANAGE)
    skill = _skill_or_404(organization, pk)
    count = services.skill_deactivate(skill=skill, by=_user(request))
    if count > 1:
        message = ngettext(
            "%(name)s and %(others)s sub-skill were deactivated.",
            "%(name)s and %(others)s sub-skills were deactivated.",
            count - 1,
        ) % {"name": skill.name, "others": count - 1}
    else:
        message = _("%(name)s was deactivated.") % {"name": skill.name}
    messages.success(request, message)
    return redirect("skills:detail", pk=skill.pk)


@organization_view
@require_POST
def skill_reactivate(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    principal.require(MANAGE)
    skill = _skill_or_404(organization, pk)
    try:
        services.skill_reactivate(skill=skill, by=_user(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(name)s was reactivated.") % {"name": skill.name})
    return redirect("skills:detail", pk=skill.pk)


@organization_view
@require_POST
def skill_delete(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    principal.require(MANAGE)
    skill = _skill_or_404(organization, pk)
    try:
        services.skill_delete(skill=skill, by=_user(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("skills:detail", pk=skill.pk)
    messages.success(request, _("The skill %(name)s was deleted.") % {"name": skill.name})
    return redirect("skills:framework")


# --- proficiency scales ------------------------------------------------------------------------------------


@organization_view
@require_GET
def scale_list(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    _require_reader(principal)
    context = {
        "scales": list(selectors.scale_list(organization=organization)),
        "can_manage": principal.can(MANAGE),
        "default_scale_name": services.DEFAULT_SCALE_NAME,
    }
    return render(request, "skills/scale_list.html", context)


def _scale_form_page(
    request: HttpRequest, organization: Organization, principal: Principal, scale: ProficiencyScale | None
) -> HttpResponse:
    principal.require(MANAGE)
    levels = [services.LevelInput(level.name, level.descriptor) for level in scale.levels.all()] if scale else []
    initial = {"name": scale.name, "description": scale.description} if scale else {}
    data = request.POST if request.method == "POST" else None
    form = forms.ScaleForm(data, initial=initial)
    formset = forms.level_formset(data, levels=levels, spare=2 if scale else 5)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            if scale is None:
                scale = services.scale_create(
                    organization=organization,
                    by=_user(request),
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    levels=formset.levels(),
                )
                messages.success(request, _("The scale %(name)s was created.") % {"name": scale.name})
            else:
                services.scale_update(
                    scale=scale,
                    by=_user(request),
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    levels=formset.levels(),
                )
                messages.success(request, _("Your changes were saved."))
        except ValidationError as exc:
            for message in formset.add_service_error(exc):
                form.add_error(None, message)
            if hasattr(exc, "error_dict"):
                for name in ("name", "description"):
                    for message in ValidationError(exc.error_dict.get(name, [])).messages:
                        form.add_error(name, message)
            else:
                form.add_error(None, exc.messages)
        else:
            return redirect("skills:scales")
    return render(request, "skills/scale_form.html", {"form": form, "formset": formset, "scale": scale})


@organization_view
@require_http_methods(["GET", "POST"])
def scale_create(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    return _scale_form_page(request, organization, principal, None)


@organization_view
@require_http_methods(["GET", "POST"])
def scale_edit(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    principal.require(MANAGE)
    return _scale_form_page(request, organization, principal, _scale_or_404(organization, pk))


@organization_view
@require_POST
def scale_create_default(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    principal.require(MANAGE)
    try:
        scale = services.scale_create_default(organization=organization, by=_user(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The scale %(name)s was created.") % {"name": scale.name})
    # Offered on the framework page and on the scales page: go back to where it was asked for.
    return redirect("skills:framework" if request.POST.get("next") == "framework" else "skills:scales")


@organization_view
@require_POST
def scale_delete(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    principal.require(MANAGE)
    scale = _scale_or_404(organization, pk)
    try:
        services.scale_delete(scale=scale, by=_user(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The scale %(name)s was deleted.") % {"name": scale.name})
    return redirect("skills:scales")


# --- import and export -------------------------------------------------------------------------------------


def _preview_context(plan: imports.ImportPlan, content: bytes) -> dict[str, Any]:
    changing = [row for row in plan.rows if row.action != imports.UNCHANGED]
    return {
        "plan": plan,
        "changing": changing[:PREVIEW_ROWS],
        "hidden_rows": max(len(changing) - PREVIEW_ROWS, 0),
        "counts": {
            "create": plan.count(imports.CREATE),
            "update": plan.count(imports.UPDATE),
            "unchanged": plan.count(imports.UNCHANGED),
        },
        "apply_form": forms.ImportApplyForm(
            initial={"content": forms.ImportApplyForm.encode(content), "fingerprint": plan.fingerprint}
        )
        if plan.valid
        else None,
    }


@organization_view
@require_http_methods(["GET", "POST"])
def skill_import(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    """Upload a file and see the preview (nothing changes); Apply posts the same file back to import it."""
    principal.require(MANAGE)
    user = _user(request)
    upload_form = forms.ImportUploadForm()
    context: dict[str, Any] = {"max_kb": framework_csv.MAX_BYTES // 1000, "max_rows": framework_csv.MAX_ROWS}
    if request.method == "POST" and request.POST.get("action") == "apply":
        apply_form = forms.ImportApplyForm(request.POST)
        if not apply_form.is_valid():
            messages.error(request, " ".join(str(e) for errors in apply_form.errors.values() for e in errors))
            return redirect("skills:import")
        content = apply_form.cleaned_data["content"]
        try:
            result = services.skills_import_apply(
                organization=organization, by=user, data=content, fingerprint=apply_form.cleaned_data["fingerprint"]
            )
        except services.ImportRejected as rejected:
            context.update(_preview_context(rejected.plan, content))
        except ValidationError as exc:  # the framework changed since the preview: show the new one
            context["notice"] = " ".join(exc.messages)
            plan = services.skills_import_preview(organization=organization, by=user, data=content)
            context.update(_preview_context(plan, content))
        else:
            messages.success(
                request,
                _("Imported: %(created)s skills created, %(updated)s updated.")
                % {"created": len(result.created_ids), "updated": len(result.updated_ids)},
            )
            return redirect("skills:framework")
    elif request.method == "POST":
        upload_form = forms.ImportUploadForm(request.POST, request.FILES)
        if upload_form.is_valid():
            content = upload_form.content()
            plan = services.skills_import_preview(organization=organization, by=user, data=content)
            context.update(_preview_context(plan, content))
    context["upload_form"] = upload_form
    return render(request, "skills/import.html", context)


@organization_view
@require_GET
def skill_export(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    _require_reader(principal)
    response = HttpResponse(
        selectors.framework_export(organization=organization), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="skills-{organization.slug}.csv"'
    return response
