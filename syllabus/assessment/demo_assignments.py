"""The second part of the assessment demo (called at the end of `demo.seed_assessment`): the assignment "Incident
report" of "Safety assessments" with submissions in every state, and enough attempts at the fire safety check for
its item statistics to mean something.

Made through the services, by the people who would do it:

- Marcus Reid adds the assignment to the course's "Assessments" section (online text and files, a due date three
  days ago, a cut-off four days ahead, a late penalty of 10 % a day up to 30 %, a rubric of four criteria, pass mark
  60 %, another try on request) and publishes: a new activity changes what learners must do, so the catalog makes a
  MAJOR version (2.0), and learners stay on the version they enrolled in (only a minor version moves them, by
  `enrollment.follow_minor_version`). Marcus, the course's owner, then moves the learners in progress to 2.0 on
  purpose (`enrollment.services.rules.enrollments_migrate_version`, what the course's "Versions" page does); their
  quiz attempts stay on 1.0 and still count, since activities keep their uid across versions.
- The learners hand in: Zara and Rajesh (with a PDF) on time, Lucy a day and a half late (20 % off), Megan within
  the extension Marcus gave her, Jack and Harriet on time, Kwame on time; Chloe's is still a draft. Marcus grades
  with the rubric and feedback: Zara's, Rajesh's, Lucy's and Harriet's are released, Megan's and Jack's are not yet,
  Kwame's waits in the queue. Harriet failed, asked for another try, and Marcus reopened her submission.
- The services hand in and reopen at the moment they run (they take no `now=`): the hand-in times are moved back to
  their place in the story with a plain UPDATE (and their lateness worked out again against the person's due date,
  the late-penalty rule of `services.assignments.late_seconds`) before Marcus grades, as the enrollment demo moves
  enrollments back. Grades are dated with the grading service's `now=`.
- Statistics: every other active colleague of Northwind (but Marcus) is enrolled, and everyone who has not taken
  the fire safety check yet (Kwame and Harriet too) takes it once — at least 40 people in all — answering as a
  seeded `random.Random` decides: each person has an ability, each question a difficulty, so stronger learners
  answer more right (positive discrimination); Marcus grades their essays. Then
  `services.statistics.statistics_compute` stores the figures for the first attempts (the page and the bank read
  them). Every answer of an attempt is saved at once (one autosave), to keep the seed quick.

Idempotent: the assignment is looked up by title in the draft, published only if the published version lacks it;
a learner's submission is made only if they have none, an attempt only if they have none at the quiz; statistics
are computed only when the stored ones are not current.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from syllabus.access import policy as access_policy
from syllabus.accounts.models import Membership, User
from syllabus.assessment import demo as quiz_demo
from syllabus.assessment.assignment_settings import AssignmentSettings
from syllabus.assessment.demo_questions import ESSAY_ANSWERS
from syllabus.assessment.models import Attempt, AttemptState, Submission, SubmissionFile, SubmissionState
from syllabus.assessment.question_types import base as qtypes
from syllabus.assessment.services import assignment_grading as grading_services
from syllabus.assessment.services import assignments as assignment_services
from syllabus.assessment.services import attempts as attempt_services
from syllabus.assessment.services import questions as question_services
from syllabus.assessment.services import statistics as statistics_services
from syllabus.catalog import services as catalog_services
from syllabus.catalog import versions
from syllabus.catalog.activity_kinds import base as kinds
from syllabus.catalog.models import Activity, Course, CourseVersion, Section
from syllabus.core.demo import Output
from syllabus.enrollment import services as enrollment_services
from syllabus.enrollment.models import LIVE_STATES, Enrollment, Method, Status
from syllabus.enrollment.services import rules as enrollment_rules

ASSIGNMENT = "Incident report"
SECTION = "Assessments"
DUE_DAYS_AGO = 3
OPENED_DAYS_AGO = 12
CUTOFF_DAYS_AHEAD = 4
STATISTICS_SEED = 2026
STATISTICS_WHICH = "first"


def _email(name: str) -> str:
    return f"{name}@northwind.example"


MARCUS = _email("marcus.reid")
CHLOE, RAJESH, ZARA, LUCY = _email("chloe.adams"), _email("rajesh.iyer"), _email("zara.ahmed"), _email("lucy.fernandes")
JACK, MEGAN, KWAME, HARRIET = (
    _email("jack.thompson"), _email("megan.walsh"), _email("kwame.asante"), _email("harriet.price")
)  # fmt: skip

INTRO = (
    "<p>Write up a fire or safety incident you saw or took part in (or the night shift scenario of the fire safety "
    "check) as you would for the incident log: what happened, what you did, why it happened and what should "
    "change.</p><p>Write it here, or upload your report (PDF or Word, up to 3 files). Keep it under 800 words and "
    "leave out the names of patients. Due by the date below; after it you lose 10 % of the marks for each day "
    "late, at most 30 %.</p>"
)

# Four criteria: "what happened" and "what you did" weigh most. Max points 10 + 10 + 10 + 10 = 40.
RUBRIC: dict[str, Any] = {
    "criteria": [
        {"id": "facts", "description": "What happened: time, place, people involved and the order of events",
         "levels": [
             {"id": "facts-0", "points": "0", "definition": "Missing, or opinions instead of facts"},
             {"id": "facts-1", "points": "4", "definition": "Some facts; the order of events is unclear"},
             {"id": "facts-2", "points": "7", "definition": "Complete, with small gaps or opinions mixed in"},
             {"id": "facts-3", "points": "10", "definition": "Complete, factual and in order"},
         ]},
        {"id": "actions", "description": "What you did: raising the alarm, making people safe, containing the risk",
         "levels": [
             {"id": "actions-0", "points": "0", "definition": "Not described"},
             {"id": "actions-1", "points": "4", "definition": "Described, not against the procedure"},
             {"id": "actions-2", "points": "7", "definition": "Against the procedure, one step missing"},
             {"id": "actions-3", "points": "10", "definition": "Every step of the procedure, in order, with times"},
         ]},
        {"id": "causes", "description": "Why it happened",
         "levels": [
             {"id": "causes-0", "points": "0", "definition": "No cause given"},
             {"id": "causes-1", "points": "5", "definition": "The immediate cause only"},
             {"id": "causes-2", "points": "10", "definition": "Immediate and underlying causes"},
         ]},
        {"id": "learning", "description": "What should change, and who should act",
         "levels": [
             {"id": "learning-0", "points": "0", "definition": "Nothing proposed"},
             {"id": "learning-1", "points": "5", "definition": "General advice (\"be more careful\")"},
             {"id": "learning-2", "points": "10", "definition": "Specific, owned actions with a date"},
         ]},
    ]
}  # fmt: skip
MAX_POINTS = Decimal(40)


def assignment_config(now: dt.datetime) -> dict[str, Any]:
    """The assignment as the kind's `clean` accepts it from the API; its dates are placed around `now`."""
    day = now.replace(hour=17, minute=0, second=0, microsecond=0)
    return {
        "intro": INTRO,
        "submission_text": True,
        "submission_files": True,
        "word_limit": 800,
        "max_files": 3,
        "max_file_mb": 10,
        "accepted_types": [".pdf", ".docx", ".odt", ".txt"],
        "opens_at": (day - dt.timedelta(days=OPENED_DAYS_AGO)).replace(hour=9).isoformat(),
        "due_at": (day - dt.timedelta(days=DUE_DAYS_AGO)).isoformat(),
        "cutoff_at": (day + dt.timedelta(days=CUTOFF_DAYS_AHEAD)).isoformat(),
        "late_penalty": {"percent_per_day": "10", "max_percent": "30"},
        "resubmission": "on_request",
        "max_attempts": 2,
        "grading": {"method": "rubric", "max_points": str(MAX_POINTS), "rubric": RUBRIC, "guide": None},
        "pass_mark": "60",
    }


# --- the learners' story ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HandIn:
    """One learner's submission: handed in `hours` after the due date (negative: before it), with `text` and
    optionally a PDF; graded with one level per criterion (`levels`, in rubric order) and `feedback`, released or
    not. `submit` False leaves a draft, `levels` empty leaves it waiting for a grade."""

    email: str
    hours: float
    text: str
    levels: tuple[int, ...] = ()
    feedback: str = ""
    release: bool = True
    submit: bool = True
    pdf: bool = False
    extension_days: int = 0  # Marcus gave them this many days after the due date
    reopen_note: str = ""  # they asked for another try, and Marcus reopened it


REPORT_GOOD = (
    "At 02:40 on 14 February a patient in bay 3 of Ward 7 told me she smelt burning. I found smoke coming from "
    "the charger of a mobile phone plugged in behind the bed. I switched the socket off at the wall, moved the "
    "patient and the one in the next bed to the day room with the care assistant, closed the bay's fire door and "
    "pressed the call point at 02:42. I called 2222 and reported the location. The nurse in charge checked the "
    "other bays. The fire team arrived at 02:49 and confirmed the charger had overheated; nothing caught fire.\n\n"
    "Cause: the charger was a cheap unbranded one, not PAT tested, and the cable was trapped behind the bed frame. "
    "Underlying: there is no check of patients' own chargers on admission.\n\n"
    "What should change: Ward 7's admission checklist adds a check of electrical items (ward manager, by the end "
    "of March); the estates team fits USB sockets to bay 3 so patients need no plug-in chargers."
)
REPORT_FAIR = (
    "During the night shift a charger started smoking in bay 3. I turned it off and got the patients out of the "
    "bay, then raised the alarm and phoned switchboard. The fire team came and said it had overheated.\n\n"
    "It happened because the charger was old. We should check chargers more often."
)
REPORT_WEAK = "There was smoke from a charger on the ward. We dealt with it and the fire team came. Be more careful."

STORY: tuple[HandIn, ...] = (
    HandIn(
        ZARA,
        -46,
        REPORT_GOOD,
        (3, 3, 2, 2),
        "<p>An excellent report: factual, timed, every step of the "
        "procedure, and actions with an owner and a date. Thank you.</p>",
    ),
    HandIn(
        RAJESH,
        -20,
        REPORT_FAIR,
        (2, 3, 1, 1),
        "<p>Clear account and the right actions in the right order. "
        "The causes stop at the charger: ask why it was there unchecked.</p>",
        pdf=True,
    ),
    HandIn(
        LUCY,
        33,
        REPORT_FAIR,
        (2, 2, 1, 2),
        "<p>Good actions section. Handed in a day and a half late, so 20 % came off the marks.</p>",
    ),
    HandIn(
        MEGAN,
        30,
        REPORT_GOOD,
        (3, 2, 2, 1),
        "<p>Very clear. The actions you propose need an owner.</p>",
        release=False,
        extension_days=2,
    ),
    HandIn(
        JACK,
        -5,
        REPORT_FAIR,
        (2, 1, 1, 1),
        "<p>Say what you did against the procedure, step by step.</p>",
        release=False,
    ),
    HandIn(KWAME, -2, REPORT_FAIR),
    HandIn(
        HARRIET,
        -26,
        REPORT_WEAK,
        (1, 1, 0, 1),
        "<p>Too short to show what happened or what you did. Use the four headings of the rubric and try again.</p>",
        reopen_note="Sorry, I rushed it at the end of a shift. May I write it up properly?",
    ),
    HandIn(
        CHLOE, 0, "Draft: night shift, smoke from a charger in bay 3. To finish: what I did, the causes.", submit=False
    ),
)
GRADED_AFTER = dt.timedelta(hours=30)
EXTENSION_REASON = "Megan was on annual leave the week before the due date."
REOPEN_REASON = "Harriet asked for another try; her first report was too short to assess."


def report_pdf(text: str) -> bytes:
    """A small, valid one-page PDF showing the first lines of `text` (made in memory: no PDF library needed)."""
    lines = [line[:90] for line in text.replace("(", "[").replace(")", "]").replace("\\", "/").split(". ")][:12]
    stream = "BT /F1 11 Tf 50 780 Td 14 TL " + " ".join(f"({line}) '" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream.encode('latin-1'))} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode("latin-1")
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode("latin-1")
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode("latin-1")
    return out


class AssignmentSeeder:
    """Works with the assessment demo's seeder (`demo._Seeder`: its people, its clock, its answer helpers)."""

    def __init__(self, seeder: Any, course: Course) -> None:
        self.seeder = seeder
        self.course = course
        self.now: dt.datetime = seeder.now
        self.people: Mapping[str, Membership] = seeder.people
        self.marcus: User = seeder.user(MARCUS)
        self.created = 0

    # --- the assignment ------------------------------------------------------------------------------------

    def assignment(self) -> dict[str, Any] | None:
        """The assignment in the published version: added to the draft and published (2.0) if missing."""
        version = self.course.published_version
        found = self._published(version)
        if found is not None or not kinds.is_registered("assignment"):
            return found
        section = Section.objects.filter(course=self.course, title=SECTION).order_by("position").first()
        if section is None:
            return None
        if not Activity.objects.filter(section__course=self.course, title=ASSIGNMENT, kind="assignment").exists():
            catalog_services.activity_create(
                section=section,
                by=self.marcus,
                kind="assignment",
                title=ASSIGNMENT,
                data=assignment_config(self.now),
                completion={"rule": "graded"},
                duration_minutes=60,
            )
            self.created += 1
        catalog_services.course_publish_unchecked(
            course=self.course, by=self.marcus, notes="Adds the incident report assignment."
        )
        self.created += 1
        self.course.refresh_from_db()
        # A major version: the learners in progress follow it only when the owner moves them.
        self.created += enrollment_rules.enrollments_migrate_version(course=self.course, by=self.marcus)
        for membership in self.people.values():
            access_policy.forget(membership.user)
        return self._published(self.course.published_version)

    @staticmethod
    def _published(version: CourseVersion | None) -> dict[str, Any] | None:
        if version is None:
            return None
        return next(
            (
                a
                for a in versions.activities(version.snapshot)
                if a.get("kind") == "assignment" and a.get("title") == ASSIGNMENT
            ),
            None,
        )

    # --- submissions ---------------------------------------------------------------------------------------

    def submissions(self, activity: Mapping[str, Any]) -> None:
        version = self.course.published_version
        assert version is not None
        uid = uuid.UUID(str(activity["uid"]))
        settings = AssignmentSettings.from_config(activity.get("config") or {})
        done = set(
            Submission.objects.filter(course=self.course, activity_uid=uid).values_list("user__email", flat=True)
        )
        enrolled = set(
            Enrollment.objects.filter(course=self.course, status__in=LIVE_STATES).values_list(
                "membership__user__email", flat=True
            )
        )
        for hand_in in STORY:
            if hand_in.email in done or hand_in.email not in enrolled or hand_in.email not in self.people:
                continue
            self.hand_in(version, uid, settings, hand_in)

    def hand_in(self, version: CourseVersion, uid: uuid.UUID, settings: AssignmentSettings, story: HandIn) -> None:
        user = self.people[story.email].user
        assert settings.due_at is not None
        if story.extension_days:
            due = settings.due_at + dt.timedelta(days=story.extension_days)
            grading_services.extension_set(
                by=self.marcus, course=self.course, activity_uid=uid, user=user, due_at=due, reason=EXTENSION_REASON
            )
            self.created += 1
        submission = assignment_services.submission_save(
            by=user, course=self.course, version=version, activity_uid=uid, settings=settings, text=story.text,
            revision=0,
        )  # fmt: skip
        self.created += 1
        if story.pdf:
            name = f"Incident report - {user.display_name}.pdf"
            upload = SimpleUploadedFile(name, report_pdf(story.text), content_type="application/pdf")
            assignment_services.submission_file_add(by=user, submission=submission, upload=upload)
            self.created += 1
        if not story.submit:
            return
        submission = assignment_services.submission_submit(by=user, submission=submission, confirm=True)
        # Handed in at its place in the story (the service hands in "now"): lateness against their own due date.
        at = settings.due_at + dt.timedelta(hours=story.hours)
        dates = assignment_services.dates_for(
            settings=settings, user_id=user.pk, course_id=self.course.pk, activity_uid=uid
        )
        late = assignment_services.late_seconds(dates, at)
        Submission.objects.filter(pk=submission.pk).update(submitted_at=at, late_seconds=late)
        submission.refresh_from_db()
        if not story.levels:
            return
        criteria = RUBRIC["criteria"]
        filling = {
            criterion["id"]: {"level": criterion["levels"][level]["id"], "remark": ""}
            for criterion, level in zip(criteria, story.levels, strict=True)
        }
        graded_at = min(at + GRADED_AFTER, self.now - dt.timedelta(hours=2))
        grading_services.grade_save(
            by=self.marcus,
            submission=submission,
            settings=settings,
            filling=filling,
            points=None,
            feedback=story.feedback,
            release=story.release,
            now=graded_at,
        )
        self.created += 1
        if story.reopen_note:
            submission = assignment_services.reopen_request(by=user, submission=submission, note=story.reopen_note)
            grading_services.submission_reopen(by=self.marcus, submission=submission, reason=REOPEN_REASON)

    # --- attempts for the statistics -----------------------------------------------------------------------

    def statistics(self, quiz_title: str, learners: Sequence[str]) -> None:
        """Enroll the other colleagues, let everyone who has not taken the quiz take it once, and compute its
        statistics."""
        version = self.course.published_version
        if version is None:
            return
        quiz = next(
            (a for a in versions.activities(version.snapshot) if a.get("kind") == "quiz" and a["title"] == quiz_title),
            None,
        )
        if quiz is None:
            return
        uid = uuid.UUID(str(quiz["uid"]))
        # Everyone but the grader: the story's learners who have not taken it yet, and every other colleague.
        crowd = [m for email, m in sorted(self.people.items()) if email != MARCUS]
        others = [m for m in crowd if m.user.email not in learners]
        result = enrollment_services.enrollments_bulk_create(
            course=self.course, memberships=others, by=self.marcus, method=Method.INSTRUCTOR
        )
        if result.created:
            when = self.now - dt.timedelta(days=quiz_demo.ENROLLED_DAYS_AGO)
            rows = Enrollment.objects.filter(pk__in=result.created)
            rows.update(created_at=when, status_changed_at=when)
            rows.filter(status=Status.ACTIVE).update(enrolled_at=when)
            self.created += len(result.created)
        taken = set(
            Attempt.objects.filter(course=self.course, activity_uid=uid, preview=False).values_list(
                "user_id", flat=True
            )
        )
        live = set(
            Enrollment.objects.filter(course=self.course, status__in=LIVE_STATES).values_list(
                "membership_id", flat=True
            )
        )
        rng = random.Random(STATISTICS_SEED)  # noqa: S311 (demo answers, not a secret)
        # Each question's difficulty (the essay last): the same for everyone.
        difficulty = [rng.uniform(-0.25, 0.3) for _ in range(12)]
        for index, membership in enumerate(crowd):
            ability = rng.betavariate(2.2, 1.6)
            days_ago = 1 + index % 8  # within the past nine days
            hours = rng.randint(1, 9)
            if membership.user_id in taken or membership.pk not in live:
                continue
            self.take(version, quiz, membership.user, rng, ability, difficulty, days_ago, hours)
        if statistics_services.statistics_current(course=self.course, activity_uid=uid, which=STATISTICS_WHICH) is None:
            statistics_services.statistics_compute(course=self.course, activity_uid=uid, which=STATISTICS_WHICH)
            self.created += 1

    def take(
        self,
        version: CourseVersion,
        quiz: Mapping[str, Any],
        user: User,
        rng: random.Random,
        ability: float,
        difficulty: Sequence[float],
        days_ago: int,
        hours: int,
    ) -> None:
        """One attempt: every answer saved at once, submitted, the essay graded by Marcus."""
        started = (self.now - dt.timedelta(days=days_ago, hours=hours)).replace(minute=0, second=0, microsecond=0)
        attempt = attempt_services.attempt_start(
            user=user, course=self.course, version=version, activity=quiz, now=started
        )
        self.created += 1
        responses: dict[int, Any] = {}
        answers = attempt.answers.select_related("question_version").order_by("slot")
        essay_quality = 0 if ability > 0.7 else 1 if ability > 0.4 else 2
        for index, answer in enumerate(answers):
            qtype = answer.question_version.qtype
            if not qtypes.get(qtype).graded:
                continue
            chance = ability + difficulty[index % len(difficulty)] * -1 + 0.1
            roll = rng.random()
            quality = (
                quiz_demo.RIGHT if roll < chance else quiz_demo.PARTIAL if roll < chance + 0.12 else quiz_demo.WRONG
            )
            question = question_services.version_as_question(answer.question_version)
            samples = ESSAY_ANSWERS.get(self.seeder.keys.get(answer.question_version.question_id, ""), ())
            essay = samples[min(essay_quality, len(samples) - 1)] if samples else None
            raw = quiz_demo.response_for(qtype, question, answer.variant, quality, essay=essay)
            if raw is not None:
                responses[answer.slot] = raw
        minutes = rng.randint(8, 18)
        result = attempt_services.attempt_save(
            attempt=attempt, responses=responses, by=user, now=started + dt.timedelta(minutes=minutes - 1)
        )
        assert not result.errors, result.errors
        attempt = attempt_services.attempt_submit(attempt=attempt, by=user, now=started + dt.timedelta(minutes=minutes))
        if attempt.state == AttemptState.NEEDS_GRADING:
            self.seeder.grade(attempt, self.marcus)


def seed_assignments(seeder: Any, course: Course, *, learners: Sequence[str], quiz_title: str, out: Output) -> int:
    """The assignment, its submissions and grades, and the statistics' attempts; returns the rows created."""
    if MARCUS not in seeder.people:
        return 0
    made = AssignmentSeeder(seeder, course)
    activity = made.assignment()
    if activity is not None:
        made.submissions(activity)
    made.statistics(quiz_title, learners)
    submissions = Submission.objects.filter(course=course)
    out.write(
        f"{course.organization.name}: {submissions.count()} assignment submissions "
        f"({submissions.filter(state=SubmissionState.SUBMITTED, grade__isnull=True).count()} waiting for a grade)"
    )
    return made.created


def reset_assignments(organization_ids: Sequence[int]) -> None:
    """Before the organisations go: their submissions (a submission protects its course version), and, once that
    commits, the files they stored."""
    names = list(
        SubmissionFile.objects.filter(organization_id__in=organization_ids).values_list("file", flat=True).distinct()
    )
    Submission.objects.filter(organization_id__in=organization_ids).delete()

    def forget() -> None:
        for name in names:
            if name:
                default_storage.delete(name)

    transaction.on_commit(forget)  # a reset that fails keeps the files of the rows it keeps
