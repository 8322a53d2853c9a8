"""A person acknowledges a program's statement (programs satisfied by an acknowledgement), signing it when the
program requires signatures.

The statement is copied as it reads at that moment with its SHA-256, so a later edit of the program's statement
does not change what the person agreed to. The evaluation then counts the acknowledgement from its day.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from syllabus.accounts.models import User
from syllabus.audit.services import audit_record
from syllabus.compliance import due_dates, evaluation
from syllabus.compliance.models import (
    Assignment,
    Program,
    ProgramAcknowledgement,
    ProgramStatus,
    Requirement,
)
from syllabus.compliance.services.signatures import Credentials, signature_create
from syllabus.core import clock

AUDIT_ACTIONS = (("compliance.acknowledged", "Acknowledged a compliance statement"),)

NOT_YOURS = "Only the person assigned can acknowledge this statement."
NOT_ACKNOWLEDGEMENT = "This program is not satisfied by an acknowledgement."
NOT_OPEN = "This assignment has ended, so there is nothing to acknowledge."
NOT_ACTIVE = "This program is not active."
ALREADY = "You have already acknowledged this statement for the current period."
NO_STATEMENT = "This program has no statement to acknowledge yet."
# Used when the officer left the meaning blank: a signature always states what it means.
DEFAULT_ACK_MEANING = "I have read and understood this statement and agree to comply with it."


def statement_digest(statement: str) -> str:
    return hashlib.sha256(statement.encode()).hexdigest()


def window_open(assignment: Assignment, program: Program, today: dt.date) -> bool:
    """True when the current cycle is satisfied and its recertification window has opened (people renew then)."""
    if not program.recurs or assignment.expires_on is None:
        return False
    return due_dates.window_opens(evaluation.schedule_of(program), expires_on=assignment.expires_on) <= today


def acknowledgement_cycle(assignment: Assignment, program: Program, today: dt.date) -> int | None:
    """The cycle an acknowledgement made today counts for, or None when there is nothing to acknowledge."""
    if assignment.completed_on is None:
        return assignment.cycle
    if window_open(assignment, program, today):
        return assignment.cycle + 1
    return None


def acknowledgement_create(
    *, assignment: Assignment, by: User, request: HttpRequest | None, credentials: Credentials | None = None
) -> ProgramAcknowledgement:
    """Record that `by` acknowledged the statement of `assignment`'s program, signed when the program requires it
    (`credentials` re-prove who they are), then re-evaluate them so their status changes at once.

    Only the assigned person, only an open assignment of an active acknowledgement program, once per cycle.
    Raises PermissionDenied or ValidationError (the signature's errors name the field: `password`, `code`)."""
    membership = assignment.membership
    if membership.user_id != by.pk:
        raise PermissionDenied(NOT_YOURS)
    program = Program.objects.select_related("organization").get(pk=assignment.program_id)
    if program.requirement != Requirement.ACKNOWLEDGEMENT:
        raise ValidationError(NOT_ACKNOWLEDGEMENT)
    if program.status != ProgramStatus.ACTIVE:
        raise ValidationError(NOT_ACTIVE)
    if not assignment.is_open:
        raise ValidationError(NOT_OPEN)
    statement = program.statement.strip()
    if not statement:
        raise ValidationError(NO_STATEMENT)
    today = evaluation.program_today(program)
    cycle = acknowledgement_cycle(assignment, program, today)
    if cycle is None or ProgramAcknowledgement.objects.filter(assignment=assignment, cycle=cycle).exists():
        raise ValidationError(ALREADY)
    failure: ValidationError | None = None
    try:
        with transaction.atomic():
            acknowledgement = ProgramAcknowledgement.objects.create(
                organization_id=program.organization_id,
                program=program,
                assignment=assignment,
                membership=membership,
                cycle=cycle,
                statement=statement,
                statement_digest=statement_digest(statement),
                acknowledged_at=clock.now(),
            )
            if program.require_signature:
                try:
                    signature = signature_create(
                        request=request,
                        user=by,
                        membership=membership,
                        meaning=program.signature_meaning or DEFAULT_ACK_MEANING,
                        record_type="acknowledgement",
                        record_id=acknowledgement.pk,
                        record=acknowledgement_record(acknowledgement, program),
                        credentials=credentials or Credentials(),
                        program=program,
                    )
                except ValidationError as error:
                    # Caught inside the transaction, not rolled back: the failed attempt must still count towards
                    # the lockout (django-axes and django-otp record it in this transaction). Only the
                    # acknowledgement, written a moment ago and seen by nobody, is taken back.
                    acknowledgement.delete()
                    failure = error
                else:
                    acknowledgement.signature = signature
                    acknowledgement.save(update_fields=["signature"])
            if failure is None:
                audit_record(
                    organization=program.organization,
                    action="compliance.acknowledged",
                    actor=by,
                    target=acknowledgement,
                    after={
                        "program_id": program.pk,
                        "assignment_id": assignment.pk,
                        "cycle": cycle,
                        "statement_digest": acknowledgement.statement_digest,
                        "signature_id": acknowledgement.signature_id,
                    },
                )
                evaluation.evaluate_program(program, membership_ids=[membership.pk])
    except IntegrityError:
        # Two requests raced past the check above: the unique constraint kept one; the other is told so.
        raise ValidationError(ALREADY) from None
    if failure is not None:
        raise failure
    return acknowledgement


def acknowledgement_record(acknowledgement: ProgramAcknowledgement, program: Program) -> dict[str, object]:
    """What an acknowledgement's signature covers (rebuild it the same way to check the signature later)."""
    return {
        "acknowledgement_id": acknowledgement.pk,
        "program_id": program.pk,
        "program_name": program.name,
        "cycle": acknowledgement.cycle,
        "statement_sha256": acknowledgement.statement_digest,
        "acknowledged_at": acknowledgement.acknowledged_at.astimezone(dt.UTC).isoformat(),
    }
