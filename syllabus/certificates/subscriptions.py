"""How certificates follow other apps: a course completion or a satisfied program cycle may earn one."""

from __future__ import annotations

import logging

from kombu.exceptions import OperationalError

from syllabus.compliance import events as compliance_events
from syllabus.core.events import batch_memo, subscribe
from syllabus.progress import events as progress_events

logger = logging.getLogger(__name__)


def on_course_completed(event: progress_events.CourseCompleted) -> None:
    from syllabus.certificates.models import Award
    from syllabus.certificates.tasks import issue_for_course_completion

    if not Award.objects.filter(course_id=event.course_id, enabled=True).exists():
        return
    try:
        issue_for_course_completion.delay(event.completion_id)
    except OperationalError:
        # The completion is committed; the nightly catch-up (tasks.daily) issues it. Never fail the learner's request.
        logger.exception("Could not queue the certificate of completion %s", event.completion_id)


def on_program_completed(event: compliance_events.ProgramCompleted) -> None:
    from syllabus.certificates.models import Award
    from syllabus.certificates.tasks import issue_for_program_cycle

    # A run completing thousands of assignments of one program dispatches them as one batch: ask once per batch.
    memo = batch_memo()
    key = ("certificates.program_award", event.program_id)
    if memo is not None and key in memo:
        awarded = memo[key]
    else:
        awarded = Award.objects.filter(program_id=event.program_id, enabled=True).exists()
        if memo is not None:
            memo[key] = awarded
    if not awarded:
        return
    try:
        issue_for_program_cycle.delay(
            assignment_id=event.assignment_id,
            program_id=event.program_id,
            membership_id=event.membership_id,
            cycle=event.cycle,
            completed_on=event.completed_on.isoformat(),
            expires_on=event.expires_on.isoformat() if event.expires_on else None,
            completion_id=event.completion_id,
        )
    except OperationalError:
        logger.exception("Could not queue the certificate of assignment %s", event.assignment_id)


def connect() -> None:
    subscribe(progress_events.CourseCompleted, on_course_completed)
    subscribe(compliance_events.ProgramCompleted, on_program_completed)
