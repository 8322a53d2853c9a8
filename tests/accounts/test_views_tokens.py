"""API token pages: everyone manages their own tokens; token.manage sees and revokes everyone's."""

from __future__ import annotations

import pytest
from django.urls import reverse

from syllabus.accounts import services
from syllabus.accounts.forms import EXPIRY_IN_PAST
from syllabus.accounts.middleware import SESSION_KEY
from syllabus.accounts.models import ApiToken
from syllabus.core import clock

pytestmark = pytest.mark.django_db

TOKENS = reverse("accounts:tokens")


def sign_in(client, user, organization=None):
    client.force_login(user)
    if organization is not None:
        session = client.session
        session[SESSION_KEY] = organization.pk
        session.save()


def revoke_url(token: ApiToken) -> str:
    return reverse("accounts:token-revoke", args=[token.pk])


def test_learner_creates_a_token_and_sees_the_key_once(client, world):
    sign_in(client, world.learner.user)
    response = client.post(TOKENS, {"name": "My script"})
    assert response.status_code == 200
    key = response.context["new_key"]
    assert key.startswith("syl_")
    assert key in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert services.api_token_authenticate(key).membership == world.learner
    again = client.get(TOKENS)
    assert key not in again.content.decode()
    assert "My script" in again.content.decode()


def test_token_with_expiry_date_expires_after_that_day(client, world):
    sign_in(client, world.learner.user)
    tomorrow = clock.today() + __import__("datetime").timedelta(days=1)
    client.post(TOKENS, {"name": "Short", "expires_on": tomorrow.isoformat()})
    token = ApiToken.objects.get(name="Short")
    assert token.expires_at > clock.now()


def test_expiry_in_the_past_is_refused(client, world):
    sign_in(client, world.learner.user)
    response = client.post(TOKENS, {"name": "Old", "expires_on": "2000-01-01"})
    assert response.status_code == 200
    assert response.context["form"].errors["expires_on"] == [str(EXPIRY_IN_PAST)]
    assert not ApiToken.objects.filter(name="Old").exists()


def test_member_sees_only_their_own_tokens(client, world):
    services.api_token_create(membership=world.engineer, by=world.engineer.user, name="Eddie's token")
    services.api_token_create(membership=world.learner, by=world.learner.user, name="Lena's token")
    sign_in(client, world.learner.user)
    content = client.get(TOKENS).content.decode()
    assert "Lena&#x27;s token" in content
    assert "Eddie" not in content


def test_member_cannot_revoke_someone_elses_token(client, world):
    token, _key = services.api_token_create(membership=world.engineer, by=world.engineer.user, name="Eddie's")
    sign_in(client, world.learner.user)
    assert client.post(revoke_url(token)).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_member_revokes_their_own_token(client, world):
    token, key = services.api_token_create(membership=world.learner, by=world.learner.user, name="Mine")
    sign_in(client, world.learner.user)
    assert client.get(revoke_url(token)).status_code == 405
    response = client.post(revoke_url(token), follow=True)
    assert "Revoked" in response.content.decode()
    assert services.api_token_authenticate(key) is None


def test_org_admin_sees_and_revokes_every_token_of_the_organisation_only(client, world):
    token, _key = services.api_token_create(membership=world.engineer, by=world.engineer.user, name="Eddie's")
    foreign, _key = services.api_token_create(membership=world.outsider, by=world.outsider.user, name="Globex token")
    sign_in(client, world.org_admin.user)
    response = client.get(TOKENS)
    content = response.content.decode()
    assert response.context["show_owner"]
    assert "Eddie Engineer" in content and "Globex token" not in content
    client.post(revoke_url(token))
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.post(revoke_url(foreign)).status_code == 404
    foreign.refresh_from_db()
    assert foreign.revoked_at is None


def test_platform_admin_who_is_not_a_member_sees_tokens_but_cannot_create_one(client, world):
    sign_in(client, world.platform_admin, world.org)
    response = client.get(TOKENS)
    assert response.status_code == 200
    assert response.context["form"] is None
    assert client.post(TOKENS, {"name": "Nope"}).status_code == 403
