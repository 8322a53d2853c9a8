"""IMS QTI 1.2 import, as Canvas (classic quizzes, question banks) and Blackboard (tests and pools) export it.

A `.xml`/`.dat`/`.qti` file is one `questestinterop`; a `.zip` is the export package: the files its imsmanifest.xml
lists as QTI 1.2 (Canvas's `imsqti_xmlv1p2`, Blackboard's `assessment/x-bb-qti-pool` and `-test`), or, without a
manifest, every XML file in it that is QTI 1.2. The assessment's and sections' titles become the category path
(Canvas's "root_section" left out). reading.py reads each item; QTI 2.x is refused with a pointer to the QTI 2
format, and anything else with what was found.
"""

from __future__ import annotations

import posixpath
from typing import Any

from django.utils.translation import gettext_lazy as _

from syllabus.assessment import archives, xmlsafe
from syllabus.assessment.formats import base
from syllabus.assessment.formats.qti2 import manifest as cp
from syllabus.assessment.formats.qti2.markup import children, found, kind_of, local
from syllabus.assessment.formats.qti12.reading import read_item

QTI2_HERE = "This is QTI 2.x: import it with the IMS QTI 2.1 / 2.2 format."
QTI3_REFUSED = "QTI 3.0 is not supported; export QTI 2.1 or 2.2."
NOT_QTI12 = "This is not QTI 1.2: the file holds {found}, not <questestinterop>."
NO_QTI12 = "The package holds no QTI 1.2 file."

# Package files worth a look when there is no manifest (Blackboard names its pools res00001.dat).
CANDIDATE_EXTENSIONS = (".xml", ".dat", ".qti")
MAX_CANDIDATES = 200
# Section titles that are containers, not categories.
NOT_CATEGORIES = frozenset({"root_section", ""})


def _refusal(root: Any) -> str:
    kind = kind_of(root)
    if kind in {"item", "test", "qti20"}:
        return QTI2_HERE
    if kind == "qti3":
        return QTI3_REFUSED
    return NOT_QTI12.format(found=found(root))


def _flavour(root: Any) -> str:
    for element in root.iter():
        name = local(element)
        if name.startswith("bbmd_"):
            return "Blackboard"
        if name == "fieldlabel" and (element.text or "").strip() == "question_type":
            return "Canvas"
    return ""


class Qti12Format(base.Format):
    key = "qti12"
    label = _("IMS QTI 1.2 (Canvas, Blackboard)")
    extensions = (".xml", ".zip", ".dat", ".qti")

    def parse(self, content: bytes, *, filename: str = "") -> base.ParseResult:
        result = base.ParseResult()
        if len(content) > base.MAX_FILE_BYTES:
            result.problems.append(base.Problem(base.TOO_LARGE.format(limit=base.MAX_FILE_BYTES // (1024 * 1024))))
            return result
        flavours: set[str] = set()
        if archives.is_zip(content):
            self._package(content, result, flavours)
        else:
            try:
                root = xmlsafe.parse(content)
            except xmlsafe.UnsafeXML as exc:
                result.problems.append(base.Problem(str(exc), where=filename))
                return result
            if kind_of(root) != "qti12":
                result.problems.append(base.Problem(_refusal(root), where=filename))
                return result
            self._document(root, filename, result, flavours)
        if not result.questions and not result.problems:
            result.problems.append(base.Problem(base.EMPTY))
        who = f" ({', '.join(sorted(flavours))})" if flavours else ""
        result.summary = f"QTI 1.2{who}, {len(result.questions)} items"
        return result

    def _package(self, content: bytes, result: base.ParseResult, flavours: set[str]) -> None:
        try:
            package = archives.SafeZip(content)
        except archives.UnsafeArchive as exc:
            result.problems.append(base.Problem(str(exc)))
            return
        try:
            paths = self._listed(package)
        except (xmlsafe.UnsafeXML, archives.UnsafeArchive) as exc:
            # UnsafeArchive too: a manifest that cannot be read (damaged, larger than declared) escaped `parse`.
            result.problems.append(base.Problem(str(exc), where=cp.MANIFEST))
            return
        refusals: list[str] = []
        read = 0
        for path in paths:
            try:
                root = xmlsafe.parse(package.read(path))
            except (archives.UnsafeArchive, xmlsafe.UnsafeXML) as exc:
                result.problems.append(base.Problem(str(exc), where=path))
                continue
            if kind_of(root) != "qti12":
                refusals.append(_refusal(root))
                continue
            read += 1
            self._document(root, path, result, flavours)
        if not read and not result.problems:
            message = QTI2_HERE if QTI2_HERE in refusals else (QTI3_REFUSED if QTI3_REFUSED in refusals else NO_QTI12)
            result.problems.append(base.Problem(message))

    def _listed(self, package: archives.SafeZip) -> list[str]:
        """The package's QTI 1.2 candidates: what the manifest lists as QTI, else its XML-ish files."""
        try:
            _path, resources = cp.read_resources(package)
        except cp.ManifestError:
            resources = []
        listed: dict[str, None] = {}  # in manifest order; a dict, not a list searched for each of many file refs
        for resource in resources:
            kind = resource.type.lower()
            if "qti" not in kind:
                continue
            for path in [resource.href, *resource.files]:
                if path and path in package and path.lower().endswith(CANDIDATE_EXTENSIONS):
                    listed.setdefault(path, None)
        if not listed:
            return [
                n
                for n in package.names
                if n.lower().endswith(CANDIDATE_EXTENSIONS) and posixpath.basename(n) != cp.MANIFEST
            ][:MAX_CANDIDATES]
        return list(listed)[:MAX_CANDIDATES]

    def _document(self, root: Any, path: str, result: base.ParseResult, flavours: set[str]) -> None:
        flavour = _flavour(root)
        if flavour:
            flavours.add(flavour)
        self._walk(root, [], path, result)

    def _walk(self, node: Any, categories: list[str], path: str, result: base.ParseResult) -> None:
        for element in children(node):
            name = local(element)
            if name in {"assessment", "section", "objectbank"}:
                title = " ".join((element.get("title") or "").split())
                deeper = categories if title in NOT_CATEGORIES else [*categories, title]
                self._walk(element, deeper, path, result)
            elif name == "item":
                if len(result.questions) >= base.MAX_QUESTIONS:
                    if not any(p.message.startswith("The file holds more than") for p in result.problems):
                        result.problems.append(base.Problem(base.TOO_MANY.format(limit=base.MAX_QUESTIONS)))
                    return
                question, problems = read_item(element, category="/".join(categories)[:500])
                for problem in problems:
                    result.problems.append(
                        base.Problem(
                            problem.message,
                            line=problem.line,
                            where=f"{path}, {problem.where}" if path and problem.where else (problem.where or path),
                            question=problem.question,
                        )
                    )
                if question is not None:
                    if path and not question.where.startswith(path):
                        question.where = f"{path}, {question.where}" if question.where else path
                    result.questions.append(question)


base.register(Qti12Format())
