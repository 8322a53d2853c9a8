"""Constant query counts of the bank lists that had no such test: a question's versions (page and API), where it is
used, a bank's categories through the API, and the export page's list of what a file will hold."""

from __future__ import annotations

import pytest
from django.urls import reverse

from syllabus.assessment.models import Question
from syllabus.assessment.services import questions as services
from tests.api.conftest import V1
from tests.assessment.banks.conftest import People, SignIn
from tests.assessment.conftest import QuizWorld, fixed

pytestmark = pytest.mark.django_db
API = f"{V1}/assessment"


def new_versions(quiz_world: QuizWorld, question: Question, count: int) -> None:
    for n in range(count):
        latest = question.latest
        assert latest is not None
        values = services.QuestionFields(qtype=latest.qtype, name=f"{latest.name} {n}", text=latest.text,
                                         data=dict(latest.data), tags=["fire"])  # fmt: skip
        services.question_update(question=question, values=values, by=quiz_world.owner)


def test_a_questions_versions_cost_the_same_queries_for_2_and_12_versions(
    quiz_world: QuizWorld, people: People, sign_in: SignIn, as_member, django_assert_max_num_queries
) -> None:
    question = quiz_world.make_question("truefalse")
    new_versions(quiz_world, question, 1)
    client = sign_in(people.editor)
    api = as_member(people.editor)
    page = reverse("assessment:question-versions", args=[question.pk])
    endpoint = f"{API}/questions/{question.pk}/versions/"
    client.get(page)
    api.get(endpoint)
    with django_assert_max_num_queries(14) as small_page:
        assert len(client.get(page).context["versions"]) == 2
    with django_assert_max_num_queries(10) as small_api:
        assert api.get(endpoint).json()["count"] == 2
    new_versions(quiz_world, question, 10)
    with django_assert_max_num_queries(len(small_page.captured_queries)):
        assert len(client.get(page).context["versions"]) == 12
    with django_assert_max_num_queries(len(small_api.captured_queries)):
        assert api.get(endpoint).json()["count"] == 12


def test_a_questions_usage_costs_the_same_queries_for_1_and_6_quizzes(
    quiz_world: QuizWorld, people: People, sign_in: SignIn, django_assert_max_num_queries
) -> None:
    question = quiz_world.make_question("truefalse")
    quiz_world.publish_quiz(slots=[fixed(question)], title="Quiz 0")
    quiz_world.take(quiz_world.snapshot(quiz_world.quizzes[0].uid), {1: {"answer": True}})
    client = sign_in(people.editor)
    page = reverse("assessment:question-usage", args=[question.pk])
    client.get(page)
    with django_assert_max_num_queries(21) as small:
        assert len(client.get(page).context["usage"].quizzes) == 2  # the draft's and the published version's
    for n in range(1, 6):
        quiz_world.add_quiz(slots=[fixed(question)], title=f"Quiz {n}")
    quiz_world.publish()
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(client.get(page).context["usage"].quizzes) == 12


def test_a_banks_categories_cost_the_same_queries_for_2_and_12_categories(
    quiz_world: QuizWorld, people: People, as_member, django_assert_max_num_queries
) -> None:
    quiz_world.make_category("Fire")
    api = as_member(people.editor)
    endpoint = f"{API}/banks/{quiz_world.bank.pk}/categories/"
    api.get(endpoint)
    with django_assert_max_num_queries(10) as small:
        assert api.get(endpoint).json()["count"] == 2
    parent = None
    for n in range(10):
        parent = quiz_world.make_category(f"Level {n}", parent=parent if n % 2 else None)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert api.get(endpoint).json()["count"] == 12


def test_the_export_page_costs_the_same_queries_for_2_and_20_questions(
    quiz_world: QuizWorld, people: People, sign_in: SignIn, django_assert_max_num_queries, fake_format
) -> None:
    for n in range(2):
        quiz_world.make_question("truefalse", f"Q{n}", tags=["a"])
    client = sign_in(people.editor)
    page = (
        f"{reverse('assessment:bank-export', args=[quiz_world.bank.pk])}"
        f"?format=fake&category={quiz_world.category.pk}&subcategories=on"
    )
    client.get(page)
    with django_assert_max_num_queries(18) as small:
        assert len(client.get(page).context["plan"].questions) == 2
    below = quiz_world.make_category("Below", parent=quiz_world.category)
    for n in range(2, 20):
        quiz_world.make_question("essay" if n % 3 else "truefalse", f"Q{n}", tags=["b", "c"],
                                 category=below if n % 2 else None)  # fmt: skip
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(client.get(page).context["plan"].questions) == 20


def test_an_import_dry_run_costs_the_same_queries_for_2_and_40_questions(
    quiz_world: QuizWorld, people: People, as_member, django_assert_max_num_queries, fake_format
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.assessment.banks.conftest import fake_file, tf

    api = as_member(people.editor)
    endpoint = f"{API}/banks/{quiz_world.bank.pk}/import/"

    def dry_run(count: int) -> dict[str, object]:
        items = [tf(f"Q{n}", idnumber=f"q-{n}", category=f"Part {n % 3}") for n in range(count)]
        upload = SimpleUploadedFile("questions.json", fake_file(*items), content_type="application/json")
        response = api.post(endpoint, {"file": upload, "format": "fake"}, format="multipart")
        assert response.status_code == 200, response.content
        return response.json()  # type: ignore[no-any-return]

    dry_run(2)
    with django_assert_max_num_queries(12) as small:
        assert len(dry_run(2)["questions"]) == 2  # type: ignore[arg-type]
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(dry_run(40)["questions"]) == 40  # type: ignore[arg-type]
