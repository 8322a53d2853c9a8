"""Forms of the certificates list (its filters) and of revocation, plus what every certificates form page shares:
the error summary at the top of the page and a service's errors put on the fields they name.

Forms only parse; the services validate and write.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from syllabus.accounts.models import OrgUnit
from syllabus.certificates import selectors
from syllabus.certificates.models import STATUS_LABELS, Award
from syllabus.certificates.services import issuing
from syllabus.enrollment.forms_course import add_service_error


@dataclass(frozen=True)
class ErrorLink:
    """One line of the error summary (catalog/authoring/_error_summary.html): the field's label, the message, and
    the id of the input it links to ("" for an error about the whole form)."""

    label: str
    message: str
    target: str


def error_summary(*forms_: forms.Form) -> list[ErrorLink]:
    """Every error of the bound forms, each linking to its field: the focus goes to the summary after a failed
    POST, so keyboard and screen reader users learn what to fix and reach it."""
    out: list[ErrorLink] = []
    for form in forms_:
        if not form.is_bound:
            continue
        out += [ErrorLink("", str(message), "") for message in form.non_field_errors()]
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


class ServiceErrors:
    """Puts a service's ValidationError on the fields it names (the rest at the top of the form)."""

    def add_service_error(self, exc: ValidationError) -> None:
        form: forms.Form = self  # type: ignore[assignment]
        add_service_error(form, exc)


def status_choices() -> list[tuple[str, Any]]:
    labels = {**STATUS_LABELS, selectors.EXPIRING: _("Expiring soon")}
    return [("", _("Any status")), *((code, str(labels[code])) for code in selectors.STATUS_FILTERS)]


class CertificateFilterForm(forms.Form):
    """The list's filters (GET). Invalid values are ignored rather than shown as errors: a filter link that went
    stale (an award deleted since) still lists something."""

    status = forms.ChoiceField(label=_("Status"), required=False)
    days = forms.IntegerField(
        label=_("Expiring within (days)"),
        required=False,
        min_value=1,
        max_value=selectors.EXPIRING_DAYS_MAX,
        help_text=_("Used with the status “Expiring soon”. Leave it empty for 30 days."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    award = forms.TypedChoiceField(label=_("Certificate"), required=False, coerce=int, empty_value=None)
    unit = forms.TypedChoiceField(label=_("Org unit"), required=False, coerce=int, empty_value=None)
    q = forms.CharField(
        label=_("Search by name or email"),
        required=False,
        max_length=selectors.SEARCH_MAX,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )

    def __init__(self, data: Any = None, *, awards: Iterable[Award], units: Iterable[OrgUnit]) -> None:
        super().__init__(data)
        self.units = {unit.pk: unit for unit in units}
        self.fields["status"].choices = status_choices()  # type: ignore[attr-defined]
        self.fields["award"].choices = [  # type: ignore[attr-defined]
            ("", _("Any certificate")),
            *((award.pk, award_title(award)) for award in awards),
        ]
        self.fields["unit"].choices = [  # type: ignore[attr-defined]
            ("", _("Any org unit")),
            *((unit.pk, unit.name) for unit in self.units.values()),
        ]

    def filters(self) -> selectors.CertificateFilters:
        """What the valid fields ask for (an invalid field filters on nothing)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        unit = self.units.get(data.get("unit") or 0)
        return selectors.CertificateFilters(
            status=data.get("status") or "",
            expiring_within_days=data.get("days") or selectors.EXPIRING_DAYS_DEFAULT,
            award_id=data.get("award"),
            org_unit_path=unit.path if unit is not None else "",
            search=data.get("q") or "",
        )


def award_title(award: Award) -> str:
    """What an award is called in lists and filters: its achievement name, else its course or program's."""
    if award.achievement_name:
        return award.achievement_name
    if award.course_id and award.course is not None:
        return award.course.title
    if award.program_id and award.program is not None:
        return award.program.name
    return str(_("Certificate %(id)s") % {"id": award.pk})


class RevokeForm(ServiceErrors, forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=issuing.REASON_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": issuing.REASON_LIMIT}),
        help_text=_(
            "The holder is told, with this reason, and it is kept in the audit trail. The public verification page "
            "only says the certificate is revoked, never why."
        ),
        error_messages={"required": issuing.REASON_REQUIRED},
    )
