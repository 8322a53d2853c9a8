"""The demo framework that seed_demo loads."""

from __future__ import annotations

import pytest

from syllabus.skills import demo, selectors
from syllabus.skills.models import ProficiencyScale, Skill

pytestmark = pytest.mark.django_db


def test_seed_skills_builds_a_realistic_framework_on_the_default_scale(world):
    skills = demo.seed_skills(world.org)
    assert len(skills) == len(demo.FRAMEWORK) >= 20
    hygiene = skills["hand-hygiene"]
    assert [a.name for a in selectors.skill_ancestors(skill=hygiene)] == [
        "Patient safety",
        "Infection prevention and control",
    ]
    assert hygiene.scale.name == "1–5"
    assert skills["patient-safety"].scale is None  # a grouping skill
    assert {skills[code].depth for code in skills} == {0, 1, 2}
    # The codes the catalog's demo courses are tagged with.
    for code in (
        "professionalism",
        "infection-prevention",
        "fire-safety",
        "data-protection",
        "cyber-security",
        "safeguarding-adults",
        "basic-life-support",
        "feedback",
        "communication",
        "wellbeing",
    ):
        assert code in skills


def test_seeding_again_changes_nothing(world):
    first = demo.seed_skills(world.org)
    again = demo.seed_skills(world.org)
    assert {code: skill.pk for code, skill in first.items()} == {code: skill.pk for code, skill in again.items()}
    assert ProficiencyScale.objects.filter(organization=world.org).count() == 1
    assert Skill.objects.filter(organization=world.org).count() == len(demo.FRAMEWORK)
