"""Background jobs of account security."""

from __future__ import annotations

from celery import shared_task
from django.core.mail import EmailMessage


# The password reset email leaves the request on a worker: sending inline would make "we know this address"
# measurably slower than "we don't", which the reset form must never reveal.
@shared_task(name="syllabus.accounts.security.tasks.send_email", ignore_result=True)
def send_email(*, subject: str, body: str, to: str, from_email: str | None = None) -> None:
    EmailMessage(subject=subject, body=body, from_email=from_email, to=[to]).send()
