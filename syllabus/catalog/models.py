"""Courses and their structure, the versions learners see, the review workflow, course teams and uploads.

Two worlds share these tables:
- the **draft**: `Course` metadata with its `Section` and `Activity` rows, edited by the course team;
- the **published versions**: `CourseVersion` rows holding an immutable snapshot (JSON) of the draft at publish.
Learners only ever read versions (and `CatalogEntry`, the searchable copy of the current version), never drafts.
Sections and activities carry a `uid` that survives versions, restore and edits, so later apps can keep a
learner's progress on "the same activity" across minor versions.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from syllabus.core.models import TenantModel, TimeStampedModel


class Category(TenantModel):
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"
        constraints = [models.UniqueConstraint(fields=["organization", "slug"], name="category_slug_unique_per_org")]

    def __str__(self) -> str:
        return self.name


class Tag(TenantModel):
    name = models.CharField(_("name"), max_length=60)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="tag_name_unique_per_org")]

    def __str__(self) -> str:
        return self.name


class CatalogSettings(TimeStampedModel):
    """Per-organisation catalog policy. A missing row means the defaults."""

    organization = models.OneToOneField("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    # When true, a course's owners and editors publish directly; otherwise every publish goes through review.
    publish_without_review = models.BooleanField(_("instructors may publish without review"), default=False)
    # Host names (one per line) that Link activities may show in an iframe; anything else opens in a new tab.
    embed_allowlist = models.TextField(_("hosts allowed in embeds"), blank=True)

    def __str__(self) -> str:
        return f"catalog settings of {self.organization_id}"


class Level(models.TextChoices):
    BEGINNER = "beginner", _("Beginner")
    INTERMEDIATE = "intermediate", _("Intermediate")
    ADVANCED = "advanced", _("Advanced")


class Visibility(models.TextChoices):
    ORGANIZATION = "organization", _("Everyone in the organisation")
    AUDIENCE = "audience", _("An audience")


class Course(TenantModel):
    """A course's identity and its editable draft (metadata here, structure in Section / Activity)."""

    class ReviewState(models.TextChoices):
        EDITING = "editing", _("Draft")
        IN_REVIEW = "in_review", _("In review")

    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    # Sanitised HTML (catalog.richtext) — never store what the browser sent.
    description = models.TextField(_("description"), blank=True)
    cover = models.ForeignKey("catalog.CourseAsset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="courses")
    tags = models.ManyToManyField(Tag, blank=True, related_name="courses")
    skills = models.ManyToManyField("skills.Skill", blank=True, related_name="courses")
    language = models.CharField(_("language"), max_length=16, default="en")
    level = models.CharField(_("level"), max_length=20, choices=Level.choices, default=Level.BEGINNER)
    duration_minutes = models.PositiveIntegerField(_("estimated duration (minutes)"), default=0)
    visibility = models.CharField(
        _("visible to"), max_length=20, choices=Visibility.choices, default=Visibility.ORGANIZATION
    )
    # RESTRICT, not PROTECT: an audience in use cannot be deleted, but deleting the organisation takes both.
    audience = models.ForeignKey(
        "audiences.Audience", null=True, blank=True, on_delete=models.RESTRICT, related_name="+"
    )
    review_state = models.CharField(max_length=20, choices=ReviewState.choices, default=ReviewState.EDITING)
    published_version = models.ForeignKey(
        "catalog.CourseVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Bumped by every draft edit; compared with the published snapshot's to say "unpublished changes".
    draft_revision = models.PositiveIntegerField(default=0)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    copied_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["title", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(visibility="organization") | Q(audience__isnull=False),
                name="course_audience_visibility_has_audience",
            )
        ]
        indexes = [models.Index(fields=["organization", "archived_at"], name="course_org_archived")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def in_review(self) -> bool:
        return self.review_state == self.ReviewState.IN_REVIEW


class CourseStaff(TimeStampedModel):
    """A person's role on one course: owner, editor or non-editing instructor."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        EDITOR = "editor", _("Editor")
        INSTRUCTOR = "instructor", _("Non-editing instructor")

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="staff")
    membership = models.ForeignKey("accounts.Membership", on_delete=models.CASCADE, related_name="course_roles")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    added_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["course_id", "role", "pk"]
        constraints = [models.UniqueConstraint(fields=["course", "membership"], name="coursestaff_one_role")]

    def __str__(self) -> str:
        return f"{self.membership_id} {self.role} on {self.course_id}"


class Section(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="sections")
    uid = models.UUIDField(default=uuid.uuid4, editable=False)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["course_id", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["course", "uid"], name="section_uid_unique_per_course")]

    def __str__(self) -> str:
        return self.title


class Activity(models.Model):
    """One activity of a draft. `config` and `completion` are owned by its kind (catalog.activity_kinds)."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="activities")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="activities")
    uid = models.UUIDField(default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    position = models.PositiveIntegerField(default=0)
    config = models.JSONField(default=dict, blank=True)
    # {"rule": "<rule key of the kind>", ...parameters}, e.g. {"rule": "watched", "percent": 90}
    completion = models.JSONField(default=dict, blank=True)
    is_required = models.BooleanField(_("required for course completion"), default=True)
    duration_minutes = models.PositiveIntegerField(_("estimated duration (minutes)"), default=0)
    skills = models.ManyToManyField("skills.Skill", blank=True, related_name="activities")

    class Meta:
        ordering = ["section_id", "position", "pk"]
        verbose_name_plural = "activities"
        constraints = [models.UniqueConstraint(fields=["course", "uid"], name="activity_uid_unique_per_course")]

    def __str__(self) -> str:
        return self.title


class CourseAsset(TenantModel):
    """An uploaded file (cover image, video, captions, PDF, document). Never changed or deleted while a version
    may refer to it: replacing a file uploads a new asset."""

    class Purpose(models.TextChoices):
        IMAGE = "image", _("Image")
        VIDEO = "video", _("Video")
        CAPTIONS = "captions", _("Captions")
        DOCUMENT = "document", _("Document")

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="assets")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    file = models.FileField(upload_to="courses/%Y/%m/", max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    uploaded_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.original_name


class CourseVersion(TenantModel):
    """An immutable published snapshot of a course. `major`.`minor`; minor versions keep the same structure."""

    class Change(models.TextChoices):
        MAJOR = "major", _("Major")
        MINOR = "minor", _("Minor")

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="versions")
    major = models.PositiveIntegerField()
    minor = models.PositiveIntegerField()
    change = models.CharField(max_length=10, choices=Change.choices)
    snapshot = models.JSONField()
    # Asset ids the snapshot refers to: what learners of this version may download.
    asset_ids = models.JSONField(default=list)
    notes = models.TextField(_("what changed"), blank=True)
    # The course's draft_revision this version was made from: equal to the course's now = no unpublished changes.
    source_revision = models.PositiveIntegerField(default=0)
    published_at = models.DateTimeField()
    published_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    review = models.ForeignKey(
        "catalog.ReviewRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["course_id", "-major", "-minor"]
        constraints = [models.UniqueConstraint(fields=["course", "major", "minor"], name="courseversion_number_unique")]

    def __str__(self) -> str:
        return f"{self.course_id} v{self.label}"

    @property
    def label(self) -> str:
        return f"{self.major}.{self.minor}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("A published course version is immutable.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class ReviewRequest(TenantModel):
    """A draft submitted for review: the snapshot submitted, and the reviewer's decision."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Sent back")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="reviews")
    snapshot = models.JSONField()
    base_version = models.ForeignKey(CourseVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    change = models.CharField(max_length=10, choices=CourseVersion.Change.choices)
    draft_revision = models.PositiveIntegerField(default=0)
    notes = models.TextField(_("notes for the reviewer"), blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    submitted_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    decided_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    # The reviewer's words with the decision: the reason for sending back, or the approval notes.
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["course"], condition=Q(state="pending"), name="reviewrequest_one_pending_per_course"
            )
        ]

    def __str__(self) -> str:
        return f"review of {self.course_id} ({self.state})"


class ReviewComment(TimeStampedModel):
    review = models.ForeignKey(ReviewRequest, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(_("comment"))
    # Optional anchor: the uid of the section or activity the comment is about.
    about_uid = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"comment on review {self.review_id}"


class CatalogEntry(TenantModel):
    """The searchable, filterable copy of a course's current published version (one row per listed course).

    Written by `catalog.search.index_course` on publish, archive and unarchive; learners' catalog reads only this.
    The full-text index over `document` lives beside it: an FTS5 table on SQLite, a tsvector column on PostgreSQL.
    """

    course = models.OneToOneField(Course, on_delete=models.CASCADE, related_name="catalog_entry")
    version = models.ForeignKey(CourseVersion, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=500, blank=True)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    language = models.CharField(max_length=16)
    level = models.CharField(max_length=20, choices=Level.choices)
    duration_minutes = models.PositiveIntegerField(default=0)
    visibility = models.CharField(max_length=20, choices=Visibility.choices)
    audience = models.ForeignKey(
        "audiences.Audience", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    skills = models.ManyToManyField("skills.Skill", blank=True, related_name="+")
    tags = models.CharField(max_length=1000, blank=True)
    # Plain text for the full-text index: title, summary, description, tags, section and activity text.
    document = models.TextField(blank=True)
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["title", "pk"]
        verbose_name_plural = "catalog entries"
        indexes = [
            models.Index(fields=["organization", "title"], name="catalogentry_org_title"),
            models.Index(fields=["organization", "category"], name="catalogentry_org_category"),
            models.Index(fields=["organization", "-published_at"], name="catalogentry_org_published"),
        ]

    def __str__(self) -> str:
        return self.title
