"""Reads for the authoring area, the review queue and versions (the learners' catalog: selectors_browse.py).

Every function takes the already-resolved organisation and principal, returns querysets with what the pages need
joined or prefetched, and keeps a constant query count.
"""

from __future__ import annotations

from django.db.models import Count, F, OuterRef, Q, QuerySet

from syllabus.access.policy import Principal
from syllabus.accounts.models import Organization
from syllabus.catalog import course_access
from syllabus.catalog.models import Course, CourseStaff, CourseVersion, ReviewRequest

# Authoring list states (a course is in exactly one).
STATE_DRAFT = "draft"  # never published
STATE_IN_REVIEW = "in_review"
STATE_PUBLISHED = "published"
STATE_ARCHIVED = "archived"
STATES = (STATE_DRAFT, STATE_IN_REVIEW, STATE_PUBLISHED, STATE_ARCHIVED)


def course_get_for_staff(*, principal: Principal, organization: Organization, pk: int) -> Course | None:
    """The course if this person may open its draft (team, reviewers, course.view_all); None otherwise (404)."""
    course = (
        Course.objects.filter(organization=organization, pk=pk)
        .select_related("organization", "category", "cover", "audience", "published_version")
        .first()
    )
    if course is None or not course_access.can_see_draft(principal, course):
        return None
    return course


def course_get_for_learner(*, principal: Principal, organization: Organization, pk: int) -> Course | None:
    """The course if this person may open its published version; None otherwise (404)."""
    course = (
        Course.objects.filter(organization=organization, pk=pk)
        .select_related("organization", "published_version")
        .first()
    )
    if course is None or not course_access.can_learn(principal, course):
        return None
    return course


def courses_for_staff(
    *, principal: Principal, organization: Organization, q: str = "", state: str = ""
) -> QuerySet[Course]:
    """The courses this person works on, with `has_unpublished_changes`, `my_role` and `activity_count`."""
    qs = (
        Course.objects.filter(organization=organization)
        .filter(course_access.staff_courses_q(principal))
        .select_related("category", "published_version")
        # Lists never need the published snapshot (large JSON).
        .defer("published_version__snapshot")
        .annotate(
            activity_count=Count("activities", distinct=True),
            has_unpublished_changes=Q(published_version__isnull=True)
            | ~Q(published_version__source_revision=F("draft_revision")),
        )
    )
    if principal.membership is not None:
        qs = qs.annotate(
            my_role=CourseStaff.objects.filter(course=OuterRef("pk"), membership=principal.membership).values("role")[
                :1
            ]
        )
    if q.strip():
        qs = qs.filter(Q(title__icontains=q.strip()) | Q(summary__icontains=q.strip()))
    editing = Course.ReviewState.EDITING  # precedence: archived, in review, published, draft
    if state == STATE_ARCHIVED:
        qs = qs.filter(archived_at__isnull=False)
    elif state == STATE_IN_REVIEW:
        qs = qs.filter(archived_at__isnull=True, review_state=Course.ReviewState.IN_REVIEW)
    elif state == STATE_PUBLISHED:
        qs = qs.filter(archived_at__isnull=True, review_state=editing, published_version__isnull=False)
    elif state == STATE_DRAFT:
        qs = qs.filter(archived_at__isnull=True, review_state=editing, published_version__isnull=True)
    return qs.order_by("-updated_at", "pk")


def review_queue(*, organization: Organization) -> QuerySet[ReviewRequest]:
    """Pending submissions, oldest first."""
    return (
        ReviewRequest.objects.filter(organization=organization, state=ReviewRequest.State.PENDING)
        .select_related("course", "submitted_by", "base_version")
        .defer("snapshot", "base_version__snapshot")
        .annotate(comment_count=Count("comments"))
        .order_by("created_at", "pk")
    )


def review_get(*, principal: Principal, organization: Organization, pk: int) -> ReviewRequest | None:
    """A review, for reviewers and for the course's own team."""
    review = (
        ReviewRequest.objects.filter(organization=organization, pk=pk)
        .select_related("course", "course__organization", "submitted_by", "decided_by", "base_version")
        .first()
    )
    if review is None:
        return None
    if principal.can("course.review", review.course) or course_access.can_see_draft(principal, review.course):
        return review
    return None


def reviews_of(*, course: Course) -> QuerySet[ReviewRequest]:
    return (
        ReviewRequest.objects.filter(course=course)
        .select_related("submitted_by", "decided_by")
        .prefetch_related("comments__author")
        .order_by("-created_at")
    )


def versions_of(*, course: Course) -> QuerySet[CourseVersion]:
    """A course's versions, newest first, without their (large) snapshots."""
    return (
        CourseVersion.objects.filter(course=course)
        .defer("snapshot")
        .select_related("published_by")
        .order_by("-major", "-minor")
    )


def version_get(*, course: Course, pk: int) -> CourseVersion | None:
    return CourseVersion.objects.filter(course=course, pk=pk).select_related("published_by").first()


def staff_of(*, course: Course) -> QuerySet[CourseStaff]:
    return (
        CourseStaff.objects.filter(course=course)
        .select_related("membership__user")
        .order_by("role", "membership__user__display_name")
    )


def pending_review(*, course: Course) -> ReviewRequest | None:
    return course.reviews.filter(state=ReviewRequest.State.PENDING).select_related("submitted_by").first()


def is_on_team(*, principal: Principal, course: Course) -> bool:
    return course_access.course_role(principal, course) is not None
