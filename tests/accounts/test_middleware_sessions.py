"""Passive requests (core/sessions.py): a background poll such as the notification bell neither extends the
session's idle timeout (no save, no new cookie) nor counts as the person being there (their session row), while any
ordinary page still does both. Otherwise an unattended tab, polling every minute, would never sign out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from syllabus.accounts.middleware import SESSION_KEY
from syllabus.accounts.models import Membership, UserSession
from syllabus.core import clock
from syllabus.core.sessions import is_passive, passive_session
from tests.conftest import World

pytestmark = pytest.mark.django_db

BELL = reverse("notifications:bell")
HOME = reverse("web:home")
HTMX = {"HX-Request": "true"}


@pytest.fixture
def moved_clock(monkeypatch: pytest.MonkeyPatch) -> dict[str, dt.datetime]:
    current = {"now": clock.now()}
    monkeypatch.setattr(clock, "now", lambda: current["now"])
    return current


@pytest.fixture
def signed_in(client: Client, world: World) -> Iterator[Client]:
    membership: Membership = world.learner
    client.force_login(membership.user)
    session = client.session
    session[SESSION_KEY] = membership.organization_id
    session.save()
    yield client


def _expiry(client: Client) -> dt.datetime:
    return Session.objects.get(session_key=client.session.session_key).expire_date


def _expire_soon(client: Client) -> dt.datetime:
    """Shorten the stored session to ten minutes left, as after a long idle spell, and say when it now ends."""
    soon = timezone.now() + dt.timedelta(minutes=10)
    Session.objects.filter(session_key=client.session.session_key).update(expire_date=soon)
    return soon


def test_the_bell_leaves_the_session_expiry_and_cookie_alone(signed_in: Client) -> None:
    soon = _expire_soon(signed_in)

    response = signed_in.get(BELL, headers=HTMX)

    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert _expiry(signed_in) == soon
    # Still varied on the cookie: the answer is the signed-in person's.
    assert "Cookie" in response["Vary"]


def test_an_ordinary_page_still_extends_the_session(signed_in: Client) -> None:
    soon = _expire_soon(signed_in)

    response = signed_in.get(HOME)

    assert response.status_code == 200
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == settings.SESSION_COOKIE_AGE
    extended = _expiry(signed_in)
    assert extended > soon
    assert extended >= timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)


def test_the_bell_does_not_count_as_being_there(
    signed_in: Client, world: World, moved_clock: dict[str, dt.datetime]
) -> None:
    row = UserSession.objects.get(user=world.learner.user)
    seen = row.last_seen_at
    moved_clock["now"] += dt.timedelta(minutes=5)

    signed_in.get(BELL, headers=HTMX, REMOTE_ADDR="192.0.2.44")

    row.refresh_from_db()
    assert row.last_seen_at == seen and row.ip_address != "192.0.2.44"

    signed_in.get(HOME, REMOTE_ADDR="192.0.2.44")

    row.refresh_from_db()
    assert row.last_seen_at == moved_clock["now"] and row.ip_address == "192.0.2.44"


def test_the_bell_stays_passive_when_the_second_sign_in_step_answers_instead(signed_in: Client, world: World) -> None:
    # An authenticator, and a session that has not passed the second step: the gate answers before the view runs.
    TOTPDevice.objects.create(user=world.learner.user, name="phone", confirmed=True)
    soon = _expire_soon(signed_in)

    response = signed_in.get(BELL, headers=HTMX)

    assert response.status_code == 204 and response["HX-Redirect"]
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert _expiry(signed_in) == soon


def test_the_decorator_marks_the_request_and_the_view() -> None:
    seen: dict[str, Any] = {}

    @passive_session
    def view(request: Any) -> HttpResponse:
        seen["passive"] = is_passive(request)
        return HttpResponse()

    class Request:
        pass

    request = Request()
    view(request)

    assert seen == {"passive": True} and view.session_passive is True  # type: ignore[attr-defined]
