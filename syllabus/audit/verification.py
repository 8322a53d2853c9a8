"""Checking a chain: every changed, inserted or deleted record, and truncation below the head or an anchor.

Walks the chain in sequence order, a batch at a time (constant memory), and for each record:
- recomputes its hash from its content and the previous hash it names -> "changed" if they differ (or
  "inserted"/"deleted" when the content matches a neighbouring sequence number: records were renumbered to
  hide an insertion or a deletion);
- checks that it names the previous record's hash -> if it names the one before that instead, the previous
  record was "inserted"; otherwise the previous record was "changed" (its hash recomputed to hide an edit);
- checks each personal part that still exists against the digest the record holds, and that no part is
  missing unless its person was erased;
- a gap in the sequence numbers is "deleted".
Then the end of the chain against the head row and every anchor: records missing at the end are "truncated".

What this cannot see: someone with write access to the database who rewrites the whole chain after the last
anchor consistently (sha256 is unkeyed). The anchors in the log, outside the database, bound that window.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from syllabus.accounts.models import Organization
from syllabus.audit import chain as hashing
from syllabus.audit.models import AuditAnchor, AuditChain, AuditPersonal, AuditRecord, AuditSubject
from syllabus.audit.services import record_payload

CHANGED, INSERTED, DELETED, TRUNCATED = "changed", "inserted", "deleted", "truncated"
BATCH_SIZE = 1000
# How far a renumbered record may have moved and still be recognised as renumbered.
MAX_SHIFT = 5


@dataclass
class Problem:
    kind: str
    first_seq: int
    last_seq: int
    detail: str

    def __str__(self) -> str:
        where = f"{self.first_seq}" if self.first_seq == self.last_seq else f"{self.first_seq}-{self.last_seq}"
        return f"seq {where}: {self.kind} ({self.detail})"


@dataclass
class ChainReport:
    chain_key: str
    label: str
    records: int = 0
    head_seq: int = 0
    head_hash: str = hashing.GENESIS_HASH
    anchors: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, kind: str, first_seq: int, last_seq: int, detail: str) -> None:
        self.problems.append(Problem(kind, first_seq, last_seq, detail))

    def settle(self) -> None:
        """Order problems by position and merge runs of the same one (a renumbered tail is one line)."""
        merged: list[Problem] = []
        for problem in sorted(self.problems, key=lambda p: (p.first_seq, p.last_seq)):
            last = merged[-1] if merged else None
            if (
                last
                and last.kind == problem.kind
                and last.detail == problem.detail
                and last.last_seq + 1 >= problem.first_seq
            ):
                last.last_seq = max(last.last_seq, problem.last_seq)
            else:
                merged.append(problem)
        self.problems = merged


def _batches(chain: AuditChain) -> Iterator[list[AuditRecord]]:
    # Keyset pagination on (chain, seq): each batch is one indexed range query, whatever the chain's length.
    after = 0
    while True:
        batch = list(AuditRecord.objects.filter(chain=chain, seq__gt=after).order_by("seq")[:BATCH_SIZE])
        if not batch:
            return
        yield batch
        after = batch[-1].seq


def _hash_as(record: AuditRecord, chain_key: str, seq: int) -> str:
    original = record.seq
    record.seq = seq
    try:
        return hashing.link_hash(record_payload(record, chain_key=chain_key), record.prev_hash)
    finally:
        record.seq = original


def _renumbering(record: AuditRecord, chain_key: str) -> int:
    """By how much the record's seq was moved (0: it was not, or its content changed otherwise)."""
    for shift in range(1, MAX_SHIFT + 1):
        for moved in (shift, -shift):
            if record.seq - moved >= 1 and _hash_as(record, chain_key, record.seq - moved) == record.hash:
                return moved
    return 0


def verify_chain(chain: AuditChain, *, external_anchors: Iterable[tuple[int, str]] = ()) -> ChainReport:
    """Check one chain. `external_anchors` are (seq, head hash) pairs kept outside the database (from the log)."""
    report = ChainReport(chain_key=chain.key, label=chain_label(chain), head_seq=chain.seq, head_hash=chain.head_hash)
    anchors = {anchor.seq: (anchor.head_hash, "anchor") for anchor in AuditAnchor.objects.filter(chain=chain)}
    for seq, head_hash in external_anchors:
        anchors[seq] = (head_hash, "external anchor")
    report.anchors = len(anchors)
    expected = 1
    previous: str | None = hashing.GENESIS_HASH
    before_previous: str | None = None
    last: AuditRecord | None = None
    for batch in _batches(chain):
        parts: dict[int, dict[str, AuditPersonal]] = {}
        for part in AuditPersonal.objects.filter(record__in=[record.pk for record in batch]):
            parts.setdefault(part.record_id, {})[str(part.subject_id)] = part
        named = {subject for record in batch for subject in _digests(record)}
        present = {
            str(s) for s in AuditSubject.objects.filter(subject_id__in=named).values_list("subject_id", flat=True)
        }
        for record in batch:
            report.records += 1
            if record.seq > expected:
                report.add(DELETED, expected, record.seq - 1, "missing from the sequence")
                previous = before_previous = None
            shift = 0
            if record.organization_id != chain.organization_id:
                report.add(CHANGED, record.seq, record.seq, "filed under another organisation")
            if _hash_as(record, chain.key, record.seq) != record.hash:
                shift = _renumbering(record, chain.key)
                if shift > 0:
                    report.add(INSERTED, record.seq, record.seq, "renumbered: records were inserted before it")
                elif shift < 0:
                    report.add(DELETED, record.seq, record.seq, "renumbered: records were deleted before it")
                else:
                    report.add(CHANGED, record.seq, record.seq, "its content does not match its hash")
            if previous is not None and record.prev_hash != previous and shift >= 0:
                if before_previous is not None and record.prev_hash == before_previous:
                    report.add(INSERTED, record.seq - 1, record.seq - 1, "not linked into the chain")
                else:
                    report.add(CHANGED, record.seq - 1, record.seq - 1, "the next record does not link to it")
            _check_parts(report, record, parts, present)
            anchored = anchors.get(record.seq)
            if anchored is not None and anchored[0] != record.hash:
                report.add(CHANGED, record.seq, record.seq, f"differs from the {anchored[1]}")
            before_previous, previous = previous, record.hash
            expected = record.seq + 1
            last = record
    _check_end(report, chain, last, anchors)
    report.settle()
    return report


def _digests(record: AuditRecord) -> dict[str, str]:
    """The record's personal digests by subject id; whatever a tamperer left that is not one is ignored here
    (the record's own hash already reports it as changed)."""
    digests = record.personal_digests if isinstance(record.personal_digests, dict) else {}
    valid = {}
    for subject, digest in digests.items():
        try:
            valid[str(uuid.UUID(str(subject)))] = str(digest)
        except ValueError:
            continue
    return valid


def _check_parts(
    report: ChainReport, record: AuditRecord, parts: dict[int, dict[str, AuditPersonal]], present: set[str]
) -> None:
    mine = parts.get(record.pk, {})
    for subject, digest in _digests(record).items():
        part = mine.pop(subject, None)
        if part is not None:
            if hashing.part_digest(part.salt, part.data) != digest:
                report.add(CHANGED, record.seq, record.seq, "its personal data was changed")
        elif subject in present:
            # The person was not erased, so their part should still be there.
            report.add(CHANGED, record.seq, record.seq, "its personal data was removed")
    if mine:
        report.add(CHANGED, record.seq, record.seq, "personal data was added to it")


def _check_end(
    report: ChainReport, chain: AuditChain, last: AuditRecord | None, anchors: dict[int, tuple[str, str]]
) -> None:
    last_seq = last.seq if last else 0
    if last_seq < chain.seq:
        report.add(TRUNCATED, last_seq + 1, chain.seq, "the chain head names records that are gone")
    elif last_seq > chain.seq:
        report.add(INSERTED, chain.seq + 1, last_seq, "after the chain head")
    elif last is not None and last.hash != chain.head_hash:
        report.add(CHANGED, last.seq, last.seq, "differs from the chain head")
    beyond = [seq for seq in anchors if seq > max(last_seq, chain.seq)]
    if beyond:
        report.add(TRUNCATED, last_seq + 1, max(beyond), f"an {anchors[max(beyond)][1]} names records that are gone")


def chain_label(chain: AuditChain) -> str:
    if chain.organization_id is None:
        return "platform"
    organization = Organization.objects.filter(pk=chain.organization_id).only("slug").first()
    return organization.slug if organization else chain.key


def verify_organization(organization: Organization | None, *, platform: bool = False) -> ChainReport:
    """Check one organisation's chain (or the platform's). An organisation with no records yet is fine."""
    key = AuditChain.key_for(None if platform or organization is None else organization.pk)
    chain = AuditChain.objects.filter(key=key).first()
    if chain is None:
        return ChainReport(chain_key=key, label="platform" if platform else getattr(organization, "slug", key))
    return verify_chain(chain)


def verify_all() -> list[ChainReport]:
    return [verify_chain(chain) for chain in AuditChain.objects.order_by("pk")]
