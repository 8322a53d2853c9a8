"""Grading fixtures: a published quiz of a true/false question (mark 1) and an essay (mark 4), learners who took
it, signed-in clients, and a recorder of the signals progress hears."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client

from syllabus.accounts.models import Membership, User
from syllabus.assessment.models import Attempt, Question, QuestionAnswer
from syllabus.catalog.events import ActivitySignalled
from syllabus.core import events
from syllabus.enrollment import services as enrollment_services
from tests.api.conftest import as_member  # noqa: F401 (the API tests' token-client fixture)
from tests.assessment.conftest import QuizWorld, fixed, member
from tests.factories import staff

ESSAY_TEXT = "Fire needs heat, fuel and oxygen.\nTake one away and it goes out."


@dataclass
class Graded:
    """A published quiz (slot 1: true/false, mark 1; slot 2: essay, mark 4) and helpers to take it."""

    qw: QuizWorld
    truefalse: Question
    essay: Question
    quiz: dict[str, Any]
    takers: list[Membership] = field(default_factory=list)

    @property
    def course(self) -> Any:
        return self.qw.course

    @property
    def uid(self) -> Any:
        return self.quiz["uid"]

    def learner(self, name: str) -> Membership:
        """Another learner, enrolled in the course."""
        person = member(self.qw.world, name)
        enrollment_services.enrollment_create(course=self.course, membership=person, by=self.qw.owner)
        return person

    def take(self, user: User | None = None, *, right: bool = True, essay: str = ESSAY_TEXT) -> Attempt:
        responses: dict[int, Any] = {1: {"answer": right}}
        if essay:
            responses[2] = {"text": essay}
        return self.qw.take(self.quiz, responses, user)

    def essay_answer(self, attempt: Attempt) -> QuestionAnswer:
        return attempt.answers.get(slot=2)


def make_graded(qw: QuizWorld, **settings: Any) -> Graded:
    truefalse = qw.make_question("truefalse", name="Fire triangle")
    essay = qw.make_question("essay", name="Explain the fire triangle", default_mark="4")
    settings.setdefault("pass_mark", "50")
    quiz = qw.publish_quiz(slots=[fixed(truefalse), fixed(essay)], **settings)
    return Graded(qw=qw, truefalse=truefalse, essay=essay, quiz=quiz)


@pytest.fixture
def graded(quiz_world: QuizWorld) -> Graded:
    return make_graded(quiz_world)


SignIn = Callable[[Membership], Client]


@pytest.fixture
def sign_in(client: Client) -> SignIn:
    def signed_in(membership: Membership) -> Client:
        client.force_login(membership.user)
        return client

    return signed_in


@pytest.fixture
def non_editing(quiz_world: QuizWorld) -> Membership:
    """A non-editing instructor of the course: grades, does not regrade."""
    person = member(quiz_world.world, "Nina Nonediting")
    staff(quiz_world.course, person, "instructor")
    return person


@pytest.fixture
def signals() -> Iterator[list[ActivitySignalled]]:
    """The quiz signals progress hears (after commit)."""
    heard: list[ActivitySignalled] = []

    def record(event: ActivitySignalled) -> None:
        heard.append(event)

    events.subscribe(ActivitySignalled, record)
    yield heard
    events.unsubscribe(ActivitySignalled, record)
