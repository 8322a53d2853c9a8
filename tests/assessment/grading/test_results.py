"""The results page of a quiz: one row per learner with the quiz grade by its grading method, filters, the review
links, the CSV export, and a constant query count."""

from __future__ import annotations

import csv
import io
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from syllabus.assessment import selectors_grading as selectors
from syllabus.assessment.models import AttemptState
from syllabus.assessment.services import attempts
from tests.assessment.conftest import NOW, QuizWorld, fixed
from tests.assessment.grading.conftest import Graded, SignIn, make_graded

pytestmark = pytest.mark.django_db


def results_url(graded: Graded, **query: str) -> str:
    url = reverse("assessment:quiz-results", args=[graded.course.pk, graded.uid])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def grade_essay(graded: Graded, attempt, mark: str) -> None:  # type: ignore[no-untyped-def]
    attempts.answer_grade(answer=graded.essay_answer(attempt), mark=mark, by=graded.qw.owner, now=NOW)


def test_each_learner_has_one_row_with_the_grade_by_the_grading_method(graded: Graded, sign_in: SignIn) -> None:
    first = graded.take(right=False)
    grade_essay(graded, first, "4")  # 4 of 5: 80 %
    second = graded.take(right=True)
    grade_essay(graded, second, "1")  # 2 of 5: 40 %
    response = sign_in(graded.qw.world.instructor).get(results_url(graded))
    assert response.status_code == 200
    [row] = response.context["rows"]
    assert row["person"] == "Lena Learner"
    # "highest" by default: the best of 80 and 40.
    assert row["row"].grade == Decimal("80.00") and row["row"].passed is True
    assert [a["grade"] for a in row["attempts"]] == [Decimal("80.00"), Decimal("40.00")]
    body = response.content.decode()
    assert "80.00" in body and "Attempt 2" in body


@pytest.mark.parametrize(
    ("method", "expected"), [("highest", "80.00"), ("first", "80.00"), ("last", "40.00"), ("average", "60.00")]
)
def test_the_page_grades_as_the_attempt_service_does(quiz_world: QuizWorld, method: str, expected: str) -> None:
    graded = make_graded(quiz_world, grading_method=method)
    grade_essay(graded, graded.take(right=False), "4")
    grade_essay(graded, graded.take(right=True), "1")
    [row] = selectors.result_rows(
        course=graded.course, activity_uid=uuid.UUID(str(graded.uid)), learners=[graded.qw.learner]
    )
    service = attempts.quiz_grade(
        user_id=graded.qw.learner.pk, course_id=graded.course.pk, activity_uid=uuid.UUID(str(graded.uid))
    )
    assert (row.grade, row.passed) == service == (Decimal(expected), Decimal(expected) >= 50)


def test_an_attempt_waiting_for_a_grader_has_no_grade_yet(graded: Graded, sign_in: SignIn) -> None:
    graded.take()
    response = sign_in(graded.qw.world.instructor).get(results_url(graded))
    [row] = response.context["rows"]
    assert row["row"].grade is None and row["row"].state == AttemptState.NEEDS_GRADING
    assert response.context["waiting"] == 1
    assert "1 answer waits for grading." in response.content.decode()


def test_the_state_filter_keeps_learners_with_an_attempt_in_that_state(graded: Graded, sign_in: SignIn) -> None:
    waiting = graded.learner("Wanda Waiting")
    graded.take(waiting.user)
    done = graded.learner("Fred Finished")
    grade_essay(graded, graded.take(done.user), "2")
    going = graded.learner("Ivy Inprogress")
    graded.qw.start(graded.quiz, going.user)
    client = sign_in(graded.qw.world.instructor)

    def names(state: str) -> list[str]:
        return [row["person"] for row in client.get(results_url(graded, state=state)).context["rows"]]

    assert names("needs_grading") == ["Wanda Waiting"]
    assert names("finished") == ["Fred Finished"]
    assert names("in_progress") == ["Ivy Inprogress"]
    assert names("") == ["Fred Finished", "Ivy Inprogress", "Wanda Waiting"]
    # A made-up state filters nothing (a stale link still lists everyone).
    assert len(names("nonsense")) == 3


def test_previews_of_the_course_team_are_not_results(graded: Graded, sign_in: SignIn) -> None:
    attempts.attempt_start(
        user=graded.qw.owner, course=graded.course, version=None, activity=graded.quiz, preview=True, now=NOW
    )
    response = sign_in(graded.qw.world.instructor).get(results_url(graded))
    assert response.context["rows"] == []
    assert "Nobody has attempted this quiz yet." in response.content.decode()


def test_each_attempt_links_to_its_review_which_the_team_may_open(graded: Graded, sign_in: SignIn) -> None:
    attempt = graded.take()
    client = sign_in(graded.qw.world.instructor)
    [row] = client.get(results_url(graded)).context["rows"]
    link = row["attempts"][0]["review_url"]
    assert link == reverse("assessment:attempt-review", args=[attempt.public_id])
    # The quiz area's review lets the course team in (policy.can_see_attempt), and nobody else.
    assert client.get(link).status_code == 200
    assert sign_in(graded.qw.world.engineer).get(link).status_code == 404


def test_the_csv_has_one_line_per_learner_and_defuses_formulas(graded: Graded, sign_in: SignIn) -> None:
    sneaky = graded.learner('=HYPERLINK("http://evil")')
    grade_essay(graded, graded.take(sneaky.user), "4")
    graded.take()
    response = sign_in(graded.qw.world.instructor).get(
        reverse("assessment:quiz-results-export", args=[graded.course.pk, graded.uid])
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert lines[0][:6] == ["Name", "Email", "Attempts", "State", "Quiz grade (%)", "Passed"]
    by_name = {line[0]: line for line in lines[1:]}
    assert by_name['\'=HYPERLINK("http://evil")'][3:6] == ["Finished", "100.00", "yes"]
    assert by_name["Lena Learner"][3:6] == ["Waiting for grading", "", ""]


def test_the_csv_follows_the_state_filter(graded: Graded, sign_in: SignIn) -> None:
    graded.take()
    other = graded.learner("Fred Finished")
    grade_essay(graded, graded.take(other.user), "2")
    url = reverse("assessment:quiz-results-export", args=[graded.course.pk, graded.uid]) + "?state=finished"
    body = b"".join(sign_in(graded.qw.world.instructor).get(url).streaming_content).decode()
    assert "Fred Finished" in body and "Lena Learner" not in body


def test_a_quiz_the_course_never_had_is_not_found(graded: Graded, sign_in: SignIn) -> None:
    url = reverse("assessment:quiz-results", args=[graded.course.pk, uuid.uuid4()])
    assert sign_in(graded.qw.world.instructor).get(url).status_code == 404


@pytest.mark.parametrize("learners", [2, 8])
def test_the_results_page_costs_the_same_queries_for_more_learners(
    graded: Graded, sign_in: SignIn, django_assert_max_num_queries, learners: int
) -> None:
    for index in range(learners):
        person = graded.learner(f"Learner {index:02}")
        grade_essay(graded, graded.take(person.user), "3")
        graded.take(person.user)
    client = sign_in(graded.qw.world.instructor)
    client.get(results_url(graded))  # warm the session and the principal's caches
    with django_assert_max_num_queries(19):
        response = client.get(results_url(graded))
    assert len(response.context["rows"]) == learners


@pytest.mark.parametrize("learners", [2, 8])
def test_the_csv_costs_the_same_queries_for_more_learners(
    graded: Graded, sign_in: SignIn, django_assert_max_num_queries, learners: int
) -> None:
    for index in range(learners):
        graded.take(graded.learner(f"Learner {index:02}").user)
    client = sign_in(graded.qw.world.instructor)
    url = reverse("assessment:quiz-results-export", args=[graded.course.pk, graded.uid])
    with django_assert_max_num_queries(15):
        body = b"".join(client.get(url).streaming_content).decode()
    assert body.count("\n") == learners + 1


def test_a_results_row_for_an_empty_quiz_config_still_reads(quiz_world: QuizWorld) -> None:
    q = quiz_world.make_question("truefalse")
    quiz = quiz_world.publish_quiz(slots=[fixed(q)])
    quiz_world.take(quiz, {1: {"answer": True}})
    [row] = selectors.result_rows(
        course=quiz_world.course, activity_uid=uuid.UUID(str(quiz["uid"])), learners=[quiz_world.learner]
    )
    # No pass mark: every graded attempt passes.
    assert (row.grade, row.passed) == (Decimal("100.00"), True)
