"""Forms of the audit pages: the trail's filters and the erasure confirmation."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from syllabus.audit import selectors

CHAIN_ORGANIZATION, CHAIN_PLATFORM = "organization", "platform"
EMAIL_MISMATCH = _("Type the person's email address exactly as shown to confirm.")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class AuditFilterForm(forms.Form):
    """The trail's filters, read from the query string; an invalid value is ignored, not an error page."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        help_text=_("Action, target id, name, email, changed value or IP address"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())
    actor = forms.CharField(
        label=_("Done by"), required=False, max_length=200, help_text=_("Name or email of who did it")
    )
    action = forms.ChoiceField(label=_("Action"), required=False)
    target_type = forms.ChoiceField(label=_("Target"), required=False)

    def __init__(self, data: Any, *, action_choices: list[tuple[str, str]], platform_admin: bool) -> None:
        super().__init__(data)
        self.fields["action"].choices = [("", _("All actions")), *action_choices]  # type: ignore[attr-defined]
        self.fields["target_type"].choices = [  # type: ignore[attr-defined]
            ("", _("All targets")),
            *selectors.target_type_choices(),
        ]
        if platform_admin:
            self.fields["chain"] = forms.ChoiceField(
                label=_("Trail"),
                required=False,
                choices=[
                    (CHAIN_ORGANIZATION, _("This organisation")),
                    (CHAIN_PLATFORM, _("Platform (sign-ins outside any organisation)")),
                ],
            )

    def to_filter(self) -> selectors.AuditFilter:
        self.is_valid()
        data = self.cleaned_data
        return selectors.AuditFilter(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            actor=(data.get("actor") or "").strip(),
            action=data.get("action") or "",
            target_type=data.get("target_type") or "",
            text=(data.get("q") or "").strip(),
        )

    @property
    def platform(self) -> bool:
        self.is_valid()
        return self.cleaned_data.get("chain") == CHAIN_PLATFORM


class EraseForm(forms.Form):
    confirm_email = forms.CharField(
        label=_("Email address of the person"),
        max_length=254,
        help_text=_("Type it to confirm. Erasure cannot be undone."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, data: Any, *, email: str) -> None:
        super().__init__(data)
        self.email = email

    def clean_confirm_email(self) -> str:
        value = str(self.cleaned_data["confirm_email"]).strip()
        if value.lower() != self.email.lower():
            raise ValidationError(EMAIL_MISMATCH)
        return value
