"""The email channel: what the message holds (plain and HTML), hostile values in it, and how server answers count."""

from __future__ import annotations

import smtplib
from email import message_from_bytes
from typing import Any

import pytest
from django.core.mail import EmailMessage

from syllabus.accounts.models import User
from syllabus.notifications import delivery, services
from syllabus.notifications.channels.base import PermanentFailure, TemporaryFailure
from syllabus.notifications.channels.email.channel import EmailChannel, absolute
from syllabus.notifications.models import Delivery, DeliveryMode, DeliveryStatus
from syllabus.notifications.services import PreferenceChange
from syllabus.notifications.types import EMAIL, NotificationType
from tests.conftest import World
from tests.notifications.conftest import NOW, SAMPLE, SAMPLE_CONTEXT, Clock, Send, Smtp, sample_notice

pytestmark = pytest.mark.django_db

HOSTILE = {**SAMPLE_CONTEXT, "learner_name": "<script>alert('hi')</script>", "course_title": "Fire\r\nBcc: x@evil.test"}


def html_of(message: EmailMessage) -> str:
    (alternative,) = message.alternatives  # type: ignore[attr-defined]
    assert alternative[1] == "text/html"
    return str(alternative[0])


# --- one notification ----------------------------------------------------------------------------------------


def test_an_email_has_a_text_and_an_html_body_with_absolute_links(
    world: World, sample_type: NotificationType, send: Send, smtp: Smtp, settings: Any
) -> None:
    settings.SITE_URL = "https://learn.example.test/"
    send(sample_notice(world.learner.user))
    (message,) = smtp.outbox
    assert message.subject == "Fire safety starts soon"
    assert message.to == [world.learner.user.email] and message.from_email == settings.DEFAULT_FROM_EMAIL
    assert message.body.startswith("Hello Lena,\n\nFire safety starts at March 14, 2026, 4:30 p.m. (UTC).")
    assert "https://learn.example.test/courses/12/" in message.body
    assert "https://learn.example.test/notifications/preferences/" in message.body
    html = html_of(message)
    assert '<html lang="en">' in html
    assert '<p style="margin:0 0 12px">Hello Lena,</p>' in html
    assert 'href="https://learn.example.test/courses/12/"' in html


def test_links_are_made_absolute_and_full_addresses_are_kept(settings: Any) -> None:
    settings.SITE_URL = "https://learn.example.test"
    assert absolute("/courses/12/") == "https://learn.example.test/courses/12/"
    assert absolute("courses/12/") == "https://learn.example.test/courses/12/"
    assert absolute("//evil.test/x") == "https://learn.example.test/evil.test/x"
    assert absolute("https://help.example.test/") == "https://help.example.test/"
    assert absolute("") == ""


def test_markup_in_a_value_is_escaped_in_html_and_literal_in_text(
    world: World, sample_type: NotificationType, send: Send, smtp: Smtp
) -> None:
    send(sample_notice(world.learner.user, context=HOSTILE))
    (message,) = smtp.outbox
    assert "Hello <script>alert('hi')</script>," in message.body
    html = html_of(message)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#x27;hi&#x27;)&lt;/script&gt;" in html


def test_a_value_cannot_smuggle_a_header_into_the_email(
    world: World, sample_type: NotificationType, send: Send, smtp: Smtp
) -> None:
    send(sample_notice(world.learner.user, context=HOSTILE))
    (message,) = smtp.outbox
    assert message.subject == "Fire Bcc: x@evil.test starts soon"
    assert message.recipients() == [world.learner.user.email]
    parsed = message_from_bytes(message.message().as_bytes())
    assert parsed["Bcc"] is None
    assert parsed.get_all("Subject") == ["Fire Bcc: x@evil.test starts soon"]


def test_the_email_is_in_the_persons_language(
    world: World, sample_type: NotificationType, send: Send, smtp: Smtp
) -> None:
    user = world.learner.user
    user.locale, user.time_zone = "fr", "Europe/Paris"
    user.save(update_fields=["locale", "time_zone"])
    send(sample_notice(user))
    (message,) = smtp.outbox
    assert '<html lang="fr">' in html_of(message)
    assert "14 mars 2026 17:30 (CET)" in message.body


# --- digests -------------------------------------------------------------------------------------------------


def test_a_digest_lists_each_notification_under_its_subject(
    world: World, sample_type: NotificationType, send: Send, smtp: Smtp, moved_clock: Clock
) -> None:
    user = world.learner.user
    user.display_name = "<b>Lena</b>"
    user.save(update_fields=["display_name"])
    services.preferences_update(
        user=user, organization=None, changes=[PreferenceChange(SAMPLE, EMAIL, True, DeliveryMode.DIGEST)]
    )
    send(
        sample_notice(user, dedupe_key="a", context=HOSTILE),
        sample_notice(user, dedupe_key="b", url="/courses/13/"),
    )
    moved_clock.to(Delivery.objects.first().not_before)  # type: ignore[union-attr]
    delivery.sweep()
    (message,) = smtp.outbox
    assert message.subject == "Your Syllabus digest: 2 notifications"
    assert message.body.startswith("Hello <b>Lena</b>, here is what happened since your last digest.")
    assert "— Fire Bcc: x@evil.test starts soon" in message.body and "— Fire safety starts soon" in message.body
    assert message.body.count("/courses/13/") == 1
    html = html_of(message)
    assert '<h2 style="font-size:18px;margin:24px 0 8px">Fire safety starts soon</h2>' in html
    assert "Hello &lt;b&gt;Lena&lt;/b&gt;," in html and "<script>" not in html


def test_a_digest_of_one_is_still_called_a_digest(
    world: World, sample_type: NotificationType, send: Send, smtp: Smtp, moved_clock: Clock
) -> None:
    services.preferences_update(
        user=world.learner.user,
        organization=None,
        changes=[PreferenceChange(SAMPLE, EMAIL, True, DeliveryMode.DIGEST)],
    )
    send(sample_notice(world.learner.user))
    moved_clock.move(days=1)
    delivery.sweep()
    (message,) = smtp.outbox
    assert message.subject == "Your Syllabus digest: 1 notification"


# --- what the mail server's answer means ---------------------------------------------------------------------


def _pending_delivery(user: User) -> Delivery:
    services.notify(sample_notice(user))
    return Delivery.objects.select_related("notification__recipient").get()


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (smtplib.SMTPRecipientsRefused({"a@example.test": (550, b"no such user")}), PermanentFailure),
        (smtplib.SMTPRecipientsRefused({"a@example.test": (553, b"bad address")}), PermanentFailure),
        (smtplib.SMTPRecipientsRefused({"a@example.test": (450, b"mailbox busy")}), TemporaryFailure),
        (smtplib.SMTPDataError(554, b"rejected as spam"), PermanentFailure),
        (smtplib.SMTPDataError(451, b"try again later"), TemporaryFailure),
        (smtplib.SMTPAuthenticationError(535, b"bad credentials"), TemporaryFailure),
        (smtplib.SMTPSenderRefused(550, b"not our domain", "syllabus@localhost"), TemporaryFailure),
        (ConnectionRefusedError("refused"), ConnectionRefusedError),
    ],
)
def test_only_a_refusal_of_the_person_or_message_is_permanent(
    world: World,
    sample_type: NotificationType,
    smtp: Smtp,
    moved_clock: Clock,
    error: BaseException,
    outcome: type[BaseException],
) -> None:
    row = _pending_delivery(world.learner.user)
    smtp.fail(error)
    with pytest.raises(outcome):
        EmailChannel().send([row])


def test_a_sender_refusal_is_retried_not_counted_as_the_persons_bounce(
    world: World, sample_type: NotificationType, smtp: Smtp, moved_clock: Clock
) -> None:
    row = _pending_delivery(world.learner.user)
    smtp.fail(smtplib.SMTPSenderRefused(550, b"not our domain", "syllabus@localhost"))
    assert delivery.send_deliveries([row.pk]) == {DeliveryStatus.PENDING: 1}
    row.refresh_from_db()
    assert row.not_before == NOW + delivery.RETRY_DELAYS[0]
    assert "550 not our domain" in row.last_error


def test_a_backend_that_sends_nothing_is_a_temporary_failure(
    world: World, sample_type: NotificationType, monkeypatch: pytest.MonkeyPatch, smtp: Smtp, moved_clock: Clock
) -> None:
    row = _pending_delivery(world.learner.user)
    monkeypatch.setattr("tests.notifications.mail_backends.ScriptedBackend.send_messages", lambda self, messages: 0)
    with pytest.raises(TemporaryFailure):
        EmailChannel().send([row])


def test_people_without_an_address_cannot_be_emailed(
    world: World, sample_type: NotificationType, send: Send, smtp: Smtp
) -> None:
    User.objects.filter(pk=world.learner.user.pk).update(email="")
    assert not EmailChannel().is_available_for(User.objects.get(pk=world.learner.user.pk))
    (notification,) = send(sample_notice(world.learner.user))
    assert notification.in_app and not Delivery.objects.exists()
