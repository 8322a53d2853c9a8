"""Exemptions and extensions: a person (or their manager) asks, a compliance officer decides, and signs approvals.

- `exemption_request`: the person themselves, or whoever may assign training to them (`policy.can_request_exemption`)
  asks to be exempt (until a date, or without end) or for a later due date of the current cycle.
- `exemption_decide`: a compliance officer approves or declines — never their own request nor one about themselves
  (four eyes, `policy.can_decide_exemption`). An approval is an electronic signature of the approver over the
  request (`signatures.signature_create(record_type="exemption")`); a decline needs a note.
- `exemption_withdraw` (the requester, while pending) and `exemption_revoke` (an officer, with a reason, once
  approved).

Every step is audited; requests and decisions emit `ExemptionRequested` / `ExemptionDecided` after commit. Steps
that change the facts re-evaluate the person at once (`evaluation.evaluate_program`), which turns an approved
exemption into the status "exempt" until `ends_on` and an approved extension into the cycle's new due date.

The reads of the pages and the API (`exemption_list`, `exemption_get`, `visible_q`) are at the end of the module.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from syllabus.access.policy import NOT_ALLOWED, Principal, principal_for
from syllabus.accounts.models import Organization, User
from syllabus.audit.services import audit_record
from syllabus.compliance import evaluation, events, policy
from syllabus.compliance.models import Assignment, Exemption, ProgramStatus, StatusCode
from syllabus.compliance.services.signatures import Credentials, signature_create
from syllabus.core import clock
from syllabus.core.events import emit

AUDIT_ACTIONS = (
    ("compliance.exemption_requested", _("Compliance exemption or extension requested")),
    ("compliance.exemption_approved", _("Compliance exemption or extension approved")),
    ("compliance.exemption_declined", _("Compliance exemption or extension declined")),
    ("compliance.exemption_withdrawn", _("Compliance exemption or extension request withdrawn")),
    ("compliance.exemption_revoked", _("Compliance exemption or extension revoked")),
)

# An exemption with an end date ends within ten years (leave the date empty for one without end).
MAX_EXEMPTION_DAYS = 3653
ENDS_ON_TOO_FAR = "Choose an end date on or before {last}, or leave it empty for an exemption without end."
KIND_INVALID = "Choose an exemption or an extension of the due date."
REASON_REQUIRED = "Say why the exemption or extension is needed."
REASON_TOO_LONG = "Keep the reason under {limit} characters."
EXTEND_TO_REQUIRED = "Choose the new due date."
EXTEND_TO_NOT_LATER = "Choose a new due date after the current one ({due})."
EXTEND_TO_PAST = "Choose a new due date in the future."
EXTEND_TO_TOO_FAR = "Choose a new due date at most {days} days away (by {last})."
EXTENSION_NOT_DUE = "Only a due date that has not been met can be extended: this person is {status}."
ENDS_ON_PAST = "Choose an end date in the future, or leave it empty for an exemption without end."
PENDING_EXISTS = "A request of this kind is already waiting for a decision for this person and program."
ASSIGNMENT_CLOSED = "This person is no longer assigned to this program."
PROGRAM_NOT_ACTIVE = "The program is not active."
CYCLE_MOVED_ON = "The person's cycle has moved on since this request was made: decline it and ask again."
NOT_PENDING = "This request is no longer waiting for a decision."
NOT_APPROVED = "Only an approved exemption or extension can be revoked."
NOTE_REQUIRED = "Say why the request is declined."
REVOKE_REASON_REQUIRED = "Say why it is revoked."
FOUR_EYES = "You cannot decide on a request you made or one about yourself: another compliance officer must decide."
ONLY_REQUESTER = "Only the person who made the request can withdraw it."

MAX_REASON = 2000
MAX_EXTENSION_DAYS = 365
# Statuses whose due date is still to be met: the only ones an extension makes sense for.
EXTENDABLE = (StatusCode.NOT_YET_DUE, StatusCode.DUE_SOON, StatusCode.OVERDUE, StatusCode.EXPIRED)


def _deny(message: str = NOT_ALLOWED) -> PermissionDenied:
    return PermissionDenied(message)


def approval_meaning(exemption: Exemption) -> str:
    """The meaning the approver signs, shown verbatim on the decision page and stored with the signature."""
    if exemption.kind == Exemption.Kind.EXTENSION:
        return gettext("I approve this extension of the due date")
    return gettext("I approve this exemption from the compliance program")


def exemption_record(exemption: Exemption) -> dict[str, Any]:
    """The record an approval signs: the request as decided, by ids and dates. The reason is hashed rather than
    copied: it may describe health or family matters, and the signature must outlive the erasure of such text
    while still proving which text was approved. Rebuilt the same way, it checks a signature
    (`signatures.signature_check(signature, exemption_record(exemption))`)."""
    return {
        "exemption_id": exemption.pk,
        "kind": exemption.kind,
        "program_id": exemption.program_id,
        "assignment_id": exemption.assignment_id,
        "membership_id": exemption.membership_id,
        "cycle": exemption.cycle,
        "ends_on": exemption.ends_on.isoformat() if exemption.ends_on else None,
        "extend_to": exemption.extend_to.isoformat() if exemption.extend_to else None,
        "reason_sha256": hashlib.sha256(exemption.reason.encode()).hexdigest(),
        "requested_by_id": exemption.requested_by_id,
        "requested_at": exemption.requested_at.isoformat(),
        "decision": "approved",
        "decision_note": exemption.decision_note,
    }


def _check_dates(
    *, kind: str, assignment: Assignment, today: dt.date, ends_on: dt.date | None, extend_to: dt.date | None
) -> dict[str, str]:
    """Field errors of the dates of a request (asked again when it is approved: time may have passed)."""
    errors: dict[str, str] = {}
    if kind == Exemption.Kind.EXTENSION:
        if assignment.status not in EXTENDABLE:
            errors["kind"] = EXTENSION_NOT_DUE.format(status=StatusCode(assignment.status).label.lower())
        elif extend_to is None:
            errors["extend_to"] = EXTEND_TO_REQUIRED
        elif extend_to <= assignment.due_on:
            errors["extend_to"] = EXTEND_TO_NOT_LATER.format(due=assignment.due_on.isoformat())
        elif extend_to <= today:
            errors["extend_to"] = EXTEND_TO_PAST
        else:
            # Counted from the later of the due date and today, so someone long overdue can still get a year.
            last = max(assignment.due_on, today) + dt.timedelta(days=MAX_EXTENSION_DAYS)
            if extend_to > last:
                errors["extend_to"] = EXTEND_TO_TOO_FAR.format(days=MAX_EXTENSION_DAYS, last=last.isoformat())
    elif ends_on is not None and ends_on <= today:
        errors["ends_on"] = ENDS_ON_PAST
    elif ends_on is not None and ends_on > today + dt.timedelta(days=MAX_EXEMPTION_DAYS):
        last = today + dt.timedelta(days=MAX_EXEMPTION_DAYS)
        errors["ends_on"] = ENDS_ON_TOO_FAR.format(last=last.isoformat())
    return errors


def _evaluate(exemption: Exemption) -> None:
    """Re-evaluate the person inside the caller's transaction, so the page after the redirect shows the new status.
    A revoked approval stays a fact (`revoked_at`): exempt until the day before, so the ledger's past holds."""
    evaluation.evaluate_program(exemption.program, membership_ids=[exemption.membership_id])


def exemption_request(
    *,
    assignment: Assignment,
    by: User,
    kind: str,
    reason: str,
    ends_on: dt.date | None = None,
    extend_to: dt.date | None = None,
) -> Exemption:
    """Ask for an exemption (until `ends_on`, its last exempt day, or without end) or an extension of the current
    cycle's due date to `extend_to`. One pending request per assignment and kind."""
    organization = assignment.organization
    principal = principal_for(by, organization)
    membership = assignment.membership
    if not policy.can_request_exemption(principal, membership):
        raise _deny()
    if kind not in Exemption.Kind.values:
        raise ValidationError({"kind": KIND_INVALID})
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if not reason:
        errors["reason"] = REASON_REQUIRED
    elif len(reason) > MAX_REASON:
        errors["reason"] = REASON_TOO_LONG.format(limit=MAX_REASON)
    if kind == Exemption.Kind.EXTENSION:
        ends_on = None
    else:
        extend_to = None
    program = assignment.program
    with transaction.atomic():
        # The row lock serialises two requests for the same person (SQLite: IMMEDIATE transactions do it).
        locked = Assignment.objects.select_for_update().filter(pk=assignment.pk).first()
        if locked is None or locked.ended_at is not None:
            raise ValidationError(ASSIGNMENT_CLOSED)
        if program.status != ProgramStatus.ACTIVE:
            raise ValidationError(PROGRAM_NOT_ACTIVE)
        today = evaluation.program_today(program)
        errors.update(_check_dates(kind=kind, assignment=locked, today=today, ends_on=ends_on, extend_to=extend_to))
        if errors:
            raise ValidationError(errors)
        if Exemption.objects.filter(assignment=locked, kind=kind, state=Exemption.State.PENDING).exists():
            raise ValidationError({"kind": PENDING_EXISTS})
        exemption = Exemption.objects.create(
            organization=organization,
            program=program,
            assignment=locked,
            membership=membership,
            kind=kind,
            cycle=locked.cycle,
            reason=reason,
            ends_on=ends_on,
            extend_to=extend_to,
            requested_by=by,
            requested_at=clock.now(),
        )
        audit_record(
            organization=organization,
            action="compliance.exemption_requested",
            actor=by,
            target=exemption,
            after={
                "program_id": program.pk,
                "assignment_id": locked.pk,
                "kind": kind,
                "cycle": locked.cycle,
                "ends_on": ends_on.isoformat() if ends_on else None,
                "extend_to": extend_to.isoformat() if extend_to else None,
                "due_on": locked.due_on.isoformat(),
            },
            # The reason may describe the person's health or family: kept in their erasable part.
            personal_after={"reason": reason},
        )
        emit(
            events.ExemptionRequested(
                organization_id=organization.pk,
                exemption_id=exemption.pk,
                program_id=program.pk,
                membership_id=membership.pk,
                actor_id=by.pk,
            )
        )
    return exemption


def exemption_decide(
    *,
    exemption: Exemption,
    by: User,
    approve: bool,
    note: str = "",
    request: HttpRequest | None = None,
    credentials: Credentials | None = None,
) -> Exemption:
    """Approve (signed by the approver: their password or authenticator code in `credentials`) or decline (with a
    `note`) a pending request. Approval re-evaluates the person at once.

    A wrong password or code raises ValidationError naming "password" or "code" and still counts towards the
    sign-in lockout: the failed attempt is committed, only the decision is not made.
    """
    organization = exemption.organization
    principal = principal_for(by, organization)
    if not policy.can_manage(principal) or exemption.organization_id != organization.pk:
        raise _deny()
    if not policy.can_decide_exemption(principal, exemption):
        raise _deny(FOUR_EYES)
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationError({"note": NOTE_REQUIRED})
    if len(note) > MAX_REASON:
        raise ValidationError({"note": REASON_TOO_LONG.format(limit=MAX_REASON)})
    failure: ValidationError | None = None
    with transaction.atomic():
        decided, failure = _decide(exemption, principal, by, approve, note, request, credentials or Credentials())
    if failure is not None:
        # Raised outside the transaction so the lockout counter's write (django-axes, django-otp) is kept.
        raise failure
    return decided


def _decide(
    exemption: Exemption,
    principal: Principal,
    by: User,
    approve: bool,
    note: str,
    request: HttpRequest | None,
    credentials: Credentials,
) -> tuple[Exemption, ValidationError | None]:
    locked = (
        Exemption.objects.select_for_update()
        .select_related("program", "assignment", "organization", "membership__user")
        .get(pk=exemption.pk)
    )
    if locked.state != Exemption.State.PENDING:
        raise ValidationError(NOT_PENDING)
    assert principal.membership is not None  # can_manage implies a membership
    now = clock.now()
    locked.decided_by = by
    locked.decided_at = now
    locked.decision_note = note
    if approve:
        assignment = locked.assignment
        if assignment.ended_at is not None:
            raise ValidationError(ASSIGNMENT_CLOSED)
        if locked.kind == Exemption.Kind.EXTENSION and assignment.cycle != locked.cycle:
            raise ValidationError(CYCLE_MOVED_ON)
        today = evaluation.program_today(locked.program)
        errors = _check_dates(
            kind=locked.kind, assignment=assignment, today=today, ends_on=locked.ends_on, extend_to=locked.extend_to
        )
        if errors:
            raise ValidationError(errors)
        try:
            # Signed before anything is written: a failure leaves only the lockout counter's write to commit.
            signature = signature_create(
                request=request,
                user=by,
                membership=principal.membership,
                meaning=approval_meaning(locked),
                record_type="exemption",
                record_id=locked.pk,
                record=exemption_record(locked),
                credentials=credentials,
                program=locked.program,
            )
        except ValidationError as error:
            return locked, error
        locked.state = Exemption.State.APPROVED
        locked.signature = signature
    else:
        locked.state = Exemption.State.DECLINED
    locked.save(update_fields=["state", "decided_by", "decided_at", "decision_note", "signature"])
    audit_record(
        organization=locked.organization,
        action="compliance.exemption_approved" if approve else "compliance.exemption_declined",
        actor=by,
        target=locked,
        before={"state": Exemption.State.PENDING},
        after={
            "state": locked.state,
            "signature_id": locked.signature_id,
            "record_hash": locked.signature.record_hash if locked.signature else None,
        },
        personal_after={"note": note} if note else None,
    )
    if approve:
        _evaluate(locked)
    emit(
        events.ExemptionDecided(
            organization_id=locked.organization_id,
            exemption_id=locked.pk,
            program_id=locked.program_id,
            membership_id=locked.membership_id,
            actor_id=by.pk,
            approved=approve,
        )
    )
    return locked, None


def exemption_withdraw(*, exemption: Exemption, by: User) -> Exemption:
    """The requester takes back a request still waiting for a decision."""
    principal = principal_for(by, exemption.organization)
    if not principal.is_member or exemption.requested_by_id != by.pk:
        raise _deny(ONLY_REQUESTER)
    with transaction.atomic():
        # Conditional: a decision made meanwhile wins (SQLite ignores row locks).
        changed = Exemption.objects.filter(pk=exemption.pk, state=Exemption.State.PENDING).update(
            state=Exemption.State.WITHDRAWN
        )
        if not changed:
            raise ValidationError(NOT_PENDING)
        exemption.refresh_from_db()
        audit_record(
            organization=exemption.organization,
            action="compliance.exemption_withdrawn",
            actor=by,
            target=exemption,
            before={"state": Exemption.State.PENDING},
            after={"state": Exemption.State.WITHDRAWN},
        )
        emit(
            events.ExemptionDecided(
                organization_id=exemption.organization_id,
                exemption_id=exemption.pk,
                program_id=exemption.program_id,
                membership_id=exemption.membership_id,
                actor_id=by.pk,
                # Not an approval: notifying reads the request's state (withdrawn, revoked) to word the notice.
                approved=False,
            )
        )
    return exemption


def exemption_revoke(*, exemption: Exemption, by: User, reason: str) -> Exemption:
    """An officer ends an approved exemption or extension from today: the person is re-evaluated without it.

    The approval (`decided_by`, `decided_at`, `decision_note`, the signature) is kept as it was signed; the
    revocation and its reason are in the audit trail (the detail page's history)."""
    principal = principal_for(by, exemption.organization)
    if not policy.can_manage(principal):
        raise _deny()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": REVOKE_REASON_REQUIRED})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": REASON_TOO_LONG.format(limit=MAX_REASON)})
    with transaction.atomic():
        changed = Exemption.objects.filter(pk=exemption.pk, state=Exemption.State.APPROVED).update(
            state=Exemption.State.REVOKED, revoked_at=clock.now(), revoked_by=by, revoke_reason=reason
        )
        if not changed:
            raise ValidationError(NOT_APPROVED)
        exemption.refresh_from_db()
        audit_record(
            organization=exemption.organization,
            action="compliance.exemption_revoked",
            actor=by,
            target=exemption,
            before={"state": Exemption.State.APPROVED},
            after={"state": Exemption.State.REVOKED},
            personal_after={"reason": reason},
        )
        _evaluate(exemption)
        emit(
            events.ExemptionDecided(
                organization_id=exemption.organization_id,
                exemption_id=exemption.pk,
                program_id=exemption.program_id,
                membership_id=exemption.membership_id,
                actor_id=by.pk,
                # Not an approval: notifying reads the request's state (withdrawn, revoked) to word the notice.
                approved=False,
            )
        )
    return exemption


# --- reads (pages and API) -----------------------------------------------------------------------------------------


def visible_q(principal: Principal) -> Q:
    """The requests this person sees: everyone's for officers and auditors; their team's for managers; their own
    (about them, or made by them) for everyone."""
    if policy.sees_everyone(principal):
        return Q()
    q = policy.people_q(principal)
    if principal.membership is not None:
        q |= Q(membership=principal.membership) | Q(requested_by=principal.user)
    return q


def can_see(principal: Principal, exemption: Exemption) -> bool:
    if exemption.organization_id != getattr(principal.organization, "pk", None) or not principal.is_member:
        return False
    if policy.sees_everyone(principal):
        return True
    if exemption.requested_by_id == principal.user.pk:
        return True
    return policy.can_see_person(principal, exemption.membership)


def exemption_list(
    *,
    organization: Organization,
    principal: Principal,
    state: str | None = None,
    program_id: int | None = None,
    kind: str | None = None,
    assignment_id: int | None = None,
) -> QuerySet[Exemption]:
    """The requests this person sees, pending first, then newest first (one query with its joins)."""
    if not principal.is_member:
        return Exemption.objects.none()
    qs = Exemption.objects.filter(organization=organization).filter(visible_q(principal))
    if state:
        qs = qs.filter(state=state)
    if program_id:
        qs = qs.filter(program_id=program_id)
    if kind:
        qs = qs.filter(kind=kind)
    if assignment_id:
        qs = qs.filter(assignment_id=assignment_id)
    pending_first = Case(
        When(state=Exemption.State.PENDING, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return qs.select_related(
        "program", "assignment", "membership__user", "membership__org_unit", "requested_by", "decided_by", "signature"
    ).order_by(pending_first, "-requested_at", "-pk")


def exemption_get(*, organization: Organization, pk: int) -> Exemption | None:
    """One request of the organisation with its joins (None: not there); whether the caller sees it is `can_see`."""
    return (
        Exemption.objects.filter(organization=organization, pk=pk)
        .select_related(
            "program",
            "assignment",
            "organization",
            "membership__user",
            "membership__org_unit",
            "requested_by",
            "decided_by",
            "signature",
        )
        .first()
    )
