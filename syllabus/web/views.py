"""The home page and the organisation's branding stylesheet."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from syllabus.access.policy import principal_for
from syllabus.accounts.models import HEX_COLOR
from syllabus.web import home as home_views


@login_required
def home(request: HttpRequest) -> HttpResponseBase:
    organization = getattr(request, "organization", None)
    if organization is None:
        return redirect("accounts:choose-organization")
    principal = principal_for(request.user, organization)
    member_home = home_views.registered()
    if principal.is_member and member_home is not None:
        return member_home(request)
    return render(request, "web/home.html", {"membership": principal.membership})


def _safe_color(value: str, fallback: str) -> str:
    try:
        HEX_COLOR(value)
    except Exception:
        return fallback
    return value


def _text_on(background: str) -> str:
    """Black or white, whichever reads better on `background` (WCAG relative luminance)."""

    def channel(hex_pair: str) -> float:
        value = int(hex_pair, 16) / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(background[i : i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    # Contrast against white is 1.05/(L+0.05), against black (L+0.05)/0.05: pick the larger.
    return "#ffffff" if 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.05 else "#000000"


@require_GET
def branding_css(request: HttpRequest) -> HttpResponse:
    """Brand colours as CSS variables: a stylesheet, because the CSP forbids inline styles."""
    organization = getattr(request, "organization", None)
    primary = _safe_color(organization.primary_color, "#1d4ed8") if organization else "#1d4ed8"
    accent = _safe_color(organization.accent_color, "#0f766e") if organization else "#0f766e"
    css = (
        f":root{{--brand-primary:{primary};--brand-on-primary:{_text_on(primary)};"
        f"--brand-accent:{accent};--brand-on-accent:{_text_on(accent)};}}\n"
    )
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "private, max-age=60"
    return response
