"""Two-factor sign-in made mandatory by an organisation for chosen roles."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from syllabus.accounts import services
from syllabus.accounts.security import two_factor
from tests.accounts.security.conftest import HOME, act_in, enrol, mark_verified, totp_code
from tests.api.conftest import token_for
from tests.factories import grant

pytestmark = pytest.mark.django_db

ENROL = reverse("accounts:two-factor-enrol")
ORG_SETTINGS = reverse("accounts:org-settings")


def require(world, *keys: str) -> None:
    world.org.two_factor_required_roles = list(keys)
    world.org.save(update_fields=["two_factor_required_roles"])


def test_a_person_holding_a_required_role_is_sent_to_enrolment_from_every_page(client, world):
    require(world, "instructor")
    act_in(client, world.instructor)
    for url in (HOME, reverse("accounts:profile"), reverse("accounts:security"), reverse("accounts:sessions")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == ENROL, url
    api = client.get("/api/v1/me/")
    assert api.status_code == 403 and api.json()["error"]["code"] == "two_factor_required"
    page = client.get(ENROL)
    assert page.status_code == 200 and page.context["required"]
    assert "requires two-factor sign-in for your role" in page.content.decode()
    assert client.get(reverse("accounts:choose-organization")).status_code == 200


def test_after_enrolling_they_use_the_site_normally(client, world):
    require(world, "instructor")
    act_in(client, world.instructor)
    client.get(ENROL)
    device = two_factor.enrolment_start(user=world.instructor.user)
    assert client.post(ENROL, {"code": totp_code(device)}).status_code == 302
    assert client.get(HOME).status_code == 200


def test_people_without_a_required_role_are_not_held(client, world):
    require(world, "instructor")
    act_in(client, world.learner)
    assert client.get(HOME).status_code == 200


def test_a_role_held_in_an_org_unit_scope_counts(client, world):
    require(world, "manager")
    grant(world.engineer, "manager", org_unit=world.engineering)
    act_in(client, world.engineer)
    assert client.get(HOME)["Location"] == ENROL


def test_a_custom_role_can_be_required(client, world):
    from syllabus.access.models import Role, RoleAssignment

    role = Role.objects.create(
        organization=world.org, key="payroll", name="Payroll", custom_capabilities=["people.view"]
    )
    RoleAssignment.objects.create(organization=world.org, membership=world.engineer, role=role)
    require(world, "payroll")
    act_in(client, world.engineer)
    assert client.get(HOME)["Location"] == ENROL


def test_requiring_learner_means_everyone(client, world):
    require(world, "learner")
    act_in(client, world.learner)
    assert client.get(HOME)["Location"] == ENROL


def test_the_requirement_is_per_organisation(client, world):
    require(world, "org_admin")
    act_in(client, world.outsider)  # org admin of the other organisation, which requires nothing
    assert client.get(HOME).status_code == 200


def test_someone_enrolled_is_not_held_once_verified(client, world):
    require(world, "instructor")
    device = enrol(world.instructor.user)
    act_in(client, world.instructor)
    mark_verified(client, device)
    assert client.get(HOME).status_code == 200


# --- choosing the roles ---------------------------------------------------------------------------------------


def test_an_org_admin_chooses_the_roles_on_the_settings_page(client, world):
    act_in(client, world.org_admin)
    page = client.get(ORG_SETTINGS)
    assert 'name="two_factor_required_roles" value="org_admin"' in page.content.decode()
    data = {
        "name": world.org.name,
        "primary_color": world.org.primary_color,
        "accent_color": world.org.accent_color,
        "default_language": "en",
        "default_time_zone": "UTC",
        "two_factor_required_roles": ["org_admin", "compliance_officer"],
    }
    response = client.post(ORG_SETTINGS, data)
    assert response.status_code == 302
    world.org.refresh_from_db()
    assert world.org.two_factor_required_roles == ["compliance_officer", "org_admin"]
    # The admin holds a required role and has no authenticator: from now on, enrolment first.
    assert client.get(HOME)["Location"] == ENROL


def test_the_service_refuses_unknown_roles_and_other_organisations_roles(world):
    from syllabus.access.models import Role

    Role.objects.create(organization=world.other_org, key="globex_only", name="Globex only")
    for keys in (["no_such_role"], ["globex_only"]):
        with pytest.raises(ValidationError) as exc:
            services.organization_update(
                organization=world.org, by=world.org_admin.user, two_factor_required_roles=keys
            )
        assert list(exc.value.message_dict) == ["two_factor_required_roles"]
    world.org.refresh_from_db()
    assert world.org.two_factor_required_roles == []


def test_the_api_sets_and_shows_the_required_roles(world):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_for(world.org_admin)}")
    response = api.patch("/api/v1/organization/", {"two_factor_required_roles": ["instructor"]}, format="json")
    assert response.status_code == 200
    assert response.json()["two_factor_required_roles"] == ["instructor"]
    bad = api.patch("/api/v1/organization/", {"two_factor_required_roles": ["nope"]}, format="json")
    assert bad.status_code == 400
    assert bad.json()["error"]["errors"][0]["field"] == "two_factor_required_roles"


def test_a_learner_cannot_change_the_required_roles(world):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_for(world.learner)}")
    response = api.patch("/api/v1/organization/", {"two_factor_required_roles": []}, format="json")
    assert response.status_code == 403
