"""Catalog administration (catalog.manage): the categories courses are filed under, and the organisation's
catalog settings (publishing without review, hosts allowed in embeds)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from syllabus.access.decorators import organization_view
from syllabus.access.policy import Principal
from syllabus.accounts.models import Organization
from syllabus.catalog import course_access, services
from syllabus.catalog.forms import CatalogSettingsForm, CategoryForm
from syllabus.catalog.models import Category
from syllabus.catalog.views_authoring import reads
from syllabus.catalog.views_authoring.common import user_of

CAPABILITY = "catalog.manage"


def _page(
    request: HttpRequest,
    organization: Organization,
    *,
    settings_form: CatalogSettingsForm | None = None,
    category_form: CategoryForm | None = None,
    bound: dict[int, CategoryForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    current = course_access.catalog_settings(organization.pk)
    categories = list(reads.categories_with_use(organization))
    context = {
        "settings_form": settings_form
        or CatalogSettingsForm(
            initial={
                "publish_without_review": current.publish_without_review,
                "embed_allowlist": current.embed_allowlist,
            }
        ),
        "category_form": category_form or CategoryForm(prefix="new"),
        "categories": [
            (
                category,
                (bound or {}).get(category.pk)
                or CategoryForm(
                    prefix=f"c{category.pk}",
                    initial={"name": category.name, "position": category.position},
                    in_row=True,
                ),
            )
            for category in categories
        ],
    }
    return render(request, "catalog/authoring/settings.html", context, status=status)


@organization_view
@require_http_methods(["GET", "POST"])
def catalog_settings(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    principal.require(CAPABILITY)
    if request.method == "POST":
        form = CatalogSettingsForm(request.POST)
        if form.is_valid():
            try:
                services.catalog_settings_update(
                    organization=organization,
                    by=user_of(request),
                    publish_without_review=form.cleaned_data["publish_without_review"],
                    embed_allowlist=form.cleaned_data["embed_allowlist"],
                )
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("The catalog settings were saved."))
                return redirect("catalog:settings")
        return _page(request, organization, settings_form=form, status=400)
    return _page(request, organization)


@organization_view
@require_POST
def category_create(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    principal.require(CAPABILITY)
    form = CategoryForm(request.POST, prefix="new")
    if form.is_valid():
        try:
            category = services.category_create(
                organization=organization,
                by=user_of(request),
                name=form.cleaned_data["name"],
                position=form.cleaned_data["position"],
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The category %(name)s was added.") % {"name": category.name})
            return redirect("catalog:settings")
    return _page(request, organization, category_form=form, status=400)


def _category_or_404(organization: Organization, pk: int) -> Category:
    category = reads.categories(organization).filter(pk=pk).first()
    if category is None:
        raise Http404
    return category


@organization_view
@require_POST
def category_update(
    request: HttpRequest, organization: Organization, principal: Principal, category_pk: int
) -> HttpResponse:
    principal.require(CAPABILITY)
    category = _category_or_404(organization, category_pk)
    form = CategoryForm(request.POST, prefix=f"c{category.pk}", in_row=True)
    if form.is_valid():
        try:
            services.category_update(
                category=category,
                by=user_of(request),
                name=form.cleaned_data["name"],
                position=form.cleaned_data["position"],
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The category was saved."))
            return redirect("catalog:settings")
    # The page again, with the error beside the category that was being changed.
    return _page(request, organization, bound={category.pk: form}, status=400)


@organization_view
@require_POST
def category_delete(
    request: HttpRequest, organization: Organization, principal: Principal, category_pk: int
) -> HttpResponse:
    principal.require(CAPABILITY)
    category = _category_or_404(organization, category_pk)
    services.category_delete(category=category, by=user_of(request))
    messages.success(
        request, _("The category %(name)s was deleted; its courses have no category now.") % {"name": category.name}
    )
    return redirect("catalog:settings")
