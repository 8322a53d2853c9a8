"""What every authoring and review page shares: the organisation decorator, fetching a course the person may open
(404 otherwise, so another organisation's ids and courses one is not on are simply not there), the course's
state badge, and the tabs of a course."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers

from syllabus.access.policy import NOT_ALLOWED, Principal
from syllabus.accounts.models import Organization, User
from syllabus.catalog import course_access, course_header, selectors
from syllabus.catalog.course_header import CourseState, Tab, course_state  # noqa: F401 (re-exported)
from syllabus.catalog.models import Course
from syllabus.catalog.views_authoring import feedback as feedback_reads

View = Callable[..., HttpResponse]
PAGE_SIZE = 25


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


# --- the course header (state badge, tabs): public in catalog.course_header, used by other apps' team pages ------


def course_context(principal: Principal, course: Course, tab: str, *, feedback: bool = False) -> dict[str, Any]:
    """The header every course page shows: title, state, tabs, and what this person may do.

    `feedback`: the page where authors act on a review (details, outline, submit) shows why the course was sent
    back, with the reviewers' comments; the other pages show the state only.
    """
    rejection = feedback_reads.sent_back(course) if feedback else None
    return course_header.course_header(
        principal, course, tab, sent_back=rejection is not None if feedback else None, rejection=rejection
    )
