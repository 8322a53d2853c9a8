"""Who may do what with question banks and quizzes. Asked by services, views, the API and tasks — nowhere else.

- A course's own bank: its editors (`course.edit` on the course) manage it; its whole team (`course.teach`) may
  read it (preview questions, see usage) — non-editing instructors grade but do not write questions.
- Shared banks (no course): `question.manage` manages them; `question.use` (instructors by default) may read them
  and draw their questions into the quizzes of courses they edit.
- Attempts: a person sees their own; the course team (`course.teach`) sees every attempt of the course's quizzes,
  grades essays, and grants per-person overrides; regrading after a fix needs `course.edit`.
Banks of another organisation are never reachable: every lookup is scoped by organisation first (404).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q

from syllabus.access.policy import Principal
from syllabus.catalog import course_access
from syllabus.catalog.models import Course, CourseStaff


def can_manage_shared(principal: Principal) -> bool:
    return principal.holds_org_wide("question.manage")


def can_read_shared(principal: Principal) -> bool:
    return can_manage_shared(principal) or principal.can("question.use")


def can_manage_bank(principal: Principal, bank: Any) -> bool:
    if bank.organization_id != getattr(principal.organization, "pk", None):
        return False
    if bank.course_id is None:
        return can_manage_shared(principal)
    return principal.can("course.edit", bank.course)


def can_read_bank(principal: Principal, bank: Any) -> bool:
    if bank.organization_id != getattr(principal.organization, "pk", None):
        return False
    if bank.course_id is None:
        return can_read_shared(principal)
    return principal.can("course.edit", bank.course) or principal.can("course.teach", bank.course)


def team_courses_q(principal: Principal) -> Q:
    """A filter on Course: the courses whose bank this person may read (`can_read_bank` for a course bank:
    `course.edit` or `course.teach`, org-wide or through the course's team). Not `course_access.staff_courses_q`,
    which also opens every course to org-wide reviewers, who review versions but do not read banks."""
    if principal.holds_org_wide("course.edit") or principal.holds_org_wide("course.teach"):
        return Q()
    if not principal.is_member:
        return Q(pk__in=[])
    return Q(Exists(CourseStaff.objects.filter(course=OuterRef("pk"), membership=principal.membership)))


def bank_area_visible(principal: Principal) -> bool:
    """Whether the bank pages are for this person at all: they read the shared banks, or work on courses (a
    learner is refused the list rather than shown an empty one)."""
    return can_read_shared(principal) or course_access.can_author(principal)


def readable_banks_q(principal: Principal, prefix: str = "") -> Q:
    """A filter on QuestionBank (or rows reaching one through `prefix`, e.g. "bank__"): the banks this person may
    read in their current organisation."""
    org = getattr(principal.organization, "pk", 0) or 0
    scoped = Q(**{f"{prefix}organization_id": org})
    team = Course.objects.filter(organization_id=org).filter(team_courses_q(principal))
    courses = Q(**{f"{prefix}course__in": team.values("pk")})
    shared = Q(**{f"{prefix}course__isnull": True}) if can_read_shared(principal) else Q(pk__in=[])
    return scoped & (courses | shared)


def can_use_in_quiz(principal: Principal, bank: Any, course: Any) -> bool:
    """May an author of `course` put this bank's questions in its quizzes: its own bank, or a shared one."""
    if bank.organization_id != course.organization_id:
        return False
    if bank.course_id is not None:
        return bank.course_id == course.pk and principal.can("course.edit", course)
    return can_read_shared(principal) and principal.can("course.edit", course)


def can_take(principal: Principal, course: Any, version_id: int | None = None) -> bool:
    """May attempt the course's quizzes for real: the person learns a published version of it (their enrollment's,
    or the current one for the course team) — seeing the course in the catalog is not enough. With `version_id`,
    it must be that version."""
    learning = course_access.learning_version_id(principal, course)
    return learning is not None and (version_id is None or version_id == learning)


def can_grade(principal: Principal, course: Any) -> bool:
    return principal.can("course.teach", course) or principal.can("course.edit", course)


def can_override(principal: Principal, course: Any) -> bool:
    return can_grade(principal, course)


def can_regrade(principal: Principal, course: Any) -> bool:
    return principal.can("course.edit", course)


def can_see_attempt(principal: Principal, attempt: Any) -> bool:
    if attempt.organization_id != getattr(principal.organization, "pk", None):
        return False
    if attempt.user_id == principal.user.pk:
        return True
    return can_grade(principal, attempt.course)
