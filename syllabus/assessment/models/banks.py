"""Question banks: an organisation's banks (one per course, plus shared ones), nested categories, and questions.

A `Question` is the stable identity (what a quiz slot names, where tags, skills and difficulty live); its content is
a chain of immutable `QuestionVersion` rows: every edit adds a version, and an attempt keeps the version it was
started with, so fixing a question never changes what a learner saw. `Question.latest` points at the newest.
The type-specific content of a version is `data`, owned by its question type (question_types/<kind>/).
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from syllabus.core.models import TenantModel
from syllabus.core.tenancy import TenantManager


class QuestionBank(TenantModel):
    """A set of categorised questions. `course` set: the course's own bank (its team edits it); empty: a shared
    bank of the organisation (managed with `question.manage`), usable by every course's quizzes."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    course = models.OneToOneField(
        "catalog.Course", null=True, blank=True, on_delete=models.CASCADE, related_name="question_bank"
    )
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = TenantManager()

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class QuestionCategory(models.Model):
    """A folder of questions in a bank; categories nest (a random pool may include the sub-categories)."""

    bank = models.ForeignKey(QuestionBank, on_delete=models.CASCADE, related_name="categories")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name", "pk"]
        verbose_name_plural = "question categories"
        constraints = [
            models.UniqueConstraint(fields=["bank", "parent", "name"], name="question_category_unique_name"),
            models.UniqueConstraint(
                fields=["bank", "name"],
                condition=models.Q(parent__isnull=True),
                name="question_category_unique_top_name",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Difficulty(models.IntegerChoices):
    VERY_EASY = 1, _("1 — very easy")
    EASY = 2, _("2 — easy")
    MEDIUM = 3, _("3 — medium")
    HARD = 4, _("4 — hard")
    VERY_HARD = 5, _("5 — very hard")


class Question(TenantModel):
    """A question's identity in its bank. Content lives in versions; `qtype` and `name` mirror the latest one so
    lists and filters need no join."""

    bank = models.ForeignKey(QuestionBank, on_delete=models.CASCADE, related_name="questions")
    category = models.ForeignKey(QuestionCategory, on_delete=models.PROTECT, related_name="questions")
    qtype = models.CharField(_("type"), max_length=40)
    name = models.CharField(_("name"), max_length=255)
    difficulty = models.PositiveSmallIntegerField(
        _("difficulty"), choices=Difficulty.choices, default=Difficulty.MEDIUM
    )
    skills = models.ManyToManyField("skills.Skill", blank=True, related_name="questions")
    latest = models.ForeignKey(
        "assessment.QuestionVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Hidden questions stay in quizzes and attempts that use them but are left out of lists and random pools.
    hidden = models.BooleanField(_("hidden"), default=False)
    # Stable id from an import (Moodle's idnumber, a QTI identifier): re-importing updates instead of duplicating.
    idnumber = models.CharField(_("ID number"), max_length=100, blank=True)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = TenantManager()

    class Meta:
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["bank", "category", "hidden"], name="question_bank_category"),
            models.Index(fields=["organization", "qtype"], name="question_org_qtype"),
        ]

    def __str__(self) -> str:
        return self.name


class QuestionTag(models.Model):
    """A free tag on a question ("fire", "warehouse"), lower-cased; random pools and filters select by tag."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(_("tag"), max_length=60)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["question", "name"], name="question_tag_unique")]
        indexes = [models.Index(fields=["name"], name="question_tag_name")]

    def __str__(self) -> str:
        return self.name


class QuestionVersion(models.Model):
    """One immutable state of a question. Never updated after it is created (edits add a version)."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    qtype = models.CharField(_("type"), max_length=40)
    name = models.CharField(_("name"), max_length=255)
    # Sanitised HTML. For cloze questions it holds the embedded answers ({1:SHORTANSWER:=Paris}).
    text = models.TextField(_("question text"), blank=True)
    general_feedback = models.TextField(_("general feedback"), blank=True)
    default_mark = models.DecimalField(
        _("default mark"),
        max_digits=7,
        decimal_places=3,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1000))],
    )
    # The type's own content (options, answers, tolerance...), shaped as question_types/README.md says.
    data = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["question_id", "-number"]
        constraints = [models.UniqueConstraint(fields=["question", "number"], name="question_version_unique")]

    def __str__(self) -> str:
        return f"{self.name} (v{self.number})"
