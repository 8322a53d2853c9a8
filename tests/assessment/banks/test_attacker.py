"""Question banks from the attacker's side: another organisation's ids are not found (404), a learner is refused
(403), a non-editing instructor reads a course bank but writes nothing, an instructor without `question.use` never
reads a shared bank, and ids of one bank cannot reach into another."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from syllabus.assessment.models import Question, QuestionBank, QuestionCategory
from syllabus.assessment.services import imports
from syllabus.assessment.services import questions as services
from tests.api.conftest import V1, TokenClient
from tests.assessment.banks.conftest import People, SignIn, top_category
from tests.assessment.conftest import QuizWorld
from tests.factories import CourseFactory

pytestmark = pytest.mark.django_db


@dataclass
class Targets:
    bank: QuestionBank
    category: QuestionCategory
    question: Question


@pytest.fixture
def course_targets(quiz_world: QuizWorld) -> Targets:
    question = quiz_world.make_question("truefalse", "Sky")
    return Targets(quiz_world.bank, quiz_world.category, question)


@pytest.fixture
def shared_targets(quiz_world: QuizWorld, shared_bank: QuestionBank, people: People) -> Targets:
    question = quiz_world.make_question("truefalse", "Policy", bank=shared_bank, by=people.admin.user)
    return Targets(shared_bank, top_category(shared_bank), question)


def read_pages(t: Targets) -> list[str]:
    return [
        reverse("assessment:bank", args=[t.bank.pk]),
        reverse("assessment:bank-export", args=[t.bank.pk]),
        reverse("assessment:question-preview", args=[t.question.pk]),
        reverse("assessment:question-versions", args=[t.question.pk]),
        reverse("assessment:question-usage", args=[t.question.pk]),
    ]


def write_gets(t: Targets) -> list[str]:
    return [
        reverse("assessment:question-create", args=[t.bank.pk]) + "?qtype=truefalse",
        reverse("assessment:question-edit", args=[t.question.pk]),
        reverse("assessment:category-create", args=[t.bank.pk]),
        reverse("assessment:category-edit", args=[t.category.pk]),
        reverse("assessment:bank-import", args=[t.bank.pk]),
    ]


def write_posts(t: Targets) -> list[tuple[str, dict[str, object]]]:
    return [
        (reverse("assessment:question-create", args=[t.bank.pk]) + "?qtype=truefalse",
         {"name": "X", "text": "<p>X</p>", "category": t.category.pk, "t-correct": "true"}),
        (reverse("assessment:question-edit", args=[t.question.pk]),
         {"name": "X", "text": "<p>X</p>", "category": t.category.pk, "t-correct": "true"}),
        (reverse("assessment:question-hide", args=[t.question.pk]), {"hidden": "1"}),
        (reverse("assessment:question-copy", args=[t.question.pk]), {}),
        (reverse("assessment:question-delete", args=[t.question.pk]), {}),
        (reverse("assessment:questions-move", args=[t.bank.pk]),
         {"questions": [t.question.pk], "target": t.category.pk}),
        (reverse("assessment:category-create", args=[t.bank.pk]), {"name": "New"}),
        (reverse("assessment:category-edit", args=[t.category.pk]), {"name": "Renamed"}),
        (reverse("assessment:category-delete", args=[t.category.pk]), {}),
        (reverse("assessment:bank-import", args=[t.bank.pk]), {"token": "x" * 32, "mode": "all"}),
        (reverse("assessment:bank-edit", args=[t.bank.pk]), {"name": "Renamed"}),
    ]  # fmt: skip


def api_reads(t: Targets) -> list[str]:
    return [
        f"{V1}/assessment/banks/{t.bank.pk}/",
        f"{V1}/assessment/banks/{t.bank.pk}/categories/",
        f"{V1}/assessment/banks/{t.bank.pk}/questions/",
        f"{V1}/assessment/banks/{t.bank.pk}/export/?format=moodlexml",
        f"{V1}/assessment/categories/{t.category.pk}/",
        f"{V1}/assessment/questions/{t.question.pk}/",
        f"{V1}/assessment/questions/{t.question.pk}/versions/",
    ]


def api_writes(t: Targets) -> list[tuple[str, str, dict[str, object]]]:
    return [
        ("patch", f"{V1}/assessment/banks/{t.bank.pk}/", {"name": "X"}),
        ("post", f"{V1}/assessment/banks/{t.bank.pk}/categories/", {"name": "X"}),
        ("patch", f"{V1}/assessment/categories/{t.category.pk}/", {"name": "X"}),
        ("delete", f"{V1}/assessment/categories/{t.category.pk}/", {}),
        ("post", f"{V1}/assessment/banks/{t.bank.pk}/questions/", {"qtype": "truefalse", "name": "X", "text": "X"}),
        ("patch", f"{V1}/assessment/questions/{t.question.pk}/", {"name": "X"}),
        ("put", f"{V1}/assessment/questions/{t.question.pk}/", {"qtype": "truefalse", "name": "X", "text": "X"}),
        ("delete", f"{V1}/assessment/questions/{t.question.pk}/", {}),
    ]


def unchanged(t: Targets) -> None:
    t.question.refresh_from_db()
    assert t.question.latest.number == 1 and not t.question.hidden and t.question.name in {"Sky", "Policy"}
    assert Question.objects.filter(bank=t.bank).count() == 1
    assert list(QuestionCategory.objects.filter(bank=t.bank).values_list("name", flat=True)) == ["Default"]
    assert QuestionBank.objects.get(pk=t.bank.pk).name == t.bank.name


# --- another organisation -------------------------------------------------------------------------------------------


def test_another_organisation_finds_none_of_the_pages(course_targets, people: People, sign_in: SignIn) -> None:
    client = sign_in(people.outsider)
    for url in read_pages(course_targets) + write_gets(course_targets):
        assert client.get(url).status_code == 404, url
    for url, data in write_posts(course_targets):
        assert client.post(url, data).status_code == 404, url
    assert client.get(reverse("assessment:course-bank", args=[course_targets.bank.course_id])).status_code == 404
    unchanged(course_targets)


def test_another_organisation_finds_none_of_the_endpoints(
    course_targets, people: People, as_member: TokenClient
) -> None:
    client = as_member(people.outsider)
    for url in api_reads(course_targets):
        assert client.get(url).status_code == 404, url
    for method, url, data in api_writes(course_targets):
        assert getattr(client, method)(url, data, format="json").status_code == 404, url
    response = client.post(
        f"{V1}/assessment/banks/{course_targets.bank.pk}/import/",
        {"file": SimpleUploadedFile("q.txt", b"::Q::Q? {T}"), "format": "gift", "dry_run": "false"},
        format="multipart",
    )
    assert response.status_code == 404
    assert [b["id"] for b in client.get(f"{V1}/assessment/banks/").json()["results"]] == []
    unchanged(course_targets)


# --- a learner ------------------------------------------------------------------------------------------------------


def test_a_learner_is_refused_every_page(course_targets, people: People, sign_in: SignIn) -> None:
    client = sign_in(people.learner)
    assert client.get(reverse("assessment:banks")).status_code == 403
    for url in read_pages(course_targets) + write_gets(course_targets):
        assert client.get(url).status_code == 403, url
    for url, data in write_posts(course_targets):
        assert client.post(url, data).status_code == 403, url
    assert client.get(reverse("assessment:course-bank", args=[course_targets.bank.course_id])).status_code == 403
    unchanged(course_targets)


def test_a_learner_is_refused_every_endpoint(course_targets, people: People, as_member: TokenClient) -> None:
    client = as_member(people.learner)
    assert client.get(f"{V1}/assessment/banks/").status_code == 403
    for url in api_reads(course_targets):
        assert client.get(url).status_code == 403, url
    for method, url, data in api_writes(course_targets):
        assert getattr(client, method)(url, data, format="json").status_code == 403, url
    unchanged(course_targets)


def test_opening_the_bank_of_a_course_one_is_not_on_creates_nothing(world, people: People, sign_in: SignIn) -> None:
    course = CourseFactory(organization=world.org, title="Not mine")
    response = sign_in(people.plain_editor).get(reverse("assessment:course-bank", args=[course.pk]))
    assert response.status_code == 403 and not QuestionBank.objects.filter(course=course).exists()


# --- a non-editing instructor of the course --------------------------------------------------------------------------


def test_a_non_editing_instructor_reads_the_course_bank_but_writes_nothing(
    course_targets, people: People, sign_in: SignIn
) -> None:
    client = sign_in(people.teacher)
    for url in read_pages(course_targets):
        assert client.get(url).status_code == 200, url
    html = client.get(reverse("assessment:bank", args=[course_targets.bank.pk])).content.decode()
    assert "question-edit" not in html and "questions-move" not in html and "New question" not in html
    for url in write_gets(course_targets):
        assert client.get(url).status_code == 403, url
    for url, data in write_posts(course_targets):
        assert client.post(url, data).status_code == 403, url
    unchanged(course_targets)


def test_a_non_editing_instructor_reads_through_the_api_but_writes_nothing(
    course_targets, people: People, as_member: TokenClient
) -> None:
    client = as_member(people.teacher)
    for url in api_reads(course_targets):
        assert client.get(url).status_code == 200, url
    for method, url, data in api_writes(course_targets):
        assert getattr(client, method)(url, data, format="json").status_code == 403, url
    response = client.post(
        f"{V1}/assessment/banks/{course_targets.bank.pk}/import/",
        {"file": SimpleUploadedFile("q.txt", b"::Q::Q? {T}"), "format": "gift"},
        format="multipart",
    )
    assert response.status_code == 403
    unchanged(course_targets)


# --- shared banks -----------------------------------------------------------------------------------------------------


def test_an_editor_without_question_use_never_reads_a_shared_bank(
    shared_targets, people: People, sign_in: SignIn, as_member: TokenClient
) -> None:
    client = sign_in(people.plain_editor)
    assert "Company policies" not in client.get(reverse("assessment:banks")).content.decode()
    for url in read_pages(shared_targets):
        assert client.get(url).status_code == 403, url
    api = as_member(people.plain_editor)
    for url in api_reads(shared_targets):
        assert api.get(url).status_code == 403, url
    unchanged(shared_targets)


def test_an_instructor_with_question_use_reads_a_shared_bank_but_does_not_change_it(
    shared_targets, people: People, sign_in: SignIn, as_member: TokenClient
) -> None:
    client = sign_in(people.editor)
    for url in read_pages(shared_targets):
        assert client.get(url).status_code == 200, url
    for url, data in write_posts(shared_targets):
        assert client.post(url, data).status_code == 403, url
    api = as_member(people.editor)
    for method, url, data in api_writes(shared_targets):
        assert getattr(api, method)(url, data, format="json").status_code == 403, url
    unchanged(shared_targets)


# --- ids reaching into another bank -----------------------------------------------------------------------------------


def test_questions_of_another_bank_cannot_be_moved_through_this_one(
    quiz_world, shared_targets, people: People, sign_in: SignIn
) -> None:
    client = sign_in(people.admin)
    response = client.post(
        reverse("assessment:questions-move", args=[quiz_world.bank.pk]),
        {"questions": [shared_targets.question.pk], "target": quiz_world.category.pk},
    )
    assert response.status_code == 302
    shared_targets.question.refresh_from_db()
    assert shared_targets.question.bank_id == shared_targets.bank.pk


def test_a_category_of_another_bank_is_no_valid_target(
    quiz_world, shared_targets, people: People, sign_in: SignIn
) -> None:
    question = quiz_world.make_question("truefalse", "Mine")
    client = sign_in(people.admin)
    client.post(
        reverse("assessment:questions-move", args=[quiz_world.bank.pk]),
        {"questions": [question.pk], "target": shared_targets.category.pk},
    )
    response = client.post(
        reverse("assessment:question-create", args=[quiz_world.bank.pk]) + "?qtype=truefalse",
        {"name": "X", "text": "<p>X</p>", "category": shared_targets.category.pk, "t-correct": "true"},
    )
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    question.refresh_from_db()
    assert question.category_id == quiz_world.category.pk
    assert not Question.objects.filter(name="X").exists()


def test_an_action_never_redirects_outside_the_bank(course_targets, people: People, sign_in: SignIn) -> None:
    client = sign_in(people.editor)
    for target in ("https://evil.example/", "//evil.example/", "/assessment/banks/1/\\evil", "/accounts/"):
        response = client.post(
            reverse("assessment:question-hide", args=[course_targets.question.pk]), {"hidden": "0", "next": target}
        )
        assert response["Location"] == reverse("assessment:bank", args=[course_targets.bank.pk]), target


def test_an_import_key_of_someone_else_imports_nothing(quiz_world, people: People, sign_in: SignIn) -> None:
    token = imports.upload_stash(
        bank=quiz_world.bank,
        by=people.editor.user,
        content=b"::Q::Q? {T}",
        filename="q.gift",
        format_key="gift",
        category_id=quiz_world.category.pk,
    )
    response = sign_in(people.plain_editor).post(
        reverse("assessment:bank-import", args=[quiz_world.bank.pk]), {"token": token, "mode": "all"}, follow=True
    )
    assert imports.UPLOAD_EXPIRED in response.content.decode() and not Question.objects.exists()


@pytest.mark.parametrize(
    "query",
    [
        "?page=999999",
        "?page=-1&category=-5",
        "?skill=99999999999999999999&difficulty=0",
        "?q=" + "%00" * 300,
        "?hidden=%27;drop",
        "?category=1&subcategories=maybe",
    ],
)
def test_hostile_filters_of_the_bank_page_are_ignored(course_targets, people: People, sign_in: SignIn, query) -> None:
    response = sign_in(people.editor).get(reverse("assessment:bank", args=[course_targets.bank.pk]) + query)
    assert response.status_code == 200


@pytest.mark.parametrize("version", ["abc", "-1", "99999999999999999999"])
def test_a_hostile_version_of_the_preview_is_the_latest_or_not_found(
    course_targets, people: People, sign_in: SignIn, version
) -> None:
    response = sign_in(people.editor).get(
        reverse("assessment:question-preview", args=[course_targets.question.pk]) + f"?version={version}&variant=x"
    )
    assert response.status_code in {200, 404}


def test_a_hostile_question_body_is_refused_with_its_fields(
    course_targets, people: People, as_member: TokenClient
) -> None:
    response = as_member(people.editor).post(
        f"{V1}/assessment/banks/{course_targets.bank.pk}/questions/",
        {"qtype": "truefalse", "name": "X" * 5000, "text": "<p>x</p>", "tags": "not a list", "data": [1, 2],
         "skills": ["a"], "default_mark": "NaN", "difficulty": "hard"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    fields = {item["field"] for item in response.json()["error"]["errors"]}
    assert {"name", "tags", "data", "difficulty"} <= fields
    response = as_member(people.editor).post(
        f"{V1}/assessment/banks/{course_targets.bank.pk}/questions/",
        {"qtype": "truefalse", "name": "X", "text": "<p>x</p>", "skills": [999999], "default_mark": "NaN",
         "data": {"correct": True}},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert {e["field"]: e["message"] for e in response.json()["error"]["errors"]} == {
        "default_mark": services.MARK_RANGE,
        "skills": services.SKILL_NOT_AVAILABLE,
    }
    unchanged(course_targets)
