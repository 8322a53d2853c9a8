"""Fixtures of the skills tests: the default scale and a small framework built through the services."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from syllabus.skills import services
from syllabus.skills.models import ProficiencyScale, Skill
from tests.api.conftest import as_member  # noqa: F401 (the API tests' token-client fixture)
from tests.conftest import World


@dataclass
class Framework:
    scale: ProficiencyScale
    safety: Skill  # Patient safety
    infection: Skill  # Patient safety > Infection control
    hygiene: Skill  # Patient safety > Infection control > Hand hygiene
    leadership: Skill  # Leadership
    coaching: Skill  # Leadership > Coaching


def add(world: World, code: str, name: str, parent: Skill | None = None, **kwargs) -> Skill:
    return services.skill_create(
        organization=world.org, by=world.org_admin.user, code=code, name=name, parent=parent, **kwargs
    )


@pytest.fixture
def framework(world: World) -> Framework:
    scale = services.scale_create_default(organization=world.org, by=world.org_admin.user)
    safety = add(world, "patient-safety", "Patient safety")
    infection = add(world, "infection-control", "Infection control", safety, scale=scale)
    hygiene = add(world, "hand-hygiene", "Hand hygiene", infection, scale=scale, description="The five moments.")
    leadership = add(world, "leadership", "Leadership")
    coaching = add(world, "coaching", "Coaching", leadership, scale=scale)
    return Framework(scale, safety, infection, hygiene, leadership, coaching)


def csv_bytes(*lines: str, bom: bool = False) -> bytes:
    data = ("\r\n".join(lines) + "\r\n").encode()
    return b"\xef\xbb\xbf" + data if bom else data
