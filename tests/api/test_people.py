"""/people/: who sees whom, filters (including custom attributes), and the writes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from syllabus.accounts.attributes import NOT_A_CHOICE, REQUIRED_ATTRIBUTE
from syllabus.accounts.models import AttributeDefinition, Membership, User
from syllabus.accounts.services import CANNOT_DEACTIVATE_SELF, MANAGER_CYCLE
from tests.api.conftest import V1, error_fields
from tests.factories import (
    AttributeDefinitionFactory,
    JobRoleFactory,
    LocationFactory,
    MembershipFactory,
    grant,
)

pytestmark = pytest.mark.django_db


def people(response) -> set[str]:
    assert response.status_code == 200, response.json()
    return {row["user"]["display_name"] for row in response.json()["results"]}


@pytest.fixture
def cost_centres(world):
    AttributeDefinitionFactory(organization=world.org, key="cost_center", label="Cost centre")
    AttributeDefinitionFactory(organization=world.org, key="grade", label="Grade", type=AttributeDefinition.Type.NUMBER)
    Membership.objects.filter(pk=world.learner.pk).update(attributes={"cost_center": "CC-100", "grade": 3})
    Membership.objects.filter(pk=world.engineer.pk).update(attributes={"cost_center": "CC-200", "grade": 3})
    Membership.objects.filter(pk=world.report.pk).update(attributes={"cost_center": "CC-100", "grade": 5})


# --- who sees whom ----------------------------------------------------------------------------------------


def test_org_admin_sees_everyone_of_their_organisation_and_nobody_else(world, as_member):
    seen = people(as_member(world.org_admin).get(f"{V1}/people/"))
    assert {"Lena Learner", "Eddie Engineer", "Max Manager", "Olivia Admin"} <= seen
    assert "Oscar Outsider" not in seen


def test_manager_sees_only_their_reporting_line(world, as_member):
    client = as_member(world.manager)
    assert people(client.get(f"{V1}/people/")) == {"Rita Report", "Ivan Indirect"}
    assert client.get(f"{V1}/people/{world.indirect_report.pk}/").status_code == 200
    assert client.get(f"{V1}/people/{world.learner.pk}/").status_code == 404
    assert client.get(f"{V1}/people/{world.outsider.pk}/").status_code == 404


def test_manager_may_see_but_not_change_their_team(world, as_member):
    response = as_member(world.manager).patch(f"{V1}/people/{world.report.pk}/", {"employee_id": "E-1"}, format="json")
    assert response.status_code == 403


def test_learner_cannot_list_people(world, as_member):
    response = as_member(world.learner).get(f"{V1}/people/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert "results" not in response.json()


def test_another_organisations_person_is_not_found_for_any_verb(world, as_member):
    client = as_member(world.org_admin)
    url = f"{V1}/people/{world.outsider.pk}/"
    assert client.get(url).status_code == 404
    assert client.patch(url, {"employee_id": "X"}, format="json").status_code == 404
    assert client.post(f"{url}deactivate/").status_code == 404
    assert client.post(f"{url}reactivate/").status_code == 404
    world.outsider.refresh_from_db()
    assert world.outsider.is_active and world.outsider.employee_id == ""


def test_unit_admin_changes_people_in_their_subtree_only(world, as_member):
    grant(world.engineer, "org_admin", org_unit=world.engineering)
    colleague = MembershipFactory(organization=world.org, org_unit=world.engineering, user__display_name="Cora")
    client = as_member(world.engineer)
    assert people(client.get(f"{V1}/people/")) == {"Eddie Engineer", "Cora"}
    ok = client.patch(f"{V1}/people/{colleague.pk}/", {"employee_id": "E-7"}, format="json")
    assert ok.status_code == 200
    assert client.patch(f"{V1}/people/{world.learner.pk}/", {"employee_id": "E-8"}, format="json").status_code == 404
    # Moving someone out of one's own subtree needs people.manage where they land.
    moved = client.patch(f"{V1}/people/{colleague.pk}/", {"org_unit": world.sales.pk}, format="json")
    assert moved.status_code == 403


# --- filters ----------------------------------------------------------------------------------------------


def test_people_filters(world, as_member):
    nurse = JobRoleFactory(organization=world.org, name="Nurse")
    berlin = LocationFactory(organization=world.org, name="Berlin")
    Membership.objects.filter(pk=world.learner.pk).update(job_role=nurse, location=berlin)
    Membership.objects.filter(pk=world.engineer.pk).update(is_active=False)
    client = as_member(world.org_admin)
    assert people(client.get(f"{V1}/people/", {"search": "lena"})) == {"Lena Learner"}
    assert people(client.get(f"{V1}/people/", {"org_unit": world.sales.pk})) == {
        "Max Manager",
        "Rita Report",
        "Ivan Indirect",
        "Lena Learner",
    }
    assert people(client.get(f"{V1}/people/", {"org_unit": world.sales.pk, "include_sub_units": "false"})) == {
        "Max Manager",
        "Rita Report",
    }
    assert people(client.get(f"{V1}/people/", {"job_role": nurse.pk})) == {"Lena Learner"}
    assert people(client.get(f"{V1}/people/", {"location": berlin.pk})) == {"Lena Learner"}
    assert people(client.get(f"{V1}/people/", {"manager": world.manager.pk})) == {"Rita Report"}
    assert people(client.get(f"{V1}/people/", {"status": "inactive"})) == {"Eddie Engineer"}
    assert "Eddie Engineer" in people(client.get(f"{V1}/people/", {"status": "all"}))
    assert "Eddie Engineer" not in people(client.get(f"{V1}/people/"))


def test_filter_values_are_validated(world, as_member):
    client = as_member(world.org_admin)
    response = client.get(f"{V1}/people/", {"status": "everyone", "job_role": 999999})
    assert response.status_code == 400
    assert set(error_fields(response)) == {"status", "job_role"}


def test_custom_attribute_filters(world, as_member, cost_centres):
    client = as_member(world.org_admin)
    assert people(client.get(f"{V1}/people/", {"attr.cost_center": "CC-100"})) == {"Lena Learner", "Rita Report"}
    assert people(client.get(f"{V1}/people/", {"attr.grade": "3"})) == {"Lena Learner", "Eddie Engineer"}
    both = client.get(f"{V1}/people/", {"attr.cost_center": "CC-100", "attr.grade": "3"})
    assert people(both) == {"Lena Learner"}


def test_custom_attribute_filter_stays_inside_the_managers_view(world, as_member, cost_centres):
    response = as_member(world.manager).get(f"{V1}/people/", {"attr.cost_center": "CC-100"})
    assert people(response) == {"Rita Report"}


def test_filtering_on_an_unknown_attribute_names_it(world, as_member, cost_centres):
    response = as_member(world.org_admin).get(f"{V1}/people/", {"attr.shoe_size": "44", "attr.grade__gt": "1"})
    assert response.status_code == 400
    assert set(error_fields(response)) == {"attr.shoe_size", "attr.grade__gt"}


@pytest.mark.parametrize("persona", ["org_admin", "manager"])
def test_people_list_query_count_does_not_grow_with_rows(world, as_member, django_assert_max_num_queries, persona):
    viewer = getattr(world, persona)
    client = as_member(viewer)
    client.get(f"{V1}/people/")
    nurse = JobRoleFactory(organization=world.org)
    berlin = LocationFactory(organization=world.org)

    def add(count: int) -> None:
        for _ in range(count):
            MembershipFactory(
                organization=world.org,
                org_unit=world.sales,
                job_role=nurse,
                location=berlin,
                manager=world.manager,
                attributes={"cost_center": "CC-1"},
            )

    add(5)
    with CaptureQueriesContext(connection) as queries:
        few = client.get(f"{V1}/people/")
    add(25)
    with django_assert_max_num_queries(len(queries)):
        many = client.get(f"{V1}/people/")
    assert many.json()["count"] == few.json()["count"] + 25
    assert len(queries) <= 8


# --- writes -----------------------------------------------------------------------------------------------


def test_org_admin_adds_a_person_with_hr_data_and_attributes(world, as_member, cost_centres):
    nurse = JobRoleFactory(organization=world.org, name="Nurse")
    response = as_member(world.org_admin).post(
        f"{V1}/people/",
        {
            "email": "New.Person@Example.test",
            "display_name": "New Person",
            "org_unit": world.sales.pk,
            "job_role": nurse.pk,
            "manager": world.manager.pk,
            "employee_id": "E-42",
            "hire_date": "2024-05-01",
            "attributes": {"cost_center": "CC-300", "grade": "4"},
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["user"]["email"] == "new.person@example.test"
    assert body["org_unit"] == {"id": world.sales.pk, "name": "Sales"}
    assert body["manager"] == {"id": world.manager.pk, "display_name": "Max Manager"}
    assert body["attributes"] == {"cost_center": "CC-300", "grade": 4}
    assert body["direct_reports"] == []
    assert not User.objects.get(email="new.person@example.test").has_usable_password()


def test_attribute_errors_name_the_attribute_field(world, as_member):
    AttributeDefinitionFactory(organization=world.org, key="cost_center", label="Cost centre", required=True)
    AttributeDefinitionFactory(
        organization=world.org, key="shift", label="Shift", type=AttributeDefinition.Type.CHOICE, choices=["day"]
    )
    response = as_member(world.org_admin).post(
        f"{V1}/people/",
        {"email": "x@example.test", "display_name": "X", "attributes": {"shift": "night"}},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["status"] == 400 and body["code"] == "invalid"
    assert error_fields(response) == {
        "attributes.cost_center": REQUIRED_ATTRIBUTE,
        "attributes.shift": NOT_A_CHOICE.format(value="night", choices="day"),
    }
    assert not User.objects.filter(email="x@example.test").exists()


def test_field_errors_of_the_input_serializer_use_the_same_format(world, as_member):
    response = as_member(world.org_admin).post(
        f"{V1}/people/",
        {"email": "not-an-email", "org_unit": world.outsider.org_unit.pk, "attributes": "nope"},
        format="json",
    )
    assert response.status_code == 400
    assert set(error_fields(response)) == {"email", "display_name", "org_unit", "attributes"}
    assert response.json()["error"]["message"] == "The request has invalid fields."


def test_a_weak_password_is_reported_on_the_password_field(world, as_member):
    response = as_member(world.org_admin).post(
        f"{V1}/people/", {"email": "w@example.test", "display_name": "W", "password": "short"}, format="json"
    )
    assert response.status_code == 400
    assert set(error_fields(response)) == {"password"}


def test_learner_cannot_add_people(world, as_member):
    response = as_member(world.learner).post(
        f"{V1}/people/", {"email": "sneaky@example.test", "display_name": "Sneaky"}, format="json"
    )
    assert response.status_code == 403
    assert not User.objects.filter(email="sneaky@example.test").exists()


def test_org_admin_changes_hr_data_and_merges_attributes(world, as_member, cost_centres):
    client = as_member(world.org_admin)
    response = client.patch(
        f"{V1}/people/{world.learner.pk}/",
        {"display_name": "Lena L.", "manager": world.report.pk, "attributes": {"grade": 4}},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["user"]["display_name"] == "Lena L."
    assert body["manager"]["id"] == world.report.pk
    assert body["attributes"] == {"cost_center": "CC-100", "grade": 4}


def test_a_manager_cycle_is_a_field_error(world, as_member):
    response = as_member(world.org_admin).patch(
        f"{V1}/people/{world.manager.pk}/", {"manager": world.indirect_report.pk}, format="json"
    )
    assert response.status_code == 400
    assert error_fields(response) == {"manager": MANAGER_CYCLE}


def test_org_admin_deactivates_and_reactivates_a_person(world, as_member):
    client = as_member(world.org_admin)
    deactivated = client.post(f"{V1}/people/{world.learner.pk}/deactivate/").json()
    assert deactivated["is_active"] is False and deactivated["deactivated_at"]
    reactivated = client.post(f"{V1}/people/{world.learner.pk}/reactivate/").json()
    assert reactivated["is_active"] is True and reactivated["deactivated_at"] is None


def test_nobody_deactivates_themselves(world, as_member):
    response = as_member(world.org_admin).post(f"{V1}/people/{world.org_admin.pk}/deactivate/")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == CANNOT_DEACTIVATE_SELF


def test_learner_cannot_deactivate_anyone(world, as_member):
    response = as_member(world.learner).post(f"{V1}/people/{world.engineer.pk}/deactivate/")
    assert response.status_code == 403
    world.engineer.refresh_from_db()
    assert world.engineer.is_active
