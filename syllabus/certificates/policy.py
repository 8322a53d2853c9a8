"""Who may do what with certificates. Asked by services, views, the API and tasks — nowhere else.

- Templates, awards, signing keys and revocation: `certificate.manage`, organisation-wide (org admins and
  compliance officers by default).
- Seeing other people's certificates: `certificate.manage` or `report.view_all` see everyone (auditors too);
  `report.view_team` sees the people it reaches (a manager's reporting line, org units assigned to them).
- A person always sees their own certificates.
- Anyone, signed in or not, may verify a certificate by its public id: the public page shows only what a
  verifier needs (name, what was achieved, dates, status).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from syllabus.access.policy import Principal


def can_manage(principal: Principal) -> bool:
    return principal.holds_org_wide("certificate.manage")


def sees_everyone(principal: Principal) -> bool:
    return can_manage(principal) or principal.holds_org_wide("report.view_all")


def can_view_others(principal: Principal) -> bool:
    return sees_everyone(principal) or principal.can("report.view_team")


def visible_q(principal: Principal, prefix: str = "") -> Q:
    """A filter on Certificate (or rows reaching one through `prefix`): the certificates this person may see."""
    own = Q(**{f"{prefix}membership_id": principal.membership.pk}) if principal.membership is not None else Q(pk__in=[])
    if sees_everyone(principal):
        return Q()
    if not principal.is_member:
        return own
    if principal.can("report.view_team"):
        return own | principal.membership_q("report.view_team", prefix=f"{prefix}membership__")
    return own


def can_see(principal: Principal, certificate: Any) -> bool:
    if certificate.organization_id != getattr(principal.organization, "pk", None):
        return False
    if principal.membership is not None and certificate.membership_id == principal.membership.pk:
        return True
    if sees_everyone(principal):
        return True
    return principal.can("report.view_team", certificate.membership)


def can_revoke(principal: Principal, certificate: Any) -> bool:
    return can_manage(principal) and certificate.organization_id == getattr(principal.organization, "pk", None)
