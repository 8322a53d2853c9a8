"""Setting a course's gradebook up (settings, categories, items; `policy.can_setup`) and the organisation's
letter scales (`policy.can_manage_scales`). Plain forms: every change is its own POST, then back to the page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from syllabus.access.decorators import organization_view
from syllabus.access.policy import Principal
from syllabus.accounts.models import Organization
from syllabus.catalog.models import Course
from syllabus.grades import policy, selectors, services
from syllabus.grades.forms import CategoryForm, ItemForm, ManualItemForm, ScaleForm, SettingsForm, bands_text
from syllabus.grades.models import GradeCategory, GradeItem, ItemSource, LetterScale
from syllabus.grades.views import add_errors, error_text, header, require, team_course, user_of

# --- setup -------------------------------------------------------------------------------------------------------


def _settings_initial(course: Course) -> dict[str, Any]:
    settings = services.settings_for(course)
    return {
        "display": settings.display,
        "letter_scale": settings.letter_scale_id,
        "pass_mark": settings.pass_mark,
        "only_graded": settings.only_graded,
        "show_total_to_learners": settings.show_total_to_learners,
    }


def _category_initial(category: GradeCategory) -> dict[str, Any]:
    return {"name": category.name, "weight": category.weight, "drop_lowest": category.drop_lowest}


def _item_initial(item: GradeItem) -> dict[str, Any]:
    return {
        "name": item.name,
        "max_points": item.max_points,
        "category": item.category_id,
        "weight": item.weight,
        "hidden": item.hidden,
        "excluded": item.excluded,
    }


def _setup_page(
    request: HttpRequest,
    organization: Organization,
    principal: Principal,
    course: Course,
    *,
    bound: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The setup page; `bound` holds the one form that failed ("settings", "new_category", "new_item",
    "category-<pk>", "item-<pk>") so it shows with its errors."""
    bound = bound or {}
    categories = selectors.categories_of(course=course)
    items = selectors.items_of(course=course)
    scales = selectors.scales_of(organization=organization)
    category_rows = [
        {
            "category": category,
            "form": bound.get(f"category-{category.pk}")
            or CategoryForm(initial=_category_initial(category), prefix=f"category-{category.pk}"),
        }
        for category in categories
    ]
    item_rows = [
        {
            "item": item,
            "manual": item.source == ItemSource.MANUAL,
            "first": index == 0,
            "last": index == len(items) - 1,
            "form": bound.get(f"item-{item.pk}")
            or ItemForm(
                categories=categories,
                manual=item.source == ItemSource.MANUAL,
                initial=_item_initial(item),
                prefix=f"item-{item.pk}",
            ),
        }
        for index, item in enumerate(items)
    ]
    context = {
        **header(principal, course),
        "settings_form": bound.get("settings") or SettingsForm(scales=scales, initial=_settings_initial(course)),
        "category_rows": category_rows,
        "new_category_form": bound.get("new_category") or CategoryForm(prefix="new-category"),
        "item_rows": item_rows,
        "new_item_form": bound.get("new_item") or ManualItemForm(categories=categories),
        "can_manage_scales": policy.can_manage_scales(principal),
    }
    return render(request, "grades/setup.html", context, status=status)


def _back_to_setup(course: Course, anchor: str = "") -> HttpResponse:
    url = reverse("grades:setup", args=[course.pk])
    return redirect(f"{url}#{anchor}" if anchor else url)


@organization_view
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest, organization: Organization, principal: Principal, course_id: int) -> HttpResponse:
    course = team_course(organization, principal, course_id, policy.can_setup)
    services.items_sync_if_stale(course=course)
    if request.method == "GET":
        return _setup_page(request, organization, principal, course)
    form = SettingsForm(request.POST, scales=selectors.scales_of(organization=organization))
    if form.is_valid():
        try:
            services.settings_update(by=user_of(request), course=course, **form.service_fields())
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The gradebook's settings are saved."))
            return _back_to_setup(course, "settings")
    return _setup_page(request, organization, principal, course, bound={"settings": form}, status=400)


def _category_or_404(course: Course, category_id: int) -> GradeCategory:
    category = GradeCategory.objects.filter(course=course, pk=category_id).first()
    if category is None:
        raise Http404
    return category


def _item_or_404(course: Course, item_id: int) -> GradeItem:
    item = selectors.item_get(course=course, item_id=item_id)
    if item is None:
        raise Http404
    return item


@organization_view
@require_POST
def category_add(
    request: HttpRequest, organization: Organization, principal: Principal, course_id: int
) -> HttpResponse:
    course = team_course(organization, principal, course_id, policy.can_setup)
    form = CategoryForm(request.POST, prefix="new-category")
    if form.is_valid():
        try:
            services.category_create(by=user_of(request), course=course, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Category “%(name)s” added.") % {"name": form.cleaned_data["name"]})
            return _back_to_setup(course, "categories")
    return _setup_page(request, organization, principal, course, bound={"new_category": form}, status=400)


@organization_view
@require_POST
def category_edit(
    request: HttpRequest, organization: Organization, principal: Principal, course_id: int, category_id: int
) -> HttpResponse:
    course = team_course(organization, principal, course_id, policy.can_setup)
    category = _category_or_404(course, category_id)
    prefix = f"category-{category.pk}"
    form = CategoryForm(request.POST, prefix=prefix)
    if form.is_valid():
        try:
            services.category_update(by=user_of(request), category=category, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Category “%(name)s” saved.") % {"name": form.cleaned_data["name"]})
            return _back_to_setup(course, prefix)
    return _setup_page(request, organization, principal, course, bound={prefix: form}, status=400)


@organization_view
@require_POST
def category_delete(
    request: HttpRequest, organization: Organization, principal: Principal, course_id: int, category_id: int
) -> HttpResponse:
    course = team_course(organization, principal, course_id, policy.can_setup)
    category = _category_or_404(course, category_id)
    try:
        services.category_delete(by=user_of(request), category=category)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(
            request, _("Category “%(name)s” deleted; its items are now outside any category.") % {"name": category.name}
        )
    return _back_to_setup(course, "categories")


@organization_view
@require_POST
def item_add(request: HttpRequest, organization: Organization, principal: Principal, course_id: int) -> HttpResponse:
    course = team_course(organization, principal, course_id, policy.can_setup)
    form = ManualItemForm(request.POST, categories=selectors.categories_of(course=course))
    if form.is_valid():
        try:
            services.item_create(by=user_of(request), course=course, **form.service_fields())
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Item “%(name)s” added.") % {"name": form.cleaned_data["name"]})
            return _back_to_setup(course, "items")
    return _setup_page(request, organization, principal, course, bound={"new_item": form}, status=400)


@organization_view
@require_POST
def item_edit(
    request: HttpRequest, organization: Organization, principal: Principal, course_id: int, item_id: int
) -> HttpResponse:
    course = team_course(organization, principal, course_id, policy.can_setup)
    item = _item_or_404(course, item_id)
    prefix = f"item-{item.pk}"
    form = ItemForm(
        request.POST,
        categories=selectors.categories_of(course=course),
        manual=item.source == ItemSource.MANUAL,
        prefix=prefix,
    )
    if form.is_valid():
        try:
            services.item_update(by=user_of(request), item=item, **form.service_fields())
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request, _("Item “%(name)s” saved.") % {"name": form.cleaned_data.get("name") or item.name}
            )
            return _back_to_setup(course, prefix)
    return _setup_page(request, organization, principal, course, bound={prefix: form}, status=400)


@organization_view
@require_POST
def item_delete(
    request: HttpRequest, organization: Organization, principal: Principal, course_id: int, item_id: int
) -> HttpResponse:
    course = team_course(organization, principal, course_id, policy.can_setup)
    item = _item_or_404(course, item_id)
    try:
        services.item_delete(by=user_of(request), item=item)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Item “%(name)s” deleted with its grades.") % {"name": item.name})
    return _back_to_setup(course, "items")


@organization_view
@require_POST
def item_move(
    request: HttpRequest, organization: Organization, principal: Principal, course_id: int, item_id: int
) -> HttpResponse:
    """Move an item one place up or down in the gradebook's order (as the setup page lists them)."""
    course = team_course(organization, principal, course_id, policy.can_setup)
    item = _item_or_404(course, item_id)
    ids = [each.pk for each in selectors.items_of(course=course)]
    index = ids.index(item.pk)
    other = index - 1 if request.POST.get("direction") == "up" else index + 1
    if 0 <= other < len(ids):
        ids[index], ids[other] = ids[other], ids[index]
        try:
            services.items_reorder(by=user_of(request), course=course, item_ids=ids)
        except ValidationError as exc:
            messages.error(request, error_text(exc))
    return _back_to_setup(course, f"item-{item.pk}")


# --- letter scales -----------------------------------------------------------------------------------------------


def _scales_page(
    request: HttpRequest, organization: Organization, *, form: ScaleForm | None = None, status: int = 200
) -> HttpResponse:
    scales = selectors.scales_of(organization=organization)
    context = {
        "scales": [{"scale": scale, "bands": bands_text(scale.bands)} for scale in scales],
        "form": form or ScaleForm(initial={"bands": "A 90\nB 80\nC 70\nD 60\nF 0"}),
    }
    return render(request, "grades/scales.html", context, status=status)


@organization_view
@require_http_methods(["GET", "POST"])
def scales(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    require(policy.can_manage_scales(principal))
    if request.method == "GET":
        return _scales_page(request, organization)
    form = ScaleForm(request.POST)
    if form.is_valid():
        try:
            services.letter_scale_create(by=user_of(request), organization=organization, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Letter scale “%(name)s” added.") % {"name": form.cleaned_data["name"]})
            return redirect("grades:scales")
    return _scales_page(request, organization, form=form, status=400)


def _scale_or_404(organization: Organization, pk: int) -> LetterScale:
    scale = selectors.scale_get(organization=organization, pk=pk)
    if scale is None:
        raise Http404
    return scale


@organization_view
@require_http_methods(["GET", "POST"])
def scale_edit(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    require(policy.can_manage_scales(principal))
    scale = _scale_or_404(organization, pk)
    if request.method == "POST":
        form = ScaleForm(request.POST)
        if form.is_valid():
            try:
                services.letter_scale_update(by=user_of(request), scale=scale, **form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("Letter scale “%(name)s” saved.") % {"name": form.cleaned_data["name"]})
                return redirect("grades:scales")
        status = 400
    else:
        form = ScaleForm(initial={"name": scale.name, "bands": bands_text(scale.bands), "is_default": scale.is_default})
        status = 200
    return render(request, "grades/scale.html", {"scale": scale, "form": form}, status=status)


@organization_view
@require_POST
def scale_delete(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    require(policy.can_manage_scales(principal))
    scale = _scale_or_404(organization, pk)
    try:
        services.letter_scale_delete(by=user_of(request), scale=scale)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Letter scale “%(name)s” deleted.") % {"name": scale.name})
    return redirect("grades:scales")
