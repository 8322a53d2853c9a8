"""The email channel: what the message holds (plain and HTML), hostile values in it, and how server answers count."""

from __future__ import annotations

import os
import smtplib
import subprocess
import sys
from email import message_from_bytes
from pathlib import Path
from typing import Any, ClassVar
from unittest import mock

import pytest
from django.core import mail
from django.core.mail import EmailMessage

from syllabus.accounts.models import User
from syllabus.notifications import delivery, services
from syllabus.notifications.channels.base import PermanentFailure, TemporaryFailure
from syllabus.notifications.channels.email.channel import EmailChannel, absolute
from syllabus.notifications.models import Delivery, DeliveryMode, DeliveryStatus
from syllabus.notifications.services import PreferenceChange
from syllabus.notifications.types import EMAIL, NotificationType
from tests.conftest import World
from tests.factories import UserFactory
from tests.notifications.conftest import NOW, SAMPLE, SAMPLE_CONTEXT, Clock, Send, Smtp, sample_notice
from tests.notifications.mail_backends import ScriptedBackend

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
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
    # The greeting is the channel's, the rest is the notification's body (the sample type greets too).
    assert message.body == (
        "Hello Lena Learner,\n"
        "\n"
        "Hello Lena,\n"
        "\n"
        "Fire safety starts at March 14, 2026, 4:30 p.m. (UTC).\n"
        "\n"
        "Open in Syllabus: https://learn.example.test/courses/12/\n"
        "\n"
        "-- \n"
        "Sent by Syllabus.\n"
        "Choose which notifications you get, and how: https://learn.example.test/notifications/preferences/\n"
    )
    html = html_of(message)
    assert '<html lang="en">' in html
    assert '<p style="margin:0 0 12px">Hello Lena Learner,</p>' in html
    assert '<p style="margin:0 0 12px">Hello Lena,</p>' in html
    assert 'href="https://learn.example.test/courses/12/"' in html


def test_the_signature_is_set_apart_so_mail_programs_can_fold_it(
    world: World, sample_type: NotificationType, send: Send, smtp: Smtp
) -> None:
    send(sample_notice(world.learner.user, url=""))
    (message,) = smtp.outbox
    body, signature = message.body.split("\n-- \n")
    assert "Open in Syllabus" not in body, "a notification without a link gets no link line"
    assert signature.startswith("Sent by Syllabus.\n")


def test_a_person_in_two_organisations_is_told_which_one_is_speaking(
    world: World, sample_type: NotificationType, send: Send, smtp: Smtp
) -> None:
    send(sample_notice(world.learner.user, organization_id=world.org.pk))
    (message,) = smtp.outbox
    assert message.body.startswith("Hello Lena Learner,\n")
    assert "\n-- \nSent by Acme Health through Syllabus.\n" in message.body
    assert "Sent by Acme Health through Syllabus." in html_of(message)


def test_the_organisation_name_is_escaped_in_html(
    world: World, sample_type: NotificationType, send: Send, smtp: Smtp
) -> None:
    world.org.name = "<i>Acme</i> & Co"
    world.org.save(update_fields=["name"])
    send(sample_notice(world.learner.user, organization_id=world.org.pk))
    (message,) = smtp.outbox
    assert "Sent by <i>Acme</i> & Co through Syllabus." in message.body
    html = html_of(message)
    assert "<i>" not in html and "Sent by &lt;i&gt;Acme&lt;/i&gt; &amp; Co through Syllabus." in html


# --- headers -------------------------------------------------------------------------------------------------


def test_replies_go_to_the_sender_the_notification_names(
    world: World, sample_type: NotificationType, send: Send, smtp: Smtp
) -> None:
    send(sample_notice(world.learner.user, reply_to=world.instructor.user.email))
    (message,) = smtp.outbox
    assert message.reply_to == [world.instructor.user.email]
    assert message_from_bytes(message.message().as_bytes())["Reply-To"] == world.instructor.user.email


def test_without_a_reply_address_the_email_has_no_reply_to(
    world: World, sample_type: NotificationType, send: Send, smtp: Smtp
) -> None:
    send(sample_notice(world.learner.user))
    (message,) = smtp.outbox
    assert message.reply_to == []
    assert message_from_bytes(message.message().as_bytes())["Reply-To"] is None


def test_every_email_says_it_is_automatic_and_where_to_unsubscribe(
    world: World, sample_type: NotificationType, send: Send, smtp: Smtp, settings: Any
) -> None:
    settings.SITE_URL = "https://learn.example.test"
    send(sample_notice(world.learner.user, reply_to=world.instructor.user.email))
    (message,) = smtp.outbox
    parsed = message_from_bytes(message.message().as_bytes())
    # RFC 3834: out-of-office replies must not answer it (and so not land on the course message's sender).
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["X-Auto-Response-Suppress"] == "OOF, AutoReply"
    assert parsed["List-Unsubscribe"] == "<https://learn.example.test/notifications/preferences/>"


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
    assert message.body.startswith("Hello <b>Lena</b>,\n\nHere is what happened since your last digest.\n")
    assert "— Fire Bcc: x@evil.test starts soon\n" in message.body and "— Fire safety starts soon\n" in message.body
    assert message.body.count("Open in Syllabus: http") == 2 and message.body.count("/courses/13/") == 1
    assert "\n-- \nSent by Syllabus.\n" in message.body
    html = html_of(message)
    assert '<h2 style="font-size:18px;margin:24px 0 4px">Fire safety starts soon</h2>' in html
    assert "Hello &lt;b&gt;Lena&lt;/b&gt;," in html and "<script>" not in html


def test_a_digest_names_the_organisation_of_each_notification_and_has_no_reply_to(
    world: World, sample_type: NotificationType, send: Send, smtp: Smtp, moved_clock: Clock
) -> None:
    user = world.learner.user
    services.preferences_update(
        user=user, organization=None, changes=[PreferenceChange(SAMPLE, EMAIL, True, DeliveryMode.DIGEST)]
    )
    send(
        sample_notice(user, dedupe_key="a", organization_id=world.org.pk, reply_to=world.instructor.user.email),
        sample_notice(user, dedupe_key="b", context={**SAMPLE_CONTEXT, "course_title": "Account check"}),
    )
    moved_clock.to(Delivery.objects.first().not_before)  # type: ignore[union-attr]
    delivery.sweep()
    (message,) = smtp.outbox
    assert "— Fire safety starts soon (Acme Health)\n" in message.body
    assert "— Account check starts soon\n" in message.body, "an account-level notice names no organisation"
    # Each organisation is named by its item; the signature speaks for none of them.
    assert "\n-- \nSent by Syllabus.\n" in message.body
    assert '<p style="margin:0 0 8px;font-size:13px;color:#4a5160">Acme Health</p>' in html_of(message)
    # A digest mixes senders: a reply would reach one of them about the others' messages.
    parsed = message_from_bytes(message.message().as_bytes())
    assert message.reply_to == [] and parsed["Reply-To"] is None
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["List-Unsubscribe"] == f"<{absolute('/notifications/preferences/')}>"


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


class RecordingSMTP:
    """Stands in for smtplib.SMTP: records how Django's SMTP backend opened the connection, then refuses it."""

    opened: ClassVar[list[dict[str, Any]]] = []

    def __init__(self, host: str, port: int, **kwargs: Any) -> None:
        RecordingSMTP.opened.append({"host": host, "port": port, **kwargs})
        raise ConnectionRefusedError("no mail server in tests")


def test_a_hung_mail_server_is_given_up_on_after_the_email_timeout(
    world: World, sample_type: NotificationType, monkeypatch: pytest.MonkeyPatch, settings: Any, moved_clock: Clock
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_TIMEOUT = 7
    monkeypatch.setattr(RecordingSMTP, "opened", [])
    monkeypatch.setattr("django.core.mail.backends.smtp.smtplib.SMTP", RecordingSMTP)
    row = _pending_delivery(world.learner.user)
    with pytest.raises(ConnectionRefusedError):
        EmailChannel().send([row])
    assert [opened["timeout"] for opened in RecordingSMTP.opened] == [7]


def _settings_in_a_fresh_interpreter(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {"PATH": os.environ.get("PATH", ""), "SYLLABUS_VAR_DIR": str(tmp_path / "var"), **env}
    return subprocess.run(
        [sys.executable, "-c", "from syllabus import settings; print(settings.EMAIL_TIMEOUT)"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(("env", "seconds"), [({}, "30"), ({"EMAIL_TIMEOUT": "12"}, "12")], ids=["default", "set"])
def test_the_email_timeout_comes_from_the_environment(tmp_path: Path, env: dict[str, str], seconds: str) -> None:
    result = _settings_in_a_fresh_interpreter(tmp_path, **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == seconds


@pytest.mark.parametrize(
    ("value", "message"),
    [("0", "EMAIL_TIMEOUT: must be at least 1, got 0"), ("600", "EMAIL_TIMEOUT: must be at most 60, got 600")],
    ids=["none", "longer-than-a-claim-allows"],
)
def test_an_email_timeout_that_could_outlive_the_delivery_claim_stops_start_up(
    tmp_path: Path, value: str, message: str
) -> None:
    result = _settings_in_a_fresh_interpreter(tmp_path, EMAIL_TIMEOUT=value)
    assert result.returncode != 0 and message in result.stderr


def test_people_without_an_address_cannot_be_emailed(
    world: World, sample_type: NotificationType, send: Send, smtp: Smtp
) -> None:
    User.objects.filter(pk=world.learner.user.pk).update(email="")
    assert not EmailChannel().is_available_for(User.objects.get(pk=world.learner.user.pk))
    (notification,) = send(sample_notice(world.learner.user))
    assert notification.in_app and not Delivery.objects.exists()


def test_one_worker_batch_uses_one_mail_connection_and_reconnects_once_if_dropped(
    world: World, sample_type: NotificationType, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "tests.notifications.mail_backends.ScriptedBackend"
    ScriptedBackend.reset()
    opened: list[int] = []
    monkeypatch.setattr(ScriptedBackend, "open", lambda self: opened.append(1) or True)
    people = [UserFactory() for _ in range(3)]
    with mock.patch.object(services, "_queue", lambda ids: None):
        services.notify_many([sample_notice(person, dedupe_key="batch") for person in people])
    ids = list(Delivery.objects.values_list("pk", flat=True))
    # The second message finds the connection dropped (a server closing long sessions): one reconnect, no retry.
    real_send = ScriptedBackend.send_messages
    drops = [smtplib.SMTPServerDisconnected("idle")]

    def send(self: ScriptedBackend, messages: Any) -> int:
        if ScriptedBackend.calls == 1 and drops:
            ScriptedBackend.calls += 1
            raise drops.pop()
        return real_send(self, messages)

    monkeypatch.setattr(ScriptedBackend, "send_messages", send)
    assert delivery.send_deliveries(ids) == {"sent": 3}
    assert len(opened) == 2  # the batch's connection, and the one reconnect
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)
    ScriptedBackend.reset()
