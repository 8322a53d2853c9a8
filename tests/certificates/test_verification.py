"""Verifying Open Badges (VC-JWT): every MUST of OB 3.0 8.2.6, forgeries, and the certificate's status."""

# Fixtures imported from badge_fixtures are redefined as test parameters, as pytest intends.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from syllabus.certificates import credentials, keys, verification
from syllabus.certificates.services import issuing
from syllabus.certificates.services import keys as key_services
from tests.certificates.badge_fixtures import (  # noqa: F401 (fixtures)
    b64,
    fresh_private_key,
    fresh_rate_limits,
    hs256_with_public_key,
    issued,
    parts,
    raw_token,
    resign,
    rsa_signer,
)
from tests.certificates.conftest import NOW, finish

pytestmark = pytest.mark.django_db


def only_reason(result, reason):
    assert not result.ok
    assert reason in result.reasons, result.reasons


# --- the happy path ----------------------------------------------------------------------------------------------


def test_a_credential_we_issued_verifies_as_valid(issued):
    result = verification.verify_token(issued.credential)

    assert result.ok, result.reasons
    assert result.authentic
    assert result.reasons == []
    assert result.status == "valid"
    assert result.certificate.pk == issued.pk
    assert result.key.pk == issued.signing_key_id
    assert result.claims["jti"] == credentials.verify_url(issued)


def test_surrounding_whitespace_of_a_pasted_token_is_ignored(issued):
    assert verification.verify_text(f"\n  {issued.credential}  \n").ok


# --- the JOSE header ---------------------------------------------------------------------------------------------


def test_an_unreadable_header_is_refused(issued):
    _header, payload, signature = issued.credential.split(".")
    only_reason(verification.verify_token(f"bm90IGpzb24.{payload}.{signature}"), verification.UNREADABLE_HEADER)


def test_header_members_other_than_alg_kid_jwk_typ_are_not_allowed(issued):
    header, _payload, _sig = parts(issued.credential)
    token = resign(issued, header={**header, "x5u": "https://evil.example/cert"})
    only_reason(verification.verify_token(token), verification.HEADER_NOT_ALLOWED.format(names="x5u"))


def test_alg_none_is_refused(issued):
    header, _payload, _sig = parts(issued.credential)
    token = resign(issued, header={**header, "alg": "none"}, sign=lambda message: b"")
    result = verification.verify_token(token)
    only_reason(result, verification.ALGORITHM_REFUSED.format(alg='"none"'))
    assert result.certificate is None


def test_hs256_signed_with_the_public_key_as_secret_is_refused(issued):
    header, _payload, _sig = parts(issued.credential)
    token = resign(issued, header={**header, "alg": "HS256"}, sign=hs256_with_public_key(issued.signing_key))
    only_reason(verification.verify_token(token), verification.ALGORITHM_REFUSED.format(alg='"HS256"'))


def test_other_rsa_algorithms_are_refused_too(issued):
    header, _payload, _sig = parts(issued.credential)
    token = resign(issued, header={**header, "alg": "PS256"})
    only_reason(verification.verify_token(token), verification.ALGORITHM_REFUSED.format(alg='"PS256"'))


def test_typ_if_present_must_be_jwt(issued):
    header, _payload, _sig = parts(issued.credential)
    only_reason(
        verification.verify_token(resign(issued, header={**header, "typ": "JOSE+JSON"})),
        verification.TYPE_REFUSED.format(typ='"JOSE+JSON"'),
    )
    without_typ = {k: v for k, v in header.items() if k != "typ"}
    # Without typ the header is acceptable: the signature verifies, but these are not the bytes we issued.
    assert verification.verify_token(resign(issued, header=without_typ)).reasons == [verification.NOT_ISSUED_BY_US]


def test_a_header_without_kid_is_refused_even_with_a_jwk(issued):
    header, _payload, _sig = parts(issued.credential)
    only_reason(
        verification.verify_token(resign(issued, header={"alg": "RS256", "jwk": header["jwk"]})), verification.NO_KEY_ID
    )


def test_kid_must_dereference_to_one_of_our_keys(issued):
    header, _payload, _sig = parts(issued.credential)
    elsewhere = {**header, "kid": f"https://evil.example/certificates/badges/keys/{issued.signing_key.kid}/"}
    only_reason(verification.verify_token(resign(issued, header=elsewhere)), verification.UNKNOWN_KEY)
    unknown = {**header, "kid": credentials.absolute(f"/certificates/badges/keys/{uuid.uuid4()}/")}
    only_reason(verification.verify_token(resign(issued, header=unknown)), verification.UNKNOWN_KEY)


def test_a_jwk_in_the_header_must_not_carry_a_private_key(issued):
    header, _payload, _sig = parts(issued.credential)
    leaked = {**header, "jwk": {**header["jwk"], "d": "c2VjcmV0"}}
    only_reason(verification.verify_token(resign(issued, header=leaked)), verification.PRIVATE_KEY_IN_HEADER)


def test_an_embedded_jwk_is_never_trusted_alone_it_must_be_the_kids_key(issued):
    """A credential re-signed with a fresh key, carrying our kid and embedding the fresh public key."""
    attacker = fresh_private_key()
    header, _payload, _sig = parts(issued.credential)
    from jwt.algorithms import RSAAlgorithm

    their_jwk = RSAAlgorithm.to_jwk(attacker.public_key(), as_dict=True)
    token = resign(issued, header={**header, "jwk": their_jwk}, sign=rsa_signer(attacker), name="Forged")
    only_reason(verification.verify_token(token), verification.KEY_MISMATCH)


# --- the signature (RFC 7515 5.2) --------------------------------------------------------------------------------


def test_a_credential_resigned_with_a_fresh_key_under_our_kid_fails_the_signature(issued):
    header, _payload, _sig = parts(issued.credential)
    without_jwk = {k: v for k, v in header.items() if k != "jwk"}
    token = resign(issued, header=without_jwk, sign=rsa_signer(fresh_private_key()))
    result = verification.verify_token(token)
    only_reason(result, verification.BAD_SIGNATURE)
    assert result.certificate is None and not result.authentic


def test_a_tampered_payload_fails_the_signature(issued):
    header_segment, _payload_segment, signature = issued.credential.split(".")
    _header, payload, _sig = parts(issued.credential)
    payload["credentialSubject"]["identifier"][0]["identityHash"] = "Mallory"
    tampered = f"{header_segment}.{b64(json.dumps(payload).encode())}.{signature}"
    only_reason(verification.verify_token(tampered), verification.BAD_SIGNATURE)


def test_a_tampered_signature_fails(issued):
    header_segment, payload_segment, signature = issued.credential.split(".")
    flipped = ("A" if signature[10] != "A" else "B").join((signature[:10], signature[11:]))
    only_reason(verification.verify_token(f"{header_segment}.{payload_segment}.{flipped}"), verification.BAD_SIGNATURE)


def test_a_jwt_we_never_issued_signed_by_another_key_is_refused(issued):
    attacker = fresh_private_key()
    payload = parts(issued.credential)[1] | {"jti": credentials.absolute(f"/certificates/verify/{uuid.uuid4()}/")}
    token = raw_token(
        {"alg": "RS256", "typ": "JWT", "kid": "https://evil.example/keys/1"}, payload, rsa_signer(attacker)
    )
    result = verification.verify_token(token)
    only_reason(result, verification.UNKNOWN_KEY)
    assert result.status == "unknown"


# --- the claims (OB 3.0 8.2.6.1), each MUST its own test ---------------------------------------------------------


def test_iss_is_required(issued):
    only_reason(verification.verify_token(resign(issued, iss=None)), verification.MISSING_CLAIM.format(claim="iss"))


def test_iss_must_match_issuer_id(issued):
    only_reason(verification.verify_token(resign(issued, iss="https://evil.example/")), verification.ISSUER_MISMATCH)


def test_sub_is_required(issued):
    only_reason(verification.verify_token(resign(issued, sub=None)), verification.MISSING_CLAIM.format(claim="sub"))


def test_sub_must_match_credential_subject_id(issued):
    only_reason(verification.verify_token(resign(issued, sub="urn:uuid:someone-else")), verification.SUBJECT_MISMATCH)


def test_nbf_is_required(issued):
    only_reason(verification.verify_token(resign(issued, nbf=None)), verification.MISSING_CLAIM.format(claim="nbf"))


def test_nbf_must_equal_valid_from(issued):
    claims = parts(issued.credential)[1]
    only_reason(verification.verify_token(resign(issued, nbf=claims["nbf"] - 60)), verification.VALID_FROM_MISMATCH)


def test_valid_from_must_not_be_in_the_future(issued):
    later = NOW + dt.timedelta(days=2)
    token = resign(issued, nbf=int(later.timestamp()), validFrom=later.strftime("%Y-%m-%dT%H:%M:%SZ"))
    only_reason(verification.verify_token(token), verification.NOT_YET_VALID.format(day=later.date().isoformat()))


def test_jti_is_required(issued):
    only_reason(verification.verify_token(resign(issued, jti=None)), verification.MISSING_CLAIM.format(claim="jti"))


def test_jti_must_match_id(issued):
    other = credentials.absolute(f"/certificates/verify/{uuid.uuid4()}/")
    only_reason(verification.verify_token(resign(issued, jti=other)), verification.ID_MISMATCH)


def test_exp_must_match_valid_until(issued):
    claims = parts(issued.credential)[1]
    only_reason(verification.verify_token(resign(issued, exp=claims["exp"] + 86400)), verification.VALID_UNTIL_MISMATCH)


def test_an_expired_credential_is_genuine_but_not_valid(issued, moved_clock):
    moved_clock.move(days=366)
    result = verification.verify_token(issued.credential)

    assert not result.ok
    assert result.authentic
    assert result.status == "expired"
    # Expired at 09:30 UTC on 2 March 2027: valid until that day, as the PDF says.
    assert result.reasons == [verification.EXPIRED_ON.format(day="2 March 2027")]


def test_the_type_must_be_an_open_badge(issued):
    only_reason(verification.verify_token(resign(issued, type=["VerifiableCredential"])), verification.NOT_A_BADGE)


# --- ours: exactly what we issued, and its status today ---------------------------------------------------------


def test_a_validly_signed_but_different_credential_is_not_ours(issued):
    """Signed with our very key (say, a leaked one) but not the bytes we issued and stored."""
    result = verification.verify_token(resign(issued, name="Brain surgery"))
    only_reason(result, verification.NOT_ISSUED_BY_US)
    assert not result.authentic
    assert result.certificate is None


def test_a_credential_for_an_id_we_never_issued_is_unknown(issued):
    other = credentials.absolute(f"/certificates/verify/{uuid.uuid4()}/")
    result = verification.verify_token(resign(issued, jti=other, id=other))
    only_reason(result, verification.UNKNOWN_CERTIFICATE)
    assert result.status == "unknown"


def test_a_revoked_certificates_credential_says_revoked(issued, officer, moved_clock):
    moved_clock.move(days=3)
    issuing.certificate_revoke(certificate=issued, by=officer.user, reason="Issued in error")
    result = verification.verify_token(issued.credential)

    assert not result.ok and result.authentic
    assert result.status == "revoked"
    assert result.reasons == [verification.REVOKED_ON.format(day="2026-03-05")]
    assert "Issued in error" not in " ".join(result.reasons)


def test_a_superseded_certificates_credential_says_superseded(issued, world, award, moved_clock):
    later = NOW + dt.timedelta(days=200)
    moved_clock.to(later.date())
    newer = issuing.issue_for_course_completion(finish(world.learner, award.course, later).pk)
    result = verification.verify_token(issued.credential)

    assert not result.ok and result.authentic
    assert result.status == "superseded"
    assert result.reasons == [verification.SUPERSEDED]
    assert verification.verify_token(newer.credential).ok


def test_a_retired_key_still_verifies_what_it_signed_after_rotation(issued, world, award, officer, moved_clock):
    old_key = issued.signing_key
    new_key = key_services.key_rotate(organization=world.org, by=officer.user)
    old_key.refresh_from_db()
    assert old_key.state == "retired"

    assert verification.verify_token(issued.credential).ok
    later = NOW + dt.timedelta(days=10)
    moved_clock.to(later.date())
    newer = issuing.issue_for_course_completion(finish(world.learner, award.course, later).pk)
    assert newer.signing_key_id == new_key.pk
    assert verification.verify_token(newer.credential).ok
    assert keys.find(old_key.kid).pk == old_key.pk


def test_another_organisations_key_cannot_vouch_for_our_certificate(issued, world):
    """Globex's real key signs a copy of our credential: the signature is valid, the issuer is not."""
    theirs = keys.active_key(world.other_org)
    header = {"alg": "RS256", "typ": "JWT", "kid": credentials.key_url(theirs)}
    token = raw_token(header, parts(issued.credential)[1], rsa_signer(keys.private_key(theirs)))
    only_reason(verification.verify_token(token), verification.NOT_ISSUED_BY_US)


# --- hostile sizes and shapes -----------------------------------------------------------------------------------


def test_an_oversized_token_is_refused_before_parsing(issued):
    huge = "a" * (verification.TOKEN_LIMIT + 1)
    only_reason(verification.verify_token(huge), verification.CREDENTIAL_TOO_LONG.format(limit=64))


@pytest.mark.parametrize("text", ["hello", "a.b", "a.b.c.d", "a b.c.d", "....", "€.€.€"])
def test_text_that_is_not_a_compact_jws_is_refused(text):
    result = verification.verify_text(text)
    assert not result.ok
    assert result.reasons[0] in {verification.NOT_A_JWS, verification.UNREADABLE_HEADER}


def test_nothing_pasted_says_so():
    assert verification.verify_text("   ").reasons == [verification.EMPTY]


def test_a_payload_that_is_not_an_object_is_refused(issued):
    header, _payload, _sig = parts(issued.credential)
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(b'[1, 2, 3]')}"
    signature = rsa_signer(keys.private_key(issued.signing_key))(signing_input.encode())
    only_reason(verification.verify_token(f"{signing_input}.{b64(signature)}"), verification.PAYLOAD_NOT_AN_OBJECT)


# --- a credential pasted as JSON --------------------------------------------------------------------------------


def test_credential_json_cannot_be_verified_by_signature_but_its_id_is_looked_up(issued):
    document = credentials.document_of(issued.credential)
    result = verification.verify_text(json.dumps(document))

    assert not result.ok and not result.authentic
    assert result.reasons == [verification.JSON_HAS_NO_SIGNATURE]
    assert result.notes == [verification.JSON_MATCHES]
    assert result.certificate.pk == issued.pk
    assert result.status == "valid"


def test_altered_credential_json_is_reported_as_different(issued):
    document = credentials.document_of(issued.credential) | {"name": "Something grander"}
    result = verification.verify_text(json.dumps(document))
    assert verification.JSON_DIFFERS in result.reasons


def test_credential_json_with_an_unknown_id_is_unknown():
    document = {"id": credentials.absolute(f"/certificates/verify/{uuid.uuid4()}/"), "type": ["OpenBadgeCredential"]}
    result = verification.verify_text(json.dumps(document))
    assert result.reasons == [verification.JSON_HAS_NO_SIGNATURE, verification.UNKNOWN_CERTIFICATE]
    assert result.status == "unknown"


@pytest.mark.parametrize(
    ("text", "reason"),
    [("{not json", verification.NOT_JSON), ('{"name": "no id"}', verification.JSON_NOT_AN_OBJECT)],
)
def test_broken_json_says_so(text, reason):
    assert verification.verify_text(text).reasons == [reason]
