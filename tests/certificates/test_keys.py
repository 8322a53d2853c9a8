"""Signing keys: rotating (permission, audit, retired keys still published), and the keys page."""

# Fixtures imported from badge_fixtures are redefined as test parameters, as pytest intends.
# ruff: noqa: F811

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from syllabus.audit.models import AuditRecord
from syllabus.certificates import keys, verification, views_badges
from syllabus.certificates.models import SigningKey
from syllabus.certificates.services import keys as key_services
from tests.certificates.badge_fixtures import fresh_rate_limits, issued  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


# --- the service ------------------------------------------------------------------------------------------------


def test_rotating_retires_the_active_key_and_audits_it(world, officer, issued, moved_clock):
    old = issued.signing_key
    new = key_services.key_rotate(organization=world.org, by=officer.user)

    old.refresh_from_db()
    assert new.state == "active" and new.created_by_id == officer.user.pk
    assert old.state == "retired" and old.retired_at == moved_clock.now
    assert keys.active_key(world.org).pk == new.pk
    assert SigningKey.objects.filter(organization=world.org, state="active").count() == 1
    record = AuditRecord.objects.get(action="certificate.key_rotated")
    assert record.after == {"active_kid": str(new.kid)}
    assert record.before == {"active_kid": str(old.kid)}


def test_the_first_rotation_works_without_any_key_yet(world, officer):
    key = key_services.key_rotate(organization=world.org, by=officer.user)
    assert key.state == "active"


@pytest.mark.parametrize("persona", ["learner", "manager", "instructor", "outsider"])
def test_only_certificate_managers_rotate_keys(world, persona):
    with pytest.raises(PermissionDenied):
        key_services.key_rotate(organization=world.org, by=getattr(world, persona).user)
    assert not SigningKey.objects.filter(organization=world.org).exists()


def test_the_private_key_is_sealed_at_rest_and_never_published(world, officer):
    key = key_services.key_rotate(organization=world.org, by=officer.user)
    assert "PRIVATE KEY" not in key.private_key
    assert "d" not in key.public_jwk and "d" not in keys.public_jwk(key)
    assert b"PRIVATE KEY" in keys.unseal(key.private_key)


def test_a_credential_signed_before_two_rotations_still_verifies(world, officer, issued):
    key_services.key_rotate(organization=world.org, by=officer.user)
    key_services.key_rotate(organization=world.org, by=officer.user)
    assert verification.verify_token(issued.credential).ok


# --- the page ---------------------------------------------------------------------------------------------------


def test_officers_see_each_key_with_how_many_certificates_it_signed(client, world, officer, issued):
    key_services.key_rotate(organization=world.org, by=officer.user)
    client.force_login(officer.user)
    response = client.get(reverse("certificates:keys"))
    html = response.content.decode()

    assert response.status_code == 200
    assert html.count("<h1") == 1
    rows = {key.kid: key.signed for key in response.context["keys"]}
    assert rows == {issued.signing_key.kid: 1, keys.active_key(world.org).kid: 0}
    assert str(issued.signing_key.kid) in html
    assert "Retired" in html and "Active" in html
    assert reverse("certificates:jwks", args=["acme"]) in html


@pytest.mark.parametrize("persona", ["learner", "manager", "instructor"])
def test_other_people_may_not_open_the_keys_page(client, world, persona):
    client.force_login(getattr(world, persona).user)
    assert client.get(reverse("certificates:keys")).status_code == 403
    assert client.post(reverse("certificates:key-rotate"), {"confirm": "on"}).status_code == 403
    assert not SigningKey.objects.exists()


def test_another_organisations_admin_sees_only_their_own_keys(client, world, issued):
    client.force_login(world.outsider.user)
    response = client.get(reverse("certificates:keys"))
    assert response.status_code == 200
    assert str(issued.signing_key.kid) not in response.content.decode()


def test_rotating_from_the_page_needs_the_confirmation(client, world, officer, issued):
    client.force_login(officer.user)
    refused = client.post(reverse("certificates:key-rotate"), {})
    assert refused.status_code == 400
    assert views_badges.CONFIRM_ROTATION in refused.content.decode()
    assert "data-error-summary" in refused.content.decode()
    assert SigningKey.objects.filter(organization=world.org).count() == 1

    done = client.post(reverse("certificates:key-rotate"), {"confirm": "on"}, follow=True)
    assert done.redirect_chain[-1][0] == reverse("certificates:keys")
    assert SigningKey.objects.filter(organization=world.org).count() == 2
    assert "A new signing key is active" in done.content.decode()


def test_rotation_is_a_post(client, officer):
    client.force_login(officer.user)
    assert client.get(reverse("certificates:key-rotate")).status_code == 405


def fake_keys(world, count):
    """Rows enough for the page (no real RSA key needed to list them)."""
    SigningKey.objects.bulk_create(
        SigningKey(organization=world.org, public_jwk={}, private_key="sealed", state="retired") for _ in range(count)
    )


@pytest.mark.parametrize("count", [2, 20])
def test_the_keys_page_costs_the_same_queries_whatever_the_number_of_keys(
    client, world, officer, issued, django_assert_max_num_queries, count
):
    fake_keys(world, count)
    client.force_login(officer.user)
    client.get(reverse("certificates:keys"))  # warm the session and the principal's caches
    # Session, user, organisation, membership, roles, the keys with their counts, the navigation: one bound.
    with django_assert_max_num_queries(14):
        response = client.get(reverse("certificates:keys"))
    assert len(response.context["keys"]) == count + 1
