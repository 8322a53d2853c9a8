"""What part of a video each learner has watched, per published version of the course."""

from __future__ import annotations

from django.db import models

from syllabus.core.models import TenantModel


class WatchProgress(TenantModel):
    """The union of the stretches a learner played of one video activity in one course version.

    `intervals` is a sorted list of disjoint [start, end] pairs in seconds (see video/intervals.py);
    `watched_at` is set once, when coverage first reached the activity's percentage (the "watched" signal).
    """

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey("catalog.Course", on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey("catalog.CourseVersion", on_delete=models.CASCADE, related_name="+")
    activity_uid = models.UUIDField()
    duration = models.FloatField()
    intervals = models.JSONField(default=list)
    watched_seconds = models.FloatField(default=0)
    watched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "version", "activity_uid"], name="watchprogress_one_per_version")
        ]
        indexes = [models.Index(fields=["course"], name="watchprogress_course")]

    def __str__(self) -> str:
        return f"{self.user_id} watched {self.watched_seconds:.0f}s of {self.activity_uid}"
