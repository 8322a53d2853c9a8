"""Reads for the notification centre, the bell, preferences and the delivery log (constant query counts)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from syllabus.accounts.models import Organization, User
from syllabus.notifications.models import Delivery, Notification, Preference


def centre_q(user: User, organization: Organization | None) -> Q:
    """What a person sees while working in `organization`: its notifications and their account-level ones."""
    org_q = Q(organization__isnull=True)
    if organization is not None:
        org_q |= Q(organization=organization)
    return Q(recipient=user, in_app=True) & org_q


def notification_list(
    *, user: User, organization: Organization | None, unread_only: bool = False
) -> QuerySet[Notification]:
    rows = Notification.objects.filter(centre_q(user, organization))
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return rows.order_by("-created_at", "-pk")


def unread_count(*, user: User, organization: Organization | None) -> int:
    return Notification.objects.filter(centre_q(user, organization), read_at__isnull=True).count()


def preferences_of(user: User) -> dict[tuple[str, str], Preference]:
    return {(row.type_key, row.channel): row for row in Preference.objects.filter(user=user)}


def delivery_log(*, organization: Organization) -> QuerySet[Delivery]:
    """Every delivery of the organisation's notifications, newest first (the admin's delivery log)."""
    return (
        Delivery.objects.filter(notification__organization=organization)
        .select_related("notification__recipient")
        .order_by("-notification__created_at", "-pk")
    )
