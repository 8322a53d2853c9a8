"""Background jobs of the audit trail."""

from __future__ import annotations

from celery import shared_task

from syllabus.audit import services


# Beat runs this hourly (settings.CELERY_BEAT_SCHEDULE["audit-anchor"]). Idempotent: a chain with no record
# since its last anchor gets no new one.
@shared_task(name="syllabus.audit.tasks.anchor_chains", ignore_result=True)
def anchor_chains() -> int:
    return len(services.audit_anchor_all())
