"""Sign-in and the security headers every page carries."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.test import Client
from django.urls import reverse

from syllabus.accounts.models import User
from syllabus.settings import PASSWORD_HASHERS as PRODUCTION_PASSWORD_HASHERS
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_passwords_are_hashed_with_argon2(world, settings):
    settings.PASSWORD_HASHERS = PRODUCTION_PASSWORD_HASHERS  # tests hash with MD5 (tests/conftest.py), production not
    user = User.objects.create_user("new@example.test", "a-long-enough-password", display_name="New")
    assert identify_hasher(user.password).algorithm == "argon2"


def test_sign_in_with_the_right_password_lands_on_home(world, client):
    response = client.post(
        reverse("accounts:sign-in"), {"username": world.learner.user.email, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("web:home")
    assert world.learner.user.display_name.split()[0] in response.content.decode()


def test_wrong_password_says_so_and_signs_nobody_in(world, client):
    response = client.post(reverse("accounts:sign-in"), {"username": world.learner.user.email, "password": "nope"})
    assert response.status_code == 200
    assert "do not match an account" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_in_needs_a_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("accounts:sign-in"), {"username": world.learner.user.email, "password": PASSWORD})
    assert response.status_code == 403


def test_sign_out_is_post_only(world, client):
    client.force_login(world.learner.user)
    assert client.get(reverse("accounts:sign-out")).status_code == 405
    client.post(reverse("accounts:sign-out"))
    assert "_auth_user_id" not in client.session


def test_pages_need_sign_in(client):
    response = client.get(reverse("web:home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:sign-in"))


def test_sessions_expire_after_idle_time(settings):
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert 0 < settings.SESSION_COOKIE_AGE <= 24 * 60 * 60


def test_every_page_carries_a_strict_csp_and_frame_protection(world, client):
    response = client.get(reverse("accounts:sign-in"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_pages_load_no_inline_script(world, client):
    client.force_login(world.org_admin.user)
    body = client.get(reverse("web:home")).content.decode()
    assert "<script>" not in body and " onclick=" not in body and " style=" not in body


def test_a_person_with_two_organisations_chooses_one(world, client):
    from tests.factories import MembershipFactory

    MembershipFactory(organization=world.other_org, user=world.learner.user)
    client.force_login(world.learner.user)
    response = client.get(reverse("web:home"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:choose-organization")
    page = client.get(response["Location"]).content.decode()
    assert "Acme Health" in page and "Globex" in page
    client.post(reverse("accounts:choose-organization"), {"organization": world.other_org.pk})
    assert "Globex" in client.get(reverse("web:home")).content.decode()


def test_nobody_chooses_an_organisation_they_do_not_belong_to(world, client):
    client.force_login(world.learner.user)
    response = client.post(reverse("accounts:choose-organization"), {"organization": world.other_org.pk})
    assert response.status_code == 404


def test_branding_colours_come_from_a_stylesheet_with_readable_text(world, client):
    world.org.primary_color = "#fde047"  # light yellow: text on it must be black
    world.org.save()
    client.force_login(world.learner.user)
    css = client.get(reverse("web:branding-css")).content.decode()
    assert "--brand-primary:#fde047" in css and "--brand-on-primary:#000000" in css


def test_the_interface_follows_the_persons_language_and_time_zone(world, client):
    user = world.learner.user
    user.time_zone = "Asia/Tokyo"
    user.save()
    client.force_login(user)
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 200
    assert 'lang="en"' in response.content.decode()
