"""Background work of certificates: issuing after a completion, drawing PDFs, the nightly sweep and reminders.
Thin and idempotent: running any of them twice issues, draws and sends nothing the second time."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task
def issue_for_course_completion(completion_id: int) -> int | None:
    from syllabus.certificates.services.issuing import issue_for_course_completion as issue

    certificate = issue(completion_id)
    return certificate.pk if certificate else None


@shared_task
def issue_for_program_cycle(
    *,
    assignment_id: int,
    program_id: int,
    membership_id: int,
    cycle: int,
    completed_on: str,
    expires_on: str | None,
    completion_id: int | None,
) -> int | None:
    from syllabus.certificates.services.issuing import issue_for_program_cycle as issue

    certificate = issue(
        assignment_id=assignment_id,
        program_id=program_id,
        membership_id=membership_id,
        cycle=cycle,
        completed_on=dt.date.fromisoformat(completed_on),
        expires_on=dt.date.fromisoformat(expires_on) if expires_on else None,
        completion_id=completion_id,
    )
    return certificate.pk if certificate else None


@shared_task
def render_certificate(certificate_id: int) -> str:
    """Draw one certificate's PDF (skipped when it is drawn already). Returns its render state."""
    from syllabus.certificates import rendering

    return rendering.render_and_store(certificate_id)


@shared_task
def daily() -> dict[str, Any]:
    """Draw PDFs still pending, then remind holders of certificates about to expire (each reminder once)."""
    from syllabus.certificates import reminders, rendering

    out: dict[str, Any] = {}
    try:
        out["rendered"] = rendering.render_pending()
    except Exception:
        logger.exception("Certificates: drawing pending PDFs failed")
        out["rendered"] = {"error": 1}
    try:
        out["reminders"] = reminders.send_due()
    except Exception:
        logger.exception("Certificates: expiry reminders failed")
        out["reminders"] = {"error": 1}
    return out
