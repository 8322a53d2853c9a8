"""The public pages and documents: the verification page (HTML and JSON) for each status, minimal data, unknown
ids, headers and rate limit; the verification form; what Open Badges verifiers dereference."""

# Fixtures imported from badge_fixtures are redefined as test parameters, as pytest intends.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from syllabus.certificates import badge_image, baking, credentials, keys, verification, views_public
from syllabus.certificates.models import Certificate
from syllabus.certificates.services import issuing
from syllabus.certificates.services import keys as key_services
from tests.certificates.badge_fixtures import fresh_rate_limits, issued, resign  # noqa: F401 (fixtures)
from tests.certificates.conftest import NOW, finish

pytestmark = pytest.mark.django_db


def page(client, certificate_or_id, **extra):
    public_id = getattr(certificate_or_id, "public_id", certificate_or_id)
    return client.get(reverse("certificates:verify", args=[public_id]), **extra)


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- the verification page --------------------------------------------------------------------------------------


def test_anyone_sees_a_valid_certificate_without_signing_in(client, world, issued):
    response = page(client, issued)
    html = text_of(response)

    assert response.status_code == 200
    assert html.count("<h1") == 1 and "Certificate verification</h1>" in html
    assert "<strong>Valid</strong>" in html
    assert world.learner.user.get_full_name() in html
    assert "Anti-bribery" in html
    assert "Acme Health" in html
    assert "2 March 2026" in html and "2 March 2027" in html


def test_the_page_shows_no_email_and_no_score(client, world, issued):
    html = text_of(page(client, issued))
    json_body = page(client, issued, HTTP_ACCEPT="application/json").content.decode()
    for body in (html, json_body):
        assert world.learner.user.email not in body
        assert "88" not in body.replace(str(issued.public_id), "")


def test_the_page_is_not_indexed_leaks_no_referrer_and_is_not_cached(client, issued):
    response = page(client, issued)
    assert response["X-Robots-Tag"] == "noindex"
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-cache" in response["Cache-Control"]
    assert "Accept" in response["Vary"]


def test_an_expired_certificate_says_expired(client, issued, moved_clock):
    moved_clock.move(days=366)
    html = text_of(page(client, issued))
    assert "<strong>Expired</strong>" in html
    assert "has expired: it was valid until 2 March 2027" in html


def test_a_superseded_certificate_links_to_the_newer_one(client, world, award, issued, moved_clock):
    later = NOW + dt.timedelta(days=100)
    moved_clock.to(later.date())
    newer = issuing.issue_for_course_completion(finish(world.learner, award.course, later).pk)
    html = text_of(page(client, issued))
    assert "<strong>Superseded</strong>" in html
    assert f'href="{credentials.verify_url(newer)}"' in html


def test_a_revoked_certificate_says_when_but_not_why(client, officer, issued, moved_clock):
    moved_clock.move(days=5)
    issuing.certificate_revoke(certificate=issued, by=officer.user, reason="Cheated on the final quiz")
    html = text_of(page(client, issued))
    assert "<strong>Revoked</strong>" in html
    assert "revoked on 7 March 2026" in html
    assert "Cheated" not in html
    assert "Cheated" not in page(client, issued, HTTP_ACCEPT="application/json").content.decode()


def test_the_same_facts_as_json_by_format_or_accept(client, world, issued):
    by_format = client.get(reverse("certificates:verify", args=[issued.public_id]), {"format": "json"})
    by_accept = page(client, issued, HTTP_ACCEPT="application/json")
    assert by_format.json() == by_accept.json()
    data = by_accept.json()
    assert set(data) == {
        "id",
        "status",
        "status_label",
        "recipient",
        "achievement",
        "issuer",
        "issued_at",
        "expires_at",
        "revoked_at",
        "superseded_by",
        "has_badge",
    }
    assert data["id"] == credentials.verify_url(issued)
    assert data["status"] == "valid"
    assert data["issuer"] == {"name": "Acme Health", "id": credentials.issuer_url("acme")}
    assert data["issued_at"] == "2026-03-02T09:30:00Z"
    assert data["expires_at"] == "2027-03-02T09:30:00Z"
    assert by_accept["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("public_id", ["6f1d2c3a-0000-4000-8000-000000000000", "not-a-uuid", "1"])
def test_unknown_or_malformed_ids_say_no_certificate_has_this_id(client, issued, public_id):
    response = page(client, public_id)
    assert response.status_code == 404
    assert views_public.NO_SUCH_CERTIFICATE in response.content.decode()
    assert response["X-Robots-Tag"] == "noindex"
    as_json = page(client, public_id, HTTP_ACCEPT="application/json")
    assert as_json.status_code == 404
    assert as_json.json()["error"]["message"] == views_public.NO_SUCH_CERTIFICATE


def test_ids_are_global_another_organisations_member_sees_the_same_public_page(client, world, issued):
    anonymous = page(Client(), issued, HTTP_ACCEPT="application/json").json()
    client.force_login(world.outsider.user)
    assert page(client, issued, HTTP_ACCEPT="application/json").json() == anonymous


def test_a_hostile_recipient_name_is_escaped(client, issued):
    Certificate.objects.filter(pk=issued.pk).update(recipient_name='<script>alert("x")</script>')
    html = page(client, issued).content.decode()
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;" in html


def test_the_page_is_rate_limited_per_address(client, settings, issued):
    settings.CERTIFICATES_VERIFY_PAGE_RATE = 3
    statuses = [page(client, issued).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = page(client, issued)
    assert limited["Retry-After"] == "60"
    assert views_public.TOO_MANY in limited.content.decode()
    other_address = page(client, issued, REMOTE_ADDR="203.0.113.9")
    assert other_address.status_code == 200


# --- the verification form ------------------------------------------------------------------------------------


def verify_form(client, **data):
    return client.post(reverse("certificates:verify-upload"), data)


def test_the_form_page_has_labelled_fields_and_one_heading(client):
    response = client.get(reverse("certificates:verify-upload"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<h1") == 1
    assert '<label for="id_credential">' in html and '<label for="id_file">' in html
    assert 'enctype="multipart/form-data"' in html


def test_a_pasted_credential_is_verified_in_plain_words(client, world, issued):
    html = text_of(verify_form(client, credential=issued.credential))
    assert "<strong>Verified</strong>" in html
    assert world.learner.user.get_full_name() in html
    assert world.learner.user.email not in html


def test_an_uploaded_baked_badge_is_verified(client, issued):
    baked = baking.bake_png(badge_image.png(name="x", color=None), issued.credential)
    html = text_of(verify_form(client, file=SimpleUploadedFile("badge.png", baked, content_type="image/png")))
    assert "<strong>Verified</strong>" in html


def test_a_forged_credential_is_not_verified_and_says_why(client, issued):
    html = text_of(verify_form(client, credential=resign(issued, name="Surgeon")))
    assert "<strong>Not verified</strong>" in html
    assert verification.NOT_ISSUED_BY_US in html


def test_a_revoked_credential_is_genuine_but_not_valid(client, officer, issued):
    issuing.certificate_revoke(certificate=issued, by=officer.user, reason="Mistake")
    html = text_of(verify_form(client, credential=issued.credential))
    assert "Genuine, but not valid today" in html
    assert "Mistake" not in html


def test_an_empty_form_shows_an_error_summary(client):
    response = verify_form(client)
    html = response.content.decode()
    assert response.status_code == 200
    assert "data-error-summary" in html
    assert views_public.GIVE_ONE in html
    assert 'href="#id_credential"' in html


def test_pasting_and_uploading_at_once_is_refused(client, issued):
    upload = SimpleUploadedFile("badge.jwt", issued.credential.encode())
    response = verify_form(client, credential=issued.credential, file=upload)
    assert response.status_code == 200
    assert views_public.GIVE_ONLY_ONE in response.content.decode()


def test_the_form_needs_its_csrf_token(issued):
    client = Client(enforce_csrf_checks=True)
    assert verify_form(client, credential=issued.credential).status_code == 403


def test_the_form_is_rate_limited(client, settings, issued):
    settings.CERTIFICATES_VERIFY_UPLOAD_RATE = 1
    assert verify_form(client, credential=issued.credential).status_code == 200
    assert verify_form(client, credential=issued.credential).status_code == 429


# --- documents verifiers dereference ----------------------------------------------------------------------------


def public_document(client, name, *args):
    response = client.get(reverse(f"certificates:{name}", args=args))
    assert response["Access-Control-Allow-Origin"] == "*"
    return response


def test_the_issuer_profile(client, world, issued):
    response = public_document(client, "issuer", "acme")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "max-age=300" in response["Cache-Control"] and "public" in response["Cache-Control"]
    profile = response.json()
    assert profile["id"] == credentials.issuer_url("acme")
    assert profile["type"] == ["Profile"]
    assert profile["name"] == "Acme Health"


def test_organisations_that_issued_no_badge_have_no_issuer_profile(client, world, issued):
    assert public_document(client, "issuer", "globex").status_code == 404
    assert public_document(client, "issuer", "nobody").status_code == 404
    assert public_document(client, "jwks", "globex").status_code == 404


def test_the_jwks_publishes_active_and_retired_public_keys(client, world, officer, issued):
    old = issued.signing_key
    new = key_services.key_rotate(organization=world.org, by=officer.user)
    response = public_document(client, "jwks", "acme")
    published = response.json()["keys"]
    assert [key["kid"] for key in published] == [str(new.kid), str(old.kid)]
    for key in published:
        assert set(key) <= set(keys.PUBLIC_JWK_MEMBERS)
        assert key["alg"] == "RS256" and key["use"] == "sig"


def test_a_key_url_dereferences_to_its_public_jwk(client, issued):
    response = public_document(client, "key", issued.signing_key.kid)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    jwk = response.json()
    assert "d" not in jwk
    assert keys.same_public_key(jwk, issued.signing_key)
    assert public_document(client, "key", "6f1d2c3a-0000-4000-8000-000000000000").status_code == 404


def test_the_achievement_document(client, award, issued):
    response = public_document(client, "achievement", award.public_id)
    document = response.json()
    assert document["id"] == credentials.achievement_url(award)
    assert document["type"] == ["Achievement"]
    assert document["name"] == "Anti-bribery"
    assert document["image"]["id"].endswith(reverse("certificates:badge-image", args=[award.public_id]))


def test_awards_that_issued_no_badge_are_not_published(client, world, award):
    assert public_document(client, "achievement", award.public_id).status_code == 404
    assert public_document(client, "badge-image", award.public_id).status_code == 404
    assert public_document(client, "achievement", "00000000-0000-4000-8000-000000000000").status_code == 404


def test_the_badge_image_is_the_unbaked_svg(client, award, issued):
    response = public_document(client, "badge-image", award.public_id)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    svg = response.content.decode()
    assert svg == badge_image.award_svg(award)
    assert baking.extract_svg(svg) is None
    assert "max-age=3600" in response["Cache-Control"]
