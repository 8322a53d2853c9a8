"""What enrollment holds about one person, for the privacy registry (core.privacy): export and erasure (GDPR).

Exported: every enrollment (course, status, how and by whom it was made, dates, due date, the progress summary,
the note the person wrote with a request, the reason given for a decision), the course groups they are in, and
the course messages they received or sent.

Erasure keeps the enrollment rows: who was enrolled in what, when, and whether they completed it is compliance
evidence (a regulator asks "was this nurse trained?", not "who is this nurse?"), and the person behind them is
pseudonymised by accounts. What goes is what the person wrote (the request note) and what groups them with
colleagues (course group memberships). Enrollments still running are withdrawn, so an erased person neither
waits in an approver's queue nor holds a place someone on the waiting list could have. Course messages stay:
they are the course team's record of what was said to whom.
"""

from __future__ import annotations

from typing import Any

from syllabus.accounts.models import Organization, User
from syllabus.enrollment import services
from syllabus.enrollment.models import CourseMessage, Enrollment, GroupMember, Status

ERASED_REASON = "The person's data was erased."


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def export_person(user: User, organization: Organization | None) -> dict[str, Any]:
    enrollments = (
        Enrollment.objects.filter(membership__user=user)
        .select_related("organization", "course", "version", "created_by", "decided_by")
        .prefetch_related("group_memberships__group")
        .order_by("organization__name", "created_at", "pk")
    )
    received = CourseMessage.objects.filter(recipients__user=user).select_related("organization", "course", "sender")
    sent = CourseMessage.objects.filter(sender=user).select_related("organization", "course")
    if organization is not None:
        enrollments = enrollments.filter(organization=organization)
        received = received.filter(organization=organization)
        sent = sent.filter(organization=organization)
    return {
        "enrollments": [
            {
                "organization": e.organization.name,
                "course": e.course.title if e.course else "",
                "version": e.version.label if e.version else None,
                "status": e.status,
                "method": e.method,
                "enrolled_by": e.created_by.display_name if e.created_by else None,
                "requested_at": _iso(e.created_at),
                "enrolled_at": _iso(e.enrolled_at),
                "status_changed_at": _iso(e.status_changed_at),
                "due_at": _iso(e.due_at),
                "completed_at": _iso(e.completed_at),
                "progress_percent": e.progress_percent,
                "score": str(e.score) if e.score is not None else None,
                "time_spent_seconds": e.time_spent_seconds,
                "last_activity_at": _iso(e.last_activity_at),
                "request_note": e.request_note,
                "decided_by": e.decided_by.display_name if e.decided_by else None,
                "decided_at": _iso(e.decided_at),
                "reason": e.reason,
                "groups": sorted(member.group.name for member in e.group_memberships.all()),
            }
            for e in enrollments
        ],
        "messages_received": [
            {
                "organization": m.organization.name,
                "course": m.course.title,
                "from": m.sender.display_name if m.sender else None,
                "sent_at": _iso(m.created_at),
                "subject": m.subject,
                "message": m.body,
            }
            for m in received.order_by("created_at", "pk")
        ],
        "messages_sent": [
            {
                "organization": m.organization.name,
                "course": m.course.title,
                "sent_at": _iso(m.created_at),
                "subject": m.subject,
                "message": m.body,
                "recipients": m.recipient_count,
            }
            for m in sent.order_by("created_at", "pk")
        ],
    }


def erase_person(user: User, by: Any) -> None:
    """Withdraw what is still running, clear what the person wrote, take them out of course groups."""
    running = Enrollment.objects.filter(
        membership__user=user, status__in=(Status.PENDING, Status.WAITLISTED, Status.ACTIVE)
    ).select_related("organization", "course")
    for enrollment in running:
        # The service's own withdrawal (no permission check: the erasure was authorised as a whole): it frees the
        # place, promotes the waiting list, audits and tells other apps, exactly as any withdrawal does.
        services.enrollment_end(enrollment=enrollment, by=None, reason=ERASED_REASON)
    Enrollment.objects.filter(membership__user=user).exclude(request_note="").update(request_note="")
    GroupMember.objects.filter(enrollment__membership__user=user).delete()
