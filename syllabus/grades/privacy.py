"""What the gradebook holds about one person, for the privacy registry (core.privacy): export and erasure (GDPR).

Exported: every grade of the person (course, item, the grade, whether it is overridden and why, the feedback,
whether it is hidden), its history, and their course totals.

Erasure keeps the grades, their history and the course totals: they are the assessment record behind completions
and certificates (compliance evidence, kept like progress and assessment keep theirs). What goes is free text
written about the person: the graders' feedback, the reasons of overrides (on the grade and in its history) —
the audit trail keeps its own copy in the person's erasable part. One audit record per organisation
("grades.person_erased") with counts and no personal data.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Q

from syllabus.accounts.models import Organization, User
from syllabus.grades.models import CourseGrade, Grade, GradeChange

AUDIT_ACTIONS = (("grades.person_erased", "Grade feedback and override reasons erased with a person"),)


def _plain(value: Any) -> str | None:
    return None if value is None else str(value)


def export_person(user: User, organization: Organization | None) -> dict[str, Any]:
    grades = Grade.objects.filter(user=user).select_related("item", "item__course").order_by("item__course_id", "pk")
    totals = CourseGrade.objects.filter(user=user).select_related("course").order_by("course_id")
    changes = GradeChange.objects.filter(grade__user=user).order_by("grade_id", "at", "pk")
    if organization is not None:
        grades = grades.filter(organization=organization)
        totals = totals.filter(organization=organization)
        changes = changes.filter(organization=organization)
    history: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for change in changes:
        history[change.grade_id].append(
            {
                "at": change.at.isoformat(),
                "source": change.source,
                "old": _plain(change.old_final),
                "new": _plain(change.new_final),
                "reason": change.reason,
            }
        )
    return {
        "grades": [
            {
                "course": grade.item.course.title,
                "item": grade.item.name,
                "grade_percent": _plain(grade.final),
                "reported_percent": _plain(grade.raw),
                "override_percent": _plain(grade.override),
                "override_reason": grade.override_reason,
                "feedback": grade.feedback,
                "hidden": grade.hidden,
                "history": history.get(grade.pk, []),
            }
            for grade in grades
        ],
        "course_totals": [
            {
                "course": total.course.title,
                "percent": _plain(total.percent),
                "points": _plain(total.points),
                "max_points": _plain(total.max_points),
                "passed": total.passed,
            }
            for total in totals
        ],
    }


def erase_person(user: User, by: Any) -> None:
    """Clear the feedback and override reasons about the person; grades and totals stay (module docstring)."""
    from syllabus.audit.services import audit_record

    counts: dict[int, dict[str, int]] = defaultdict(lambda: {"feedback": 0, "reasons": 0})
    grades = Grade.objects.filter(user=user)
    for organization_id in grades.exclude(feedback="").values_list("organization_id", flat=True):
        counts[organization_id]["feedback"] += 1
    for organization_id in grades.exclude(override_reason="").values_list("organization_id", flat=True):
        counts[organization_id]["reasons"] += 1
    grades.filter(~Q(feedback="") | ~Q(override_reason="")).update(feedback="", override_reason="")
    # The history is append-only for what changed; the free text of why is the person's and goes with them.
    GradeChange.objects.filter(grade__user=user).exclude(reason__in=["", "hidden", "released"]).update(reason="")
    if not counts:
        return
    organizations = Organization.objects.in_bulk(list(counts))
    for organization_id, erased in sorted(counts.items()):
        audit_record(
            organization=organizations.get(organization_id),
            action="grades.person_erased",
            actor=by,
            target=user,
            after=erased,
        )
