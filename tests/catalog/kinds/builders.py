"""Building blocks for the activity-kind, upload and player tests: fixture files and a course of every kind."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from syllabus.catalog import services
from syllabus.catalog.models import Activity, Course, CourseVersion
from tests.conftest import World
from tests.factories import publish

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def upload(name: str, *, as_name: str | None = None, content_type: str = "application/octet-stream") -> Any:
    """A fixture file as the browser would send it (the declared type is deliberately useless)."""
    return SimpleUploadedFile(as_name or name, fixture_bytes(name), content_type=content_type)


@dataclass
class EveryKind:
    course: Course
    version: CourseVersion
    page: Activity
    video: Activity
    file: Activity
    link: Activity
    acknowledgement: Activity


def course_of_every_kind(world: World, *, title: str = "Fire safety", embed_link: bool = False) -> EveryKind:
    """A published course of the instructor with one activity of each kind, built through the services."""
    by = world.instructor.user
    course = services.course_create(organization=world.org, by=by, title=title, summary="Stay safe.")
    section = services.section_create(course=course, by=by, title="Basics")
    page = services.activity_create(
        section=section, by=by, kind="page", title="Welcome", data={"body": "<h2>Exits</h2><p>Know your exits.</p>"}
    )
    video = services.activity_create(
        section=section,
        by=by,
        kind="video",
        title="Induction video",
        data={"source": "upload", "captions_language": "en", "captions_label": "English"},
        files={"video": upload("clip.webm"), "captions_file": upload("captions.vtt")},
        completion={"rule": "watched", "percent": 50},
    )
    document = services.activity_create(
        section=section, by=by, kind="file", title="Policy PDF", files={"document": upload("policy.pdf")}
    )
    link = services.activity_create(
        section=section,
        by=by,
        kind="link",
        title="National guidance",
        data={"url": "https://guidance.example.org/fire", "display": "embed" if embed_link else "new_tab"},
    )
    acknowledgement = services.activity_create(
        section=section,
        by=by,
        kind="acknowledgement",
        title="Fire policy",
        data={"body": "<p>Never block a fire door.</p>"},
        files={"document": upload("policy.pdf")},
    )
    version = publish(course, by=world.org_admin.user)
    course.refresh_from_db()
    return EveryKind(course, version, page, video, document, link, acknowledgement)
