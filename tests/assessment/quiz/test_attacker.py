"""Quizzes from the attacker's side: someone else's attempt, another organisation, a course one may not learn, a
learner posing as the course team, limits that must hold through the API (attempts, delay, time, sequential pages),
and hostile input that must be refused with a message, never a crash."""

# Fixtures imported from conftest modules are redefined as test parameters, as pytest intends.
# ruff: noqa: F811

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from syllabus.assessment.models import Attempt, AttemptState
from syllabus.assessment.services import attempts
from tests.api.conftest import V1, error_fields
from tests.assessment.conftest import RIGHT, Clock, QuizWorld, fixed, member
from tests.assessment.quiz.conftest import SignIn, as_member, as_person  # noqa: F401
from tests.conftest import World
from tests.factories import ActivityFactory

pytestmark = pytest.mark.django_db
API = f"{V1}/assessment"


def page(name: str, attempt: Attempt) -> str:
    return reverse(f"assessment:{name}", args=[attempt.public_id])


def api_url(attempt: Attempt, part: str = "") -> str:
    return f"{API}/attempts/{attempt.public_id}/{part + '/' if part else ''}"


def quiz_api(quiz_world: QuizWorld, quiz: dict[str, Any]) -> str:
    return f"{API}/quizzes/{quiz_world.course.pk}/{quiz['uid']}/"


@pytest.fixture
def quiz(quiz_world: QuizWorld, moved_clock: Clock) -> dict[str, Any]:
    return quiz_world.publish_quiz(
        slots=[fixed(quiz_world.make_question("truefalse")), fixed(quiz_world.make_question("single"))],
        questions_per_page=1,
    )


def test_nobody_else_may_use_a_learners_attempt_pages(
    quiz_world: QuizWorld, quiz: dict[str, Any], world: World, client: Client
) -> None:
    attempt = quiz_world.start(quiz)
    for person in (world.report, world.instructor, world.org_admin, world.outsider):
        client.force_login(person.user)
        for name in ("attempt", "attempt-summary"):
            assert client.get(page(name, attempt)).status_code == 404, (person, name)
        for name in ("attempt-save", "attempt-submit"):
            assert client.post(page(name, attempt), {"page": "1", "q1-answer": "true"}).status_code == 404
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.IN_PROGRESS and attempt.answers.get(slot=1).response == {}
    # The review is the owner's and the course team's only.
    attempts.attempt_submit(attempt=attempt, by=quiz_world.learner)
    for person, status in ((world.report, 404), (world.outsider, 404), (world.instructor, 200)):
        client.force_login(person.user)
        assert client.get(page("attempt-review", attempt)).status_code == status, person


def test_nobody_else_may_use_a_learners_attempt_through_the_api(
    quiz_world: QuizWorld, quiz: dict[str, Any], world: World, as_member
) -> None:
    attempt = quiz_world.start(quiz)
    for person in (world.report, world.instructor, world.outsider):
        api = as_member(person)
        assert api.get(api_url(attempt)).status_code == 404
        assert api.patch(api_url(attempt, "responses"), {"1": RIGHT["truefalse"]}, format="json").status_code == 404
        assert api.post(api_url(attempt, "check"), {"slot": 1, "response": {}}, format="json").status_code == 404
        assert api.post(api_url(attempt, "submit")).status_code == 404
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.IN_PROGRESS and attempt.answers.get(slot=1).response == {}
    attempts.attempt_submit(attempt=attempt, by=quiz_world.learner)
    assert as_member(world.report).get(api_url(attempt, "review")).status_code == 404
    assert as_member(world.outsider).get(api_url(attempt, "review")).status_code == 404
    team = as_member(world.instructor).get(api_url(attempt, "review")).json()
    assert team["available"] is True and "right_answer" in team["questions"][0]


def test_a_course_one_may_not_learn_has_no_quiz(
    quiz_world: QuizWorld, quiz: dict[str, Any], world: World, as_member, as_person: SignIn
) -> None:
    for person in (world.engineer, world.outsider):  # not enrolled; another organisation
        api = as_member(person)
        assert api.get(quiz_api(quiz_world, quiz)).status_code == 404
        assert api.post(f"{quiz_api(quiz_world, quiz)}attempts/", format="json").status_code == 404
        client = as_person(person)
        start = reverse("assessment:attempt-start", args=[quiz_world.course.pk, quiz["uid"]])
        assert client.post(start).status_code == 404
    assert not Attempt.objects.exists()


def test_an_activity_that_is_not_a_quiz_has_no_attempts(quiz_world: QuizWorld, world: World, as_member) -> None:
    reading = ActivityFactory(section=quiz_world.section, title="Read me")
    quiz_world.publish()
    api = as_member(world.learner)
    assert api.get(f"{API}/quizzes/{quiz_world.course.pk}/{reading.uid}/").status_code == 404
    assert api.post(f"{API}/quizzes/{quiz_world.course.pk}/{reading.uid}/attempts/").status_code == 404


def test_a_learner_cannot_start_a_preview_of_the_draft(
    quiz_world: QuizWorld, quiz: dict[str, Any], world: World, as_person: SignIn
) -> None:
    start = reverse("assessment:attempt-start", args=[quiz_world.course.pk, quiz["uid"]])
    assert as_person(world.learner).post(start, {"preview": "1"}).status_code == 404
    assert not Attempt.objects.exists()


def test_a_preview_attempt_is_not_reachable_through_the_api(
    quiz_world: QuizWorld, quiz: dict[str, Any], world: World, as_member, as_person: SignIn
) -> None:
    start = reverse("assessment:attempt-start", args=[quiz_world.course.pk, quiz["uid"]])
    as_person(world.instructor).post(start, {"preview": "1"})
    preview = Attempt.objects.get(preview=True)
    assert as_member(world.instructor).get(api_url(preview)).status_code == 404


def test_the_attempts_limit_holds_through_the_api(quiz_world: QuizWorld, world: World, as_member) -> None:
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("truefalse"))], attempts_allowed=1)
    api = as_member(world.learner)
    first = api.post(f"{quiz_api(quiz_world, quiz)}attempts/", format="json").json()
    api.post(f"{API}/attempts/{first['id']}/submit/")
    again = api.post(f"{quiz_api(quiz_world, quiz)}attempts/", format="json")
    assert again.status_code == 400
    assert again.json()["error"]["message"] == attempts.NO_ATTEMPTS_LEFT.format(count=1)
    assert Attempt.objects.count() == 1
    assert api.get(quiz_api(quiz_world, quiz)).json()["can_start"] is False


def test_the_delay_between_attempts_holds_through_the_api(
    quiz_world: QuizWorld, world: World, as_member, moved_clock: Clock
) -> None:
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("truefalse"))], delay_minutes=30)
    api = as_member(world.learner)
    first = api.post(f"{quiz_api(quiz_world, quiz)}attempts/", format="json").json()
    api.post(f"{API}/attempts/{first['id']}/submit/")
    moved_clock.move(minutes=29)
    early = api.post(f"{quiz_api(quiz_world, quiz)}attempts/", format="json")
    assert early.status_code == 400 and early.json()["error"]["message"].startswith("You can start your next attempt")
    assert api.get(quiz_api(quiz_world, quiz)).json()["next_start_at"] == "2026-03-02T10:00:00+00:00"
    moved_clock.move(minutes=1)
    assert api.post(f"{quiz_api(quiz_world, quiz)}attempts/", format="json").status_code == 201


def test_sequential_navigation_cannot_go_back_through_the_api(quiz_world: QuizWorld, world: World, as_member) -> None:
    quiz = quiz_world.publish_quiz(
        slots=[fixed(quiz_world.make_question("truefalse")), fixed(quiz_world.make_question("single"))],
        questions_per_page=1,
        navigation="sequential",
    )
    attempt = quiz_world.start(quiz)
    api = as_member(world.learner)
    api.patch(api_url(attempt, "responses"), {"responses": {"1": {"answer": False}}, "page": 2}, format="json")
    back = api.patch(api_url(attempt, "responses"), {"responses": {"1": RIGHT["truefalse"]}, "page": 1}, format="json")
    assert back.json()["errors"] == {"1": [attempts.PAGE_LEFT.format(slot=1)]} and back.json()["current_page"] == 2
    assert attempt.answers.get(slot=1).response == {"answer": False}
    detail = api.get(api_url(attempt)).json()
    assert detail["current_page"] == 2 and [q["locked"] for q in detail["questions"]] == [True, False]


def test_a_time_limit_holds_on_every_write(quiz_world: QuizWorld, world: World, as_member, moved_clock: Clock) -> None:
    quiz = quiz_world.publish_quiz(
        slots=[fixed(quiz_world.make_question("single"))], time_limit_minutes=5, behaviour="interactive"
    )
    attempt = quiz_world.start(quiz)
    moved_clock.move(minutes=6)
    api = as_member(world.learner)
    check = api.post(api_url(attempt, "check"), {"slot": 1, "response": RIGHT["single"]}, format="json")
    assert check.status_code == 409 and check.json()["error"]["code"] == "time_up"
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.FINISHED and attempt.grade == 0
    assert api.patch(api_url(attempt, "responses"), {"1": RIGHT["single"]}, format="json").status_code == 409


def test_another_learners_override_is_not_mine(quiz_world: QuizWorld, world: World, as_member) -> None:
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("truefalse"))], password="secret")
    other = member(world, "Otto Other")
    attempts.override_set(
        course=quiz_world.course, activity_uid=quiz_world.quizzes[0].uid, user=other.user, by=quiz_world.owner,
        reason="Exam room", skip_password=True,
    )  # fmt: skip
    refused = as_member(world.learner).post(f"{quiz_api(quiz_world, quiz)}attempts/", format="json")
    assert error_fields(refused) == {"password": attempts.PASSWORD_REQUIRED}


# --- hostile input ----------------------------------------------------------------------------------------------------


def test_hostile_api_bodies_are_refused_with_a_message(quiz_world: QuizWorld, quiz: dict[str, Any], world: World,
                                                       as_member) -> None:  # fmt: skip
    attempt = quiz_world.start(quiz)
    api = as_member(world.learner)
    responses = api_url(attempt, "responses")
    for body in ([1, 2], {"one": {}}, {"1": {}, "__proto__": {}}, {"responses": [1]}):
        refused = api.patch(responses, body, format="json")
        assert refused.status_code == 400, body
    assert api.patch(responses, {"responses": {}, "page": 99}, format="json").json()["error"]["errors"] == [
        {"field": "page", "message": "Give a page number from 1 to 2.", "code": "invalid"}
    ]
    odd = api.patch(responses, {"1": "true", "2": {"choice": ["a1"]}, "77": {}}, format="json").json()
    assert set(odd["errors"]) == {"1", "2", "77"} and odd["saved"] == []
    assert odd["errors"]["77"] == [attempts.UNKNOWN_SLOT.format(slot=77)]
    for body in ({}, {"slot": "x"}, {"slot": True}, {"slot": 1, "response": {"answer": True}}):
        assert api.post(api_url(attempt, "check"), body, format="json").status_code == 400, body
    long = api.post(f"{quiz_api(quiz_world, quiz)}attempts/", {"password": "x" * 201}, format="json")
    assert long.status_code == 400
    assert api.get(f"{API}/attempts/not-a-uuid/").status_code == 404


def test_hostile_page_posts_change_nothing_they_should_not(
    quiz_world: QuizWorld, quiz: dict[str, Any], world: World, as_person: SignIn
) -> None:
    attempt = quiz_world.start(quiz)
    client = as_person(world.learner)
    assert client.get(f"{page('attempt', attempt)}?page=999").status_code == 200
    assert client.get(f"{page('attempt', attempt)}?page=-1").status_code == 200
    for data in ({"page": "abc", "go": "page-999"}, {"page": "-3", "go": "next"}, {"page": "1", "check": "1' or 1"}):
        response = client.post(page("attempt-save", attempt), data)
        assert response.status_code == 302, data
    garbage = client.post(page("attempt-save", attempt), {"page": "1", "q1-answer": "<script>", "go": "next"},
                          follow=True)  # fmt: skip
    assert "<script>" not in garbage.content.decode().replace('<script src="', "")
    assert attempt.answers.get(slot=1).response == {}
    assert client.get(reverse("assessment:attempt", args=["00000000-0000-0000-0000-000000000000"])).status_code == 404
