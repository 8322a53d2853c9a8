"""Assignment fixtures (reusable by browser tests and demo data).

`assignment_world` is a course of `world.org` owned by `world.instructor`, with one assignment (text and files,
due in three days, cut-off a week later, 10 % per day late up to 50 %, resubmission on request, a two-criterion
rubric worth 15 points), published, with `world.learner` enrolled. The clock is frozen at NOW (`moved_clock`).

    def test_x(assignment_world):
        submission = assignment_world.save("My essay")
        services.submission_submit(by=assignment_world.learner, submission=submission, confirm=True)

`assignment_world.publish_assignment(**config)` adds (and publishes) another assignment; `snapshot(uid)` reads an
activity as the published version holds it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from syllabus.access.policy import forget
from syllabus.accounts.models import Membership, User
from syllabus.assessment.assignment_settings import AssignmentSettings
from syllabus.assessment.models.assignments import Submission
from syllabus.assessment.services import assignments as services
from syllabus.catalog import versions
from syllabus.catalog.events import ActivitySignalled
from syllabus.catalog.models import Activity, Course, CourseVersion, Section
from syllabus.core.events import subscribe, unsubscribe
from syllabus.enrollment import services as enrollment_services
from syllabus.enrollment.models import Enrollment
from tests.api.conftest import as_member  # noqa: F401 (the API tests' token-client fixture)
from tests.assessment.conftest import NOW, Clock
from tests.conftest import World
from tests.factories import ActivityFactory, CourseFactory, SectionFactory, publish, staff

RUBRIC: dict[str, Any] = {
    "criteria": [
        {
            "id": "c1",
            "description": "Structure",
            "levels": [
                {"id": "c1-l1", "points": "0", "definition": "Missing"},
                {"id": "c1-l2", "points": "5", "definition": "Clear"},
            ],
        },
        {
            "id": "c2",
            "description": "Evidence",
            "levels": [
                {"id": "c2-l1", "points": "0", "definition": "None"},
                {"id": "c2-l2", "points": "5", "definition": "Some"},
                {"id": "c2-l3", "points": "10", "definition": "Convincing"},
            ],
        },
    ]
}


def config(**overrides: Any) -> dict[str, Any]:
    """An assignment config in assignment_settings.py's shape (the fixture's defaults, `overrides` laid over)."""
    base: dict[str, Any] = {
        "intro": "<p>Write up the incident.</p>",
        "submission_text": True,
        "submission_files": True,
        "word_limit": 0,
        "max_files": 2,
        "max_file_mb": 1,
        "accepted_types": [".pdf", ".txt", ".docx"],
        "opens_at": None,
        "due_at": (NOW + dt.timedelta(days=3)).isoformat(),
        "cutoff_at": (NOW + dt.timedelta(days=10)).isoformat(),
        "late_penalty": {"percent_per_day": "10", "max_percent": "50"},
        "resubmission": "on_request",
        "max_attempts": 2,
        "grading": {"method": "rubric", "max_points": "100", "rubric": RUBRIC, "guide": None},
        "pass_mark": "50",
    }
    base.update(overrides)
    return base


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def upload(name: str = "essay.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


@dataclass
class AssignmentWorld:
    world: World
    course: Course
    section: Section
    activity: Activity
    clock: Clock
    signals: list[ActivitySignalled] = field(default_factory=list)

    @property
    def owner(self) -> User:
        return self.world.instructor.user

    @property
    def learner(self) -> User:
        return self.world.learner.user

    @property
    def uid(self) -> uuid.UUID:
        return self.activity.uid

    @property
    def version(self) -> CourseVersion:
        self.course.refresh_from_db()
        assert self.course.published_version is not None
        return self.course.published_version

    @property
    def settings(self) -> AssignmentSettings:
        return AssignmentSettings.from_config(self.snapshot(self.uid)["config"])

    def snapshot(self, uid: uuid.UUID | str) -> dict[str, Any]:
        for activity in versions.activities(self.version.snapshot):
            if str(activity["uid"]) == str(uid):
                return activity
        raise LookupError(uid)

    def publish_assignment(self, title: str = "Second report", **overrides: Any) -> Activity:
        activity = ActivityFactory(
            section=self.section, kind="assignment", title=title, config=config(**overrides),
            completion={"rule": "submitted"},
        )  # fmt: skip
        self.publish()
        return activity

    def publish(self) -> CourseVersion:
        version = publish(self.course, self.owner)
        Enrollment.objects.filter(course=self.course).update(version=version)
        self.course.refresh_from_db()
        return version

    def enroll(self, membership: Membership) -> None:
        enrollment_services.enrollment_create(course=self.course, membership=membership, by=self.owner)

    def save(
        self,
        text: str = "My report.",
        user: User | None = None,
        uid: uuid.UUID | None = None,
        revision: int | None = None,
    ) -> Submission:
        """Save a draft text as `user` (the learner), on the submission's current revision unless given."""
        user = user or self.learner
        uid = uid or self.uid
        forget(user)
        current = services.current_submission(user_id=user.pk, course_id=self.course.pk, activity_uid=uid)
        if revision is None:
            revision = current.revision if current is not None and current.state == "draft" else 0
        return services.submission_save(
            by=user, course=self.course, version=self.version, activity_uid=uid,
            settings=AssignmentSettings.from_config(self.snapshot(uid)["config"]), text=text, revision=revision,
        )  # fmt: skip

    def submit(self, submission: Submission, user: User | None = None) -> Submission:
        forget(user or self.learner)
        return services.submission_submit(by=user or self.learner, submission=submission, confirm=True)


def make_assignment_world(world: World, clock: Clock, **overrides: Any) -> AssignmentWorld:
    course = CourseFactory(organization=world.org, title="Incident reporting")
    staff(course, world.instructor, "owner")
    section = SectionFactory(course=course, title="Reports")
    activity = ActivityFactory(
        section=section, kind="assignment", title="Incident report", config=config(**overrides),
        completion={"rule": "submitted"},
    )  # fmt: skip
    publish(course, world.instructor.user)
    course.refresh_from_db()
    enrollment_services.enrollment_create(course=course, membership=world.learner, by=world.instructor.user)
    return AssignmentWorld(world=world, course=course, section=section, activity=activity, clock=clock)


@pytest.fixture
def assignment_world(world: World, moved_clock: Clock) -> AssignmentWorld:
    return make_assignment_world(world, moved_clock)


@pytest.fixture
def assignment_signals() -> Iterator[list[ActivitySignalled]]:
    """Every ActivitySignalled dispatched during the test (wrap calls in django_capture_on_commit_callbacks)."""
    seen: list[ActivitySignalled] = []
    subscribe(ActivitySignalled, seen.append)
    yield seen
    unsubscribe(ActivitySignalled, seen.append)
