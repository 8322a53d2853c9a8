"""Pagination and the one error format, seen from a client."""

from __future__ import annotations

import pytest

from syllabus.core import parsers as core_parsers
from tests.api.conftest import V1
from tests.factories import JobRoleFactory

pytestmark = pytest.mark.django_db


def test_lists_are_paginated_with_page_and_page_size(world, as_member):
    for index in range(7):
        JobRoleFactory(organization=world.org, name=f"Role {index}")
    client = as_member(world.learner)
    first = client.get(f"{V1}/job-roles/", {"page_size": 3}).json()
    assert first["count"] == 7
    assert [row["name"] for row in first["results"]] == ["Role 0", "Role 1", "Role 2"]
    assert first["previous"] is None
    assert "page=2" in first["next"]
    last = client.get(f"{V1}/job-roles/", {"page_size": 3, "page": 3}).json()
    assert [row["name"] for row in last["results"]] == ["Role 6"]
    assert last["next"] is None


def test_a_page_past_the_end_is_a_404_in_the_error_format(world, as_member):
    response = as_member(world.learner).get(f"{V1}/job-roles/", {"page": 99})
    assert response.status_code == 404
    assert response.json()["error"]["status"] == 404


def test_not_found_uses_the_error_format(world, as_member):
    response = as_member(world.learner).get(f"{V1}/job-roles/999999/")
    assert response.status_code == 404
    assert response.json() == {"error": {"status": 404, "code": "not_found", "message": "Not found.", "errors": []}}


def test_malformed_json_is_a_400_in_the_error_format(world, as_member):
    response = as_member(world.org_admin).generic(
        "POST", f"{V1}/job-roles/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_json_nested_deeper_than_python_can_parse_is_a_400_not_a_server_error(world, as_member):
    # json.loads raises RecursionError, which DRF's own parser lets through as a 500.
    body = '{"name": ' + "[" * 20_000
    response = as_member(world.org_admin).post(f"{V1}/job-roles/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == core_parsers.NESTED_TOO_DEEPLY


def test_method_not_allowed_uses_the_error_format(world, as_member):
    response = as_member(world.org_admin).put(f"{V1}/job-roles/", {}, format="json")
    assert response.status_code == 405
    assert response.json()["error"]["status"] == 405
