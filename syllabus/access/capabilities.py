"""Capabilities declared as data: what can be granted, where it can be granted, and who gets it by default.

A capability's `scopes` says at which scopes a role assignment may grant it: the whole organisation, or an
org-unit subtree ("people in Sales and below"). Course-scoped capabilities come from a person's role on one course
(owner, editor, non-editing instructor: catalog.course_access), never from a role assignment.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ORGANIZATION = "organization"
ORG_UNIT = "org_unit"
COURSE = "course"


@dataclass(frozen=True)
class Capability:
    code: str
    label: str | Promise
    scopes: tuple[str, ...] = (ORGANIZATION,)
    # Writes are never granted to read-only roles such as the auditor.
    writes: bool = True


CAPABILITIES: tuple[Capability, ...] = (
    Capability("org.manage", _("Change organisation settings and branding")),
    Capability("org_unit.manage", _("Create, move and delete org units")),
    Capability("job_role.manage", _("Manage job roles")),
    Capability("location.manage", _("Manage locations")),
    Capability("attribute.manage", _("Define custom person attributes")),
    Capability("people.view", _("See people and their HR data"), (ORGANIZATION, ORG_UNIT), writes=False),
    Capability("people.manage", _("Create and edit people"), (ORGANIZATION, ORG_UNIT)),
    Capability("people.deactivate", _("Deactivate and reactivate memberships"), (ORGANIZATION, ORG_UNIT)),
    Capability("people.privacy", _("Export and erase a person's personal data (data-protection requests)")),
    Capability("people.unlock", _("Unlock people locked out of sign-in"), (ORGANIZATION, ORG_UNIT)),
    Capability("role.view", _("See roles and role assignments"), writes=False),
    Capability("role.manage", _("Create and edit custom roles")),
    Capability("role.assign", _("Assign and remove roles")),
    Capability("token.manage", _("Create and revoke API tokens for anyone")),
    Capability("audit.view", _("Read the audit trail"), writes=False),
    Capability("course.view_all", _("See every course, including drafts"), writes=False),
    Capability("course.create", _("Create courses (whoever creates one becomes its owner)")),
    # Held organisation-wide, these reach every course; a course's own team holds them on that course only.
    Capability("course.edit", _("Edit the content of every course"), (ORGANIZATION, COURSE)),
    Capability("course.teach", _("Teach every course (see drafts and learners, no editing)"), (ORGANIZATION, COURSE)),
    Capability(
        "course.manage", _("Manage the team of every course; archive, copy and delete courses"), (ORGANIZATION, COURSE)
    ),
    Capability("course.publish", _("Publish courses without review"), (ORGANIZATION, COURSE)),
    Capability("course.review", _("Review and approve course versions")),
    Capability("catalog.manage", _("Manage catalog categories and settings")),
    Capability("skill.manage", _("Manage the skills framework")),
    Capability("question.manage", _("Manage the organisation's shared question banks")),
    Capability("question.use", _("Use the organisation's shared question banks in quizzes"), writes=False),
    Capability("enrollment.view", _("See enrollments and progress"), (ORGANIZATION, ORG_UNIT), writes=False),
    Capability("enrollment.assign", _("Assign learning to people"), (ORGANIZATION, ORG_UNIT)),
    Capability("enrollment.manage", _("Manage enrollment rules and every course's enrollment options")),
    Capability("report.view_team", _("See reports about one's team"), (ORGANIZATION, ORG_UNIT), writes=False),
    Capability("report.view_all", _("See reports about the whole organisation"), writes=False),
    Capability("compliance.manage", _("Manage compliance programs and exemptions")),
    Capability("certificate.manage", _("Issue and revoke certificates")),
    Capability("notification.manage", _("Word notifications for the organisation and make types mandatory")),
    Capability("audience.view", _("See audiences and who is in them"), writes=False),
    Capability("audience.manage", _("Create, change and delete audiences")),
)

BY_CODE: dict[str, Capability] = {cap.code: cap for cap in CAPABILITIES}

# Capabilities every person who manages someone (Membership.manager) holds over their transitive reporting line,
# with no role assignment needed: the HR data says who their team is.
TEAM_CAPABILITIES: frozenset[str] = frozenset(
    {"people.view", "enrollment.view", "enrollment.assign", "report.view_team"}
)


@dataclass(frozen=True)
class BuiltinRole:
    key: str
    name: str
    description: str
    capabilities: frozenset[str]


_ALL = frozenset(BY_CODE)
_READ_ONLY = frozenset(code for code, cap in BY_CODE.items() if not cap.writes)

BUILTIN_ROLES: tuple[BuiltinRole, ...] = (
    BuiltinRole("learner", "Learner", "Takes training. Every active member is a learner.", frozenset()),
    BuiltinRole(
        "instructor",
        "Instructor",
        "Creates and teaches courses.",
        # Instructors edit, teach and enroll people in the courses they create or are added to (the course team),
        # not every course, and follow no one's training outside their courses.
        frozenset({"course.create", "audience.view", "question.use"}),
    ),
    BuiltinRole(
        "reviewer",
        "Reviewer",
        "Reviews and publishes course versions.",
        frozenset({"course.view_all", "course.review"}),
    ),
    BuiltinRole(
        "manager",
        "Manager",
        "Follows and assigns training for a team: their reporting line plus any org units assigned.",
        frozenset({"people.view", "enrollment.view", "enrollment.assign", "report.view_team"}),
    ),
    BuiltinRole(
        "compliance_officer",
        "Compliance officer",
        "Runs compliance programs and reports for the organisation.",
        frozenset(
            {
                "people.view",
                "enrollment.view",
                "enrollment.assign",
                "report.view_team",
                "report.view_all",
                "compliance.manage",
                "certificate.manage",
                "audit.view",
                "audience.view",
            }
        ),
    ),
    BuiltinRole("auditor", "Auditor", "Reads all business data of the organisation; changes nothing.", _READ_ONLY),
    BuiltinRole("org_admin", "Organisation admin", "Administers the organisation.", _ALL),
)
BUILTIN_BY_KEY: dict[str, BuiltinRole] = {role.key: role for role in BUILTIN_ROLES}
