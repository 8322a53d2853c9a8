"""What the catalog holds about one person, for the privacy registry (core.privacy): export and erasure (GDPR).

A person's roles on course teams and the review comments they wrote are theirs and are exported. Erasure removes
them from course teams (a course keeps its other owners; one left with none is still managed by org admins) and
keeps their review comments — the review history of a published version is an editorial record — with the author
unlinked. Who published or submitted a version stays in the audit trail, which pseudonymises on its own.
"""

from __future__ import annotations

from typing import Any

from syllabus.accounts.models import Organization, User
from syllabus.catalog.models import CourseStaff, ReviewComment


def export_person(user: User, organization: Organization | None) -> dict[str, Any]:
    roles = CourseStaff.objects.filter(membership__user=user).select_related("course__organization")
    comments = ReviewComment.objects.filter(author=user).select_related("review__course__organization")
    if organization is not None:
        roles = roles.filter(course__organization=organization)
        comments = comments.filter(review__course__organization=organization)
    return {
        "course_roles": [
            {"organization": r.course.organization.name, "course": r.course.title, "role": r.role}
            for r in roles.order_by("course__title")
        ],
        "review_comments": [
            {
                "organization": c.review.course.organization.name,
                "course": c.review.course.title,
                "written_at": c.created_at.isoformat(),
                "comment": c.body,
            }
            for c in comments.order_by("created_at")
        ],
    }


def erase_person(user: User, by: Any) -> None:
    CourseStaff.objects.filter(membership__user=user).delete()
    ReviewComment.objects.filter(author=user).update(author=None)
