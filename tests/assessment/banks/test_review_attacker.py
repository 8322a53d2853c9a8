"""Review findings on question banks: a re-import cannot change the type of a question people answered (an edit
cannot either), a category moved with its sub-categories stays within the depth limit, and ids that are not ASCII
digits or are too long for the database are refused or ignored instead of crashing a page or an endpoint."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from syllabus.assessment.models import Question
from syllabus.assessment.services import imports
from syllabus.assessment.services import questions as services
from tests.api.conftest import V1, error_fields
from tests.assessment.banks.conftest import People, SignIn, fake_file, tf
from tests.assessment.conftest import QuizWorld, fixed

pytestmark = pytest.mark.django_db


def answered_shortanswer(quiz_world: QuizWorld) -> Question:
    question = quiz_world.make_question("shortanswer", name="Capital", idnumber="cap-1")
    quiz = quiz_world.publish_quiz(slots=[fixed(question)])
    quiz_world.take(quiz, {1: {"text": "Paris"}})
    return question


def run_import(quiz_world: QuizWorld, content: bytes, *, valid_only: bool) -> imports.ImportResult:
    return imports.import_apply(
        bank=quiz_world.bank, category=quiz_world.category, fmt="fake", content=content, filename="f.json",
        valid_only=valid_only, by=quiz_world.owner,
    )  # fmt: skip


def test_a_re_import_may_not_change_the_type_of_an_answered_question(quiz_world: QuizWorld, fake_format) -> None:
    question = answered_shortanswer(quiz_world)
    content = fake_file(tf("Capital", idnumber="cap-1"), tf("Another"))
    plan = imports.import_preview(bank=quiz_world.bank, category=quiz_world.category, fmt="fake", content=content,
                                  by=quiz_world.owner)  # fmt: skip
    assert plan.rows[0].action == "update" and plan.rows[0].errors == {"qtype": [services.TYPE_LOCKED]}
    with pytest.raises(imports.ImportRejected):
        run_import(quiz_world, content, valid_only=False)
    assert Question.objects.filter(bank=quiz_world.bank).count() == 1
    result = run_import(quiz_world, content, valid_only=True)
    assert result.updated_ids == () and len(result.created_ids) == 1
    question.refresh_from_db()
    assert question.qtype == "shortanswer" and question.versions.count() == 1


def test_a_re_import_may_change_the_type_of_a_question_nobody_answered(quiz_world: QuizWorld, fake_format) -> None:
    question = quiz_world.make_question("shortanswer", name="Capital", idnumber="cap-1")
    result = run_import(quiz_world, fake_file(tf("Capital", idnumber="cap-1")), valid_only=False)
    assert result.updated_ids == (question.pk,)
    question.refresh_from_db()
    assert question.qtype == "truefalse"


def test_saving_a_validated_version_checks_the_type_lock_too(quiz_world: QuizWorld) -> None:
    question = answered_shortanswer(quiz_world)
    clean = services.validate(
        organization=quiz_world.world.org,
        values=services.QuestionFields(qtype="truefalse", name="Capital", text="<p>Paris?</p>",
                                       data={"correct": True, "feedback_true": "", "feedback_false": ""}),
    )  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        services.question_update_clean(question=question, clean=clean, by=quiz_world.owner)
    assert refused.value.message_dict == {"qtype": [services.TYPE_LOCKED]}


def test_a_category_moved_with_its_sub_categories_stays_within_the_depth_limit(quiz_world: QuizWorld) -> None:
    deep = quiz_world.category
    for level in range(services.DEPTH_LIMIT - 3):  # the default category is level 1: down to level 8
        deep = quiz_world.make_category(f"Level {level + 2}", parent=deep)
    moved = quiz_world.make_category("Moved")
    child = quiz_world.make_category("Child", parent=moved)
    quiz_world.make_category("Grandchild", parent=child)
    with pytest.raises(ValidationError) as refused:
        services.category_update(category=moved, name="Moved", parent=deep, by=quiz_world.owner)
    assert refused.value.message_dict == {"parent": [services.CATEGORY_TOO_DEEP.format(limit=services.DEPTH_LIMIT)]}
    # One level up fits: its grandchild lands on the last level.
    services.category_update(category=moved, name="Moved", parent=deep.parent, by=quiz_world.owner)


@pytest.mark.parametrize("raw", [["²"], ["١"], ["9" * 40], [True]])
def test_skill_ids_that_are_not_ids_are_refused_on_their_field(quiz_world: QuizWorld, raw: list[object]) -> None:
    values = services.QuestionFields(qtype="truefalse", name="Q", text="<p>Q?</p>", skill_ids=raw,  # type: ignore[arg-type]
                                     data={"correct": True, "feedback_true": "", "feedback_false": ""})  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        services.validate(organization=quiz_world.world.org, values=values)
    assert refused.value.message_dict == {"skills": [services.SKILL_NOT_AVAILABLE]}


def test_query_strings_with_digits_that_are_not_ids_are_ignored_by_the_pages(
    quiz_world: QuizWorld, people: People, sign_in: SignIn
) -> None:
    question = quiz_world.make_question("truefalse")
    client = sign_in(people.editor)
    bank = quiz_world.bank.pk
    for value in ("²", "١٢", "9" * 40):
        urls = [
            f"{reverse('assessment:question-create', args=[bank])}?qtype=truefalse&category={value}",
            f"{reverse('assessment:category-create', args=[bank])}?parent={value}",
            f"{reverse('assessment:question-preview', args=[question.pk])}?variant={value}",
            f"{reverse('assessment:bank-import', args=[bank])}?category={value}",
        ]
        for url in urls:
            assert client.get(url).status_code == 200, url
        versioned = client.get(f"{reverse('assessment:question-preview', args=[question.pk])}?version={value}")
        assert versioned.status_code == 200  # not a version number: the latest


def test_a_skill_filter_past_the_databases_integers_is_refused_by_the_api(
    quiz_world: QuizWorld, people: People, as_member
) -> None:
    client = as_member(people.editor)
    url = f"{V1}/assessment/banks/{quiz_world.bank.pk}/questions/"
    refused = client.get(url, {"skill": str(10**30)})
    assert refused.status_code == 400 and set(error_fields(refused)) == {"skill"}
    assert client.get(url, {"skill": "5"}).json()["count"] == 0
