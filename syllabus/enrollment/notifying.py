"""What enrollment tells people, through the notifications app: its notification types and the handlers of its
own domain events that send them.

| occasion (event) | who is told | type |
|---|---|---|
| a request waits (EnrollmentCreated, pending) | the requester's manager, the course team | `approval_requested` |
| the request is decided (EnrollmentDecided) | the requester | `request_approved`, `request_declined` |
| someone else enrolls a person (EnrollmentCreated / EnrollmentsCreated, active) | the learner | `assigned` |
| a place frees up (EnrollmentActivated, promoted) | the learner | `promoted` |
| the course team writes to participants (`messaging.deliver`) | the chosen participants | `course_message` |

(Type keys start with "enrollment.".)

The manager told of a request is the nearest active one up the reporting line, not everyone above them: higher
managers and organisation-wide administrators may decide too, from their approvals page, but a request should not
land in the inbox of everyone up to the chief executive.

Handlers run after the business action committed and never raise into it: a failure is logged and the action
stands. Each notice carries a dedupe key naming its occasion, so an event handled twice (a retried task, a demo
seeded again) tells nobody twice.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar

from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from syllabus.accounts.models import Membership, Organization, User
from syllabus.catalog.models import CourseStaff
from syllabus.core.events import subscribe
from syllabus.enrollment import events
from syllabus.enrollment.models import Enrollment, Method, Status
from syllabus.notifications import services as notifications
from syllabus.notifications import types
from syllabus.notifications.types import NotificationType, Placeholder

logger = logging.getLogger(__name__)

E = TypeVar("E")

APPROVAL_REQUESTED = "enrollment.approval_requested"
REQUEST_APPROVED = "enrollment.request_approved"
REQUEST_DECLINED = "enrollment.request_declined"
ASSIGNED = "enrollment.assigned"
PROMOTED = "enrollment.promoted"
COURSE_MESSAGE = "enrollment.course_message"

# Enrollments someone else made for the person; self-enrollment tells nobody (they clicked), and compliance
# programs and learning paths will tell their people in their own words.
ASSIGNING_METHODS = frozenset(
    {Method.MANAGER, Method.ADMIN, Method.INSTRUCTOR, Method.AUDIENCE, Method.API, Method.IMPORT}
)
# Made by a rule, an import or an integration: the organisation speaks, not whoever set the machinery up.
IMPERSONAL_METHODS = frozenset({Method.AUDIENCE, Method.API, Method.IMPORT})
# Notices per `notify_many` call: bounds the size of its queries (SQLite limits bound parameters) whatever the
# size of an audience.
BATCH = 500
# How far up a reporting line to look for an active manager (also stops a cycle in HR data).
MAX_LINE_STEPS = 20

CATEGORY = _("Enrollment")

_COURSE = Placeholder(_("Course title"), _("Fire safety for clinical areas"))
_LEARNER = Placeholder(_("Name of the person asking"), "Chloe Adams")
_DECIDED_BY = Placeholder(_("Name of the person who decided"), "Amelia Hughes")

TYPES: tuple[NotificationType, ...] = (
    NotificationType(
        key=APPROVAL_REQUESTED,
        label=_("Requests waiting for your approval"),
        description=_(
            "Someone in your team, or someone who wants a place in a course you teach, asks for a place and waits "
            "for a decision."
        ),
        category=CATEGORY,
        subject=_("{{ learner }} asks for a place in {{ course }}"),
        body=_(
            "{{ learner }} asked for a place in {{ course }} and is waiting for a decision. Approve or decline the "
            "request on your approvals page.\n\n{{ note }}"
        ),
        placeholders={
            "learner": _LEARNER,
            "course": _COURSE,
            "note": Placeholder(
                _("The note to the approver, in quotation marks (empty when they wrote none)"),
                _("“I have started mentoring two new starters and would like to give them better feedback.”"),
            ),
        },
        org_mandatory_allowed=True,
    ),
    NotificationType(
        key=REQUEST_APPROVED,
        label=_("Your request for a place was approved"),
        description=_("Your manager or the course team approved your request for a place in a course."),
        category=CATEGORY,
        subject=_("Your place in {{ course }} was approved"),
        body=_(
            "{{ decided_by }} approved your request for a place in {{ course }}. Open the course to start, or to "
            "see your place on the waiting list if it is full."
        ),
        placeholders={"course": _COURSE, "decided_by": _DECIDED_BY},
    ),
    NotificationType(
        key=REQUEST_DECLINED,
        label=_("Your request for a place was declined"),
        description=_("Your manager or the course team declined your request for a place, with their reason."),
        category=CATEGORY,
        subject=_("Your request for a place in {{ course }} was declined"),
        body=_("{{ decided_by }} declined your request for a place in {{ course }}.\n\nTheir reason: {{ reason }}"),
        placeholders={
            "course": _COURSE,
            "decided_by": _DECIDED_BY,
            "reason": Placeholder(
                _("The reason given"),
                _("This course is for people who manage staff. Let's book you on the preceptorship programme."),
            ),
        },
    ),
    NotificationType(
        key=ASSIGNED,
        label=_("Training assigned to you"),
        description=_("Your manager, an instructor, an administrator or an enrollment rule enrolled you in a course."),
        category=CATEGORY,
        subject=_("You have been enrolled in {{ course }}"),
        body=_(
            "{{ enrolled_by }} enrolled you in {{ course }}.\n\nDue date: {{ due_at }}\n\nOpen the course to start."
        ),
        placeholders={
            "course": _COURSE,
            "enrolled_by": Placeholder(
                _("Who enrolled you (the organisation, for rules and imports)"), "Amelia Hughes"
            ),
            "due_at": Placeholder(
                _("Due date, in the learner's time zone (“none” without one)"), _("March 14, 2026, 5 p.m. (GMT)")
            ),
        },
        org_mandatory_allowed=True,
    ),
    NotificationType(
        key=PROMOTED,
        label=_("A place freed up for you"),
        description=_("You were on a course's waiting list and now have a place."),
        category=CATEGORY,
        subject=_("You have a place in {{ course }}"),
        body=_("A place in {{ course }} became free and it is yours: you are no longer on the waiting list."),
        placeholders={"course": _COURSE},
    ),
    NotificationType(
        key=COURSE_MESSAGE,
        label=_("Messages from a course team"),
        description=_("An instructor of a course you take writes to its participants."),
        category=CATEGORY,
        subject=_("{{ course }}: {{ message_subject }}"),
        body=_("{{ message_body }}\n\n— {{ sender }}, {{ course }}"),
        placeholders={
            "course": _COURSE,
            "sender": Placeholder(_("Name of the person who wrote"), "Sophie Turner"),
            "message_subject": Placeholder(
                _("Subject of the message"), _("Your practical session: Thursday, 10:00, Clinical Skills Lab")
            ),
            "message_body": Placeholder(
                _("The message"),
                _(
                    "The hands-on part is this Thursday at 10:00 in the Clinical Skills Lab. Please finish the online "
                    "sections before then."
                ),
            ),
        },
        org_mandatory_allowed=True,
    ),
)


# --- helpers -----------------------------------------------------------------------------------------------------


def guarded(send: Callable[[E], None]) -> Callable[[E], None]:
    """A handler that never raises: the business action committed already, and telling people is secondary.
    Its writes go in a savepoint, so a database error cannot spoil a surrounding transaction either."""

    @functools.wraps(send)
    def handler(event: E) -> None:
        try:
            with transaction.atomic():
                send(event)
        except Exception:
            logger.exception("Could not send the notifications of %r", event)

    return handler


def _chunks(ids: Iterable[int], size: int = BATCH) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def _name(user: User | None) -> str:
    return (user.display_name or user.email) if user is not None else ""


def _course_url(course_id: int) -> str:
    return reverse("catalog:course", args=[course_id])


def line_manager_user_id(membership: Membership) -> int | None:
    """The user of the person's nearest active manager, walking up past managers who have left."""
    seen = {membership.pk}
    current = membership.manager_id
    for _step in range(MAX_LINE_STEPS):
        if current is None or current in seen:
            return None
        seen.add(current)
        row = (
            Membership.objects.filter(pk=current, organization_id=membership.organization_id)
            .values_list("manager_id", "is_active", "user_id", "user__is_active")
            .first()
        )
        if row is None:
            return None
        manager_id, active, user_id, user_active = row
        if active and user_active:
            return int(user_id)
        current = manager_id
    return None


def approver_user_ids(enrollment: Enrollment) -> set[int]:
    """Who is told a request waits: the requester's manager and the course team (`policy.can_decide` lets both
    decide), never the requester."""
    assert enrollment.course_id is not None
    ids = set(
        CourseStaff.objects.filter(
            course_id=enrollment.course_id, membership__is_active=True, membership__user__is_active=True
        ).values_list("membership__user_id", flat=True)
    )
    manager = line_manager_user_id(enrollment.membership)
    if manager is not None:
        ids.add(manager)
    ids.discard(enrollment.membership.user_id)
    return ids


def _no_due_date(user: User, organization: Organization) -> str:
    with translation.override(user.locale or organization.default_language or "en"):
        return pgettext("due date", "none")


# --- the occasions -----------------------------------------------------------------------------------------------


def _enrollment(enrollment_id: int, *statuses: str) -> Enrollment | None:
    """The enrollment as it is now, if in one of `statuses` (any when none are given): one decided or ended since
    the event (later in the same transaction, as the demo does) tells nobody."""
    rows = Enrollment.objects.filter(pk=enrollment_id)
    if statuses:
        rows = rows.filter(status__in=statuses)
    return rows.select_related("organization", "course", "membership__user").first()


def send_approval_requested(enrollment_id: int) -> None:
    enrollment = _enrollment(enrollment_id, Status.PENDING)
    if enrollment is None or enrollment.course is None:
        return
    note = enrollment.request_note.strip()
    context = {
        "learner": _name(enrollment.membership.user),
        "course": enrollment.course.title,
        "note": f"“{note}”" if note else "",
    }
    url = reverse("enrollment:approvals")
    notifications.notify_many(
        [
            notifications.Notice(
                recipient_id=user_id,
                type=APPROVAL_REQUESTED,
                dedupe_key=f"enrollment:{enrollment.pk}:requested",
                context=context,
                organization_id=enrollment.organization_id,
                url=url,
            )
            for user_id in sorted(approver_user_ids(enrollment))
        ]
    )


def send_assigned(*, organization_id: int, enrollment_ids: Sequence[int], method: str, actor_id: int | None) -> None:
    """Tell each learner someone else enrolled them (the ones still active: waitlisted people hear when promoted).
    A constant number of queries per BATCH of people."""
    if method not in ASSIGNING_METHODS:
        return
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        return
    actor = None if method in IMPERSONAL_METHODS or actor_id is None else User.objects.filter(pk=actor_id).first()
    enrolled_by = _name(actor) or organization.name
    for chunk in _chunks(enrollment_ids):
        rows = Enrollment.objects.filter(
            pk__in=chunk, organization_id=organization_id, status=Status.ACTIVE, course__isnull=False
        ).select_related("course", "membership__user")
        notices = []
        for enrollment in rows:
            assert enrollment.course is not None
            user = enrollment.membership.user
            notices.append(
                notifications.Notice(
                    recipient_id=user.pk,
                    type=ASSIGNED,
                    dedupe_key=f"enrollment:{enrollment.pk}:assigned",
                    context={
                        "course": enrollment.course.title,
                        "enrolled_by": enrolled_by,
                        "due_at": enrollment.due_at or _no_due_date(user, organization),
                    },
                    organization_id=organization_id,
                    url=_course_url(enrollment.course_id or 0),
                )
            )
        notifications.notify_many(notices)


def send_decided(*, enrollment_id: int, approved: bool, reason: str, actor_id: int | None) -> None:
    enrollment = _enrollment(enrollment_id)
    if enrollment is None or enrollment.course is None:
        return
    decider = User.objects.filter(pk=actor_id).first() if actor_id is not None else None
    context = {"course": enrollment.course.title, "decided_by": _name(decider) or enrollment.organization.name}
    if not approved:
        context["reason"] = reason
    notifications.notify(
        notifications.Notice(
            recipient_id=enrollment.membership.user_id,
            type=REQUEST_APPROVED if approved else REQUEST_DECLINED,
            dedupe_key=f"enrollment:{enrollment.pk}:decided",
            context=context,
            organization_id=enrollment.organization_id,
            url=_course_url(enrollment.course.pk),
        )
    )


def send_promoted(enrollment_id: int) -> None:
    enrollment = _enrollment(enrollment_id, Status.ACTIVE)
    if enrollment is None or enrollment.course is None:
        return
    notifications.notify(
        notifications.Notice(
            recipient_id=enrollment.membership.user_id,
            type=PROMOTED,
            dedupe_key=f"enrollment:{enrollment.pk}:promoted",
            context={"course": enrollment.course.title},
            organization_id=enrollment.organization_id,
            url=_course_url(enrollment.course.pk),
        )
    )


# --- event handlers ----------------------------------------------------------------------------------------------


@guarded
def on_enrollment_created(event: events.EnrollmentCreated) -> None:
    if event.status == Status.PENDING:
        send_approval_requested(event.enrollment_id)
    elif event.status == Status.ACTIVE:
        send_assigned(
            organization_id=event.organization_id,
            enrollment_ids=[event.enrollment_id],
            method=event.method,
            actor_id=event.actor_id,
        )


@guarded
def on_enrollments_created(event: events.EnrollmentsCreated) -> None:
    send_assigned(
        organization_id=event.organization_id,
        enrollment_ids=event.enrollment_ids,
        method=event.method,
        actor_id=event.actor_id,
    )


@guarded
def on_enrollment_decided(event: events.EnrollmentDecided) -> None:
    send_decided(
        enrollment_id=event.enrollment_id, approved=event.approved, reason=event.reason, actor_id=event.actor_id
    )


@guarded
def on_enrollment_activated(event: events.EnrollmentActivated) -> None:
    # An approval is told by its decision; only a place from the waiting list is news of its own.
    if event.reason == "promoted":
        send_promoted(event.enrollment_id)


def connect() -> None:
    for kind in TYPES:
        types.register(kind)
    subscribe(events.EnrollmentCreated, on_enrollment_created)
    subscribe(events.EnrollmentsCreated, on_enrollments_created)
    subscribe(events.EnrollmentDecided, on_enrollment_decided)
    subscribe(events.EnrollmentActivated, on_enrollment_activated)
