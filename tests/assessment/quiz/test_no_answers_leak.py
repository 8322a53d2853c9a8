"""No right answer reaches a learner before the review options allow it: the API's question payload of every
registered type, the attempt's pages (HTML) and the API's attempt (JSON) of a quiz with every type, and a review
whose options show nothing."""

# Fixtures imported from conftest modules are redefined as test parameters, as pytest intends.
# ruff: noqa: F811

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from syllabus.assessment import rendering
from syllabus.assessment.models import Attempt, QuestionAnswer
from syllabus.assessment.question_types import base as qtypes
from syllabus.assessment.quiz_settings import REVIEW_FLAGS
from tests.api.conftest import V1
from tests.assessment.conftest import NOW, QuizWorld, fixed
from tests.assessment.quiz.conftest import FORBIDDEN_KEYS, SAMPLES, SignIn, as_member, as_person, keys_in  # noqa: F401

pytestmark = pytest.mark.django_db

NOTHING = {when: dict.fromkeys(REVIEW_FLAGS, False) for when in ("immediately", "after_close")}


def every_type_quiz(quiz_world: QuizWorld, **settings: object) -> dict:
    questions = [
        quiz_world.make_question(
            key, name=f"{key} sample", text=text, data=data, general_feedback=f"<p>GF-secret-{key}</p>"
        )
        for key, (text, data, _secrets) in SAMPLES.items()
    ]
    return quiz_world.publish_quiz(slots=[fixed(q) for q in questions], questions_per_page=0, **settings)


def secrets(key: str) -> list[str]:
    return [*SAMPLES[key][2], f"GF-secret-{key}"]


def html_secrets() -> list[str]:
    # Quoted JSON keys are for the JSON checks: HTML has quotes of its own (role="group").
    return [word for key in SAMPLES for word in secrets(key) if not word.startswith('"')]


def answers_of(attempt: Attempt) -> list[QuestionAnswer]:
    return list(attempt.answers.select_related("question_version").order_by("slot"))


def test_every_registered_type_has_a_sample_here() -> None:
    # A new type must come with its learner-facing JSON (rendering.PAYLOADS) and a sample in SAMPLES.
    assert {t.key for t in qtypes.all_types()} == set(SAMPLES)
    assert set(SAMPLES) <= set(rendering.PAYLOADS)


def test_the_question_payload_of_every_type_holds_no_fraction_feedback_or_right_answer(
    quiz_world: QuizWorld,
) -> None:
    attempt = quiz_world.start(every_type_quiz(quiz_world))
    for answer in answers_of(attempt):
        key = answer.question_version.qtype
        payload = rendering.question_payload(answer, response=False)
        assert not keys_in(payload) & FORBIDDEN_KEYS, key
        dumped = json.dumps(payload)
        for word in secrets(key):
            assert word not in dumped, (key, word)
        assert payload["slot"] == answer.slot and payload["type"] == key


def test_options_come_in_the_attempts_order_with_opaque_ids(quiz_world: QuizWorld) -> None:
    attempt = quiz_world.start(every_type_quiz(quiz_world))
    by_type = {a.question_version.qtype: a for a in answers_of(attempt)}
    single = by_type["single"]
    payload = rendering.question_payload(single)
    assert [o["id"] for o in payload["options"]] == single.variant["order"]
    assert [o["text"] for o in payload["options"]] != []
    ordering = by_type["ordering"]
    items = rendering.question_payload(ordering)["items"]
    right = [i["id"] for i in ordering.question_version.data["items"]]
    assert [i["id"] for i in items] == ordering.variant["order"] != right
    gaps = rendering.question_payload(by_type["gapselect"])
    # Gaps are empty markers; each offers its group's texts by position, never by choice number.
    assert gaps["text"].count('data-gap="') == 3 and "[[" not in gaps["text"]
    assert [o["value"] for o in gaps["gaps"][0]["options"]] == [1, 2, 3]
    assert {o["text"] for o in gaps["gaps"][0]["options"]} == {"heat", "fuel", "water"}
    cloze = rendering.question_payload(by_type["cloze"])
    assert [p["input"] for p in cloze["parts"]] == ["text", "number", "choice"]
    assert {o["text"] for o in cloze["parts"][2]["options"]} == {"Crimson", "Teal"}
    calculated = rendering.question_payload(by_type["calculated"])
    values = by_type["calculated"].variant["values"]
    assert f"A room is {values['a']} m by {values['b']} m" in calculated["text"]


def test_the_attempt_page_of_every_type_shows_no_answer(quiz_world: QuizWorld, as_person: SignIn) -> None:
    attempt = quiz_world.start(every_type_quiz(quiz_world))
    body = as_person(quiz_world.world.learner).get(reverse("assessment:attempt", args=[attempt.public_id]))
    assert body.status_code == 200
    text = body.content.decode()
    assert text.count('class="quiz-question"') == len(SAMPLES)
    for word in html_secrets():
        assert word not in text, word
    assert not re.search(r"qtype-mark-(right|wrong|partial)", text)


def test_the_api_attempt_of_every_type_shows_no_answer(quiz_world: QuizWorld, as_member) -> None:
    attempt = quiz_world.start(every_type_quiz(quiz_world))
    response = as_member(quiz_world.world.learner).get(f"{V1}/assessment/attempts/{attempt.public_id}/")
    assert response.status_code == 200
    questions = response.json()["questions"]
    assert len(questions) == len(SAMPLES)
    dumped = json.dumps(questions)
    for key in SAMPLES:
        for word in secrets(key):
            assert word not in dumped, (key, word)
    for question in questions:
        assert not keys_in({k: v for k, v in question.items() if k != "response"}) & FORBIDDEN_KEYS


def test_saved_answers_show_no_answer_either(quiz_world: QuizWorld, as_member, as_person: SignIn) -> None:
    """A saved right answer (the learner's own) shows as the learner gave it, with no sign that it is right."""
    attempt = quiz_world.start(every_type_quiz(quiz_world))
    by_type = {a.question_version.qtype: a for a in answers_of(attempt)}
    client = as_member(quiz_world.world.learner)
    right_single = next(o["id"] for o in by_type["single"].question_version.data["options"] if o["fraction"] == "1")
    saved = client.patch(
        f"{V1}/assessment/attempts/{attempt.public_id}/responses/",
        {str(by_type["single"].slot): {"choice": right_single}, str(by_type["truefalse"].slot): {"answer": True}},
        format="json",
    )
    assert saved.status_code == 200 and sorted(saved.json()["saved"]) == sorted(
        [by_type["single"].slot, by_type["truefalse"].slot]
    )
    dumped = json.dumps(saved.json())
    assert "right" not in dumped and "FB-secret" not in dumped
    detail = client.get(f"{V1}/assessment/attempts/{attempt.public_id}/").json()
    single = next(q for q in detail["questions"] if q["type"] == "single")
    assert single["response"] == {"choice": right_single} and single["answered"] is True
    assert not keys_in({k: v for k, v in single.items() if k != "response"}) & FORBIDDEN_KEYS
    page = as_person(quiz_world.world.learner).get(reverse("assessment:attempt", args=[attempt.public_id]))
    text = page.content.decode()
    assert "Answer saved" in text and "Correct" not in text and "FB-secret" not in text


def test_a_review_that_shows_nothing_shows_nothing(quiz_world: QuizWorld, as_member, as_person: SignIn) -> None:
    quiz = every_type_quiz(quiz_world, review=NOTHING)
    attempt = quiz_world.take(quiz, {})
    review = as_member(quiz_world.world.learner).get(f"{V1}/assessment/attempts/{attempt.public_id}/review/")
    assert review.status_code == 200
    assert review.json()["available"] is False and review.json()["questions"] == []
    assert review.json()["attempt"]["grade"] is None and review.json()["attempt"]["marks"] is None
    page = as_person(quiz_world.world.learner).get(reverse("assessment:attempt-review", args=[attempt.public_id]))
    text = page.content.decode()
    assert "The review of this attempt is not available now." in text
    for word in html_secrets():
        assert word not in text, word
    assert attempt.started_at == NOW
