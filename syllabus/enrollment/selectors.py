"""Reads of enrollments for the API and reports: the filtered list, one enrollment, groups, rules and options.

Every function takes the resolved organisation and principal and answers only what that person may see
(`policy.visible_enrollments_q`, `policy.can_view`...). Lists join what their rows show, so a page costs the same
number of queries whatever its size.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.db.models.expressions import OrderBy

from syllabus.access.policy import Principal
from syllabus.accounts.models import Organization
from syllabus.catalog.models import Course
from syllabus.core import clock
from syllabus.enrollment import policy
from syllabus.enrollment.models import LIVE_STATES, CourseGroup, Enrollment, EnrollmentRule, GroupMember, Status

# Overdue means active and past the due date, as on the dashboard and the team page: a request waiting for approval
# or a place on the waiting list is late through no fault of the learner's, and is shown as waiting instead.
OPEN_STATES = (Status.ACTIVE,)

# `ordering` values the list accepts, and what each sorts by. Empty dates go last on every database (SQLite and
# PostgreSQL disagree by default); the primary key breaks ties, so pages are stable.
ORDERINGS: dict[str, tuple[OrderBy, ...]] = {
    "-created_at": (F("created_at").desc(), F("pk").desc()),
    "created_at": (F("created_at").asc(), F("pk").asc()),
    "due_at": (F("due_at").asc(nulls_last=True), F("pk").asc()),
    "-due_at": (F("due_at").desc(nulls_last=True), F("pk").desc()),
    "-status_changed_at": (F("status_changed_at").desc(), F("pk").desc()),
    "-last_activity_at": (F("last_activity_at").desc(nulls_last=True), F("pk").desc()),
}
DEFAULT_ORDERING = "-created_at"


@dataclass(frozen=True)
class EnrollmentFilter:
    membership_id: int | None = None
    course_id: int | None = None
    status: str = ""
    method: str = ""
    due_before: dt.datetime | None = None
    overdue: bool = False
    ordering: str = DEFAULT_ORDERING


def _with_rows(qs: QuerySet[Enrollment]) -> QuerySet[Enrollment]:
    """Join what an enrollment's output shows; the version's snapshot (large JSON) is never needed here."""
    return qs.select_related("membership__user", "course", "version", "created_by").defer(
        "version__snapshot", "version__asset_ids", "version__notes", "course__description"
    )


def enrollment_list(
    *, organization: Organization, principal: Principal, filters: EnrollmentFilter | None = None
) -> QuerySet[Enrollment]:
    """The enrollments this person may see in the organisation (their own, the courses they teach, the people
    they may see training of), filtered and ordered."""
    filters = filters or EnrollmentFilter()
    qs = Enrollment.objects.filter(organization=organization).filter(policy.visible_enrollments_q(principal))
    if filters.membership_id is not None:
        qs = qs.filter(membership_id=filters.membership_id)
    if filters.course_id is not None:
        qs = qs.filter(course_id=filters.course_id)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.method:
        qs = qs.filter(method=filters.method)
    if filters.due_before is not None:
        qs = qs.filter(due_at__lt=filters.due_before)
    if filters.overdue:
        qs = qs.filter(status__in=OPEN_STATES, due_at__lt=clock.now())
    return _with_rows(qs).order_by(*ORDERINGS.get(filters.ordering, ORDERINGS[DEFAULT_ORDERING]))


def enrollment_get(*, organization: Organization, principal: Principal, pk: int) -> Enrollment | None:
    """One enrollment if this person may see it; None otherwise (another organisation's too), to answer 404."""
    enrollment = _with_rows(Enrollment.objects.filter(organization=organization, pk=pk)).first()
    if enrollment is None or not policy.can_view(principal, enrollment):
        return None
    return enrollment


def is_overdue(enrollment: Enrollment, now: dt.datetime | None = None) -> bool:
    return (
        enrollment.due_at is not None and enrollment.status in OPEN_STATES and enrollment.due_at < (now or clock.now())
    )


# --- courses, groups, rules --------------------------------------------------------------------------------------


def course_get(*, organization: Organization, pk: int) -> Course | None:
    """A course of the organisation (the caller decides what the person may do with it)."""
    return Course.objects.filter(organization=organization, pk=pk).select_related("organization").first()


def _groups() -> QuerySet[CourseGroup]:
    return CourseGroup.objects.select_related("course__organization").annotate(member_count=Count("members"))


def group_list(*, course: Course) -> QuerySet[CourseGroup]:
    return _groups().filter(course=course).order_by("name", "pk")


def group_get(*, organization: Organization, principal: Principal, pk: int) -> CourseGroup | None:
    """One group with its members if this person may see the course's participants; None otherwise."""
    group = (
        _groups()
        .filter(organization=organization, pk=pk)
        .prefetch_related(
            Prefetch(
                "members",
                queryset=GroupMember.objects.select_related("enrollment__membership__user").order_by(
                    "enrollment__membership__user__display_name", "pk"
                ),
            )
        )
        .first()
    )
    if group is None or not policy.can_view_participants(principal, group.course):
        return None
    return group


def rule_list(*, organization: Organization, course_id: int | None = None) -> QuerySet[EnrollmentRule]:
    """The organisation's enrollment rules, with how many live enrollments each made."""
    qs = (
        EnrollmentRule.objects.filter(organization=organization)
        .select_related("course", "audience")
        .annotate(enrollment_count=Count("enrollments", filter=Q(enrollments__status__in=LIVE_STATES)))
        .order_by("course__title", "course_id", "pk")
    )
    if course_id is not None:
        qs = qs.filter(course_id=course_id)
    return qs


def rule_get(*, organization: Organization, pk: int) -> EnrollmentRule | None:
    return rule_list(organization=organization).filter(pk=pk).first()
