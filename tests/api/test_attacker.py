"""Every endpoint from the attacker's side.

A learner calling admin endpoints is refused (403) and changes nothing; an org admin naming another
organisation's rows gets 404 (never 403, never data); a session with no current organisation is told so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from syllabus.access.models import Role, RoleAssignment
from syllabus.accounts import services
from tests.api.conftest import V1
from tests.factories import (
    AttributeDefinitionFactory,
    JobRoleFactory,
    LocationFactory,
    MembershipFactory,
)

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Call:
    method: str
    path: str  # "{id}" is replaced by the id of a row of the kind named in `kind`
    kind: str = ""
    data: dict | None = None


ADMIN_WRITES = [
    Call("post", "/organizations/", data={"name": "X", "slug": "x"}),
    Call("patch", "/organization/", data={"name": "Hacked"}),
    Call("post", "/org-units/", data={"name": "Rogue"}),
    Call("patch", "/org-units/{id}/", "org_unit", {"name": "Hacked"}),
    Call("delete", "/org-units/{id}/", "empty_org_unit"),
    Call("post", "/job-roles/", data={"name": "Rogue"}),
    Call("patch", "/job-roles/{id}/", "job_role", {"name": "Hacked"}),
    Call("delete", "/job-roles/{id}/", "job_role"),
    Call("post", "/locations/", data={"name": "Rogue"}),
    Call("patch", "/locations/{id}/", "location", {"name": "Hacked"}),
    Call("delete", "/locations/{id}/", "location"),
    Call("post", "/attribute-definitions/", data={"key": "rogue", "label": "Rogue", "type": "text"}),
    Call("patch", "/attribute-definitions/{id}/", "attribute", {"label": "Hacked"}),
    Call("delete", "/attribute-definitions/{id}/", "attribute"),
    Call("get", "/people/"),
    Call("post", "/people/", data={"email": "rogue@example.test", "display_name": "Rogue"}),
    Call("get", "/people/{id}/", "person"),
    Call("patch", "/people/{id}/", "person", {"employee_id": "HACKED"}),
    Call("post", "/people/{id}/deactivate/", "person"),
    Call("post", "/people/{id}/reactivate/", "person"),
    Call("get", "/roles/"),
    Call("post", "/roles/", data={"name": "Rogue", "capabilities": []}),
    Call("get", "/roles/{id}/", "role"),
    Call("patch", "/roles/{id}/", "role", {"name": "Hacked"}),
    Call("delete", "/roles/{id}/", "role"),
    Call("get", "/role-assignments/"),
    Call("post", "/role-assignments/", "", None),  # data filled in below: the learner makes themselves admin
    Call("get", "/role-assignments/{id}/", "assignment"),
    Call("delete", "/role-assignments/{id}/", "assignment"),
    Call("get", "/tokens/{id}/", "token"),
    Call("delete", "/tokens/{id}/", "token"),
    Call("post", "/tokens/{id}/revoke/", "token"),
]

DETAIL_CALLS = [call for call in ADMIN_WRITES if "{id}" in call.path] + [
    Call("get", "/organizations/{id}/", "organization"),
    Call("get", "/org-units/{id}/", "org_unit"),
    Call("get", "/job-roles/{id}/", "job_role"),
    Call("get", "/locations/{id}/", "location"),
    Call("get", "/attribute-definitions/{id}/", "attribute"),
]


def rows_of(organization, member, admin) -> dict[str, int]:
    """One row of each kind in `organization`, for the attacks to aim at."""
    job_role = JobRoleFactory(organization=organization)
    location = LocationFactory(organization=organization)
    attribute = AttributeDefinitionFactory(organization=organization)
    role = Role.objects.create(organization=organization, key="custom", name="Custom", custom_capabilities=[])
    token, _ = services.api_token_create(membership=member, by=member.user, name="target")
    extra_admin = MembershipFactory(organization=organization)
    assignment = RoleAssignment.objects.create(
        organization=organization, membership=extra_admin, role=Role.objects.get(key="org_admin")
    )
    return {
        "organization": organization.pk,
        "org_unit": member.org_unit_id,
        "empty_org_unit": services.org_unit_create(organization=organization, by=admin, name="Empty").pk,
        "job_role": job_role.pk,
        "location": location.pk,
        "attribute": attribute.pk,
        "person": member.pk,
        "role": role.pk,
        "assignment": assignment.pk,
        "token": token.pk,
    }


def send(client: APIClient, call: Call, rows: dict[str, int], data: dict | None = None):
    path = V1 + call.path.replace("{id}", str(rows[call.kind])) if call.kind else V1 + call.path
    return getattr(client, call.method)(path, data if data is not None else call.data, format="json")


def snapshot() -> tuple:
    from syllabus.accounts.models import ApiToken, AttributeDefinition, JobRole, Location, Membership, OrgUnit

    return (
        sorted(JobRole.objects.values_list("pk", "name")),
        sorted(Location.objects.values_list("pk", "name")),
        sorted(OrgUnit.objects.values_list("pk", "name", "path")),
        sorted(AttributeDefinition.objects.values_list("pk", "label")),
        sorted(Membership.objects.values_list("pk", "employee_id", "is_active")),
        sorted(Role.objects.values_list("pk", "name")),
        sorted(RoleAssignment.objects.values_list("pk", "membership_id", "role_id")),
        sorted(ApiToken.objects.values_list("pk", "revoked_at")),
    )


@pytest.mark.parametrize("call", ADMIN_WRITES, ids=lambda call: f"{call.method} {call.path}")
def test_learner_is_refused_every_admin_endpoint_and_changes_nothing(world, as_member, call):
    rows = rows_of(world.org, world.engineer, world.org_admin.user)
    client = as_member(world.learner)
    before = snapshot()
    data = call.data
    if call.path == "/role-assignments/" and call.method == "post":
        data = {"membership": world.learner.pk, "role": Role.objects.get(key="org_admin").pk}
    response = send(client, call, rows, data)
    # 403 for endpoints the learner may not use at all; 404 for someone else's row the learner may not see.
    assert response.status_code in (403, 404), (response.status_code, response.content)
    if response.status_code == 404:
        assert call.kind in ("person", "token")
    assert "results" not in response.json()
    assert snapshot() == before


@pytest.mark.parametrize("call", DETAIL_CALLS, ids=lambda call: f"{call.method} {call.path}")
def test_another_organisations_ids_are_not_found_for_its_admin_neighbour(world, as_member, call):
    rows = rows_of(world.other_org, world.outsider, world.outsider.user)
    client = as_member(world.org_admin)
    before = snapshot()
    response = send(client, call, rows)
    assert response.status_code == 404, (response.status_code, response.content)
    assert response.json()["error"]["code"] == "not_found"
    assert snapshot() == before


def v1_paths() -> list[str]:
    def walk(patterns, prefix: str) -> list[str]:
        out: list[str] = []
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                out += walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                out.append(prefix + str(pattern.pattern))
        return out

    return [path for path in walk(get_resolver().url_patterns, "/") if path.startswith("/api/v1/")]


def concrete(path: str) -> str:
    """A URL matching the pattern: each converter replaced by a value of its type."""
    path = re.sub(r"<int:\w+>", "1", path)
    path = re.sub(r"<uuid:\w+>", "00000000-0000-0000-0000-000000000001", path)
    return re.sub(r"<(?:str|slug):\w+>", "x", path)


NEED_NO_ORGANIZATION = {
    "/api/v1/me/",
    "/api/v1/organizations/",
    "/api/v1/organizations/<int:pk>/",
    "/api/v1/capabilities/",
}
# Anyone, signed in or not, in an organisation or not, may verify a certificate (it is rate limited per IP).
PUBLIC = {"/api/v1/certificates/verify/"}


def test_every_other_endpoint_needs_a_current_organisation(world):
    person = world.org_admin.user
    MembershipFactory(organization=world.other_org, user=person)  # two organisations, none chosen
    client = APIClient()
    client.force_login(person)
    checked = 0
    for path in v1_paths():
        if path in NEED_NO_ORGANIZATION or path in PUBLIC:
            continue
        response = client.get(concrete(path))
        if response.status_code == 405:  # POST-only actions
            response = client.post(concrete(path))
        assert response.status_code == 403, path
        assert response.json()["error"]["code"] == "no_organization", path
        checked += 1
    assert checked >= 18


def test_every_endpoint_refuses_anonymous_callers():
    client = APIClient()
    for path in v1_paths():
        if path in PUBLIC:
            continue
        response = client.get(concrete(path))
        if response.status_code == 405:
            response = client.post(concrete(path))
        assert response.status_code == 401, path
