"""What a person sees of an attempt's questions: the HTML of each answer (`render_answer`), what the review shows
(`review_for`), and the learner-facing JSON of a question (`question_payload`) and of its review (`review_payload`).

The rule everywhere: nothing that tells the right answer (fractions, feedback, right answers, correctness, ids or
numbers that encode them) leaves the server before the review options allow it. The question types keep that rule
for their HTML (question_types/README.md); the JSON is built here, per type, from the type's data with everything
correctness-related left out — a type missing from `PAYLOADS` gets its question text only (and not even that when
the type draws its text itself, as cloze and gap types do, since their text holds the answers).

Review: the course team sees everything; the attempt's owner sees what the quiz's review options (copied into the
attempt when it started) allow "immediately" until the quiz's close date and "after_close" from then on. During an
interactive attempt, an answer that was checked shows its correctness and feedback — as long as the response on
screen is the one that was checked (a changed, autosaved response shows nothing until it is checked in turn).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from django.http import QueryDict
from django.utils.dateparse import parse_datetime
from django.utils.safestring import SafeString, mark_safe

from syllabus.access.policy import Principal
from syllabus.assessment import policy
from syllabus.assessment.models import AnswerState, Attempt, AttemptState, QuestionAnswer
from syllabus.assessment.question_types import base as qtypes
from syllabus.assessment.question_types.base import FULL_REVIEW, NO_REVIEW, Grade, RenderContext, Review
from syllabus.assessment.quiz_settings import DEFAULT_REVIEW, REVIEW_FLAGS
from syllabus.assessment.services.questions import version_as_question
from syllabus.catalog import richtext

GAP_HTML = '<span class="qtype-gap" data-gap="{index}"></span>'
PART_HTML = '<span class="qtype-gap" data-part="{index}"></span>'


# --- what the review shows ------------------------------------------------------------------------------------------


def parse_when(raw: Any) -> dt.datetime | None:
    if not raw:
        return None
    parsed = parse_datetime(str(raw))
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def review_flags(attempt: Attempt, now: dt.datetime) -> dict[str, bool]:
    """The review options of the attempt's quiz for this moment: "immediately" until the close date, then
    "after_close" (a quiz without a close date stays "immediately")."""
    closes_at = parse_when((attempt.settings or {}).get("closes_at"))
    moment = "after_close" if closes_at is not None and now >= closes_at else "immediately"
    raw = (attempt.settings or {}).get("review") or {}
    flags = raw.get(moment) if isinstance(raw, Mapping) else None
    flags = flags if isinstance(flags, Mapping) else {}
    return {flag: bool(flags.get(flag, DEFAULT_REVIEW[moment][flag])) for flag in REVIEW_FLAGS}


def is_team(principal: Principal, attempt: Attempt) -> bool:
    return attempt.organization_id == getattr(principal.organization, "pk", None) and policy.can_grade(
        principal, attempt.course
    )


def review_for(attempt: Attempt, principal: Principal, now: dt.datetime) -> tuple[Review, bool]:
    """What `principal` may see of the attempt's grading now, and whether its responses show.

    The course team: everything. The owner, while the attempt runs: their responses, no grading (interactive
    answers get theirs per answer: `answer_review`). Once submitted: the review options for this moment."""
    if is_team(principal, attempt):
        return FULL_REVIEW, True
    if attempt.user_id != principal.user.pk:
        return NO_REVIEW, False
    if attempt.state == AttemptState.IN_PROGRESS:
        return NO_REVIEW, True
    flags = review_flags(attempt, now)
    review = Review(
        correctness=flags["correctness"],
        marks=flags["marks"],
        feedback=flags["feedback"],
        general_feedback=flags["general_feedback"],
        right_answer=flags["right_answer"],
    )
    return review, flags["responses"]


def has_review(attempt: Attempt, principal: Principal, now: dt.datetime) -> bool:
    """Whether a review page of this finished attempt shows anything to `principal` now."""
    if attempt.state == AttemptState.IN_PROGRESS:
        return False
    review, responses = review_for(attempt, principal, now)
    return responses or review != NO_REVIEW


def _last_try(answer: QuestionAnswer) -> Mapping[str, Any] | None:
    for entry in reversed(answer.history or []):
        if isinstance(entry, Mapping) and entry.get("kind") == "try":
            return entry
    return None


def answer_review(attempt: Attempt, answer: QuestionAnswer, review: Review) -> Review:
    """The review of one answer: the attempt's, or, while an interactive attempt runs, the checked answer's own
    (correctness and feedback; general feedback once settled) — only while the response is the one checked."""
    if attempt.state != AttemptState.IN_PROGRESS or review != NO_REVIEW:
        return review
    if (attempt.settings or {}).get("behaviour") != "interactive" or not answer.tries:
        return review
    checked = _last_try(answer)
    if checked is None or checked.get("response") != answer.response:
        return NO_REVIEW
    return Review(correctness=True, feedback=True, general_feedback=answer.locked)


def grade_state(answer: QuestionAnswer) -> str:
    """The answer's state in the words of `Grade.state` (right, partial, wrong, gave_up, needs_grading, info)."""
    if answer.state == AnswerState.MANUALLY_GRADED:
        return qtypes.state_for(answer.fraction) if answer.fraction is not None else "needs_grading"
    if answer.state in (AnswerState.SAVED, AnswerState.TODO):
        return qtypes.state_for(answer.fraction) if answer.fraction is not None else "gave_up"
    return str(answer.state)


def render_context(
    answer: QuestionAnswer, *, review: Review = NO_REVIEW, show_response: bool = True, readonly: bool = False
) -> RenderContext:
    """The type's RenderContext for one answer: prefix `q{slot}-`, heading id `q{slot}-label`; the grade only when
    the review lets something of it show (its feedback only with `review.feedback`)."""
    question = version_as_question(answer.question_version)
    grade = None
    if review != NO_REVIEW and (answer.fraction is not None or answer.state != AnswerState.TODO):
        grade = Grade(answer.fraction, grade_state(answer), tuple(answer.feedback or ()) if review.feedback else ())
    return RenderContext(
        question=question,
        variant=answer.variant or {},
        response=(answer.response or {}) if show_response else {},
        prefix=f"q{answer.slot}-",
        label_id=f"q{answer.slot}-label",
        readonly=readonly,
        review=review,
        grade=grade,
    )


def render_answer(
    answer: QuestionAnswer, *, review: Review = NO_REVIEW, show_response: bool = True, readonly: bool = False
) -> SafeString:
    ctx = render_context(answer, review=review, show_response=show_response, readonly=readonly)
    return qtypes.get(answer.question_version.qtype).render(ctx)


def draws_text(qtype: qtypes.QuestionType) -> bool:
    """Whether the type draws the question text itself (its markers hold the answers: cloze, gaps, wildcards)."""
    return bool(getattr(qtype, "renders_text", False))


def question_text(answer: QuestionAnswer) -> SafeString:
    """The question text for the page, unless the type draws it itself (then "")."""
    qtype = qtypes.get(answer.question_version.qtype)
    if draws_text(qtype):
        return mark_safe("")
    return mark_safe(richtext.sanitize_html(answer.question_version.text))


# --- learner-facing JSON ----------------------------------------------------------------------------------------------

Builder = Callable[[qtypes.QuestionType, qtypes.Question, Mapping[str, Any]], dict[str, Any]]
# A type whose response, as stored, would tell the answer (gap choice numbers: authors write choice 1 for gap 1)
# speaks positions in the API, as its page does: response -> positions, and positions -> the type's response.
ToPositions = Callable[[qtypes.QuestionType, qtypes.Question, Mapping[str, Any], Mapping[str, Any]], dict[str, Any]]


def _rows(value: Any) -> list[Mapping[str, Any]]:
    return [row for row in value if isinstance(row, Mapping)] if isinstance(value, list) else []


def _in_order(rows: list[Mapping[str, Any]], order: Any) -> list[Mapping[str, Any]]:
    """`rows` in the variant's `order` of ids (any the order misses at the end)."""
    by_id = {str(row.get("id")): row for row in rows}
    ordered = [by_id[str(i)] for i in order if str(i) in by_id] if isinstance(order, list) else []
    seen = {id(row) for row in ordered}
    return ordered + [row for row in rows if id(row) not in seen]


def _html(value: Any) -> str:
    return richtext.sanitize_html(str(value or ""))


def _choices_payload(
    qtype: qtypes.QuestionType, question: qtypes.Question, variant: Mapping[str, Any]
) -> dict[str, Any]:
    options = _in_order(_rows(question.data.get("options")), variant.get("order"))
    return {
        "text": _html(question.text),
        "multiple": question.qtype == "multiple",
        "numbering": str(question.data.get("numbering", "abc")),
        "options": [{"id": str(o.get("id")), "text": _html(o.get("text"))} for o in options],
    }


def _truefalse_payload(
    qtype: qtypes.QuestionType, question: qtypes.Question, variant: Mapping[str, Any]
) -> dict[str, Any]:
    return {
        "text": _html(question.text),
        "options": [{"value": True, "text": "True"}, {"value": False, "text": "False"}],
    }


def _text_payload(qtype: qtypes.QuestionType, question: qtypes.Question, variant: Mapping[str, Any]) -> dict[str, Any]:
    return {"text": _html(question.text)}


def _numerical_payload(
    qtype: qtypes.QuestionType, question: qtypes.Question, variant: Mapping[str, Any]
) -> dict[str, Any]:
    # Whether a unit is expected, never which (the page says no more either).
    return {"text": _html(question.text), "unit_handling": str(question.data.get("unit_handling", "none"))}


def _matching_payload(
    qtype: qtypes.QuestionType, question: qtypes.Question, variant: Mapping[str, Any]
) -> dict[str, Any]:
    prompts = [p for p in _rows(question.data.get("pairs")) if str(p.get("prompt") or "").strip()]
    prompts = _in_order(prompts, variant.get("prompts"))
    raw_texts, raw_order = variant.get("choice_text"), variant.get("choices")
    texts: Mapping[str, Any] = raw_texts if isinstance(raw_texts, Mapping) else {}
    order: list[Any] = raw_order if isinstance(raw_order, list) else []
    return {
        "text": _html(question.text),
        "prompts": [{"id": str(p.get("id")), "text": _html(p.get("prompt"))} for p in prompts],
        "choices": [{"id": str(c), "text": str(texts[c])} for c in order if c in texts],
    }


def _ordering_payload(
    qtype: qtypes.QuestionType, question: qtypes.Question, variant: Mapping[str, Any]
) -> dict[str, Any]:
    items = _in_order(_rows(question.data.get("items")), variant.get("order"))
    return {
        "text": _html(question.text),
        "items": [{"id": str(i.get("id")), "text": _html(i.get("text"))} for i in items],
    }


def _gap_payload(qtype: qtypes.QuestionType, question: qtypes.Question, variant: Mapping[str, Any]) -> dict[str, Any]:
    """The text with each gap as an empty marker, and each gap's options by position (never choice numbers)."""
    from syllabus.assessment.question_types.gapselect.qtype import split_text

    rows = _rows(question.data.get("choices"))
    pieces: list[str] = []
    gaps: list[dict[str, Any]] = []
    for piece in split_text(richtext.sanitize_html(question.text)):
        if isinstance(piece, str):
            pieces.append(piece)
            continue
        if not 1 <= piece <= len(rows):
            continue
        index = len(gaps) + 1
        texts = qtype.gap_options(question, variant, piece)  # type: ignore[attr-defined]
        pieces.append(GAP_HTML.format(index=index))
        gaps.append({"gap": index, "options": [{"value": k, "text": t} for k, t in enumerate(texts, start=1)]})
    return {"text": "".join(pieces), "gaps": gaps}


def _gap_positions(
    qtype: qtypes.QuestionType, question: qtypes.Question, variant: Mapping[str, Any], response: Mapping[str, Any]
) -> dict[str, Any]:
    """A stored gap response ({gaps: {gap: choice number}}) as the positions the API shows ({gaps: {gap: k}})."""
    rows = _rows(question.data.get("choices"))
    chosen = qtype.answers(response)  # type: ignore[attr-defined]
    out: dict[str, int] = {}
    for index, gap_choice in enumerate(qtype.valid_gaps(question), start=1):  # type: ignore[attr-defined]
        number = chosen.get(index)
        if not number or not 1 <= number <= len(rows):
            continue
        texts = qtype.gap_options(question, variant, gap_choice)  # type: ignore[attr-defined]
        text = str(rows[number - 1].get("text", ""))
        if text in texts:
            out[str(index)] = texts.index(text) + 1
    return {"gaps": out} if out else {}


def _gap_from_positions(
    qtype: qtypes.QuestionType, question: qtypes.Question, variant: Mapping[str, Any], raw: Any
) -> Any:
    """The API's positions ({gaps: {gap: k}}) read the way the type reads its form (its selects post k)."""
    if not isinstance(raw, Mapping) or not isinstance(raw.get("gaps"), Mapping) or set(raw) - {"gaps"}:
        return raw  # not positions: the type's clean_response refuses it with its own message
    post = QueryDict(mutable=True)
    for key, value in raw["gaps"].items():
        if value is None or value == "":
            continue
        post[f"p-gap-{str(key)[:6]}"] = str(value)[:12]
    return qtype.response_from_form(question, variant, post, "p-")


def _cloze_payload(qtype: qtypes.QuestionType, question: qtypes.Question, variant: Mapping[str, Any]) -> dict[str, Any]:
    """The text with each embedded answer as an empty marker (the markup holds the answers), and each part's input:
    `text`, `number`, or `choice` with its options in the attempt's order (answer ids are opaque)."""
    from syllabus.assessment.question_types.cloze import markup

    parts = _rows(question.data.get("parts"))
    orders = variant.get("orders") if isinstance(variant.get("orders"), Mapping) else {}
    pieces: list[str] = []
    shown: list[dict[str, Any]] = []
    for piece in markup.pieces(richtext.sanitize_html(question.text)):
        if isinstance(piece, str):
            pieces.append(piece)
            continue
        if piece >= len(parts):
            continue
        part = parts[piece]
        index = str(part.get("index"))
        kind = str(part.get("kind"))
        pieces.append(PART_HTML.format(index=index))
        entry: dict[str, Any] = {"part": index, "display": str(part.get("display") or "inline")}
        if kind == "single":
            answers = _in_order(_rows(part.get("answers")), (orders or {}).get(index))
            entry["input"] = "choice"
            entry["options"] = [{"id": str(a.get("id")), "text": _html(a.get("text"))} for a in answers]
        else:
            entry["input"] = "number" if kind == "numerical" else "text"
        shown.append(entry)
    return {"text": "".join(pieces), "parts": shown}


def _calculated_payload(
    qtype: qtypes.QuestionType, question: qtypes.Question, variant: Mapping[str, Any]
) -> dict[str, Any]:
    """The text with the attempt's values in place of its wildcards (never the formulas)."""
    display = getattr(qtype, "display_text", None)
    text = str(display(question, variant)) if callable(display) else ""
    return {"text": richtext.sanitize_html(text), "unit_handling": str(question.data.get("unit_handling", "none"))}


def _essay_payload(qtype: qtypes.QuestionType, question: qtypes.Question, variant: Mapping[str, Any]) -> dict[str, Any]:
    data = question.data
    return {
        "text": _html(question.text),
        "response_format": str(data.get("response_format", "editor")),
        "min_words": int(data.get("min_words") or 0),
        "max_words": int(data.get("max_words") or 0),
        "template": str(data.get("template") or ""),
    }


PAYLOADS: dict[str, Builder] = {
    "single": _choices_payload,
    "multiple": _choices_payload,
    "truefalse": _truefalse_payload,
    "shortanswer": _text_payload,
    "numerical": _numerical_payload,
    "matching": _matching_payload,
    "ordering": _ordering_payload,
    "gapselect": _gap_payload,
    "ddwtos": _gap_payload,
    "cloze": _cloze_payload,
    "calculated": _calculated_payload,
    "essay": _essay_payload,
    "description": _text_payload,
}
POSITIONS: dict[str, tuple[ToPositions, Callable[..., Any]]] = {
    "gapselect": (_gap_positions, _gap_from_positions),
    "ddwtos": (_gap_positions, _gap_from_positions),
}


def register_payload(key: str, builder: Builder) -> None:
    """Let a type's module teach the API its learner-facing JSON (a new type without one shows its text only)."""
    PAYLOADS[key] = builder


def _fallback(qtype: qtypes.QuestionType, question: qtypes.Question, variant: Mapping[str, Any]) -> dict[str, Any]:
    return {"text": "" if draws_text(qtype) else _html(question.text)}


def api_response(answer: QuestionAnswer, response: Mapping[str, Any]) -> dict[str, Any]:
    """The answer's stored response as the API shows it (positions for the types that speak positions)."""
    key = answer.question_version.qtype
    if key not in POSITIONS or not response:
        return dict(response or {})
    question = version_as_question(answer.question_version)
    return POSITIONS[key][0](qtypes.get(key), question, answer.variant or {}, response)


def response_from_api(answer: QuestionAnswer, raw: Any) -> Any:
    """What the API sent for this answer, as the type's response (unvalidated: the service cleans it)."""
    key = answer.question_version.qtype
    if key not in POSITIONS:
        return raw
    question = version_as_question(answer.question_version)
    return POSITIONS[key][1](qtypes.get(key), question, answer.variant or {}, raw)


def _mark_text(value: Decimal | None) -> str | None:
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return "0" if text in {"-0", "0"} else text


def question_payload(answer: QuestionAnswer, *, response: bool = True) -> dict[str, Any]:
    """One question of an attempt for the learner's API: its text and the type's options in the attempt's order,
    with no fraction, feedback, right answer or correctness — whatever the attempt's state."""
    version = answer.question_version
    qtype = qtypes.get(version.qtype)
    question = version_as_question(version)
    variant = answer.variant or {}
    body = PAYLOADS.get(version.qtype, _fallback)(qtype, question, variant)
    payload: dict[str, Any] = {
        "slot": answer.slot,
        "type": version.qtype,
        "graded": qtype.graded,
        "max_mark": _mark_text(answer.max_mark),
        **body,
    }
    if response:
        payload["response"] = api_response(answer, answer.response or {})
        payload["answered"] = answer.state not in (AnswerState.TODO, AnswerState.INFO)
    return payload


def review_payload(answer: QuestionAnswer, review: Review, show_response: bool) -> dict[str, Any]:
    """One answer as the review options let it show: the question, and each of response, correctness, mark,
    feedback, general feedback and right answer only when allowed."""
    payload = question_payload(answer, response=show_response)
    version = answer.question_version
    qtype = qtypes.get(version.qtype)
    if review.correctness:
        payload["state"] = grade_state(answer)
    if review.marks:
        payload["mark"] = _mark_text(answer.mark)
    if review.feedback:
        payload["feedback"] = [richtext.sanitize_html(str(item)) for item in answer.feedback or []]
        if answer.comment:
            payload["comment"] = richtext.sanitize_html(answer.comment)
    if review.general_feedback:
        payload["general_feedback"] = richtext.sanitize_html(version.general_feedback)
    if review.right_answer:
        payload["right_answer"] = qtype.right_answer(version_as_question(version), answer.variant or {})
    return payload


def mark_text(value: Decimal | None) -> str:
    return _mark_text(value) or ""
