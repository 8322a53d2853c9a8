"""Who may do what with compliance programs. Asked by services, views, the API and reports — nowhere else.

- Programs and exemption decisions: `compliance.manage` (organisation-wide: compliance officers, org admins).
- Reports: `compliance.manage` or `report.view_all` see everyone (auditors too); `report.view_team` sees the people
  it reaches (a manager's reporting line and org units assigned to them).
- A person always sees their own assignments, and requests exemptions for themselves; a manager requests them
  for people they may assign training to (`enrollment.assign` over the person).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from syllabus.access.policy import Principal
from syllabus.accounts.models import Membership


def can_manage(principal: Principal) -> bool:
    return principal.holds_org_wide("compliance.manage")


def can_view_reports(principal: Principal) -> bool:
    return can_manage(principal) or principal.can("report.view_all") or principal.can("report.view_team")


def sees_everyone(principal: Principal) -> bool:
    return can_manage(principal) or principal.holds_org_wide("report.view_all")


def people_q(principal: Principal, prefix: str = "membership__") -> Q:
    """A filter on rows reaching a Membership through `prefix`: the people whose compliance this person sees."""
    if sees_everyone(principal):
        return Q()
    if not principal.is_member:
        return Q(pk__in=[])
    if not principal.can("report.view_team"):
        return Q(pk__in=[])
    return principal.membership_q("report.view_team", prefix=prefix)


def can_see_person(principal: Principal, membership: Membership) -> bool:
    if principal.membership is not None and principal.membership.pk == membership.pk:
        return True
    if membership.organization_id != getattr(principal.organization, "pk", None):
        return False
    return sees_everyone(principal) or principal.can("report.view_team", membership)


def can_request_exemption(principal: Principal, membership: Membership) -> bool:
    if not principal.is_member or membership.organization_id != getattr(principal.organization, "pk", None):
        return False
    if principal.membership is not None and principal.membership.pk == membership.pk:
        return True
    return can_manage(principal) or principal.can("enrollment.assign", membership)


def can_decide_exemption(principal: Principal, exemption: Any) -> bool:
    """Compliance officers decide, but never on their own request or about themselves (four eyes)."""
    if not can_manage(principal) or exemption.organization_id != getattr(principal.organization, "pk", None):
        return False
    own = principal.membership is not None and exemption.membership_id == principal.membership.pk
    return not own and exemption.requested_by_id != principal.user.pk
