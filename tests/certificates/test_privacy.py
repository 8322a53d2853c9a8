"""Personal data of certificates: the export lists a person's certificates; the erasure keeps each certificate and
its state (its verification page still answers) without the name, the PDF or the signed badge, and is audited."""

# Fixtures imported from holder_fixtures are redefined as test parameters, as pytest intends.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse

from syllabus.accounts.privacy import ERASED_NAME
from syllabus.audit.models import AuditRecord
from syllabus.audit.services import privacy_erase
from syllabus.certificates import credentials, privacy
from syllabus.certificates.models import Award, Certificate
from syllabus.certificates.services import issuing
from syllabus.core import privacy as registry
from tests.certificates.conftest import NOW
from tests.certificates.holder_fixtures import issue_for, no_render  # noqa: F401 (fixtures)
from tests.compliance.conftest import make_course

pytestmark = pytest.mark.django_db

YEAR = dt.timedelta(days=365)
PDF = b"%PDF-1.7\n% a certificate for Lena Learner\n"


def drawn(certificate: Certificate) -> Certificate:
    """As the worker leaves it: a stored PDF, state ready."""
    certificate.pdf.save(f"{certificate.public_id}.pdf", ContentFile(PDF), save=False)
    certificate.render_state = Certificate.RenderState.READY
    certificate.pdf_sha256 = "0" * 64
    certificate.save(update_fields=["pdf", "render_state", "pdf_sha256", "updated_at"])
    return certificate


@pytest.fixture
def certificates(world, award, template, officer, moved_clock, no_render) -> dict[str, Certificate]:
    """The learner's valid, superseded and revoked certificates, and the report's (somebody else)."""
    other = Award.objects.create(
        organization=world.org, source="course", course=make_course(world, "Hand hygiene"), template=template
    )
    old = issue_for(award, world.learner, NOW - 2 * YEAR, expires=NOW - YEAR, score="75")
    valid = issue_for(award, world.learner, NOW - dt.timedelta(days=10), expires=NOW + YEAR, score="91.5")
    revoked = issue_for(other, world.learner, NOW - dt.timedelta(days=5))
    issuing.certificate_revoke(certificate=revoked, by=officer.user, reason="Issued in error")
    theirs = issue_for(award, world.report, NOW)
    made = {"old": old, "valid": valid, "revoked": revoked, "theirs": theirs}
    for certificate in made.values():
        certificate.refresh_from_db()
        drawn(certificate)
    return made


def test_the_provider_is_registered() -> None:
    [provider] = [p for p in registry.providers() if p.app_label == "certificates"]
    assert provider.export is privacy.export_person and provider.erase is privacy.erase_person


# --- export --------------------------------------------------------------------------------------------------------


def test_the_export_lists_the_persons_certificates_with_their_state(world, certificates, moved_clock):
    exported = privacy.export_person(world.learner.user, world.org)["certificates"]
    by_id = {row["public_id"]: row for row in exported}
    assert set(by_id) == {str(certificates[k].public_id) for k in ("old", "valid", "revoked")}
    valid = by_id[str(certificates["valid"].public_id)]
    assert valid == {
        "organization": "Acme Health",
        "public_id": str(certificates["valid"].public_id),
        "verify_url": credentials.verify_url(certificates["valid"]),
        "title": "Anti-bribery",
        "source": "course",
        "recipient_name": "Lena Learner",
        "version": "v1",
        "score": "91.50",
        "issued_at": (NOW - dt.timedelta(days=10)).isoformat(),
        "expires_at": (NOW + YEAR).isoformat(),
        "state": "valid",
        "status": "valid",
        "status_label": "Valid",
        "state_changed_at": None,
        "revoke_reason": None,
        "open_badge": True,
    }
    old = by_id[str(certificates["old"].public_id)]
    assert (old["state"], old["status"]) == ("superseded", "superseded")
    revoked = by_id[str(certificates["revoked"].public_id)]
    assert (revoked["state"], revoked["revoke_reason"]) == ("revoked", "Issued in error")
    assert valid["verify_url"].startswith("http")


def test_the_export_for_one_organisation_leaves_the_others_out(world, certificates, moved_clock):
    assert privacy.export_person(world.learner.user, world.other_org) == {"certificates": []}
    assert len(privacy.export_person(world.learner.user, None)["certificates"]) == 3
    assert privacy.export_person(world.org_admin.user, world.org) == {"certificates": []}


# --- erasure -------------------------------------------------------------------------------------------------------


def test_erasure_keeps_the_certificates_and_their_state_without_the_person(
    world, certificates, moved_clock, django_capture_on_commit_callbacks
):
    files = {key: c.pdf.name for key, c in certificates.items()}
    assert all(default_storage.exists(name) for name in files.values())

    with django_capture_on_commit_callbacks(execute=True):
        privacy.erase_person(world.learner.user, world.org_admin.user)

    for key in ("old", "valid", "revoked"):
        before = certificates[key]
        after = Certificate.objects.get(pk=before.pk)
        assert after.recipient_name == ERASED_NAME
        assert after.pdf.name == "" and after.pdf_sha256 == ""
        assert after.credential == ""
        assert after.render_state == "failed" and after.render_error == privacy.ERASED_RENDER_NOTE
        # The record stays: its state, dates, what earned it and the key that signed what was issued.
        assert (after.state, after.issued_at, after.expires_at) == (before.state, before.issued_at, before.expires_at)
        assert after.public_id == before.public_id and after.signing_key_id == before.signing_key_id
        # The reason of a revocation is about the person (it may name them): it goes, the revocation stays.
        assert after.revoke_reason == ""
        assert not default_storage.exists(files[key])
    # Somebody else's certificate is untouched.
    theirs = Certificate.objects.get(pk=certificates["theirs"].pk)
    assert theirs.recipient_name == "Rita Report" and theirs.credential and default_storage.exists(files["theirs"])

    records = AuditRecord.objects.filter(action="certificate.erased")
    assert records.count() == 3
    assert all("Lena" not in str(record.__dict__) for record in records)


def test_the_verification_page_still_answers_without_a_name(
    world, certificates, moved_clock, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        privacy.erase_person(world.learner.user, world.org_admin.user)
    for key, status in (("valid", "valid"), ("revoked", "revoked"), ("old", "superseded")):
        response = client.get(reverse("certificates:verify", args=[certificates[key].public_id]), {"format": "json"})
        assert response.status_code == 200
        facts = response.json()
        assert facts["status"] == status
        assert facts["recipient"] == ERASED_NAME
        assert "Lena" not in response.content.decode()


def test_a_refused_erasure_keeps_the_files_and_the_names(
    world, certificates, moved_clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        privacy.erase_person(world.learner.user, world.org_admin.user)
        raise RuntimeError("another app refused")
    valid = Certificate.objects.get(pk=certificates["valid"].pk)
    assert valid.recipient_name == "Lena Learner" and valid.pdf.name and default_storage.exists(valid.pdf.name)


def test_erasing_through_the_privacy_service_runs_it(
    world, certificates, moved_clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ran = privacy_erase(user=world.learner.user, organization=world.org, by=world.org_admin.user)
    assert "certificates" in ran
    assert set(Certificate.objects.filter(membership=world.learner).values_list("recipient_name", flat=True)) == {
        ERASED_NAME
    }


def test_a_file_already_gone_is_not_an_error(world, certificates, moved_clock, django_capture_on_commit_callbacks):
    default_storage.delete(certificates["valid"].pdf.name)
    with django_capture_on_commit_callbacks(execute=True):
        privacy.erase_person(world.learner.user, None)
    assert Certificate.objects.get(pk=certificates["valid"].pk).pdf.name == ""
