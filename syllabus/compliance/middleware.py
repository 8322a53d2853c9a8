"""Mandatory training gate: a person who is overdue (or expired) in a program with gating on is sent to
"My compliance" (`compliance:mine`) until they are back in good standing.

What is gated: page requests (GET) of a signed-in person acting in an organisation. Never the API (`/api/`), never
background polls (views marked `passive_session`), never POSTs (a form being sent is left to finish). htmx requests
are answered with `HX-Redirect`. Only the requested path decides what is open: headers are the client's to forge.

What stays open, so the person can do what is asked: "My compliance" and its signing and acknowledging pages, the
exemption request page and a request's own page (to follow or withdraw it; its view checks who may see it), the
pages of the gated programs' courses (`/courses/<id>/...`: course page, sections, player, activity signals and
files), signing in and out, the organisation chooser, account security, password
reset, static and media files, the organisation's branding stylesheet and health checks.

Cost: no query for people who are not held. Where a person is held is read at sign-in and kept in the session
(`gate.py`), read again at most every 15 minutes (someone who turns overdue while signed in is held within that
long). For a person held in the current organisation: the gating programs they are late in (one indexed query)
and those programs' courses (one more), on each page request — so an approved exemption, an extension or a
signed completion lets them through on the very next request.

Add it to `MIDDLEWARE` after `syllabus.accounts.middleware.TwoFactorMiddleware` (the second sign-in step comes
first) and after `CurrentOrganizationMiddleware` (it reads `request.organization`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from syllabus.compliance import gate
from syllabus.compliance.models import Assignment, ProgramCourse, ProgramStatus, StatusCode
from syllabus.core.sessions import PASSIVE

GATED_STATUSES = (StatusCode.OVERDUE, StatusCode.EXPIRED)
GATED_MESSAGE = "You have overdue compliance training. Complete it before you carry on with anything else."

# Open to everyone whatever their compliance: signing in and out, account security, files, health checks.
OPEN_URL_NAMES = (
    "accounts:sign-in",
    "accounts:sign-out",
    "accounts:sign-in-two-factor",
    "accounts:choose-organization",
    "accounts:security",
    "accounts:password-reset",
    "web:branding-css",
    "core:healthz",
    "core:readyz",
    "core:metrics",
    "compliance:mine",
    "compliance:exemption-new",
    # Public pages: anyone may verify a certificate, held at the gate or not ("/certificates/verify/" covers each
    # certificate's own page).
    "certificates:verify-upload",
)
OPEN_PREFIXES_FIXED = ("/api/", "/static/", "/media/", "/favicon.ico", "/certificates/badges/")
# Open pages with an id in their path, matched by the resolved view's name: one exemption request (the person
# follows their own; its view decides who may see it) and withdrawing it.
OPEN_VIEW_NAMES = frozenset({"compliance:exemption", "compliance:exemption-withdraw"})


def _reverse(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def open_prefixes() -> tuple[str, ...]:
    """The path prefixes nobody is gated on (read once: URLs do not change while the process runs)."""
    global _OPEN
    if _OPEN is None:
        found = [path for path in (_reverse(name) for name in OPEN_URL_NAMES) if path]
        static_url = getattr(settings, "STATIC_URL", None) or "/static/"
        media_url = getattr(settings, "MEDIA_URL", None) or "/media/"
        found.extend(OPEN_PREFIXES_FIXED)
        found.extend(url if url.startswith("/") else f"/{url}" for url in (static_url, media_url))
        # "/password-reset/" covers its sent/confirm/done pages; "/compliance/mine/" the signing pages.
        _OPEN = tuple(sorted(set(found)))
    return _OPEN


_OPEN: tuple[str, ...] | None = None


def gated_program_ids(*, user_id: int, organization_id: int) -> list[int]:
    """The gating programs in which this person is overdue or expired now (one indexed query)."""
    return list(
        Assignment.objects.filter(
            organization_id=organization_id,
            membership__user_id=user_id,
            membership__organization_id=organization_id,
            ended_at__isnull=True,
            status__in=GATED_STATUSES,
            program__gating=True,
            program__status=ProgramStatus.ACTIVE,
        )
        .order_by()
        .values_list("program_id", flat=True)
        .distinct()
    )


def course_prefixes(program_ids: list[int]) -> list[str]:
    """The URL prefixes of the gated programs' courses: the course page and everything under it."""
    course_ids = ProgramCourse.objects.filter(program_id__in=program_ids).values_list("course_id", flat=True)
    return [reverse("catalog:course", args=[course_id]) for course_id in sorted(set(course_ids))]


def _is_open(path: str, prefixes: tuple[str, ...] | list[str]) -> bool:
    return any(path == prefix or (prefix.endswith("/") and path.startswith(prefix)) for prefix in prefixes)


class ComplianceGateMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        if request.method != "GET" or getattr(view_func, PASSIVE, False):
            return None
        user = request.user
        organization = getattr(request, "organization", None)
        if not user.is_authenticated or organization is None:
            return None
        path = request.path
        # Only the requested path decides; headers (Accept, HX-Current-URL) are the client's to forge.
        if _is_open(path, open_prefixes()):
            return None
        match = getattr(request, "resolver_match", None)
        if match is not None and match.view_name in OPEN_VIEW_NAMES:
            return None
        session = getattr(request, "session", None)
        if session is None or not gate.held_in(session, user.pk, organization.pk):
            return None
        program_ids = gated_program_ids(user_id=user.pk, organization_id=organization.pk)
        if not program_ids:
            # Back in good standing (signed, exempted, extended): let them through from now on.
            gate.released(session, organization.pk)
            return None
        if _is_open(path, course_prefixes(program_ids)):
            return None
        htmx = getattr(request, "htmx", None)
        target = reverse("compliance:mine")
        if htmx:
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        messages.warning(request, _(GATED_MESSAGE), fail_silently=True)
        return redirect(target)
