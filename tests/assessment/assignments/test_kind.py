"""The assignment kind: settings read tolerantly, the author form and the API's JSON validated with errors naming
their field, the late penalty rule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict

from syllabus.assessment import assignment_kind
from syllabus.assessment.assignment_kind import AssignmentKind
from syllabus.assessment.assignment_settings import AssignmentSettings, late_penalty_points
from syllabus.catalog.activity_kinds.base import AuthorContext
from tests.assessment.assignments.conftest import RUBRIC, AssignmentWorld, config

pytestmark = pytest.mark.django_db
KIND = AssignmentKind()


def test_settings_fall_back_to_defaults_for_absent_or_nonsense_values() -> None:
    settings = AssignmentSettings.from_config({"max_files": 99, "word_limit": "lots", "grading": "x", "pass_mark": 150})
    assert (settings.submission_text, settings.submission_files, settings.max_files, settings.word_limit) == (
        True, False, 3, 0,
    )  # fmt: skip
    assert settings.max_points == Decimal(100) and settings.pass_mark == Decimal(100)
    assert settings.accepted_types == () and ".pdf" in settings.types


def test_a_rubrics_maximum_is_the_sum_of_each_criterions_highest_level() -> None:
    settings = AssignmentSettings.from_config(config())
    assert settings.max_points == Decimal(15)
    guide = {"criteria": [{"id": "g1", "name": "A", "max_mark": "7.5"}, {"id": "g2", "name": "B", "max_mark": "10"}]}
    assert AssignmentSettings.from_config(config(grading={"method": "guide", "guide": guide})).max_points == Decimal(
        "17.5"
    )


@pytest.mark.parametrize(
    ("late_seconds", "expected"),
    [(0, "0"), (1, "10"), (86_400, "10"), (86_401, "20"), (4 * 86_400 + 1, "50"), (30 * 86_400, "50")],
)
def test_the_late_penalty_counts_every_started_day_up_to_its_maximum(late_seconds: int, expected: str) -> None:
    settings = AssignmentSettings.from_config(config())
    assert late_penalty_points(settings, max_points=Decimal(100), late_seconds=late_seconds) == Decimal(expected)


def _context(world: AssignmentWorld, current: dict[str, Any] | None = None) -> AuthorContext:
    return AuthorContext(course=world.course, by=world.owner, current=current or {})


def _form(**values: str) -> QueryDict:
    data = QueryDict(mutable=True)
    data.update({"assignment_form": "1", "submission_text": "on", **values})
    return data


def test_the_author_form_builds_a_rubric_from_its_rows(assignment_world: AssignmentWorld) -> None:
    data = _form(
        grading_method="rubric", due_at="2026-03-10T17:00", cutoff_at="2026-03-12T17:00",
        late_percent_per_day="10", late_max_percent="30", accepted_types="PDF, .docx",
        rubric_rows="2", **{
            "rubric-1-description": "Structure", "rubric-1-level_rows": "3",
            "rubric-1-level-1-points": "0", "rubric-1-level-1-definition": "Missing",
            "rubric-1-level-2-points": "5", "rubric-1-level-2-definition": "Clear",
            "rubric-2-level_rows": "2",  # a blank criterion row
        },
    )  # fmt: skip
    cleaned = KIND.clean(data=data, files={}, context=_context(assignment_world))
    rubric = cleaned["grading"]["rubric"]
    assert [c["description"] for c in rubric["criteria"]] == ["Structure"]
    assert [(lv["points"], lv["definition"]) for lv in rubric["criteria"][0]["levels"]] == [
        ("0", "Missing"), ("5", "Clear"),
    ]  # fmt: skip
    assert cleaned["accepted_types"] == [".pdf", ".docx"]
    assert cleaned["late_penalty"] == {"percent_per_day": "10", "max_percent": "30"}
    assert cleaned["due_at"] == dt.datetime(2026, 3, 10, 17, tzinfo=dt.UTC).isoformat()
    assert KIND.grade_max(cleaned) == Decimal(5)


def test_every_author_form_error_names_its_field(assignment_world: AssignmentWorld) -> None:
    data = _form(
        grading_method="rubric", due_at="2026-03-10T17:00", cutoff_at="2026-03-09T17:00", max_files="0",
        accepted_types=".pdf, .exe", pass_mark="120", late_percent_per_day="200",
        rubric_rows="2", guide_rows="1", **{
            "rubric-1-description": "Structure", "rubric-1-level_rows": "1",
            "rubric-1-level-1-points": "5", "rubric-1-level-1-definition": "Clear",
            "rubric-2-description": "Evidence", "rubric-2-level_rows": "2",
            "rubric-2-level-1-points": "-1", "rubric-2-level-1-definition": "None",
            "rubric-2-level-2-points": "5", "rubric-2-level-2-definition": "",
            "guide-1-max_mark": "0",
        },
    )  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        KIND.clean(data=data, files={}, context=_context(assignment_world))
    errors = caught.value.message_dict
    assert errors["cutoff_at"] == [assignment_kind.CUTOFF_BEFORE_DUE]
    assert errors["max_files"] == [assignment_kind.WHOLE_NUMBER.format(low=1, high=20)]
    assert errors["accepted_types"] == [assignment_kind.TYPE_REFUSED.format(type=".exe")]
    assert errors["pass_mark"] == [assignment_kind.PASS_MARK_RANGE]
    assert errors["late_percent_per_day"] == [assignment_kind.PERCENT_RANGE]
    assert errors["rubric-1-levels"] == [assignment_kind.LEVEL_COUNT.format(number=1, low=2, high=10)]
    assert errors["rubric-2-level-1-points"] == [assignment_kind.LEVEL_POINTS.format(number=2, level=1, high=1000)]
    assert errors["rubric-2-level-2-definition"] == [assignment_kind.LEVEL_TEXT.format(number=2, level=2)]
    assert errors["guide-1-name"] == [assignment_kind.CRITERION_NAME.format(number=1)]
    assert errors["guide-1-max_mark"] == [assignment_kind.MAX_MARK_RANGE.format(number=1, high=1000)]


def test_the_api_json_is_the_config_shape_and_its_errors_name_the_path(assignment_world: AssignmentWorld) -> None:
    current = config()
    rubric = {"criteria": [RUBRIC["criteria"][0], {"description": "Evidence", "levels": [
        {"points": "0", "definition": "None"}, {"points": "2000", "definition": "All"},
    ]}]}  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        KIND.clean(
            data={"grading": {"rubric": rubric}, "late_penalty": {"percent_per_day": "x"}, "submission_text": False,
                  "submission_files": False},
            files={}, context=_context(assignment_world, current),
        )  # fmt: skip
    errors = caught.value.message_dict
    assert errors["grading.rubric.criteria[1].levels[1].points"] == [
        assignment_kind.LEVEL_POINTS.format(number=2, level=2, high=1000)
    ]
    assert errors["late_penalty.percent_per_day"] == [assignment_kind.PERCENT_RANGE]
    assert errors["submission_text"] == [assignment_kind.NO_WAY_TO_HAND_IN]


def test_the_api_keeps_what_it_does_not_send_and_gives_new_rows_ids(assignment_world: AssignmentWorld) -> None:
    current = config()
    rubric = {"criteria": [*RUBRIC["criteria"], {"description": "Style", "levels": [
        {"points": "0", "definition": "Poor"}, {"points": "3", "definition": "Good"},
    ]}]}  # fmt: skip
    cleaned = KIND.clean(data={"grading": {"rubric": rubric}}, files={}, context=_context(assignment_world, current))
    criteria = cleaned["grading"]["rubric"]["criteria"]
    assert [c["id"] for c in criteria[:2]] == ["c1", "c2"] and criteria[2]["id"].startswith("c")
    assert criteria[2]["id"] not in {"c1", "c2"} and all(lv["id"] for lv in criteria[2]["levels"])
    assert cleaned["grading"]["method"] == "rubric" and cleaned["word_limit"] == 0 and cleaned["max_files"] == 2
    assert AssignmentSettings.from_config(cleaned).max_points == Decimal(18)


def test_the_author_form_shows_saved_rubric_rows_and_blank_ones(assignment_world: AssignmentWorld) -> None:
    html = str(KIND.render_author(request=None, current=config(), course=assignment_world.course))
    assert 'name="rubric-1-description"' in html and "Structure" in html
    assert 'name="rubric-3-description"' in html  # the blank criterion
    assert 'name="rubric-1-level-4-points"' in html  # two blank levels after the saved two


def test_describe_and_search_read_the_config() -> None:
    described = KIND.describe(config())
    assert "Structure" in described["Grading"] and "Write up the incident." in KIND.search_text(config())
