"""grade_save, grades_release, submission_reopen and extensions: scores, late penalties, signals, audit, limits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from syllabus.assessment import rubric_scoring as rs
from syllabus.assessment.models import AssignmentExtension, FileRole, SubmissionGrade, SubmissionState
from syllabus.assessment.selectors_assignments import settings_for_submission
from syllabus.assessment.services import assignment_grading as svc
from syllabus.audit.models import AuditRecord
from tests.assessment.assignment_grading.conftest import DAY, DUE, AssignmentWorld, guide_grading, rubric_grading
from tests.factories import MembershipFactory, staff

pytestmark = pytest.mark.django_db


def save(aw: AssignmentWorld, sub: Any, **kw: Any) -> Any:
    kw.setdefault("filling", {})
    kw.setdefault("points", None)
    kw.setdefault("feedback", "")
    return svc.grade_save(by=aw.owner, submission=sub, settings=settings_for_submission(sub), **kw)


def test_a_rubric_grade_keeps_its_definition_and_numbers(aw: AssignmentWorld) -> None:
    uid = aw.publish(grading=rubric_grading(), pass_mark="70")
    sub = aw.submit(uid)
    grade = save(aw, sub, filling={"c1": {"level": "c1-l3", "remark": "Great"}, "c2": {"level": "c2-l1"}},
                 feedback="<p>Well <script>x</script>done</p>")  # fmt: skip
    # 10 + 2 = 12 of 17.5 = 68.57 %: below the pass mark of 70
    assert (grade.raw_points, grade.points, grade.max_points) == (Decimal(12), Decimal(12), Decimal("17.5"))
    assert grade.percent == Decimal("68.57") and grade.passed is False
    assert grade.definition["criteria"][0]["id"] == "c1" and grade.method == "rubric"
    assert "script" not in grade.feedback and grade.released is False
    record = AuditRecord.objects.get(action="assessment.submission_graded")
    assert record.after["percent"] == "68.57" and "remark" not in str(record.after)


def test_a_guide_grade_refuses_a_missing_mark_naming_the_criterion(aw: AssignmentWorld) -> None:
    uid = aw.publish(grading=guide_grading(), pass_mark=None)
    sub = aw.submit(uid)
    with pytest.raises(ValidationError) as caught:
        save(aw, sub, filling={"g1": {"mark": "8"}})
    assert caught.value.message_dict == {"g2": [rs.MARK_REQUIRED.format(criterion="Style")]}
    grade = save(aw, sub, filling={"g1": {"mark": "8.5", "comment": "Sharp"}, "g2": {"mark": "4"}})
    assert (grade.points, grade.percent, grade.passed) == (Decimal("12.5"), Decimal("83.33"), None)


@pytest.mark.parametrize(
    ("late", "penalty"),
    [
        (0, "0"),  # on time
        (1, "10"),  # one second late: a started day
        (DAY, "10"),  # exactly one day
        (DAY + 1, "20"),  # into the second day
        (10 * DAY, "35"),  # capped at max_percent
    ],
)
def test_the_late_penalty_is_per_started_day_capped(aw: AssignmentWorld, late: int, penalty: str) -> None:
    uid = aw.publish(due_at=DUE, late_penalty={"percent_per_day": "10", "max_percent": "35"})
    sub = aw.submit(uid, late_seconds=late)
    grade = save(aw, sub, points="80")
    assert grade.penalty_points == Decimal(penalty)
    assert grade.points == Decimal(80) - Decimal(penalty)


def test_the_penalty_never_takes_points_below_zero(aw: AssignmentWorld) -> None:
    uid = aw.publish(due_at=DUE, late_penalty={"percent_per_day": "50", "max_percent": "100"})
    grade = save(aw, aw.submit(uid, late_seconds=3 * DAY), points="30")
    assert (grade.penalty_points, grade.points, grade.percent) == (Decimal(100), Decimal(0), Decimal(0))


def test_an_extension_lifts_the_late_penalty_of_a_released_grade_and_is_heard(
    aw: AssignmentWorld, signals: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    uid = aw.publish(due_at=DUE, late_penalty={"percent_per_day": "10", "max_percent": "50"})
    sub = aw.submit(uid, late_seconds=2 * DAY - 60)
    with django_capture_on_commit_callbacks(execute=True):
        grade = save(aw, sub, points="90", release=True)
    assert grade.points == Decimal(70) and [s.data["score"] for s in signals] == ["70.00", "70.00"]
    signals.clear()
    with django_capture_on_commit_callbacks(execute=True):
        svc.extension_set(by=aw.owner, course=aw.course, activity_uid=uid, user=aw.learner,
                          due_at=DUE + dt.timedelta(days=2), reason="Medical note")  # fmt: skip
    sub.refresh_from_db()
    sub.grade.refresh_from_db()
    assert sub.late_seconds == 0 and sub.grade.points == Decimal(90)
    assert [(s.signal, s.data["score"]) for s in signals] == [("graded", "90.00"), ("passed", "90.00")]
    # Removed again: late as before.
    with django_capture_on_commit_callbacks(execute=True):
        svc.extension_remove(by=aw.owner, extension=AssignmentExtension.objects.get(), reason="Note withdrawn")
    sub.refresh_from_db()
    sub.grade.refresh_from_db()
    assert sub.late_seconds == 2 * DAY - 60 and sub.grade.points == Decimal(70)
    assert (
        AuditRecord.objects.filter(action__in=["assessment.extension_set", "assessment.extension_removed"]).count() == 2
    )


def test_release_emits_once_and_a_change_after_release_emits_again(
    aw: AssignmentWorld, signals: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    uid = aw.publish()
    sub = aw.submit(uid)
    with django_capture_on_commit_callbacks(execute=True):
        save(aw, sub, points="40")
    assert signals == []  # not released: nobody hears
    with django_capture_on_commit_callbacks(execute=True):
        assert svc.grades_release(by=aw.owner, course=aw.course, activity_uid=uid, submission_ids=[sub.pk]) == 1
        assert svc.grades_release(by=aw.owner, course=aw.course, activity_uid=uid, submission_ids=[sub.pk]) == 0
    assert [(s.signal, s.kind, s.data) for s in signals] == [
        ("graded", "assignment", {"score": "40.00", "scale": "percent", "replace": True, "passed": False})
    ]
    signals.clear()
    with django_capture_on_commit_callbacks(execute=True):
        save(aw, sub, points="40", feedback="Same grade, more words")
    assert signals == []  # unchanged: nothing new to hear
    with django_capture_on_commit_callbacks(execute=True):
        save(aw, sub, points="60")
    assert [(s.signal, s.data["score"]) for s in signals] == [("graded", "60.00"), ("passed", "60.00")]
    assert AuditRecord.objects.filter(action="assessment.grades_released").count() == 1


def test_release_is_one_audit_summary_and_skips_other_assignments(aw: AssignmentWorld) -> None:
    uid = aw.publish()
    other = aw.publish(title="Other")
    subs = [aw.submit(uid, aw.learner_named(f"P{i}").user) for i in range(3)]
    foreign = aw.submit(other)
    for sub in [*subs, foreign]:
        save(aw, sub, points="50")
    count = svc.grades_release(
        by=aw.owner, course=aw.course, activity_uid=uid, submission_ids=[s.pk for s in subs] + [foreign.pk]
    )
    assert count == 3
    foreign.grade.refresh_from_db()
    assert foreign.grade.released is False
    record = AuditRecord.objects.get(action="assessment.grades_released")
    assert record.summary["count"] == 3
    with pytest.raises(ValidationError):
        svc.grades_release(by=aw.owner, course=aw.course, activity_uid=uid, submission_ids="1,2")


def test_drafts_cannot_be_graded(aw: AssignmentWorld) -> None:
    uid = aw.publish()
    with pytest.raises(ValidationError, match="draft"):
        save(aw, aw.submit(uid, state=SubmissionState.DRAFT), points="1")


def test_feedback_files_are_stored_and_dangerous_ones_refused(aw: AssignmentWorld) -> None:
    uid = aw.publish()
    sub = aw.submit(uid)
    with pytest.raises(ValidationError) as caught:
        save(aw, sub, points="1", feedback_files=[SimpleUploadedFile("x.html", b"<script>")])
    assert "feedback_files" in caught.value.message_dict
    with pytest.raises(ValidationError):
        save(aw, sub, points="1", feedback_files=[SimpleUploadedFile("big.pdf", b"x" * (1024 * 1024 + 1))])
    save(aw, sub, points="1", feedback_files=[SimpleUploadedFile("../../notes.pdf", b"%PDF-1.4")])
    stored = sub.files.get()
    assert (stored.role, stored.name, stored.uploaded_by) == (FileRole.FEEDBACK, "notes.pdf", aw.owner)
    assert len(stored.sha256) == 64


def test_feedback_files_of_a_save_that_fails_are_not_left_in_storage(
    aw: AssignmentWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    uid = aw.publish()
    sub = aw.submit(uid)
    written: list[str] = []
    real_store = svc._store_file

    def store(*args: Any) -> Any:
        row = real_store(*args)
        written.append(row.file.name)
        return row

    def audit_fails(**_: Any) -> None:
        raise RuntimeError("the audit trail is down")

    monkeypatch.setattr(svc, "_store_file", store)
    monkeypatch.setattr(svc, "audit_record", audit_fails)
    with pytest.raises(RuntimeError):
        save(aw, sub, points="1", feedback_files=[SimpleUploadedFile("notes.pdf", b"%PDF-1.4")])
    assert written and not default_storage.exists(written[0])
    assert not sub.files.exists() and not SubmissionGrade.objects.filter(submission=sub).exists()


def test_reopen_needs_on_request_and_attempts_left(aw: AssignmentWorld) -> None:
    none = aw.publish(title="No resubmission")
    with pytest.raises(ValidationError, match="no resubmissions"):
        svc.submission_reopen(by=aw.owner, submission=aw.submit(none), reason="Try again")
    uid = aw.publish(resubmission="on_request", max_attempts=2)
    first = aw.submit(uid)
    with pytest.raises(ValidationError) as caught:
        svc.submission_reopen(by=aw.owner, submission=first, reason="  ")
    assert caught.value.message_dict == {"reason": [svc.REASON_REQUIRED]}
    reopened = svc.submission_reopen(by=aw.owner, submission=first, reason="Missing appendix")
    assert reopened.state == SubmissionState.REOPENED
    with pytest.raises(ValidationError, match="Only a submitted"):
        svc.submission_reopen(by=aw.owner, submission=first, reason="Again")
    second = aw.submit(uid, number=2)
    with pytest.raises(ValidationError, match="all 2 attempts"):
        svc.submission_reopen(by=aw.owner, submission=second, reason="Once more")
    assert AuditRecord.objects.filter(action="assessment.submission_reopened").count() == 1


def test_extension_rules(aw: AssignmentWorld) -> None:
    uid = aw.publish(due_at=DUE)
    outsider = MembershipFactory(organization=aw.world.org)  # not enrolled
    with pytest.raises(ValidationError) as caught:
        svc.extension_set(
            by=aw.owner,
            course=aw.course,
            activity_uid=uid,
            user=outsider.user,
            due_at=DUE - dt.timedelta(hours=1),
            cutoff_at=DUE - dt.timedelta(hours=2),
            reason="",
        )
    assert set(caught.value.message_dict) == {"user", "due_at", "cutoff_at", "reason"}
    ext = svc.extension_set(by=aw.owner, course=aw.course, activity_uid=uid, user=aw.learner,
                            due_at=DUE + dt.timedelta(days=3), reason="Sick")  # fmt: skip
    again = svc.extension_set(
        by=aw.owner,
        course=aw.course,
        activity_uid=uid,
        user=aw.learner,
        due_at=DUE + dt.timedelta(days=5),
        cutoff_at=DUE + dt.timedelta(days=6),
        reason="Longer",
    )
    assert ext.pk == again.pk and AssignmentExtension.objects.count() == 1
    record = AuditRecord.objects.filter(action="assessment.extension_set").order_by("-seq").first()
    assert record is not None and record.before["due_at"].startswith("2026-03-04")


def test_people_off_the_team_cannot_grade_release_reopen_or_extend(aw: AssignmentWorld) -> None:
    uid = aw.publish(resubmission="on_request")
    sub = aw.submit(uid)
    for who in (aw.world.learner.user, aw.world.engineer.user, aw.world.outsider.user):
        with pytest.raises(PermissionDenied):
            svc.grade_save(by=who, submission=sub, settings=settings_for_submission(sub), filling={}, points="1",
                           feedback="")  # fmt: skip
        with pytest.raises(PermissionDenied):
            svc.grades_release(by=who, course=aw.course, activity_uid=uid, submission_ids=[sub.pk])
        with pytest.raises(PermissionDenied):
            svc.submission_reopen(by=who, submission=sub, reason="x")
        with pytest.raises(PermissionDenied):
            svc.extension_set(by=who, course=aw.course, activity_uid=uid, user=aw.learner,
                              due_at=DUE + dt.timedelta(days=1), reason="x")  # fmt: skip
    helper = MembershipFactory(organization=aw.world.org, user__display_name="Tia Teaching")
    staff(aw.course, helper, "instructor")
    grade = svc.grade_save(by=helper.user, submission=sub, settings=settings_for_submission(sub), filling={},
                           points="1", feedback="")  # fmt: skip
    assert grade.grader == helper.user
