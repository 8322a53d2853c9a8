"""The caller (/me/), organisations, and the current organisation's settings."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from rest_framework.test import APIClient

from syllabus.accounts.middleware import SESSION_KEY
from syllabus.accounts.models import Membership, Organization
from tests.api.conftest import V1, error_fields

pytestmark = pytest.mark.django_db


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 20), "#1d4ed8").save(out, format="PNG")
    return out.getvalue()


def platform_admin_client(world, organization: Organization | None = None) -> APIClient:
    client = APIClient()
    client.force_login(world.platform_admin)
    if organization is not None:
        session = client.session
        session[SESSION_KEY] = organization.pk
        session.save()
    return client


def test_me_lists_the_capabilities_of_an_org_admin(world, as_member):
    body = as_member(world.org_admin).get(f"{V1}/me/").json()
    assert "people.manage" in body["capabilities"]
    assert body["membership"]["org_unit"] == {"id": world.hq.pk, "name": "Acme HQ"}
    assert body["user"]["is_platform_admin"] is False


def test_me_gives_a_manager_their_team_capabilities(world, as_member):
    capabilities = as_member(world.manager).get(f"{V1}/me/").json()["capabilities"]
    assert "people.view" in capabilities
    assert "people.manage" not in capabilities


def test_member_lists_only_their_own_organisations(world, as_member):
    body = as_member(world.learner).get(f"{V1}/organizations/").json()
    assert [org["slug"] for org in body["results"]] == ["acme"]


def test_platform_admin_lists_every_organisation(world):
    body = platform_admin_client(world).get(f"{V1}/organizations/").json()
    assert {org["slug"] for org in body["results"]} >= {"acme", "globex"}


def test_another_organisation_is_not_found(world, as_member):
    assert as_member(world.learner).get(f"{V1}/organizations/{world.other_org.pk}/").status_code == 404
    assert as_member(world.learner).get(f"{V1}/organizations/{world.org.pk}/").json()["name"] == "Acme Health"


def test_platform_admin_creates_an_organisation_with_its_first_admin(world):
    response = platform_admin_client(world).post(
        f"{V1}/organizations/",
        {"name": "Initech", "slug": "initech", "admin": world.learner.user.email.upper(), "primary_color": "#112233"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    organization = Organization.objects.get(slug="initech")
    assert response.json()["primary_color"] == "#112233"
    assert Membership.objects.filter(organization=organization, user=world.learner.user).exists()


def test_org_admin_cannot_create_organisations_nor_probe_emails(world, as_member):
    response = as_member(world.org_admin).post(
        f"{V1}/organizations/", {"name": "X", "slug": "x", "admin": "nobody@example.test"}, format="json"
    )
    assert response.status_code == 403
    assert not Organization.objects.filter(slug="x").exists()


def test_organisation_create_reports_an_unknown_admin_and_a_taken_slug(world):
    response = platform_admin_client(world).post(
        f"{V1}/organizations/", {"name": "X", "slug": "acme", "admin": "nobody@example.test"}, format="json"
    )
    assert response.status_code == 400
    assert "admin" in error_fields(response)


def test_platform_admin_acts_in_the_organisation_chosen_in_the_session(world):
    client = platform_admin_client(world, world.other_org)
    body = client.get(f"{V1}/organization/").json()
    assert body["slug"] == "globex"
    assert client.get(f"{V1}/people/").json()["count"] == 1


def test_every_member_reads_the_current_organisation(world, as_member):
    body = as_member(world.learner).get(f"{V1}/organization/").json()
    assert body["slug"] == "acme"
    assert body["logo"] is None


def test_learner_cannot_change_the_organisation(world, as_member):
    response = as_member(world.learner).patch(f"{V1}/organization/", {"name": "Hacked"}, format="json")
    assert response.status_code == 403
    world.org.refresh_from_db()
    assert world.org.name == "Acme Health"


def test_org_admin_changes_settings_and_uploads_a_logo(world, as_member, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = as_member(world.org_admin)
    logo = io.BytesIO(png_bytes())
    logo.name = "logo.png"
    response = client.patch(
        f"{V1}/organization/", {"name": "Acme Care", "accent_color": "#000000", "logo": logo}, format="multipart"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["name"] == "Acme Care"
    assert body["logo"].startswith("http://testserver/media/org-logos/")

    removed = client.patch(f"{V1}/organization/", {"remove_logo": True}, format="json")
    assert removed.json()["logo"] is None


def test_a_file_that_is_not_an_image_is_refused_as_logo(world, as_member, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    fake = io.BytesIO(b"<svg onload=alert(1)>")
    fake.name = "logo.png"
    response = as_member(world.org_admin).patch(f"{V1}/organization/", {"logo": fake}, format="multipart")
    assert response.status_code == 400
    assert list(error_fields(response)) == ["logo"]


def test_bad_colour_is_reported_on_its_field(world, as_member):
    response = as_member(world.org_admin).patch(f"{V1}/organization/", {"primary_color": "red"}, format="json")
    assert response.status_code == 400
    assert list(error_fields(response)) == ["primary_color"]
