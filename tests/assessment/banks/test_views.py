"""The question bank pages as an author uses them: the list of banks, a bank's categories and questions with
search and filters, the editor (errors by field, every save a version), the preview with "Check", versions, usage,
import (dry run, then import) and export."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from syllabus.assessment.formats import base as formats
from syllabus.assessment.models import Question, QuestionBank, QuestionCategory
from syllabus.assessment.question_types import TYPES
from syllabus.assessment.question_types.truefalse import qtype as truefalse
from syllabus.assessment.services import imports
from syllabus.assessment.services import questions as services
from tests.assessment.banks.conftest import People, SignIn, fake_file, tf
from tests.assessment.conftest import QuizWorld, fixed, pool
from tests.factories import CourseFactory, staff

pytestmark = pytest.mark.django_db

GIFT = b"""::Water::Water puts out electrical fires. {F}

::Capital::The capital of France? {=Paris ~Lyon ~Berlin}

::Broken::What? {=yes ~
"""


def bank_url(bank: QuestionBank, **query: object) -> str:
    url = reverse("assessment:bank", args=[bank.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def names_in(html: str) -> list[str]:
    """The question names of a bank page's table, in order."""
    return re.findall(r'<th scope="row"><a href="/assessment/questions/\d+/preview/">([^<]+)</a>', html)


def tf_post(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Sky",
        "text": "<p>The sky is blue.</p>",
        "general_feedback": "<p>Rayleigh.</p>",
        "default_mark": "2",
        "difficulty": "2",
        "tags": "weather, Sky",
        "t-correct": "true",
        "t-feedback_true": "",
        "t-feedback_false": "",
        "then": "bank",
    }
    data.update(overrides)
    return data


# --- the list of banks ------------------------------------------------------------------------------------------------


def test_an_instructor_sees_the_banks_of_their_courses_and_the_shared_banks(
    quiz_world, shared_bank, sign_in: SignIn
) -> None:
    html = sign_in(quiz_world.world.instructor).get(reverse("assessment:banks")).content.decode()
    assert "Fire safety" in html and "Company policies" in html
    assert reverse("assessment:course-bank", args=[quiz_world.course.pk]) in html
    assert reverse("assessment:bank-create") not in html  # no question.manage


def test_an_org_admin_may_create_a_shared_bank(world, sign_in: SignIn) -> None:
    client = sign_in(world.org_admin)
    response = client.post(reverse("assessment:bank-create"), {"name": "  Safety  ", "description": ""})
    bank = QuestionBank.objects.get(name="Safety")
    assert response["Location"] == reverse("assessment:bank", args=[bank.pk])
    assert bank.course_id is None and bank.categories.get().name == services.DEFAULT_CATEGORY
    response = client.post(reverse("assessment:bank-create"), {"name": " ", "description": ""})
    assert response.status_code == 200


def test_opening_a_course_bank_creates_it_once(world, people: People, sign_in: SignIn) -> None:
    course = CourseFactory(organization=world.org, title="Ladders")
    staff(course, people.teacher, "instructor")
    client = sign_in(people.teacher)
    assert "No bank yet" in client.get(reverse("assessment:banks")).content.decode()
    first = client.get(reverse("assessment:course-bank", args=[course.pk]))
    bank = QuestionBank.objects.get(course=course)
    assert first["Location"] == reverse("assessment:bank", args=[bank.pk])
    client.get(reverse("assessment:course-bank", args=[course.pk]))
    assert QuestionBank.objects.filter(course=course).count() == 1


def test_the_bank_list_costs_the_same_queries_for_2_and_12_courses(
    world, quiz_world, shared_bank, sign_in: SignIn, django_assert_max_num_queries
) -> None:
    client = sign_in(world.instructor)
    CourseFactory(organization=world.org, title="Course 0")
    staff(CourseFactory(organization=world.org, title="Course 1"), world.instructor, "editor")
    client.get(reverse("assessment:banks"))
    with django_assert_max_num_queries(16) as small:
        assert client.get(reverse("assessment:banks")).content.decode().count("/bank/") == 2
    for n in range(2, 12):
        course = CourseFactory(organization=world.org, title=f"Course {n}")
        staff(course, world.instructor, "editor")
        quiz_world.make_question("truefalse", bank=services.bank_for_course(course=course), by=world.instructor.user)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(reverse("assessment:banks")).content.decode().count("/bank/") == 12


# --- one bank ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def stocked(quiz_world: QuizWorld) -> QuizWorld:
    """Default: "Alpha" (tf, tag fire, difficulty 1), "Beta" (single, text mentions Paris); Default/Fire: "Gamma"
    (shortanswer, difficulty 5); "Hidden one" (tf, hidden)."""
    quiz_world.make_question("truefalse", "Alpha", tags=["fire"], difficulty=1)
    quiz_world.make_question("single", "Beta", text="<p>Where is Paris?</p>")
    fire = quiz_world.make_category("Fire", parent=quiz_world.category)
    quiz_world.make_question("shortanswer", "Gamma", category=fire, difficulty=5)
    hidden = quiz_world.make_question("truefalse", "Hidden one")
    services.question_set_hidden(question=hidden, hidden=True, by=quiz_world.owner)
    return quiz_world


def test_the_bank_page_shows_the_category_tree_and_every_visible_question(stocked, sign_in: SignIn) -> None:
    html = sign_in(stocked.world.instructor).get(bank_url(stocked.bank)).content.decode()
    assert names_in(html) == ["Alpha", "Beta", "Gamma"]
    assert 'class="tree category-tree"' in html and ">Fire</a>" in html


def test_a_category_shows_its_own_questions_or_with_its_sub_categories(stocked, sign_in: SignIn) -> None:
    client = sign_in(stocked.world.instructor)
    category = stocked.category.pk
    assert names_in(client.get(bank_url(stocked.bank, category=category)).content.decode()) == ["Alpha", "Beta"]
    html = client.get(bank_url(stocked.bank, category=category, subcategories="on")).content.decode()
    assert names_in(html) == ["Alpha", "Beta", "Gamma"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "alp"}, ["Alpha"]),
        ({"q": "paris"}, ["Beta"]),  # the question text is searched too
        ({"qtype": "shortanswer"}, ["Gamma"]),
        ({"tag": "fire"}, ["Alpha"]),
        ({"difficulty": "5"}, ["Gamma"]),
        ({"hidden": "all"}, ["Alpha", "Beta", "Gamma", "Hidden one"]),
        ({"hidden": "hidden"}, ["Hidden one"]),
        ({"difficulty": "banana", "qtype": "nope", "category": "x"}, ["Alpha", "Beta", "Gamma"]),  # ignored
    ],
)
def test_search_and_filters_narrow_the_questions(stocked, sign_in: SignIn, query, expected) -> None:
    html = sign_in(stocked.world.instructor).get(bank_url(stocked.bank, **query)).content.decode()
    assert names_in(html) == expected


def test_the_new_question_menu_lists_the_types_in_their_order(stocked, sign_in: SignIn) -> None:
    html = sign_in(stocked.world.instructor).get(bank_url(stocked.bank)).content.decode()
    keys = re.findall(r"\?qtype=(\w+)&amp;category=", html)
    assert keys == list(TYPES)
    assert "True/false" in html


def test_the_bank_page_costs_the_same_queries_for_5_and_40_questions(
    quiz_world, sign_in: SignIn, django_assert_max_num_queries
) -> None:
    client = sign_in(quiz_world.world.instructor)
    for n in range(5):
        quiz_world.make_question("truefalse", f"Q{n}", tags=["a", "b"])
    client.get(bank_url(quiz_world.bank))  # warm the caches a first request fills
    with django_assert_max_num_queries(22) as small:
        assert len(names_in(client.get(bank_url(quiz_world.bank)).content.decode())) == 5
    for n in range(5, 40):
        quiz_world.make_question("single", f"Q{n}", tags=["a", "c"])
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(names_in(client.get(bank_url(quiz_world.bank)).content.decode())) == 40


def test_ticked_questions_move_to_another_category(stocked, sign_in: SignIn) -> None:
    fire = QuestionCategory.objects.get(name="Fire")
    alpha, beta = Question.objects.get(name="Alpha"), Question.objects.get(name="Beta")
    client = sign_in(stocked.world.instructor)
    back = bank_url(stocked.bank, category=stocked.category.pk)
    response = client.post(
        reverse("assessment:questions-move", args=[stocked.bank.pk]),
        {"questions": [alpha.pk, beta.pk], "target": fire.pk, "next": back},
    )
    assert response["Location"] == back
    assert set(Question.objects.filter(category=fire).values_list("name", flat=True)) == {"Alpha", "Beta", "Gamma"}


def test_hide_show_copy_and_delete_a_question(stocked, sign_in: SignIn) -> None:
    client = sign_in(stocked.world.instructor)
    alpha = Question.objects.get(name="Alpha")
    client.post(reverse("assessment:question-hide", args=[alpha.pk]), {"hidden": "1"})
    alpha.refresh_from_db()
    assert alpha.hidden
    client.post(reverse("assessment:question-hide", args=[alpha.pk]), {"hidden": "0"})
    alpha.refresh_from_db()
    assert not alpha.hidden
    response = client.post(reverse("assessment:question-copy", args=[alpha.pk]))
    copy = Question.objects.exclude(pk=alpha.pk).get(name="Alpha")
    assert response["Location"] == reverse("assessment:question-edit", args=[copy.pk]) and copy.latest.number == 1
    client.post(reverse("assessment:question-delete", args=[copy.pk]))
    assert not Question.objects.filter(pk=copy.pk).exists()


def test_an_answered_question_cannot_be_deleted_only_hidden(quiz_world, sign_in: SignIn) -> None:
    question = quiz_world.make_question("truefalse", "Answered")
    quiz = quiz_world.publish_quiz(slots=[fixed(question)])
    quiz_world.take(quiz, {1: {"answer": True}})
    client = sign_in(quiz_world.world.instructor)
    assert "question-delete" not in client.get(bank_url(quiz_world.bank)).content.decode()
    response = client.post(reverse("assessment:question-delete", args=[question.pk]), follow=True)
    assert services.QUESTION_IN_USE in response.content.decode()
    assert Question.objects.filter(pk=question.pk).exists()


# --- categories -------------------------------------------------------------------------------------------------------


def test_categories_are_created_renamed_moved_and_deleted(quiz_world, sign_in: SignIn) -> None:
    client = sign_in(quiz_world.world.instructor)
    client.post(
        reverse("assessment:category-create", args=[quiz_world.bank.pk]),
        {"name": "Fire", "parent": quiz_world.category.pk, "description": ""},
    )
    fire = QuestionCategory.objects.get(name="Fire")
    assert fire.parent_id == quiz_world.category.pk
    response = client.post(
        reverse("assessment:category-create", args=[quiz_world.bank.pk]),
        {"name": "Fire", "parent": quiz_world.category.pk, "description": ""},
    )
    assert services.CATEGORY_NAME_TAKEN in response.content.decode()
    client.post(
        reverse("assessment:category-edit", args=[fire.pk]), {"name": "Flames", "parent": "", "description": ""}
    )
    fire.refresh_from_db()
    assert fire.name == "Flames" and fire.parent_id is None
    # A category cannot move inside itself: it is not even offered as its own parent.
    response = client.post(
        reverse("assessment:category-edit", args=[fire.pk]), {"name": "Flames", "parent": fire.pk, "description": ""}
    )
    assert "Select a valid choice" in response.content.decode()
    client.post(reverse("assessment:category-delete", args=[fire.pk]))
    assert not QuestionCategory.objects.filter(pk=fire.pk).exists()


def test_a_category_with_questions_is_not_deleted(stocked, sign_in: SignIn) -> None:
    fire = QuestionCategory.objects.get(name="Fire")
    response = sign_in(stocked.world.instructor).post(
        reverse("assessment:category-delete", args=[fire.pk]), follow=True
    )
    assert escape(services.CATEGORY_NOT_EMPTY) in response.content.decode()
    assert QuestionCategory.objects.filter(pk=fire.pk).exists()


# --- the editor -------------------------------------------------------------------------------------------------------


def test_without_a_known_type_the_new_question_page_is_the_menu_of_types(quiz_world, sign_in: SignIn) -> None:
    html = (
        sign_in(quiz_world.world.instructor)
        .get(reverse("assessment:question-create", args=[quiz_world.bank.pk]) + "?qtype=hologram")
        .content.decode()
    )
    assert re.findall(r"\?qtype=(\w+)", html) == list(TYPES)


def test_writing_a_true_false_question(quiz_world, sign_in: SignIn) -> None:
    client = sign_in(quiz_world.world.instructor)
    url = (
        reverse("assessment:question-create", args=[quiz_world.bank.pk])
        + f"?qtype=truefalse&category={quiz_world.category.pk}"
    )
    html = client.get(url).content.decode()
    assert 'name="t-correct"' in html and "trix-editor" in html
    response = client.post(url, tf_post(category=quiz_world.category.pk))
    question = Question.objects.get(name="Sky")
    assert response["Location"] == bank_url(quiz_world.bank, category=quiz_world.category.pk)
    version = question.latest
    assert version.number == 1 and version.data["correct"] is True and version.default_mark == Decimal("2")
    assert question.difficulty == 2 and sorted(question.tags.values_list("name", flat=True)) == ["sky", "weather"]


def test_the_editor_shows_each_error_beside_its_field_and_the_types_beside_its_part(
    quiz_world, sign_in: SignIn
) -> None:
    client = sign_in(quiz_world.world.instructor)
    url = reverse("assessment:question-create", args=[quiz_world.bank.pk]) + "?qtype=truefalse"
    response = client.post(
        url, tf_post(category=quiz_world.category.pk, name="", default_mark="lots", **{"t-correct": ""})
    )
    html = response.content.decode()
    assert response.status_code == 200 and not Question.objects.exists()
    assert re.search(r'id="id_name_error"><li>' + re.escape(services.NAME_REQUIRED), html)
    assert re.search(r'id="id_default_mark_error"><li>' + re.escape(services.MARK_RANGE), html)
    assert truefalse.CORRECT_REQUIRED in html
    assert 'href="#question-type-part"' in html  # the summary links the type's error to its part


def test_an_invalid_category_does_not_hide_the_other_errors(quiz_world, sign_in: SignIn) -> None:
    url = reverse("assessment:question-create", args=[quiz_world.bank.pk]) + "?qtype=truefalse"
    html = sign_in(quiz_world.world.instructor).post(url, tf_post(category="999999", name="")).content.decode()
    assert "Select a valid choice" in html and services.NAME_REQUIRED in html


def test_editing_saves_a_new_version_and_says_which_version_is_edited(quiz_world, sign_in: SignIn) -> None:
    question = quiz_world.make_question("truefalse", "Sky")
    client = sign_in(quiz_world.world.instructor)
    url = reverse("assessment:question-edit", args=[question.pk])
    html = client.get(url).content.decode()
    assert "Version 1, saved by Ingrid Instructor on" in html
    assert 'value="Sky"' in html
    fire = quiz_world.make_category("Fire")
    response = client.post(url, tf_post(name="Sky v2", category=fire.pk, then="preview", **{"t-correct": "false"}))
    assert response["Location"] == reverse("assessment:question-preview", args=[question.pk])
    question.refresh_from_db()
    assert question.latest.number == 2 and question.name == "Sky v2" and question.category_id == fire.pk
    assert question.versions.get(number=1).data["correct"] is True
    assert "Version 2, saved by" in client.get(url).content.decode()


# --- preview, versions, usage -----------------------------------------------------------------------------------------


def test_the_preview_grades_an_answer_without_saving_anything(quiz_world, sign_in: SignIn) -> None:
    question = quiz_world.make_question("single", "Capital", general_feedback="<p>Paris since 508.</p>")
    client = sign_in(quiz_world.world.instructor)
    url = reverse("assessment:question-preview", args=[question.pk])
    html = client.get(url).content.decode()
    assert "Well done" not in html and "Paris since 508" not in html  # nothing revealed before Check
    html = client.post(url + "?variant=1", {"q-choice": "a2"}).content.decode()
    assert "Partially correct" in html and "Mark 0.50 out of 1" in html
    assert "The right answer:" in html and "Paris since 508" in html
    html = client.post(url + "?variant=1", {"q-choice": "a1"}).content.decode()
    assert "Correct" in html and "Well done" in html
    assert question.versions.count() == 1


def test_a_hostile_answer_in_the_preview_is_refused_with_a_message(quiz_world, sign_in: SignIn) -> None:
    question = quiz_world.make_question("single", "Capital")
    url = reverse("assessment:question-preview", args=[question.pk])
    response = sign_in(quiz_world.world.instructor).post(url, {"q-choice": "not-an-option" * 100})
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()


def test_versions_list_each_with_its_preview(quiz_world, sign_in: SignIn) -> None:
    question = quiz_world.make_question("truefalse", "Sky", text="<p>Old words</p>")
    services.question_update(
        question=question,
        values=services.QuestionFields(qtype="truefalse", name="Sky", text="<p>New words</p>", data={"correct": True}),
        by=quiz_world.owner,
    )
    client = sign_in(quiz_world.world.instructor)
    html = client.get(reverse("assessment:question-versions", args=[question.pk])).content.decode()
    preview = reverse("assessment:question-preview", args=[question.pk])
    assert f"{preview}?version=1" in html and f"{preview}?version=2" in html
    old = client.get(f"{preview}?version=1").content.decode()
    assert "Old words" in old and "not the latest version" in old
    assert client.get(f"{preview}?version=9").status_code == 404


def test_usage_names_the_quizzes_and_counts_the_attempts_of_each_version(quiz_world, sign_in: SignIn) -> None:
    question = quiz_world.make_question("truefalse", "Sky", tags=["weather"])
    other = quiz_world.make_question("truefalse", "Other")
    quiz = quiz_world.publish_quiz(slots=[fixed(question)], title="Weather quiz")
    quiz_world.take(quiz, {1: {"answer": True}})
    quiz_world.add_quiz(slots=[pool(quiz_world.category, tags=["weather"])], title="Random quiz")
    quiz_world.add_quiz(slots=[fixed(other)], title="Unrelated quiz")
    html = (
        sign_in(quiz_world.world.instructor)
        .get(reverse("assessment:question-usage", args=[question.pk]))
        .content.decode()
    )
    assert html.count("Weather quiz") == 2  # in the draft and in published version 1.0
    assert "published version 1.0" in html
    assert "Random quiz" in html and "may be drawn by a random slot" in html
    assert "Unrelated quiz" not in html
    assert "1 attempt answered this question." in html


# --- import and export ------------------------------------------------------------------------------------------------


def test_importing_through_the_page_dry_run_then_import_the_valid_ones(quiz_world, sign_in: SignIn) -> None:
    client = sign_in(quiz_world.world.instructor)
    url = reverse("assessment:bank-import", args=[quiz_world.bank.pk])
    response = client.post(
        url,
        {
            "action": "preview",
            "file": SimpleUploadedFile("quiz.gift", GIFT),
            "format": "gift",
            "category": quiz_world.category.pk,
        },
    )
    html = response.content.decode()
    assert "quiz.gift read as GIFT" in html and "line 5" in html and "The answer block is not closed" in html
    assert re.search(r'<button type="submit" name="mode" value="all" disabled', html)
    assert "Import the 2 valid ones" in html
    assert not Question.objects.exists()
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    response = client.post(url, {"token": token, "mode": "all"})
    assert imports.HAS_ERRORS.format(count=1) in response.content.decode() and not Question.objects.exists()
    response = client.post(url, {"token": token, "mode": "valid"})
    assert response["Location"] == bank_url(quiz_world.bank, category=quiz_world.category.pk)
    assert sorted(Question.objects.values_list("name", flat=True)) == ["Capital", "Water"]
    # The stashed file is gone once imported: the same key imports nothing twice.
    response = client.post(url, {"token": token, "mode": "valid"}, follow=True)
    assert imports.UPLOAD_EXPIRED in response.content.decode() and Question.objects.count() == 2


def test_the_import_page_refuses_a_file_above_the_limit_before_reading_it(
    quiz_world, sign_in: SignIn, monkeypatch
) -> None:
    monkeypatch.setattr(formats, "MAX_FILE_BYTES", 5)
    response = sign_in(quiz_world.world.instructor).post(
        reverse("assessment:bank-import", args=[quiz_world.bank.pk]),
        {"action": "preview", "file": SimpleUploadedFile("big.gift", GIFT), "format": "gift",
         "category": quiz_world.category.pk},
    )  # fmt: skip
    assert formats.TOO_LARGE.format(limit=0) in response.content.decode()


def test_the_export_page_names_what_is_left_out_then_downloads(quiz_world, sign_in: SignIn, fake_format) -> None:
    quiz_world.make_question("truefalse", "Sky")
    quiz_world.make_question("essay", "Write")
    client = sign_in(quiz_world.world.instructor)
    url = reverse("assessment:bank-export", args=[quiz_world.bank.pk])
    query = f"?format=fake&category={quiz_world.category.pk}&subcategories=on"
    html = client.get(url + query).content.decode()
    assert "1 question to export as Fake JSON" in html and "Write" in html
    response = client.get(url + query + "&download=1")
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == 'attachment; filename="fire-safety-default.json"'
    assert b'"name": "Sky"' in response.content and b"Write" not in response.content


def test_importing_with_the_fake_format_re_imports_by_idnumber(quiz_world, sign_in: SignIn, fake_format) -> None:
    client = sign_in(quiz_world.world.instructor)
    url = reverse("assessment:bank-import", args=[quiz_world.bank.pk])
    for correct in (True, False):
        content = fake_file(tf("Sky", idnumber="s1", correct=correct))
        html = client.post(
            url,
            {"action": "preview", "file": SimpleUploadedFile("q.json", content), "format": "fake",
             "category": quiz_world.category.pk},
        ).content.decode()  # fmt: skip
        token = re.search(r'name="token" value="([^"]+)"', html).group(1)
        client.post(url, {"token": token, "mode": "all"})
    question = Question.objects.get()
    assert question.latest.number == 2 and question.latest.data["correct"] is False


def test_the_bank_pages_load_no_inline_script_or_style(stocked, sign_in: SignIn) -> None:
    client = sign_in(stocked.world.instructor)
    question = Question.objects.get(name="Alpha")
    urls = [
        reverse("assessment:banks"),
        bank_url(stocked.bank),
        reverse("assessment:question-edit", args=[question.pk]),
        reverse("assessment:question-preview", args=[question.pk]),
        reverse("assessment:question-versions", args=[question.pk]),
        reverse("assessment:question-usage", args=[question.pk]),
        reverse("assessment:bank-import", args=[stocked.bank.pk]),
        reverse("assessment:bank-export", args=[stocked.bank.pk]),
    ]
    for url in urls:
        body = client.get(url).content.decode()
        assert "<script>" not in body and " onclick=" not in body and " style=" not in body, url
