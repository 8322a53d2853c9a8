"""The audit trail: append-only records, one hash chain per organisation, anchors, and erasable subjects.

What is chained (covered by the hashes) and what is not:
- `AuditRecord` rows are chained: each carries the hash of the one before it in its organisation's chain.
- `AuditPersonal` rows hold a record's personal data (IP address, user agent, HR values of a change) for one
  person. The record's hash covers only a salted digest of each part, so deleting a person's parts (erasure)
  leaves every hash intact, while changing a part that is still there is detected.
- `AuditSubject` rows map the pseudonymous subject ids stored in records to people (name, email). Not chained;
  erasing a person deletes their row and the records show "erased person".
- `AuditChain` is the head of a chain (last sequence number and hash): appends lock it, so they serialise.
- `AuditAnchor` rows copy a chain's head at a point in time (also written to the log): truncating the chain
  below an anchor is detected.
"""

from __future__ import annotations

import uuid
from typing import Any, NoReturn

from django.db import models

APPEND_ONLY = "The audit trail is append-only: records cannot be changed or deleted."


class AppendOnlyError(Exception):
    pass


class AppendOnlyQuerySet(models.QuerySet[Any]):
    """Refuses bulk changes. (Deleting an organisation still cascades: Django's collector deletes with raw SQL.)"""

    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(APPEND_ONLY)

    def delete(self) -> NoReturn:  # type: ignore[override]
        raise AppendOnlyError(APPEND_ONLY)

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(APPEND_ONLY)

    def update_or_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(APPEND_ONLY)


class AppendOnlyModel(models.Model):
    """A row that is written once. The database user could still change it; `audit_verify` detects that."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(APPEND_ONLY)
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:  # type: ignore[override]
        raise AppendOnlyError(APPEND_ONLY)


class AuditChain(models.Model):
    """The head of one chain: an organisation's, or the platform's (no organisation: sign-ins of unknown
    emails and of people without an organisation). Every append locks this row."""

    PLATFORM_KEY = "platform"

    # "org:<id>" or "platform": unique and never null, unlike the organisation.
    key = models.CharField(max_length=40, unique=True)
    organization = models.OneToOneField(
        "accounts.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    seq = models.PositiveBigIntegerField(default=0)
    head_hash = models.CharField(max_length=64)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.key} @ {self.seq}"

    @staticmethod
    def key_for(organization_id: int | None) -> str:
        return f"org:{organization_id}" if organization_id is not None else AuditChain.PLATFORM_KEY


class AuditRecord(AppendOnlyModel):
    """One thing that happened: who did what to which target, when, and what changed."""

    chain = models.ForeignKey(AuditChain, on_delete=models.CASCADE, related_name="records")
    # Copied from the chain so tenant queries filter on an indexed column of this table.
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    seq = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(db_index=True)
    action = models.CharField(max_length=80)
    # Pseudonymous subject ids (AuditSubject), never names or emails. No actor: the system did it.
    actor_subject = models.UUIDField(null=True, blank=True)
    target_type = models.CharField(max_length=60, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_subject = models.UUIDField(null=True, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    # Bulk operations: {"count": n, "ids_digest": "...", ...} instead of one record per row.
    summary = models.JSONField(null=True, blank=True)
    # {subject id: digest of that person's AuditPersonal part}; covered by the hash, the parts are not.
    personal_digests = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-seq"]
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="auditrecord_unique_seq_per_chain")]
        indexes = [
            models.Index(fields=["organization", "-seq"], name="auditrecord_org_seq"),
            models.Index(fields=["organization", "action"], name="auditrecord_org_action"),
            models.Index(fields=["actor_subject"], name="auditrecord_actor"),
            models.Index(fields=["target_subject"], name="auditrecord_target_subject"),
            # "The audit entries behind this record" (compliance evidence packs, a record's history).
            models.Index(fields=["organization", "target_type", "target_id"], name="auditrecord_org_target"),
        ]

    def __str__(self) -> str:
        return f"{self.chain_id}#{self.seq} {self.action}"


class AuditPersonal(models.Model):
    """The personal data of one record about one person: erasable without breaking the chain.

    `data` may hold "ip_address", "user_agent", "before", "after". The record keeps sha256(salt + data) in
    `personal_digests`; the random salt makes that digest useless for guessing the data once the part is gone.
    """

    record = models.ForeignKey(AuditRecord, on_delete=models.CASCADE, related_name="personal_parts")
    subject_id = models.UUIDField(db_index=True)
    salt = models.CharField(max_length=32)
    data = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["record", "subject_id"], name="auditpersonal_one_part_per_subject")
        ]

    def __str__(self) -> str:
        return f"{self.record_id}/{self.subject_id}"


class AuditSubject(models.Model):
    """Who a pseudonymous subject id stands for. Outside the chain: erasure deletes the row."""

    subject_id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Null for someone who is not a user: a failed sign-in with an unknown email.
    user = models.OneToOneField(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_subject"
    )
    display_name = models.CharField(max_length=150, blank=True)
    email = models.CharField(max_length=254, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.display_name or self.email or str(self.subject_id)


class AuditAnchor(AppendOnlyModel):
    """A chain's head (sequence number and hash) copied at a point in time, also written to the log.

    Records cannot be deleted from the end of a chain below an anchor without `audit_verify` noticing.
    """

    chain = models.ForeignKey(AuditChain, on_delete=models.CASCADE, related_name="anchors")
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    seq = models.PositiveBigIntegerField()
    head_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-seq"]
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="auditanchor_unique_seq_per_chain")]

    def __str__(self) -> str:
        return f"{self.chain_id}@{self.seq} {self.head_hash[:12]}"
