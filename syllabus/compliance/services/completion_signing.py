"""A person signs their own course completion for a program that requires signatures (21 CFR Part 11 style).

Until it is signed, a completion does not count for such a program; once signed it counts from the signing day
(`evaluation.load_facts`). The signature covers the facts of the completion as recorded — course, version, date,
score — and the program, so a later change to any of them is detectable (`signature_check`).

`signable_completions` is the read the learner's pages and API share: which completions each assignment can sign.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from syllabus.accounts.models import User
from syllabus.audit.services import audit_record
from syllabus.compliance import evaluation
from syllabus.compliance.models import (
    Assignment,
    Program,
    ProgramCourse,
    ProgramStatus,
    Requirement,
    Signature,
)
from syllabus.compliance.services.signatures import Credentials, signature_create
from syllabus.progress.models import Completion

AUDIT_ACTIONS = (("compliance.completion_signed", "Signed a completion for a compliance program"),)

NOT_YOURS = "Only the person assigned can sign their completion."
NOT_REQUIRED = "This program does not ask for signed completions."
NOT_OPEN = "This assignment has ended, so there is nothing to sign."
NOT_ACTIVE = "This program is not active."
WRONG_COMPLETION = "This completion is not one of yours for a course of this program."
TOO_OLD = "This completion is from before the current period of the program, so it cannot be signed for it."
BELOW_MIN_SCORE = "This completion's score is below the program's minimum of {min_score}%."
ALREADY_SIGNED = "You have already signed this completion for this program."
DEFAULT_MEANING = "I completed this training and understood its content."


def completion_record(completion: Completion, program: Program, zone: zoneinfo.ZoneInfo) -> dict[str, Any]:
    """What a completion's signature covers (rebuild it the same way to check the signature later)."""
    return {
        "completion_id": completion.pk,
        "course_id": completion.course_id,
        "course_title": completion.title,
        "version_label": completion.version_label,
        "completed_on": completion.completed_at.astimezone(zone).date().isoformat(),
        # Normalised (UTC, two decimals) so the record rebuilt from the database later hashes the same.
        "completed_at": completion.completed_at.astimezone(dt.UTC).isoformat(),
        "score": None if completion.score is None else f"{Decimal(completion.score):.2f}",
        "program_id": program.pk,
        "program_name": program.name,
    }


def _qualifies(program: Program, completion: Completion) -> bool:
    if program.min_score is None:
        return True
    return completion.score is not None and completion.score >= Decimal(program.min_score)


def completion_sign(
    *,
    assignment: Assignment,
    completion: Completion,
    by: User,
    request: HttpRequest | None,
    credentials: Credentials,
) -> Signature:
    """`by` signs `completion` for `assignment`'s program after proving who they are again, then is re-evaluated.

    Only the assigned person, for their own completion of one of the program's courses, meeting its minimum
    score, made in the current period (on or after the cycle opened, look-back included), signed once.
    Raises PermissionDenied or ValidationError (identity errors name `password` or `code`)."""
    membership = assignment.membership
    if membership.user_id != by.pk:
        raise PermissionDenied(NOT_YOURS)
    program = Program.objects.select_related("organization").get(pk=assignment.program_id)
    if not program.require_signature or program.requirement == Requirement.ACKNOWLEDGEMENT:
        raise ValidationError(NOT_REQUIRED)
    if program.status != ProgramStatus.ACTIVE:
        raise ValidationError(NOT_ACTIVE)
    if not assignment.is_open:
        raise ValidationError(NOT_OPEN)
    course_ids = set(ProgramCourse.objects.filter(program=program).values_list("course_id", flat=True))
    if (
        completion.membership_id != membership.pk
        or completion.organization_id != program.organization_id
        or completion.source != Completion.Source.COURSE
        or completion.course_id not in course_ids
    ):
        raise ValidationError(WRONG_COMPLETION)
    zone = evaluation.zone_of(program)
    if completion.completed_at.astimezone(zone).date() < assignment.opened_on:
        raise ValidationError(TOO_OLD)
    if not _qualifies(program, completion):
        raise ValidationError(BELOW_MIN_SCORE.format(min_score=program.min_score))
    if Signature.objects.filter(
        record_type="completion", record_id=completion.pk, program=program, membership=membership
    ).exists():
        raise ValidationError(ALREADY_SIGNED)
    failure: ValidationError | None = None
    try:
        with transaction.atomic():
            try:
                signature = signature_create(
                    request=request,
                    user=by,
                    membership=membership,
                    meaning=program.signature_meaning or DEFAULT_MEANING,
                    record_type="completion",
                    record_id=completion.pk,
                    record=completion_record(completion, program, zone),
                    credentials=credentials,
                    program=program,
                )
            except ValidationError as error:
                # Caught inside the transaction rather than rolled back with it: the failed attempt must still count
                # towards the lockout (django-axes and django-otp record it here). Nothing else was written yet.
                failure = error
            else:
                audit_record(
                    organization=program.organization,
                    action="compliance.completion_signed",
                    actor=by,
                    target=completion,
                    after={
                        "program_id": program.pk,
                        "assignment_id": assignment.pk,
                        "signature_id": signature.pk,
                        "record_hash": signature.record_hash,
                    },
                )
                evaluation.evaluate_program(program, membership_ids=[membership.pk])
    except IntegrityError:
        # Two requests raced past the check above: the unique constraint kept one; the other is told so.
        raise ValidationError(ALREADY_SIGNED) from None
    if failure is not None:
        raise failure
    return signature


def signable_completions(assignments: Sequence[Assignment]) -> dict[int, list[Completion]]:
    """For each open assignment of a program requiring signatures (keyed by assignment id): the person's
    completions it could sign now, newest first. Three queries whatever the number of assignments."""
    wanted = [
        a
        for a in assignments
        if a.is_open and a.program.require_signature and a.program.requirement != Requirement.ACKNOWLEDGEMENT
    ]
    if not wanted:
        return {}
    program_ids = {a.program_id for a in wanted}
    courses: dict[int, set[int]] = defaultdict(set)
    for program_id, course_id in ProgramCourse.objects.filter(program_id__in=program_ids).values_list(
        "program_id", "course_id"
    ):
        courses[program_id].add(course_id)
    all_courses = set().union(*courses.values()) if courses else set()
    membership_ids = {a.membership_id for a in wanted}
    completions = list(
        Completion.objects.filter(
            membership_id__in=membership_ids, course_id__in=all_courses, source=Completion.Source.COURSE
        ).order_by("-completed_at", "-pk")
    )
    signed = set(
        Signature.objects.filter(
            record_type="completion",
            program_id__in=program_ids,
            record_id__in=[c.pk for c in completions],
        ).values_list("program_id", "record_id")
    )
    out: dict[int, list[Completion]] = {}
    for assignment in wanted:
        program = assignment.program
        zone = evaluation.zone_of(program)
        found = [
            c
            for c in completions
            if c.membership_id == assignment.membership_id
            and c.course_id in courses[program.pk]
            and (program.pk, c.pk) not in signed
            and c.completed_at.astimezone(zone).date() >= assignment.opened_on
            and _qualifies(program, c)
        ]
        if found:
            out[assignment.pk] = found
    return out


def completion_day(completion: Completion, program: Program) -> dt.date:
    return completion.completed_at.astimezone(evaluation.zone_of(program)).date()
