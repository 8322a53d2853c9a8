"""The header of a course's team pages: its title, state badge, tabs and what this person may do there.

Public, so the apps that add pages for a course's team (participants, enrollment options, completion...) draw the
same header as the catalog's authoring pages. Those apps build on the catalog, so the catalog cannot ask them which
of their tabs a person may open; each registers a function that answers it (`register_flags`, from its
AppConfig.ready()), and the flags reach the template `catalog/authoring/_course_header.html`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from syllabus.access.policy import Principal
from syllabus.catalog.models import Course

FlagsFn = Callable[[Principal, Course], dict[str, bool]]
_flags: list[FlagsFn] = []


def register_flags(fn: FlagsFn) -> None:
    """Add a function telling which of an app's course pages this person may open ({"can_...": bool})."""
    if fn not in _flags:
        _flags.append(fn)


# --- the state badge ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseState:
    key: str  # draft, in_review, sent_back, published, changes, archived: also the badge's CSS modifier
    label: str


def course_state(
    course: Course, *, has_unpublished_changes: bool | None = None, sent_back: bool = False
) -> CourseState:
    """Draft / In review / Sent back for changes / Published v2.1 / Unpublished changes (v2.1) / Archived.

    `has_unpublished_changes` comes annotated from the list selector; on one course it is read from the version.
    `sent_back`: the last review sent the course back and nothing was submitted or published since.
    """
    if course.is_archived:
        return CourseState("archived", _("Archived"))
    if course.in_review:
        return CourseState("in_review", _("In review"))
    version = course.published_version
    if sent_back:
        if version is None:
            return CourseState("sent_back", _("Sent back for changes"))
        return CourseState("sent_back", _("Sent back for changes (v%(label)s live)") % {"label": version.label})
    if version is None:
        return CourseState("draft", _("Draft"))
    if has_unpublished_changes is None:
        has_unpublished_changes = version.source_revision != course.draft_revision
    if has_unpublished_changes:
        return CourseState("changes", _("Unpublished changes (v%(label)s live)") % {"label": version.label})
    return CourseState("published", _("Published v%(label)s") % {"label": version.label})


# --- the course's tabs -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    url: str


def _url_or_empty(name: str, pk: int) -> str:
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return ""


def course_header(
    principal: Principal, course: Course, tab: str, *, sent_back: bool | None = None, rejection: Any = None
) -> dict[str, Any]:
    """The context `catalog/authoring/_course_header.html` needs. `sent_back` None: read it from the reviews;
    `rejection`: the review that sent the course back, shown with its comments on the pages where authors act."""
    from syllabus.catalog import course_access
    from syllabus.catalog.views_authoring import feedback

    can_edit = principal.can("course.edit", course)
    if sent_back is None:
        sent_back = feedback.is_sent_back(course)
    if course.in_review:
        submit_label = _("In review")
    elif principal.can("course.publish", course):
        submit_label = _("Publish")
    else:
        submit_label = _("Submit for review")
    tabs = []
    if course_access.can_see_draft(principal, course):
        # People who reach a team page without seeing the draft (an org-wide enrollment admin) get no draft tabs:
        # those pages would answer 404.
        tabs = [
            Tab("details", _("Details"), reverse("catalog:course-edit", args=[course.pk])),
            Tab("outline", _("Outline"), reverse("catalog:course-outline", args=[course.pk])),
        ]
        if can_edit:
            tabs.append(Tab("submit", submit_label, reverse("catalog:course-submit", args=[course.pk])))
        tabs += [
            Tab("history", _("History"), reverse("catalog:course-history", args=[course.pk])),
            Tab("team", _("Team"), reverse("catalog:course-team", args=[course.pk])),
        ]
    context: dict[str, Any] = {
        "course": course,
        "state": course_state(course, sent_back=sent_back),
        "sent_back": rejection,
        "tabs": tabs,
        "tab": tab,
        "can_edit": can_edit,
        "can_manage": principal.can("course.manage", course),
        "locked": course.in_review,
        "preview_url": _url_or_empty("catalog:course-preview", course.pk),
    }
    for fn in _flags:
        context.update(fn(principal, course))
    return context
