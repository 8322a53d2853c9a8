"""Delivering a course message by email, in the worker (one email per recipient, so nobody sees the others)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from syllabus.enrollment.models import CourseMessage

logger = logging.getLogger(__name__)


def deliver(message_id: int) -> int:
    """Send the message to each recipient; returns how many were handed to the mail server."""
    message = CourseMessage.objects.select_related("course", "sender").filter(pk=message_id).first()
    if message is None:
        return 0
    # A header may not span lines: a title edited to hold a line break must not stop every message of the course.
    course_title = " ".join(message.course.title.split())
    sender_name = message.sender.display_name if message.sender else ""
    emails = [
        EmailMessage(
            subject=f"[{course_title}] {message.subject}",
            body=f"{message.body}\n\n— {sender_name}, {course_title}",
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[email],
        )
        for email in message.recipients.filter(is_active=True).values_list("user__email", flat=True)
        if email
    ]
    with get_connection() as connection:
        sent = connection.send_messages(emails) or 0
    logger.info("course message %s sent to %s people", message_id, sent)
    return sent
