"""Who the API thinks the caller is: tokens, sessions and the current organisation."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from syllabus.accounts import services
from syllabus.accounts.middleware import SESSION_KEY
from syllabus.core import clock
from syllabus.core.api import NO_ORGANIZATION
from tests.api.conftest import V1, token_for
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def client_with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_valid_token_authenticates_as_its_membership(world):
    response = client_with(token_for(world.learner)).get(f"{V1}/me/")
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["email"] == world.learner.user.email
    assert body["organization"]["id"] == world.org.pk
    assert body["membership"]["id"] == world.learner.pk
    assert body["capabilities"] == []


def test_request_without_credentials_is_401_in_the_error_format():
    response = APIClient().get(f"{V1}/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Token"


def test_unknown_token_is_401():
    response = client_with("syl_not-a-real-key").get(f"{V1}/me/")
    assert response.status_code == 401
    assert response.json()["error"]["status"] == 401


def test_revoked_token_is_401(world):
    key = token_for(world.org_admin)
    token = services.api_token_authenticate(key)
    services.api_token_revoke(token=token, by=world.org_admin.user)
    assert client_with(key).get(f"{V1}/me/").status_code == 401


def test_expired_token_is_401(world, monkeypatch):
    key = token_for(world.org_admin, expires_at=clock.now() + dt.timedelta(hours=1))
    client = client_with(key)
    assert client.get(f"{V1}/me/").status_code == 200
    later = clock.now() + dt.timedelta(hours=2)
    monkeypatch.setattr("syllabus.accounts.services.clock.now", lambda: later)
    assert client.get(f"{V1}/me/").status_code == 401


def test_token_of_deactivated_membership_is_401(world):
    key = token_for(world.learner)
    world.learner.is_active = False
    world.learner.save(update_fields=["is_active"])
    assert client_with(key).get(f"{V1}/me/").status_code == 401


def test_deactivating_a_person_through_the_api_kills_their_token(world, as_member):
    key = token_for(world.learner)
    response = as_member(world.org_admin).post(f"{V1}/people/{world.learner.pk}/deactivate/")
    assert response.status_code == 200
    assert client_with(key).get(f"{V1}/me/").status_code == 401


def test_token_fixes_the_organisation_whatever_the_session_says(world):
    # The same person belongs to both organisations and chose the other one in their browser session.
    person = world.learner.user
    MembershipFactory(organization=world.other_org, user=person)
    client = APIClient()
    client.force_login(person)
    session = client.session
    session[SESSION_KEY] = world.other_org.pk
    session.save()
    assert client.get(f"{V1}/me/").json()["organization"]["id"] == world.other_org.pk

    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(world.learner)}")
    assert client.get(f"{V1}/me/").json()["organization"]["id"] == world.org.pk
    assert [org["id"] for org in client.get(f"{V1}/organizations/").json()["results"]] == [world.org.pk]


def test_session_without_a_current_organisation_gets_a_clear_403(world):
    person = world.learner.user
    MembershipFactory(organization=world.other_org, user=person)  # two organisations, none chosen yet
    client = APIClient()
    client.force_login(person)
    assert client.get(f"{V1}/me/").json()["organization"] is None
    response = client.get(f"{V1}/job-roles/")
    assert response.status_code == 403
    assert response.json()["error"] == {
        "status": 403,
        "code": "no_organization",
        "message": NO_ORGANIZATION,
        "errors": [],
    }


def test_session_writes_need_the_csrf_token(world):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.org_admin.user)
    assert client.get(f"{V1}/job-roles/").status_code == 200

    refused = client.post(f"{V1}/job-roles/", {"name": "Nurse"}, format="json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["error"]["message"]

    secret = "a" * 32
    client.cookies["csrftoken"] = secret
    accepted = client.post(f"{V1}/job-roles/", {"name": "Nurse"}, format="json", HTTP_X_CSRFTOKEN=secret)
    assert accepted.status_code == 201


def test_token_writes_need_no_csrf_token(world):
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(world.org_admin)}")
    assert client.post(f"{V1}/job-roles/", {"name": "Nurse"}, format="json").status_code == 201
