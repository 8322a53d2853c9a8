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
