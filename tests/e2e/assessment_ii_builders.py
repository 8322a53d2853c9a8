"""Worlds for the assessment II browser tests (test_assessment_ii.py) and its pages of PAGES_IN_SCOPE.

Everything is made through the services at the real clock (the live server reads `clock.now()` unpatched): an
assignment's due date and cut-off are set from today, not from the unit tests' frozen NOW.

- `assignment_course(world)`: the unit tests' assignment (tests/assessment/assignments/conftest.py: text and files,
  a two-criterion rubric worth 15 points), due in three days, published, the learner enrolled.
- `hand_in(made, text)` / `grade_and_release(made, submission)`: the learner's submission, and its released grade.
- `quiz_with_attempts(world)`: a quiz of three auto-graded questions that four people finished, each with a
  different score (enough for every item statistic to be defined).
- `assessment_ii_pages(world)`: what the assessment II pages in scope show (built on first use, then found by the
  course's title): a graded assignment (released), a second one with the learner's draft, the gradebook of that
  course (a category and a manual item, an override), and the statistics quiz.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from syllabus.access.policy import forget
from syllabus.accounts.models import User
from syllabus.assessment.assignment_settings import AssignmentSettings
from syllabus.assessment.models import AttemptState
from syllabus.assessment.models.assignments import Submission
from syllabus.assessment.services import assignment_grading as grading_services
from syllabus.assessment.services import assignments as assignment_services
from syllabus.catalog import learning
from syllabus.catalog.models import Activity, Course
from syllabus.core import clock
from syllabus.grades import services as grade_services
from syllabus.grades.models import GradeItem
from tests.assessment.assignments.conftest import AssignmentWorld, Clock, make_assignment_world, upload
from tests.assessment.conftest import fixed, make_quiz_world
from tests.conftest import World

ASSIGNMENT_COURSE = "Incident reporting"
PAGES_COURSE = "Assessment II pages"
STATISTICS_COURSE = "Statistics course"
STATISTICS_QUIZ = "Ward safety quiz"
DRAFT_ASSIGNMENT = "Near-miss report"
MANUAL_ITEM = "Ward walk"
FEEDBACK = "Clear timeline; cite the ward log next time."
# The rubric of tests/assessment/assignments/conftest.py: Structure (Missing 0, Clear 5), Evidence (None 0, Some 5,
# Convincing 10); 15 points in all, pass mark 50 %.
RUBRIC_MAX = Decimal(15)

# (question key, name, text, data) of the statistics quiz: three auto-graded questions.
STATISTICS_QUESTIONS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("truefalse", "Smoke", "<p>Smoke rises.</p>", {"correct": True, "feedback_true": "", "feedback_false": ""}),
    (
        "single",
        "Exit",
        "<p>Which exit do you use?</p>",
        {
            "options": [
                {"text": "North door", "fraction": "1", "feedback": ""},
                {"text": "Lift", "fraction": "0", "feedback": ""},
            ],
            "shuffle": False,
            "numbering": "abc",
        },
    ),
    (
        "shortanswer",
        "Assembly point",
        "<p>Name the assembly point.</p>",
        {"answers": [{"text": "Lawn", "fraction": "1", "feedback": ""}], "case_sensitive": False},
    ),
]
# Who answers what (True = right), one row per person: scores 3, 2, 1 and 0 of 3, every question split.
STATISTICS_ANSWERS: dict[str, tuple[bool, bool, bool]] = {
    "learner": (True, True, True),
    "engineer": (True, True, False),
    "report": (True, False, False),
    "indirect_report": (False, False, False),
}


def dates_from_now(*, due_in_days: int = 3, cutoff_in_days: int = 10) -> dict[str, Any]:
    now = clock.now()
    return {
        "due_at": (now + dt.timedelta(days=due_in_days)).isoformat(),
        "cutoff_at": (now + dt.timedelta(days=cutoff_in_days)).isoformat(),
    }


def assignment_course(world: World, title: str = ASSIGNMENT_COURSE) -> AssignmentWorld:
    """The unit tests' assignment world, with dates from today; the learner is enrolled."""
    learning.clear_outline_cache()
    made = make_assignment_world(world, Clock(), **dates_from_now())
    if title != ASSIGNMENT_COURSE:
        Course.objects.filter(pk=made.course.pk).update(title=title)
        made.course.refresh_from_db()
    return made


def hand_in(made: AssignmentWorld, text: str, *, uid: uuid.UUID | None = None, with_file: bool = True) -> Submission:
    """The learner's draft (text and a file) of the assignment `uid` (the first one), handed in."""
    draft = made.save(text, uid=uid)
    if with_file:
        forget(made.learner)
        assignment_services.submission_file_add(by=made.learner, submission=draft, upload=upload("report.pdf"))
    return made.submit(draft)


def grade_and_release(made: AssignmentWorld, submission: Submission, *, release: bool = True) -> None:
    """Clear structure (5) and some evidence (5): 10 of 15, with remarks and feedback."""
    forget(made.owner)
    settings = AssignmentSettings.from_config(made.snapshot(submission.activity_uid)["config"])
    grading_services.grade_save(
        by=made.owner,
        submission=submission,
        settings=settings,
        filling={
            "c1": {"level": "c1-l2", "remark": "Well ordered."},
            "c2": {"level": "c2-l2", "remark": ""},
        },
        points="",
        feedback=f"<p>{FEEDBACK}</p>",
        release=release,
    )


# --- item statistics ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatisticsQuiz:
    course: Course
    quiz_uid: uuid.UUID


def quiz_with_attempts(world: World, title: str = STATISTICS_COURSE) -> StatisticsQuiz:
    """The statistics quiz, published, and one finished attempt of each person of STATISTICS_ANSWERS."""
    learning.clear_outline_cache()
    quiz_world = make_quiz_world(world, title)
    questions = [quiz_world.make_question(key, name, data, text) for key, name, text, data in STATISTICS_QUESTIONS]
    quiz = quiz_world.publish_quiz(slots=[fixed(q) for q in questions], title=STATISTICS_QUIZ, questions_per_page=3)
    now = clock.now()
    for persona, rights in STATISTICS_ANSWERS.items():
        user: User = getattr(world, persona).user
        attempt = quiz_world.start(quiz, user, now=now)
        answers = attempt.answers.select_related("question_version")
        data = {answer.slot: answer.question_version.data for answer in answers}
        responses = {
            1: {"answer": rights[0]},
            2: {"choice": next(o["id"] for o in data[2]["options"] if (o["fraction"] == "1") == rights[1])},
            3: {"text": "Lawn" if rights[2] else "Car park"},
        }
        attempt = quiz_world.take(quiz, responses, user, now=now)
        assert attempt.state == AttemptState.FINISHED, attempt.state
    return StatisticsQuiz(course=quiz_world.course, quiz_uid=uuid.UUID(str(quiz["uid"])))


# --- the pages in scope ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssessmentIIPages:
    course: Course
    graded_uid: uuid.UUID  # the learner's work is graded with the rubric and released
    draft_uid: uuid.UUID  # the learner has a draft (text and a file), not handed in
    graded: Submission
    item: GradeItem  # the gradebook item of the graded assignment
    manual: GradeItem  # a manual item: the engineer's grade is entered, then overridden
    learner: User
    statistics: StatisticsQuiz


def assessment_ii_pages(world: World) -> AssessmentIIPages:
    """What the assessment II pages of PAGES_IN_SCOPE show: made on the first call for a world, found afterwards."""
    course = Course.objects.filter(organization=world.org, title=PAGES_COURSE).first()
    if course is None:
        _build_pages(world)
        course = Course.objects.get(organization=world.org, title=PAGES_COURSE)
    stats_course = Course.objects.get(organization=world.org, title=STATISTICS_COURSE)
    graded = Submission.objects.filter(course=course, user=world.learner.user, state="submitted").get()
    draft_uid = Activity.objects.get(section__course=course, title=DRAFT_ASSIGNMENT).uid
    stats_uid = Activity.objects.get(section__course=stats_course, kind="quiz").uid
    return AssessmentIIPages(
        course=course,
        graded_uid=graded.activity_uid,
        draft_uid=draft_uid,
        graded=graded,
        item=GradeItem.objects.get(course=course, activity_uid=graded.activity_uid),
        manual=GradeItem.objects.get(course=course, name=MANUAL_ITEM),
        learner=world.learner.user,
        statistics=StatisticsQuiz(course=stats_course, quiz_uid=stats_uid),
    )


def _build_pages(world: World) -> None:
    made = assignment_course(world, PAGES_COURSE)
    draft = made.publish_assignment(DRAFT_ASSIGNMENT, **dates_from_now())
    made.enroll(world.engineer)
    submission = hand_in(made, "On Monday the ward's fire door was wedged open.\nI closed it and told the nurse.")
    grade_and_release(made, submission)
    made.save("A first draft of the near miss.", uid=draft.uid)
    owner = made.owner
    forget(owner)
    grade_services.items_sync(course=made.course)
    category = grade_services.category_create(by=owner, course=made.course, name="Reports", weight=Decimal(60))
    item = GradeItem.objects.get(course=made.course, activity_uid=made.uid)
    grade_services.item_update(by=owner, item=item, category=category)
    manual = grade_services.item_create(
        by=owner, course=made.course, name=MANUAL_ITEM, max_points=Decimal(10), category=None, weight=Decimal(1)
    )
    grade_services.grade_enter(by=owner, item=manual, user=world.engineer.user, percent=Decimal(70))
    grade_services.grade_override(
        by=owner, item=manual, user=world.engineer.user, percent=Decimal(80), reason="Walked a second ward."
    )
    quiz_with_attempts(world)
