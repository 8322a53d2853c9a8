"""The audit trail pages, from each persona's side: who may read, what they see, filters, CSV, verify now."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from syllabus.audit import services
from syllabus.audit.models import AuditRecord
from syllabus.core import clock
from tests.audit.conftest import RECORDS, from_ip, sign_in, sql, write
from tests.factories import UserFactory, grant

pytestmark = pytest.mark.django_db

TRAIL = reverse("audit:trail")
EXPORT = reverse("audit:export")
VERIFY = reverse("audit:verify")


@pytest.fixture
def trail(world):
    """A few records in Acme's chain, one in Globex's, one in the platform chain."""
    with from_ip("203.0.113.77"):
        write(world.org, "membership.deactivated", world.org_admin.user, target=world.learner)
    write(world.org, "role.assigned", world.org_admin.user, target=world.instructor, after={"role": "instructor"})
    write(world.org, "auth.signed_in", world.engineer.user, target=world.engineer.user)
    write(world.other_org, "membership.deactivated", world.outsider.user, target=world.outsider)
    write(None, "auth.sign_in_failed", None, after={"reason": "password"})


def actions_in(response) -> list[str]:
    return [row.record.action for row in response.context["rows"]]


def csv_rows(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


# --- who may read -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [TRAIL, EXPORT, VERIFY])
def test_a_learner_is_refused_every_audit_page(client, world, trail, url):
    sign_in(client, world.learner.user)
    assert client.get(url).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client, world):
    response = client.get(TRAIL)
    assert response.status_code == 302 and reverse("accounts:sign-in") in response["Location"]


def test_an_org_admin_sees_their_organisations_records_and_nobody_elses(client, world, trail):
    sign_in(client, world.org_admin.user)
    response = client.get(TRAIL)
    assert response.status_code == 200
    assert actions_in(response) == ["auth.signed_in", "role.assigned", "membership.deactivated"]
    assert b"Oscar Outsider" not in response.content


@pytest.mark.parametrize("role", ["auditor", "compliance_officer"])
def test_auditors_and_compliance_officers_can_read_the_trail(client, world, trail, role):
    grant(world.engineer, role)
    sign_in(client, world.engineer.user)
    response = client.get(TRAIL)
    assert response.status_code == 200 and len(actions_in(response)) == 3
    assert b"Audit trail" in response.content


def test_the_menu_shows_the_audit_trail_only_to_those_who_may_read_it(client, world):
    sign_in(client, world.org_admin.user)
    assert TRAIL.encode() in client.get(reverse("web:home")).content
    sign_in(client, world.learner.user)
    assert TRAIL.encode() not in client.get(reverse("web:home")).content


def test_records_show_names_changes_and_the_address(client, world, trail):
    sign_in(client, world.org_admin.user)
    content = client.get(TRAIL).content.decode()
    assert "Olivia Admin" in content and "Lena Learner" in content and "Ingrid Instructor" in content
    assert "Person deactivated" in content and "Role assigned" in content
    assert "203.0.113.77" in content
    assert "instructor" in content


def test_the_platform_chain_is_for_platform_admins_only(client, world, trail):
    sign_in(client, world.platform_admin, world.org)
    response = client.get(TRAIL, {"chain": "platform"})
    assert actions_in(response) == ["auth.sign_in_failed"]
    assert response.context["platform"] is True
    sign_in(client, world.org_admin.user)
    response = client.get(TRAIL, {"chain": "platform"})
    assert "auth.sign_in_failed" not in actions_in(response)
    assert "chain" not in response.context["form"].fields


# --- filters --------------------------------------------------------------------------------------------------


def test_filter_by_action_actor_target_type_and_text(client, world, trail):
    sign_in(client, world.org_admin.user)
    assert actions_in(client.get(TRAIL, {"action": "role.assigned"})) == ["role.assigned"]
    assert actions_in(client.get(TRAIL, {"actor": "eddie"})) == ["auth.signed_in"]
    assert actions_in(client.get(TRAIL, {"target_type": "accounts.user"})) == ["auth.signed_in"]
    assert actions_in(client.get(TRAIL, {"q": "Ingrid"})) == ["role.assigned"]
    assert actions_in(client.get(TRAIL, {"q": "203.0.113.77"})) == ["membership.deactivated"]
    assert actions_in(client.get(TRAIL, {"q": "instructor"})) == ["role.assigned"]


def test_filter_by_date_range(client, world, monkeypatch):
    for day in (1, 2, 3):
        monkeypatch.setattr(clock, "now", lambda day=day: dt.datetime(2026, 3, day, 12, tzinfo=dt.UTC))
        write(world.org, f"test.day{day}", world.org_admin.user)
    sign_in(client, world.org_admin.user)
    response = client.get(TRAIL, {"date_from": "2026-03-02", "date_to": "2026-03-02"})
    assert actions_in(response) == ["test.day2"]
    assert actions_in(client.get(TRAIL, {"date_from": "2026-03-02"})) == ["test.day3", "test.day2"]


def test_an_invalid_filter_is_ignored_not_an_error(client, world, trail):
    sign_in(client, world.org_admin.user)
    response = client.get(TRAIL, {"date_from": "not-a-date", "page": "999"})
    assert response.status_code == 200 and len(actions_in(response)) == 3


def test_an_htmx_request_gets_only_the_results(client, world, trail):
    sign_in(client, world.org_admin.user)
    response = client.get(TRAIL, {"action": "role.assigned"}, HTTP_HX_REQUEST="true")
    assert b"<h1" not in response.content and b"Role assigned" in response.content
    assert "HX-Request" in response["Vary"]


def test_the_page_costs_the_same_queries_for_5_or_60_records(client, world, django_assert_max_num_queries):
    sign_in(client, world.org_admin.user)
    for _ in range(5):
        write(world.org, "test.x", world.org_admin.user, target=world.learner)
    client.get(TRAIL)  # warm the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(TRAIL)
    with from_ip("192.0.2.1"):
        for index in range(55):
            people = (world.learner, world.engineer, world.report, world.manager)
            write(world.org, "test.x", UserFactory(), target=people[index % 4])
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(TRAIL)
    assert len(response.context["rows"]) == 50


# --- CSV -----------------------------------------------------------------------------------------------------


def test_the_csv_export_holds_the_filtered_records_with_names_and_hashes(client, world, trail):
    sign_in(client, world.org_admin.user)
    response = client.get(EXPORT, {"action": "membership.deactivated"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"] and "audit-acme-" in response["Content-Disposition"]
    rows = csv_rows(response)
    assert len(rows) == 1
    line = rows[0]
    record = AuditRecord.objects.get(organization=world.org, action="membership.deactivated")
    assert (line["actor"], line["target"], line["ip_address"]) == ("Olivia Admin", "Lena Learner", "203.0.113.77")
    assert (line["seq"], line["hash"], line["prev_hash"]) == (str(record.seq), record.hash, record.prev_hash)


def test_exporting_is_itself_recorded_without_what_was_typed(client, world, trail):
    sign_in(client, world.org_admin.user)
    b"".join(client.get(EXPORT, {"actor": "Lena", "action": "role.assigned"}).streaming_content)
    record = AuditRecord.objects.filter(organization=world.org).order_by("-seq").first()
    assert record.action == "audit.exported"
    assert record.after == {"filters": ["action", "actor"], "action": "role.assigned"}


def test_csv_cells_cannot_smuggle_spreadsheet_formulas(client, world):
    write(world.org, "test.x", UserFactory(display_name='=HYPERLINK("http://evil")'))
    sign_in(client, world.org_admin.user)
    line = csv_rows(client.get(EXPORT, {"action": "test.x"}))[0]
    assert line["actor"].startswith("'=")


def test_the_csv_export_streams_in_batches_with_constant_queries(client, world, django_assert_max_num_queries):
    from syllabus.audit import csv_export

    for _ in range(7):
        write(world.org, "test.x", world.org_admin.user, target=world.learner)
    sign_in(client, world.org_admin.user)
    original = csv_export.BATCH_SIZE
    csv_export.BATCH_SIZE = 3
    try:
        response = client.get(EXPORT, {"action": "test.x"})
        with django_assert_max_num_queries(3 * 3 + 1):  # per batch: records, subjects, parts; + the empty end
            rows = csv_rows(response)
    finally:
        csv_export.BATCH_SIZE = original
    assert len(rows) == 7


# --- integrity -------------------------------------------------------------------------------------------------


def test_the_page_shows_the_head_and_the_latest_anchors(client, world, trail):
    services.audit_anchor_all()
    sign_in(client, world.org_admin.user)
    response = client.get(TRAIL)
    head = response.context["chain"]
    assert head.seq == 3
    assert head.head_hash.encode() in response.content
    assert [anchor.seq for anchor in response.context["anchors"]] == [3]


def test_verify_now_reports_an_intact_chain(client, world, trail):
    sign_in(client, world.org_admin.user)
    response = client.get(VERIFY, HTTP_HX_REQUEST="true")
    assert b"the chain is intact (3 records checked" in response.content
    assert b"<h1" not in response.content


def test_verify_now_reports_tampering(client, world, trail):
    record = AuditRecord.objects.get(organization=world.org, seq=2)
    sql(f"UPDATE {RECORDS} SET action = %s WHERE id = %s", ["test.innocent", record.pk])
    sign_in(client, world.org_admin.user)
    response = client.get(VERIFY)
    assert response.status_code == 200
    assert b"failed verification" in response.content and b"seq 2: changed" in response.content
