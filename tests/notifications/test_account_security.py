"""Account security notices (notifications/account_security.py), driven through the real sign-in and reset flows.

Written from the side of someone who got hold of a password or an inbox: what does the account owner learn, and
what does the database keep of a reset link once it is sent.
"""

from __future__ import annotations

import json
import re
import smtplib
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken

from syllabus.accounts import events
from syllabus.accounts.models import User, UserSession
from syllabus.accounts.security import passwords, two_factor
from syllabus.accounts.security.tasks import request_password_reset as reset_task
from syllabus.notifications import account_security, delivery, privacy, rendering, selectors, services
from syllabus.notifications.account_security import NEW_DEVICE, PASSWORD_CHANGED, PASSWORD_RESET, TWO_FACTOR_CHANGED
from syllabus.notifications.models import Delivery, DeliveryStatus, Notification
from syllabus.notifications.services import PreferenceChange
from syllabus.notifications.types import EMAIL, IN_APP
from tests.accounts.security.conftest import sign_in_with_password, totp_code
from tests.conftest import World
from tests.factories import PASSWORD
from tests.notifications.conftest import Clock, Smtp

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:126.0) Gecko/20100101 Firefox/126.0"
FIREFOX_UPDATED = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0"
CHROME_ON_ANDROID = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Mobile Safari/537.36"
)
SITE = "https://learn.acme.example"
RESET = reverse("accounts:password-reset")
NEW_PASSWORD = "plum-orchard-lantern-42"

Run = Callable[[], AbstractContextManager[Any]]


@pytest.fixture
def run_events(django_capture_on_commit_callbacks: Any) -> Run:
    """`with run_events(): ...`: the domain events of what happens inside are dispatched, as after a commit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture(autouse=True)
def site_url(settings: Any) -> None:
    settings.SITE_URL = SITE


def sign_in_from(run_events: Run, user: User, user_agent: str, address: str) -> Client:
    """A fresh browser signs in with the person's password."""
    browser = Client()
    with run_events():
        response = sign_in_with_password(browser, user.email, HTTP_USER_AGENT=user_agent, REMOTE_ADDR=address)
    assert response.status_code == 302, "the sign-in should succeed"
    return browser


def notices(user: User, type_key: str) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, type_key=type_key).order_by("pk"))


def mails_to(user: User) -> list[mail.EmailMessage]:
    return [message for message in mail.outbox if message.to == [user.email]]


# --- a sign-in from a new device -----------------------------------------------------------------------------


def test_a_first_sign_in_tells_nothing(world: World, run_events: Run) -> None:
    sign_in_from(run_events, world.learner.user, FIREFOX, "198.51.100.7")
    assert notices(world.learner.user, NEW_DEVICE.key) == []
    assert mail.outbox == []


def test_signing_in_again_from_the_same_browser_tells_nothing_even_after_it_updated(
    world: World, run_events: Run
) -> None:
    user = world.learner.user
    sign_in_from(run_events, user, FIREFOX, "198.51.100.7")
    sign_in_from(run_events, user, FIREFOX, "192.0.2.80")
    sign_in_from(run_events, user, FIREFOX_UPDATED, "198.51.100.7")
    assert UserSession.objects.filter(user=user).count() == 3
    assert notices(user, NEW_DEVICE.key) == []
    assert mail.outbox == []


def test_a_sign_in_from_another_browser_tells_the_person_which_device_and_address(
    world: World, run_events: Run
) -> None:
    user = world.learner.user
    User.objects.filter(pk=user.pk).update(time_zone="Europe/Paris")
    sign_in_from(run_events, user, FIREFOX, "198.51.100.7")
    # Someone with the stolen password, on a phone, elsewhere.
    sign_in_from(run_events, user, CHROME_ON_ANDROID, "203.0.113.66")

    session = UserSession.objects.get(user=user, user_agent=CHROME_ON_ANDROID)
    [notice] = notices(user, NEW_DEVICE.key)
    assert notice.organization_id is None and notice.in_app
    assert notice.subject == "New sign-in to your account from Chrome on Android"
    assert "from the address 203.0.113.66" in notice.body
    # The time in the person's own zone, not the server's.
    assert rendering.format_value(session.created_at, time_zone="Europe/Paris") in notice.body
    assert f"{SITE}/profile/security/sessions/" in notice.body
    assert notice.url == reverse("accounts:sessions")
    # In the bell whichever organisation they work in: the notice is the person's, not an organisation's.
    assert list(selectors.notification_list(user=user, organization=world.org)) == [notice]
    [message] = mails_to(user)
    assert message.subject == notice.subject
    assert "Chrome on Android" in message.body and "203.0.113.66" in message.body


# A client names itself: whoever holds the stolen password can send any words as the user agent.
WRITTEN_BY_THE_ATTACKER = (
    "Automatic IT check, no action needed. This sign-in was made by your IT department during maintenance."
)


def test_an_unrecognised_browser_cannot_write_the_alert(world: World, run_events: Run) -> None:
    user = world.learner.user
    sign_in_from(run_events, user, FIREFOX, "198.51.100.7")
    sign_in_from(run_events, user, WRITTEN_BY_THE_ATTACKER, "203.0.113.66")

    [notice] = notices(user, NEW_DEVICE.key)
    assert notice.subject == "New sign-in to your account from an unrecognised browser"
    # The body quotes at most 60 characters of it, marked as what the browser called itself.
    quoted = WRITTEN_BY_THE_ATTACKER[: account_security.UNRECOGNISED_QUOTE_LENGTH - 1] + "…"
    assert len(quoted) == 60
    assert f'Someone signed in to your account with an unrecognised browser ("{quoted}"), from' in notice.body
    assert "during maintenance" not in notice.body
    [message] = mails_to(user)
    assert message.subject == notice.subject and "IT check" not in message.subject
    assert f'("{quoted}")' in message.body and "during maintenance" not in message.body


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [
        ("", "an unrecognised browser"),
        ("curl", 'an unrecognised browser ("curl")'),
        ('x") - all is well. ("y', "an unrecognised browser (\"x') - all is well. ('y\")"),
        ("bot\r\n\tno action", 'an unrecognised browser ("bot no action")'),
        (CHROME_ON_ANDROID, "Chrome on Android"),
    ],
    ids=["empty", "short", "quotes", "line-breaks", "recognised"],
)
def test_the_body_names_a_device_and_quotes_only_what_it_cannot_name(
    world: World, user_agent: str, device: str
) -> None:
    user = world.learner.user
    subject_words, body_words = account_security.device_words(user, user_agent)
    assert body_words == device
    assert subject_words == ("Chrome on Android" if user_agent == CHROME_ON_ANDROID else "an unrecognised browser")


def test_the_new_device_notice_is_sent_once_per_session(world: World, run_events: Run) -> None:
    user = world.learner.user
    sign_in_from(run_events, user, FIREFOX, "198.51.100.7")
    sign_in_from(run_events, user, CHROME_ON_ANDROID, "203.0.113.66")
    session = UserSession.objects.get(user=user, user_agent=CHROME_ON_ANDROID)
    with run_events():
        account_security.on_user_signed_in(
            events.UserSignedIn(user_id=user.pk, ip_address="203.0.113.66", two_factor=False, session_id=session.pk)
        )
    assert len(notices(user, NEW_DEVICE.key)) == 1
    assert len(mails_to(user)) == 1


def test_another_persons_session_id_in_the_event_sends_nothing(world: World, run_events: Run) -> None:
    sign_in_from(run_events, world.learner.user, FIREFOX, "198.51.100.7")
    sign_in_from(run_events, world.learner.user, CHROME_ON_ANDROID, "203.0.113.66")
    theirs = UserSession.objects.get(user=world.learner.user, user_agent=CHROME_ON_ANDROID)
    with run_events():
        account_security.on_user_signed_in(
            events.UserSignedIn(user_id=world.manager.user.pk, ip_address=None, two_factor=False, session_id=theirs.pk)
        )
    assert notices(world.manager.user, NEW_DEVICE.key) == []


def test_a_notice_that_cannot_be_sent_does_not_fail_the_sign_in(
    world: World, run_events: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(notice: services.Notice) -> None:
        raise RuntimeError("the notifications tables are unavailable")

    monkeypatch.setattr(services, "notify", broken)
    user = world.learner.user
    sign_in_from(run_events, user, FIREFOX, "198.51.100.7")
    browser = sign_in_from(run_events, user, CHROME_ON_ANDROID, "203.0.113.66")
    assert browser.session.get("_auth_user_id") == str(user.pk)


# --- two-factor sign-in and password changes ----------------------------------------------------------------


def test_each_two_factor_change_is_told_to_the_person(world: World, run_events: Run) -> None:
    user = world.learner.user
    with run_events():
        device = two_factor.enrolment_start(user=user)
        codes = two_factor.two_factor_enable(user=user, device=device, code=totp_code(device))
    with run_events():
        two_factor.recovery_codes_regenerate(user=user, by=user)
    # Signing in with a recovery code: the owner hears of it (it may be someone who found the printed codes).
    browser = Client()
    sign_in_with_password(browser, user.email)
    fresh_codes = list(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert set(fresh_codes).isdisjoint(codes)
    with run_events():
        browser.post(reverse("accounts:sign-in-two-factor"), {"code": fresh_codes[0]})
    with run_events():
        two_factor.two_factor_disable(user=user, by=user, password=PASSWORD)

    subjects = [notice.subject for notice in notices(user, TWO_FACTOR_CHANGED.key)]
    assert subjects == [
        "Two-factor sign-in was turned on",
        "New recovery codes were made, and the old ones no longer work",
        "A recovery code was used to sign in",
        "Two-factor sign-in was turned off",
    ]
    assert [message.subject for message in mails_to(user)] == subjects
    turned_off = notices(user, TWO_FACTOR_CHANGED.key)[-1]
    assert f"{SITE}/profile/security/" in turned_off.body and turned_off.organization_id is None


def test_changing_the_password_is_told_to_the_person(world: World, run_events: Run) -> None:
    user = world.learner.user
    browser = sign_in_from(run_events, user, FIREFOX, "198.51.100.7")
    with run_events():
        response = browser.post(
            reverse("accounts:password-change"),
            {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )
    assert response.status_code == 302
    [notice] = notices(user, PASSWORD_CHANGED.key)
    assert notice.subject == "Your Syllabus password was changed"
    # Whoever changed it, the owner is told how to take the account back.
    assert f"{SITE}{RESET}" in notice.body
    assert [message.subject for message in mails_to(user)] == [notice.subject]


def test_a_password_set_with_a_reset_link_is_told_too(world: World, run_events: Run) -> None:
    user = world.learner.user
    with run_events():
        passwords.password_set(user=user, by=user, password=NEW_PASSWORD, via_reset=True)
    assert len(notices(user, PASSWORD_CHANGED.key)) == 1


@pytest.mark.parametrize("kind", [NEW_DEVICE, TWO_FACTOR_CHANGED, PASSWORD_CHANGED, PASSWORD_RESET])
def test_the_person_cannot_turn_security_notices_off(world: World, kind: Any) -> None:
    for channel in kind.default_channels:
        with pytest.raises(ValidationError) as refused:
            services.preferences_update(
                user=world.learner.user,
                organization=world.org,
                changes=[PreferenceChange(type_key=kind.key, channel=channel, enabled=False)],
            )
        assert f"{kind.key}.{channel}" in refused.value.message_dict
    assert kind.mandatory and kind.urgent and kind.account_level


def test_organisations_cannot_reword_security_notices(world: World) -> None:
    with pytest.raises(ValidationError):
        services.template_save(
            organization=world.org,
            type_key=PASSWORD_RESET.key,
            language="en",
            subject="Reset",
            body="Send your password to {{ reset_link }}",
            by=world.org_admin.user,
        )


# --- the password reset email --------------------------------------------------------------------------------


def ask_for_reset(run_events: Run, email: str, **extra: Any) -> None:
    with run_events():
        response = Client().post(RESET, {"email": email}, **extra)
    assert response.status_code == 302


def link_in(message: mail.EmailMessage) -> str:
    match = re.search(re.escape(SITE) + r"(/password-reset/[^/\s]+/[^/\s]+/)", str(message.body))
    assert match, message.body
    return match.group(1)


def test_the_reset_email_arrives_with_a_working_link_that_is_never_stored(world: World, run_events: Run) -> None:
    user = world.learner.user
    ask_for_reset(run_events, user.email)

    [message] = mails_to(user)
    assert message.subject == "Reset your Syllabus password"
    link = link_in(message)
    token = link.split("/")[-2]
    [notice] = notices(user, PASSWORD_RESET.key)
    # Whoever reads the database, a backup or a privacy export finds no usable link: it was made as the email left.
    assert token not in notice.body and "{{ reset_link }}" in notice.body
    assert token not in notice.dedupe_key and notice.url == ""
    assert notice.subject == message.subject
    assert list(notice.deliveries.values_list("channel", "status")) == [(EMAIL, DeliveryStatus.SENT)]
    # Never in the notification centre.
    assert not notice.in_app
    assert list(selectors.notification_list(user=user, organization=world.org)) == []

    browser = Client()
    form = browser.get(link)
    assert form.status_code == 302
    response = browser.post(form["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_the_reset_link_can_never_be_switched_into_the_centre(world: World, run_events: Run) -> None:
    user = world.learner.user
    with pytest.raises(ValidationError) as refused:
        services.preferences_update(
            user=user,
            organization=None,
            changes=[PreferenceChange(type_key=PASSWORD_RESET.key, channel=IN_APP, enabled=True)],
        )
    assert refused.value.message_dict == {
        f"{PASSWORD_RESET.key}.{IN_APP}": [services.PREFERENCE_NEVER.format(type=PASSWORD_RESET.label)]
    }
    ask_for_reset(run_events, user.email)
    assert len(mails_to(user)) == 1
    assert selectors.unread_count(user=user, organization=None) == 0
    assert Notification.objects.get(recipient=user, type_key=PASSWORD_RESET.key).in_app is False


def test_an_unknown_address_gets_no_email_and_leaves_no_notification(world: World, run_events: Run) -> None:
    ask_for_reset(run_events, "nobody@example.test")
    assert mail.outbox == []
    assert not Notification.objects.filter(type_key=PASSWORD_RESET.key).exists()


def test_the_request_does_the_same_work_for_a_known_and_an_unknown_address(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the request itself does may not depend on the address: one task queued with the typed text, whatever
    # it is, and the same queries (the lookup happens on the worker, where its time reveals nothing).
    queued: list[dict[str, Any]] = []
    monkeypatch.setattr(reset_task, "delay", lambda **kwargs: queued.append(kwargs))
    counts = []
    for email in (world.learner.user.email, "nobody@example.test"):
        with CaptureQueriesContext(connection) as queries:
            response = Client().post(RESET, {"email": email})
        assert response.status_code == 302
        counts.append(len(queries))
    assert queued == [{"email": world.learner.user.email}, {"email": "nobody@example.test"}]
    assert counts[0] == counts[1]


def test_the_reset_link_is_built_on_the_site_address_not_on_the_host_the_request_named(
    world: World, run_events: Run, settings: Any
) -> None:
    # Host header poisoning: the attacker asks for the victim's link with their own host name in the request.
    settings.ALLOWED_HOSTS = ["*"]
    ask_for_reset(run_events, world.learner.user.email, HTTP_HOST="attacker.example")
    [message] = mails_to(world.learner.user)
    assert "attacker.example" not in str(message.body)
    assert link_in(message).startswith("/password-reset/")


def test_asking_again_within_minutes_sends_no_second_email(world: World, run_events: Run, moved_clock: Clock) -> None:
    user = world.learner.user
    ask_for_reset(run_events, user.email)
    ask_for_reset(run_events, user.email)
    assert len(mails_to(user)) == 1
    moved_clock.move(seconds=account_security.RESET_WINDOW_SECONDS)
    ask_for_reset(run_events, user.email)
    assert len(mails_to(user)) == 2


def test_a_reset_email_the_mail_server_delayed_gets_a_working_link_when_it_is_sent(
    world: World, smtp: Smtp, moved_clock: Clock, django_capture_on_commit_callbacks: Any
) -> None:
    user = world.learner.user
    smtp.fail(smtplib.SMTPServerDisconnected("try again later"))
    with django_capture_on_commit_callbacks(execute=True):
        account_security.password_reset_send(user_id=user.pk)
    [notice] = notices(user, PASSWORD_RESET.key)
    assert notice.deliveries.get().status == DeliveryStatus.PENDING

    moved_clock.move(seconds=61)
    delivery.sweep()
    [message] = smtp.outbox
    assert Client().get(link_in(message)).status_code == 302  # a valid token redirects to the form
    assert notice.deliveries.get().status == DeliveryStatus.SENT
    # The same request again (a duplicate task) sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        account_security.password_reset_send(user_id=user.pk)
    assert len(smtp.outbox) == 1 and Delivery.objects.filter(notification=notice).count() == 1


def test_a_privacy_export_holds_no_reset_link(world: World, run_events: Run) -> None:
    user = world.learner.user
    ask_for_reset(run_events, user.email)
    token = link_in(mails_to(user)[0]).split("/")[-2]
    exported = json.dumps(privacy.export_person(user, None))
    assert "Reset your Syllabus password" in exported and token not in exported


def test_the_reset_task_is_registered_for_the_worker() -> None:
    from syllabus.celery import app as celery_app

    assert reset_task.name in celery_app.tasks
