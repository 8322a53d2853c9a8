"""Description: text only (instructions, a case to read before the next questions). No answer, no mark."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from syllabus.assessment.question_types import base, choices
from syllabus.assessment.question_types.base import Grade, Question, QuestionType

if TYPE_CHECKING:
    from django.http import QueryDict

NO_ANSWER = "A description takes no answer."


class Description(QuestionType):
    key = "description"
    label = gettext_lazy("Description")
    description = gettext_lazy("Text only: instructions or a case to read. It is not answered or graded.")
    template = "assessment/qtypes/description/learner.html"
    author_template = "assessment/qtypes/description/author.html"
    graded = False
    allows_tries = False

    def clean(self, data: Mapping[str, Any], *, text: str = "") -> dict[str, Any]:
        if not isinstance(data, Mapping):
            raise ValidationError({"data": choices.DATA_NOT_OBJECT})
        return {}  # everything it says is in the question text

    def response_from_form(self, question: Question, variant: Mapping[str, Any], post: QueryDict, prefix: str) -> Any:
        return {}

    def clean_response(self, question: Question, variant: Mapping[str, Any], raw: Any) -> dict[str, Any]:
        if base.as_response(raw):
            raise ValidationError({"response": NO_ANSWER})
        return {}

    def grade(self, question: Question, variant: Mapping[str, Any], response: Mapping[str, Any]) -> Grade:
        return Grade(None, "info")


base.register(Description())
