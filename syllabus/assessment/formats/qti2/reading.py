"""One QTI 2.1/2.2 `assessmentItem` read into a Syllabus question (question_types/README.md has the shapes).

The interactions in the item body decide the type:

| item body | type |
|---|---|
| no interaction | `description` |
| `choiceInteraction`, maxChoices 1 (choices `true`/`false`: `truefalse`) / more | `single` / `multiple` |
| `orderInteraction` | `ordering` |
| `matchInteraction`, `associateInteraction` | `matching` |
| `gapMatchInteraction` | `ddwtos` |
| `inlineChoiceInteraction`s only | `gapselect` |
| one `textEntryInteraction` (string / float or integer) | `shortanswer` / `numerical` |
| several `textEntryInteraction`s, or mixed with inline choices | `cloze` (Moodle cloze markup in the text) |
| `extendedTextInteraction` | `essay` |

Scores come from the response declarations and the response processing, read "where simple": the standard
templates (match_correct, map_response, map_response_point), a `mapping` (values normalised into fractions), and
explicit rules of the usual shapes — `responseIf` on `match`/`stringMatch`/`patternMatch`/`equal`/`equalRounded`/
a `gte`–`lte` range, setting SCORE to a value — which is also how per-answer feedback (a modalFeedback the rule
shows) is found. Anything else is a `Problem` naming the file and the item, never an exception.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from lxml import etree

from syllabus.assessment.formats.base import ParsedQuestion, Problem
from syllabus.assessment.formats.qti2.markup import (
    MAX_ITEM_ROWS,
    UNWRAP,
    child,
    children,
    clamp,
    cloze_answer,
    cloze_escape,
    cloze_part,
    dec_str,
    decimal,
    descendants,
    inner_html,
    item_refusal,
    local,
    plain,
    whole_weights,
)
from syllabus.assessment.question_types.matching_text import DEFAULT_UNIT_PENALTY
from syllabus.catalog.richtext import html_to_text

UNSUPPORTED_INTERACTION = "QTI interaction {name} is not supported."
COMBINED = "The item combines interactions Syllabus cannot hold in one question ({names})."
TEMPLATES = "Items with template variables (cloned items) are not supported."
NO_BODY = "The item has no itemBody."
NO_DECLARATION = "The item declares no response {identifier} for its {name}."
NO_RIGHT_CHOICE = "No choice of the {name} earns marks: there is nothing to grade."
TOO_FEW_CHOICES = "The {name} offers fewer than two choices."
INCOMPLETE_ORDER = "The orderInteraction's correct response must list every choice exactly once."
NO_MATCH = "The choice {choice} of the {name} has no correct match."
NO_PAIRS = "The {name} has no correct pairs."
NO_ANSWER = "The {name} ({identifier}) has no right answer Syllabus can read."
GAP_WITHOUT_ANSWER = "The gap {gap} of the gapMatchInteraction has no correct word."
TOO_MANY_GROUPS = "Syllabus offers at most 20 different drop-down lists in one question."
SHARED_RESPONSE = "Several interactions of the item answer the same response {identifier}: each needs its own."
UNREADABLE_PATTERN = "The answer pattern {pattern} cannot be read as an answer with * wildcards: it was left out."

SUPPORTED = frozenset(
    {
        "choiceInteraction", "orderInteraction", "matchInteraction", "associateInteraction",
        "gapMatchInteraction", "inlineChoiceInteraction", "textEntryInteraction", "extendedTextInteraction",
    }
)  # fmt: skip
INTERACTIONS = SUPPORTED | frozenset(
    {
        "hotspotInteraction", "hottextInteraction", "graphicGapMatchInteraction", "graphicOrderInteraction",
        "graphicAssociateInteraction", "selectPointInteraction", "positionObjectInteraction", "sliderInteraction",
        "uploadInteraction", "drawingInteraction", "mediaInteraction", "customInteraction",
        "portableCustomInteraction", "endAttemptInteraction",
    }
)  # fmt: skip
BLOCK_INTERACTIONS = frozenset(
    {
        "choiceInteraction", "orderInteraction", "matchInteraction", "associateInteraction",
        "gapMatchInteraction", "extendedTextInteraction",
    }
)  # fmt: skip
GAP_INTERACTIONS = frozenset({"textEntryInteraction", "inlineChoiceInteraction"})
# Repeated elements whose count per item is limited (markup.item_refusal): the rows the readers match with each other.
ROW_LIMITS = dict.fromkeys(
    INTERACTIONS
    | {
        "simpleChoice", "simpleAssociableChoice", "simpleMatchSet", "inlineChoice", "gapText", "gapImg", "gap",
        "responseDeclaration", "outcomeDeclaration", "correctResponse", "value", "mapEntry", "areaMapEntry",
        "responseCondition", "responseIf", "responseElseIf", "setOutcomeValue", "modalFeedback", "feedbackBlock",
        "feedbackInline", "rubricBlock", "prompt",
    },
    MAX_ITEM_ROWS,
)  # fmt: skip

# Markers the Syllabus exporter writes in `class` attributes for what QTI 2.1 has no attribute for.
CLOZE_CLASS = "syllabus-cloze"
NUMBERING_CLASSES = {
    "qti-labels-lower-alpha": "abc",
    "qti-labels-upper-alpha": "ABCD",
    "qti-labels-decimal": "123",
    "qti-labels-none": "none",
}
ORDER_GRADING_PREFIX = "syllabus-grading-"
ORDER_GRADINGS = ("all_or_nothing", "absolute_position", "relative_next")
GROUP_PREFIX = "syllabus-group-"
MIN_WORDS_PREFIX = "syllabus-min-words-"
MAX_WORDS_PREFIX = "syllabus-max-words-"
DISPLAY_CLASSES = {"syllabus-radio-vertical": "MULTICHOICE_V", "syllabus-radio-horizontal": "MULTICHOICE_H"}

MAX_GROUPS = 20
SUM_TOLERANCE = Decimal("0.005")  # how far the multiple type lets positive fractions stray from 1
# QTI has no units: imported numerical questions take none, with the numerical type's default penalty.
UNIT_PENALTY = DEFAULT_UNIT_PENALTY
ONE = Decimal(1)
ZERO = Decimal(0)
NAME_LIMIT = 255
_CHOICE_NUMBER = re.compile(r"^c(\d{1,4})$")
_XSD_META = set("\\|.-^?*+{}()[]")


@dataclass
class MapEntry:
    key: str
    value: Decimal
    case_sensitive: bool = True


@dataclass
class Declaration:
    identifier: str
    cardinality: str = "single"
    base_type: str = "identifier"
    correct: list[str] = field(default_factory=list)
    mapping: list[MapEntry] | None = None
    mapping_default: Decimal = ZERO
    upper: Decimal | None = None
    default_value: list[str] = field(default_factory=list)


@dataclass
class Branch:
    """One `responseIf`/`responseElseIf` recognised for one response: its test and what it sets."""

    response: str
    test: tuple[Any, ...]  # ("equals", text, cs) | ("pattern", p) | ("number", low, high) | ("any",) | ("correct",)
    score: Decimal | None = None
    mapped: bool = False
    feedback: list[str] = field(default_factory=list)


@dataclass
class Answer:
    test: tuple[Any, ...]
    score: Decimal
    feedback: str = ""


class ItemProblem(Exception):
    """The item cannot be imported; the message is a Problem's."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def _lines(el: Any) -> int | None:
    line = getattr(el, "sourceline", None)
    return int(line) if isinstance(line, int) else None


class ItemReader:
    """Reads one item. `read()` gives the question, or raises ItemProblem; `warnings` are Problems that did not
    stop it (a left-out answer)."""

    def __init__(self, root: Any, *, where: str, path: str = "") -> None:
        self.root = root
        self.where = where
        self.path = path
        self.identifier = (root.get("identifier") or "").strip()[:100]
        self.title = (root.get("title") or "").strip()
        self.warnings: list[Problem] = []
        self.declarations = {
            d.identifier: d for d in (self._declaration(e) for e in children(root, "responseDeclaration"))
        }
        self.feedback_outcomes = {"FEEDBACK"} | {
            e.get("outcomeIdentifier") or "" for e in root.iter() if local(e) in {"modalFeedback", "feedbackBlock"}
        }
        self.score_outcome = "SCORE"
        processing = child(root, "responseProcessing")
        self.template = _template_name(processing)
        self.has_rules = processing is not None and bool(children(processing))
        self.mapped: set[str] = set()
        if processing is not None:
            self.mapped = {
                e.get("identifier") or "" for e in processing.iter() if local(e) in {"mapResponse", "mapResponsePoint"}
            }
        self.branches = self._branches(processing) if processing is not None else []
        # Looked up per response and per feedback identifier rather than scanned for each interaction or choice:
        # rows × rows was the cost of a hostile item (see markup.item_refusal).
        self.branches_of: dict[str, list[Branch]] = {}
        for branch in self.branches:
            self.branches_of.setdefault(branch.response, []).append(branch)
        self.modal = [
            (m.get("identifier") or "", m)
            for m in children(root, "modalFeedback")
            if (m.get("showHide") or "show") == "show"
        ]
        self.modal_first: dict[str, int] = {}
        for index, (identifier, _element) in enumerate(self.modal):
            self.modal_first.setdefault(identifier, index)
        self.hidden_modal = [m for m in children(root, "modalFeedback") if (m.get("showHide") or "show") == "hide"]
        self.used_feedback: set[str] = set()

    # --- declarations and processing ----------------------------------------------------------------------------
    def _declaration(self, element: Any) -> Declaration:
        correct_el = child(element, "correctResponse")
        mapping_el = child(element, "mapping")
        default_el = child(element, "defaultValue")
        mapping = None
        default = ZERO
        upper = None
        if mapping_el is not None:
            mapping = []
            for entry in children(mapping_el, "mapEntry"):
                value = decimal(entry.get("mappedValue"))
                if value is None:
                    continue
                sensitive = (entry.get("caseSensitive") or "true").strip().lower() != "false"
                mapping.append(MapEntry(key=(entry.get("mapKey") or "").strip(), value=value, case_sensitive=sensitive))
            default = decimal(mapping_el.get("defaultValue")) or ZERO
            upper = decimal(mapping_el.get("upperBound"))
        return Declaration(
            identifier=element.get("identifier") or "",
            cardinality=element.get("cardinality") or "single",
            base_type=element.get("baseType") or "identifier",
            correct=[" ".join((v.text or "").split()) for v in children(correct_el, "value")]
            if correct_el is not None
            else [],
            mapping=mapping,
            mapping_default=default,
            upper=upper,
            default_value=[(v.text or "") for v in children(default_el, "value")] if default_el is not None else [],
        )

    def _branches(self, processing: Any) -> list[Branch]:
        found: list[Branch] = []
        for condition in children(processing, "responseCondition"):
            for branch in children(condition):
                if local(branch) not in {"responseIf", "responseElseIf"}:
                    continue
                parts = children(branch)
                if not parts:
                    continue
                test = _test(parts[0])
                if test is None:
                    continue
                response, shape = test
                recognised = Branch(response=response, test=shape)
                for action in parts[1:]:
                    self._action(action, recognised)
                found.append(recognised)
        return found

    def _action(self, action: Any, branch: Branch) -> None:
        if local(action) != "setOutcomeValue":
            return
        target = action.get("identifier") or ""
        expression = children(action)
        if not expression:
            return
        expr = expression[0]
        if target == self.score_outcome:
            name = local(expr)
            if name == "baseValue":
                branch.score = decimal(expr.text)
            elif name in {"mapResponse", "mapResponsePoint"}:
                branch.mapped = True
            elif name == "sum":
                values = [decimal(v.text) for v in children(expr, "baseValue")]
                if children(expr, "mapResponse"):
                    branch.mapped = True
                elif len(values) == 1 and values[0] is not None:
                    branch.score = values[0]
        elif target in self.feedback_outcomes:
            for value in descendants(expr, "baseValue"):
                if value.text and value.text.strip():
                    branch.feedback.append(value.text.strip())

    def uses_mapping(self, decl: Declaration) -> bool:
        if decl.mapping is None:
            return False
        if self.template in {"map_response", "map_response_point"}:
            return True
        if self.has_rules:
            return decl.identifier in self.mapped
        return self.template != "match_correct"

    def declaration(self, interaction: Any) -> Declaration:
        identifier = interaction.get("responseIdentifier") or ""
        found = self.declarations.get(identifier)
        if found is None:
            raise ItemProblem(
                NO_DECLARATION.format(identifier=identifier[:60] or "(none)", name=local(interaction)),
                _lines(interaction),
            )
        return found

    def max_score(self) -> Decimal | None:
        """The item's maximum score when it says so (a MAXSCORE outcome, or SCORE's normalMaximum)."""
        for outcome in children(self.root, "outcomeDeclaration"):
            if outcome.get("identifier") == "MAXSCORE":
                default = child(outcome, "defaultValue")
                value = decimal(plain(child(default, "value"))) if default is not None else None
                if value is not None and value >= 0:
                    return value
        for outcome in children(self.root, "outcomeDeclaration"):
            if outcome.get("identifier") == self.score_outcome:
                value = decimal(outcome.get("normalMaximum"))
                if value is not None and value >= 0:
                    return value
        return None

    # --- feedback -----------------------------------------------------------------------------------------------
    def feedback_for(self, *identifiers: str) -> str:
        """The modal feedback shown for these identifiers (an option's id, an answer's feedback id), once."""
        # Only an identifier's first modal feedback can be taken (taking it marks the identifier used); several are
        # joined in document order.
        hits = sorted(
            {self.modal_first[i] for i in identifiers if i and i in self.modal_first and i not in self.used_feedback}
        )
        parts = []
        for index in hits:
            identifier, element = self.modal[index]
            self.used_feedback.add(identifier)
            parts.append(inner_html(element))
        return "".join(p for p in parts if p)

    def general_feedback(self, body: Any) -> str:
        """Every modal feedback no option or answer claimed, and feedback blocks outside choices."""
        parts = [inner_html(e) for i, e in self.modal if i not in self.used_feedback]
        parts += [inner_html(e) for e in self.hidden_modal]
        for element in body.iter():
            claimed = (element.get("identifier") or "") in self.used_feedback
            if local(element) in {"feedbackBlock", "feedbackInline"} and not _inside_choice(element) and not claimed:
                parts.append(inner_html(element))
        return "".join(p for p in parts if p)

    # --- the item -----------------------------------------------------------------------------------------------
    def read(self) -> ParsedQuestion:
        if children(self.root, "templateDeclaration") or child(self.root, "templateProcessing") is not None:
            raise ItemProblem(TEMPLATES, _lines(self.root))
        body = child(self.root, "itemBody")
        if body is None:
            raise ItemProblem(NO_BODY, _lines(self.root))
        interactions = [e for e in body.iter() if local(e) in INTERACTIONS or local(e).endswith("Interaction")]
        for interaction in interactions:
            if local(interaction) not in SUPPORTED:
                raise ItemProblem(UNSUPPORTED_INTERACTION.format(name=local(interaction)[:60]), _lines(interaction))
        names = [local(i) for i in interactions]
        seen: set[str] = set()
        for interaction in interactions:
            # One response variable per interaction (QTI binds each interaction to its own): sharing one made every
            # gap read the same declaration and rules again, gaps × rules work for nothing.
            identifier = interaction.get("responseIdentifier") or ""
            if identifier and identifier in seen:
                raise ItemProblem(SHARED_RESPONSE.format(identifier=identifier[:60]), _lines(interaction))
            seen.add(identifier)
        blocks = [i for i in interactions if local(i) in BLOCK_INTERACTIONS]
        gaps = [i for i in interactions if local(i) in GAP_INTERACTIONS]
        question: ParsedQuestion
        if not interactions:
            question = self._description(body)
        elif blocks and (len(blocks) > 1 or gaps):
            raise ItemProblem(COMBINED.format(names=", ".join(sorted(set(names)))), _lines(body))
        elif blocks:
            question = self._block(body, blocks[0])
        else:
            question = self._gaps(body, gaps)
        question.general_feedback = self.general_feedback(body)
        question.line = _lines(self.root)
        return question

    def _question(self, qtype: str, text: str, data: dict[str, Any], mark: Decimal | None = None) -> ParsedQuestion:
        stated = self.max_score()
        default_mark = stated if stated is not None else (mark if mark is not None else ONE)
        name = self.title or self.identifier or self.path or "QTI item"
        return ParsedQuestion(
            qtype=qtype,
            name=name[:NAME_LIMIT],
            text=text,
            data=data,
            default_mark=min(default_mark, Decimal(1000)),
            idnumber=self.identifier,
            where=self.path or self.where,
        )

    def _text(self, body: Any, extra: Any = None) -> str:
        """The body as HTML: block interactions give way to their prompt, other QTI machinery disappears."""

        def replace(node: Any) -> Any:
            tag = node.tag
            if tag in BLOCK_INTERACTIONS:
                return UNWRAP
            if tag == "prompt":
                node.tag = "div" if any(c.tag in {"p", "div", "ul", "ol", "table"} for c in node) else "p"
                return None
            if tag in {"simpleChoice", "simpleMatchSet", "simpleAssociableChoice", "gapText", "gapImg"}:
                return ""
            if tag == "rubricBlock":
                if "candidate" in (node.get("view") or "candidate").split():
                    node.tag = "div"
                    node.attrib.pop("view", None)
                    return None
                return ""
            if extra is not None:
                return extra(node)
            return None

        return inner_html(body, replace)

    def _description(self, body: Any) -> ParsedQuestion:
        return self._question("description", self._text(body), {}, ZERO)

    # --- block interactions ---------------------------------------------------------------------------------------
    def _block(self, body: Any, interaction: Any) -> ParsedQuestion:
        name = local(interaction)
        if name == "choiceInteraction":
            return self._choice(body, interaction)
        if name == "orderInteraction":
            return self._order(body, interaction)
        if name == "matchInteraction":
            return self._match(body, interaction)
        if name == "associateInteraction":
            return self._associate(body, interaction)
        if name == "gapMatchInteraction":
            return self._gap_match(body, interaction)
        return self._extended_text(body, interaction)

    def _choice_values(self, decl: Declaration, identifiers: list[str]) -> tuple[dict[str, Decimal], bool]:
        if self.uses_mapping(decl):
            assert decl.mapping is not None
            by_key = {e.key: e.value for e in decl.mapping}
            return {i: by_key.get(i, decl.mapping_default) for i in identifiers}, True
        correct = {v for value in decl.correct for v in value.split()}
        return {i: (ONE if i in correct else ZERO) for i in identifiers}, False

    def _choice(self, body: Any, interaction: Any) -> ParsedQuestion:
        decl = self.declaration(interaction)
        choices = children(interaction, "simpleChoice")
        if len(choices) < 2:
            raise ItemProblem(TOO_FEW_CHOICES.format(name="choiceInteraction"), _lines(interaction))
        ids = [c.get("identifier") or "" for c in choices]
        values, mapped = self._choice_values(decl, ids)
        max_choices = _int(interaction.get("maxChoices"), 1)
        single = max_choices == 1 and decl.cardinality == "single"
        positives = [v for v in values.values() if v > 0]
        if not positives:
            raise ItemProblem(NO_RIGHT_CHOICE.format(name="choiceInteraction"), _lines(interaction))
        text = self._text(body)
        feedback = {i: self._choice_feedback(c, i) for c, i in zip(choices, ids, strict=True)}
        if single and sorted(i.lower() for i in ids) == ["false", "true"]:
            by_lower = {i.lower(): i for i in ids}
            data: dict[str, Any] = {
                "correct": values[by_lower["true"]] > values[by_lower["false"]],
                "feedback_true": feedback[by_lower["true"]],
                "feedback_false": feedback[by_lower["false"]],
            }
            return self._question("truefalse", text, data, max(positives) if mapped else ONE)
        numbering = "abc"
        for css in (interaction.get("class") or "").split():
            numbering = NUMBERING_CLASSES.get(css, numbering)
        shuffle = (interaction.get("shuffle") or "false").strip().lower() == "true"
        options = []
        if single:
            top = max(positives)
            for choice, identifier in zip(choices, ids, strict=True):
                fraction = clamp(values[identifier] / top, -ONE, ONE)
                options.append(
                    {"text": inner_html(choice), "fraction": dec_str(fraction), "feedback": feedback[identifier]}
                )
            mark = top if mapped else ONE
            return self._question(
                "single", text, {"options": options, "shuffle": shuffle, "numbering": numbering}, mark
            )
        total = sum(positives, ZERO)
        # A mapping whose right choices add up to its upperBound (give or take rounding: 3 × 0.3333333) is
        # normalised by the bound, so fractions written by Syllabus come back exactly.
        if decl.upper is not None and decl.upper > 0 and abs(total - decl.upper) <= decl.upper * SUM_TOLERANCE:
            total = decl.upper
        count = len(positives)
        for choice, identifier in zip(choices, ids, strict=True):
            value = values[identifier]
            # Without a mapping only right or wrong is known: each right choice earns its share, and each wrong
            # pick takes one share away.
            share = ONE / count if value > 0 else -ONE / count
            fraction = clamp(value / total, -ONE, ONE) if mapped else share
            options.append(
                {"text": inner_html(choice), "fraction": dec_str(fraction), "feedback": feedback[identifier]}
            )
        mark = min(total, decl.upper) if mapped and decl.upper is not None and decl.upper > 0 else total
        return self._question(
            "multiple",
            text,
            {"options": options, "shuffle": shuffle, "numbering": numbering},
            mark if mapped else ONE,
        )

    def _choice_feedback(self, choice: Any, identifier: str) -> str:
        inline = [inner_html(f) for f in choice.iter() if local(f) in {"feedbackInline", "feedbackBlock"}]
        for f in choice.iter():
            if local(f) in {"feedbackInline", "feedbackBlock"} and f.get("identifier"):
                self.used_feedback.add(f.get("identifier") or "")
        return "".join(inline) + self.feedback_for(identifier)

    def _order(self, body: Any, interaction: Any) -> ParsedQuestion:
        decl = self.declaration(interaction)
        choices = {c.get("identifier") or "": c for c in children(interaction, "simpleChoice")}
        order = [v for value in decl.correct for v in value.split()]
        if len(choices) < 2 or sorted(order) != sorted(choices):
            raise ItemProblem(INCOMPLETE_ORDER, _lines(interaction))
        grading = "all_or_nothing"
        for css in (interaction.get("class") or "").split():
            if css.startswith(ORDER_GRADING_PREFIX) and css[len(ORDER_GRADING_PREFIX) :] in ORDER_GRADINGS:
                grading = css[len(ORDER_GRADING_PREFIX) :]
        items = [{"text": inner_html(choices[i])} for i in order]
        return self._question("ordering", self._text(body), {"items": items, "grading": grading})

    def _pairs(self, decl: Declaration) -> list[tuple[str, str]]:
        pairs = [tuple(v.split()[:2]) for v in decl.correct if len(v.split()) == 2]
        if not pairs and decl.mapping:
            pairs = [tuple(e.key.split()[:2]) for e in decl.mapping if e.value > 0 and len(e.key.split()) == 2]
        return [(a, b) for a, b in pairs]

    def _match(self, body: Any, interaction: Any) -> ParsedQuestion:
        decl = self.declaration(interaction)
        sets = children(interaction, "simpleMatchSet")
        if len(sets) != 2:
            raise ItemProblem(TOO_FEW_CHOICES.format(name="matchInteraction"), _lines(interaction))
        sources = [(c.get("identifier") or "", c) for c in children(sets[0], "simpleAssociableChoice")]
        targets = {c.get("identifier") or "": c for c in children(sets[1], "simpleAssociableChoice")}
        correct = self._pairs(decl)
        if not correct:
            raise ItemProblem(NO_PAIRS.format(name="matchInteraction"), _lines(interaction))
        first: dict[str, str] = {}
        for source, target in correct:
            if target in targets:
                first.setdefault(source, target)
        pairs = []
        for identifier, element in sources:
            if identifier not in first:
                raise ItemProblem(NO_MATCH.format(choice=identifier[:60], name="matchInteraction"), _lines(element))
            pairs.append({"prompt": inner_html(element), "answer": plain(targets[first[identifier]])})
        used = set(first.values())
        for identifier, element in targets.items():
            if identifier not in used:
                pairs.append({"prompt": "", "answer": plain(element)})
        shuffle = (interaction.get("shuffle") or "false").strip().lower() == "true"
        mark = self._pairs_mark(decl, len(sources))
        return self._question("matching", self._text(body), {"pairs": pairs, "shuffle": shuffle}, mark)

    def _pairs_mark(self, decl: Declaration, count: int) -> Decimal:
        if self.uses_mapping(decl) and decl.mapping:
            total = sum((e.value for e in decl.mapping if e.value > 0), ZERO)
            if decl.upper is not None and decl.upper > 0:
                total = min(total, decl.upper)
            return total if total > 0 else ONE
        return ONE

    def _associate(self, body: Any, interaction: Any) -> ParsedQuestion:
        decl = self.declaration(interaction)
        choices = {c.get("identifier") or "": c for c in children(interaction, "simpleAssociableChoice")}
        correct = [(a, b) for a, b in self._pairs(decl) if a in choices and b in choices]
        if not correct:
            raise ItemProblem(NO_PAIRS.format(name="associateInteraction"), _lines(interaction))
        pairs = []
        used: set[str] = set()
        for a, b in correct:
            if a in used or b in used:
                continue
            used |= {a, b}
            pairs.append({"prompt": inner_html(choices[a]), "answer": plain(choices[b])})
        for identifier, element in choices.items():
            if identifier not in used:
                pairs.append({"prompt": "", "answer": plain(element)})
        shuffle = (interaction.get("shuffle") or "false").strip().lower() == "true"
        mark = self._pairs_mark(decl, len(pairs))
        return self._question("matching", self._text(body), {"pairs": pairs, "shuffle": shuffle}, mark)

    def _gap_match(self, body: Any, interaction: Any) -> ParsedQuestion:
        decl = self.declaration(interaction)
        words = [(w.get("identifier") or "", w) for w in children(interaction, "gapText")]
        known = {identifier for identifier, _ in words}
        gap_answer: dict[str, str] = {}
        for word, gap in self._pairs(decl):
            if word in known:
                gap_answer.setdefault(gap, word)
            elif gap in known:  # some tools write "gap word"
                gap_answer.setdefault(word, gap)
        gaps = descendants(interaction, "gap")
        for gap in gaps:
            if (gap.get("identifier") or "") not in gap_answer:
                raise ItemProblem(GAP_WITHOUT_ANSWER.format(gap=(gap.get("identifier") or "")[:60]), _lines(gap))
        entries = [(identifier, identifier, plain(element), _group(element)) for identifier, element in words]
        choices, numbers = _numbered_choices(entries, [[identifier for identifier, _ in words]])
        # matchMax 0 is "as often as you like": Syllabus's unlimited word.
        infinite = {identifier: (element.get("matchMax") or "1").strip() == "0" for identifier, element in words}
        data_choices = [
            {"text": c["text"], "group": c["group"], "infinite": infinite.get(c["key"], False)} for c in choices
        ]

        def replace(node: Any) -> Any:
            if node.tag == "gap":
                return f"[[{numbers[gap_answer[node.get('identifier') or '']]}]]"
            return None

        shuffle = (interaction.get("shuffle") or "false").strip().lower() == "true"
        return self._question("ddwtos", self._text(body, replace), {"choices": data_choices, "shuffle": shuffle}, ONE)

    def _extended_text(self, body: Any, interaction: Any) -> ParsedQuestion:
        decl = self.declarations.get(interaction.get("responseIdentifier") or "")
        classes = (interaction.get("class") or "").split()
        min_words = max_words = 0
        for css in classes:
            if css.startswith(MIN_WORDS_PREFIX):
                min_words = _int(css[len(MIN_WORDS_PREFIX) :], 0)
            if css.startswith(MAX_WORDS_PREFIX):
                max_words = _int(css[len(MAX_WORDS_PREFIX) :], 0)
        grader = [
            inner_html(r)
            for r in descendants(body, "rubricBlock")
            if "candidate" not in (r.get("view") or "candidate").split()
        ]
        data = {
            "response_format": "editor" if (interaction.get("format") or "plain") == "xhtml" else "plain",
            "min_words": min_words,
            "max_words": max_words,
            "grader_info": "".join(grader),
            "template": decl.default_value[0] if decl is not None and decl.default_value else "",
        }
        return self._question("essay", self._text(body), data, ONE)

    # --- gaps in the text -----------------------------------------------------------------------------------------
    def _gaps(self, body: Any, gaps: list[Any]) -> ParsedQuestion:
        classes = (body.get("class") or "").split()
        names = {local(g) for g in gaps}
        if CLOZE_CLASS not in classes:
            if names == {"inlineChoiceInteraction"}:
                return self._gapselect(body, gaps)
            if len(gaps) == 1:
                return self._text_entry(body, gaps[0])
        return self._cloze(body, gaps)

    def _gapselect(self, body: Any, gaps: list[Any]) -> ParsedQuestion:
        listed: list[list[str]] = []
        entries: list[tuple[str, str, str, int | None]] = []
        right: dict[str, str] = {}
        seen: set[str] = set()
        for gap in gaps:
            decl = self.declaration(gap)
            options = children(gap, "inlineChoice")
            ids = [o.get("identifier") or "" for o in options]
            values, _ = self._choice_values(decl, ids)
            best = max(values.values(), default=ZERO)
            if best <= 0:
                raise ItemProblem(NO_RIGHT_CHOICE.format(name="inlineChoiceInteraction"), _lines(gap))
            keys = []
            for option, identifier in zip(options, ids, strict=True):
                # An option repeated across gaps (same identifier, same words) is one choice of the shared list.
                key = f"{identifier}\x00{plain(option)}"
                keys.append(key)
                if key not in seen:
                    seen.add(key)
                    entries.append((key, identifier, plain(option), _group(gap)))
                if values[identifier] == best:
                    right.setdefault(decl.identifier, key)
            listed.append(keys)
        choices, numbers = _numbered_choices(entries, listed)
        if len({c["group"] for c in choices}) > MAX_GROUPS:
            raise ItemProblem(TOO_MANY_GROUPS, _lines(body))

        def replace(node: Any) -> Any:
            if node.tag == "inlineChoiceInteraction":
                return f"[[{numbers[right[node.get('responseIdentifier') or '']]}]]"
            return None

        data_choices = [{"text": c["text"], "group": c["group"]} for c in choices]
        shuffle = all((g.get("shuffle") or "false").strip().lower() == "true" for g in gaps)
        return self._question("gapselect", self._text(body, replace), {"choices": data_choices, "shuffle": shuffle})

    def _answers(self, decl: Declaration, interaction: Any) -> list[Answer]:
        """A text entry's answers in the order they are tried, with their raw scores and feedback."""
        branches = self.branches_of.get(decl.identifier, [])
        answers: list[Answer] = []
        if any(b.score is not None for b in branches):
            expanded = False
            for branch in branches:
                if branch.score is None or branch.test[0] == "empty":
                    continue
                feedback = self.feedback_for(*branch.feedback)
                if branch.test[0] == "correct":
                    # The correct response once: a later "= correct" rule could never be reached (the first answer
                    # that matches grades), and repeating it made rules × values answers.
                    if not expanded:
                        answers += [Answer(("equals", v, True), branch.score, feedback) for v in decl.correct]
                    expanded = True
                else:
                    answers.append(Answer(branch.test, branch.score, feedback))
        elif self.uses_mapping(decl):
            assert decl.mapping is not None
            answers = [Answer(("equals", e.key, e.case_sensitive), e.value) for e in decl.mapping]
            if decl.mapping_default > 0:
                answers.append(Answer(("any",), decl.mapping_default))
        else:
            answers = [Answer(("equals", v, True), ONE) for v in decl.correct]
        # Rules that only show feedback for an answer ("if RESPONSE = Paris show FB1") attach it to the first answer
        # with that test and no feedback yet (answers indexed by test, not scanned for every rule).
        by_test: dict[tuple[Any, ...], list[Answer]] = {}
        for answer in answers:
            by_test.setdefault(_test_key(answer.test), []).append(answer)
        for branch in branches:
            if branch.score is None and branch.feedback:
                for answer in by_test.get(_test_key(branch.test), []):
                    if not answer.feedback and _same_test(answer.test, branch.test):
                        answer.feedback = self.feedback_for(*branch.feedback)
                        break
        if not any(a.score > 0 for a in answers):
            raise ItemProblem(
                NO_ANSWER.format(name=local(interaction), identifier=decl.identifier[:60]), _lines(interaction)
            )
        return answers

    def _text_entry(self, body: Any, interaction: Any) -> ParsedQuestion:
        decl = self.declaration(interaction)
        answers = self._answers(decl, interaction)
        top = max(a.score for a in answers)
        text = self._text(body, lambda node: "" if node.tag == "textEntryInteraction" else None)
        if decl.base_type in {"float", "integer"}:
            numeric = self._numeric_answers(answers, top)
            return self._question(
                "numerical",
                text,
                {"answers": numeric, "units": [], "unit_handling": "none", "unit_penalty": UNIT_PENALTY},
                top,
            )
        data_answers = []
        sensitive = True
        for answer in answers:
            kind = answer.test[0]
            if kind == "equals":
                value = _escape_star(str(answer.test[1]))
                sensitive = sensitive and bool(answer.test[2])
            elif kind == "pattern":
                converted = _pattern_to_wildcard(str(answer.test[1]))
                if converted is None:
                    self.warnings.append(
                        Problem(UNREADABLE_PATTERN.format(pattern=str(answer.test[1])[:60]), where=self.where)
                    )
                    continue
                value, pattern_sensitive = converted
                sensitive = sensitive and pattern_sensitive
            elif kind == "any":
                value = "*"
            else:
                continue
            fraction = clamp(answer.score / top, -ONE, ONE)
            data_answers.append({"text": value, "fraction": dec_str(max(fraction, ZERO)), "feedback": answer.feedback})
        if not data_answers:
            raise ItemProblem(NO_ANSWER.format(name=local(interaction), identifier=decl.identifier[:60]))
        return self._question("shortanswer", text, {"answers": data_answers, "case_sensitive": sensitive}, top)

    def _numeric_answers(self, answers: list[Answer], top: Decimal) -> list[dict[str, Any]]:
        result = []
        for answer in answers:
            kind = answer.test[0]
            fraction = dec_str(max(clamp(answer.score / top, -ONE, ONE), ZERO))
            if kind == "any":
                result.append({"value": "*", "tolerance": "0", "fraction": fraction, "feedback": answer.feedback})
                continue
            if kind == "equals":
                value = decimal(answer.test[1])
                if value is None:
                    continue
                low = high = value
            elif kind == "number":
                low, high = answer.test[1], answer.test[2]
            else:
                continue
            centre = (low + high) / 2
            result.append(
                {
                    "value": dec_str(centre, 10),
                    "tolerance": dec_str((high - low) / 2, 10),
                    "fraction": fraction,
                    "feedback": answer.feedback,
                }
            )
        return result

    def _cloze(self, body: Any, gaps: list[Any]) -> ParsedQuestion:
        parts: dict[str, tuple[str, list[tuple[str, Decimal, str]]]] = {}
        weights: dict[str, Decimal] = {}
        for gap in gaps:
            decl = self.declaration(gap)
            if local(gap) == "inlineChoiceInteraction":
                options = children(gap, "inlineChoice")
                ids = [o.get("identifier") or "" for o in options]
                values, _ = self._choice_values(decl, ids)
                top = max(values.values(), default=ZERO)
                if top <= 0:
                    raise ItemProblem(NO_RIGHT_CHOICE.format(name="inlineChoiceInteraction"), _lines(gap))
                kind = "MULTICHOICE"
                for css in (gap.get("class") or "").split():
                    kind = DISPLAY_CLASSES.get(css, kind)
                if (gap.get("shuffle") or "false").strip().lower() == "true":
                    kind += "_S" if kind == "MULTICHOICE" else "S"
                built = [
                    (cloze_escape(plain(o)), clamp(values[i] / top, -ONE, ONE), self.feedback_for(i))
                    for o, i in zip(options, ids, strict=True)
                ]
            else:
                answers = self._answers(decl, gap)
                top = max(a.score for a in answers)
                if decl.base_type in {"float", "integer"}:
                    kind = "NUMERICAL"
                    built = []
                    for numeric in self._numeric_answers(answers, top):
                        value = (
                            numeric["value"]
                            if numeric["tolerance"] == "0"
                            else f"{numeric['value']}:{numeric['tolerance']}"
                        )
                        built.append((value, Decimal(numeric["fraction"]), numeric["feedback"]))
                else:
                    sensitive = all(bool(a.test[2]) for a in answers if a.test[0] == "equals")
                    kind = "SHORTANSWER" if not sensitive else "SHORTANSWER_C"
                    built = []
                    for answer in answers:
                        if answer.test[0] == "equals":
                            built.append((cloze_escape(str(answer.test[1])), answer.score / top, answer.feedback))
                        elif answer.test[0] == "any":
                            built.append(("*", answer.score / top, answer.feedback))
                        elif answer.test[0] == "pattern":
                            converted = _pattern_to_wildcard(str(answer.test[1]))
                            if converted is not None:
                                built.append((cloze_escape(converted[0]), answer.score / top, answer.feedback))
            weights[decl.identifier] = top
            parts[decl.identifier] = (kind, built)
        order = list(parts)
        whole = dict(zip(order, whole_weights([weights[k] for k in order]), strict=True))

        def replace(node: Any) -> Any:
            if node.tag in GAP_INTERACTIONS:
                identifier = node.get("responseIdentifier") or ""
                kind, built = parts[identifier]
                # Feedback inside a marker is plain text: block HTML there would break the paragraph around it.
                answers = [cloze_answer(text, max(fraction, ZERO), html_to_text(fb)) for text, fraction, fb in built]
                return cloze_part(kind, answers, whole[identifier])
            return None

        total = sum(weights.values(), ZERO)
        return self._question("cloze", self._text(body, replace), {}, total if total > 0 else ONE)


# --- helpers -------------------------------------------------------------------------------------------------------


def _int(value: Any, default: int) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def _group(element: Any) -> int | None:
    for css in (element.get("class") or "").split():
        if css.startswith(GROUP_PREFIX):
            number = _int(css[len(GROUP_PREFIX) :], 0)
            if 1 <= number <= MAX_GROUPS:
                return number
    return None


def _numbered_choices(
    entries: list[tuple[str, str, str, int | None]], listed: list[list[str]]
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Syllabus's numbered choice list for gap questions, and each entry key's number.

    `entries` are (key, identifier, text, group hint) in document order; `listed` the keys each gap offers.
    Choices identified `c<n>` (what Syllabus writes) keep their number n; the group is the hint, or else one group
    per distinct set of choices a gap offers, in order of first appearance."""
    wanted = {key: int(m.group(1)) for key, identifier, _, _ in entries if (m := _CHOICE_NUMBER.match(identifier))}
    if len(wanted) == len(entries) and sorted(wanted.values()) == list(range(1, len(entries) + 1)):
        numbers = wanted
    else:
        numbers = {key: index for index, (key, _, _, _) in enumerate(entries, start=1)}
    groups: dict[str, int] = {}
    set_groups: dict[tuple[str, ...], int] = {}
    for keys in listed:
        signature = tuple(sorted(keys))
        set_groups.setdefault(signature, len(set_groups) + 1)
        for key in keys:
            groups.setdefault(key, set_groups[signature])
    by_key = {key: (text, hint) for key, _, text, hint in entries}
    choices = []
    for key in sorted(numbers, key=lambda k: numbers[k]):
        text, hint = by_key[key]
        choices.append({"key": key, "text": text, "group": hint or groups.get(key, 1)})
    return choices, numbers


def _inside_choice(element: Any) -> bool:
    parent = element.getparent()
    while parent is not None:
        if local(parent) in {"simpleChoice", "simpleAssociableChoice", "inlineChoice", "gapText"}:
            return True
        parent = parent.getparent()
    return False


def _template_name(processing: Any) -> str:
    if processing is None:
        return ""
    uri = (processing.get("template") or "").strip().rstrip("/")
    if not uri:
        return ""
    name = uri.rsplit("/", 1)[-1]
    return name[:-4] if name.endswith(".xml") else name


def _operand(element: Any) -> tuple[str, str]:
    name = local(element)
    if name == "variable":
        return "var", element.get("identifier") or ""
    if name == "baseValue":
        return "value", (element.text or "").strip()
    if name == "correct":
        return "correct", element.get("identifier") or ""
    return "other", ""


def _test(condition: Any) -> tuple[str, tuple[Any, ...]] | None:
    """(response identifier, test shape) for the conditions Syllabus understands, else None."""
    name = local(condition)
    operands = [_operand(c) for c in children(condition)]
    variables = [o[1] for o in operands if o[0] == "var"]
    values = [o[1] for o in operands if o[0] == "value"]
    if name in {"match", "stringMatch", "equal", "equalRounded"} and len(operands) == 2 and len(variables) == 1:
        response = variables[0]
        if any(o[0] == "correct" for o in operands):
            return response, ("correct",)
        if len(values) != 1:
            return None
        value = values[0]
        if name == "match":
            return response, ("equals", value, True)
        if name == "stringMatch":
            return response, ("equals", value, (condition.get("caseSensitive") or "true").lower() != "false")
        number = decimal(value)
        if number is None:
            return None
        if name == "equal":
            return response, ("number", *_tolerance(condition, number))
        return response, ("number", *_rounded(condition, number))
    if name == "patternMatch" and len(variables) == 1 and len(operands) == 1:
        return variables[0], ("pattern", condition.get("pattern") or "")
    if name == "not" and len(operands) == 1:
        inner = children(condition)[0]
        if local(inner) == "isNull":
            inner_vars = [o[1] for o in (_operand(c) for c in children(inner)) if o[0] == "var"]
            if len(inner_vars) == 1:
                return inner_vars[0], ("any",)
        return None
    if name == "isNull" and len(variables) == 1:
        return variables[0], ("empty",)
    if name == "and":
        return _range(condition)
    return None


def _tolerance(condition: Any, value: Decimal) -> tuple[Decimal, Decimal]:
    mode = (condition.get("toleranceMode") or "exact").strip()
    given = [decimal(t) for t in (condition.get("tolerance") or "").split()]
    bounds = [t for t in given if t is not None and t >= 0]
    if mode == "exact" or not bounds:
        return value, value
    below, above = bounds[0], bounds[1] if len(bounds) > 1 else bounds[0]
    if mode == "relative":
        return value - abs(value) * below / 100, value + abs(value) * above / 100
    return value - below, value + above


def _rounded(condition: Any, value: Decimal) -> tuple[Decimal, Decimal]:
    figures = _int(condition.get("figures"), 0)
    if figures < 0:
        return value, value
    if (condition.get("roundingMode") or "significantFigures") == "decimalPlaces":
        half = Decimal(5).scaleb(-figures - 1)
    else:
        if figures < 1:
            return value, value
        half = Decimal(5).scaleb(value.adjusted() - figures) if value != 0 else Decimal(5).scaleb(-figures)
    return value - half, value + half


def _range(condition: Any) -> tuple[str, tuple[Any, ...]] | None:
    low: Decimal | None = None
    high: Decimal | None = None
    response = ""
    for comparison in children(condition):
        name = local(comparison)
        operands = [_operand(c) for c in children(comparison)]
        if name == "not":
            continue  # not(isNull(...)) beside a range adds nothing
        if name not in {"gte", "gt", "lte", "lt"} or len(operands) != 2:
            return None
        kinds = [o[0] for o in operands]
        if sorted(kinds) != ["value", "var"]:
            return None
        variable = operands[kinds.index("var")][1]
        number = decimal(operands[kinds.index("value")][1])
        if number is None or (response and variable != response):
            return None
        response = variable
        variable_first = kinds[0] == "var"
        lower_bound = (name in {"gte", "gt"}) == variable_first
        if lower_bound:
            low = number
        else:
            high = number
    if not response or low is None or high is None or high < low:
        return None
    return response, ("number", low, high)


def _test_key(test: tuple[Any, ...]) -> tuple[Any, ...]:
    """What two tests `_same_test` may call the same have in common (answers are grouped by it)."""
    return ("equals", str(test[1]).lower()) if test[0] == "equals" else test


def _same_test(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    if a[0] == "equals" and b[0] == "equals":
        if a[2] and b[2]:
            return bool(a[1] == b[1])
        return str(a[1]).lower() == str(b[1]).lower()
    return a == b


def _escape_star(text: str) -> str:
    """A literal answer in Syllabus's wildcard syntax (a star is a wildcard, `\\*` a star)."""
    return text.replace("\\", "\\\\").replace("*", "\\*") if "*" in text else text


def _pattern_to_wildcard(pattern: str) -> tuple[str, bool] | None:
    """An XSD pattern made of literals, `.*` and `[aA]` case pairs as (wildcard answer, case sensitive), or None."""
    out: list[str] = []
    sensitive = True
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith(".*", index):
            out.append("*")
            index += 2
        elif char == "\\" and index + 1 < len(pattern) and pattern[index + 1] in _XSD_META:
            literal = pattern[index + 1]
            out.append("\\*" if literal == "*" else literal)
            index += 2
        elif char == "[" and index + 3 < len(pattern) and pattern[index + 3] == "]":
            pair = pattern[index + 1 : index + 3]
            if pair[0].lower() != pair[1].lower() or pair[0] == pair[1]:
                return None
            out.append(pair[0])
            sensitive = False
            index += 4
        elif char in _XSD_META:
            return None
        else:
            out.append(char)
            index += 1
    return "".join(out), sensitive


def read_item(root: Any, *, where: str, path: str = "") -> tuple[ParsedQuestion | None, list[Problem]]:
    """The question of one item (or None) and the problems met, each naming `where` (file and item)."""
    refusal = item_refusal(root, ROW_LIMITS)
    if refusal is not None:
        return None, [Problem(refusal, line=_lines(root), where=where)]
    try:
        reader = ItemReader(root, where=where, path=path)
    except (ValueError, ArithmeticError, KeyError, etree.Error) as exc:
        return None, [Problem(f"The item cannot be read ({type(exc).__name__}).", where=where)]
    try:
        question = reader.read()
    except ItemProblem as exc:
        return None, [*reader.warnings, Problem(exc.message, line=exc.line, where=where, question=reader.title)]
    except (ValueError, ArithmeticError, KeyError, etree.Error) as exc:
        # A shape no rule above foresaw: report it on this item rather than fail the whole import.
        message = f"The item cannot be read ({type(exc).__name__})."
        return None, [*reader.warnings, Problem(message, where=where, question=reader.title)]
    return question, reader.warnings
