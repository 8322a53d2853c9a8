"""The email channel: a plain-text and an HTML body, in the recipient's language, sent by the worker.

The mail server's answer decides the outcome: a refused recipient (5xx) is a bounce and never retried; anything
else (connection refused, timeouts, 4xx) is temporary and retried by `delivery`. `EMAIL_TIMEOUT` bounds each exchange
with the server, so a hung connection fails (and is retried) before `delivery.STALE_CLAIM` hands the row to another
worker, which would send it a second time.

Every email is marked `Auto-Submitted: auto-generated` (RFC 3834) so out-of-office replies are not sent back, and
carries `List-Unsubscribe` pointing at the person's preferences. Replies go to the notification's `reply_to` (a
course message: its sender) when it has one; a digest mixes senders and has none.
"""

from __future__ import annotations

import logging
import smtplib
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from syllabus.accounts.models import User
from syllabus.notifications import rendering
from syllabus.notifications import types as registry
from syllabus.notifications.channels.base import Channel, PermanentFailure, TemporaryFailure
from syllabus.notifications.models import Delivery, Notification
from syllabus.notifications.types import EMAIL

logger = logging.getLogger(__name__)


def absolute(path: str) -> str:
    if not path:
        return ""
    if path.startswith(("http://", "https://")):
        return path
    return settings.SITE_URL.rstrip("/") + "/" + path.lstrip("/")


def _with_secrets(notification: Notification) -> tuple[str, str]:
    """The subject and body with the type's send-time placeholders (a reset link) filled in: never stored."""
    try:
        kind = registry.get(notification.type_key)
    except LookupError:
        return notification.subject, notification.body
    if kind.send_time_context is None:
        return notification.subject, notification.body
    values = kind.send_time_context(notification)
    return (
        rendering.fill_at_send(notification.subject, values),
        rendering.fill_at_send(notification.body, values),
    )


def _organization_name(notification: Notification) -> str:
    # Account-level notices (security) belong to no organisation.
    organization = notification.organization
    return organization.name if organization is not None else ""


def _message(deliveries: Sequence[Delivery]) -> EmailMultiAlternatives:
    notifications: list[Notification] = [delivery.notification for delivery in deliveries]
    filled = {notification.pk: _with_secrets(notification) for notification in notifications}
    recipient = notifications[0].recipient
    digest = len(deliveries) > 1 or deliveries[0].mode == "digest"
    preferences_url = absolute(reverse("notifications:preferences"))
    with translation.override(recipient.locale or "en"):
        if not digest:
            subject = filled[notifications[0].pk][0]
        else:
            subject = ngettext(
                "Your Syllabus digest: %(count)d notification",
                "Your Syllabus digest: %(count)d notifications",
                len(notifications),
            ) % {"count": len(notifications)}
        items = [
            {
                "subject": filled[notification.pk][0],
                "paragraphs": [part.strip() for part in filled[notification.pk][1].split("\n\n") if part.strip()],
                "body": filled[notification.pk][1],
                "url": absolute(notification.url),
                "organization": _organization_name(notification),
            }
            for notification in notifications
        ]
        context = {
            # Rendered without a request, so the i18n context processor's LANGUAGE_CODE is not there.
            "language": translation.get_language() or "en",
            "digest": digest,
            "items": items,
            "subject": subject,
            "preferences_url": preferences_url,
            "recipient_name": recipient.display_name or recipient.email,
            "platform": settings.SYLLABUS_PLATFORM_NAME,
        }
        text = render_to_string("notifications/email/message.txt", context)
        html = render_to_string("notifications/email/message.html", context)
    # A header may not span lines.
    subject = " ".join(subject.split())
    reply_to = notifications[0].reply_to if not digest else ""
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        reply_to=[reply_to] if reply_to else None,
        headers={
            "Auto-Submitted": "auto-generated",
            # Exchange and Outlook read their own header for this (MS-OXCMAIL); without it their out-of-office
            # replies could reach a course message's sender (Reply-To) for every notification.
            "X-Auto-Response-Suppress": "OOF, AutoReply",
            "List-Unsubscribe": f"<{preferences_url}>",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


class EmailChannel(Channel):
    key = EMAIL
    label = gettext_lazy("Email")
    supports_digest = True
    respects_quiet_hours = True
    uses_deliveries = True

    def is_available_for(self, user: User) -> bool:
        return bool(user.email)

    def __init__(self) -> None:
        self._local = threading.local()

    @contextmanager
    def session(self) -> Iterator[None]:
        """One mail-server connection for a worker batch: the TLS handshake and sign-in once, not per message."""
        connection = get_connection()
        connection.open()  # opened here, the backend keeps it open across send_messages() calls
        self._local.connection = connection
        self._local.used = False
        try:
            yield
        finally:
            self._local.connection = None
            try:
                connection.close()
            except Exception:  # a connection the server already dropped: nothing left to close
                logger.debug("closing the mail connection failed", exc_info=True)

    def send(self, deliveries: Sequence[Delivery]) -> None:
        message = _message(deliveries)
        shared = getattr(self._local, "connection", None)
        try:
            if shared is not None:
                try:
                    sent = shared.send_messages([message])
                except smtplib.SMTPServerDisconnected:
                    if not getattr(self._local, "used", False):
                        raise
                    # The server dropped a connection that worked for earlier messages (it closes idle or long
                    # sessions): one new connection, then carry on. A first message refused this way is retried.
                    shared.close()
                    shared.open()
                    sent = shared.send_messages([message])
                self._local.used = True
            else:
                with get_connection() as connection:
                    sent = connection.send_messages([message])
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _text in exc.recipients.values()]
            if codes and all(500 <= code < 600 for code in codes):
                raise PermanentFailure(_("The mail server refused the address: %s") % _answer(exc)) from exc
            raise TemporaryFailure(_answer(exc)) from exc
        except smtplib.SMTPSenderRefused as exc:
            # Our From address or our account is refused: not the person's fault, so not a bounce. Retried, and
            # failed in the log if it lasts, where the admin sees the server's answer.
            raise TemporaryFailure(_answer(exc)) from exc
        except smtplib.SMTPResponseException as exc:
            if 500 <= exc.smtp_code < 600 and exc.smtp_code not in (530, 535):  # 53x: our own authentication
                raise PermanentFailure(_("The mail server refused the message: %s") % _answer(exc)) from exc
            raise TemporaryFailure(_answer(exc)) from exc
        if not sent:
            raise TemporaryFailure(_("The mail backend sent nothing."))


def _answer(exc: smtplib.SMTPException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
            for code, text in exc.recipients.values()
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {text}"
    return str(exc)
