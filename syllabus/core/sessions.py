"""Passive requests: background requests that must not count as the person being there.

The session has an idle timeout (SESSION_SAVE_EVERY_REQUEST: every request saves the session and re-sets its
cookie, so it expires SESSION_COOKIE_AGE after the last one). A page that polls on its own, such as the header's
notification bell every minute, would keep an unattended tab signed in for ever. A view marked with
`passive_session` reads the session as usual but leaves it as it was: no save, no new cookie, and the person's
session row (accounts) is not refreshed either.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import patch_vary_headers

PASSIVE = "session_passive"

V = TypeVar("V", bound=Callable[..., HttpResponseBase])


def passive_session(view: V) -> V:
    """Mark a view whose requests neither extend the session nor count as activity (background polls)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        setattr(request, PASSIVE, True)
        return view(request, *args, **kwargs)

    # Read by the middleware before any other middleware may answer instead of the view (two-factor gate).
    setattr(wrapper, PASSIVE, True)
    return wrapper  # type: ignore[return-value]


def is_passive(request: HttpRequest) -> bool:
    return bool(getattr(request, PASSIVE, False))


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's session middleware, which leaves the session untouched after a passive request."""

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> None:
        if getattr(view_func, PASSIVE, False):
            setattr(request, PASSIVE, True)

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if not is_passive(request):
            return super().process_response(request, response)
        session = getattr(request, "session", None)
        # Still varied on: the answer depends on who is signed in.
        if session is not None and session.accessed:
            patch_vary_headers(response, ("Cookie",))
        return response
