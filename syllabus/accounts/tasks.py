"""Background jobs of accounts: the HR import's dry run and apply step (thin wrappers over hr_import.services).

Both are idempotent: each claims its job with a conditional UPDATE, so a task delivered twice (acks_late, a worker
restart) works once, and a job in any other state is left alone.
"""

from __future__ import annotations

from celery import shared_task

from syllabus.accounts.housekeeping import stale_records_prune
from syllabus.accounts.hr_import import services


@shared_task(name="syllabus.accounts.tasks.hr_import_validate", ignore_result=True)
def hr_import_validate(job_id: int) -> str | None:
    job = services.import_job_run_validation(job_id=job_id)
    return job.status if job is not None else None


@shared_task(name="syllabus.accounts.tasks.hr_import_apply", ignore_result=True)
def hr_import_apply(job_id: int) -> str | None:
    job = services.import_job_run_apply(job_id=job_id)
    return job.status if job is not None else None


@shared_task(name="syllabus.accounts.tasks.prune_stale_records", ignore_result=True)
def prune_stale_records() -> dict[str, int]:
    return stale_records_prune()
