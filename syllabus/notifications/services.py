"""Sending notifications, and the writes behind the notification centre, preferences and templates.

Apps call `notify(Notice(...))` (or `notify_many`) from their services or event handlers. It renders the message in
the recipient's language, writes the in-app row and one `Delivery` per other channel, and queues the worker after
the transaction commits. It never raises for a delivery problem and never sends the same dedupe key twice.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.functional import Promise

from syllabus.access.policy import NOT_ALLOWED, principal_for
from syllabus.accounts.models import Organization, User
from syllabus.audit.services import audit_record
from syllabus.core import clock
from syllabus.notifications import rendering, schedule, selectors
from syllabus.notifications import types as registry
from syllabus.notifications.channels import base as channels
from syllabus.notifications.models import (
    Delivery,
    DeliveryMode,
    Notification,
    OrganizationTypeSetting,
    PersonSettings,
    Preference,
    Template,
)

logger = logging.getLogger(__name__)

CONTEXT_UNKNOWN = "Notification {type} has no placeholder {names}."
CONTEXT_MISSING = "Notification {type} needs {names}."
CONTEXT_VALUE = "Placeholder {name} of {type} must be text, a number or a date, not {kind}."
# Said of built-in mandatory types (security) and of types the organisation made mandatory alike.
PREFERENCE_LOCKED = "“{type}” is required on this channel: it cannot be turned off."
PREFERENCE_NEVER = "“{type}” is never sent on this channel."
PREFERENCE_NO_DIGEST = "This channel has no digest."
PREFERENCE_UNKNOWN_TYPE = "There is no notification type “{type}”."
PREFERENCE_UNKNOWN_CHANNEL = "There is no channel “{channel}”."
QUIET_HOURS_HALF = "Give both the start and the end of your quiet hours, or neither."
TEMPLATE_ACCOUNT_LEVEL = "Account security messages are worded by Syllabus, not per organisation."
TEMPLATE_EMPTY = "Write a subject and a body."
TEMPLATE_TOO_LONG = "At most {limit} characters."
MANDATORY_NOT_ALLOWED = "This notification type cannot be made mandatory."

_VALUE_TYPES = (str, int, float, Decimal, dt.date, dt.datetime)


@dataclass(frozen=True)
class Notice:
    """One notification to send: to whom, which type, the placeholder values, and the key that makes it unique.

    `dedupe_key` names the occasion, e.g. f"enrollment:{enrollment.pk}:decided" or f"reminder:{a.pk}:{day}":
    a second notice with the same key to the same person is dropped, whoever sends it and however often.
    `url` is a path inside Syllabus ("/courses/12/"), where the notification leads.
    """

    recipient_id: int
    type: str
    dedupe_key: str
    context: Mapping[str, Any] = field(default_factory=dict)
    organization_id: int | None = None
    url: str = ""
    # The email's Reply-To (a course message: its sender's address); empty: replies are not read.
    reply_to: str = ""
    # The person the notice is about, when not the recipient (erasing them deletes it): see Notification.about.
    about_id: int | None = None


@dataclass(frozen=True)
class ChannelChoice:
    channel: str
    enabled: bool
    mode: str
    locked: bool  # mandatory: the person cannot turn it off


E = TypeVar("E")


def never_fails(handler: Callable[[E], None]) -> Callable[[E], None]:
    """Wrap an event handler that sends notifications: the business action committed already, so a failure is
    logged, never raised. Its writes go in a savepoint, so a database error cannot spoil a surrounding transaction.
    Only the event's type is logged: an event may carry a secret (a password reset link)."""

    @functools.wraps(handler)
    def run(event: E) -> None:
        try:
            with transaction.atomic():
                handler(event)
        except Exception:
            logger.exception("notifications not sent for %s", type(event).__name__)

    return run


# --- reading what a person wants ----------------------------------------------------------------------------


def choices_for(
    *,
    kind: registry.NotificationType,
    preferences: Mapping[str, Preference],
    org_mandatory: bool,
) -> dict[str, ChannelChoice]:
    """Each channel's effective setting for one type, from the person's rows (keyed by channel) and the flags."""
    result = {}
    for channel in channels.all_channels():
        default_on = channel.key in kind.default_channels
        # A built-in mandatory type's channels are fixed both ways (a reset link never goes in-app); an
        # organisation's mandatory flag only keeps the default channels on.
        locked = kind.mandatory or (default_on and org_mandatory and kind.org_mandatory_allowed)
        row = preferences.get(channel.key)
        enabled = default_on if locked else (row.enabled if row is not None else default_on)
        mode = row.mode if row is not None and channel.supports_digest and not kind.urgent else DeliveryMode.IMMEDIATE
        result[channel.key] = ChannelChoice(channel=channel.key, enabled=enabled, mode=mode, locked=locked)
    return result


def mandatory_types(organization_id: int | None) -> set[str]:
    if organization_id is None:
        return set()
    return set(
        OrganizationTypeSetting.objects.filter(organization_id=organization_id, mandatory=True).values_list(
            "type_key", flat=True
        )
    )


# --- sending ------------------------------------------------------------------------------------------------


def _check_context(notice: Notice, kind: registry.NotificationType) -> None:
    # Send-time placeholders (secrets) are filled in by the channel, never given by the sender.
    declared, given = set(kind.placeholders) - set(kind.send_time_placeholders), set(notice.context)
    if given - declared:
        raise ValueError(CONTEXT_UNKNOWN.format(type=kind.key, names=", ".join(sorted(given - declared))))
    if declared - given:
        raise ValueError(CONTEXT_MISSING.format(type=kind.key, names=", ".join(sorted(declared - given))))
    for name, value in notice.context.items():
        if value is not None and not isinstance(value, _VALUE_TYPES):
            raise ValueError(CONTEXT_VALUE.format(name=name, type=kind.key, kind=type(value).__name__))


def _wording(
    kind: registry.NotificationType,
    language: str,
    organization: Organization | None,
    templates: Mapping[tuple[int, str, str], Template],
) -> tuple[str | Promise, str | Promise]:
    """The organisation's wording in the person's language, else in the organisation's language, else built-in
    (a lazy translation, which `rendering.render` evaluates in the person's language)."""
    if organization is not None and not kind.account_level:
        for lang in (language, organization.default_language):
            template = templates.get((organization.pk, kind.key, lang))
            if template is not None:
                return template.subject, template.body
    return kind.subject, kind.body


def _render(
    notice: Notice,
    kind: registry.NotificationType,
    user: User,
    organization: Organization | None,
    templates: Mapping[tuple[int, str, str], Template],
) -> rendering.Rendered:
    language = user.locale or (organization.default_language if organization else "en")
    subject, body = _wording(kind, language, organization, templates)
    return rendering.render(
        subject=subject,
        body=body,
        context=notice.context,
        language=language,
        time_zone=user.time_zone,
        keep=kind.send_time_placeholders,
    )


def notify(notice: Notice) -> Notification | None:
    """Send one notice. Returns the new notification, or None when its dedupe key was used already."""
    created = notify_many([notice])
    return created[0] if created else None


# Notices per round of queries: keeps every IN (...) list under SQLite's 32,766 bound parameters.
BATCH = 1000


def notify_many(notices: Sequence[Notice]) -> list[Notification]:
    """Send many notices with a constant number of queries per `BATCH`; those whose dedupe key was used are
    dropped.

    Raises ValueError for a programming error (unknown type, wrong placeholders): never for delivery trouble.
    """
    kinds = {notice.type: registry.get(notice.type) for notice in notices}
    for notice in notices:
        _check_context(notice, kinds[notice.type])
    created: list[Notification] = []
    for start in range(0, len(notices), BATCH):
        created.extend(_notify_batch(notices[start : start + BATCH], kinds))
    return created


def _notify_batch(notices: Sequence[Notice], kinds: Mapping[str, registry.NotificationType]) -> list[Notification]:
    if not notices:
        return []
    # One notice per (person, key) even within the batch.
    unique: dict[tuple[int, str], Notice] = {}
    for notice in notices:
        unique.setdefault((notice.recipient_id, notice.dedupe_key), notice)
    recipient_ids = {recipient_id for recipient_id, _key in unique}
    used = set(
        Notification.objects.filter(
            recipient_id__in=recipient_ids, dedupe_key__in={key for _id, key in unique}
        ).values_list("recipient_id", "dedupe_key")
    )
    fresh = [notice for pair, notice in unique.items() if pair not in used]
    if not fresh:
        return []
    users = {user.pk: user for user in User.objects.filter(pk__in={n.recipient_id for n in fresh}, is_active=True)}
    fresh = [notice for notice in fresh if notice.recipient_id in users]
    org_ids = {notice.organization_id for notice in fresh if notice.organization_id is not None}
    organizations = {org.pk: org for org in Organization.objects.filter(pk__in=org_ids)}
    templates = {
        (t.organization_id, t.type_key, t.language): t
        for t in Template.objects.filter(organization_id__in=org_ids, type_key__in=set(kinds))
    }
    org_mandatory = {
        (row.organization_id, row.type_key)
        for row in OrganizationTypeSetting.objects.filter(organization_id__in=org_ids, mandatory=True)
    }
    preferences: dict[tuple[int, str], dict[str, Preference]] = defaultdict(dict)
    for pref in Preference.objects.filter(user_id__in=users, type_key__in=set(kinds)):
        preferences[(pref.user_id, pref.type_key)][pref.channel] = pref
    settings_of = {row.user_id: row for row in PersonSettings.objects.filter(user_id__in=users)}

    now = clock.now()
    plans: list[tuple[Notification, list[Delivery]]] = []
    for notice in fresh:
        kind, user = kinds[notice.type], users[notice.recipient_id]
        organization = organizations.get(notice.organization_id) if notice.organization_id else None
        rendered = _render(notice, kind, user, organization, templates)
        choices = choices_for(
            kind=kind,
            preferences=preferences.get((user.pk, kind.key), {}),
            org_mandatory=(notice.organization_id, kind.key) in org_mandatory,
        )
        notification = Notification(
            recipient=user,
            organization_id=notice.organization_id,
            type_key=kind.key,
            dedupe_key=notice.dedupe_key,
            subject=rendered.subject,
            body=rendered.body,
            url=notice.url[:500],
            reply_to=notice.reply_to,
            about_id=notice.about_id,
            created_at=now,
            in_app=False,
        )
        deliveries = []
        for choice in choices.values():
            if not choice.enabled:
                continue
            channel = channels.get(choice.channel)
            if not channel.uses_deliveries:
                notification.in_app = True
                continue
            if not channel.is_available_for(user):
                continue
            deliveries.append(
                Delivery(
                    channel=channel.key,
                    mode=choice.mode,
                    not_before=_not_before(now, kind, channel, choice, settings_of.get(user.pk), user.time_zone),
                )
            )
        plans.append((notification, deliveries))

    created = _save(plans)
    immediate = [d.pk for n, ds in created for d in ds if d.not_before <= now]
    if immediate:
        transaction.on_commit(lambda: _queue(immediate))
    return [notification for notification, _deliveries in created]


def _not_before(
    now: dt.datetime,
    kind: registry.NotificationType,
    channel: channels.Channel,
    choice: ChannelChoice,
    person: PersonSettings | None,
    time_zone: str,
) -> dt.datetime:
    if kind.urgent:
        return now
    if choice.mode == DeliveryMode.DIGEST:
        digest_time = person.digest_time if person is not None else dt.time(8, 0)
        return schedule.next_digest(now, digest_time, time_zone)
    if channel.respects_quiet_hours and person is not None:
        return schedule.quiet_hours_end(now, person.quiet_start, person.quiet_end, time_zone)
    return now


def _save(plans: list[tuple[Notification, list[Delivery]]]) -> list[tuple[Notification, list[Delivery]]]:
    """Insert the notifications and their deliveries; a notice another process sent meanwhile is dropped."""
    try:
        with transaction.atomic():
            Notification.objects.bulk_create([notification for notification, _d in plans])
            if not all(notification.pk for notification, _d in plans):
                raise IntegrityError("ids not returned")  # backends that cannot return ids: go one by one
            _save_deliveries(plans)
        return plans
    except IntegrityError:
        pass
    saved = []
    for notification, deliveries in plans:
        # The failed bulk insert may have numbered some rows before it was rolled back.
        notification.pk = None
        for delivery in deliveries:
            delivery.pk = None
        try:
            with transaction.atomic():
                notification.save(force_insert=True)
                _save_deliveries([(notification, deliveries)])
        except IntegrityError:
            continue  # the same dedupe key, sent by a concurrent job
        saved.append((notification, deliveries))
    return saved


def _save_deliveries(plans: Iterable[tuple[Notification, list[Delivery]]]) -> None:
    rows = []
    for notification, deliveries in plans:
        for delivery in deliveries:
            delivery.notification = notification
            rows.append(delivery)
    Delivery.objects.bulk_create(rows)
    if rows and not all(row.pk for row in rows):
        # Without returned ids (older SQLite), read them back: the worker is queued by id.
        ids = dict(
            Delivery.objects.filter(notification__in=[row.notification for row in rows]).values_list(
                "notification_id", "pk"
            )
        )
        for row in rows:
            row.pk = ids.get(row.notification.pk)


def _queue(delivery_ids: list[int]) -> None:
    from syllabus.notifications import tasks

    try:
        for start in range(0, len(delivery_ids), 200):
            tasks.send_deliveries.delay(delivery_ids[start : start + 200])
    except Exception:  # a broker outage must not fail the business action; the sweep sends later
        logger.exception("could not queue notification deliveries; the periodic sweep will send them")


# --- the notification centre --------------------------------------------------------------------------------


def notifications_mark_read(*, user: User, organization: Organization | None, ids: Iterable[int]) -> int:
    """Mark the person's own notifications read (other people's ids are ignored). Returns how many changed."""
    return Notification.objects.filter(
        selectors.centre_q(user, organization), pk__in=list(ids), read_at__isnull=True
    ).update(read_at=clock.now())


def notifications_mark_unread(*, user: User, organization: Organization | None, ids: Iterable[int]) -> int:
    return Notification.objects.filter(
        selectors.centre_q(user, organization), pk__in=list(ids), read_at__isnull=False
    ).update(read_at=None)


def notifications_settle(*, dedupe_key: str) -> int:
    """Mark read, for everyone, the notifications sent under `dedupe_key`: what they asked for is done (another
    approver decided the request). Returns how many changed."""
    return Notification.objects.filter(dedupe_key=dedupe_key, read_at__isnull=True).update(read_at=clock.now())


def notifications_mark_all_read(*, user: User, organization: Organization | None) -> int:
    return Notification.objects.filter(selectors.centre_q(user, organization), read_at__isnull=True).update(
        read_at=clock.now()
    )


# --- preferences --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreferenceChange:
    type_key: str
    channel: str
    enabled: bool
    mode: str = DeliveryMode.IMMEDIATE


def preferences_update(*, user: User, organization: Organization | None, changes: Sequence[PreferenceChange]) -> None:
    """Save the person's choices; refused whole (ValidationError naming the type) if one is not allowed."""
    mandatory = mandatory_types(organization.pk if organization else None)
    errors: dict[str, list[str]] = defaultdict(list)
    for change in changes:
        field_name = f"{change.type_key}.{change.channel}"
        try:
            kind = registry.get(change.type_key)
        except LookupError:
            errors[field_name].append(PREFERENCE_UNKNOWN_TYPE.format(type=change.type_key))
            continue
        try:
            channel = channels.get(change.channel)
        except LookupError:
            errors[field_name].append(PREFERENCE_UNKNOWN_CHANNEL.format(channel=change.channel))
            continue
        if change.mode not in DeliveryMode.values or (
            change.mode == DeliveryMode.DIGEST and not channel.supports_digest
        ):
            errors[field_name].append(PREFERENCE_NO_DIGEST)
        choice = choices_for(kind=kind, preferences={}, org_mandatory=kind.key in mandatory)[channel.key]
        if choice.locked and change.enabled != choice.enabled:
            message = PREFERENCE_LOCKED if choice.enabled else PREFERENCE_NEVER
            errors[field_name].append(message.format(type=kind.label))
    if errors:
        raise ValidationError(dict(errors))
    with transaction.atomic():
        for change in changes:
            Preference.objects.update_or_create(
                user=user,
                type_key=change.type_key,
                channel=change.channel,
                defaults={"enabled": change.enabled, "mode": change.mode},
            )


def person_settings_get(user: User) -> PersonSettings:
    return PersonSettings.objects.filter(user=user).first() or PersonSettings(user=user, digest_time=dt.time(8, 0))


def person_settings_update(
    *, user: User, quiet_start: dt.time | None, quiet_end: dt.time | None, digest_time: dt.time
) -> PersonSettings:
    if (quiet_start is None) != (quiet_end is None):
        raise ValidationError({"quiet_end": QUIET_HOURS_HALF})
    row, _created = PersonSettings.objects.update_or_create(
        user=user, defaults={"quiet_start": quiet_start, "quiet_end": quiet_end, "digest_time": digest_time}
    )
    return row


# --- organisation: templates and mandatory types -----------------------------------------------------------


def _require_manager(by: User, organization: Organization) -> None:
    if not principal_for(by, organization).can("notification.manage"):
        raise PermissionDenied(NOT_ALLOWED)


def template_save(
    *, organization: Organization, type_key: str, language: str, subject: str, body: str, by: User
) -> Template:
    """Save the organisation's wording of a type in a language (validated: known placeholders only). Audited."""
    _require_manager(by, organization)
    kind = registry.get(type_key)
    if kind.account_level:
        raise ValidationError({"type_key": TEMPLATE_ACCOUNT_LEVEL})
    subject, body = subject.strip(), body.strip()
    errors: dict[str, list[str]] = {}
    if not subject or not body:
        errors["subject" if not subject else "body"] = [TEMPLATE_EMPTY]
    if len(subject) > rendering.SUBJECT_MAX:
        errors["subject"] = [TEMPLATE_TOO_LONG.format(limit=rendering.SUBJECT_MAX)]
    if len(body) > rendering.BODY_MAX:
        errors["body"] = [TEMPLATE_TOO_LONG.format(limit=rendering.BODY_MAX)]
    for name, text in (("subject", subject), ("body", body)):
        problems = rendering.template_errors(text, kind)
        if problems:
            errors.setdefault(name, []).extend(problems)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        before = Template.objects.filter(organization=organization, type_key=type_key, language=language).first()
        template, _created = Template.objects.update_or_create(
            organization=organization,
            type_key=type_key,
            language=language,
            defaults={"subject": subject, "body": body, "updated_by": by},
        )
        audit_record(
            organization=organization,
            action="notification.template_saved",
            actor=by,
            target=template,
            before={"subject": before.subject, "body": before.body} if before else None,
            after={"type": type_key, "language": language, "subject": subject, "body": body},
        )
    return template


def template_reset(*, organization: Organization, type_key: str, language: str, by: User) -> bool:
    """Go back to the built-in wording. Audited; False when there was nothing to reset."""
    _require_manager(by, organization)
    with transaction.atomic():
        template = Template.objects.filter(organization=organization, type_key=type_key, language=language).first()
        if template is None:
            return False
        audit_record(
            organization=organization,
            action="notification.template_reset",
            actor=by,
            target=template,
            before={"type": type_key, "language": language, "subject": template.subject, "body": template.body},
        )
        template.delete()
    return True


def type_mandatory_set(*, organization: Organization, type_key: str, mandatory: bool, by: User) -> None:
    """Make a type mandatory for the organisation's people (only types that allow it). Audited."""
    _require_manager(by, organization)
    kind = registry.get(type_key)
    if mandatory and not kind.org_mandatory_allowed:
        raise ValidationError({"mandatory": MANDATORY_NOT_ALLOWED})
    with transaction.atomic():
        row, _created = OrganizationTypeSetting.objects.get_or_create(organization=organization, type_key=type_key)
        if row.mandatory == mandatory:
            return
        row.mandatory = mandatory
        row.save(update_fields=["mandatory", "updated_at"])
        audit_record(
            organization=organization,
            action="notification.mandatory_changed",
            actor=by,
            target=row,
            before={"type": type_key, "mandatory": not mandatory},
            after={"type": type_key, "mandatory": mandatory},
        )
