"""Background work of certificates: issuing after a completion, drawing PDFs, the nightly sweep and reminders.
Thin and idempotent: running any of them twice issues, draws and sends nothing the second time."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from celery import shared_task
from django.db import DatabaseError

logger = logging.getLogger(__name__)


# A transient database error (a failover, a lock timeout) retries with backoff; issuing is idempotent. What still
# fails is issued by the nightly catch-up (`daily`).
RETRY = {"autoretry_for": (DatabaseError,), "retry_backoff": True, "max_retries": 5}


@shared_task(**RETRY)
def issue_for_course_completion(completion_id: int) -> int | None:
    from syllabus.certificates.services.issuing import issue_for_course_completion as issue

    certificate = issue(completion_id)
    return certificate.pk if certificate else None


@shared_task(**RETRY)
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
    """Issue certificates that completion events missed, draw PDFs still pending, then remind holders of
    certificates about to expire (each reminder once)."""
    from syllabus.certificates import reminders, rendering
    from syllabus.certificates.models import Award
    from syllabus.certificates.services.awards import award_catch_up

    out: dict[str, Any] = {"caught_up": 0}
    for award in Award.objects.filter(enabled=True).select_related("template", "organization").order_by("pk"):
        # One award's failure (bad data, a bug) must not stop every other organisation's certificates.
        try:
            out["caught_up"] += award_catch_up(award=award)
        except Exception:
            logger.exception("Certificates: catching up award %s failed", award.pk)
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
