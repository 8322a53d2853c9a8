"""Platform administration: only platform admins list, create and switch to organisations."""

from __future__ import annotations

import pytest
from django.urls import reverse

from syllabus.access.models import RoleAssignment
from syllabus.accounts.forms import USER_NOT_FOUND
from syllabus.accounts.middleware import SESSION_KEY
from syllabus.accounts.models import Membership, Organization
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

PLATFORM = reverse("accounts:platform-organizations")


def sign_in(client, user, organization=None):
    client.force_login(user)
    if organization is not None:
        session = client.session
        session[SESSION_KEY] = organization.pk
        session.save()


def test_platform_admin_lists_organisations_with_member_counts(client, world):
    sign_in(client, world.platform_admin)
    response = client.get(PLATFORM)
    assert response.status_code == 200
    counts = {org.slug: org.member_count for org in response.context["page_obj"]}
    assert counts == {"acme": 7, "globex": 1}


def test_platform_admin_searches_organisations(client, world):
    sign_in(client, world.platform_admin)
    response = client.get(PLATFORM, {"q": "glob"})
    assert [org.slug for org in response.context["page_obj"]] == ["globex"]


@pytest.mark.parametrize("persona", ["org_admin", "learner", "outsider"])
def test_everyone_else_is_refused(client, world, persona):
    sign_in(client, getattr(world, persona).user)
    assert client.get(PLATFORM).status_code == 403
    assert client.post(PLATFORM, {"name": "Evil", "slug": "evil"}).status_code == 403
    assert not Organization.objects.filter(slug="evil").exists()


def test_platform_admin_creates_an_organisation_with_its_first_admin(client, world):
    admin = UserFactory(email="boss@initech.test")
    sign_in(client, world.platform_admin)
    response = client.post(PLATFORM, {"name": "Initech", "slug": "initech", "admin_email": "BOSS@initech.test"})
    assert response.status_code == 302
    organization = Organization.objects.get(slug="initech")
    membership = Membership.objects.get(organization=organization, user=admin)
    assert RoleAssignment.objects.filter(membership=membership, role__key="org_admin").exists()


def test_first_admin_must_already_have_an_account(client, world):
    sign_in(client, world.platform_admin)
    response = client.post(PLATFORM, {"name": "Initech", "slug": "initech", "admin_email": "ghost@initech.test"})
    assert response.status_code == 200
    assert response.context["form"].errors["admin_email"] == [str(USER_NOT_FOUND)]
    assert not Organization.objects.filter(slug="initech").exists()


def test_taken_short_name_is_shown_on_its_field(client, world):
    sign_in(client, world.platform_admin)
    response = client.post(PLATFORM, {"name": "Acme again", "slug": "acme"})
    assert response.status_code == 200
    assert response.context["form"].errors["slug"]
    assert Organization.objects.filter(slug="acme").count() == 1


def test_switch_to_button_sets_the_session_organisation(client, world):
    sign_in(client, world.platform_admin)
    page = client.get(PLATFORM).content.decode()
    assert reverse("accounts:choose-organization") in page
    response = client.post(reverse("accounts:choose-organization"), {"organization": world.other_org.pk, "next": "/"})
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == world.other_org.pk
    assert client.get(reverse("accounts:people")).status_code == 200


def test_list_is_paginated(client, world):
    for number in range(30):
        OrganizationFactory(name=f"Tenant {number:02}", slug=f"tenant-{number:02}")
    MembershipFactory(organization=Organization.objects.get(slug="tenant-00"))
    sign_in(client, world.platform_admin)
    first = client.get(PLATFORM)
    assert len(first.context["page_obj"]) == 25
    assert b"page=2" in first.content
