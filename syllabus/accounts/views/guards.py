"""What every admin page starts with: a signed-in person acting in a chosen organisation, and their grants."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode

from syllabus.access.policy import NOT_ALLOWED, Principal, principal_for
from syllabus.accounts.models import Organization, User

View = Callable[..., HttpResponse]


@dataclass(frozen=True)
class Acting:
    """Who is acting, in which organisation, with which grants."""

    user: User
    organization: Organization
    principal: Principal

    def require_any(self, *capabilities: str) -> None:
        """Refuse (403) unless the person holds one of `capabilities` somewhere in the organisation."""
        if not set(capabilities) & self.principal.capabilities:
            raise PermissionDenied(NOT_ALLOWED)


def organization_required(view: View) -> View:
    """Sign-in required, and an organisation chosen; else off to the sign-in or the organisation chooser."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if getattr(request, "organization", None) is None:
            url = reverse("accounts:choose-organization")
            return redirect(f"{url}?{urlencode({'next': request.get_full_path()})}")
        return view(request, *args, **kwargs)

    return wrapper


def acting(request: HttpRequest) -> Acting:
    organization: Organization = request.organization  # type: ignore[attr-defined]
    user: User = request.user  # type: ignore[assignment]
    return Acting(user=user, organization=organization, principal=principal_for(user, organization))


def wants_fragment(request: HttpRequest) -> bool:
    """An htmx request that swaps part of the page (not a history restore, which needs the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request  # type: ignore[union-attr]


def vary_on_htmx(response: HttpResponse) -> HttpResponse:
    # The same URL answers with a page or a fragment: caches must tell them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response
