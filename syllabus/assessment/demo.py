"""The assessment app's part of `manage.py seed_demo`: Northwind Health's question bank, a course with two quizzes,
and attempts at them in every state, so the bank, the quiz pages, the grading queue and the results have something
true to show.

Made through the services, by the people who would do it, so every type validates its questions, the quiz kind
its settings, and the attempt service grades as it grades a learner:

- Amara Osei (org admin) creates the shared bank "Northwind question bank" with nested categories and the
  questions of `demo_questions` (every question type, tagged, with a difficulty and the demo framework's skills).
- Marcus Reid (instructor) builds the course "Safety assessments": a short introduction and two quizzes — "Fire
  safety knowledge check" (fixed questions including an essay; 20 minutes, 3 attempts, pass mark 70 %, deferred
  feedback) and "Clinical safety quiz" (random pools from the shared bank, interactive with 3 tries, highest
  grade) — publishes it, and enrolls Chloe Adams and seven colleagues.
- The learners take the quizzes: they start, save their answers one by one (some right, some wrong, some
  partly), use Check on the interactive quiz, and submit — a spread of grades, passes and fails, a second attempt,
  one attempt still in progress. Marcus grades the essays with a comment, all but one: Jack Thompson's waits in
  the grading queue. Chloe has one finished attempt at the fire safety check.
- Then `demo_assignments`: Marcus adds the assignment "Incident report" (a rubric) and publishes version 2.0,
  moves the learners to it, and they hand in (on time, late, with an extension, a draft); Marcus grades, releases
  most grades and reopens one. The other colleagues of Northwind take the fire safety check once each, so its item
  statistics (computed at the end) mean something.

The attempt services take the moment they act at (`now=`): the attempts are made at their place in the story (the
past week), so their history, deadlines and the progress they signal are dated consistently; the enrollments,
made "now" by their service, are moved back with a plain UPDATE as the enrollment demo does.

Idempotent: the bank is looked up by name, categories by name under their parent, questions by their ID number
(the `key` of `demo_questions`), the course by title, and a learner's attempts at a quiz are made only if they have
none. `reset_assessment` deletes the demo organisations' attempts, submissions and questions before the
organisations go: an answer protects its question version, an attempt or a submission its course version and a
question its category, so the organisation's cascade cannot delete them on its own.

Registered in AssessmentConfig.ready() (`register_demo()`), after the certificates app's step.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from syllabus.accounts.models import Membership, Organization, User
from syllabus.assessment.demo_questions import (
    BANK_DESCRIPTION,
    BANK_NAME,
    CALCULATIONS,
    CATEGORIES,
    ESSAY_ANSWERS,
    FIRE,
    INFECTION,
    QUESTIONS,
    EssayAnswer,
)
from syllabus.assessment.models import AnswerState, Attempt, AttemptState, Question, QuestionAnswer, QuestionBank
from syllabus.assessment.models import QuestionCategory as Category
from syllabus.assessment.question_types import base as qtypes
from syllabus.assessment.question_types.calculated.qtype import answer_values, values_of
from syllabus.assessment.question_types.gapselect.qtype import GapSelect
from syllabus.assessment.services import attempts as attempt_services
from syllabus.assessment.services import questions as question_services
from syllabus.catalog import services as catalog_services
from syllabus.catalog import versions
from syllabus.catalog.activity_kinds import base as kinds
from syllabus.catalog.models import Category as CourseCategory
from syllabus.catalog.models import Course, Visibility
from syllabus.core import clock, demo
from syllabus.core.demo import Organizations, Output
from syllabus.enrollment import services as enrollment_services
from syllabus.enrollment.models import LIVE_STATES, Enrollment, Method, Status
from syllabus.skills.models import Skill

ORGANIZATION = "northwind"


def _email(name: str) -> str:
    return f"{name}@northwind.example"


AMARA = _email("amara.osei")  # org admin: the shared bank
MARCUS = _email("marcus.reid")  # instructor: the course, its quizzes and the grading
CHLOE = _email("chloe.adams")  # the demo learner
RAJESH, ZARA, LUCY = _email("rajesh.iyer"), _email("zara.ahmed"), _email("lucy.fernandes")
JACK, MEGAN, KWAME, HARRIET = (
    _email("jack.thompson"), _email("megan.walsh"), _email("kwame.asante"), _email("harriet.price")
)  # fmt: skip
LEARNERS = (CHLOE, RAJESH, ZARA, LUCY, JACK, MEGAN, KWAME, HARRIET)

COURSE = "Safety assessments"
COURSE_CATEGORY = "Health and safety"  # a category of the catalog's demo
ENROLLED_DAYS_AGO = 14
INTRO = "About these assessments"
FIRE_QUIZ = "Fire safety knowledge check"
CLINICAL_QUIZ = "Clinical safety quiz"

INTRO_BODY = (
    "<p>These two short assessments check what you learned in your mandatory training. Take them when you have "
    "finished <em>Fire safety for clinical areas</em> and <em>Hand hygiene essentials</em>.</p>"
    "<ul><li><strong>Fire safety knowledge check</strong>: ten questions, 20 minutes, up to three attempts. Your "
    "written answer is marked by the Learning &amp; Development team within a few days; you pass at 70 %.</li>"
    "<li><strong>Clinical safety quiz</strong>: seven questions drawn from our question bank, different for "
    "everyone. Check each answer as you go: you have three tries, and each wrong try costs a third of the "
    "question's marks. Your best attempt counts.</li></ul>"
    "<p>Take each assessment somewhere quiet, on a computer or a phone. Your answers are saved as you go, so a "
    "lost connection or a closed tab loses nothing: open the quiz again and carry on where you stopped.</p>"
    "<p>Questions about the assessments? Ask Marcus Reid in Learning &amp; Development.</p>"
)

# The fire safety check's questions, in order (keys of demo_questions.QUESTIONS).
FIRE_SLOTS = (
    "nw-evac-scenario",
    "nw-fire-triangle",
    "nw-fire-discover",
    "nw-fire-oxygen-risks",
    "nw-fire-procedure-order",
    "nw-ext-match",
    "nw-ext-pass",
    "nw-evac-fire-door",
    "nw-evac-horizontal",
    "nw-evac-essay",
)
# Learners may see their answers, marks and feedback at once, but not the right answers: they have 3 attempts.
REVIEW_WITHOUT_ANSWERS = {
    "immediately": {
        "responses": True, "correctness": True, "marks": True, "feedback": True, "general_feedback": True,
        "right_answer": False,
    },
    "after_close": {
        "responses": True, "correctness": True, "marks": True, "feedback": True, "general_feedback": True,
        "right_answer": True,
    },
}  # fmt: skip


# --- the learners' story ----------------------------------------------------------------------------------------

RIGHT, WRONG, PARTIAL, RETRY, SKIP = "R", "W", "P", "T", "-"


@dataclass(frozen=True)
class Sitting:
    """One attempt of the story: `email` starts quiz `quiz` `days_ago` (plus `hours`), answers the graded questions
    in the pattern `answers` (R right, W wrong, P partly right, T wrong at the first Check then right, - no answer;
    repeated as needed), then submits after `minutes` — or leaves it open (`submit=False`).

    `essay` is which of the sample answers (demo_questions.ESSAY_ANSWERS: 0 good, 1 fair, 2 weak) the learner
    writes to an essay; Marcus grades it the next day unless `graded` is False (it then waits in the queue)."""

    email: str
    quiz: str
    days_ago: int
    answers: str
    hours: int = 0
    minutes: int = 14
    essay: int = 0
    graded: bool = True
    submit: bool = True
    check: bool = False  # interactive quiz: Check each answer (else only save them)


SITTINGS: tuple[Sitting, ...] = (
    # The fire safety check: Rajesh fails, then passes; Lucy fails; Jack's essay waits for Marcus.
    Sitting(RAJESH, FIRE_QUIZ, 9, "RWWRWPWRW", hours=3, minutes=17, essay=2),
    Sitting(RAJESH, FIRE_QUIZ, 8, "RRRRPRRR", hours=5, minutes=12, essay=1),
    Sitting(ZARA, FIRE_QUIZ, 7, "RRRRRRRR", hours=2, minutes=11, essay=0),
    Sitting(LUCY, FIRE_QUIZ, 6, "RRWRWRPW", hours=6, minutes=19, essay=1),
    Sitting(MEGAN, FIRE_QUIZ, 5, "RRRRRWRR", hours=4, minutes=15, essay=0),
    Sitting(CHLOE, FIRE_QUIZ, 3, "RRRPRRRR", hours=1, minutes=13, essay=0),
    Sitting(JACK, FIRE_QUIZ, 1, "RRWRRRRR", hours=2, minutes=16, essay=1, graded=False),
    # The clinical safety quiz (interactive): some check as they go, Rajesh improves, Kwame has just started.
    Sitting(ZARA, CLINICAL_QUIZ, 6, "RRRRRRR", hours=1, minutes=9, check=True),
    Sitting(RAJESH, CLINICAL_QUIZ, 5, "RWWRWRW", hours=2, minutes=8),
    Sitting(RAJESH, CLINICAL_QUIZ, 4, "RTRRTRR", hours=6, minutes=10, check=True),
    Sitting(MEGAN, CLINICAL_QUIZ, 4, "RTTRRWR", hours=3, minutes=12, check=True),
    Sitting(LUCY, CLINICAL_QUIZ, 2, "WRWPWRW", hours=5, minutes=11),
    Sitting(JACK, CLINICAL_QUIZ, 2, "RRPRWRR", hours=1, minutes=10, check=True),
    Sitting(KWAME, CLINICAL_QUIZ, 0, "RRR" + SKIP * 4, hours=2, minutes=6, submit=False),
)
ESSAY_BY_QUALITY = {RIGHT: 0, RETRY: 0, PARTIAL: 1, WRONG: 2}
GRADED_AFTER = dt.timedelta(hours=20)  # Marcus grades the essays the next day


# --- answers to any question -------------------------------------------------------------------------------------


def _number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in {"-0", "0"} else text


def _off(value: Any) -> str:
    """A number that is not the right answer (nor near it)."""
    return _number(Decimal(str(value)) * 2 + 1)


def _best(rows: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    return max(rows, key=lambda row: Decimal(str(row.get("fraction", "0"))))


def _worst(rows: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    return min(rows, key=lambda row: Decimal(str(row.get("fraction", "0"))))


def _partial(rows: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    return next((row for row in rows if Decimal(0) < Decimal(str(row.get("fraction", "0"))) < 1), None)


def _misplaced(rows: Sequence[Mapping[str, Any]], right: Mapping[int, int], gaps: Sequence[int]) -> dict[int, int]:
    """Wrong choices for these gaps (gap index -> choice number): the right choices of a group's gaps moved one
    gap along, or another choice of the group for a gap alone in its group. Never one choice twice (drag into
    text allows most choices once)."""
    group_of = {number: str(row.get("group", 1)) for number, row in enumerate(rows, start=1)}
    by_group: dict[str, list[int]] = {}
    for gap in gaps:
        by_group.setdefault(group_of[right[gap]], []).append(gap)
    used = set(right.values())
    out: dict[int, int] = {}
    for group, members in by_group.items():
        if len(members) > 1:
            numbers = [right[gap] for gap in members]
            out.update({gap: numbers[(index + 1) % len(numbers)] for index, gap in enumerate(members)})
            continue
        gap = members[0]
        others = [n for n, g in group_of.items() if g == group and n != right[gap] and n not in used]
        out[gap] = others[0] if others else right[gap]
    return out


def _cloze_part(part: Mapping[str, Any], quality: str) -> dict[str, str]:
    answers = list(part.get("answers") or [])
    kind = part.get("kind")
    best, worst = _best(answers), _worst(answers)
    if kind == "numerical":
        return {"value": str(best["value"]) if quality == RIGHT else _off(best["value"])}
    if kind == "single":
        return {"choice": str((best if quality == RIGHT else worst)["id"])}
    return {"text": str(best["text"]) if quality == RIGHT else "not sure"}


def response_for(
    qtype: str, question: qtypes.Question, variant: Mapping[str, Any], quality: str, *, essay: EssayAnswer | None
) -> dict[str, Any] | None:
    """A response to this question as a learner would give it: right (R), wrong (W) or partly right (P; wrong
    where the type has no partial credit). None for a question that takes no answer."""
    data = question.data
    right = quality == RIGHT
    if qtype == "truefalse":
        return {"answer": bool(data["correct"]) == right}
    if qtype == "single":
        options = data["options"]
        chosen = _best(options) if right else (_partial(options) if quality == PARTIAL else None) or _worst(options)
        return {"choice": str(chosen["id"])}
    if qtype == "multiple":
        good = [str(o["id"]) for o in data["options"] if Decimal(str(o["fraction"])) > 0]
        bad = [str(o["id"]) for o in data["options"] if Decimal(str(o["fraction"])) <= 0]
        return {"choices": good if right else good[:1] if quality == PARTIAL else bad or good[:1]}
    if qtype == "shortanswer":
        plain = [a for a in data["answers"] if "*" not in str(a["text"])]
        partial = _partial(plain) if quality == PARTIAL else None
        if right or partial:
            return {"text": str((partial or _best(plain))["text"])}
        return {"text": "I am not sure"}
    if qtype == "numerical":
        best = _best(data["answers"])
        unit = str(data["units"][0]["unit"]) if data.get("units") else ""
        partial = _partial(data["answers"]) if quality == PARTIAL else None
        value = str((partial or best)["value"]) if right or partial else _off(best["value"])
        return {"value": value, "unit": unit}
    if qtype == "calculated":
        values = values_of(question, variant)
        best = _best(data["answers"])
        computed = answer_values(question, values).get(str(best["id"])) or Decimal(0)
        places = Decimal(1).scaleb(-int(best.get("decimals", 2)))
        answer = computed.quantize(places, ROUND_HALF_UP)
        return {"value": _number(answer) if right else _off(answer), "unit": ""}
    if qtype == "matching":
        texts = variant["choice_text"]
        by_text = {text: choice for choice, text in texts.items()}
        prompts = [pair for pair in data["pairs"] if pair.get("prompt")]
        order = [str(pair["id"]) for pair in prompts]
        right_choice = {str(pair["id"]): by_text[str(pair["answer"])] for pair in prompts}
        moved = order if quality == WRONG else order[1:] if len(order) > 2 else order
        pairs = dict(right_choice)
        if not right:
            pairs.update({pid: right_choice[moved[(index + 1) % len(moved)]] for index, pid in enumerate(moved)})
        return {"pairs": pairs}
    if qtype == "ordering":
        ids = [str(item["id"]) for item in data["items"]]
        if right:
            return {"order": ids}
        return {"order": [*ids[:-2], ids[-1], ids[-2]] if quality == PARTIAL else list(reversed(ids))}
    if qtype in {"gapselect", "ddwtos"}:
        kind = qtypes.get(qtype)
        assert isinstance(kind, GapSelect)
        rows = kind.rows(question)
        numbers = kind.valid_gaps(question)
        right_gaps = dict(enumerate(numbers, start=1))
        gaps = dict(right_gaps)
        if not right:
            wrong_ones = list(right_gaps) if quality == WRONG or len(right_gaps) < 2 else list(right_gaps)[1:]
            gaps.update(_misplaced(rows, right_gaps, wrong_ones))
        return {"gaps": {str(index): number for index, number in gaps.items()}}
    if qtype == "cloze":
        parts = list(data["parts"])
        qualities = [quality if quality != PARTIAL else (RIGHT if index == 0 else WRONG) for index in range(len(parts))]
        return {"parts": {str(p["index"]): _cloze_part(p, q) for p, q in zip(parts, qualities, strict=True)}}
    if qtype == "essay":
        return {"text": essay.text if essay else "I would follow the procedure I was taught on the course."}
    return None  # description: nothing to answer


# --- the seed -----------------------------------------------------------------------------------------------------


class _Seeder:
    def __init__(self, organization: Organization, out: Output) -> None:
        self.organization = organization
        self.out = out
        self.created = 0
        self.now = clock.now()
        self.people = {
            m.user.email: m
            for m in Membership.objects.filter(organization=organization, is_active=True).select_related("user")
        }
        self.keys: dict[int, str] = {}  # question id -> its key in demo_questions

    def user(self, email: str) -> User:
        return self.people[email].user

    # --- the bank -------------------------------------------------------------------------------------------

    def bank(self) -> tuple[QuestionBank, dict[str, Category], dict[str, Question]]:
        by = self.user(AMARA)
        bank = QuestionBank.objects.filter(organization=self.organization, course__isnull=True, name=BANK_NAME).first()
        if bank is None:
            bank = question_services.bank_create(
                organization=self.organization, name=BANK_NAME, description=BANK_DESCRIPTION, by=by
            )
            self.created += 1
        categories: dict[str, Category] = {}
        for path, description in CATEGORIES:
            parent_path, _slash, name = path.rpartition("/")
            parent = categories[parent_path] if parent_path else None
            found = Category.objects.filter(bank=bank, parent=parent, name=name).first()
            if found is None:
                found = question_services.category_create(
                    bank=bank, name=name, parent=parent, description=description, by=by
                )
                self.created += 1
            categories[path] = found
        skills = {
            skill.code: skill.pk
            for skill in Skill.objects.filter(
                organization=self.organization, code__in={c for q in QUESTIONS for c in q.skills}
            )
        }
        existing = {q.idnumber: q for q in Question.objects.filter(bank=bank, idnumber__in=[q.key for q in QUESTIONS])}
        for spec in QUESTIONS:
            if spec.key not in existing:
                existing[spec.key] = question_services.question_create(
                    bank=bank,
                    category=categories[spec.category],
                    values=question_services.QuestionFields(
                        qtype=spec.qtype,
                        name=spec.name,
                        text=spec.text,
                        general_feedback=spec.general_feedback,
                        default_mark=spec.default_mark,
                        data=spec.data,
                        difficulty=spec.difficulty,
                        tags=spec.tags,
                        # Without the skills framework (a partial seed) the questions are made without skills.
                        skill_ids=[skills[code] for code in spec.skills if code in skills],
                        idnumber=spec.key,
                    ),
                    by=by,
                )
                self.created += 1
        self.keys = {question.pk: key for key, question in existing.items()}
        return bank, categories, existing

    # --- the course -----------------------------------------------------------------------------------------

    def course(self, categories: Mapping[str, Category], questions: Mapping[str, Question]) -> Course | None:
        found = Course.objects.filter(organization=self.organization, title=COURSE).first()
        if found is not None:
            return found if found.published_version_id else None
        if not kinds.is_registered("quiz"):
            self.out.write("The quiz activity kind is not registered: the demo course of quizzes was not made.")
            return None
        by = self.user(MARCUS)
        skills = list(
            Skill.objects.filter(
                organization=self.organization,
                code__in=("fire-safety", "infection-prevention", "medication-safety", "basic-life-support"),
            )
        )
        category = CourseCategory.objects.filter(organization=self.organization, name=COURSE_CATEGORY).first()
        course = catalog_services.course_create(
            organization=self.organization,
            by=by,
            title=COURSE,
            summary="Two short assessments of your mandatory training: fire safety, infection control, clinical "
            "calculations.",
            description="<p>Check what you learned in your mandatory training with two short quizzes: a fire safety "
            "knowledge check with a written answer, marked by the Learning &amp; Development team, and a clinical "
            "safety quiz drawn from the Northwind question bank.</p>",
            tags=["assessment", "fire safety", "infection prevention", "mandatory"],
            skills=skills,
            language="en",
            level="beginner",
            duration_minutes=45,
            visibility=Visibility.ORGANIZATION,
            **({"category": category} if category is not None else {}),
        )
        self.created += 1
        intro = catalog_services.section_create(
            course=course, by=by, title="Before you start", summary="How the assessments work."
        )
        catalog_services.activity_create(
            section=intro, by=by, kind="page", title=INTRO, data={"body": INTRO_BODY}, duration_minutes=3
        )
        section = catalog_services.section_create(
            course=course, by=by, title="Assessments", summary="Your fire safety and clinical safety knowledge."
        )
        catalog_services.activity_create(
            section=section,
            by=by,
            kind="quiz",
            title=FIRE_QUIZ,
            data=self.fire_quiz(questions),
            completion={"rule": "passed"},
            duration_minutes=20,
            skills=[s for s in skills if s.code == "fire-safety"],
        )
        catalog_services.activity_create(
            section=section,
            by=by,
            kind="quiz",
            title=CLINICAL_QUIZ,
            data=self.clinical_quiz(categories),
            completion={"rule": "passed"},
            duration_minutes=15,
            skills=skills,
        )
        self.created += 5
        catalog_services.course_publish_unchecked(course=course, by=by, notes="The first assessments.")
        self.created += 1
        return course

    @staticmethod
    def fire_quiz(questions: Mapping[str, Question]) -> dict[str, Any]:
        """The fire safety check, as the quiz kind's `clean` accepts it from the API."""
        return {
            "intro": "<p>Ten questions on fire safety in clinical areas, including a short written answer about the "
            "night shift scenario. You have 20 minutes and up to three attempts; the pass mark is 70 %.</p>",
            "slots": [{"type": "fixed", "question_id": str(questions[key].pk), "mark": ""} for key in FIRE_SLOTS],
            "questions_per_page": 2,
            "shuffle_questions": False,
            "shuffle_options": True,
            "navigation": "free",
            "time_limit_minutes": 20,
            "attempts_allowed": 3,
            "behaviour": "deferred",
            "grading_method": "highest",
            "pass_mark": "70",
            "review": REVIEW_WITHOUT_ANSWERS,
        }

    @staticmethod
    def clinical_quiz(categories: Mapping[str, Category]) -> dict[str, Any]:
        """The clinical safety quiz: seven questions drawn from the shared bank for each attempt."""

        def pool(path: str, count: int, **filters: Any) -> dict[str, Any]:
            return {"type": "random", "category_id": str(categories[path].pk), "count": str(count), **filters}

        return {
            "intro": "<p>Seven questions drawn from the Northwind question bank: fire safety, infection control and "
            "clinical calculations. Check each answer as you go: you have three tries at each question.</p>",
            "slots": [
                pool(FIRE, 3, include_subcategories=True, min_difficulty="2"),
                pool(INFECTION, 2),
                pool(CALCULATIONS, 2),
            ],
            "questions_per_page": 1,
            "shuffle_questions": True,
            "shuffle_options": True,
            "navigation": "free",
            "attempts_allowed": 0,
            "behaviour": "interactive",
            "tries": 3,
            "penalty": "0.3333333",
            "grading_method": "highest",
            "pass_mark": "75",
        }

    # --- enrollments ---------------------------------------------------------------------------------------

    def enroll(self, course: Course) -> None:
        people = [self.people[email] for email in LEARNERS if email in self.people]
        result = enrollment_services.enrollments_bulk_create(
            course=course, memberships=people, by=self.user(MARCUS), method=Method.INSTRUCTOR
        )
        if result.created:
            when = self.now - dt.timedelta(days=ENROLLED_DAYS_AGO)
            rows = Enrollment.objects.filter(pk__in=result.created)
            rows.update(created_at=when, status_changed_at=when)
            rows.filter(status=Status.ACTIVE).update(enrolled_at=when)
            self.created += len(result.created)

    # --- attempts ------------------------------------------------------------------------------------------

    def attempts(self, course: Course) -> None:
        version = course.published_version
        assert version is not None
        quizzes = {
            activity["title"]: activity
            for activity in versions.activities(version.snapshot)
            if activity.get("kind") == "quiz"
        }
        marcus = self.user(MARCUS)
        # A learner's attempts at a quiz are made together, once: any attempt there means a seed made them.
        making: dict[tuple[str, str], bool] = {}
        for sitting in SITTINGS:
            quiz = quizzes.get(sitting.quiz)
            membership = self.people.get(sitting.email)
            if quiz is None or membership is None:
                continue
            key = (sitting.email, sitting.quiz)
            if key not in making:
                taken = Attempt.objects.filter(
                    course=course, activity_uid=uuid.UUID(str(quiz["uid"])), user=membership.user, preview=False
                ).exists()
                enrolled = Enrollment.objects.filter(course=course, membership=membership, status__in=LIVE_STATES)
                making[key] = not taken and enrolled.exists()
            if making[key]:
                self.take(course, version, quiz, membership.user, sitting, marcus)

    def take(
        self, course: Course, version: Any, quiz: Mapping[str, Any], user: User, sitting: Sitting, grader: User
    ) -> None:
        started = (self.now - dt.timedelta(days=sitting.days_ago, hours=sitting.hours)).replace(
            minute=0, second=0, microsecond=0
        )
        attempt = attempt_services.attempt_start(user=user, course=course, version=version, activity=quiz, now=started)
        self.created += 1
        answers = list(attempt.answers.select_related("question_version").order_by("slot"))
        page_of = {slot: index for index, page in enumerate(attempt.layout or []) for slot in page}
        interactive = attempt.settings.get("behaviour") == "interactive"
        graded = [a for a in answers if qtypes.get(a.question_version.qtype).graded]
        step = dt.timedelta(minutes=max(1, sitting.minutes - 1)) / max(1, len(graded))
        moment = started
        for index, answer in enumerate(graded):
            quality = sitting.answers[index % len(sitting.answers)]
            if quality == SKIP:
                continue
            moment += step
            self.answer(attempt, answer, quality, sitting, user, page_of.get(answer.slot, 0), interactive, moment)
        if not sitting.submit:
            return
        attempt = attempt_services.attempt_submit(
            attempt=attempt, by=user, now=started + dt.timedelta(minutes=sitting.minutes)
        )
        if sitting.graded and attempt.state == AttemptState.NEEDS_GRADING:
            self.grade(attempt, grader)

    def answer(
        self,
        attempt: Attempt,
        answer: QuestionAnswer,
        quality: str,
        sitting: Sitting,
        user: User,
        page: int,
        interactive: bool,
        at: dt.datetime,
    ) -> None:
        qtype = qtypes.get(answer.question_version.qtype)
        question = question_services.version_as_question(answer.question_version)
        essay = self.essay_answer(answer, sitting, quality)

        def response(kind: str) -> dict[str, Any] | None:
            return response_for(answer.question_version.qtype, question, answer.variant, kind, essay=essay)

        if interactive and sitting.check and qtype.allows_tries and not qtype.manual:
            if quality == RETRY:
                attempt_services.attempt_check(attempt=attempt, slot=answer.slot, raw=response(WRONG), by=user, now=at)
                at += dt.timedelta(seconds=40)
            attempt_services.attempt_check(
                attempt=attempt, slot=answer.slot, raw=response(RIGHT if quality == RETRY else quality), by=user, now=at
            )
            return
        raw = response(RIGHT if quality == RETRY else quality)
        if raw is None:
            return
        result = attempt_services.attempt_save(
            attempt=attempt, responses={answer.slot: raw}, by=user, page=page, now=at
        )
        # Every demo response is one the type accepts: a refusal is a bug in this module or in the type.
        assert not result.errors, (answer.question_version.qtype, result.errors)

    def essay_answer(self, answer: QuestionAnswer, sitting: Sitting, quality: str) -> EssayAnswer | None:
        samples = ESSAY_ANSWERS.get(self.keys.get(answer.question_version.question_id, ""))
        if not samples:
            return None
        # The quiz's own essay follows the story; an essay drawn at random follows how well the learner does.
        index = sitting.essay if sitting.quiz == FIRE_QUIZ else ESSAY_BY_QUALITY.get(quality, 1)
        return samples[min(index, len(samples) - 1)]

    def grade(self, attempt: Attempt, grader: User) -> None:
        """The grader marks each answer waiting for them: a demo essay with the mark and comment its sample
        carries."""
        when = min((attempt.finished_at or self.now) + GRADED_AFTER, self.now - dt.timedelta(minutes=30))
        waiting = attempt.answers.select_related("question_version", "attempt__course__organization").filter(
            state=AnswerState.NEEDS_GRADING
        )
        for answer in waiting:
            samples = ESSAY_ANSWERS.get(self.keys.get(answer.question_version.question_id, ""), ())
            text = str((answer.response or {}).get("text", ""))
            sample = next((s for s in samples if s.text == text), None)
            fraction = Decimal(sample.fraction) if sample else Decimal("0.5")
            attempt_services.answer_grade(
                answer=answer,
                mark=(answer.max_mark * fraction).quantize(Decimal("0.01"), ROUND_HALF_UP),
                comment=sample.comment if sample else "<p>Thank you.</p>",
                by=grader,
                now=when,
            )
            self.created += 1


def seed_assessment(organizations: Organizations, admin: Any, stdout: Output) -> int:
    """Northwind Health's question bank, quizzes, enrollments and attempts; returns the rows created."""
    organization = organizations.get(ORGANIZATION)
    if organization is None:
        return 0
    seeder = _Seeder(organization, stdout)
    if AMARA not in seeder.people or MARCUS not in seeder.people:
        return 0
    _bank, categories, questions = seeder.bank()
    course = seeder.course(categories, questions)
    if course is not None:
        seeder.enroll(course)
        seeder.attempts(course)
        from syllabus.assessment import demo_assignments

        seeder.created += demo_assignments.seed_assignments(
            seeder, course, learners=LEARNERS, quiz_title=FIRE_QUIZ, out=stdout
        )
    attempts = Attempt.objects.filter(organization=organization, preview=False)
    stdout.write(
        f"{organization.name}: {Question.objects.filter(organization=organization).count()} questions in the bank, "
        f"{attempts.count()} quiz attempts ({attempts.filter(state=AttemptState.NEEDS_GRADING).count()} waiting "
        "for grading)"
    )
    return seeder.created


def reset_assessment(organizations: Organizations) -> None:
    """Before `seed_demo --reset` deletes the demo organisations: their attempts (an answer protects its question
    version, an attempt its course version), their assignment submissions (and files), then their questions (a
    question protects its category)."""
    from syllabus.assessment import demo_assignments

    ids = [org.pk for org in organizations.values() if org is not None]
    demo_assignments.reset_assignments(ids)
    Attempt.objects.filter(organization_id__in=ids).delete()
    Question.objects.filter(organization_id__in=ids).delete()
    QuestionBank.objects.filter(organization_id__in=ids).delete()


def register_demo() -> None:
    demo.register("assessment", seed_assessment, reset=reset_assessment)
