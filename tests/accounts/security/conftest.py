"""Helpers for the account security tests: codes computed like an authenticator app, enrolled people, events."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from syllabus.accounts import events
from syllabus.accounts.middleware import SESSION_KEY
from syllabus.accounts.models import Membership, User
from syllabus.celery import app as celery_app
from syllabus.core.events import subscribe, unsubscribe
from tests.factories import PASSWORD

SIGN_IN = reverse("accounts:sign-in")
SECOND_STEP = reverse("accounts:sign-in-two-factor")
HOME = reverse("web:home")

SECURITY_EVENTS = (
    events.UserSignedIn,
    events.UserSignedOut,
    events.SignInFailed,
    events.UserLockedOut,
    events.UserUnlocked,
    events.PasswordChanged,
    events.TwoFactorChanged,
    events.SessionsEnded,
)


@pytest.fixture(autouse=True)
def eager_tasks(monkeypatch):
    # `make test` sets CELERY_TASK_ALWAYS_EAGER=true; this keeps a bare `pytest` run off the real broker too.
    monkeypatch.setattr(celery_app.conf, "task_always_eager", True)
    monkeypatch.setattr(celery_app.conf, "task_eager_propagates", True)


@pytest.fixture
def recorded() -> Iterator[list[object]]:
    """The security events dispatched during the test (they dispatch on commit: act inside `run_events()`)."""
    seen: list[object] = []
    for event_type in SECURITY_EVENTS:
        subscribe(event_type, seen.append)
    yield seen
    for event_type in SECURITY_EVENTS:
        unsubscribe(event_type, seen.append)


@pytest.fixture
def run_events(django_capture_on_commit_callbacks):
    """`with run_events(): ...` runs the on-commit callbacks (event dispatch) of what happens inside."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def of_type(seen: list[object], event_type: type) -> list[object]:
    return [event for event in seen if isinstance(event, event_type)]


def totp_code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows for `device` now (or `steps_ahead` periods of 30 s later)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def enrol(user: User, codes: tuple[str, ...] = ("aaaa1111", "bbbb2222", "cccc3333")) -> TOTPDevice:
    """Give `user` a confirmed authenticator and recovery codes, as if they had set them up."""
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    static = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    StaticToken.objects.bulk_create(StaticToken(device=static, token=code) for code in codes)
    return device


def sign_in_with_password(client: Client, email: str, password: str = PASSWORD, **extra):
    return client.post(SIGN_IN, {"username": email, "password": password}, **extra)


def signed_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def act_in(client: Client, membership: Membership) -> None:
    """Sign in (no second step: force_login) and choose the membership's organisation."""
    client.force_login(membership.user)
    session = client.session
    session[SESSION_KEY] = membership.organization_id
    session.save()


def mark_verified(client: Client, device: TOTPDevice) -> None:
    """Make the client's session one that passed the second step with `device`."""
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
