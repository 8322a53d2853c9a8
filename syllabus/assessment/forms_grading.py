"""Forms of the grading area: the results filters, a manual grade, an override, and the choice of what to regrade.

Forms only parse: the mark's range, the reason of an override and everything else the services refuse are the
services' words (`services.attempts`, `services.regrade`), put on the fields they name by `add_service_error`, so
the pages and the API say the same thing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from syllabus.accounts.models import User
from syllabus.assessment import selectors_grading as selectors
from syllabus.assessment.models import Question
from syllabus.assessment.services import attempts
from syllabus.catalog.richtext import RichTextField
from syllabus.enrollment.forms_course import add_service_error, error_summary

__all__ = ["GradeForm", "OverrideForm", "RegradeForm", "ResultsFilterForm", "add_service_error", "error_summary"]

STATE_CHOICES = (
    ("", _("Every learner")),
    ("needs_grading", _("With an attempt waiting for grading")),
    ("finished", _("With a finished attempt")),
    ("in_progress", _("With an attempt in progress")),
)
QUEUE_SHOW_CHOICES = (
    (selectors.QUEUE_WAITING, _("Waiting for grading")),
    (selectors.QUEUE_ALL, _("Waiting and already graded")),
)
QUEUE_GROUP_CHOICES = (
    (selectors.BY_QUESTION, _("By question (every answer to one question in turn)")),
    (selectors.BY_ATTEMPT, _("By attempt (every answer of one attempt in turn)")),
)
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
MINUTES_MAX = 10_000
EXTRA_ATTEMPTS_MAX = 100


class ResultsFilterForm(forms.Form):
    """The results page's filters (GET). An invalid value filters nothing rather than showing an error."""

    state = forms.ChoiceField(label=_("Show"), choices=STATE_CHOICES, required=False)
    q = forms.CharField(label=_("Name or email"), required=False, max_length=100)

    def values(self) -> tuple[str, str]:
        if not self.is_valid():
            return "", ""
        return self.cleaned_data["state"], self.cleaned_data["q"]


class QueueForm(forms.Form):
    """The grading queue's options (GET): what it lists, in which order, and whether names show."""

    show = forms.ChoiceField(label=_("Answers"), choices=QUEUE_SHOW_CHOICES, required=False)
    group = forms.ChoiceField(label=_("Order"), choices=QUEUE_GROUP_CHOICES, required=False)
    blind = forms.BooleanField(
        label=_("Hide the learners' names (blind grading)"), required=False, help_text=_("Attempts show by number.")
    )

    def values(self) -> tuple[str, str, bool]:
        if not self.is_valid():
            return selectors.QUEUE_WAITING, selectors.BY_QUESTION, False
        data = self.cleaned_data
        return data["show"] or selectors.QUEUE_WAITING, data["group"] or selectors.BY_QUESTION, bool(data["blind"])


class GradeForm(forms.Form):
    mark = forms.CharField(
        label=_("Mark"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "size": 8}),
    )
    comment = RichTextField(
        label=_("Comment for the learner"),
        required=False,
        max_length=attempts.COMMENT_LIMIT,
        help_text=_("Shown with the grade when the quiz's review options show feedback."),
    )

    def __init__(self, *args: Any, max_mark: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mark"].label = _("Mark out of %(max)s") % {"max": max_mark.normalize()}
        self.fields["mark"].help_text = _("A number from 0 to %(max)s; decimals allowed (2.5).") % {
            "max": max_mark.normalize()
        }


def _datetime_field(label: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=False,
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
        help_text=_("Empty: the quiz's own date."),
    )


class OverrideForm(forms.Form):
    """Different rules for one enrolled learner (the service checks the reason and that something changes)."""

    user = forms.TypedChoiceField(label=_("Learner"), coerce=int)
    time_limit_minutes = forms.IntegerField(
        label=_("Time limit (minutes)"),
        required=False,
        min_value=1,
        max_value=MINUTES_MAX,
        help_text=_("Empty: the quiz's own time limit."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    extra_attempts = forms.IntegerField(
        label=_("Extra attempts"),
        required=False,
        min_value=0,
        max_value=EXTRA_ATTEMPTS_MAX,
        help_text=_("Added to the attempts the quiz allows (a quiz with unlimited attempts needs none)."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    opens_at = _datetime_field(_("Opens"))
    closes_at = _datetime_field(_("Closes"))
    skip_password = forms.BooleanField(label=_("No password needed"), required=False)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept in the audit trail, e.g. “Extra time agreed with HR”."),
    )

    def __init__(self, *args: Any, learners: Sequence[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", _("Choose a learner")), *((u.pk, f"{u.display_name} ({u.email})") for u in learners)]
        self.learners = {u.pk: u for u in learners}

    @property
    def has_learners(self) -> bool:
        return bool(self.learners)

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "user": self.learners[data["user"]],
            "reason": data["reason"],
            "time_limit_minutes": data["time_limit_minutes"],
            "extra_attempts": data["extra_attempts"] or 0,
            "opens_at": data["opens_at"],
            "closes_at": data["closes_at"],
            "skip_password": data["skip_password"],
        }


class RegradeForm(forms.Form):
    """What to regrade (GET: the page shows the plan; the Apply button posts the same fields)."""

    question = forms.TypedChoiceField(label=_("Question"), coerce=int)
    quiz = forms.ChoiceField(label=_("In"), required=False)
    to_latest = forms.BooleanField(
        label=_("Grade with the question's latest version"),
        required=False,
        initial=True,
        help_text=_(
            "After fixing a question, this grades every stored answer again with the fix. Unticked, answers are "
            "graded again with the version each attempt used."
        ),
    )

    def __init__(self, *args: Any, questions: Sequence[Question], quizzes: Sequence[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = {q.pk: q for q in questions}
        field = self.fields["question"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", _("Choose a question")), *((q.pk, f"{q.name} ({q.qtype})") for q in questions)]
        quiz_field = self.fields["quiz"]
        assert isinstance(quiz_field, forms.ChoiceField)
        quiz_field.choices = [("", _("Every quiz of the course")), *((str(q.uid), q.title) for q in quizzes)]

    def chosen(self) -> tuple[Question, uuid.UUID | None, bool]:
        data = self.cleaned_data
        quiz = uuid.UUID(data["quiz"]) if data.get("quiz") else None
        return self.questions[data["question"]], quiz, bool(data["to_latest"])
