"""Background jobs of account security."""

from __future__ import annotations

from celery import shared_task


# Queued by the reset form for any address, known or not: the request does the same work either way, and the
# lookup happens here, where its time reveals nothing.
@shared_task(name="syllabus.accounts.security.tasks.request_password_reset", ignore_result=True)
def request_password_reset(*, email: str) -> int:
    from syllabus.accounts.security import passwords

    return passwords.password_reset_requested(email=email)
