"""Aiken, the simplest multiple-choice format (Moodle docs, "Aiken format"). Import only.

    What is the capital of France?
    A) Lyon
    B. Paris
    ANSWER: B

A question is its text (one or more lines), then options "A) ..." or "A. ..." (a capital letter, a ")" or ".",
a space), then "ANSWER: <letter>". Blank lines are ignored, as Moodle ignores them. Every question becomes a
`single` question; text is plain and escaped into HTML. Every problem names the line its question starts on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from syllabus.assessment.formats import base
from syllabus.assessment.formats import moodle as conventions

NO_ANSWER_LINE = "The question has no ANSWER: line after its options."
TOO_FEW_OPTIONS = "The question needs at least two options, written A) ... or A. ..."
ANSWER_NOT_AN_OPTION = "ANSWER: {letter} names none of the question's options."
BAD_ANSWER = "Write the answer as one option letter, such as ANSWER: B."
DUPLICATE_OPTION = "Option {letter} appears twice."
OPTION_WITHOUT_QUESTION = "Option {letter} comes before any question text."
ANSWER_WITHOUT_QUESTION = "This ANSWER: line follows no question."
SUMMARY = "Aiken file: {questions}."

# One pattern for both kinds of line (a 20 MB file is millions of lines): group 1 is an ANSWER line's letter,
# groups 2 and 3 an option's letter and text.
_LINE = re.compile(r"^(?:(?i:ANSWER)\s*:\s*(.*)|([A-Z])[.)][ \t]+(\S.*))$")
_LETTER = re.compile(r"^[A-Za-z]$")


class _Refused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class _Draft:
    line: int
    text: list[str] = field(default_factory=list)
    options: dict[str, str] = field(default_factory=dict)  # letter → text, in the file's order
    # A problem found while reading it (an option before any text), reported when the question ends.
    problem: str = ""


def _question(draft: _Draft, answer: str) -> base.ParsedQuestion:
    if draft.problem:
        raise _Refused(draft.problem)
    if len(draft.options) < 2:
        raise _Refused(TOO_FEW_OPTIONS)
    answer = answer.strip()
    if not _LETTER.match(answer):
        raise _Refused(BAD_ANSWER)
    if answer.upper() not in draft.options:
        raise _Refused(ANSWER_NOT_AN_OPTION.format(letter=answer.upper()))
    text = conventions.plain_to_html("\n".join(draft.text), paragraphs=True)
    options = [
        {
            "text": conventions.plain_to_html(option, paragraphs=False),
            "fraction": "1" if letter == answer.upper() else "0",
            "feedback": "",
        }
        for letter, option in draft.options.items()
    ]
    return base.ParsedQuestion(
        qtype="single",
        name=conventions.name_from_html(text, line=draft.line),
        text=text,
        # The file letters its options A, B, C...: keep that numbering (Moodle shuffles them too, by default).
        data={"options": options, "shuffle": True, "numbering": "ABCD"},
        where=f"line {draft.line}",
        line=draft.line,
    )


class AikenFormat(base.Format):
    key = "aiken"
    label = "Aiken"
    extensions = (".txt",)
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
            return base.ParseResult(problems=[base.Problem(base.NOT_TEXT)])

        result = base.ParseResult()
        count, limit = 0, base.MAX_QUESTIONS
        draft: _Draft | None = None

        def finish(current: _Draft, answer: str | None) -> None:
            nonlocal count
            count += 1
            try:
                if answer is None:
                    raise _Refused(current.problem or NO_ANSWER_LINE)
                result.questions.append(_question(current, answer))
            except _Refused as exc:
                result.problems.append(base.Problem(exc.message, line=current.line))

        for number, raw in enumerate(text.split("\n"), 1):
            line = raw.strip()
            if not line:
                continue
            match = _LINE.match(line)
            if match and match.group(2) is None:
                if draft is None:
                    result.problems.append(base.Problem(ANSWER_WITHOUT_QUESTION, line=number))
                else:
                    finish(draft, match.group(1))
                    draft = None
            elif match:
                letter = match.group(2)
                if draft is None:
                    draft = _Draft(line=number, problem=OPTION_WITHOUT_QUESTION.format(letter=letter))
                if letter in draft.options:
                    # A letter can come once: that also keeps a question to 26 options, however long the file.
                    draft.problem = draft.problem or DUPLICATE_OPTION.format(letter=letter)
                else:
                    draft.options[letter] = match.group(3).strip()
            elif draft is None:
                draft = _Draft(line=number, text=[line])
            elif draft.options:
                # Text after the options: the previous question lost its ANSWER line, and this one starts here.
                finish(draft, None)
                draft = _Draft(line=number, text=[line])
            else:
                draft.text.append(line)
            if count > limit:
                break
        if draft is not None and count <= limit:
            finish(draft, None)
        if (refusal := conventions.too_many(count)) is not None:
            return base.ParseResult(problems=[refusal])
        if not result.questions and not result.problems:
            result.problems.append(base.Problem(base.EMPTY))
        result.summary = SUMMARY.format(questions=conventions.questions(len(result.questions)))
        return result


base.register(AikenFormat())
