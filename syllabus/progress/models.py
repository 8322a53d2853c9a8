"""Progress: each learner's state per activity, course completions (the transcript) and external training.

Writes are idempotent and monotonic (progress/services.py): an activity goes not started -> in progress ->
completed and never back, except through an audited reset by the course team. Activity rows follow the
activity's stable uid, so they survive minor versions of the course.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from syllabus.core.models import TenantModel, TimeStampedModel
from syllabus.core.tenancy import TenantManager


class State(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")


class ActivityProgress(TenantModel):
    enrollment = models.ForeignKey("enrollment.Enrollment", on_delete=models.CASCADE, related_name="+")
    activity_uid = models.UUIDField()
    state = models.CharField(max_length=20, choices=State.choices, default=State.IN_PROGRESS)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    # The version the learner completed it in (the activity's content may differ in later minor versions).
    completed_version = models.ForeignKey(
        "catalog.CourseVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who marked it complete for the learner (None: the learner's own activity) and why.
    completed_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    completion_note = models.CharField(max_length=500, blank=True)
    # Signals seen so far, e.g. ["viewed", "watched"], and the best score (percent) / pass reported.
    signals = models.JSONField(default=list)
    score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    passed = models.BooleanField(null=True)
    time_spent_seconds = models.PositiveIntegerField(default=0)
    last_heartbeat_at = models.DateTimeField(null=True, blank=True)

    objects = TenantManager["ActivityProgress"]()

    class Meta:
        ordering = ["enrollment_id", "pk"]
        verbose_name_plural = "activity progress"
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "activity_uid"], name="activityprogress_once"),
        ]

    def __str__(self) -> str:
        return f"{self.enrollment_id}/{self.activity_uid}: {self.state}"


class CompletionSettings(TimeStampedModel):
    """When a course counts as completed, and for how long. A missing row: every required activity, no expiry."""

    class Rule(models.TextChoices):
        ALL_REQUIRED = "all_required", _("Every required activity is completed")
        N_ACTIVITIES = "n_activities", _("A number of activities are completed")
        MIN_SCORE = "min_score", _("Every required activity is completed and the final score reaches a minimum")

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    course = models.OneToOneField("catalog.Course", on_delete=models.CASCADE, related_name="completion_settings")
    rule = models.CharField(_("completed when"), max_length=20, choices=Rule.choices, default=Rule.ALL_REQUIRED)
    required_count = models.PositiveIntegerField(_("number of activities"), null=True, blank=True)
    min_score = models.DecimalField(_("minimum final score (%)"), max_digits=5, decimal_places=2, null=True, blank=True)
    # A completion expires this many days after it (None: never), e.g. yearly refreshers.
    valid_for_days = models.PositiveIntegerField(_("completion valid for (days)"), null=True, blank=True)

    class Meta:
        verbose_name_plural = "completion settings"
        constraints = [
            models.CheckConstraint(
                condition=~Q(rule="n_activities") | Q(required_count__gte=1), name="completion_n_needs_count"
            ),
            models.CheckConstraint(
                condition=~Q(rule="min_score") | Q(min_score__isnull=False), name="completion_min_score_needs_score"
            ),
        ]

    def __str__(self) -> str:
        return f"completion of course {self.course_id}: {self.rule}"


class Completion(TenantModel):
    """One line of a transcript: a course completed here, or approved external training. Never changed
    afterwards (a recompletion is a new row); pseudonymised, not deleted, on erasure."""

    class Source(models.TextChoices):
        COURSE = "course", _("Course")
        EXTERNAL = "external", _("External training")

    membership = models.ForeignKey("accounts.Membership", on_delete=models.CASCADE, related_name="completions")
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.COURSE)
    course = models.ForeignKey("catalog.Course", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    enrollment = models.OneToOneField(
        "enrollment.Enrollment", null=True, blank=True, on_delete=models.SET_NULL, related_name="completion"
    )
    version = models.ForeignKey(
        "catalog.CourseVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    external = models.OneToOneField(
        "progress.ExternalTraining", null=True, blank=True, on_delete=models.SET_NULL, related_name="completion"
    )
    # Kept as text so the transcript still reads right after a course is renamed or deleted.
    title = models.CharField(max_length=200)
    version_label = models.CharField(max_length=20, blank=True)
    provider = models.CharField(max_length=200, blank=True)
    completed_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    time_spent_seconds = models.PositiveIntegerField(default=0)
    # Set when the course team completed it on the learner's behalf.
    recorded_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = TenantManager["Completion"]()

    class Meta:
        ordering = ["-completed_at", "-pk"]
        indexes = [models.Index(fields=["membership", "-completed_at"], name="completion_member_date")]

    def __str__(self) -> str:
        return f"{self.membership_id} completed {self.title}"


class ExternalTraining(TenantModel):
    """Training a person took elsewhere, with evidence; their manager approves it into the transcript."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")

    membership = models.ForeignKey("accounts.Membership", on_delete=models.CASCADE, related_name="external_training")
    title = models.CharField(_("course title"), max_length=200)
    provider = models.CharField(_("provider"), max_length=200)
    completed_on = models.DateField(_("completed on"))
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=2, null=True, blank=True)
    score = models.DecimalField(_("score (%)"), max_digits=5, decimal_places=2, null=True, blank=True)
    description = models.TextField(_("notes"), blank=True)
    evidence = models.FileField(upload_to="external/%Y/%m/", max_length=300, blank=True)
    evidence_name = models.CharField(max_length=255, blank=True)
    evidence_type = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    objects = TenantManager["ExternalTraining"]()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title
