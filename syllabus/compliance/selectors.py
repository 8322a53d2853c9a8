"""Reads of programs and assignments for the API and pages, with constant query counts."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from syllabus.access.policy import Principal
from syllabus.accounts.models import Organization, OrgUnit
from syllabus.compliance import policy
from syllabus.compliance.models import (
    IN_GOOD_STANDING,
    Assignment,
    ClosedCycle,
    Exemption,
    Program,
    ProgramStatus,
    StatusChange,
    StatusCode,
)

OPEN = Q(assignments__ended_at__isnull=True)


def program_list(*, organization: Organization, principal: Principal, status: str | None = None) -> QuerySet[Program]:
    """Programs with `in_scope`, `in_good_standing` and `overdue` counts among the people the principal sees (one
    query with the aggregates). Drafts only for those who manage compliance."""
    qs = Program.objects.filter(organization=organization).select_related("audience", "owner")
    if not policy.can_manage(principal):
        qs = qs.exclude(status=ProgramStatus.DRAFT)
    if status:
        qs = qs.filter(status=status)
    seen = OPEN & policy.people_q(principal, prefix="assignments__membership__")
    return qs.annotate(
        in_scope=Count("assignments", filter=seen),
        in_good_standing=Count("assignments", filter=seen & Q(assignments__status__in=IN_GOOD_STANDING)),
        overdue=Count("assignments", filter=seen & Q(assignments__status__in=(StatusCode.OVERDUE, StatusCode.EXPIRED))),
    ).order_by("name")


def program_get(*, organization: Organization, pk: int, principal: Principal | None = None) -> Program | None:
    """One program; with `principal`, a draft only for those who manage compliance."""
    qs = Program.objects.filter(organization=organization, pk=pk)
    if principal is not None and not policy.can_manage(principal):
        qs = qs.exclude(status=ProgramStatus.DRAFT)
    return qs.select_related("audience", "owner", "organization").prefetch_related("program_courses__course").first()


def status_counts(*, program: Program, principal: Principal) -> dict[str, int]:
    """People per status among the open assignments the principal may see."""
    rows = (
        Assignment.objects.filter(program=program, ended_at__isnull=True)
        .filter(policy.people_q(principal))
        .values("status")
        .annotate(n=Count("pk"))
    )
    counts = dict.fromkeys((s for s in StatusCode.values if s != StatusCode.UNASSIGNED), 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def assignment_list(
    *,
    program: Program,
    principal: Principal,
    status: str | None = None,
    org_unit_path: str | None = None,
    search: str = "",
    membership_id: int | None = None,
    include_ended: bool = False,
) -> QuerySet[Assignment]:
    """The program's assignments the principal may see, filtered, with the person and their unit joined."""
    qs = Assignment.objects.filter(program=program).filter(policy.people_q(principal))
    if not include_ended:
        qs = qs.filter(ended_at__isnull=True)
    if status:
        qs = qs.filter(status=status)
    if membership_id is not None:
        qs = qs.filter(membership_id=membership_id)
    if org_unit_path:
        qs = qs.filter(OrgUnit.subtree_q(org_unit_path, prefix="membership__org_unit__"))
    if search.strip():
        text = search.strip()
        qs = qs.filter(Q(membership__user__display_name__icontains=text) | Q(membership__user__email__icontains=text))
    return qs.select_related("membership__user", "membership__org_unit", "completion").order_by(
        "membership__user__display_name", "pk"
    )


def person_assignments(
    *, organization: Organization, membership_id: int, include_ended: bool = False
) -> QuerySet[Assignment]:
    """Someone's assignments (the caller checked they may see that person)."""
    qs = Assignment.objects.filter(organization=organization, membership_id=membership_id)
    if not include_ended:
        qs = qs.filter(ended_at__isnull=True, program__status=ProgramStatus.ACTIVE)
    return qs.select_related("program", "completion", "acknowledgement").order_by("due_on", "pk")


def assignment_get(*, organization: Organization, pk: int) -> Assignment | None:
    return (
        Assignment.objects.filter(organization=organization, pk=pk)
        .select_related("program", "membership__user", "membership__org_unit", "completion", "acknowledgement")
        .first()
    )


def assignment_history(*, assignment: Assignment) -> dict[str, Any]:
    """Everything behind one assignment: ledger rows, closed cycles, exemptions (three queries)."""
    return {
        "ledger": list(StatusChange.objects.filter(assignment=assignment).order_by("effective_on", "pk")),
        "closed": list(
            ClosedCycle.objects.filter(assignment=assignment).select_related("completion").order_by("number")
        ),
        "exemptions": list(
            Exemption.objects.filter(assignment=assignment)
            .select_related("requested_by", "decided_by", "signature")
            .order_by("-requested_at", "-pk")
        ),
    }
