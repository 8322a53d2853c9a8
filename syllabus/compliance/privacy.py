"""What compliance holds about one person, for the privacy registry (core.privacy): export and erasure (GDPR).

Exported: every assignment to a program (dates, current cycle and status), the earlier cycles, the ledger of
status changes, the acknowledgements (with the statement acknowledged), the exemption and extension requests
about the person (reason, dates, who decided and why), and the signatures the person made (manifestation, what
was signed and its hash; not the signed payload, which for an approval is about somebody else).

Erasure keeps the compliance record: who had to do what by when, whether they did, the ledger, the cycles and
the decided exemptions are what a regulator asks for ("was this nurse trained in fire safety on 31 March?"), and
the person behind them is pseudonymised by accounts (the membership stays, without name, email or employee id).
What changes here:

- **Signatures** carry a copy of the signer's printed name (Part 11 manifestation) and their IP address. The name
  is replaced by the pseudonym in the row and in the signed payload, the IP address dropped, and the hash
  recomputed so `signature_check` still holds; one audit record per signature ("compliance.signature_
  pseudonymised") links the old hash to the new one, so the chain of evidence is unbroken.
- **Pending requests** about the person are withdrawn and their reason cleared (nobody decides about a person
  who is gone). Decided exemptions keep their reason: it is why the person was not trained, and the approver's
  signature covers it.
- **Open assignments** end on the evaluation after the erasure commits (accounts deactivates the membership; the
  evaluation unassigns inactive people), so no reminder reaches an erased person.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from syllabus.accounts.models import Organization, User
from syllabus.accounts.privacy import ERASED_NAME
from syllabus.audit.services import audit_record
from syllabus.compliance.models import (
    Assignment,
    ClosedCycle,
    Exemption,
    ProgramAcknowledgement,
    Signature,
    StatusChange,
    StatusCode,
)
from syllabus.compliance.services import signatures
from syllabus.core import clock

ERASED_REASON = "The person's data was erased."

AUDIT_ACTIONS = (("compliance.signature_pseudonymised", _("Electronic signature pseudonymised (erasure)")),)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _plain(value: Any) -> str | None:
    return str(value) if value is not None else None


def _name(user: User | None) -> str | None:
    return user.display_name if user is not None else None


def export_person(user: User, organization: Organization | None) -> dict[str, Any]:
    scope: dict[str, Any] = {"membership__user": user}
    if organization is not None:
        scope["membership__organization"] = organization
    assignments = (
        Assignment.objects.filter(**scope)
        .select_related("program", "organization")
        .order_by("program__name", "assigned_at", "pk")
    )
    cycles = ClosedCycle.objects.filter(**scope).select_related("program").order_by("program__name", "pk")
    ledger = StatusChange.objects.filter(**scope).select_related("program").order_by("program__name", "pk")
    acknowledgements = (
        ProgramAcknowledgement.objects.filter(**scope)
        .select_related("program")
        .order_by("program__name", "acknowledged_at", "pk")
    )
    exemptions = (
        Exemption.objects.filter(**scope)
        .select_related("program", "requested_by", "decided_by")
        .order_by("program__name", "requested_at", "pk")
    )
    signed = Signature.objects.filter(user=user).select_related("program", "organization").order_by("signed_at", "pk")
    if organization is not None:
        signed = signed.filter(organization=organization)
    return {
        "assignments": [
            {
                "organization": a.organization.name,
                "program": a.program.name,
                "assigned_on": _iso(a.assigned_on),
                "ended_at": _iso(a.ended_at),
                "end_reason": a.end_reason,
                "cycle": a.cycle,
                "status": a.status,
                "status_label": str(StatusCode(a.status).label),
                "status_since": _iso(a.status_since),
                "due_on": _iso(a.due_on),
                "original_due_on": _iso(a.original_due_on),
                "completed_on": _iso(a.completed_on),
                "expires_on": _iso(a.expires_on),
                "satisfied_by": list(a.satisfied_by),
            }
            for a in assignments
        ],
        "cycles": [
            {
                "program": c.program.name,
                "cycle": c.number,
                "opened_on": _iso(c.opened_on),
                "due_on": _iso(c.due_on),
                "original_due_on": _iso(c.original_due_on),
                "completed_on": _iso(c.completed_on),
                "expires_on": _iso(c.expires_on),
                "closed_on": _iso(c.closed_on),
                "outcome": c.outcome,
            }
            for c in cycles
        ],
        "status_changes": [
            {
                "program": row.program.name,
                "effective_on": _iso(row.effective_on),
                "recorded_at": _iso(row.recorded_at),
                "status": row.status,
                "cycle": row.cycle,
                "due_on": _iso(row.due_on),
                "until": _iso(row.until),
                "completed_on": _iso(row.completed_on),
                "reason": row.reason,
            }
            for row in ledger
        ],
        "acknowledgements": [
            {
                "program": ack.program.name,
                "cycle": ack.cycle,
                "statement": ack.statement,
                "statement_sha256": ack.statement_digest,
                "acknowledged_at": _iso(ack.acknowledged_at),
                "signed": ack.signature_id is not None,
            }
            for ack in acknowledgements
        ],
        "exemptions": [
            {
                "program": e.program.name,
                "kind": e.kind,
                "cycle": e.cycle,
                "reason": e.reason,
                "exempt_until": _iso(e.ends_on),
                "new_due_date": _iso(e.extend_to),
                "state": e.state,
                "requested_by": _name(e.requested_by),
                "requested_at": _iso(e.requested_at),
                "decided_by": _name(e.decided_by),
                "decided_at": _iso(e.decided_at),
                "decision_note": e.decision_note,
            }
            for e in exemptions
        ],
        "signatures": [
            {
                "organization": s.organization.name,
                "program": s.program.name if s.program else None,
                "signer_name": s.signer_name,
                "meaning": s.meaning,
                "signed_at": _iso(s.signed_at),
                "method": s.method,
                "record_type": s.record_type,
                "record_id": s.record_id,
                "record_sha256": s.record_hash,
                "ip_address": _plain(s.ip_address),
            }
            for s in signed
        ],
    }


def erase_person(user: User, by: Any) -> None:
    """Withdraw pending requests about the person, pseudonymise their signatures, and let the evaluation after
    commit end their open assignments."""
    now = clock.now()
    Exemption.objects.filter(membership__user=user, state=Exemption.State.PENDING).update(
        state=Exemption.State.WITHDRAWN, reason="", decided_by=None, decided_at=now, decision_note=ERASED_REASON
    )
    for signature in Signature.objects.filter(user=user).select_related("organization"):
        _pseudonymise(signature, by)
    open_programs: dict[int, list[int]] = {}
    for membership_id, program_id in Assignment.objects.filter(
        membership__user=user, ended_at__isnull=True
    ).values_list("membership_id", "program_id"):
        open_programs.setdefault(membership_id, []).append(program_id)
    if open_programs:
        # After commit: by then accounts has deactivated the memberships (its erasure runs after this one).
        transaction.on_commit(lambda: _unassign(open_programs))


def _pseudonymise(signature: Signature, by: Any) -> None:
    payload = json.loads(json.dumps(signature.payload))
    signer = payload.get("signer")
    if isinstance(signer, dict):
        signer["name"] = ERASED_NAME
    old_hash, new_hash = signature.record_hash, signatures.digest(payload)
    Signature.objects.filter(pk=signature.pk).update(
        signer_name=ERASED_NAME, ip_address=None, payload=payload, record_hash=new_hash
    )
    audit_record(
        organization=signature.organization,
        action="compliance.signature_pseudonymised",
        actor=by,
        target=signature,
        before={"record_hash": old_hash},
        after={"record_hash": new_hash},
    )


def _unassign(open_programs: dict[int, list[int]]) -> None:
    from syllabus.compliance import tasks

    for membership_id, program_ids in open_programs.items():
        tasks.evaluate_person.delay(membership_id, program_ids)
