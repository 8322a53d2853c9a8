"""Fixtures of the people-facing certificate tests (holder pages, the officer's list, awards, the API).

Import the fixtures by name into a test module (`from tests.certificates.people_fixtures import ...`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from syllabus.accounts.models import Membership
from syllabus.catalog.models import Course
from syllabus.certificates.models import Award, Certificate
from syllabus.certificates.services import issuing
from tests.certificates.conftest import NOW, finish

SignIn = Callable[[Membership], Client]
PDF_BYTES = b"%PDF-1.4\n% a stand-in for the worker's PDF\n%%EOF\n"


@pytest.fixture
def no_render(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The worker's PDF drawing replaced by a note of what was queued (issuing tests need no PDF)."""
    from syllabus.certificates import tasks

    queued: list[int] = []
    monkeypatch.setattr(tasks.render_certificate, "delay", lambda certificate_id: queued.append(certificate_id))
    return queued


@pytest.fixture
def as_person(client: Client) -> SignIn:
    def sign_in(membership: Membership) -> Client:
        client.force_login(membership.user)
        return client

    return sign_in


def issue(
    membership: Membership,
    award: Award,
    on: dt.datetime = NOW,
    *,
    expires: dt.datetime | None = None,
    score: str | None = None,
) -> Certificate:
    """A certificate of `award` for `membership`, issued as a course completion issues it."""
    assert award.course is not None
    certificate = issuing.issue_for_course_completion(
        finish(membership, award.course, on, expires=expires, score=score).pk
    )
    assert certificate is not None
    return certificate


def with_pdf(certificate: Certificate) -> Certificate:
    """As if the worker had drawn the PDF."""
    certificate.pdf.save(f"{certificate.public_id}.pdf", ContentFile(PDF_BYTES), save=False)
    certificate.render_state = Certificate.RenderState.READY
    certificate.save(update_fields=["pdf", "render_state", "updated_at"])
    return certificate


def make_award(course: Course, template, **fields) -> Award:  # type: ignore[no-untyped-def]
    return Award.objects.create(
        organization=course.organization, source="course", course=course, template=template, **fields
    )
