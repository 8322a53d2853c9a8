"""The player's side of progress: where a learner resumes a course, their time spent (heartbeat), and the
outline's sections loaded on demand.

- `resume` (GET): to the last activity the learner opened, if it is still in their version; else the first one
  they have not completed; else the first. The course team (no enrollment) starts at the first activity.
- `heartbeat` (POST, JSON or a form, {"activity": uid}): "still here" from the player while the tab is visible;
  answers the seconds added, the total, and the learner's progress (so the page can show it without reloading).
- `outline_section` (GET, htmx): one section's activities with the learner's state, for the player's outline;
  without htmx, the first activity of that section.

Anyone who may not learn the course gets 404, as in the player.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from syllabus.access.decorators import organization_view
from syllabus.access.policy import Principal
from syllabus.accounts.models import Organization
from syllabus.catalog import course_access, learning
from syllabus.catalog.models import Course, CourseVersion
from syllabus.enrollment.models import Enrollment
from syllabus.progress import player, services
from syllabus.progress.models import ActivityProgress

View = Callable[..., HttpResponseBase]

BAD_ACTIVITY = "Say which activity is open."
# Stands for an activity's uid in its address, replaced per item (one reverse() per fragment).
_PLACEHOLDER = uuid.UUID(int=0)
MAX_BODY_BYTES = 4 * 1024


def _course_or_404(organization: Organization, pk: int) -> Course:
    course = (
        Course.objects.select_related("organization", "published_version")
        # The outline is cached per version (learning.version_outline): never the snapshot, ~600 KB of JSON for an
        # L course.
        .defer("published_version__snapshot")
        .filter(organization=organization, pk=pk)
        .first()
    )
    if course is None:
        raise Http404
    return course


def _learning_outline(principal: Principal, course: Course) -> learning.Outline:
    """The outline of the version this person learns (cached per version); 404 when they may not learn the
    course."""
    version_id = course_access.learning_version_id(principal, course)
    if version_id is None:
        raise Http404
    if course.published_version is not None and course.published_version.pk == version_id:
        return learning.version_outline(course.published_version)
    version = CourseVersion.objects.filter(pk=version_id, course=course).defer("snapshot").first()
    if version is None:
        raise Http404
    return learning.version_outline(version)


def resume_uid(outline: learning.Outline, enrollment: Enrollment | None) -> str | None:
    """Where the learner picks the course up again (None: the version has no activities)."""
    if not outline.activities:
        return None
    first = outline.activities[0].uid
    if enrollment is None:
        return first
    last = str(enrollment.last_activity_uid) if enrollment.last_activity_uid else ""
    if last in outline.positions:
        return last
    states = player.activity_states(enrollment)
    return next((a.uid for a in outline.activities if states.get(a.uid) != "completed"), first)


@organization_view
@require_safe
def resume(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    course = _course_or_404(organization, pk)
    outline = _learning_outline(principal, course)
    target = resume_uid(outline, player.learning_enrollment(principal, course))
    if target is None:
        return redirect("catalog:course", pk=course.pk)
    return redirect("catalog:activity", pk=course.pk, uid=target)


def _activity_from(request: HttpRequest) -> str:
    if request.content_type == "application/json":
        if len(request.body) > MAX_BODY_BYTES:
            return ""
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return ""
        return str(data.get("activity") or "") if isinstance(data, dict) else ""
    return str(request.POST.get("activity") or "")


def _bad_activity() -> JsonResponse:
    return JsonResponse({"errors": {"activity": [_(BAD_ACTIVITY)]}}, status=400)


@organization_view
@require_POST
def heartbeat(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> JsonResponse:
    course = _course_or_404(organization, pk)
    enrollment = player.learning_enrollment(principal, course)
    if enrollment is None:
        raise Http404
    try:
        uid = uuid.UUID(_activity_from(request))
    except ValueError:
        return _bad_activity()
    try:
        seconds = services.heartbeat_record(enrollment=enrollment, activity_uid=uid)
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"activity": exc.messages}
        return JsonResponse({"errors": errors}, status=400)
    summary = Enrollment.objects.filter(pk=enrollment.pk).values("time_spent_seconds", "progress_percent", "status")[0]
    state = (
        ActivityProgress.objects.filter(enrollment=enrollment, activity_uid=uid).values_list("state", flat=True).first()
        or "not_started"
    )
    percent = summary["progress_percent"]
    return JsonResponse(
        {
            "activity": str(uid),
            "seconds": seconds,
            "time_spent": summary["time_spent_seconds"],
            "percent": percent,
            "percent_text": _("%(percent)s%% complete") % {"percent": percent},
            "completed": summary["status"] == "completed",
            "state": state,
            "state_label": learning.state_label(state),
            "state_icon": learning.STATE_ICONS.get(state, ""),
        }
    )


@organization_view
@require_safe
def outline_section(
    request: HttpRequest, organization: Organization, principal: Principal, pk: int, section: uuid.UUID
) -> HttpResponse:
    course = _course_or_404(organization, pk)
    outline = _learning_outline(principal, course)
    index = outline.section_positions.get(str(section))
    if index is None:
        raise Http404
    activities = outline.section_activities(index)
    if not getattr(request, "htmx", False):
        # Without htmx the outline's link leads here only by hand: show the section in the player itself.
        if not activities:
            return redirect("catalog:course", pk=course.pk)
        return redirect("catalog:activity", pk=course.pk, uid=activities[0].uid)
    enrollment = player.learning_enrollment(principal, course)
    states = player.activity_states(enrollment) if enrollment is not None else None
    base = reverse("catalog:activity", args=[course.pk, _PLACEHOLDER])
    placeholder = str(_PLACEHOLDER)
    items = [
        learning.outline_item(activity, url=base.replace(placeholder, activity.uid), states=states)
        for activity in activities
    ]
    response = render(
        request, "catalog/player/_outline_items.html", {"section": {"uid": outline.sections[index].uid}, "items": items}
    )
    patch_vary_headers(response, ["HX-Request"])
    return response
