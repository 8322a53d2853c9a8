"""Review findings on the quiz kind's `clean`: ids that look like digits but are not ("²", Arabic-Indic digits, a
thousand digits) and dates that leave the calendar once moved to UTC are refused on their field, never a crash."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from syllabus.assessment import quiz_kind
from syllabus.assessment.quiz_kind import QuizKind
from syllabus.catalog.activity_kinds import base as kinds
from tests.assessment.conftest import QuizWorld
from tests.conftest import World

pytestmark = pytest.mark.django_db
NOT_IDS = ("²", "١٢", "9" * 5000)


def errors_of(quiz_world: QuizWorld, data: dict[str, Any]) -> dict[str, list[str]]:
    context = kinds.AuthorContext(course=quiz_world.course, by=quiz_world.owner, current={})
    with pytest.raises(ValidationError) as refused:
        QuizKind().clean(data=data, files={}, context=context)
    return refused.value.message_dict


@pytest.mark.parametrize("value", NOT_IDS)
def test_slot_ids_that_are_not_ascii_digits_are_refused_on_their_field(quiz_world: QuizWorld, value: str) -> None:
    category = str(quiz_world.category.pk)
    data = {
        "slots": [
            {"type": "fixed", "question_id": value},
            {"type": "random", "category_id": value},
            {"type": "random", "category_id": category, "skill_ids": [value]},
            {"type": "random", "category_id": category, "min_difficulty": value},
        ]
    }
    assert errors_of(quiz_world, data) == {
        "slots[0].question_id": [quiz_kind.QUESTION_NOT_FOUND.format(slot=1, ref=value[:20])],
        "slots[1].category_id": [quiz_kind.CATEGORY_NOT_FOUND.format(slot=2)],
        "slots[2].skill_ids": [quiz_kind.SKILL_NOT_FOUND.format(slot=3)],
        "slots[3].difficulty": [quiz_kind.DIFFICULTY_RANGE.format(slot=4)],
    }


@pytest.mark.parametrize(
    ("zone", "when"), [("Asia/Tokyo", "0001-01-01T05:00"), ("America/New_York", "9999-12-31T23:30")]
)
def test_a_date_at_the_end_of_the_calendar_is_refused_on_its_field(
    quiz_world: QuizWorld, world: World, zone: str, when: str
) -> None:
    world.org.default_time_zone = zone
    world.org.save()
    quiz_world.course.refresh_from_db()
    assert errors_of(quiz_world, {"opens_at": when}) == {"opens_at": [quiz_kind.BAD_DATE]}
