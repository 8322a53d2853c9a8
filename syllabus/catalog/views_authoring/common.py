"""What every authoring and review page shares: the organisation decorator, fetching a course the person may open
(404 otherwise, so another organisation's ids and courses one is not on are simply not there), the course's
state badge, and the tabs of a course."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from syllabus.access.policy import NOT_ALLOWED, Principal, principal_for
from syllabus.accounts.models import Organization, User
from syllabus.catalog import course_access, selectors
from syllabus.catalog.models import Course
from syllabus.catalog.views_authoring import feedback as feedback_reads
from syllabus.core.tenancy import current_organization

View = Callable[..., HttpResponse]
PAGE_SIZE = 25


def organization_view(view: View) -> View:
    """Signed in and acting in an organisation (else choose one first); passes it and the principal on."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        organization = current_organization(request)
        if organization is None:
            return redirect(f"{reverse('accounts:choose-organization')}?{urlencode({'next': request.path})}")
        return view(request, organization, principal_for(request.user, organization), *args, **kwargs)

    return wrapper


def user_of(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


def is_fragment(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request  # type: ignore[union-attr]


def vary(response: HttpResponse) -> HttpResponse:
    patch_vary_headers(response, ["HX-Request"])
    return response


def require_author(principal: Principal) -> None:
    if not course_access.can_author(principal):
        raise PermissionDenied(NOT_ALLOWED)


def course_or_404(organization: Organization, principal: Principal, pk: int) -> Course:
    """A course whose draft this person may open; anything else (another organisation's, a course they are not on
    and cannot see) is not found."""
    course = selectors.course_get_for_staff(principal=principal, organization=organization, pk=pk)
    if course is None:
        raise Http404
    return course


def require_edit(principal: Principal, course: Course) -> None:
    principal.require("course.edit", course)


def error_text(exc: ValidationError | PermissionDenied) -> str:
    """One sentence from a service's refusal, for a flash message."""
    if isinstance(exc, PermissionDenied):
        return str(exc) or NOT_ALLOWED
    return " ".join(exc.messages)


def url_or_empty(url_name: str, /, *args: Any, **kwargs: Any) -> str:
    """The URL of a page another part of the catalog owns (the learner preview, assets), or "" without it."""
    try:
        return reverse(url_name, args=args or None, kwargs=kwargs or None)
    except NoReverseMatch:
        return ""


# --- the error summary ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorLink:
    label: str  # the field's label, "" for an error about the whole form
    message: str
    target: str  # the id of the field's input, to link to (and focus)


def error_summary(*forms: Form) -> list[ErrorLink]:
    """Every error of the forms of a long page, for the summary at its top ("Please correct the errors below"),
    each linking to its field, so an error far below the fold (the cover upload) is seen and reached."""
    out = []
    for form in forms:
        if not form.is_bound:
            continue
        out += [ErrorLink("", str(message), "") for message in form.non_field_errors()]
        for name, errors in form.errors.items():
            if name == NON_FIELD_ERRORS or name not in form.fields:
                continue
            bound = form[name]
            out += [
                ErrorLink(str(bound.label), str(message), bound.id_for_label or bound.auto_id) for message in errors
            ]
    return out


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


def course_context(principal: Principal, course: Course, tab: str, *, feedback: bool = False) -> dict[str, Any]:
    """The header every course page shows: title, state, tabs, and what this person may do.

    `feedback`: the page where authors act on a review (details, outline, submit) shows why the course was sent
    back, with the reviewers' comments; the other pages show the state only.
    """
    can_edit = principal.can("course.edit", course)
    can_manage = principal.can("course.manage", course)
    rejection = feedback_reads.sent_back(course) if feedback else None
    sent_back = rejection is not None if feedback else feedback_reads.is_sent_back(course)
    if course.in_review:
        submit_label = _("In review")
    elif principal.can("course.publish", course):
        submit_label = _("Publish")
    else:
        submit_label = _("Submit for review")
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
    return {
        "course": course,
        "state": course_state(course, sent_back=sent_back),
        "sent_back": rejection,
        "tabs": tabs,
        "tab": tab,
        "can_edit": can_edit,
        "can_manage": can_manage,
        "locked": course.in_review,
        "preview_url": url_or_empty("catalog:course-preview", course.pk),
    }
