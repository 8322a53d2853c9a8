"""Assessment fixtures shared by every test of the app.

`quiz_world` is a draft course of `world.org` owned by `world.instructor`, with its question bank. Make questions
with `quiz_world.make_question(...)` (through `services.questions.question_create`, so the real type validates the
data), then `quiz_world.publish_quiz(slots=[...], **settings)`: it adds a quiz activity (kind "quiz", config built
directly in the shape of quiz_settings.py), publishes the course, enrolls `world.learner`, and returns the quiz's
activity snapshot as the published version holds it (what the attempt service takes as `activity`).

    def test_x(quiz_world):
        q = quiz_world.make_question("truefalse")
        quiz = quiz_world.publish_quiz(slots=[fixed(q)], pass_mark="50")
        attempt = quiz_world.start(quiz)

"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from syllabus.access.policy import forget
from syllabus.accounts.models import Membership, User
from syllabus.assessment.models import Attempt, Question, QuestionBank, QuestionCategory
from syllabus.assessment.services import attempts
from syllabus.assessment.services import questions as question_services
from syllabus.catalog import versions
from syllabus.catalog.events import ActivitySignalled
from syllabus.catalog.models import Activity, Course, CourseStaff, CourseVersion, Section
from syllabus.core import clock
from syllabus.core.events import subscribe, unsubscribe
from syllabus.enrollment import services as enrollment_services
from syllabus.enrollment.models import Enrollment
from tests.conftest import World
from tests.factories import ActivityFactory, CourseFactory, SectionFactory, publish, staff

# 2026-03-02 09:30 UTC: the tests' "now" (pass it as `now=`, or move `moved_clock`).
NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)

# Content of each type the tests use, in the shapes of question_types/README.md, with known option/answer ids.
DEFAULT_DATA: dict[str, dict[str, Any]] = {
    "truefalse": {"correct": True, "feedback_true": "<p>Yes.</p>", "feedback_false": "<p>No.</p>"},
    "single": {
        "options": [
            {"id": "a1", "text": "Right", "fraction": "1", "feedback": "<p>Well done.</p>"},
            {"id": "a2", "text": "Half", "fraction": "0.5", "feedback": ""},
            {"id": "a3", "text": "Wrong", "fraction": "0", "feedback": "<p>No.</p>"},
        ],
        "shuffle": True,
        "numbering": "abc",
    },
    "shortanswer": {
        "answers": [
            {"id": "a1", "text": "Paris", "fraction": "1", "feedback": ""},
            {"id": "a2", "text": "Lyon", "fraction": "0.5", "feedback": ""},
        ],
        "case_sensitive": False,
    },
    "essay": {"response_format": "plain", "min_words": 0, "max_words": 0, "grader_info": "", "template": ""},
    "description": {},
}

# Responses to DEFAULT_DATA questions: right, partly right (where the type has partial credit), wrong.
RIGHT: dict[str, dict[str, Any]] = {
    "truefalse": {"answer": True},
    "single": {"choice": "a1"},
    "shortanswer": {"text": "Paris"},
    "essay": {"text": "Fire needs heat, fuel and oxygen."},
}
PARTIAL: dict[str, dict[str, Any]] = {"single": {"choice": "a2"}, "shortanswer": {"text": "lyon"}}
WRONG: dict[str, dict[str, Any]] = {
    "truefalse": {"answer": False},
    "single": {"choice": "a3"},
    "shortanswer": {"text": "Berlin"},
}


def fixed(question: Question, mark: str | None = None) -> dict[str, Any]:
    """A fixed slot of a quiz config (mark None: the question's default mark)."""
    slot: dict[str, Any] = {"type": "fixed", "question_id": question.pk}
    if mark is not None:
        slot["mark"] = mark
    return slot


def pool(category: QuestionCategory, count: int = 1, mark: str | None = None, **filters: Any) -> dict[str, Any]:
    """A random slot drawing `count` questions from `category` (filters: include_subcategories, tags, skill_ids,
    min_difficulty, max_difficulty)."""
    slot: dict[str, Any] = {"type": "random", "bank_id": category.bank_id, "category_id": category.pk, "count": count}
    if mark is not None:
        slot["mark"] = mark
    slot.update(filters)
    return slot


class Clock:
    """clock.now() under the test's control (see the `moved_clock` fixture)."""

    def __init__(self) -> None:
        self.now = NOW

    def move(self, **delta: float) -> dt.datetime:
        self.now = self.now + dt.timedelta(**delta)
        return self.now


@pytest.fixture
def moved_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """clock.now() starts at NOW and moves only when the test says so (`moved_clock.move(minutes=5)`)."""
    current = Clock()
    monkeypatch.setattr(clock, "now", lambda: current.now)
    monkeypatch.setattr(clock, "today", lambda: current.now.date())
    return current


@dataclass
class QuizWorld:
    world: World
    course: Course
    section: Section
    bank: QuestionBank
    category: QuestionCategory  # the bank's default category
    quizzes: list[Activity] = field(default_factory=list)

    @property
    def owner(self) -> User:
        return self.world.instructor.user

    @property
    def learner(self) -> User:
        return self.world.learner.user

    @property
    def version(self) -> CourseVersion:
        """The published version (after `publish_quiz`)."""
        self.course.refresh_from_db()
        assert self.course.published_version is not None, "publish_quiz() first"
        return self.course.published_version

    # --- bank ---------------------------------------------------------------------------------------------------
    def make_category(self, name: str, parent: QuestionCategory | None = None) -> QuestionCategory:
        return question_services.category_create(bank=self.bank, name=name, parent=parent, by=self.owner)

    def make_question(
        self,
        qtype: str,
        name: str | None = None,
        data: Mapping[str, Any] | None = None,
        text: str | None = None,
        *,
        category: QuestionCategory | None = None,
        bank: QuestionBank | None = None,
        by: User | None = None,
        **kw: Any,
    ) -> Question:
        """A question through the service. `data` defaults to DEFAULT_DATA[qtype]; `kw` are the other
        QuestionFields (default_mark, difficulty, tags, skill_ids, general_feedback, idnumber)."""
        bank = bank or self.bank
        values = question_services.QuestionFields(
            qtype=qtype,
            name=name or f"{qtype} question",
            text=text if text is not None else f"<p>What about this {qtype}?</p>",
            data=dict(data if data is not None else DEFAULT_DATA.get(qtype, {})),
            **kw,
        )
        return question_services.question_create(
            bank=bank, category=category or (self.category if bank == self.bank else bank.categories.first()),
            values=values, by=by or self.owner,
        )  # fmt: skip

    # --- quizzes ------------------------------------------------------------------------------------------------
    def add_quiz(
        self, *, slots: list[dict[str, Any]], title: str = "Fire quiz", completion: str = "passed", **settings: Any
    ) -> Activity:
        """A quiz activity in the draft (not published): config = {"slots": slots, **settings}."""
        config = {"slots": slots, **settings}
        activity = ActivityFactory(
            section=self.section, kind="quiz", title=title, config=config, completion={"rule": completion}
        )
        self.quizzes.append(activity)
        return activity

    def publish(self) -> CourseVersion:
        """Publish the draft and keep `world.learner` enrolled on the new version."""
        version = publish(self.course, self.owner)
        self.course.refresh_from_db()
        enrollment = Enrollment.objects.filter(course=self.course, membership=self.world.learner).first()
        if enrollment is None:
            enrollment_services.enrollment_create(course=self.course, membership=self.world.learner, by=self.owner)
        else:
            # A fixture shortcut for a later quiz: the learner follows the course to its newest version.
            Enrollment.objects.filter(pk=enrollment.pk).update(version=version)
        return version

    def enroll(self, user: User) -> None:
        """Enroll `user` (a member of the organisation, not on the course team) on the current version."""
        membership = Membership.objects.filter(organization=self.world.org, user=user).first()
        if membership is None or CourseStaff.objects.filter(course=self.course, membership=membership).exists():
            return
        enrollment = Enrollment.objects.filter(course=self.course, membership=membership).first()
        if enrollment is None:
            enrollment_services.enrollment_create(course=self.course, membership=membership, by=self.owner)
        elif enrollment.version_id != self.version.pk:
            Enrollment.objects.filter(pk=enrollment.pk).update(version=self.version)

    def publish_quiz(
        self, *, slots: list[dict[str, Any]], title: str = "Fire quiz", completion: str = "passed", **settings: Any
    ) -> dict[str, Any]:
        """Add a quiz, publish, enroll the learner; the quiz's activity snapshot in the published version."""
        activity = self.add_quiz(slots=slots, title=title, completion=completion, **settings)
        version = self.publish()
        return self.snapshot(activity.uid, version)

    def snapshot(self, uid: uuid.UUID | str, version: CourseVersion | None = None) -> dict[str, Any]:
        """An activity of the published version (or `version`) as its snapshot holds it."""
        version = version or self.version
        for activity in versions.activities(version.snapshot):
            if str(activity["uid"]) == str(uid):
                return activity
        raise LookupError(f"no activity {uid} in version {version.pk}")

    # --- attempts -----------------------------------------------------------------------------------------------
    def start(
        self, quiz: Mapping[str, Any], user: User | None = None, *, now: dt.datetime | None = None, **kw: Any
    ) -> Attempt:
        """Start (or resume) an attempt of the learner (or `user`, enrolled on the current version first: only
        people who learn the course take its quizzes) at the published quiz."""
        if user is not None:
            self.enroll(user)
        # A principal lives one request (it caches grants and the enrolled version on the user object); each
        # call here is a new request.
        forget(user or self.learner)
        return attempts.attempt_start(
            user=user or self.learner, course=self.course, version=self.version, activity=quiz, now=now or NOW, **kw
        )

    def take(
        self,
        quiz: Mapping[str, Any],
        responses: Mapping[int, Any],
        user: User | None = None,
        *,
        now: dt.datetime | None = None,
    ) -> Attempt:
        """Start, save `responses` (slot -> response) and submit one attempt."""
        user = user or self.learner
        now = now or NOW
        attempt = self.start(quiz, user, now=now)
        result = attempts.attempt_save(attempt=attempt, responses=responses, by=user, now=now)
        assert not result.errors, result.errors
        return attempts.attempt_submit(attempt=attempt, by=user, now=now)


def make_quiz_world(world: World, title: str = "Fire safety") -> QuizWorld:
    course = CourseFactory(organization=world.org, title=title)
    staff(course, world.instructor, "owner")
    section = SectionFactory(course=course, title="Basics")
    bank = question_services.bank_for_course(course=course)
    category = bank.categories.get(parent__isnull=True, name=question_services.DEFAULT_CATEGORY)
    return QuizWorld(world=world, course=course, section=section, bank=bank, category=category)


@pytest.fixture
def quiz_world(world: World) -> QuizWorld:
    return make_quiz_world(world)


@pytest.fixture
def make_question(quiz_world: QuizWorld) -> Callable[..., Question]:
    """`make_question(qtype, name=..., data=..., text=..., **kw)` in the quiz world's course bank."""
    return quiz_world.make_question


@pytest.fixture
def quiz_signals() -> Iterator[list[ActivitySignalled]]:
    """Every ActivitySignalled dispatched during the test, in order. Events are dispatched on commit: wrap the
    calls in `django_capture_on_commit_callbacks(execute=True)`."""
    seen: list[ActivitySignalled] = []
    subscribe(ActivitySignalled, seen.append)
    yield seen
    unsubscribe(ActivitySignalled, seen.append)


def member(world: World, name: str) -> Membership:
    """Another learner of world.org (for tests with several people)."""
    from tests.factories import MembershipFactory

    return MembershipFactory(organization=world.org, org_unit=world.sales, user__display_name=name)


def as_decimal(value: Any) -> Decimal:
    return Decimal(str(value))
