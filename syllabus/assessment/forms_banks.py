"""Forms of the question bank pages. They parse and label what people type; `services.questions`, `imports` and
`exports` validate again and do every write (their ValidationErrors come back with `add_service_error`).

The question form holds the fields every question has; the type's own part is drawn by the type
(`render_author`) and read by it (`data_from_form`), so the errors of a service refusal are split in two: those
naming a common field go on that field, the rest beside the type's part (`type_errors`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from syllabus.assessment.formats import base as formats
from syllabus.assessment.models import Difficulty, Question, QuestionVersion
from syllabus.assessment.services import questions
from syllabus.catalog.forms import ServiceForm, skills_field, split_tags
from syllabus.catalog.richtext import RichTextField

TOP_LEVEL = ""
CHOOSE_QUESTIONS = _("Tick the questions to move.")
FILE_TOO_LARGE = formats.TOO_LARGE


def _int_or_none(value: Any) -> int | None:
    return int(value) if value not in (None, "") else None


# --- banks and categories -------------------------------------------------------------------------------------------


class BankForm(ServiceForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class CategoryForm(ServiceForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    parent = forms.TypedChoiceField(
        label=_("Inside"), coerce=int, empty_value=None, required=False, help_text=_("Leave empty for a top category.")
    )
    description = forms.CharField(
        label=_("Description"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, parents: Sequence[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parent: forms.TypedChoiceField = self.fields["parent"]  # type: ignore[assignment]
        parent.choices = [(TOP_LEVEL, _("Top level")), *parents]


# --- the question list --------------------------------------------------------------------------------------------


class HiddenChoice:
    VISIBLE = "visible"
    ALL = "all"
    HIDDEN = "hidden"


class QuestionFilterForm(forms.Form):
    """The search and filters of a bank's question list (a GET form: bad values are simply ignored)."""

    category = forms.TypedChoiceField(label=_("Category"), coerce=int, empty_value=None, required=False)
    subcategories = forms.BooleanField(label=_("Include sub-categories"), required=False)
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    qtype = forms.ChoiceField(label=_("Type"), required=False)
    tag = forms.ChoiceField(label=_("Tag"), required=False)
    skill = forms.TypedChoiceField(label=_("Skill"), coerce=int, empty_value=None, required=False)
    difficulty = forms.TypedChoiceField(
        label=_("Difficulty"),
        coerce=int,
        empty_value=None,
        required=False,
        choices=[("", _("Any")), *Difficulty.choices],
    )
    hidden = forms.ChoiceField(
        label=_("Hidden questions"),
        required=False,
        choices=[
            (HiddenChoice.VISIBLE, _("Leave out")),
            (HiddenChoice.ALL, _("Show too")),
            (HiddenChoice.HIDDEN, _("Only hidden")),
        ],
    )

    def __init__(
        self,
        *args: Any,
        categories: Sequence[tuple[int, str]],
        types: Sequence[tuple[str, str]],
        tags: Sequence[str],
        skills: Sequence[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = list(categories)  # type: ignore[attr-defined]
        self.fields["qtype"].choices = [("", _("Any")), *types]  # type: ignore[attr-defined]
        self.fields["tag"].choices = [("", _("Any")), *((tag, tag) for tag in tags)]  # type: ignore[attr-defined]
        self.fields["skill"].choices = [("", _("Any")), *skills]  # type: ignore[attr-defined]

    def value(self, name: str, default: Any = None) -> Any:
        """A filter's value, or `default` when it is missing or invalid (a bad filter is ignored, not an error)."""
        if not self.is_bound:
            return default
        self.is_valid()  # fills cleaned_data with the fields that are valid, whatever the others hold
        found = self.cleaned_data.get(name)
        return default if found in (None, "") else found

    def hidden_filter(self) -> bool | None:
        choice = self.value("hidden", HiddenChoice.VISIBLE)
        return {HiddenChoice.ALL: None, HiddenChoice.HIDDEN: True}.get(choice, False)

    @property
    def filtered(self) -> bool:
        names = ("q", "qtype", "tag", "skill", "difficulty")
        return any(self.value(name) for name in names) or self.hidden_filter() is not False


class BulkMoveForm(forms.Form):
    questions = forms.TypedMultipleChoiceField(label=_("Questions"), coerce=int, required=True)
    target = forms.TypedChoiceField(label=_("Move the ticked questions to"), coerce=int)

    def __init__(
        self, *args: Any, question_ids: Sequence[int], categories: Sequence[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["questions"].choices = [(pk, str(pk)) for pk in question_ids]  # type: ignore[attr-defined]
        self.fields["questions"].error_messages["required"] = CHOOSE_QUESTIONS
        self.fields["target"].choices = list(categories)  # type: ignore[attr-defined]


# --- the question editor --------------------------------------------------------------------------------------------


class QuestionForm(ServiceForm):
    """The fields every question has. Values are parsed only as far as the widget needs; the service judges them
    (its messages are the ones the API and importers give)."""

    name = forms.CharField(label=_("Question name"), max_length=questions.NAME_LIMIT, required=False,
                           help_text=_("For the bank and reports; learners do not see it."))  # fmt: skip
    category = forms.TypedChoiceField(label=_("Category"), coerce=int)
    text = RichTextField(label=_("Question text"), required=False)
    general_feedback = RichTextField(
        label=_("General feedback"),
        required=False,
        help_text=_("Shown after the question is answered, whatever the answer (when the quiz's review allows)."),
    )
    default_mark = forms.CharField(
        label=_("Default mark"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text=_("A number from 0 to 1000; a quiz may give the question another mark."),
    )
    difficulty = forms.TypedChoiceField(
        label=_("Difficulty"), coerce=int, choices=Difficulty.choices, initial=Difficulty.MEDIUM
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=2000,
        help_text=_("Separate tags with commas, for example: fire, warehouse. Random quiz slots can draw by tag."),
    )
    skills = skills_field(_("Tick the skills the question assesses."))

    def __init__(
        self,
        *args: Any,
        categories: Sequence[tuple[int, str]],
        skill_choices: Sequence[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = list(categories)  # type: ignore[attr-defined]
        self.fields["skills"].choices = list(skill_choices)  # type: ignore[attr-defined]
        if not skill_choices:
            self.fields["skills"].help_text = _("The organisation has no skills framework yet.")
        self.type_errors: dict[str, list[str]] = {}

    @classmethod
    def initial_for(cls, question: Question, version: QuestionVersion) -> dict[str, Any]:
        return {
            "name": version.name,
            "category": question.category_id,
            "text": version.text,
            "general_feedback": version.general_feedback,
            "default_mark": _mark_text(version.default_mark),
            "difficulty": question.difficulty,
            "tags": ", ".join(tag.name for tag in question.tags.all()),
            "skills": [skill.pk for skill in question.skills.all()],
        }

    def fields_for_service(self, *, qtype: str, data: dict[str, Any], idnumber: str = "") -> questions.QuestionFields:
        cleaned = self.cleaned_data
        return questions.QuestionFields(
            qtype=qtype,
            name=cleaned.get("name") or "",
            text=cleaned.get("text") or "",
            general_feedback=cleaned.get("general_feedback") or "",
            default_mark=(cleaned.get("default_mark") or "1").strip(),
            data=data,
            difficulty=cleaned.get("difficulty") or Difficulty.MEDIUM,
            tags=split_tags(cleaned.get("tags") or ""),
            skill_ids=list(cleaned.get("skills") or []),
            idnumber=idnumber,
        )

    def add_service_error(self, exc: ValidationError, aliases: Any = None, *, only_new: bool = False) -> None:
        """Common fields' errors on their field; the type's beside its part (`type_errors`); the rest on top.
        `only_new`: leave alone a field the form already refused (its own message says it better)."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for name, messages in exc.message_dict.items():
            if only_new and name in self.errors:
                continue
            if name in self.fields:
                self.add_error(name, messages)
            elif name in {"qtype", NON_FIELD_ERRORS}:
                self.add_error(None, messages)
            else:
                self.type_errors.setdefault(name, []).extend(messages)


def _mark_text(mark: Any) -> str:
    """A mark as people write it: "1", "2.5" (not "1.000")."""
    text = format(mark, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- import and export ----------------------------------------------------------------------------------------------


class ImportForm(ServiceForm):
    file = forms.FileField(label=_("File"))
    format = forms.ChoiceField(label=_("Format"))
    category = forms.TypedChoiceField(
        label=_("Import into"),
        coerce=int,
        help_text=_("Categories named in the file are created inside this one."),
    )

    def __init__(
        self,
        *args: Any,
        format_choices: Sequence[tuple[str, str]],
        categories: Sequence[tuple[int, str]],
        accept: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["format"].choices = list(format_choices)  # type: ignore[attr-defined]
        self.fields["category"].choices = list(categories)  # type: ignore[attr-defined]
        limit = formats.MAX_FILE_BYTES // (1024 * 1024)
        self.fields["file"].help_text = _("At most %(limit)s MB.") % {"limit": limit}
        if accept:
            self.fields["file"].widget.attrs["accept"] = accept

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        # The size the upload handler counted: refused before a byte of it is read into memory.
        if upload.size is None or upload.size > formats.MAX_FILE_BYTES:
            raise ValidationError(FILE_TOO_LARGE.format(limit=formats.MAX_FILE_BYTES // (1024 * 1024)))
        return upload


class ImportApplyForm(forms.Form):
    token = forms.CharField(max_length=64, widget=forms.HiddenInput)
    mode = forms.ChoiceField(choices=[("all", "all"), ("valid", "valid")])


class ExportForm(ServiceForm):
    format = forms.ChoiceField(label=_("Format"))
    category = forms.TypedChoiceField(label=_("Category"), coerce=int)
    subcategories = forms.BooleanField(label=_("Include sub-categories"), required=False, initial=True)
    hidden = forms.BooleanField(label=_("Include hidden questions"), required=False)

    def __init__(
        self,
        *args: Any,
        format_choices: Sequence[tuple[str, str]],
        categories: Sequence[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["format"].choices = list(format_choices)  # type: ignore[attr-defined]
        self.fields["category"].choices = list(categories)  # type: ignore[attr-defined]


# --- the error summary ----------------------------------------------------------------------------------------------

TYPE_PART_ID = "question-type-part"


@dataclass(frozen=True)
class ErrorLink:
    """One line of the error summary at the top of a form page (catalog/authoring/_error_summary.html)."""

    label: str  # the field's label, "" for an error about the whole form
    message: str
    target: str  # the id to link to (and focus); "" for none


def error_summary(form: forms.Form, type_errors: Mapping[str, Sequence[str]] | None = None) -> list[ErrorLink]:
    """Every error of a bound form, each linking to its field; the question type's errors link to its part."""
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
    for name, messages in (type_errors or {}).items():
        out += [ErrorLink(name.replace("_", " ").capitalize(), str(message), TYPE_PART_ID) for message in messages]
    return out
