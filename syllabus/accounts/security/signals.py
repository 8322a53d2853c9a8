"""Thin adapters from framework signals (Django's sign-in and sign-out, axes' lockout) to our services.

No logic lives here: each adapter reads the signal's arguments and calls one service, which emits the domain
event the audit trail subscribes to. Connected once, in AccountsConfig.ready().
"""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.http import HttpRequest

from syllabus.accounts.models import User
from syllabus.accounts.security import lockout, sessions

# Set on the request by the two-factor step just before it signs the person in.
TWO_FACTOR_REQUEST_ATTR = "syllabus_two_factor_passed"


def on_user_logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    two_factor = bool(getattr(request, TWO_FACTOR_REQUEST_ATTR, False))
    sessions.signed_in_record(user=user, request=request, two_factor=two_factor)


def on_user_logged_out(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if user is not None and user.is_authenticated:
        sessions.signed_out_record(user=user, request=request)


def on_user_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    reason = "locked" if lockout.is_refused_attempt(request) else "password"
    lockout.sign_in_failed_record(request=request, email=lockout.username_of(request, credentials), reason=reason)


def on_user_locked_out(
    sender: Any, request: HttpRequest | None = None, username: str | None = None, **kwargs: Any
) -> None:
    # Axes repeats this signal for every attempt refused while locked; only the attempt that locked is news.
    if not lockout.is_refused_attempt(request):
        lockout.locked_out_record(request=request, email=lockout.normalize_email(username))


def connect() -> None:
    """Connect the adapters (idempotent: each has a dispatch_uid)."""
    user_logged_in.connect(on_user_logged_in, dispatch_uid="syllabus.security.user_logged_in")
    user_logged_out.connect(on_user_logged_out, dispatch_uid="syllabus.security.user_logged_out")
    user_login_failed.connect(on_user_login_failed, dispatch_uid="syllabus.security.user_login_failed")
    user_locked_out.connect(on_user_locked_out, dispatch_uid="syllabus.security.user_locked_out")
