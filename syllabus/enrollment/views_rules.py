"""The enrollment-rule pages of a course: its audience rules (add, edit, delete with confirmation) and, for
learners still on older versions of the course, moving them to the current one.

Only people holding `enrollment.manage` organisation-wide (`policy.can_manage_rules`) see these pages. As on the
audience pages, a course of another organisation is not found (404) and a course of this one without the right is
forbidden (403).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from syllabus.access.policy import NOT_ALLOWED, Principal, principal_for
from syllabus.accounts.models import Organization, User
from syllabus.catalog.models import Course, CourseVersion
from syllabus.core import clock
from syllabus.core.tenancy import current_organization
from syllabus.enrollment import policy, selectors, selectors_course, services
from syllabus.enrollment.forms_course import error_summary
from syllabus.enrollment.forms_rules import RuleCreateForm, RuleEditForm
from syllabus.enrollment.models import EnrollmentRule

View = Callable[..., HttpResponse]
# While a rule waits for its first run, the list refreshes itself this often (htmx; a reload does the same).
POLL_SECONDS = 3
# A first run not done this long after the rule was added means the background worker is not running (or is far
# behind): the page says so instead of spinning on, and asks less often.
STALE_AFTER = dt.timedelta(minutes=5)
STALE_POLL_SECONDS = 30


def rules_view(view: View) -> View:
    """Signed in, acting in an organisation, and allowed to manage the rules of the course `pk` of it; passes the
    organisation, the principal and the course on."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, pk: int, **kwargs: Any) -> HttpResponse:
        organization = current_organization(request)
        if organization is None:
            return redirect(f"{reverse('accounts:choose-organization')}?{urlencode({'next': request.path})}")
        course = selectors.course_get(organization=organization, pk=pk)
        if course is None:
            raise Http404
        principal = principal_for(request.user, organization)
        if not policy.can_manage_rules(principal, course):
            raise PermissionDenied(NOT_ALLOWED)
        return view(request, organization, principal, course, *args, **kwargs)

    return wrapper


def _rule_or_404(organization: Organization, course: Course, rule_id: int) -> EnrollmentRule:
    rule = selectors.rule_get(organization=organization, pk=rule_id)
    if rule is None or rule.course_id != course.pk:
        raise Http404
    return rule


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@dataclass(frozen=True)
class RuleRow:
    """One rule as the list shows it (words worked out here: templates only display)."""

    rule: EnrollmentRule
    due: str
    on_leave: str
    pending: bool
    stalled: bool  # pending for longer than STALE_AFTER: the worker is probably not running


def due_words(rule: EnrollmentRule) -> str:
    if rule.due_from == EnrollmentRule.DueFrom.ENROLLMENT and rule.due_days is not None:
        return ngettext("%(days)s day after enrollment", "%(days)s days after enrollment", rule.due_days) % {
            "days": rule.due_days
        }
    if rule.due_from == EnrollmentRule.DueFrom.HIRE and rule.due_days is not None:
        return ngettext("%(days)s day after hire date", "%(days)s days after hire date", rule.due_days) % {
            "days": rule.due_days
        }
    return _("No due date")


def _rows(course: Course, organization: Organization) -> list[RuleRow]:
    rules = selectors.rule_list(organization=organization, course_id=course.pk).order_by("audience__name", "pk")
    stale_before = clock.now() - STALE_AFTER
    return [
        RuleRow(
            rule=rule,
            due=due_words(rule),
            on_leave=_("Withdrawn (unless completed)")
            if rule.on_leave == EnrollmentRule.OnLeave.WITHDRAW
            else _("Kept"),
            pending=rule.is_active and rule.last_applied_at is None,
            stalled=rule.is_active and rule.last_applied_at is None and rule.created_at <= stale_before,
        )
        for rule in rules
    ]


def _is_fragment(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request  # type: ignore[union-attr]


# --- the list ------------------------------------------------------------------------------------------------------


@rules_view
@require_GET
def rule_list(request: HttpRequest, organization: Organization, principal: Principal, course: Course) -> HttpResponse:
    rows = _rows(course, organization)
    waiting = any(row.pending and not row.stalled for row in rows)
    context: dict[str, Any] = {
        "course": course,
        "rows": rows,
        "polling": any(row.pending for row in rows),
        "poll_seconds": POLL_SECONDS if waiting else STALE_POLL_SECONDS,
        "waiting": waiting,
        "stalled": any(row.stalled for row in rows),
    }
    if _is_fragment(request) and request.GET.get("part") == "rules":
        response = render(request, "enrollment/rules/_rules.html", context)
    else:
        older = services.learners_on_older_versions(course=course)
        current = None
        if older and course.published_version_id is not None:
            current = CourseVersion.objects.only("major", "minor").filter(pk=course.published_version_id).first()
        context.update(
            selectors_course.course_header(principal, course, "rules"),
            older_versions=older,
            older_learners=sum(row.learners for row in older),
            current_version=current,
            can_migrate=bool(older) and services.can_migrate_versions(principal, course),
        )
        response = render(request, "enrollment/rules/list.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- add, edit, delete ----------------------------------------------------------------------------------------------


@rules_view
@require_http_methods(["GET", "POST"])
def rule_create(request: HttpRequest, organization: Organization, principal: Principal, course: Course) -> HttpResponse:
    taken = set(EnrollmentRule.objects.filter(course=course).values_list("audience_id", flat=True))
    form = RuleCreateForm(request.POST or None, organization=organization, taken=taken)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        audience = data["audience"]
        try:
            services.rule_create(
                course=course,
                audience=audience,
                by=_user(request),
                due_from=data["due_from"],
                due_days=data["due_days"],
                on_leave=data["on_leave"],
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            count = audience.member_count
            messages.success(
                request,
                ngettext(
                    "Rule added. Enrolling %(count)s person from %(audience)s in the background.",
                    "Rule added. Enrolling %(count)s people from %(audience)s in the background.",
                    count,
                )
                % {"count": count, "audience": audience.name},
            )
            return redirect("enrollment:rules", pk=course.pk)
    context = {
        "course": course,
        "form": form,
        "rule": None,
        "has_audiences": form.has_audiences(),
        "error_summary": error_summary(form),
    }
    return render(request, "enrollment/rules/form.html", context)


@rules_view
@require_http_methods(["GET", "POST"])
def rule_edit(
    request: HttpRequest, organization: Organization, principal: Principal, course: Course, rule_id: int
) -> HttpResponse:
    rule = _rule_or_404(organization, course, rule_id)
    initial = {
        "due_from": rule.due_from,
        "due_days": rule.due_days,
        "on_leave": rule.on_leave,
        "is_active": rule.is_active,
    }
    form = RuleEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.rule_update(
                rule=rule,
                by=_user(request),
                due_from=data["due_from"],
                due_days=data["due_days"],
                on_leave=data["on_leave"],
                is_active=data["is_active"],
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The rule for %(audience)s was saved.") % {"audience": rule.audience.name})
            return redirect("enrollment:rules", pk=course.pk)
    context = {"course": course, "form": form, "rule": rule, "error_summary": error_summary(form)}
    return render(request, "enrollment/rules/form.html", context)


@rules_view
@require_http_methods(["GET", "POST"])
def rule_delete(
    request: HttpRequest, organization: Organization, principal: Principal, course: Course, rule_id: int
) -> HttpResponse:
    """A confirmation page (works without JavaScript), then the deletion. Enrollments the rule made stay."""
    rule = _rule_or_404(organization, course, rule_id)
    if request.method == "POST":
        services.rule_delete(rule=rule, by=_user(request))
        messages.success(
            request,
            _("The rule for %(audience)s was deleted. The people it enrolled stay enrolled.")
            % {"audience": rule.audience.name},
        )
        return redirect("enrollment:rules", pk=course.pk)
    return render(request, "enrollment/rules/delete.html", {"course": course, "rule": rule})


# --- versions -------------------------------------------------------------------------------------------------------


@rules_view
@require_POST
def versions_migrate(
    request: HttpRequest, organization: Organization, principal: Principal, course: Course
) -> HttpResponse:
    """Move learners in progress on older versions to the current one (`services.enrollments_migrate_version`)."""
    try:
        moved = services.enrollments_migrate_version(course=course, by=_user(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if moved:
            messages.success(
                request,
                ngettext(
                    "%(count)s learner moved to the current version.",
                    "%(count)s learners moved to the current version.",
                    moved,
                )
                % {"count": moved},
            )
        else:
            messages.success(request, _("Every learner in progress already follows the current version."))
    return redirect("enrollment:rules", pk=course.pk)
