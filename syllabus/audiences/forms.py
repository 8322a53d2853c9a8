"""Forms of the audience pages. The rule travels as JSON text: the builder (builder.js) writes it, and without
JavaScript people type it."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from syllabus.audiences.rules import ROOT

NOT_JSON = _('Enter the rule as JSON, for example {"all": [{"job_role": [3]}]}: %(error)s')
DATETIME_INPUTS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"]


def parse_rules(text: str) -> Any:
    try:
        return json.loads(text or "{}")
    except ValueError as exc:
        raise ValidationError(NOT_JSON, params={"error": str(exc)}) from exc


def rule_error_messages(exc: ValidationError) -> tuple[list[str], dict[str, list[str]]]:
    """Split a service error into messages about the rule ("path: message") and the other fields' errors."""
    about_rules: list[str] = []
    others: dict[str, list[str]] = {}
    if not hasattr(exc, "error_dict"):
        return [], {"__all__": exc.messages}
    for key, errors in exc.message_dict.items():
        if key == ROOT or key.startswith((f"{ROOT}.", f"{ROOT}[")):
            about_rules.extend(f"{key}: {message}" for message in errors)
        else:
            others.setdefault(key, []).extend(errors)
    return about_rules, others


class AudienceForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    rules = forms.CharField(
        label=_("Rule (JSON)"),
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "code"}),
        help_text=_(
            'Groups: {"all": [...]}, {"any": [...]}, {"not": {...}}. Conditions: {"org_unit": id, '
            '"include_sub_units": true}, {"job_role": [ids]}, {"location": [ids]}, {"hire_date": {"within_days": 30}}, '
            '{"attribute": {"key": "grade", "op": "eq", "value": "Band 5"}}, {"audience": id}.'
        ),
    )

    def clean_rules(self) -> Any:
        return parse_rules(self.cleaned_data["rules"])

    def add_service_error(self, exc: ValidationError) -> None:
        about_rules, others = rule_error_messages(exc)
        if about_rules:
            self.add_error("rules", about_rules)
        for field, messages in others.items():
            self.add_error(field if field in self.fields else None, messages)


class MembersAtForm(forms.Form):
    at = forms.DateTimeField(
        label=_("Members at"),
        required=False,
        input_formats=DATETIME_INPUTS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("A past date and time, in your time zone. Leave empty for now."),
    )
