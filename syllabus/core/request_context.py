"""Who is on the other end of the current request (IP address, user agent), readable anywhere below the view.

The audit trail records where a sensitive write came from without every service taking the request as an
argument: `RequestContextMiddleware` binds the context for the life of the request (a `contextvars.ContextVar`,
so threads and async tasks each see their own) and `current()` reads it. Outside a request (Celery tasks,
management commands) there is none and `current()` answers None.
"""

from __future__ import annotations

import contextvars
import ipaddress
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse

USER_AGENT_MAX_LENGTH = 300


@dataclass(frozen=True)
class RequestContext:
    ip_address: str | None
    user_agent: str


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar("syllabus_request", default=None)


def current() -> RequestContext | None:
    """The context of the request being served on this thread or task, if any."""
    return _current.get()


@contextmanager
def bound(context: RequestContext | None) -> Iterator[None]:
    """Make `context` current for the `with` block (the middleware uses it; so can tests and tasks)."""
    token = _current.set(context)
    try:
        yield
    finally:
        _current.reset(token)


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The client's address. Behind `TRUSTED_PROXY_COUNT` proxies that each append to X-Forwarded-For, the
    client is that many entries from the right; entries further left are whatever the client sent, never
    trusted. Without proxies: the connection's own address."""
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if count:
        forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= count:
            address = _valid_ip(forwarded[-count])
            if address is not None:
                return address
    return _valid_ip(request.META.get("REMOTE_ADDR", ""))


def from_request(request: HttpRequest) -> RequestContext:
    user_agent = str(request.META.get("HTTP_USER_AGENT", ""))[:USER_AGENT_MAX_LENGTH]
    return RequestContext(ip_address=client_ip(request), user_agent=user_agent)


class RequestContextMiddleware:
    """Binds the request's context (IP address, user agent) while the request is served."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with bound(from_request(request)):
            return self.get_response(request)
