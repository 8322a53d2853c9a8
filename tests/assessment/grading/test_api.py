"""The grading API: results, the grading queue, grading an answer, overrides and regrade, with the services' words
on the fields they name, and constant query counts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from syllabus.assessment.models import AnswerState, QuizOverride
from syllabus.assessment.services import attempts, regrade
from tests.api.conftest import V1, error_fields
from tests.assessment.conftest import NOW
from tests.assessment.grading.conftest import ESSAY_TEXT, Graded

pytestmark = pytest.mark.django_db

API = f"{V1}/assessment"


def results(graded: Graded) -> str:
    return f"{API}/courses/{graded.course.pk}/quizzes/{graded.uid}/results/"


def overrides(graded: Graded) -> str:
    return f"{API}/courses/{graded.course.pk}/quizzes/{graded.uid}/overrides/"


def test_results_list_each_learner_with_their_attempts(graded: Graded, as_member) -> None:
    attempt = graded.take(right=True)
    attempts.answer_grade(answer=graded.essay_answer(attempt), mark="4", by=graded.qw.owner, now=NOW)
    graded.take(right=False)
    response = as_member(graded.qw.world.instructor).get(results(graded))
    assert response.status_code == 200
    [item] = response.json()["results"]
    assert item["learner"]["name"] == "Lena Learner"
    assert (item["grade"], item["passed"], item["state"]) == ("100", True, "needs_grading")
    assert [(a["number"], a["state"], a["grade"], a["marks"], a["max_marks"]) for a in item["attempts"]] == [
        (1, "finished", "100", "5", "5"),
        (2, "needs_grading", None, "0", "5"),
    ]
    assert item["attempts"][0]["id"] == str(attempt.public_id)
    finished = as_member(graded.qw.world.instructor).get(results(graded) + "?state=in_progress")
    assert finished.json()["count"] == 0


def test_the_queue_returns_each_waiting_answer_whole(graded: Graded, as_member) -> None:
    attempt = graded.take()
    response = as_member(graded.qw.world.instructor).get(f"{API}/courses/{graded.course.pk}/grading/")
    assert response.status_code == 200
    [item] = response.json()["results"]
    assert item["id"] == graded.essay_answer(attempt).pk
    assert item["response"] == {"text": ESSAY_TEXT} and item["response_summary"] == ESSAY_TEXT
    assert (item["state"], item["mark"], item["max_mark"], item["slot"]) == ("needs_grading", None, "4", 2)
    assert item["question"]["name"] == "Explain the fire triangle" and item["quiz"] == str(graded.uid)


def test_a_quiz_filter_that_is_not_a_uid_is_a_field_error(graded: Graded, as_member) -> None:
    response = as_member(graded.qw.world.instructor).get(f"{API}/courses/{graded.course.pk}/grading/?quiz=nope")
    assert response.status_code == 400 and "quiz" in error_fields(response)


def test_grading_an_answer_returns_it_graded(graded: Graded, as_member) -> None:
    attempt = graded.take()
    answer = graded.essay_answer(attempt)
    response = as_member(graded.qw.world.instructor).post(
        f"{API}/answers/{answer.pk}/grade/", {"mark": "2.5", "comment": "<p>Fair</p><script>x</script>"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["mark"], body["comment"]) == ("manually_graded", "2.5", "<p>Fair</p>")
    assert body["graded_by"]["name"] == "Ingrid Instructor"
    attempt.refresh_from_db()
    assert attempt.grade == Decimal("70.00")


@pytest.mark.parametrize("mark", ["4.5", "-0.1", "x", "NaN"])
def test_a_mark_out_of_range_names_the_mark_field(graded: Graded, as_member, mark: str) -> None:
    answer = graded.essay_answer(graded.take())
    response = as_member(graded.qw.world.instructor).post(
        f"{API}/answers/{answer.pk}/grade/", {"mark": mark}, format="json"
    )
    assert response.status_code == 400
    assert error_fields(response) == {"mark": attempts.MARK_RANGE.format(max=4)}
    answer.refresh_from_db()
    assert answer.state == AnswerState.NEEDS_GRADING


def test_a_body_that_is_not_an_object_is_refused(graded: Graded, as_member) -> None:
    answer = graded.essay_answer(graded.take())
    response = as_member(graded.qw.world.instructor).post(f"{API}/answers/{answer.pk}/grade/", [1, 2], format="json")
    assert response.status_code == 400


def test_overrides_are_listed_set_and_removed(graded: Graded, as_member) -> None:
    client = as_member(graded.qw.world.instructor)
    learner = graded.qw.learner
    created = client.post(
        overrides(graded), {"user": learner.pk, "extra_attempts": 2, "reason": "Agreed with HR"}, format="json"
    )
    assert created.status_code == 200
    assert (created.json()["extra_attempts"], created.json()["learner"]["id"]) == (2, learner.pk)
    [listed] = client.get(overrides(graded)).json()["results"]
    assert listed["reason"] == "Agreed with HR" and listed["created_by"]["name"] == "Ingrid Instructor"
    assert client.delete(overrides(graded) + "?user=nope").status_code == 400
    assert client.delete(overrides(graded) + f"?user={learner.pk}").status_code == 204
    assert not QuizOverride.objects.exists()
    assert client.delete(overrides(graded) + f"?user={learner.pk}").status_code == 404


def test_an_override_says_what_is_missing_on_its_fields(graded: Graded, as_member) -> None:
    client = as_member(graded.qw.world.instructor)
    response = client.post(overrides(graded), {"user": graded.qw.learner.pk}, format="json")
    assert response.status_code == 400
    assert error_fields(response) == {
        "reason": attempts.OVERRIDE_REASON_REQUIRED, "": attempts.OVERRIDE_EMPTY,
    }  # fmt: skip
    stranger = graded.qw.world.engineer  # of the organisation, not enrolled
    response = client.post(
        overrides(graded), {"user": stranger.user.pk, "extra_attempts": 1, "reason": "x"}, format="json"
    )
    assert error_fields(response) == {"user": "Choose a person enrolled in this course."}


def test_regrade_dry_run_shows_the_plan_and_apply_writes_it(graded: Graded, as_member) -> None:
    attempt = graded.take(right=False)
    from tests.assessment.grading.test_regrade import fix

    fix(graded.truefalse, graded.qw.owner, correct=False)
    client = as_member(graded.qw.world.instructor)
    url = f"{API}/courses/{graded.course.pk}/regrade/"
    dry = client.post(url, {"question": graded.truefalse.pk}, format="json")
    assert dry.status_code == 200
    body = dry.json()
    assert body["applied"] is False and body["counts"] == {"changes": 1, "unchanged": 0, "manual": 0, "cannot": 0}
    [row] = body["rows"]
    assert (row["old_mark"], row["new_mark"], row["old_version"], row["new_version"]) == ("0", "1", 1, 2)
    assert attempt.answers.get(slot=1).mark == Decimal("0")
    applied = client.post(url, {"question": graded.truefalse.pk, "dry_run": False}, format="json")
    assert applied.json()["applied"] is True and applied.json()["rows"] == body["rows"]
    assert attempt.answers.get(slot=1).mark == Decimal("1")


def test_regrade_of_an_unknown_question_names_the_field(graded: Graded, as_member) -> None:
    url = f"{API}/courses/{graded.course.pk}/regrade/"
    response = as_member(graded.qw.world.instructor).post(url, {"question": 999999}, format="json")
    assert error_fields(response) == {"question": "No question of the organisation has this id."}
    graded.take()
    nothing = as_member(graded.qw.world.instructor).post(
        url, {"question": graded.qw.make_question("truefalse").pk, "dry_run": False}, format="json"
    )
    assert error_fields(nothing) == {"question": regrade.NOTHING_TO_REGRADE}


@pytest.mark.parametrize("learners", [2, 8])
def test_results_and_queue_cost_the_same_queries_for_more_learners(
    graded: Graded, as_member, django_assert_max_num_queries, learners: int
) -> None:
    for index in range(learners):
        graded.take(graded.learner(f"Learner {index:02}").user)
    client = as_member(graded.qw.world.instructor)
    client.get(results(graded))
    with django_assert_max_num_queries(12):
        assert client.get(results(graded)).json()["count"] == learners
    with django_assert_max_num_queries(12):
        assert client.get(f"{API}/courses/{graded.course.pk}/grading/").json()["count"] == learners
    with django_assert_max_num_queries(12):
        assert client.get(overrides(graded)).json()["count"] == 0
