"""Finding an activity of assessment's kinds (quiz, assignment) as one person may use it: the course, the version
they learn, and the activity's snapshot in it — one rule for every kind, so that nothing tells an outsider why
they found nothing."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from syllabus.access.policy import Principal
from syllabus.catalog import course_access, learning, versions
from syllabus.catalog.models import Course, CourseVersion


def activity_for(
    principal: Principal, organization: Any, course_id: int, uid: Any, *, kind: str, preview: bool = False
) -> tuple[Any, Any, dict[str, Any]]:
    """(course, version, activity) of the activity `uid` of kind `kind` in the course, as this person learns it
    (the version they learn; None with `preview`, the team's draft as `can_see_draft` allows), or Http404 whatever
    the reason: another organisation's course, not learnable, no such activity, another kind."""
    course = (
        Course.objects.select_related("organization", "published_version")
        .defer("published_version__snapshot")
        .filter(organization=organization, pk=course_id)
        .first()
    )
    if course is None:
        raise Http404
    version = None
    activity: dict[str, Any] | None
    if preview:
        if not course_access.can_see_draft(principal, course):
            raise Http404
        activity = versions.find_activity(versions.build_snapshot(course), str(uid))
    else:
        version_id = course_access.learning_version_id(principal, course)
        if version_id is None:
            raise Http404
        if course.published_version is not None and course.published_version.pk == version_id:
            version = course.published_version
        else:
            version = CourseVersion.objects.filter(pk=version_id, course=course).defer("snapshot").first()
        if version is None:
            raise Http404
        activity = learning.version_activity(version, learning.version_outline(version), str(uid))
    if activity is None or activity.get("kind") != kind:
        raise Http404
    return course, version, activity
