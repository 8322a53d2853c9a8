"""Lockout after repeated failed sign-ins (django-axes), the locked page, and unlocking by an admin or the API."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import authenticate
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from syllabus.accounts import events
from syllabus.accounts.security import lockout
from tests.accounts.security.conftest import (
    HOME,
    act_in,
    of_type,
    sign_in_with_password,
    signed_in_user_id,
)
from tests.api.conftest import token_for
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LIMIT = settings.AXES_FAILURE_LIMIT
ROOT = Path(__file__).resolve().parents[3]


def fail_until_locked(client, email: str):
    response = None
    for _ in range(LIMIT):
        response = sign_in_with_password(client, email, "wrong-password-1")
    return response


def unlock_url(membership) -> str:
    return reverse("accounts:person-unlock", args=[membership.pk])


def test_the_defaults_lock_an_email_after_five_failures_for_fifteen_minutes():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert dt.timedelta(minutes=15) == settings.AXES_COOLOFF_TIME
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username"]
    assert settings.AUTHENTICATION_BACKENDS[0] == "syllabus.accounts.security.lockout.LockoutBackend"


def test_failures_below_the_limit_still_say_the_password_is_wrong(client, world):
    for _ in range(LIMIT - 1):
        response = sign_in_with_password(client, world.learner.user.email, "wrong-password-1")
    assert response.status_code == 200
    assert "do not match an account" in response.content.decode()
    assert not lockout.lock_state(world.learner.user.email).locked


def test_the_last_allowed_failure_locks_the_email_and_the_page_says_how_to_get_in(client, world):
    response = fail_until_locked(client, world.learner.user.email)
    assert response.status_code == 429
    page = response.content.decode()
    assert "sign-in with this email is locked for 15 minutes" in page
    assert reverse("accounts:password-reset") in page
    assert "ask your administrator to unlock your account" in page
    assert "do not match an account" not in page
    assert lockout.lock_state(world.learner.user.email).locked


def test_a_locked_email_is_refused_even_with_the_right_password(client, world):
    fail_until_locked(client, world.learner.user.email)
    response = sign_in_with_password(client, world.learner.user.email, PASSWORD)
    assert response.status_code == 429
    assert signed_in_user_id(client) is None
    assert client.get(HOME).status_code == 302


def test_the_lock_is_on_the_email_so_another_address_is_refused_too(client, world):
    fail_until_locked(client, world.learner.user.email)
    response = sign_in_with_password(client, world.learner.user.email, PASSWORD, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 429


def test_the_email_counts_whatever_its_case_and_spaces(client, world):
    email = world.learner.user.email
    for spelling in [email.upper(), f" {email} ", email.title(), email, email.upper()][:LIMIT]:
        sign_in_with_password(client, spelling, "wrong-password-1")
    assert lockout.lock_state(email).locked
    assert AccessAttempt.objects.get().username == email


def test_an_unknown_email_locks_the_same_way_so_the_page_reveals_nothing(client, world):
    response = fail_until_locked(client, "nobody@example.test")
    assert response.status_code == 429
    assert "sign-in with this email is locked" in response.content.decode()


def test_attempts_while_locked_do_not_extend_the_lock(client, world):
    email = world.learner.user.email
    fail_until_locked(client, email)
    attempt = AccessAttempt.objects.get(username=email)
    for _ in range(3):
        sign_in_with_password(client, email, PASSWORD)
    attempt.refresh_from_db()
    assert attempt.failures_since_start == LIMIT


def test_the_lock_ends_after_the_cool_off(client, world):
    email = world.learner.user.email
    fail_until_locked(client, email)
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16))
    response = sign_in_with_password(client, email, PASSWORD)
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(world.learner.user.pk)


def test_a_successful_sign_in_forgets_earlier_failures(client, world):
    email = world.learner.user.email
    sign_in_with_password(client, email, "wrong-password-1")
    sign_in_with_password(client, email, PASSWORD)
    assert not AccessAttempt.objects.filter(username=email).exists()


def test_failures_lockout_and_refusals_are_emitted_as_events(client, world, recorded, run_events):
    email = world.learner.user.email
    with run_events():
        fail_until_locked(client, email)
        sign_in_with_password(client, email, PASSWORD)
    failed = of_type(recorded, events.SignInFailed)
    assert [event.reason for event in failed] == ["password"] * LIMIT + ["locked"]
    assert {event.email for event in failed} == {email}
    assert {event.ip_address for event in failed} == {"127.0.0.1"}
    # Axes signals a lockout again for every refused attempt; only the one that locked is an event.
    assert of_type(recorded, events.UserLockedOut) == [events.UserLockedOut(email=email, ip_address="127.0.0.1")]


def test_django_admin_sign_in_is_locked_too_with_its_own_page(client, world):
    for _ in range(LIMIT):
        response = client.post(
            reverse("admin:login"), {"username": world.learner.user.email, "password": "wrong-password-1"}
        )
    assert response.status_code == 429
    assert "Sign-in locked" in response.content.decode()


def test_authentication_without_a_request_is_not_a_web_sign_in_and_is_never_locked(client, world):
    email = world.learner.user.email
    fail_until_locked(client, email)
    assert authenticate(username=email, password=PASSWORD) == world.learner.user


# --- unlocking ----------------------------------------------------------------------------------------------


def test_the_person_page_shows_the_lock_and_an_org_admin_unlocks_it(client, world, recorded, run_events):
    learner = world.learner
    fail_until_locked(Client(), learner.user.email)
    act_in(client, world.org_admin)
    page = client.get(reverse("accounts:person-detail", args=[learner.pk]))
    assert page.context["lock"].locked and page.context["can_unlock"]
    assert "Unlock sign-in" in page.content.decode()

    with run_events():
        response = client.post(unlock_url(learner))
    assert response.status_code == 302
    assert not lockout.lock_state(learner.user.email).locked
    assert of_type(recorded, events.UserUnlocked) == [
        events.UserUnlocked(email=learner.user.email, actor_id=world.org_admin.user.pk)
    ]
    fresh = Client()
    assert sign_in_with_password(fresh, learner.user.email, PASSWORD).status_code == 302


def test_the_unlock_button_shows_only_while_locked(client, world):
    act_in(client, world.org_admin)
    page = client.get(reverse("accounts:person-detail", args=[world.learner.pk]))
    assert not page.context["can_unlock"]
    assert "Unlock sign-in" not in page.content.decode()


def test_a_learner_cannot_unlock_anyone(client, world):
    fail_until_locked(Client(), world.engineer.user.email)
    act_in(client, world.learner)
    assert client.post(unlock_url(world.engineer)).status_code == 403
    assert lockout.lock_state(world.engineer.user.email).locked


def test_a_manager_who_sees_their_team_still_cannot_unlock_them(client, world):
    fail_until_locked(Client(), world.report.user.email)
    act_in(client, world.manager)
    assert client.post(unlock_url(world.report)).status_code == 403
    assert lockout.lock_state(world.report.user.email).locked


def test_an_admin_of_another_organisation_gets_404(client, world):
    fail_until_locked(Client(), world.learner.user.email)
    act_in(client, world.outsider)
    assert client.post(unlock_url(world.learner)).status_code == 404
    assert lockout.lock_state(world.learner.user.email).locked


def test_unlock_is_post_only(client, world):
    act_in(client, world.org_admin)
    assert client.get(unlock_url(world.learner)).status_code == 405


# --- the API ------------------------------------------------------------------------------------------------


def api_as(membership) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_for(membership)}")
    return api


def test_the_api_unlocks_a_person(client, world, recorded, run_events):
    fail_until_locked(client, world.learner.user.email)
    with run_events():
        response = api_as(world.org_admin).post(f"/api/v1/people/{world.learner.pk}/unlock/")
    assert response.status_code == 200
    assert response.json() == {"cleared_failures": LIMIT, "locked": False}
    assert len(of_type(recorded, events.UserUnlocked)) == 1


def test_the_api_refuses_a_learner_and_hides_other_organisations(client, world):
    fail_until_locked(client, world.learner.user.email)
    assert api_as(world.learner).post(f"/api/v1/people/{world.engineer.pk}/unlock/").status_code == 403
    assert api_as(world.outsider).post(f"/api/v1/people/{world.learner.pk}/unlock/").status_code == 404
    assert lockout.lock_state(world.learner.user.email).locked


def test_unlocking_someone_not_locked_is_harmless_and_emits_nothing(world, recorded, run_events):
    with run_events():
        assert lockout.account_unlock(membership=world.learner, by=world.org_admin.user) == 0
    assert of_type(recorded, events.UserUnlocked) == []


@pytest.mark.parametrize(
    ("lockout_by", "parameters"),
    [
        ("username", "['username']"),
        ("username_ip", "[['username', 'ip_address']]"),
        ("username_or_ip", "['username', 'ip_address']"),
    ],
)
def test_the_lockout_settings_come_from_the_environment(tmp_path, lockout_by, parameters):
    code = (
        "import syllabus.settings as s; "
        "print(s.AXES_LOCKOUT_PARAMETERS, s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME.total_seconds())"
    )
    environ = {
        "PATH": os.environ.get("PATH", ""),
        "SYLLABUS_VAR_DIR": str(tmp_path / "var"),
        "AXES_LOCKOUT_BY": lockout_by,
        "AXES_FAILURE_LIMIT": "8",
        "AXES_COOLOFF_MINUTES": "30",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{parameters} 8 1800.0"
