"""Forms of the authoring and review pages. They parse and label what people type; the services validate again
and do every write (their ValidationErrors are put back on these forms with `add_service_error`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import global_settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from syllabus.audiences.models import Audience
from syllabus.catalog.activity_kinds.base import ActivityKind, CompletionRule
from syllabus.catalog.models import Category, CourseStaff, CourseVersion, Level, Visibility
from syllabus.catalog.richtext import RichTextField

if TYPE_CHECKING:
    # Type-checking only: django-stubs-ext is a development dependency.
    from django_stubs_ext import StrOrPromise

AUDIENCE_NEEDED = _("Choose the audience that may see this course.")
PARAMETER_RANGE = _("Enter a whole number from %(low)s to %(high)s.")
MAX_DURATION = 100_000


class ServiceForm(forms.Form):
    """A form that can show a service's ValidationError: on the field it names when the form has it, else on top."""

    def add_service_error(self, exc: ValidationError, aliases: Mapping[str, str] | None = None) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for name, messages in exc.message_dict.items():
            name = (aliases or {}).get(name, name)
            self.add_error(name if name in self.fields else None, messages)


def language_choices(current: str = "") -> list[tuple[str, str]]:
    """Every language Django knows, by name; a code typed through the API shows as itself."""
    choices = [(code, str(name)) for code, name in global_settings.LANGUAGES]
    if current and current not in {code for code, _name in choices}:
        choices.append((current, current))
    return sorted(choices, key=lambda choice: choice[1])


def skills_field(help_text: StrOrPromise) -> forms.TypedMultipleChoiceField:
    """Skills as checkboxes in a scrolling box: a multiple <select> needs Ctrl/Cmd-click, which phones lack."""
    return forms.TypedMultipleChoiceField(
        label=_("Skills"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "choice-scroll"}),
        help_text=help_text,
    )


def split_tags(text: str) -> list[str]:
    return [name for name in (" ".join(part.split()) for part in (text or "").split(",")) if name]


class CourseForm(ServiceForm):
    """A course's catalog details (the cover image is its own upload, see CoverForm)."""

    title = forms.CharField(label=_("Title"), max_length=200)
    summary = forms.CharField(
        label=_("Summary"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One or two sentences shown in the catalog."),
    )
    description = RichTextField(label=_("Description"), required=False)
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.none(), required=False, empty_label=_("No category")
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=1000,
        help_text=_("Separate tags with commas, for example: fire safety, induction."),
    )
    skills = skills_field(_("Tick every skill the course helps to build."))
    language = forms.ChoiceField(label=_("Language"))
    level = forms.ChoiceField(label=_("Level"), choices=Level.choices)
    # Optional and empty by default: 0 would read as "takes no time".
    duration_minutes = forms.IntegerField(
        label=_("Estimated duration"),
        min_value=0,
        max_value=MAX_DURATION,
        required=False,
        help_text=_("minutes"),
    )
    visibility = forms.ChoiceField(
        label=_("Visible to"), choices=Visibility.choices, widget=forms.RadioSelect, initial=Visibility.ORGANIZATION
    )
    audience = forms.ModelChoiceField(
        label=_("Audience"),
        queryset=Audience.objects.none(),
        required=False,
        empty_label=_("Choose an audience"),
        help_text=_("The people who find the course in the catalog."),
    )

    def __init__(
        self,
        *args: Any,
        categories: QuerySet[Category],
        audiences: QuerySet[Audience],
        skill_choices: Sequence[tuple[int, str]],
        tag_list_id: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        category_field: forms.ModelChoiceField = self.fields["category"]  # type: ignore[assignment]
        category_field.queryset = categories
        audience_field: forms.ModelChoiceField = self.fields["audience"]  # type: ignore[assignment]
        audience_field.queryset = audiences
        skills_field: forms.TypedMultipleChoiceField = self.fields["skills"]  # type: ignore[assignment]
        skills_field.choices = list(skill_choices)
        language = str(self.data.get("language") or self.initial.get("language") or "en")
        language_field: forms.ChoiceField = self.fields["language"]  # type: ignore[assignment]
        language_field.choices = language_choices(language)
        self.initial.setdefault("language", "en")
        if tag_list_id:
            # Existing tags are suggested by a <datalist>; browsers offer it for the first tag typed.
            self.fields["tags"].widget.attrs["list"] = tag_list_id
        if not skill_choices:
            self.fields["skills"].help_text = _("The organisation has no skills framework yet.")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("visibility") == Visibility.AUDIENCE and not cleaned.get("audience"):
            self.add_error("audience", AUDIENCE_NEEDED)
        return cleaned

    def service_fields(self) -> dict[str, Any]:
        """The cleaned values as the course services take them."""
        data = self.cleaned_data
        return {
            "title": data["title"],
            "summary": data["summary"],
            "description": data["description"],
            "category": data["category"],
            "tags": split_tags(data["tags"]),
            "skills": list(data["skills"]),
            "language": data["language"],
            "level": data["level"],
            "duration_minutes": data["duration_minutes"] or 0,
            "visibility": data["visibility"],
            "audience": data["audience"] if data["visibility"] == Visibility.AUDIENCE else None,
        }


class CoverForm(ServiceForm):
    cover = forms.FileField(
        label=_("Cover image"),
        help_text=_("A PNG, JPEG, GIF or WebP image, shown in the catalog."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
    )

    def add_service_error(self, exc: ValidationError, aliases: Mapping[str, str] | None = None) -> None:
        # Upload errors name the file, not a field: they belong to the file input.
        self.add_error("cover", exc.messages)


class CopyForm(ServiceForm):
    title = forms.CharField(label=_("Title of the copy"), max_length=200)


class SectionForm(ServiceForm):
    title = forms.CharField(label=_("Section title"), max_length=200)
    summary = forms.CharField(
        label=_("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class MoveToSectionForm(forms.Form):
    section = forms.TypedChoiceField(label=_("Section"), coerce=int)

    def __init__(self, *args: Any, sections: Iterable[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: forms.TypedChoiceField = self.fields["section"]  # type: ignore[assignment]
        field.choices = list(sections)


class ActivityForm(ServiceForm):
    """What every activity has (title, completion rule, required, duration, skills). The kind's own fields are
    drawn by the kind's template and travel as raw `data`/`files` to `kind.clean` through the service."""

    title = forms.CharField(label=_("Title"), max_length=200)
    completion_rule = forms.ChoiceField(label=_("Complete when"), widget=forms.RadioSelect, required=False)
    is_required = forms.BooleanField(label=_("Required for course completion"), required=False, initial=True)
    duration_minutes = forms.IntegerField(
        label=_("Estimated duration (minutes)"), min_value=0, max_value=MAX_DURATION, initial=0
    )
    skills = skills_field(_("Tick every skill this activity helps to build."))

    def __init__(self, *args: Any, kind: ActivityKind, skill_choices: Sequence[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        rule_field: forms.ChoiceField = self.fields["completion_rule"]  # type: ignore[assignment]
        rule_field.choices = [(rule.key, str(rule.label)) for rule in kind.completion_rules]
        if kind.completion_rules:
            self.initial.setdefault("completion_rule", kind.completion_rules[0].key)
        skills_field: forms.TypedMultipleChoiceField = self.fields["skills"]  # type: ignore[assignment]
        skills_field.choices = list(skill_choices)
        if not skill_choices:
            self.fields["skills"].help_text = _("The organisation has no skills framework yet.")
        # Each rule's parameters ("percent" watched...) get a number field named after the rule and parameter.
        self.parameter_fields: dict[str, list[str]] = {}
        for rule in kind.completion_rules:
            for name, (low, high, default) in rule.parameters.items():
                field_name = parameter_field_name(rule, name)
                self.fields[field_name] = forms.IntegerField(
                    label=parameter_label(name),
                    min_value=low,
                    max_value=high,
                    required=False,
                    initial=default,
                    help_text=PARAMETER_RANGE % {"low": low, "high": high},
                )
                self.parameter_fields.setdefault(rule.key, []).append(field_name)

    def completion(self) -> dict[str, Any]:
        """The completion choice as the kind's `clean_completion` takes it: {"rule": key, **parameters}."""
        data = self.cleaned_data
        key = data.get("completion_rule") or ""
        out: dict[str, Any] = {"rule": key} if key else {}
        for rule in self.kind.completion_rules:
            if rule.key != key:
                continue
            for name, (_low, _high, default) in rule.parameters.items():
                value = data.get(parameter_field_name(rule, name))
                out[name] = default if value is None else value
        return out

    def rules(self) -> list[dict[str, Any]]:
        """The completion rules with their bound parameter fields, for the template."""
        return [
            {"rule": rule, "parameters": [self[name] for name in self.parameter_fields.get(rule.key, [])]}
            for rule in self.kind.completion_rules
        ]

    def service_errors_for_kind(self, exc: ValidationError) -> dict[str, list[str]]:
        """Put the errors about common fields on this form; return the kind's own (config) errors by field."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return {}
        kind_errors: dict[str, list[str]] = {}
        for name, messages in exc.message_dict.items():
            if name == "completion":
                self.add_error("completion_rule", messages)
            elif name in self.fields and name != "__all__":
                self.add_error(name, messages)
            elif self._is_parameter(name):
                self.add_error(self._parameter_field(name), messages)
            elif name == "__all__":
                self.add_error(None, messages)
            else:
                kind_errors.setdefault(name, []).extend(messages)
        return kind_errors

    def _is_parameter(self, name: str) -> bool:
        return any(name in rule.parameters for rule in self.kind.completion_rules)

    def _parameter_field(self, name: str) -> str:
        chosen = self.data.get("completion_rule") or ""
        for rule in self.kind.completion_rules:
            if name in rule.parameters and (rule.key == chosen or not chosen):
                return parameter_field_name(rule, name)
        return next(parameter_field_name(rule, name) for rule in self.kind.completion_rules if name in rule.parameters)


def parameter_field_name(rule: CompletionRule, name: str) -> str:
    return f"completion_{rule.key}_{name}"


PARAMETER_LABELS = {"percent": _("Percentage watched")}


def parameter_label(name: str) -> str:
    return str(PARAMETER_LABELS.get(name, name.replace("_", " ").capitalize()))


class SubmitForm(ServiceForm):
    notes = forms.CharField(
        label=_("Notes for the reviewer"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What changed and why; the reviewer reads this first."),
    )
    change = forms.ChoiceField(
        label=_("Version change"),
        choices=CourseVersion.Change.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "Major: it applies to new enrollments. Minor: learners in progress move to it automatically. Choose "
            "major when the changes matter enough that learners in progress should stay on their version."
        ),
    )

    def __init__(self, *args: Any, computed: str = "", first: bool = False, **kwargs: Any) -> None:
        """`computed`: the change the draft makes ("major"/"minor"). Only a computed minor change leaves a choice
        (an author may still call it major); a first version, or structural changes, are major: no field then,
        and `chosen_change()` is None so the service decides."""
        super().__init__(*args, **kwargs)
        if first or computed != CourseVersion.Change.MINOR:
            del self.fields["change"]
            return
        change_field: forms.ChoiceField = self.fields["change"]  # type: ignore[assignment]
        change_field.choices = [
            (CourseVersion.Change.MINOR, _("Minor (computed)")),
            (CourseVersion.Change.MAJOR, _("Major")),
        ]
        self.initial.setdefault("change", CourseVersion.Change.MINOR)

    @property
    def offers_change(self) -> bool:
        return "change" in self.fields

    def chosen_change(self) -> str | None:
        return self.cleaned_data.get("change") or None


class PublishForm(SubmitForm):
    """Publishing without review: the same fields, the notes being the version's release notes."""

    notes = forms.CharField(
        label=_("What changed"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown in the course's history."),
    )


class CommentForm(ServiceForm):
    body = forms.CharField(label=_("Comment"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 3}))
    about_uid = forms.ChoiceField(label=_("About"), required=False)

    def __init__(self, *args: Any, anchors: Sequence[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: forms.ChoiceField = self.fields["about_uid"]  # type: ignore[assignment]
        field.choices = [("", _("The whole course")), *anchors]


class ApproveForm(ServiceForm):
    notes = forms.CharField(
        label=_("Release notes"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Shown in the course's history. Empty: the author's notes."),
    )


class RejectForm(ServiceForm):
    reason = forms.CharField(
        label=_("What needs to change"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 3})
    )


class StaffRoleForm(ServiceForm):
    membership = forms.IntegerField(widget=forms.HiddenInput)
    role = forms.ChoiceField(label=_("Role"), choices=CourseStaff.Role.choices)


class StaffRemoveForm(forms.Form):
    membership = forms.IntegerField(widget=forms.HiddenInput)


class CategoryForm(ServiceForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    position = forms.IntegerField(
        label=_("Order"), min_value=0, max_value=10_000, required=False, help_text=_("Smaller numbers come first.")
    )

    def __init__(self, *args: Any, in_row: bool = False, **kwargs: Any) -> None:
        """`in_row`: one of the list's rows, where the page says once what Order means (a help text under one
        field of the row would push its neighbours out of line)."""
        super().__init__(*args, **kwargs)
        if in_row:
            self.fields["position"].help_text = ""


class CatalogSettingsForm(ServiceForm):
    publish_without_review = forms.BooleanField(
        label=_("Course owners and editors may publish without review"), required=False
    )
    embed_allowlist = forms.CharField(
        label=_("Hosts allowed in embeds"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=_(
            "One host name per line, such as video.example.com. Link activities on these hosts are shown inside the "
            "course; any other link opens in a new tab."
        ),
    )
