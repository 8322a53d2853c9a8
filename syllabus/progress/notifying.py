"""What progress tells people, through the notifications app: external training waiting for a decision, and the
decision.

| occasion (event) | who is told | type |
|---|---|---|
| external training submitted (ExternalTrainingSubmitted) | the person's manager | `progress.external_submitted` |
| approved or declined (ExternalTrainingDecided) | the person | `progress.external_approved` / `_declined` |

Anyone who assigns the person training may decide (`services._require_external_decider`: the reporting line, an
org-unit scope, organisation-wide administrators) and sees the record on their approvals page; the one told is the
nearest active manager up the reporting line, so the record does not land in the inbox of everyone above them.

Once the record is decided, whoever decided it, the manager's "waiting for your approval" notice is marked read
(`notifications_settle`). The title and provider are the person's own words: in the approver's message they are
kept on one line and quoted, so they cannot pass for Syllabus speaking.

Handlers run after the business action committed and never raise into it; dedupe keys name the occasion, so an
event handled twice tells nobody twice.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from syllabus.access.models import RoleAssignment
from syllabus.accounts.models import Membership, Organization, User
from syllabus.accounts.selectors import nearest_manager_user_id
from syllabus.core.events import subscribe
from syllabus.notifications import services as notifications
from syllabus.notifications import types
from syllabus.notifications.types import NotificationType, Placeholder
from syllabus.progress import events
from syllabus.progress.models import ExternalTraining

EXTERNAL_SUBMITTED = "progress.external_submitted"
EXTERNAL_APPROVED = "progress.external_approved"
EXTERNAL_DECLINED = "progress.external_declined"

CATEGORY = _("Learning records")

_TITLE = Placeholder(_("Title of the training"), _("Immediate life support (ILS)"))
_DECIDED_BY = Placeholder(_("Name of the person who decided"), "Amelia Hughes")


def decides_external(user: User, organization: Organization | None) -> bool:
    """Whether `user` can decide someone's external training in `organization` (`services._require_external_decider`:
    `enrollment.assign` over the person, which managers hold over their reporting line and roles grant org-wide or
    over an org unit). The preferences page shows the approval type to these people only. At most two queries."""
    if organization is None or not user.is_active:
        return False
    if user.is_platform_admin:
        return True
    row = (
        Membership.objects.filter(organization=organization, user=user, is_active=True)
        .annotate(manages=Exists(Membership.objects.filter(manager=OuterRef("pk"), is_active=True)))
        .values_list("pk", "manages")
        .first()
    )
    if row is None:
        return False
    membership_id, manages = row
    return bool(manages) or any(
        "enrollment.assign" in assignment.role.capabilities
        for assignment in RoleAssignment.objects.filter(membership_id=membership_id).select_related("role")
    )


def _own_words(text: str) -> str:
    # One line: a line break in a title cannot open a paragraph that reads as Syllabus speaking.
    return " ".join(text.split())


TYPES: tuple[NotificationType, ...] = (
    NotificationType(
        key=EXTERNAL_SUBMITTED,
        label=_("External training waiting for your approval"),
        description=_(
            "Someone in your team recorded training they took elsewhere, for you to approve. Only for people who "
            "approve training."
        ),
        category=CATEGORY,
        subject=_("{{ learner }} recorded external training: “{{ title }}”"),
        body=_(
            "{{ learner }} recorded training taken elsewhere and asks you to approve it onto their transcript. In "
            "their words: “{{ title }}”, provided by “{{ provider }}”, completed on {{ completed_on }}.\n\n"
            "Check their evidence, then approve or decline it on your approvals page."
        ),
        placeholders={
            "learner": Placeholder(_("Name of the person"), "Chloe Adams"),
            "title": Placeholder(
                _("Title of the training, as the person wrote it: quote it as theirs"),
                _("Immediate life support (ILS)"),
            ),
            "provider": Placeholder(
                _("Who provided the training, as the person wrote it: quote it as theirs"),
                _("Resuscitation Council UK"),
            ),
            "completed_on": Placeholder(_("Date it was completed"), _("Feb. 2, 2026")),
        },
        org_mandatory_allowed=True,
        shown_to=decides_external,
    ),
    NotificationType(
        key=EXTERNAL_APPROVED,
        label=_("Your external training was approved"),
        description=_("Training you recorded from elsewhere was approved and is on your transcript."),
        category=CATEGORY,
        subject=_("“{{ title }}” is on your transcript"),
        body=_("{{ decided_by }} approved the external training “{{ title }}”. It is now on your transcript."),
        placeholders={"title": _TITLE, "decided_by": _DECIDED_BY},
    ),
    NotificationType(
        key=EXTERNAL_DECLINED,
        label=_("Your external training was declined"),
        description=_("Training you recorded from elsewhere was declined, with the reason."),
        category=CATEGORY,
        subject=_("Your external training “{{ title }}” was declined"),
        body=_(
            "{{ decided_by }} declined the external training “{{ title }}”.\n\nTheir reason: {{ reason }}\n\n"
            "You can record it again with the missing details or evidence."
        ),
        placeholders={
            "title": _TITLE,
            "decided_by": _DECIDED_BY,
            "reason": Placeholder(_("The reason given"), _("The certificate does not show the date: please add it.")),
        },
    ),
)


def _record(external_id: int) -> ExternalTraining | None:
    return (
        ExternalTraining.objects.filter(pk=external_id)
        .select_related("organization", "membership__user", "decided_by")
        .first()
    )


def submitted_key(external_id: int) -> str:
    """The dedupe key of the approver's "waiting for your approval" notice (settled once the record is decided)."""
    return f"external:{external_id}:submitted"


def send_submitted(external_id: int) -> None:
    record = _record(external_id)
    if record is None or record.status != ExternalTraining.Status.PENDING:
        return  # decided meanwhile (later in the same transaction): nothing waits any more
    manager = nearest_manager_user_id(record.membership)
    if manager is None or manager == record.membership.user_id:
        return
    person: User = record.membership.user
    notifications.notify(
        notifications.Notice(
            recipient_id=manager,
            type=EXTERNAL_SUBMITTED,
            dedupe_key=submitted_key(record.pk),
            context={
                "learner": person.display_name or person.email,
                "title": _own_words(record.title),
                "provider": _own_words(record.provider),
                "completed_on": record.completed_on,
            },
            organization_id=record.organization_id,
            url=reverse("progress:external-approvals"),
            about_id=person.pk,
        )
    )


def send_decided(external_id: int, *, approved: bool) -> None:
    record = _record(external_id)
    if record is None:
        return
    decider = record.decided_by
    context = {
        "title": record.title,
        "decided_by": (decider.display_name or decider.email) if decider else record.organization.name,
    }
    if not approved:
        context["reason"] = record.decision_reason
    notifications.notify(
        notifications.Notice(
            recipient_id=record.membership.user_id,
            type=EXTERNAL_APPROVED if approved else EXTERNAL_DECLINED,
            dedupe_key=f"external:{record.pk}:decided",
            context=context,
            organization_id=record.organization_id,
            url=reverse("progress:transcript" if approved else "progress:external"),
        )
    )


@notifications.never_fails
def on_external_submitted(event: events.ExternalTrainingSubmitted) -> None:
    send_submitted(event.external_id)


@notifications.never_fails
def on_external_decided(event: events.ExternalTrainingDecided) -> None:
    notifications.notifications_settle(dedupe_key=submitted_key(event.external_id))
    send_decided(event.external_id, approved=event.approved)


def connect() -> None:
    for kind in TYPES:
        types.register(kind)
    subscribe(events.ExternalTrainingSubmitted, on_external_submitted)
    subscribe(events.ExternalTrainingDecided, on_external_decided)
