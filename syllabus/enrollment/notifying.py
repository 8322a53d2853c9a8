"""What enrollment tells people, through the notifications app: its notification types and the handlers of its
own domain events that send them.

| occasion (event) | who is told | type |
|---|---|---|
| a request waits (EnrollmentCreated, pending) | the requester's manager, the course team | `approval_requested` |
| the request is decided (EnrollmentDecided) | the requester | `request_approved`, `request_declined` |
| ... or withdrawn (EnrollmentWithdrawn) | nobody: the approvers' notices of it are marked read | |
| someone else enrolls a person (EnrollmentCreated / EnrollmentsCreated, active) | the learner | `assigned` |
| a place frees up (EnrollmentActivated, promoted) | the learner | `promoted` |
| the course team writes to participants (`messaging.deliver`) | the chosen participants | `course_message` |

(Type keys start with "enrollment.".)

The manager told of a request is the nearest active one up the reporting line, not everyone above them: higher
managers and organisation-wide administrators may decide too, from their approvals page, but a request should not
land in the inbox of everyone up to the chief executive.

Once a request is decided or withdrawn, whoever did it, every approver's "asks for a place" notice of it is
marked read (`notifications_settle`): nobody is left with an unread request that is no longer there.

The learner's own words (their note to the approver) reach approvers' inboxes: they are cut to `NOTE_MAX`
characters, kept on one line and quoted as theirs ("Their note: “…”"), so they cannot pass for Syllabus speaking.
Sentences that depend on the case (the due date, a place now or on the waiting list) are whole-sentence
placeholders written in the recipient's language, empty when they do not apply, so organisations' wordings stay
free of "Due date: none".

Handlers run after the business action committed and never raise into it: a failure is logged and the action
stands. Each notice carries a dedupe key naming its occasion, so an event handled twice (a retried task, a demo
seeded again) tells nobody twice.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from syllabus.access.capabilities import ORGANIZATION
from syllabus.access.models import RoleAssignment
from syllabus.accounts.models import Membership, Organization, User
from syllabus.accounts.selectors import nearest_manager_user_id
from syllabus.catalog.models import CourseStaff
from syllabus.core import clock
from syllabus.core.events import subscribe
from syllabus.enrollment import events
from syllabus.enrollment.models import Enrollment, Method, Status
from syllabus.notifications import rendering, types
from syllabus.notifications import services as notifications
from syllabus.notifications.types import NotificationType, Placeholder

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
# The longest part of a learner's note that goes to approvers (the whole note stays on their approvals page).
NOTE_MAX = 300

CATEGORY = _("Enrollment")

_COURSE = Placeholder(_("Course title"), _("Fire safety for clinical areas"))
_LEARNER = Placeholder(_("Name of the person asking"), "Chloe Adams")
_DECIDED_BY = Placeholder(_("Name of the person who decided"), "Amelia Hughes")

# --- who the approval type concerns ------------------------------------------------------------------------------


def approves_requests(user: User, organization: Organization | None) -> bool:
    """Whether `user` can decide some request for a place in `organization` (`policy.can_decide`): a manager of
    someone, a member of some course team, or a holder of `enrollment.assign` (any scope) or `course.teach`
    (organisation-wide). The preferences page shows the approval type to these people only. At most two queries.
    """
    if organization is None or not user.is_active:
        return False
    if user.is_platform_admin:
        return True
    row = (
        Membership.objects.filter(organization=organization, user=user, is_active=True)
        .annotate(
            manages=Exists(Membership.objects.filter(manager=OuterRef("pk"), is_active=True)),
            teaches=Exists(CourseStaff.objects.filter(membership=OuterRef("pk"))),
        )
        .values_list("pk", "manages", "teaches")
        .first()
    )
    if row is None:
        return False
    membership_id, manages, teaches = row
    if manages or teaches:
        return True
    for assignment in RoleAssignment.objects.filter(membership_id=membership_id).select_related("role"):
        granted = assignment.role.capabilities
        if "enrollment.assign" in granted or (assignment.scope == ORGANIZATION and "course.teach" in granted):
            return True
    return False


TYPES: tuple[NotificationType, ...] = (
    NotificationType(
        key=APPROVAL_REQUESTED,
        label=_("Requests waiting for your approval"),
        description=_(
            "Someone in your team, or someone who wants a place in a course you teach, asks for a place and waits "
            "for a decision, with their note if they wrote one. Only for people who can approve requests."
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
                _(
                    "The person's note, quoted as theirs and cut to 300 characters (empty when they wrote none): "
                    "keep it apart from your own words"
                ),
                _(
                    "Their note: “I have started mentoring two new starters and would like to give them better "
                    "feedback.”"
                ),
            ),
        },
        org_mandatory_allowed=True,
        shown_to=approves_requests,
    ),
    NotificationType(
        key=REQUEST_APPROVED,
        label=_("Your request for a place was approved"),
        description=_(
            "Your manager or the course team approved your request for a place in a course: it says whether you "
            "have a place now or are on the waiting list."
        ),
        category=CATEGORY,
        subject=_("Your request for a place in {{ course }} was approved"),
        body=_("{{ decided_by }} approved your request for a place in {{ course }}.\n\n{{ outcome }}"),
        placeholders={
            "course": _COURSE,
            "decided_by": _DECIDED_BY,
            "outcome": Placeholder(
                _("A whole sentence: a place now, or a place on the waiting list because the course is full"),
                _("You have a place: open the course to start."),
            ),
        },
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
        description=_(
            "Your manager, an instructor, an administrator or an enrollment rule enrolled you in a course. The "
            "message gives its due date, or says it is overdue, and says nothing of a due date when there is none."
        ),
        category=CATEGORY,
        subject=_("You have been enrolled in {{ course }}"),
        body=_("{{ enrolled_by }} enrolled you in {{ course }}. Open the course to start.\n\n{{ due_sentence }}"),
        placeholders={
            "course": _COURSE,
            "enrolled_by": Placeholder(
                _("Who enrolled you (the organisation, for rules and imports)"), "Amelia Hughes"
            ),
            "due_sentence": Placeholder(
                _(
                    "A whole sentence with the due date in the learner's time zone, saying so when it has passed; "
                    "empty without a due date, so give it a line of its own or end the message with it"
                ),
                _("It is due on March 14, 2026."),
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


def _chunks(ids: Iterable[int], size: int = BATCH) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def _name(user: User | None) -> str:
    return (user.display_name or user.email) if user is not None else ""


def _course_url(course_id: int) -> str:
    return reverse("catalog:course", args=[course_id])


def approver_user_ids(enrollment: Enrollment) -> set[int]:
    """Who is told a request waits: the requester's manager and the course team (`policy.can_decide` lets both
    decide), never the requester."""
    assert enrollment.course_id is not None
    ids = set(
        CourseStaff.objects.filter(
            course_id=enrollment.course_id, membership__is_active=True, membership__user__is_active=True
        ).values_list("membership__user_id", flat=True)
    )
    manager = nearest_manager_user_id(enrollment.membership)
    if manager is not None:
        ids.add(manager)
    ids.discard(enrollment.membership.user_id)
    return ids


def _language(user: User, organization: Organization | None) -> str:
    # The language the notifications app renders the message in (its `_render`): the person's, else the
    # organisation's: sentences written here for a placeholder must match it.
    return user.locale or (organization.default_language if organization is not None else "") or "en"


def _local_date(moment: dt.datetime, time_zone: str) -> dt.date:
    try:
        zone = zoneinfo.ZoneInfo(time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(zone).date()


def due_sentence(due_at: dt.datetime | None, *, user: User, organization: Organization | None, now: dt.datetime) -> str:
    """The due date as a sentence in the person's language: the day in their time zone (the hour a due date falls
    at is an artefact of time zones, not a deadline anyone plans by), overdue when it passed before the notice was
    sent, and nothing at all without a due date."""
    if due_at is None:
        return ""
    with translation.override(_language(user, organization)):
        day = rendering.format_value(_local_date(due_at, user.time_zone), time_zone=user.time_zone)
        if due_at <= now:
            return gettext("It was due on {date}: it is overdue.").format(date=day)
        return gettext("It is due on {date}.").format(date=day)


def quoted_note(note: str, *, language: str) -> str:
    """The learner's note for approvers, marked as their words: one line (a line break cannot start a paragraph
    that reads as Syllabus speaking), at most NOTE_MAX characters. Empty without a note."""
    note = " ".join(note.split())
    if not note:
        return ""
    if len(note) > NOTE_MAX:
        note = note[: NOTE_MAX - 1].rstrip() + "…"
    with translation.override(language):
        return gettext("Their note: “{note}”").format(note=note)


def _outcome(enrollment: Enrollment, user: User) -> str:
    """What an approval gave, said plainly: a place now, or a place on the waiting list."""
    with translation.override(_language(user, enrollment.organization)):
        if enrollment.status in (Status.ACTIVE, Status.COMPLETED):
            return gettext("You have a place: open the course to start.")
        if enrollment.status == Status.WAITLISTED:
            return gettext(
                "The course is full, so you are on its waiting list: you will be notified when a place frees up."
            )
    return ""  # withdrawn since: the approval gave nothing that lasts


def requested_key(enrollment_id: int) -> str:
    """The dedupe key of the approvers' "asks for a place" notices of one request (settled once it is decided)."""
    return f"enrollment:{enrollment_id}:requested"


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
    requester = enrollment.membership.user
    approvers = User.objects.filter(pk__in=approver_user_ids(enrollment)).only("pk", "locale").order_by("pk")
    url = reverse("enrollment:approvals")
    notifications.notify_many(
        [
            notifications.Notice(
                recipient_id=approver.pk,
                type=APPROVAL_REQUESTED,
                dedupe_key=requested_key(enrollment.pk),
                context={
                    "learner": _name(requester),
                    "course": enrollment.course.title,
                    # In each approver's language: the quote's label is ours, the words inside it the learner's.
                    "note": quoted_note(enrollment.request_note, language=_language(approver, enrollment.organization)),
                },
                organization_id=enrollment.organization_id,
                url=url,
                about_id=requester.pk,
            )
            for approver in approvers
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
    now = clock.now()
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
                        "due_sentence": due_sentence(enrollment.due_at, user=user, organization=organization, now=now),
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
    if approved:
        context["outcome"] = _outcome(enrollment, enrollment.membership.user)
    else:
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


@notifications.never_fails
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


@notifications.never_fails
def on_enrollments_created(event: events.EnrollmentsCreated) -> None:
    send_assigned(
        organization_id=event.organization_id,
        enrollment_ids=event.enrollment_ids,
        method=event.method,
        actor_id=event.actor_id,
    )


@notifications.never_fails
def on_enrollment_decided(event: events.EnrollmentDecided) -> None:
    notifications.notifications_settle(dedupe_key=requested_key(event.enrollment_id))
    send_decided(
        enrollment_id=event.enrollment_id, approved=event.approved, reason=event.reason, actor_id=event.actor_id
    )


@notifications.never_fails
def on_enrollment_activated(event: events.EnrollmentActivated) -> None:
    # An approval is told by its decision; only a place from the waiting list is news of its own.
    if event.reason == "promoted":
        send_promoted(event.enrollment_id)


@notifications.never_fails
def on_enrollment_withdrawn(event: events.EnrollmentWithdrawn) -> None:
    # Only a request the person made themselves and nobody decided can have approvers waiting: checking that by
    # id first spares withdrawals by the thousand (people leaving an audience) a search of every notification.
    waited = Enrollment.objects.filter(pk=event.enrollment_id, method=Method.SELF, decided_at__isnull=True).exists()
    if waited:
        notifications.notifications_settle(dedupe_key=requested_key(event.enrollment_id))


def connect() -> None:
    for kind in TYPES:
        types.register(kind)
    subscribe(events.EnrollmentCreated, on_enrollment_created)
    subscribe(events.EnrollmentsCreated, on_enrollments_created)
    subscribe(events.EnrollmentDecided, on_enrollment_decided)
    subscribe(events.EnrollmentActivated, on_enrollment_activated)
    subscribe(events.EnrollmentWithdrawn, on_enrollment_withdrawn)
