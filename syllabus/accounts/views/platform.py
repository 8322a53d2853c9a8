"""Platform administration: every organisation on this installation, and creating new ones."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from syllabus.access.policy import NOT_ALLOWED, principal_for
from syllabus.accounts import selectors, services
from syllabus.accounts.forms import PlatformOrganizationForm
from syllabus.accounts.models import User

PAGE_SIZE = 25


@login_required
@require_http_methods(["GET", "POST"])
def platform_organizations(request: HttpRequest) -> HttpResponse:
    """The list of organisations with search, and the form that creates one (platform admins only)."""
    user: User = request.user  # type: ignore[assignment]
    # No organisation needed: platform administration stands above every tenant.
    if not principal_for(user, None).is_platform_admin:
        raise PermissionDenied(NOT_ALLOWED)
    form = PlatformOrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            organization = services.organization_create(
                by=user, name=data["name"], slug=data["slug"], admin=data["admin_email"]
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("%(name)s was created.") % {"name": organization.name})
            return redirect("accounts:platform-organizations")
    search = request.GET.get("q", "").strip()
    page = Paginator(selectors.organization_list(search=search), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page_obj": page, "search": search}
    return render(request, "accounts/platform_organizations.html", context)
