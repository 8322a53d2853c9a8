"""Forms of the exemption pages: asking, deciding (with the approver's signature), revoking, and the queue's filters.

They only parse; `services.exemptions` validates and writes, and its field errors land on the fields they name.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from syllabus.accounts.models import Organization
from syllabus.compliance.models import Exemption, Program

ENDS_ON_OR_EXTEND_TO = _("Choose the new due date.")


class ServiceErrors:
    """Puts a service's ValidationError on the fields it names (the rest at the top of the form)."""

    def add_service_error(self, exc: ValidationError) -> None:
        form: forms.Form = self  # type: ignore[assignment]
        if not hasattr(exc, "error_dict"):
            form.add_error(None, exc.messages)
            return
        for field, messages in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)


class RequestForm(ServiceErrors, forms.Form):
    kind = forms.ChoiceField(
        label=_("What do you ask for?"),
        choices=Exemption.Kind.choices,
        widget=forms.RadioSelect,
        initial=Exemption.Kind.EXTENSION,
    )
    extend_to = forms.DateField(
        label=_("New due date"),
        required=False,
        # exemption_form.js shows only the date of the kind chosen (both without JavaScript).
        widget=forms.DateInput(attrs={"type": "date", "data-for-kind": Exemption.Kind.EXTENSION}, format="%Y-%m-%d"),
        help_text=_("For an extension: after the current due date, and at most a year away."),
    )
    ends_on = forms.DateField(
        label=_("Exempt until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "data-for-kind": Exemption.Kind.EXEMPTION}, format="%Y-%m-%d"),
        help_text=_("For an exemption: the last exempt day. Leave it empty for an exemption without end."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 2000}),
        max_length=2000,
        help_text=_("A compliance officer reads it to decide. Say only what they need to know."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("kind") == Exemption.Kind.EXTENSION
            and not data.get("extend_to")
            and "extend_to" not in self.errors
        ):
            self.add_error("extend_to", ENDS_ON_OR_EXTEND_TO)
        return data


class DecisionForm(ServiceErrors, forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=(("approve", _("Approve (you sign it)")), ("decline", _("Decline"))),
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note to the person"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 2000}),
        max_length=2000,
        help_text=_("Required when you decline."),
    )
    password = forms.CharField(
        label=_("Your password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("To approve, prove it is you: your password, or a code from your authenticator app."),
    )
    code = forms.CharField(
        label=_("Or a code from your authenticator app"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, with_code: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not with_code:
            # Only people with an authenticator app are offered its code; the others sign with their password.
            del self.fields["code"]
            self.fields["password"].help_text = _("To approve, prove it is you: type the password you sign in with.")

    @property
    def approve(self) -> bool:
        return self.cleaned_data.get("decision") == "approve"


class RevokeForm(ServiceErrors, forms.Form):
    reason = forms.CharField(
        label=_("Why is it revoked?"),
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 2000}),
        max_length=2000,
        help_text=_("The person is re-evaluated from today without it."),
    )


class QueueFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("Any state")), *Exemption.State.choices]
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("Both kinds")), *Exemption.Kind.choices])
    program = forms.ModelChoiceField(
        label=_("Program"), required=False, queryset=Program.objects.none(), empty_label=_("Every program")
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = Program.objects.filter(organization=organization).order_by("name")  # type: ignore[attr-defined]

    def filters(self) -> dict[str, Any]:
        """The valid filters (an invalid one is ignored, as a list page should still show)."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "state": data.get("state") or None,
            "kind": data.get("kind") or None,
            "program_id": data["program"].pk if data.get("program") else None,
        }
