"""REST API of notifications (under /api/v1/): the caller's notification centre and preferences, the registry of
notification types, and for organisation admins (`notification.manage`) the wording of each type, mandatory types
and the delivery log.

Thin endpoints (HackSoft style): parse with a nested serializer, look the row up among what the caller may see
(another person's or another organisation's notification answers 404, like an id that does not exist), call one
service or selector, serialize. Services validate and check the capability again; their refusals come back in the
one error format (`core.api.exception_handler`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404
from django.utils import translation
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from syllabus.access.endpoints import OrganizationEndpoint
from syllabus.core.api import paginated_response, with_errors
from syllabus.notifications import rendering, selectors, services
from syllabus.notifications import types as registry
from syllabus.notifications.channels import base as channels
from syllabus.notifications.forms_admin import RECIPIENT_MAX
from syllabus.notifications.models import DeliveryMode, DeliveryStatus, Notification, Preference

TAG = "notifications"
MANAGE = "notification.manage"
UNKNOWN_CHANNEL = "There is no channel “{channel}”."
UNKNOWN_TYPE = "There is no notification type “{type}”."


# --- shared fields and output ----------------------------------------------------------------------------------


# Documented as strings whose values the description lists, not as enums: the schema turns every enum into a
# component named after the field, and other apps already have `mode` and `status` enums with other values.
@extend_schema_field({"type": "string", "example": DeliveryMode.IMMEDIATE.value})
class ModeField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "One of " + ", ".join(f"`{value}`" for value in DeliveryMode.values) + ".")
        super().__init__(choices=DeliveryMode.choices, **kwargs)


@extend_schema_field({"type": "string", "example": DeliveryStatus.SENT.value})
class DeliveryStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "One of " + ", ".join(f"`{value}`" for value in DeliveryStatus.values) + ".")
        super().__init__(choices=DeliveryStatus.choices, **kwargs)


class NotificationOutputSerializer(serializers.Serializer[Notification]):
    id = serializers.IntegerField()
    type = serializers.CharField(source="type_key", help_text="The notification type's key (see /notification-types/).")
    subject = serializers.CharField()
    body = serializers.CharField(help_text="Plain text, rendered in the recipient's language when it was sent.")
    url = serializers.CharField(help_text="A path inside Syllabus where the notification leads (may be empty).")
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True, help_text="Null while unread.")
    organization = serializers.IntegerField(
        source="organization_id", allow_null=True, help_text="Null for account-level notifications (security)."
    )


NOTIFICATION_EXAMPLE = {
    "id": 5120,
    "type": "enrollment.request_decided",
    "subject": "Your request for Working at height was approved",
    "body": "Max Manager approved your request for Working at height.\n\nNote: Go ahead.",
    "url": "/learn/courses/41/",
    "created_at": "2026-01-13T08:02:00Z",
    "read_at": None,
    "organization": 3,
}


class NotificationPlaceholderOutputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(help_text="Written `{{ name }}` in a subject or body.")
    label = serializers.CharField()  # type: ignore[assignment]
    sample = serializers.CharField(help_text="The value previews use.")


class NotificationTypeOutputSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    description = serializers.CharField()
    category = serializers.CharField()
    placeholders = NotificationPlaceholderOutputSerializer(many=True)
    default_channels = serializers.ListField(child=serializers.CharField(), help_text="On unless the person says no.")
    mandatory = serializers.BooleanField(help_text="Nobody may turn its default channels off.")
    org_mandatory_allowed = serializers.BooleanField(help_text="An organisation may make it mandatory.")
    urgent = serializers.BooleanField(help_text="Sent at once: never held for quiet hours or a digest.")
    account_level = serializers.BooleanField(
        help_text="About the account itself (security): not tied to an organisation, not reworded per organisation."
    )
    mandatory_in_organization = serializers.BooleanField(
        help_text="The current organisation made it mandatory for its people."
    )


def _type_data(kind: registry.NotificationType, org_mandatory: set[str]) -> dict[str, Any]:
    return {
        "key": kind.key,
        "label": str(kind.label),
        "description": str(kind.description),
        "category": str(kind.category),
        "placeholders": [
            {"name": name, "label": str(placeholder.label), "sample": str(placeholder.sample)}
            for name, placeholder in kind.placeholders.items()
        ],
        "default_channels": list(kind.default_channels),
        "mandatory": kind.mandatory,
        "org_mandatory_allowed": kind.org_mandatory_allowed,
        "urgent": kind.urgent,
        "account_level": kind.account_level,
        "mandatory_in_organization": kind.key in org_mandatory,
    }


TYPE_EXAMPLE = {
    "key": "enrollment.request_decided",
    "label": "Enrollment request decided",
    "description": "Your manager or the course team approved or declined your request for a place.",
    "category": "Enrollment",
    "placeholders": [
        {"name": "course_title", "label": "Course title", "sample": "Working at height"},
        {"name": "decided_by", "label": "Who decided", "sample": "Max Manager"},
    ],
    "default_channels": ["in_app", "email"],
    "mandatory": False,
    "org_mandatory_allowed": True,
    "urgent": False,
    "account_level": False,
    "mandatory_in_organization": False,
}


def _kind_or_404(key: str) -> registry.NotificationType:
    try:
        return registry.get(key)
    except LookupError:
        raise Http404 from None


# --- the notification centre -----------------------------------------------------------------------------------


# The caller's own notifications in the current organisation (plus their account-level ones). (A comment, not a
# docstring: the schema would show a docstring as the description of every endpoint without one.)
class NotificationApi(OrganizationEndpoint):
    def get_notification(self, pk: int) -> Notification:
        found = selectors.notification_list(user=self.user, organization=self.organization).filter(pk=pk).first()
        if found is None:
            raise Http404
        return found


class NotificationListApi(NotificationApi):
    class FilterSerializer(serializers.Serializer[Any]):
        unread = serializers.BooleanField(required=False, default=False, help_text="Only unread notifications.")

    @extend_schema(
        tags=[TAG],
        summary="List your notifications",
        description="The caller's in-app notifications in the current organisation and their account-level ones "
        "(security), newest first.",
        parameters=[FilterSerializer],
        responses=with_errors({200: NotificationOutputSerializer(many=True)}, 400, 401, 403),
        examples=[OpenApiExample("A notification", value=NOTIFICATION_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request) -> Response:
        # A plain dict, so a missing boolean takes its default instead of reading as an unticked checkbox.
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        rows = selectors.notification_list(
            user=self.user, organization=self.organization, unread_only=filters.validated_data["unread"]
        )
        return paginated_response(
            request=request, view=self, queryset=rows, serializer_class=NotificationOutputSerializer
        )


class NotificationUnreadCountApi(NotificationApi):
    class OutputSerializer(serializers.Serializer[Any]):
        unread = serializers.IntegerField()

    @extend_schema(
        tags=[TAG],
        summary="Count your unread notifications",
        description="What the bell shows: unread notifications of the current organisation and account-level ones.",
        responses=with_errors({200: OutputSerializer}, 401, 403),
        examples=[OpenApiExample("Three unread", value={"unread": 3}, response_only=True)],
    )
    def get(self, request: Request) -> Response:
        count = selectors.unread_count(user=self.user, organization=self.organization)
        return Response(self.OutputSerializer({"unread": count}).data)


class NotificationReadApi(NotificationApi):
    @extend_schema(
        tags=[TAG],
        summary="Mark a notification read",
        description="Only your own notifications (of the current organisation, or account-level); any other id "
        "answers 404. Marking a read notification again changes nothing.",
        request=None,
        responses=with_errors({200: NotificationOutputSerializer}, 401, 403, 404),
    )
    def post(self, request: Request, pk: int) -> Response:
        notification = self.get_notification(pk)
        services.notifications_mark_read(user=self.user, organization=self.organization, ids=[notification.pk])
        notification.refresh_from_db(fields=["read_at"])
        return Response(NotificationOutputSerializer(notification).data)


class NotificationUnreadApi(NotificationApi):
    @extend_schema(
        tags=[TAG],
        summary="Mark a notification unread",
        description="As marking read: only your own notifications; any other id answers 404.",
        request=None,
        responses=with_errors({200: NotificationOutputSerializer}, 401, 403, 404),
    )
    def post(self, request: Request, pk: int) -> Response:
        notification = self.get_notification(pk)
        services.notifications_mark_unread(user=self.user, organization=self.organization, ids=[notification.pk])
        notification.refresh_from_db(fields=["read_at"])
        return Response(NotificationOutputSerializer(notification).data)


class NotificationReadAllApi(NotificationApi):
    class OutputSerializer(serializers.Serializer[Any]):
        marked = serializers.IntegerField(help_text="How many notifications were unread and are now read.")

    @extend_schema(
        tags=[TAG],
        summary="Mark all your notifications read",
        description="Every unread notification of the current organisation, and the account-level ones.",
        request=None,
        responses=with_errors({200: OutputSerializer}, 401, 403),
        examples=[OpenApiExample("Marked", value={"marked": 3}, response_only=True)],
    )
    def post(self, request: Request) -> Response:
        marked = services.notifications_mark_all_read(user=self.user, organization=self.organization)
        return Response(self.OutputSerializer({"marked": marked}).data)


# --- preferences -----------------------------------------------------------------------------------------------


class NotificationChannelChoiceOutputSerializer(serializers.Serializer[Any]):
    channel = serializers.CharField(help_text="`in_app`, `email`, or another installed channel.")
    enabled = serializers.BooleanField()
    mode = ModeField()
    locked = serializers.BooleanField(help_text="Mandatory (for everyone, or by the organisation): cannot be off.")
    supports_digest = serializers.BooleanField(
        help_text="Whether `digest` may be chosen: the channel has digests and the type is not urgent."
    )


class NotificationTypePreferenceOutputSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    description = serializers.CharField()
    category = serializers.CharField()
    channels = NotificationChannelChoiceOutputSerializer(many=True)


class NotificationSettingsSerializer(serializers.Serializer[Any]):
    quiet_start = serializers.TimeField(
        allow_null=True, required=False, help_text="Start of quiet hours (HH:MM in your time zone), or null."
    )
    quiet_end = serializers.TimeField(
        allow_null=True, required=False, help_text="End of quiet hours; give both ends or neither."
    )
    digest_time = serializers.TimeField(required=False, help_text="When the daily digest goes out (HH:MM).")
    time_zone = serializers.CharField(read_only=True, help_text="Your time zone (changed on your profile).")


class NotificationPreferencesOutputSerializer(serializers.Serializer[Any]):
    preferences = NotificationTypePreferenceOutputSerializer(many=True)
    settings = NotificationSettingsSerializer()


@dataclass(frozen=True)
class _PersonView:
    quiet_start: dt.time | None
    quiet_end: dt.time | None
    digest_time: dt.time
    time_zone: str


PREFERENCES_EXAMPLE = {
    "preferences": [
        {
            "key": "enrollment.request_decided",
            "label": "Enrollment request decided",
            "description": "Your manager or the course team approved or declined your request for a place.",
            "category": "Enrollment",
            "channels": [
                {"channel": "in_app", "enabled": True, "mode": "immediate", "locked": False, "supports_digest": False},
                {"channel": "email", "enabled": True, "mode": "digest", "locked": False, "supports_digest": True},
            ],
        }
    ],
    "settings": {"quiet_start": "22:00:00", "quiet_end": "07:00:00", "digest_time": "08:00:00", "time_zone": "UTC"},
}


class NotificationPreferenceChangeInputSerializer(serializers.Serializer[Any]):
    type = serializers.CharField(max_length=80, help_text="A notification type's key.")
    channel = serializers.CharField(max_length=30)
    enabled = serializers.BooleanField()
    mode = ModeField(required=False, help_text="`immediate` or `digest`; left out: keeps the current mode.")


class NotificationPreferencesApi(OrganizationEndpoint):
    class InputSerializer(serializers.Serializer[Any]):
        preferences = NotificationPreferenceChangeInputSerializer(many=True, required=False, max_length=1000)  # type: ignore[call-arg]
        settings = NotificationSettingsSerializer(required=False)

    def preferences_data(self) -> dict[str, Any]:
        mine: dict[str, dict[str, Preference]] = {}
        for (type_key, channel_key), row in selectors.preferences_of(self.user).items():
            mine.setdefault(type_key, {})[channel_key] = row
        org_mandatory = services.mandatory_types(self.organization.pk)
        available = {channel.key: channel for channel in channels.all_channels()}
        rows = []
        for kind in selectors.types_for(user=self.user, organization=self.organization):
            choices = services.choices_for(
                kind=kind, preferences=mine.get(kind.key, {}), org_mandatory=kind.key in org_mandatory
            )
            rows.append(
                {
                    "key": kind.key,
                    "label": str(kind.label),
                    "description": str(kind.description),
                    "category": str(kind.category),
                    "channels": [
                        {
                            "channel": choice.channel,
                            "enabled": choice.enabled,
                            "mode": choice.mode,
                            "locked": choice.locked,
                            "supports_digest": available[choice.channel].supports_digest and not kind.urgent,
                        }
                        for choice in choices.values()
                    ],
                }
            )
        person = services.person_settings_get(self.user)
        own = _PersonView(person.quiet_start, person.quiet_end, person.digest_time, self.user.time_zone)
        return {"preferences": rows, "settings": own}

    @extend_schema(
        tags=[TAG],
        summary="Read your notification preferences",
        description="For every notification type, each channel's effective choice (your own, or the type's "
        "default), whether it is locked on, and your quiet hours and digest time.",
        responses=with_errors({200: NotificationPreferencesOutputSerializer}, 401, 403),
        examples=[OpenApiExample("Preferences", value=PREFERENCES_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request) -> Response:
        return Response(NotificationPreferencesOutputSerializer(self.preferences_data()).data)

    @extend_schema(
        tags=[TAG],
        summary="Change your notification preferences",
        description="`preferences` lists the choices to change (type, channel, enabled, mode); `settings` the quiet "
        "hours and digest time (fields left out keep their value). Both are optional. All or nothing: a refused "
        "choice (a channel your organisation made mandatory turned off, a digest on a channel without one) answers "
        "400 naming it as `type.channel`, and nothing changes. Answers with all your preferences, as reading does.",
        request=InputSerializer,
        responses=with_errors({200: NotificationPreferencesOutputSerializer}, 400, 401, 403),
        examples=[
            OpenApiExample(
                "Email as a digest, quiet nights",
                value={
                    "preferences": [
                        {"type": "enrollment.request_decided", "channel": "email", "enabled": True, "mode": "digest"}
                    ],
                    "settings": {"quiet_start": "22:00", "quiet_end": "07:00", "digest_time": "08:00"},
                },
                request_only=True,
            ),
            OpenApiExample("Preferences", value=PREFERENCES_EXAMPLE, response_only=True),
        ],
    )
    def patch(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        current = selectors.preferences_of(self.user)
        changes = [
            services.PreferenceChange(
                type_key=item["type"],
                channel=item["channel"],
                enabled=item["enabled"],
                mode=item.get("mode") or _current_mode(current, item["type"], item["channel"]),
            )
            for item in data.get("preferences", [])
        ]
        # One transaction over both services: settings refused after the choices were saved must undo them too.
        with transaction.atomic():
            if changes:
                services.preferences_update(user=self.user, organization=self.organization, changes=changes)
            if "settings" in data:
                self.update_settings(data["settings"])
        return Response(NotificationPreferencesOutputSerializer(self.preferences_data()).data)

    def update_settings(self, given: dict[str, Any]) -> None:
        person = services.person_settings_get(self.user)
        try:
            services.person_settings_update(
                user=self.user,
                quiet_start=given.get("quiet_start", person.quiet_start),
                quiet_end=given.get("quiet_end", person.quiet_end),
                digest_time=given.get("digest_time", person.digest_time),
            )
        except DjangoValidationError as error:
            # The service names its own fields; in this request they sit under `settings`.
            raise DjangoValidationError(
                {f"settings.{name}": messages for name, messages in error.message_dict.items()}
            ) from error


def _current_mode(current: dict[tuple[str, str], Preference], type_key: str, channel: str) -> str:
    row = current.get((type_key, channel))
    return row.mode if row is not None else DeliveryMode.IMMEDIATE


# --- the registry of types ---------------------------------------------------------------------------------------


class NotificationTypeListApi(OrganizationEndpoint):
    pagination_class = None  # type: ignore[assignment]  # a short list declared in code

    @extend_schema(
        tags=[TAG],
        summary="List notification types",
        description="Every notification type Syllabus can send, as declared in code, with its placeholders and "
        "flags, and whether the current organisation made it mandatory. Any member may read it. Not paginated.",
        responses=with_errors({200: NotificationTypeOutputSerializer(many=True)}, 401, 403),
        examples=[OpenApiExample("A type", value=[TYPE_EXAMPLE], response_only=True)],
    )
    def get(self, request: Request) -> Response:
        org_mandatory = services.mandatory_types(self.organization.pk)
        data = [_type_data(kind, org_mandatory) for kind in registry.all_types()]
        return Response(NotificationTypeOutputSerializer(data, many=True).data)


class NotificationTypeMandatoryApi(OrganizationEndpoint):
    class InputSerializer(serializers.Serializer[Any]):
        mandatory = serializers.BooleanField()

    @extend_schema(
        tags=[TAG],
        summary="Make a notification type mandatory, or optional again",
        description="Needs `notification.manage`. While mandatory, the organisation's people cannot turn the "
        "type's default channels off. Only types with `org_mandatory_allowed` may be made mandatory (else 400). "
        "Audited. Answers with the type.",
        request=InputSerializer,
        responses=with_errors({200: NotificationTypeOutputSerializer}),
        examples=[OpenApiExample("Mandatory", value={"mandatory": True}, request_only=True)],
    )
    def put(self, request: Request, key: str) -> Response:
        self.require(MANAGE)
        kind = _kind_or_404(key)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.type_mandatory_set(
            organization=self.organization,
            type_key=kind.key,
            mandatory=serializer.validated_data["mandatory"],
            by=self.user,
        )
        org_mandatory = services.mandatory_types(self.organization.pk)
        return Response(NotificationTypeOutputSerializer(_type_data(kind, org_mandatory)).data)


# --- the organisation's wording ----------------------------------------------------------------------------------


class NotificationTemplateApi(OrganizationEndpoint):
    class InputSerializer(serializers.Serializer[Any]):
        subject = serializers.CharField(
            max_length=rendering.SUBJECT_MAX, help_text="May use the type's `{{ placeholders }}`."
        )
        # The same limits as the wording page's form: one organisation may not store more through the API.
        body = serializers.CharField(
            max_length=rendering.BODY_MAX, help_text="Plain text; may use the type's placeholders."
        )

    class OutputSerializer(serializers.Serializer[Any]):
        type = serializers.CharField()
        language = serializers.CharField()
        subject = serializers.CharField()
        body = serializers.CharField()
        is_default = serializers.BooleanField(
            help_text="True: the built-in wording (the organisation has not reworded it in this language)."
        )
        updated_at = serializers.DateTimeField(allow_null=True, help_text="Null for the built-in wording.")

    def lookup(self, key: str, language: str) -> tuple[registry.NotificationType, str]:
        """Refuse (403) without the capability, then 404 for a type or language Syllabus does not have."""
        self.require(MANAGE)
        kind = _kind_or_404(key)
        if language not in {code for code, _name in settings.LANGUAGES}:
            raise Http404
        return kind, language

    def wording(self, kind: registry.NotificationType, language: str) -> dict[str, Any]:
        saved = None
        if not kind.account_level:
            saved = selectors.template_get(organization=self.organization, type_key=kind.key, language=language)
        if saved is not None:
            return {
                "type": kind.key,
                "language": language,
                "subject": saved.subject,
                "body": saved.body,
                "is_default": False,
                "updated_at": saved.updated_at,
            }
        with translation.override(language):
            subject, body = str(kind.subject), str(kind.body)
        return {
            "type": kind.key,
            "language": language,
            "subject": subject,
            "body": body,
            "is_default": True,
            "updated_at": None,
        }

    @extend_schema(
        tags=[TAG],
        summary="Read the wording of a notification type",
        description="Needs `notification.manage`. The organisation's wording in this language, or the built-in "
        "one (`is_default: true`). `language` is one of the languages Syllabus offers (else 404).",
        responses=with_errors({200: OutputSerializer}, 401, 403, 404),
    )
    def get(self, request: Request, key: str, language: str) -> Response:
        kind, language = self.lookup(key, language)
        return Response(self.OutputSerializer(self.wording(kind, language)).data)

    @extend_schema(
        tags=[TAG],
        summary="Reword a notification type",
        description="Needs `notification.manage`. Saves the organisation's subject and body in this language. "
        "Only the type's placeholders may be used (`{{ name }}`, nothing else: unknown names and stray braces "
        "answer 400 naming `subject` or `body`). Account-level (security) types cannot be reworded. Audited.",
        request=InputSerializer,
        responses=with_errors({200: OutputSerializer}),
        examples=[
            OpenApiExample(
                "Reworded",
                value={
                    "subject": "{{ course_title }}: your request",
                    "body": "{{ decided_by }} looked at your request for {{ course_title }}.",
                },
                request_only=True,
            )
        ],
    )
    def put(self, request: Request, key: str, language: str) -> Response:
        kind, language = self.lookup(key, language)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.template_save(
            organization=self.organization,
            type_key=kind.key,
            language=language,
            subject=serializer.validated_data["subject"],
            body=serializer.validated_data["body"],
            by=self.user,
        )
        return Response(self.OutputSerializer(self.wording(kind, language)).data)

    @extend_schema(
        tags=[TAG],
        summary="Go back to the built-in wording",
        description="Needs `notification.manage`. Deletes the organisation's wording in this language (audited); "
        "answers 204 also when there was none.",
        responses=with_errors({204: None}, 401, 403, 404),
    )
    def delete(self, request: Request, key: str, language: str) -> Response:
        kind, language = self.lookup(key, language)
        services.template_reset(organization=self.organization, type_key=kind.key, language=language, by=self.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- the delivery log --------------------------------------------------------------------------------------------


class NotificationRecipientOutputSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(help_text="The user id (as `user.id` in /me/).")
    email = serializers.EmailField()


class NotificationDeliveryOutputSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    notification = serializers.IntegerField(source="notification_id")
    type = serializers.CharField(source="notification.type_key")
    recipient = NotificationRecipientOutputSerializer(source="notification.recipient")
    channel = serializers.CharField()
    mode = ModeField()
    status = DeliveryStatusField()
    attempts = serializers.IntegerField()
    last_error = serializers.CharField(help_text="Why the last attempt failed (empty when none did).")
    sent_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField(source="notification.created_at")


DELIVERY_EXAMPLE = {
    "id": 9031,
    "notification": 5120,
    "type": "enrollment.request_decided",
    "recipient": {"id": 88, "email": "rita@example.com"},
    "channel": "email",
    "mode": "immediate",
    "status": "bounced",
    "attempts": 1,
    "last_error": "550 5.1.1 <rita@example.com>: mailbox unavailable",
    "sent_at": None,
    "created_at": "2026-01-13T08:02:00Z",
}


class NotificationDeliveryListApi(OrganizationEndpoint):
    class FilterSerializer(serializers.Serializer[Any]):
        status = DeliveryStatusField(required=False)
        channel = serializers.CharField(required=False, max_length=30, help_text="A channel key, e.g. `email`.")
        type = serializers.CharField(required=False, max_length=80, help_text="A notification type's key.")
        recipient = serializers.CharField(
            required=False, allow_blank=True, max_length=RECIPIENT_MAX, help_text="Name or email contains."
        )
        date_from = serializers.DateField(required=False, help_text="Notifications created on or after this day.")
        date_to = serializers.DateField(required=False, help_text="Notifications created on or before this day.")

        def validate_channel(self, value: str) -> str:
            if value not in {channel.key for channel in channels.all_channels()}:
                raise serializers.ValidationError(UNKNOWN_CHANNEL.format(channel=value))
            return value

        def validate_type(self, value: str) -> str:
            try:
                registry.get(value)
            except LookupError:
                raise serializers.ValidationError(UNKNOWN_TYPE.format(type=value)) from None
            return value

    @extend_schema(
        tags=[TAG],
        summary="The delivery log",
        description="Needs `notification.manage`. Every delivery of the organisation's notifications on channels "
        "other than in-app (email...), newest first: pending, sending, sent, failed (retries exhausted), bounced "
        "(the server refused the address) or cancelled. Days of `date_from` and `date_to` are in the caller's time "
        "zone (their profile's).",
        parameters=[FilterSerializer],
        responses=with_errors({200: NotificationDeliveryOutputSerializer(many=True)}, 400, 401, 403),
        examples=[OpenApiExample("A bounce", value=DELIVERY_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request) -> Response:
        self.require(MANAGE)
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        rows = selectors.delivery_log(
            organization=self.organization,
            status=data.get("status", ""),
            channel=data.get("channel", ""),
            type_key=data.get("type", ""),
            recipient=data.get("recipient", "").strip(),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            time_zone=self.user.time_zone,
        )
        return paginated_response(
            request=request, view=self, queryset=rows, serializer_class=NotificationDeliveryOutputSerializer
        )
