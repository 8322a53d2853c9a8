"""/api/v1/audit/: read-only records (JSON and CSV), anchors and verification, from the attacker's side too."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from syllabus.audit import services
from syllabus.audit.models import AuditRecord
from tests.api.conftest import V1
from tests.audit.conftest import RECORDS, from_ip, sql, write
from tests.factories import UserFactory, grant

pytestmark = pytest.mark.django_db

RECORDS_URL = f"{V1}/audit/records/"
CSV_URL = f"{V1}/audit/records.csv"
ANCHORS_URL = f"{V1}/audit/anchors/"
VERIFY_URL = f"{V1}/audit/verify/"


@pytest.fixture
def trail(world):
    with from_ip("203.0.113.77"):
        write(world.org, "membership.deactivated", world.org_admin.user, target=world.learner)
    write(world.org, "role.assigned", world.org_admin.user, target=world.instructor, after={"role": "instructor"})
    write(world.other_org, "membership.deactivated", world.outsider.user, target=world.outsider)
    write(None, "auth.sign_in_failed", None, after={"reason": "password"})


def body_csv(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_an_auditor_lists_the_records_of_their_organisation(as_member, world, trail):
    grant(world.engineer, "auditor")
    response = as_member(world.engineer).get(RECORDS_URL)
    assert response.status_code == 200, response.json()
    results = response.json()["results"]
    # The auditor's own token creation is not audited here (no events run in this test), so two records.
    assert [r["action"] for r in results] == ["role.assigned", "membership.deactivated"]
    first = results[1]
    assert first["actor"]["name"] == "Olivia Admin"
    assert first["target"]["name"] == "Lena Learner"
    assert first["ip_address"] == "203.0.113.77"
    assert len(first["hash"]) == 64


def test_a_learner_is_refused(as_member, world, trail):
    for url in (RECORDS_URL, CSV_URL, ANCHORS_URL, VERIFY_URL):
        assert as_member(world.learner).get(url).status_code == 403


def test_a_refused_csv_request_answers_in_the_json_error_format(as_member, world, trail):
    for response in (
        as_member(world.learner).get(RECORDS_URL, {"format": "csv"}),
        as_member(world.learner).get(CSV_URL),
    ):
        assert response.status_code == 403
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["error"]["status"] == 403


def test_another_organisations_records_are_invisible(as_member, world, trail):
    response = as_member(world.outsider).get(RECORDS_URL)
    assert [r["action"] for r in response.json()["results"]] == ["membership.deactivated"]
    assert response.json()["results"][0]["target"]["name"] == "Oscar Outsider"


def test_the_platform_chain_is_for_platform_admins_only(as_member, world, trail):
    assert as_member(world.org_admin).get(RECORDS_URL, {"chain": "platform"}).status_code == 403
    from rest_framework.test import APIClient

    from syllabus.accounts.middleware import SESSION_KEY

    client = APIClient()
    client.force_login(world.platform_admin)
    session = client.session
    session[SESSION_KEY] = world.org.pk
    session.save()
    response = client.get(RECORDS_URL, {"chain": "platform"})
    assert [r["action"] for r in response.json()["results"]] == ["auth.sign_in_failed"]


def test_filters_narrow_the_list(as_member, world, trail):
    client = as_member(world.org_admin)
    assert [r["action"] for r in client.get(RECORDS_URL, {"action": "role.assigned"}).json()["results"]] == [
        "role.assigned"
    ]
    assert client.get(RECORDS_URL, {"text": "Ingrid"}).json()["count"] == 1
    assert client.get(RECORDS_URL, {"date_from": "2000-01-01", "date_to": "2000-01-02"}).json()["count"] == 0
    assert client.get(RECORDS_URL, {"date_from": "yesterday"}).status_code == 400


def test_there_are_no_write_endpoints(as_member, world, trail):
    client = as_member(world.org_admin)
    for url in (RECORDS_URL, CSV_URL, ANCHORS_URL, VERIFY_URL):
        assert client.post(url, {}).status_code == 405
        assert client.delete(url).status_code == 405


def test_csv_by_format_parameter_and_by_suffix(as_member, world, trail):
    client = as_member(world.org_admin)
    for response in (client.get(RECORDS_URL, {"format": "csv"}), client.get(CSV_URL)):
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        rows = body_csv(response)
        assert [row["action"] for row in rows][-2:] == ["role.assigned", "membership.deactivated"]
    assert AuditRecord.objects.filter(organization=world.org, action="audit.exported").count() == 2


def test_list_queries_do_not_grow_with_the_records(as_member, world, django_assert_max_num_queries):
    client = as_member(world.org_admin)
    write(world.org, "test.x", world.org_admin.user, target=world.learner)
    with CaptureQueriesContext(connection) as few:
        client.get(RECORDS_URL)
    with from_ip("192.0.2.1"):
        for _ in range(30):
            write(world.org, "test.x", UserFactory(), target=world.engineer)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(RECORDS_URL).json()["count"] == 31


def test_anchors_and_verification(as_member, world, trail):
    services.audit_anchor_all()
    client = as_member(world.org_admin)
    anchors = client.get(ANCHORS_URL).json()
    assert [anchor["seq"] for anchor in anchors] == [2]
    assert client.get(VERIFY_URL).json()["ok"] is True
    record = AuditRecord.objects.get(organization=world.org, seq=1)
    sql(f"UPDATE {RECORDS} SET action = %s WHERE id = %s", ["test.innocent", record.pk])
    result = client.get(VERIFY_URL).json()
    assert result["ok"] is False
    assert result["problems"] == [
        {"kind": "changed", "first_seq": 1, "last_seq": 1, "detail": "its content does not match its hash"}
    ]
