"""Verifying an Open Badge: a VC-JWT, a credential in JSON, or a badge image with one baked in.

What 1EdTech Open Badges 3.0 (section 8.2.6) asks of a verifier, and how it is done here:
1. Decode the JOSE header. Only `alg`, `kid`, `jwk` and `typ` may be there; `alg` must be RS256 (never `none`, never
   HS256: a public key used as an HMAC secret is the classic "algorithm confusion" forgery); `typ`, if present,
   is "JWT".
2. Dereference `kid`: it must be the URL of one of OUR signing keys (active or retired). An embedded `jwk` is
   never trusted on its own — anyone can sign with a key they embed; if present it must be exactly the kid's key
   and carry no private member.
3. Verify the signature (RFC 7515 5.2) with that key.
4. The claims: `iss` = issuer.id, `sub` = credentialSubject.id, `nbf` = validFrom and not in the future,
   `jti` = id, `exp` (if present) = validUntil and not passed.
Then ours to add: the certificate is found by the public id in `jti`, and the token must be byte for byte the one
we issued and stored — a credential re-signed by us but different (or one we never issued) is not ours — and the
certificate's status today (valid, expired, superseded, revoked) decides.

Everything here reads hostile input: sizes are capped before anything is parsed, images are read without
decompressing pixels or expanding entities (baking.py), and every problem is reported in plain words (the
module constants, which tests assert) rather than raised.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
import ipaddress
import json
import re
import time
import uuid
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO, Any

import jwt
from django.core.cache import cache
from django.utils import translation
from django.utils.formats import date_format

from syllabus.certificates import baking, credentials, keys
from syllabus.certificates.models import (
    EXPIRED,
    STATUS_LABELS,
    Certificate,
    SigningKey,
    last_valid_day,
    organization_zone,
)
from syllabus.core import clock

TOKEN_LIMIT = 64 * 1024
UPLOAD_LIMIT = 5 * 1024 * 1024
# A verification request carries one badge file or one pasted credential, plus a form's overhead: a body declared
# larger is refused before a byte of it is read (`body_too_large`), not parsed to disk and measured afterwards.
REQUEST_LIMIT = UPLOAD_LIMIT + TOKEN_LIMIT + 64 * 1024
# IPv6 clients are counted by their /64: one subscriber commonly holds a whole /64 and could rotate through it.
IPV6_RATE_PREFIX = 64
ALGORITHM = "RS256"
HEADER_MEMBERS = frozenset({"alg", "kid", "jwk", "typ"})
BADGE_TYPES = frozenset({"OpenBadgeCredential", "AchievementCredential"})
UNKNOWN = "unknown"
COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")

# What went wrong, in plain words (tests assert these).
EMPTY = "Nothing to verify: paste a credential, or choose a badge image."
CREDENTIAL_TOO_LONG = "The credential is longer than {limit} kB: it cannot be one of ours."
UPLOAD_TOO_LARGE = "The file is larger than {limit} MB."
NOT_A_FILE_WE_READ = "This file is not a badge image (PNG or SVG) or a credential."
NO_BAKED_CREDENTIAL = "This image carries no Open Badge credential."
NOT_A_JWS = "This is not a signed credential: a VC-JWT is three parts separated by dots."
UNREADABLE_HEADER = "The credential's header cannot be read."
HEADER_NOT_ALLOWED = "The credential's header has members Open Badges does not allow: {names}."
ALGORITHM_REFUSED = "The credential is signed with {alg}; only RS256 signatures are accepted."
TYPE_REFUSED = 'The credential\'s header gives its type as {typ}, not "JWT".'
NO_KEY_ID = "The credential does not name the key that signed it (no kid)."
UNKNOWN_KEY = "The key that signed this credential is not one of ours."
PRIVATE_KEY_IN_HEADER = "The credential's header carries a private key: it is refused."
KEY_MISMATCH = "The public key in the credential's header is not the key its kid names."
BAD_SIGNATURE = "The signature does not match: the credential was changed after it was signed, or we did not sign it."
PAYLOAD_NOT_AN_OBJECT = "The credential's content is not a JSON object."
NOT_A_BADGE = "This is not an Open Badge: its type does not include OpenBadgeCredential."
MISSING_CLAIM = "The credential has no {claim} claim."
ISSUER_MISMATCH = "Its iss claim does not match the issuer's id (issuer.id)."
SUBJECT_MISMATCH = "Its sub claim does not match the recipient's id (credentialSubject.id)."
VALID_FROM_MISMATCH = "Its nbf claim does not match the date it is valid from (validFrom)."
NOT_YET_VALID = "The credential is not valid before {day}."
ID_MISMATCH = "Its jti claim does not match the credential's id."
VALID_UNTIL_MISMATCH = "Its exp claim does not match the date it is valid until (validUntil)."
EXPIRED_ON = "The credential has expired: it was valid until {day}."
UNKNOWN_CERTIFICATE = "No certificate of ours has this id."
NOT_ISSUED_BY_US = "This is not the credential we issued with this id: it was changed, or made by someone else."
SUPERSEDED = "This certificate was superseded by a newer one."
REVOKED_ON = "This certificate was revoked on {day}."
NOT_JSON = "The pasted text is neither a VC-JWT nor valid JSON."
JSON_NOT_AN_OBJECT = "The JSON is not a credential (an object with an id)."
JSON_HAS_NO_SIGNATURE = (
    "A credential in JSON carries no signature we can check: verify the signed credential (the .jwt download) or "
    "the badge image instead. Its id was looked up."
)
JSON_DIFFERS = "The JSON differs from the credential we issued with this id."
JSON_MATCHES = "The JSON is the credential we issued with this id (unsigned, so this is a comparison only)."


@dataclass
class Result:
    """What a verification found. `ok`: genuine (signed by our key, exactly as we issued it, its claims as Open
    Badges requires) and valid today. `authentic`: genuine, whatever its status."""

    ok: bool = False
    authentic: bool = False
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    certificate: Certificate | None = None
    status: str = UNKNOWN
    key: SigningKey | None = None
    claims: dict[str, Any] | None = None
    source: str = "jwt"  # jwt, json, png or svg: what was given

    def fail(self, reason: str) -> Result:
        if reason not in self.reasons:
            self.reasons.append(reason)
        return self

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS.get(self.status, "Unknown"))


# --- VC-JWT ------------------------------------------------------------------------------------------------------


def _segment_json(segment: str) -> Any:
    raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    return json.loads(raw)


def _number(value: Any) -> float | None:
    """A NumericDate: a JSON number (booleans are numbers to Python, not to JSON)."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _moment(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _day(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).date().isoformat()


def _header_problem(token: str, result: Result) -> dict[str, Any] | None:
    """The header, or None with the reason recorded."""
    try:
        header = _segment_json(token.split(".")[0])
    except (ValueError, binascii.Error, RecursionError):  # RecursionError: "[[[[…" nested deeper than Python goes
        result.fail(UNREADABLE_HEADER)
        return None
    if not isinstance(header, dict):
        result.fail(UNREADABLE_HEADER)
        return None
    extra = sorted(str(name) for name in set(header) - HEADER_MEMBERS)
    if extra:
        result.fail(HEADER_NOT_ALLOWED.format(names=", ".join(extra)[:200]))
        return None
    if header.get("alg") != ALGORITHM:
        result.fail(ALGORITHM_REFUSED.format(alg=json.dumps(header.get("alg"))[:40]))
        return None
    if "typ" in header and header["typ"] != "JWT":
        result.fail(TYPE_REFUSED.format(typ=json.dumps(header["typ"])[:40]))
        return None
    return header


def _signing_key(header: dict[str, Any], result: Result) -> SigningKey | None:
    """Our key the header's kid names (and its jwk, if any, must be that very key)."""
    kid_url = header.get("kid")
    if not isinstance(kid_url, str) or not kid_url:
        result.fail(NO_KEY_ID)
        return None
    kid = keys.kid_of(kid_url)
    key = keys.find(kid) if kid is not None else None
    if key is None:
        result.fail(UNKNOWN_KEY)
        return None
    if "jwk" in header:
        jwk = header["jwk"]
        if not isinstance(jwk, dict) or keys.PRIVATE_JWK_MEMBERS & set(jwk):
            result.fail(PRIVATE_KEY_IN_HEADER)
            return None
        if not keys.same_public_key(jwk, key):
            result.fail(KEY_MISMATCH)
            return None
    return key


def _check_claims(claims: dict[str, Any], result: Result, now: dt.datetime) -> dt.datetime | None:
    """The MUSTs of OB 3.0 8.2.6.1, each its own reason. An `exp` that passed is returned, not recorded: its reason
    names the last valid day in the issuing organisation's time zone, known once the certificate is found."""
    kinds = claims.get("type")
    if not isinstance(kinds, list) or not BADGE_TYPES & {kind for kind in kinds if isinstance(kind, str)}:
        result.fail(NOT_A_BADGE)
    issuer = claims.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if "iss" not in claims:
        result.fail(MISSING_CLAIM.format(claim="iss"))
    elif not isinstance(claims["iss"], str) or claims["iss"] != issuer_id:
        result.fail(ISSUER_MISMATCH)
    subject = claims.get("credentialSubject")
    subject_id = subject.get("id") if isinstance(subject, dict) else None
    if "sub" not in claims:
        result.fail(MISSING_CLAIM.format(claim="sub"))
    elif not isinstance(claims["sub"], str) or claims["sub"] != subject_id:
        result.fail(SUBJECT_MISMATCH)
    not_before = _number(claims.get("nbf"))
    valid_from = _moment(claims.get("validFrom"))
    if "nbf" not in claims:
        result.fail(MISSING_CLAIM.format(claim="nbf"))
    elif not_before is None or valid_from is None or valid_from.timestamp() != not_before:
        result.fail(VALID_FROM_MISMATCH)
    elif not_before > now.timestamp():
        result.fail(NOT_YET_VALID.format(day=_day(not_before)))
    if "jti" not in claims:
        result.fail(MISSING_CLAIM.format(claim="jti"))
    elif not isinstance(claims["jti"], str) or claims["jti"] != claims.get("id"):
        result.fail(ID_MISMATCH)
    expires = _number(claims.get("exp"))
    valid_until = _moment(claims.get("validUntil"))
    if "exp" in claims and (expires is None or (valid_until is not None and valid_until.timestamp() != expires)):
        result.fail(VALID_UNTIL_MISMATCH)
        return None
    until = expires if expires is not None else (valid_until.timestamp() if valid_until else None)
    if until is not None and until <= now.timestamp():
        return dt.datetime.fromtimestamp(until, dt.UTC)
    return None


def expired_reason(expires_at: dt.datetime, zone: zoneinfo.ZoneInfo) -> str:
    """EXPIRED_ON with the last valid day as the PDF and the pages print it (`last_valid_day`)."""
    with translation.override("en"):  # the reasons are English sentences
        return EXPIRED_ON.format(day=date_format(last_valid_day(expires_at, zone), "j F Y"))


def _certificate(public_id: uuid.UUID | None) -> Certificate | None:
    if public_id is None:
        return None
    return (
        Certificate.objects.filter(public_id=public_id)
        .select_related("organization", "award", "superseded_by", "signing_key")
        .first()
    )


def _apply_status(certificate: Certificate, result: Result, now: dt.datetime) -> None:
    result.certificate = certificate
    result.status = certificate.status_on(now)
    if result.status == Certificate.State.SUPERSEDED:
        result.fail(SUPERSEDED)
    elif result.status == Certificate.State.REVOKED:
        changed = certificate.state_changed_at or now
        result.fail(REVOKED_ON.format(day=changed.astimezone(dt.UTC).date().isoformat()))
    elif result.status == EXPIRED and certificate.expires_at is not None:
        result.fail(expired_reason(certificate.expires_at, organization_zone(certificate.organization)))


def verify_token(token: str, *, source: str = "jwt") -> Result:
    """Verify a VC-JWT (compact JWS) as OB 3.0 8.2.6 requires, then against what we issued."""
    result = Result(source=source)
    token = token.strip() if isinstance(token, str) else ""
    if not token:
        return result.fail(EMPTY)
    if len(token) > TOKEN_LIMIT:
        return result.fail(CREDENTIAL_TOO_LONG.format(limit=TOKEN_LIMIT // 1024))
    if not COMPACT_JWS.fullmatch(token):
        return result.fail(NOT_A_JWS)
    header = _header_problem(token, result)
    if header is None:
        return result
    key = _signing_key(header, result)
    if key is None:
        return result
    try:
        # Only RS256, with our key: PyJWT refuses any other algorithm whatever the header says.
        decoded = jwt.PyJWS().decode_complete(token, key=keys.public_key(key), algorithms=[ALGORITHM])
    except jwt.InvalidSignatureError:
        return result.fail(BAD_SIGNATURE)
    except jwt.InvalidTokenError:
        return result.fail(NOT_A_JWS)
    result.key = key
    try:
        claims = json.loads(decoded["payload"])
    except (ValueError, RecursionError):
        return result.fail(PAYLOAD_NOT_AN_OBJECT)
    if not isinstance(claims, dict):
        return result.fail(PAYLOAD_NOT_AN_OBJECT)
    result.claims = claims
    now = clock.now()
    expired_at = _check_claims(claims, result, now)
    certificate = _certificate(credentials.public_id_of(claims.get("jti")))
    if expired_at is not None:
        # Ours: the day in the issuing organisation's zone (the same words as `_apply_status`, said once).
        zone = organization_zone(certificate.organization if certificate is not None else None)
        result.fail(expired_reason(expired_at, zone))
    if certificate is None:
        return result.fail(UNKNOWN_CERTIFICATE)
    issued = certificate.credential
    if (
        not issued
        or certificate.signing_key_id != key.pk
        or not hmac.compare_digest(issued.encode("utf-8"), token.encode("utf-8"))
    ):
        return result.fail(NOT_ISSUED_BY_US)
    result.authentic = True
    _apply_status(certificate, result, now)
    result.ok = not result.reasons and result.status == Certificate.State.VALID
    return result


# --- JSON, text and files --------------------------------------------------------------------------------------


def verify_json(text: str, *, source: str = "json") -> Result:
    """A credential pasted as JSON: no signature to check, so say so, and look up its id."""
    result = Result(source=source)
    if len(text) > TOKEN_LIMIT:
        return result.fail(CREDENTIAL_TOO_LONG.format(limit=TOKEN_LIMIT // 1024))
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: arrays or objects nested deeper than Python goes
        return result.fail(NOT_JSON)
    if not isinstance(document, dict) or not isinstance(document.get("id"), str):
        return result.fail(JSON_NOT_AN_OBJECT)
    result.claims = document
    result.fail(JSON_HAS_NO_SIGNATURE)
    certificate = _certificate(credentials.public_id_of(document["id"]))
    if certificate is None:
        return result.fail(UNKNOWN_CERTIFICATE)
    issued = credentials.document_of(certificate.credential) if certificate.credential else None
    payload = {k: v for k, v in document.items() if k not in credentials.JWT_CLAIMS}
    if issued is not None and payload == issued:
        result.notes.append(JSON_MATCHES)
    else:
        result.fail(JSON_DIFFERS)
    _apply_status(certificate, result, clock.now())
    return result


def verify_text(text: str) -> Result:
    """What was pasted: a VC-JWT, or a credential's JSON."""
    text = (text or "").strip().lstrip("\ufeff")
    if not text:
        return Result().fail(EMPTY)
    if text.startswith("{"):
        return verify_json(text)
    return verify_token(text)


def _embedded(credential: str, source: str) -> Result:
    credential = credential.strip()
    if credential.startswith("{"):
        return verify_json(credential, source=source)
    return verify_token(credential, source=source)


def verify_upload(upload: IO[bytes] | bytes) -> Result:
    """A file: a baked PNG or SVG badge (recognised by its content, never its name), or a .jwt / .json file."""
    if isinstance(upload, bytes | bytearray):
        data = bytes(upload[: UPLOAD_LIMIT + 1])
    else:
        size = getattr(upload, "size", None)
        if isinstance(size, int) and size > UPLOAD_LIMIT:
            return Result(source="file").fail(UPLOAD_TOO_LARGE.format(limit=UPLOAD_LIMIT // (1024 * 1024)))
        data = upload.read(UPLOAD_LIMIT + 1)
    if len(data) > UPLOAD_LIMIT:
        return Result(source="file").fail(UPLOAD_TOO_LARGE.format(limit=UPLOAD_LIMIT // (1024 * 1024)))
    if not data.strip():
        return Result(source="file").fail(EMPTY)
    if data.startswith(baking.PNG_SIGNATURE):
        try:
            found = baking.extract_png(data)
        except baking.BakingError as exc:
            return Result(source="png").fail(str(exc))
        return _embedded(found, "png") if found else Result(source="png").fail(NO_BAKED_CREDENTIAL)
    try:
        text = data.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError:
        return Result(source="file").fail(NOT_A_FILE_WE_READ)
    if text.lstrip().startswith("<"):
        try:
            found = baking.extract_svg(data)
        except baking.BakingError as exc:
            return Result(source="svg").fail(str(exc))
        return _embedded(found, "svg") if found else Result(source="svg").fail(NO_BAKED_CREDENTIAL)
    return verify_text(text)


# --- what a verifier is shown, and how often it may ask ------------------------------------------------------


def public_facts(certificate: Certificate, now: dt.datetime) -> dict[str, Any]:
    """The verification page's facts, minimal by design: who, what, by whom, when, and its status today. Never the
    email, the score or the reason of a revocation."""
    status = certificate.status_on(now)
    newer = certificate.superseded_by if status == Certificate.State.SUPERSEDED else None
    return {
        "id": credentials.verify_url(certificate),
        "status": status,
        "status_label": str(STATUS_LABELS[status]),
        "recipient": certificate.recipient_name,
        "achievement": achievement_name(certificate),
        "issuer": {
            "name": certificate.organization.name,
            "id": credentials.issuer_url(certificate.organization.slug),
        },
        "issued_at": certificate.issued_at,
        "expires_at": certificate.expires_at,
        # The day people read (pages only; documents keep the instant `expires_at`).
        "valid_until": certificate.valid_until(),
        "revoked_at": certificate.state_changed_at if status == Certificate.State.REVOKED else None,
        "superseded_by": credentials.verify_url(newer) if newer is not None else None,
        "has_badge": bool(certificate.credential),
    }


def achievement_name(certificate: Certificate) -> str:
    """What was achieved, as the credential says it (what was true when issued), else the certificate's title."""
    if certificate.credential:
        try:
            return str(credentials.document_of(certificate.credential)["credentialSubject"]["achievement"]["name"])
        except (ValueError, KeyError, TypeError, IndexError, binascii.Error):
            pass
    return certificate.title


def body_too_large(meta: Mapping[str, Any]) -> bool:
    """Whether a request declares a body larger than any verification needs (REQUEST_LIMIT). Asked before the body
    is read: Django (WSGI) reads no more than the declared Content-Length, so the declaration is the limit."""
    try:
        return int(meta.get("CONTENT_LENGTH") or 0) > REQUEST_LIMIT
    except (TypeError, ValueError):
        return False  # an unreadable length reads as no body at all


def rate_key(address: str | None) -> str:
    """Who a rate limit counts: an IPv4 address, or the /64 network of an IPv6 one (an IPv4-mapped IPv6 address
    is its IPv4 address)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/{IPV6_RATE_PREFIX}", strict=False))
    return str(ip)


def within_rate(*, ident: str, scope: str, limit: int, window: int = 60) -> bool:
    """Whether one more request from `ident` fits `limit` per `window` seconds (a fixed window counted in the
    cache, shared by every web process in production)."""
    counter = f"certificates-rate:{scope}:{ident}:{int(time.time()) // window}"
    if cache.add(counter, 1, window):
        return True
    try:
        return int(cache.incr(counter)) <= limit
    except ValueError:  # expired between add and incr
        cache.set(counter, 1, window)
        return True
