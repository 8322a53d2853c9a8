"""A small gradebook world: a published course of `world.org` (owned by `world.instructor`) with two graded
activities of kind "assignment" ("Essay 1", "Essay 2"), and two enrolled learners (`world.learner`,
`world.engineer`). `gradebook.signal(...)` reports a score as the activity would (dispatched on commit)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from syllabus.access.policy import forget
from syllabus.accounts.models import Membership, User
from syllabus.catalog.events import ActivitySignalled
from syllabus.catalog.models import Activity, Course, Section
from syllabus.core.events import emit
from syllabus.enrollment import services as enrollment_services
from syllabus.grades import services
from syllabus.grades.models import GradeItem
from tests.api.conftest import token_for
from tests.conftest import World
from tests.factories import ActivityFactory, CourseFactory, SectionFactory, publish, staff

NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def fresh_caches() -> Iterator[None]:
    """Outlines and the gradebook's "synced" stamps live in process caches: a rolled-back test reuses ids."""
    from django.core.cache import cache

    from syllabus.catalog import learning

    learning.clear_outline_cache()
    cache.clear()
    yield
    learning.clear_outline_cache()
    cache.clear()


@pytest.fixture
def as_member(db: None) -> Callable[[Membership], APIClient]:
    """`as_member(membership)`: an API client sending that membership's token."""

    def make(membership: Membership) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(membership)}")
        return client

    return make


@dataclass
class Gradebook:
    world: World
    course: Course
    section: Section
    essay1: Activity
    essay2: Activity

    @property
    def owner(self) -> User:
        return self.world.instructor.user

    @property
    def learner(self) -> User:
        return self.world.learner.user

    @property
    def engineer(self) -> User:
        return self.world.engineer.user

    def item(self, activity: Activity) -> GradeItem:
        return GradeItem.objects.get(course=self.course, activity_uid=activity.uid)

    def add_activity(self, title: str, kind: str = "assignment", **config: Any) -> Activity:
        return ActivityFactory(
            section=self.section, kind=kind, title=title, config=config, completion={"rule": "submitted"}
        )

    def publish(self) -> None:
        publish(self.course, self.owner)
        self.course.refresh_from_db()

    def enroll(self, membership: Membership) -> None:
        enrollment_services.enrollment_create(course=self.course, membership=membership, by=self.owner)

    def signal(
        self, activity: Activity, user: User, score: Any, *, replace: bool = False, scale: str = "percent"
    ) -> None:
        data: dict[str, Any] = {"score": score, "scale": scale}
        if replace:
            data["replace"] = True
        self.course.refresh_from_db()
        emit(
            ActivitySignalled(
                organization_id=self.course.organization_id,
                course_id=self.course.pk,
                version_id=self.course.published_version_id or 0,
                activity_uid=uuid.UUID(str(activity.uid)),
                kind=activity.kind,
                signal="graded",
                user_id=user.pk,
                at=NOW,
                data=data,
            )
        )

    def actor(self, user: User) -> User:
        """A new "request" for this person (principals are cached on the user object)."""
        forget(user)
        return user


@pytest.fixture
def gradebook(world: World, django_capture_on_commit_callbacks: Any) -> Gradebook:
    course = CourseFactory(organization=world.org, title="Fire safety", created_by=world.instructor.user)
    staff(course, world.instructor)
    section = SectionFactory(course=course, title="Week 1")
    essay1 = ActivityFactory(
        section=section, kind="assignment", title="Essay 1", config={}, completion={"rule": "submitted"}
    )
    essay2 = ActivityFactory(
        section=section, kind="assignment", title="Essay 2", config={}, completion={"rule": "submitted"}
    )
    book = Gradebook(world=world, course=course, section=section, essay1=essay1, essay2=essay2)
    with django_capture_on_commit_callbacks(execute=True):
        book.publish()
        book.enroll(world.learner)
        book.enroll(world.engineer)
    return book


def pct(value: str) -> Decimal:
    return Decimal(value)


__all__ = ["NOW", "Gradebook", "pct", "services"]
