"""The template editor's form: name, description, page size, HTML, CSS and four rows of signatories.

Like the compliance program form, it parses the browser's strings into the keys `services.templates.clean_fields`
takes and lets that function judge them, so the page and the API refuse the same things with the same words; each
refusal lands on the field it names (the HTML and CSS ones name their line too).

`preview_fields()` reads the same form for the live preview without asking for a name: a template being written
is previewed as it stands, with its problems listed above the drawing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from syllabus.accounts.models import Organization
from syllabus.certificates import rendering
from syllabus.certificates.models import PageSize, Template
from syllabus.certificates.services import templates as services

SIGNATORY_ROWS = services.SIGNATORIES_MAX
CODE_ATTRS = {"class": "code", "spellcheck": "false", "autocapitalize": "off", "autocomplete": "off"}


def signatory_fields(number: int) -> tuple[str, str]:
    return f"signatory_{number}_name", f"signatory_{number}_title"


class TemplateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=services.NAME_MAX)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=services.DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For the people choosing a template for an award; not printed."),
    )
    page_size = forms.ChoiceField(label=_("Page size"), choices=PageSize.choices, initial=PageSize.A4_LANDSCAPE)
    html = forms.CharField(
        label=_("HTML"),
        # The services count bytes, the limit that matters; this only stops a runaway paste early.
        max_length=services.HTML_MAX_BYTES,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 18, **CODE_ATTRS}),
        help_text=_(
            "The certificate's content, with {{ placeholders }} from the list. Scripts, forms, frames and links "
            "other than http(s) and mailto are removed; images must be data: URIs. At most 100 kB."
        ),
    )
    css = forms.CharField(
        label=_("CSS"),
        required=False,
        max_length=services.CSS_MAX_BYTES,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 14, **CODE_ATTRS}),
        help_text=_(
            "Styles for the HTML. The page is --page-width by --page-height (CSS variables); --serif and --sans "
            "name fonts that cover every script. No @import, and url() only with data: URIs. At most 50 kB."
        ),
    )

    def __init__(self, *args: Any, organization: Organization, template: Template | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.template = template
        for number in range(1, SIGNATORY_ROWS + 1):
            name, title = signatory_fields(number)
            self.fields[name] = forms.CharField(
                label=_("Name of signatory %(number)s") % {"number": number},
                required=False,
                max_length=services.SIGNATORY_FIELD_MAX,
            )
            self.fields[title] = forms.CharField(
                label=_("Title of signatory %(number)s") % {"number": number},
                required=False,
                max_length=services.SIGNATORY_FIELD_MAX,
            )
        self.data_for_service: dict[str, Any] = {}

    @classmethod
    def initial_for(cls, template: Template) -> dict[str, Any]:
        """The form's values for a saved template."""
        initial: dict[str, Any] = {name: getattr(template, name) for name in services.FIELDS if name != "signatories"}
        for number, row in enumerate(rendering.signatories_of(template.signatories), start=1):
            name, title = signatory_fields(number)
            initial[name], initial[title] = row.name, row.title
        return initial

    def signatory_rows(self) -> list[tuple[int, forms.BoundField, forms.BoundField]]:
        """(number, name field, title field) for the template to draw one row each."""
        rows = []
        for number in range(1, SIGNATORY_ROWS + 1):
            name, title = signatory_fields(number)
            rows.append((number, self[name], self[title]))
        return rows

    def _signatories(self, data: dict[str, Any]) -> list[dict[str, str]]:
        out = []
        for number in range(1, SIGNATORY_ROWS + 1):
            name, title = signatory_fields(number)
            row = {"name": (data.get(name) or "").strip(), "title": (data.get(title) or "").strip()}
            if row["title"] and not row["name"] and name not in self.errors:
                # Said on the row's own field, so the error summary links straight to it.
                self.add_error(name, services.SIGNATORY_NAME_REQUIRED.format(number=number))
            out.append(row)
        return out

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # Asked even when some fields failed to parse, so every error shows in one round.
        payload = {name: data.get(name) for name in services.FIELDS if name != "signatories"}
        payload["signatories"] = self._signatories(data)
        try:
            payload = services.clean_fields(self.organization, payload, template=self.template)
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

    def preview_fields(self) -> tuple[rendering.TemplateFields, list[str]]:
        """What the live preview draws from the form as typed, and the problems to list above it. Too big a field
        is not drawn at all; CSS with problems is left out of the drawing (it could try to fetch something)."""
        raw = self.data
        html = str(raw.get("html") or "")
        css = str(raw.get("css") or "")
        page_size = str(raw.get("page_size") or "")
        problems: list[str] = []
        if len(html.encode("utf-8")) > services.HTML_MAX_BYTES:
            problems.append(services.HTML_TOO_BIG)
            html = ""
        else:
            problems += rendering.html_problems(html)
        if len(css.encode("utf-8")) > services.CSS_MAX_BYTES:
            problems.append(services.CSS_TOO_BIG)
            css = ""
        elif css_problems := rendering.css_problems(css):
            problems += css_problems
            css = ""
        signatories = []
        for number in range(1, SIGNATORY_ROWS + 1):
            name, title = signatory_fields(number)
            signatory_name = str(raw.get(name) or "").strip()[: services.SIGNATORY_FIELD_MAX]
            if signatory_name:
                signatory_title = str(raw.get(title) or "").strip()[: services.SIGNATORY_FIELD_MAX]
                signatories.append(rendering.Signatory(signatory_name, signatory_title))
        fields = rendering.TemplateFields(
            html=html.replace("\x00", ""),
            css=css.replace("\x00", ""),
            page_size=page_size if page_size in PageSize.values else PageSize.A4_LANDSCAPE,
            signatories=tuple(signatories),
        )
        return fields, problems


@dataclass(frozen=True)
class ErrorLink:
    """One line of the error summary at the top of the editor (catalog/authoring/_error_summary.html)."""

    label: str  # the field's label, "" for an error about the whole form
    message: str
    target: str  # the id of the field's input, to link to (and focus); "" for none


def error_summary(form: forms.Form) -> list[ErrorLink]:
    """Every error of a bound form, each linking to its field, so keyboard and screen reader users learn what to
    fix and reach it."""
    if not form.is_bound:
        return []
    out = [ErrorLink("", str(message), "") for message in form.non_field_errors()]
    for name, errors in form.errors.items():
        if name == NON_FIELD_ERRORS or name not in form.fields:
            continue
        bound = form[name]
        out += [
            ErrorLink(str(bound.label), str(message), bound.id_for_label or bound.auto_id or "") for message in errors
        ]
    return out
