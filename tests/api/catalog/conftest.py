"""Fixtures of the catalog API tests: a course built through the services, and URL helpers."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from syllabus.catalog import services
from syllabus.catalog.models import Activity, Course, Section
from tests.api.conftest import V1
from tests.conftest import World

COURSES = f"{V1}/courses/"
REVIEWS = f"{V1}/reviews/"
CATALOG = f"{V1}/catalog/"


def course_url(course: Course | int, tail: str = "") -> str:
    pk = course if isinstance(course, int) else course.pk
    return f"{COURSES}{pk}/{tail}"


def section_url(course: Course, section: Section, tail: str = "") -> str:
    return course_url(course, f"sections/{section.uid}/{tail}")


def activity_url(course: Course, activity: Activity, tail: str = "") -> str:
    return course_url(course, f"activities/{activity.uid}/{tail}")


def add_page(section: Section, by, title: str = "Welcome", body: str = "<p>Hello, learner.</p>") -> Activity:  # type: ignore[no-untyped-def]
    return services.activity_create(section=section, by=by, kind="page", title=title, data={"body": body})


def build_course(world: World, title: str = "Fire safety", *, pages: int = 2, sections: int = 1) -> Course:
    """A draft owned by the instructor, built through the services."""
    by = world.instructor.user
    course = services.course_create(organization=world.org, by=by, title=title, summary="Stay safe.")
    for s_index in range(sections):
        section = services.section_create(course=course, by=by, title=f"Part {s_index + 1}")
        for p_index in range(pages):
            add_page(section, by, f"Page {s_index + 1}.{p_index + 1}", f"<p>Fire extinguishers {p_index} are red.</p>")
    return course


@pytest.fixture
def course(world: World) -> Course:
    """ "Fire safety": one section "Part 1" with two Page activities, owned by the instructor, never published."""
    return build_course(world)


def png_bytes(size: tuple[int, int] = (8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()
