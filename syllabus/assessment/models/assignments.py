"""Assignments: what a learner hands in (`Submission`, with its `SubmissionFile`s), how it was graded
(`SubmissionGrade`: points, a rubric or a marking guide, feedback, released when the grader chooses) and per-person
`AssignmentExtension`s of the due and cut-off dates.

An assignment is an activity of a course version (`course`, `version`, `activity_uid`); its settings (due dates,
submission types, late penalty, the rubric or guide) live in the version's snapshot (`assignment_settings.py`). A
grade keeps a copy of the rubric or guide it was given against (`definition`), so a later version's rubric never
changes a grade already given.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from syllabus.core.models import TenantModel
from syllabus.core.tenancy import TenantManager


class SubmissionState(models.TextChoices):
    # Being written: the learner may change it; nobody grades it (unless the assignment needs no "submit" step).
    DRAFT = "draft", _("Draft")
    # Handed in for grading: the learner can no longer change it.
    SUBMITTED = "submitted", _("Submitted")
    # Handed back by a grader for another try: the learner's next submission is a new `number`.
    REOPENED = "reopened", _("Reopened for resubmission")


class Submission(TenantModel):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="assignment_submissions")
    course = models.ForeignKey("catalog.Course", on_delete=models.CASCADE, related_name="assignment_submissions")
    version = models.ForeignKey("catalog.CourseVersion", null=True, on_delete=models.PROTECT, related_name="+")
    activity_uid = models.UUIDField(db_index=True)
    # 1 for the first submission; a reopened submission's next try is number + 1.
    number = models.PositiveIntegerField(default=1)
    state = models.CharField(max_length=20, choices=SubmissionState.choices, default=SubmissionState.DRAFT)
    # The online text, sanitised HTML (catalog.richtext) or plain text, as the assignment asks.
    text = models.TextField(blank=True)
    word_count = models.PositiveIntegerField(default=0)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Seconds after the due date (the person's extension applied) it was submitted; 0 when on time.
    late_seconds = models.PositiveIntegerField(default=0)
    # The learner asked for another try (`reopen_requested_at`), with a note to the grader.
    reopen_requested_at = models.DateTimeField(null=True, blank=True)
    reopen_note = models.TextField(blank=True)
    # Bumped on every write, so a stale tab cannot overwrite a newer save.
    revision = models.PositiveIntegerField(default=0)

    objects = TenantManager()

    class Meta:
        ordering = ["course_id", "activity_uid", "user_id", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "activity_uid", "user", "number"], name="submission_number_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["course", "activity_uid", "state"], name="submission_assignment_state"),
        ]

    def __str__(self) -> str:
        return f"submission {self.number} of {self.user_id} on {self.activity_uid}"


class FileRole(models.TextChoices):
    SUBMISSION = "submission", _("Submitted by the learner")
    FEEDBACK = "feedback", _("Feedback from the grader")


class SubmissionFile(TenantModel):
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="files")
    role = models.CharField(max_length=20, choices=FileRole.choices, default=FileRole.SUBMISSION)
    file = models.FileField(upload_to="submissions/%Y/%m/", max_length=300)
    name = models.CharField(max_length=255)  # the name as uploaded, cleaned
    size = models.PositiveBigIntegerField(default=0)
    content_type = models.CharField(max_length=120, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    uploaded_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")

    objects = TenantManager()

    class Meta:
        ordering = ["submission_id", "role", "pk"]

    def __str__(self) -> str:
        return self.name


class GradingMethod(models.TextChoices):
    POINTS = "points", _("Points")
    RUBRIC = "rubric", _("Rubric")
    GUIDE = "guide", _("Marking guide")


class SubmissionGrade(TenantModel):
    submission = models.OneToOneField(Submission, on_delete=models.CASCADE, related_name="grade")
    method = models.CharField(max_length=10, choices=GradingMethod.choices, default=GradingMethod.POINTS)
    # The rubric or guide as it was when graded (assignment_settings' shape), so a later edit changes no grade.
    definition = models.JSONField(default=dict, blank=True)
    # What the grader chose: rubric {criterion id: {"level": level id, "remark": text}},
    # guide {criterion id: {"mark": "7.5", "comment": text}}; points: {}.
    filling = models.JSONField(default=dict, blank=True)
    # Points before the late penalty, the penalty taken, and the grade out of `max_points` after it.
    raw_points = models.DecimalField(max_digits=10, decimal_places=5, default=0)
    penalty_points = models.DecimalField(max_digits=10, decimal_places=5, default=0)
    points = models.DecimalField(max_digits=10, decimal_places=5, default=0)
    max_points = models.DecimalField(max_digits=10, decimal_places=5, default=0)
    percent = models.DecimalField(max_digits=6, decimal_places=2, default=0)  # points / max_points, 0..100
    passed = models.BooleanField(null=True, blank=True)  # None when the assignment has no pass mark
    feedback = models.TextField(blank=True)  # sanitised HTML
    grader = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    graded_at = models.DateTimeField()
    # Learners see a grade (and progress and the gradebook get it) only once released.
    released = models.BooleanField(default=False)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")

    objects = TenantManager()

    class Meta:
        ordering = ["submission_id"]
        indexes = [models.Index(fields=["released"], name="submission_grade_released")]

    def __str__(self) -> str:
        return f"{self.points}/{self.max_points} for {self.submission_id}"


class AssignmentExtension(TenantModel):
    """One person's own due date (and cut-off) for one assignment, with the reason (audited)."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey("catalog.Course", on_delete=models.CASCADE, related_name="+")
    activity_uid = models.UUIDField()
    due_at = models.DateTimeField()
    cutoff_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField()
    granted_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")

    objects = TenantManager()

    class Meta:
        ordering = ["course_id", "activity_uid", "user_id"]
        constraints = [
            models.UniqueConstraint(fields=["course", "activity_uid", "user"], name="assignment_extension_unique"),
            models.CheckConstraint(
                condition=Q(cutoff_at__isnull=True) | Q(cutoff_at__gte=models.F("due_at")),
                name="assignment_extension_cutoff_after_due",
            ),
        ]

    def __str__(self) -> str:
        return f"extension for {self.user_id} on {self.activity_uid}"
