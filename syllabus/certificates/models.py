"""Certificates: templates, what earns one (awards), the certificates issued, and the keys that sign their badges.

A certificate is issued once per completion that earns it (a course completion, a program cycle) and never changed
afterwards except for its state: a recompletion or recertification issues a new one and marks the old one
superseded; an officer may revoke one with a reason. "Expired" is not stored: it is read from `expires_at`.

Every certificate is also an Open Badges 3.0 credential (a VC-JWT signed with the organisation's current
`SigningKey`), kept in `credential` so what was issued can be shown and checked byte for byte later.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from syllabus.core.models import TenantModel
from syllabus.core.tenancy import TenantManager

if TYPE_CHECKING:
    from syllabus.accounts.models import Organization


class PageSize(models.TextChoices):
    A4_LANDSCAPE = "a4_landscape", _("A4, landscape")
    A4_PORTRAIT = "a4_portrait", _("A4, portrait")
    LETTER_LANDSCAPE = "letter_landscape", _("US Letter, landscape")
    LETTER_PORTRAIT = "letter_portrait", _("US Letter, portrait")


# The CSS `@page { size: ... }` of each choice.
PAGE_SIZE_CSS: dict[str, str] = {
    PageSize.A4_LANDSCAPE: "A4 landscape",
    PageSize.A4_PORTRAIT: "A4 portrait",
    PageSize.LETTER_LANDSCAPE: "letter landscape",
    PageSize.LETTER_PORTRAIT: "letter portrait",
}


class Template(TenantModel):
    """How an organisation's certificates look: HTML and CSS with `{{ placeholders }}` (placeholders.PLACEHOLDERS).

    Every save bumps `revision`; a certificate records the revision it was drawn with. A template used by an award
    cannot be deleted (archive it instead).
    """

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    html = models.TextField(_("HTML"))
    css = models.TextField(_("CSS"), blank=True)
    page_size = models.CharField(_("page size"), max_length=20, choices=PageSize.choices, default=PageSize.A4_LANDSCAPE)
    # [{"name": "...", "title": "..."}], printed where the template puts {{ signatories }}.
    signatories = models.JSONField(_("signatories"), default=list, blank=True)
    is_default = models.BooleanField(_("default for new awards"), default=False)
    archived = models.BooleanField(_("archived"), default=False)
    revision = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = TenantManager["Template"]()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="certificate_template_name_unique"),
            models.UniqueConstraint(
                fields=["organization"], condition=Q(is_default=True), name="certificate_template_one_default"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Source(models.TextChoices):
    COURSE = "course", _("Course completion")
    PROGRAM = "program", _("Compliance program")


class Award(TenantModel):
    """What earns a certificate: completing one course, or satisfying a cycle of one compliance program.

    At most one award per course and per program. Its expiry follows what was completed: the course completion's
    `expires_at` (courses whose completion is valid for N days), the program cycle's expiry (recurring programs).
    """

    # The achievement's public id (its Open Badges URL): random, so achievements cannot be listed by counting.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    source = models.CharField(_("issued for"), max_length=20, choices=Source.choices, default=Source.COURSE)
    course = models.ForeignKey(
        "catalog.Course", null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("course")
    )
    program = models.ForeignKey(
        "compliance.Program",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("compliance program"),
    )
    template = models.ForeignKey(Template, on_delete=models.PROTECT, related_name="awards", verbose_name=_("template"))
    enabled = models.BooleanField(_("issue certificates"), default=True)
    issue_badge = models.BooleanField(_("also issue an Open Badge"), default=True)
    # The Open Badges "Achievement" (blank: the course or program's own name and description).
    achievement_name = models.CharField(_("achievement name"), max_length=200, blank=True)
    achievement_description = models.TextField(_("achievement description"), blank=True)
    criteria = models.TextField(_("criteria"), blank=True)
    # Days before expiry on which the holder is reminded (notifications dedupe each one).
    remind_days = models.JSONField(_("remind days before expiry"), default=list, blank=True)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = TenantManager["Award"]()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(source="course", course__isnull=False, program__isnull=True))
                | Q(source="program", program__isnull=False, course__isnull=True),
                name="certificate_award_one_source",
            ),
            models.UniqueConstraint(fields=["course"], condition=Q(course__isnull=False), name="award_one_per_course"),
            models.UniqueConstraint(
                fields=["program"], condition=Q(program__isnull=False), name="award_one_per_program"
            ),
        ]

    def __str__(self) -> str:
        return f"award {self.pk} ({self.source})"

    @property
    def source_id(self) -> int | None:
        return self.course_id if self.source == Source.COURSE else self.program_id


class SigningKey(TenantModel):
    """One of an organisation's keys for signing Open Badges (RS256). One is active; retired keys stay published
    so credentials they signed still verify. The private key is stored encrypted (keys.py)."""

    class State(models.TextChoices):
        ACTIVE = "active", _("Active")
        RETIRED = "retired", _("Retired")

    kid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    algorithm = models.CharField(max_length=10, default="RS256")
    public_jwk = models.JSONField()
    private_key = models.TextField()  # encrypted PEM (keys.seal / keys.unseal)
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    retired_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = TenantManager["SigningKey"]()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"], condition=Q(state="active"), name="certificate_one_active_key"
            ),
        ]

    def __str__(self) -> str:
        return f"signing key {self.kid} ({self.state})"


class Certificate(TenantModel):
    """One certificate issued to one person. Immutable but for its state, its rendered PDF and the revocation."""

    class State(models.TextChoices):
        VALID = "valid", _("Valid")
        SUPERSEDED = "superseded", _("Superseded")
        REVOKED = "revoked", _("Revoked")

    class RenderState(models.TextChoices):
        PENDING = "pending", _("Being prepared")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Could not be drawn")

    # The public, unguessable id (122 random bits): the verification page and the badge are addressed by it.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    membership = models.ForeignKey("accounts.Membership", on_delete=models.CASCADE, related_name="certificates")
    award = models.ForeignKey(Award, null=True, blank=True, on_delete=models.SET_NULL, related_name="certificates")
    source = models.CharField(max_length=20, choices=Source.choices)
    course = models.ForeignKey("catalog.Course", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    program = models.ForeignKey(
        "compliance.Program", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What earned it: a course completion, or a compliance assignment's cycle.
    completion = models.ForeignKey(
        "progress.Completion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignment = models.ForeignKey(
        "compliance.Assignment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cycle = models.PositiveIntegerField(null=True, blank=True)
    # Snapshots at issue: a certificate says what was true that day, whatever is renamed later.
    title = models.CharField(max_length=200)
    recipient_name = models.CharField(max_length=300)
    version_label = models.CharField(max_length=20, blank=True)
    score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.VALID)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="supersedes"
    )
    revoked_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    revoke_reason = models.TextField(blank=True)
    # The PDF, drawn by the worker from the template as it was at issue (revision recorded).
    template = models.ForeignKey(Template, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    template_revision = models.PositiveIntegerField(null=True, blank=True)
    render_state = models.CharField(max_length=10, choices=RenderState.choices, default=RenderState.PENDING)
    pdf = models.FileField(upload_to="certificates/%Y/%m/", max_length=300, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)
    render_error = models.TextField(blank=True)
    # The Open Badges 3.0 credential as issued: a compact JWS (VC-JWT), and the key that signed it.
    credential = models.TextField(blank=True)
    signing_key = models.ForeignKey(
        SigningKey, null=True, blank=True, on_delete=models.PROTECT, related_name="certificates"
    )

    objects = TenantManager["Certificate"]()

    class Meta:
        ordering = ["-issued_at", "-pk"]
        indexes = [
            models.Index(fields=["membership", "-issued_at"], name="certificate_member_date"),
            models.Index(fields=["organization", "state", "expires_at"], name="certificate_org_state_expiry"),
        ]
        constraints = [
            # Never two valid certificates of one award for one person: a new one supersedes the old.
            models.UniqueConstraint(
                fields=["award", "membership"], condition=Q(state="valid"), name="certificate_one_valid_per_award"
            ),
            # Issuing is idempotent: one certificate per completion and per program cycle.
            models.UniqueConstraint(
                fields=["award", "completion"], condition=Q(completion__isnull=False), name="certificate_per_completion"
            ),
            models.UniqueConstraint(
                fields=["award", "assignment", "cycle"],
                condition=Q(assignment__isnull=False),
                name="certificate_per_program_cycle",
            ),
        ]

    def __str__(self) -> str:
        return f"certificate {self.public_id}"

    def status_on(self, moment: dt.datetime) -> str:
        """What the verification page says: revoked, superseded, expired or valid."""
        if self.state != self.State.VALID:
            return str(self.state)
        if self.expires_at is not None and self.expires_at <= moment:
            return EXPIRED
        return str(self.State.VALID)

    def valid_until(self, zone: zoneinfo.ZoneInfo | None = None) -> dt.date | None:
        """The last day it is valid, in its organisation's time zone (None: it does not expire). This is the one
        day people are shown, wherever they read it. Lists pass the organisation's `zone` (`organization_zone`)
        so that no row loads its organisation."""
        if self.expires_at is None:
            return None
        return last_valid_day(self.expires_at, zone or organization_zone(self.organization))


def organization_zone(organization: Organization | None) -> zoneinfo.ZoneInfo:
    """The organisation's time zone (UTC when it has none or an unknown one): certificates are valid for whole days
    of the organisation, wherever the reader is."""
    try:
        return zoneinfo.ZoneInfo((organization.default_time_zone if organization is not None else "") or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def last_valid_day(expires_at: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.date:
    """The last day a certificate expiring at `expires_at` (the first moment it is no longer valid) is valid, in
    `zone`: one that expires at the start of a day was valid until the day before (as the compliance pages say
    "valid until"), so the PDF, the pages, the notices and the exports never print two dates a day apart."""
    return (expires_at - dt.timedelta(microseconds=1)).astimezone(zone).date()


EXPIRED = "expired"
STATUS_LABELS: dict[str, str] = {
    "valid": _("Valid"),  # type: ignore[dict-item]
    "expired": _("Expired"),  # type: ignore[dict-item]
    "superseded": _("Superseded"),  # type: ignore[dict-item]
    "revoked": _("Revoked"),  # type: ignore[dict-item]
}
