"""The import service: the dry run judges every question like the editor does, the import saves all or nothing
(or only the valid ones when asked), keeps tags, builds category paths, and turns a re-import into new versions."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from syllabus.assessment.formats import base as formats
from syllabus.assessment.models import Question, QuestionCategory
from syllabus.assessment.question_types.truefalse import qtype as truefalse
from syllabus.assessment.services import imports
from syllabus.assessment.services import questions as services
from syllabus.audit.models import AuditRecord
from syllabus.skills.models import Skill
from tests.assessment.banks.conftest import People, fake_file, tf
from tests.assessment.conftest import QuizWorld

pytestmark = pytest.mark.django_db

GIFT = b"""$CATEGORY: Fire safety/Extinguishers

::Water::Water puts out electrical fires. {F}

::Capital::The capital of France? {=Paris ~Lyon ~Berlin}
"""
GIFT_WITH_A_BROKEN_QUESTION = GIFT + b"\n::Broken::What? {=yes ~\n"
AIKEN = b"""What is 2+2?
A. 3
B. 4
ANSWER: B

What is 3+3?
A. 6
B. 7
ANSWER: A
"""


def preview(quiz_world: QuizWorld, content: bytes, fmt: str = "gift", **kw: object) -> imports.ImportPlan:
    return imports.import_preview(
        bank=quiz_world.bank, category=quiz_world.category, fmt=fmt, content=content, filename="f.txt",
        by=quiz_world.owner, **kw,
    )  # fmt: skip


def apply(
    quiz_world: QuizWorld, content: bytes, fmt: str = "gift", *, valid_only: bool = False
) -> imports.ImportResult:
    return imports.import_apply(
        bank=quiz_world.bank, category=quiz_world.category, fmt=fmt, content=content, filename="f.txt",
        valid_only=valid_only, by=quiz_world.owner,
    )  # fmt: skip


# --- the dry run -----------------------------------------------------------------------------------------------------


def test_the_dry_run_of_a_gift_file_lists_each_question_with_its_type_line_and_category(quiz_world) -> None:
    plan = preview(quiz_world, GIFT)
    assert [(r.name, r.qtype, r.where, r.category, r.valid) for r in plan.rows] == [
        ("Water", "truefalse", "line 3", "Fire safety/Extinguishers", True),
        ("Capital", "single", "line 5", "Fire safety/Extinguishers", True),
    ]
    assert plan.can_import_all and plan.valid_count == 2 and plan.summary == "GIFT file: 2 questions."
    assert Question.objects.count() == 0 and not QuestionCategory.objects.filter(name="Fire safety").exists()


def test_the_dry_run_shows_the_files_problems_with_their_line_and_refuses_import_all(quiz_world) -> None:
    plan = preview(quiz_world, GIFT_WITH_A_BROKEN_QUESTION)
    assert [(p.line, p.question) for p in plan.problems] == [(7, "Broken")]
    assert plan.valid_count == 2 and plan.error_count == 1
    assert not plan.can_import_all and plan.can_import_valid


def test_the_dry_run_names_the_field_of_each_error(quiz_world, fake_format) -> None:
    content = fake_file(
        tf("Fine"),
        tf("", text=""),
        {"qtype": "truefalse", "name": "No answer", "text": "<p>?</p>", "data": {}},
        {"qtype": "hologram", "name": "Unknown", "text": "<p>?</p>", "data": {}},
    )
    plan = preview(quiz_world, content, fmt="fake")
    errors = {row.index: row.errors for row in plan.rows}
    assert errors[1] == {}
    assert errors[2] == {"name": [services.NAME_REQUIRED], "text": [services.TEXT_REQUIRED]}
    assert errors[3] == {"correct": [truefalse.CORRECT_REQUIRED]}
    assert errors[4] == {"qtype": ["Unknown question type: hologram."]}
    assert plan.rows[3].qtype_label == "hologram" and plan.rows[0].qtype_label == "True/false"


def test_a_question_whose_category_path_nests_too_deep_is_an_error_of_its_category(quiz_world, fake_format) -> None:
    deep = "/".join(f"Level {n}" for n in range(services.DEPTH_LIMIT))
    plan = preview(quiz_world, fake_file(tf("Deep", category=deep)), fmt="fake")
    assert plan.rows[0].errors == {"category": [imports.PATH_TOO_DEEP.format(limit=services.DEPTH_LIMIT)]}


def test_an_idnumber_twice_in_the_file_is_an_error_of_the_second(quiz_world, fake_format) -> None:
    plan = preview(quiz_world, fake_file(tf("One", idnumber="q-1"), tf("Two", idnumber="q-1")), fmt="fake")
    assert plan.rows[0].valid
    assert plan.rows[1].errors == {"idnumber": [imports.IDNUMBER_TWICE.format(where="line 1")]}


def test_a_file_that_is_not_of_the_format_is_refused_with_the_formats_words(quiz_world) -> None:
    plan = preview(quiz_world, b"\xff\xfe not utf-8", fmt="aiken")
    assert [p.message for p in plan.problems] == [formats.NOT_TEXT]
    assert not plan.rows and not plan.can_import_valid


def test_a_file_above_the_size_limit_is_refused_before_it_is_parsed(quiz_world, fake_format, monkeypatch) -> None:
    monkeypatch.setattr(formats, "MAX_FILE_BYTES", 10)
    monkeypatch.setattr(type(fake_format), "parse", lambda *a, **k: pytest.fail("parsed"))
    with pytest.raises(ValidationError) as caught:
        preview(quiz_world, b"x" * 11, fmt="fake")
    assert caught.value.message_dict == {"file": [formats.TOO_LARGE.format(limit=0)]}


def test_a_parser_that_crashes_gives_a_problem_not_an_error_page(quiz_world, fake_format, monkeypatch) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RecursionError

    monkeypatch.setattr(type(fake_format), "parse", explode)
    plan = preview(quiz_world, b"[]", fmt="fake")
    assert [p.message for p in plan.problems] == [imports.UNREADABLE.format(format="Fake JSON")]


def test_an_unknown_format_and_a_category_of_another_bank_are_refused(quiz_world, shared_bank) -> None:
    with pytest.raises(ValidationError) as caught:
        preview(quiz_world, GIFT, fmt="docx")
    assert caught.value.message_dict == {"format": [formats.UNKNOWN_FORMAT.format(key="docx")]}
    with pytest.raises(ValidationError) as caught:
        imports.import_preview(
            bank=quiz_world.bank, category=shared_bank.categories.get(), fmt="gift", content=GIFT, by=quiz_world.owner
        )
    assert caught.value.message_dict == {"category": [services.CATEGORY_NOT_IN_BANK]}


def test_a_non_editing_instructor_may_not_even_dry_run(quiz_world, people: People) -> None:
    with pytest.raises(PermissionDenied):
        imports.import_preview(
            bank=quiz_world.bank, category=quiz_world.category, fmt="gift", content=GIFT, by=people.teacher.user
        )


# --- the import -------------------------------------------------------------------------------------------------------


def test_importing_a_gift_file_creates_its_questions_in_the_category_path_below_the_chosen_one(quiz_world) -> None:
    result = apply(quiz_world, GIFT)
    assert len(result.created_ids) == 2 and result.updated_ids == ()
    extinguishers = QuestionCategory.objects.get(name="Extinguishers")
    assert extinguishers.parent.name == "Fire safety" and extinguishers.parent.parent_id == quiz_world.category.pk
    water = Question.objects.get(name="Water")
    assert water.category_id == extinguishers.pk and water.latest.number == 1
    assert water.latest.data == {"correct": False, "feedback_true": "", "feedback_false": ""}
    assert water.created_by == quiz_world.owner


def test_an_aiken_file_imports_into_the_chosen_category_itself(quiz_world) -> None:
    result = apply(quiz_world, AIKEN, fmt="aiken")
    assert set(Question.objects.filter(pk__in=result.created_ids).values_list("category_id", flat=True)) == {
        quiz_world.category.pk
    }


def test_with_errors_and_no_choice_nothing_is_imported(quiz_world) -> None:
    with pytest.raises(imports.ImportRejected) as caught:
        apply(quiz_world, GIFT_WITH_A_BROKEN_QUESTION)
    assert caught.value.message_dict == {"file": [imports.HAS_ERRORS.format(count=1)]}
    assert caught.value.plan.valid_count == 2
    assert Question.objects.count() == 0 and not QuestionCategory.objects.filter(name="Fire safety").exists()
    assert not AuditRecord.objects.filter(action=imports.AUDIT_ACTION).exists()


def test_import_the_valid_ones_saves_only_those(quiz_world, fake_format) -> None:
    result = apply(quiz_world, fake_file(tf("Good"), tf("", text=""), tf("Also good")), fmt="fake", valid_only=True)
    assert sorted(Question.objects.values_list("name", flat=True)) == ["Also good", "Good"]
    assert len(result.created_ids) == 2 and result.skipped == 1


def test_a_file_with_no_valid_question_is_refused_even_with_valid_only(quiz_world, fake_format) -> None:
    with pytest.raises(imports.ImportRejected) as caught:
        apply(quiz_world, fake_file(tf("", text="")), fmt="fake", valid_only=True)
    assert caught.value.message_dict == {"file": [imports.NOTHING_VALID]}


def test_a_failure_while_saving_the_third_question_leaves_nothing_half_saved(
    quiz_world, fake_format, monkeypatch
) -> None:
    real = services.question_create_clean
    calls = []

    def fail_on_third(**kwargs: object) -> Question:
        calls.append(kwargs)
        if len(calls) == 3:
            raise ValidationError({"name": "The database refused it."})
        return real(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(services, "question_create_clean", fail_on_third)
    content = fake_file(tf("One", category="New/Deeper"), tf("Two"), tf("Three"), tf("Four"))
    with pytest.raises(ValidationError) as caught:
        apply(quiz_world, content, fmt="fake")
    assert caught.value.message_dict == {"file": ["Three (line 3): The database refused it."]}
    assert Question.objects.count() == 0
    assert not QuestionCategory.objects.filter(name__in=["New", "Deeper"]).exists()
    assert not AuditRecord.objects.filter(action=imports.AUDIT_ACTION).exists()


def test_tags_of_the_file_are_kept(quiz_world, fake_format) -> None:
    apply(quiz_world, fake_file(tf("Tagged", tags=["Fire", "warehouse ", "fire"])), fmt="fake")
    assert sorted(Question.objects.get().tags.values_list("name", flat=True)) == ["fire", "warehouse"]


def test_re_importing_a_question_with_the_same_idnumber_adds_a_version_instead_of_a_duplicate(
    quiz_world, fake_format
) -> None:
    first = apply(quiz_world, fake_file(tf("Sky", idnumber="sky-1", correct=True)), fmt="fake")
    question = Question.objects.get(pk=first.created_ids[0])
    services.question_set_hidden(question=question, hidden=False, by=quiz_world.owner)
    Question.objects.filter(pk=question.pk).update(difficulty=5)
    question.skills.set([])
    plan = preview(quiz_world, fake_file(tf("Sky, fixed", idnumber="sky-1", correct=False)), fmt="fake")
    assert plan.rows[0].action == "update" and plan.rows[0].existing_id == question.pk
    second = apply(quiz_world, fake_file(tf("Sky, fixed", idnumber="sky-1", correct=False)), fmt="fake")
    assert second.created_ids == () and second.updated_ids == (question.pk,)
    question.refresh_from_db()
    assert Question.objects.count() == 1
    assert question.latest.number == 2 and question.name == "Sky, fixed"
    assert question.latest.data["correct"] is False
    assert question.difficulty == 5  # the file gave none: the question keeps its own


def test_re_importing_keeps_the_questions_skills_and_category(quiz_world, fake_format, world) -> None:
    skill = Skill.objects.create(organization=world.org, code="fire", name="Fire")
    first = apply(quiz_world, fake_file(tf("Sky", idnumber="sky-1")), fmt="fake")
    question = Question.objects.get(pk=first.created_ids[0])
    question.skills.set([skill])
    elsewhere = quiz_world.make_category("Elsewhere")
    services.question_move(questions=[question], category=elsewhere, by=quiz_world.owner)
    apply(quiz_world, fake_file(tf("Sky", idnumber="sky-1", category="Ignored")), fmt="fake")
    question.refresh_from_db()
    assert question.latest.number == 2 and question.category_id == elsewhere.pk
    assert list(question.skills.all()) == [skill]


def test_one_audit_record_per_applied_import(quiz_world) -> None:
    apply(quiz_world, GIFT)
    record = AuditRecord.objects.get(action=imports.AUDIT_ACTION)
    assert record.target_type == "assessment.questionbank" and record.target_id == str(quiz_world.bank.pk)
    assert record.after["created"] == 2 and record.after["updated"] == 0 and record.after["format"] == "gift"


# --- the stashed upload -----------------------------------------------------------------------------------------------


def test_the_stashed_upload_is_found_again_by_the_same_person_and_bank_only(quiz_world, people, shared_bank) -> None:
    token = imports.upload_stash(
        bank=quiz_world.bank, by=quiz_world.owner, content=GIFT, filename="f.txt", format_key="gift", category_id=7
    )
    found = imports.upload_load(token=token, bank=quiz_world.bank, by=quiz_world.owner)
    assert (found.content, found.filename, found.format_key, found.category_id) == (GIFT, "f.txt", "gift", 7)
    for bank, user in ((quiz_world.bank, people.plain_editor.user), (shared_bank, quiz_world.owner)):
        with pytest.raises(ValidationError) as caught:
            imports.upload_load(token=token, bank=bank, by=user)
        assert caught.value.message_dict == {"upload": [imports.UPLOAD_EXPIRED]}
    imports.upload_discard(token=token)
    with pytest.raises(ValidationError):
        imports.upload_load(token=token, bank=quiz_world.bank, by=quiz_world.owner)


@pytest.mark.parametrize("token", ["", "short", "../../etc/passwd" * 3, "x" * 65, None])
def test_a_malformed_upload_key_is_simply_not_found(quiz_world, token) -> None:
    with pytest.raises(ValidationError):
        imports.upload_load(token=token, bank=quiz_world.bank, by=quiz_world.owner)  # type: ignore[arg-type]
