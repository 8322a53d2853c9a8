"""The enrollment app's answer to the catalog's learner hooks (catalog.learning): which version a person learns."""

from __future__ import annotations

from syllabus.access.policy import Principal
from syllabus.catalog.models import Course
from syllabus.enrollment.models import LEARNING_STATES, Enrollment

_CACHE_ATTR = "_enrolled_versions"


def enrolled_version(principal: Principal, course: Course) -> int | None:
    """The version id of the person's active or completed enrollment (cached on the principal, one request)."""
    if not principal.is_member or course.pk is None:
        return None
    cache: dict[int, int | None] = principal.__dict__.setdefault(_CACHE_ATTR, {})
    if course.pk not in cache:
        row = (
            Enrollment.objects.filter(membership=principal.membership, course_id=course.pk, status__in=LEARNING_STATES)
            .values_list("pk", "version_id")
            .first()
        )
        # An enrollment without a recorded version learns the current one.
        cache[course.pk] = None if row is None else (row[1] or course.published_version_id)
    return cache[course.pk]


def forget(principal: Principal) -> None:
    principal.__dict__.pop(_CACHE_ATTR, None)
