"""Compliance programs, who must do them (assignments), the append-only status ledger, exemptions and signatures.

One person's standing in a program is always derivable from facts (their assignment, the completions that count,
exemptions, extensions) by `standing.compute`; `Assignment` keeps the result of the last evaluation so dashboards
read one indexed table, and `StatusChange` keeps every change with the day it took effect, so "who was compliant
on 31 March" is answered from the ledger, never from today's state.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from syllabus.core.models import TenantModel
from syllabus.core.tenancy import TenantManager


class ProgramStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    ARCHIVED = "archived", _("Archived")


class Requirement(models.TextChoices):
    COURSE = "course", _("One course")
    ANY = "any", _("Any one of several equivalent courses")
    ALL = "all", _("All of a set of courses")
    ACKNOWLEDGEMENT = "acknowledgement", _("An acknowledgement of a statement")


class DueRule(models.TextChoices):
    FIXED = "fixed", _("On a fixed date")
    AFTER_ASSIGNMENT = "after_assignment", _("Days after the person is assigned")
    AFTER_HIRE = "after_hire", _("Days after the person's hire date")


class Anchor(models.TextChoices):
    COMPLETION = "completion", _("The date of completion")
    DUE_DATE = "due_date", _("The previous due date (a fixed calendar)")


class StatusCode(models.TextChoices):
    NOT_YET_DUE = "not_yet_due", _("Not yet due")
    DUE_SOON = "due_soon", _("Due soon")
    OVERDUE = "overdue", _("Overdue")
    COMPLIANT = "compliant", _("Compliant")
    EXPIRED = "expired", _("Expired")
    EXEMPT = "exempt", _("Exempt")
    # Ledger only: the person left the program's scope on that day.
    UNASSIGNED = "unassigned", _("No longer assigned")


# Statuses that count as "compliant" in reports (an exempt person is not in breach).
IN_GOOD_STANDING = (StatusCode.COMPLIANT, StatusCode.EXEMPT)


class Program(TenantModel):
    """A compliance program: who must (audience), what satisfies it, when it is due, whether it recurs.

    The schedule fields map one to one onto `due_dates.Schedule` (`schedule()` builds it). Reminder and
    escalation steps are counted in days relative to the due date of each person's current cycle.
    """

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(max_length=20, choices=ProgramStatus.choices, default=ProgramStatus.DRAFT)
    owner = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("owner")
    )
    audience = models.ForeignKey(
        "audiences.Audience", on_delete=models.RESTRICT, related_name="+", verbose_name=_("applies to")
    )
    # What satisfies it.
    requirement = models.CharField(
        _("satisfied by"), max_length=20, choices=Requirement.choices, default=Requirement.COURSE
    )
    min_score = models.DecimalField(_("minimum score (%)"), max_digits=5, decimal_places=2, null=True, blank=True)
    statement = models.TextField(_("statement to acknowledge"), blank=True)
    # When it is due.
    due_rule = models.CharField(_("due"), max_length=20, choices=DueRule.choices, default=DueRule.AFTER_ASSIGNMENT)
    due_on = models.DateField(_("due date"), null=True, blank=True)
    due_days = models.PositiveIntegerField(_("days"), null=True, blank=True)
    grace_days = models.PositiveIntegerField(_("grace period (days)"), default=0)
    due_soon_days = models.PositiveIntegerField(_("'due soon' from (days before the due date)"), default=30)
    # Whether it recurs.
    valid_months = models.PositiveIntegerField(_("valid for (months)"), null=True, blank=True)
    window_days = models.PositiveIntegerField(_("recertification opens (days before expiry)"), default=0)
    anchor = models.CharField(
        _("next cycle counted from"), max_length=20, choices=Anchor.choices, default=Anchor.COMPLETION
    )
    # A completion up to this many days before the assignment satisfies it (0: only completions after).
    lookback_days = models.PositiveIntegerField(_("prior completions count (days back)"), default=0)
    # Reminders and escalations.
    reminder_days = models.JSONField(_("reminders (days before the due date)"), default=list, blank=True)
    remind_on_due = models.BooleanField(_("remind on the due date"), default=True)
    overdue_every_days = models.PositiveIntegerField(_("remind overdue people every (days)"), default=7)
    escalate_manager_days = models.PositiveIntegerField(
        _("tell the manager after (days overdue)"), null=True, blank=True
    )
    escalate_officer_days = models.PositiveIntegerField(
        _("tell the compliance officer after (days overdue)"), null=True, blank=True
    )
    # Electronic signatures and gating.
    require_signature = models.BooleanField(_("completions must be signed"), default=False)
    signature_meaning = models.CharField(_("meaning of the signature"), max_length=300, blank=True)
    gating = models.BooleanField(_("send overdue people to it at sign-in"), default=False)
    enroll = models.BooleanField(_("enroll assigned people in the course"), default=True)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    activated_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every change that can move someone's status; the evaluation records which it applied.
    revision = models.PositiveIntegerField(default=1)
    # The revision under which every open assignment was last evaluated (by a run over everyone), so that a run
    # after an edit need not rewrite the assignments whose standing did not change (see `evaluation.py`).
    evaluated_revision = models.PositiveIntegerField(default=0, editable=False)
    last_evaluated_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = TenantManager["Program"]()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="program_name_unique_per_org"),
            models.CheckConstraint(
                condition=~Q(due_rule="fixed") | Q(due_on__isnull=False), name="program_fixed_has_date"
            ),
            models.CheckConstraint(
                condition=Q(due_rule="fixed") | Q(due_days__isnull=False), name="program_relative_has_days"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def recurs(self) -> bool:
        return self.valid_months is not None


class ProgramCourse(models.Model):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="program_courses")
    course = models.ForeignKey("catalog.Course", on_delete=models.RESTRICT, related_name="+")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["program", "course"], name="programcourse_once")]

    def __str__(self) -> str:
        return f"{self.program_id}: course {self.course_id}"


class Assignment(TenantModel):
    """One person's stay in one program's scope, with their current cycle as last evaluated.

    A person who leaves the audience is unassigned (`ended_at`), and one who comes back gets a new row; at most
    one open row per person and program. The current cycle's dates and status are written only by the
    evaluation (`evaluation.py`); earlier cycles move to `ClosedCycle`.
    """

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="assignments")
    membership = models.ForeignKey("accounts.Membership", on_delete=models.CASCADE, related_name="+")
    assigned_at = models.DateTimeField()
    assigned_on = models.DateField()  # in the organisation's time zone
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=200, blank=True)
    # The current cycle.
    cycle = models.PositiveIntegerField(default=1)
    opened_on = models.DateField()  # completions on or after this day count for this cycle
    due_on = models.DateField()
    original_due_on = models.DateField(null=True, blank=True)  # before an extension
    completed_on = models.DateField(null=True, blank=True)
    completion = models.ForeignKey(
        "progress.Completion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledgement = models.ForeignKey(
        "compliance.ProgramAcknowledgement", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    satisfied_by = models.JSONField(default=list, blank=True)  # ["completion:12", "completion:15", "ack:3"]
    expires_on = models.DateField(null=True, blank=True)
    exemption = models.ForeignKey(
        "compliance.Exemption", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=20, choices=StatusCode.choices)
    status_since = models.DateField()  # the day the current status took effect (as recorded in the ledger)
    status_until = models.DateField(null=True, blank=True)
    # The next day the status can change by time alone (None: never); the nightly run looks only at these.
    next_change_on = models.DateField(null=True, blank=True)
    # The revision of the program this row was last written under (0: never evaluated). A row left unchanged by a
    # run over everyone keeps its number: `Program.evaluated_revision` then says it is current (`evaluation.py`).
    evaluated_revision = models.PositiveIntegerField(default=0)
    evaluated_at = models.DateTimeField(null=True, blank=True)  # when an evaluation last wrote the row

    objects = TenantManager["Assignment"]()

    class Meta:
        ordering = ["program_id", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "membership"], condition=Q(ended_at__isnull=True), name="assignment_one_open"
            ),
        ]
        indexes = [
            models.Index(fields=["program", "status"], condition=Q(ended_at__isnull=True), name="assignment_status"),
            models.Index(fields=["program", "next_change_on"], name="assignment_next_change"),
            models.Index(fields=["membership", "ended_at"], name="assignment_person"),
            models.Index(
                fields=["program", "expires_on"], condition=Q(ended_at__isnull=True), name="assignment_expiry"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.membership_id} in program {self.program_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


class ClosedCycle(models.Model):
    """An earlier cycle of an assignment: completed and expired, or cut short when the person was unassigned."""

    class Outcome(models.TextChoices):
        EXPIRED = "expired", _("Completed, then expired")
        RENEWED = "renewed", _("Completed, then renewed")
        UNASSIGNED = "unassigned", _("Ended when the person was unassigned")

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="closed_cycles")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey("accounts.Membership", on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField()
    opened_on = models.DateField()
    due_on = models.DateField()
    original_due_on = models.DateField(null=True, blank=True)
    completed_on = models.DateField(null=True, blank=True)
    completion = models.ForeignKey(
        "progress.Completion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    satisfied_by = models.JSONField(default=list, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField()
    outcome = models.CharField(max_length=20, choices=Outcome.choices)

    class Meta:
        ordering = ["assignment_id", "number"]
        constraints = [models.UniqueConstraint(fields=["assignment", "number"], name="closedcycle_once")]
        indexes = [models.Index(fields=["program", "membership"], name="closedcycle_person")]

    def __str__(self) -> str:
        return f"cycle {self.number} of assignment {self.assignment_id}"


class StatusChange(models.Model):
    """The ledger: one row each time a person's status in a program changed. Append-only (never updated or
    deleted, except by the erasure of the whole organisation).

    `effective_on` is the day the status took effect — for changes by time alone (due soon, overdue, expired) the
    day it happened, even when the nightly run noticed later. A completion recorded late (external training
    approved weeks after the fact) takes effect on the day it was recorded, never earlier than the row before it:
    the ledger is not rewritten; the completion's own date is in `completed_on`.
    """

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="ledger")
    membership = models.ForeignKey("accounts.Membership", on_delete=models.CASCADE, related_name="+")
    effective_on = models.DateField()
    recorded_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=StatusCode.choices)
    cycle = models.PositiveIntegerField()
    due_on = models.DateField(null=True, blank=True)
    until = models.DateField(null=True, blank=True)
    completed_on = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=40)

    class Meta:
        ordering = ["assignment_id", "effective_on", "pk"]
        indexes = [
            models.Index(fields=["program", "effective_on"], name="statuschange_program_day"),
            models.Index(fields=["assignment", "effective_on"], name="statuschange_assignment"),
        ]

    def __str__(self) -> str:
        return f"{self.assignment_id}: {self.status} from {self.effective_on.isoformat()}"


class ProgramAcknowledgement(TenantModel):
    """A person acknowledged a program's statement (for programs satisfied by an acknowledgement)."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey("accounts.Membership", on_delete=models.CASCADE, related_name="+")
    cycle = models.PositiveIntegerField()
    statement = models.TextField()
    statement_digest = models.CharField(max_length=64)
    acknowledged_at = models.DateTimeField()
    signature = models.ForeignKey(
        "compliance.Signature", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = TenantManager["ProgramAcknowledgement"]()

    class Meta:
        ordering = ["-acknowledged_at"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "cycle"], name="programack_once_per_cycle"),
        ]

    def __str__(self) -> str:
        return f"{self.membership_id} acknowledged program {self.program_id}"


class Exemption(TenantModel):
    """A request to exempt someone from a program (until a date, or for good) or to extend their due date.
    Requested by the person or their manager, decided by a compliance officer; every step audited."""

    class Kind(models.TextChoices):
        EXEMPTION = "exemption", _("Exemption")
        EXTENSION = "extension", _("Extension of the due date")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for a decision")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        REVOKED = "revoked", _("Revoked")

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="exemptions")
    membership = models.ForeignKey("accounts.Membership", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    cycle = models.PositiveIntegerField()
    reason = models.TextField(_("reason"))
    # Exemption: last exempt day (None: no end). Extension: the new due date.
    ends_on = models.DateField(_("exempt until"), null=True, blank=True)
    extend_to = models.DateField(_("new due date"), null=True, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    requested_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    # An approval ended early by an officer: it stays a fact of the past (exempt until the day before).
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    revoke_reason = models.TextField(blank=True)
    signature = models.ForeignKey(
        "compliance.Signature", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = TenantManager["Exemption"]()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="extension") | Q(extend_to__isnull=False), name="exemption_extension_has_date"
            ),
        ]
        indexes = [models.Index(fields=["organization", "state"], name="exemption_state")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.membership_id} in program {self.program_id} ({self.state})"


class Signature(TenantModel):
    """An electronic signature (21 CFR Part 11 §11.50, §11.70): who signed, the meaning, when, how they proved it
    was them, and the SHA-256 of the exact record signed — so a later change to the record is detectable."""

    class Method(models.TextChoices):
        PASSWORD = "password", _("Password")
        TOTP = "totp", _("Authenticator code")
        RECOVERY_CODE = "recovery_code", _("Recovery code")

    user = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    membership = models.ForeignKey("accounts.Membership", on_delete=models.CASCADE, related_name="+")
    signer_name = models.CharField(max_length=200)  # printed name, as required in the signature's manifestation
    meaning = models.CharField(max_length=300)
    signed_at = models.DateTimeField()
    method = models.CharField(max_length=20, choices=Method.choices)
    record_type = models.CharField(max_length=60)  # "completion", "acknowledgement", "exemption"
    record_id = models.PositiveBigIntegerField()
    program = models.ForeignKey(Program, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    payload = models.JSONField()  # the canonical record that was hashed
    record_hash = models.CharField(max_length=64)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    objects = TenantManager["Signature"]()

    class Meta:
        ordering = ["-signed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["record_type", "record_id", "program", "membership"], name="signature_once_per_record"
            ),
        ]
        indexes = [models.Index(fields=["program", "membership"], name="signature_person")]

    def __str__(self) -> str:
        return f"{self.signer_name}: {self.meaning} ({self.record_type} {self.record_id})"
