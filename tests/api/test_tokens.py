"""/tokens/: people manage their own tokens; `token.manage` reaches every token of the organisation."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from syllabus.accounts import services
from syllabus.accounts.models import ApiToken
from tests.api.conftest import V1, error_fields

pytestmark = pytest.mark.django_db


def signed_in(membership):
    # Tokens are created from a signed-in session: a token may not mint another token.
    client = APIClient()
    client.force_login(membership.user)
    return client


def test_a_token_cannot_create_another_token(world, as_member):
    response = as_member(world.learner).post(f"{V1}/tokens/", {"name": "successor"}, format="json")
    assert response.status_code == 403
    assert not ApiToken.objects.filter(name="successor").exists()


def test_created_token_shows_its_key_once_and_then_works(world, as_member):
    client = signed_in(world.learner)
    response = client.post(f"{V1}/tokens/", {"name": "laptop", "expires_at": "2999-01-01T00:00:00Z"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    key = body["key"]
    assert key.startswith(body["prefix"]) and body["is_active"] is True
    assert body["membership"]["id"] == world.learner.pk
    assert not ApiToken.objects.filter(key_digest=key).exists()  # only a digest is stored

    listed = client.get(f"{V1}/tokens/").json()["results"]
    assert all("key" not in row for row in listed)
    fresh = APIClient()
    fresh.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert fresh.get(f"{V1}/me/").json()["membership"]["id"] == world.learner.pk


def test_a_past_expiry_is_refused(world, as_member):
    response = as_member(world.learner).post(
        f"{V1}/tokens/", {"name": "old", "expires_at": "2000-01-01T00:00:00Z"}, format="json"
    )
    assert list(error_fields(response)) == ["expires_at"]


def test_people_list_only_their_own_tokens(world, as_member):
    services.api_token_create(membership=world.engineer, by=world.engineer.user, name="engineer's")
    names = {row["name"] for row in as_member(world.learner).get(f"{V1}/tokens/").json()["results"]}
    assert names == {"test"}


def test_token_managers_list_every_token_of_their_organisation_only(world, as_member):
    services.api_token_create(membership=world.engineer, by=world.engineer.user, name="engineer's")
    services.api_token_create(membership=world.outsider, by=world.outsider.user, name="outsider's")
    names = {row["name"] for row in as_member(world.org_admin).get(f"{V1}/tokens/").json()["results"]}
    assert "engineer's" in names and "outsider's" not in names


def test_learner_cannot_revoke_or_see_someone_elses_token(world, as_member):
    token, _ = services.api_token_create(membership=world.engineer, by=world.engineer.user, name="engineer's")
    client = as_member(world.learner)
    assert client.get(f"{V1}/tokens/{token.pk}/").status_code == 404
    assert client.delete(f"{V1}/tokens/{token.pk}/").status_code == 404
    assert client.post(f"{V1}/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_learner_cannot_create_a_token_for_someone_else(world, as_member):
    response = as_member(world.learner).post(
        f"{V1}/tokens/", {"name": "theirs", "membership": world.engineer.pk}, format="json"
    )
    assert response.status_code == 403
    assert not ApiToken.objects.filter(name="theirs").exists()


def test_org_admin_cannot_touch_another_organisations_tokens(world, as_member):
    token, _ = services.api_token_create(membership=world.outsider, by=world.outsider.user, name="outsider's")
    client = as_member(world.org_admin)
    assert client.delete(f"{V1}/tokens/{token.pk}/").status_code == 404
    create = client.post(f"{V1}/tokens/", {"name": "x", "membership": world.outsider.pk}, format="json")
    assert create.status_code == 400
    assert list(error_fields(create)) == ["membership"]


def test_revoking_by_delete_or_post_stops_the_token(world, as_member):
    client = signed_in(world.learner)
    first = client.post(f"{V1}/tokens/", {"name": "one"}, format="json").json()
    second = client.post(f"{V1}/tokens/", {"name": "two"}, format="json").json()
    assert client.delete(f"{V1}/tokens/{first['id']}/").status_code == 204
    revoked = client.post(f"{V1}/tokens/{second['id']}/revoke/").json()
    assert revoked["revoked_at"] and revoked["is_active"] is False
    for key in (first["key"], second["key"]):
        stale = APIClient()
        stale.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        assert stale.get(f"{V1}/me/").status_code == 401


def test_a_token_can_revoke_itself(world):
    token, key = services.api_token_create(membership=world.learner, by=world.learner.user, name="self")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.delete(f"{V1}/tokens/{token.pk}/").status_code == 204
    assert client.get(f"{V1}/me/").status_code == 401
