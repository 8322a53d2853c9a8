"""Assignment grading fixtures: a published course with assignments whose config is written directly in the brief's
shape (assignment_settings.py), `world.learner` enrolled, and submissions made directly with the model (the learner's
side is another module's; grading starts where a submission is handed in).

    def test_x(aw):
        uid = aw.publish(grading=rubric_grading(), due_at=DUE)
        sub = aw.submit(uid, late_seconds=3600)
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client

from syllabus.access.policy import forget
from syllabus.accounts.models import Membership, User
from syllabus.assessment.models import Submission, SubmissionState
from syllabus.catalog.events import ActivitySignalled
from syllabus.catalog.models import Course, Section
from syllabus.core import events
from syllabus.enrollment import services as enrollment_services
from syllabus.enrollment.models import Enrollment
from tests.api.conftest import as_member  # noqa: F401 (the API tests' token-client fixture)
from tests.conftest import World
from tests.factories import ActivityFactory, CourseFactory, MembershipFactory, SectionFactory, publish, staff

NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
DUE = dt.datetime(2026, 3, 1, 17, 0, tzinfo=dt.UTC)
DAY = 24 * 3600

RUBRIC = {
    "criteria": [
        {
            "id": "c1",
            "description": "Structure",
            "levels": [
                {"id": "c1-l1", "points": "0", "definition": "Missing"},
                {"id": "c1-l2", "points": "5", "definition": "Clear"},
                {"id": "c1-l3", "points": "10", "definition": "Excellent"},
            ],
        },
        {
            "id": "c2",
            "description": "Evidence",
            "levels": [
                {"id": "c2-l1", "points": "2", "definition": "Thin"},
                {"id": "c2-l2", "points": "7.5", "definition": "Solid"},
            ],
        },
    ]
}  # max 10 + 7.5 = 17.5

GUIDE = {
    "criteria": [
        {"id": "g1", "name": "Analysis", "description": "Shown", "marker_notes": "Look for X", "max_mark": "10"},
        {"id": "g2", "name": "Style", "description": "", "marker_notes": "", "max_mark": "5"},
    ]
}  # max 15


def points_grading(max_points: str = "100") -> dict[str, Any]:
    return {"method": "points", "max_points": max_points, "rubric": None, "guide": None}


def rubric_grading() -> dict[str, Any]:
    return {"method": "rubric", "max_points": "100", "rubric": RUBRIC, "guide": None}


def guide_grading() -> dict[str, Any]:
    return {"method": "guide", "max_points": "100", "rubric": None, "guide": GUIDE}


def config(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "intro": "<p>Write an essay.</p>",
        "submission_text": True,
        "submission_files": True,
        "word_limit": 0,
        "max_files": 3,
        "max_file_mb": 1,
        "accepted_types": [],
        "opens_at": None,
        "due_at": None,
        "cutoff_at": None,
        "late_penalty": None,
        "resubmission": "none",
        "max_attempts": 0,
        "grading": points_grading(),
        "pass_mark": "50",
    }
    for key, value in overrides.items():
        base[key] = value.isoformat() if isinstance(value, dt.datetime) else value
    return base


@dataclass
class AssignmentWorld:
    world: World
    course: Course
    section: Section
    uids: list[uuid.UUID] = field(default_factory=list)

    @property
    def owner(self) -> User:
        return self.world.instructor.user

    @property
    def learner(self) -> User:
        return self.world.learner.user

    def publish(self, title: str = "Essay", **settings: Any) -> uuid.UUID:
        """Add an assignment (config = config(**settings)), publish, keep the learner enrolled on the new version."""
        activity = ActivityFactory(
            section=self.section, kind="assignment", title=title, config=config(**settings),
            completion={"rule": "graded"},
        )  # fmt: skip
        self.uids.append(activity.uid)
        version = publish(self.course, self.owner)
        self.course.refresh_from_db()
        enrollment = Enrollment.objects.filter(course=self.course, membership=self.world.learner).first()
        if enrollment is None:
            enrollment_services.enrollment_create(course=self.course, membership=self.world.learner, by=self.owner)
        else:
            Enrollment.objects.filter(course=self.course).update(version=version)
        return activity.uid

    def learner_named(self, name: str) -> Membership:
        person = MembershipFactory(organization=self.world.org, org_unit=self.world.sales, user__display_name=name)
        enrollment_services.enrollment_create(course=self.course, membership=person, by=self.owner)
        return person

    def submit(
        self,
        uid: uuid.UUID,
        user: User | None = None,
        *,
        late_seconds: int = 0,
        number: int = 1,
        text: str = "<p>My essay.</p>",
        at: dt.datetime | None = None,
        state: str = SubmissionState.SUBMITTED,
    ) -> Submission:
        """A handed-in submission made directly (what the learner's "Submit for grading" leaves)."""
        self.course.refresh_from_db()
        return Submission.objects.create(
            organization=self.world.org,
            user=user or self.learner,
            course=self.course,
            version=self.course.published_version,
            activity_uid=uid,
            number=number,
            state=state,
            text=text,
            word_count=len(text.split()),
            submitted_at=at or (DUE + dt.timedelta(seconds=late_seconds)),
            late_seconds=late_seconds,
        )


@pytest.fixture
def aw(world: World) -> AssignmentWorld:
    course = CourseFactory(organization=world.org, title="Report writing")
    staff(course, world.instructor, "owner")
    section = SectionFactory(course=course, title="Essays")
    forget(world.instructor.user)
    return AssignmentWorld(world=world, course=course, section=section)


@pytest.fixture
def signals() -> Iterator[list[ActivitySignalled]]:
    heard: list[ActivitySignalled] = []
    events.subscribe(ActivitySignalled, heard.append)
    yield heard
    events.unsubscribe(ActivitySignalled, heard.append)


@pytest.fixture
def sign_in(client: Client) -> Any:
    def signed_in(membership: Membership) -> Client:
        forget(membership.user)
        client.force_login(membership.user)
        return client

    return signed_in
