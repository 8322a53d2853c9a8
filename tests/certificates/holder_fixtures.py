"""Fixtures of the holder-side tests (notifications, reminders, panels, privacy): issue certificates without
drawing their PDFs, and read what a person was told.

Import the fixtures you use into your test module (`from tests.certificates.holder_fixtures import no_render`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from syllabus.accounts.models import Membership
from syllabus.catalog.models import Course
from syllabus.certificates import tasks
from syllabus.certificates.models import Award, Certificate
from syllabus.certificates.services import issuing
from syllabus.notifications.models import Notification
from tests.certificates.conftest import finish


@pytest.fixture
def no_render(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Issuing queues the PDF after commit; these tests are not about the PDF: note the ids, draw nothing."""
    queued: list[int] = []
    monkeypatch.setattr(tasks.render_certificate, "delay", lambda certificate_id: queued.append(certificate_id))
    yield queued


def issue(
    membership: Membership,
    course: Course,
    on: dt.datetime,
    *,
    expires: dt.datetime | None = None,
    score: str | None = None,
) -> Certificate:
    """Complete `course` at `on` and issue the certificate its award earns (the award must exist)."""
    certificate = issuing.issue_for_course_completion(finish(membership, course, on, score=score, expires=expires).pk)
    assert certificate is not None
    return certificate


def issue_for(award: Award, membership: Membership, on: dt.datetime, **kwargs: Any) -> Certificate:
    assert award.course is not None
    return issue(membership, award.course, on, **kwargs)


def told(membership: Membership, type_key: str | None = None) -> list[Notification]:
    """What the person was told, oldest first (of one type, when given)."""
    rows = Notification.objects.filter(recipient=membership.user).order_by("pk")
    if type_key is not None:
        rows = rows.filter(type_key=type_key)
    return list(rows)
