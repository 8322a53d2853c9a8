"""/api/v1/certificates/: the list per persona with filters, one certificate with its links, the PDF, revoking and
drawing again — from the attacker's side, with constant query counts."""

# Fixtures imported from people_fixtures are redefined as test parameters, as pytest intends.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from syllabus.audit.models import AuditRecord
from syllabus.certificates import credentials
from syllabus.certificates.models import Certificate
from tests.api.conftest import V1, TokenClient, error_fields
from tests.certificates.conftest import NOW
from tests.certificates.people_fixtures import PDF_BYTES, issue, no_render, with_pdf  # noqa: F401
from tests.conftest import World
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

BASE = f"{V1}/certificates"


@pytest.fixture
def three(world: World, award, moved_clock) -> dict[str, Certificate]:  # type: ignore[no-untyped-def]
    return {
        "lena": issue(world.learner, award),
        "rita": issue(world.report, award, expires=NOW + dt.timedelta(days=10), score="88"),
        "eddie": issue(world.engineer, award, NOW - dt.timedelta(days=400), expires=NOW - dt.timedelta(days=1)),
    }


def names(response) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(row["person"]["name"] for row in response.json()["results"])


def test_each_persona_lists_what_they_may_see(world: World, three, officer, as_member: TokenClient) -> None:
    assert names(as_member(officer).get(f"{BASE}/")) == ["Eddie Engineer", "Lena Learner", "Rita Report"]
    assert names(as_member(world.manager).get(f"{BASE}/")) == ["Rita Report"]
    assert names(as_member(world.learner).get(f"{BASE}/")) == ["Lena Learner"]
    # Another organisation's admin, with their own token: their organisation has none.
    assert as_member(world.outsider).get(f"{BASE}/").json()["count"] == 0


def test_the_list_filters_and_refuses_bad_filters_by_name(world: World, three, officer, as_member: TokenClient) -> None:
    client = as_member(officer)
    assert names(client.get(f"{BASE}/", {"status": "expired"})) == ["Eddie Engineer"]
    assert names(client.get(f"{BASE}/", {"status": "expiring", "days": 30})) == ["Rita Report"]
    assert names(client.get(f"{BASE}/", {"org_unit": world.sales.pk})) == ["Lena Learner", "Rita Report"]
    assert names(client.get(f"{BASE}/", {"search": "ENGINEER"})) == ["Eddie Engineer"]
    assert names(client.get(f"{BASE}/", {"person": world.report.pk})) == ["Rita Report"]
    bad = client.get(f"{BASE}/", {"status": "fake", "days": 0, "org_unit": world.outsider.org_unit_id})
    assert bad.status_code == 400
    assert set(error_fields(bad)) == {"status", "days"}
    foreign_unit = client.get(f"{BASE}/", {"org_unit": world.outsider.org_unit_id})
    assert foreign_unit.status_code == 400 and error_fields(foreign_unit) == {
        "org_unit": "No org unit of the organisation has this id."
    }


def test_one_certificate_with_its_status_and_links(world: World, three, as_member: TokenClient) -> None:
    rita = with_pdf(three["rita"])
    body = as_member(world.report).get(f"{BASE}/{rita.public_id}/").json()
    assert body["id"] == str(rita.public_id) and body["status"] == "valid"
    assert body["score"] == "88.00" and body["course"]["title"] == "Anti-bribery"
    links = body["links"]
    assert links["verify"] == credentials.verify_url(rita)
    assert links["pdf"].endswith(f"/api/v1/certificates/{rita.public_id}/pdf/")
    assert links["badge_png"].endswith(f"/certificates/{rita.public_id}/badge.png")
    assert all(value.startswith("http") for value in links.values())
    assert as_member(world.report).get(f"{BASE}/{three['eddie'].public_id}/").status_code == 404
    eddie = as_member(world.engineer).get(f"{BASE}/{three['eddie'].public_id}/").json()
    assert eddie["status"] == "expired" and eddie["links"]["pdf"] is None


def test_others_certificates_are_not_found(world: World, three, as_member: TokenClient) -> None:
    lena = three["lena"]
    for person in (world.report, world.manager, world.outsider):
        client = as_member(person)
        for suffix in ("", "pdf/"):
            assert client.get(f"{BASE}/{lena.public_id}/{suffix}").status_code == 404
        assert client.post(f"{BASE}/{lena.public_id}/revoke/", {"reason": "x"}, format="json").status_code == 404
    assert as_member(world.learner).get(f"{BASE}/{uuid.uuid4()}/").status_code == 404
    assert as_member(world.learner).get(f"{BASE}/not-a-uuid/").status_code == 404


def test_the_pdf_downloads_once_drawn(world: World, three, as_member: TokenClient) -> None:
    lena = three["lena"]
    client = as_member(world.learner)
    assert client.get(f"{BASE}/{lena.public_id}/pdf/").status_code == 404
    with_pdf(lena)
    response = client.get(f"{BASE}/{lena.public_id}/pdf/", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="certificate-anti-bribery-2026-03-02.pdf"'
    assert b"".join(response.streaming_content) == PDF_BYTES


def test_revoking_needs_the_right_and_a_reason(world: World, three, officer, as_member: TokenClient) -> None:
    lena = three["lena"]
    # The holder sees it but may not revoke it; her manager-less colleague's manager neither.
    assert (
        as_member(world.learner).post(f"{BASE}/{lena.public_id}/revoke/", {"reason": "x"}, format="json").status_code
        == 403
    )
    client = as_member(officer)
    missing = client.post(f"{BASE}/{lena.public_id}/revoke/", {}, format="json")
    assert missing.status_code == 400 and "reason" in error_fields(missing)
    blank = client.post(f"{BASE}/{lena.public_id}/revoke/", {"reason": "   "}, format="json")
    assert blank.status_code == 400
    assert client.post(f"{BASE}/{lena.public_id}/revoke/", ["reason"], format="json").status_code == 400
    assert client.post(f"{BASE}/{lena.public_id}/revoke/", {"reason": "x" * 2001}, format="json").status_code == 400
    lena.refresh_from_db()
    assert lena.state == "valid"
    done = client.post(f"{BASE}/{lena.public_id}/revoke/", {"reason": "Issued in error"}, format="json")
    assert done.status_code == 200
    assert done.json()["status"] == "revoked" and done.json()["revoke_reason"] == "Issued in error"
    again = client.post(f"{BASE}/{lena.public_id}/revoke/", {"reason": "again"}, format="json")
    assert again.status_code == 400 and again.json()["error"]["message"] == "This certificate is already revoked."
    assert AuditRecord.objects.filter(action="certificate.revoked").count() == 1


def test_drawing_again_needs_the_right(world: World, three, officer, as_member: TokenClient, no_render) -> None:
    lena = three["lena"]
    assert as_member(world.learner).post(f"{BASE}/{lena.public_id}/rerender/").status_code == 403
    response = as_member(officer).post(f"{BASE}/{lena.public_id}/rerender/")
    assert response.status_code == 200 and response.json()["render_state"] == "pending"


@pytest.mark.parametrize("people", [3, 25])
def test_the_list_costs_the_same_queries_at_any_size(
    world: World, award, officer, as_member: TokenClient, moved_clock, django_assert_max_num_queries, people: int
) -> None:
    for _ in range(people):
        issue(MembershipFactory(organization=world.org, org_unit=world.sales), award)
    client = as_member(officer)
    with django_assert_max_num_queries(10):
        response = client.get(f"{BASE}/")
    assert response.json()["count"] == people
    manager = as_member(world.manager)
    with django_assert_max_num_queries(10):
        assert manager.get(f"{BASE}/").status_code == 200
