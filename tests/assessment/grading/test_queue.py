"""The manual grading queue and the page that grades one answer: what the grader reads, "Save and next", the
service's messages on the mark's field, blind grading, and the grade reaching the attempt and progress."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from syllabus.assessment.models import AnswerState, AttemptState
from syllabus.assessment.services import attempts
from syllabus.assessment.views_grading import GRADE_SAVED, NOTHING_LEFT
from syllabus.progress.models import ActivityProgress
from tests.assessment.conftest import NOW, QuizWorld, fixed
from tests.assessment.grading.conftest import ESSAY_TEXT, Graded, SignIn

pytestmark = pytest.mark.django_db


def queue_url(graded: Graded, *, quiz: bool = True, **query: str) -> str:
    args = [graded.course.pk, graded.uid] if quiz else [graded.course.pk]
    url = reverse("assessment:grading", args=args)
    return f"{url}?{urlencode(query)}" if query else url


def answer_url(graded: Graded, answer_pk: int, **query: str) -> str:
    url = reverse("assessment:grade-answer", args=[graded.course.pk, answer_pk])
    return f"{url}?{urlencode(query)}" if query else url


def items(response) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    return [item for group in response.context["groups"] for item in group["items"]]


def test_the_queue_lists_the_essays_of_submitted_attempts_only(graded: Graded, sign_in: SignIn) -> None:
    submitted = graded.take()
    other = graded.learner("Otto Open")
    graded.qw.start(graded.quiz, other.user)  # in progress: nothing to grade yet
    response = sign_in(graded.qw.world.instructor).get(queue_url(graded))
    assert response.status_code == 200
    assert [item["answer"].pk for item in items(response)] == [graded.essay_answer(submitted).pk]
    assert items(response)[0]["who"] == "Lena Learner"
    # Each answer's page carries the queue's options on, for "Save and next".
    assert response.context["first_url"] == answer_url(graded, graded.essay_answer(submitted).pk, quiz=str(graded.uid))


def test_by_question_groups_every_answer_to_one_question_and_by_attempt_each_attempt(
    quiz_world: QuizWorld, sign_in: SignIn
) -> None:
    one = quiz_world.make_question("essay", name="A first essay")
    two = quiz_world.make_question("essay", name="B second essay")
    quiz = quiz_world.publish_quiz(slots=[fixed(one), fixed(two)])
    first = quiz_world.take(quiz, {1: {"text": "one"}, 2: {"text": "two"}})
    second = quiz_world.take(quiz, {1: {"text": "uno"}, 2: {"text": "dos"}})
    client = sign_in(quiz_world.world.instructor)
    url = reverse("assessment:grading", args=[quiz_world.course.pk, quiz["uid"]])
    by_question = client.get(url).context["groups"]
    assert [g["heading"] for g in by_question] == ["A first essay", "B second essay"]
    assert [i["attempt_number"] for i in by_question[0]["items"]] == [first.number, second.number]
    by_attempt = client.get(url + "?group=attempt").context["groups"]
    assert [g["heading"] for g in by_attempt] == ["Lena Learner, attempt 1", "Lena Learner, attempt 2"]
    assert [i["question"] for i in by_attempt[0]["items"]] == ["A first essay", "B second essay"]


def test_blind_grading_hides_the_names_on_the_queue_and_the_answer(graded: Graded, sign_in: SignIn) -> None:
    attempt = graded.take()
    client = sign_in(graded.qw.world.instructor)
    queue = client.get(queue_url(graded, blind="on", group="attempt"))
    label = f"Attempt {attempt.public_id.hex[:8]}"
    assert [g["heading"] for g in queue.context["groups"]] == [label]
    assert "Lena Learner" not in queue.content.decode().split("<main", 1)[1]
    page = client.get(items(queue)[0]["url"])
    assert page.context["who"] == label and "Lena Learner" not in page.content.decode().split("<main", 1)[1]


def test_the_answer_page_shows_the_question_the_response_and_the_grader_information(
    quiz_world: QuizWorld, sign_in: SignIn
) -> None:
    data = {"response_format": "plain", "min_words": 0, "max_words": 0, "template": "",
            "grader_info": "<p>Full marks name all three.</p><script>alert(1)</script>"}  # fmt: skip
    essay = quiz_world.make_question("essay", name="Triangle", data=data, text="<p>Name the <em>three</em>.</p>")
    quiz = quiz_world.publish_quiz(slots=[fixed(essay, mark="5")])
    attempt = quiz_world.take(quiz, {1: {"text": "Heat <b>fuel</b>\noxygen"}})
    response = sign_in(quiz_world.world.instructor).get(
        reverse("assessment:grade-answer", args=[quiz_world.course.pk, attempt.answers.get().pk])
    )
    body = response.content.decode()
    assert "<p>Name the <em>three</em>.</p>" in body
    assert "<p>Full marks name all three.</p>" in body and "<script>alert(1)" not in body
    # A plain essay is text: its markup is shown, never run, and its line breaks kept.
    assert "Heat &lt;b&gt;fuel&lt;/b&gt;<br>oxygen" in body
    assert "Mark out of 5" in body
    assert response.context["response"]["words"] == 3


def test_an_essay_written_in_the_editor_is_shown_as_sanitised_html(quiz_world: QuizWorld, sign_in: SignIn) -> None:
    data = {"response_format": "editor", "min_words": 0, "max_words": 0, "template": "", "grader_info": ""}
    essay = quiz_world.make_question("essay", data=data)
    quiz = quiz_world.publish_quiz(slots=[fixed(essay)])
    attempt = quiz_world.take(quiz, {1: {"text": "<p>Heat <strong>and</strong> fuel</p><img src=x onerror=alert(1)>"}})
    response = sign_in(quiz_world.world.instructor).get(
        reverse("assessment:grade-answer", args=[quiz_world.course.pk, attempt.answers.get().pk])
    )
    body = response.content.decode()
    assert "<p>Heat <strong>and</strong> fuel</p>" in body
    assert "onerror" not in body


def test_save_and_next_grades_the_answer_and_opens_the_next_one(graded: Graded, sign_in: SignIn) -> None:
    first = graded.take()
    other = graded.learner("Zoe Second")
    second = graded.take(other.user)
    client = sign_in(graded.qw.world.instructor)
    response = client.post(
        answer_url(graded, graded.essay_answer(first).pk, quiz=str(graded.uid)),
        {"mark": "3.5", "comment": "<p>Good.</p>", "save_next": "1"},
    )
    assert response.status_code == 302
    assert response.url == answer_url(graded, graded.essay_answer(second).pk, quiz=str(graded.uid))
    answer = graded.essay_answer(first)
    assert answer.state == AnswerState.MANUALLY_GRADED and answer.mark == Decimal("3.5")
    assert answer.comment == "<p>Good.</p>" and answer.graded_by == graded.qw.owner
    assert client.get(response.url).context["position"] == 1  # the first is no longer waiting
    # The last one leads back to the queue, which says nothing is left.
    last = client.post(response.url, {"mark": "4", "save_next": "1"}, follow=True)
    assert last.redirect_chain[-1][0] == queue_url(graded)
    messages = [str(m) for m in last.context["messages"]]
    assert messages == [GRADE_SAVED, NOTHING_LEFT]


def test_save_stays_on_the_answer(graded: Graded, sign_in: SignIn) -> None:
    attempt = graded.take()
    url = answer_url(graded, graded.essay_answer(attempt).pk)
    response = sign_in(graded.qw.world.instructor).post(url, {"mark": "2", "save": "1"})
    assert response.status_code == 302 and response.url == url


@pytest.mark.parametrize("mark", ["5", "-1", "lots", "", "NaN", "Infinity", "1e999"])
def test_a_mark_out_of_range_is_refused_on_its_field(graded: Graded, sign_in: SignIn, mark: str) -> None:
    attempt = graded.take()
    response = sign_in(graded.qw.world.instructor).post(
        answer_url(graded, graded.essay_answer(attempt).pk), {"mark": mark, "save_next": "1"}
    )
    assert response.status_code == 200
    message = attempts.MARK_RANGE.format(max=4)
    assert response.context["form"].errors["mark"] == [message]
    body = response.content.decode()
    assert 'id="id_mark_error"' in body and 'aria-describedby="id_mark_helptext id_mark_error"' in body
    assert 'aria-invalid="true"' in body
    assert graded.essay_answer(attempt).state == AnswerState.NEEDS_GRADING


def test_a_manual_grade_finishes_the_attempt_and_reaches_progress(
    graded: Graded, sign_in: SignIn, signals, django_capture_on_commit_callbacks
) -> None:
    attempt = graded.take(right=True)
    assert attempt.state == AttemptState.NEEDS_GRADING and attempt.grade is None
    signals.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = sign_in(graded.qw.world.instructor).post(
            answer_url(graded, graded.essay_answer(attempt).pk), {"mark": "2", "save": "1"}
        )
    assert response.status_code == 302
    attempt.refresh_from_db()
    # 1 (true/false) + 2 of 4 (essay) = 3 of 5.
    assert (attempt.state, attempt.marks, attempt.grade, attempt.passed) == (
        AttemptState.FINISHED, Decimal("3"), Decimal("60.00"), True,
    )  # fmt: skip
    assert [(s.signal, s.data.get("score")) for s in signals] == [("graded", "60.00"), ("passed", "60.00")]
    row = ActivityProgress.objects.get(activity_uid=graded.uid)
    assert row.score == Decimal("60.00") and row.passed is True and row.completed_at is not None


def test_a_failing_manual_grade_reports_the_grade_without_passing(
    graded: Graded, sign_in: SignIn, signals, django_capture_on_commit_callbacks
) -> None:
    attempt = graded.take(right=False)
    signals.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sign_in(graded.qw.world.instructor).post(
            answer_url(graded, graded.essay_answer(attempt).pk), {"mark": "1", "save": "1"}
        )
    assert [(s.signal, s.data) for s in signals] == [
        ("graded", {"score": "20.00", "scale": "percent", "replace": True, "passed": False})
    ]
    assert ActivityProgress.objects.get(activity_uid=graded.uid).completed_at is None


def test_show_all_lists_the_answers_graded_already(graded: Graded, sign_in: SignIn) -> None:
    attempt = graded.take()
    attempts.answer_grade(answer=graded.essay_answer(attempt), mark="3", by=graded.qw.owner, now=NOW)
    client = sign_in(graded.qw.world.instructor)
    assert items(client.get(queue_url(graded))) == []
    assert "Nothing waits for grading." in client.get(queue_url(graded)).content.decode()
    [item] = items(client.get(queue_url(graded, show="all")))
    assert item["state"] == "Graded" and item["mark"] == "3" and item["graded_by"] == "Ingrid Instructor"


def test_the_course_queue_lists_every_quiz(quiz_world: QuizWorld, sign_in: SignIn) -> None:
    essay = quiz_world.make_question("essay")
    one = quiz_world.publish_quiz(slots=[fixed(essay)], title="Quiz one")
    two = quiz_world.publish_quiz(slots=[fixed(essay)], title="Quiz two")
    quiz_world.take(one, {1: {"text": ESSAY_TEXT}})
    quiz_world.take(two, {1: {"text": ESSAY_TEXT}})
    client = sign_in(quiz_world.world.instructor)
    everything = client.get(reverse("assessment:grading", args=[quiz_world.course.pk]))
    assert len(items(everything)) == 2
    assert [q.title for q in everything.context["quizzes"]] == ["Quiz one", "Quiz two"]
    only_two = client.get(reverse("assessment:grading", args=[quiz_world.course.pk, two["uid"]]))
    assert len(items(only_two)) == 1


@pytest.mark.parametrize("learners", [2, 8])
def test_the_queue_costs_the_same_queries_for_more_answers(
    graded: Graded, sign_in: SignIn, django_assert_max_num_queries, learners: int
) -> None:
    for index in range(learners):
        graded.take(graded.learner(f"Learner {index:02}").user)
    client = sign_in(graded.qw.world.instructor)
    client.get(queue_url(graded))
    with django_assert_max_num_queries(17):
        response = client.get(queue_url(graded))
    assert len(items(response)) == learners
