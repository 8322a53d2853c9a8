"""Forms of the skills pages (the services check everything again; these only parse and label)."""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from syllabus.accounts.models import Organization
from syllabus.skills import framework_csv, selectors, services
from syllabus.skills.models import ProficiencyScale, Skill

TOP_LEVEL = ""
NO_SCALE = ""
NOT_BASE64 = _("The file to apply was damaged on the way: upload it again.")


def add_service_error(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the fields it names (other names go to the whole form)."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            field = name if name != NON_FIELD_ERRORS and name in form.fields else None
            for message in ValidationError(errors).messages:
                form.add_error(field, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


def scale_choices(organization: Organization) -> list[tuple[str, str]]:
    scales = ProficiencyScale.objects.for_organization(organization).order_by("name")
    return [(NO_SCALE, str(_("No scale")))] + [(str(pk), name) for pk, name in scales.values_list("pk", "name")]


class SkillForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    code = forms.CharField(
        label=_("Code"),
        max_length=80,
        help_text=_("Unique in the organisation: letters, digits, hyphens and underscores, e.g. hand-hygiene."),
    )
    parent = forms.ChoiceField(label=_("Parent skill"), required=False)
    scale = forms.ChoiceField(
        label=_("Proficiency scale"), required=False, help_text=_("The levels people are assessed on.")
    )
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, organization: Organization, skill: Skill | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        # A skill cannot move under itself or below: those are not offered (the service refuses them anyway).
        excluded = set(selectors.skill_subtree_ids(skill=skill)) if skill is not None else set()
        include = [skill.parent_id] if skill is not None and skill.parent_id else []
        parents = [(str(pk), label) for pk, label in selectors.skill_choices(organization, include=include)]
        parent_field = cast(forms.ChoiceField, self.fields["parent"])
        parent_field.choices = [(TOP_LEVEL, str(_("None (a top-level skill)")))] + [
            (pk, label) for pk, label in parents if int(pk) not in excluded
        ]
        cast(forms.ChoiceField, self.fields["scale"]).choices = scale_choices(organization)

    def clean_parent(self) -> Skill | None:
        value = self.cleaned_data["parent"]
        if not value:
            return None
        skill = selectors.skill_get(organization=self.organization, skill_id=int(value))
        if skill is None:
            raise ValidationError(services.NO_SUCH_SKILL)
        return skill

    def clean_scale(self) -> ProficiencyScale | None:
        value = self.cleaned_data["scale"]
        if not value:
            return None
        scale = ProficiencyScale.objects.for_organization(self.organization).filter(pk=int(value)).first()
        if scale is None:
            raise ValidationError(services.NO_SUCH_SCALE)
        return scale


class ScaleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class LevelForm(forms.Form):
    name = forms.CharField(max_length=80, required=False)
    descriptor = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, position: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.position = position
        # Each row's fields say which level they belong to, for screen readers and tests alike.
        self.fields["name"].label = _("Level %(n)s name") % {"n": position}
        self.fields["descriptor"].label = _("Level %(n)s descriptor") % {"n": position}

    @property
    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not data.get("name", "").strip() and not data.get("descriptor", "").strip()


if TYPE_CHECKING:
    _LevelFormSetBase = forms.BaseFormSet[LevelForm]
else:  # BaseFormSet is generic for the type checker only
    _LevelFormSetBase = forms.BaseFormSet


class BaseLevelFormSet(_LevelFormSetBase):
    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "position": (index or 0) + 1}

    def levels(self) -> list[services.LevelInput]:
        """The filled-in rows, in order (empty rows are spare room, not levels)."""
        return [
            services.LevelInput(form.cleaned_data.get("name", ""), form.cleaned_data.get("descriptor", ""))
            for form in self.forms
            if not form.is_blank
        ]

    def add_service_error(self, error: ValidationError) -> list[str]:
        """Put "levels[2].name" errors on that row; answers the messages about the levels as a whole."""
        about_all: list[str] = []
        if not hasattr(error, "error_dict"):
            return about_all
        filled = [form for form in self.forms if not form.is_blank]
        for key, errors in error.error_dict.items():
            messages = ValidationError(errors).messages
            if key.startswith("levels[") and "]" in key:
                index = int(key[len("levels[") : key.index("]")])
                if index < len(filled):
                    for message in messages:
                        filled[index].add_error("name", message)
                    continue
            if key.startswith("levels"):
                about_all.extend(messages)
        return about_all


def level_formset(
    data: Any = None, *, levels: list[services.LevelInput] | None = None, spare: int = 2
) -> BaseLevelFormSet:
    """Rows for the given levels plus `spare` empty ones, at most MAX_LEVELS in all."""
    initial = [{"name": level.name, "descriptor": level.descriptor} for level in levels or []]
    total = min(len(initial) + spare, services.MAX_LEVELS)
    formset_class = forms.formset_factory(
        LevelForm,
        formset=BaseLevelFormSet,
        extra=max(total - len(initial), 0),
        max_num=services.MAX_LEVELS,
        absolute_max=services.MAX_LEVELS,
    )
    return cast(BaseLevelFormSet, formset_class(data, initial=initial, prefix="levels"))


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8, with a header row: code, name (required), parent_code, description, scale."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def content(self) -> bytes:
        # One byte past the limit is enough for the service to say "too big" without reading it all.
        upload = self.cleaned_data["file"]
        data: bytes = upload.read(framework_csv.MAX_BYTES + 1)
        return data


class ImportApplyForm(forms.Form):
    """The previewed file travels back with the Apply button (base64: bytes exactly as uploaded), with the plan's
    fingerprint; the service checks the whole file again, so nothing here is trusted."""

    content = forms.CharField(widget=forms.HiddenInput)
    fingerprint = forms.CharField(widget=forms.HiddenInput, required=False)

    @staticmethod
    def encode(data: bytes) -> str:
        return base64.b64encode(data).decode("ascii")

    def clean_content(self) -> bytes:
        try:
            return base64.b64decode(self.cleaned_data["content"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValidationError(NOT_BASE64) from exc
