"""Notifications: what was sent to whom, through which channel, and what each person wants.

A `Notification` is one message to one person, rendered once (subject, text body, link) in their language when it
is created; the in-app centre lists the ones with `in_app` set. Each other channel that should carry it gets a
`Delivery` row, the delivery log: pending until the worker sends it (or, for digests and quiet hours, until its
`not_before`), then sent, failed (retries exhausted) or bounced (the mail server refused the address).

The unique (recipient, dedupe_key) constraint is what makes "the same dedupe key never sends twice" true even when
two workers run the same reminder job at once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # None for account-level notices (security), which belong to the person, not to one of their organisations.
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, null=True, related_name="+")
    type_key = models.CharField(max_length=80)
    dedupe_key = models.CharField(max_length=255)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    url = models.CharField(max_length=500, blank=True)
    # Where replies to the email go (a course message: its sender); empty means nobody reads replies.
    reply_to = models.EmailField(blank=True)
    # The person the notification is about, when not the recipient (a request waiting for a manager): erasing
    # that person deletes these too (notifications/privacy.py).
    about = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    in_app = models.BooleanField(default=False)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "dedupe_key"], name="notification_dedupe"),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], condition=Q(in_app=True), name="notification_centre"),
            models.Index(
                fields=["recipient"], condition=Q(in_app=True, read_at__isnull=True), name="notification_unread"
            ),
            # services.notifications_settle: everyone's unread notices of one occasion (a decided request).
            models.Index(fields=["dedupe_key"], condition=Q(read_at__isnull=True), name="notification_open_by_key"),
        ]

    def __str__(self) -> str:
        return f"{self.type_key} → {self.recipient_id}: {self.subject}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    BOUNCED = "bounced", _("Bounced")
    CANCELLED = "cancelled", _("Not sent")


class DeliveryMode(models.TextChoices):
    IMMEDIATE = "immediate", _("At once")
    DIGEST = "digest", _("In a daily digest")


class Delivery(models.Model):
    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=30)
    mode = models.CharField(max_length=10, choices=DeliveryMode.choices, default=DeliveryMode.IMMEDIATE)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    # Not before this moment: the end of the person's quiet hours, their digest time, or the next retry.
    not_before = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Which worker's claim holds the row: a time alone could be shared by two workers claiming at once.
    claim = models.UUIDField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    in_digest = models.BooleanField(default=False)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="delivery_once_per_channel"),
        ]
        indexes = [
            models.Index(fields=["not_before"], condition=Q(status__in=["pending", "sending"]), name="delivery_due"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} #{self.notification_id}: {self.status}"


class Preference(models.Model):
    """One person's choice for one notification type and channel. No row: the type's defaults."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    type_key = models.CharField(max_length=80)
    channel = models.CharField(max_length=30)
    enabled = models.BooleanField(default=True)
    mode = models.CharField(max_length=10, choices=DeliveryMode.choices, default=DeliveryMode.IMMEDIATE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "type_key", "channel"], name="preference_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.type_key}/{self.channel}: {'on' if self.enabled else 'off'}"


class PersonSettings(models.Model):
    """Quiet hours and digest time, in the person's own time zone (User.time_zone)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)
    digest_time = models.TimeField(default="08:00")

    def __str__(self) -> str:
        return f"notification settings of {self.user_id}"


class OrganizationTypeSetting(models.Model):
    """An organisation marks a notification type mandatory: its people cannot turn its default channels off."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    type_key = models.CharField(max_length=80)
    mandatory = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "type_key"], name="org_type_setting_once"),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.type_key}: {'mandatory' if self.mandatory else 'optional'}"


class Template(models.Model):
    """An organisation's wording of one notification type in one language (the built-in wording otherwise)."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    type_key = models.CharField(max_length=80)
    language = models.CharField(max_length=10)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["type_key", "language"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "type_key", "language"], name="template_once"),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.type_key} [{self.language}]"
