"""Delivering a course message, in the worker, through the notifications app: each recipient gets their own
notification (in the notification centre and by email, as they chose), so nobody sees the others. A reply to the
email goes to the person who wrote (Reply-To), not to an address nobody reads."""

from __future__ import annotations

import logging

from django.urls import reverse

from syllabus.enrollment.models import CourseMessage
from syllabus.enrollment.notifying import BATCH, COURSE_MESSAGE
from syllabus.notifications import services as notifications

logger = logging.getLogger(__name__)


def deliver(message_id: int) -> int:
    """Notify each active recipient once (dedupe: delivering again sends nothing); returns how many were told."""
    message = CourseMessage.objects.select_related("course", "sender", "organization").filter(pk=message_id).first()
    if message is None:
        return 0
    context = {
        "course": message.course.title,
        "sender": message.sender.display_name if message.sender else message.organization.name,
        "message_subject": message.subject,
        "message_body": message.body,
    }
    url = reverse("catalog:course", args=[message.course_id])
    # A sender whose account was closed reads no replies.
    reply_to = message.sender.email if message.sender is not None and message.sender.is_active else ""
    user_ids = sorted(set(message.recipients.filter(is_active=True).values_list("user_id", flat=True)))
    sent = 0
    for start in range(0, len(user_ids), BATCH):
        sent += len(
            notifications.notify_many(
                [
                    notifications.Notice(
                        recipient_id=user_id,
                        type=COURSE_MESSAGE,
                        dedupe_key=f"course-message:{message.pk}",
                        context=context,
                        organization_id=message.organization_id,
                        url=url,
                        reply_to=reply_to,
                    )
                    for user_id in user_ids[start : start + BATCH]
                ]
            )
        )
    logger.info("course message %s sent to %s people", message_id, sent)
    return sent
