"""How course capabilities reach one course, and which courses a person may see.

Registered with `access.policy.register_object_rule(Course, ...)`, so everyone asks `principal.can("course.edit",
course)` as for any other capability. Organisation-wide grants (org admin, a custom "content admin" role) reach
every course; otherwise a person's role on the course's team decides:

| course role | course.edit | course.teach | course.manage | course.publish |
|---|---|---|---|---|
| owner | yes | yes | yes | when the organisation lets instructors publish without review |
| editor | yes | yes | no | same as owner |
| non-editing instructor | no | yes | no | no |

Reading a course: learners see published, unarchived courses shown to them (the whole organisation, or an
audience they are in); the team, reviewers and holders of `course.view_all` see drafts too.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.db.models.fields.json import KT

from syllabus.access.policy import Principal
from syllabus.audiences import selectors as audience_selectors
from syllabus.catalog import learning
from syllabus.catalog.models import CatalogEntry, CatalogSettings, Course, CourseStaff, CourseVersion, Visibility

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    CourseStaff.Role.OWNER: frozenset({"course.edit", "course.teach", "course.manage"}),
    CourseStaff.Role.EDITOR: frozenset({"course.edit", "course.teach"}),
    CourseStaff.Role.INSTRUCTOR: frozenset({"course.teach"}),
}
PUBLISHING_ROLES = frozenset({CourseStaff.Role.OWNER, CourseStaff.Role.EDITOR})
_ROLES_ATTR = "_course_roles"
_SETTINGS_ATTR = "_catalog_settings"
_ON_A_TEAM_ATTR = "_on_a_course_team"


def course_role(principal: Principal, course: Course) -> str | None:
    """The person's role on this course's team (cached on the principal, which lives one request)."""
    if not principal.is_member or course.pk is None:
        return None
    cache: dict[int, str | None] = principal.__dict__.setdefault(_ROLES_ATTR, {})
    if course.pk not in cache:
        cache[course.pk] = (
            CourseStaff.objects.filter(course_id=course.pk, membership=principal.membership)
            .values_list("role", flat=True)
            .first()
        )
    return cache[course.pk]


def forget_roles(principal: Principal) -> None:
    principal.__dict__.pop(_ROLES_ATTR, None)
    principal.__dict__.pop(_ON_A_TEAM_ATTR, None)


def catalog_settings(organization_id: int) -> CatalogSettings:
    """The organisation's catalog settings, or unsaved defaults."""
    found = CatalogSettings.objects.filter(organization_id=organization_id).first()
    return found or CatalogSettings(organization_id=organization_id)


def course_rule(principal: Principal, capability: str, course: Any) -> bool:
    role = course_role(principal, course)
    if role is None:
        return False
    if capability == "course.publish":
        if role not in PUBLISHING_ROLES:
            return False
        cache: dict[int, bool] = principal.__dict__.setdefault(_SETTINGS_ATTR, {})
        if course.organization_id not in cache:
            cache[course.organization_id] = catalog_settings(course.organization_id).publish_without_review
        return cache[course.organization_id]
    return capability in ROLE_CAPABILITIES.get(role, frozenset())


def can_see_draft(principal: Principal, course: Course) -> bool:
    """May open the draft, its preview and its history (team, reviewers, course.view_all)."""
    return (
        principal.can("course.teach", course)
        or principal.can("course.edit", course)
        or principal.can("course.view_all", course)
        or principal.can("course.review", course)
    )


def can_author(principal: Principal) -> bool:
    """Has any reason to see the authoring area (may create courses, or sits on at least one course team).
    Cached on the principal: the navigation asks on every page."""
    if principal.can("course.create") or principal.can("course.edit") or principal.can("course.view_all"):
        return True
    if not principal.is_member:
        return False
    if _ON_A_TEAM_ATTR not in principal.__dict__:
        principal.__dict__[_ON_A_TEAM_ATTR] = CourseStaff.objects.filter(membership=principal.membership).exists()
    return bool(principal.__dict__[_ON_A_TEAM_ATTR])


def learner_visible_q(principal: Principal, prefix: str = "") -> Q:
    """Filter on CatalogEntry (or a model reaching it through `prefix`): what this person may find in the catalog.

    Shown to the whole organisation, or to an audience the person is in now. The course team and reviewers find
    their own drafts in the authoring area, not here.
    """
    if principal.is_platform_admin and not principal.is_member:
        return Q()
    if not principal.is_member:
        return Q(pk__in=[])
    assert principal.membership is not None
    audiences = audience_selectors.audience_ids_of(membership=principal.membership)
    return Q(**{f"{prefix}visibility": Visibility.ORGANIZATION}) | Q(
        **{f"{prefix}visibility": Visibility.AUDIENCE, f"{prefix}audience_id__in": audiences}
    )


def can_learn(principal: Principal, course: Course) -> bool:
    """May open the course's page as a learner: shown to them in the catalog, or they are enrolled (an
    enrollment reaches an archived course, or one the catalog does not show them), or on its team."""
    if course.published_version_id is None:
        return False
    if principal.organization is None or course.organization_id != principal.organization.pk:
        return False
    if can_see_draft(principal, course):
        return True
    if not principal.is_member:
        return False
    if learning.enrolled_version(principal, course) is not None:
        return True
    if course.is_archived:
        return False
    if course.visibility == Visibility.ORGANIZATION:
        return True
    assert principal.membership is not None
    return course.audience_id is not None and audience_selectors.is_member(
        audience=course.audience_id, membership=principal.membership
    )


def cover_asset_ids(course: Course) -> set[int]:
    """The cover images the course shows people who have not enrolled: its published version's (the course page)
    and its catalog entry's version's (the catalog card). One query, reading one key of each snapshot."""
    if course.published_version_id is None:
        return set()
    covers = (
        CourseVersion.objects.filter(
            Q(pk=course.published_version_id)
            | Q(pk__in=CatalogEntry.objects.filter(course=course).values("version_id"))
        )
        .annotate(cover=KT("snapshot__cover_asset_id"))
        .values_list("cover", flat=True)
    )
    # SQLite answers an int, PostgreSQL text (->>); a missing key or JSON null is NULL on both.
    return {int(cover) for cover in covers if cover is not None and str(cover).isdigit()}


def may_see_cover(principal: Principal, course: Course, asset_id: int) -> bool:
    """Whoever may open the course's page may see its cover (the catalog card and the page show it before anyone
    enrolls); every other file of the course waits for an enrollment (learning_version_id)."""
    return asset_id in cover_asset_ids(course) and can_learn(principal, course)


def learning_version_id(principal: Principal, course: Course) -> int | None:
    """The published version whose activities this person may open, or None.

    The team works in the current version. A learner learns the version of their enrollment (which stays on its
    major version when a new one is published); without an enrollment app, whoever may see the course learns the
    current version.
    """
    if course.published_version_id is None:
        return None
    if principal.organization is None or course.organization_id != principal.organization.pk:
        return None
    if can_see_draft(principal, course):
        return course.published_version_id
    if not learning.has_access_hook():
        return course.published_version_id if can_learn(principal, course) else None
    if not principal.is_member:
        return None
    return learning.enrolled_version(principal, course)


def staff_courses_q(principal: Principal) -> Q:
    """Filter on Course: the courses this person works on in the authoring area."""
    if principal.is_platform_admin or any(
        principal.holds_org_wide(code) for code in ("course.edit", "course.view_all", "course.teach", "course.review")
    ):
        return Q()
    if not principal.is_member:
        return Q(pk__in=[])
    return Q(Exists(CourseStaff.objects.filter(course=OuterRef("pk"), membership=principal.membership)))
