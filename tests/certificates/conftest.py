"""Certificates fixtures: a template, an award on a published course, and a helper that completes the course."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from syllabus.accounts.models import Membership
from syllabus.catalog.models import Course
from syllabus.certificates.models import Award, Template
from syllabus.progress.models import Completion
from tests.api.conftest import as_member  # noqa: F401 (the API tests' token-client fixture)
from tests.compliance.conftest import (  # noqa: F401 (shared fixtures)
    NOW,
    build,
    course,
    eager_tasks,
    make_course,
    moved_clock,
    officer,
    sales,
)
from tests.conftest import World

SIMPLE_HTML = "<h1>{{ title }}</h1><p>Awarded to {{ learner_name }} on {{ issued_on }}.</p><p>{{ certificate_id }}</p>"


@pytest.fixture
def template(world: World) -> Template:
    return Template.objects.create(
        organization=world.org, name="Classic", html=SIMPLE_HTML, css="h1 { color: #123456; }", is_default=True
    )


@pytest.fixture
def award(world: World, course: Course, template: Template) -> Award:  # noqa: F811 (the fixture)
    return Award.objects.create(organization=world.org, source="course", course=course, template=template)


def finish(membership: Membership, course: Course, on: dt.datetime, *, score: str | None = None, expires=None):  # noqa: F811
    """A completion on the transcript, as progress records it when a course is completed."""
    return Completion.objects.create(
        organization_id=membership.organization_id,
        membership=membership,
        course=course,
        title=course.title,
        completed_at=on,
        expires_at=expires,
        version_label="v1",
        score=Decimal(score) if score is not None else None,
    )
