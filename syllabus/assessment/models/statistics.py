"""Item statistics of a quiz, computed from its attempts (services/statistics.py) and kept until the attempts change.

`QuizStatistics` holds one computation for one quiz and one choice of attempts ("first", "all", "highest",
"last"); `fingerprint` names the attempts it was computed from (count and last finish), so a page knows whether it
is current. `QuestionStatistic` holds the per-question figures of it, one row per slot and question version drawn,
so the question bank can show facility and discrimination beside each question with one query.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from syllabus.core.models import TenantModel
from syllabus.core.tenancy import TenantManager


class AttemptChoice(models.TextChoices):
    FIRST = "first", _("First attempts")
    ALL = "all", _("All attempts")
    HIGHEST = "highest", _("Highest-graded attempts")
    LAST = "last", _("Last attempts")


class QuizStatistics(TenantModel):
    course = models.ForeignKey("catalog.Course", on_delete=models.CASCADE, related_name="+")
    activity_uid = models.UUIDField()
    which = models.CharField(max_length=10, choices=AttemptChoice.choices, default=AttemptChoice.FIRST)
    fingerprint = models.CharField(max_length=100)
    computed_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    # The quiz's figures: mean, median, sd, skewness, kurtosis, alpha, error_ratio, standard_error (None when
    # undefined, e.g. a standard deviation of one attempt), and the score distribution for the chart.
    summary = models.JSONField(default=dict)

    objects = TenantManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["course", "activity_uid", "which"], name="quiz_statistics_unique"),
        ]

    def __str__(self) -> str:
        return f"statistics of {self.activity_uid} ({self.which})"


class QuestionStatistic(TenantModel):
    statistics = models.ForeignKey(QuizStatistics, on_delete=models.CASCADE, related_name="questions")
    slot = models.PositiveIntegerField()
    question = models.ForeignKey("assessment.Question", on_delete=models.CASCADE, related_name="statistics")
    version = models.ForeignKey("assessment.QuestionVersion", on_delete=models.CASCADE, related_name="+")
    # True for the row of a whole slot that drew several questions (a random pool): question is its first one.
    is_slot_total = models.BooleanField(default=False)
    count = models.PositiveIntegerField(default=0)  # answers it was computed from
    facility = models.FloatField(null=True)  # 0..100
    sd = models.FloatField(null=True)  # 0..100, of the item score as a percentage of its mark
    random_guess = models.FloatField(null=True)  # 0..100, None when the type has no meaningful guess
    intended_weight = models.FloatField(null=True)  # 0..100
    effective_weight = models.FloatField(null=True)  # 0..100
    discrimination = models.FloatField(null=True)  # -100..100, correlation with the rest of the test
    discriminative_efficiency = models.FloatField(null=True)  # -100..100

    objects = TenantManager()

    class Meta:
        ordering = ["statistics_id", "slot", "question_id"]
        indexes = [models.Index(fields=["question"], name="question_statistic_question")]

    def __str__(self) -> str:
        return f"slot {self.slot} of {self.statistics_id}"
