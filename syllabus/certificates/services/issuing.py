"""Issuing, superseding and revoking certificates.

- `certificate_issue`: one certificate for one completion that earns it. Idempotent (a second call for the same
  course completion or program cycle returns the first certificate); a new certificate of the same award
  supersedes the person's previous valid one in the same transaction (at most one valid per award and person,
  kept by a partial unique index), unless what earned it is older than what earned the valid one (events handled
  out of order): then it is issued already superseded by that newer one. The Open Badge is signed at once; the
  PDF is drawn by the worker after commit.
- `issue_for_course_completion` / `issue_for_program_cycle`: what the domain-event handlers call (subscriptions.py).
- `certificate_revoke`: an officer, with a reason; audited, and the holder is told.
- `certificate_rerender`: draw the PDF again (after a failure, or a fixed template); the certificate's facts and
  credential do not change.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from kombu.exceptions import OperationalError

from syllabus.access.policy import NOT_ALLOWED, principal_for
from syllabus.accounts.models import Membership, User
from syllabus.audit.services import audit_record
from syllabus.certificates import credentials, events, policy
from syllabus.certificates.models import Award, Certificate, Source
from syllabus.core import clock
from syllabus.core.events import emit

logger = logging.getLogger(__name__)

AUDIT_ACTIONS = (
    ("certificate.issued", _("Certificate issued")),
    ("certificate.revoked", _("Certificate revoked")),
    ("certificate.rerendered", _("Certificate drawn again")),
)

REASON_REQUIRED = "Say why the certificate is revoked."
REASON_TOO_LONG = "Keep the reason under {limit} characters."
ALREADY_REVOKED = "This certificate is already revoked."
ERASED_NOT_DRAWN = "This certificate's holder was erased: its PDF is not drawn again."
REASON_LIMIT = 2000
# A first try, and one more after losing a race to another completion of the same person (certificate_issue).
ISSUE_ATTEMPTS = 2


def _recipient_name(membership: Membership) -> str:
    user = membership.user
    return (user.get_full_name() or "").strip() or user.email


def _queue_render(certificate_id: int) -> None:
    from syllabus.certificates.tasks import render_certificate

    def queue() -> None:
        try:
            render_certificate.delay(certificate_id)
        except OperationalError:
            # Issued and signed; the nightly run draws PDFs that are still pending. Never fail the completion.
            logger.exception("Could not queue the PDF of certificate %s", certificate_id)

    transaction.on_commit(queue)


def _existing(
    award: Award, *, completion_id: int | None, assignment_id: int | None, cycle: int | None
) -> Certificate | None:
    if completion_id is not None and award.source == Source.COURSE:
        return Certificate.objects.filter(award=award, completion_id=completion_id).first()
    if assignment_id is not None:
        return Certificate.objects.filter(award=award, assignment_id=assignment_id, cycle=cycle).first()
    return None


def certificate_issue(
    *,
    award: Award,
    membership: Membership,
    title: str,
    issued_at: dt.datetime,
    expires_at: dt.datetime | None = None,
    completion_id: int | None = None,
    assignment_id: int | None = None,
    cycle: int | None = None,
    score: Decimal | None = None,
    version_label: str = "",
    by: User | None = None,
) -> Certificate:
    """Issue `award`'s certificate to `membership` (the system issues: `by` is None unless a person asked)."""
    if membership.organization_id != award.organization_id:
        raise PermissionDenied(NOT_ALLOWED)
    found = _existing(award, completion_id=completion_id, assignment_id=assignment_id, cycle=cycle)
    if found is not None:
        return found
    for attempt in range(ISSUE_ATTEMPTS):
        try:
            with transaction.atomic():
                return _issue_once(
                    award=award,
                    membership=membership,
                    title=title,
                    issued_at=issued_at,
                    expires_at=expires_at,
                    completion_id=completion_id,
                    assignment_id=assignment_id,
                    cycle=cycle,
                    score=score,
                    version_label=version_label,
                    by=by,
                )
        except IntegrityError:
            found = _existing(award, completion_id=completion_id, assignment_id=assignment_id, cycle=cycle)
            if found is not None:
                return found
            # Another completion of the same person issued the first valid certificate of this award meanwhile
            # (the one-valid index refused ours, no row lock covered a row that did not exist yet): try again,
            # now superseding it, rather than lose this completion's certificate.
            if attempt == ISSUE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _issue_once(
    *,
    award: Award,
    membership: Membership,
    title: str,
    issued_at: dt.datetime,
    expires_at: dt.datetime | None,
    completion_id: int | None,
    assignment_id: int | None,
    cycle: int | None,
    score: Decimal | None,
    version_label: str,
    by: User | None,
) -> Certificate:
    """One attempt of `certificate_issue`, inside its transaction."""
    current = (
        Certificate.objects.select_for_update()
        .filter(award=award, membership=membership, state=Certificate.State.VALID)
        .first()
    )
    now = clock.now()
    # What earned this one may be older than what earned the valid one (events handled out of order, a late
    # retry, the nightly sweep): then this one is issued already superseded by the newer one, never the reverse.
    newer = current if current is not None and current.issued_at > issued_at else None
    previous = current if newer is None else None
    if previous is not None:
        # Conditional: of two issues racing (SQLite ignores the row lock), one supersedes, the other
        # fails on the unique index below and returns what the first one issued.
        Certificate.objects.filter(pk=previous.pk, state=Certificate.State.VALID).update(
            state=Certificate.State.SUPERSEDED, state_changed_at=now
        )
    certificate = Certificate(
        organization_id=award.organization_id,
        membership=membership,
        award=award,
        source=award.source,
        course_id=award.course_id,
        program_id=award.program_id,
        completion_id=completion_id,
        assignment_id=assignment_id,
        cycle=cycle,
        title=title[:200],
        recipient_name=_recipient_name(membership)[:300],
        version_label=version_label[:20],
        score=score,
        issued_at=issued_at,
        expires_at=expires_at,
        template=award.template,
        template_revision=award.template.revision,
    )
    if newer is not None:
        certificate.state, certificate.state_changed_at, certificate.superseded_by = (
            Certificate.State.SUPERSEDED,
            now,
            newer,
        )
    certificate.save()
    if award.issue_badge:
        certificate.credential, certificate.signing_key = credentials.issue(certificate)
        certificate.save(update_fields=["credential", "signing_key", "updated_at"])
    if previous is not None:
        Certificate.objects.filter(pk=previous.pk).update(superseded_by=certificate)
    after = {
        "award": award.pk,
        "source": award.source,
        "course": award.course_id,
        "program": award.program_id,
        "completion": completion_id,
        "assignment": assignment_id,
        "cycle": cycle,
        "expires_at": expires_at.isoformat() if expires_at else None,
        "supersedes": previous.pk if previous else None,
        "signing_key": str(certificate.signing_key.kid) if certificate.signing_key else None,
    }
    if newer is not None:
        after.update(state=str(certificate.state), superseded_by=newer.pk)
    audit_record(
        organization=membership.organization,
        action="certificate.issued",
        actor=by,
        target=certificate,
        after=after,
    )
    emit(
        events.CertificateIssued(
            organization_id=certificate.organization_id,
            certificate_id=certificate.pk,
            membership_id=membership.pk,
            award_id=award.pk,
            supersedes_id=previous.pk if previous else None,
        )
    )
    _queue_render(certificate.pk)
    return certificate


def issue_for_course_completion(completion_id: int) -> Certificate | None:
    """The certificate a course completion earns, if its course has an enabled award."""
    from syllabus.progress.models import Completion

    completion = (
        Completion.objects.filter(pk=completion_id, course__isnull=False)
        .select_related("membership__user", "membership__organization")
        .first()
    )
    if completion is None or completion.course_id is None or not completion.membership.is_active:
        return None
    award = (
        Award.objects.filter(course_id=completion.course_id, enabled=True, organization_id=completion.organization_id)
        .select_related("template", "course")
        .first()
    )
    if award is None:
        return None
    return certificate_issue(
        award=award,
        membership=completion.membership,
        title=completion.title,
        issued_at=completion.completed_at,
        expires_at=completion.expires_at,
        completion_id=completion.pk,
        score=completion.score,
        version_label=completion.version_label,
    )


def _start_of(day: dt.date, zone_name: str) -> dt.datetime:
    try:
        zone = zoneinfo.ZoneInfo(zone_name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


def issue_for_program_cycle(
    *,
    assignment_id: int,
    program_id: int,
    membership_id: int,
    cycle: int,
    completed_on: dt.date,
    expires_on: dt.date | None,
    completion_id: int | None,
) -> Certificate | None:
    """The certificate a satisfied program cycle earns, if the program has an enabled award.

    `expires_on` is the first day the person is no longer compliant: the certificate expires at its start, in
    the organisation's time zone.
    """
    from syllabus.compliance.models import Program
    from syllabus.progress.models import Completion

    award = Award.objects.filter(program_id=program_id, enabled=True).select_related("template").first()
    program = Program.objects.filter(pk=program_id).select_related("organization").first()
    membership = (
        Membership.objects.filter(pk=membership_id, is_active=True).select_related("user", "organization").first()
    )
    if award is None or program is None or membership is None:
        return None
    zone = program.organization.default_time_zone
    issued_at = None
    score = None
    if completion_id is not None:
        completion = Completion.objects.filter(pk=completion_id).only("completed_at", "score").first()
        if completion is not None:
            issued_at, score = completion.completed_at, completion.score
    return certificate_issue(
        award=award,
        membership=membership,
        title=program.name,
        issued_at=issued_at or _start_of(completed_on, zone),
        expires_at=_start_of(expires_on, zone) if expires_on else None,
        assignment_id=assignment_id,
        cycle=cycle,
        score=score,
    )


def certificate_revoke(*, certificate: Certificate, by: User, reason: str) -> Certificate:
    """Revoke with a reason (officers). The verification page says "revoked" from now on."""
    principal = principal_for(by, certificate.organization)
    if not policy.can_revoke(principal, certificate):
        raise PermissionDenied(NOT_ALLOWED)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": REASON_REQUIRED})
    if len(reason) > REASON_LIMIT:
        raise ValidationError({"reason": REASON_TOO_LONG.format(limit=REASON_LIMIT)})
    with transaction.atomic():
        before = certificate.state
        now = clock.now()
        changed = (
            Certificate.objects.filter(pk=certificate.pk)
            .exclude(state=Certificate.State.REVOKED)
            .update(state=Certificate.State.REVOKED, state_changed_at=now, revoked_by=by, revoke_reason=reason)
        )
        if not changed:
            raise ValidationError(ALREADY_REVOKED)
        certificate.refresh_from_db()
        audit_record(
            organization=certificate.organization,
            action="certificate.revoked",
            actor=by,
            target=certificate,
            before={"state": before},
            after={"state": certificate.state},
            # The reason is about the holder (often naming them or what they did): their erasable part.
            personal_after={"reason": reason},
        )
        emit(
            events.CertificateRevoked(
                organization_id=certificate.organization_id,
                certificate_id=certificate.pk,
                membership_id=certificate.membership_id,
                actor_id=by.pk,
            )
        )
    return certificate


def certificate_rerender(*, certificate: Certificate, by: User) -> Certificate:
    """Draw the PDF again with the template as it is now (managers of certificates)."""
    from syllabus.certificates.privacy import ERASED_RENDER_NOTE  # here: privacy builds on this module

    principal = principal_for(by, certificate.organization)
    if not policy.can_revoke(principal, certificate):
        raise PermissionDenied(NOT_ALLOWED)
    if certificate.render_error == ERASED_RENDER_NOTE:
        # Erasure deleted the PDF with the person's data; drawing it again would print their facts once more.
        raise ValidationError(ERASED_NOT_DRAWN)
    with transaction.atomic():
        Certificate.objects.filter(pk=certificate.pk).update(
            render_state=Certificate.RenderState.PENDING, render_error=""
        )
        audit_record(
            organization=certificate.organization, action="certificate.rerendered", actor=by, target=certificate
        )
        _queue_render(certificate.pk)
    certificate.refresh_from_db()
    return certificate
