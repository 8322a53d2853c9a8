"""`manage.py seed_demo`, the gradebook part: Northwind's letter scale and the gradebook of "Safety assessments"
(categories, a manual item with entries, an override with its reason, the course totals). One seed of the two steps
it needs (assessment, then grades) checked at once, then seeded again: nothing is added."""

from __future__ import annotations

import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command

from syllabus.audit.models import AuditRecord
from syllabus.catalog.models import Course
from syllabus.core import demo
from syllabus.grades import demo as grades_demo
from syllabus.grades.models import (
    CourseGrade,
    Grade,
    GradebookSettings,
    GradeCategory,
    GradeChange,
    GradeItem,
    ItemSource,
    LetterScale,
)
from syllabus.progress import services as progress_services

MODELS = (LetterScale, GradebookSettings, GradeCategory, GradeItem, Grade, GradeChange)


@pytest.fixture
def two_steps(settings: Any) -> Iterator[None]:
    """seed_demo with the assessment and grades steps alone, in their registered order."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    names = [step.name for step in demo.steps()]
    assert names.index("assessment") < names.index("grades")
    wanted = [step for step in demo.steps() if step.name in {"assessment", "grades"}]
    with demo.suspended():
        for step in wanted:
            demo.register(step.name, step.run, reset=step.reset)
        yield


def run() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model._default_manager.count() for model in MODELS}


@pytest.mark.django_db
@pytest.mark.usefixtures("two_steps")
def test_the_safety_assessments_gradebook_is_set_up_graded_and_seeded_once(
    django_capture_on_commit_callbacks: Any,
) -> None:
    progress_services._requirements.cache_clear()
    with django_capture_on_commit_callbacks(execute=True):
        out = run()
    assert "the gradebook of Safety assessments" in out
    course = Course.objects.get(title=grades_demo.COURSE)

    # Amara's letters, the organisation's default; Marcus's setup.
    scale = LetterScale.objects.get(name=grades_demo.SCALE)
    assert scale.is_default and scale.organization_id == course.organization_id
    assert [(b["letter"], Decimal(b["min"])) for b in scale.bands] == [
        ("A", 90), ("B", 80), ("C", 70), ("D", 60), ("F", 0)
    ]  # fmt: skip
    gradebook = GradebookSettings.objects.get(course=course)
    assert (gradebook.display, gradebook.pass_mark) == ("percent", Decimal(60))
    categories = {c.name: c.weight for c in GradeCategory.objects.filter(course=course)}
    assert categories == {"Quizzes": Decimal(60), "Assignments": Decimal(40)}
    items = {i.name: i for i in GradeItem.objects.filter(course=course).select_related("category")}
    assert {name: (i.kind, i.category.name if i.category else None) for name, i in items.items()} == {
        "Fire safety knowledge check": ("quiz", "Quizzes"),
        "Clinical safety quiz": ("quiz", "Quizzes"),
        "Incident report": ("assignment", "Assignments"),
        grades_demo.DRILL: ("", "Assignments"),
    }
    assert items[grades_demo.DRILL].source == ItemSource.MANUAL

    # The drill marks, entered by Marcus with feedback; each a change in the history.
    drill = Grade.objects.filter(item=items[grades_demo.DRILL]).select_related("user")
    assert {g.user.email: g.raw for g in drill} == {
        email: Decimal(percent) for email, (percent, _feedback) in grades_demo.DRILL_MARKS.items()
    }
    assert all(g.feedback and g.changes.filter(by__email=grades_demo.MARCUS).exists() for g in drill)

    # Kwame's clinical quiz: overridden with the reason, audited, in the history.
    kwame = Grade.objects.get(item=items["Clinical safety quiz"], user__email=grades_demo.KWAME)
    assert (kwame.override, kwame.final) == (Decimal(80), Decimal(80))
    assert kwame.override_reason == grades_demo.OVERRIDE_REASON
    assert kwame.changes.get(source="override").reason == grades_demo.OVERRIDE_REASON
    assert AuditRecord.objects.filter(action="grades.grade_overridden").count() == 1

    # The activities' grades arrived from their signals: released assignment grades only, quiz grades.
    incident = Grade.objects.filter(item=items["Incident report"], raw__isnull=False)
    assert incident.count() == 4  # the released ones (two graded are not released yet, one waits)
    assert Grade.objects.filter(item=items["Fire safety knowledge check"], raw__isnull=False).count() >= 40
    totals = CourseGrade.objects.filter(course=course, percent__isnull=False)
    assert totals.count() >= 40
    assert totals.filter(passed=True).exists() and totals.filter(passed=False).exists()

    # A second seed adds nothing.
    first = counts()
    with django_capture_on_commit_callbacks(execute=True):
        assert "Demo data already present" in run()
    assert counts() == first
