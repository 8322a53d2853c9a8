"""Learners open a course's activities only once enrolled (issue #5): the catalog tests enroll them this way."""

from __future__ import annotations

from typing import Any

from syllabus.accounts.models import Membership
from syllabus.enrollment import services as enrollment_services
from syllabus.enrollment.models import Enrollment


def enroll(course: Any, *people: Membership) -> list[Enrollment]:
    """Each person enrolls themselves in the course's current version, as from the course page."""
    course.refresh_from_db()
    return [enrollment_services.enrollment_self(course=course, by=person.user) for person in people]
