"""The organisation's own settings: name, branding, defaults for new people."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from syllabus.accounts import services
from syllabus.accounts.forms import OrganizationSettingsForm
from syllabus.accounts.views.guards import acting, organization_required


@organization_required
@require_http_methods(["GET", "POST"])
def organization_settings(request: HttpRequest) -> HttpResponse:
    who = acting(request)
    who.principal.require("org.manage")
    organization = who.organization
    form = OrganizationSettingsForm.for_organization(organization, request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.organization_update(
                organization=organization,
                by=who.user,
                logo=form.cleaned_data.get("logo"),
                remove_logo=bool(form.cleaned_data.get("remove_logo")),
                **form.changes(),
            )
        except ValidationError as exc:
            # The request's organisation object may now hold rejected values: reload it before the page renders.
            organization.refresh_from_db()
            form.add_service_error(exc)
        else:
            messages.success(request, _("The organisation settings were saved."))
            return redirect("accounts:org-settings")
    return render(request, "accounts/organization_settings.html", {"form": form, "organization": organization})
