"""Personal API tokens: everyone manages their own; holders of token.manage see and revoke everyone's."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from syllabus.access.policy import NOT_ALLOWED
from syllabus.accounts import selectors, services
from syllabus.accounts.forms import ApiTokenForm
from syllabus.accounts.models import ApiToken, Membership
from syllabus.accounts.views.guards import Acting, acting, organization_required
from syllabus.core import clock


def _scope(who: Acting) -> Membership | None:
    """Whose tokens the person may see: everyone's (None) with token.manage, else their own."""
    if who.principal.can("token.manage"):
        return None
    if who.principal.membership is None:
        raise PermissionDenied(NOT_ALLOWED)
    return who.principal.membership


def _status(token: ApiToken) -> str:
    if token.revoked_at is not None:
        return _("Revoked")
    if token.expires_at is not None and token.expires_at <= clock.now():
        return _("Expired")
    return _("Active")


@organization_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    """The token list, and the form that creates one for oneself; a new key is shown once, on this response."""
    who = acting(request)
    scope = _scope(who)
    membership = who.principal.membership
    # Tokens act as a membership; a platform admin who is not a member of this organisation has none to create.
    form = ApiTokenForm(request.POST or None) if membership is not None else None
    new_key = ""
    if request.method == "POST":
        if form is None or membership is None:
            raise PermissionDenied(NOT_ALLOWED)
        if form.is_valid():
            try:
                _token, new_key = services.api_token_create(
                    membership=membership, by=who.user, name=form.cleaned_data["name"], expires_at=form.expires_at()
                )
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                form = ApiTokenForm()
    rows = [
        (token, _status(token), token.revoked_at is None)
        for token in selectors.api_token_list(organization=who.organization, membership=scope)
    ]
    context = {"form": form, "rows": rows, "new_key": new_key, "show_owner": scope is None}
    response = render(request, "accounts/tokens.html", context)
    if new_key:
        # The key must not linger in any cache.
        response["Cache-Control"] = "no-store"
    return response


@organization_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    who = acting(request)
    token = selectors.api_token_get(organization=who.organization, token_id=pk, membership=_scope(who))
    if token is None:
        raise Http404
    services.api_token_revoke(token=token, by=who.user)
    messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("accounts:tokens")
