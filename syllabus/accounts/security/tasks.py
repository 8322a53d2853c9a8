"""Background jobs of account security."""

from __future__ import annotations

from celery import shared_task
from django.core.mail import EmailMessage


# The password reset email is now a notification (notifications/account_security.py) and nothing here queues this
# task any more. It stays registered for one release: reset emails queued by web processes still running the
# previous release are then sent by the new workers instead of being dropped as an unknown task.
@shared_task(name="syllabus.accounts.security.tasks.send_email", ignore_result=True)
def send_email(*, subject: str, body: str, to: str, from_email: str | None = None) -> None:
    EmailMessage(subject=subject, body=body, from_email=from_email, to=[to]).send()
