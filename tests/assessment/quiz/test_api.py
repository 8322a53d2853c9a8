"""The attempts API: a quiz's availability and the caller's attempts, start and resume, the attempt's questions,
autosave (with pages), interactive checks, submitting, the review as its options allow, the time limit and the
password — and constant query counts of the attempt and the quiz."""

# Fixtures imported from conftest modules are redefined as test parameters, as pytest intends.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from syllabus.assessment.models import Attempt, AttemptState
from syllabus.assessment.quiz_settings import REVIEW_FLAGS
from syllabus.assessment.services import attempts
from tests.api.conftest import V1, error_fields
from tests.assessment.conftest import NOW, RIGHT, WRONG, Clock, QuizWorld, fixed
from tests.assessment.quiz.conftest import SAMPLES, as_member  # noqa: F401
from tests.conftest import World

pytestmark = pytest.mark.django_db
API = f"{V1}/assessment"


def quiz_url(quiz_world: QuizWorld, quiz: dict[str, Any]) -> str:
    return f"{API}/quizzes/{quiz_world.course.pk}/{quiz['uid']}/"


def attempt_url(attempt: Attempt | str, part: str = "") -> str:
    public_id = attempt.public_id if isinstance(attempt, Attempt) else attempt
    return f"{API}/attempts/{public_id}/{part + '/' if part else ''}"


@pytest.fixture
def api(world: World, as_member, moved_clock: Clock) -> APIClient:
    return as_member(world.learner)


@pytest.fixture
def three(quiz_world: QuizWorld) -> dict[str, Any]:
    """True/false (2 marks), single choice, short answer: one per page, pass mark 50."""
    return quiz_world.publish_quiz(
        slots=[
            fixed(quiz_world.make_question("truefalse"), "2"),
            fixed(quiz_world.make_question("single")),
            fixed(quiz_world.make_question("shortanswer")),
        ],
        questions_per_page=1,
        pass_mark="50",
    )


def test_the_quiz_says_whether_one_may_start_and_under_which_rules(
    quiz_world: QuizWorld, three, api: APIClient
) -> None:
    body = api.get(quiz_url(quiz_world, three)).json()
    assert body["can_start"] is True and body["reason"] == "" and body["open_attempt"] is None
    assert body["attempts"] == [] and body["grade"] is None and body["title"] == "Fire quiz"
    assert body["rules"] == {
        "opens_at": None, "closes_at": None, "time_limit_minutes": None, "attempts_allowed": 0, "attempts_used": 0,
        "delay_minutes": 0, "needs_password": False, "navigation": "free", "behaviour": "deferred",
        "grading_method": "highest", "pass_mark": "50",
    }  # fmt: skip


def test_start_then_start_again_resumes(quiz_world: QuizWorld, three, api: APIClient) -> None:
    created = api.post(f"{quiz_url(quiz_world, three)}attempts/", {}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["number"] == 1 and body["state"] == "in_progress" and body["current_page"] == 1
    assert body["pages"] == [[1], [2], [3]] and [q["type"] for q in body["questions"]] == [
        "truefalse", "single", "shortanswer",
    ]  # fmt: skip
    assert body["questions"][0]["max_mark"] == "2" and body["questions"][0]["response"] == {}
    again = api.post(f"{quiz_url(quiz_world, three)}attempts/", format="json")
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert Attempt.objects.count() == 1
    assert api.get(quiz_url(quiz_world, three)).json()["open_attempt"] == body["id"]


def test_responses_are_saved_per_slot_and_refusals_named(quiz_world: QuizWorld, three, api: APIClient) -> None:
    attempt = quiz_world.start(three)
    saved = api.patch(
        attempt_url(attempt, "responses"),
        {"1": RIGHT["truefalse"], "2": {"choice": "nope"}, "3": {"text": "Paris"}},
        format="json",
    )
    assert saved.status_code == 200
    body = saved.json()
    assert body["saved"] == [1, 3] and list(body["errors"]) == ["2"] and body["current_page"] == 1
    moved = api.patch(
        attempt_url(attempt, "responses"), {"responses": {"2": WRONG["single"]}, "page": 3}, format="json"
    )
    assert moved.json()["saved"] == [2] and moved.json()["current_page"] == 3
    detail = api.get(attempt_url(attempt)).json()
    assert [q["response"] for q in detail["questions"]] == [RIGHT["truefalse"], WRONG["single"], {"text": "Paris"}]
    assert detail["current_page"] == 3 and all(q["answered"] for q in detail["questions"])


def test_submit_grades_and_the_review_shows_what_its_options_allow(
    quiz_world: QuizWorld, api: APIClient, moved_clock: Clock
) -> None:
    quiz = quiz_world.publish_quiz(
        slots=[fixed(quiz_world.make_question("single", general_feedback="<p>Green exits.</p>")),
               fixed(quiz_world.make_question("truefalse"))],
        closes_at="2026-03-05T12:00:00+00:00",
        review={"immediately": {**dict.fromkeys(REVIEW_FLAGS, False), "marks": True, "responses": True},
                "after_close": dict.fromkeys(REVIEW_FLAGS, True)},
    )  # fmt: skip
    attempt = quiz_world.start(quiz)
    api.patch(attempt_url(attempt, "responses"), {"1": WRONG["single"], "2": RIGHT["truefalse"]}, format="json")
    submitted = api.post(attempt_url(attempt, "submit"))
    assert submitted.status_code == 200
    assert submitted.json()["state"] == "finished" and submitted.json()["grade"] == "50"
    assert submitted.json()["marks"] == "1" and submitted.json()["max_marks"] == "2"
    review = api.get(attempt_url(attempt, "review")).json()
    assert review["available"] is True
    first = review["questions"][0]
    assert first["response"] == WRONG["single"] and first["mark"] == "0"
    assert not {"state", "feedback", "general_feedback", "right_answer"} & set(first)
    moved_clock.now = dt.datetime(2026, 3, 5, 12, 0, tzinfo=dt.UTC)
    first = api.get(attempt_url(attempt, "review")).json()["questions"][0]
    assert first["state"] == "wrong" and first["feedback"] == ["<p>No.</p>"]
    assert first["general_feedback"] == "<p>Green exits.</p>" and first["right_answer"] == "Right"
    # The quiz now counts the attempt and its grade.
    body = api.get(quiz_url(quiz_world, quiz)).json()
    assert body["rules"]["attempts_used"] == 1 and body["attempts"][0]["grade"] == "50" and body["grade"] == "50"


def test_the_review_of_a_running_attempt_is_a_conflict(quiz_world: QuizWorld, three, api: APIClient) -> None:
    attempt = quiz_world.start(three)
    response = api.get(attempt_url(attempt, "review"))
    assert response.status_code == 409 and response.json()["error"]["code"] == "in_progress"


def test_an_interactive_check_grades_one_try(quiz_world: QuizWorld, api: APIClient) -> None:
    quiz = quiz_world.publish_quiz(
        slots=[fixed(quiz_world.make_question("single"))], behaviour="interactive", tries=2, penalty="0.5"
    )
    attempt = quiz_world.start(quiz)
    wrong = api.post(attempt_url(attempt, "check"), {"slot": 1, "response": WRONG["single"]}, format="json")
    assert wrong.status_code == 200
    assert wrong.json() == {"slot": 1, "state": "wrong", "feedback": ["<p>No.</p>"], "tries": 1, "tries_left": 1,
                            "locked": False}  # fmt: skip
    right = api.post(attempt_url(attempt, "check"), {"slot": 1, "response": RIGHT["single"]}, format="json").json()
    assert right["state"] == "right" and right["locked"] is True and right["tries_left"] == 0
    settled = api.patch(attempt_url(attempt, "responses"), {"1": WRONG["single"]}, format="json").json()
    assert settled["errors"] == {"1": [attempts.SLOT_LOCKED.format(slot=1)]}
    assert api.get(attempt_url(attempt)).json()["questions"][0]["locked"] is True
    graded = api.post(attempt_url(attempt, "submit")).json()
    assert graded["grade"] == "50"  # right at the second try: half the mark


def test_gap_questions_speak_positions_both_ways(quiz_world: QuizWorld, api: APIClient) -> None:
    text, data, _secrets = SAMPLES["gapselect"]
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("gapselect", text=text, data=data))])
    attempt = quiz_world.start(quiz)
    gaps = api.get(attempt_url(attempt)).json()["questions"][0]["gaps"]
    right = ["heat", "fuel", "a blanket"]
    positions = {
        str(g["gap"]): next(o["value"] for o in g["options"] if o["text"] == t)
        for g, t in zip(gaps, right, strict=True)
    }
    saved = api.patch(attempt_url(attempt, "responses"), {"1": {"gaps": positions}}, format="json")
    assert saved.json()["saved"] == [1]
    assert api.get(attempt_url(attempt)).json()["questions"][0]["response"] == {"gaps": positions}
    assert api.post(attempt_url(attempt, "submit")).json()["grade"] == "100"


def test_time_is_up_on_the_servers_clock(quiz_world: QuizWorld, api: APIClient, moved_clock: Clock) -> None:
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("truefalse"))], time_limit_minutes=10)
    body = api.post(f"{quiz_url(quiz_world, quiz)}attempts/", format="json").json()
    assert body["deadline"] == "2026-03-02T09:40:00+00:00" and body["seconds_left"] == 600
    moved_clock.move(minutes=9)
    assert api.patch(attempt_url(body["id"], "responses"), {"1": WRONG["truefalse"]}, format="json").json()[
        "saved"
    ] == [1]
    moved_clock.move(minutes=2)  # past the deadline and its grace
    late = api.patch(attempt_url(body["id"], "responses"), {"1": RIGHT["truefalse"]}, format="json")
    assert late.status_code == 409
    assert late.json()["error"] == {"status": 409, "code": "time_up", "message": attempts.TIME_UP, "errors": []}
    assert late.json()["attempt"]["state"] == "finished" and late.json()["attempt"]["submitted_late"] is True
    assert late.json()["attempt"]["grade"] == "0"  # the answer saved in time counts, the late one does not
    check = api.post(attempt_url(body["id"], "check"), {"slot": 1, "response": RIGHT["truefalse"]}, format="json")
    assert check.status_code == 400


def test_a_password_is_asked_for_and_checked(quiz_world: QuizWorld, api: APIClient) -> None:
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("truefalse"))], password="room-12")
    assert api.get(quiz_url(quiz_world, quiz)).json()["rules"]["needs_password"] is True
    missing = api.post(f"{quiz_url(quiz_world, quiz)}attempts/", {}, format="json")
    assert missing.status_code == 400 and error_fields(missing) == {"password": attempts.PASSWORD_REQUIRED}
    wrong = api.post(f"{quiz_url(quiz_world, quiz)}attempts/", {"password": "room-1"}, format="json")
    assert error_fields(wrong) == {"password": attempts.WRONG_PASSWORD}
    assert api.post(f"{quiz_url(quiz_world, quiz)}attempts/", {"password": "room-12"}, format="json").status_code == 201


# --- query counts -----------------------------------------------------------------------------------------------------


def test_the_attempt_costs_the_same_queries_at_5_and_20_questions(quiz_world: QuizWorld, api: APIClient) -> None:
    kinds = ["truefalse", "single", "shortanswer", "essay", "gapselect"]
    uids = {}
    for count in (5, 20):
        slots = []
        for n in range(count):
            key = kinds[n % len(kinds)]
            text, data, _secrets = SAMPLES[key]
            slots.append(fixed(quiz_world.make_question(key, name=f"{count}-{n}", text=text, data=data)))
        uids[count] = quiz_world.add_quiz(slots=slots, title=f"Quiz {count}").uid
    quiz_world.publish()
    counts = []
    for count in (5, 20):
        attempt = quiz_world.start(quiz_world.snapshot(uids[count]))
        api.get(attempt_url(attempt))
        with CaptureQueriesContext(connection) as queries:
            assert len(api.get(attempt_url(attempt)).json()["questions"]) == count
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_quiz_costs_the_same_queries_with_one_or_four_attempts(quiz_world: QuizWorld, api: APIClient) -> None:
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("truefalse"))])
    counts = []
    for attempts_made in (1, 4):
        while Attempt.objects.filter(state=AttemptState.FINISHED).count() < attempts_made:
            quiz_world.take(quiz, {1: RIGHT["truefalse"]}, now=NOW)
        api.get(quiz_url(quiz_world, quiz))
        with CaptureQueriesContext(connection) as queries:
            assert len(api.get(quiz_url(quiz_world, quiz)).json()["attempts"]) == attempts_made
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_every_attempt_endpoint_is_documented(tmp_path: Any) -> None:
    target = tmp_path / "schema.json"
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", "--file", str(target))
    paths = json.loads(target.read_text())["paths"]
    expected = {
        "/api/v1/assessment/quizzes/{course_id}/{activity_uid}/": {"get"},
        "/api/v1/assessment/quizzes/{course_id}/{activity_uid}/attempts/": {"post"},
        "/api/v1/assessment/attempts/{public_id}/": {"get"},
        "/api/v1/assessment/attempts/{public_id}/responses/": {"patch"},
        "/api/v1/assessment/attempts/{public_id}/check/": {"post"},
        "/api/v1/assessment/attempts/{public_id}/submit/": {"post"},
        "/api/v1/assessment/attempts/{public_id}/review/": {"get"},
    }
    for path, methods in expected.items():
        assert set(paths[path]) == methods, path
        for method in methods:
            operation = paths[path][method]
            assert operation["summary"] and operation["tags"] == ["Quiz attempts"] and "404" in operation["responses"]
