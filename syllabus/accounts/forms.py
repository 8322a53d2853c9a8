"""Forms for the accounts pages: sign-in, profile, people, organisation structure, tokens.

Forms only parse and validate input; the views pass `cleaned_data` to a service, and a service's
ValidationError is mapped back onto the form's fields with `ServiceErrorsForm.add_service_error`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from syllabus.access.selectors import role_list
from syllabus.accounts import selectors
from syllabus.accounts.models import (
    HEX_COLOR,
    TIME_ZONE_CHOICES,
    AttributeDefinition,
    JobRole,
    Location,
    Membership,
    Organization,
    OrgUnit,
    User,
)
from syllabus.core import clock

if TYPE_CHECKING:
    # Type-checking only: django-stubs-ext is a development dependency.
    from django_stubs_ext import StrOrPromise


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )
    error_messages = {
        "invalid_login": _("That email and password do not match an account. Check both and try again."),
        "inactive": _("This account is disabled."),
    }

    def clean_username(self) -> str:
        # Emails are stored in lower case; the lockout counts failures under the same spelling.
        return str(self.cleaned_data.get("username") or "").strip().lower()


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=150)
    locale = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=TIME_ZONE_CHOICES)


# --- shared ----------------------------------------------------------------------------------------------

MANAGER_NOT_FOUND = _("No active member of this organisation has that email address.")
USER_NOT_FOUND = _("No account has that email address. The first admin must already have an account.")
EXPIRY_IN_PAST = _("Choose a date in the future.")


class ServiceErrorsForm(forms.Form):
    """A form that shows a service's ValidationError on the matching fields (others become form-wide)."""

    def service_field_name(self, name: str) -> str | None:
        """The form field that shows errors about the service's field `name` (None: the whole form)."""
        return name if name != NON_FIELD_ERRORS and name in self.fields else None

    def add_service_error(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                field = self.service_field_name(name)
                for message in ValidationError(errors).messages:
                    self.add_error(field, message)
        else:
            for message in error.messages:
                self.add_error(None, message)


class ColorInput(forms.TextInput):
    # Browsers without a colour picker show a text box, which accepts the same #RRGGBB value.
    input_type = "color"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


def org_unit_field(
    organization: Organization, *, label: StrOrPromise, empty_label: StrOrPromise, required: bool = False
) -> forms.ModelChoiceField[OrgUnit]:
    """A select of the organisation's units, indented as a tree; other organisations' ids do not validate."""
    field: forms.ModelChoiceField[OrgUnit] = forms.ModelChoiceField(
        queryset=selectors.org_unit_list(organization=organization), required=required, label=label
    )
    field.choices = [("", empty_label), *selectors.org_unit_choices(organization=organization)]
    return field


# --- people ----------------------------------------------------------------------------------------------

PEOPLE_STATUS_CHOICES = [("active", _("Active")), ("inactive", _("Inactive")), ("all", _("All"))]


if TYPE_CHECKING:
    _MembershipChoiceField = forms.ModelChoiceField[Membership]
else:
    # Django's form fields are not subscriptable at runtime.
    _MembershipChoiceField = forms.ModelChoiceField


class MemberChoiceField(_MembershipChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        return obj.user.display_name


class PeopleFilterForm(forms.Form):
    """The people list's filters, read from the query string; an invalid value is ignored, not an error page."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        help_text=_("Name, email or employee id"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    status = forms.ChoiceField(label=_("Status"), choices=PEOPLE_STATUS_CHOICES, required=False)

    def __init__(self, data: Any, *, organization: Organization, visible: Q) -> None:
        super().__init__(data)
        self.fields["org_unit"] = org_unit_field(
            organization, label=_("Department (with sub-units)"), empty_label=_("All departments")
        )
        self.fields["job_role"] = forms.ModelChoiceField(
            queryset=selectors.job_role_list(organization=organization),
            required=False,
            label=_("Job role"),
            empty_label=_("All job roles"),
        )
        self.fields["location"] = forms.ModelChoiceField(
            queryset=selectors.location_list(organization=organization),
            required=False,
            label=_("Location"),
            empty_label=_("All locations"),
        )
        self.fields["manager"] = MemberChoiceField(
            queryset=selectors.people_managers(organization=organization, visible=visible),
            required=False,
            label=_("Manager"),
            empty_label=_("Any manager"),
        )
        self.order_fields(["q", "org_unit", "job_role", "location", "manager", "status"])

    def to_filter(self) -> selectors.PeopleFilter:
        self.is_valid()
        data = self.cleaned_data
        return selectors.PeopleFilter(
            search=data.get("q") or "",
            org_unit=data.get("org_unit"),
            job_role=data.get("job_role"),
            location=data.get("location"),
            manager=data.get("manager"),
            status=data.get("status") or "active",
        )


ATTRIBUTE_FIELD_PREFIX = "attribute_"
MEMBERSHIP_FORM_FIELDS = ("org_unit", "job_role", "location", "manager", "employee_id", "hire_date")


def attribute_field(definition: AttributeDefinition) -> forms.Field:
    """One typed input for a custom attribute."""
    label, required = definition.label, definition.required
    if definition.type == AttributeDefinition.Type.NUMBER:
        return forms.DecimalField(label=label, required=required, widget=forms.NumberInput(attrs={"step": "any"}))
    if definition.type == AttributeDefinition.Type.DATE:
        return forms.DateField(label=label, required=required, widget=DateInput())
    if definition.type == AttributeDefinition.Type.CHOICE:
        choices = [("", "—"), *((choice, choice) for choice in definition.choices)]
        return forms.ChoiceField(label=label, required=required, choices=choices)
    return forms.CharField(label=label, required=required, max_length=500)


class PersonForm(ServiceErrorsForm):
    """Create (with email and optional password) or edit a person's membership and custom attributes."""

    email = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    display_name = forms.CharField(label=_("Display name"), max_length=150)
    password = forms.CharField(
        label=_("Initial password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "Optional. Without one, the person signs in through single sign-on or a password reset. "
            "Someone who already has an account keeps their own name and password."
        ),
    )
    manager = forms.EmailField(
        label=_("Manager"),
        required=False,
        help_text=_("Their email address. Type part of a name or email for suggestions."),
    )
    employee_id = forms.CharField(label=_("Employee id"), max_length=64, required=False)
    hire_date = forms.DateField(label=_("Hire date"), required=False, widget=DateInput())

    def __init__(
        self,
        data: Any = None,
        *,
        organization: Organization,
        definitions: Iterable[AttributeDefinition],
        membership: Membership | None = None,
        manager_options_url: str = "",
    ) -> None:
        initial: dict[str, Any] = {}
        if membership is not None:
            initial = {
                "display_name": membership.user.display_name,
                "org_unit": membership.org_unit_id,
                "job_role": membership.job_role_id,
                "location": membership.location_id,
                "manager": membership.manager.user.email if membership.manager else "",
                "employee_id": membership.employee_id,
                "hire_date": membership.hire_date,
            }
            initial.update(
                {f"{ATTRIBUTE_FIELD_PREFIX}{key}": value for key, value in (membership.attributes or {}).items()}
            )
        super().__init__(data, initial=initial)
        self.organization = organization
        self.membership = membership
        if membership is not None:
            # Email and password belong to the person's account, which they manage themselves.
            del self.fields["email"]
            del self.fields["password"]
        self.fields["org_unit"] = org_unit_field(organization, label=_("Department"), empty_label="—")
        self.fields["job_role"] = forms.ModelChoiceField(
            queryset=selectors.job_role_list(organization=organization),
            required=False,
            label=_("Job role"),
            empty_label="—",
        )
        self.fields["location"] = forms.ModelChoiceField(
            queryset=selectors.location_list(organization=organization),
            required=False,
            label=_("Location"),
            empty_label="—",
        )
        self.fields["manager"].widget.attrs.update({"list": "manager-options", "autocomplete": "off"})
        if manager_options_url:
            self.fields["manager"].widget.attrs.update(
                {
                    "hx-get": manager_options_url,
                    "hx-trigger": "input changed delay:300ms",
                    "hx-target": "#manager-options",
                    "hx-sync": "this:replace",
                }
            )
        self.attribute_keys: dict[str, str] = {}
        for definition in definitions:
            name = f"{ATTRIBUTE_FIELD_PREFIX}{definition.key}"
            self.fields[name] = attribute_field(definition)
            self.attribute_keys[name] = definition.key
        self.order_fields(
            ["email", "display_name", "password", "org_unit", "job_role", "location", "manager", "employee_id"]
        )

    def account_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("email", "display_name", "password") if name in self.fields]

    def place_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in MEMBERSHIP_FORM_FIELDS]

    def attribute_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.attribute_keys]

    def clean_password(self) -> str:
        password: str = self.cleaned_data.get("password") or ""
        if password:
            password_validation.validate_password(password)
        return password

    def clean_manager(self) -> Membership | None:
        email = self.cleaned_data.get("manager")
        if not email:
            return None
        manager = selectors.member_by_email(organization=self.organization, email=email)
        if manager is None:
            raise ValidationError(MANAGER_NOT_FOUND, code="unknown_manager")
        return manager

    def service_field_name(self, name: str) -> str | None:
        if name.startswith("attributes."):
            name = ATTRIBUTE_FIELD_PREFIX + name.removeprefix("attributes.")
        return super().service_field_name(name)

    def membership_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) or None for name in MEMBERSHIP_FORM_FIELDS} | {
            "employee_id": self.cleaned_data.get("employee_id") or ""
        }

    def attribute_values(self) -> dict[str, Any]:
        """Values as the service expects them: empty string clears, dates as ISO strings, numbers as text."""
        values: dict[str, Any] = {}
        for name, key in self.attribute_keys.items():
            value = self.cleaned_data.get(name)
            if value is None or value == "":
                values[key] = ""
            elif isinstance(value, dt.date):
                values[key] = value.isoformat()
            else:
                values[key] = str(value)
        return values


# --- organisation ----------------------------------------------------------------------------------------


class OrganizationSettingsForm(ServiceErrorsForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    primary_color = forms.CharField(
        label=_("Primary colour"), validators=[HEX_COLOR], widget=ColorInput(), help_text=_("As #RRGGBB.")
    )
    accent_color = forms.CharField(
        label=_("Accent colour"), validators=[HEX_COLOR], widget=ColorInput(), help_text=_("As #RRGGBB.")
    )
    default_language = forms.ChoiceField(label=_("Default language"), choices=settings.LANGUAGES)
    default_time_zone = forms.ChoiceField(label=_("Default time zone"), choices=TIME_ZONE_CHOICES)
    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
        help_text=_("PNG, JPEG, GIF or WebP. It is resized to at most 512 pixels."),
    )
    remove_logo = forms.BooleanField(label=_("Remove the current logo"), required=False)
    two_factor_required_roles = forms.MultipleChoiceField(
        label=_("Require two-factor sign-in for"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "People holding a chosen role (in any scope) must set up two-factor sign-in before they can use "
            "anything else. Choosing Learner means everyone."
        ),
    )

    SETTINGS_FIELDS = (
        "name",
        "primary_color",
        "accent_color",
        "default_language",
        "default_time_zone",
        "two_factor_required_roles",
    )

    @classmethod
    def for_organization(
        cls, organization: Organization, data: Any = None, files: Any = None
    ) -> OrganizationSettingsForm:
        initial = {name: getattr(organization, name) for name in cls.SETTINGS_FIELDS}
        form = cls(data, files, initial=initial)
        if not organization.logo:
            del form.fields["remove_logo"]
        roles = [(role.key, role.name) for role in role_list(organization=organization, count_holders=False)]
        form.fields["two_factor_required_roles"].choices = roles  # type: ignore[attr-defined]
        return form

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.SETTINGS_FIELDS}


# --- org units, job roles, locations, custom attributes ------------------------------------------------


class OrgUnitForm(ServiceErrorsForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    code = forms.CharField(label=_("Code"), max_length=60, required=False, help_text=_("Optional, unique."))

    def __init__(
        self, data: Any = None, *, organization: Organization, unit: OrgUnit | None = None, prefix: str | None = None
    ) -> None:
        initial = {"name": unit.name, "code": unit.code, "parent": unit.parent_id} if unit is not None else {}
        super().__init__(data, initial=initial, prefix=prefix)
        self.fields["parent"] = org_unit_field(organization, label=_("Parent unit"), empty_label=_("(top level)"))


class JobRoleForm(ServiceErrorsForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    code = forms.CharField(label=_("Code"), max_length=60, required=False)

    @staticmethod
    def initial_for(job_role: JobRole) -> dict[str, Any]:
        return {"name": job_role.name, "code": job_role.code}


class LocationForm(ServiceErrorsForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    code = forms.CharField(label=_("Code"), max_length=60, required=False)
    address = forms.CharField(label=_("Address"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False, choices=[("", "—"), *TIME_ZONE_CHOICES])

    @staticmethod
    def initial_for(location: Location) -> dict[str, Any]:
        return {name: getattr(location, name) for name in ("name", "code", "address", "time_zone")}


class AttributeDefinitionForm(ServiceErrorsForm):
    key = forms.SlugField(
        label=_("Key"),
        max_length=60,
        help_text=_("Letters, digits, hyphens and underscores. Used in the API and in imports; fixed once created."),
    )
    label = forms.CharField(label=_("Label"), max_length=120)
    type = forms.ChoiceField(label=_("Type"), choices=AttributeDefinition.Type.choices)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For the Choice type: one choice per line."),
    )
    required = forms.BooleanField(label=_("Required for every person"), required=False)

    def __init__(self, data: Any = None, *, definition: AttributeDefinition | None = None) -> None:
        initial: dict[str, Any] = {}
        if definition is not None:
            initial = {
                "key": definition.key,
                "label": definition.label,
                "type": definition.type,
                "choices": "\n".join(definition.choices),
                "required": definition.required,
            }
        super().__init__(data, initial=initial)
        if definition is not None:
            self.fields["key"].disabled = True

    def clean_choices(self) -> list[str]:
        text: str = self.cleaned_data.get("choices") or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


# --- API tokens, platform ------------------------------------------------------------------------------


class ApiTokenForm(ServiceErrorsForm):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("What the token is for, e.g. “HR sync”."))
    expires_on = forms.DateField(
        label=_("Expires on"), required=False, widget=DateInput(), help_text=_("Optional. Empty: never expires.")
    )

    def clean_expires_on(self) -> dt.date | None:
        expires_on: dt.date | None = self.cleaned_data.get("expires_on")
        if expires_on is not None and expires_on <= clock.today():
            raise ValidationError(EXPIRY_IN_PAST, code="past")
        return expires_on

    def expires_at(self) -> dt.datetime | None:
        """The end of the chosen day, in the person's time zone."""
        expires_on: dt.date | None = self.cleaned_data.get("expires_on")
        if expires_on is None:
            return None
        return timezone.make_aware(dt.datetime.combine(expires_on + dt.timedelta(days=1), dt.time.min))


class PlatformOrganizationForm(ServiceErrorsForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    slug = forms.SlugField(label=_("Short name"), max_length=60, help_text=_("Lowercase letters, digits and hyphens."))
    admin_email = forms.EmailField(
        label=_("First admin's email"),
        required=False,
        help_text=_("Optional. Someone who already has an account; they become the organisation admin."),
    )

    def clean_admin_email(self) -> User | None:
        email = self.cleaned_data.get("admin_email")
        if not email:
            return None
        user = selectors.user_by_email(email=email)
        if user is None:
            raise ValidationError(USER_NOT_FOUND, code="unknown_user")
        return user
