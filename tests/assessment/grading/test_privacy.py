"""A person's quiz data: the export (attempts, answers in words, grades, comments, overrides) and the erasure
(grades kept, essay text, graders' comments and override reasons gone); and quiz attempts as learner records that
keep a course from being deleted."""

from __future__ import annotations

from decimal import Decimal

import pytest

from syllabus.assessment import learner_records, privacy
from syllabus.assessment.models import AnswerState, QuizOverride
from syllabus.assessment.services import attempts
from syllabus.audit.models import AuditRecord
from syllabus.catalog import learner_records as catalog_learner_records
from tests.assessment.conftest import NOW
from tests.assessment.grading.conftest import ESSAY_TEXT, Graded

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(graded: Graded):  # type: ignore[no-untyped-def]
    """Lena took the quiz twice (the first essay graded with a comment) and has an override."""
    first = graded.take(right=True)
    attempts.answer_grade(
        answer=graded.essay_answer(first), mark="3", comment="<p>Lena mixes up <em>heat</em> and fuel.</p>",
        by=graded.qw.owner, now=NOW,
    )  # fmt: skip
    second = graded.take(right=False, essay="My manager never explained this.")
    attempts.override_set(
        course=graded.course, activity_uid=graded.uid, user=graded.qw.learner, by=graded.qw.owner,
        reason="Dyslexia: extra time agreed", time_limit_minutes=90,
    )  # fmt: skip
    return first, second


def test_the_export_holds_every_attempt_with_its_answers_in_words(graded: Graded, history) -> None:
    data = privacy.export_person(graded.qw.learner, graded.qw.world.org)
    first, second = data["quiz_attempts"]
    assert (first["course"], first["quiz"], first["attempt"], first["state"]) == (
        "Fire safety", "Fire quiz", 1, "finished",
    )  # fmt: skip
    assert (first["grade"], first["passed"], first["marks"], first["max_marks"]) == (
        "80.00",
        True,
        "4.00000",
        "5.00000",
    )
    assert [(a["question"], a["response"], a["mark"]) for a in first["answers"]] == [
        ("Fire triangle", "True", "1.00000"),
        ("Explain the fire triangle", ESSAY_TEXT, "3.00000"),
    ]
    assert first["answers"][1]["grader_comment"] == "Lena mixes up heat and fuel."
    assert second["state"] == "needs_grading" and second["grade"] is None
    [override] = data["quiz_overrides"]
    assert (override["reason"], override["time_limit_minutes"]) == ("Dyslexia: extra time agreed", 90)


def test_the_export_for_another_organisation_is_empty(graded: Graded, history) -> None:
    assert privacy.export_person(graded.qw.learner, graded.qw.world.other_org) == {
        "assignment_submissions": [], "quiz_attempts": [], "quiz_overrides": [],
    }  # fmt: skip


def test_erasure_keeps_the_grades_and_clears_the_free_text(graded: Graded, history) -> None:
    first, second = history
    privacy.erase_person(graded.qw.learner, graded.qw.world.org_admin.user)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.grade, first.passed, second.state) == (Decimal("80.00"), True, "needs_grading")
    essay = graded.essay_answer(first)
    assert essay.response == {} and essay.comment == ""
    assert (essay.mark, essay.state) == (Decimal("3"), AnswerState.MANUALLY_GRADED)
    assert all("response" not in entry for entry in essay.history)
    assert [entry["kind"] for entry in essay.history] == ["save", "submit", "manual"]
    assert graded.essay_answer(second).response == {}
    # A choice is the assessment record itself: it stays.
    assert first.answers.get(slot=1).response == {"answer": True}
    assert QuizOverride.objects.get().reason == ""
    record = AuditRecord.objects.get(action="assessment.person_erased")
    assert record.after == {"responses": 2, "comments": 1, "overrides": 1}
    exported = privacy.export_person(graded.qw.learner, None)
    assert "manager" not in str(exported) and "Dyslexia" not in str(exported) and "mixes up" not in str(exported)


def test_erasing_someone_without_quiz_data_records_nothing(graded: Graded) -> None:
    privacy.erase_person(graded.qw.world.engineer.user, graded.qw.world.org_admin.user)
    assert not AuditRecord.objects.filter(action="assessment.person_erased").exists()


def test_erasing_twice_changes_nothing_more(graded: Graded, history) -> None:
    privacy.erase_person(graded.qw.learner, graded.qw.world.org_admin.user)
    privacy.erase_person(graded.qw.learner, graded.qw.world.org_admin.user)
    assert AuditRecord.objects.filter(action="assessment.person_erased").count() == 1


def test_quiz_attempts_are_learner_records_and_previews_are_not(graded: Graded, monkeypatch) -> None:
    course = graded.course
    attempts.attempt_start(
        user=graded.qw.owner, course=course, version=None, activity=graded.quiz, preview=True, now=NOW
    )
    assert learner_records.has_quiz_attempts(course.pk) is False
    graded.qw.start(graded.quiz)
    assert learner_records.has_quiz_attempts(course.pk) is True
    monkeypatch.setattr(catalog_learner_records, "_checkers", [])
    catalog_learner_records.register(learner_records.has_quiz_attempts)
    assert catalog_learner_records.exist(course.pk) is True
