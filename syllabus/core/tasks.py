"""Background jobs of the shared kernel."""

from __future__ import annotations

from celery import shared_task

from syllabus.core import services


# Beat runs this every minute (settings.CELERY_BEAT_SCHEDULE): a recent row proves that beat schedules, the broker
# delivers and a worker executes with database access — the whole background pipeline, end to end.
@shared_task(name="syllabus.core.tasks.heartbeat", ignore_result=True)
def heartbeat() -> str:
    return services.heartbeat_record().last_seen.isoformat()
