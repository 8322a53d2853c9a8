"""Sign-in lockout, on django-axes: too many failed passwords for one email lock it for a while.

Settings (see README.md): `AXES_FAILURE_LIMIT` failures within `AXES_COOLOFF_MINUTES` lock the email, from every
address (`AXES_LOCKOUT_BY=username`, the default) or from the failing address only (`username_ip`). Attempts made
while locked are refused without checking the password and do not extend the lock. A lock ends when the cool-off
has passed, when the person resets their password (they proved they own the mailbox) or when an admin unlocks them.

Axes is wired in through settings: `LockoutBackend` (first authentication backend) refuses locked emails,
`username_of` normalises the email axes counts under, `lockout_response` turns a refusal into a page.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from syllabus.access import policy
from syllabus.accounts import events
from syllabus.accounts.models import Membership, User
from syllabus.accounts.security.client import client_ip
from syllabus.core import clock
from syllabus.core.events import emit

# Marks a response that already tells the person they are locked out (the sign-in page), so axes keeps it.
LOCKOUT_PAGE_ATTR = "syllabus_lockout_page"


class LockoutBackend(AxesStandaloneBackend):
    """Refuses a locked-out email before any password is checked (axes' backend, first in the list)."""

    def authenticate(  # type: ignore[override]
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> None:
        if request is None:
            # Not a sign-in from the web (a management command, the shell): there is no client to lock out.
            return None
        super().authenticate(request, username=username, password=password, **kwargs)
        return None


def normalize_email(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().lower()


def username_of(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str | None:
    """The email a sign-in attempt counts under: as typed, trimmed and lower-cased (emails are stored that way)."""
    if credentials:
        return normalize_email(credentials.get("username") or credentials.get("email"))
    if request is not None:
        data = getattr(request, "data", None) or request.POST
        return normalize_email(data.get("username"))
    return None


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """What a locked-out sign-in gets: the page that already says so, else a page of its own (e.g. Django admin)."""
    if original_response is not None and getattr(original_response, LOCKOUT_PAGE_ATTR, False):
        return original_response
    return render(request, "accounts/security/locked.html", lockout_context(), status=429)


def lockout_context() -> dict[str, Any]:
    return {"cooloff_minutes": settings.AXES_COOLOFF_MINUTES, "failure_limit": settings.AXES_FAILURE_LIMIT}


def is_refused_attempt(request: HttpRequest | None) -> bool:
    """Whether axes refused this attempt because the email was already locked (no password was checked)."""
    # Axes' backend flags the request before refusing; its failure handler counts (and sets this number) only
    # for attempts it let through, including the one that locks.
    return (
        bool(getattr(request, "axes_locked_out", False)) and getattr(request, "axes_failures_since_start", None) is None
    )


# --- reads ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LockState:
    locked: bool
    last_failure: dt.datetime | None = None

    @property
    def locked_until(self) -> dt.datetime | None:
        if not self.locked or self.last_failure is None:
            return None
        return self.last_failure + settings.AXES_COOLOFF_TIME


def lock_state(email: str) -> LockState:
    """Whether sign-in with `email` is locked now (from every address, or from at least one in username_ip mode).

    Reads axes' attempt table (the database handler, axes' default) the way its handler counts: failures newer
    than the cool-off, summed per email (or per email and address).
    """
    threshold = clock.now() - settings.AXES_COOLOFF_TIME
    attempts = AccessAttempt.objects.filter(username=normalize_email(email), attempt_time__gte=threshold).values_list(
        "ip_address", "failures_since_start", "attempt_time"
    )
    per_group: dict[str | None, int] = defaultdict(int)
    last: dt.datetime | None = None
    by_address = settings.AXES_LOCKOUT_BY == "username_ip"
    for ip_address, failures, attempt_time in attempts:
        per_group[ip_address if by_address else None] += failures
        last = attempt_time if last is None or attempt_time > last else last
    locked = any(total >= settings.AXES_FAILURE_LIMIT for total in per_group.values())
    return LockState(locked=locked, last_failure=last)


# --- services ------------------------------------------------------------------------------------------------


def account_unlock(*, membership: Membership, by: User) -> int:
    """Forget the failed sign-ins of the person's email (people.unlock over them). Returns how many there were.

    The lock is on the email, so this unlocks the person everywhere they sign in; emits UserUnlocked when there
    was something to clear.
    """
    policy.require(by, "people.unlock", membership.organization, membership)
    email = membership.user.email
    cleared = lockout_clear(email=email)
    if cleared:
        emit(events.UserUnlocked(email=email, actor_id=by.pk))
    return cleared


def lockout_clear(*, email: str) -> int:
    """Forget the failed sign-ins of `email`; returns how many there were.

    No permission check: for the password reset (the link proved the mailbox) and `account_unlock`.
    """
    username = normalize_email(email)
    failures = AccessAttempt.objects.filter(username=username).aggregate(total=Sum("failures_since_start"))["total"]
    AxesProxyHandler.reset_attempts(username=username)
    return int(failures or 0)


def sign_in_failed_record(*, request: HttpRequest | None, email: str | None, reason: str) -> None:
    """A sign-in attempt failed (called by the framework-signal adapters and the two-factor step)."""
    emit(events.SignInFailed(email=email or "", ip_address=client_ip(request), reason=reason))


def locked_out_record(*, request: HttpRequest | None, email: str | None) -> None:
    """An email has just been locked (axes' user_locked_out adapter)."""
    emit(events.UserLockedOut(email=email or "", ip_address=client_ip(request)))
