"""Forms of the organisation's notification settings pages. They parse and label what the admin sends; the services
validate again and do every write (their ValidationErrors are put back here with `add_service_error`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from syllabus.notifications import rendering
from syllabus.notifications import types as registry
from syllabus.notifications.channels import base as channels
from syllabus.notifications.models import DeliveryStatus

# The longest message an organisation may write, enforced by this form and by the API (api.py imports it): the
# whole body is rendered for every recipient and stored in every notification.
BODY_MAX = rendering.BODY_MAX
RECIPIENT_MAX = 254


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class ServiceForm(forms.Form):
    """A form that can show a service's ValidationError: on the field it names when the form has it, else on top."""

    def add_service_error(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for name, messages in exc.message_dict.items():
            self.add_error(name if name in self.fields else None, messages)


class TemplateForm(ServiceForm):
    """An organisation's wording of one notification type in one language."""

    subject = forms.CharField(
        label=_("Subject"),
        max_length=rendering.SUBJECT_MAX,
        help_text=_("The email's subject and the title in the notification centre. Line breaks are removed."),
    )
    body = forms.CharField(
        label=_("Message"),
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 12, "class": "code"}),
        help_text=_("Plain text. Leave an empty line between paragraphs."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The placeholder buttons (admin.js) insert into whichever of these the admin was in last.
        for field in self.fields.values():
            field.widget.attrs["data-wording"] = ""

    def draft(self) -> tuple[str, str]:
        """The subject and body as typed, valid or not: what the live preview shows."""
        data = self.data if self.is_bound else self.initial
        return str(data.get("subject") or "")[: rendering.SUBJECT_MAX], str(data.get("body") or "")[:BODY_MAX]


class MandatoryForm(ServiceForm):
    """One type made mandatory for everyone in the organisation, or optional again."""

    type_key = forms.ChoiceField()
    mandatory = forms.BooleanField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["type_key"].choices = [(kind.key, str(kind.label)) for kind in registry.all_types()]  # type: ignore[attr-defined]


class DeliveryLogFilterForm(forms.Form):
    """The delivery log's filters, read from the query string; an invalid value is ignored, not an error page."""

    recipient = forms.CharField(
        label=_("Recipient"),
        required=False,
        max_length=RECIPIENT_MAX,
        help_text=_("Name or email contains"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    date_from = forms.DateField(label=_("Created from"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("Created to"), required=False, widget=DateInput())
    status = forms.ChoiceField(label=_("Status"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    type = forms.ChoiceField(label=_("Notification"), required=False)

    def __init__(self, data: Any) -> None:
        super().__init__(data)
        self.fields["status"].choices = [("", _("Any status")), *DeliveryStatus.choices]  # type: ignore[attr-defined]
        self.fields["channel"].choices = [  # type: ignore[attr-defined]
            ("", _("Any channel")),
            *((channel.key, str(channel.label)) for channel in channels.all_channels() if channel.uses_deliveries),
        ]
        self.fields["type"].choices = [  # type: ignore[attr-defined]
            ("", _("Any notification")),
            *((kind.key, str(kind.label)) for kind in registry.all_types()),
        ]

    def filters(self) -> dict[str, str | dt.date]:
        """The valid filters as `selectors.delivery_log` arguments; an invalid or empty field is left out."""
        self.is_valid()
        data = self.cleaned_data
        lookups = {
            "recipient": "recipient",
            "date_from": "date_from",
            "date_to": "date_to",
            "status": "status",
            "channel": "channel",
            "type": "type_key",
        }
        found: dict[str, str | dt.date] = {}
        for name, lookup in lookups.items():
            value = data.get(name)
            if isinstance(value, str):
                value = value.strip()
            if value:
                found[lookup] = value
        return found
