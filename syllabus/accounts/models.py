"""People and organisations: users, tenants, the org-unit tree, job roles, locations and memberships."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from syllabus.core.models import TenantModel, TimeStampedModel
from syllabus.core.tenancy import TenantManager

TIME_ZONE_CHOICES = sorted((name, name) for name in zoneinfo.available_timezones() if "/" in name or name == "UTC")


def validate_time_zone(value: str) -> None:
    # Validated against the tz database at write time, not stored as choices, so tzdata updates need no migration.
    if value and value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


HEX_COLOR = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour as #RRGGBB."))


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("is_platform_admin", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """One person, who may belong to several organisations (see Membership). Signs in with their email."""

    email = models.EmailField(_("email"), unique=True)
    display_name = models.CharField(_("display name"), max_length=150)
    locale = models.CharField(_("language"), max_length=10, default="en")
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC", validators=[validate_time_zone])
    is_active = models.BooleanField(_("active"), default=True)
    # Django admin access only; Syllabus permissions never read it.
    is_staff = models.BooleanField(default=False)
    # Platform administrators operate every organisation; `access` is the only reader of this flag.
    is_platform_admin = models.BooleanField(_("platform admin"), default=False)
    date_joined = models.DateTimeField(auto_now_add=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        ordering = ["display_name", "email"]

    def __str__(self) -> str:
        return self.display_name or self.email

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name.split(" ")[0] if self.display_name else self.email


class Organization(TimeStampedModel):
    """A tenant: a company or institution with its own people, content and settings."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    logo = models.ImageField(_("logo"), upload_to="org-logos/", blank=True)
    primary_color = models.CharField(_("primary colour"), max_length=7, default="#1d4ed8", validators=[HEX_COLOR])
    accent_color = models.CharField(_("accent colour"), max_length=7, default="#0f766e", validators=[HEX_COLOR])
    default_language = models.CharField(_("default language"), max_length=10, default="en")
    default_time_zone = models.CharField(
        _("default time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Keys of the roles (built-in or this organisation's custom ones) whose holders must use two-factor sign-in.
    two_factor_required_roles = models.JSONField(_("roles that must use two-factor sign-in"), default=list, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OrgUnit(TenantModel):
    """A department in the organisation's tree.

    `path` is the materialised path of ids ("/3/17/42/"): a subtree is one indexed range query on
    (organization, path), see `subtree_q`.
    """

    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(_("code"), max_length=60, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.RESTRICT, related_name="children")
    path = models.CharField(max_length=1024, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)

    objects = TenantManager["OrgUnit"]()

    class Meta:
        ordering = ["path"]
        indexes = [models.Index(fields=["organization", "path"], name="orgunit_org_path")]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "code"], condition=~Q(code=""), name="orgunit_code_unique_per_org"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def subtree_q(path: str, prefix: str = "") -> Q:
        """Rows whose path starts with `path`, as a range so both SQLite and PostgreSQL use the index."""
        # "~" sorts after the digits and "/" that paths are made of.
        return Q(**{f"{prefix}path__gte": path, f"{prefix}path__lt": path + "~"})


class JobRole(TenantModel):
    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(_("code"), max_length=60, blank=True)

    objects = TenantManager["JobRole"]()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="jobrole_name_unique_per_org"),
        ]

    def __str__(self) -> str:
        return self.name


class Location(TenantModel):
    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(_("code"), max_length=60, blank=True)
    address = models.TextField(_("address"), blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True, validators=[validate_time_zone])

    objects = TenantManager["Location"]()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="location_name_unique_per_org"),
        ]

    def __str__(self) -> str:
        return self.name


class AttributeDefinition(TenantModel):
    """A custom person attribute an organisation defines (cost centre, grade, union member...)."""

    class Type(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        CHOICE = "choice", _("Choice")

    key = models.SlugField(_("key"), max_length=60, help_text=_("Used in the API and in imports."))
    label = models.CharField(_("label"), max_length=120)
    type = models.CharField(_("type"), max_length=10, choices=Type.choices, default=Type.TEXT)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)

    objects = TenantManager["AttributeDefinition"]()

    class Meta:
        ordering = ["label"]
        constraints = [models.UniqueConstraint(fields=["organization", "key"], name="attribute_key_unique_per_org")]

    def __str__(self) -> str:
        return self.label


class Membership(TenantModel):
    """A person in an organisation, with their HR data. Deactivation lives here, never on the global User."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    org_unit = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.SET_NULL, related_name="members")
    job_role = models.ForeignKey(JobRole, null=True, blank=True, on_delete=models.SET_NULL, related_name="members")
    location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.SET_NULL, related_name="members")
    # Indexed by `membership_manager_line` (manager, id), not on its own.
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="direct_reports", db_index=False
    )
    employee_id = models.CharField(_("employee id"), max_length=64, blank=True)
    hire_date = models.DateField(_("hire date"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    attributes = models.JSONField(_("custom attributes"), default=dict, blank=True)

    objects = TenantManager["Membership"]()

    class Meta:
        ordering = ["user__display_name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="membership_unique_user_per_org"),
            models.UniqueConstraint(
                fields=["organization", "employee_id"],
                condition=~Q(employee_id=""),
                name="membership_employee_id_unique_per_org",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "is_active"], name="membership_org_active"),
            models.Index(fields=["organization", "manager"], name="membership_org_manager"),
            # A reporting line is walked level by level on manager (access.policy): with the id in the index each
            # step reads the index alone, not the rows (a line of 2,000 people: 2.3 ms instead of 4).
            models.Index(fields=["manager", "id"], name="membership_manager_line"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization_id}"


class ApiToken(TimeStampedModel):
    """A personal API token, bound to one membership. Only a SHA-256 digest of the key is stored."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    key_digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class UserSession(models.Model):
    """A signed-in browser session of a person, so they can see their sessions and sign out everywhere."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    session_key = models.CharField(max_length=40, unique=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen_at"]
        indexes = [models.Index(fields=["user", "ended_at"], name="usersession_user_open")]

    def __str__(self) -> str:
        return f"{self.user} ({self.ip_address or '?'})"


# --- HR import (syllabus/accounts/hr_import/) ------------------------------------------------------------------


def hr_import_upload_to(instance: ImportJob, filename: str) -> str:
    # The stored name never reuses the uploaded one (it is shown, not trusted): one folder per organisation.
    return f"hr-imports/{instance.organization_id}/{instance.token}.csv"


class ImportJob(TenantModel):
    """One upload of an HR file: validated into staged rows (dry run), then applied in one transaction."""

    class Mode(models.TextChoices):
        ADD_UPDATE = "add_update", _("Add and update")
        FULL_SYNC = "full_sync", _("Full sync (deactivate people missing from the file)")

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        VALIDATING = "validating", _("Validating")
        VALIDATED = "validated", _("Validated")
        APPLYING = "applying", _("Applying")
        APPLIED = "applied", _("Applied")
        FAILED = "failed", _("Failed")

    token = models.CharField(max_length=32, unique=True, editable=False)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    file = models.FileField(upload_to=hr_import_upload_to, max_length=255)
    original_filename = models.CharField(_("file name"), max_length=255)
    mode = models.CharField(_("mode"), max_length=12, choices=Mode.choices, default=Mode.ADD_UPDATE)
    # {"create_missing": bool, "threshold_percent": int}
    options = models.JSONField(default=dict, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.UPLOADED)
    # The plan computed by the dry run (and recomputed when applying).
    row_count = models.PositiveIntegerField(default=0)
    to_create = models.PositiveIntegerField(default=0)
    to_update = models.PositiveIntegerField(default=0)
    to_deactivate = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    # [{"row": int, "column": str, "message": str}], capped at HR_IMPORT_MAX_REPORTED_ERRORS (error_count is exact).
    errors = models.JSONField(default=list, blank=True)
    # A reason the whole job stopped (bad encoding, threshold exceeded...), as opposed to per-row errors.
    failure = models.TextField(blank=True)
    progress = models.PositiveSmallIntegerField(default=0)  # percent of the current phase
    validated_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = TenantManager["ImportJob"]()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"], name="importjob_org_created")]

    def __str__(self) -> str:
        return f"{self.original_filename} ({self.status})"

    @property
    def is_running(self) -> bool:
        """Work is queued or under way: pages keep polling."""
        return self.status in (self.Status.UPLOADED, self.Status.VALIDATING, self.Status.APPLYING)

    @property
    def can_apply(self) -> bool:
        """Validated, with no row errors and nothing blocking (such as a full sync over its threshold)."""
        return self.status == self.Status.VALIDATED and self.error_count == 0 and not self.failure

    @property
    def threshold_percent(self) -> int:
        return int(self.options.get("threshold_percent", 0))

    @property
    def create_missing(self) -> bool:
        return bool(self.options.get("create_missing", False))


class ImportRow(models.Model):
    """One staged, validated row of an ImportJob; `data` holds resolved ids, ready to apply set-based."""

    class Action(models.TextChoices):
        CREATE = "create", _("Create")
        UPDATE = "update", _("Update")
        UNCHANGED = "unchanged", _("Unchanged")
        ERROR = "error", _("Error")

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rows")
    row_number = models.PositiveIntegerField()
    data = models.JSONField(default=dict)
    action = models.CharField(max_length=10, choices=Action.choices)
    # The membership matched at validation time; no database constraint: staging must never block a delete.
    membership = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )

    class Meta:
        ordering = ["job", "row_number"]
        constraints = [models.UniqueConstraint(fields=["job", "row_number"], name="importrow_unique_row_per_job")]

    def __str__(self) -> str:
        return f"row {self.row_number} ({self.action})"
