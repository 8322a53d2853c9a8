"""Who confirmed which version of which policy, when: compliance records of acknowledgement activities."""

from __future__ import annotations

from django.db import models

from syllabus.core.models import TenantModel


class Acknowledgement(TenantModel):
    """A learner's confirmation of one acknowledgement activity in one published course version.

    Kept for good: `document_digest` (sha256 of the policy body and document as published) proves which text was
    confirmed, `statement` what was confirmed. Erasing the person (core.privacy) unlinks `user` and the IP
    address; `subject` is the person's pseudonymous audit subject id, so the record still matches the audit trail
    (whose "activity.acknowledged" entries are hash-chained) without naming anyone.
    """

    user = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    subject = models.UUIDField()
    course = models.ForeignKey("catalog.Course", on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey("catalog.CourseVersion", on_delete=models.PROTECT, related_name="+")
    activity_uid = models.UUIDField()
    statement = models.CharField(max_length=500)
    document_digest = models.CharField(max_length=64)
    confirmed_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-confirmed_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "version", "activity_uid"], name="acknowledgement_one_per_person_and_version"
            )
        ]
        indexes = [
            models.Index(fields=["course", "activity_uid"], name="acknowledgement_activity"),
            models.Index(fields=["subject"], name="acknowledgement_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} acknowledged {self.activity_uid} of version {self.version_id}"
