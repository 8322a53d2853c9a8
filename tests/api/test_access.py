"""/capabilities/, /roles/ and /role-assignments/."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from syllabus.access.capabilities import CAPABILITIES
from syllabus.access.models import Role, RoleAssignment
from syllabus.access.services import BUILTIN_READ_ONLY, LAST_ADMIN
from tests.api.conftest import V1, error_fields
from tests.factories import MembershipFactory, grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def foreign_role(world):
    return Role.objects.create(organization=world.other_org, key="spy", name="Spy", custom_capabilities=["audit.view"])


def test_capabilities_are_the_declared_list(world, as_member):
    body = as_member(world.learner).get(f"{V1}/capabilities/").json()
    assert [row["code"] for row in body] == [cap.code for cap in CAPABILITIES]
    people_view = next(row for row in body if row["code"] == "people.view")
    assert people_view["scopes"] == ["organization", "org_unit"] and people_view["writes"] is False


def test_roles_list_builtin_and_own_custom_roles_only(world, as_member, foreign_role):
    Role.objects.create(organization=world.org, key="trainer", name="Trainer", custom_capabilities=["course.edit"])
    body = as_member(world.org_admin).get(f"{V1}/roles/").json()
    keys = [row["key"] for row in body["results"]]
    assert keys[0] == "learner" and keys[-1] == "trainer"
    assert "spy" not in keys
    admin = next(row for row in body["results"] if row["key"] == "org_admin")
    assert admin["is_builtin"] is True and "people.manage" in admin["capabilities"]


def test_learner_cannot_read_roles_or_assignments(world, as_member):
    client = as_member(world.learner)
    assert client.get(f"{V1}/roles/").status_code == 403
    assert client.get(f"{V1}/role-assignments/").status_code == 403


def test_another_organisations_role_and_assignment_are_not_found(world, as_member, foreign_role):
    client = as_member(world.org_admin)
    foreign_assignment = RoleAssignment.objects.get(membership=world.outsider)
    assert client.get(f"{V1}/roles/{foreign_role.pk}/").status_code == 404
    assert client.patch(f"{V1}/roles/{foreign_role.pk}/", {"name": "Mine"}, format="json").status_code == 404
    assert client.delete(f"{V1}/roles/{foreign_role.pk}/").status_code == 404
    assert client.get(f"{V1}/role-assignments/{foreign_assignment.pk}/").status_code == 404
    assert client.delete(f"{V1}/role-assignments/{foreign_assignment.pk}/").status_code == 404
    assert RoleAssignment.objects.filter(pk=foreign_assignment.pk).exists()
    refused = client.post(
        f"{V1}/role-assignments/", {"membership": world.learner.pk, "role": foreign_role.pk}, format="json"
    )
    assert refused.status_code == 400
    assert list(error_fields(refused)) == ["role"]


def test_org_admin_creates_changes_and_deletes_a_custom_role(world, as_member):
    client = as_member(world.org_admin)
    created = client.post(
        f"{V1}/roles/", {"name": "Trainer", "capabilities": ["course.edit", "course.create"]}, format="json"
    )
    assert created.status_code == 201, created.json()
    role_id = created.json()["id"]
    assert created.json()["capabilities"] == ["course.create", "course.edit"]
    changed = client.patch(f"{V1}/roles/{role_id}/", {"description": "Teaches."}, format="json").json()
    assert changed["description"] == "Teaches." and changed["capabilities"] == ["course.create", "course.edit"]
    unknown = client.patch(f"{V1}/roles/{role_id}/", {"capabilities": ["world.domination"]}, format="json")
    assert list(error_fields(unknown)) == ["capabilities"]
    assert client.delete(f"{V1}/roles/{role_id}/").status_code == 204
    assert not Role.objects.filter(pk=role_id).exists()


def test_builtin_roles_cannot_be_changed(world, as_member):
    learner_role = Role.objects.get(organization__isnull=True, key="learner")
    response = as_member(world.org_admin).patch(
        f"{V1}/roles/{learner_role.pk}/", {"capabilities": ["org.manage"]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == BUILTIN_READ_ONLY


def test_org_admin_assigns_and_removes_a_role_in_an_org_unit(world, as_member):
    client = as_member(world.org_admin)
    manager_role = Role.objects.get(organization__isnull=True, key="manager")
    created = client.post(
        f"{V1}/role-assignments/",
        {"membership": world.engineer.pk, "role": manager_role.pk, "scope": "org_unit", "org_unit": world.sales.pk},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["membership"] == {"id": world.engineer.pk, "display_name": "Eddie Engineer"}
    assert body["org_unit"] == {"id": world.sales.pk, "name": "Sales"}
    listed = client.get(f"{V1}/role-assignments/", {"membership": world.engineer.pk}).json()
    assert [row["id"] for row in listed["results"]] == [body["id"]]
    assert client.delete(f"{V1}/role-assignments/{body['id']}/").status_code == 204
    assert not RoleAssignment.objects.filter(pk=body["id"]).exists()


def test_org_unit_scope_needs_an_org_unit(world, as_member):
    manager_role = Role.objects.get(organization__isnull=True, key="manager")
    response = as_member(world.org_admin).post(
        f"{V1}/role-assignments/",
        {"membership": world.engineer.pk, "role": manager_role.pk, "scope": "org_unit"},
        format="json",
    )
    assert response.status_code == 400
    assert list(error_fields(response)) == ["org_unit"]


def test_the_last_org_admin_cannot_be_removed(world, as_member):
    assignment = RoleAssignment.objects.get(membership=world.org_admin, role__key="org_admin")
    response = as_member(world.org_admin).delete(f"{V1}/role-assignments/{assignment.pk}/")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == LAST_ADMIN


def test_instructor_cannot_assign_roles(world, as_member):
    admin_role = Role.objects.get(organization__isnull=True, key="org_admin")
    response = as_member(world.instructor).post(
        f"{V1}/role-assignments/", {"membership": world.instructor.pk, "role": admin_role.pk}, format="json"
    )
    assert response.status_code == 403
    assert not RoleAssignment.objects.filter(membership=world.instructor, role=admin_role).exists()


def test_role_assignment_list_query_count_does_not_grow(world, as_member, django_assert_max_num_queries):
    client = as_member(world.org_admin)
    client.get(f"{V1}/role-assignments/")
    for _ in range(5):
        grant(MembershipFactory(organization=world.org), "instructor", org_unit=world.sales)
    with CaptureQueriesContext(connection) as queries:
        client.get(f"{V1}/role-assignments/")
    for _ in range(25):
        grant(MembershipFactory(organization=world.org), "instructor", org_unit=world.sales)
    with django_assert_max_num_queries(len(queries)):
        client.get(f"{V1}/role-assignments/")
