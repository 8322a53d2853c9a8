"""Organisation settings page: only org.manage holders change their own organisation."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from syllabus.accounts.images import LOGO_NOT_IMAGE
from syllabus.accounts.middleware import SESSION_KEY
from syllabus.accounts.models import Organization

pytestmark = pytest.mark.django_db

SETTINGS_URL = reverse("accounts:org-settings")


def sign_in(client, user, organization=None):
    client.force_login(user)
    if organization is not None:
        session = client.session
        session[SESSION_KEY] = organization.pk
        session.save()


def valid_data(**changes):
    data = {
        "name": "Acme Health Group",
        "primary_color": "#112233",
        "accent_color": "#445566",
        "default_language": "en",
        "default_time_zone": "Europe/Paris",
    }
    data.update(changes)
    return data


def png_upload(name="logo.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "#ff0000").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_org_admin_sees_the_current_settings(client, world):
    sign_in(client, world.org_admin.user)
    response = client.get(SETTINGS_URL)
    assert response.status_code == 200
    content = response.content.decode()
    assert 'value="Acme Health"' in content
    assert 'type="color"' in content
    assert "remove_logo" not in content


def test_org_admin_changes_name_colours_and_defaults(client, world):
    sign_in(client, world.org_admin.user)
    response = client.post(SETTINGS_URL, valid_data())
    assert response.status_code == 302
    org = Organization.objects.get(pk=world.org.pk)
    assert (org.name, org.primary_color, org.accent_color, org.default_time_zone) == (
        "Acme Health Group",
        "#112233",
        "#445566",
        "Europe/Paris",
    )


def test_bad_colour_and_empty_name_are_shown_and_nothing_changes(client, world):
    sign_in(client, world.org_admin.user)
    response = client.post(SETTINGS_URL, valid_data(name="", primary_color="red"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "name" in errors and "primary_color" in errors
    assert b'aria-invalid="true"' in response.content
    assert Organization.objects.get(pk=world.org.pk).name == "Acme Health"


def test_logo_upload_and_removal(client, world):
    sign_in(client, world.org_admin.user)
    response = client.post(SETTINGS_URL, {**valid_data(), "logo": png_upload()})
    assert response.status_code == 302
    org = Organization.objects.get(pk=world.org.pk)
    assert org.logo
    page = client.get(SETTINGS_URL).content.decode()
    assert "remove_logo" in page and org.logo.url in page
    client.post(SETTINGS_URL, valid_data(remove_logo="on"))
    assert not Organization.objects.get(pk=world.org.pk).logo


def test_a_file_that_is_not_an_image_is_refused_on_the_logo_field(client, world):
    sign_in(client, world.org_admin.user)
    fake = SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>", content_type="image/png")
    response = client.post(SETTINGS_URL, {**valid_data(), "logo": fake})
    assert response.status_code == 200
    assert response.context["form"].errors["logo"] == [LOGO_NOT_IMAGE]
    assert not Organization.objects.get(pk=world.org.pk).logo


@pytest.mark.parametrize("persona", ["learner", "manager", "instructor"])
def test_people_without_org_manage_are_refused(client, world, persona):
    sign_in(client, getattr(world, persona).user)
    assert client.get(SETTINGS_URL).status_code == 403
    assert client.post(SETTINGS_URL, valid_data(name="Hacked")).status_code == 403
    assert Organization.objects.get(pk=world.org.pk).name == "Acme Health"


def test_outsider_org_admin_cannot_choose_our_organisation_to_edit_it(client, world):
    sign_in(client, world.outsider.user, world.org)
    # The session names our organisation, but the outsider is no member: the middleware drops it.
    response = client.post(SETTINGS_URL, valid_data(name="Hacked"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:choose-organization"))
    assert set(Organization.objects.values_list("name", flat=True)) == {"Acme Health", "Globex"}
