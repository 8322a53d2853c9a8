"""Enrollments: who is enrolled in what, how they got there, and the summary of how far they are.

An enrollment is generic over what is enrolled in (`Enrollment.target`): today a course; learning paths and
compliance programs add one nullable foreign key each (see docs/decisions/0006-enrollment-progress.md). A row is never
deleted while it matters: withdrawing or declining ends it and a later enrollment is a new row, so history stays.

The progress summary (percent, last activity, time spent, score, completion) lives on the row itself, written by
the progress app through `enrollment.services`, so dashboards, participants and team pages read one table.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from syllabus.core.models import TenantModel, TimeStampedModel
from syllabus.core.tenancy import TenantManager


class Method(models.TextChoices):
    SELF = "self", _("Self-enrolled")
    MANAGER = "manager", _("Assigned by manager")
    INSTRUCTOR = "instructor", _("Enrolled by instructor")
    ADMIN = "admin", _("Enrolled by administrator")
    AUDIENCE = "audience", _("Audience rule")
    IMPORT = "import", _("Import")
    API = "api", _("API")
    COMPLIANCE = "compliance", _("Compliance program")
    PATH = "path", _("Learning path")


class Status(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    WAITLISTED = "waitlisted", _("On the waiting list")
    ACTIVE = "active", _("Enrolled")
    COMPLETED = "completed", _("Completed")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    DECLINED = "declined", _("Declined")
    # Completed, then replaced by a new enrollment to take the course again (a compliance recertification).
    RENEWED = "renewed", _("Completed (taken again since)")


# At most one enrollment in these states per person and target; ended ones are history.
LIVE_STATES = (Status.PENDING, Status.WAITLISTED, Status.ACTIVE, Status.COMPLETED)
# States in which a person may open the course and learn.
LEARNING_STATES = (Status.ACTIVE, Status.COMPLETED)


class SelfEnrollment(models.TextChoices):
    OPEN = "open", _("Anyone who can see the course may enroll")
    APPROVAL = "approval", _("People request a place; their manager or an instructor approves")
    CLOSED = "closed", _("Only by assignment")


class EnrollmentOptions(TimeStampedModel):
    """How people get into one course: self-enrollment, approval, capacity with a waiting list, a window and a key.
    A missing row means the defaults (open self-enrollment, no limit)."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    course = models.OneToOneField(
        "catalog.Course", null=True, blank=True, on_delete=models.CASCADE, related_name="enrollment_options"
    )
    self_enrollment = models.CharField(
        _("self-enrollment"), max_length=20, choices=SelfEnrollment.choices, default=SelfEnrollment.OPEN
    )
    # None: no limit. Seats are held by active and completed enrollments.
    capacity = models.PositiveIntegerField(_("places"), null=True, blank=True)
    waitlist = models.BooleanField(_("keep a waiting list when full"), default=True)
    # Maintained with conditional UPDATEs so two people can never take the last place at once. May exceed a
    # capacity lowered later: nobody new gets in until enough places free up.
    seats_taken = models.PositiveIntegerField(default=0, editable=False)
    opens_at = models.DateTimeField(_("self-enrollment opens"), null=True, blank=True)
    closes_at = models.DateTimeField(_("self-enrollment closes"), null=True, blank=True)
    # A shared secret the instructor hands out (empty: no key). Shown to the course team, so stored as typed.
    enrollment_key = models.CharField(_("enrollment key"), max_length=64, blank=True)
    # Days after enrollment a self-enrollment is due (None: no due date).
    default_due_days = models.PositiveIntegerField(_("due after (days)"), null=True, blank=True)

    class Meta:
        verbose_name_plural = "enrollment options"

    def __str__(self) -> str:
        return f"enrollment options of course {self.course_id}"


class Enrollment(TenantModel):
    membership = models.ForeignKey("accounts.Membership", on_delete=models.CASCADE, related_name="enrollments")
    # What is enrolled in: exactly one target foreign key is set (checked below). Later issues add theirs.
    course = models.ForeignKey("catalog.Course", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rule = models.ForeignKey(
        "enrollment.EnrollmentRule", null=True, blank=True, on_delete=models.SET_NULL, related_name="enrollments"
    )
    # The course version this person learns; a new minor version moves them, a major one does not.
    version = models.ForeignKey(
        "catalog.CourseVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    enrolled_at = models.DateTimeField(null=True, blank=True)  # when it became active
    status_changed_at = models.DateTimeField()
    # Request and decision (approval flow), and why it ended.
    request_note = models.TextField(_("note to the approver"), blank=True)
    decided_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    # Progress summary, kept by the progress app (monotonic: never goes down except by an audited reset).
    progress_percent = models.PositiveSmallIntegerField(default=0)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    last_activity_uid = models.UUIDField(null=True, blank=True)
    time_spent_seconds = models.PositiveIntegerField(default=0)
    score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)  # percent
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = TenantManager["Enrollment"]()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(course__isnull=False), name="enrollment_has_one_target"),
            models.UniqueConstraint(
                fields=["membership", "course"],
                condition=Q(status__in=["pending", "waitlisted", "active", "completed"]),
                name="enrollment_one_live_per_course",
            ),
        ]
        indexes = [
            models.Index(fields=["course", "status"], name="enrollment_course_status"),
            models.Index(fields=["membership", "status"], name="enrollment_member_status"),
            models.Index(fields=["organization", "status", "due_at"], name="enrollment_org_status_due"),
            # The participants table of a large course, page by page in enrollment order (its default statuses:
            # selectors_course.DEFAULT_STATES).
            models.Index(
                fields=["course", "id"],
                condition=Q(status__in=["active", "completed", "waitlisted"]),
                name="enrollment_course_listed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.membership_id} in course {self.course_id} ({self.status})"

    @property
    def target(self) -> Any:
        return self.course

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATES

    @property
    def can_learn(self) -> bool:
        return self.status in LEARNING_STATES


class EnrollmentRule(TenantModel):
    """Everyone in an audience is enrolled in a course; people who join later are enrolled when they join."""

    class DueFrom(models.TextChoices):
        NONE = "none", _("No due date")
        ENROLLMENT = "enrollment", _("Days after enrollment")
        HIRE = "hire", _("Days after hire date")

    class OnLeave(models.TextChoices):
        KEEP = "keep", _("Keep their enrollment")
        WITHDRAW = "withdraw", _("Withdraw them (unless completed)")

    course = models.ForeignKey("catalog.Course", on_delete=models.CASCADE, related_name="+")
    audience = models.ForeignKey("audiences.Audience", on_delete=models.RESTRICT, related_name="+")
    due_from = models.CharField(_("due date"), max_length=20, choices=DueFrom.choices, default=DueFrom.NONE)
    due_days = models.PositiveIntegerField(_("days"), null=True, blank=True)
    on_leave = models.CharField(
        _("when someone leaves the audience"), max_length=20, choices=OnLeave.choices, default=OnLeave.KEEP
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_applied_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = TenantManager["EnrollmentRule"]()

    class Meta:
        ordering = ["course_id", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["course", "audience"], name="enrollmentrule_one_per_course_audience"),
            models.CheckConstraint(
                condition=Q(due_from="none") | Q(due_days__isnull=False), name="enrollmentrule_due_days_when_due"
            ),
        ]

    def __str__(self) -> str:
        return f"audience {self.audience_id} -> course {self.course_id}"


class CourseGroup(TenantModel):
    """A group of participants of one course (per site, per trainer...)."""

    course = models.ForeignKey("catalog.Course", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=120)
    description = models.CharField(_("description"), max_length=500, blank=True)

    objects = TenantManager["CourseGroup"]()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["course", "name"], name="coursegroup_name_unique_per_course")]

    def __str__(self) -> str:
        return self.name


class GroupMember(models.Model):
    group = models.ForeignKey(CourseGroup, on_delete=models.CASCADE, related_name="members")
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="group_memberships")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "enrollment"], name="groupmember_once")]

    def __str__(self) -> str:
        return f"{self.enrollment_id} in {self.group_id}"


class CourseMessage(TenantModel):
    """A message an instructor sent to participants (kept: who was told what, when)."""

    course = models.ForeignKey("catalog.Course", on_delete=models.CASCADE, related_name="+")
    sender = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    recipient_count = models.PositiveIntegerField(default=0)
    recipients = models.ManyToManyField("accounts.Membership", related_name="+")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.subject
