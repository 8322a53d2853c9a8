"""Quiz attempts: one `Attempt` per try of a quiz activity by a person, one `QuestionAnswer` per slot of it, and
per-person `QuizOverride`s (extra time, extra attempts, other dates).

A quiz is an activity of a course version (`course`, `version_id`, `activity_uid`); its settings are copied into
the attempt when it starts (`settings`), so a quiz changed by a later version never changes a running attempt.
The deadline is computed by the server at start (`deadline`) and is the only clock answers are checked against.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from syllabus.core.models import TenantModel
from syllabus.core.tenancy import TenantManager


class AttemptState(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    FINISHED = "finished", _("Finished")
    # Finished, some answers (essays) wait for a grader: the grade is not final.
    NEEDS_GRADING = "needs_grading", _("Waiting for grading")
    # Left unfinished past the close date with "never submitted" behaviour; never counted.
    ABANDONED = "abandoned", _("Never submitted")


class Attempt(TenantModel):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="quiz_attempts")
    course = models.ForeignKey("catalog.Course", on_delete=models.CASCADE, related_name="quiz_attempts")
    version = models.ForeignKey("catalog.CourseVersion", null=True, on_delete=models.PROTECT, related_name="+")
    activity_uid = models.UUIDField(db_index=True)
    number = models.PositiveIntegerField()
    state = models.CharField(max_length=20, choices=AttemptState.choices, default=AttemptState.IN_PROGRESS)
    # True while the course team tries its own quiz (no enrollment): never counted or reported.
    preview = models.BooleanField(default=False)
    # The quiz's settings as they were at start (the kind's config without its slots): behaviour, review options...
    settings = models.JSONField(default=dict)
    # Pages of slot numbers in the order shown: [[1, 2], [3]].
    layout = models.JSONField(default=list)
    started_at = models.DateTimeField()
    # When answers stop counting (time limit or close date, overrides applied); None: no limit.
    deadline = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Where the learner was (page index), to resume there.
    current_page = models.PositiveIntegerField(default=0)
    marks = models.DecimalField(max_digits=10, decimal_places=5, null=True, blank=True)
    max_marks = models.DecimalField(max_digits=10, decimal_places=5, default=0)
    # marks / max_marks as a percentage (0..100), None until every answer is graded.
    grade = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)
    submitted_late = models.BooleanField(default=False)
    # Bumped on every write, so a stale tab cannot overwrite a newer save.
    revision = models.PositiveIntegerField(default=0)

    objects = TenantManager()

    class Meta:
        ordering = ["course_id", "activity_uid", "user_id", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "activity_uid", "user", "number", "preview"], name="attempt_number_unique"
            ),
            # At most one open attempt per person and quiz (two tabs pressing Start get the same one).
            models.UniqueConstraint(
                fields=["course", "activity_uid", "user", "preview"],
                condition=Q(state="in_progress"),
                name="attempt_one_open",
            ),
        ]
        indexes = [
            models.Index(fields=["course", "activity_uid", "state"], name="attempt_quiz_state"),
            models.Index(fields=["state", "deadline"], name="attempt_state_deadline"),
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.user_id} on {self.activity_uid}"

    @property
    def is_open(self) -> bool:
        return self.state == AttemptState.IN_PROGRESS


class AnswerState(models.TextChoices):
    TODO = "todo", _("Not yet answered")
    SAVED = "saved", _("Answer saved")
    # After submission:
    RIGHT = "right", _("Correct")
    PARTIAL = "partial", _("Partially correct")
    WRONG = "wrong", _("Incorrect")
    GAVE_UP = "gave_up", _("Not answered")
    NEEDS_GRADING = "needs_grading", _("Requires grading")
    MANUALLY_GRADED = "manually_graded", _("Graded")
    # A description: nothing to answer.
    INFO = "info", _("Information")


class QuestionAnswer(models.Model):
    """One slot of an attempt: the question version drawn for it, the variant (option order, calculated values),
    the latest response, and its grade. `history` keeps every save, try and manual grade in order."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    slot = models.PositiveIntegerField()
    question_version = models.ForeignKey("assessment.QuestionVersion", on_delete=models.PROTECT, related_name="answers")
    max_mark = models.DecimalField(max_digits=7, decimal_places=3)
    # Drawn at start by the type (question_types/base.py `start`): shuffled option ids, calculated values...
    variant = models.JSONField(default=dict, blank=True)
    response = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=20, choices=AnswerState.choices, default=AnswerState.TODO)
    # 0..1 (or None while ungraded); the mark is fraction × max_mark minus interactive penalties.
    fraction = models.DecimalField(max_digits=8, decimal_places=7, null=True, blank=True)
    mark = models.DecimalField(max_digits=10, decimal_places=5, null=True, blank=True)
    # Interactive behaviour: tries used so far and the penalty they carry (each wrong try costs `penalty`).
    tries = models.PositiveSmallIntegerField(default=0)
    penalty = models.DecimalField(max_digits=8, decimal_places=7, default=0)
    # Interactive behaviour: the slot is settled (right, or out of tries); its response can no longer change.
    locked = models.BooleanField(default=False)
    feedback = models.JSONField(default=list, blank=True)  # the type's feedback for the graded response
    comment = models.TextField(blank=True)  # a grader's comment (manual grading)
    graded_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    graded_at = models.DateTimeField(null=True, blank=True)
    saved_at = models.DateTimeField(null=True, blank=True)
    # [{"at": iso, "kind": "save"|"try"|"submit"|"manual"|"regrade", "response": {...}, "fraction": "0.5", "by": id}]
    history = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["attempt_id", "slot"]
        constraints = [models.UniqueConstraint(fields=["attempt", "slot"], name="answer_slot_unique")]
        indexes = [models.Index(fields=["state"], name="answer_state")]

    def __str__(self) -> str:
        return f"slot {self.slot} of attempt {self.attempt_id}"


class QuizOverride(TenantModel):
    """Different rules for one person on one quiz: extra time, more attempts, other dates, no password. Audited."""

    course = models.ForeignKey("catalog.Course", on_delete=models.CASCADE, related_name="quiz_overrides")
    activity_uid = models.UUIDField()
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="quiz_overrides")
    time_limit_minutes = models.PositiveIntegerField(null=True, blank=True)
    extra_attempts = models.PositiveIntegerField(default=0)
    opens_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    skip_password = models.BooleanField(default=False)
    reason = models.CharField(max_length=500)
    created_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")

    objects = TenantManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["course", "activity_uid", "user"], name="quiz_override_unique"),
        ]

    def __str__(self) -> str:
        return f"override for {self.user_id} on {self.activity_uid}"
