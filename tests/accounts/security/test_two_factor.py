"""Two-factor sign-in: enrolment with a real TOTP code, the second sign-in step, recovery codes, turning it off."""

from __future__ import annotations

import base64
import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from syllabus.accounts import events
from syllabus.accounts.models import UserSession
from syllabus.accounts.security import two_factor
from syllabus.core import clock
from tests.accounts.security.conftest import (
    HOME,
    SECOND_STEP,
    act_in,
    enrol,
    mark_verified,
    of_type,
    sign_in_with_password,
    signed_in_user_id,
    totp_code,
)
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

ENROL = reverse("accounts:two-factor-enrol")
RECOVERY_CODES = reverse("accounts:recovery-codes")
DISABLE = reverse("accounts:two-factor-disable")
SECURITY = reverse("accounts:security")


def pending_device(user) -> TOTPDevice:
    return TOTPDevice.objects.get(user=user, confirmed=False)


def wrong_code(device) -> str:
    """Six digits that are none of the codes the device accepts now."""
    accepted = {totp_code(device, steps_ahead=step) for step in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in accepted)


def unthrottle(device) -> None:
    """As if the wait after a wrong code had passed (django-otp doubles it after each failure)."""
    type(device).objects.filter(pk=device.pk).update(throttling_failure_timestamp=clock.now() - dt.timedelta(hours=1))


# --- enrolment ------------------------------------------------------------------------------------------------


def test_the_enrolment_page_shows_a_qr_code_and_the_secret_for_typing(client, world):
    act_in(client, world.learner)
    response = client.get(ENROL)
    assert response.status_code == 200
    device = pending_device(world.learner.user)
    page = response.content.decode()
    assert re.search(r'<img class="qr-code" src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+"', page)
    secret = response.context["secret"]
    assert base64.b32decode(secret.replace(" ", "")) == device.bin_key
    assert secret in page
    # Reloading keeps the same secret, so a half-done set-up in the app stays valid.
    assert client.get(ENROL).context["secret"] == secret
    assert TOTPDevice.objects.filter(user=world.learner.user).count() == 1


def test_the_qr_code_holds_the_otpauth_address_with_the_issuer(world):
    device = two_factor.enrolment_start(user=world.learner.user)
    assert device.config_url.startswith("otpauth://totp/Syllabus%3A")
    assert "issuer=Syllabus" in device.config_url


def test_a_wrong_code_does_not_turn_two_factor_on(client, world):
    act_in(client, world.learner)
    client.get(ENROL)
    response = client.post(ENROL, {"code": "000000"})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert not two_factor.has_authenticator(world.learner.user)


def test_the_code_from_the_app_turns_it_on_and_shows_ten_recovery_codes_once(client, world, recorded, run_events):
    user = world.learner.user
    act_in(client, world.learner)
    client.get(ENROL)
    with run_events():
        response = client.post(ENROL, {"code": totp_code(pending_device(user))})
    assert response.status_code == 302 and response["Location"] == RECOVERY_CODES
    assert two_factor.has_authenticator(user)
    assert of_type(recorded, events.TwoFactorChanged) == [
        events.TwoFactorChanged(user_id=user.pk, actor_id=user.pk, action="enabled")
    ]

    shown = client.get(RECOVERY_CODES)
    codes = shown.context["codes"]
    assert len(codes) == 10 == len(set(codes))
    assert set(codes) == set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    page = shown.content.decode()
    assert all(code in page for code in codes)

    again = client.get(RECOVERY_CODES)
    assert again.context["codes"] is None
    assert not any(code in again.content.decode() for code in codes)
    assert again.context["left"] == 10
    # The session that enrolled counts as verified: other pages open at once.
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_enrolling_again_while_on_goes_back_to_the_security_page(client, world):
    device = enrol(world.learner.user)
    act_in(client, world.learner)
    mark_verified(client, device)
    response = client.get(ENROL)
    assert response.status_code == 302 and response["Location"] == SECURITY


# --- the second step at sign-in -----------------------------------------------------------------------------


def test_a_right_password_alone_does_not_sign_in_a_person_with_two_factor(client, world):
    enrol(world.learner.user)
    response = sign_in_with_password(client, world.learner.user.email)
    assert response.status_code == 302 and response["Location"] == SECOND_STEP
    assert signed_in_user_id(client) is None
    # Not signed in for any page (nor the API) until the code passes.
    assert client.get(HOME)["Location"].startswith(reverse("accounts:sign-in"))
    assert client.get("/api/v1/me/").status_code in (401, 403)


def test_the_code_from_the_app_completes_the_sign_in(client, world, recorded, run_events):
    user = world.learner.user
    device = enrol(user)
    sign_in_with_password(client, user.email)
    page = client.get(SECOND_STEP)
    assert page.status_code == 200 and "Enter your code" in page.content.decode()
    with run_events():
        response = client.post(SECOND_STEP, {"code": totp_code(device)})
    assert response.status_code == 302 and response["Location"] == HOME
    assert signed_in_user_id(client) == str(user.pk)
    assert client.get(HOME).status_code == 200
    session = UserSession.objects.get(session_key=client.session.session_key)
    assert of_type(recorded, events.UserSignedIn) == [
        events.UserSignedIn(user_id=user.pk, ip_address="127.0.0.1", two_factor=True, session_id=session.pk)
    ]


def test_a_wrong_code_is_refused_and_counted_as_a_failed_sign_in(client, world, recorded, run_events):
    user = world.learner.user
    device = enrol(user)
    sign_in_with_password(client, user.email)
    with run_events():
        response = client.post(SECOND_STEP, {"code": wrong_code(device)})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert signed_in_user_id(client) is None
    assert [event.reason for event in of_type(recorded, events.SignInFailed)] == ["two_factor"]


def test_a_code_is_accepted_only_once(client, world):
    user = world.learner.user
    device = enrol(user)
    code = totp_code(device)
    sign_in_with_password(client, user.email)
    client.post(SECOND_STEP, {"code": code})
    client.post(reverse("accounts:sign-out"))
    other = Client()
    sign_in_with_password(other, user.email)
    response = other.post(SECOND_STEP, {"code": code})
    assert response.status_code == 200
    assert signed_in_user_id(other) is None


def test_after_a_wrong_code_the_next_try_must_wait(client, world):
    user = world.learner.user
    device = enrol(user)
    sign_in_with_password(client, user.email)
    client.post(SECOND_STEP, {"code": wrong_code(device)})
    response = client.post(SECOND_STEP, {"code": totp_code(device)})
    assert "Too many wrong codes. Wait" in response.content.decode()
    assert signed_in_user_id(client) is None
    unthrottle(device)
    assert client.post(SECOND_STEP, {"code": totp_code(device)}).status_code == 302


def test_five_wrong_codes_send_the_person_back_to_the_password(client, world):
    user = world.learner.user
    device = enrol(user)
    sign_in_with_password(client, user.email)
    for _ in range(two_factor.PENDING_MAX_FAILURES):
        unthrottle(device)
        response = client.post(SECOND_STEP, {"code": "abcdefgh"})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:sign-in")
    assert client.get(SECOND_STEP)["Location"] == reverse("accounts:sign-in")


def test_the_second_step_expires_after_five_minutes(client, world, monkeypatch):
    user = world.learner.user
    device = enrol(user)
    sign_in_with_password(client, user.email)
    later = clock.now() + two_factor.PENDING_TTL + dt.timedelta(seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    response = client.post(SECOND_STEP, {"code": totp_code(device)})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:sign-in")
    assert signed_in_user_id(client) is None


def test_the_second_step_without_a_password_first_goes_to_sign_in(client, world):
    response = client.get(SECOND_STEP)
    assert response.status_code == 302 and response["Location"] == reverse("accounts:sign-in")


def test_the_page_asked_for_before_sign_in_is_where_the_code_leads(client, world):
    user = world.learner.user
    device = enrol(user)
    profile = reverse("accounts:profile")
    client.post(reverse("accounts:sign-in"), {"username": user.email, "password": PASSWORD, "next": profile})
    response = client.post(SECOND_STEP, {"code": totp_code(device)})
    assert response["Location"] == profile


def test_an_outside_next_address_is_ignored(client, world):
    user = world.learner.user
    device = enrol(user)
    client.post(
        reverse("accounts:sign-in"),
        {"username": user.email, "password": PASSWORD, "next": "https://evil.example/"},
    )
    response = client.post(SECOND_STEP, {"code": totp_code(device)})
    assert response["Location"] == HOME


def test_a_session_signed_in_before_enrolment_must_pass_the_second_step(client, world):
    user = world.learner.user
    act_in(client, world.learner)
    assert client.get(HOME).status_code == 200
    device = enrol(user)  # e.g. set up from another browser
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert response["Location"] == f"{SECOND_STEP}?next=%2Fprofile%2F"
    api = client.get("/api/v1/me/")
    assert api.status_code == 403 and api.json()["error"]["code"] == "two_factor_required"
    response = client.post(SECOND_STEP, {"code": totp_code(device), "next": "/profile/"})
    assert response["Location"] == "/profile/"
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_htmx_requests_are_redirected_with_hx_redirect(client, world):
    act_in(client, world.org_admin)
    enrol(world.org_admin.user)
    response = client.get(reverse("accounts:people"), HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(SECOND_STEP)


def test_htmx_requests_from_the_page_people_are_sent_to_get_nothing_rather_than_a_reload(client, world):
    # The header's bell polls from every page, the set-up page included: a redirect to that same page would
    # reload it forever.
    world.org.two_factor_required_roles = ["instructor"]
    world.org.save()
    act_in(client, world.instructor)
    response = client.get(
        reverse("notifications:bell"), HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=f"http://testserver{ENROL}"
    )
    assert response.status_code == 204 and "HX-Redirect" not in response
    elsewhere = client.get(
        reverse("notifications:bell"), HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="http://testserver/"
    )
    assert elsewhere["HX-Redirect"] == ENROL


# --- recovery codes -----------------------------------------------------------------------------------------


def test_a_recovery_code_signs_in_once_only(client, world, recorded, run_events):
    user = world.learner.user
    enrol(user, codes=("abcd2345", "efgh6723"))
    sign_in_with_password(client, user.email)
    with run_events():
        response = client.post(SECOND_STEP, {"code": "ABCD-2345"})
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(user.pk)
    assert of_type(recorded, events.TwoFactorChanged) == [
        events.TwoFactorChanged(user_id=user.pk, actor_id=user.pk, action="recovery_code_used")
    ]
    assert "1 is left" in str(next(iter(client.get(HOME).context["messages"])))

    again = Client()
    sign_in_with_password(again, user.email)
    response = again.post(SECOND_STEP, {"code": "abcd2345"})
    assert response.status_code == 200
    assert signed_in_user_id(again) is None
    assert two_factor.recovery_codes_left(user) == 1


def test_new_recovery_codes_replace_the_old_ones(client, world, recorded, run_events):
    user = world.learner.user
    device = enrol(user, codes=("oldc0de1",))
    act_in(client, world.learner)
    mark_verified(client, device)
    with run_events():
        response = client.post(RECOVERY_CODES)
    assert response.status_code == 302
    codes = client.get(RECOVERY_CODES).context["codes"]
    assert len(codes) == 10 and "oldc0de1" not in codes
    assert not two_factor.two_factor_verify(user=user, code="oldc0de1").passed
    assert [event.action for event in of_type(recorded, events.TwoFactorChanged)] == ["recovery_codes_regenerated"]


def test_nobody_can_regenerate_or_disable_someone_elses_two_factor(world):
    enrol(world.learner.user)
    with pytest.raises(PermissionDenied):
        two_factor.recovery_codes_regenerate(user=world.learner.user, by=world.org_admin.user)
    with pytest.raises(PermissionDenied):
        two_factor.two_factor_disable(user=world.learner.user, by=world.org_admin.user, password="whatever")
    assert two_factor.has_authenticator(world.learner.user)


# --- turning it off -------------------------------------------------------------------------------------------


def test_turning_it_off_needs_the_password_or_a_code(client, world, recorded, run_events):
    user = world.learner.user
    device = enrol(user)
    act_in(client, world.learner)
    mark_verified(client, device)
    response = client.post(DISABLE, {"password": "not-my-password"})
    assert response.status_code == 200
    assert two_factor.DISABLE_NEEDS_PROOF in response.content.decode()
    assert two_factor.has_authenticator(user)

    with run_events():
        response = client.post(DISABLE, {"password": PASSWORD})
    assert response.status_code == 302
    assert not two_factor.has_authenticator(user)
    assert two_factor.recovery_codes_left(user) == 0
    assert [event.action for event in of_type(recorded, events.TwoFactorChanged)] == ["disabled"]
    # The session goes on without a second factor.
    assert client.get(HOME).status_code == 200


def test_a_current_code_also_turns_it_off(world):
    user = world.learner.user
    device = enrol(user)
    two_factor.two_factor_disable(user=user, by=user, code=totp_code(device))
    assert not two_factor.has_authenticator(user)


def test_after_turning_it_off_the_password_alone_signs_in(client, world):
    user = world.learner.user
    enrol(user)
    two_factor.two_factor_disable(user=user, by=user, password=PASSWORD)
    response = sign_in_with_password(client, user.email)
    assert response["Location"] == HOME
    assert signed_in_user_id(client) == str(user.pk)


# --- the security page ----------------------------------------------------------------------------------------


def test_the_security_page_shows_the_state_of_each_part(client, world):
    act_in(client, world.learner)
    page = client.get(SECURITY)
    assert page.status_code == 200
    assert page.context["two_factor_enabled"] is False
    assert "Set up two-factor sign-in" in page.content.decode()
    assert reverse("accounts:security") in client.get(reverse("accounts:profile")).content.decode()


def test_security_pages_need_sign_in(client, world):
    for url in (SECURITY, ENROL, RECOVERY_CODES, DISABLE, reverse("accounts:sessions")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:sign-in"))


def test_an_expired_enrolment_is_refused(world):
    device = two_factor.enrolment_start(user=world.learner.user)
    TOTPDevice.objects.filter(pk=device.pk).delete()
    with pytest.raises(ValidationError) as exc:
        two_factor.two_factor_enable(user=world.learner.user, device=device, code="123456")
    assert exc.value.message_dict == {"code": [two_factor.ENROLMENT_EXPIRED]}
