"""How compliance follows other apps: completions (a cycle may be satisfied) and audiences (who is in scope)."""

from __future__ import annotations

import logging

from kombu.exceptions import OperationalError

from syllabus.audiences import events as audience_events
from syllabus.core.events import subscribe
from syllabus.progress import events as progress_events

logger = logging.getLogger(__name__)


def on_course_completed(event: progress_events.CourseCompleted) -> None:
    from syllabus.compliance.models import Program, ProgramStatus
    from syllabus.compliance.tasks import evaluate_person

    program_ids = list(
        Program.objects.filter(
            organization_id=event.organization_id,
            status=ProgramStatus.ACTIVE,
            program_courses__course_id=event.course_id,
        ).values_list("pk", flat=True)
    )
    if not program_ids:
        return
    try:
        evaluate_person.delay(event.membership_id, program_ids)
    except OperationalError:
        # The completion is committed; the nightly run picks it up. Never fail the learner's request.
        logger.exception("Could not queue compliance evaluation for membership %s", event.membership_id)


def on_audience_recomputed(event: audience_events.AudienceRecomputed) -> None:
    from syllabus.compliance.models import Program, ProgramStatus
    from syllabus.compliance.tasks import evaluate_program

    people = sorted({*event.joined, *event.left})
    for program_id in Program.objects.filter(audience_id=event.audience_id, status=ProgramStatus.ACTIVE).values_list(
        "pk", flat=True
    ):
        try:
            evaluate_program.delay(program_id, membership_ids=people)
        except OperationalError:
            logger.exception("Could not queue compliance evaluation for program %s", program_id)


def connect() -> None:
    subscribe(progress_events.CourseCompleted, on_course_completed)
    subscribe(audience_events.AudienceRecomputed, on_audience_recomputed)
