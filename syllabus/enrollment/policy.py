"""Who may do what with enrollments: the one place views, API and services ask (through access.policy).

- A person sees and manages their own enrollments (self-enroll, withdraw from what they chose themselves).
- The course team (course.teach on the course, or held organisation-wide) sees the course's participants,
  enrolls and removes people, decides requests, runs groups and messages participants.
- People with `enrollment.view` / `enrollment.assign` over a person (their manager through the reporting line,
  an org-unit scope, or organisation-wide) see and assign that person's training and decide their requests.
- `enrollment.manage` (organisation-wide) covers enrollment rules and every course's options; a course's owner
  (course.manage) sets its own options.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from syllabus.access.policy import Principal
from syllabus.accounts.models import Membership
from syllabus.catalog.models import Course, CourseStaff
from syllabus.enrollment.models import Enrollment, Method


def is_self(principal: Principal, membership_id: int) -> bool:
    return principal.is_member and principal.membership is not None and principal.membership.pk == membership_id


def can_manage_participants(principal: Principal, course: Course) -> bool:
    return principal.can("course.teach", course) or principal.holds_org_wide("enrollment.assign")


def can_view_participants(principal: Principal, course: Course) -> bool:
    return can_manage_participants(principal, course) or principal.holds_org_wide("enrollment.view")


def acts_on_self(principal: Principal, membership_id: int) -> bool:
    """True when someone would use powers they hold over others on their own training. Only organisation-wide
    assigners (administrators) may: a manager of their own unit, or a course's team, enrolls through the course
    page like everyone else, and cannot re-date or drop their own assigned training."""
    return is_self(principal, membership_id) and not principal.holds_org_wide("enrollment.assign")


def can_enroll(principal: Principal, course: Course, membership: Membership) -> bool:
    """Enroll `membership` in `course` on someone's behalf."""
    if membership.organization_id != course.organization_id or acts_on_self(principal, membership.pk):
        return False
    return can_manage_participants(principal, course) or principal.can("enrollment.assign", membership)


def enrollable_membership_ids(principal: Principal, course: Course, ids: Iterable[int]) -> set[int]:
    """Of these people, the ones this person may enroll in the course (one query)."""
    ids = set(ids)
    if not ids:
        return set()
    scope = None if can_manage_participants(principal, course) else principal.membership_q("enrollment.assign")
    if principal.membership is not None and acts_on_self(principal, principal.membership.pk):
        ids.discard(principal.membership.pk)
    ordered, allowed = sorted(ids), set[int]()
    # In slices: SQLite bounds the parameters of one query, and a team may be thousands of people.
    for start in range(0, len(ordered), 900):
        qs = Membership.objects.filter(organization_id=course.organization_id, pk__in=ordered[start : start + 900])
        if scope is not None:
            qs = qs.filter(scope)
        allowed.update(qs.values_list("pk", flat=True))
    return allowed


def method_for(principal: Principal, course: Course, membership: Membership) -> str:
    """How an enrollment made by this person for `membership` is recorded."""
    if principal.can("course.teach", course):
        return Method.INSTRUCTOR
    if membership.pk in principal.reporting_line_ids:
        return Method.MANAGER
    return Method.ADMIN


def can_view(principal: Principal, enrollment: Enrollment) -> bool:
    if enrollment.organization_id != getattr(principal.organization, "pk", None):
        return False
    if is_self(principal, enrollment.membership_id):
        return True
    course = enrollment.course
    if course is not None and can_view_participants(principal, course):
        return True
    return principal.can("enrollment.view", enrollment.membership)


def can_decide(principal: Principal, enrollment: Enrollment) -> bool:
    """Approve or decline a request for a place: the person's manager (or scope), or the course team."""
    if is_self(principal, enrollment.membership_id) and not principal.holds_org_wide("enrollment.assign"):
        return False  # nobody approves their own request
    course = enrollment.course
    if course is not None and can_manage_participants(principal, course):
        return True
    return principal.can("enrollment.assign", enrollment.membership)


def can_withdraw(principal: Principal, enrollment: Enrollment) -> bool:
    """The person leaves what they chose themselves; training assigned to them (by a manager, a rule...) only
    those who assign may remove, even while it waits for a place."""
    if is_self(principal, enrollment.membership_id):
        if enrollment.method == Method.SELF:
            return True
        if acts_on_self(principal, enrollment.membership_id):
            return False
    course = enrollment.course
    if course is not None and can_manage_participants(principal, course):
        return True
    return principal.can("enrollment.assign", enrollment.membership)


def can_assign_due(principal: Principal, enrollment: Enrollment) -> bool:
    if acts_on_self(principal, enrollment.membership_id):
        return False
    course = enrollment.course
    if course is not None and can_manage_participants(principal, course):
        return True
    return principal.can("enrollment.assign", enrollment.membership)


def can_edit_options(principal: Principal, course: Course) -> bool:
    return principal.can("course.manage", course) or principal.holds_org_wide("enrollment.manage")


def can_manage_rules(principal: Principal, course: Course) -> bool:
    return principal.holds_org_wide("enrollment.manage") and course.organization_id == getattr(
        principal.organization, "pk", None
    )


def visible_enrollments_q(principal: Principal) -> Q:
    """A filter on Enrollment: what this person may list (API, reports): their own, the courses they teach,
    and the people they may see training of."""
    if principal.is_platform_admin or principal.holds_org_wide("enrollment.view"):
        return Q()
    if not principal.is_member:
        return Q(pk__in=[])
    assert principal.membership is not None
    q = Q(membership=principal.membership) | Q(principal.membership_q("enrollment.view", prefix="membership__"))
    if principal.holds_org_wide("course.teach"):
        return Q()
    taught = CourseStaff.objects.filter(membership=principal.membership).values("course_id")
    return q | Q(course_id__in=taught)
