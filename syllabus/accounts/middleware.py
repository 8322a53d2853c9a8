"""Request-level context: the organisation the person acts in, and their language and time zone."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from syllabus.accounts import selectors

SESSION_KEY = "syllabus_organization_id"


class CurrentOrganizationMiddleware:
    """Sets `request.organization` from the session (chosen after sign-in), or the only membership."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.organization = None  # type: ignore[attr-defined]
        user = request.user
        if user.is_authenticated:
            org_id = request.session.get(SESSION_KEY)
            organization = selectors.organization_for_user(user=user, organization_id=org_id)  # type: ignore[arg-type]
            if organization is None and org_id is not None:
                del request.session[SESSION_KEY]
            request.organization = organization  # type: ignore[attr-defined]
        return self.get_response(request)


class UserPreferencesMiddleware:
    """Activates the signed-in person's language and time zone for this request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))  # type: ignore[union-attr]
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
            translation.activate(user.locale)  # type: ignore[union-attr]
            request.LANGUAGE_CODE = translation.get_language()  # type: ignore[attr-defined]
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
