"""Who may do what with a course's gradebook. Asked by services, views, the API and tasks — nowhere else.

- The course team (`course.teach`, which instructors hold through the course's team or org-wide) sees the whole
  gradebook and grades: manual entries, overrides, hiding and releasing grades, import and export.
- Setting the gradebook up (categories, weights, manual items, display, pass mark) changes every total: it needs
  `course.edit`, like editing the course.
- An organisation's letter scales are shared by all its courses: `org.manage`.
- A learner of the course (a live enrollment in a learning state) sees their own released grades.
Another organisation's course is never reachable: `Principal.can` refuses objects of another tenant.
"""

from __future__ import annotations

from syllabus.access.policy import Principal
from syllabus.catalog.models import Course


def can_view(principal: Principal, course: Course) -> bool:
    return principal.can("course.teach", course)


def can_grade(principal: Principal, course: Course) -> bool:
    return principal.can("course.teach", course)


def can_setup(principal: Principal, course: Course) -> bool:
    return principal.can("course.edit", course)


def can_manage_scales(principal: Principal) -> bool:
    return principal.holds_org_wide("org.manage")


def can_see_own(principal: Principal, course: Course) -> bool:
    """A learner of the course: a live enrollment that lets them learn (active or completed)."""
    from syllabus.enrollment.models import LEARNING_STATES, Enrollment

    if principal.membership is None or course.organization_id != getattr(principal.organization, "pk", None):
        return False
    return Enrollment.objects.filter(
        membership=principal.membership, course=course, status__in=LEARNING_STATES
    ).exists()
