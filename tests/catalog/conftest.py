"""Catalog fixtures: a course with a team, built through the services."""

from __future__ import annotations

import pytest

from syllabus.catalog import services
from syllabus.catalog.models import Course
from tests.conftest import World


def page(section, by, title="Welcome", body="<p>Hello, learner.</p>"):  # type: ignore[no-untyped-def]
    return services.activity_create(section=section, by=by, kind="page", title=title, data={"body": body})


@pytest.fixture
def course(world: World) -> Course:
    """A draft owned by the instructor: one section with two Page activities."""
    by = world.instructor.user
    made = services.course_create(organization=world.org, by=by, title="Fire safety", summary="Stay safe.")
    section = services.section_create(course=made, by=by, title="Basics")
    page(section, by, "Welcome", "<p>Fire extinguishers are red.</p>")
    page(section, by, "Evacuation", "<p>Leave by the nearest exit.</p>")
    return made
