"""Password rules, password reset by email end to end, and changing one's password."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import password_validation
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from syllabus.accounts import events
from syllabus.accounts.models import User
from syllabus.accounts.security import lockout, passwords
from tests.accounts.security.conftest import (
    HOME,
    act_in,
    of_type,
    sign_in_with_password,
    signed_in_user_id,
)
from tests.factories import PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

RESET = reverse("accounts:password-reset")
RESET_SENT = reverse("accounts:password-reset-sent")
CHANGE = reverse("accounts:password-change")
NEW_PASSWORD = "plum-orchard-lantern-42"


def reset_link(message) -> str:
    # The link is built on SITE_URL, never on the Host header of the request that asked for it.
    match = re.search(r"https?://[^/\s]+(/password-reset/[^/\s]+/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def ask_for_reset(client: Client, email: str, run_events):
    """Ask for a link; the email is queued once the request commits (a domain event), so run those callbacks."""
    with run_events():
        return client.post(RESET, {"email": email})


def follow_reset_link(client: Client, link: str):
    """Open the emailed link: Django swaps the token for a session one and redirects to the form."""
    response = client.get(link)
    assert response.status_code == 302
    return response["Location"]


# --- the rules ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("short-1", "at least 10 characters"),
        ("1234567890123", "entirely numeric"),
        ("password1234", "too common"),
    ],
)
def test_the_password_rules_refuse_weak_passwords(world, password, rule):
    with pytest.raises(ValidationError) as exc:
        password_validation.validate_password(password, world.learner.user)
    assert any(rule in message for message in exc.value.messages)


def test_a_password_may_not_contain_the_email_name_or_the_organisation(world):
    user = UserFactory(email="priya.natarajan@acme.example")
    MembershipFactory(organization=world.org, user=user)  # Acme Health
    for password in ("Natarajan-rocks-2026", "xx-priyanatarajan-xx", "AcmeHealth!2026", "i-love-acme-99"):
        with pytest.raises(ValidationError) as exc:
            password_validation.validate_password(password, user)
        assert passwords.PERSONAL_DATA in exc.value.messages, password
    password_validation.validate_password(NEW_PASSWORD, user)


def test_every_rule_is_spelt_out_next_to_the_new_password_field(client, world):
    act_in(client, world.learner)
    page = client.get(CHANGE).content.decode()
    for rule in passwords.password_rules():
        assert rule.replace("’", "&#x27;").replace("'", "&#x27;") in page or rule in page
    assert 'aria-describedby="id_new_password1_helptext"' in page
    assert 'id="id_new_password1_helptext"' in page


# --- reset by email -----------------------------------------------------------------------------------------


def test_password_reset_end_to_end(client, world, recorded, run_events):
    user = world.learner.user
    response = ask_for_reset(client, user.email.upper(), run_events)
    assert response.status_code == 302 and response["Location"] == RESET_SENT
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email]
    assert "Reset your Syllabus password" in message.subject

    form_url = follow_reset_link(client, reset_link(message))
    weak = client.post(form_url, {"new_password1": "short", "new_password2": "short"})
    assert weak.status_code == 200
    assert "at least 10 characters" in weak.content.decode()

    with run_events():
        done = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == reverse("accounts:password-reset-complete")
    assert of_type(recorded, events.PasswordChanged) == [
        events.PasswordChanged(user_id=user.pk, actor_id=user.pk, via_reset=True)
    ]
    assert sign_in_with_password(Client(), user.email, NEW_PASSWORD).status_code == 302
    assert sign_in_with_password(Client(), user.email, PASSWORD).status_code == 200

    # The link works once.
    spent = Client().get(reset_link(message), follow=True)
    assert "This link does not work" in spent.content.decode()


def test_the_reset_form_answers_the_same_for_an_unknown_email(client, world, run_events):
    with run_events():
        known = client.post(RESET, {"email": world.learner.user.email}, follow=True)
        unknown = Client().post(RESET, {"email": "nobody@example.test"}, follow=True)
    assert len(mail.outbox) == 1
    assert known.redirect_chain == unknown.redirect_chain == [(RESET_SENT, 302)]
    assert scrub(known, world.learner.user.email) == scrub(unknown, "nobody@example.test")


def scrub(response, email: str) -> str:
    """The page without what differs anyway: the address typed and the CSRF tokens."""
    page = response.content.decode().replace(email, "EMAIL")
    return re.sub(r'(value="|"X-CSRFToken": ")[^"]+"', "TOKEN", page)


def test_someone_added_without_a_password_sets_one_by_reset(client, world, run_events):
    invited = UserFactory(email="new.starter@example.test")
    invited.set_unusable_password()
    invited.save()
    ask_for_reset(client, invited.email, run_events)
    assert len(mail.outbox) == 1
    form_url = follow_reset_link(client, reset_link(mail.outbox[0]))
    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    invited.refresh_from_db()
    assert invited.check_password(NEW_PASSWORD)


def test_a_disabled_account_gets_no_reset_email(client, world, run_events):
    User.objects.filter(pk=world.learner.user.pk).update(is_active=False)
    ask_for_reset(client, world.learner.user.email, run_events)
    assert mail.outbox == []


def test_a_reset_signs_out_every_session_and_clears_a_lockout(client, world, run_events):
    user = world.learner.user
    elsewhere = Client()
    elsewhere.force_login(user)
    for _ in range(5):
        sign_in_with_password(Client(), user.email, "wrong-password-1")
    assert lockout.lock_state(user.email).locked

    ask_for_reset(client, user.email, run_events)
    form_url = follow_reset_link(client, reset_link(mail.outbox[0]))
    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert elsewhere.get(HOME).status_code == 302
    assert not lockout.lock_state(user.email).locked
    assert sign_in_with_password(Client(), user.email, NEW_PASSWORD).status_code == 302


def test_a_tampered_link_does_not_work(client, world, run_events):
    ask_for_reset(client, world.learner.user.email, run_events)
    link = reset_link(mail.outbox[0])
    response = client.get(link[:-3] + "xx/", follow=True)
    assert "This link does not work" in response.content.decode()


# --- changing one's password ---------------------------------------------------------------------------------


def test_changing_the_password_keeps_this_session_and_ends_the_others(client, world, recorded, run_events):
    user = world.learner.user
    other = Client()
    other.force_login(user)
    act_in(client, world.learner)
    client.get(HOME)
    wrong = client.post(CHANGE, {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert wrong.status_code == 200
    with run_events():
        response = client.post(
            CHANGE, {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
        )
    assert response.status_code == 302 and response["Location"] == reverse("accounts:security")
    assert client.get(HOME).status_code == 200
    assert other.get(HOME).status_code == 302
    assert of_type(recorded, events.PasswordChanged) == [
        events.PasswordChanged(user_id=user.pk, actor_id=user.pk, via_reset=False)
    ]
    assert [event.count for event in of_type(recorded, events.SessionsEnded)] == [1]
    assert signed_in_user_id(client) == str(user.pk)


def test_the_new_password_must_follow_the_rules(client, world):
    act_in(client, world.learner)
    response = client.post(
        CHANGE, {"old_password": PASSWORD, "new_password1": "12345678901", "new_password2": "12345678901"}
    )
    assert response.status_code == 200
    assert "entirely numeric" in response.content.decode()
    world.learner.user.refresh_from_db()
    assert world.learner.user.check_password(PASSWORD)


def test_nobody_sets_someone_elses_password_through_the_service(world):
    with pytest.raises(PermissionDenied):
        passwords.password_set(user=world.learner.user, by=world.org_admin.user, password=NEW_PASSWORD, via_reset=False)


def test_the_reset_task_finds_every_active_account_of_the_address_on_the_worker(
    world, django_capture_on_commit_callbacks
):
    from syllabus.accounts.security.tasks import request_password_reset
    from syllabus.celery import app as celery_app

    assert request_password_reset.name in celery_app.tasks
    with django_capture_on_commit_callbacks(execute=True):
        found = request_password_reset.delay(email=f"  {world.learner.user.email.upper()} ").get()
        missing = request_password_reset.delay(email="nobody@example.test").get()
    assert (found, missing) == (1, 0)
    assert [message.to for message in mail.outbox] == [[world.learner.user.email]]
