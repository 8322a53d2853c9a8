"""GIFT, Moodle's plain-text question format (Moodle docs, "GIFT format"). Import only.

A file is a series of blocks separated by blank lines; lines starting with `//` are comments (Moodle reads
`[id:...]` and `[tag:...]` from them). A block is `$CATEGORY: path`, or a question:

    ::title::[format]question text { answers ####general feedback } more text

The answer block decides the type, in Moodle's order: none → description; `{}` → essay; `{#...}` → numerical;
any `~` → multiple choice (`single`, or `multiple` when no answer is marked `=` and more than one has a positive
weight); `=` with `->` → matching; `T`/`F`/`TRUE`/`FALSE` → true/false; otherwise short answer. Text after the
block makes a missing-word question: the block's place in the text becomes "_____". `\\~ \\= \\# \\{ \\} \\: \\\\`
are literal characters and `\\n` a line break. Text in [html] is kept as HTML (the question service sanitises it);
[moodle] (the default), [plain] and [markdown] are plain text, escaped.

Every problem names the line its question starts on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError

from syllabus.assessment.formats import base
from syllabus.assessment.formats import moodle as conventions

TITLE_NOT_CLOSED = "The question title is not closed: write ::title:: (or \\: for a literal colon)."
BLOCK_NOT_CLOSED = "The answer block is not closed: a } is missing (write \\{ for a literal brace)."
STRAY_CLOSE = "A } closes no answer block: write \\} for a literal brace."
NESTED_OPEN = "A { opens inside the answer block: write \\{ for a literal brace."
TWO_BLOCKS = "A question holds one answer block {...}; this one holds more."
BAD_WEIGHT = "Answer {n}: the weight {weight} is not a percentage between -100 and 100, such as %50%."
EMPTY_ANSWER = "Answer {n} is empty."
TOO_FEW_CHOICES = "A multiple choice question needs at least two answers."
NO_RIGHT_ANSWER = "No answer is right: mark one with = or give answers a positive weight such as ~%50%."
BAD_PAIR = "Pair {n} is not written =question -> answer."
TOO_FEW_PAIRS = "A matching question needs at least two pairs."
NO_NUMBERS = "The numerical answer block holds no answer: write {#3.14:0.01} or {#1..5}."
BAD_NUMBER = "Answer {n}: {value} is not a number."
BAD_RANGE = "Answer {n}: the range {value} runs from a higher number to a lower one."
NEGATIVE_TOLERANCE = "Answer {n}: the margin of error cannot be negative."
SUMMARY = "GIFT file: {questions}."

_TEXT_FORMATS = frozenset({"html", "moodle", "plain", "markdown"})
_TRUE = frozenset({"T", "TRUE"})
_FALSE = frozenset({"F", "FALSE"})

# Escaped characters are swapped for private-use code points while the structure is read (as Moodle does with its
# "&&058;" placeholders), then swapped back; the same code points in the file itself are dropped first.
_PLACEHOLDER = {"\\": "\ue000", ":": "\ue001", "#": "\ue002", "=": "\ue003", "{": "\ue004", "}": "\ue005",
                "~": "\ue006", "n": "\ue007"}  # fmt: skip
_RESTORE = str.maketrans({"\ue000": "\\", "\ue001": ":", "\ue002": "#", "\ue003": "=", "\ue004": "{",
                          "\ue005": "}", "\ue006": "~", "\ue007": "\n"})  # fmt: skip
_ESCAPE = re.compile(r"\\([\\:#={}~n])")
_OWN_PLACEHOLDERS = re.compile("[\ue000-\ue007]")
_ID = re.compile(r"\[id:((?:\\\]|[^\]\x00-\x1f])+)\]")
_TAG = re.compile(r"\[tag:((?:\\\]|[^\]\x00-\x1f])+)\]")
_CONTROL = re.compile(r"[\x00-\x1f]")
_FORMAT = re.compile(r"^\[([A-Za-z]+)\]")


class _Refused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class _Block:
    """The lines of one question (comments taken out), each with its line number in the file."""

    lines: list[tuple[int, str]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)


def _protect(text: str) -> str:
    return _ESCAPE.sub(lambda match: _PLACEHOLDER[match.group(1)], _OWN_PLACEHOLDERS.sub("", text))


def _restore(text: str) -> str:
    return text.translate(_RESTORE)


def _split_format(text: str, default: str) -> tuple[str, str]:
    """A leading [html]/[moodle]/[plain]/[markdown] and the text after it."""
    text = text.strip()
    match = _FORMAT.match(text)
    if match is None:
        return default, text
    name = match.group(1).lower()
    if name not in _TEXT_FORMATS:
        # "[Note] Read carefully..." is text, not a format (Moodle reads it the same way).
        return default, text
    return name, text[match.end() :].strip()


def _html(text: str, default: str, *, paragraphs: bool = False) -> str:
    fmt, body = _split_format(text, default)
    body = _restore(body).strip()
    return body if fmt == "html" else conventions.plain_to_html(body, paragraphs=paragraphs)


def _weight(answer: str, n: int) -> tuple[str | None, str]:
    """A leading %weight% as a fraction string, and the rest of the answer."""
    answer = answer.lstrip()
    if not answer.startswith("%"):
        return None, answer
    end = answer.find("%", 1)
    fraction = conventions.percent_to_fraction(answer[1:end]) if end > 0 else None
    if fraction is None:
        shown = answer[: end + 1] if end > 0 else answer[:12]
        raise _Refused(BAD_WEIGHT.format(n=n, weight=_restore(shown)))
    return fraction, answer[end + 1 :]


def _split_answers(text: str, markers: str) -> list[tuple[str, str]]:
    """`=a ~b` as [("=", "a"), ("~", "b")]. Text before the first marker is an answer too, as Moodle reads it
    (`{Paris}` is a short answer, `{a ~b =c}` a choice whose first answer is wrong): marked with the first marker
    for short answers and matching ("="), the last for choices ("~")."""
    if sum(text.count(marker) for marker in markers) > conventions.MAX_ANSWERS:
        raise _Refused(conventions.TOO_MANY_ANSWERS.format(limit=conventions.MAX_ANSWERS))
    pieces = re.split(f"([{re.escape(markers)}])", text)
    answers = [(pieces[i], pieces[i + 1]) for i in range(1, len(pieces) - 1, 2)]
    if pieces[0].strip():
        answers.insert(0, (markers[-1], pieces[0]))
    return answers


def _feedback(answer: str) -> tuple[str, str]:
    text, _, feedback = answer.partition("#")
    return text.strip(), feedback.strip()


# --- the types ------------------------------------------------------------------------------------------------


def _choice(answer_text: str, fmt: str) -> tuple[str, dict[str, Any]]:
    answers = _split_answers(answer_text, "=~")
    if len(answers) < 2:
        raise _Refused(TOO_FEW_CHOICES)
    options = []
    for n, (marker, answer) in enumerate(answers, 1):
        weight, answer = _weight(answer, n)
        fraction = weight if weight is not None else ("1" if marker == "=" else "0")
        text, feedback = _feedback(answer)
        option_html = _html(text, fmt)
        if not option_html:
            raise _Refused(EMPTY_ANSWER.format(n=n))
        options.append({"text": option_html, "fraction": fraction, "feedback": _html(feedback, fmt)})
    positive = [option for option in options if Decimal(option["fraction"]) > 0]
    if not positive:
        raise _Refused(NO_RIGHT_ANSWER)
    # Moodle's rule: without an answer marked "=", several positive weights share the mark (multiple response).
    multiple = all(marker == "~" for marker, _ in answers) and len(positive) > 1
    return ("multiple" if multiple else "single"), {"options": options, "shuffle": True, "numbering": "abc"}


def _matching(answer_text: str, fmt: str) -> dict[str, Any]:
    pairs = []
    for n, (_, pair) in enumerate(_split_answers(answer_text, "="), 1):
        prompt, arrow, answer = pair.partition("->")
        if not arrow or not answer.strip():
            raise _Refused(BAD_PAIR.format(n=n))
        pairs.append({"prompt": _html(prompt, fmt), "answer": _restore(answer).strip()})
    if sum(1 for pair in pairs if pair["prompt"]) < 2:
        raise _Refused(TOO_FEW_PAIRS)
    return {"pairs": pairs, "shuffle": True}


def _truefalse(answer_text: str, fmt: str) -> dict[str, Any]:
    # Moodle's order: {T#feedback for a wrong answer#feedback for a right answer}.
    answer, _, rest = answer_text.partition("#")
    wrong, _, right = rest.partition("#")
    correct = answer.strip() in _TRUE
    wrong_html, right_html = _html(wrong, fmt), _html(right, fmt)
    return {
        "correct": correct,
        "feedback_true": right_html if correct else wrong_html,
        "feedback_false": wrong_html if correct else right_html,
    }


def _shortanswer(answer_text: str, fmt: str) -> dict[str, Any]:
    answers = []
    for n, (_, answer) in enumerate(_split_answers(answer_text, "="), 1):
        weight, answer = _weight(answer, n)
        text, feedback = _feedback(answer)
        text = _restore(text).strip()
        if not text:
            raise _Refused(EMPTY_ANSWER.format(n=n))
        answers.append({"text": text, "fraction": weight or "1", "feedback": _html(feedback, fmt)})
    return {"answers": answers, "case_sensitive": False}


def _number(raw: str, n: int) -> Decimal:
    value = conventions.parse_decimal(_restore(raw))
    if value is None:
        raise _Refused(BAD_NUMBER.format(n=n, value=_restore(raw).strip()[:40] or '""'))
    return value


def _numerical(answer_text: str, fmt: str) -> dict[str, Any]:
    body = answer_text[1:]
    # Moodle's numerical blocks: "#3.14:0.01", "#1..5", "#=3:0 =%50%2:1#feedback", and "~#feedback" (last) for
    # every other answer.
    body, tilde, wrong = body.partition("~")
    if body.count("=") > conventions.MAX_ANSWERS:
        raise _Refused(conventions.TOO_MANY_ANSWERS.format(limit=conventions.MAX_ANSWERS))
    chunks = body.split("=")
    if not chunks[0].strip():
        chunks = chunks[1:]
    if not chunks:
        raise _Refused(NO_NUMBERS)
    answers = []
    for n, chunk in enumerate(chunks, 1):
        weight, chunk = _weight(chunk, n)
        value_text, feedback = _feedback(chunk)
        if not value_text:
            raise _Refused(NO_NUMBERS if len(chunks) == 1 else EMPTY_ANSWER.format(n=n))
        if value_text.find("..") > 0:
            low_text, _, high_text = value_text.partition("..")
            low, high = _number(low_text, n), _number(high_text, n)
            if low > high:
                raise _Refused(BAD_RANGE.format(n=n, value=_restore(value_text)))
            value, tolerance = (low + high) / 2, (high - low) / 2
        elif value_text.find(":") > 0:
            value_part, _, tolerance_part = value_text.partition(":")
            value, tolerance = _number(value_part, n), _number(tolerance_part, n)
        else:
            value, tolerance = _number(value_text, n), Decimal(0)
        if tolerance < 0:
            raise _Refused(NEGATIVE_TOLERANCE.format(n=n))
        answers.append(
            {
                "value": conventions.decimal_string(value),
                "tolerance": conventions.decimal_string(tolerance),
                "fraction": weight or "1",
                "feedback": _html(feedback, fmt),
            }
        )
    if tilde:
        _, feedback = _feedback(wrong)
        answers.append({"value": "*", "tolerance": "0", "fraction": "0", "feedback": _html(feedback, fmt)})
    return {"answers": answers, "units": [], "unit_handling": "none", "unit_penalty": "0"}


_ESSAY = {"response_format": "editor", "min_words": 0, "max_words": 0, "grader_info": "", "template": ""}


def _answer_block(text: str) -> tuple[str, str | None, str]:
    """The text before the block, the block's content (None: no block), and the text after it."""
    start, finish = text.find("{"), text.find("}")
    if start == -1 and finish == -1:
        return text, None, ""
    if start == -1 or (finish != -1 and finish < start):
        raise _Refused(STRAY_CLOSE)
    if finish == -1:
        raise _Refused(BLOCK_NOT_CLOSED)
    if text.find("{", start + 1, finish) != -1:
        raise _Refused(NESTED_OPEN)
    after = text[finish + 1 :]
    if "{" in after:
        raise _Refused(TWO_BLOCKS)
    if "}" in after:
        raise _Refused(STRAY_CLOSE)
    return text[:start], text[start + 1 : finish].strip(), after


def _question(text: str, *, line: int, category: str, comments: list[str]) -> base.ParsedQuestion:
    name = ""
    if text.startswith("::"):
        end = text.find("::", 2)
        if end == -1:
            raise _Refused(TITLE_NOT_CLOSED)
        name = " ".join(_restore(text[2:end]).split())
        text = text[end + 2 :].strip()
    before, answer_text, after = _answer_block(text)
    # Missing-word format: text after the block means the block stood for a gap in the sentence.
    question_text = before + "_____" + after if after.strip() else before
    general = ""
    if answer_text is not None and "####" in answer_text:
        answer_text, _, general = answer_text.rpartition("####")
        answer_text = answer_text.strip()
    fmt, _ = _split_format(question_text, "moodle")
    question_html = _html(question_text, "moodle", paragraphs=True)
    general_html = _html(general, fmt, paragraphs=True)

    qtype: str
    data: dict[str, Any]
    if answer_text is None:
        qtype, data = "description", {}
    elif answer_text == "":
        qtype, data = "essay", dict(_ESSAY)
    elif answer_text.startswith("#"):
        qtype, data = "numerical", _numerical(answer_text, fmt)
    elif "~" in answer_text:
        qtype, data = _choice(answer_text, fmt)
    elif "=" in answer_text and "->" in answer_text:
        qtype, data = "matching", _matching(answer_text, fmt)
    elif answer_text.partition("#")[0].strip() in _TRUE | _FALSE:
        qtype, data = "truefalse", _truefalse(answer_text, fmt)
    else:
        qtype, data = "shortanswer", _shortanswer(answer_text, fmt)

    comment = "\n".join(comments)
    ids = _comment_values(_ID, comment)
    return base.ParsedQuestion(
        qtype=qtype,
        name=name or conventions.name_from_html(question_html, line=line),
        text=question_html,
        data=data,
        general_feedback=general_html,
        category=category,
        tags=[tag.replace("\\]", "]").strip() for tag in _comment_values(_TAG, comment)],
        idnumber=ids[0].replace("\\]", "]").strip() if ids else "",
        where=f"line {line}",
        line=line,
    )


def _comment_values(pattern: re.Pattern[str], comment: str) -> list[str]:
    """What `pattern` ([id:...] or [tag:...]) finds in the comments, in linear time.

    A match cannot cross a control character and ends at a "]". Searched as it is, a line of "[tag:[tag:..." with no
    "]" after them made every "[tag:" scan to the end of the line before failing: quadratic, a 100 KB file took
    minutes. So each run between control characters is cut after its last "]": every start left has a "]" ahead,
    matches, and the search moves on past it. What is found is the same.
    """
    found: list[str] = []
    for run in _CONTROL.split(comment):
        end = run.rfind("]")
        if end != -1:
            found.extend(pattern.findall(run[: end + 1]))
    return found


def _blocks(text: str) -> Iterator[_Block]:
    """The file's question blocks, lazily: a file over the question limit is refused without reading the rest."""
    current = _Block()
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.strip()
        if not line:
            if current.lines:
                yield current
            current = _Block()
        elif line.startswith("//"):
            current.comments.append(line)
        else:
            current.lines.append((number, line))
    if current.lines:
        yield current


def _title_of(text: str) -> str:
    if text.startswith("::") and (end := text.find("::", 2)) != -1:
        return " ".join(_restore(text[2:end]).split())[:255]
    return ""


class GiftFormat(base.Format):
    key = "gift"
    label = "GIFT"
    extensions = (".txt", ".gift")
    can_import = True
    can_export = False

    def parse(self, content: bytes, *, filename: str = "") -> base.ParseResult:
        refusal = conventions.too_large(content)
        if refusal is not None:
            return base.ParseResult(problems=[refusal])
        try:
            text = base.decode_text(content)
        except ValidationError:
            return base.ParseResult(problems=[base.Problem(base.NOT_TEXT)])
        if "\x00" in text:
            # PostgreSQL text cannot hold NUL, and no question file has one: the file is binary.
            return base.ParseResult(problems=[base.Problem(base.NOT_TEXT)])

        result = base.ParseResult()
        category = ""
        count = 0
        for block in _blocks(text):
            line = block.lines[0][0]
            joined = _protect("\n".join(line_text for _, line_text in block.lines))
            if joined.startswith("$CATEGORY:"):
                first, _, _rest = joined.partition("\n")
                category = conventions.category_path(_restore(first[len("$CATEGORY:") :]))
                if len(block.lines) == 1:
                    continue
                # A question written straight under its category line, without the blank line Moodle expects.
                line, joined = block.lines[1][0], _rest
            count += 1
            refusal = conventions.too_many(count)
            if refusal is not None:
                return base.ParseResult(problems=[refusal])
            try:
                result.questions.append(_question(joined, line=line, category=category, comments=block.comments))
            except _Refused as exc:
                result.problems.append(base.Problem(exc.message, line=line, question=_title_of(joined)))
        if not result.questions and not result.problems:
            result.problems.append(base.Problem(base.EMPTY))
        result.summary = SUMMARY.format(questions=conventions.questions(len(result.questions)))
        return result


base.register(GiftFormat())
