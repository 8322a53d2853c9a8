"""Org units, job roles, locations and custom attribute pages, from each persona's side."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from syllabus.accounts import services
from syllabus.accounts.middleware import SESSION_KEY
from syllabus.accounts.models import AttributeDefinition, JobRole, Location, Membership, OrgUnit
from tests.factories import (
    AttributeDefinitionFactory,
    JobRoleFactory,
    LocationFactory,
    MembershipFactory,
    OrgUnitFactory,
)

pytestmark = pytest.mark.django_db

ORG_UNITS = reverse("accounts:org-units")


def sign_in(client, user, organization=None):
    client.force_login(user)
    if organization is not None:
        session = client.session
        session[SESSION_KEY] = organization.pk
        session.save()


# --- org units ------------------------------------------------------------------------------------------


def test_org_admin_sees_the_tree_with_member_counts_and_the_add_form(client, world):
    sign_in(client, world.org_admin.user)
    response = client.get(ORG_UNITS)
    assert response.status_code == 200
    content = response.content.decode()
    assert content.index("Acme HQ") < content.index("Engineering") < content.index("Sales East")
    assert "Globex HQ" not in content
    sales = next(node for node in response.context["tree"][0].children if node.unit.name == "Sales")
    assert sales.member_count == 2
    assert response.context["form"] is not None
    assert reverse("accounts:org-unit-edit", args=[world.sales.pk]) in content


def test_manager_sees_the_tree_read_only(client, world):
    sign_in(client, world.manager.user)
    response = client.get(ORG_UNITS)
    assert response.status_code == 200
    assert response.context["form"] is None
    assert reverse("accounts:org-unit-edit", args=[world.sales.pk]) not in response.content.decode()
    assert client.post(ORG_UNITS, {"name": "Rogue"}).status_code == 403
    assert client.get(reverse("accounts:org-unit-edit", args=[world.sales.pk])).status_code == 403


def test_learner_is_refused_the_org_unit_pages(client, world):
    sign_in(client, world.learner.user)
    assert client.get(ORG_UNITS).status_code == 403
    assert client.get(reverse("accounts:org-unit-edit", args=[world.sales.pk])).status_code == 403


def test_org_unit_tree_query_count_does_not_grow_with_units(client, world):
    sign_in(client, world.org_admin.user)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(ORG_UNITS).status_code == 200
        return len(queries)

    few = count()
    parent = world.engineering
    for number in range(25):
        parent = OrgUnitFactory(
            organization=world.org, name=f"Team {number}", parent=parent if number % 2 else world.hq
        )
        MembershipFactory(organization=world.org, org_unit=parent)
    assert count() == few


def test_org_admin_creates_a_unit_under_a_parent(client, world):
    sign_in(client, world.org_admin.user)
    response = client.post(ORG_UNITS, {"name": "Sales West", "code": "SW", "parent": world.sales.pk})
    assert response.status_code == 302
    unit = OrgUnit.objects.get(organization=world.org, name="Sales West")
    assert unit.parent == world.sales
    assert unit.path == f"{world.sales.path}{unit.pk}/"


def test_creating_a_unit_under_another_organisations_unit_is_refused(client, world):
    sign_in(client, world.org_admin.user)
    response = client.post(ORG_UNITS, {"name": "Sneaky", "parent": world.outsider.org_unit_id})
    assert response.status_code == 200
    assert response.context["form"].errors["parent"]
    assert not OrgUnit.objects.filter(name="Sneaky").exists()


def test_duplicate_unit_code_shows_an_error(client, world):
    OrgUnit.objects.filter(pk=world.sales.pk).update(code="S")
    sign_in(client, world.org_admin.user)
    response = client.post(ORG_UNITS, {"name": "Other", "code": "S"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert b"Please correct the errors below." in response.content


def test_org_admin_renames_and_moves_a_unit(client, world):
    sign_in(client, world.org_admin.user)
    url = reverse("accounts:org-unit-edit", args=[world.sales_east.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "Sales Europe", "code": "", "parent": world.engineering.pk})
    assert response.status_code == 302
    unit = OrgUnit.objects.get(pk=world.sales_east.pk)
    assert unit.name == "Sales Europe"
    assert unit.parent == world.engineering
    assert unit.path.startswith(world.engineering.path)


def test_moving_a_unit_under_its_own_sub_unit_shows_the_service_message(client, world):
    sign_in(client, world.org_admin.user)
    url = reverse("accounts:org-unit-edit", args=[world.sales.pk])
    response = client.post(url, {"name": "Sales", "parent": world.sales_east.pk})
    assert response.status_code == 200
    assert response.context["form"].errors["parent"] == [services.ORG_UNIT_CYCLE]
    assert OrgUnit.objects.get(pk=world.sales.pk).parent == world.hq


def test_deleting_a_unit_with_people_is_refused_with_a_message(client, world):
    sign_in(client, world.org_admin.user)
    response = client.post(reverse("accounts:org-unit-delete", args=[world.sales_east.pk]), follow=True)
    assert OrgUnit.objects.filter(pk=world.sales_east.pk).exists()
    assert services.ORG_UNIT_NOT_EMPTY.format(children=0, members=2) in response.content.decode()


def test_deleting_an_empty_unit_works(client, world):
    empty = OrgUnitFactory(organization=world.org, name="Empty", parent=world.hq)
    sign_in(client, world.org_admin.user)
    response = client.post(reverse("accounts:org-unit-delete", args=[empty.pk]))
    assert response.status_code == 302
    assert not OrgUnit.objects.filter(pk=empty.pk).exists()


def test_another_organisations_unit_is_not_found(client, world):
    sign_in(client, world.org_admin.user)
    other = world.outsider.org_unit_id
    assert client.get(reverse("accounts:org-unit-edit", args=[other])).status_code == 404
    assert client.post(reverse("accounts:org-unit-delete", args=[other])).status_code == 404
    assert OrgUnit.objects.filter(pk=other).exists()


# --- job roles, locations, custom attributes -----------------------------------------------------------


@pytest.mark.parametrize("stem", ["job-role", "location", "attribute"])
def test_learner_and_manager_are_refused_the_settings_lists(client, world, stem):
    plural = f"{stem}s"
    for membership in (world.learner, world.manager):
        client.logout()
        sign_in(client, membership.user)
        assert client.get(reverse(f"accounts:{plural}")).status_code == 403
        assert client.get(reverse(f"accounts:{stem}-create")).status_code == 403


def test_org_admin_lists_creates_edits_and_deletes_a_job_role(client, world):
    JobRoleFactory(organization=world.other_org, name="Globex secret role")
    sign_in(client, world.org_admin.user)
    response = client.post(reverse("accounts:job-role-create"), {"name": "Nurse", "code": "RN"})
    assert response.status_code == 302
    role = JobRole.objects.get(organization=world.org, name="Nurse")
    Membership.objects.filter(pk=world.learner.pk).update(job_role=role)
    listing = client.get(reverse("accounts:job-roles"))
    content = listing.content.decode()
    assert "Nurse" in content and "RN" in content
    assert "Globex secret role" not in content
    edit = reverse("accounts:job-role-edit", args=[role.pk])
    page = client.get(edit)
    assert "1 person is linked to it" in page.content.decode()
    client.post(edit, {"name": "Registered nurse", "code": "RN"})
    assert JobRole.objects.get(pk=role.pk).name == "Registered nurse"
    client.post(reverse("accounts:job-role-delete", args=[role.pk]))
    assert not JobRole.objects.filter(pk=role.pk).exists()
    assert Membership.objects.get(pk=world.learner.pk).job_role is None


def test_duplicate_job_role_name_is_shown_on_the_name_field(client, world):
    JobRoleFactory(organization=world.org, name="Nurse")
    sign_in(client, world.org_admin.user)
    response = client.post(reverse("accounts:job-role-create"), {"name": "Nurse"})
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == [services.NAME_TAKEN]
    assert b'value="Nurse"' in response.content


def test_org_admin_manages_locations(client, world):
    sign_in(client, world.org_admin.user)
    response = client.post(
        reverse("accounts:location-create"),
        {"name": "Lyon", "code": "LYS", "address": "1 rue X", "time_zone": "Europe/Paris"},
    )
    assert response.status_code == 302
    location = Location.objects.get(organization=world.org, name="Lyon")
    assert location.time_zone == "Europe/Paris"
    assert "Europe/Paris" in client.get(reverse("accounts:locations")).content.decode()
    bad = client.post(reverse("accounts:location-edit", args=[location.pk]), {"name": "Lyon", "time_zone": "Mars/Base"})
    assert bad.status_code == 200 and bad.context["form"].errors["time_zone"]
    client.post(reverse("accounts:location-delete", args=[location.pk]))
    assert not Location.objects.filter(pk=location.pk).exists()


def test_another_organisations_rows_are_not_found(client, world):
    role = JobRoleFactory(organization=world.other_org)
    location = LocationFactory(organization=world.other_org)
    definition = AttributeDefinitionFactory(organization=world.other_org)
    sign_in(client, world.org_admin.user)
    for stem, obj in (("job-role", role), ("location", location), ("attribute", definition)):
        assert client.get(reverse(f"accounts:{stem}-edit", args=[obj.pk])).status_code == 404
        assert client.post(reverse(f"accounts:{stem}-delete", args=[obj.pk])).status_code == 404
    assert JobRole.objects.filter(pk=role.pk).exists()
    assert AttributeDefinition.objects.filter(pk=definition.pk).exists()


def test_org_admin_defines_a_choice_attribute_with_one_choice_per_line(client, world):
    sign_in(client, world.org_admin.user)
    response = client.post(
        reverse("accounts:attribute-create"),
        {"key": "shift", "label": "Shift", "type": "choice", "choices": "Day\n\n Night \r\n", "required": "on"},
    )
    assert response.status_code == 302
    definition = AttributeDefinition.objects.get(organization=world.org, key="shift")
    assert definition.choices == ["Day", "Night"]
    assert definition.required
    listing = client.get(reverse("accounts:attributes")).content.decode()
    assert "Shift" in listing and "Day, Night" in listing
    # The key is fixed once created: the edit form shows it disabled and ignores a posted one.
    edit = reverse("accounts:attribute-edit", args=[definition.pk])
    assert b"disabled" in client.get(edit).content
    client.post(edit, {"key": "other", "label": "Work shift", "type": "choice", "choices": "Day\nNight\nWeekend"})
    definition.refresh_from_db()
    assert (definition.key, definition.label, definition.choices) == (
        "shift",
        "Work shift",
        ["Day", "Night", "Weekend"],
    )
    assert not definition.required


def test_choice_attribute_without_choices_shows_the_service_message(client, world):
    sign_in(client, world.org_admin.user)
    response = client.post(reverse("accounts:attribute-create"), {"key": "grade", "label": "Grade", "type": "choice"})
    assert response.status_code == 200
    assert response.context["form"].errors["choices"] == [services.CHOICES_REQUIRED]


def test_changing_the_type_of_an_attribute_in_use_is_refused(client, world):
    definition = AttributeDefinitionFactory(organization=world.org, key="grade", label="Grade", type="text")
    Membership.objects.filter(pk=world.learner.pk).update(attributes={"grade": "B"})
    sign_in(client, world.org_admin.user)
    response = client.post(
        reverse("accounts:attribute-edit", args=[definition.pk]), {"label": "Grade", "type": "number"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["type"] == [services.TYPE_CHANGE_IN_USE]


def test_deleting_an_attribute_definition(client, world):
    definition = AttributeDefinitionFactory(organization=world.org, key="grade", label="Grade")
    sign_in(client, world.org_admin.user)
    response = client.post(reverse("accounts:attribute-delete", args=[definition.pk]))
    assert response.status_code == 302
    assert not AttributeDefinition.objects.filter(pk=definition.pk).exists()
