"""What notifications hold about one person, for the privacy registry (core.privacy): export and erasure.

Exported: the notifications they received (subject, text, when, read or not, how each channel delivered it), their
per-type choices and their quiet hours and digest time. Erasure deletes all of it, and the notifications other people
received about the person (`Notification.about`: a request waiting for a manager): notifications are messages to
the person, not evidence (reminders that matter for compliance are recorded by the compliance app). Templates an
admin wrote stay; their `updated_by` is unlinked.
"""

from __future__ import annotations

from typing import Any

from syllabus.accounts.models import Organization, User
from syllabus.notifications.models import Delivery, Notification, PersonSettings, Preference, Template


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def export_person(user: User, organization: Organization | None) -> dict[str, Any]:
    rows = Notification.objects.filter(recipient=user).prefetch_related("deliveries").order_by("created_at", "pk")
    if organization is not None:
        # An organisation exports what it holds: its own notifications, not the person's account-level security
        # notices (sign-ins from other places), which belong to the person's account.
        rows = rows.filter(organization=organization)
    settings_row = PersonSettings.objects.filter(user=user).first()
    return {
        "notifications": [
            {
                "type": row.type_key,
                "organization_id": row.organization_id,
                "subject": row.subject,
                "body": row.body,
                "url": row.url,
                "created_at": _iso(row.created_at),
                "in_app": row.in_app,
                "read_at": _iso(row.read_at),
                "deliveries": [
                    {"channel": d.channel, "status": d.status, "sent_at": _iso(d.sent_at), "in_digest": d.in_digest}
                    for d in row.deliveries.all()
                ],
            }
            for row in rows
        ],
        "preferences": [
            {"type": p.type_key, "channel": p.channel, "enabled": p.enabled, "mode": p.mode}
            for p in Preference.objects.filter(user=user).order_by("type_key", "channel")
        ],
        "settings": (
            {
                "quiet_start": _iso(settings_row.quiet_start),
                "quiet_end": _iso(settings_row.quiet_end),
                "digest_time": _iso(settings_row.digest_time),
            }
            if settings_row
            else None
        ),
    }


def erase_person(user: User, by: User | None) -> None:
    Delivery.objects.filter(notification__recipient=user).delete()
    Notification.objects.filter(recipient=user).delete()
    # What others were told about the person (their request, their external training) names them: it goes too.
    Delivery.objects.filter(notification__about=user).delete()
    Notification.objects.filter(about=user).delete()
    Preference.objects.filter(user=user).delete()
    PersonSettings.objects.filter(user=user).delete()
    Template.objects.filter(updated_by=user).update(updated_by=None)
