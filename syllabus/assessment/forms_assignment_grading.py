"""Forms of assignment grading: the queue's filters, the feedback editor, reopening, and extensions.

Forms only parse: the rubric or guide filling is read straight from the grading page's fields (one radio group or
mark per criterion, see `filling_from_post`), and everything the services refuse is the services' words
(`services.assignment_grading`, `rubric_scoring`), put on the fields they name.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from syllabus.accounts.models import User
from syllabus.assessment import selectors_assignments as selectors
from syllabus.assessment.services import assignment_grading as services
from syllabus.catalog.richtext import RichTextField
from syllabus.enrollment.forms_course import add_service_error, error_summary

__all__ = [
    "ExtensionForm",
    "ExtensionRemoveForm",
    "FeedbackForm",
    "QueueFilterForm",
    "ReopenForm",
    "add_service_error",
    "error_summary",
    "filling_from_post",
]

SHOW_CHOICES = (
    (selectors.SHOW_ALL, _("Every submission")),
    (selectors.SHOW_UNGRADED, _("Waiting for a grade")),
    (selectors.SHOW_GRADED, _("Graded")),
    (selectors.SHOW_UNRELEASED, _("Graded, not released")),
    (selectors.SHOW_RELEASED, _("Released")),
)
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class QueueFilterForm(forms.Form):
    """The queue's filters (GET). An invalid value filters nothing rather than showing an error."""

    show = forms.ChoiceField(label=_("Show"), choices=SHOW_CHOICES, required=False)
    assignment = forms.ChoiceField(label=_("Assignment"), required=False)
    group = forms.TypedChoiceField(label=_("Group"), required=False, coerce=int, empty_value=None)
    late = forms.BooleanField(label=_("Only late submissions"), required=False)
    q = forms.CharField(label=_("Name or email"), required=False, max_length=100)

    def __init__(
        self,
        *args: Any,
        assignments: Sequence[selectors.AssignmentRef],
        groups: Sequence[Any],
        one_assignment: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        assignment_field = self.fields["assignment"]
        assert isinstance(assignment_field, forms.ChoiceField)
        if one_assignment:
            del self.fields["assignment"]
        else:
            assignment_field.choices = [("", _("Every assignment")), *((str(a.uid), a.title) for a in assignments)]
        group_field = self.fields["group"]
        assert isinstance(group_field, forms.ChoiceField)
        if groups:
            group_field.choices = [("", _("Every group")), *((g.pk, g.name) for g in groups)]
        else:
            del self.fields["group"]

    def filters(self, *, assignment: uuid.UUID | None) -> selectors.QueueFilters:
        if not self.is_valid():
            return selectors.QueueFilters(assignment=assignment)
        data = self.cleaned_data
        if assignment is None and data.get("assignment"):
            assignment = uuid.UUID(data["assignment"])
        return selectors.QueueFilters(
            assignment=assignment,
            show=data["show"] or selectors.SHOW_ALL,
            late=bool(data["late"]),
            group=data.get("group"),
            q=data["q"],
        )


class FeedbackForm(forms.Form):
    feedback = RichTextField(
        label=_("Feedback for the learner"),
        required=False,
        max_length=services.FEEDBACK_LIMIT,
        help_text=_("The learner sees it with the grade, once the grade is released."),
    )


def filling_from_post(method: str, definition: Mapping[str, Any], post: Mapping[str, Any]) -> dict[str, Any]:
    """The grading page's fields as a filling: a rubric's `level-<criterion>` radios and `remark-<criterion>`, a
    guide's `mark-<criterion>` and `comment-<criterion>`."""
    filling: dict[str, Any] = {}
    for criterion in definition.get("criteria") or []:
        key = str(criterion.get("id"))
        if method == "rubric":
            filling[key] = {"level": post.get(f"level-{key}") or "", "remark": post.get(f"remark-{key}") or ""}
        elif method == "guide":
            filling[key] = {"mark": post.get(f"mark-{key}") or "", "comment": post.get(f"comment-{key}") or ""}
    return filling


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("Why reopen it"),
        max_length=services.REASON_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The learner may then hand in a new version. Kept in the audit trail."),
    )


def _datetime_field(label: Any, *, required: bool, help_text: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
        help_text=help_text,
    )


class ExtensionForm(forms.Form):
    user = forms.TypedChoiceField(label=_("Learner"), coerce=int)
    due_at = _datetime_field(
        _("New due date"), required=True, help_text=_("After the assignment's own due date (or in the future).")
    )
    cutoff_at = _datetime_field(
        _("New cut-off"), required=False, help_text=_("Empty: no cut-off of their own. Not before their due date.")
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=services.REASON_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the audit trail."),
    )

    def __init__(self, *args: Any, learners: Sequence[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Choose a learner")), *((u.pk, u.display_name or u.email) for u in learners)]
        self.has_learners = bool(learners)


class ExtensionRemoveForm(forms.Form):
    reason = forms.CharField(label=_("Why remove it"), max_length=services.REASON_LIMIT)
