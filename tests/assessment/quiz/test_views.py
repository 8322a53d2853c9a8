"""Taking a quiz in the browser: the quiz's page in the player (rules, attempts, Start/Resume or why not), the
attempt's pages (questions, navigation, timer, autosave, Check), the summary, submitting, the review as the review
options allow, the author's preview, and the attempt page's constant query count."""

# Fixtures imported from conftest modules are redefined as test parameters, as pytest intends.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from syllabus.assessment import views_quiz
from syllabus.assessment.models import AnswerState, Attempt, AttemptState
from syllabus.assessment.quiz_settings import REVIEW_FLAGS
from syllabus.assessment.services import attempts
from tests.assessment.conftest import NOW, RIGHT, WRONG, Clock, QuizWorld, fixed
from tests.assessment.quiz.conftest import SignIn, as_person  # noqa: F401
from tests.conftest import World

pytestmark = pytest.mark.django_db


def text_of(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def quiz_page(quiz_world: QuizWorld, quiz: dict[str, Any]) -> str:
    return reverse("catalog:activity", args=[quiz_world.course.pk, quiz["uid"]])


def start_url(quiz_world: QuizWorld, quiz: dict[str, Any]) -> str:
    return reverse("assessment:attempt-start", args=[quiz_world.course.pk, quiz["uid"]])


def url(name: str, attempt: Attempt) -> str:
    return reverse(f"assessment:{name}", args=[attempt.public_id])


def review(**flags: bool) -> dict[str, dict[str, bool]]:
    """Review options: `flags` shown until the close, everything after it."""
    return {
        "immediately": {flag: flags.get(flag, False) for flag in REVIEW_FLAGS},
        "after_close": dict.fromkeys(REVIEW_FLAGS, True),
    }


@pytest.fixture
def learner(world: World, as_person: SignIn, moved_clock: Clock) -> Client:
    return as_person(world.learner)


@pytest.fixture
def two(quiz_world: QuizWorld) -> dict[str, Any]:
    """A quiz of two pages: a true/false worth 2 and a single choice worth 1."""
    return quiz_world.publish_quiz(
        slots=[fixed(quiz_world.make_question("truefalse", name="TF"), "2"), fixed(quiz_world.make_question("single"))],
        questions_per_page=1,
        pass_mark="50",
    )


# --- the quiz's page in the player ---------------------------------------------------------------------------------


def test_the_quiz_page_tells_the_rules_and_offers_to_start(quiz_world: QuizWorld, learner: Client) -> None:
    quiz = quiz_world.publish_quiz(
        slots=[fixed(quiz_world.make_question("truefalse"))],
        intro="<p>Read <em>carefully</em>.</p>",
        opens_at="2026-03-01T08:00:00+00:00",
        closes_at="2026-03-31T17:00:00+00:00",
        time_limit_minutes=20,
        attempts_allowed=3,
        delay_minutes=15,
        grading_method="average",
        pass_mark="80",
        navigation="sequential",
    )
    text = text_of(learner.get(quiz_page(quiz_world, quiz)))
    assert "<p>Read <em>carefully</em>.</p>" in text
    for sentence in (
        "Time limit: 20 minutes.",
        "3 attempts allowed, 0 used.",
        "Wait 15 minutes between attempts.",
        "Grading method: average grade.",
        "Pass mark: 80 %.",
        "Questions come in order: you cannot go back to an earlier page.",
    ):
        assert sentence in text
    assert "Opens on" in text and "Closes on" in text
    assert f'<form method="post" action="{start_url(quiz_world, quiz)}">' in text
    assert "Start the quiz" in text and 'name="password"' not in text and 'name="preview"' not in text


def test_finished_attempts_are_listed_with_marks_grade_and_review(quiz_world: QuizWorld, two, learner: Client) -> None:
    first = quiz_world.take(two, {1: RIGHT["truefalse"], 2: WRONG["single"]})
    text = text_of(learner.get(quiz_page(quiz_world, two)))
    assert "Finished" in text and "2 / 3" in text and "66.67 %" in text
    assert f'<a href="{url("attempt-review", first)}">Review attempt 1</a>' in text
    assert "Your grade for this quiz: 66.67 % — passed" in text
    assert "Start a new attempt" in text


def test_marks_are_hidden_when_the_review_options_hide_them(quiz_world: QuizWorld, learner: Client) -> None:
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("truefalse"))], review=review(responses=True))
    quiz_world.take(quiz, {1: RIGHT["truefalse"]})
    text = text_of(learner.get(quiz_page(quiz_world, quiz)))
    assert "Finished" in text and "100 %" not in text and "Your grade" not in text and "Review attempt 1" in text


@pytest.mark.parametrize(
    ("quiz_settings", "moment", "reason"),
    [
        ({"opens_at": "2026-03-03T09:00:00+00:00"}, NOW, "This quiz opens on"),
        ({"closes_at": "2026-03-01T09:00:00+00:00"}, NOW, "This quiz closed on"),
        ({"attempts_allowed": 1}, NOW + dt.timedelta(minutes=1), "You have used all 1 attempts at this quiz."),
        ({"delay_minutes": 60}, NOW + dt.timedelta(minutes=1), "You can start your next attempt after"),
    ],
)
def test_the_page_says_why_the_quiz_cannot_start(
    quiz_world: QuizWorld,
    learner: Client,
    moved_clock: Clock,
    quiz_settings: dict[str, Any],
    moment: dt.datetime,
    reason: str,
) -> None:
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("truefalse"))], **quiz_settings)
    if moment != NOW:
        quiz_world.take(quiz, {})
    moved_clock.now = moment
    text = text_of(learner.get(quiz_page(quiz_world, quiz)))
    assert reason in text and "Start the quiz" not in text and "Start a new attempt" not in text
    # And pressing Start anyway (an old tab) is refused with the same words.
    followed = learner.post(start_url(quiz_world, quiz), follow=True)
    assert reason in text_of(followed) and Attempt.objects.filter(state=AttemptState.IN_PROGRESS).count() == 0


def test_a_password_quiz_asks_for_it_and_checks_it(quiz_world: QuizWorld, learner: Client) -> None:
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("truefalse"))], password="room-12")
    text = text_of(learner.get(quiz_page(quiz_world, quiz)))
    assert 'type="password" name="password"' in text and "room-12" not in text
    wrong = learner.post(start_url(quiz_world, quiz), {"password": "room-13"}, follow=True)
    assert attempts.WRONG_PASSWORD in text_of(wrong) and not Attempt.objects.exists()
    right = learner.post(start_url(quiz_world, quiz), {"password": "room-12"})
    attempt = Attempt.objects.get()
    assert right.status_code == 302 and right["Location"] == f"{url('attempt', attempt)}?page=1"


def test_start_twice_resumes_the_same_attempt(quiz_world: QuizWorld, two, learner: Client) -> None:
    first = learner.post(start_url(quiz_world, two))
    second = learner.post(start_url(quiz_world, two))
    attempt = Attempt.objects.get()
    assert first["Location"] == second["Location"] == f"{url('attempt', attempt)}?page=1"
    text = text_of(learner.get(quiz_page(quiz_world, two)))
    assert "Continue your attempt" in text and f'href="{url("attempt", attempt)}">Continue' in text


# --- the attempt's pages -------------------------------------------------------------------------------------------


def test_a_page_shows_its_questions_the_navigation_and_no_answer(quiz_world: QuizWorld, two, learner: Client) -> None:
    attempt = quiz_world.start(two)
    text = text_of(learner.get(url("attempt", attempt)))
    assert '<h2 id="q1-label">Question 1</h2>' in text and "Marked out of 2" in text and "Not yet answered" in text
    assert 'name="q1-answer"' in text and 'name="q2-' not in text  # one question per page
    assert 'name="go" value="next"' in text and 'value="previous"' not in text
    assert 'value="slot-2"' in text and 'aria-current="true"' in text
    assert "data-quiz-timer" not in text  # no time limit
    assert '<input type="hidden" name="page" value="1">' in text


def test_next_saves_the_page_and_moves_on(quiz_world: QuizWorld, two, learner: Client) -> None:
    attempt = quiz_world.start(two)
    moved = learner.post(url("attempt-save", attempt), {"page": "1", "q1-answer": "true", "go": "next"})
    assert moved["Location"] == f"{url('attempt', attempt)}?page=2"
    answer = attempt.answers.get(slot=1)
    assert answer.response == {"answer": True} and answer.state == AnswerState.SAVED
    page = text_of(learner.get(moved["Location"]))
    assert 'name="q2-choice"' in page and 'value="previous"' in page
    # The navigation panel saves too, and goes to the question's page.
    jumped = learner.post(url("attempt-save", attempt), {"page": "2", "q2-choice": "1", "go": "slot-1"})
    assert jumped["Location"] == f"{url('attempt', attempt)}?page=1#q1"
    assert attempt.answers.get(slot=2).state == AnswerState.SAVED
    back = text_of(learner.get(jumped["Location"]))
    assert 'id="q1-answer-true" value="true" checked' in back and "Answer saved" in back


def test_sequential_navigation_never_shows_an_earlier_page(quiz_world: QuizWorld, learner: Client) -> None:
    quiz = quiz_world.publish_quiz(
        slots=[fixed(quiz_world.make_question("truefalse")), fixed(quiz_world.make_question("single"))],
        questions_per_page=1,
        navigation="sequential",
    )
    attempt = quiz_world.start(quiz)
    learner.post(url("attempt-save", attempt), {"page": "1", "q1-answer": "true", "go": "next"})
    text = text_of(learner.get(f"{url('attempt', attempt)}?page=1"))
    assert 'name="q2-choice"' in text and 'name="q1-answer"' not in text
    assert 'value="previous"' not in text and 'value="slot-1"' not in text and "moves forward only" in text
    # An old tab posting page 1 again changes nothing there.
    stale = learner.post(
        url("attempt-save", attempt), {"page": "1", "q1-answer": "false", "go": "previous"}, follow=True
    )
    assert attempts.PAGE_LEFT.format(slot=1) in text_of(stale)
    assert attempt.answers.get(slot=1).response == {"answer": True}


def test_autosave_answers_in_json(quiz_world: QuizWorld, two, learner: Client) -> None:
    attempt = quiz_world.start(two)
    saved = learner.post(url("attempt-save", attempt), {"page": "1", "q1-answer": "false", "autosave": "1"})
    assert saved.status_code == 200
    assert saved.json() == {"saved": [1], "errors": {}, "saved_at": "09:30", "revision": 1}
    assert attempt.answers.get(slot=1).response == {"answer": False}
    refused = learner.post(url("attempt-save", attempt), {"page": "1", "q1-answer": "maybe", "autosave": "1"})
    assert refused.json()["saved"] == [] and list(refused.json()["errors"]) == ["1"]


def test_a_timed_attempt_shows_the_servers_deadline(quiz_world: QuizWorld, learner: Client, moved_clock: Clock) -> None:
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("truefalse"))], time_limit_minutes=30)
    attempt = quiz_world.start(quiz)
    moved_clock.move(minutes=10)
    text = text_of(learner.get(url("attempt", attempt)))
    assert 'data-deadline="2026-03-02T10:00:00+00:00" data-seconds-left="1200"' in text
    assert 'aria-live="polite" data-quiz-timer-live' in text and 'value="timeup"' in text


def test_an_answer_after_the_deadline_is_not_counted(
    quiz_world: QuizWorld, learner: Client, moved_clock: Clock
) -> None:
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("truefalse"))], time_limit_minutes=30)
    attempt = quiz_world.start(quiz)
    moved_clock.move(minutes=31)
    late = learner.post(url("attempt-save", attempt), {"page": "1", "q1-answer": "true", "go": "finish"}, follow=True)
    assert late.redirect_chain[-1][0] == url("attempt-review", attempt)
    assert escape(attempts.TIME_UP) in late.content.decode()
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.FINISHED and attempt.submitted_late
    assert attempt.answers.get(slot=1).response == {}
    autosave = learner.post(url("attempt-save", attempt), {"page": "1", "q1-answer": "true", "autosave": "1"})
    assert autosave.status_code == 409 and autosave.json()["review_url"] == url("attempt-review", attempt)


def test_opening_an_overdue_attempt_submits_it(quiz_world: QuizWorld, learner: Client, moved_clock: Clock) -> None:
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("truefalse"))], time_limit_minutes=5)
    attempt = quiz_world.start(quiz)
    attempts.attempt_save(attempt=attempt, responses={1: {"answer": True}}, by=quiz_world.learner, now=NOW)
    moved_clock.move(minutes=6)
    response = learner.get(url("attempt", attempt))
    assert response["Location"] == url("attempt-review", attempt)
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.FINISHED and attempt.grade == 100


def test_the_time_up_button_saves_in_time_and_submits(
    quiz_world: QuizWorld, learner: Client, moved_clock: Clock
) -> None:
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("truefalse"))], time_limit_minutes=5)
    attempt = quiz_world.start(quiz)
    moved_clock.move(minutes=5)  # the browser's countdown reached zero: within the grace
    learner.post(url("attempt-save", attempt), {"page": "1", "q1-answer": "true", "go": "timeup"})
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.FINISHED and attempt.grade == 100 and not attempt.submitted_late


def test_check_shows_the_try_and_hides_it_once_the_answer_changes(quiz_world: QuizWorld, learner: Client) -> None:
    quiz = quiz_world.publish_quiz(
        slots=[fixed(quiz_world.make_question("single"))], behaviour="interactive", tries=3, penalty="0.5"
    )
    attempt = quiz_world.start(quiz)
    answer = attempt.answers.get(slot=1)
    wrong = str(answer.variant["order"].index("a3") + 1)  # the form names options by their position
    checked = learner.post(url("attempt-save", attempt), {"page": "1", "q1-choice": wrong, "check": "1"})
    assert checked["Location"] == f"{url('attempt', attempt)}?page=1#q1"
    text = text_of(learner.get(checked["Location"]))
    assert "Incorrect" in text and "<p>No.</p>" in text and "2 tries left" in text
    # Another answer, saved but not checked: the last check's verdict no longer shows.
    other = str(answer.variant["order"].index("a1") + 1)
    learner.post(url("attempt-save", attempt), {"page": "1", "q1-choice": other, "autosave": "1"})
    text = text_of(learner.get(url("attempt", attempt)))
    assert "Incorrect" not in text and "Correct" not in text and "Well done" not in text and "Answer saved" in text


def test_check_is_not_offered_in_a_deferred_quiz(quiz_world: QuizWorld, two, learner: Client) -> None:
    attempt = quiz_world.start(two)
    assert 'name="check"' not in text_of(learner.get(url("attempt", attempt)))
    refused = learner.post(url("attempt-save", attempt), {"page": "1", "q1-answer": "true", "check": "1"}, follow=True)
    assert f"Question 1: {attempts.NO_TRIES.format(slot=1)}" in text_of(refused)


def test_finish_shows_the_summary_and_submit_shows_the_review(quiz_world: QuizWorld, two, learner: Client) -> None:
    attempt = quiz_world.start(two)
    finish = learner.post(url("attempt-save", attempt), {"page": "1", "q1-answer": "true", "go": "finish"})
    assert finish["Location"] == url("attempt-summary", attempt)
    summary = text_of(learner.get(finish["Location"]))
    assert "Answer saved" in summary and "Not yet answered" in summary and "1 question is not answered yet." in summary
    assert f'action="{url("attempt-submit", attempt)}"' in summary and "Return to attempt" in summary
    submitted = learner.post(url("attempt-submit", attempt), follow=True)
    text = text_of(submitted)
    assert views_quiz.SUBMITTED in text and "Review of attempt 1" in text
    assert "2 / 3" in text and "66.67 %" in text and "Passed" in text
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.FINISHED
    # Pages of a submitted attempt lead to its review; submitting again changes nothing.
    assert learner.get(url("attempt", attempt))["Location"] == url("attempt-review", attempt)
    assert learner.get(url("attempt-summary", attempt))["Location"] == url("attempt-review", attempt)
    again = learner.post(url("attempt-submit", attempt), follow=True)
    assert views_quiz.ALREADY_SUBMITTED in text_of(again)


# --- the review ---------------------------------------------------------------------------------------------------


def test_the_review_shows_what_the_options_allow_until_the_close_and_more_after(
    quiz_world: QuizWorld, learner: Client, moved_clock: Clock
) -> None:
    quiz = quiz_world.publish_quiz(
        slots=[fixed(quiz_world.make_question("single", general_feedback="<p>Exits are green.</p>"))],
        closes_at="2026-03-10T12:00:00+00:00",
        review=review(responses=True, marks=True),
    )
    attempt = quiz_world.take(quiz, {1: WRONG["single"]})
    text = text_of(learner.get(url("attempt-review", attempt)))
    assert "0 / 1" in text and "Marks" in text and "checked disabled" in text  # the response, read-only
    for hidden in ("Incorrect", "<p>No.</p>", "Exits are green", "The correct answer is"):
        assert hidden not in text
    assert "More of the review shows after the quiz closes on" in text
    moved_clock.now = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
    text = text_of(learner.get(url("attempt-review", attempt)))
    for shown in ("Incorrect", "<p>No.</p>", "<p>Exits are green.</p>", "The correct answer is: Right"):
        assert shown in text
    assert "More of the review" not in text


def test_the_course_team_reviews_everything(quiz_world: QuizWorld, as_person: SignIn, moved_clock: Clock) -> None:
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("single"))], review=review())
    attempt = quiz_world.take(quiz, {1: WRONG["single"]})
    text = text_of(as_person(quiz_world.world.instructor).get(url("attempt-review", attempt)))
    assert "Lena Learner" in text and "Incorrect" in text and "The correct answer is: Right" in text


# --- the author's preview -------------------------------------------------------------------------------------------


def test_the_team_previews_the_draft_quiz_without_recording_anything(
    quiz_world: QuizWorld, as_person: SignIn, moved_clock: Clock
) -> None:
    activity = quiz_world.add_quiz(slots=[fixed(quiz_world.make_question("truefalse"))], password="secret")
    client = as_person(quiz_world.world.instructor)
    preview = text_of(client.get(reverse("catalog:activity-preview", args=[quiz_world.course.pk, activity.uid])))
    assert '<input type="hidden" name="preview" value="1">' in preview and 'name="password"' not in preview
    started = client.post(
        reverse("assessment:attempt-start", args=[quiz_world.course.pk, activity.uid]), {"preview": "1"}
    )
    attempt = Attempt.objects.get()
    assert attempt.preview and attempt.version_id is None and started["Location"].startswith(url("attempt", attempt))
    page = text_of(client.get(started["Location"]))
    assert "Preview" in page and 'name="q1-answer"' in page
    client.post(url("attempt-save", attempt), {"page": "1", "q1-answer": "true", "go": "finish"})
    review_page = text_of(client.post(url("attempt-submit", attempt), follow=True))
    assert "This attempt is never recorded." in review_page and "Correct" in review_page


# --- query counts -----------------------------------------------------------------------------------------------------


def page_queries(quiz_world: QuizWorld, client: Client, quiz: dict[str, Any], count: int) -> tuple[int, int]:
    """Queries of the attempt page and of its summary, for a fresh attempt at a quiz of `count` questions."""
    attempt = quiz_world.start(quiz)
    client.get(url("attempt", attempt))  # the session and caches warm
    with CaptureQueriesContext(connection) as page:
        response = client.get(url("attempt", attempt))
    assert response.status_code == 200 and text_of(response).count('class="quiz-question"') == count
    with CaptureQueriesContext(connection) as summary:
        assert client.get(url("attempt-summary", attempt)).status_code == 200
    return len(page), len(summary)


def test_the_attempt_page_costs_the_same_queries_at_5_and_20_questions(quiz_world: QuizWorld, learner: Client) -> None:
    kinds = ["truefalse", "single", "shortanswer", "essay", "description"]
    quizzes = {}
    for count in (5, 20):
        slots = [fixed(quiz_world.make_question(kinds[n % len(kinds)], name=f"Q{count}-{n}")) for n in range(count)]
        activity = quiz_world.add_quiz(slots=slots, questions_per_page=0, time_limit_minutes=60, title=f"Quiz {count}")
        quizzes[count] = activity.uid
    quiz_world.publish()
    five = page_queries(quiz_world, learner, quiz_world.snapshot(quizzes[5]), 5)
    twenty = page_queries(quiz_world, learner, quiz_world.snapshot(quizzes[20]), 20)
    assert five == twenty
    # The attempt and its answers (with their question versions); the rest is the site's layout and session.
    assert five[0] <= 14


def test_the_quiz_page_costs_the_same_queries_with_one_or_four_attempts(quiz_world: QuizWorld, learner: Client) -> None:
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("truefalse"))], pass_mark="50")
    counts = []
    for made in (1, 4):
        while Attempt.objects.filter(state=AttemptState.FINISHED).count() < made:
            quiz_world.take(quiz, {1: RIGHT["truefalse"]})
        learner.get(quiz_page(quiz_world, quiz))
        with CaptureQueriesContext(connection) as queries:
            response = learner.get(quiz_page(quiz_world, quiz))
        assert text_of(response).count("Review attempt") == made
        counts.append(len(queries))
    assert counts[0] == counts[1]
