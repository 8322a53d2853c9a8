"""What the course team's pages share: the organisation decorator, fetching the course (404 for people not
concerned), the header, returning to the participants list with its filters, and error text for flashes."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_vary_headers

from syllabus.access.policy import NOT_ALLOWED, Principal, principal_for
from syllabus.accounts.models import Organization, User
from syllabus.catalog.models import Course
from syllabus.core.tenancy import current_organization
from syllabus.enrollment import selectors_course as selectors

View = Callable[..., HttpResponse]
# Query parameters of the participants list kept when an action returns to it.
LIST_PARAMS = ("status", "group", "q", "sort", "page")


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
