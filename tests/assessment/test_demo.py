"""`manage.py seed_demo`, the assessment part: Northwind's shared question bank (every question type), the course
"Safety assessments" with its two quizzes, and attempts in every state; idempotent; `--reset` clears it."""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command

from syllabus.assessment import demo as assessment_demo
from syllabus.assessment import demo_questions
from syllabus.assessment.models import AnswerState, Attempt, AttemptState, Question, QuestionAnswer, QuestionBank
from syllabus.assessment.models import QuestionCategory as Category
from syllabus.assessment.question_types import TYPES
from syllabus.assessment.question_types import base as qtypes
from syllabus.assessment.quiz_settings import QuizSettings
from syllabus.catalog import richtext, versions
from syllabus.catalog.models import Course
from syllabus.core import demo
from syllabus.enrollment.models import LIVE_STATES, Enrollment
from syllabus.progress import services as progress_services

MODELS = (QuestionBank, Category, Question, Attempt, QuestionAnswer, Enrollment)


@pytest.fixture
def assessment_step() -> Iterator[None]:
    """AssessmentConfig.ready() registers the step (after the certificates' step; the gradebook's comes after)."""
    names = [step.name for step in demo.steps()]
    assert names.index("certificates") < names.index("assessment")
    yield


@pytest.fixture
def assessment_alone() -> Iterator[None]:
    """seed_demo with the assessment step after the catalog's (which makes the skills questions are tagged with):
    it builds its course and enrolls its learners itself, and the other steps would only add seconds to each seed."""
    with demo.only("audiences", "catalog", "assessment"):
        yield


@pytest.fixture
def fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model._default_manager.count() for model in MODELS}


def clean(spec: demo_questions.DemoQuestion) -> qtypes.Question:
    """The question as the bank stores it: sanitised text, the type's cleaned data (ids assigned)."""
    qtype = qtypes.get(spec.qtype)
    text = richtext.sanitize_html(spec.text)
    data = qtype.clean(spec.data, text=text)
    return qtypes.Question(
        qtype=spec.qtype, name=spec.name, text=qtype.clean_text(text, data), general_feedback="",
        default_mark=Decimal(spec.default_mark), data=data,
    )  # fmt: skip


@pytest.mark.parametrize("spec", demo_questions.QUESTIONS, ids=lambda spec: spec.key)
def test_each_demo_answer_grades_as_the_story_says(spec: demo_questions.DemoQuestion) -> None:
    qtype = qtypes.get(spec.qtype)
    question = clean(spec)
    variant = qtype.start(question, random.Random(7), shuffle=True)

    def graded(quality: str) -> qtypes.Grade:
        raw = assessment_demo.response_for(spec.qtype, question, variant, quality, essay=None)
        return qtype.grade(question, variant, qtype.clean_response(question, variant, raw))

    if not qtype.graded:
        assert assessment_demo.response_for(spec.qtype, question, variant, "R", essay=None) is None
        return
    if qtype.manual:
        assert graded("R").state == "needs_grading"
        return
    assert graded("R").fraction == 1
    assert graded("W").fraction is not None and graded("W").fraction < 1
    partly = graded("P").fraction
    assert partly is not None and partly < 1


def test_the_bank_covers_every_question_type_with_several_of_the_common_ones() -> None:
    by_type = [spec.qtype for spec in demo_questions.QUESTIONS]
    assert set(by_type) == set(TYPES)
    assert len(by_type) >= 40
    for common in ("single", "multiple", "truefalse", "shortanswer", "numerical", "essay"):
        assert by_type.count(common) >= 3, common
    assert len({spec.key for spec in demo_questions.QUESTIONS}) == len(by_type)


@pytest.mark.django_db
@pytest.mark.usefixtures("assessment_step", "fast_hashing", "assessment_alone")
def test_seed_demo_makes_the_bank_the_quizzes_and_attempts_once_and_reset_clears_them(
    moved_clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # progress caches each version's requirements by (id, published_at) for the process: under the frozen clock
    # another test's seed could hand this one its activities.
    progress_services._requirements.cache_clear()
    with django_capture_on_commit_callbacks(execute=True):
        out = run()
    now = moved_clock.now
    assert "questions in the bank" in out and "waiting for grading" in out

    # The shared bank: Amara's, nested categories, every type, tags, difficulties and skills.
    bank = QuestionBank.objects.get(name=demo_questions.BANK_NAME, course__isnull=True)
    assert bank.created_by is not None and bank.created_by.email == assessment_demo.AMARA
    extinguishers = Category.objects.get(bank=bank, name="Extinguishers")
    assert extinguishers.parent is not None and extinguishers.parent.name == "Fire safety"
    questions = Question.objects.filter(bank=bank)
    assert questions.count() == len(demo_questions.QUESTIONS)
    assert set(questions.values_list("qtype", flat=True)) == set(TYPES)
    assert not questions.filter(tags__isnull=True).exists()
    assert set(questions.values_list("difficulty", flat=True)) == {1, 2, 3, 4, 5}
    assert questions.filter(skills__code="fire-safety").count() >= 10

    # The course and its two quizzes, published, as the quiz kind cleaned them.
    course = Course.objects.get(title=assessment_demo.COURSE)
    assert course.published_version is not None
    quizzes = {a["title"]: a for a in versions.activities(course.published_version.snapshot) if a["kind"] == "quiz"}
    fire = QuizSettings.from_config(quizzes[assessment_demo.FIRE_QUIZ]["config"])
    assert (fire.time_limit_minutes, fire.attempts_allowed, fire.pass_mark, fire.behaviour) == (
        20, 3, Decimal(70), "deferred"
    )  # fmt: skip
    assert len(fire.slots) == len(assessment_demo.FIRE_SLOTS) and {s.type for s in fire.slots} == {"fixed"}
    assert questions.filter(pk__in=[s.question_id for s in fire.slots], qtype="essay").count() == 1
    clinical = QuizSettings.from_config(quizzes[assessment_demo.CLINICAL_QUIZ]["config"])
    assert (clinical.behaviour, clinical.tries, clinical.grading_method) == ("interactive", 3, "highest")
    assert [(s.type, s.count) for s in clinical.slots] == [("random", 3), ("random", 2), ("random", 2)]
    assert clinical.slots[0].include_subcategories and clinical.slots[0].min_difficulty == 2

    # Chloe and seven colleagues enrolled; attempts at both quizzes, a spread of grades.
    enrolled = Enrollment.objects.filter(course=course, status__in=LIVE_STATES)
    # (demo_assignments enrolls the other colleagues too, for the fire safety check's statistics.)
    assert set(enrolled.values_list("membership__user__email", flat=True)) >= set(assessment_demo.LEARNERS)
    attempts = Attempt.objects.filter(course=course, preview=False)
    for title, quiz in quizzes.items():
        finished = attempts.filter(activity_uid=quiz["uid"], state=AttemptState.FINISHED)
        grades = set(finished.values_list("grade", flat=True))
        assert len(grades) >= 3 and min(grades) < 70 < max(grades), title
        assert finished.filter(passed=True).exists() and finished.filter(passed=False).exists(), title
    chloe = list(attempts.filter(user__email=assessment_demo.CHLOE))
    fire_uid = quizzes[assessment_demo.FIRE_QUIZ]["uid"]
    assert [(str(a.activity_uid), a.state) for a in chloe] == [(fire_uid, AttemptState.FINISHED)]
    assert attempts.filter(user__email=assessment_demo.RAJESH, activity_uid=fire_uid).count() == 2
    assert attempts.filter(state=AttemptState.IN_PROGRESS).get().user.email == assessment_demo.KWAME
    # An interactive attempt was checked as it went: a wrong try cost a third of a question's marks.
    assert QuestionAnswer.objects.filter(attempt__in=attempts, tries=2, penalty__gt=0).exists()

    # Marcus graded the essays with a comment, all but Jack's, which waits in the grading queue.
    waiting = QuestionAnswer.objects.filter(attempt__course=course, state=AnswerState.NEEDS_GRADING)
    assert [a.attempt.user.email for a in waiting] == [assessment_demo.JACK]
    assert waiting.get().question_version.qtype == "essay"
    graded = QuestionAnswer.objects.filter(attempt__course=course, state=AnswerState.MANUALLY_GRADED)
    assert graded.count() >= 6
    assert all(a.graded_by.email == assessment_demo.MARCUS and a.comment for a in graded)
    assert {a.mark for a in graded} >= {Decimal(4), Decimal(2), Decimal(1)}  # good, fair and weak answers

    # Dated in the past week, not at the moment of the seed; graded after they were submitted.
    for attempt in attempts.exclude(state=AttemptState.IN_PROGRESS):
        assert now - attempt.started_at < dt.timedelta(days=10)
        assert attempt.started_at < attempt.finished_at < now - dt.timedelta(hours=12)
        assert attempt.finished_at - attempt.started_at < dt.timedelta(minutes=20)
    assert all(a.graded_at > a.attempt.finished_at for a in graded)

    # A second seed adds nothing and changes nothing.
    first = counts()
    states = dict(attempts.values_list("pk", "state"))
    with django_capture_on_commit_callbacks(execute=True):
        assert "Demo data already present" in run()
    assert counts() == first
    assert dict(attempts.values_list("pk", "state")) == states

    # `--reset` can delete the organisation (attempts and questions would protect their versions and categories),
    # and the seed after it makes the same again.
    with django_capture_on_commit_callbacks(execute=True):
        run("--reset")
    assert counts()["Question"] == first["Question"]
    assert Attempt.objects.filter(preview=False).count() == first["Attempt"]
