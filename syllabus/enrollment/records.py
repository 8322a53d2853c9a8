"""What the catalog asks before deleting a course: does anyone have an enrollment in it?"""

from __future__ import annotations

from syllabus.enrollment.models import Enrollment


def has_enrollments(course_id: int) -> bool:
    return Enrollment.objects.filter(course_id=course_id).exists()
