"""Forms of the course team's pages. They parse and validate input only; the services decide and write."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from syllabus.accounts.models import Organization
from syllabus.enrollment import services
from syllabus.enrollment.forms_team import DrawnSelect
from syllabus.enrollment.models import SelfEnrollment, Status
from syllabus.enrollment.selectors_course import MessageCounts

DATETIME_INPUTS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
SORT_CHOICES = [("name", _("Name")), ("progress", _("Progress")), ("activity", _("Last activity"))]


def add_service_error(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's refusal on the field it names (or on the form)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@dataclass(frozen=True)
class ErrorLink:
    """One line of the error summary at the top of a form page (catalog/authoring/_error_summary.html)."""

    label: str  # the field's label, "" for an error about the whole form
    message: str
    target: str  # the id of the field's input, to link to (and focus); "" for none


def error_summary(*forms_: forms.Form) -> list[ErrorLink]:
    """Every error of the bound forms of a page, each linking to its field, for the summary shown at the top: the
    focus goes there after a failed POST, so keyboard and screen reader users learn what to fix and reach it."""
    out: list[ErrorLink] = []
    for form in forms_:
        if not form.is_bound:
            continue
        out += [ErrorLink("", str(message), "") for message in form.non_field_errors()]
        for name, errors in form.errors.items():
            if name == NON_FIELD_ERRORS or name not in form.fields:
                continue
            bound = form[name]
            # A group of radios or checkboxes has no input with its own id: its first option stands for it.
            if isinstance(bound.field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple) and bound.auto_id:
                target = f"{bound.auto_id}_0"
            else:
                target = bound.id_for_label or bound.auto_id or ""
            out += [ErrorLink(str(bound.label), str(message), target) for message in errors]
    return out


def zone_name(organization: Organization) -> str:
    """The time zone due days are counted in (as `services.due_at_end_of_day` counts them)."""
    return organization.default_time_zone or "UTC"


def end_of_day(day: dt.date | None, organization: Organization) -> dt.datetime | None:
    """A due day as its last second in the organisation's time zone, as the manager's form and audience rules count
    it: the same day means the same moment whoever typed it."""
    if day is None:
        return None
    return services.due_at_end_of_day(day, organization)


def _ids(values: list[str]) -> list[int]:
    out = []
    for value in values:
        try:
            out.append(int(value))
        except (TypeError, ValueError):
            continue
    return out


class IdsField(forms.Field):
    """Several integer ids (checkboxes or a multiple select); anything not a number is dropped."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        if not isinstance(value, list | tuple):
            value = [value]
        return _ids([str(v) for v in value])


class ParticipantFilterForm(forms.Form):
    # The selects are drawn in Python (Django's markup): through the widget templates, two includes an option.
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Enrolled, completed or waiting")), *Status.choices],
        widget=DrawnSelect,
    )
    group = forms.TypedChoiceField(label=_("Group"), required=False, coerce=int, empty_value=None, widget=DrawnSelect)
    q = forms.CharField(label=_("Name or email"), required=False, max_length=100)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORT_CHOICES, widget=DrawnSelect)

    def __init__(self, *args: Any, groups: list[Any], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "filter_%s")
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [("", _("Any group")), *((g.pk, g.name) for g in groups)]  # type: ignore[attr-defined]

    def filters(self) -> dict[str, Any]:
        """The valid filters (an invalid one is ignored, never an error page)."""
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "status": data.get("status") or "",
            "group_id": data.get("group"),
            "search": data.get("q") or "",
            "sort": data.get("sort") or "name",
        }


class EnrollForm(forms.Form):
    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "enroll_%s")
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.fields["due_on"].help_text = _("Optional. Due at the end of that day (%(zone)s).") % {
            "zone": zone_name(organization)
        }

    members = IdsField(label=_("People"), required=False)
    due_on = forms.DateField(
        label=_("Due date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean_members(self) -> list[int]:
        members: list[int] = self.cleaned_data["members"]
        if not members:
            raise ValidationError(_("Choose at least one person to enroll."))
        return members

    @property
    def due_at(self) -> dt.datetime | None:
        return end_of_day(self.cleaned_data.get("due_on"), self.organization)


class ReasonForm(forms.Form):
    """Decline a request, remove someone: the reason is required (the person or the audit trail reads it)."""

    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ApproveForm(forms.Form):
    reason = forms.CharField(label=_("Note (optional)"), required=False, max_length=2000)


class BulkForm(forms.Form):
    ACTIONS = [
        ("add_to_group", _("Add to group")),
        ("remove_from_group", _("Remove from group")),
        ("message", _("Send a message")),
    ]
    action = forms.ChoiceField(label=_("With the selected people"), choices=ACTIONS, widget=DrawnSelect)
    group = forms.TypedChoiceField(label=_("Group"), required=False, coerce=int, empty_value=None, widget=DrawnSelect)
    selected = IdsField(label=_("Selected people"), required=False)

    def __init__(self, *args: Any, groups: list[Any], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "bulk_%s")
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [("", _("Choose a group")), *((g.pk, g.name) for g in groups)]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("selected"):
            raise ValidationError(_("Select at least one person in the table."))
        if data.get("action") in ("add_to_group", "remove_from_group") and not data.get("group"):
            self.add_error("group", _("Choose the group."))
        return data


class GroupForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False, max_length=500)


class GroupMembersForm(forms.Form):
    enrollments = IdsField(label=_("Participants"), required=False)


class MessageForm(forms.Form):
    """Whom to write to, each choice with the number of people it reaches. Nothing is chosen beforehand (a message
    to everyone by mistake cannot be taken back), "The people selected" is offered only when someone is, and the
    people who completed the course get it only when asked for."""

    to = forms.ChoiceField(
        label=_("To"), widget=forms.RadioSelect, error_messages={"required": _("Choose who receives the message.")}
    )
    group = forms.TypedChoiceField(label=_("Group"), required=False, coerce=int, empty_value=None)
    include_completed = forms.BooleanField(required=False)
    selected = IdsField(label=_("Selected people"), required=False)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(label=_("Message"), max_length=20000, widget=forms.Textarea(attrs={"rows": 8}))

    def __init__(
        self, *args: Any, groups: list[Any], counts: MessageCounts, selected_count: int, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = []
        if selected_count:
            choices.append(
                (
                    "selected",
                    ngettext("The person selected (%(count)s)", "The people selected (%(count)s)", selected_count)
                    % {"count": selected_count},
                )
            )
        choices.append(("group", gettext("A group")))
        choices.append(
            (
                "everyone",
                ngettext(
                    "Everyone still in the course (%(count)s person)",
                    "Everyone still in the course (%(count)s people)",
                    counts.learning,
                )
                % {"count": counts.learning},
            )
        )
        self.fields["to"].choices = choices  # type: ignore[attr-defined]
        self.fields["group"].choices = [  # type: ignore[attr-defined]
            ("", gettext("Choose a group")),
            *((g.pk, _group_label(g.name, *counts.groups.get(g.pk, (0, 0)))) for g in groups),
        ]
        if counts.completed:
            self.fields["to"].help_text = _(
                "Everyone and a group mean the people still learning, waiting for a place or for approval; "
                "those who completed the course only if you check the box below."
            )
            self.fields["include_completed"].label = ngettext(
                "Also write to the person who completed the course",
                "Also write to the %(count)s people who completed the course",
                counts.completed,
            ) % {"count": counts.completed}
        else:
            del self.fields["include_completed"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("to") == "group" and not data.get("group"):
            self.add_error("group", _("Choose the group."))
        if data.get("to") == "selected" and not data.get("selected"):
            self.add_error("to", _("Nobody is selected: choose a group or everyone."))
        return data


def _group_label(name: str, learning: int, completed: int) -> str:
    label = ngettext("%(name)s (%(count)s person)", "%(name)s (%(count)s people)", learning) % {
        "name": name,
        "count": learning,
    }
    if completed:
        return ngettext(
            "%(label)s, and %(count)s who completed", "%(label)s, and %(count)s who completed", completed
        ) % {"label": label, "count": completed}
    return label


class OptionsForm(forms.Form):
    self_enrollment = forms.ChoiceField(
        label=_("Self-enrollment"), choices=SelfEnrollment.choices, widget=forms.RadioSelect
    )
    capacity = forms.IntegerField(
        label=_("Places"), required=False, min_value=1, help_text=_("Leave empty for no limit.")
    )
    waitlist = forms.BooleanField(label=_("Keep a waiting list when the course is full"), required=False)
    opens_at = forms.DateTimeField(
        label=_("Self-enrollment opens"),
        required=False,
        input_formats=DATETIME_INPUTS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    closes_at = forms.DateTimeField(
        label=_("Self-enrollment closes"),
        required=False,
        input_formats=DATETIME_INPUTS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    enrollment_key = forms.CharField(
        label=_("Enrollment key"),
        required=False,
        max_length=64,
        help_text=_("People enrolling themselves must type it. Leave empty for no key."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    default_due_days = forms.IntegerField(
        label=_("Due after (days)"),
        required=False,
        min_value=1,
        help_text=_("Self-enrollments are due this many days after enrolling. Leave empty for no due date."),
    )

    def __init__(self, *args: Any, zone: str, **kwargs: Any) -> None:
        """`zone`: the person's time zone (the middleware activates it), in which the window's times are read."""
        super().__init__(*args, **kwargs)
        self.fields["opens_at"].help_text = _("In your time zone (%(zone)s). Leave empty to open now.") % {"zone": zone}
        self.fields["closes_at"].help_text = _("In your time zone (%(zone)s). Leave empty to stay open.") % {
            "zone": zone
        }


class ParticipantCorrectionForm(forms.Form):
    """Mark one activity complete for the learner: the reason is kept in the audit trail."""

    activity = forms.UUIDField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), max_length=500)


class ResetForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    confirm = forms.BooleanField(
        label=_(
            "I understand: the learner's progress in every activity is cleared (their transcript keeps a "
            "completion already recorded)."
        ),
    )
