"""The API of Open Badges: public verification (JSON or multipart, rate-limited) and signing keys (managers)."""

# Fixtures imported from badge_fixtures are redefined as test parameters, as pytest intends.
# ruff: noqa: F811

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from syllabus.certificates import api_badges, badge_image, baking, credentials, verification
from syllabus.certificates.models import SigningKey
from syllabus.certificates.services import issuing
from syllabus.certificates.services import keys as key_services
from tests.api.conftest import V1, error_fields
from tests.certificates.badge_fixtures import fresh_rate_limits, issued, resign  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

VERIFY = f"{V1}/certificates/verify/"
KEYS = f"{V1}/certificates/keys/"
ROTATE = f"{V1}/certificates/keys/rotate/"


# --- verify ---------------------------------------------------------------------------------------------------


def test_anyone_verifies_a_credential_without_authentication(world, issued):
    response = APIClient().post(VERIFY, {"credential": issued.credential}, format="json")

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["ok"] is True and data["authentic"] is True
    assert data["status"] == "valid" and data["status_label"] == "Valid"
    assert data["reasons"] == []
    assert data["source"] == "jwt"
    assert data["key"] == credentials.key_url(issued.signing_key)
    assert data["certificate"]["id"] == credentials.verify_url(issued)
    assert data["certificate"]["recipient"] == world.learner.user.get_full_name()
    assert data["credential"]["jti"] == credentials.verify_url(issued)
    assert world.learner.user.email not in json.dumps(data["certificate"])


def test_a_baked_badge_is_verified_from_a_multipart_upload(issued):
    baked = baking.bake_png(badge_image.png(name="x", color=None), issued.credential)
    upload = SimpleUploadedFile("badge.png", baked, content_type="image/png")
    response = APIClient().post(VERIFY, {"file": upload}, format="multipart")
    assert response.status_code == 200
    assert response.json()["ok"] is True
    assert response.json()["source"] == "png"


def test_a_forged_credential_answers_200_with_the_reasons(issued):
    response = APIClient().post(VERIFY, {"credential": resign(issued, name="Surgeon")}, format="json")
    assert response.status_code == 200
    data = response.json()
    assert data["ok"] is False and data["authentic"] is False
    assert data["reasons"] == [verification.NOT_ISSUED_BY_US]
    assert data["status"] == "unknown" and data["certificate"] is None


def test_a_revoked_certificate_is_authentic_but_not_ok(issued, officer):
    issuing.certificate_revoke(certificate=issued, by=officer.user, reason="Mistake")
    data = APIClient().post(VERIFY, {"credential": issued.credential}, format="json").json()
    assert data["ok"] is False and data["authentic"] is True
    assert data["status"] == "revoked"
    assert data["certificate"]["revoked_at"] is not None
    assert "Mistake" not in json.dumps(data)


def test_a_credentials_json_is_looked_up_but_not_verified(issued):
    document = json.dumps(credentials.document_of(issued.credential))
    data = APIClient().post(VERIFY, {"credential": document}, format="json").json()
    assert data["ok"] is False
    assert data["reasons"] == [verification.JSON_HAS_NO_SIGNATURE]
    assert data["source"] == "json"
    assert data["certificate"]["status"] == "valid"


def test_nothing_or_both_is_a_field_error():
    client = APIClient()
    assert error_fields(client.post(VERIFY, {}, format="json")) == {"credential": api_badges.GIVE_ONE}
    both = client.post(
        VERIFY, {"credential": "a.b.c", "file": SimpleUploadedFile("a.jwt", b"a.b.c")}, format="multipart"
    )
    assert error_fields(both) == {"credential": api_badges.GIVE_ONLY_ONE}


def test_an_oversized_credential_is_refused_by_the_field_limit():
    response = APIClient().post(VERIFY, {"credential": "a" * (verification.TOKEN_LIMIT + 1)}, format="json")
    assert response.status_code == 400
    assert list(error_fields(response)) == ["credential"]


def test_an_oversized_file_is_refused_naming_the_field():
    big = SimpleUploadedFile("badge.png", b"\x89PNG" + b"\x00" * verification.UPLOAD_LIMIT)
    response = APIClient().post(VERIFY, {"file": big}, format="multipart")
    assert response.status_code == 400
    assert error_fields(response) == {"file": api_badges.FILE_TOO_LARGE.format(limit=5)}


def test_a_signed_in_browser_needs_no_csrf_token_for_this_public_endpoint(world, issued):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.learner.user)
    assert client.post(VERIFY, {"credential": issued.credential}, format="json").status_code == 200


def test_verification_is_rate_limited_per_address(settings, issued):
    settings.CERTIFICATES_VERIFY_API_RATE = 2
    client = APIClient()
    codes = [client.post(VERIFY, {"credential": issued.credential}, format="json").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    limited = client.post(VERIFY, {"credential": issued.credential}, format="json")
    assert limited.json()["error"]["status"] == 429
    assert APIClient(REMOTE_ADDR="198.51.100.7").post(VERIFY, {"credential": "x"}, format="json").status_code == 200


# --- keys -----------------------------------------------------------------------------------------------------


def test_officers_list_the_keys_with_their_use(world, officer, issued, as_member):
    key_services.key_rotate(organization=world.org, by=officer.user)
    response = as_member(officer).get(KEYS)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["state"] for row in rows] == ["active", "retired"]
    retired = rows[1]
    assert retired["kid"] == str(issued.signing_key.kid)
    assert retired["certificates_signed"] == 1
    assert retired["url"] == credentials.key_url(issued.signing_key)
    assert "d" not in retired["jwk"] and retired["jwk"]["kty"] == "RSA"


@pytest.mark.parametrize("persona", ["learner", "manager", "instructor"])
def test_other_members_may_not_list_or_rotate_keys(world, as_member, persona):
    client = as_member(getattr(world, persona))
    assert client.get(KEYS).status_code == 403
    assert client.post(ROTATE).status_code == 403
    assert not SigningKey.objects.exists()


def test_another_organisation_sees_and_rotates_only_its_own_keys(world, issued, as_member):
    client = as_member(world.outsider)
    assert client.get(KEYS).json()["results"] == []
    assert client.post(ROTATE).status_code == 201
    assert SigningKey.objects.get(pk=issued.signing_key_id).state == "active"  # Acme's key untouched


def test_officers_rotate_the_key(world, officer, issued, as_member):
    response = as_member(officer).post(ROTATE)
    assert response.status_code == 201
    assert response.json()["state"] == "active"
    assert response.json()["certificates_signed"] == 0
    issued.signing_key.refresh_from_db()
    assert issued.signing_key.state == "retired"


def test_signed_out_callers_get_401_on_keys():
    assert APIClient().get(KEYS).status_code == 401


@pytest.mark.parametrize("count", [2, 20])
def test_the_key_list_costs_the_same_queries_whatever_the_number_of_keys(
    world, officer, as_member, django_assert_max_num_queries, count
):
    SigningKey.objects.bulk_create(
        SigningKey(organization=world.org, public_jwk={"kty": "RSA"}, private_key="sealed", state="retired")
        for _ in range(count)
    )
    client = as_member(officer)
    with django_assert_max_num_queries(12):
        response = client.get(KEYS)
    assert response.json()["count"] == count
