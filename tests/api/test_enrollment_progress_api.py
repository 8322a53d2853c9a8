"""The enrollment and progress endpoints in the API as a whole: documented in the schema, reachable with a session
as with a token, unauthenticated callers refused in the one error format."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.api.conftest import V1
from tests.factories import ActivityFactory, CourseFactory, SectionFactory, publish, staff

pytestmark = pytest.mark.django_db

PATHS = {
    "/api/v1/enrollments/": {"get", "post"},
    "/api/v1/enrollments/bulk/": {"post"},
    "/api/v1/enrollments/{id}/": {"get", "patch"},
    "/api/v1/enrollments/{id}/approve/": {"post"},
    "/api/v1/enrollments/{id}/decline/": {"post"},
    "/api/v1/enrollments/{id}/withdraw/": {"post"},
    "/api/v1/enrollments/{id}/progress/": {"get"},
    "/api/v1/completions/": {"get"},
    "/api/v1/people/{membership_id}/transcript/": {"get"},
    "/api/v1/courses/{id}/groups/": {"get", "post"},
    "/api/v1/course-groups/{id}/": {"get", "patch", "delete"},
    "/api/v1/course-groups/{id}/members/": {"post"},
    "/api/v1/enrollment-rules/": {"get", "post"},
    "/api/v1/enrollment-rules/{id}/": {"get", "patch", "delete"},
    "/api/v1/courses/{id}/enrollment-options/": {"get", "put"},
}


def test_every_endpoint_is_documented_with_a_summary_and_its_tag(tmp_path) -> None:
    target = tmp_path / "schema.json"
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", "--file", str(target))
    schema = json.loads(target.read_text())
    for path, methods in PATHS.items():
        assert path in schema["paths"], path
        operations = schema["paths"][path]
        assert methods <= set(operations), (path, set(operations))
        for method in methods:
            operation = operations[method]
            assert operation.get("summary"), (path, method)
            assert operation["tags"] in (["enrollments"], ["progress"]), (path, method)
            assert "401" in operation["responses"], (path, method)


@pytest.mark.parametrize("url", ["/enrollments/", "/completions/", "/enrollment-rules/"])
def test_unauthenticated_callers_get_401(url: str) -> None:
    response = APIClient().get(f"{V1}{url}")
    assert response.status_code == 401
    assert response.json()["error"]["status"] == 401


def test_a_signed_in_session_uses_the_enrollment_api_with_the_csrf_token(world) -> None:
    course = CourseFactory(organization=world.org, title="Fire safety")
    staff(course, world.instructor, "owner")
    ActivityFactory(section=SectionFactory(course=course))
    publish(course, world.instructor.user)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.instructor.user)
    assert client.get(f"{V1}/enrollments/").status_code == 200
    body = {"course": course.pk, "person": world.learner.pk}
    refused = client.post(f"{V1}/enrollments/", body, format="json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]["message"]
    secret = "a" * 32
    client.cookies["csrftoken"] = secret
    created = client.post(f"{V1}/enrollments/", body, format="json", HTTP_X_CSRFTOKEN=secret)
    assert created.status_code == 201, created.json()
    assert created.json()["method"] == "api"
