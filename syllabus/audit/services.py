"""Every write to the audit trail, and the privacy requests (export, erasure) that the trail must witness.

`audit_record` is the one call every app makes for a sensitive write; `audit_record_bulk` writes one summary
record for a bulk operation. Appends to an organisation's chain are serialised on its chain-head row
(`AuditChain`): SELECT ... FOR UPDATE on PostgreSQL; on SQLite every transaction starts IMMEDIATE (settings),
which already serialises writers. A compare-and-swap on the head and the unique (chain, seq) constraint keep the
chain linear even if neither lock held.

Call `audit_record` inside the transaction of the change it records, so both commit or neither does. The
records of accounts and access are written by event subscribers (subscribers.py) after their commit instead.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q

from syllabus.access import policy
from syllabus.accounts.models import Membership, Organization, User
from syllabus.audit import chain as hashing
from syllabus.audit.models import AuditAnchor, AuditChain, AuditPersonal, AuditRecord, AuditSubject
from syllabus.audit.selectors import AuditFilter
from syllabus.core import clock, privacy, request_context

logger = logging.getLogger(__name__)

CHAIN_BUSY = "The audit chain is busy; try again."
NOT_A_MEMBER = "This person is not a member of this organisation."
CANNOT_ERASE_SELF = "You cannot erase yourself."
CANNOT_ERASE_PLATFORM_ADMIN = "A platform admin cannot be erased; remove their platform admin rights first."
MEMBER_ELSEWHERE = (
    "This person also belongs to another organisation, which holds data about them too; only a platform admin "
    "can erase them."
)
PRIVACY_CAPABILITY = "people.privacy"

# How often an append retries when another writer moved the chain head under it (only possible if the lock
# did not hold, e.g. a database without row locks outside IMMEDIATE transactions).
_APPEND_ATTEMPTS = 3
# Default of `ip_address` / `user_agent`: take them from the current request (core.request_context), if any.
FROM_REQUEST: Any = object()


class ChainContention(Exception):
    pass


@dataclass(frozen=True)
class Target:
    """What a record is about: a type ("accounts.membership"), an id, and the person it concerns, if any."""

    type: str
    id: str = ""
    person: User | None = None


def target_of(obj: models.Model | Target | None) -> Target | None:
    """A Target for a model instance: its "app.model" label and pk, and the person it is about (a User, or the
    `user` or `membership.user` of the row)."""
    if obj is None or isinstance(obj, Target):
        return obj
    person: User | None = None
    if isinstance(obj, User):
        person = obj
    elif isinstance(getattr(obj, "user", None), User):
        person = obj.user  # type: ignore[attr-defined]
    elif isinstance(getattr(obj, "membership", None), Membership):
        person = obj.membership.user  # type: ignore[attr-defined]
    return Target(type=obj._meta.label_lower, id=str(obj.pk), person=person)


# --- subjects ---------------------------------------------------------------------------------------------


def subject_for_user(user: User) -> uuid.UUID:
    """The pseudonymous subject id of a person, created on first use; its name and email are kept current."""
    subject = AuditSubject.objects.filter(user=user).first()
    if subject is None:
        try:
            with transaction.atomic():
                subject = AuditSubject.objects.create(user=user, display_name=user.display_name, email=user.email)
        except IntegrityError:
            # Another request created it meanwhile.
            subject = AuditSubject.objects.get(user=user)
    elif (subject.display_name, subject.email) != (user.display_name, user.email):
        AuditSubject.objects.filter(pk=subject.pk).update(display_name=user.display_name, email=user.email)
    return subject.subject_id


def subject_for_email(email: str) -> uuid.UUID:
    """The subject id of an email that belongs to no user (a failed sign-in with an unknown address)."""
    email = email.strip().lower()[:254]
    subject = AuditSubject.objects.filter(user=None, email=email).order_by("created_at").first()
    if subject is None:
        subject = AuditSubject.objects.create(user=None, email=email)
    return subject.subject_id


def _subject(person: User | None) -> uuid.UUID | None:
    if person is None or not getattr(person, "is_authenticated", False) or person.pk is None:
        return None
    return subject_for_user(person)


# --- appending --------------------------------------------------------------------------------------------


def _locked_chain(organization: Organization | None) -> AuditChain:
    """The chain head of `organization` (None: the platform chain), locked until the transaction ends."""
    key = AuditChain.key_for(organization.pk if organization is not None else None)
    chain = AuditChain.objects.select_for_update().filter(key=key).first()
    if chain is None:
        try:
            with transaction.atomic():
                AuditChain.objects.create(key=key, organization=organization, head_hash=hashing.GENESIS_HASH)
        except IntegrityError:
            pass  # created by a concurrent first append; lock that one
        chain = AuditChain.objects.select_for_update().get(key=key)
    return chain


def _append(
    *,
    organization: Organization | None,
    action: str,
    actor_subject: uuid.UUID | None,
    target: Target | None,
    target_subject: uuid.UUID | None,
    before: Any,
    after: Any,
    summary: Any,
    parts: dict[uuid.UUID, dict[str, Any]],
) -> AuditRecord:
    with transaction.atomic():
        chain = _locked_chain(organization)
        seq = chain.seq + 1
        created_at = clock.now()
        digests: dict[str, str] = {}
        part_rows = []
        for subject_id, data in parts.items():
            salt = secrets.token_hex(16)
            clean = hashing.jsonable(data)
            digests[str(subject_id)] = hashing.part_digest(salt, clean)
            part_rows.append(AuditPersonal(subject_id=subject_id, salt=salt, data=clean))
        record = AuditRecord(
            chain=chain,
            organization=organization,
            seq=seq,
            created_at=created_at,
            action=action,
            actor_subject=actor_subject,
            target_type=target.type if target else "",
            target_id=target.id if target else "",
            target_subject=target_subject,
            before=hashing.jsonable(before),
            after=hashing.jsonable(after),
            summary=hashing.jsonable(summary),
            personal_digests=digests,
            prev_hash=chain.head_hash,
        )
        record.hash = hashing.link_hash(record_payload(record, chain_key=chain.key), chain.head_hash)
        record.save()
        for row in part_rows:
            row.record = record
        AuditPersonal.objects.bulk_create(part_rows)
        moved = AuditChain.objects.filter(pk=chain.pk, seq=chain.seq, head_hash=chain.head_hash).update(
            seq=seq, head_hash=record.hash, updated_at=created_at
        )
        if moved != 1:
            raise ChainContention(CHAIN_BUSY)
    return record


def record_payload(record: AuditRecord, *, chain_key: str) -> dict[str, Any]:
    """The hashed content of a stored (or about to be stored) record."""
    return hashing.record_payload(
        chain_key=chain_key,
        seq=record.seq,
        created_at=record.created_at,
        action=record.action,
        actor_subject=record.actor_subject,
        target_type=record.target_type,
        target_id=record.target_id,
        target_subject=record.target_subject,
        before=record.before,
        after=record.after,
        summary=record.summary,
        personal_digests=record.personal_digests,
    )


def audit_record(
    *,
    organization: Organization | None,
    action: str,
    actor: User | None,
    target: models.Model | Target | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    summary: Mapping[str, Any] | None = None,
    personal_before: Mapping[str, Any] | None = None,
    personal_after: Mapping[str, Any] | None = None,
    ip_address: str | None = FROM_REQUEST,
    user_agent: str | None = FROM_REQUEST,
) -> AuditRecord:
    """Append one record to `organization`'s chain (None: the platform chain) and return it.

    - `actor`: who did it (None: the system). Stored as a pseudonymous subject id, never a name.
    - `target`: a model instance or a `Target`; the person it concerns becomes the target subject.
    - `before` / `after`: what changed, without personal data (ids, codes, flags). Values that are personal
      data of the target person (names, employee ids, HR attributes) go in `personal_before` /
      `personal_after`: they are kept with that person's erasable part of the record.
    - The IP address and user agent come from the current request (core.request_context) unless given;
      they are personal data of the actor (else of the target) and kept in that person's part.
    """
    resolved = target_of(target)
    actor_subject = _subject(actor)
    target_subject = _subject(resolved.person) if resolved else None
    return audit_record_for_subjects(
        organization=organization,
        action=action,
        actor_subject=actor_subject,
        target=resolved,
        target_subject=target_subject,
        before=before,
        after=after,
        summary=summary,
        personal_before=personal_before,
        personal_after=personal_after,
        ip_address=ip_address,
        user_agent=user_agent,
    )


def audit_record_for_subjects(
    *,
    organization: Organization | None,
    action: str,
    actor_subject: uuid.UUID | None,
    target: Target | None,
    target_subject: uuid.UUID | None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    summary: Mapping[str, Any] | None = None,
    personal_before: Mapping[str, Any] | None = None,
    personal_after: Mapping[str, Any] | None = None,
    ip_address: str | None = FROM_REQUEST,
    user_agent: str | None = FROM_REQUEST,
) -> AuditRecord:
    """`audit_record` with subject ids already resolved (e.g. an unknown email's subject)."""
    context = request_context.current()
    if ip_address is FROM_REQUEST:
        ip_address = context.ip_address if context else None
    if user_agent is FROM_REQUEST:
        user_agent = context.user_agent if context else ""
    parts: dict[uuid.UUID, dict[str, Any]] = {}
    network_subject = actor_subject or target_subject
    if network_subject is not None and (ip_address or user_agent):
        parts.setdefault(network_subject, {}).update(ip_address=ip_address, user_agent=user_agent)
    before_out, after_out = dict(before or {}), dict(after or {})
    if personal_before or personal_after:
        if target_subject is not None:
            part = parts.setdefault(target_subject, {})
            if personal_before:
                part["before"] = dict(personal_before)
            if personal_after:
                part["after"] = dict(personal_after)
        else:
            # No person to keep them with (and erase them with): record which fields changed, never their values.
            after_out["withheld"] = sorted({*(personal_before or {}), *(personal_after or {})})
    for attempt in range(_APPEND_ATTEMPTS):
        try:
            return _append(
                organization=organization,
                action=action,
                actor_subject=actor_subject,
                target=target,
                target_subject=target_subject,
                before=before_out or None,
                after=after_out or None,
                summary=summary,
                parts=parts,
            )
        except (ChainContention, IntegrityError):
            # The append ran in its own savepoint, so the caller's transaction is still usable for a retry.
            if attempt == _APPEND_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def audit_record_bulk(
    *,
    organization: Organization | None,
    action: str,
    actor: User | None,
    target_type: str,
    ids: Iterable[Any],
    details: Mapping[str, Any] | None = None,
) -> AuditRecord:
    """One summary record for a bulk operation: what, how many, by whom, and a digest of the ids touched
    (`chain.ids_digest`), instead of one record per row. `details` adds non-personal facts (e.g. the filter)."""
    id_list = list(ids)
    summary = {"count": len(id_list), "ids_digest": hashing.ids_digest(id_list), **(details or {})}
    return audit_record(
        organization=organization, action=action, actor=actor, target=Target(type=target_type), summary=summary
    )


def audit_export_record(*, organization: Organization | None, by: User, filters: AuditFilter) -> AuditRecord:
    """Record that someone exported the trail, and with which filters. The free-text filters may name a person,
    so only the fact that they were used is kept, not what was typed."""
    used = sorted(name for name, value in dataclasses.asdict(filters).items() if value)
    after: dict[str, Any] = {"filters": used}
    for name in ("date_from", "date_to", "action", "target_type"):
        if getattr(filters, name):
            after[name] = getattr(filters, name)
    return audit_record(organization=organization, action="audit.exported", actor=by, after=after)


# --- anchors ----------------------------------------------------------------------------------------------


def audit_anchor_create(*, chain: AuditChain) -> AuditAnchor | None:
    """Copy the chain's head into an anchor and the log. Nothing new since the last anchor: nothing to do."""
    with transaction.atomic():
        head = AuditChain.objects.select_for_update().get(pk=chain.pk)
        if head.seq == 0 or AuditAnchor.objects.filter(chain=head, seq=head.seq).exists():
            return None
        anchor = AuditAnchor(
            chain=head,
            organization_id=head.organization_id,
            seq=head.seq,
            head_hash=head.head_hash,
            created_at=clock.now(),
        )
        anchor.save()
    # The log line is the copy outside the database: keep it where the database's users cannot reach.
    logger.info("audit.anchor chain=%s seq=%d head_hash=%s", head.key, anchor.seq, anchor.head_hash)
    return anchor


def audit_anchor_all() -> list[AuditAnchor]:
    """Anchor every chain that grew since its last anchor (the hourly task)."""
    anchors = []
    for chain in AuditChain.objects.order_by("pk"):
        anchor = audit_anchor_create(chain=chain)
        if anchor is not None:
            anchors.append(anchor)
    return anchors


# --- privacy requests -------------------------------------------------------------------------------------


def _privacy_membership(*, user: User, organization: Organization, by: User) -> Membership:
    membership = Membership.objects.filter(organization=organization, user=user).select_related("org_unit").first()
    if membership is None:
        raise PermissionDenied(NOT_A_MEMBER)
    policy.require(by, PRIVACY_CAPABILITY, organization, membership)
    return membership


def privacy_export(*, user: User, organization: Organization, by: User) -> dict[str, Any]:
    """Everything Syllabus holds about a person in `organization`, from every app's privacy provider.

    Needs `people.privacy` over the person. The export itself is audited.
    """
    membership = _privacy_membership(user=user, organization=organization, by=by)
    with transaction.atomic():
        apps = privacy.export_person(user, organization)
        audit_record(
            organization=organization,
            action="person.exported",
            actor=by,
            target=membership,
            after={"apps": sorted(apps)},
        )
    return {
        "format": "syllabus-personal-data/1",
        "exported_at": hashing.timestamp(clock.now()),
        "organization": {"id": organization.pk, "name": organization.name, "slug": organization.slug},
        "person": {"user_id": user.pk, "membership_id": membership.pk},
        "apps": hashing.jsonable(apps),
    }


def privacy_erase(*, user: User, organization: Organization, by: User) -> list[str]:
    """Erase a person (GDPR): every app pseudonymises or deletes their personal data; records that must stay
    (audit, compliance) stay without it. Returns the apps that erased, in order.

    Needs `people.privacy` over the person; someone who also belongs to another organisation can only be erased
    by a platform admin. The erasure is audited (written first, so it names the person's subject id, which then
    resolves to "erased person" like every other record about them). One transaction: any app refusing
    (ValidationError) undoes it all.
    """
    membership = _privacy_membership(user=user, organization=organization, by=by)
    if user.pk == by.pk:
        raise ValidationError(CANNOT_ERASE_SELF)
    if user.is_platform_admin:
        raise ValidationError(CANNOT_ERASE_PLATFORM_ADMIN)
    if not policy.principal_for(by, organization).is_platform_admin and (
        Membership.objects.filter(user=user).exclude(organization=organization).exists()
    ):
        raise ValidationError(MEMBER_ELSEWHERE)
    apps = [provider.app_label for provider in reversed(privacy.providers())]
    with transaction.atomic():
        audit_record(
            organization=organization, action="person.erased", actor=by, target=membership, after={"apps": apps}
        )
        erased = privacy.erase_person(user, by)
    policy.forget(user)
    return erased


# --- the audit app's own privacy provider (registered in apps.py) -----------------------------------------


def _subjects_of(user: User) -> models.QuerySet[AuditSubject]:
    # Their user's subject, and subjects of failed sign-ins typed with their address before it was theirs.
    return AuditSubject.objects.filter(Q(user=user) | Q(user=None, email__iexact=user.email))


def subjects_erase(user: User, by: User | None) -> None:
    """Erase a person from the audit trail: delete their subject rows and their personal parts of records.
    The chain is untouched: its hashes cover only digests of the parts."""
    subject_ids = list(_subjects_of(user).values_list("subject_id", flat=True))
    AuditPersonal.objects.filter(subject_id__in=subject_ids).delete()
    AuditSubject.objects.filter(subject_id__in=subject_ids).delete()
