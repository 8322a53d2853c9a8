"""Enrollment fixtures: a published course of three Page activities owned by the instructor."""

from __future__ import annotations

import pytest

from syllabus.catalog.models import Course
from tests.conftest import World
from tests.factories import ActivityFactory, CourseFactory, SectionFactory, publish, staff


@pytest.fixture
def published(world: World) -> Course:
    course = CourseFactory(organization=world.org, title="Fire safety")
    staff(course, world.instructor, "owner")
    section = SectionFactory(course=course, title="Basics")
    for title in ("Welcome", "Extinguishers", "Evacuation"):
        ActivityFactory(section=section, title=title)
    publish(course, world.instructor.user)
    course.refresh_from_db()
    return course
