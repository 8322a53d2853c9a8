"""What the course team's pages share: the organisation decorator, fetching the course (404 for people not
concerned), the header, returning to the participants list with its filters, and error text for flashes."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_vary_headers

from syllabus.access.policy import NOT_ALLOWED, Principal
from syllabus.accounts.models import Organization, User
from syllabus.catalog.models import Course
from syllabus.enrollment import selectors_course as selectors

View = Callable[..., HttpResponse]
# Query parameters of the participants list kept when an action returns to it.
LIST_PARAMS = ("status", "group", "q", "sort", "page")


def user_of(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


def course_or_404(organization: Organization, principal: Principal, pk: int) -> Course:
    course = selectors.course_for_team(organization=organization, principal=principal, pk=pk)
    if course is None:
        raise Http404
    return course


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(NOT_ALLOWED)


def error_text(exc: ValidationError | PermissionDenied) -> str:
    if isinstance(exc, PermissionDenied):
        return str(exc) or NOT_ALLOWED
    return " ".join(exc.messages)


def is_fragment(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request  # type: ignore[union-attr]


def vary(response: HttpResponse) -> HttpResponse:
    patch_vary_headers(response, ["HX-Request"])
    return response


def list_query(source: QueryDict) -> str:
    """The participants list's filters from a request (GET, or the `back` field of a POST), re-encoded with only
    the known keys, so a return address can never point elsewhere."""
    pairs = [(key, value[:100]) for key in LIST_PARAMS for value in source.getlist(key) if value]
    return urlencode(pairs)


def back_to_participants(request: HttpRequest, course: Course) -> HttpResponse:
    url = reverse("enrollment:participants", args=[course.pk])
    query = list_query(QueryDict(request.POST.get("back", "")))
    return redirect(f"{url}?{query}" if query else url)
