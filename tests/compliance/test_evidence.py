"""The evidence pack: the CSV's columns and rows (cycles, completions, exemptions, signatures, audit ids), the
audit record with the SHA-256 of the bytes streamed, the PDF summary, permissions and constant query counts."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from syllabus.audiences import services as audience_services
from syllabus.audit.models import AuditRecord
from syllabus.audit.services import audit_record
from syllabus.compliance import evaluation, evidence
from syllabus.compliance.models import Assignment, Exemption
from syllabus.compliance.services.signatures import Credentials, signature_create
from syllabus.progress.models import Completion
from tests.compliance.conftest import Builder, Clock, complete
from tests.conftest import World
from tests.factories import PASSWORD, MembershipFactory, grant

CSV_URL = "compliance:evidence"


def _rows(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode())))


@pytest.fixture
def auditor(world: World):
    person = MembershipFactory(organization=world.org, org_unit=world.hq, user__display_name="Audrey Auditor")
    grant(person, "auditor")
    return person


@pytest.fixture
def history(world: World, sales, course, build: Builder, officer, moved_clock: Clock):
    """A yearly program with signed completions (assigned 2026-03-02, due 2026-04-01):
    - Lena completes on 2026-03-10 (score 92, version "1.2") and signs the same day; her cycle 1 expires on
      2027-03-10 and cycle 2 begins;
    - Rita gets an approved extension to 2026-05-01 (signed by the officer);
    - Ivan has an approved exemption without end.
    The clock ends on 2027-03-20."""
    program = build.program(
        sales, [course], valid_months=12, window_days=30, require_signature=True, signature_meaning="I completed it"
    )
    moved_clock.to(dt.date(2026, 3, 10))
    completion = complete(world.learner, course, moved_clock.now, score="92")
    Completion.objects.filter(pk=completion.pk).update(version_label="1.2")
    signature_create(
        request=None,
        user=world.learner.user,
        membership=world.learner,
        meaning=program.signature_meaning,
        record_type="completion",
        record_id=completion.pk,
        record={"course": course.title},
        credentials=Credentials(password=PASSWORD),
        program=program,
    )
    evaluation.evaluate_program(program, membership_ids=[world.learner.pk])
    for membership, kind, extra in (
        (world.report, Exemption.Kind.EXTENSION, {"extend_to": dt.date(2026, 5, 1)}),
        (world.indirect_report, Exemption.Kind.EXEMPTION, {}),
    ):
        assignment = Assignment.objects.get(program=program, membership=membership)
        exemption = Exemption.objects.create(
            organization=world.org,
            program=program,
            assignment=assignment,
            membership=membership,
            kind=kind,
            cycle=1,
            reason="On leave",
            state=Exemption.State.APPROVED,
            requested_by=membership.user,
            requested_at=moved_clock.now,
            decided_by=officer.user,
            decided_at=moved_clock.now,
            **extra,
        )
        signature = signature_create(
            request=None,
            user=officer.user,
            membership=officer,
            meaning="I approve this",
            record_type="exemption",
            record_id=exemption.pk,
            record={"kind": kind},
            credentials=Credentials(password=PASSWORD),
            program=program,
        )
        Exemption.objects.filter(pk=exemption.pk).update(signature=signature)
        audit_record(organization=world.org, action="compliance.program_changed", actor=officer.user, target=exemption)
        evaluation.evaluate_program(program, membership_ids=[membership.pk])
    moved_clock.to(dt.date(2027, 3, 20))
    evaluation.evaluate_program(program)
    program.refresh_from_db()
    return program


def _download(client, program, start: str, end: str, kind: str = "csv"):
    return client.get(reverse(CSV_URL), {"program": program.pk, "start": start, "end": end, "format": kind})


def test_the_csv_lists_every_cycle_with_its_evidence(client, world: World, history, officer) -> None:
    client.force_login(officer.user)
    response = _download(client, history, "2026-01-01", "2027-03-20")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="evidence-anti-bribery-2026-')
    rows = _rows(b"".join(response.streaming_content))
    assert list(rows[0]) == evidence.columns()
    lena = [row for row in rows if row["Name"] == "Lena Learner"]
    assert [row["Cycle"] for row in lena] == ["1", "2"]
    first = lena[0]
    assert (first["Completed with"], first["Version"], first["Score (%)"]) == ("Anti-bribery", "1.2", "92.00")
    assert (first["Completed on"], first["Expires on"], first["Cycle outcome"]) == (
        "2026-03-10",
        "2027-03-10",
        "Completed, then expired",
    )
    assert "Lena Learner, I completed it" in first["Signatures"] and "sha256:" in first["Signatures"]
    assert first["Status at the end of the range"] == "Expired"
    rita = next(row for row in rows if row["Name"] == "Rita Report")
    assert (rita["Due on"], rita["Original due date (before an extension)"]) == ("2026-05-01", "2026-04-01")
    assert "Extension of the due date, Approved, new due date 2026-05-01" in rita["Exemptions and extensions"]
    # The reason may be about health: only its SHA-256 leaves the system.
    assert rita["exemption_reason_sha256"] == hashlib.sha256(b"On leave").hexdigest()
    assert "Carla Compliance, I approve this" in rita["Signatures"]
    ivan = next(row for row in rows if row["Name"] == "Ivan Indirect")
    assert ivan["Status at the end of the range"] == "Exempt"
    exemption = Exemption.objects.get(membership=world.indirect_report)
    audit_ids = set(
        AuditRecord.objects.filter(
            Q(target_type="compliance.exemption", target_id=str(exemption.pk))
            | Q(target_type="compliance.signature", target_id=str(exemption.signature_id))
        ).values_list("pk", flat=True)
    )
    assert len(audit_ids) == 2 and set(map(int, ivan["Audit record ids"].split())) == audit_ids


def test_the_range_picks_the_cycles_and_the_status_at_its_end(client, world: World, history, officer) -> None:
    client.force_login(officer.user)
    rows = _rows(b"".join(_download(client, history, "2026-03-01", "2026-03-31").streaming_content))
    lena = [row for row in rows if row["Name"] == "Lena Learner"]
    assert [row["Cycle"] for row in lena] == ["1"] and lena[0]["Status at the end of the range"] == "Compliant"
    rita = next(row for row in rows if row["Name"] == "Rita Report")
    # Her extension (to 2026-05-01) was approved on 2026-03-10: "due soon" only from 2026-04-01.
    assert rita["Status at the end of the range"] == "Not yet due"


def test_an_unassigned_person_shows_when_they_left(client, world: World, sales, course, build, officer, moved_clock):
    from syllabus.accounts import services as accounts_services

    program = build.program(sales, [course])
    moved_clock.to(dt.date(2026, 3, 20))
    accounts_services.membership_update(membership=world.manager, by=world.org_admin.user, org_unit=world.engineering)
    audience_services.audience_recompute(audience=sales)
    evaluation.evaluate_program(program)
    client.force_login(officer.user)
    rows = _rows(b"".join(_download(client, program, "2026-03-01", "2026-03-31").streaming_content))
    max_rows = [row for row in rows if row["Name"] == "Max Manager"]
    assert len(max_rows) == 1
    assert (max_rows[0]["Unassigned on"], max_rows[0]["Cycle outcome"]) == (
        "2026-03-20",
        "Ended when the person was unassigned",
    )
    assert max_rows[0]["Status at the end of the range"] == "No longer assigned"
    # A range after they left does not list them.
    rows = _rows(b"".join(_download(client, program, "2026-03-21", "2026-03-31").streaming_content))
    assert "Max Manager" not in {row["Name"] for row in rows}


def test_the_export_is_audited_with_the_hash_of_the_bytes_sent(client, world: World, history, officer) -> None:
    client.force_login(officer.user)
    response = _download(client, history, "2026-01-01", "2027-03-20")
    assert not AuditRecord.objects.filter(action="compliance.evidence_exported").exists()  # not before the end
    requested = AuditRecord.objects.get(action="compliance.evidence_requested")  # but the request is on record
    assert requested.summary == {"format": "csv", "program_id": history.pk, "from": "2026-01-01", "to": "2027-03-20"}
    assert requested.target_type == "compliance.program" and requested.target_id == str(history.pk)
    body = b"".join(response.streaming_content)
    record = AuditRecord.objects.get(action="compliance.evidence_exported")
    assert record.summary["sha256"] == hashlib.sha256(body).hexdigest()
    assert record.summary["rows"] == len(_rows(body)) == 5
    assert (record.summary["from"], record.summary["to"], record.summary["format"]) == (
        "2026-01-01",
        "2027-03-20",
        "csv",
    )
    assert record.target_type == "compliance.program" and record.target_id == str(history.pk)


def test_the_pdf_summary(client, world: World, history, auditor) -> None:
    client.force_login(auditor.user)
    response = _download(client, history, "2026-01-01", "2027-03-20", "pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    record = AuditRecord.objects.get(action="compliance.evidence_exported")
    assert record.summary["sha256"] == hashlib.sha256(response.content).hexdigest()
    summary = evidence.evidence_summary(program=history, start=dt.date(2026, 1, 1), end=dt.date(2027, 3, 20))
    assert (summary.total, summary.at_end["expired"], summary.at_end["exempt"]) == (4, 1, 1)
    assert summary.exemptions_approved == 2 and summary.signatures == 3


def test_the_rules_in_words(world: World, history) -> None:
    lines = evidence.rules_in_words(history)
    assert "Due 30 days after the person is assigned" in lines
    assert "Valid for 12 months" in lines and "Recertification opens 30 days before expiry" in lines


def test_a_backwards_range_is_an_error_on_the_field(client, world: World, history, officer) -> None:
    client.force_login(officer.user)
    response = _download(client, history, "2026-05-01", "2026-04-01")
    assert response.status_code == 200
    html = response.content.decode()
    assert evidence.RANGE_BACKWARDS in html and 'id="id_end_error"' in html


def test_only_officers_and_auditors_export(client, world: World, history) -> None:
    for person in (world.manager, world.learner):
        client.force_login(person.user)
        assert _download(client, history, "2026-01-01", "2026-12-31").status_code == 403
        response = client.get(
            reverse("api:v1:compliance-evidence-csv"),
            {"program": history.pk, "start": "2026-01-01", "end": "2026-12-31"},
        )
        assert response.status_code == 403
    assert not AuditRecord.objects.filter(action="compliance.evidence_exported").exists()


def test_another_organisations_program_is_not_found(client, world: World, history) -> None:
    client.force_login(world.outsider.user)
    assert _download(client, history, "2026-01-01", "2026-12-31").status_code == 404
    response = client.get(
        reverse("api:v1:compliance-evidence-csv"), {"program": history.pk, "start": "2026-01-01", "end": "2026-12-31"}
    )
    assert response.status_code == 404


def test_the_api_streams_the_same_pack(client, world: World, history, auditor) -> None:
    client.force_login(auditor.user)
    url = reverse("api:v1:compliance-evidence-csv")
    response = client.get(url, {"program": history.pk, "start": "2026-01-01", "end": "2027-03-20"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert len(_rows(body)) == 5
    assert (
        AuditRecord.objects.get(action="compliance.evidence_exported").summary["sha256"]
        == hashlib.sha256(body).hexdigest()
    )
    bad = client.get(url, {"program": history.pk, "start": "2026-05-01", "end": "2026-04-01"})
    assert bad.status_code == 400


def test_the_pack_takes_a_constant_number_of_queries(
    world: World, sales, course, build: Builder, officer, moved_clock: Clock, monkeypatch
) -> None:
    # Batches of 3 so that the sizes below take one and three batches.
    monkeypatch.setattr(evidence, "BATCH", 3)
    program = build.program(sales, [course], valid_months=12)
    for membership in (world.learner, world.report):
        complete(membership, course, moved_clock.now)
    evaluation.evaluate_program(program, full=True)
    start, end = dt.date(2026, 1, 1), dt.date(2026, 12, 31)

    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            rows = list(evidence.evidence_rows(program=program, start=start, end=end))
        return len(captured), len(rows)

    small, rows_small = queries()
    for index in range(5):
        MembershipFactory(organization=world.org, org_unit=world.sales_east, user__display_name=f"Extra {index}")
    audience_services.audience_recompute(audience=sales)
    evaluation.evaluate_program(program)
    large, rows_large = queries()
    assert (rows_small, rows_large) == (4, 9)
    batches_small, batches_large = 2, 3  # ceil(4 / 3), ceil(9 / 3)
    per_batch = (large - small) // (batches_large - batches_small)
    # Every batch costs the same, whatever is in it: the first run is 2 batches of that cost plus a fixed part.
    assert small - batches_small * per_batch == large - batches_large * per_batch
    assert per_batch <= 8


# --- fixes after the review (X2) -----------------------------------------------------------------------------------


def test_exemption_reasons_never_appear_in_words(client, world: World, history, officer) -> None:
    Exemption.objects.filter(membership=world.indirect_report).update(
        reason="Chemotherapy until May", decision_note="Approved on the doctor's letter"
    )
    client.force_login(officer.user)
    body = b"".join(_download(client, history, "2026-01-01", "2027-03-20").streaming_content)
    assert b"Chemotherapy" not in body and b"On leave" not in body
    ivan = next(row for row in _rows(body) if row["Name"] == "Ivan Indirect")
    assert ivan["exemption_reason_sha256"] == hashlib.sha256(b"Chemotherapy until May").hexdigest()
    assert "note: Approved on the doctor's letter" in ivan["Exemptions and extensions"]  # officers' notes stay


def test_an_abandoned_download_leaves_the_request_on_record_and_nothing_more(
    client, world: World, history, officer, monkeypatch
) -> None:
    monkeypatch.setattr(evidence, "BATCH", 1)  # several chunks, so the client can leave half-way
    # The client goes away half-way: the stream's generator is closed (GeneratorExit). Driven directly, as the
    # server would: closing through the test client's response would also end the test's database connection.
    stream = evidence.evidence_csv(
        program=history, start=dt.date(2026, 1, 1), end=dt.date(2027, 3, 20), by=officer.user
    )
    assert AuditRecord.objects.filter(action="compliance.evidence_requested").count() == 1
    next(stream)
    next(stream)
    stream.close()
    assert not AuditRecord.objects.filter(action="compliance.evidence_exported").exists()
    assert AuditRecord.objects.filter(action="compliance.evidence_requested").count() == 1


def test_the_api_records_the_request_before_streaming(client, world: World, history, auditor) -> None:
    client.force_login(auditor.user)
    url = reverse("api:v1:compliance-evidence-csv")
    response = client.get(url, {"program": history.pk, "start": "2026-01-01", "end": "2027-03-20"})
    assert response.status_code == 200
    assert AuditRecord.objects.filter(action="compliance.evidence_requested").count() == 1
    assert not AuditRecord.objects.filter(action="compliance.evidence_exported").exists()


@pytest.mark.parametrize(("start", "end"), [("1899-12-31", "1900-06-01"), ("2200-01-01", "9999-12-31")])
def test_ranges_outside_the_calendar_bounds_are_field_errors(client, world: World, history, officer, start, end):
    client.force_login(officer.user)
    response = _download(client, history, start, end)
    assert response.status_code == 200
    assert "Pick a day between 1 January 1900 and 31 December 2200." in response.content.decode()
    api = client.get(reverse("api:v1:compliance-evidence-csv"), {"program": history.pk, "start": start, "end": end})
    assert api.status_code == 400
    assert not AuditRecord.objects.filter(action__startswith="compliance.evidence").exists()


def test_the_rules_name_the_courses_grace_reminders_signatures_and_gating(world: World, history) -> None:
    history.grace_days = 5
    history.reminder_days = [7, 14]
    history.gating = True
    lines = evidence.rules_in_words(history)
    assert "Courses: Anti-bribery" in lines
    assert "Grace period: 5 days" in lines
    assert any(line.startswith("Reminders: 14, 7 days before the due date") for line in lines)
    assert "Completions are signed electronically: “I completed it”" in lines
    assert "Overdue or expired people are sent to their compliance training when they sign in" in lines


def test_the_pdf_shows_dates_in_words(world: World, history, auditor, monkeypatch) -> None:
    from django.template import loader

    rendered: list[str] = []
    real = loader.render_to_string

    def spy(name, context=None, *args, **kwargs):
        html = real(name, context, *args, **kwargs)
        rendered.append(html)
        return html

    monkeypatch.setattr(evidence, "render_to_string", spy)
    evidence.evidence_pdf(program=history, start=dt.date(2026, 1, 1), end=dt.date(2027, 3, 20), by=auditor.user)
    [html] = rendered
    assert "From 1 January 2026 to 20 March 2027." in html
    assert "Generated on 20 March 2027 " in html
