"""Electronic signatures in the manner of 21 CFR Part 11: the signer proves who they are again at the moment of
signing, and the signature binds their printed name, the meaning, the time and the SHA-256 of the exact record.

- §11.50 (manifestation): `Signature.signer_name`, `meaning`, `signed_at` are shown wherever the record is shown.
- §11.70 (linking): `record_hash` is the SHA-256 of the canonical JSON of the signed record (`payload`), so a
  later change to the record no longer matches (`signature_check`).
- §11.200 (components): re-authentication with the password (each wrong one counts towards the sign-in lockout,
  through Django's `authenticate` and django-axes) or with an authenticator code (django-otp, throttled).
  People with neither cannot sign until they set one up (single sign-on re-authentication comes with SSO).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from syllabus.accounts.models import Membership, User
from syllabus.accounts.security import two_factor
from syllabus.accounts.security.client import client_ip
from syllabus.audit.services import audit_record
from syllabus.compliance.models import Program, Signature
from syllabus.core import clock

IDENTITY_FAILED = "That password or code is not right, so nothing was signed."
NO_METHOD = (
    "You have no password or authenticator app to sign with. Set a password or an authenticator on your "
    "account's security page, then sign."
)
CREDENTIAL_REQUIRED = "Type your password (or a code from your authenticator app) to sign."
MEANING_REQUIRED = "A signature needs a meaning."


def canonical(payload: dict[str, Any]) -> bytes:
    """The bytes that are hashed: keys sorted, no spaces, dates and decimals as text."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False).encode()


def digest(payload: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(payload)).hexdigest()


def can_sign(user: User) -> bool:
    """True when the person has a way to prove it is them: a password or an authenticator."""
    return user.has_usable_password() or two_factor.has_authenticator(user)


def identity_verify(*, request: HttpRequest | None, user: User, password: str = "", code: str = "") -> str:
    """Check the signer again; returns the method used ("password" or "totp"). Raises ValidationError naming the
    field. A wrong password counts as a failed sign-in (lockout), a wrong code as a failed second step."""
    if not can_sign(user):
        raise ValidationError({"password": NO_METHOD})
    if code.strip():
        if not two_factor.has_authenticator(user):
            raise ValidationError({"code": IDENTITY_FAILED})
        verification = two_factor.two_factor_verify(user=user, code=code)
        if not verification.passed:
            raise ValidationError({"code": verification.error or IDENTITY_FAILED})
        # A one-time recovery code proves it too, and the signature says which it was.
        return Signature.Method.RECOVERY_CODE if verification.recovery_code else Signature.Method.TOTP
    if not password:
        raise ValidationError({"password": CREDENTIAL_REQUIRED})
    if not user.has_usable_password():
        raise ValidationError({"password": IDENTITY_FAILED})
    # Through the authentication backends, so django-axes counts a wrong password and refuses a locked email.
    found = authenticate(request, username=user.email, password=password)
    if found is None or found.pk != user.pk:
        raise ValidationError({"password": IDENTITY_FAILED})
    return Signature.Method.PASSWORD


@dataclass(frozen=True)
class Credentials:
    password: str = ""
    code: str = ""


def signature_create(
    *,
    request: HttpRequest | None,
    user: User,
    membership: Membership,
    meaning: str,
    record_type: str,
    record_id: int,
    record: dict[str, Any],
    credentials: Credentials,
    program: Program | None = None,
) -> Signature:
    """Re-authenticate `user`, then store their signature over `record` (the facts being signed, without
    personal data beyond what the record is about). The caller holds the transaction and links the signature
    to its record. Audited as "compliance.signed"."""
    meaning = (meaning or "").strip()
    if not meaning:
        raise ValidationError({"meaning": MEANING_REQUIRED})
    method = identity_verify(request=request, user=user, password=credentials.password, code=credentials.code)
    signed_at = clock.now()
    payload = {
        "record_type": record_type,
        "record_id": record_id,
        "record": record,
        "meaning": meaning,
        "signer": {"user_id": user.pk, "membership_id": membership.pk, "name": user.display_name or user.email},
        "signed_at": signed_at.isoformat(),
        "method": method,
    }
    signature = Signature.objects.create(
        organization_id=membership.organization_id,
        user=user,
        membership=membership,
        signer_name=user.display_name or user.email,
        meaning=meaning,
        signed_at=signed_at,
        method=method,
        record_type=record_type,
        record_id=record_id,
        program=program,
        payload=json.loads(canonical(payload)),
        record_hash=digest(payload),
        ip_address=client_ip(request),
    )
    audit_record(
        organization=membership.organization,
        action="compliance.signed",
        actor=user,
        target=signature,
        after={
            "record_type": record_type,
            "record_id": record_id,
            "program_id": program.pk if program else None,
            "meaning": meaning,
            "method": method,
            "record_hash": signature.record_hash,
        },
    )
    return signature


def signature_check(signature: Signature, record: dict[str, Any] | None = None) -> bool:
    """True when the signature is intact:
    - the stored payload still hashes to the stored hash;
    - the columns shown and linked (signer, meaning, time, method, record) say what the payload says;
    - the hash is the one the hash-chained audit trail recorded when it was signed (so rewriting the payload and
      its hash together is caught too);
    - given `record` (the record as it is now, built the same way as when it was signed), it is what was signed.
    """
    payload = dict(signature.payload)
    if digest(payload) != signature.record_hash:
        return False
    signer = payload.get("signer") or {}
    expected = {
        "record_type": signature.record_type,
        "record_id": signature.record_id,
        "meaning": signature.meaning,
        "method": signature.method,
    }
    if any(payload.get(key) != value for key, value in expected.items()):
        return False
    try:
        # The same instant, whatever time zone it was written in.
        if dt.datetime.fromisoformat(str(payload.get("signed_at"))) != signature.signed_at:
            return False
    except ValueError:
        return False
    if signer.get("user_id") != signature.user_id and signature.user_id is not None:
        return False
    if signer.get("membership_id") != signature.membership_id or signer.get("name") != signature.signer_name:
        return False
    audited = _audited_hash(signature)
    if audited is not None and audited != signature.record_hash:
        return False
    if record is not None:
        return json.loads(canonical({"r": record}))["r"] == payload.get("record")
    return True


def _audited_hash(signature: Signature) -> str | None:
    """The hash the audit trail last recorded for this signature: at signing, or when an erasure pseudonymised
    it (None when no record is found, e.g. demo data written straight into the tables)."""
    from syllabus.audit.models import AuditRecord

    found = (
        AuditRecord.objects.filter(
            organization_id=signature.organization_id,
            action__in=("compliance.signed", "compliance.signature_pseudonymised"),
            target_type="compliance.signature",
            target_id=str(signature.pk),
        )
        .order_by("-seq")
        .values_list("after", flat=True)
        .first()
    )
    if not isinstance(found, dict):
        return None
    value = found.get("record_hash")
    return str(value) if value else None
