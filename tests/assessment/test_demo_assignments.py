"""`manage.py seed_demo`, the assessment part's second half (demo_assignments): the assignment "Incident report" with
submissions in every state, graded with its rubric, and enough fire safety check attempts for item statistics.
One seed (only the assessment step: the others are not needed here) checked at once, then seeded again."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command

from syllabus.access.policy import principal_for
from syllabus.assessment import demo as assessment_demo
from syllabus.assessment import demo_assignments
from syllabus.assessment.assignment_settings import AssignmentSettings
from syllabus.assessment.models import (
    AssignmentExtension,
    Attempt,
    FileRole,
    Submission,
    SubmissionFile,
    SubmissionGrade,
    SubmissionState,
)
from syllabus.assessment.models.statistics import QuestionStatistic, QuizStatistics
from syllabus.assessment.services import assignments as assignment_services
from syllabus.assessment.services import statistics as statistics_services
from syllabus.catalog import versions
from syllabus.catalog.models import Course
from syllabus.core import demo
from syllabus.enrollment.models import Enrollment, Status
from syllabus.progress import services as progress_services

MODELS = (Submission, SubmissionFile, SubmissionGrade, AssignmentExtension, Attempt, QuizStatistics, Enrollment)


@pytest.fixture
def assessment_only(settings: Any) -> Iterator[None]:
    """seed_demo with the assessment step alone (it needs only the people the command makes)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    step = next(s for s in demo.steps() if s.name == "assessment")
    with demo.suspended():
        demo.register(step.name, step.run, reset=step.reset)
        yield


def run() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model._default_manager.count() for model in MODELS}


@pytest.mark.django_db
@pytest.mark.usefixtures("assessment_only")
def test_the_incident_report_its_submissions_and_the_fire_check_statistics(
    moved_clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    progress_services._requirements.cache_clear()
    with django_capture_on_commit_callbacks(execute=True):
        out = run()
    now = moved_clock.now
    assert "assignment submissions (1 waiting for a grade)" in out

    # Marcus added the assignment and published 2.0 (a major version); the learners were moved to it.
    course = Course.objects.select_related("published_version").get(title=assessment_demo.COURSE)
    version = course.published_version
    assert version is not None and version.label == "2.0"
    activity = next(a for a in versions.activities(version.snapshot) if a["title"] == demo_assignments.ASSIGNMENT)
    settings = AssignmentSettings.from_config(activity["config"])
    assert settings.submission_text and settings.submission_files
    assert settings.due_at is not None and settings.cutoff_at is not None
    assert now - dt.timedelta(days=7) < settings.due_at < now < settings.cutoff_at
    assert settings.late_penalty is not None
    assert (settings.late_penalty.percent_per_day, settings.late_penalty.max_percent) == (Decimal(10), Decimal(30))
    assert settings.rubric is not None and 3 <= len(settings.rubric.criteria) <= 4
    assert all(3 <= len(c.levels) <= 4 for c in settings.rubric.criteria)
    assert (settings.pass_mark, settings.resubmission, settings.max_points) == (Decimal(60), "on_request", Decimal(40))
    live = Enrollment.objects.filter(course=course, status=Status.ACTIVE)
    assert not live.exclude(version=version).exists()
    chloe = live.get(membership__user__email=assessment_demo.CHLOE).membership.user
    found = assignment_services.assignment_for(principal_for(chloe, course.organization), course.organization,
                                               course.pk, activity["uid"])  # fmt: skip
    assert found.version == version

    # The learners' story: a draft, one late (20 % off), one within an extension, one PDF, one reopened.
    subs = {s.user.email: s for s in Submission.objects.filter(course=course).select_related("user")}
    assert set(subs) == {h.email for h in demo_assignments.STORY}
    assert subs[assessment_demo.CHLOE].state == SubmissionState.DRAFT
    lucy = subs[assessment_demo.LUCY]
    assert lucy.late_seconds > 24 * 3600 and lucy.grade.penalty_points == Decimal(8)
    megan = subs[assessment_demo.MEGAN]
    assert AssignmentExtension.objects.get(user=megan.user).due_at > settings.due_at
    assert megan.submitted_at is not None and megan.submitted_at > settings.due_at and megan.late_seconds == 0
    pdf = SubmissionFile.objects.get(role=FileRole.SUBMISSION)
    assert pdf.submission.user.email == assessment_demo.RAJESH and pdf.name.endswith(".pdf")
    with pdf.file.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"
    assert subs[assessment_demo.HARRIET].state == SubmissionState.REOPENED
    assert subs[assessment_demo.HARRIET].reopen_requested_at is not None
    # Marcus graded with the rubric and feedback: most released, two not yet, Kwame's waiting.
    grades = SubmissionGrade.objects.filter(submission__course=course)
    assert {g.grader.email if g.grader else None for g in grades} == {assessment_demo.MARCUS}
    assert all(g.method == "rubric" and len(g.filling) == 4 and g.feedback for g in grades)
    assert grades.filter(released=True).count() == 4
    assert {g.submission.user.email for g in grades.filter(released=False)} == {
        assessment_demo.MEGAN, assessment_demo.JACK
    }  # fmt: skip
    waiting = Submission.objects.filter(course=course, state=SubmissionState.SUBMITTED, grade__isnull=True)
    assert [s.user.email for s in waiting] == [assessment_demo.KWAME]
    assert all(s.submitted_at < g.graded_at < now for s in subs.values() if (g := getattr(s, "grade", None)))

    # At least 40 people finished the fire safety check; its statistics are stored and discriminate.
    fire = next(a for a in versions.activities(version.snapshot) if a["title"] == assessment_demo.FIRE_QUIZ)
    counted = statistics_services.counted_attempts(course=course, activity_uid=fire["uid"])
    assert counted.values("user").distinct().count() >= 40
    stored = statistics_services.statistics_current(course=course, activity_uid=fire["uid"], which="first")
    assert stored is not None and stored.attempts >= 40
    rows = QuestionStatistic.objects.filter(statistics=stored)
    assert rows.count() == len(assessment_demo.FIRE_SLOTS) - 1  # the first is a description: nothing to answer
    assert all(r.discrimination is not None and r.discrimination > 0 for r in rows)
    assert 0.5 < stored.summary["alpha"] / 100 < 1

    # A second seed adds nothing.
    first = counts()
    with django_capture_on_commit_callbacks(execute=True):
        assert "Demo data already present" in run()
    assert counts() == first
    assert course.versions.count() == 2
