"""Domain events of certificates (dispatched after commit through syllabus.core.events)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CertificateIssued:
    organization_id: int
    certificate_id: int
    membership_id: int
    award_id: int | None
    supersedes_id: int | None  # the certificate this one replaced (recompletion, recertification)


@dataclass(frozen=True)
class CertificateRevoked:
    organization_id: int
    certificate_id: int
    membership_id: int
    actor_id: int | None
