"""Reads for the notification centre, the bell, preferences and the delivery log (constant query counts)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from syllabus.accounts.models import Organization, User
from syllabus.notifications import types as registry
from syllabus.notifications.models import Delivery, Notification, OrganizationTypeSetting, Preference, Template
from syllabus.notifications.types import NotificationType


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


def bell_state(*, user: User, organization: Organization | None) -> tuple[int, int, int]:
    """Unread count, newest notification id (read or not) and newest unread id (0: none), in one query."""
    unread = Q(read_at__isnull=True)
    found = Notification.objects.filter(centre_q(user, organization)).aggregate(
        count=Count("pk", filter=unread), latest=Max("pk"), latest_unread=Max("pk", filter=unread)
    )
    return found["count"], found["latest"] or 0, found["latest_unread"] or 0


def types_for(*, user: User, organization: Organization | None) -> list[NotificationType]:
    """The notification types that concern this person here (`NotificationType.shown_to`), in settings order."""
    return [kind for kind in registry.all_types() if kind.shown_to is None or kind.shown_to(user, organization)]


def preferences_of(user: User) -> dict[tuple[str, str], Preference]:
    return {(row.type_key, row.channel): row for row in Preference.objects.filter(user=user)}


def _zone(time_zone: str) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(time_zone) if time_zone else timezone.get_current_timezone()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_current_timezone()


def _day_start(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


def delivery_log(
    *,
    organization: Organization,
    status: str = "",
    channel: str = "",
    type_key: str = "",
    recipient: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    time_zone: str = "",
) -> QuerySet[Delivery]:
    """Every delivery of the organisation's notifications, newest first (the admin's delivery log); empty filters
    are ignored. `recipient`: name or email contains (case-insensitive); `date_from`/`date_to`: days, inclusive, of
    the notification's creation, in `time_zone` (the reader's; the current one when empty)."""
    rows = Delivery.objects.filter(notification__organization=organization)
    if status:
        rows = rows.filter(status=status)
    if channel:
        rows = rows.filter(channel=channel)
    if type_key:
        rows = rows.filter(notification__type_key=type_key)
    if recipient:
        rows = rows.filter(
            Q(notification__recipient__email__icontains=recipient)
            | Q(notification__recipient__display_name__icontains=recipient)
        )
    zone = _zone(time_zone)
    if date_from:
        rows = rows.filter(notification__created_at__gte=_day_start(date_from, zone))
    if date_to:
        rows = rows.filter(notification__created_at__lt=_day_start(date_to + dt.timedelta(days=1), zone))
    return rows.select_related("notification__recipient").order_by("-notification__created_at", "-pk")


def template_get(*, organization: Organization, type_key: str, language: str) -> Template | None:
    """The organisation's own wording of a type in a language (None: the built-in wording applies)."""
    return (
        Template.objects.filter(organization=organization, type_key=type_key, language=language)
        .select_related("updated_by")
        .first()
    )


def templates_of(organization: Organization) -> dict[tuple[str, str], Template]:
    """Every wording the organisation wrote, by (type, language)."""
    rows = Template.objects.filter(organization=organization).select_related("updated_by")
    return {(row.type_key, row.language): row for row in rows}


def mandatory_in(organization: Organization) -> set[str]:
    """The types the organisation made mandatory."""
    return set(
        OrganizationTypeSetting.objects.filter(organization=organization, mandatory=True).values_list(
            "type_key", flat=True
        )
    )
