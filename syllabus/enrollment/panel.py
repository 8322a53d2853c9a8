"""The block on a course's page that says where the person stands, answering the catalog's `course_panel` hook.

Not enrolled: enroll (or request a place, with a note, where approval is needed; the key where one is set; the
waiting list when full), or why they cannot. Waiting for approval or on the waiting list: where they are, and
how to withdraw. Enrolled: their progress, start or continue, the due date, and leave (only what they chose
themselves). Completed: when, the score, and the way back in. The course team learns without enrolling and
sees no panel.

Registered when this module is imported (EnrollmentConfig.ready() imports it).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from syllabus.access.policy import Principal
from syllabus.catalog import course_access
from syllabus.catalog import learning as catalog_learning
from syllabus.catalog.models import Course
from syllabus.enrollment import services
from syllabus.enrollment.models import LIVE_STATES, Enrollment, Method, Status

# Where the enroll view leaves a wrong or missing key for the panel to show beside the field (one request).
KEY_ERROR_SESSION = "enrollment-key-error"


def key_error_store(request: HttpRequest, course_id: int, message: str) -> None:
    request.session[KEY_ERROR_SESSION] = {"course": course_id, "message": message}


def _key_error_take(request: HttpRequest, course_id: int) -> str:
    session = getattr(request, "session", None)
    if session is None:
        return ""
    found = session.get(KEY_ERROR_SESSION)
    if not isinstance(found, dict) or found.get("course") != course_id:
        return ""
    del session[KEY_ERROR_SESSION]
    return str(found.get("message") or "")


def _waitlist_position(enrollment: Enrollment) -> int:
    """1 for the next person to get a place: the waiting list is served first come, first served."""
    ahead = Enrollment.objects.filter(course=enrollment.course_id, status=Status.WAITLISTED).filter(
        Q(created_at__lt=enrollment.created_at) | Q(created_at=enrollment.created_at, pk__lt=enrollment.pk)
    )
    return ahead.count() + 1


def _enroll_label(check: services.SelfEnrollmentCheck) -> str:
    if check.needs_approval:
        return _("Request a place")
    if check.waitlist:
        return _("Join the waiting list")
    return _("Enroll")


def panel_context(request: HttpRequest, principal: Principal, course: Course) -> dict[str, Any] | None:
    """What the panel shows, or None when it shows nothing (the course team, people outside the organisation)."""
    if not principal.is_member or course_access.can_see_draft(principal, course):
        return None
    enrollment = (
        Enrollment.objects.filter(membership=principal.membership, course=course, status__in=LIVE_STATES)
        .order_by("-created_at", "-pk")
        .first()
    )
    context: dict[str, Any] = {
        "course": course,
        "enrollment": enrollment,
        "enroll_url": reverse("enrollment:enroll", args=[course.pk]),
        "leave_url": reverse("enrollment:leave", args=[course.pk]),
        "resume_url": reverse("progress:resume", args=[course.pk]),
    }
    if enrollment is None:
        check = services.self_enrollment_check(course=course, principal=principal, options=services.options_for(course))
        context.update(
            state="none",
            check=check,
            reason=_(check.reason) if check.reason else "",
            enroll_label=_enroll_label(check),
            key_error=_key_error_take(request, course.pk),
        )
        return context
    context["state"] = enrollment.status
    if enrollment.status == Status.WAITLISTED:
        context["position"] = _waitlist_position(enrollment)
    if enrollment.status == Status.ACTIVE:
        context["started"] = enrollment.last_activity_uid is not None or enrollment.progress_percent > 0
        context["can_leave"] = enrollment.method == Method.SELF
    if enrollment.status == Status.COMPLETED and enrollment.score is not None:
        context["score"] = f"{enrollment.score.normalize():f}"  # 87.50 -> "87.5", 100.00 -> "100"
    return context


def course_panel(request: HttpRequest, principal: Principal, course: Course) -> SafeString:
    context = panel_context(request, principal, course)
    if context is None:
        return mark_safe("")
    return mark_safe(render_to_string("enrollment/learner/_panel.html", context, request=request))


catalog_learning.register_course_panel(course_panel)
