"""Fixtures of the audience tests: eager tasks, a movable clock, and a small varied population."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

import pytest

from syllabus.accounts.models import AttributeDefinition, JobRole, Location, Membership, Organization, OrgUnit
from syllabus.audiences import services
from syllabus.audiences.models import Audience
from syllabus.celery import app as celery_app
from syllabus.core import clock
from tests.api.conftest import as_member  # noqa: F401 (the API tests' token-client fixture)
from tests.conftest import World
from tests.factories import (
    AttributeDefinitionFactory,
    JobRoleFactory,
    LocationFactory,
    MembershipFactory,
    OrgUnitFactory,
)

NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def eager_tasks(monkeypatch):
    # `make test` sets CELERY_TASK_ALWAYS_EAGER=true; this keeps a bare `pytest` run off the real broker too.
    monkeypatch.setattr(celery_app.conf, "task_always_eager", True)
    monkeypatch.setattr(celery_app.conf, "task_eager_propagates", True)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def move(self, **delta: float) -> dt.datetime:
        self.now = self.now + dt.timedelta(**delta)
        return self.now


@pytest.fixture
def moved_clock(monkeypatch) -> Clock:
    """clock.now() under the test's control, starting at NOW (2026-03-02 09:30 UTC)."""
    current = Clock()
    monkeypatch.setattr(clock, "now", lambda: current.now)
    monkeypatch.setattr(clock, "today", lambda: current.now.date())
    return current


GRADES = ["Band 5", "Band 6", "Band 7"]
TEAMS = ["Red team", "blue Team", "Green", "red", ""]


@dataclass
class Population:
    """One organisation with a small tree, reference data, attributes and ~40 varied people."""

    org: Organization
    units: list[OrgUnit]
    job_roles: list[JobRole]
    locations: list[Location]
    definitions: dict[str, AttributeDefinition]
    people: list[Membership]
    outsiders: list[Membership]
    audiences: list[Audience] = field(default_factory=list)


def build_population(world: World, *, size: int = 40, seed: int = 7) -> Population:
    rnd = random.Random(seed)
    org = world.org
    north = OrgUnitFactory(organization=org, name="North", parent=world.hq)
    north_ward = OrgUnitFactory(organization=org, name="North ward", parent=north)
    units = [world.hq, world.sales, world.sales_east, world.engineering, north, north_ward]
    job_roles = [JobRoleFactory(organization=org, name=name) for name in ("Nurse", "Doctor", "Porter")]
    locations = [LocationFactory(organization=org, name=name) for name in ("Leeds", "York", "Hull")]
    definitions = {
        "grade": AttributeDefinitionFactory(
            organization=org, key="grade", label="Grade", type=AttributeDefinition.Type.CHOICE, choices=GRADES
        ),
        "fte": AttributeDefinitionFactory(
            organization=org, key="fte", label="FTE", type=AttributeDefinition.Type.NUMBER
        ),
        "team": AttributeDefinitionFactory(
            organization=org, key="team", label="Team", type=AttributeDefinition.Type.TEXT
        ),
        "contract_end": AttributeDefinitionFactory(
            organization=org, key="contract_end", label="Contract end", type=AttributeDefinition.Type.DATE
        ),
        # A key Django would read as a path ("odd" then "key") if it were written as a lookup.
        "odd__key": AttributeDefinitionFactory(
            organization=org, key="odd__key", label="Odd", type=AttributeDefinition.Type.TEXT
        ),
    }
    today = NOW.date()
    people = []
    for index in range(size):
        attributes: dict[str, object] = {}
        if rnd.random() < 0.8:
            attributes["grade"] = rnd.choice(GRADES)
        if rnd.random() < 0.8:
            attributes["fte"] = rnd.choice([0.5, 0.6, 0.8, 1, 1, 2])
        if rnd.random() < 0.7 and (team := rnd.choice(TEAMS)):
            attributes["team"] = team
        if rnd.random() < 0.6:
            attributes["contract_end"] = (today + dt.timedelta(days=rnd.randint(-400, 400))).isoformat()
        if rnd.random() < 0.3:
            attributes["odd__key"] = "x"
        hire = (
            today - dt.timedelta(days=rnd.choice([0, 1, 5, 29, 30, 31, 90, 365, 800, -3]))
            if rnd.random() < 0.85
            else None
        )
        people.append(
            MembershipFactory(
                organization=org,
                org_unit=rnd.choice([*units, None]),
                job_role=rnd.choice([*job_roles, None]),
                location=rnd.choice([*locations, None]),
                hire_date=hire,
                attributes=attributes,
                is_active=rnd.random() < 0.9,
                user__display_name=f"Person {index:02d}",
            )
        )
    outsiders = [
        MembershipFactory(organization=world.other_org, hire_date=today, attributes={"grade": "Band 5"})
        for _ in range(3)
    ]
    return Population(org, units, job_roles, locations, definitions, people, outsiders)


@pytest.fixture
def population(world: World) -> Population:
    return build_population(world)


def make_audience(world: World, name: str, rules_tree: dict, **kwargs) -> Audience:
    return services.audience_create(
        organization=world.org, by=world.org_admin.user, name=name, rules_tree=rules_tree, **kwargs
    )
