"""Forms of the officer's program pages: the one program form (create and edit), and the people filter.

The program form parses the browser's strings into the keys `services.clean_fields` takes, then lets that function
judge them, so the page and the API refuse exactly the same things with the same words; each refusal lands on the
field it names. The services validate again when they write.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from syllabus.accounts.models import Organization, OrgUnit
from syllabus.audiences.models import Audience
from syllabus.catalog.models import Course
from syllabus.compliance import services
from syllabus.compliance.models import Anchor, DueRule, Program, Requirement, StatusCode

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
SEARCH_MAX = 100

# The form's sections, in page order: (legend, field names). The template draws one fieldset per section.
SECTIONS: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (_("The program"), ("name", "description")),
    (_("What satisfies it"), ("requirement", "course_ids", "min_score", "statement")),
    (_("Who must do it"), ("audience_id",)),
    (_("When it is due"), ("due_rule", "due_on", "due_days", "grace_days", "due_soon_days")),
    (_("Recertification"), ("valid_months", "window_days", "anchor")),
    (_("Training done before"), ("lookback_days",)),
    (
        _("Reminders and escalations"),
        ("reminder_days", "remind_on_due", "overdue_every_days", "escalate_manager_days", "escalate_officer_days"),
    ),
    (_("Electronic signature"), ("require_signature", "signature_meaning")),
    (_("Sign-in and enrollment"), ("gating", "enroll")),
)

ANCHOR_HELP = _(
    "“The date of completion”: the next cycle is due the chosen number of months after each person's own "
    "completion (complete early, and the next one comes early too). “The previous due date”: everyone keeps a "
    "fixed calendar; the next cycle is due that many months after the previous due date, however early or late "
    "they completed."
)


class AudienceChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    """An audience with its size, so the officer sees how many people the program reaches."""

    def label_from_instance(self, obj: Any) -> str:
        from django.utils.translation import ngettext

        people = ngettext("%(count)s person", "%(count)s people", obj.member_count) % {"count": obj.member_count}
        return f"{obj.name} ({people})"


def _optional_int(label: Any, help_text: Any = "", **kwargs: Any) -> forms.IntegerField:
    return forms.IntegerField(label=label, required=False, min_value=0, help_text=help_text, **kwargs)


class ProgramForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    requirement = forms.ChoiceField(
        label=_("Satisfied by"), choices=Requirement.choices, widget=forms.RadioSelect, initial=Requirement.COURSE
    )
    course_ids = forms.TypedMultipleChoiceField(
        label=_("Courses"),
        required=False,
        coerce=int,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_(
            "The organisation's published courses. For “all of a set”, every course chosen must be completed; "
            "for “any one”, one of them is enough."
        ),
    )
    min_score = forms.DecimalField(
        label=_("Minimum score (%)"),
        required=False,
        min_value=0,
        max_value=100,
        decimal_places=2,
        help_text=_("Leave empty to count every completion whatever its score."),
    )
    statement = forms.CharField(
        label=_("Statement to acknowledge"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For programs satisfied by an acknowledgement: the exact text people confirm they have read."),
    )
    audience_id = AudienceChoice(
        label=_("Applies to"),
        queryset=Audience.objects.none(),
        empty_label=_("Choose an audience"),
        help_text=_("Everyone in the audience is assigned; people who join it later are assigned when they join."),
    )
    due_rule = forms.ChoiceField(
        label=_("Due"), choices=DueRule.choices, widget=forms.RadioSelect, initial=DueRule.AFTER_ASSIGNMENT
    )
    due_on = forms.DateField(label=_("Due date"), required=False, widget=DATE_INPUT, help_text=_("For a fixed date."))
    due_days = _optional_int(
        _("Days"), _("For a due date counted from the assignment or the hire date."), max_value=services.MAX_DAYS
    )
    grace_days = _optional_int(_("Grace period (days)"), _("Days after the due date before someone is overdue."))
    due_soon_days = _optional_int(_("“Due soon” from (days before the due date)"), "")
    valid_months = forms.IntegerField(
        label=_("Valid for (months)"),
        required=False,
        min_value=1,
        max_value=120,
        help_text=_("Leave empty for a one-off program that never expires."),
    )
    window_days = _optional_int(
        _("Recertification opens (days before expiry)"),
        _("From that day, a new completion renews the current one; 0: only after it expires."),
    )
    anchor = forms.ChoiceField(
        label=_("Next cycle counted from"),
        choices=Anchor.choices,
        widget=forms.RadioSelect,
        initial=Anchor.COMPLETION,
        help_text=ANCHOR_HELP,
    )
    lookback_days = _optional_int(
        _("Completions before the assignment count (days back)"),
        _("A completion up to this many days before someone is assigned satisfies it; 0: only later ones."),
    )
    reminder_days = forms.CharField(
        label=_("Reminders (days before the due date)"),
        required=False,
        max_length=200,
        help_text=_("Whole numbers separated by commas, for example 30, 7, 1."),
    )
    remind_on_due = forms.BooleanField(label=_("Remind on the due date"), required=False, initial=True)
    overdue_every_days = _optional_int(_("Remind overdue people every (days)"), _("0: never."))
    escalate_manager_days = _optional_int(
        _("Tell the manager after (days overdue)"), _("Leave empty to never tell the manager.")
    )
    escalate_officer_days = _optional_int(
        _("Tell the compliance officers after (days overdue)"), _("Leave empty to never tell them.")
    )
    require_signature = forms.BooleanField(
        label=_("Completions must be signed (electronic signature with password or authenticator code)"),
        required=False,
    )
    signature_meaning = forms.CharField(
        label=_("Meaning of the signature"),
        required=False,
        max_length=300,
        help_text=_("Shown to the signer and printed with the signature, for example “I completed this training”."),
    )
    gating = forms.BooleanField(
        label=_("Send overdue and expired people to their compliance training when they sign in"), required=False
    )
    enroll = forms.BooleanField(label=_("Enroll assigned people in the course"), required=False, initial=True)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        audiences = self.fields["audience_id"]
        audiences.queryset = Audience.objects.for_organization(organization).order_by("name", "pk")  # type: ignore[attr-defined]
        courses = (
            Course.objects.filter(organization=organization)
            .filter(published_version__isnull=False, archived_at__isnull=True)
            .order_by("title", "pk")
            .values_list("pk", "title")
        )
        choices = list(courses)
        # A course chosen earlier and since archived stays listed, so editing the program does not drop it.
        chosen = [int(x) for x in self.initial.get("course_ids", [])]
        known = {pk for pk, _title in choices}
        if missing := [pk for pk in chosen if pk not in known]:
            choices += list(Course.objects.filter(organization=organization, pk__in=missing).values_list("pk", "title"))
        self.fields["course_ids"].choices = choices  # type: ignore[attr-defined]
        self.data_for_service: dict[str, Any] = {}

    @classmethod
    def initial_for(cls, program: Program) -> dict[str, Any]:
        """The form's values for an existing program."""
        names = [name for _legend, fields in SECTIONS for name in fields]
        initial = {name: getattr(program, name) for name in names if name not in ("course_ids", "reminder_days")}
        initial["course_ids"] = list(
            program.program_courses.order_by("position", "pk").values_list("course_id", flat=True)
        )
        initial["reminder_days"] = ", ".join(str(day) for day in program.reminder_days or [])
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # Asked even when some fields failed to parse (they count as empty), so every error shows in one round.
        audience = data.get("audience_id")
        payload = {name: data.get(name) for name in self.fields}
        payload["audience_id"] = audience.pk if audience is not None else None
        # Keep the order in which the courses were chosen (the order the browser sent them in).
        payload["course_ids"] = [int(x) for x in data.get("course_ids") or []]
        try:
            services.clean_fields(self.organization, payload)
        except ValidationError as exc:
            self.add_service_error(exc)
        else:
            if not self.errors:
                self.data_for_service = payload
        return data

    def add_service_error(self, exc: ValidationError) -> None:
        """Put a service's refusal on the field it names (or on the form)."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for name, messages in exc.message_dict.items():
            if name in self.fields and name not in self.errors:
                self.add_error(name, messages)
            elif name not in self.fields:
                self.add_error(None, messages)

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(str(legend), [self[name] for name in fields]) for legend, fields in SECTIONS]


# The filter's value for "overdue or expired" (the programs list links to it), and what it stands for.
LATE = "late"
LATE_STATUSES = (StatusCode.OVERDUE, StatusCode.EXPIRED)


class OneSelectManyValues(forms.Select):
    """A plain single select on the page that also reads several values (`?status=a&status=b`), so links from
    other pages can ask for more than one status at once."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        getter = getattr(data, "getlist", None)
        values = getter(name) if getter else [data.get(name)]
        return [value for value in values if value]


class PeopleFilterForm(forms.Form):
    """The people table of a program: by status (one, several, or "late" = overdue or expired), by org unit (and
    below), by name."""

    status = forms.MultipleChoiceField(label=_("Status"), required=False, widget=OneSelectManyValues)
    unit = forms.TypedChoiceField(label=_("Org unit"), required=False, coerce=int, empty_value=None)
    q = forms.CharField(label=_("Name or email"), required=False, max_length=SEARCH_MAX)

    def __init__(self, *args: Any, units: list[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        statuses = [(code, label) for code, label in StatusCode.choices if code != StatusCode.UNASSIGNED]
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            ("", _("Every status")),
            (LATE, _("Overdue or expired")),
            *statuses,
        ]
        # Indented by depth so the tree reads in a plain select.
        self.fields["unit"].choices = [  # type: ignore[attr-defined]
            ("", _("Every org unit")),
            *[(unit.pk, "\u2002" * max(unit.path.count("/") - 2, 0) + unit.name) for unit in units],
        ]

    def statuses(self) -> list[str]:
        """The status codes asked for ("late" spelled out); empty for every status. Call after `is_valid()`."""
        wanted: list[str] = []
        for value in self.cleaned_data.get("status") or []:
            for code in LATE_STATUSES if value == LATE else (value,):
                if code not in wanted:
                    wanted.append(str(code))
        return wanted


@dataclass(frozen=True)
class ErrorLink:
    """One line of the error summary at the top of the form (catalog/authoring/_error_summary.html)."""

    label: str  # the field's label, "" for an error about the whole form
    message: str
    target: str  # the id of the field's input, to link to (and focus); "" for none


def error_summary(form: forms.Form) -> list[ErrorLink]:
    """Every error of a bound form, each linking to its field: the focus goes there after a failed POST, so
    keyboard and screen reader users learn what to fix and reach it (as the other long forms do)."""
    if not form.is_bound:
        return []
    out = [ErrorLink("", str(message), "") for message in form.non_field_errors()]
    for name, errors in form.errors.items():
        if name == NON_FIELD_ERRORS or name not in form.fields:
            continue
        bound = form[name]
        # A group of radios has no input with its own id: its first option stands for it.
        if isinstance(bound.field.widget, forms.RadioSelect) and bound.auto_id:
            target = f"{bound.auto_id}_0"
        else:
            target = bound.id_for_label or bound.auto_id or ""
        out += [ErrorLink(str(bound.label), str(message), target) for message in errors]
    return out
