"""The export service: the latest versions of a category's questions (and below it), each with its category path
from the bank's top, its tags and idnumber, in the format's bytes; questions the format cannot carry are named."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from syllabus.assessment.formats import base as formats
from syllabus.assessment.services import exports, imports
from syllabus.assessment.services import questions as services
from tests.assessment.banks.conftest import People
from tests.assessment.conftest import DEFAULT_DATA, QuizWorld

pytestmark = pytest.mark.django_db


@pytest.fixture
def filled(quiz_world: QuizWorld) -> QuizWorld:
    """Default: "Sky" (tf, tags, idnumber, edited once); Default/Fire: "Flames" (single), "Essay" (essay, hidden: no),
    "Gone" (hidden)."""
    sky = quiz_world.make_question("truefalse", "Sky", tags=["weather", "blue"], idnumber="sky-1")
    services.question_update(
        question=sky,
        values=services.QuestionFields(
            qtype="truefalse", name="Sky, v2", text="<p>Is the sky blue?</p>", data=DEFAULT_DATA["truefalse"],
            tags=["weather", "blue"], idnumber="sky-1",
        ),
        by=quiz_world.owner,
    )  # fmt: skip
    fire = quiz_world.make_category("Fire", parent=quiz_world.category)
    quiz_world.make_question("single", "Flames", category=fire)
    quiz_world.make_question("essay", "Essay", category=fire)
    gone = quiz_world.make_question("truefalse", "Gone", category=fire)
    services.question_set_hidden(question=gone, hidden=True, by=quiz_world.owner)
    return quiz_world


def export(quiz_world: QuizWorld, fmt: str, **kw: object) -> exports.ExportFile:
    kw.setdefault("category", quiz_world.category)
    return exports.export_questions(bank=quiz_world.bank, fmt=fmt, by=quiz_world.owner, **kw)  # type: ignore[arg-type]


def test_the_export_holds_the_latest_versions_with_their_category_path_tags_and_idnumber(filled, fake_format) -> None:
    exported = export(filled, "fake")
    items = json.loads(exported.content)
    assert [(i["name"], i["category"]) for i in items] == [("Sky, v2", "Default"), ("Flames", "Default/Fire")]
    sky = items[0]
    assert sky["text"] == "<p>Is the sky blue?</p>" and sky["tags"] == ["blue", "weather"]
    assert sky["idnumber"] == "sky-1" and sky["default_mark"] == "1.000"
    assert [q.name for q in exported.plan.unsupported] == ["Essay"]
    assert exported.filename == "fire-safety-default.json" and exported.content_type == "application/json"


def test_hidden_questions_come_only_when_asked_and_sub_categories_can_be_left_out(filled, fake_format) -> None:
    names = [i["name"] for i in json.loads(export(filled, "fake", include_hidden=True).content)]
    assert names == ["Sky, v2", "Flames", "Gone"]
    names = [i["name"] for i in json.loads(export(filled, "fake", include_subcategories=False).content)]
    assert names == ["Sky, v2"]


def test_the_plan_names_what_the_format_cannot_carry_before_the_download(filled) -> None:
    plan = exports.export_plan(bank=filled.bank, category=filled.category, fmt="qti2", by=filled.owner)
    assert plan.exported_count + len(plan.unsupported) == 3
    assert all(plan.fmt.unsupported(q.qtype) for q in plan.unsupported)


def test_a_moodle_xml_export_imports_back_with_the_same_content(filled) -> None:
    exported = export(filled, "moodlexml")
    assert exported.content.startswith(b"<?xml") and b"<idnumber>sky-1</idnumber>" in exported.content
    assert b"$course$/top/Default/Fire" in exported.content
    other = filled.make_category("Round trip")
    plan = imports.import_preview(
        bank=filled.bank, category=other, fmt="moodlexml", content=exported.content, by=filled.owner
    )
    assert plan.can_import_all
    rows = {row.name: row for row in plan.rows}
    assert set(rows) == {"Sky, v2", "Flames", "Essay"}
    assert rows["Sky, v2"].action == "update"  # its idnumber is in the bank: a new version, not a copy

    def without_ids(options: list[dict[str, str]]) -> list[dict[str, str]]:
        return [{key: value for key, value in option.items() if key != "id"} for option in options]

    original = filled.bank.questions.get(name="Flames").latest.data["options"]
    assert without_ids(rows["Flames"].clean["data"]["options"]) == without_ids(original)


def test_a_format_that_cannot_export_is_refused(filled) -> None:
    with pytest.raises(ValidationError) as caught:
        export(filled, "gift")
    assert caught.value.message_dict == {"format": [exports.FORMAT_CANNOT_EXPORT.format(format="GIFT")]}
    with pytest.raises(ValidationError) as caught:
        export(filled, "nope")
    assert caught.value.message_dict == {"format": [formats.UNKNOWN_FORMAT.format(key="nope")]}


def test_an_empty_category_has_nothing_to_export(quiz_world, fake_format) -> None:
    with pytest.raises(ValidationError) as caught:
        export(quiz_world, "fake")
    assert caught.value.message_dict == {"category": [exports.NOTHING_TO_EXPORT]}


def test_reading_the_bank_is_enough_to_export_and_needed(filled, people: People, fake_format) -> None:
    exported = exports.export_questions(bank=filled.bank, category=filled.category, fmt="fake", by=people.teacher.user)
    assert len(json.loads(exported.content)) == 2
    with pytest.raises(PermissionDenied):
        exports.export_questions(bank=filled.bank, category=filled.category, fmt="fake", by=people.learner.user)
