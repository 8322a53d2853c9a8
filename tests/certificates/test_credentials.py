"""The OpenBadgeCredential as issued: VC-JWT header and payload as OB 3.0 section 8.2 asks, and the helpers that
read ids back from our URLs (and only ours)."""

# Fixtures imported from badge_fixtures are redefined as test parameters, as pytest intends.
# ruff: noqa: F811

from __future__ import annotations

import uuid

import pytest

from syllabus.certificates import credentials, keys
from tests.certificates.badge_fixtures import fresh_rate_limits, issued, parts  # noqa: F401 (fixtures)
from tests.certificates.conftest import NOW

pytestmark = pytest.mark.django_db


def test_the_header_has_only_alg_kid_jwk_and_typ(issued):
    header, _payload, _sig = parts(issued.credential)
    assert set(header) == {"alg", "kid", "jwk", "typ"}
    assert header["alg"] == "RS256"
    assert header["typ"] == "JWT"
    assert header["kid"] == credentials.key_url(issued.signing_key)
    assert keys.kid_of(header["kid"]) == issued.signing_key.kid


def test_the_embedded_jwk_is_the_public_key_without_any_private_member(issued):
    header, _payload, _sig = parts(issued.credential)
    assert not keys.PRIVATE_JWK_MEMBERS & set(header["jwk"])
    assert keys.same_public_key(header["jwk"], issued.signing_key)


def test_the_payload_is_an_open_badge_credential_with_its_registered_claims(issued, world):
    _header, payload, _sig = parts(issued.credential)
    assert payload["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert payload["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert payload["id"] == payload["jti"] == credentials.verify_url(issued)
    assert payload["iss"] == payload["issuer"]["id"] == credentials.issuer_url(world.org.slug)
    assert payload["sub"] == payload["credentialSubject"]["id"]
    assert payload["nbf"] == int(NOW.timestamp())
    assert payload["validFrom"] == "2026-03-02T09:30:00Z"
    assert payload["exp"] == int(issued.expires_at.timestamp())
    assert payload["validUntil"] == "2027-03-02T09:30:00Z"
    assert payload["credentialSubject"]["achievement"]["id"] == credentials.achievement_url(issued.award)


def test_the_recipients_email_is_only_ever_hashed(issued, world):
    assert world.learner.user.email not in issued.credential
    _header, payload, _sig = parts(issued.credential)
    assert world.learner.user.email not in str(payload)
    email = next(i for i in payload["credentialSubject"]["identifier"] if i["identityType"] == "emailAddress")
    assert email["hashed"] is True and email["identityHash"].startswith("sha256$")


def test_the_json_document_is_the_credential_without_the_jwt_claims(issued):
    document = credentials.document_of(issued.credential)
    assert not set(credentials.JWT_CLAIMS) & set(document)
    assert document["id"] == credentials.verify_url(issued)
    assert document["credentialSubject"]["achievement"]["name"] == issued.title


def test_a_verification_url_gives_back_the_public_id_and_a_foreign_one_does_not(issued):
    assert credentials.public_id_of(credentials.verify_url(issued)) == issued.public_id
    path = f"/certificates/verify/{issued.public_id}/"
    assert credentials.public_id_of(f"https://evil.example{path}") is None
    assert credentials.public_id_of(credentials.absolute("/certificates/verify/not-a-uuid/")) is None
    assert credentials.public_id_of(credentials.absolute(f"/certificates/badges/keys/{uuid.uuid4()}/")) is None
    assert credentials.public_id_of(None) is None


def test_a_key_url_gives_back_the_kid_and_a_foreign_one_does_not(issued):
    kid = issued.signing_key.kid
    assert keys.kid_of(credentials.key_url(issued.signing_key)) == kid
    assert keys.kid_of(f"https://evil.example/certificates/badges/keys/{kid}/") is None
    assert keys.kid_of(credentials.verify_url(issued)) is None
    assert keys.kid_of(12) is None  # type: ignore[arg-type]


def test_urls_in_credentials_are_built_on_site_url_never_on_the_host(settings, issued):
    settings.SITE_URL = "https://learn.example.org/"
    assert credentials.verify_url(issued) == f"https://learn.example.org/certificates/verify/{issued.public_id}/"


def test_the_issuer_profile_names_the_organisation(world, issued):
    profile = credentials.issuer_profile(world.org)
    assert profile["id"] == credentials.issuer_url(world.org.slug)
    assert profile["type"] == ["Profile"]
    assert profile["name"] == world.org.name
    assert "image" not in profile  # no logo


def test_the_achievement_document_matches_what_credentials_carry(issued, award):
    document = credentials.achievement_document(award, issued)
    carried = parts(issued.credential)[1]["credentialSubject"]["achievement"]
    assert {k: v for k, v in document.items() if k not in {"@context", "creator"}} == carried
    assert document["creator"]["id"] == credentials.issuer_url(award.organization.slug)
