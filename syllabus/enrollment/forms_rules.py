"""Forms of the enrollment-rule pages: which audience, the due date rule and what happens when someone leaves.

They only parse; `services.rule_create` / `rule_update` validate again and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from syllabus.accounts.models import Organization
from syllabus.audiences.models import Audience
from syllabus.enrollment.models import EnrollmentRule

DUE_DAYS_REQUIRED = _("Give the number of days until the due date.")
MAX_DUE_DAYS = 3650


class AudienceChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    """An audience with its size, so the administrator sees how many people a rule would enroll."""

    def label_from_instance(self, obj: Any) -> str:
        count = obj.member_count
        people = ngettext("%(count)s person", "%(count)s people", count) % {"count": count}
        return f"{obj.name} ({people})"


class RuleForm(forms.Form):
    due_from = forms.ChoiceField(
        label=_("Due date"), choices=EnrollmentRule.DueFrom.choices, widget=forms.RadioSelect, initial="none"
    )
    due_days = forms.IntegerField(
        label=_("Days until due"),
        required=False,
        min_value=0,
        max_value=MAX_DUE_DAYS,
        help_text=_(
            "Counted from the day each person is enrolled, or from their hire date. Due at the end of that day."
        ),
    )
    on_leave = forms.ChoiceField(
        label=_("When someone leaves the audience"),
        choices=EnrollmentRule.OnLeave.choices,
        widget=forms.RadioSelect,
        initial="keep",
        help_text=_("People who completed the course always keep their enrollment."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        wants_days = data.get("due_from", "none") != EnrollmentRule.DueFrom.NONE
        if wants_days and data.get("due_days") is None and "due_days" not in self.errors:
            self.add_error("due_days", DUE_DAYS_REQUIRED)
        if data.get("due_from") == EnrollmentRule.DueFrom.NONE:
            data["due_days"] = None
        return data

    def add_service_error(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for field, messages in exc.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)


class RuleCreateForm(RuleForm):
    field_order = ["audience", "due_from", "due_days", "on_leave"]

    def __init__(self, *args: Any, organization: Organization, taken: set[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Audiences that already have a rule on this course are left out: one rule per audience and course.
        queryset = Audience.objects.for_organization(organization).exclude(pk__in=taken).order_by("name", "pk")
        self.fields["audience"] = AudienceChoice(
            label=_("Audience"),
            queryset=queryset,
            empty_label=_("Choose an audience"),
            help_text=_("Everyone in it is enrolled now, and whoever joins it later when they join."),
        )
        self.order_fields(self.field_order)

    def has_audiences(self) -> bool:
        return bool(self.is_bound or self.fields["audience"].queryset.exists())  # type: ignore[attr-defined]


class RuleEditForm(RuleForm):
    is_active = forms.BooleanField(
        label=_("Active: enroll people who join the audience"),
        required=False,
        help_text=_("A paused rule enrolls nobody; turning it on again enrolls everyone in the audience."),
    )
