"""The navigation menu, built from what the person may do (never from flags like is_staff)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from syllabus.access.policy import Principal
from syllabus.core.links import address


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    # Shown when the person holds any of these capabilities; empty means every member.
    any_of: tuple[str, ...] = ()
    platform_only: bool = False
    # A reason beyond capabilities to show the item (e.g. sitting on a course team); asked only when needed.
    also_if: Callable[[Principal], bool] | None = None
    # Other pages this item stands for (marked current there too), e.g. home, which shows the learner's dashboard.
    also_current: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return address(self.url_name)

    @property
    def current_urls(self) -> tuple[str, ...]:
        """The addresses where this item is the current page (_nav.html marks it aria-current there)."""
        return (self.url, *(address(name) for name in self.also_current))


def _sits_on_a_course_team(principal: Principal) -> bool:
    from syllabus.catalog.course_access import can_author

    return can_author(principal)


MAIN: tuple[NavItem, ...] = (
    NavItem(_("My learning"), "progress:dashboard", also_current=("web:home",)),
    NavItem(_("Catalog"), "catalog:browse"),
    # A manager's reporting line, an org-unit scope, or the whole organisation.
    NavItem(_("My team"), "enrollment:team", ("enrollment.view",)),
    NavItem(_("Approvals"), "enrollment:approvals", ("enrollment.assign",), also_if=_sits_on_a_course_team),
    NavItem(_("People"), "accounts:people", ("people.view", "people.manage")),
    NavItem(_("Audiences"), "audiences:list", ("audience.view", "audience.manage")),
    NavItem(
        _("Courses"),
        "catalog:authoring",
        ("course.create", "course.edit", "course.view_all", "course.teach", "course.review"),
        also_if=_sits_on_a_course_team,
    ),
    NavItem(_("Reviews"), "catalog:reviews", ("course.review",)),
    # Shared banks for those who may read them; every course team member reaches their courses' banks.
    NavItem(
        _("Question banks"), "assessment:banks", ("question.manage", "question.use"), also_if=_sits_on_a_course_team
    ),
    NavItem(_("Skills"), "skills:framework"),
    # Everyone: their own mandatory training (the page says so when there is none).
    NavItem(_("My compliance"), "compliance:mine"),
    # Everyone: the certificates they earned (the page says so when there is none).
    NavItem(_("My certificates"), "certificates:mine"),
    # Not "Compliance" alone: links are found by their name, and that would also answer to "My compliance".
    NavItem(
        _("Compliance programs"), "compliance:programs", ("compliance.manage", "report.view_all", "report.view_team")
    ),
    NavItem(
        _("Compliance reports"),
        "compliance:dashboard",
        ("compliance.manage", "report.view_all", "report.view_team"),
        also_current=("compliance:point-in-time", "compliance:evidence"),
    ),
    NavItem(_("Exemptions"), "compliance:exemptions", ("compliance.manage", "report.view_all", "report.view_team")),
    # Not "Certificates" alone: links are found by their name, and that would also answer to "My certificates".
    NavItem(
        _("Issued certificates"), "certificates:list", ("certificate.manage", "report.view_all", "report.view_team")
    ),
)

ADMIN: tuple[NavItem, ...] = (
    NavItem(_("Organisation"), "accounts:org-settings", ("org.manage",)),
    NavItem(_("Org units"), "accounts:org-units", ("org_unit.manage", "people.view")),
    NavItem(_("Job roles"), "accounts:job-roles", ("job_role.manage",)),
    NavItem(_("Locations"), "accounts:locations", ("location.manage",)),
    NavItem(_("Custom attributes"), "accounts:attributes", ("attribute.manage",)),
    # The pages also require the capability organisation-wide (an import may touch anyone): see hr_import.services.
    # Not "Import people": links are found by their name, and that one would also answer to "People".
    NavItem(_("HR import"), "accounts:hr-imports", ("people.manage",)),
    NavItem(_("Roles"), "access:roles", ("role.view", "role.manage", "role.assign")),
    NavItem(_("Audit trail"), "audit:trail", ("audit.view",)),
    # Not "Catalog settings": links are found by name, and that would also answer to the learners' "Catalog".
    NavItem(_("Categories and publishing"), "catalog:settings", ("catalog.manage",)),
    # Not "Notifications": the header's bell answers to that name, and links are found by their name.
    NavItem(
        _("Notification settings"),
        "notifications:admin_types",
        ("notification.manage",),
        also_current=("notifications:admin_log",),
    ),
    NavItem(
        _("Certificate awards"),
        "certificates:awards",
        ("certificate.manage",),
        also_current=("certificates:award-create",),
    ),
    NavItem(
        _("Certificate templates"),
        "certificates:templates",
        ("certificate.manage",),
        also_current=("certificates:template-create",),
    ),
    # The keys that sign the organisation's Open Badges (rotation retires the active one; old badges still verify).
    NavItem(_("Badge signing keys"), "certificates:keys", ("certificate.manage",)),
    NavItem(_("API tokens"), "accounts:tokens", ()),
    NavItem(_("All organisations"), "accounts:platform-organizations", platform_only=True),
)


def visible_items(items: tuple[NavItem, ...], principal: Principal) -> list[NavItem]:
    held = principal.capabilities
    out = []
    for item in items:
        if item.platform_only:
            if principal.is_platform_admin:
                out.append(item)
        elif (principal.is_member or principal.is_platform_admin) and (
            not item.any_of
            or any(code in held for code in item.any_of)
            or (item.also_if is not None and item.also_if(principal))
        ):
            out.append(item)
    return out
