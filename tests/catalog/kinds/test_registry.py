"""The registry of kinds: every kind of this issue is there, declares its signals, and draws its author form."""

from __future__ import annotations

from pathlib import Path

import pytest

from syllabus.catalog.activity_kinds import base
from syllabus.catalog.models import Course
from tests.conftest import World
from tests.factories import CourseFactory

KINDS = ["page", "video", "file", "link", "acknowledgement"]


def test_every_kind_of_this_issue_is_registered() -> None:
    assert [kind.key for kind in base.all_kinds()][: len(KINDS)] == KINDS


@pytest.mark.parametrize("key", KINDS)
def test_each_completion_rule_is_built_from_signals_the_kind_produces(key: str) -> None:
    kind = base.get(key)
    assert kind.completion_rules
    for rule in kind.completion_rules:
        assert set(rule.signals) <= set(kind.signals)


@pytest.mark.parametrize("key", KINDS)
def test_the_first_rule_is_the_default_completion(key: str) -> None:
    kind = base.get(key)
    assert kind.clean_completion(None)["rule"] == kind.completion_rules[0].key


@pytest.mark.django_db
@pytest.mark.parametrize("key", KINDS)
def test_each_kind_draws_its_author_fields_with_errors_beside_them(world: World, key: str) -> None:
    course: Course = CourseFactory(organization=world.org)
    kind = base.get(key)
    names = [item["name"] for item in kind.form_fields(current={}, course=course)]
    errors = {names[0]: ["Something is wrong."]}
    html = str(kind.render_author(request=None, current={}, course=course, errors=errors))
    for name in names:
        assert f'name="{name}"' in html
    assert f'id="id_{names[0]}_error"' in html and "Something is wrong." in html
    # Never the names of the common activity fields the authoring form already has.
    assert not set(names) & {"title", "completion_rule", "is_required", "duration_minutes", "skills"}


def test_an_unknown_kind_is_a_validation_error() -> None:
    with pytest.raises(Exception, match="Unknown activity kind"):
        base.get("hologram")


def test_the_kinds_folder_explains_how_to_add_a_kind() -> None:
    readme = Path(base.__file__).parent / "README.md"
    assert "How to add a kind" in readme.read_text()
