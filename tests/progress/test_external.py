"""External training: a person submits training taken elsewhere with an evidence file; the people who may assign
them training approve it onto the transcript or decline it with a reason. Hostile evidence is refused by name."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from syllabus.accounts.models import Membership
from syllabus.core import clock
from syllabus.progress import services
from syllabus.progress.models import Completion, ExternalTraining
from tests.conftest import World

EXTERNAL = reverse("progress:external")
APPROVALS = reverse("progress:external-approvals")
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def form(**overrides: Any) -> dict[str, Any]:
    data = {
        "title": "First aid at work",
        "provider": "Red Cross",
        "completed_on": (clock.today() - dt.timedelta(days=10)).isoformat(),
        "hours": "7.5",
        "score": "88",
        "description": "Three-day course.",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def submit(membership: Membership, *, evidence: bytes | None = PDF, name: str = "certificate.pdf") -> ExternalTraining:
    upload = SimpleUploadedFile(name, evidence, content_type="application/pdf") if evidence is not None else None
    return services.external_submit(
        membership=membership,
        by=membership.user,
        title="First aid at work",
        provider="Red Cross",
        completed_on=clock.today() - dt.timedelta(days=10),
        hours=Decimal("7.5"),
        score=Decimal(88),
        evidence=upload,
    )


def evidence_url(record: ExternalTraining) -> str:
    return reverse("progress:external-evidence", args=[record.pk])


def decide_url(record: ExternalTraining) -> str:
    return reverse("progress:external-decide", args=[record.pk])


# --- submitting ------------------------------------------------------------------------------------------------


def test_a_person_submits_external_training_with_a_pdf_and_sees_it_waiting(world: World, client: Any) -> None:
    client.force_login(world.report.user)
    page = client.get(EXTERNAL).content.decode()
    assert 'enctype="multipart/form-data"' in page and 'for="id_evidence"' in page
    upload = SimpleUploadedFile("Certificate (final).pdf", PDF, content_type="application/pdf")
    response = client.post(EXTERNAL, {**form(), "evidence": upload})
    assert response.status_code == 302 and response["Location"] == EXTERNAL
    record = ExternalTraining.objects.get(membership=world.report)
    assert record.status == ExternalTraining.Status.PENDING
    assert record.evidence_type == "application/pdf" and record.evidence_name.endswith(".pdf")
    assert record.hours == Decimal("7.5") and record.score == Decimal(88)
    page = client.get(EXTERNAL).content.decode()
    assert "First aid at work" in page and "Waiting for approval" in page
    assert f'href="{evidence_url(record)}"' in page


def test_missing_fields_are_named_next_to_their_fields(world: World, client: Any) -> None:
    client.force_login(world.report.user)
    future = (clock.today() + dt.timedelta(days=2)).isoformat()
    response = client.post(EXTERNAL, form(title="", completed_on=future, score="150"))
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_title_error"' in body and 'id="id_score_error"' in body
    assert not ExternalTraining.objects.exists()
    response = client.post(EXTERNAL, form(completed_on=future))
    assert services.DATE_FUTURE in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()


def test_negative_hours_are_refused_by_the_service(world: World) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        services.external_submit(
            membership=world.report,
            by=world.report.user,
            title="Forklift",
            provider="Depot",
            completed_on=clock.today(),
            hours=Decimal(-3),
        )
    assert refused.value.message_dict == {"hours": [services.HOURS_RANGE]}


def test_nobody_submits_for_someone_else(world: World) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.external_submit(
            membership=world.report, by=world.manager.user, title="X", provider="Y", completed_on=clock.today()
        )


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, format="PNG")
    return out.getvalue()


def test_a_photo_of_a_certificate_is_accepted_and_re_encoded(world: World, client: Any) -> None:
    client.force_login(world.report.user)
    trailing = _png() + b"<script>alert(1)</script>"
    upload = SimpleUploadedFile("photo.png", trailing, content_type="image/png")
    assert client.post(EXTERNAL, {**form(), "evidence": upload}).status_code == 302
    record = ExternalTraining.objects.get()
    with record.evidence.open("rb") as handle:
        stored = handle.read()
    assert record.evidence_type == "image/png" and b"<script>" not in stored


HOSTILE = {
    "html": ("report.html", b"<!doctype html><html><script>alert(document.cookie)</script></html>"),
    "html disguised as pdf": ("certificate.pdf", b"<html><body onload=alert(1)>Certificate</body></html>"),
    "svg": ("badge.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    "empty": ("nothing.pdf", b""),
    "plain text": ("notes.txt", b"I promise I went."),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_evidence_is_refused_with_the_field_and_file_named(world: World, client: Any, case: str) -> None:
    name, content = HOSTILE[case]
    client.force_login(world.report.user)
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    response = client.post(EXTERNAL, {**form(), "evidence": upload})
    assert response.status_code == 400
    body = response.content.decode()
    error = body.split('id="id_evidence_error"')[1].split("</ul>")[0]
    assert name in error
    assert ("is empty" in error) if case == "empty" else ("is not a PDF, an office document or an image" in error)
    field = body.split('id="id_evidence"')[0].rsplit("<input", 1)[1] + body.split('id="id_evidence"')[1].split(">")[0]
    assert 'aria-invalid="true"' in field and "id_evidence_error" in field
    assert not ExternalTraining.objects.exists()


def test_oversized_evidence_is_refused_before_it_is_read_whole(world: World, client: Any, settings: Any) -> None:
    settings.UPLOAD_MAX_DOCUMENT_MB = 1
    client.force_login(world.report.user)
    big = SimpleUploadedFile("scan.pdf", PDF + b"0" * (1024 * 1024), content_type="application/pdf")
    response = client.post(EXTERNAL, {**form(), "evidence": big})
    assert response.status_code == 400
    error = response.content.decode().split('id="id_evidence_error"')[1].split("</ul>")[0]
    assert "scan.pdf is too large" in error and "1 MB" in error
    assert not ExternalTraining.objects.exists()


# --- the evidence file -----------------------------------------------------------------------------------------


def test_the_owner_and_their_manager_open_the_evidence_with_safe_headers(world: World, client: Any) -> None:
    record = submit(world.report)
    for who in (world.report, world.manager, world.org_admin):
        client.force_login(who.user)
        response = client.get(evidence_url(record))
        assert response.status_code == 200, who
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
        assert response["Content-Disposition"].startswith("inline;")
        assert "certificate.pdf" in response["Content-Disposition"]
    client.force_login(world.report.user)
    download = client.get(evidence_url(record) + "?download=1")
    assert download["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize("who", ["learner", "engineer", "instructor", "outsider"])
def test_nobody_else_reaches_the_evidence(world: World, client: Any, who: str) -> None:
    record = submit(world.report)
    client.force_login(getattr(world, who).user)
    assert client.get(evidence_url(record)).status_code == 404


def test_a_submission_without_evidence_has_no_evidence_page(world: World, client: Any) -> None:
    record = submit(world.report, evidence=None)
    client.force_login(world.report.user)
    assert client.get(evidence_url(record)).status_code == 404


# --- approvals -------------------------------------------------------------------------------------------------


def test_a_manager_sees_their_teams_submissions_only(world: World, client: Any) -> None:
    submit(world.report)
    submit(world.indirect_report)
    outside = submit(world.learner)
    client.force_login(world.manager.user)
    page = client.get(APPROVALS).content.decode()
    assert "Rita Report" in page and "Ivan Indirect" in page and "Lena Learner" not in page
    assert decide_url(outside) not in page


def test_a_learner_without_anyone_to_assign_cannot_open_approvals(world: World, client: Any) -> None:
    client.force_login(world.learner.user)
    assert client.get(APPROVALS).status_code == 403


def test_approving_puts_the_training_on_the_transcript(world: World, client: Any) -> None:
    record = submit(world.report)
    client.force_login(world.manager.user)
    response = client.post(decide_url(record), {"action": "approve"})
    assert response.status_code == 302 and response["Location"] == APPROVALS
    record.refresh_from_db()
    assert record.status == ExternalTraining.Status.APPROVED and record.decided_by == world.manager.user
    completion = Completion.objects.get(external=record)
    assert completion.source == Completion.Source.EXTERNAL and completion.time_spent_seconds == 27000
    assert decide_url(record) not in client.get(APPROVALS).content.decode()
    client.force_login(world.report.user)
    transcript = client.get(reverse("progress:transcript")).content.decode()
    assert "First aid at work" in transcript and "Red Cross" in transcript and "7:30" in transcript
    assert "Approved" in client.get(EXTERNAL).content.decode()


def test_declining_needs_a_reason_which_the_person_reads(world: World, client: Any) -> None:
    record = submit(world.report)
    client.force_login(world.manager.user)
    response = client.post(decide_url(record), {"action": "decline", "reason": "  "})
    # Back on the approvals page (not left at the POST-only decide address), at the record's decline box...
    assert response.status_code == 302 and response["Location"] == f"{APPROVALS}#decline-{record.pk}"
    body = client.get(response["Location"]).content.decode()
    # ...with the error linked to the field, the box open, and the error announced at the top.
    assert f'id="decline-reason-{record.pk}-error"' in body and services.DECLINE_REASON in body
    assert f'aria-describedby="decline-reason-{record.pk}-help decline-reason-{record.pk}-error"' in body
    assert f'id="decline-{record.pk}" open' in body
    assert 'role="alert"' in body
    # Shown once: a reload is the plain page again.
    assert f'id="decline-reason-{record.pk}-error"' not in client.get(APPROVALS).content.decode()
    record.refresh_from_db()
    assert record.status == ExternalTraining.Status.PENDING
    client.post(decide_url(record), {"action": "decline", "reason": "This certificate has expired."})
    record.refresh_from_db()
    assert record.status == ExternalTraining.Status.DECLINED
    assert not Completion.objects.filter(external=record).exists()
    client.force_login(world.report.user)
    page = client.get(EXTERNAL).content.decode()
    assert "Declined" in page and "This certificate has expired." in page


def test_deciding_twice_says_it_is_already_decided(world: World, client: Any) -> None:
    record = submit(world.report)
    client.force_login(world.manager.user)
    client.post(decide_url(record), {"action": "approve"})
    response = client.post(decide_url(record), {"action": "approve"}, follow=True)
    assert services.NOT_PENDING in response.content.decode()
    assert Completion.objects.filter(external=record).count() == 1


@pytest.mark.parametrize("who", ["report", "learner", "engineer", "outsider"])
def test_people_who_may_not_decide_get_404(world: World, client: Any, who: str) -> None:
    record = submit(world.report)
    client.force_login(getattr(world, who).user)
    for action in ("approve", "decline"):
        assert client.post(decide_url(record), {"action": action, "reason": "no"}).status_code == 404
    record.refresh_from_db()
    assert record.status == ExternalTraining.Status.PENDING


def test_decide_is_post_only(world: World, client: Any) -> None:
    record = submit(world.report)
    client.force_login(world.manager.user)
    assert client.get(decide_url(record)).status_code == 405


# --- scale -----------------------------------------------------------------------------------------------------


def _count(client: Any, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured.captured_queries)


def test_the_approvals_list_and_the_own_list_cost_the_same_for_3_or_30(
    world: World, client: Any, django_assert_max_num_queries: Any
) -> None:
    from tests.factories import MembershipFactory

    def grow(count: int) -> None:
        for _ in range(count):
            person = MembershipFactory(organization=world.org, org_unit=world.sales, manager=world.manager)
            submit(person, evidence=None)
            submit(world.report, evidence=None)

    grow(3)
    client.force_login(world.manager.user)
    approvals = _count(client, APPROVALS)
    client.force_login(world.report.user)
    own = _count(client, EXTERNAL)
    grow(27)
    client.force_login(world.manager.user)
    with django_assert_max_num_queries(approvals):
        client.get(APPROVALS)
    client.force_login(world.report.user)
    with django_assert_max_num_queries(own):
        client.get(EXTERNAL)


def test_approve_stands_apart_from_the_decline_box(world: World, client: Any) -> None:
    record = submit(world.report)
    client.force_login(world.manager.user)
    body = client.get(APPROVALS).content.decode()
    approve = body.index('value="approve"')
    decline_box = body.index(f'<details class="external-decline" id="decline-{record.pk}"')
    # Approve comes first in a form of its own; the reason and Decline are behind "Decline…", closed.
    assert approve < decline_box and "</form>" in body[approve:decline_box]
    assert f'id="decline-{record.pk}">' in body


def test_external_form_errors_are_summarised_at_the_top(world: World, client: Any) -> None:
    client.force_login(world.report.user)
    response = client.post(EXTERNAL, {"title": "", "provider": ""})
    assert response.status_code == 400
    body = response.content.decode()
    assert "data-error-summary" in body and 'href="#id_title"' in body and 'href="#id_completed_on"' in body
    assert body.index("data-error-summary") < body.index('id="id_title"')
