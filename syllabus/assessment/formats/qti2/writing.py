"""Syllabus questions written as QTI 2.1 items, and the content package that carries them.

Each question becomes one `assessmentItem` (items/<identifier>.xml). Scores are in marks: mapping values and SCORE
are the fraction times the default mark, MAXSCORE holds the mark. Plain templates (map_response, match_correct)
are referenced by URI; when feedback must show, the same rules are written out with FEEDBACK set beside SCORE,
and each piece of feedback is a `modalFeedback` (an option's under its choice identifier, an answer's under
`A<n>`, the general feedback under GENERAL). What QTI 2.1 has no attribute for (choice numbering, the ordering
grading, essay word limits, drop-down groups) rides in `class` attributes reading.py understands.

The package lists every item in imsmanifest.xml (tags as LOM keywords, difficulty as LOM difficulty) and an
assessmentTest whose sections are the questions' categories.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from lxml import etree

from syllabus.assessment.formats.base import ExportedQuestion
from syllabus.assessment.formats.qti2.manifest import DIFFICULTIES
from syllabus.assessment.formats.qti2.markup import QTI21, XSI, dec_str, decimal, html_into, is_identifier, xml_text
from syllabus.assessment.formats.qti2.reading import (
    CLOZE_CLASS,
    GROUP_PREFIX,
    MAX_WORDS_PREFIX,
    MIN_WORDS_PREFIX,
    ORDER_GRADING_PREFIX,
)

NS = QTI21
CP = "http://www.imsglobal.org/xsd/imscp_v1p1"
LOM = "http://ltsc.ieee.org/xsd/LOM"
ITEM_SCHEMA = f"{QTI21} http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1p1.xsd"
CP_SCHEMA = (
    f"{CP} http://www.imsglobal.org/xsd/qti/qtiv2p1/qtiv2p1_imscpv1p2_v1p0.xsd "
    f"{LOM} http://www.imsglobal.org/xsd/imsmd_loose_v1p3p2.xsd"
)
TEMPLATES = "http://www.imsglobal.org/question/qti_v2p1/rptemplates/"
ITEM_TYPE = "imsqti_item_xmlv2p1"
TEST_TYPE = "imsqti_test_xmlv2p1"
UNCATEGORISED = "uncategorised"
GENERAL = "GENERAL"
# Question types this exporter writes; `calculated` (values drawn per attempt) has no QTI 2.1 counterpart here.
WRITABLE = frozenset(
    {
        "single", "multiple", "truefalse", "shortanswer", "numerical", "matching", "ordering", "gapselect",
        "ddwtos", "essay", "description", "cloze",
    }
)  # fmt: skip
NUMBERING = {"abc": "qti-labels-lower-alpha", "ABCD": "qti-labels-upper-alpha", "123": "qti-labels-decimal"}
NUMBERING["none"] = "qti-labels-none"
DISPLAYS = {"radio_vertical": "syllabus-radio-vertical", "radio_horizontal": "syllabus-radio-horizontal"}

GAP_MARKER = re.compile(r"\[\[(\d{1,4})\]\]")
# A tag with its attributes (quoted values may hold ">"): gap markers count only in the text between tags.
TAG = re.compile(r"""(<(?:[^>"']|"[^"]*"|'[^']*')*>)""")
PLACEHOLDER = "syllabusgap"

ONE = Decimal(1)
ZERO = Decimal(0)
# Scores are fractions times the mark: written with every digit, so dividing by the mark on import gives the
# fraction back exactly.
EXACT = 20


def q(name: str) -> str:
    return f"{{{NS}}}{name}"


def _el(parent: Any, name: str, attrs: Mapping[str, str] | None = None, text: str | None = None) -> Any:
    element = etree.SubElement(parent, q(name), dict(attrs or {}))
    if text is not None:
        element.text = text
    return element


def _base(parent: Any, base_type: str, value: str) -> Any:
    return _el(parent, "baseValue", {"baseType": base_type}, value)


def _var(parent: Any, identifier: str) -> Any:
    return _el(parent, "variable", {"identifier": identifier})


def _dec(value: Any) -> Decimal:
    found = decimal(value)
    return found if found is not None else ZERO


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _placeholder(number: int) -> str:
    return f'<{PLACEHOLDER} data-n="{number}"></{PLACEHOLDER}>'


def _gap_placeholders(text: str) -> tuple[str, list[int]]:
    """`text` with each `[[n]]` gap (outside tags) replaced by a placeholder element, and each gap's n in order."""
    numbers: list[int] = []

    def swap(match: re.Match[str]) -> str:
        numbers.append(int(match.group(1)))
        return _placeholder(len(numbers))

    pieces = [p if p.startswith("<") else GAP_MARKER.sub(swap, p) for p in TAG.split(text or "")]
    return "".join(pieces), numbers


def _cloze_placeholders(text: str) -> tuple[str, int]:
    """`text` with each cloze marker replaced by a placeholder element (the cloze type's own scanner finds them,
    so the parts line up with its `parts`), and how many there were."""
    from syllabus.assessment.question_types.cloze import markup as cloze_markup

    out: list[str] = []
    count = 0
    for piece in cloze_markup.pieces(text or ""):
        if isinstance(piece, int):
            count += 1
            out.append(_placeholder(count))
        else:
            out.append(piece)
    return "".join(out), count


class ItemWriter:
    """Builds one item. `build()` returns the XML bytes."""

    def __init__(self, question: ExportedQuestion, identifier: str) -> None:
        self.question = question = replace(
            question,
            name=xml_text(question.name),
            text=xml_text(question.text),
            general_feedback=xml_text(question.general_feedback),
            data=_scrub(question.data) if isinstance(question.data, Mapping) else {},
        )
        self.data: Mapping[str, Any] = question.data
        self.mark = question.default_mark if question.default_mark and question.default_mark > 0 else ONE
        self.root = etree.Element(
            q("assessmentItem"),
            {
                f"{{{XSI}}}schemaLocation": ITEM_SCHEMA,
                "identifier": identifier,
                "title": question.name[:255] or identifier,
                "adaptive": "false",
                "timeDependent": "false",
                "toolName": "Syllabus",
                "toolVersion": "1",
            },
            nsmap={None: NS, "xsi": XSI},
        )
        self.declarations: list[Any] = []
        self.body = etree.Element(q("itemBody"))
        self.rules = etree.Element(q("responseProcessing"))
        self.template = ""  # the standard template `rules` amount to, while no feedback is added
        self.feedback: list[tuple[str, str]] = []  # (identifier, HTML)
        self.feedback_rules = False

    # --- parts shared by the types --------------------------------------------------------------------------------
    def declare(
        self,
        identifier: str,
        *,
        cardinality: str,
        base_type: str,
        correct: Iterable[str] = (),
        mapping: Iterable[tuple[str, Decimal, bool | None]] = (),
        upper: Decimal | None = None,
        default: Iterable[str] = (),
    ) -> Any:
        declaration = etree.Element(
            q("responseDeclaration"), {"identifier": identifier, "cardinality": cardinality, "baseType": base_type}
        )
        defaults = list(default)
        if defaults:
            holder = _el(declaration, "defaultValue")
            for value in defaults:
                _el(holder, "value", text=value)
        values = list(correct)
        if values:
            holder = _el(declaration, "correctResponse")
            for value in values:
                _el(holder, "value", text=value)
        entries = list(mapping)
        if entries:
            attrs = {"defaultValue": "0", "lowerBound": "0"}
            if upper is not None:
                attrs["upperBound"] = dec_str(upper, EXACT)
            holder = _el(declaration, "mapping", attrs)
            for key, mapped, sensitive in entries:
                # QTI 2.1 requires caseSensitive on every entry; it only matters for strings.
                entry = {
                    "mapKey": key,
                    "mappedValue": dec_str(mapped, EXACT),
                    "caseSensitive": "false" if sensitive is False else "true",
                }
                _el(holder, "mapEntry", entry)
        self.declarations.append(declaration)
        return declaration

    def text_into(self, target: Any, text: str, custom: Callable[[Any], Any] | None = None) -> None:
        html_into(target, text, NS, blocks=True, custom=custom)

    def add_feedback(self, identifier: str, html: Any) -> bool:
        content = _text(html).strip()
        if content:
            self.feedback.append((identifier, content))
            return True
        return False

    def score_by_mapping(self, response: str = "RESPONSE") -> None:
        """The map_response template's rules."""
        condition = _el(self.rules, "responseCondition")
        when = _el(condition, "responseIf")
        _var(_el(when, "isNull"), response)
        _base(_el(when, "setOutcomeValue", {"identifier": "SCORE"}), "float", "0")
        otherwise = _el(condition, "responseElse")
        _el(_el(otherwise, "setOutcomeValue", {"identifier": "SCORE"}), "mapResponse", {"identifier": response})
        self.template = "map_response"

    def score_by_match(self, response: str = "RESPONSE") -> None:
        """The match_correct template's rules."""
        condition = _el(self.rules, "responseCondition")
        when = _el(condition, "responseIf")
        match = _el(when, "match")
        _var(match, response)
        _el(match, "correct", {"identifier": response})
        _base(_el(when, "setOutcomeValue", {"identifier": "SCORE"}), "float", "1")
        _base(_el(_el(condition, "responseElse"), "setOutcomeValue", {"identifier": "SCORE"}), "float", "0")
        self.template = "match_correct"

    def show_response_feedback(self, response: str = "RESPONSE") -> None:
        """FEEDBACK gets the chosen identifiers, so the modalFeedback of each chosen option shows."""
        target = _el(self.rules, "setOutcomeValue", {"identifier": "FEEDBACK"})
        together = _el(target, "multiple")
        _var(together, "FEEDBACK")
        _var(together, response)
        self.feedback_rules = True

    def feedback_value(self, parent: Any, identifier: str) -> None:
        """Inside a rule: add `identifier` to FEEDBACK."""
        target = _el(parent, "setOutcomeValue", {"identifier": "FEEDBACK"})
        together = _el(target, "multiple")
        _var(together, "FEEDBACK")
        _base(together, "identifier", identifier)
        self.feedback_rules = True

    # --- the types ----------------------------------------------------------------------------------------------
    def build(self) -> bytes:
        writer = getattr(self, f"_write_{self.question.qtype}")
        writer()
        if self.add_feedback(GENERAL, self.question.general_feedback):
            self.feedback_value(self.rules, GENERAL)
        return self._assemble()

    def _options(self) -> list[Mapping[str, Any]]:
        options = self.data.get("options")
        return [o for o in options if isinstance(o, Mapping)] if isinstance(options, list) else []

    def _choice(self, *, multiple: bool) -> None:
        options = self._options()
        ids = [f"c{n}" for n in range(1, len(options) + 1)]
        fractions = [_dec(o.get("fraction")) for o in options]
        top = max(fractions, default=ZERO)
        if multiple:
            correct = [i for i, f in zip(ids, fractions, strict=True) if f > 0]
        else:
            correct = [i for i, f in zip(ids, fractions, strict=True) if f == top and f > 0][:1]
        self.declare(
            "RESPONSE",
            cardinality="multiple" if multiple else "single",
            base_type="identifier",
            correct=correct,
            mapping=[(i, f * self.mark, None) for i, f in zip(ids, fractions, strict=True) if f != 0],
            upper=self.mark,
        )
        self.text_into(self.body, self.question.text)
        attrs = {
            "responseIdentifier": "RESPONSE",
            "shuffle": "true" if self.data.get("shuffle") else "false",
            "maxChoices": "0" if multiple else "1",
        }
        numbering = NUMBERING.get(str(self.data.get("numbering") or "abc"))
        if numbering:
            attrs["class"] = numbering
        interaction = _el(self.body, "choiceInteraction", attrs)
        any_feedback = False
        for identifier, option in zip(ids, options, strict=True):
            choice = _el(interaction, "simpleChoice", {"identifier": identifier, "fixed": "false"})
            html_into(choice, _text(option.get("text")), NS, blocks=False)
            any_feedback = self.add_feedback(identifier, option.get("feedback")) or any_feedback
        self.score_by_mapping()
        if any_feedback:
            self.show_response_feedback()

    def _write_single(self) -> None:
        self._choice(multiple=False)

    def _write_multiple(self) -> None:
        self._choice(multiple=True)

    def _write_truefalse(self) -> None:
        right = "true" if self.data.get("correct") else "false"
        self.declare(
            "RESPONSE",
            cardinality="single",
            base_type="identifier",
            correct=[right],
            mapping=[(right, self.mark, None)],
            upper=self.mark,
        )
        self.text_into(self.body, self.question.text)
        interaction = _el(
            self.body, "choiceInteraction", {"responseIdentifier": "RESPONSE", "shuffle": "false", "maxChoices": "1"}
        )
        _el(interaction, "simpleChoice", {"identifier": "true", "fixed": "true"}, "True")
        _el(interaction, "simpleChoice", {"identifier": "false", "fixed": "true"}, "False")
        shown = self.add_feedback("true", self.data.get("feedback_true"))
        shown = self.add_feedback("false", self.data.get("feedback_false")) or shown
        self.score_by_mapping()
        if shown:
            self.show_response_feedback()

    def _text_answer_rules(self, response: str, answers: list[Mapping[str, Any]], weight: Decimal, *, numeric: bool,
                           sensitive: bool, accumulate: bool, prefix: str) -> None:  # fmt: skip
        """One responseIf/responseElseIf per answer, first match wins (as Syllabus grades), setting the score."""
        condition = _el(self.rules, "responseCondition")
        for index, answer in enumerate(answers, start=1):
            branch = _el(condition, "responseIf" if index == 1 else "responseElseIf")
            if numeric:
                self._numeric_test(branch, response, answer)
            else:
                self._string_test(branch, response, _text(answer.get("text")), sensitive)
            score = _dec(answer.get("fraction")) * weight
            target = _el(branch, "setOutcomeValue", {"identifier": "SCORE"})
            if accumulate:
                total = _el(target, "sum")
                _var(total, "SCORE")
                _base(total, "float", dec_str(score, EXACT))
            else:
                _base(target, "float", dec_str(score, EXACT))
            feedback_id = f"{prefix}A{index}"
            if self.add_feedback(feedback_id, answer.get("feedback")):
                self.feedback_value(branch, feedback_id)

    def _numeric_test(self, branch: Any, response: str, answer: Mapping[str, Any]) -> None:
        value = str(answer.get("value") or "").strip()
        if value == "*":
            _var(_el(_el(branch, "not"), "isNull"), response)
            return
        tolerance = _dec(answer.get("tolerance"))
        attrs = {"toleranceMode": "exact"}
        if tolerance > 0:
            attrs = {"toleranceMode": "absolute", "tolerance": dec_str(tolerance, EXACT)}
        equal = _el(branch, "equal", attrs)
        _var(equal, response)
        _base(equal, "float", dec_str(_dec(value), EXACT))

    def _string_test(self, branch: Any, response: str, text: str, sensitive: bool) -> None:
        if text == "*":
            _var(_el(_el(branch, "not"), "isNull"), response)
        elif _has_wildcard(text):
            _var(_el(branch, "patternMatch", {"pattern": _wildcard_pattern(text, sensitive)}), response)
        else:
            match = _el(branch, "stringMatch", {"caseSensitive": "true" if sensitive else "false"})
            _var(match, response)
            _base(match, "string", _unescape_star(text))

    def _answers(self) -> list[Mapping[str, Any]]:
        answers = self.data.get("answers")
        return [a for a in answers if isinstance(a, Mapping)] if isinstance(answers, list) else []

    def _write_shortanswer(self) -> None:
        answers = self._answers()
        sensitive = bool(self.data.get("case_sensitive"))
        literal = [a for a in answers if not _has_wildcard(_text(a.get("text"))) and _text(a.get("text")) != "*"]
        right = [_unescape_star(_text(a.get("text"))) for a in literal if _dec(a.get("fraction")) == 1][:1]
        keys: set[str] = set()
        mapping = []
        for answer in literal:
            key = _unescape_star(_text(answer.get("text")))
            folded = key if sensitive else key.lower()
            if folded not in keys and _dec(answer.get("fraction")) != 0:
                keys.add(folded)
                mapping.append((key, _dec(answer.get("fraction")) * self.mark, sensitive))
        self.declare(
            "RESPONSE", cardinality="single", base_type="string", correct=right, mapping=mapping, upper=self.mark
        )
        self._text_with_entry()
        self._text_answer_rules(
            "RESPONSE", answers, self.mark, numeric=False, sensitive=sensitive, accumulate=False, prefix=""
        )

    def _text_with_entry(self) -> None:
        """The question text, then a paragraph holding the text entry."""
        self.text_into(self.body, self.question.text)
        holder = _el(self.body, "p")
        _el(holder, "textEntryInteraction", {"responseIdentifier": "RESPONSE", "expectedLength": "20"})

    def _write_numerical(self) -> None:
        answers = self._answers()
        right = [
            dec_str(_dec(a.get("value")), EXACT)
            for a in answers
            if _dec(a.get("fraction")) == 1 and str(a.get("value") or "").strip() != "*"
        ][:1]
        self.declare("RESPONSE", cardinality="single", base_type="float", correct=right)
        self._text_with_entry()
        self._text_answer_rules(
            "RESPONSE", answers, self.mark, numeric=True, sensitive=True, accumulate=False, prefix=""
        )

    def _write_matching(self) -> None:
        raw = self.data.get("pairs")
        pairs = [p for p in raw if isinstance(p, Mapping)] if isinstance(raw, list) else []
        prompts = [p for p in pairs if _text(p.get("prompt")).strip()]
        answer_ids: dict[str, str] = {}
        for pair in pairs:
            answer_ids.setdefault(_text(pair.get("answer")), f"t{len(answer_ids) + 1}")
        correct = [f"s{n} {answer_ids[_text(p.get('answer'))]}" for n, p in enumerate(prompts, start=1)]
        share = self.mark / len(prompts) if prompts else ZERO
        self.declare(
            "RESPONSE",
            cardinality="multiple",
            base_type="directedPair",
            correct=correct,
            mapping=[(c, share, None) for c in correct],
            upper=self.mark,
        )
        self.text_into(self.body, self.question.text)
        interaction = _el(
            self.body,
            "matchInteraction",
            {
                "responseIdentifier": "RESPONSE",
                "shuffle": "true" if self.data.get("shuffle") else "false",
                "maxAssociations": str(len(prompts)),
            },
        )
        sources = _el(interaction, "simpleMatchSet")
        for number, pair in enumerate(prompts, start=1):
            choice = _el(sources, "simpleAssociableChoice", {"identifier": f"s{number}", "matchMax": "1"})
            html_into(choice, _text(pair.get("prompt")), NS, blocks=False)
        targets = _el(interaction, "simpleMatchSet")
        for text, identifier in answer_ids.items():
            _el(targets, "simpleAssociableChoice", {"identifier": identifier, "matchMax": "0"}, text)
        self.score_by_mapping()

    def _write_ordering(self) -> None:
        raw = self.data.get("items")
        items = [i for i in raw if isinstance(i, Mapping)] if isinstance(raw, list) else []
        ids = [f"c{n}" for n in range(1, len(items) + 1)]
        self.declare("RESPONSE", cardinality="ordered", base_type="identifier", correct=ids)
        self.text_into(self.body, self.question.text)
        grading = str(self.data.get("grading") or "all_or_nothing")
        interaction = _el(
            self.body,
            "orderInteraction",
            {"responseIdentifier": "RESPONSE", "shuffle": "true", "class": ORDER_GRADING_PREFIX + grading},
        )
        for identifier, item in zip(ids, items, strict=True):
            choice = _el(interaction, "simpleChoice", {"identifier": identifier})
            html_into(choice, _text(item.get("text")), NS, blocks=False)
        self.score_by_match()

    def _gap_choices(self) -> list[Mapping[str, Any]]:
        raw = self.data.get("choices")
        return [c for c in raw if isinstance(c, Mapping)] if isinstance(raw, list) else []

    def _write_gapselect(self) -> None:
        choices = self._gap_choices()
        text, numbers = _gap_placeholders(self.question.text)
        groups: dict[int, list[int]] = {}
        for number, choice in enumerate(choices, start=1):
            groups.setdefault(_int(choice.get("group"), 1), []).append(number)
        share = self.mark / len(numbers) if numbers else ZERO
        responses = []
        for position, number in enumerate(numbers, start=1):
            response = f"RESPONSE_{position}"
            responses.append(response)
            right = f"c{number}"
            self.declare(
                response,
                cardinality="single",
                base_type="identifier",
                correct=[right],
                mapping=[(right, share, None)],
                upper=share,
            )
        shuffle = "true" if self.data.get("shuffle") else "false"

        def gap(node: Any) -> Any:
            if node.tag != PLACEHOLDER:
                return None
            index = _int(node.get("data-n"), 0)
            if not 1 <= index <= len(numbers):
                return None
            number = numbers[index - 1]
            group = _int(choices[number - 1].get("group"), 1) if 1 <= number <= len(choices) else 1
            element = etree.Element(
                q("inlineChoiceInteraction"),
                {"responseIdentifier": f"RESPONSE_{index}", "shuffle": shuffle, "class": f"{GROUP_PREFIX}{group}"},
            )
            for member in groups.get(group, [number]):
                option = _el(element, "inlineChoice", {"identifier": f"c{member}"})
                option.text = _text(choices[member - 1].get("text")) if member <= len(choices) else ""
            return element

        self.text_into(self.body, text, gap)
        total = _el(_el(self.rules, "setOutcomeValue", {"identifier": "SCORE"}), "sum")
        for response in responses or ["RESPONSE"]:
            _el(total, "mapResponse", {"identifier": response})

    def _write_ddwtos(self) -> None:
        choices = self._gap_choices()
        text, numbers = _gap_placeholders(self.question.text)
        correct = [f"c{number} g{position}" for position, number in enumerate(numbers, start=1)]
        share = self.mark / len(numbers) if numbers else ZERO
        self.declare(
            "RESPONSE",
            cardinality="multiple",
            base_type="directedPair",
            correct=correct,
            mapping=[(c, share, None) for c in correct],
            upper=self.mark,
        )
        interaction = _el(
            self.body,
            "gapMatchInteraction",
            {"responseIdentifier": "RESPONSE", "shuffle": "true" if self.data.get("shuffle") else "false"},
        )
        for number, choice in enumerate(choices, start=1):
            _el(
                interaction,
                "gapText",
                {
                    "identifier": f"c{number}",
                    "matchMax": "0" if choice.get("infinite") else "1",
                    "class": f"{GROUP_PREFIX}{_int(choice.get('group'), 1)}",
                },
                _text(choice.get("text")),
            )

        def gap(node: Any) -> Any:
            if node.tag != PLACEHOLDER:
                return None
            return etree.Element(q("gap"), {"identifier": f"g{_int(node.get('data-n'), 0)}"})

        self.text_into(interaction, text, gap)
        self.score_by_mapping()

    def _write_cloze(self) -> None:
        raw = self.data.get("parts")
        parts = [p for p in raw if isinstance(p, Mapping)] if isinstance(raw, list) else []
        parts.sort(key=lambda p: _int(p.get("index"), 0))
        text, count = _cloze_placeholders(self.question.text)
        self.body.set("class", CLOZE_CLASS)
        total_weight = ZERO
        built: dict[int, Any] = {}
        for position, part in enumerate(parts[:count], start=1):
            response = f"RESPONSE_{position}"
            weight = _dec(part.get("weight")) or ONE
            total_weight += weight
            answers = [a for a in part.get("answers", []) if isinstance(a, Mapping)]
            kind = str(part.get("kind") or "shortanswer")
            if kind == "single":
                built[position] = self._cloze_choice(response, position, part, answers, weight)
            else:
                numeric = kind == "numerical"
                sensitive = kind == "shortanswer_c"
                if numeric:
                    self.declare(response, cardinality="single", base_type="float", upper=weight)
                else:
                    mapping: list[tuple[str, Decimal, bool | None]] = []
                    seen: set[str] = set()
                    for answer in answers:
                        key = _unescape_star(_text(answer.get("text")))
                        folded = key if sensitive else key.lower()
                        if _has_wildcard(_text(answer.get("text"))) or folded in seen:
                            continue
                        if _dec(answer.get("fraction")) != 0:
                            seen.add(folded)
                            mapping.append((key, _dec(answer.get("fraction")) * weight, sensitive))
                    self.declare(response, cardinality="single", base_type="string", mapping=mapping, upper=weight)
                self._text_answer_rules(
                    response, answers, weight, numeric=numeric, sensitive=sensitive, accumulate=True,
                    prefix=f"R{position}_",
                )  # fmt: skip
                built[position] = etree.Element(
                    q("textEntryInteraction"), {"responseIdentifier": response, "expectedLength": "15"}
                )

        def gap(node: Any) -> Any:
            if node.tag != PLACEHOLDER:
                return None
            return built.get(_int(node.get("data-n"), 0))

        self.text_into(self.body, text, gap)
        if total_weight > 0 and total_weight != self.mark:
            # Parts score in their weights; the item's SCORE is out of its mark.
            target = _el(self.rules, "setOutcomeValue", {"identifier": "SCORE"})
            divide = _el(target, "divide")
            product = _el(divide, "product")
            _var(product, "SCORE")
            _base(product, "float", dec_str(self.mark, EXACT))
            _base(divide, "float", dec_str(total_weight, EXACT))

    def _cloze_choice(
        self, response: str, position: int, part: Mapping[str, Any], answers: list[Mapping[str, Any]], weight: Decimal
    ) -> Any:
        ids = [f"R{position}_c{n}" for n in range(1, len(answers) + 1)]
        fractions = [_dec(a.get("fraction")) for a in answers]
        top = max(fractions, default=ZERO)
        self.declare(
            response,
            cardinality="single",
            base_type="identifier",
            correct=[i for i, f in zip(ids, fractions, strict=True) if f == top and f > 0][:1],
            mapping=[(i, f * weight, None) for i, f in zip(ids, fractions, strict=True) if f != 0],
            upper=weight,
        )
        target = _el(self.rules, "setOutcomeValue", {"identifier": "SCORE"})
        total = _el(target, "sum")
        _var(total, "SCORE")
        _el(total, "mapResponse", {"identifier": response})
        attrs = {"responseIdentifier": response, "shuffle": "true" if part.get("shuffle") else "false"}
        display = DISPLAYS.get(str(part.get("display") or "inline"))
        if display:
            attrs["class"] = display
        element = etree.Element(q("inlineChoiceInteraction"), attrs)
        shown = False
        for identifier, answer in zip(ids, answers, strict=True):
            option = _el(element, "inlineChoice", {"identifier": identifier})
            option.text = _text(answer.get("text"))
            shown = self.add_feedback(identifier, answer.get("feedback")) or shown
        if shown:
            self.show_response_feedback(response)
        return element

    def _write_essay(self) -> None:
        template = _text(self.data.get("template"))
        self.declare("RESPONSE", cardinality="single", base_type="string", default=[template] if template else [])
        self.text_into(self.body, self.question.text)
        classes = []
        for prefix, key in ((MIN_WORDS_PREFIX, "min_words"), (MAX_WORDS_PREFIX, "max_words")):
            words = _int(self.data.get(key), 0)
            if words > 0:
                classes.append(f"{prefix}{words}")
        attrs = {
            "responseIdentifier": "RESPONSE",
            "format": "xhtml" if self.data.get("response_format") == "editor" else "plain",
            "expectedLines": "10",
        }
        if classes:
            attrs["class"] = " ".join(classes)
        _el(self.body, "extendedTextInteraction", attrs)
        grader = _text(self.data.get("grader_info")).strip()
        if grader:
            rubric = _el(self.body, "rubricBlock", {"view": "scorer"})
            html_into(rubric, grader, NS, blocks=True)

    def _write_description(self) -> None:
        self.text_into(self.body, self.question.text)

    # --- assembly -----------------------------------------------------------------------------------------------
    def _assemble(self) -> bytes:
        for declaration in self.declarations:
            self.root.append(declaration)
        graded = self.question.qtype != "description"
        if graded:
            score = _el(
                self.root, "outcomeDeclaration", {"identifier": "SCORE", "cardinality": "single", "baseType": "float"}
            )
            _el(_el(score, "defaultValue"), "value", text="0")
            maximum = _el(
                self.root,
                "outcomeDeclaration",
                {"identifier": "MAXSCORE", "cardinality": "single", "baseType": "float"},
            )
            _el(_el(maximum, "defaultValue"), "value", text=dec_str(self.question.default_mark, EXACT))
        if self.feedback:
            _el(
                self.root,
                "outcomeDeclaration",
                {"identifier": "FEEDBACK", "cardinality": "multiple", "baseType": "identifier"},
            )
        self.root.append(self.body)
        if self.template and not self.feedback_rules:
            _el(self.root, "responseProcessing", {"template": TEMPLATES + self.template})
        elif len(self.rules):
            self.root.append(self.rules)
        for identifier, content in self.feedback:
            modal = _el(
                self.root,
                "modalFeedback",
                {"outcomeIdentifier": "FEEDBACK", "identifier": identifier, "showHide": "show"},
            )
            html_into(modal, content, NS, blocks=False)
        # Not pretty-printed: indentation would become whitespace in the HTML read back.
        return bytes(etree.tostring(self.root, xml_declaration=True, encoding="UTF-8"))


def _scrub(value: Any) -> Any:
    """Strings of a question made writable as XML (a stray control character would stop the whole export)."""
    if isinstance(value, str):
        return xml_text(value)
    if isinstance(value, Mapping):
        return {key: _scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(item) for item in value]
    return value


def _int(value: Any, default: int) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def _has_wildcard(text: str) -> bool:
    """Whether a shortanswer answer holds an unescaped `*` (a wildcard)."""
    return bool(re.search(r"(?<!\\)\*", text.replace("\\\\", "")))


def _unescape_star(text: str) -> str:
    return text.replace("\\*", "*")


def _wildcard_pattern(text: str, sensitive: bool) -> str:
    """A Syllabus wildcard answer as an XSD pattern (`*` → `.*`, letters as `[aA]` when case does not matter)."""
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text) and text[index + 1] == "*":
            out.append("\\*")
            index += 2
            continue
        if char == "*":
            out.append(".*")
        elif char in "\\|.-^?+{}()[]":
            out.append("\\" + char)
        elif not sensitive and char.lower() != char.upper():
            out.append(f"[{char}{char.swapcase()}]")
        else:
            out.append(char)
        index += 1
    return "".join(out)


# --- the package ---------------------------------------------------------------------------------------------------


def _identifier(question: ExportedQuestion, used: set[str], position: int) -> str:
    """The item's identifier: the question's ID number when it is a valid QTI identifier not used yet, else
    item-<position in the export>."""
    wanted = question.idnumber.strip()
    if wanted and is_identifier(wanted) and wanted not in used:
        used.add(wanted)
        return wanted
    number = position
    while f"item-{number}" in used:
        number += 1000
    used.add(f"item-{number}")
    return f"item-{number}"


def _lom(resource: Any, question: ExportedQuestion) -> None:
    tags = [t for t in question.tags if t]
    if not tags and question.difficulty is None:
        return
    metadata = etree.SubElement(resource, f"{{{CP}}}metadata")
    lom = etree.SubElement(metadata, f"{{{LOM}}}lom")
    if tags:
        general = etree.SubElement(lom, f"{{{LOM}}}general")
        for tag in tags:
            keyword = etree.SubElement(general, f"{{{LOM}}}keyword")
            etree.SubElement(keyword, f"{{{LOM}}}string").text = xml_text(tag)
    if question.difficulty is not None and 1 <= question.difficulty <= len(DIFFICULTIES):
        educational = etree.SubElement(lom, f"{{{LOM}}}educational")
        difficulty = etree.SubElement(educational, f"{{{LOM}}}difficulty")
        etree.SubElement(difficulty, f"{{{LOM}}}source").text = "LOMv1.0"
        etree.SubElement(difficulty, f"{{{LOM}}}value").text = DIFFICULTIES[question.difficulty - 1]


def _test(items: list[tuple[str, ExportedQuestion]]) -> bytes:
    root = etree.Element(
        q("assessmentTest"),
        {
            f"{{{XSI}}}schemaLocation": ITEM_SCHEMA,
            "identifier": "syllabus-export",
            "title": "Syllabus questions",
            "toolName": "Syllabus",
            "toolVersion": "1",
        },
        nsmap={None: NS, "xsi": XSI},
    )
    part = _el(
        root, "testPart", {"identifier": "part-1", "navigationMode": "nonlinear", "submissionMode": "simultaneous"}
    )
    sections: dict[str, Any] = {}
    for identifier, question in items:
        category = xml_text(question.category).strip()
        section = sections.get(category)
        if section is None:
            number = len(sections) + 1
            attrs = {
                "identifier": UNCATEGORISED if not category else f"section-{number}",
                "title": category or "Questions",
                "visible": "true",
            }
            section = sections[category] = _el(part, "assessmentSection", attrs)
        _el(section, "assessmentItemRef", {"identifier": identifier, "href": f"../items/{identifier}.xml"})
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def write_package(questions: Iterable[ExportedQuestion]) -> bytes:
    """The zip: imsmanifest.xml, items/<identifier>.xml per writable question, tests/test.xml."""
    used: set[str] = set()
    items: list[tuple[str, ExportedQuestion]] = []
    files: dict[str, bytes] = {}
    for position, question in enumerate(questions, start=1):
        if question.qtype not in WRITABLE:
            continue
        identifier = _identifier(question, used, position)
        files[f"items/{identifier}.xml"] = ItemWriter(question, identifier).build()
        items.append((identifier, question))
    manifest = etree.Element(
        f"{{{CP}}}manifest",
        {f"{{{XSI}}}schemaLocation": CP_SCHEMA, "identifier": "syllabus-manifest"},
        nsmap={None: CP, "imsmd": LOM, "xsi": XSI},
    )
    metadata = etree.SubElement(manifest, f"{{{CP}}}metadata")
    etree.SubElement(metadata, f"{{{CP}}}schema").text = "QTIv2.1 Package"
    etree.SubElement(metadata, f"{{{CP}}}schemaversion").text = "1.0.0"
    etree.SubElement(manifest, f"{{{CP}}}organizations")
    resources = etree.SubElement(manifest, f"{{{CP}}}resources")
    for identifier, question in items:
        href = f"items/{identifier}.xml"
        resource = etree.SubElement(
            resources, f"{{{CP}}}resource", {"identifier": f"res-{identifier}", "type": ITEM_TYPE, "href": href}
        )
        _lom(resource, question)
        etree.SubElement(resource, f"{{{CP}}}file", {"href": href})
    if items:
        files["tests/test.xml"] = _test(items)
        test = etree.SubElement(
            resources, f"{{{CP}}}resource", {"identifier": "res-test", "type": TEST_TYPE, "href": "tests/test.xml"}
        )
        etree.SubElement(test, f"{{{CP}}}file", {"href": "tests/test.xml"})
        for identifier, _ in items:
            etree.SubElement(test, f"{{{CP}}}dependency", {"identifierref": f"res-{identifier}"})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr(
            "imsmanifest.xml", etree.tostring(manifest, xml_declaration=True, encoding="UTF-8", pretty_print=True)
        )
        for path, content in files.items():
            package.writestr(path, content)
    return buffer.getvalue()
