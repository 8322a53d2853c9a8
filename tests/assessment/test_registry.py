"""Every plugin listed in the families' registries is there and registered under its own key."""

from __future__ import annotations

import pytest

from syllabus.assessment import formats, question_types
from syllabus.assessment.formats import base as format_base
from syllabus.assessment.question_types import base as type_base


@pytest.mark.parametrize("key", question_types.TYPES)
def test_every_listed_question_type_is_registered_under_its_key(key: str) -> None:
    question_types.load()
    assert type_base.is_registered(key)
    assert type_base.get(key).key == key


@pytest.mark.parametrize("key", formats.FORMATS)
def test_every_listed_format_is_registered_under_its_key(key: str) -> None:
    formats.load()
    assert format_base.get(key).key == key


def test_no_type_is_registered_that_the_list_does_not_name() -> None:
    question_types.load()
    assert {qtype.key for qtype in type_base.all_types()} <= set(question_types.TYPES)


def test_only_graded_types_take_part_in_grades_and_manual_types_give_no_tries() -> None:
    question_types.load()
    for qtype in type_base.all_types():
        if qtype.manual:
            assert qtype.graded
            assert not qtype.allows_tries, qtype.key
    assert not type_base.get("description").graded
    assert type_base.get("essay").manual
