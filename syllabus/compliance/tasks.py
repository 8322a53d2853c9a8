"""Background work of compliance: evaluations (after a change, after a completion, nightly) and reminders.
Thin and idempotent: running any of them twice changes and sends nothing the second time."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task
def evaluate_program(program_id: int, full: bool = False, membership_ids: list[int] | None = None) -> dict[str, int]:
    from syllabus.compliance import evaluation
    from syllabus.compliance.models import Program

    program = Program.objects.filter(pk=program_id).first()
    if program is None:
        return {}
    result = evaluation.evaluate_program(program, membership_ids=membership_ids, full=full)
    if result.assigned:
        from syllabus.compliance import reminders

        # The "assigned" notice goes out now, not at the next nightly run (nothing is ever sent twice).
        reminders.send_for_program(program)
    return result.as_dict()


@shared_task
def evaluate_person(membership_id: int, program_ids: list[int]) -> None:
    from syllabus.compliance import evaluation
    from syllabus.compliance.models import Program

    for program in Program.objects.filter(pk__in=program_ids):
        evaluation.evaluate_program(program, membership_ids=[membership_id])


@shared_task
def daily() -> dict[str, Any]:
    """Every active program: scope, statuses that turn over today, then the day's reminders and escalations."""
    from syllabus.compliance import evaluation, reminders
    from syllabus.compliance.models import Program, ProgramStatus

    out: dict[str, Any] = {}
    for program in Program.objects.filter(status=ProgramStatus.ACTIVE).select_related("organization"):
        # One program's failure (bad data, a bug) must not stop every other organisation's run.
        try:
            out[str(program.pk)] = evaluation.evaluate_program(program).as_dict()
            out[f"{program.pk}:reminders"] = reminders.send_for_program(program)
        except Exception:
            logger.exception("Compliance nightly run failed for program %s", program.pk)
            out[str(program.pk)] = {"error": 1}
    return out
