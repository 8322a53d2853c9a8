"""Compliance fixtures: a compliance officer, the Sales audience, a published course, a movable clock, and a
helper that builds a program and evaluates it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from syllabus.accounts.models import Membership
from syllabus.audiences import services as audience_services
from syllabus.audiences.models import Audience
from syllabus.catalog.models import Course
from syllabus.celery import app as celery_app
from syllabus.compliance import evaluation, services
from syllabus.compliance.models import Program
from syllabus.core import clock
from syllabus.progress.models import Completion
from tests.api.conftest import as_member  # noqa: F401 (the API tests' token-client fixture)
from tests.conftest import World
from tests.factories import ActivityFactory, CourseFactory, MembershipFactory, SectionFactory, grant, publish, staff

# 2026-03-02 09:30 UTC; the test organisation's time zone is UTC unless a test says otherwise.
NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def eager_tasks(monkeypatch):
    monkeypatch.setattr(celery_app.conf, "task_always_eager", True)
    monkeypatch.setattr(celery_app.conf, "task_eager_propagates", True)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def move(self, **delta: float) -> dt.datetime:
        self.now = self.now + dt.timedelta(**delta)
        return self.now

    def to(self, day: dt.date) -> dt.datetime:
        self.now = dt.datetime.combine(day, dt.time(9, 30), tzinfo=dt.UTC)
        return self.now

    @property
    def today(self) -> dt.date:
        return self.now.date()


@pytest.fixture
def moved_clock(monkeypatch) -> Clock:
    """clock.now() under the test's control, starting at NOW (2026-03-02 09:30 UTC)."""
    current = Clock()
    monkeypatch.setattr(clock, "now", lambda: current.now)
    monkeypatch.setattr(clock, "today", lambda: current.now.date())
    return current


@pytest.fixture
def officer(world: World) -> Membership:
    person = MembershipFactory(organization=world.org, org_unit=world.hq, user__display_name="Carla Compliance")
    grant(person, "compliance_officer")
    return person


def make_audience(world: World, name: str, rules: dict[str, object]) -> Audience:
    audience = audience_services.audience_create(
        organization=world.org, by=world.org_admin.user, name=name, rules_tree=rules
    )
    audience_services.audience_recompute(audience=audience)
    audience.refresh_from_db()
    return audience


@pytest.fixture
def sales(world: World, moved_clock: Clock) -> Audience:
    """Everyone in Sales and below: Max Manager, Rita Report, Ivan Indirect and Lena Learner."""
    return make_audience(world, "Sales", {"org_unit": world.sales.pk, "include_sub_units": True})


def make_course(world: World, title: str) -> Course:
    course = CourseFactory(organization=world.org, title=title)
    staff(course, world.instructor, "owner")
    section = SectionFactory(course=course, title="Basics")
    ActivityFactory(section=section, title="Read me")
    publish(course, world.instructor.user)
    course.refresh_from_db()
    return course


@pytest.fixture
def course(world: World) -> Course:
    return make_course(world, "Anti-bribery")


@dataclass
class Builder:
    world: World
    officer: Membership

    def data(self, audience: Audience, courses: list[Course] | None = None, **overrides: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": "Anti-bribery 2026",
            "audience_id": audience.pk,
            "requirement": "course",
            "course_ids": [c.pk for c in courses or []],
            "due_rule": "after_assignment",
            "due_days": 30,
            "enroll": False,
        }
        data.update(overrides)
        return data

    def program(
        self, audience: Audience, courses: list[Course] | None = None, *, activate: bool = True, **overrides: Any
    ) -> Program:
        program = services.program_create(
            organization=self.world.org, by=self.officer.user, data=self.data(audience, courses, **overrides)
        )
        if activate:
            services.program_activate(program=program, by=self.officer.user)
            # The activation queues the evaluation on commit, which a test's transaction never reaches.
            evaluation.evaluate_program(program, full=True)
        program.refresh_from_db()
        return program


@pytest.fixture
def build(world: World, officer: Membership) -> Builder:
    return Builder(world, officer)


def complete(membership: Membership, course: Course, on: dt.datetime, *, score: str | None = None) -> Completion:
    """A completion on the transcript (what progress writes when a course is completed), recorded at `on`."""
    completion = Completion.objects.create(
        organization_id=membership.organization_id,
        membership=membership,
        course=course,
        title=course.title,
        completed_at=on,
        score=Decimal(score) if score is not None else None,
    )
    Completion.objects.filter(pk=completion.pk).update(created_at=on)
    completion.created_at = on
    return completion
