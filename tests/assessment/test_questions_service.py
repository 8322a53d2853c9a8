"""Writes to question banks (services/questions.py): banks, categories, questions and their versions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from syllabus.access.policy import NOT_ALLOWED
from syllabus.assessment.models import Question, QuestionBank, QuestionCategory, QuestionVersion
from syllabus.assessment.question_types import base as qtypes
from syllabus.assessment.question_types.truefalse.qtype import CORRECT_REQUIRED
from syllabus.assessment.services import questions as services
from syllabus.assessment.services.questions import QuestionFields
from syllabus.skills import services as skill_services
from tests.assessment.conftest import DEFAULT_DATA, RIGHT, QuizWorld, fixed, make_quiz_world, member
from tests.conftest import World
from tests.factories import staff


def fields(qtype: str = "truefalse", **kw: Any) -> QuestionFields:
    values: dict[str, Any] = {"name": "Fire", "text": "<p>Water puts out an oil fire.</p>", "data": DEFAULT_DATA[qtype]}
    values.update(kw)
    return QuestionFields(qtype=qtype, **values)


def create(quiz_world: QuizWorld, values: QuestionFields, **kw: Any) -> Question:
    return services.question_create(
        bank=kw.get("bank", quiz_world.bank),
        category=kw.get("category", quiz_world.category),
        values=values,
        by=kw.get("by", quiz_world.owner),
    )


def errors_of(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


# --- banks and categories -------------------------------------------------------------------------------------


def test_a_shared_bank_starts_with_a_default_category(world: World) -> None:
    bank = services.bank_create(organization=world.org, name="  Safety  ", description="All", by=world.org_admin.user)
    assert (bank.name, bank.course_id, bank.organization_id) == ("Safety", None, world.org.pk)
    assert list(bank.categories.values_list("name", flat=True)) == [services.DEFAULT_CATEGORY]


def test_only_question_managers_create_shared_banks_and_a_name_is_needed(world: World) -> None:
    with pytest.raises(PermissionDenied) as denied:
        services.bank_create(organization=world.org, name="Mine", by=world.instructor.user)
    assert str(denied.value) == NOT_ALLOWED
    with pytest.raises(ValidationError) as exc:
        services.bank_create(organization=world.org, name="   ", by=world.org_admin.user)
    assert errors_of(exc) == {"name": [services.BANK_NAME_REQUIRED]}
    assert not QuestionBank.objects.exists()


def test_a_course_gets_its_bank_once(quiz_world: QuizWorld) -> None:
    again = services.bank_for_course(course=quiz_world.course)
    assert again.pk == quiz_world.bank.pk
    assert QuestionBank.objects.filter(course=quiz_world.course).count() == 1
    assert quiz_world.bank.name == quiz_world.course.title


def test_a_bank_is_renamed_by_who_manages_it(quiz_world: QuizWorld, world: World) -> None:
    services.bank_update(bank=quiz_world.bank, name="Fire bank", by=quiz_world.owner)
    quiz_world.bank.refresh_from_db()
    assert quiz_world.bank.name == "Fire bank"
    with pytest.raises(PermissionDenied):
        services.bank_update(bank=quiz_world.bank, name="Mine", by=world.learner.user)


def test_categories_nest_with_unique_names_among_siblings(quiz_world: QuizWorld) -> None:
    fire = quiz_world.make_category("Fire")
    inner = quiz_world.make_category("Extinguishers", parent=fire)
    assert (inner.parent, inner.bank) == (fire, quiz_world.bank)
    # The same name elsewhere in the tree is fine; beside itself it is not.
    quiz_world.make_category("Extinguishers")
    with pytest.raises(ValidationError) as exc:
        quiz_world.make_category("Extinguishers", parent=fire)
    assert errors_of(exc) == {"name": [services.CATEGORY_NAME_TAKEN]}
    with pytest.raises(ValidationError) as exc:
        quiz_world.make_category("  ")
    assert errors_of(exc) == {"name": [services.CATEGORY_NAME_REQUIRED]}


def test_a_category_cannot_sit_under_a_category_of_another_bank(quiz_world: QuizWorld, world: World) -> None:
    other = make_quiz_world(world, "Other")
    with pytest.raises(ValidationError) as exc:
        quiz_world.make_category("Stray", parent=other.category)
    assert errors_of(exc) == {"parent": [services.CATEGORY_NOT_IN_BANK]}
    fire = quiz_world.make_category("Fire")
    with pytest.raises(ValidationError) as exc:
        services.category_update(category=fire, name="Fire", parent=other.category, by=quiz_world.owner)
    assert errors_of(exc) == {"parent": [services.CATEGORY_NOT_IN_BANK]}


def test_categories_nest_at_most_ten_deep(quiz_world: QuizWorld) -> None:
    parent: QuestionCategory | None = None
    for depth in range(services.DEPTH_LIMIT):
        parent = quiz_world.make_category(f"Level {depth}", parent=parent)
    with pytest.raises(ValidationError) as exc:
        quiz_world.make_category("Too deep", parent=parent)
    assert errors_of(exc) == {"parent": [services.CATEGORY_TOO_DEEP.format(limit=services.DEPTH_LIMIT)]}


def test_a_category_cannot_move_inside_itself(quiz_world: QuizWorld) -> None:
    fire = quiz_world.make_category("Fire")
    inner = quiz_world.make_category("Inner", parent=fire)
    for target in (fire, inner):
        with pytest.raises(ValidationError) as exc:
            services.category_update(category=fire, name="Fire", parent=target, by=quiz_world.owner)
        assert errors_of(exc) == {"parent": [services.CATEGORY_CYCLE]}
    moved = services.category_update(category=inner, name="Now top", parent=None, by=quiz_world.owner)
    assert moved.parent is None


def test_only_empty_categories_are_deleted_and_a_bank_keeps_one(quiz_world: QuizWorld) -> None:
    fire = quiz_world.make_category("Fire")
    quiz_world.make_question("truefalse", category=fire)
    with pytest.raises(ValidationError) as exc:
        services.category_delete(category=fire, by=quiz_world.owner)
    assert errors_of(exc) == {"category": [services.CATEGORY_NOT_EMPTY]}
    empty = quiz_world.make_category("Empty")
    services.category_delete(category=empty, by=quiz_world.owner)
    assert not QuestionCategory.objects.filter(pk=empty.pk).exists()

    lonely = make_quiz_world(quiz_world.world, "Lonely")
    with pytest.raises(ValidationError) as exc:
        services.category_delete(category=lonely.category, by=quiz_world.owner)
    assert errors_of(exc) == {"category": [services.CATEGORY_LAST]}


def test_a_category_path_is_created_once_and_found_again(quiz_world: QuizWorld) -> None:
    leaf = services.category_path_get_or_create(bank=quiz_world.bank, under=quiz_world.category, path="Fire/ Oil /")
    assert (leaf.name, leaf.parent.name, leaf.parent.parent) == ("Oil", "Fire", quiz_world.category)
    again = services.category_path_get_or_create(bank=quiz_world.bank, under=quiz_world.category, path="Fire/Oil")
    assert again.pk == leaf.pk
    assert services.category_path_get_or_create(bank=quiz_world.bank, under=leaf, path="") == leaf


def test_a_non_editing_instructor_does_not_change_the_bank(quiz_world: QuizWorld, world: World) -> None:
    teacher = member(world, "Terry Teacher")
    staff(quiz_world.course, teacher, "instructor")
    with pytest.raises(PermissionDenied):
        services.category_create(bank=quiz_world.bank, name="Mine", by=teacher.user)
    with pytest.raises(PermissionDenied):
        create(quiz_world, fields(), by=teacher.user)


# --- questions ------------------------------------------------------------------------------------------------


def test_a_question_is_created_with_its_first_version(quiz_world: QuizWorld, world: World) -> None:
    skill = skill_services.skill_create(organization=world.org, by=world.org_admin.user, code="fire", name="Fire")
    question = create(
        quiz_world,
        fields(
            name="  Oil fires ",
            text="<p>Water <script>alert(1)</script>puts out oil fires.</p>",
            general_feedback="<p>Never water.</p>",
            default_mark="2.5",
            difficulty=4,
            tags=["Kitchen", " kitchen ", "Oil  Fire"],
            skill_ids=[skill.pk, str(skill.pk)],
            idnumber=" q-1 ",
        ),
    )
    assert (question.name, question.qtype, question.difficulty, question.idnumber) == (
        "Oil fires",
        "truefalse",
        4,
        "q-1",
    )
    version = question.latest
    assert version is not None
    assert (version.number, version.name, version.default_mark) == (1, "Oil fires", Decimal("2.5"))
    assert "<script>" not in version.text and "puts out oil fires" in version.text
    assert version.data == {"correct": True, "feedback_true": "<p>Yes.</p>", "feedback_false": "<p>No.</p>"}
    assert sorted(question.tags.values_list("name", flat=True)) == ["kitchen", "oil fire"]
    assert list(question.skills.values_list("pk", flat=True)) == [skill.pk]
    assert (question.organization_id, question.created_by) == (world.org.pk, quiz_world.owner)


def test_every_problem_is_reported_at_once_under_its_field(quiz_world: QuizWorld) -> None:
    with pytest.raises(ValidationError) as exc:
        create(
            quiz_world,
            fields(name="", text="<p> </p>", default_mark="1001", difficulty=9, data={"correct": "maybe"}),
        )
    assert errors_of(exc) == {
        "name": [services.NAME_REQUIRED],
        "text": [services.TEXT_REQUIRED],
        "default_mark": [services.MARK_RANGE],
        "difficulty": [services.DIFFICULTY_RANGE],
        "correct": [CORRECT_REQUIRED],
    }
    assert not Question.objects.exists()


def test_an_unknown_type_is_refused(quiz_world: QuizWorld) -> None:
    with pytest.raises(ValidationError) as exc:
        create(quiz_world, QuestionFields(qtype="hotspot", name="Where", text="<p>Click</p>"))
    assert errors_of(exc) == {"qtype": [qtypes.UNKNOWN_TYPE.format(qtype="hotspot")]}


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({"name": "x" * 256}, {"name": [services.NAME_TOO_LONG.format(limit=255)]}),
        ({"text": "<p>" + "x" * 200_001 + "</p>"}, {"text": [services.TEXT_TOO_LONG.format(limit="200,000")]}),
        (
            {"general_feedback": "x" * 200_001},
            {"general_feedback": [services.FEEDBACK_TOO_LONG.format(limit="200,000")]},
        ),
        ({"tags": [f"t{n}" for n in range(31)]}, {"tags": [services.TOO_MANY_TAGS.format(limit=30)]}),
        ({"tags": ["x" * 61]}, {"tags": [services.TAG_TOO_LONG.format(limit=60)]}),
        ({"tags": 7}, {"tags": [services.TAGS_NOT_LIST]}),
        ({"skill_ids": ["abc"]}, {"skills": [services.SKILL_NOT_AVAILABLE]}),
        ({"skill_ids": [10**30]}, {"skills": [services.SKILL_NOT_AVAILABLE]}),
        ({"skill_ids": 5}, {"skills": [services.SKILL_NOT_AVAILABLE]}),
        ({"default_mark": "NaN"}, {"default_mark": [services.MARK_RANGE]}),
        ({"default_mark": "-1"}, {"default_mark": [services.MARK_RANGE]}),
        ({"default_mark": True}, {"default_mark": [services.MARK_RANGE]}),
        ({"difficulty": "hard"}, {"difficulty": [services.DIFFICULTY_RANGE]}),
        ({"data": ["correct"]}, {"data": [services.DATA_NOT_OBJECT]}),
        ({"name": None}, {"name": [services.NAME_REQUIRED]}),
    ],
)
def test_hostile_fields_are_refused_with_a_message_never_a_crash(
    quiz_world: QuizWorld, values: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    with pytest.raises(ValidationError) as exc:
        create(quiz_world, fields(**values))
    assert errors_of(exc) == errors


def test_skills_of_another_organisation_are_refused(quiz_world: QuizWorld, world: World) -> None:
    foreign = skill_services.skill_create(organization=world.other_org, by=world.outsider.user, code="x", name="X")
    with pytest.raises(ValidationError) as exc:
        create(quiz_world, fields(skill_ids=[foreign.pk]))
    assert errors_of(exc) == {"skills": [services.SKILL_NOT_AVAILABLE]}


def test_tags_may_come_as_one_comma_separated_string(quiz_world: QuizWorld) -> None:
    question = create(quiz_world, fields(tags="Fire, warehouse ,, "))
    assert sorted(question.tags.values_list("name", flat=True)) == ["fire", "warehouse"]


def test_a_name_given_as_a_number_is_read_as_text(quiz_world: QuizWorld) -> None:
    assert create(quiz_world, fields(name=42)).name == "42"


def test_a_description_is_worth_no_mark(quiz_world: QuizWorld) -> None:
    question = create(quiz_world, fields("description", default_mark="5"))
    assert question.latest is not None and question.latest.default_mark == Decimal(0)


def test_a_question_goes_into_a_category_of_its_bank(quiz_world: QuizWorld, world: World) -> None:
    other = make_quiz_world(world, "Other")
    with pytest.raises(ValidationError) as exc:
        create(quiz_world, fields(), category=other.category)
    assert errors_of(exc) == {"category": [services.CATEGORY_NOT_IN_BANK]}


def test_validate_returns_the_clean_fields_without_saving(quiz_world: QuizWorld) -> None:
    clean = services.validate(organization=quiz_world.world.org, values=fields(tags=["B", "a"]))
    assert (clean["qtype"], clean["name"], clean["tags"], clean["default_mark"]) == (
        "truefalse",
        "Fire",
        ["a", "b"],
        Decimal(1),
    )
    assert not Question.objects.exists()


def test_an_edit_adds_a_version_and_attempts_keep_theirs(quiz_world: QuizWorld) -> None:
    question = quiz_world.make_question("truefalse")
    quiz = quiz_world.publish_quiz(slots=[fixed(question)])
    attempt = quiz_world.start(quiz)
    first = question.latest
    second = services.question_update(
        question=question, values=fields(name="Renamed", tags=["new"], data={"correct": False}), by=quiz_world.owner
    )
    question.refresh_from_db()
    assert (second.number, question.latest, question.name) == (2, second, "Renamed")
    assert second.data["correct"] is False
    assert list(question.tags.values_list("name", flat=True)) == ["new"]
    assert attempt.answers.get().question_version == first
    assert QuestionVersion.objects.filter(question=question).count() == 2


def test_the_type_changes_only_while_nobody_answered_the_question(quiz_world: QuizWorld) -> None:
    question = quiz_world.make_question("truefalse")
    services.question_update(question=question, values=fields("shortanswer"), by=quiz_world.owner)
    question.refresh_from_db()
    assert question.qtype == "shortanswer"
    quiz = quiz_world.publish_quiz(slots=[fixed(question)])
    quiz_world.take(quiz, {1: RIGHT["shortanswer"]})
    with pytest.raises(ValidationError) as exc:
        services.question_update(question=question, values=fields("truefalse"), by=quiz_world.owner)
    assert errors_of(exc) == {"qtype": [services.TYPE_LOCKED]}
    # Its content may still change.
    services.question_update(question=question, values=fields("shortanswer", name="Edited"), by=quiz_world.owner)


def test_questions_move_between_categories_of_banks_the_person_manages(quiz_world: QuizWorld, world: World) -> None:
    fire = quiz_world.make_category("Fire")
    questions = [quiz_world.make_question("truefalse", name=f"Q{n}") for n in range(2)]
    assert services.question_move(questions=questions, category=fire, by=quiz_world.owner) == 2
    assert set(Question.objects.values_list("category_id", flat=True)) == {fire.pk}

    shared = services.bank_create(organization=world.org, name="Shared", by=world.org_admin.user)
    # The owner does not manage the shared bank.
    with pytest.raises(PermissionDenied):
        services.question_move(questions=questions, category=shared.categories.get(), by=quiz_world.owner)
    # The admin moves them there: they leave the course bank.
    services.question_move(questions=questions, category=shared.categories.get(), by=world.org_admin.user)
    assert set(Question.objects.values_list("bank_id", flat=True)) == {shared.pk}


def test_a_copy_starts_its_own_history_with_the_latest_content(quiz_world: QuizWorld, world: World) -> None:
    original = quiz_world.make_question("single", tags=["fire"])
    services.question_update(
        question=original, values=fields("single", name="Edited", tags=["fire"]), by=quiz_world.owner
    )
    original.refresh_from_db()
    fire = quiz_world.make_category("Fire")
    copy = services.question_copy(question=original, category=fire, by=quiz_world.owner)
    assert copy.pk != original.pk
    assert copy.latest is not None and original.latest is not None
    assert (copy.latest.number, copy.name, copy.category) == (1, "Edited", fire)
    assert copy.latest.data == original.latest.data
    assert list(copy.tags.values_list("name", flat=True)) == ["fire"]
    # Copying needs to read the source and manage the target.
    outsider_bank = services.bank_create(organization=world.other_org, name="Globex", by=world.outsider.user)
    with pytest.raises(PermissionDenied):
        services.question_copy(question=original, category=outsider_bank.categories.get(), by=world.outsider.user)


def test_an_answered_question_is_hidden_not_deleted(quiz_world: QuizWorld) -> None:
    unused = quiz_world.make_question("truefalse", name="Unused")
    used = quiz_world.make_question("truefalse", name="Used")
    quiz = quiz_world.publish_quiz(slots=[fixed(used)])
    quiz_world.start(quiz)
    services.question_delete(question=unused, by=quiz_world.owner)
    assert not Question.objects.filter(pk=unused.pk).exists()
    with pytest.raises(ValidationError) as exc:
        services.question_delete(question=used, by=quiz_world.owner)
    assert errors_of(exc) == {"question": [services.QUESTION_IN_USE]}
    services.question_set_hidden(question=used, hidden=True, by=quiz_world.owner)
    used.refresh_from_db()
    assert used.hidden is True


def test_learners_and_outsiders_write_nothing_to_a_bank(quiz_world: QuizWorld, world: World) -> None:
    question = quiz_world.make_question("truefalse")
    for person in (world.learner.user, world.outsider.user):
        with pytest.raises(PermissionDenied):
            services.question_update(question=question, values=fields(), by=person)
        with pytest.raises(PermissionDenied):
            services.question_set_hidden(question=question, hidden=True, by=person)
        with pytest.raises(PermissionDenied):
            services.question_delete(question=question, by=person)
        with pytest.raises(PermissionDenied):
            services.category_delete(category=quiz_world.category, by=person)
