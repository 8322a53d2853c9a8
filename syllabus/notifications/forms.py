"""The form of the preferences page: one checkbox per notification type and channel, a delivery choice (at once or
daily digest) per type on channels that have a digest, quiet hours and the digest time.

The form only parses and says what changed; `services.preferences_update` and `services.person_settings_update`
validate again and write. Choices the person may not change (mandatory types) are disabled fields: Django ignores
whatever a forged post sends for them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from syllabus.notifications import services
from syllabus.notifications.channels.base import Channel
from syllabus.notifications.models import DeliveryMode, PersonSettings
from syllabus.notifications.types import NotificationType

REQUIRED_BY_ORGANIZATION = _("Required by your organisation")
REQUIRED_FOR_SECURITY = _("Required for your account's security")
# A mandatory type's channels are fixed both ways: a password reset link is never shown in Syllabus, for instance.
NEVER_THIS_WAY = _("Never sent this way")
MODE_CHOICES = [(DeliveryMode.IMMEDIATE.value, _("At once")), (DeliveryMode.DIGEST.value, _("Daily digest"))]
TIME_FORMAT = "%H:%M"


@dataclass(frozen=True)
class TypeRow:
    """One notification type as the preferences page shows it: each channel's effective choice, and why it is
    locked ("" when the person may change it)."""

    kind: NotificationType
    choices: Mapping[str, services.ChannelChoice]
    locked_reason: str


def type_rows(
    kinds: Sequence[NotificationType],
    preferences: Mapping[tuple[str, str], Any],
    org_mandatory: set[str],
) -> list[TypeRow]:
    """The rows of the page from the registry, the person's saved rows and the organisation's mandatory types."""
    by_type: dict[str, dict[str, Any]] = {}
    for (type_key, channel), row in preferences.items():
        by_type.setdefault(type_key, {})[channel] = row
    rows = []
    for kind in kinds:
        own = by_type.get(kind.key, {})
        mandatory_here = kind.key in org_mandatory
        choices = services.choices_for(kind=kind, preferences=own, org_mandatory=mandatory_here)
        if kind.mandatory:
            reason = str(REQUIRED_FOR_SECURITY)
        elif mandatory_here and kind.org_mandatory_allowed:
            reason = str(REQUIRED_BY_ORGANIZATION)
        else:
            reason = ""
        rows.append(TypeRow(kind=kind, choices=choices, locked_reason=reason))
    return rows


def enabled_name(type_key: str, channel: str) -> str:
    # The same key the service uses for its errors ("type.channel"), so they land on the right checkbox.
    return f"{type_key}.{channel}"


def mode_name(type_key: str, channel: str) -> str:
    return f"{type_key}.{channel}.mode"


def _locked_text(row: TypeRow, choice: services.ChannelChoice) -> str:
    if not choice.locked:
        return ""
    return row.locked_reason if choice.enabled else str(NEVER_THIS_WAY)


def _time_input() -> forms.TimeInput:
    return forms.TimeInput(attrs={"type": "time"}, format=TIME_FORMAT)


class PreferencesForm(forms.Form):
    quiet_start = forms.TimeField(label=_("Start of quiet hours"), required=False, widget=_time_input())
    quiet_end = forms.TimeField(label=_("End of quiet hours"), required=False, widget=_time_input())
    digest_time = forms.TimeField(label=_("Send my daily digest at"), widget=_time_input())

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        rows: Sequence[TypeRow],
        channels: Sequence[Channel],
        person: PersonSettings,
        time_zone: str,
    ) -> None:
        super().__init__(
            data,
            initial={
                "quiet_start": person.quiet_start,
                "quiet_end": person.quiet_end,
                "digest_time": person.digest_time,
            },
        )
        self.rows = list(rows)
        self.channels = list(channels)
        self.fields["digest_time"].help_text = _(
            "One email with everything you chose to receive in the daily digest, at this time in %(zone)s."
        ) % {"zone": time_zone}
        for row in self.rows:
            for channel in self.channels:
                choice = row.choices[channel.key]
                # The visible column and row headers give the context; the label repeats both for screen readers,
                # which announce a checkbox by its own name.
                self.fields[enabled_name(row.kind.key, channel.key)] = forms.BooleanField(
                    label=_("%(type)s, %(channel)s") % {"type": row.kind.label, "channel": channel.label},
                    required=False,
                    initial=choice.enabled,
                    disabled=choice.locked,
                    help_text=_locked_text(row, choice),
                )
                if channel.supports_digest and not row.kind.urgent and (choice.enabled or not choice.locked):
                    # Not required: the page greys the choice out (disables it) while the channel's box is
                    # unticked, and a disabled select is not posted; the choice in force is then kept.
                    self.fields[mode_name(row.kind.key, channel.key)] = forms.ChoiceField(
                        label=_("When: %(type)s, %(channel)s") % {"type": row.kind.label, "channel": channel.label},
                        choices=MODE_CHOICES,
                        initial=choice.mode,
                        required=False,
                        widget=forms.Select(attrs={"data-follows": f"id_{enabled_name(row.kind.key, channel.key)}"}),
                    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("quiet_start"), data.get("quiet_end")
        if (start is None) != (end is None) and not self.has_error("quiet_start") and not self.has_error("quiet_end"):
            self.add_error("quiet_end" if end is None else "quiet_start", _(services.QUIET_HOURS_HALF))
        return data

    def changes(self) -> list[services.PreferenceChange]:
        """The choices that differ from what is in force now: unchanged defaults stay defaults (no row saved)."""
        out = []
        for row in self.rows:
            for channel in self.channels:
                choice = row.choices[channel.key]
                if choice.locked:
                    enabled = choice.enabled
                else:
                    enabled = bool(self.cleaned_data.get(enabled_name(row.kind.key, channel.key)))
                mode = self.cleaned_data.get(mode_name(row.kind.key, channel.key)) or choice.mode
                if enabled != choice.enabled or mode != choice.mode:
                    out.append(
                        services.PreferenceChange(
                            type_key=row.kind.key, channel=channel.key, enabled=enabled, mode=str(mode)
                        )
                    )
        return out

    def times(self) -> tuple[dt.time | None, dt.time | None, dt.time]:
        return self.cleaned_data["quiet_start"], self.cleaned_data["quiet_end"], self.cleaned_data["digest_time"]

    def add_service_error(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, [_(message) for message in exc.messages])
            return
        for field, messages in exc.message_dict.items():
            self.add_error(field if field in self.fields else None, [_(message) for message in messages])


@dataclass(frozen=True)
class ErrorLink:
    """One line of the error summary at the top of the page (catalog/authoring/_error_summary.html)."""

    label: str
    message: str
    target: str  # the id of the field's input, "" for an error about the whole form


def error_summary(form: forms.Form) -> list[ErrorLink]:
    """Every error of the bound form, each linking to its field: the focus goes there after a refused save."""
    if not form.is_bound:
        return []
    out = [ErrorLink("", str(message), "") for message in form.non_field_errors()]
    for name, errors in form.errors.items():
        if name == NON_FIELD_ERRORS or name not in form.fields:
            continue
        bound = form[name]
        target = bound.id_for_label or bound.auto_id or ""
        out += [ErrorLink(str(bound.label), str(message), target) for message in errors]
    return out
