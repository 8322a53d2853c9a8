"""What compliance tells people, through the notifications app: its notification types, who receives the
escalations, and the handlers of its own exemption events. The day-by-day reminders are sent by `reminders.py`
with the types declared here.

| occasion | who is told | type |
|---|---|---|
| a program applies to a person for the first time | the person | `assigned` |
| `reminder_days` before the due date | the person | `due_soon` |
| the due date (`remind_on_due`) | the person | `due_today` |
| overdue, then every `overdue_every_days` | the person | `overdue` / `recertification_overdue` |
| `escalate_manager_days` overdue | the person's nearest active manager | `escalation_manager` |
| `escalate_officer_days` overdue | officers and the program owner: one per program and day | `escalation_officer` |
| the recertification window opens; `reminder_days` before expiry | the person | `window_open` / `expiring` |
| an exemption or extension is requested (ExemptionRequested) | officers who may decide it | `exemption_requested` |
| approved, declined or revoked (ExemptionDecided) | the person and who asked | `exemption_approved` / ... |
| ... or withdrawn (ExemptionDecided, state withdrawn) | nobody: officers' notices of it are marked read | |

The first seven are sent by `reminders.send_for_program` (nightly), the exemption ones by the handlers below.
(Type keys start with "compliance.".)

Escalations and the learner's reminders may be made mandatory by an organisation (`org_mandatory_allowed`): a
regulated organisation may not let people switch off being told they are overdue.

The manager told is the nearest active one up the reporting line (as enrollment does for approvals), found for a
whole batch of people at once. "Compliance officers" are the active members holding `compliance.manage`
organisation-wide (compliance officers, organisation admins and custom roles with it): the same people
`policy.can_manage` lets run programs and decide exemptions.

A requester's reason reaches officers' inboxes: it is kept on one line, cut to `REASON_MAX` characters and quoted
as theirs, so it cannot pass for Syllabus speaking. Sentences that depend on the case (what was asked, what to
do) are whole-sentence placeholders written in the recipient's language.

Handlers run after the business action committed and never raise into it; every notice carries a dedupe key
naming its occasion, so an event handled twice tells nobody twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from syllabus.access.capabilities import ORGANIZATION
from syllabus.access.models import Role, RoleAssignment
from syllabus.access.policy import principal_for
from syllabus.accounts.models import Membership, Organization, User
from syllabus.accounts.selectors import MAX_LINE_STEPS
from syllabus.compliance import events, policy
from syllabus.compliance.models import Exemption, Program, Requirement
from syllabus.core.events import subscribe
from syllabus.notifications import rendering, types
from syllabus.notifications import services as notifications
from syllabus.notifications.types import NotificationType, Placeholder

ASSIGNED = "compliance.assigned"
DUE_SOON = "compliance.due_soon"
DUE_TODAY = "compliance.due_today"
OVERDUE = "compliance.overdue"
RECERTIFICATION_OVERDUE = "compliance.recertification_overdue"
WINDOW_OPEN = "compliance.window_open"
EXPIRING = "compliance.expiring"
ESCALATION_MANAGER = "compliance.escalation_manager"
ESCALATION_OFFICER = "compliance.escalation_officer"
EXEMPTION_REQUESTED = "compliance.exemption_requested"
EXEMPTION_APPROVED = "compliance.exemption_approved"
EXEMPTION_DECLINED = "compliance.exemption_declined"
EXEMPTION_REVOKED = "compliance.exemption_revoked"

# The longest part of a requester's reason that goes to officers (the whole reason stays on the request's page).
REASON_MAX = 300

CATEGORY = _("Compliance")

_PROGRAM = Placeholder(_("Name of the program"), _("Fire safety 2026"))
_DUE_ON = Placeholder(_("The due date"), _("March 31, 2026"))
_PERSON = Placeholder(_("Name of the person"), "Lena Learner")
_NEXT_STEP = Placeholder(
    _("A whole sentence saying what to do: the course(s) to complete, or the statement to acknowledge"),
    _("Complete the course “Fire safety for clinical areas”."),
)
_REQUEST = Placeholder(
    _("What was asked, as a phrase: an exemption (until when) or an extension (to which date)"),
    _("an extension of the due date to April 30, 2026"),
)
_DECIDED_BY = Placeholder(_("Name of the compliance officer who decided"), "Carla Compliance")


# --- who the escalation types concern ----------------------------------------------------------------------------


def manages_people(user: User, organization: Organization | None) -> bool:
    """Whether anyone reports to `user` in `organization` (the manager's escalation goes up the reporting line)."""
    if organization is None or not user.is_active:
        return False
    return principal_for(user, organization).has_reports


def runs_compliance(user: User, organization: Organization | None) -> bool:
    """Whether `user` holds `compliance.manage` organisation-wide (officers' escalations, exemption requests)."""
    if organization is None or not user.is_active:
        return False
    return policy.can_manage(principal_for(user, organization))


TYPES: tuple[NotificationType, ...] = (
    NotificationType(
        key=ASSIGNED,
        label=_("Compliance training assigned to you"),
        description=_("A compliance program now applies to you: what it asks of you and by when."),
        category=CATEGORY,
        subject=_("{{ program }} applies to you: due {{ due_on }}"),
        body=_("{{ program }} now applies to you and is due on {{ due_on }}.\n\n{{ next_step }}"),
        placeholders={"program": _PROGRAM, "due_on": _DUE_ON, "next_step": _NEXT_STEP},
        org_mandatory_allowed=True,
    ),
    NotificationType(
        key=DUE_SOON,
        label=_("Compliance training due soon"),
        description=_("Reminders, a number of days before your compliance training is due (the program sets when)."),
        category=CATEGORY,
        subject=_("Reminder: {{ program }} is due on {{ due_on }}"),
        body=_("{{ program }} is due on {{ due_on }}, in {{ days }} day(s).\n\n{{ next_step }}"),
        placeholders={
            "program": _PROGRAM,
            "due_on": _DUE_ON,
            "days": Placeholder(_("Days left until the due date"), "14"),
            "next_step": _NEXT_STEP,
        },
        org_mandatory_allowed=True,
    ),
    NotificationType(
        key=DUE_TODAY,
        label=_("Compliance training due today"),
        description=_("On the day your compliance training is due, if you have not done it yet."),
        category=CATEGORY,
        subject=_("{{ program }} is due today"),
        body=_("{{ program }} is due today, {{ due_on }}.\n\n{{ next_step }}"),
        placeholders={"program": _PROGRAM, "due_on": _DUE_ON, "next_step": _NEXT_STEP},
        org_mandatory_allowed=True,
    ),
    NotificationType(
        key=OVERDUE,
        label=_("Compliance training overdue"),
        description=_("Your compliance training is overdue: once, then again every few days until it is done."),
        category=CATEGORY,
        subject=_("{{ program }} is overdue"),
        body=_(
            "{{ program }} was due on {{ due_on }} and has been overdue for {{ days }} day(s). Please do it now.\n\n"
            "{{ next_step }}"
        ),
        placeholders={
            "program": _PROGRAM,
            "due_on": _DUE_ON,
            "days": Placeholder(_("Days overdue"), "7"),
            "next_step": _NEXT_STEP,
        },
        org_mandatory_allowed=True,
    ),
    NotificationType(
        key=RECERTIFICATION_OVERDUE,
        label=_("Certification expired"),
        description=_(
            "Your compliance certification expired and recertification is overdue: once, then again every few days."
        ),
        category=CATEGORY,
        subject=_("{{ program }} expired: recertify now"),
        body=_(
            "Your {{ program }} certification expired on {{ due_on }} and recertification has been overdue for "
            "{{ days }} day(s).\n\n{{ next_step }}"
        ),
        placeholders={
            "program": _PROGRAM,
            "due_on": Placeholder(_("The day it expired (the recertification's due date)"), _("March 31, 2026")),
            "days": Placeholder(_("Days overdue"), "7"),
            "next_step": _NEXT_STEP,
        },
        org_mandatory_allowed=True,
    ),
    NotificationType(
        key=WINDOW_OPEN,
        label=_("Recertification open"),
        description=_("The time to recertify has come: a completion from now on renews your certification."),
        category=CATEGORY,
        subject=_("You can now recertify {{ program }}"),
        body=_(
            "Your {{ program }} certification is valid until {{ valid_until }}. You can recertify from today: a "
            "completion from now on renews it.\n\n{{ next_step }}"
        ),
        placeholders={
            "program": _PROGRAM,
            "valid_until": Placeholder(_("The last day the certification is valid"), _("May 31, 2026")),
            "next_step": _NEXT_STEP,
        },
        org_mandatory_allowed=True,
    ),
    NotificationType(
        key=EXPIRING,
        label=_("Certification expiring"),
        description=_("Reminders before your compliance certification expires, while you can recertify."),
        category=CATEGORY,
        subject=_("{{ program }} expires in {{ days }} day(s)"),
        body=_(
            "Your {{ program }} certification is valid until {{ valid_until }}: it expires in {{ days }} day(s). "
            "Recertify before then.\n\n{{ next_step }}"
        ),
        placeholders={
            "program": _PROGRAM,
            "valid_until": Placeholder(_("The last day the certification is valid"), _("May 31, 2026")),
            "days": Placeholder(_("Days left until it expires"), "14"),
            "next_step": _NEXT_STEP,
        },
        org_mandatory_allowed=True,
    ),
    NotificationType(
        key=ESCALATION_MANAGER,
        label=_("Someone in your team is overdue with compliance training"),
        description=_(
            "A person reporting to you has been overdue with compliance training for a while (the program sets "
            "how long). Only for managers."
        ),
        category=CATEGORY,
        subject=_("{{ person }} is overdue with {{ program }}"),
        body=_(
            "{{ person }}, who reports to you, was due to complete {{ program }} on {{ due_on }} and has been "
            "overdue for {{ days }} day(s). Please make sure they do it."
        ),
        placeholders={
            "person": _PERSON,
            "program": _PROGRAM,
            "due_on": _DUE_ON,
            "days": Placeholder(_("Days overdue"), "14"),
        },
        org_mandatory_allowed=True,
        shown_to=manages_people,
    ),
    NotificationType(
        key=ESCALATION_OFFICER,
        label=_("People overdue with a compliance program"),
        description=_(
            "At most one message per program and day, when people reach the number of days overdue at which the "
            "program tells compliance officers, with how many are overdue. Only for compliance officers."
        ),
        category=CATEGORY,
        subject=_("{{ program }}: {{ escalated }} people overdue for {{ days }} days or more"),
        body=_(
            "In {{ program }}, {{ escalated }} people have been overdue for {{ days }} days or more, {{ newly }} of "
            "them reaching it since the last message. {{ overdue }} people are overdue in all.\n\n"
            "See who on the program's page."
        ),
        placeholders={
            "program": _PROGRAM,
            "escalated": Placeholder(_("How many have been overdue for that many days or more"), "12"),
            "newly": Placeholder(_("How many reached it since the last message"), "3"),
            "days": Placeholder(_("The days overdue at which officers are told"), "30"),
            "overdue": Placeholder(_("How many are overdue in all"), "41"),
        },
        org_mandatory_allowed=True,
        shown_to=runs_compliance,
    ),
    NotificationType(
        key=EXEMPTION_REQUESTED,
        label=_("Exemption and extension requests"),
        description=_(
            "Someone asks to be exempted from a compliance program or for more time, with their reason, waiting "
            "for a decision. Only for compliance officers."
        ),
        category=CATEGORY,
        subject=_("{{ requester }} asks for {{ request }} ({{ program }})"),
        body=_(
            "{{ requester }} asked for {{ request }} for {{ person }} in {{ program }}.\n\n{{ reason }}\n\n"
            "Approve or decline it on the exemptions page."
        ),
        placeholders={
            "requester": Placeholder(_("Name of the person who asked"), "Max Manager"),
            "person": _PERSON,
            "program": _PROGRAM,
            "request": _REQUEST,
            "reason": Placeholder(
                _("The reason given, quoted as theirs and cut to 300 characters: keep it apart from your own words"),
                _("Their reason: “On parental leave until the end of April.”"),
            ),
        },
        org_mandatory_allowed=True,
        shown_to=runs_compliance,
    ),
    NotificationType(
        key=EXEMPTION_APPROVED,
        label=_("Exemption or extension approved"),
        description=_(
            "A compliance officer approved an exemption or an extension you asked for, or that concerns you."
        ),
        category=CATEGORY,
        subject=_("Approved: {{ request }} ({{ program }})"),
        body=_("{{ decided_by }} approved {{ request }} for {{ person }} in {{ program }}."),
        placeholders={"request": _REQUEST, "program": _PROGRAM, "person": _PERSON, "decided_by": _DECIDED_BY},
    ),
    NotificationType(
        key=EXEMPTION_DECLINED,
        label=_("Exemption or extension declined"),
        description=_(
            "A compliance officer declined an exemption or an extension you asked for, or that concerns you."
        ),
        category=CATEGORY,
        subject=_("Declined: {{ request }} ({{ program }})"),
        body=_(
            "{{ decided_by }} declined {{ request }} for {{ person }} in {{ program }}.\n\nTheir reason: {{ note }}"
        ),
        placeholders={
            "request": _REQUEST,
            "program": _PROGRAM,
            "person": _PERSON,
            "decided_by": _DECIDED_BY,
            "note": Placeholder(_("The reason given"), _("Fire safety applies to everyone on site.")),
        },
    ),
    NotificationType(
        key=EXEMPTION_REVOKED,
        label=_("Exemption or extension revoked"),
        description=_("A compliance officer revoked an exemption or an extension that concerns you."),
        category=CATEGORY,
        subject=_("Revoked: {{ request }} ({{ program }})"),
        body=_(
            "{{ decided_by }} revoked {{ request }} for {{ person }} in {{ program }}: the program applies again. "
            "See where things stand on your compliance page."
        ),
        placeholders={"request": _REQUEST, "program": _PROGRAM, "person": _PERSON, "decided_by": _DECIDED_BY},
    ),
)


# --- helpers shared with reminders.py ----------------------------------------------------------------------------


def language_of(locale: str, organization: Organization | None) -> str:
    # The language the notifications app renders the message in (its `_render`): the person's, else the
    # organisation's: sentences written here for a placeholder must match it.
    return locale or (organization.default_language if organization is not None else "") or "en"


def link(*candidates: tuple[str, Sequence[object]], query: str = "") -> str:
    """The path of the first URL name that exists (pages of compliance arrive area by area), else ""."""
    for name, args in candidates:
        try:
            return reverse(name, args=list(args)) + query
        except NoReverseMatch:
            continue
    return ""


def next_step_sentence(program: Program, course_titles: Sequence[str], language: str) -> str:
    """What the person has to do, in their language: the course(s), or the statement to acknowledge."""
    with translation.override(language):
        if program.requirement == Requirement.ACKNOWLEDGEMENT:
            text = gettext("Read and acknowledge the statement on your compliance page.")
        elif not course_titles:
            text = gettext("See what to do on your compliance page.")
        elif len(course_titles) == 1:
            text = gettext("Complete the course “{course}”.").format(course=course_titles[0])
        elif program.requirement == Requirement.ALL:
            text = gettext("Complete each of these courses: {courses}.").format(courses=_listed(course_titles))
        else:
            text = gettext("Complete one of these courses: {courses}.").format(courses=_listed(course_titles))
        if program.require_signature:
            text += " " + gettext("Then sign your completion on your compliance page.")
        return text


def _listed(titles: Iterable[str]) -> str:
    return ", ".join(f"“{title}”" for title in titles)


def officer_user_ids(organization_id: int) -> set[int]:
    """Users of the active members holding `compliance.manage` organisation-wide. Two queries."""
    roles = Role.objects.filter(Q(organization__isnull=True) | Q(organization_id=organization_id))
    role_ids = [role.pk for role in roles if "compliance.manage" in role.capabilities]
    if not role_ids:
        return set()
    return set(
        RoleAssignment.objects.filter(
            organization_id=organization_id,
            role_id__in=role_ids,
            scope=ORGANIZATION,
            membership__organization_id=organization_id,
            membership__is_active=True,
            membership__user__is_active=True,
        ).values_list("membership__user_id", flat=True)
    )


def owner_user_id(program: Program) -> int | None:
    """The program owner's user, if an active member of the program's organisation. One query."""
    if program.owner_id is None:
        return None
    active = Membership.objects.filter(
        organization_id=program.organization_id, user_id=program.owner_id, is_active=True, user__is_active=True
    ).exists()
    return program.owner_id if active else None


def nearest_managers(organization_id: int, managers: dict[int, int | None]) -> dict[int, int]:
    """For each person (membership id -> their `manager_id`), the user id of the nearest active manager up the
    reporting line, walking past managers who left. One query per level of the line walked (usually one),
    whatever the number of people; a person whose line has no active manager (or loops) is left out."""
    found: dict[int, int] = {}
    seen: dict[int, set[int]] = {person: {person} for person in managers}
    pending: dict[int, int] = {person: manager for person, manager in managers.items() if manager is not None}
    known: dict[int, tuple[int | None, bool, int]] = {}
    for _step in range(MAX_LINE_STEPS):
        pending = {person: manager for person, manager in pending.items() if manager not in seen[person]}
        if not pending:
            break
        wanted = {manager for manager in pending.values() if manager not in known}
        if wanted:
            for pk, up, active, user_id, user_active in Membership.objects.filter(
                pk__in=wanted, organization_id=organization_id
            ).values_list("pk", "manager_id", "is_active", "user_id", "user__is_active"):
                known[pk] = (up, bool(active and user_active), user_id)
        following: dict[int, int] = {}
        for person, manager in pending.items():
            seen[person].add(manager)
            row = known.get(manager)
            if row is None:
                continue
            above, reachable, manager_user = row
            if reachable:
                found[person] = manager_user
            elif above is not None:
                following[person] = above
        pending = following
    return found


def _quoted(text: str, *, language: str) -> str:
    """The requester's reason for officers, marked as their words: one line, at most REASON_MAX characters."""
    text = " ".join(text.split())
    if len(text) > REASON_MAX:
        text = text[: REASON_MAX - 1].rstrip() + "…"
    with translation.override(language):
        return gettext("Their reason: “{reason}”").format(reason=text)


def request_phrase(exemption: Exemption, *, language: str, time_zone: str) -> str:
    """What was asked, as a phrase in the recipient's language ("an extension of the due date to 30 April")."""
    with translation.override(language):
        if exemption.kind == Exemption.Kind.EXTENSION and exemption.extend_to is not None:
            day = rendering.format_value(exemption.extend_to, time_zone=time_zone)
            return gettext("an extension of the due date to {date}").format(date=day)
        if exemption.ends_on is not None:
            day = rendering.format_value(exemption.ends_on, time_zone=time_zone)
            return gettext("an exemption until {date}").format(date=day)
        return gettext("an exemption with no end date")


def requested_key(exemption_id: int) -> str:
    """The dedupe key of the officers' "asks for an exemption" notices (settled once the request is decided)."""
    return f"compliance:exemption:{exemption_id}:requested"


def _name(user: User | None) -> str:
    return (user.display_name or user.email) if user is not None else ""


# --- the exemption occasions -------------------------------------------------------------------------------------


def _exemption(exemption_id: int) -> Exemption | None:
    return (
        Exemption.objects.filter(pk=exemption_id)
        .select_related("organization", "program", "membership__user", "requested_by")
        .first()
    )


def send_requested(exemption_id: int) -> None:
    exemption = _exemption(exemption_id)
    if exemption is None or exemption.state != Exemption.State.PENDING:
        return  # decided or withdrawn meanwhile: nothing waits any more
    person = exemption.membership.user
    # Four eyes: officers never decide their own request or about themselves, so they are not asked to.
    recipients = officer_user_ids(exemption.organization_id) - {person.pk, exemption.requested_by_id}
    if not recipients:
        return
    organization = exemption.organization
    url = link(("compliance:exemption", [exemption.pk]), ("compliance:exemptions", []))
    notices = []
    for user in User.objects.filter(pk__in=recipients, is_active=True):
        language = language_of(user.locale, organization)
        notices.append(
            notifications.Notice(
                recipient_id=user.pk,
                type=EXEMPTION_REQUESTED,
                dedupe_key=requested_key(exemption.pk),
                context={
                    "requester": _name(exemption.requested_by) or _name(person),
                    "person": _name(person),
                    "program": exemption.program.name,
                    "request": request_phrase(exemption, language=language, time_zone=user.time_zone),
                    "reason": _quoted(exemption.reason, language=language),
                },
                organization_id=exemption.organization_id,
                url=url,
                about_id=person.pk,
            )
        )
    notifications.notify_many(notices)


def send_decided(exemption_id: int, *, actor_id: int | None) -> None:
    exemption = _exemption(exemption_id)
    if exemption is None:
        return
    kind = {
        Exemption.State.APPROVED: EXEMPTION_APPROVED,
        Exemption.State.DECLINED: EXEMPTION_DECLINED,
        Exemption.State.REVOKED: EXEMPTION_REVOKED,
    }.get(exemption.state)  # type: ignore[call-overload]
    if kind is None:
        return  # withdrawn (or still pending): the person who asked knows
    person = exemption.membership.user
    decider = User.objects.filter(pk=actor_id).first() if actor_id is not None else None
    decided_by = _name(decider) or _name(exemption.decided_by) or exemption.organization.name
    recipients = {person.pk, exemption.requested_by_id} - {None, actor_id}
    organization = exemption.organization
    notices = []
    for user in User.objects.filter(pk__in=recipients, is_active=True):
        language = language_of(user.locale, organization)
        context = {
            "request": request_phrase(exemption, language=language, time_zone=user.time_zone),
            "program": exemption.program.name,
            "person": _name(person),
            "decided_by": decided_by,
        }
        if kind == EXEMPTION_DECLINED:
            context["note"] = exemption.decision_note
        own = user.pk == person.pk
        notices.append(
            notifications.Notice(
                recipient_id=user.pk,
                type=kind,
                dedupe_key=f"compliance:exemption:{exemption.pk}:{exemption.state}",
                context=context,
                organization_id=exemption.organization_id,
                url=link(("compliance:mine", [])) if own else link(("compliance:exemption", [exemption.pk])),
                about_id=None if own else person.pk,
            )
        )
    notifications.notify_many(notices)


@notifications.never_fails
def on_exemption_requested(event: events.ExemptionRequested) -> None:
    send_requested(event.exemption_id)


@notifications.never_fails
def on_exemption_decided(event: events.ExemptionDecided) -> None:
    # Whoever decided it (or it was withdrawn), no officer is left with an unread request that no longer waits.
    notifications.notifications_settle(dedupe_key=requested_key(event.exemption_id))
    send_decided(event.exemption_id, actor_id=event.actor_id)


def connect() -> None:
    for kind in TYPES:
        types.register(kind)
    subscribe(events.ExemptionRequested, on_exemption_requested)
    subscribe(events.ExemptionDecided, on_exemption_decided)
