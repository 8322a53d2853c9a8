"""The action codes the audit trail knows, with labels for people. Apps add theirs with `register`.

A code is "<area>.<what happened>" (`membership.deactivated`). Recording an unknown code works: pages then
show the code itself.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

_labels: dict[str, str | Promise] = {
    # sign-in and account security
    "auth.signed_in": _("Signed in"),
    "auth.signed_out": _("Signed out"),
    "auth.sign_in_failed": _("Failed sign-in"),
    "auth.locked_out": _("Locked out"),
    "auth.unlocked": _("Unlocked"),
    "auth.password_changed": _("Password changed"),
    "auth.two_factor_changed": _("Two-factor sign-in changed"),
    "auth.sessions_ended": _("Sessions ended"),
    # organisation and structure
    "organization.created": _("Organisation created"),
    "organization.changed": _("Organisation settings changed"),
    "org_unit.created": _("Org unit created"),
    "org_unit.updated": _("Org unit changed"),
    "org_unit.moved": _("Org unit moved"),
    "org_unit.deleted": _("Org unit deleted"),
    "job_role.created": _("Job role created"),
    "job_role.updated": _("Job role changed"),
    "job_role.deleted": _("Job role deleted"),
    "location.created": _("Location created"),
    "location.updated": _("Location changed"),
    "location.deleted": _("Location deleted"),
    "attribute.created": _("Custom attribute created"),
    "attribute.updated": _("Custom attribute changed"),
    "attribute.deleted": _("Custom attribute deleted"),
    # people
    "person.created": _("Person added"),
    "membership.changed": _("Person changed"),
    "membership.deactivated": _("Person deactivated"),
    "membership.reactivated": _("Person reactivated"),
    "people.imported": _("People imported"),
    "profile.changed": _("Own profile changed"),
    "person.exported": _("Personal data exported"),
    "person.erased": _("Person erased"),
    # roles and tokens
    "role.assigned": _("Role assigned"),
    "role.unassigned": _("Role removed"),
    "role.created": _("Role created"),
    "role.updated": _("Role changed"),
    "role.deleted": _("Role deleted"),
    "api_token.created": _("API token created"),
    "api_token.revoked": _("API token revoked"),
    # the audit trail itself
    "audit.exported": _("Audit trail exported"),
}


def register(code: str, label: str | Promise) -> None:
    """Give an action code a label (call from the app's AppConfig.ready())."""
    _labels[code] = label


def label(code: str) -> str:
    return str(_labels.get(code, code))


def choices() -> list[tuple[str, str]]:
    """(code, label) of every known action, by label."""
    return sorted(((code, str(text)) for code, text in _labels.items()), key=lambda item: item[1])
