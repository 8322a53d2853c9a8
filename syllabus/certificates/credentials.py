"""Open Badges 3.0: each certificate as an `OpenBadgeCredential` (a W3C Verifiable Credential), signed as a VC-JWT.

What the specification asks of the JSON Web Token proof (1EdTech Open Badges 3.0, section 8.2), and how:
- JOSE header: `alg` RS256 (the algorithm every verifier supports), `typ` "JWT", `kid` a URL that dereferences to
  the public JWK (`certificates:key`) and `jwk`, the same public key, for verifiers that work offline. No other
  header; the JWK never carries "d".
- JWT payload: the credential's own members, plus the registered claims `iss` = issuer.id, `jti` = id,
  `nbf` = validFrom, `sub` = credentialSubject.id and, when it expires, `exp` = validUntil.
- The credential's `id` is the certificate's public verification URL, so anyone holding the badge can
  dereference it and read whether it is still valid (revoked, superseded or expired are shown there).

The recipient is named (IdentityObject "name", not hashed: the certificate prints it anyway) and identified by a
salted SHA-256 of their email address (hashed: the holder can prove it, nobody can read it).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
import uuid
from typing import Any
from urllib.parse import urlsplit

import jwt
from django.conf import settings
from django.urls import Resolver404, resolve, reverse

from syllabus.accounts.models import Organization
from syllabus.certificates import keys
from syllabus.certificates.models import Award, Certificate, SigningKey

CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
SCHEMA = {
    "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
    "type": "1EdTechJsonSchemaValidator2019",
}


def absolute(path: str) -> str:
    """URLs in credentials are built on SITE_URL, never on a request's Host header."""
    return settings.SITE_URL.rstrip("/") + path


def verify_url(certificate: Certificate) -> str:
    return absolute(reverse("certificates:verify", args=[certificate.public_id]))


def issuer_url(organization_slug: str) -> str:
    return absolute(reverse("certificates:issuer", args=[organization_slug]))


def achievement_url(award: Award) -> str:
    return absolute(reverse("certificates:achievement", args=[award.public_id]))


def key_url(key: SigningKey) -> str:
    return absolute(reverse("certificates:key", args=[key.kid]))


def subject_id(certificate: Certificate) -> str:
    """A stable, opaque id for the recipient within the organisation: not their database id, not their email."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(),
        f"certificates.subject:{certificate.organization_id}:{certificate.membership_id}".encode(),
        hashlib.sha256,
    ).digest()
    return f"urn:uuid:{uuid.UUID(bytes=digest[:16], version=4)}"


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _email_identity(email: str) -> dict[str, Any]:
    salt = secrets.token_hex(8)
    digest = hashlib.sha256((email.strip().lower() + salt).encode()).hexdigest()
    return {
        "type": "IdentityObject",
        "identityHash": f"sha256${digest}",
        "identityType": "emailAddress",
        "hashed": True,
        "salt": salt,
    }


def achievement(award: Award | None, certificate: Certificate) -> dict[str, Any]:
    name = (award.achievement_name if award else "") or certificate.title
    description = (award.achievement_description if award else "") or certificate.title
    criteria = (award.criteria if award else "") or f"Completed {certificate.title}."
    out: dict[str, Any] = {
        "id": achievement_url(award) if award else verify_url(certificate) + "#achievement",
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": name,
        "description": description,
        "criteria": {"narrative": criteria},
    }
    if award is not None:
        out["image"] = {"id": absolute(reverse("certificates:badge-image", args=[award.public_id])), "type": "Image"}
    return out


def credential(certificate: Certificate, *, email: str, organization_name: str, organization_slug: str) -> dict:
    """The unsigned OpenBadgeCredential of `certificate`."""
    issued = _iso(certificate.issued_at)
    out: dict[str, Any] = {
        "@context": CONTEXT,
        "id": verify_url(certificate),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": certificate.title,
        "issuer": {
            "id": issuer_url(organization_slug),
            "type": ["Profile"],
            "name": organization_name,
            "url": absolute("/"),
        },
        "validFrom": issued,
        "credentialSubject": {
            "id": subject_id(certificate),
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": certificate.recipient_name,
                    "identityType": "name",
                    "hashed": False,
                },
                _email_identity(email),
            ],
            "achievement": achievement(certificate.award, certificate),
        },
        "credentialSchema": [SCHEMA],
    }
    if certificate.expires_at is not None:
        out["validUntil"] = _iso(certificate.expires_at)
    return out


def sign(document: dict[str, Any], key: SigningKey) -> str:
    """The compact JWS (VC-JWT) of `document`, signed with `key`."""
    payload = dict(document)
    payload["iss"] = document["issuer"]["id"]
    payload["jti"] = document["id"]
    payload["sub"] = document["credentialSubject"]["id"]
    payload["nbf"] = int(dt.datetime.fromisoformat(document["validFrom"].replace("Z", "+00:00")).timestamp())
    if "validUntil" in document:
        payload["exp"] = int(dt.datetime.fromisoformat(document["validUntil"].replace("Z", "+00:00")).timestamp())
    headers = {"kid": key_url(key), "jwk": keys.public_jwk(key), "typ": "JWT"}
    return jwt.encode(payload, keys.private_key(key), algorithm=keys.ALGORITHM, headers=headers)


def issue(certificate: Certificate) -> tuple[str, SigningKey]:
    """Sign `certificate` with its organisation's active key: (compact JWS, key)."""
    organization = certificate.organization
    key = keys.active_key(organization)
    document = credential(
        certificate,
        email=certificate.membership.user.email,
        organization_name=organization.name,
        organization_slug=organization.slug,
    )
    return sign(document, key), key


# --- reading what was issued (downloads, verification) -------------------------------------------------------

# The registered claims `sign` adds to the credential's own members; the JSON download leaves them out.
JWT_CLAIMS = ("iss", "jti", "nbf", "sub", "exp")


def payload_of(token: str) -> dict[str, Any]:
    """The payload of a compact JWS, NOT verified: only for tokens we issued and stored (downloads)."""
    segment = token.split(".")[1]
    loaded = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    if not isinstance(loaded, dict):
        raise ValueError("The payload is not a JSON object.")
    return loaded


def document_of(token: str) -> dict[str, Any]:
    """The OpenBadgeCredential JSON inside a stored VC-JWT (the .json download): its members without the JWT
    registered claims, which only restate them."""
    return {k: v for k, v in payload_of(token).items() if k not in JWT_CLAIMS}


def public_id_of(url: object) -> uuid.UUID | None:
    """The certificate's public id in one of OUR verification URLs (a credential's `id`), else None."""
    prefix = settings.SITE_URL.rstrip("/")
    if not isinstance(url, str) or not url.startswith(prefix + "/"):
        return None
    try:
        match = resolve(urlsplit(url[len(prefix) :]).path)
    except Resolver404:
        return None
    if match.view_name != "certificates:verify":
        return None
    try:
        return uuid.UUID(str(match.kwargs.get("public_id")))
    except ValueError:
        return None


def issuer_profile(organization: Organization) -> dict[str, Any]:
    """The issuer's OB 3.0 Profile, as `issuer.id` dereferences to."""
    out: dict[str, Any] = {
        "@context": CONTEXT,
        "id": issuer_url(organization.slug),
        "type": ["Profile"],
        "name": organization.name,
        "url": absolute("/"),
    }
    if organization.logo:
        out["image"] = {"id": absolute(organization.logo.url), "type": "Image"}
    return out


def achievement_document(award: Award, certificate: Certificate) -> dict[str, Any]:
    """The Achievement as an achievement's `id` dereferences to: what the credentials carry, with its context and
    creator (`certificate`, one of the award's, supplies the names a blank award field falls back on)."""
    out = {"@context": CONTEXT, **achievement(award, certificate)}
    out["creator"] = {"id": issuer_url(award.organization.slug), "type": ["Profile"]}
    return out
