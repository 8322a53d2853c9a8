"""The gradebook of a course: grade items (one per graded activity, plus manual items for offline work) in weighted
categories, one `Grade` per person and item, its history (`GradeChange`, append-only), and the person's overall
`CourseGrade`, kept up to date so the gradebook can sort, filter and page by it.

Every grade is stored as a percentage (0..100) of its item, like progress stores activity scores; points and
letters are ways of showing it (`GradebookSettings.display`, the organisation's `LetterScale`).
A grade's `final` is its `override` when a grader set one, else `raw` (what the activity reported, or what a grader
entered for a manual item). Learners see only released grades of items that are not hidden.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from syllabus.core.models import TenantModel
from syllabus.core.tenancy import TenantManager

# Percentages are 0.00..100.00 (max_digits 6, 2 places), points up to 10 digits with 2 places, weights 8 with 3.


class Display(models.TextChoices):
    PERCENT = "percent", _("Percentage")
    POINTS = "points", _("Points")
    LETTER = "letter", _("Letter")


class LetterScale(TenantModel):
    """An organisation's letters, e.g. A from 90 %, B from 80 %... `bands` is a list of {"letter": "A", "min": "90"}
    from the highest minimum down; the last band's minimum is 0."""

    name = models.CharField(_("name"), max_length=120)
    bands = models.JSONField(default=list)
    is_default = models.BooleanField(_("the organisation's default"), default=False)

    objects = TenantManager()

    class Meta:
        ordering = ["organization_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="letter_scale_name_unique"),
            models.UniqueConstraint(
                fields=["organization"], condition=Q(is_default=True), name="letter_scale_one_default"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class GradebookSettings(TenantModel):
    course = models.OneToOneField("catalog.Course", on_delete=models.CASCADE, related_name="gradebook_settings")
    display = models.CharField(_("show grades as"), max_length=10, choices=Display.choices, default=Display.PERCENT)
    letter_scale = models.ForeignKey(
        LetterScale, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("letters")
    )
    pass_mark = models.DecimalField(_("course pass mark (%)"), null=True, blank=True, max_digits=6, decimal_places=2)
    # Moodle's "aggregate only non-empty grades": an ungraded item is left out of the total (True) or counts as 0.
    only_graded = models.BooleanField(_("leave ungraded items out of the total"), default=True)
    show_total_to_learners = models.BooleanField(_("learners see their course total"), default=True)
    # The published version the activity items were last made to match (services.items_sync_if_stale).
    synced_version = models.ForeignKey(
        "catalog.CourseVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = TenantManager()

    def __str__(self) -> str:
        return f"gradebook of {self.course_id}"


class GradeCategory(TenantModel):
    course = models.ForeignKey("catalog.Course", on_delete=models.CASCADE, related_name="grade_categories")
    name = models.CharField(_("name"), max_length=200)
    weight = models.DecimalField(_("weight"), default=1, max_digits=8, decimal_places=3)
    # The lowest N grades of the category are left out of it (e.g. "best 4 of 5 quizzes").
    drop_lowest = models.PositiveSmallIntegerField(_("drop the lowest"), default=0)
    position = models.PositiveIntegerField(default=0)

    objects = TenantManager()

    class Meta:
        ordering = ["course_id", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["course", "name"], name="grade_category_name_unique"),
            models.CheckConstraint(condition=Q(weight__gte=0), name="grade_category_weight_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class ItemSource(models.TextChoices):
    ACTIVITY = "activity", _("A graded activity of the course")
    MANUAL = "manual", _("Entered by the course team (offline work)")


class GradeItem(TenantModel):
    course = models.ForeignKey("catalog.Course", on_delete=models.CASCADE, related_name="grade_items")
    category = models.ForeignKey(
        GradeCategory,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="items",
        verbose_name=_("category"),
    )
    source = models.CharField(max_length=10, choices=ItemSource.choices, default=ItemSource.ACTIVITY)
    activity_uid = models.UUIDField(null=True, blank=True)
    kind = models.CharField(max_length=40, blank=True)  # the activity's kind ("quiz", "assignment", ...)
    name = models.CharField(_("name"), max_length=300)
    max_points = models.DecimalField(_("maximum points"), default=100, max_digits=10, decimal_places=2)
    weight = models.DecimalField(_("weight in its category"), default=1, max_digits=8, decimal_places=3)
    position = models.PositiveIntegerField(default=0)
    # Hidden from learners (the team still sees it; it still counts in the total).
    hidden = models.BooleanField(_("hidden from learners"), default=False)
    # Left out of every total (e.g. a practice quiz).
    excluded = models.BooleanField(_("left out of the total"), default=False)
    # The activity is gone from the published version: its grades are kept, shown apart, not counted.
    retired = models.BooleanField(default=False)

    objects = TenantManager()

    class Meta:
        ordering = ["course_id", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "activity_uid"], condition=Q(activity_uid__isnull=False), name="grade_item_activity"
            ),
            models.CheckConstraint(
                condition=Q(source="manual", activity_uid__isnull=True)
                | Q(source="activity", activity_uid__isnull=False),
                name="grade_item_source_matches",
            ),
            models.CheckConstraint(condition=Q(max_points__gt=0), name="grade_item_max_positive"),
            models.CheckConstraint(condition=Q(weight__gte=0), name="grade_item_weight_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class Grade(TenantModel):
    item = models.ForeignKey(GradeItem, on_delete=models.CASCADE, related_name="grades")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    raw = models.DecimalField(null=True, blank=True, max_digits=6, decimal_places=2)
    override = models.DecimalField(null=True, blank=True, max_digits=6, decimal_places=2)
    override_reason = models.TextField(blank=True)
    overridden_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    overridden_at = models.DateTimeField(null=True, blank=True)
    # override if set, else raw: what totals and pages use (kept in the row so it can be filtered and sorted).
    final = models.DecimalField(null=True, blank=True, max_digits=6, decimal_places=2)
    feedback = models.TextField(blank=True)
    # Hidden from this learner until the team releases it.
    hidden = models.BooleanField(default=False)

    objects = TenantManager()

    class Meta:
        ordering = ["item_id", "user_id"]
        constraints = [models.UniqueConstraint(fields=["item", "user"], name="grade_item_user_unique")]
        indexes = [models.Index(fields=["user", "item"], name="grade_user_item")]

    def __str__(self) -> str:
        return f"{self.final} for {self.user_id} on {self.item_id}"


class ChangeSource(models.TextChoices):
    ACTIVITY = "activity", _("Reported by the activity")
    ENTERED = "entered", _("Entered by a grader")
    OVERRIDE = "override", _("Overridden by a grader")
    IMPORT = "import", _("Imported")
    RELEASE = "release", _("Released or hidden")


class GradeChange(models.Model):
    """One change of a grade, never edited or deleted (the audit trail has the who and why as well)."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    grade = models.ForeignKey(Grade, on_delete=models.CASCADE, related_name="changes")
    source = models.CharField(max_length=10, choices=ChangeSource.choices)
    old_final = models.DecimalField(null=True, blank=True, max_digits=6, decimal_places=2)
    new_final = models.DecimalField(null=True, blank=True, max_digits=6, decimal_places=2)
    old_override = models.DecimalField(null=True, blank=True, max_digits=6, decimal_places=2)
    new_override = models.DecimalField(null=True, blank=True, max_digits=6, decimal_places=2)
    reason = models.TextField(blank=True)
    by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["grade_id", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.old_final} -> {self.new_final}"


class CourseGrade(TenantModel):
    """A person's overall grade in a course, recomputed whenever one of their grades or the gradebook's setup
    changes (services.course_grade_refresh); `percent` is None while nothing counted is graded."""

    course = models.ForeignKey("catalog.Course", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    percent = models.DecimalField(null=True, blank=True, max_digits=6, decimal_places=2)
    points = models.DecimalField(null=True, blank=True, max_digits=10, decimal_places=2)
    max_points = models.DecimalField(null=True, blank=True, max_digits=10, decimal_places=2)
    passed = models.BooleanField(null=True, blank=True)  # None: no pass mark, or nothing graded yet
    # The same total as learners see it (hidden items and grades left out), None when it is the same as percent.
    learner_percent = models.DecimalField(null=True, blank=True, max_digits=6, decimal_places=2)
    computed_at = models.DateTimeField()

    objects = TenantManager()

    class Meta:
        ordering = ["course_id", "user_id"]
        constraints = [models.UniqueConstraint(fields=["course", "user"], name="course_grade_unique")]
        indexes = [models.Index(fields=["course", "percent"], name="course_grade_percent")]

    def __str__(self) -> str:
        return f"{self.percent} for {self.user_id} in {self.course_id}"
