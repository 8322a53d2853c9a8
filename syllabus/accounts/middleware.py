"""Request-level context: the organisation the person acts in, and their language and time zone."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode

from syllabus.accounts import selectors
from syllabus.accounts.security import sessions, two_factor
from syllabus.core.sessions import is_passive

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
            organization, count = selectors.acting_organization(user=user, organization_id=org_id)  # type: ignore[arg-type]
            if organization is None and org_id is not None:
                del request.session[SESSION_KEY]
            request.organization = organization  # type: ignore[attr-defined]
            if count is not None:
                setattr(request, selectors.ORGANIZATION_COUNT_ATTR, count)
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


class TwoFactorMiddleware:
    """Keeps signed-in people at the second sign-in step, or at two-factor set-up, until they have passed it.

    A person with an authenticator whose session is not verified (see accounts/security/two_factor.py) reaches
    only the second step and sign-out; a person whose role in the current organisation requires two-factor
    sign-in and who has no authenticator reaches only the set-up page, the organisation chooser and sign-out.
    The API answers 403 instead of redirecting; htmx requests are redirected with HX-Redirect.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        where = two_factor.gate(request)
        if where is None:
            return None
        if request.path.startswith("/api/"):
            message = TWO_FACTOR_API_MESSAGES[where]
            error = {"status": 403, "code": "two_factor_required", "message": message, "errors": []}
            return JsonResponse({"error": error}, status=403)
        if where == two_factor.VERIFY:
            url = f"{reverse('accounts:sign-in-two-factor')}?{urlencode({'next': request.get_full_path()})}"
        else:
            url = reverse("accounts:two-factor-enrol")
        if getattr(request, "htmx", False):
            response = HttpResponse(status=204)
            # A background request from the very page people are sent to (the header's notification bell on the
            # set-up page) must not reload that page, again and again: it just gets nothing.
            if urlsplit(request.headers.get("HX-Current-URL", "")).path != urlsplit(url).path:
                response["HX-Redirect"] = url
            return response
        return redirect(url)


TWO_FACTOR_API_MESSAGES = {
    "verify": "This session has not passed the second sign-in step: finish signing in in the browser.",
    "enrol": "Your role requires two-factor sign-in: set it up in the browser first.",
}


class UserSessionMiddleware:
    """Keeps the signed-in person's session row (accounts/security/sessions.py) up to date, at most once a minute.

    A passive request (a background poll, core/sessions.py) is not the person using the session: it is not
    recorded, so "last seen" and the list of sessions keep telling the truth about an unattended tab.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # After the view, so a sign-in in this request is seen with its new session key, and a passive view is
        # known as such.
        if not is_passive(request):
            sessions.session_touch(request)
        return response
