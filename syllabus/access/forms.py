"""Forms of the roles and permissions pages. They parse input; the services validate the rules and write.

Django itself marks invalid inputs (aria-invalid) and ties help texts and errors to them (aria-describedby,
ids `<auto_id>_helptext` and `<auto_id>_error`), which web/_field.html and our fieldsets render.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.forms.boundfield import BoundWidget
from django.utils.translation import gettext_lazy as _

from syllabus.access.capabilities import CAPABILITIES
from syllabus.access.models import Role, RoleAssignment
from syllabus.access.policy import NOT_ALLOWED
from syllabus.accounts.models import Organization, OrgUnit

# Headings of the capability groups, by the prefix before the dot. A new prefix shows up capitalised until it
# gets a label here.
GROUP_LABELS: dict[str, Any] = {
    "org": _("Organisation"),
    "org_unit": _("Org units"),
    "job_role": _("Job roles"),
    "location": _("Locations"),
    "attribute": _("Custom attributes"),
    "people": _("People"),
    "role": _("Roles"),
    "token": _("API tokens"),
    "audit": _("Audit trail"),
    "course": _("Courses"),
    "catalog": _("Catalog"),
    "skill": _("Skills"),
    "enrollment": _("Enrollments"),
    "report": _("Reports"),
    "compliance": _("Compliance"),
    "certificate": _("Certificates"),
}


def group_label(code: str) -> Any:
    prefix = code.split(".", 1)[0]
    return GROUP_LABELS.get(prefix, prefix.replace("_", " ").capitalize())


def add_service_error(form: forms.Form, exc: ValidationError | PermissionDenied) -> None:
    """Show a service's refusal on the form: field errors on their fields, the rest above the form."""
    if isinstance(exc, PermissionDenied):
        form.add_error(None, str(exc) or NOT_ALLOWED)
        return
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields or field == NON_FIELD_ERRORS else None
            form.add_error(target, errors)
    else:
        form.add_error(None, exc.messages)


@dataclass(frozen=True)
class CapabilityOption:
    widget: BoundWidget
    code: str
    held: bool


@dataclass(frozen=True)
class CapabilityGroup:
    label: Any
    options: list[CapabilityOption]


class RoleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    capabilities = forms.MultipleChoiceField(
        label=_("Capabilities"),
        required=False,
        choices=[(cap.code, cap.label) for cap in CAPABILITIES],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("You can only grant capabilities you hold yourself for the whole organisation."),
    )

    def __init__(self, *args: Any, held: frozenset[str] = frozenset(), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.held = held

    def capability_groups(self) -> list[CapabilityGroup]:
        """The checkboxes grouped by the prefix of their code (org, people, course, ...), in declared order."""
        groups: dict[str, list[CapabilityOption]] = {}
        for widget in self["capabilities"].subwidgets:
            code = str(widget.data["value"])
            option = CapabilityOption(widget=widget, code=code, held=code in self.held)
            groups.setdefault(code.split(".", 1)[0], []).append(option)
        return [CapabilityGroup(label=group_label(prefix), options=options) for prefix, options in groups.items()]

    @staticmethod
    def initial_from(role: Role, name: str) -> dict[str, Any]:
        return {"name": name, "description": role.description, "capabilities": sorted(role.capabilities)}


class RoleAssignmentForm(forms.Form):
    role = forms.TypedChoiceField(label=_("Role"), coerce=int)
    scope = forms.ChoiceField(
        label=_("Scope"),
        choices=RoleAssignment.Scope.choices,
        initial=RoleAssignment.Scope.ORGANIZATION,
        widget=forms.RadioSelect,
        help_text=_(
            "An org-unit assignment covers the people of that unit and its sub-units, and grants only the "
            "capabilities that can be limited that way."
        ),
    )
    org_unit = forms.TypedChoiceField(label=_("Org unit"), coerce=int, required=False, empty_value=None)

    def __init__(
        self,
        *args: Any,
        organization: Organization,
        roles: list[Role],
        org_units: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        self._roles = {role.pk: role for role in roles}
        builtin = [(role.pk, role.name) for role in roles if role.is_builtin]
        custom = [(role.pk, role.name) for role in roles if not role.is_builtin]
        role_choices: list[Any] = [("", _("Choose a role"))]
        role_choices.append((_("Built-in roles"), builtin))
        if custom:
            role_choices.append((_("Custom roles"), custom))
        role_field, unit_field = self.fields["role"], self.fields["org_unit"]
        assert isinstance(role_field, forms.ChoiceField) and isinstance(unit_field, forms.ChoiceField)
        role_field.choices = role_choices
        unit_field.choices = [("", _("Choose an org unit")), *org_units]

    def clean_role(self) -> Role:
        return self._roles[self.cleaned_data["role"]]

    def clean_org_unit(self) -> OrgUnit | None:
        unit_id = self.cleaned_data.get("org_unit")
        if unit_id is None:
            return None
        unit = OrgUnit.objects.for_organization(self.organization).filter(pk=unit_id).first()
        if unit is None:
            raise ValidationError(_("Choose an org unit from the list."))
        return unit
