"""Background work of notifications: thin, idempotent wrappers (a delivery is claimed before it is sent)."""

from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True)
def send_deliveries(delivery_ids: list[int]) -> dict[str, int]:
    from syllabus.notifications import delivery

    return delivery.send_deliveries(delivery_ids)


@shared_task(ignore_result=True)
def sweep() -> dict[str, int]:
    from syllabus.notifications import delivery

    return delivery.sweep()


@shared_task(ignore_result=True)
def send_password_reset(*, user_id: int, reset_path: str) -> None:
    """Send a reset link by email; queued by the reset form's event, so the request never waits for it."""
    from syllabus.notifications import account_security

    account_security.password_reset_send(user_id=user_id, reset_path=reset_path)
