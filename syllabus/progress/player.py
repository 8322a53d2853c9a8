"""The progress app's answer to the catalog player's hook: the learner's state per activity and the progress bar."""

from __future__ import annotations

from django.urls import reverse

from syllabus.access.policy import Principal
from syllabus.catalog.learning import PlayerState
from syllabus.catalog.models import Course
from syllabus.enrollment.models import LEARNING_STATES, Enrollment
from syllabus.progress import services
from syllabus.progress.models import ActivityProgress

HEARTBEAT_SCRIPT = "progress/heartbeat.js"


def learning_enrollment(principal: Principal, course: Course) -> Enrollment | None:
    """The person's active or completed enrollment in the course (one query), or None."""
    if not principal.is_member:
        return None
    return (
        Enrollment.objects.filter(membership=principal.membership, course_id=course.pk, status__in=LEARNING_STATES)
        .only(
            "pk",
            "status",
            "progress_percent",
            "version_id",
            "organization_id",
            "membership_id",
            "course_id",
            "last_activity_uid",
            "time_spent_seconds",
        )
        .first()
    )


def activity_states(enrollment: Enrollment) -> dict[str, str]:
    """activity uid -> state, for every activity the learner has touched (one query)."""
    return {
        str(uid): state
        for uid, state in ActivityProgress.objects.filter(enrollment=enrollment).values_list("activity_uid", "state")
    }


def player_state(principal: Principal, course: Course, version_id: int, activity_uid: str) -> PlayerState | None:
    """Two queries: the enrollment, and its activity rows. None for people who are not enrolled (the team)."""
    enrollment = learning_enrollment(principal, course)
    if enrollment is None:
        return None
    return PlayerState(
        states=activity_states(enrollment),
        percent=enrollment.progress_percent,
        completed=enrollment.status == "completed",
        heartbeat_url=reverse("progress:heartbeat", args=[course.pk]),
        heartbeat_seconds=services.HEARTBEAT_SECONDS,
        scripts=(HEARTBEAT_SCRIPT,),
        last_activity_uid=str(enrollment.last_activity_uid or ""),
    )
