"""The organisation's signing keys for Open Badges: RSA 2048 (RS256, the algorithm OB 3.0 requires every verifier
to support), generated here, the private half sealed at rest.

Private keys are encrypted with Fernet under a key derived from SECRET_KEY (and SECRET_KEY_FALLBACKS, so rotating
the Django secret does not lose them): a database dump alone cannot sign a forged badge.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.db import IntegrityError, transaction
from jwt.algorithms import RSAAlgorithm

from syllabus.accounts.models import Organization, User
from syllabus.certificates.models import SigningKey
from syllabus.core import clock

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


def active_key(organization: Organization) -> SigningKey:
    """The organisation's active key, made on first use."""
    key = SigningKey.objects.filter(organization=organization, state=SigningKey.State.ACTIVE).first()
    if key is not None:
        return key
    jwk, sealed = _new_key_fields()
    key = SigningKey(organization=organization, public_jwk=jwk, private_key=sealed)
    key.public_jwk = {**jwk, "kid": str(key.kid), "alg": ALGORITHM, "use": "sig"}
    try:
        with transaction.atomic():
            key.save()
    except IntegrityError:
        # Another request made the first key at the same moment: use theirs.
        return SigningKey.objects.get(organization=organization, state=SigningKey.State.ACTIVE)
    return key
