"""How a program puts its course(s) in front of people: enrollment when assigned, a fresh one to recertify."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from syllabus.catalog.models import Course
from syllabus.enrollment import services as enrollment_services
from syllabus.enrollment.models import Method
from syllabus.enrollment.services import due_at_end_of_day

if TYPE_CHECKING:
    from syllabus.compliance.evaluation import ProgramRules

RENEWAL_REASON = "Recertification for the compliance program {name}"


def _courses(rules: ProgramRules) -> list[Course]:
    """The courses people are enrolled in: every course of an "all" program, else the first (the one offered;
    an equivalent course taken instead still counts)."""
    ids = rules.course_ids if rules.mode == "all" else rules.course_ids[:1]
    found = {c.pk: c for c in Course.objects.filter(pk__in=ids).select_related("organization")}
    return [
        found[pk]
        for pk in ids
        if pk in found and found[pk].published_version_id is not None and not found[pk].is_archived
    ]


def enroll(rules: ProgramRules, dues: dict[int, dt.date]) -> None:
    """Enroll these people (membership id -> due date) in the program's course(s); those enrolled already keep
    their enrollment as it is."""
    organization = rules.program.organization
    due_by: dict[int, dt.datetime | None] = {m: due_at_end_of_day(day, organization) for m, day in dues.items()}
    for course in _courses(rules):
        enrollment_services.enrollments_bulk_create(
            course=course,
            membership_ids=list(dues),
            by=None,
            method=Method.COMPLIANCE,
            due_by_membership=due_by,
            check_permission=False,
        )


def reopen(rules: ProgramRules, dues: dict[int, dt.date]) -> None:
    """People due to recertify (membership id -> due date): a fresh enrollment where theirs is completed, and an
    enrollment for those who have none any more."""
    organization = rules.program.organization
    due_by: dict[int, dt.datetime | None] = {m: due_at_end_of_day(day, organization) for m, day in dues.items()}
    reason = RENEWAL_REASON.format(name=rules.program.name)
    for course in _courses(rules):
        enrollment_services.enrollments_renew(
            course=course, membership_ids=due_by, method=Method.COMPLIANCE, reason=reason
        )
        enrollment_services.enrollments_bulk_create(
            course=course,
            membership_ids=list(dues),
            by=None,
            method=Method.COMPLIANCE,
            due_by_membership=due_by,
            check_permission=False,
        )


def align(rules: ProgramRules, dues: dict[int, dt.date]) -> None:
    """Keep the due dates of people's enrollments in the program's course(s) in step with their current cycle
    (a new assignment, an extension, a new cycle), so the course page and the dashboard say what the program says."""
    organization = rules.program.organization
    due_by = {m: due_at_end_of_day(day, organization) for m, day in dues.items()}
    for course in _courses(rules):
        enrollment_services.enrollments_due_align(course=course, due_by_membership=due_by, method=Method.COMPLIANCE)
