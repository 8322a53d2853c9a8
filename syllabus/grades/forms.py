"""The gradebook's forms: the table's filters, setup (settings, categories, items), one grade, import, letter
scales. Forms only parse and validate what people type; the services decide and write."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from syllabus.accounts.models import OrgUnit
from syllabus.enrollment.models import CourseGroup
from syllabus.grades import selectors
from syllabus.grades.models import Display, GradeCategory, LetterScale

IMPORT_MAX_MB = 5
IMPORT_TYPES = (".csv", ".xlsx")

SORT_CHOICES = [
    ("name", _("Name (A to Z)")),
    ("-name", _("Name (Z to A)")),
    ("-total", _("Course total (highest first)")),
    ("total", _("Course total (lowest first)")),
]


def _percent_field(*, required: bool, label: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=Decimal(0),
        max_value=Decimal(100),
        max_digits=5,
        decimal_places=2,
        help_text=_("A percentage from 0 to 100, up to two decimals."),
    )


def _attrs(attrs: dict[str, Any]) -> str:
    # As django/forms/widgets/attrs.html writes them.
    return "".join(
        f" {escape(str(name))}" if value is True else f' {escape(str(name))}="{escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


class DrawnSelect(forms.Select):
    """Django's select with the markup of its templates, drawn in Python: through the widget templates (two
    includes an option) the filters' selects cost ~29 ms on every gradebook page of an organisation with 187 org
    units. Every value is escaped; option groups (none here) go through the templates."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        if any(group_name for group_name, _options, _index in widget["optgroups"]):
            return super().render(name, value, attrs, renderer)
        drawn = [f'<select name="{escape(str(widget["name"]))}"{_attrs(widget["attrs"])}>']
        for _group_name, options, _index in widget["optgroups"]:
            for option in options:
                value_text, label = escape(str(option["value"])), escape(str(option["label"]))
                drawn.append(f'\n  <option value="{value_text}"{_attrs(option["attrs"])}>{label}</option>\n')
        drawn.append("\n</select>")
        return mark_safe("".join(drawn))  # every value escaped above


class GradebookFilterForm(forms.Form):
    """The table's filters (GET): an org unit (with its sub-units), a course group, a status, a name, the sort,
    and the columns of one category."""

    unit = forms.TypedChoiceField(label=_("Org unit"), required=False, coerce=int, empty_value=None, widget=DrawnSelect)
    group = forms.TypedChoiceField(label=_("Group"), required=False, coerce=int, empty_value=None, widget=DrawnSelect)
    status = forms.ChoiceField(label=_("Status"), required=False, widget=DrawnSelect)
    q = forms.CharField(label=_("Name or email"), required=False, max_length=selectors.SEARCH_MAX)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORT_CHOICES, widget=DrawnSelect)
    category = forms.TypedChoiceField(
        label=_("Columns"), required=False, coerce=int, empty_value=None, widget=DrawnSelect
    )

    def __init__(
        self,
        data: Any = None,
        *,
        units: Sequence[OrgUnit],
        groups: Sequence[CourseGroup],
        categories: Sequence[GradeCategory],
    ) -> None:
        super().__init__(data)
        self._units = {unit.pk: unit for unit in units}
        self.fields["unit"].choices = [("", _("Every org unit"))] + [  # type: ignore[attr-defined]
            (unit.pk, "\u2003" * unit.depth + unit.name) for unit in units
        ]
        self.fields["group"].choices = [("", _("Every group"))] + [  # type: ignore[attr-defined]
            (group.pk, group.name) for group in groups
        ]
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            ("", _("Enrolled or completed")),
            *[(status.value, status.label) for status in selectors.ENROLLMENT_STATUSES],
            *selectors.RESULT_STATUSES.items(),
        ]
        self.fields["category"].choices = [("", _("Every item"))] + [  # type: ignore[attr-defined]
            (category.pk, category.name) for category in categories
        ]

    def filters(self) -> selectors.Filters:
        """The filters asked for; anything invalid (a stale id, a forged value) is left out rather than refused."""
        if not self.is_bound:
            return selectors.Filters()
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        unit_id = data.get("unit")
        return selectors.Filters(
            unit=self._units.get(unit_id) if unit_id is not None else None,
            group_id=data.get("group"),
            status=data.get("status") or "",
            search=data.get("q") or "",
            sort=data.get("sort") or "name",
            category_id=data.get("category"),
        )


# --- setup -------------------------------------------------------------------------------------------------------


class SettingsForm(forms.Form):
    display = forms.ChoiceField(label=_("Show grades as"), choices=Display.choices, widget=forms.RadioSelect)
    letter_scale = forms.TypedChoiceField(
        label=_("Letters"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Without a choice, the organisation's default scale."),
    )
    pass_mark = forms.DecimalField(
        label=_("Course pass mark (%)"),
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(100),
        max_digits=5,
        decimal_places=2,
        help_text=_("Leave empty for no pass mark."),
    )
    only_graded = forms.BooleanField(label=_("Leave ungraded items out of the total"), required=False)
    show_total_to_learners = forms.BooleanField(label=_("Learners see their course total"), required=False)

    def __init__(
        self, data: Any = None, *, scales: Sequence[LetterScale], initial: dict[str, Any] | None = None
    ) -> None:
        super().__init__(data, initial=initial)
        self._scales = {scale.pk: scale for scale in scales}
        self.fields["letter_scale"].choices = [("", _("The organisation's default"))] + [  # type: ignore[attr-defined]
            (scale.pk, scale.name) for scale in scales
        ]

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        scale_id = data.pop("letter_scale")
        data["letter_scale"] = self._scales.get(scale_id) if scale_id is not None else None
        return data


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    weight = forms.DecimalField(
        label=_("Weight"),
        min_value=Decimal(0),
        max_value=Decimal(10000),
        max_digits=8,
        decimal_places=3,
        initial=Decimal(1),
        help_text=_("Its share of the course total, against the other categories' weights."),
    )
    drop_lowest = forms.IntegerField(
        label=_("Drop the lowest"),
        min_value=0,
        max_value=50,
        initial=0,
        help_text=_("How many of its lowest grades are left out (at least one grade always counts)."),
    )


def _category_choices(categories: Sequence[GradeCategory]) -> list[tuple[Any, Any]]:
    return [("", _("Not in a category"))] + [(category.pk, category.name) for category in categories]


class ItemForm(forms.Form):
    """An item's place in the total; the name and maximum of a manual item (an activity's follow the activity)."""

    name = forms.CharField(label=_("Name"), max_length=300, required=False)
    max_points = forms.DecimalField(
        label=_("Maximum points"),
        required=False,
        min_value=Decimal("0.01"),
        max_value=Decimal(100000),
        max_digits=10,
        decimal_places=2,
    )
    category = forms.TypedChoiceField(label=_("Category"), required=False, coerce=int, empty_value=None)
    weight = forms.DecimalField(
        label=_("Weight in its category"),
        min_value=Decimal(0),
        max_value=Decimal(10000),
        max_digits=8,
        decimal_places=3,
    )
    hidden = forms.BooleanField(label=_("Hidden from learners"), required=False)
    excluded = forms.BooleanField(label=_("Left out of the total"), required=False)

    def __init__(
        self,
        data: Any = None,
        *,
        categories: Sequence[GradeCategory],
        manual: bool,
        initial: dict[str, Any] | None = None,
        prefix: str | None = None,
    ) -> None:
        super().__init__(data, initial=initial, prefix=prefix)
        self._categories = {category.pk: category for category in categories}
        self.fields["category"].choices = _category_choices(categories)  # type: ignore[attr-defined]
        self.manual = manual
        if manual:
            self.fields["name"].required = True
            self.fields["max_points"].required = True
        else:
            del self.fields["name"]
            del self.fields["max_points"]

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        category_id = data.pop("category")
        data["category"] = self._categories.get(category_id) if category_id is not None else None
        return data


class ManualItemForm(forms.Form):
    """A new manual item (offline work: a presentation, a lab)."""

    name = forms.CharField(label=_("Name"), max_length=300)
    max_points = forms.DecimalField(
        label=_("Maximum points"),
        min_value=Decimal("0.01"),
        max_value=Decimal(100000),
        max_digits=10,
        decimal_places=2,
        initial=Decimal(100),
    )
    category = forms.TypedChoiceField(label=_("Category"), required=False, coerce=int, empty_value=None)
    weight = forms.DecimalField(
        label=_("Weight in its category"),
        min_value=Decimal(0),
        max_value=Decimal(10000),
        max_digits=8,
        decimal_places=3,
        initial=Decimal(1),
    )

    def __init__(self, data: Any = None, *, categories: Sequence[GradeCategory]) -> None:
        super().__init__(data, prefix="new")
        self._categories = {category.pk: category for category in categories}
        self.fields["category"].choices = _category_choices(categories)  # type: ignore[attr-defined]

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        category_id = data.pop("category")
        data["category"] = self._categories.get(category_id) if category_id is not None else None
        return data


# --- one grade ---------------------------------------------------------------------------------------------------


class OverrideForm(forms.Form):
    percent = _percent_field(required=True, label=_("Grade (%)"))
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the grade's history and the audit trail."),
    )


class ClearOverrideForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class EnterForm(forms.Form):
    percent = _percent_field(required=False, label=_("Grade (%)"))
    feedback = forms.CharField(
        label=_("Feedback to the learner"), max_length=10000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["percent"].help_text = _("A percentage from 0 to 100, up to two decimals; empty clears it.")


# --- import ------------------------------------------------------------------------------------------------------


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV or XLSX, at most %(mb)s MB: one row per person (username or email column), one column per item, "
            "headed with the item's name as the export writes it."
        )
        % {"mb": IMPORT_MAX_MB},
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith(IMPORT_TYPES):
            raise ValidationError(_("Choose a .csv or .xlsx file."), code="type")
        if upload.size > IMPORT_MAX_MB * 1024 * 1024:
            raise ValidationError(_("The file is larger than %(mb)s MB.") % {"mb": IMPORT_MAX_MB}, code="size")
        return upload


# --- letter scales -----------------------------------------------------------------------------------------------


def bands_text(bands: Any) -> str:
    """Bands as the form shows them: one "letter minimum" a line."""
    if not isinstance(bands, list):
        return ""
    lines = []
    for band in bands:
        if isinstance(band, dict):
            minimum = str(band.get("min", ""))
            if "." in minimum:
                minimum = minimum.rstrip("0").rstrip(".")
            lines.append(f"{band.get('letter', '')} {minimum}")
    return "\n".join(lines)


class ScaleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    bands = forms.CharField(
        label=_("Letters"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            'One letter a line with the lowest percentage that earns it, highest first, e.g. "A 90"; the last '
            "line's minimum is 0."
        ),
    )
    is_default = forms.BooleanField(label=_("The organisation's default"), required=False)

    def clean_bands(self) -> list[dict[str, str]]:
        bands: list[dict[str, str]] = []
        problems: list[str] = []
        for number, line in enumerate(self.cleaned_data["bands"].splitlines(), start=1):
            words = line.split()
            if not words:
                continue
            if len(words) != 2:
                problems.append(str(_('Line %(n)s: write a letter and its minimum, e.g. "B 80".') % {"n": number}))
                continue
            letter, minimum = words
            try:
                value = Decimal(minimum.rstrip("%"))
            except ArithmeticError:
                value = Decimal(-1)
            if not value.is_finite() or not Decimal(0) <= value <= Decimal(100):
                problems.append(str(_("Line %(n)s: the minimum must be a number from 0 to 100.") % {"n": number}))
                continue
            if len(letter) > 10:
                problems.append(str(_("Line %(n)s: a letter has at most 10 characters.") % {"n": number}))
                continue
            bands.append({"letter": letter, "min": format(value.normalize(), "f")})
        if problems:
            raise ValidationError(problems)
        if not bands:
            raise ValidationError(_("Write at least one letter."))
        return bands
