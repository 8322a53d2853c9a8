"""A person's activity progress, transcript and external training in privacy exports, and what erasure leaves."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from syllabus.catalog import versions
from syllabus.catalog.events import ActivitySignalled
from syllabus.core import clock
from syllabus.enrollment import services as enrollment_services
from syllabus.progress import privacy, services
from syllabus.progress.models import Completion, ExternalTraining
from tests.conftest import World

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def _view(course, user, uid: str) -> None:  # type: ignore[no-untyped-def]
    services.signal_record(
        ActivitySignalled(
            organization_id=course.organization_id,
            course_id=course.pk,
            version_id=course.published_version_id,
            activity_uid=uuid.UUID(uid),
            kind="page",
            signal="viewed",
            user_id=user.pk,
            at=clock.now(),
        )
    )


def _submit(world: World, title: str, *, notes: str = "Two days in Leeds.") -> ExternalTraining:
    return services.external_submit(
        membership=world.learner,
        by=world.learner.user,
        title=title,
        provider="Red Cross",
        completed_on=clock.today() - dt.timedelta(days=3),
        hours=Decimal(12),
        score=Decimal(90),
        description=notes,
        evidence=SimpleUploadedFile("certificate.pdf", PDF, content_type="application/pdf"),
    )


@pytest.fixture
def history(world: World, published):  # type: ignore[no-untyped-def]
    """The learner completed the course, and submitted two external trainings: one approved, one waiting."""
    enrollment_services.enrollment_self(course=published, by=world.learner.user)
    for activity in versions.activities(published.published_version.snapshot):
        _view(published, world.learner.user, activity["uid"])
    approved = _submit(world, "First aid at work")
    services.external_approve(record=approved, by=world.org_admin.user)
    waiting = _submit(world, "Manual handling", notes="My back is better now.")
    return approved, waiting


def test_export_lists_activity_progress_the_transcript_and_external_training_without_file_bytes(
    world: World, history
) -> None:
    exported = privacy.export_person(world.learner.user, world.org)
    assert [row["activity"] for row in exported["activity_progress"]] == ["Welcome", "Extinguishers", "Evacuation"]
    assert {row["state"] for row in exported["activity_progress"]} == {"completed"}
    transcript = {line["title"]: line for line in exported["transcript"]}
    assert transcript["Fire safety"]["version"] == "1.0" and transcript["Fire safety"]["source"] == "course"
    assert (
        transcript["First aid at work"]["source"] == "external" and transcript["First aid at work"]["score"] == "90.00"
    )
    external = {x["title"]: x for x in exported["external_training"]}
    assert external["Manual handling"]["status"] == "pending"
    assert external["Manual handling"]["notes"] == "My back is better now."
    assert external["Manual handling"]["evidence_file"] == "certificate.pdf"
    assert external["Manual handling"]["evidence_type"] == "application/pdf"
    text = json.dumps(exported)  # JSON-ready, and holds no file contents
    assert "%PDF" not in text
    assert privacy.export_person(world.learner.user, world.other_org) == {
        "activity_progress": [],
        "transcript": [],
        "external_training": [],
    }


def test_erasure_keeps_the_transcript_and_deletes_notes_and_evidence_after_commit(
    world: World, history, django_capture_on_commit_callbacks
) -> None:
    approved, waiting = history
    files = [approved.evidence.name, waiting.evidence.name]
    assert all(default_storage.exists(name) for name in files)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        privacy.erase_person(world.learner.user, world.org_admin.user)
    # Nothing leaves storage before the erasure commits: a refusal by another app would roll the rows back.
    assert all(default_storage.exists(name) for name in files)
    for callback in callbacks:
        callback()
    assert not any(default_storage.exists(name) for name in files)
    for record in ExternalTraining.objects.filter(membership=world.learner):
        assert record.description == "" and not record.evidence and record.evidence_name == ""
        assert record.title in ("First aid at work", "Manual handling") and record.provider == "Red Cross"
    waiting.refresh_from_db()
    assert waiting.status == ExternalTraining.Status.DECLINED and waiting.decision_reason == privacy.ERASED_REASON
    # The transcript stays whole: the course completion and the approved external training.
    assert sorted(Completion.objects.filter(membership=world.learner).values_list("title", flat=True)) == [
        "Fire safety",
        "First aid at work",
    ]
