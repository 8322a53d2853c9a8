"""One QTI 1.2 `item` (as Canvas and Blackboard write them) read into a Syllabus question.

The type comes from the item's metadata — Canvas's `question_type` field, Blackboard's `bbmd_questiontype` — or,
without either, from its presentation (a single/multiple/ordered `response_lid`, a `response_str`, a
`response_num`). Scores come from `resprocessing`: each `respcondition` whose `conditionvar` names answers
(`varequal`, ranges with `vargte`/`varlte`) and sets SCORE (`setvar`, Set or Add) gives those answers a fraction
of the score variable's maximum (`decvar maxvalue`: 100 for Canvas, the points for Blackboard, whose
"SCORE.max" means all of them). Texts come from `mattext`/`mat_formattedtext` (text/html is HTML, anything else
plain text, escaped). Feedback: `itemfeedback` named after an answer (Blackboard) or `<answer>_fb` (Canvas) is that
answer's; `general_fb` the general feedback; correct/incorrect feedback goes to the options that lack their own.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from lxml import etree

from syllabus.assessment.formats.base import ParsedQuestion, Problem
from syllabus.assessment.formats.qti2.markup import (
    MAX_ITEM_ROWS,
    child,
    children,
    clamp,
    cloze_answer,
    cloze_escape,
    cloze_part,
    dec_str,
    decimal,
    descendants,
    item_refusal,
    local,
    plain,
)
from syllabus.assessment.question_types.matching_text import DEFAULT_UNIT_PENALTY
from syllabus.catalog.richtext import html_to_text

UNSUPPORTED_CANVAS = "Canvas question type {name} is not supported."
UNSUPPORTED_BLACKBOARD = "Blackboard question type {name} is not supported."
UNKNOWN_TYPE = "The item's question type cannot be told from its metadata or its responses."
NO_CHOICES = "The item offers fewer than two choices."
NO_RIGHT_ANSWER = "No answer of the item earns marks: there is nothing to grade."
NO_ANSWERS = "The item has no right answer Syllabus can read."
NO_MATCHES = "The matching item has fewer than two prompts with a right answer."
NO_ORDER = "The ordering item's right order does not list its items."
BLANK_MISSING = "The blank [{name}] is not in the question text."
TOO_MANY_DROPDOWNS = "Syllabus offers at most 20 drop-down lists in one question."

CANVAS_TYPES = {
    "multiple_choice_question": "single",
    "true_false_question": "truefalse",
    "multiple_answers_question": "multiple",
    "short_answer_question": "shortanswer",
    "numerical_question": "numerical",
    "matching_question": "matching",
    "essay_question": "essay",
    "text_only_question": "description",
    "fill_in_multiple_blanks_question": "cloze",
    "multiple_dropdowns_question": "gapselect",
}
BLACKBOARD_TYPES = {
    "multiple choice": "single",
    "either/or": "single",
    "true/false": "truefalse",
    "multiple answer": "multiple",
    "fill in the blank": "shortanswer",
    "numeric": "numerical",
    "matching": "matching",
    "ordering": "ordering",
    "essay": "essay",
    "short response": "essay",
}
RESPONSES = frozenset({"response_lid", "response_str", "response_num", "response_xy", "response_grp"})
# Blackboard keeps the answers' and right-hand column's texts in flows of these classes, not in the question text.
ANSWER_FLOWS = frozenset({"RESPONSE_BLOCK", "RIGHT_MATCH_BLOCK"})
GENERAL_FEEDBACK = frozenset({"general_fb"})
CORRECT_FEEDBACK = frozenset({"correct_fb", "correct"})
INCORRECT_FEEDBACK = frozenset({"general_incorrect_fb", "incorrect"})
SOLUTION_FEEDBACK = frozenset({"solution"})

MAX_GROUPS = 20
NAME_LIMIT = 255
ONE = Decimal(1)
ZERO = Decimal(0)
_BLANK = re.compile(r"\[([^\[\]\s<>]{1,100})\]")
# Repeated elements whose count per item is limited (markup.item_refusal): the rows the readers match with each other.
# Canvas repeats every answer under every prompt of a matching item (50 × 50 labels), so labels and materials may be
# many; responses are few (each blank is looked for in the whole text).
MAX_RESPONSES = 500
ROW_LIMITS = {
    **dict.fromkeys(
        {
            "respcondition", "conditionvar", "varequal", "vargte", "vargt", "varlte", "varlt", "setvar",
            "displayfeedback", "itemfeedback", "qtimetadatafield", "decvar",
        },
        MAX_ITEM_ROWS,
    ),
    **dict.fromkeys({"response_label", "flow_label", "material"}, 5 * MAX_ITEM_ROWS),
    **dict.fromkeys(RESPONSES, MAX_RESPONSES),
}  # fmt: skip


class ItemProblem(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Condition:
    """One `respcondition`: the answers it names, the bounds it sets, and what it does."""

    title: str
    continues: bool
    equal: list[tuple[str, str, bool]] = field(default_factory=list)  # (respident, value, case sensitive)
    negated: list[tuple[str, str]] = field(default_factory=list)  # varequal inside <not>
    low: Decimal | None = None
    high: Decimal | None = None
    other: bool = False
    sets: list[tuple[str, str]] = field(default_factory=list)  # (action, value)
    feedback: list[str] = field(default_factory=list)


def _lines(el: Any) -> int | None:
    line = getattr(el, "sourceline", None)
    return int(line) if isinstance(line, int) else None


def _material_html(material: Any | None, *, paragraphs: bool = False) -> str:
    """A `material` as HTML: text/html `mattext` and HTML `mat_formattedtext` as they are, the rest escaped."""
    if material is None:
        return ""
    parts: list[str] = []
    # Filtered by lxml (in C): materials may hold materials, and each is read whole.
    for element in material.iter("{*}mattext", "{*}mat_formattedtext", "{*}matemtext"):
        kind = (element.get("texttype") or element.get("type") or "text/plain").lower()
        content = (element.text or "") + "".join(
            etree.tostring(c, encoding="unicode", method="html", with_tail=True)
            for c in element
            if isinstance(c.tag, str)
        )
        if not content.strip():
            continue
        if "html" in kind:
            parts.append(content.strip())
        else:
            escaped = html.escape(" ".join(content.split()), quote=False)
            parts.append(f"<p>{escaped}</p>" if paragraphs else escaped)
    return "".join(parts)


def _materials(element: Any) -> list[Any]:
    return descendants(element, "material")


def _is_answers(element: Any) -> bool:
    """A response, or a Blackboard flow of answers: the question text leaves out the materials inside."""
    name = local(element)
    return name in RESPONSES or (name == "flow" and element.get("class") in ANSWER_FLOWS)


def _is_response(element: Any) -> bool:
    return local(element) in RESPONSES


def _materials_outside(root: Any, skip: Callable[[Any], bool]) -> list[Any]:
    """The materials below `root`, in document order, but none inside an element `skip` accepts. One walk that does
    not enter those elements (asking each material whether an ancestor is one cost materials × depth)."""
    found: list[Any] = []
    stack = list(reversed(children(root)))
    while stack:
        element = stack.pop()
        if skip(element):
            continue
        if local(element) == "material":
            found.append(element)
        stack.extend(reversed(children(element)))
    return found


def _label_html(label: Any) -> str:
    return "".join(_material_html(m) for m in _materials(label))


def _label_plain(label: Any) -> str:
    return " ".join(html_to_text(_label_html(label)).split())


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"yes", "true"}


class ItemReader:
    """Reads one QTI 1.2 item; `read()` returns the question or raises ItemProblem."""

    def __init__(self, item: Any, *, category: str = "") -> None:
        self.item = item
        self.title = " ".join((item.get("title") or "").split())
        self.category = category
        self.metadata = self._metadata()
        # Blackboard items carry no ident: their stable id is in the metadata.
        self.ident = ((item.get("ident") or "").strip() or self.metadata.get("bbmd_asi_object_id", ""))[:100]
        self.presentation = child(item, "presentation")
        processing = child(item, "resprocessing")
        self.conditions = (
            [self._condition(c) for c in children(processing, "respcondition")] if processing is not None else []
        )
        self.scale = self._scale(processing)
        self.feedback = {
            (f.get("ident") or ""): "".join(_material_html(m) for m in _materials(f))
            for f in children(item, "itemfeedback")
        }
        self.used_feedback: set[str] = set()
        self.flow_prompts: dict[Any, str] = {}
        self.right_choices: dict[str, str] | None = None

    # --- metadata and processing ------------------------------------------------------------------------------------
    def _metadata(self) -> dict[str, str]:
        found: dict[str, str] = {}
        meta = child(self.item, "itemmetadata")
        if meta is None:
            return found
        for field_el in descendants(meta, "qtimetadatafield"):
            label = plain(child(field_el, "fieldlabel"))
            if label:
                found[label] = plain(child(field_el, "fieldentry"))
        for element in meta:
            name = local(element)
            if name.startswith(("bbmd_", "qmd_")):
                found[name] = plain(element)
        return found

    def _condition(self, element: Any) -> Condition:
        condition = Condition(title=(element.get("title") or "").strip(), continues=_flag(element.get("continue")))
        holder = child(element, "conditionvar")
        if holder is not None:
            self._collect(holder, condition, negated=False)
        for setvar in children(element, "setvar"):
            name = setvar.get("varname") or setvar.get("variablename") or "SCORE"
            if name.upper() == "SCORE":
                condition.sets.append(((setvar.get("action") or "Set").strip(), (setvar.text or "").strip()))
        condition.feedback = [d.get("linkrefid") or "" for d in children(element, "displayfeedback")]
        return condition

    def _collect(self, node: Any, condition: Condition, *, negated: bool) -> None:
        for element in children(node):
            name = local(element)
            respident = element.get("respident") or ""
            value = " ".join((element.text or "").split())
            if name == "not":
                self._collect(element, condition, negated=not negated)
            elif name in {"and", "or"}:
                self._collect(element, condition, negated=negated)
            elif name == "other":
                condition.other = True
            elif name == "varequal":
                if negated:
                    condition.negated.append((respident, value))
                else:
                    condition.equal.append((respident, value, _flag(element.get("case"))))
            elif name in {"vargte", "vargt"} and not negated:
                condition.low = decimal(value)
            elif name in {"varlte", "varlt"} and not negated:
                condition.high = decimal(value)

    def _scale(self, processing: Any) -> Decimal:
        if processing is not None:
            for decvar in descendants(processing, "decvar"):
                if (decvar.get("varname") or "SCORE").upper() == "SCORE":
                    maximum = decimal(decvar.get("maxvalue"))
                    if maximum is not None and maximum > 0:
                        return maximum
        values = [self._value(v) for c in self.conditions for _, v in c.sets]
        positives = [v for v in values if v is not None and v > 0]
        return max(positives) if positives else ONE

    def _value(self, raw: str) -> Decimal | None:
        if raw.upper() == "SCORE.MAX":
            return getattr(self, "scale", None) or ONE
        return decimal(raw)

    def score(self, condition: Condition) -> Decimal | None:
        """The fraction a condition gives (Set or Add of SCORE over the maximum), None when it sets nothing."""
        values = [self._value(v) for _, v in condition.sets]
        known = [v for v in values if v is not None]
        if not known:
            return None
        return clamp(known[-1] / self.scale, -ONE, ONE)

    def mark(self) -> Decimal:
        for key in ("points_possible", "qmd_absolutescore_max", "qmd_weighting"):
            value = decimal(self.metadata.get(key, ""))
            if value is not None and value > 0:
                return min(value, Decimal(1000))
        if self.scale != 100:
            return min(self.scale, Decimal(1000))
        return ONE

    def take_feedback(self, *identifiers: str) -> str:
        parts = []
        for identifier in identifiers:
            if identifier and identifier in self.feedback and identifier not in self.used_feedback:
                self.used_feedback.add(identifier)
                parts.append(self.feedback[identifier])
        return "".join(p for p in parts if p)

    # --- what the item is -------------------------------------------------------------------------------------------
    def qtype(self) -> str:
        canvas = self.metadata.get("question_type", "")
        if canvas:
            if canvas not in CANVAS_TYPES:
                raise ItemProblem(UNSUPPORTED_CANVAS.format(name=canvas[:60]))
            return CANVAS_TYPES[canvas]
        blackboard = self.metadata.get("bbmd_questiontype", "")
        if blackboard:
            found = BLACKBOARD_TYPES.get(blackboard.lower())
            if found is None:
                raise ItemProblem(UNSUPPORTED_BLACKBOARD.format(name=blackboard[:60]))
            return found
        return self._inferred()

    def _inferred(self) -> str:
        responses = (
            [e for e in self.presentation.iter() if local(e) in RESPONSES] if self.presentation is not None else []
        )
        if not responses:
            return "description"
        if len(responses) == 1:
            response = responses[0]
            name, cardinality = local(response), (response.get("rcardinality") or "Single").lower()
            if name == "response_lid":
                return {"single": "single", "multiple": "multiple", "ordered": "ordering"}.get(cardinality, "single")
            if name == "response_num":
                return "numerical"
            if name == "response_str":
                return "shortanswer" if any(c.equal for c in self.conditions) else "essay"
        raise ItemProblem(UNKNOWN_TYPE)

    def text(self) -> str:
        if self.presentation is None:
            return ""
        parts = [_material_html(m, paragraphs=True) for m in _materials_outside(self.presentation, _is_answers)]
        return "".join(p for p in parts if p)

    def labels(self, response: Any | None = None) -> list[Any]:
        holder = response if response is not None else self.presentation
        return descendants(holder, "response_label") if holder is not None else []

    def responses(self, name: str) -> list[Any]:
        if self.presentation is None:
            return []
        return descendants(self.presentation, name)

    # --- reading --------------------------------------------------------------------------------------------------
    def read(self) -> ParsedQuestion:
        qtype = self.qtype()
        reader: Callable[[str], tuple[str, dict[str, Any]]] = getattr(self, f"_read_{qtype}")
        text = self.text()
        text, data = reader(text)
        general = self.take_feedback(*GENERAL_FEEDBACK)
        return ParsedQuestion(
            qtype=qtype,
            name=(self.title or self.ident or "QTI 1.2 item")[:NAME_LIMIT],
            text=text,
            data=data,
            general_feedback=general,
            default_mark=self.mark() if qtype != "description" else ZERO,
            category=self.category,
            idnumber=self.ident,
            where=f"item {self.ident}" if self.ident else "",
            line=_lines(self.item),
        )

    def _choice_fractions(self, labels: list[Any]) -> dict[str, Decimal]:
        idents = [label.get("ident") or "" for label in labels]
        fractions = dict.fromkeys(idents, ZERO)
        for condition in self.conditions:
            score = self.score(condition)
            if condition.other or (condition.continues and score is None):
                continue
            named = [value for _, value, _ in condition.equal if value in fractions]
            if score is None:
                # Blackboard marks the right answer with a "correct" condition that may set SCORE.max or nothing.
                score = ONE if condition.title.lower() == "correct" and named else None
            if score is None:
                continue
            for value in named:
                fractions[value] = max(fractions[value], score) if score > 0 else fractions[value]
        return fractions

    def _option_feedback(self, labels: list[Any], fractions: dict[str, Decimal]) -> dict[str, str]:
        feedback = {}
        for label in labels:
            ident = label.get("ident") or ""
            feedback[ident] = self.take_feedback(ident, f"{ident}_fb")
        right = self.take_feedback(*CORRECT_FEEDBACK)
        wrong = self.take_feedback(*INCORRECT_FEEDBACK)
        for ident, given in feedback.items():
            if not given:
                feedback[ident] = right if fractions.get(ident, ZERO) >= ONE else wrong
        return feedback

    def _read_single(self, text: str) -> tuple[str, dict[str, Any]]:
        labels = self.labels()
        if len(labels) < 2:
            raise ItemProblem(NO_CHOICES)
        fractions = self._choice_fractions(labels)
        top = max(fractions.values(), default=ZERO)
        if top <= 0:
            raise ItemProblem(NO_RIGHT_ANSWER)
        feedback = self._option_feedback(labels, {k: v / top for k, v in fractions.items()})
        options = [
            {
                "text": _label_html(label) or html.escape(label.get("ident") or ""),
                "fraction": dec_str(fractions[label.get("ident") or ""] / top),
                "feedback": feedback[label.get("ident") or ""],
            }
            for label in labels
        ]
        shuffle = any(_flag(r.get("shuffle")) for r in self.responses("render_choice"))
        return text, {"options": options, "shuffle": shuffle, "numbering": "abc"}

    def _read_truefalse(self, text: str) -> tuple[str, dict[str, Any]]:
        labels = self.labels()
        fractions = self._choice_fractions(labels)
        feedback = self._option_feedback(labels, fractions)
        truth: dict[bool, str] = {}
        for label in labels:
            ident = label.get("ident") or ""
            word = (_label_plain(label) or ident).strip().lower()
            if word in {"true", "false"}:
                truth[word == "true"] = ident
        if len(truth) != 2 or max(fractions.values(), default=ZERO) <= 0:
            raise ItemProblem(NO_RIGHT_ANSWER)
        return text, {
            "correct": fractions[truth[True]] > fractions[truth[False]],
            "feedback_true": feedback[truth[True]],
            "feedback_false": feedback[truth[False]],
        }

    def _read_multiple(self, text: str) -> tuple[str, dict[str, Any]]:
        labels = self.labels()
        if len(labels) < 2:
            raise ItemProblem(NO_CHOICES)
        idents = [label.get("ident") or "" for label in labels]
        known = set(idents)
        right: set[str] = set()
        for condition in self.conditions:
            score = self.score(condition)
            sets_full = (score is not None and score >= ONE) or condition.title.lower() == "correct"
            if condition.negated or (sets_full and len(condition.equal) > 1):
                right |= {value for _, value, _ in condition.equal if value in known}
        fractions: dict[str, Decimal]
        if right:
            # All or nothing in the file: each right choice earns its share, each wrong pick takes one away.
            share = ONE / len(right)
            fractions = {i: (share if i in right else -share) for i in idents}
        else:
            # Partial credit per choice ("Add" per answer): the positive scores, normalised to sum to 1.
            raw = self._choice_fractions(labels)
            total = sum((v for v in raw.values() if v > 0), ZERO)
            if total <= 0:
                raise ItemProblem(NO_RIGHT_ANSWER)
            fractions = {i: clamp(v / total, -ONE, ONE) for i, v in raw.items()}
        feedback = self._option_feedback(labels, {i: (ONE if i in right else ZERO) for i in idents})
        options = [
            {
                "text": _label_html(label) or html.escape(ident),
                "fraction": dec_str(fractions[ident]),
                "feedback": feedback[ident],
            }
            for label, ident in zip(labels, idents, strict=True)
        ]
        shuffle = any(_flag(r.get("shuffle")) for r in self.responses("render_choice"))
        return text, {"options": options, "shuffle": shuffle, "numbering": "abc"}

    def _text_answers(self) -> list[tuple[Condition, Decimal]]:
        """Conditions naming typed answers, with their fraction (a Blackboard answer condition sets nothing: 1)."""
        found = []
        for condition in self.conditions:
            if condition.other or not (condition.equal or condition.low is not None or condition.high is not None):
                continue
            score = self.score(condition)
            if score is None:
                if condition.continues or condition.title.lower() == "incorrect":
                    continue  # Canvas: a condition only showing an answer's feedback
                score = ONE
            found.append((condition, score))
        return found

    def _incorrect_catch_all(self) -> str:
        return self.take_feedback(*INCORRECT_FEEDBACK)

    def _read_shortanswer(self, text: str) -> tuple[str, dict[str, Any]]:
        answers: list[dict[str, Any]] = []
        sensitive = False
        seen: set[str] = set()
        right = self.take_feedback(*CORRECT_FEEDBACK)
        for condition, fraction in self._text_answers():
            for _, value, case in condition.equal:
                if not value or value in seen:
                    continue
                seen.add(value)
                sensitive = sensitive or case
                feedback = self.take_feedback(*condition.feedback) or (right if fraction >= ONE else "")
                answers.append(
                    {"text": value.replace("*", "\\*"), "fraction": dec_str(max(fraction, ZERO)), "feedback": feedback}
                )
        if not answers:
            raise ItemProblem(NO_ANSWERS)
        self._attach_answer_feedback(answers)
        wrong = self._incorrect_catch_all()
        if wrong:
            answers.append({"text": "*", "fraction": "0", "feedback": wrong})
        return text, {"answers": answers, "case_sensitive": sensitive}

    def _attach_answer_feedback(self, answers: list[dict[str, Any]]) -> None:
        """Canvas shows an answer's feedback from its own condition (continue="Yes", no score)."""
        by_text = {a["text"].replace("\\*", "*").lower(): a for a in answers}
        for condition in self.conditions:
            if not condition.continues or self.score(condition) is not None:
                continue
            for _, value, _ in condition.equal:
                answer = by_text.get(value.lower())
                if answer is not None and not answer["feedback"]:
                    answer["feedback"] = self.take_feedback(*condition.feedback)

    def _read_numerical(self, text: str) -> tuple[str, dict[str, Any]]:
        answers: list[dict[str, Any]] = []
        right = self.take_feedback(*CORRECT_FEEDBACK)
        for condition, fraction in self._text_answers():
            if condition.low is not None and condition.high is not None and condition.high >= condition.low:
                value = (condition.low + condition.high) / 2
                tolerance = (condition.high - condition.low) / 2
            else:
                numbers = [decimal(v) for _, v, _ in condition.equal]
                known = [n for n in numbers if n is not None]
                if not known:
                    continue
                value, tolerance = known[0], ZERO
            feedback = self.take_feedback(*condition.feedback) or (right if fraction >= ONE else "")
            answers.append(
                {
                    "value": dec_str(value, 10),
                    "tolerance": dec_str(tolerance, 10),
                    "fraction": dec_str(max(fraction, ZERO)),
                    "feedback": feedback,
                }
            )
        if not answers:
            raise ItemProblem(NO_ANSWERS)
        wrong = self._incorrect_catch_all()
        if wrong:
            answers.append({"value": "*", "tolerance": "0", "fraction": "0", "feedback": wrong})
        return text, {"answers": answers, "units": [], "unit_handling": "none", "unit_penalty": DEFAULT_UNIT_PENALTY}

    def _right_choice(self, respident: str) -> str | None:
        """The label a condition names as right for one response (`varequal respident=...`)."""
        if self.right_choices is None:
            # Every response's answer in one pass over the conditions (the first that names it), not one pass per
            # response: responses × conditions was the cost of a hostile matching item.
            self.right_choices = {}
            for condition in self.conditions:
                if condition.other or (condition.continues and self.score(condition) is None):
                    continue
                score = self.score(condition)
                if score is not None and score <= 0:
                    continue
                for ident, value, _ in condition.equal:
                    self.right_choices.setdefault(ident, value)
        return self.right_choices.get(respident)

    def _read_matching(self, text: str) -> tuple[str, dict[str, Any]]:
        right_flows = [
            f
            for f in (self.presentation.iter() if self.presentation is not None else [])
            if local(f) == "flow" and f.get("class") == "RIGHT_MATCH_BLOCK"
        ]
        right_texts = (
            [
                " ".join(html_to_text("".join(_material_html(m) for m in _materials(b))).split())
                for b in children(right_flows[0])
            ]
            if right_flows
            else []
        )
        pairs: list[dict[str, Any]] = []
        used: set[str] = set()
        every: dict[str, None] = {}  # in order of first appearance; a dict, not a list searched for each word
        for response in self.responses("response_lid"):
            labels = self.labels(response)
            texts = {}
            for position, label in enumerate(labels):
                words = _label_plain(label)
                if not words and position < len(right_texts):
                    words = right_texts[position]  # Blackboard: the n-th label is the n-th right-hand text
                texts[label.get("ident") or ""] = words
            for words in texts.values():
                if words:
                    every.setdefault(words, None)
            prompt = self._prompt(response)
            answer = texts.get(self._right_choice(response.get("ident") or "") or "", "")
            if prompt and answer:
                pairs.append({"prompt": prompt, "answer": answer})
                used.add(answer)
        for words in right_texts:
            if words:
                every.setdefault(words, None)
        if len(pairs) < 2:
            raise ItemProblem(NO_MATCHES)
        pairs += [{"prompt": "", "answer": words} for words in every if words not in used]
        return text, {"pairs": pairs, "shuffle": True}

    def _prompt(self, response: Any) -> str:
        """A matching prompt: the response's own material (Canvas), or its flow's other materials (Blackboard)."""
        own = "".join(_material_html(m) for m in children(response, "material"))
        if own:
            return own
        parent = response.getparent()
        if parent is None or local(parent) != "flow":
            return ""
        # Responses sharing a flow share its prompt: read it once per flow, not once per response.
        if parent not in self.flow_prompts:
            parts = [_material_html(m) for m in _materials_outside(parent, _is_response)]
            self.flow_prompts[parent] = "".join(p for p in parts if p)
        return self.flow_prompts[parent]

    def _read_ordering(self, text: str) -> tuple[str, dict[str, Any]]:
        labels = {label.get("ident") or "": label for label in self.labels()}
        order: list[str] = []
        for condition in self.conditions:
            score = self.score(condition)
            if condition.title.lower() == "correct" or (score is not None and score >= ONE):
                order = [value for _, value, _ in condition.equal if value in labels]
                if order:
                    break
        if len(order) < 2 or sorted(order) != sorted(labels):
            raise ItemProblem(NO_ORDER)
        return text, {"items": [{"text": _label_html(labels[i])} for i in order], "grading": "all_or_nothing"}

    def _read_essay(self, text: str) -> tuple[str, dict[str, Any]]:
        grader = self.take_feedback(*SOLUTION_FEEDBACK)
        self.take_feedback(*CORRECT_FEEDBACK, *INCORRECT_FEEDBACK)
        return text, {
            "response_format": "editor",
            "min_words": 0,
            "max_words": 0,
            "grader_info": grader,
            "template": "",
        }

    def _read_description(self, text: str) -> tuple[str, dict[str, Any]]:
        return text, {}

    def _blanks(self) -> list[tuple[str, Any]]:
        """(blank name, its response_lid) for Canvas's fill-in-multiple-blanks and multiple-dropdowns items."""
        found = []
        for response in self.responses("response_lid"):
            name = plain(child(response, "material")) or (response.get("ident") or "").removeprefix("response_")
            found.append((name, response))
        return found

    def _replace_blanks(self, text: str, markup: dict[str, str]) -> str:
        missing = [name for name in markup if f"[{name}]" not in text]
        if missing:
            raise ItemProblem(BLANK_MISSING.format(name=missing[0][:60]))
        return _BLANK.sub(lambda m: markup.get(m.group(1), m.group(0)), text)

    def _read_cloze(self, text: str) -> tuple[str, dict[str, Any]]:
        markup: dict[str, str] = {}
        for name, response in self._blanks():
            labels = self.labels(response)
            texts = {label.get("ident") or "": _label_plain(label) for label in labels}
            right = self._right_choice(response.get("ident") or "")
            # Every answer Canvas lists for a blank is accepted; the one the scoring names comes first.
            ordered = [right] if right in texts else []
            ordered += [ident for ident in texts if ident != right]  # (not `not in ordered`: labels × labels)
            answers = [cloze_answer(cloze_escape(texts[i]), ONE) for i in ordered if texts[i]]
            if not answers:
                raise ItemProblem(NO_ANSWERS)
            # The markup goes into HTML: its answers are plain text, escaped like any text.
            markup[name] = html.escape(cloze_part("SHORTANSWER", answers), quote=False)
        if not markup:
            raise ItemProblem(NO_ANSWERS)
        return self._replace_blanks(text, markup), {}

    def _read_gapselect(self, text: str) -> tuple[str, dict[str, Any]]:
        choices: list[dict[str, Any]] = []
        markers: dict[str, str] = {}
        blanks = self._blanks()
        if len(blanks) > MAX_GROUPS:
            raise ItemProblem(TOO_MANY_DROPDOWNS)
        for group, (name, response) in enumerate(blanks, start=1):
            right = self._right_choice(response.get("ident") or "")
            number = None
            for label in self.labels(response):
                choices.append({"text": _label_plain(label), "group": group})
                if (label.get("ident") or "") == right:
                    number = len(choices)
            if number is None:
                raise ItemProblem(NO_RIGHT_ANSWER)
            markers[name] = f"[[{number}]]"
        if not markers:
            raise ItemProblem(NO_ANSWERS)
        return self._replace_blanks(text, markers), {"choices": choices, "shuffle": True}


def read_item(item: Any, *, category: str = "") -> tuple[ParsedQuestion | None, list[Problem]]:
    """The question of one item, or a Problem naming its ident (and line)."""
    refusal = item_refusal(item, ROW_LIMITS)
    if refusal is not None:
        ident = (item.get("ident") or "").strip()[:100]
        return None, [Problem(refusal, line=_lines(item), where=f"item {ident}" if ident else "")]
    try:
        reader = ItemReader(item, category=category)
    except (ValueError, ArithmeticError, KeyError, AttributeError, etree.Error) as exc:
        return None, [Problem(f"The item cannot be read ({type(exc).__name__}).", line=_lines(item))]
    where = f"item {reader.ident}" if reader.ident else ""
    try:
        return reader.read(), []
    except ItemProblem as exc:
        return None, [Problem(exc.message, line=_lines(item), where=where, question=reader.title)]
    except (ValueError, ArithmeticError, KeyError, AttributeError, etree.Error) as exc:
        message = f"The item cannot be read ({type(exc).__name__})."
        return None, [Problem(message, line=_lines(item), where=where, question=reader.title)]
