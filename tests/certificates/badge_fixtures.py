"""Fixtures and helpers of the Open Badges tests: an issued certificate, and tools to forge tokens the way an
attacker would (any header, any payload, any key or none)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.core.cache import cache

from syllabus.certificates import keys
from syllabus.certificates.models import Certificate, SigningKey
from syllabus.certificates.services import issuing
from tests.certificates.conftest import NOW, finish


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """The verification rate limits count in the cache, which outlives a test: every test starts at zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def issued(world, award, moved_clock) -> Certificate:
    """Lena Learner's certificate of the award's course, completed NOW, expiring a year later, badge signed."""
    completion = finish(world.learner, award.course, NOW, score="88", expires=NOW + dt.timedelta(days=365))
    certificate = issuing.issue_for_course_completion(completion.pk)
    assert certificate is not None and certificate.credential
    return certificate


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    header, payload, signature = token.split(".")
    return (
        json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))),
        json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))),
        signature,
    )


Signer = Callable[[bytes], bytes]


def raw_token(header: dict[str, Any], payload: dict[str, Any], sign: Signer) -> str:
    """A compact JWS made by hand: nothing stops an attacker writing any header or signature."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    return f"{signing_input}.{b64(sign(signing_input.encode()))}"


def rsa_signer(private: rsa.RSAPrivateKey) -> Signer:
    return lambda message: private.sign(message, padding.PKCS1v15(), hashes.SHA256())


def our_signer(key: SigningKey) -> Signer:
    """Signing with OUR private key: for tests of claim checks that come after a valid signature."""
    return rsa_signer(keys.private_key(key))


def fresh_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def hs256_with_public_key(key: SigningKey) -> Signer:
    """Algorithm confusion: the public key's PEM used as the HMAC secret."""
    pem = keys.public_key(key).public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return lambda message: hmac.new(pem, message, hashlib.sha256).digest()


def resign(certificate: Certificate, *, header: dict[str, Any] | None = None, sign: Signer | None = None, **changes):
    """The certificate's own credential with `changes` to its payload (None removes a member), signed again
    (by default with the organisation's real key, so only the claims are wrong)."""
    original_header, payload, _signature = parts(certificate.credential)
    for name, value in changes.items():
        if value is None:
            payload.pop(name, None)
        else:
            payload[name] = value
    return raw_token(
        header if header is not None else original_header,
        payload,
        sign or our_signer(certificate.signing_key),
    )
