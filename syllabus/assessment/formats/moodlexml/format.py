"""Moodle XML (Moodle docs, "Moodle XML format"): import and export.

Import reads `<quiz>` with its `<question type="...">` elements (reader.py: one reader per Moodle type) and the
`category` pseudo-questions that set the category of those after them; export writes every Syllabus type
(writer.py). `<file>` elements (embedded images) are dropped — the question stays, and the summary says how many
files were left out. Every problem names the line of its `<question>` element.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from syllabus.assessment import xmlsafe
from syllabus.assessment.formats import base
from syllabus.assessment.formats import moodle as conventions
from syllabus.assessment.formats.moodlexml import reader, writer

NOT_QUIZ = "The file is not Moodle XML: its root element is <{tag}>, not <quiz>."
BAD_GRADE = "The default grade {value} is not a number."
SUMMARY = "Moodle XML file: {questions}."
FILES_DROPPED = "{count} embedded file(s) (images) left out: Syllabus does not import files from Moodle XML."
ORDERING_GRADING = (
    "{count} ordering question(s) use a Moodle grading mode Syllabus does not have: graded by right next items."
)
NAME_SHOWN = 255  # characters of a refused question's name, in its problem


def _common(element: Any, *, category: str) -> base.ParsedQuestion:
    """The fields every Moodle question has; the type's reader fills in `qtype` and `data`."""
    line = element.sourceline
    text = reader.rich(element.find("questiontext"), paragraphs=True)
    raw_grade = reader.plain(element, "defaultgrade")
    grade = conventions.parse_decimal(raw_grade) if raw_grade else Decimal(1)
    if grade is None:
        raise reader.Refused(BAD_GRADE.format(value=raw_grade[:40]))
    grade = Decimal(conventions.decimal_string(grade))  # "2.0000000" → 2
    tags = [reader.plain(tag) for tag in reader.rows(element, "tags/tag")]
    return base.ParsedQuestion(
        qtype="",
        name=" ".join(reader.plain(element, "name/text").split()) or conventions.name_from_html(text, line=line),
        text=text,
        data={},
        general_feedback=reader.rich(element.find("generalfeedback"), paragraphs=True),
        default_mark=grade,
        category=category,
        tags=[tag for tag in tags if tag],
        idnumber=reader.plain(element, "idnumber"),
        where=f"line {line}" if line else "",
        line=line,
    )


class MoodleXmlFormat(base.Format):
    key = "moodlexml"
    label = "Moodle XML"
    extensions = (".xml",)
    can_import = True
    can_export = True
    export_extension = ".xml"
    export_content_type = "application/xml"

    def parse(self, content: bytes, *, filename: str = "") -> base.ParseResult:
        refusal = conventions.too_large(content)
        if refusal is not None:
            return base.ParseResult(problems=[refusal])
        try:
            root = xmlsafe.parse(content)
        except xmlsafe.UnsafeXML as exc:
            return base.ParseResult(problems=[base.Problem(str(exc))])
        if root.tag != "quiz":
            tag = root.tag if isinstance(root.tag, str) else "?"
            return base.ParseResult(problems=[base.Problem(NOT_QUIZ.format(tag=tag[:60]))])
        elements = [child for child in root if child.tag == "question"]
        refusal = conventions.too_many(sum(1 for element in elements if element.get("type") != "category"))
        if refusal is not None:
            return base.ParseResult(problems=[refusal])

        result = base.ParseResult()
        notes = reader.Notes()
        category = ""
        for element in elements:
            moodle_type = element.get("type")
            if moodle_type == "category":
                category = conventions.category_path(reader.plain(element, "category/text"))
                continue
            name = " ".join(reader.plain(element, "name/text").split())[:NAME_SHOWN]
            try:
                if not moodle_type:
                    raise reader.Refused(reader.NO_TYPE)
                read = reader.READERS.get(moodle_type)
                if read is None:
                    raise reader.Refused(reader.UNSUPPORTED_TYPE.format(qtype=moodle_type[:60]))
                question = _common(element, category=category)
                question.qtype, question.data = read(element, notes)
            except reader.Refused as exc:
                result.problems.append(base.Problem(exc.message, line=element.sourceline, question=name))
                continue
            notes.files += sum(1 for _ in element.iter("file"))
            result.questions.append(question)
        if not result.questions and not result.problems:
            result.problems.append(base.Problem(base.EMPTY))
        summary = [SUMMARY.format(questions=conventions.questions(len(result.questions)))]
        if notes.files:
            summary.append(FILES_DROPPED.format(count=notes.files))
        if notes.ordering_grading:
            summary.append(ORDERING_GRADING.format(count=notes.ordering_grading))
        result.summary = " ".join(summary)
        return result

    def export(self, questions: Iterable[base.ExportedQuestion]) -> bytes:
        return writer.write(questions)

    def unsupported(self, qtype: str) -> bool:
        return qtype not in writer.WRITERS


base.register(MoodleXmlFormat())
