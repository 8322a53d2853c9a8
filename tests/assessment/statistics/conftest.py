"""Statistics fixtures: a published quiz of three true/false questions (mark 1 each), and a fast way to store
finished attempts with given marks (rows written directly: the formulas, not the player, are under test here)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from syllabus.accounts.models import Membership, User
from syllabus.assessment.models import Attempt, AttemptState, Question, QuestionAnswer
from syllabus.assessment.services import statistics
from tests.api.conftest import as_member  # noqa: F401 (the API tests' token-client fixture)
from tests.assessment.conftest import NOW, QuizWorld, fixed
from tests.factories import UserFactory

# The hand-computed fixture of test_formulas.py: five people, three questions.
MARKS: dict[str, tuple[int, ...]] = {
    "A": (1, 1, 1),
    "B": (1, 1, 0),
    "C": (1, 0, 1),
    "D": (0, 1, 0),
    "E": (0, 0, 0),
}


@dataclass
class StatsQuiz:
    qw: QuizWorld
    questions: list[Question]
    quiz: dict[str, Any]

    @property
    def course(self) -> Any:
        return self.qw.course

    @property
    def uid(self) -> uuid.UUID:
        return uuid.UUID(str(self.quiz["uid"]))

    def attempt(
        self,
        user: User,
        marks: Sequence[float],
        *,
        number: int = 1,
        questions: Sequence[Question] | None = None,
        state: str = AttemptState.FINISHED,
        preview: bool = False,
        shuffled: bool = False,
        at: dt.datetime | None = None,
    ) -> Attempt:
        """A closed attempt with these marks (slot n answered `questions[n-1]`, default the quiz's questions)."""
        chosen = list(questions or self.questions)
        total = Decimal(str(sum(marks)))
        attempt = Attempt.objects.create(
            organization_id=self.course.organization_id,
            user=user,
            course=self.course,
            version=self.qw.version,
            activity_uid=self.uid,
            number=number,
            state=state,
            preview=preview,
            settings={"grading_method": "highest", "shuffle_questions": shuffled},
            started_at=at or NOW,
            finished_at=at or NOW,
            marks=total,
            max_marks=Decimal(len(marks)),
            grade=None if state != AttemptState.FINISHED else (100 * total / len(marks)).quantize(Decimal("0.01")),
        )
        QuestionAnswer.objects.bulk_create(
            QuestionAnswer(
                attempt=attempt,
                slot=slot,
                question_version=question.latest,
                max_mark=Decimal(1),
                mark=Decimal(str(mark)),
                fraction=Decimal(str(mark)),
                state="right" if mark else "wrong",
            )
            for slot, (question, mark) in enumerate(zip(chosen, marks, strict=True), start=1)
        )
        return attempt

    def people(self, count: int) -> list[User]:
        return [UserFactory(display_name=f"Taker {n}") for n in range(count)]

    def fixture(self) -> dict[str, User]:
        """The five attempts of the hand-computed fixture, one person each."""
        users = {}
        for name, marks in MARKS.items():
            users[name] = UserFactory(display_name=f"Taker {name}")
            self.attempt(users[name], marks)
        return users

    def compute(self, which: str = "first") -> Any:
        return statistics.statistics_compute(course=self.course, activity_uid=self.uid, which=which)


def make_stats_quiz(qw: QuizWorld, **settings: Any) -> StatsQuiz:
    questions = [qw.make_question("truefalse", name=f"Statement {n}") for n in (1, 2, 3)]
    quiz = qw.publish_quiz(slots=[fixed(q, "1") for q in questions], title="Fire statistics", **settings)
    return StatsQuiz(qw=qw, questions=questions, quiz=quiz)


@pytest.fixture
def stats_quiz(quiz_world: QuizWorld) -> StatsQuiz:
    return make_stats_quiz(quiz_world)


@pytest.fixture
def sign_in(client: Client) -> Any:
    def signed_in(membership: Membership) -> Client:
        client.force_login(membership.user)
        return client

    return signed_in
