"""The question bank API: banks, categories, questions (every change a version), versions, import and export."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from syllabus.assessment.api_banks import TYPE_FIXED
from syllabus.assessment.models import Question, QuestionBank, QuestionCategory
from syllabus.assessment.question_types.truefalse import qtype as truefalse
from syllabus.assessment.services import imports
from syllabus.assessment.services import questions as services
from tests.api.conftest import V1, TokenClient, error_fields
from tests.assessment.banks.conftest import People, fake_file, tf, top_category
from tests.assessment.conftest import fixed
from tests.factories import CourseFactory, staff

pytestmark = pytest.mark.django_db

BANKS = f"{V1}/assessment/banks/"


def bank_path(bank: QuestionBank, rest: str = "") -> str:
    return f"{BANKS}{bank.pk}/{rest}"


def question_path(question: Question, rest: str = "") -> str:
    return f"{V1}/assessment/questions/{question.pk}/{rest}"


TF_BODY = {
    "qtype": "truefalse",
    "name": "Sky",
    "text": "<p>The sky is blue.</p><script>alert(1)</script>",
    "general_feedback": "<p>Rayleigh.</p>",
    "default_mark": "2.5",
    "difficulty": 2,
    "tags": ["Weather", "sky"],
    "data": {"correct": True, "feedback_true": "", "feedback_false": ""},
}


# --- banks ------------------------------------------------------------------------------------------------------------


def test_the_bank_list_holds_the_callers_course_banks_and_the_shared_ones(
    quiz_world, shared_bank, people: People, as_member: TokenClient
) -> None:
    body = as_member(people.editor).get(BANKS).json()
    assert [(b["name"], b["course"]) for b in body["results"]] == [
        ("Company policies", None),
        ("Fire safety", quiz_world.course.pk),
    ]
    client = as_member(people.editor)
    assert client.get(bank_path(quiz_world.bank)).json()["can_manage"] is True
    assert client.get(bank_path(shared_bank)).json()["can_manage"] is False
    plain = as_member(people.plain_editor).get(BANKS).json()
    assert [b["name"] for b in plain["results"]] == ["Fire safety"]  # no question.use: no shared bank


def test_a_shared_bank_is_created_by_a_question_manager_only(world, people: People, as_member: TokenClient) -> None:
    response = as_member(people.admin).post(BANKS, {"name": "Policies", "description": "All staff"}, format="json")
    assert response.status_code == 201 and response.json()["course"] is None
    assert as_member(people.editor).post(BANKS, {"name": "Mine"}, format="json").status_code == 403
    response = as_member(people.admin).post(BANKS, {"name": "  "}, format="json")
    assert response.status_code == 400 and error_fields(response) == {"name": services.BANK_NAME_REQUIRED}


def test_a_bank_is_read_and_renamed(quiz_world, shared_bank, people: People, as_member: TokenClient) -> None:
    quiz_world.make_question("truefalse", bank=shared_bank, by=people.admin.user)
    client = as_member(people.admin)
    assert client.get(bank_path(shared_bank)).json()["question_count"] == 1
    response = client.patch(bank_path(shared_bank), {"name": "Policies 2026"}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "Policies 2026"


def test_the_bank_list_costs_the_same_queries_for_2_and_12_banks(
    world, quiz_world, shared_bank, as_member: TokenClient, django_assert_max_num_queries
) -> None:
    client = as_member(world.instructor)  # on course teams, not org-wide: roles are per course
    client.get(BANKS)
    with django_assert_max_num_queries(10) as small:
        assert client.get(BANKS).json()["count"] == 2
    for n in range(5):
        bank = services.bank_create(organization=world.org, name=f"Bank {n}", by=world.org_admin.user)
        quiz_world.make_question("truefalse", bank=bank, by=world.org_admin.user)
        course = CourseFactory(organization=world.org, title=f"Course {n}")
        staff(course, world.instructor, "instructor" if n % 2 else "editor")
        quiz_world.make_question("truefalse", bank=services.bank_for_course(course=course), by=world.org_admin.user)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(BANKS).json()["count"] == 12


# --- categories -------------------------------------------------------------------------------------------------------


def test_categories_are_listed_in_tree_order_with_their_paths(quiz_world, as_member: TokenClient) -> None:
    fire = quiz_world.make_category("Fire", parent=quiz_world.category)
    quiz_world.make_category("Smoke", parent=fire)
    quiz_world.make_question("truefalse", category=fire)
    body = as_member(quiz_world.world.instructor).get(bank_path(quiz_world.bank, "categories/")).json()
    assert [(c["path"], c["depth"], c["question_count"]) for c in body["results"]] == [
        ("Default", 0, 0),
        ("Default/Fire", 1, 1),
        ("Default/Fire/Smoke", 2, 0),
    ]


def test_categories_are_created_moved_and_deleted(quiz_world, as_member: TokenClient) -> None:
    client = as_member(quiz_world.world.instructor)
    response = client.post(
        bank_path(quiz_world.bank, "categories/"), {"name": "Fire", "parent": quiz_world.category.pk}, format="json"
    )
    assert response.status_code == 201 and response.json()["path"] == "Default/Fire"
    fire = response.json()["id"]
    path = f"{V1}/assessment/categories/{fire}/"
    response = client.patch(path, {"parent": None, "name": "Flames"}, format="json")
    assert response.json()["path"] == "Flames" and response.json()["parent"] is None
    response = client.patch(path, {"parent": fire}, format="json")
    assert response.status_code == 400 and error_fields(response) == {"parent": services.CATEGORY_CYCLE}
    assert client.delete(path).status_code == 204
    assert not QuestionCategory.objects.filter(pk=fire).exists()


def test_a_parent_in_another_bank_is_not_found(quiz_world, shared_bank, people: People, as_member: TokenClient) -> None:
    response = as_member(people.editor).post(
        bank_path(quiz_world.bank, "categories/"),
        {"name": "Fire", "parent": top_category(shared_bank).pk},
        format="json",
    )
    assert response.status_code == 400 and error_fields(response) == {"parent": "No such category in this bank."}


# --- questions --------------------------------------------------------------------------------------------------------


def test_a_question_is_created_and_read_back_with_its_latest_version(quiz_world, as_member: TokenClient) -> None:
    client = as_member(quiz_world.world.instructor)
    response = client.post(bank_path(quiz_world.bank, "questions/"), TF_BODY, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["category"] == quiz_world.category.pk and body["version"] == 1 and body["tags"] == ["sky", "weather"]
    latest = body["latest"]
    assert latest["text"] == "<p>The sky is blue.</p>" and latest["default_mark"] == "2.500"
    assert latest["data"] == {"correct": True, "feedback_true": "", "feedback_false": ""}
    question = Question.objects.get(pk=body["id"])
    assert client.get(question_path(question)).json() == body


def test_a_questions_errors_name_their_field_the_types_too(quiz_world, as_member: TokenClient) -> None:
    body = {**TF_BODY, "name": "", "default_mark": "-1", "data": {}}
    response = as_member(quiz_world.world.instructor).post(
        bank_path(quiz_world.bank, "questions/"), body, format="json"
    )
    assert response.status_code == 400
    assert error_fields(response) == {
        "name": services.NAME_REQUIRED,
        "default_mark": services.MARK_RANGE,
        "correct": truefalse.CORRECT_REQUIRED,
    }
    response = as_member(quiz_world.world.instructor).post(
        bank_path(quiz_world.bank, "questions/"), [TF_BODY], format="json"
    )
    assert response.status_code == 400


def test_patch_makes_a_new_version_and_keeps_what_is_left_out(quiz_world, as_member: TokenClient) -> None:
    question = quiz_world.make_question("truefalse", "Sky", tags=["weather"], difficulty=4)
    client = as_member(quiz_world.world.instructor)
    response = client.patch(question_path(question), {"data": {"correct": False}}, format="json")
    body = response.json()
    assert body["version"] == 2 and body["latest"]["data"]["correct"] is False
    assert body["name"] == "Sky" and body["tags"] == ["weather"] and body["difficulty"] == 4
    versions = client.get(question_path(question, "versions/")).json()["results"]
    assert [(v["number"], v["data"]["correct"]) for v in versions] == [(2, False), (1, True)]


def test_patch_with_only_category_and_hidden_moves_and_hides_without_a_version(
    quiz_world, as_member: TokenClient
) -> None:
    question = quiz_world.make_question("truefalse", "Sky")
    fire = quiz_world.make_category("Fire")
    body = (
        as_member(quiz_world.world.instructor)
        .patch(question_path(question), {"category": fire.pk, "hidden": True}, format="json")
        .json()
    )
    assert body["category"] == fire.pk and body["hidden"] is True and body["version"] == 1


def test_a_refused_patch_saves_nothing(quiz_world, as_member: TokenClient) -> None:
    question = quiz_world.make_question("truefalse", "Sky")
    response = as_member(quiz_world.world.instructor).patch(
        question_path(question), {"name": "", "hidden": True}, format="json"
    )
    assert response.status_code == 400
    question.refresh_from_db()
    assert question.latest.number == 1 and not question.hidden


def test_the_type_of_an_answered_question_cannot_change(quiz_world, as_member: TokenClient) -> None:
    question = quiz_world.make_question("truefalse", "Sky")
    quiz_world.take(quiz_world.publish_quiz(slots=[fixed(question)]), {1: {"answer": True}})
    body = {"qtype": "essay", "data": {"response_format": "plain"}}
    response = as_member(quiz_world.world.instructor).patch(question_path(question), body, format="json")
    assert response.status_code == 400 and error_fields(response) == {"qtype": TYPE_FIXED}
    question.refresh_from_db()
    assert question.qtype == "truefalse" and question.latest.number == 1


def test_put_replaces_every_field(quiz_world, as_member: TokenClient) -> None:
    question = quiz_world.make_question("truefalse", "Sky", tags=["weather"])
    body = {**TF_BODY, "name": "Sky 2", "tags": []}
    response = as_member(quiz_world.world.instructor).put(question_path(question), body, format="json")
    assert response.json()["name"] == "Sky 2" and response.json()["tags"] == [] and response.json()["version"] == 2


def test_delete_refuses_an_answered_question(quiz_world, as_member: TokenClient) -> None:
    fresh = quiz_world.make_question("truefalse", "Fresh")
    answered = quiz_world.make_question("truefalse", "Answered")
    quiz_world.take(quiz_world.publish_quiz(slots=[fixed(answered)]), {1: {"answer": True}})
    client = as_member(quiz_world.world.instructor)
    assert client.delete(question_path(fresh)).status_code == 204
    response = client.delete(question_path(answered))
    assert response.status_code == 400 and error_fields(response) == {"question": services.QUESTION_IN_USE}


def test_the_question_list_filters(quiz_world, as_member: TokenClient) -> None:
    fire = quiz_world.make_category("Fire", parent=quiz_world.category)
    quiz_world.make_question("truefalse", "Alpha", tags=["fire"], difficulty=1)
    quiz_world.make_question("single", "Beta", text="<p>Where is Paris?</p>")
    quiz_world.make_question("shortanswer", "Gamma", category=fire, difficulty=5)
    hidden = quiz_world.make_question("truefalse", "Hidden")
    services.question_set_hidden(question=hidden, hidden=True, by=quiz_world.owner)
    client = as_member(quiz_world.world.instructor)

    def names(query: str) -> list[str]:
        response = client.get(bank_path(quiz_world.bank, f"questions/?{query}"))
        assert response.status_code == 200, response.json()
        return [q["name"] for q in response.json()["results"]]

    assert names("") == ["Alpha", "Beta", "Gamma"]
    assert names("q=paris") == ["Beta"]
    assert names("qtype=single") == ["Beta"]
    assert names("tag=FIRE") == ["Alpha"]
    assert names("difficulty=5") == ["Gamma"]
    assert names(f"category={quiz_world.category.pk}") == ["Alpha", "Beta"]
    assert names(f"category={quiz_world.category.pk}&subcategories=true") == ["Alpha", "Beta", "Gamma"]
    assert names("hidden=true") == ["Hidden"]
    assert names("hidden=all") == ["Alpha", "Beta", "Gamma", "Hidden"]
    response = client.get(bank_path(quiz_world.bank, "questions/?difficulty=9&category=abc"))
    assert response.status_code == 400 and set(error_fields(response)) == {"difficulty", "category"}


def test_the_question_list_costs_the_same_queries_for_5_and_40_questions(
    quiz_world, as_member: TokenClient, django_assert_max_num_queries
) -> None:
    client = as_member(quiz_world.world.instructor)
    for n in range(5):
        quiz_world.make_question("truefalse", f"Q{n}", tags=["a", "b"])
    client.get(bank_path(quiz_world.bank, "questions/"))
    with django_assert_max_num_queries(12) as small:
        assert client.get(bank_path(quiz_world.bank, "questions/")).json()["count"] == 5
    for n in range(5, 40):
        quiz_world.make_question("single", f"Q{n}", tags=["c"])
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(bank_path(quiz_world.bank, "questions/")).json()["count"] == 40


# --- import and export ------------------------------------------------------------------------------------------------


def upload(content: bytes, name: str = "q.json") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def test_an_import_dry_run_returns_the_plan_with_each_questions_errors(
    quiz_world, as_member: TokenClient, fake_format
) -> None:
    content = fake_file(tf("Good"), tf("", text=""), {"problem": "Cannot read this one.", "name": "Bad"})
    response = as_member(quiz_world.world.instructor).post(
        bank_path(quiz_world.bank, "import/"), {"file": upload(content), "format": "fake"}, format="multipart"
    )
    body = response.json()
    assert response.status_code == 200 and body["dry_run"] is True
    assert body["valid_count"] == 1 and body["error_count"] == 2
    assert body["questions"][1]["errors"] == {"name": [services.NAME_REQUIRED], "text": [services.TEXT_REQUIRED]}
    assert body["problems"] == [{"message": "Cannot read this one.", "line": 3, "where": "", "question": "Bad"}]
    assert not Question.objects.exists()


def test_an_import_with_errors_saves_nothing_unless_valid_only(quiz_world, as_member: TokenClient, fake_format) -> None:
    client = as_member(quiz_world.world.instructor)
    content = fake_file(tf("Good"), tf("", text=""))
    response = client.post(
        bank_path(quiz_world.bank, "import/"),
        {"file": upload(content), "format": "fake", "dry_run": "false"},
        format="multipart",
    )
    assert response.status_code == 400 and not Question.objects.exists()
    assert error_fields(response) == {
        "": imports.HAS_ERRORS.format(count=1),
        "questions[1].name": services.NAME_REQUIRED,
        "questions[1].text": services.TEXT_REQUIRED,
    }
    response = client.post(
        bank_path(quiz_world.bank, "import/"),
        {"file": upload(content), "format": "fake", "dry_run": "false", "valid_only": "true"},
        format="multipart",
    )
    assert response.status_code == 201
    assert response.json()["created"] == list(Question.objects.values_list("pk", flat=True))


def test_an_import_refuses_an_unknown_format_and_a_missing_file(quiz_world, as_member: TokenClient) -> None:
    client = as_member(quiz_world.world.instructor)
    response = client.post(
        bank_path(quiz_world.bank, "import/"), {"file": upload(b"x"), "format": "docx"}, format="multipart"
    )
    assert response.status_code == 400 and error_fields(response) == {"format": "Unknown question format: docx."}
    response = client.post(bank_path(quiz_world.bank, "import/"), {"format": "gift"}, format="multipart")
    assert response.status_code == 400 and "file" in error_fields(response)


def test_an_export_returns_the_formats_bytes(quiz_world, as_member: TokenClient, fake_format) -> None:
    quiz_world.make_question("truefalse", "Sky")
    quiz_world.make_question("essay", "Write")
    response = as_member(quiz_world.world.instructor).get(bank_path(quiz_world.bank, "export/?format=fake"))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response["X-Questions-Left-Out"] == "1"
    assert [q["name"] for q in json.loads(response.content)] == ["Sky"]


def test_a_moodle_xml_export_through_the_api(quiz_world, as_member: TokenClient) -> None:
    quiz_world.make_question("truefalse", "Sky")
    response = as_member(quiz_world.world.instructor).get(bank_path(quiz_world.bank, "export/?format=moodlexml"))
    assert response.status_code == 200 and b"<name>\n      <text>Sky</text>" in response.content
