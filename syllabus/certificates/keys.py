"""The organisation's signing keys for Open Badges: RSA 2048 (RS256, the algorithm OB 3.0 requires every verifier
to support), generated here, the private half sealed at rest.

Private keys are encrypted with Fernet under a key derived from SECRET_KEY (and SECRET_KEY_FALLBACKS, so rotating
the Django secret does not lose them): a database dump alone cannot sign a forged badge. A SECRET_KEY changed
without its predecessor in SECRET_KEY_FALLBACKS leaves the active key unreadable: `active_key` then replaces it
(audited, logged as an error) so issuing goes on; the old key stays published, so what it signed still verifies.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import uuid
from typing import Any
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.urls import Resolver404, resolve
from jwt.algorithms import RSAAlgorithm

from syllabus.accounts.models import Organization, User
from syllabus.audit.services import audit_record
from syllabus.certificates.models import SigningKey
from syllabus.core import clock

logger = logging.getLogger(__name__)

ALGORITHM = "RS256"
RSA_BITS = 2048
# Members a public JWK may carry; anything else (above all "d" and the other private parameters) is dropped.
PUBLIC_JWK_MEMBERS = ("kty", "n", "e", "kid", "alg", "use")


def _fernet() -> MultiFernet:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet(
        [
            Fernet(base64.urlsafe_b64encode(hashlib.sha256(f"syllabus.certificates.keys:{s}".encode()).digest()))
            for s in secrets
        ]
    )


def seal(pem: bytes) -> str:
    return _fernet().encrypt(pem).decode("ascii")


def unseal(token: str) -> bytes:
    return _fernet().decrypt(token.encode("ascii"))


def public_jwk(key: SigningKey) -> dict[str, Any]:
    """The key's public JWK as published (never a private member)."""
    return {k: v for k, v in key.public_jwk.items() if k in PUBLIC_JWK_MEMBERS}


def private_key(key: SigningKey) -> rsa.RSAPrivateKey:
    loaded = serialization.load_pem_private_key(unseal(key.private_key), password=None)
    assert isinstance(loaded, rsa.RSAPrivateKey)
    return loaded


def public_key(key: SigningKey) -> rsa.RSAPublicKey:
    loaded = RSAAlgorithm.from_jwk(public_jwk(key))
    assert isinstance(loaded, rsa.RSAPublicKey)
    return loaded


def _new_key_fields() -> tuple[dict[str, Any], str]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    jwk = RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    return {k: v for k, v in jwk.items() if k in PUBLIC_JWK_MEMBERS}, seal(pem)


def key_create(*, organization: Organization, by: User | None) -> SigningKey:
    """A new active key; the active one (if any) is retired but stays published. Callers check permission."""
    jwk, sealed = _new_key_fields()
    with transaction.atomic():
        SigningKey.objects.filter(organization=organization, state=SigningKey.State.ACTIVE).update(
            state=SigningKey.State.RETIRED, retired_at=clock.now()
        )
        key = SigningKey(organization=organization, public_jwk=jwk, private_key=sealed, created_by=by)
        key.public_jwk = {**jwk, "kid": str(key.kid), "alg": ALGORITHM, "use": "sig"}
        key.save()
    return key


def readable(key: SigningKey) -> bool:
    """Whether the key's private half can be unsealed with SECRET_KEY or one of SECRET_KEY_FALLBACKS."""
    try:
        unseal(key.private_key)
    except InvalidToken:
        return False
    return True


def active_key(organization: Organization) -> SigningKey:
    """The organisation's active key: made on first use, replaced when it can no longer be unsealed (both
    audited, the system as actor)."""
    key = SigningKey.objects.filter(organization=organization, state=SigningKey.State.ACTIVE).first()
    if key is not None:
        return key if readable(key) else _replace_unreadable(organization, key)
    jwk, sealed = _new_key_fields()
    key = SigningKey(organization=organization, public_jwk=jwk, private_key=sealed)
    key.public_jwk = {**jwk, "kid": str(key.kid), "alg": ALGORITHM, "use": "sig"}
    try:
        with transaction.atomic():
            key.save()
            audit_record(
                organization=organization,
                action="certificate.key_created",
                actor=None,
                target=key,
                after={"active_kid": str(key.kid)},
            )
    except IntegrityError:
        # Another request made the first key at the same moment: use theirs.
        return SigningKey.objects.get(organization=organization, state=SigningKey.State.ACTIVE)
    return key


def _replace_unreadable(organization: Organization, unreadable: SigningKey) -> SigningKey:
    logger.error(
        "Certificates: the active signing key %s of organisation %s cannot be unsealed (SECRET_KEY changed "
        "without the old one in SECRET_KEY_FALLBACKS?); a new key replaces it.",
        unreadable.kid,
        organization.pk,
    )
    try:
        with transaction.atomic():
            key = key_create(organization=organization, by=None)
            audit_record(
                organization=organization,
                action="certificate.key_replaced",
                actor=None,
                target=key,
                before={"active_kid": str(unreadable.kid)},
                after={"active_kid": str(key.kid), "cause": "unreadable"},
            )
    except IntegrityError:
        # Another request replaced it at the same moment: use theirs.
        return SigningKey.objects.get(organization=organization, state=SigningKey.State.ACTIVE)
    return key


# --- finding keys (verification, the keys page, the published JWKS) -------------------------------------------

# Members of a JWK that belong to the private half (RFC 7518 6.3.2): a header's `jwk` carrying any is refused.
PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


def kid_of(url: str) -> uuid.UUID | None:
    """The kid in one of OUR key URLs (`certificates:key`, as `credentials.key_url` writes it), else None.

    Only URLs on SITE_URL count: a kid pointing elsewhere names a key we never published.
    """
    prefix = settings.SITE_URL.rstrip("/")
    if not isinstance(url, str) or not url.startswith(prefix + "/"):
        return None
    try:
        match = resolve(urlsplit(url[len(prefix) :]).path)
    except Resolver404:
        return None
    if match.view_name != "certificates:key":
        return None
    kid = match.kwargs.get("kid")
    return kid if isinstance(kid, uuid.UUID) else None


def find(kid: uuid.UUID) -> SigningKey | None:
    """One of our keys, active or retired, whatever organisation holds it (kids are globally unique)."""
    return SigningKey.objects.filter(kid=kid).select_related("organization").first()


def same_public_key(jwk: object, key: SigningKey) -> bool:
    """Whether a JWK (from a token's header) is exactly `key`'s public key: same type, modulus and exponent."""
    if not isinstance(jwk, dict):
        return False
    published = public_jwk(key)
    return all(jwk.get(member) == published.get(member) for member in ("kty", "n", "e"))


def published(organization: Organization) -> list[SigningKey]:
    """The organisation's keys as published in its JWKS: active first, then retired, newest first."""
    return sorted(
        SigningKey.objects.filter(organization=organization),
        key=lambda key: (key.state != SigningKey.State.ACTIVE, -key.created_at.timestamp(), -key.pk),
    )


def with_usage(organization: Organization) -> QuerySet[SigningKey]:
    """The keys page and API: each key with how many certificates it signed (one query)."""
    return (
        SigningKey.objects.filter(organization=organization)
        .select_related("created_by")
        .annotate(signed=Count("certificates"))
        .order_by("-created_at", "-pk")
    )
