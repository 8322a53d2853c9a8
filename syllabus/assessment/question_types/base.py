"""The anatomy of a question type, and the one registry of types.

A type is a plugin folder `question_types/<key>/` holding `qtype.py` with a subclass of `QuestionType`, registered by
`question_types.load()` (its module calls `register(<Type>())` when imported). Nothing else in Syllabus names a type:
the bank, the quiz, the importers and the grader all go through this interface. The shape of each type's `data`
(and of its responses) is written down in question_types/README.md; importers build exactly that shape.

A type owns:
- **authoring**: `clean(data)` validates the type's content (from the author form through `data_from_form`, from the
  API as JSON, from an importer) and returns it normalised, raising `ValidationError({field: message})`;
  `render_author(...)` draws the type's own part of the question form;
- **the learner's view**: `start(...)` draws a variant (shuffled option order, calculated values) when an attempt
  starts; `render(...)` draws the question from the version, the variant and the current response — with no
  correct answer and no correctness flag unless `RenderContext.review` says it may be shown;
- **responses**: `response_from_form(...)` reads a form post; `clean_response(...)` validates a response (from the
  form or the API's JSON) and refuses anything that is not an answer to this variant;
- **grading**: `grade(...)` returns a fraction 0..1 (None for manual grading), a state and the feedback;
- `right_answer` and `summarise_response`: plain text for review pages, reports and exports;
- `search_text`: plain text for the bank's search;
- `random_guess_score`: what answering at random scores on average (item statistics), or None.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from django.core.exceptions import ValidationError
from django.utils.functional import Promise

if TYPE_CHECKING:
    from django.http import QueryDict
    from django.utils.safestring import SafeString

UNKNOWN_TYPE = "Unknown question type: {qtype}."
NOT_AN_OBJECT = "The response must be a JSON object."

ONE = Decimal(1)
ZERO = Decimal(0)


@dataclass(frozen=True)
class Question:
    """What every type reads: a question version's common fields and its type's data."""

    qtype: str
    name: str
    text: str  # sanitised HTML
    general_feedback: str  # sanitised HTML
    default_mark: Decimal
    data: Mapping[str, Any]


@dataclass(frozen=True)
class Grade:
    """The grade of one response. `fraction` is 0..1, or None when a person must grade it (essay)."""

    fraction: Decimal | None
    # "right" (fraction 1), "partial", "wrong" (0), "gave_up" (no answer), "needs_grading", "info" (description)
    state: str
    # Feedback the type gives for this response (sanitised HTML fragments: the chosen options' feedback...),
    # shown only when the review options allow feedback.
    feedback: tuple[str, ...] = ()


@dataclass(frozen=True)
class Review:
    """What the learner may see now (the quiz's review options for this moment, or everything for the team)."""

    correctness: bool = False  # ticks and crosses, "Correct"/"Incorrect"
    marks: bool = False
    feedback: bool = False  # per-option and per-response feedback
    general_feedback: bool = False
    right_answer: bool = False


NO_REVIEW = Review()
FULL_REVIEW = Review(correctness=True, marks=True, feedback=True, general_feedback=True, right_answer=True)


@dataclass
class RenderContext:
    question: Question
    variant: Mapping[str, Any]
    response: Mapping[str, Any]
    # Every form field of this question starts with this prefix ("q3-"): several questions share one page form.
    prefix: str
    # The element id of the question's heading ("q3-label"), for aria-labelledby on groups.
    label_id: str
    readonly: bool = False
    review: Review = NO_REVIEW
    grade: Grade | None = None  # set only when `review` lets something of the grade show
    # Where the type links files of the question text (unused by most types).
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AuthorField:
    """Errors of the type's own form part, by the same names `clean` raises them with."""

    name: str
    messages: tuple[str, ...]


class QuestionType(ABC):
    key: ClassVar[str]
    label: ClassVar[str | Promise]
    description: ClassVar[str | Promise] = ""
    # False for a description (no answer, no mark) — it takes no part in grades.
    graded: ClassVar[bool] = True
    # True for types a person grades (essay): `grade` returns fraction None and state "needs_grading".
    manual: ClassVar[bool] = False
    # Whether the interactive behaviour may give another try (False for manual and ungraded types).
    allows_tries: ClassVar[bool] = True
    # True for types that draw the question text themselves, with their inputs inside it (gaps, cloze): the page
    # then shows only `render()`, not the text above it.
    renders_text: ClassVar[bool] = False
    # Template drawing the learner view, given {"ctx": RenderContext, ...} by `render`.
    template: ClassVar[str] = ""
    author_template: ClassVar[str] = ""

    # --- authoring ----------------------------------------------------------------------------------------------
    @abstractmethod
    def clean(self, data: Mapping[str, Any], *, text: str = "") -> dict[str, Any]:
        """Validate and normalise the type's content; raise ValidationError({field: message}).

        `text` is the question text (cloze and select-missing-words types read their gaps from it). Decimal values
        are stored as strings ("0.5"), never floats, so a round trip through JSON keeps them exact.
        """

    def clean_text(self, text: str, data: Mapping[str, Any]) -> str:
        """The question text to store (already sanitised HTML); types with markup in the text may rewrite it."""
        return text

    def data_from_form(self, post: QueryDict, *, prefix: str = "") -> dict[str, Any]:
        """Read the type's part of the author form into the shape `clean` takes (unvalidated)."""
        return {}

    def render_author(
        self, *, data: Mapping[str, Any], errors: Mapping[str, list[str]] | None = None, prefix: str = ""
    ) -> SafeString:
        """The type's own fields of the question form, with errors beside each field; names start with `prefix`."""
        from django.template.loader import render_to_string
        from django.utils.safestring import mark_safe

        if not self.author_template:
            return mark_safe("")
        context = {"qtype": self, "data": data, "errors": errors or {}, "prefix": prefix}
        return mark_safe(render_to_string(self.author_template, context))

    def default_data(self) -> dict[str, Any]:
        """The content a new question of this type starts with in the author form."""
        return {}

    # --- learners -----------------------------------------------------------------------------------------------
    def start(self, question: Question, rng: random.Random, *, shuffle: bool = True) -> dict[str, Any]:
        """The variant of a new attempt (option order, drawn values). `shuffle` is the quiz's "shuffle options"."""
        return {}

    def render(self, ctx: RenderContext) -> SafeString:
        from django.template.loader import render_to_string
        from django.utils.safestring import mark_safe

        return mark_safe(render_to_string(self.template, {"ctx": ctx, **self.render_context(ctx)}))

    def render_context(self, ctx: RenderContext) -> dict[str, Any]:
        """Extra values for the learner template (the options in variant order, the chosen ones...)."""
        return {}

    @abstractmethod
    def response_from_form(self, question: Question, variant: Mapping[str, Any], post: QueryDict, prefix: str) -> Any:
        """The response a form post carries (unvalidated, shaped as `clean_response` takes it)."""

    @abstractmethod
    def clean_response(self, question: Question, variant: Mapping[str, Any], raw: Any) -> dict[str, Any]:
        """Validate a response to this variant; `{}` means no answer. Raise ValidationError naming the field."""

    def is_answered(self, question: Question, variant: Mapping[str, Any], response: Mapping[str, Any]) -> bool:
        return bool(response)

    # --- grading ------------------------------------------------------------------------------------------------
    @abstractmethod
    def grade(self, question: Question, variant: Mapping[str, Any], response: Mapping[str, Any]) -> Grade:
        """Grade a cleaned response. Deterministic: the same inputs always give the same grade (regrades rely on
        it)."""

    def right_answer(self, question: Question, variant: Mapping[str, Any]) -> str:
        """The correct answer as plain text ("Paris", "a → 1; b → 2")."""
        return ""

    def summarise_response(self, question: Question, variant: Mapping[str, Any], response: Mapping[str, Any]) -> str:
        """The response as plain text, for review tables, grading queues and exports."""
        return ""

    def search_text(self, question: Question) -> str:
        """Plain text of the type's content (options, answers) for the bank's search."""
        return ""

    # --- statistics ---------------------------------------------------------------------------------------------
    def random_guess_score(self, question: Question) -> float | None:
        """The mean fraction (0..1) a learner would score by answering at random, for the item statistics; None
        where it means nothing (free text, essays). Moodle's `get_random_guess_score` of the same type."""
        return None


def state_for(fraction: Decimal) -> str:
    """The answer state a fraction reads as."""
    if fraction >= ONE:
        return "right"
    if fraction <= ZERO:
        return "wrong"
    return "partial"


def clamp(fraction: Decimal) -> Decimal:
    return max(ZERO, min(ONE, fraction))


def as_response(raw: Any) -> dict[str, Any]:
    """`raw` as a dict, or a ValidationError: every type's clean_response starts here."""
    if raw is None or raw == "":
        return {}
    if not isinstance(raw, Mapping):
        raise ValidationError({"response": NOT_AN_OBJECT})
    return dict(raw)


_TYPES: dict[str, QuestionType] = {}


def register(qtype: QuestionType) -> None:
    _TYPES[qtype.key] = qtype


def get(key: str) -> QuestionType:
    try:
        return _TYPES[key]
    except KeyError:
        raise ValidationError({"qtype": UNKNOWN_TYPE.format(qtype=key)}) from None


def is_registered(key: str) -> bool:
    return key in _TYPES


def all_types() -> list[QuestionType]:
    return list(_TYPES.values())
