"""Worlds for the assessment browser tests (test_assessment.py) and the assessment pages of PAGES_IN_SCOPE.

Everything is made through the services (questions, publishing, attempts, grading, overrides), at the real clock:
the live server reads `clock.now()` unpatched, so an attempt started at the tests' frozen NOW would already be over.

- `quiz_of_every_type(world)`: a published course whose quiz holds one question of every type in
  `question_types.TYPES` (in that order, five to a page), with a time limit; the learner is enrolled.
- `quiz_pages(world)`: what the assessment pages in scope need (the harness builds it from the persona's world on
  first use, then finds it again by the course's title): the course bank with a question of each kind the pages
  show, a quiz the learner submitted (its essay waits in the grading queue) and is taking again (an attempt in
  progress), and an override.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from syllabus.assessment.models import Attempt, AttemptState, Question, QuestionAnswer, QuestionBank
from syllabus.assessment.question_types import TYPES
from syllabus.assessment.services import attempts as attempt_services
from syllabus.catalog import learning
from syllabus.catalog.models import Course
from syllabus.core import clock
from tests.assessment.conftest import QuizWorld, fixed, make_quiz_world
from tests.conftest import World

EVERY_TYPE_COURSE = "Fire safety"
QUIZ_TITLE = "Fire quiz"
PAGES_COURSE = "Assessment pages"
PAGES_QUIZ = "Evacuation quiz"
QUESTIONS_PER_PAGE = 5
TIME_LIMIT_MINUTES = 30
PASS_MARK = "80"
# A small GIFT file: two valid questions and one whose answer block never closes (on line 5).
GIFT_WITH_AN_ERROR = b"""::Water::Water puts out electrical fires. {F}

::Capital::The capital of France? {=Paris ~Lyon ~Berlin}

::Broken::What? {=yes ~
"""
GIFT_ERROR_LINE = 5
GIFT_ERROR = "The answer block is not closed"

# One question of each type, with fractions that add up exactly: (name, text, data). Option and answer ids are
# assigned by the types. Texts carry no answer, so a test can read the page as a learner does.
EVERY_TYPE: dict[str, tuple[str, str, dict[str, Any]]] = {
    "single": (
        "Exit",
        "<p>Which exit do you use?</p>",
        {
            "options": [
                {"text": "North door", "fraction": "1", "feedback": "<p>Nearest to the stairs.</p>"},
                {"text": "South door", "fraction": "0.5", "feedback": ""},
                {"text": "Lift", "fraction": "0", "feedback": "<p>Never the lift.</p>"},
            ],
            "shuffle": False,
            "numbering": "abc",
        },
    ),
    "multiple": (
        "Fire triangle",
        "<p>What does a fire need?</p>",
        {
            "options": [
                {"text": "Heat", "fraction": "0.5", "feedback": ""},
                {"text": "Fuel", "fraction": "0.5", "feedback": ""},
                {"text": "Water", "fraction": "-1", "feedback": ""},
            ],
            "shuffle": False,
            "numbering": "abc",
        },
    ),
    "truefalse": (
        "Smoke",
        "<p>Smoke rises.</p>",
        {"correct": True, "feedback_true": "<p>Stay low.</p>", "feedback_false": "<p>It does rise.</p>"},
    ),
    "shortanswer": (
        "Assembly point",
        "<p>Name the assembly island.</p>",
        {
            "answers": [
                {"text": "Zanzibar", "fraction": "1", "feedback": ""},
                {"text": "Madagascar", "fraction": "0.5", "feedback": ""},
            ],
            "case_sensitive": False,
        },
    ),
    "numerical": (
        "Hose",
        "<p>How long is the hose, in metres?</p>",
        {
            "answers": [{"value": "7.125", "tolerance": "0.0625", "fraction": "1", "feedback": ""}],
            "units": [],
            "unit_handling": "none",
            "unit_penalty": "0.1",
        },
    ),
    "matching": (
        "Extinguishers",
        "<p>Match each fire with its extinguisher.</p>",
        {
            "pairs": [
                {"prompt": "<p>Wood fire</p>", "answer": "Water"},
                {"prompt": "<p>Electrical fire</p>", "answer": "CO2"},
                {"prompt": "", "answer": "Sand"},
            ],
            "shuffle": True,
        },
    ),
    "ordering": (
        "Steps",
        "<p>Put the steps in order.</p>",
        {
            "items": [{"text": "Raise the alarm"}, {"text": "Leave the building"}, {"text": "Gather outside"}],
            "grading": "absolute_position",
        },
    ),
    "gapselect": (
        "Fire needs",
        "<p>A fire needs [[1]] and [[2]]; smother it with [[3]].</p>",
        {
            "choices": [
                {"text": "heat", "group": 1},
                {"text": "fuel", "group": 1},
                {"text": "a blanket", "group": 2},
                {"text": "water", "group": 1},
                {"text": "petrol", "group": 2},
            ],
            "shuffle": True,
        },
    ),
    "ddwtos": (
        "Cat",
        "<p>[[1]] cat sat on [[2]] mat.</p>",
        {
            "choices": [
                {"text": "the", "group": 1, "infinite": False},
                {"text": "my", "group": 1, "infinite": True},
                {"text": "every", "group": 1, "infinite": False},
            ],
            "shuffle": True,
        },
    ),
    "cloze": (
        "Port",
        "<p>The port is {1:SHORTANSWER:=Quimper~%50%Brest}, the code is {1:NUMERICAL:=4.75:0.01} and the colour is "
        "{1:MULTICHOICE:=Crimson~Teal}.</p>",
        {},
    ),
    "calculated": (
        "Room",
        "<p>A room is {a} m by {b} m. What is its area in square metres?</p>",
        {
            "answers": [
                {
                    "formula": "{a} * {b}",
                    "fraction": "1",
                    "tolerance": "0.01",
                    "tolerance_type": "relative",
                    "decimals": 2,
                    "feedback": "",
                }
            ],
            "variables": [
                {"name": "a", "min": "2", "max": "9", "decimals": 0},
                {"name": "b", "min": "2", "max": "5", "decimals": 0},
            ],
            "units": [],
            "unit_handling": "none",
            "unit_penalty": "0.1",
        },
    ),
    "essay": (
        "Evacuation",
        "<p>Describe the evacuation.</p>",
        {
            "response_format": "plain",
            "min_words": 0,
            "max_words": 0,
            "grader_info": "<p>Look for the route.</p>",
            "template": "",
        },
    ),
    "description": ("Read this", "<p>Read the following questions carefully.</p>", {}),
}
assert set(EVERY_TYPE) == set(TYPES), "a question type without a question here: add one"


@dataclass
class EveryTypeQuiz:
    quiz_world: QuizWorld
    quiz: dict[str, Any]  # the activity as the published version holds it
    questions: dict[str, Question]  # by type key, in slot order

    @property
    def uid(self) -> str:
        return str(self.quiz["uid"])


def quiz_of_every_type(world: World, **settings: Any) -> EveryTypeQuiz:
    """The published quiz of every type (slot n = the n-th key of TYPES), the learner enrolled. `settings` change
    the quiz's (a time limit of TIME_LIMIT_MINUTES, QUESTIONS_PER_PAGE to a page, nothing shuffled...)."""
    learning.clear_outline_cache()
    quiz_world = make_quiz_world(world, EVERY_TYPE_COURSE)
    questions = {key: quiz_world.make_question(key, name, data, text) for key, (name, text, data) in EVERY_TYPE.items()}
    config: dict[str, Any] = {
        "questions_per_page": QUESTIONS_PER_PAGE,
        "shuffle_questions": False,
        "shuffle_options": False,
        "time_limit_minutes": TIME_LIMIT_MINUTES,
        "behaviour": "deferred",
        "pass_mark": PASS_MARK,
        "attempts_allowed": 0,
        **settings,
    }
    quiz = quiz_world.publish_quiz(slots=[fixed(q) for q in questions.values()], title=QUIZ_TITLE, **config)
    return EveryTypeQuiz(quiz_world, quiz, questions)


def quiz_with(world: World, keys: list[str], *, title: str = EVERY_TYPE_COURSE, **settings: Any) -> EveryTypeQuiz:
    """A published quiz of some of the EVERY_TYPE questions, one a page unless `settings` say otherwise."""
    learning.clear_outline_cache()
    quiz_world = make_quiz_world(world, title)
    questions = {key: quiz_world.make_question(key, EVERY_TYPE[key][0], EVERY_TYPE[key][2], EVERY_TYPE[key][1])
                 for key in keys}  # fmt: skip
    config: dict[str, Any] = {"questions_per_page": 1, "shuffle_questions": False, "shuffle_options": False, **settings}
    quiz = quiz_world.publish_quiz(slots=[fixed(q) for q in questions.values()], title=QUIZ_TITLE, **config)
    return EveryTypeQuiz(quiz_world, quiz, questions)


# --- the pages in scope ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuizPages:
    course: Course
    quiz_uid: uuid.UUID
    bank: QuestionBank
    question: Question  # a multiple-choice question of the course bank
    submitted: Attempt  # the learner's first attempt, its essay waiting for a grader
    running: Attempt  # the learner's second attempt, in progress
    essay_answer: QuestionAnswer  # the submitted attempt's essay


def quiz_pages(world: World) -> QuizPages:
    """What the assessment pages of PAGES_IN_SCOPE show: made on the first call for a world, found afterwards."""
    course = Course.objects.filter(organization=world.org, title=PAGES_COURSE).first()
    if course is None:
        _build_quiz_pages(world)
        course = Course.objects.get(organization=world.org, title=PAGES_COURSE)
    attempts = list(Attempt.objects.filter(course=course, user=world.learner.user).order_by("number"))
    bank = QuestionBank.objects.get(course=course)
    return QuizPages(
        course=course,
        quiz_uid=attempts[0].activity_uid,
        bank=bank,
        question=Question.objects.get(bank=bank, qtype="single"),
        submitted=attempts[0],
        running=attempts[1],
        essay_answer=attempts[0].answers.get(question_version__qtype="essay"),
    )


def _build_quiz_pages(world: World) -> None:
    learning.clear_outline_cache()
    quiz_world = make_quiz_world(world, PAGES_COURSE)
    keys = ("single", "truefalse", "shortanswer", "essay")
    questions = [quiz_world.make_question(k, EVERY_TYPE[k][0], EVERY_TYPE[k][2], EVERY_TYPE[k][1]) for k in keys]
    quiz = quiz_world.publish_quiz(
        slots=[fixed(q) for q in questions],
        title=PAGES_QUIZ,
        questions_per_page=2,
        time_limit_minutes=TIME_LIMIT_MINUTES,
        pass_mark=PASS_MARK,
    )
    now = clock.now()
    learner = quiz_world.learner
    first = quiz_world.start(quiz, now=now)
    by_slot = {answer.slot: answer for answer in first.answers.select_related("question_version")}
    responses = {
        slot: response_for(answer.question_version.qtype, answer.question_version.data, answer.variant)
        for slot, answer in by_slot.items()
    }
    attempt_services.attempt_save(attempt=first, responses=responses, by=learner, now=now)
    attempt_services.attempt_submit(attempt=first, by=learner, now=now)
    assert first.state == AttemptState.NEEDS_GRADING
    quiz_world.start(quiz, now=now)
    attempt_services.override_set(
        course=quiz_world.course,
        activity_uid=uuid.UUID(str(quiz["uid"])),
        user=learner,
        by=quiz_world.owner,
        reason="Extra time agreed with occupational health.",
        time_limit_minutes=45,
    )


def response_for(qtype: str, data: dict[str, Any], variant: dict[str, Any] | None) -> dict[str, Any]:
    """A right response (as the service takes it) to the questions `_build_quiz_pages` uses."""
    if qtype == "single":
        return {"choice": next(o["id"] for o in data["options"] if Decimal(o["fraction"]) == 1)}
    if qtype == "truefalse":
        return {"answer": bool(data["correct"])}
    if qtype == "shortanswer":
        return {"text": data["answers"][0]["text"]}
    if qtype == "essay":
        return {"text": "Leave by the north stairs and gather on the lawn."}
    raise ValueError(qtype)
