"""What certificates hold about one person, for the privacy registry (core.privacy): export and erasure (GDPR).

Exported: every certificate issued to the person (its public id and verification address, what it is for, when it
was issued and until when it is valid, its state and what the verification page says today, the score, and for a
revoked one when and why).

Erasure keeps the certificates as records, without the person: a certificate is evidence that somebody was
trained ("was the certificate 3f2c... valid on 31 March?"), and its verification page must keep answering
"valid", "expired", "superseded" or "revoked" to whoever holds a copy, so the row and its state stay. What goes:

- the printed name (`recipient_name` becomes "Erased person"), so the verification page shows no name;
- the PDF, which prints the name: the file is deleted from storage once the erasure commits (a refused erasure
  rolls back and must find its files still there) and the row no longer points at it;
- the signed Open Badge, which names the person: the credential text is cleared (the verification page then
  answers by its state alone). The key that signed it stays published for the badges others still hold.
- the reason of a revocation: free text about the person (it often names them, or says what they did); the
  state and the date of the revocation stay. The audit trail keeps the reason in the person's erasable part.

One audit record per certificate ("certificate.erased") says it happened, without personal data.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from syllabus.accounts.models import Organization, User
from syllabus.accounts.privacy import ERASED_NAME
from syllabus.audit.services import audit_record
from syllabus.certificates import credentials
from syllabus.certificates.models import STATUS_LABELS, Certificate
from syllabus.core import clock

logger = logging.getLogger(__name__)

AUDIT_ACTIONS = (("certificate.erased", _("Certificate holder's personal data erased")),)

# Said by the certificate's page to officers instead of offering a PDF that no longer exists.
ERASED_RENDER_NOTE = "The PDF was deleted with the holder's personal data."


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def export_person(user: User, organization: Organization | None) -> dict[str, Any]:
    certificates = (
        Certificate.objects.filter(membership__user=user)
        .select_related("organization")
        .order_by("organization__name", "-issued_at", "-pk")
    )
    if organization is not None:
        certificates = certificates.filter(organization=organization)
    now = clock.now()
    return {
        "certificates": [
            {
                "organization": c.organization.name,
                "public_id": str(c.public_id),
                "verify_url": credentials.verify_url(c),
                "title": c.title,
                "source": c.source,
                "recipient_name": c.recipient_name,
                "version": c.version_label,
                "score": str(c.score) if c.score is not None else None,
                "issued_at": _iso(c.issued_at),
                "expires_at": _iso(c.expires_at),
                "state": c.state,
                "status": c.status_on(now),
                "status_label": str(STATUS_LABELS[c.status_on(now)]),
                "state_changed_at": _iso(c.state_changed_at),
                "revoke_reason": c.revoke_reason or None,
                "open_badge": bool(c.credential),
            }
            for c in certificates
        ]
    }


def erase_person(user: User, by: Any) -> None:
    """Pseudonymise every certificate of the person: no name, no PDF, no signed badge; state and facts stay."""
    certificates = list(Certificate.objects.filter(membership__user=user).select_related("organization").order_by("pk"))
    files = [c.pdf.name for c in certificates if c.pdf]
    for certificate in certificates:
        had = {"pdf": bool(certificate.pdf), "open_badge": bool(certificate.credential)}
        Certificate.objects.filter(pk=certificate.pk).update(
            recipient_name=ERASED_NAME,
            pdf="",
            pdf_sha256="",
            credential="",
            revoke_reason="",
            # Not "pending": nothing may draw it again with the facts of an erased person.
            render_state=Certificate.RenderState.FAILED,
            render_error=ERASED_RENDER_NOTE,
        )
        audit_record(
            organization=certificate.organization,
            action="certificate.erased",
            actor=by,
            target=certificate,
            before=had,
            after={"pdf": False, "open_badge": False, "state": certificate.state},
        )
    if files:
        transaction.on_commit(functools.partial(delete_files, files))


def delete_files(names: list[str]) -> None:
    """Delete stored PDFs; a file already gone is not an error (a rerun, or storage cleaned by hand)."""
    for name in sorted(set(names)):
        try:
            default_storage.delete(name)
        except OSError:
            logger.exception("Could not delete the certificate file %s", name)
