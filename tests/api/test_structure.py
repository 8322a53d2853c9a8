"""Org units, job roles, locations and custom attribute definitions."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from syllabus.accounts.models import AttributeDefinition, JobRole, Location, OrgUnit
from syllabus.accounts.services import ORG_UNIT_CYCLE
from tests.api.conftest import V1, error_fields
from tests.factories import (
    AttributeDefinitionFactory,
    JobRoleFactory,
    LocationFactory,
    MembershipFactory,
    OrgUnitFactory,
)

pytestmark = pytest.mark.django_db


def names(response) -> list[str]:
    return [row["name"] for row in response.json()["results"]]


# --- org units --------------------------------------------------------------------------------------------


def test_any_member_reads_the_org_unit_tree_in_path_order(world, as_member):
    response = as_member(world.learner).get(f"{V1}/org-units/")
    assert response.status_code == 200
    listed = names(response)
    assert sorted(listed) == ["Acme HQ", "Engineering", "Sales", "Sales East"]
    assert listed[0] == "Acme HQ"  # parents before children
    assert listed.index("Sales") < listed.index("Sales East")
    sales = next(row for row in response.json()["results"] if row["name"] == "Sales")
    assert sales["parent"] == world.hq.pk
    assert sales["member_count"] == 2  # the manager and their report


def test_org_units_filter_by_parent_and_by_subtree(world, as_member):
    client = as_member(world.learner)
    assert set(names(client.get(f"{V1}/org-units/", {"parent": world.hq.pk}))) == {"Sales", "Engineering"}
    assert names(client.get(f"{V1}/org-units/", {"subtree_of": world.sales.pk})) == ["Sales", "Sales East"]


def test_filtering_org_units_by_another_organisations_unit_is_refused(world, as_member):
    other_unit = world.outsider.org_unit
    response = as_member(world.org_admin).get(f"{V1}/org-units/", {"subtree_of": other_unit.pk})
    assert response.status_code == 400
    assert list(error_fields(response)) == ["subtree_of"]


def test_org_admin_creates_renames_moves_and_deletes_an_org_unit(world, as_member):
    client = as_member(world.org_admin)
    created = client.post(f"{V1}/org-units/", {"name": "Sales West", "parent": world.sales.pk}, format="json")
    assert created.status_code == 201, created.json()
    unit_id = created.json()["id"]
    assert created.json()["path"] == f"{world.sales.path}{unit_id}/"

    moved = client.patch(
        f"{V1}/org-units/{unit_id}/", {"name": "Field Sales", "parent": world.engineering.pk}, format="json"
    )
    assert moved.status_code == 200, moved.json()
    assert moved.json()["name"] == "Field Sales"
    assert moved.json()["path"] == f"{world.engineering.path}{unit_id}/"

    to_root = client.patch(f"{V1}/org-units/{unit_id}/", {"parent": None}, format="json")
    assert to_root.json()["depth"] == 0

    assert client.delete(f"{V1}/org-units/{unit_id}/").status_code == 204
    assert not OrgUnit.objects.filter(pk=unit_id).exists()


def test_moving_a_unit_under_its_own_sub_unit_is_a_field_error(world, as_member):
    response = as_member(world.org_admin).patch(
        f"{V1}/org-units/{world.sales.pk}/", {"parent": world.sales_east.pk}, format="json"
    )
    assert response.status_code == 400
    assert error_fields(response) == {"parent": ORG_UNIT_CYCLE}


def test_a_unit_with_people_cannot_be_deleted(world, as_member):
    response = as_member(world.org_admin).delete(f"{V1}/org-units/{world.sales_east.pk}/")
    assert response.status_code == 400
    assert "Move or delete" in response.json()["error"]["message"]


def test_org_unit_list_query_count_does_not_grow_with_rows(world, as_member, django_assert_max_num_queries):
    client = as_member(world.org_admin)

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"{V1}/org-units/").status_code == 200
        return len(queries)

    client.get(f"{V1}/org-units/")  # the token's first use records `last_used_at`
    for index in range(5):
        MembershipFactory(organization=world.org, org_unit=OrgUnitFactory(organization=world.org, name=f"A{index}"))
    few = count_queries()
    for index in range(25):
        MembershipFactory(organization=world.org, org_unit=OrgUnitFactory(organization=world.org, name=f"B{index}"))
    with django_assert_max_num_queries(few):
        response = client.get(f"{V1}/org-units/")
    assert response.json()["count"] == 34
    assert few <= 6


# --- job roles, locations, attribute definitions ------------------------------------------------------------


def test_any_member_reads_job_roles_but_only_managers_of_them_write(world, as_member):
    JobRoleFactory(organization=world.org, name="Nurse")
    JobRoleFactory(organization=world.other_org, name="Spy")
    learner = as_member(world.learner)
    assert names(learner.get(f"{V1}/job-roles/")) == ["Nurse"]
    assert learner.post(f"{V1}/job-roles/", {"name": "Doctor"}, format="json").status_code == 403
    assert not JobRole.objects.filter(name="Doctor").exists()


def test_org_admin_manages_job_roles(world, as_member):
    client = as_member(world.org_admin)
    created = client.post(f"{V1}/job-roles/", {"name": "Nurse", "code": "N1"}, format="json").json()
    changed = client.patch(f"{V1}/job-roles/{created['id']}/", {"name": "Head nurse"}, format="json")
    assert changed.json() == {"id": created["id"], "name": "Head nurse", "code": "N1", "member_count": 0}
    duplicate = client.post(f"{V1}/job-roles/", {"name": "Head nurse"}, format="json")
    assert duplicate.status_code == 400
    assert list(error_fields(duplicate)) == ["name"]
    assert client.delete(f"{V1}/job-roles/{created['id']}/").status_code == 204


def test_org_admin_manages_locations(world, as_member):
    client = as_member(world.org_admin)
    created = client.post(
        f"{V1}/locations/", {"name": "Berlin", "time_zone": "Europe/Berlin", "address": "Unter den Linden 1"}
    )
    assert created.status_code == 201, created.json()
    location_id = created.json()["id"]
    changed = client.patch(f"{V1}/locations/{location_id}/", {"code": "BER"}, format="json").json()
    assert (changed["name"], changed["code"], changed["time_zone"]) == ("Berlin", "BER", "Europe/Berlin")
    bad_zone = client.patch(f"{V1}/locations/{location_id}/", {"time_zone": "Mars/Olympus"}, format="json")
    assert list(error_fields(bad_zone)) == ["time_zone"]
    assert client.delete(f"{V1}/locations/{location_id}/").status_code == 204
    assert not Location.objects.filter(pk=location_id).exists()


def test_org_admin_manages_attribute_definitions(world, as_member):
    client = as_member(world.org_admin)
    created = client.post(
        f"{V1}/attribute-definitions/",
        {"key": "grade", "label": "Grade", "type": "choice", "choices": ["A", "B"]},
        format="json",
    )
    assert created.status_code == 201, created.json()
    definition_id = created.json()["id"]
    changed = client.patch(
        f"{V1}/attribute-definitions/{definition_id}/", {"label": "Pay grade", "required": True}, format="json"
    ).json()
    assert changed == {
        "id": definition_id,
        "key": "grade",
        "label": "Pay grade",
        "type": "choice",
        "choices": ["A", "B"],
        "required": True,
    }
    no_choices = client.post(
        f"{V1}/attribute-definitions/", {"key": "band", "label": "Band", "type": "choice"}, format="json"
    )
    assert list(error_fields(no_choices)) == ["choices"]
    assert client.delete(f"{V1}/attribute-definitions/{definition_id}/").status_code == 204
    assert not AttributeDefinition.objects.filter(pk=definition_id).exists()


@pytest.mark.parametrize("resource", ["job-roles", "locations", "attribute-definitions"])
def test_lists_query_count_does_not_grow_with_rows(world, as_member, django_assert_max_num_queries, resource):
    make = {
        "job-roles": lambda i: JobRoleFactory(organization=world.org, name=f"Role {i}"),
        "locations": lambda i: LocationFactory(organization=world.org, name=f"Place {i}"),
        "attribute-definitions": lambda i: AttributeDefinitionFactory(organization=world.org, key=f"k{i}"),
    }[resource]
    client = as_member(world.learner)
    client.get(f"{V1}/{resource}/")
    for index in range(5):
        make(index)
    with CaptureQueriesContext(connection) as queries:
        client.get(f"{V1}/{resource}/")
    for index in range(5, 30):
        make(index)
    with django_assert_max_num_queries(len(queries)):
        assert client.get(f"{V1}/{resource}/").json()["count"] == 30
