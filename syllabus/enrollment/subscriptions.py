"""How enrollment follows other apps: audiences (rules), course versions and the catalog's learner side."""

from __future__ import annotations

import logging

from kombu.exceptions import OperationalError

from syllabus.audiences import events as audience_events
from syllabus.catalog import events as catalog_events
from syllabus.core.events import subscribe

logger = logging.getLogger(__name__)


def on_audience_recomputed(event: audience_events.AudienceRecomputed) -> None:
    from syllabus.enrollment.models import EnrollmentRule
    from syllabus.enrollment.tasks import audience_changed

    if not EnrollmentRule.objects.filter(audience_id=event.audience_id, is_active=True).exists():
        return
    try:
        audience_changed.delay(event.audience_id, list(event.joined), list(event.left))
    except OperationalError:
        # The audience change is committed; the nightly rule run catches up. Never fail the recompute.
        logger.exception("Could not queue enrollment rules for audience %s", event.audience_id)


def on_course_published(event: catalog_events.CoursePublished) -> None:
    from syllabus.enrollment import services

    if event.change == "minor":
        services.follow_minor_version(course_id=event.course_id, version_id=event.version_id, major=event.major)


def connect() -> None:
    subscribe(audience_events.AudienceRecomputed, on_audience_recomputed)
    subscribe(catalog_events.CoursePublished, on_course_published)
