"""Who is on the other end of a request: the client's address and browser, as sessions and lockouts record them."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _

USER_AGENT_MAX_LENGTH = 300


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's IP address.

    Behind `TRUSTED_PROXY_COUNT` proxies, each appends the address it received the request from to
    X-Forwarded-For, so the client is that many entries from the right; entries further left are whatever the
    client sent and are never trusted. Without proxies, the connection's own address.
    """
    if request is None:
        return None
    count = settings.TRUSTED_PROXY_COUNT
    if count:
        forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= count:
            address = _valid_ip(forwarded[-count])
            if address is not None:
                return address
    return _valid_ip(request.META.get("REMOTE_ADDR", ""))


def client_user_agent(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    return str(request.META.get("HTTP_USER_AGENT", ""))[:USER_AGENT_MAX_LENGTH]


# (needle in the user agent, name shown), most specific first: Edge and Opera also claim Chrome, Chrome claims Safari.
_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def describe_user_agent(user_agent: str) -> str:
    """A short, human name for a browser ("Firefox on Windows"); the raw string when it is not recognised."""
    browser = next((name for needle, name in _BROWSERS if needle in user_agent), "")
    system = next((name for needle, name in _SYSTEMS if needle in user_agent), "")
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or user_agent or "?"
