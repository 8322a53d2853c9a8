"""The upload form of the HR import page (the service checks everything again)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from syllabus.accounts.models import ImportJob


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8, comma, semicolon or tab separated, with a header row. Required columns: email and name."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    mode = forms.ChoiceField(
        label=_("Mode"),
        choices=ImportJob.Mode.choices,
        initial=ImportJob.Mode.ADD_UPDATE,
        widget=forms.RadioSelect,
        help_text=_(
            "Full sync treats the file as the complete list of people and deactivates everyone missing from it."
        ),
    )
    threshold_percent = forms.IntegerField(
        label=_("Full sync safety threshold (%)"),
        min_value=0,
        max_value=100,
        help_text=_("A full sync stops, changing nothing, if it would deactivate more than this share of people."),
    )
    create_missing = forms.BooleanField(label=_("Create missing org units, job roles and locations"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["threshold_percent"].initial = settings.HR_IMPORT_DEFAULT_THRESHOLD_PERCENT

    def add_service_error(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                field = name if name != NON_FIELD_ERRORS and name in self.fields else None
                for message in ValidationError(errors).messages:
                    self.add_error(field, message)
        else:
            for message in error.messages:
                self.add_error(None, message)
