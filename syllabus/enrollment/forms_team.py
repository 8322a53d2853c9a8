"""Forms of the manager's pages: the team's filters, assigning a course, a due date, and reasons. They parse and
label what people type; `enrollment.services` validates again and does every write."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from html import escape  # the standard library's, as Django's (without its lazy-string wrapper)
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from syllabus.accounts.models import Membership, Organization, OrgUnit
from syllabus.catalog.models import Course
from syllabus.core import clock
from syllabus.enrollment import services
from syllabus.enrollment.selectors_team import TeamFilter, org_unit_choices

if TYPE_CHECKING:
    _MembershipChoiceField = forms.ModelChoiceField[Membership]
    _CourseChoiceField = forms.ModelChoiceField[Course]
else:
    # Django's form fields are not subscriptable at runtime.
    _MembershipChoiceField = forms.ModelChoiceField
    _CourseChoiceField = forms.ModelChoiceField

PERSON_REQUIRED = _("Choose the person to assign the course to.")
DUE_IN_PAST = _("The due date must be in the future.")

WHO_PERSON = "person"
WHO_TEAM = "team"
WHO_DIRECT = "direct"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


def end_of_day(day: dt.date, organization: Organization) -> dt.datetime:
    """A due day means "by the end of that day" where the organisation is (as audience rules count it)."""
    return services.due_at_end_of_day(day, organization)


def due_day(due_at: dt.datetime | None, organization: Organization) -> dt.date | None:
    if due_at is None:
        return None
    return due_at.astimezone(ZoneInfo(organization.default_time_zone or "UTC")).date()


class ServiceErrors(forms.Form):
    def add_service_error(self, exc: ValidationError) -> None:
        """A service's ValidationError on the field it names when the form has it, else on top of the form."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for name, messages in exc.message_dict.items():
            self.add_error(name if name in self.fields else None, messages)


class _Once:
    """Choices computed on first use and kept (a plain callable would be called again at each iteration)."""

    def __init__(self, compute: Callable[[], list[tuple[Any, Any]]]) -> None:
        self._compute = compute
        self._value: list[tuple[Any, Any]] | None = None

    def __call__(self) -> list[tuple[Any, Any]]:
        if self._value is None:
            self._value = self._compute()
        return self._value


def _attrs(attrs: dict[str, Any]) -> str:
    # As django/forms/widgets/attrs.html writes them.
    return "".join(
        f" {escape(str(name))}" if value is True else f' {escape(str(name))}="{escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


class DrawnSelect(forms.Select):
    """Django's select with the markup of its templates, drawn in Python: through the widget templates (two includes
    an option) the department filter's options cost ~35 µs each on every team page. Every value is escaped."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        if any(group_name for group_name, _options, _index in widget["optgroups"]):
            return super().render(name, value, attrs, renderer)  # groups: the templates draw them
        drawn = [f'<select name="{escape(str(widget["name"]))}"{_attrs(widget["attrs"])}>']
        for _group_name, options, _index in widget["optgroups"]:
            for option in options:
                value_text, label = escape(str(option["value"])), escape(str(option["label"]))
                drawn.append(f'\n  <option value="{value_text}"{_attrs(option["attrs"])}>{label}</option>\n')
        drawn.append("\n</select>")
        return mark_safe("".join(drawn))  # every value escaped above


class TeamFilterForm(forms.Form):
    """The team page's filters, from the query string; an invalid value is ignored, not an error page."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        help_text=_("Name or email"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    overdue = forms.BooleanField(label=_("Only people with overdue training"), required=False)
    direct = forms.BooleanField(label=_("Direct reports only"), required=False)

    def __init__(
        self,
        data: Any,
        *,
        organization: Organization,
        has_reports: bool,
        unit_choices: list[tuple[int, str]] | Callable[[], list[tuple[int, str]]] | None = None,
    ) -> None:
        super().__init__(data)
        field: forms.ModelChoiceField[OrgUnit] = forms.ModelChoiceField(
            queryset=OrgUnit.objects.for_organization(organization),
            required=False,
            label=_("Department (with sub-units)"),
            widget=DrawnSelect,
        )
        # Without member counts: counting them read the whole membership table on every team page.
        if callable(unit_choices):
            # Read when the select is drawn, once: never for the htmx results alone (or the validation, which
            # looks the chosen unit up in the field's queryset).
            field.choices = _Once(lambda: [("", _("All departments")), *unit_choices()])
        else:
            units = unit_choices if unit_choices is not None else org_unit_choices(organization=organization)
            field.choices = [("", _("All departments")), *units]
        self.fields["org_unit"] = field
        if not has_reports:
            del self.fields["direct"]
        self.order_fields(["q", "org_unit", "overdue", "direct"])

    def to_filter(self) -> TeamFilter:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return TeamFilter(
            search=data.get("q") or "",
            org_unit=data.get("org_unit"),
            overdue_only=bool(data.get("overdue")),
            direct_only=bool(data.get("direct")),
        )


class PersonChoiceField(_MembershipChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        return f"{obj.user.display_name} ({obj.user.email})" if obj.user.display_name else obj.user.email


class CourseChoiceField(_CourseChoiceField):
    def label_from_instance(self, obj: Course) -> str:
        return obj.title


class AssignForm(ServiceErrors):
    """A course, who gets it (one person, the whole team, or the direct reports) and an optional due day."""

    course = CourseChoiceField(
        queryset=Course.objects.none(),
        label=_("Course"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a course."), "invalid_choice": _("Choose one of the listed courses.")},
    )
    who = forms.ChoiceField(label=_("Assign to"), widget=forms.RadioSelect)
    person = PersonChoiceField(
        queryset=Membership.objects.none(),
        label=_("Person"),
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("You cannot assign training to this person.")},
    )
    due = forms.DateField(
        label=_("Due date"), required=False, widget=DateInput(), help_text=_("Optional. Due by the end of that day.")
    )

    def __init__(
        self,
        data: Any,
        *,
        organization: Organization,
        courses: QuerySet[Course],
        course_choices: list[Course],
        people: QuerySet[Membership],
        people_choices: list[Membership],
        team_label: str,
        direct_label: str | None,
        initial: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(data, initial=initial)
        self.organization = organization
        self.fields["due"].help_text = _("Optional. Due at the end of that day (%(zone)s).") % {
            "zone": organization.default_time_zone or "UTC"
        }
        course_field: CourseChoiceField = self.fields["course"]  # type: ignore[assignment]
        course_field.queryset = courses
        # Only the courses of the current search are offered; any valid course id validates (a course picked
        # before a new search, or a link from elsewhere).
        course_field.choices = [(course.pk, course.title) for course in course_choices]
        person_field: PersonChoiceField = self.fields["person"]  # type: ignore[assignment]
        person_field.queryset = people
        # As for courses: the current search's people are offered, anyone in scope validates, nobody else does.
        person_field.choices = [(person.pk, person_field.label_from_instance(person)) for person in people_choices]
        who_choices = [(WHO_PERSON, _("One person")), (WHO_TEAM, team_label)]
        if direct_label is not None:
            who_choices.append((WHO_DIRECT, direct_label))
        who_field: forms.ChoiceField = self.fields["who"]  # type: ignore[assignment]
        who_field.choices = who_choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("who") == WHO_PERSON and not data.get("person") and "person" not in self.errors:
            self.add_error("person", PERSON_REQUIRED)
        due = data.get("due")
        if due is not None:
            due_at = end_of_day(due, self.organization)
            if due_at <= clock.now():
                self.add_error("due", DUE_IN_PAST)
            data["due_at"] = due_at
        else:
            data["due_at"] = None
        return data


class DueForm(ServiceErrors):
    due = forms.DateField(label=_("Due date"), required=False, widget=DateInput(), help_text=_("Empty: no due date."))

    def __init__(self, data: Any, *, organization: Organization, prefix: str | None = None, **kwargs: Any) -> None:
        super().__init__(data, prefix=prefix, **kwargs)
        self.organization = organization
        self.fields["due"].help_text = _("Due at the end of that day (%(zone)s). Empty: no due date.") % {
            "zone": organization.default_time_zone or "UTC"
        }

    def due_at(self) -> dt.datetime | None:
        day = self.cleaned_data.get("due")
        return end_of_day(day, self.organization) if day else None


class ReasonForm(ServiceErrors):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The person will read it."),
    )

    def __init__(self, data: Any, *, required: bool = True, prefix: str | None = None, **kwargs: Any) -> None:
        super().__init__(data, prefix=prefix, **kwargs)
        self.fields["reason"].required = required
