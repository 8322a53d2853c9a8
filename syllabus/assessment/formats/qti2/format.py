"""IMS QTI 2.1 / 2.2: import single items and content packages, export QTI 2.1 packages.

A single `.xml` is one `assessmentItem`; a `.zip` is a content package whose imsmanifest.xml lists the items
(resources of type imsqti_item_xmlv2p1 / imsqti_item_xmlv2p2). An item that cannot be read becomes a Problem naming
its file and identifier; the others are still offered. QTI 3.0, 2.0 and 1.2 are recognised and refused with the
way forward (QTI 1.2 is the `qti12` format's). reading.py maps interactions to types, writing.py writes them.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext_lazy as _

from syllabus.assessment import archives, xmlsafe
from syllabus.assessment.formats import base
from syllabus.assessment.formats.qti2 import manifest as cp
from syllabus.assessment.formats.qti2.markup import VERSIONS, children, found, kind_of, local, namespace
from syllabus.assessment.formats.qti2.reading import read_item
from syllabus.assessment.formats.qti2.writing import WRITABLE, write_package

QTI3_REFUSED = "QTI 3.0 is not supported; export QTI 2.1 or 2.2."
QTI20_REFUSED = "QTI 2.0 is not supported; export QTI 2.1 or 2.2."
QTI12_HERE = "This is QTI 1.2 (as Canvas and Blackboard export it): import it with the QTI 1.2 format."
TEST_ALONE = "This is a QTI test, which only points to its items: upload the whole package (.zip) instead."
MANIFEST_ALONE = "This is a package manifest: upload the whole package (.zip) instead."
NOT_QTI = "This is not a QTI 2.1 or 2.2 item: the file holds {found}."
NO_ITEMS = "The package lists no QTI 2.1 or 2.2 items."
ITEM_MISSING = "The manifest lists {href}, which is not in the package."
ITEM_OUTSIDE = "The manifest lists an item outside the package ({href})."

ITEM_TYPES = ("imsqti_item_xmlv2p1", "imsqti_item_xmlv2p2")
TEST_TYPES = ("imsqti_test_xmlv2p1", "imsqti_test_xmlv2p2")


def _refusal(root: Any) -> str | None:
    """Why this document is not a QTI 2.1/2.2 item (None when it is one)."""
    kind = kind_of(root)
    return {
        "item": None,
        "qti3": QTI3_REFUSED,
        "qti20": QTI20_REFUSED,
        "qti12": QTI12_HERE,
        "test": TEST_ALONE,
        "manifest": MANIFEST_ALONE,
    }.get(kind, NOT_QTI.format(found=found(root)))


def _where(path: str, identifier: str) -> str:
    if path and identifier:
        return f"{path} (item {identifier})"
    return path or (f"item {identifier}" if identifier else "")


def _package_refusal(resources: list[cp.Resource]) -> str:
    types = " ".join(r.type.lower() for r in resources)
    if "v3p0" in types:
        return QTI3_REFUSED
    if "v1p2" in types or "x-bb-qti" in types:
        return QTI12_HERE
    if "v2p0" in types:
        return QTI20_REFUSED
    return NO_ITEMS


class Qti2Format(base.Format):
    key = "qti2"
    label = _("IMS QTI 2.1 / 2.2")
    extensions = (".xml", ".zip")
    can_export = True
    export_extension = ".zip"
    export_content_type = "application/zip"

    def parse(self, content: bytes, *, filename: str = "") -> base.ParseResult:
        result = base.ParseResult()
        if len(content) > base.MAX_FILE_BYTES:
            result.problems.append(base.Problem(base.TOO_LARGE.format(limit=base.MAX_FILE_BYTES // (1024 * 1024))))
            return result
        if archives.is_zip(content):
            self._package(content, result)
        else:
            self._single(content, filename, result)
        if not result.questions and not result.problems:
            result.problems.append(base.Problem(base.EMPTY))
        return result

    def _single(self, content: bytes, filename: str, result: base.ParseResult) -> None:
        try:
            root = xmlsafe.parse(content)
        except xmlsafe.UnsafeXML as exc:
            result.problems.append(base.Problem(str(exc), where=filename))
            return
        refusal = _refusal(root)
        if refusal:
            result.problems.append(base.Problem(refusal, where=filename))
            return
        self._item(root, filename, result)
        result.summary = f"QTI {VERSIONS[namespace(root)]} item"

    def _item(self, root: Any, path: str, result: base.ParseResult) -> base.ParsedQuestion | None:
        where = _where(path, (root.get("identifier") or "").strip()[:100])
        question, problems = read_item(root, where=where, path=path)
        result.problems.extend(problems)
        if question is not None:
            result.questions.append(question)
        return question

    def _package(self, content: bytes, result: base.ParseResult) -> None:
        try:
            package = archives.SafeZip(content)
            manifest_path, resources = cp.read_resources(package)
        except (archives.UnsafeArchive, cp.ManifestError) as exc:
            result.problems.append(base.Problem(str(exc)))
            return
        except xmlsafe.UnsafeXML as exc:
            result.problems.append(base.Problem(str(exc), where=cp.MANIFEST))
            return
        items = [r for r in resources if r.type.lower() in ITEM_TYPES]
        if not items:
            result.problems.append(base.Problem(_package_refusal(resources), where=manifest_path))
            return
        if len(items) > base.MAX_QUESTIONS:
            result.problems.append(base.Problem(base.TOO_MANY.format(limit=base.MAX_QUESTIONS)))
            return
        categories = self._categories(package, resources, result)
        versions: set[str] = set()
        seen: set[str] = set()
        for resource in items:
            if not resource.href:
                result.problems.append(
                    base.Problem(ITEM_OUTSIDE.format(href=resource.raw_href or "(none)"), where=manifest_path)
                )
                continue
            if resource.href in seen:
                continue
            seen.add(resource.href)
            if resource.href not in package:
                result.problems.append(base.Problem(ITEM_MISSING.format(href=resource.href), where=resource.href))
                continue
            try:
                root = xmlsafe.parse(package.read(resource.href))
            except (archives.UnsafeArchive, xmlsafe.UnsafeXML) as exc:
                result.problems.append(base.Problem(str(exc), where=resource.href))
                continue
            refusal = _refusal(root)
            if refusal:
                result.problems.append(base.Problem(refusal, where=resource.href))
                continue
            versions.add(VERSIONS[namespace(root)])
            question = self._item(root, resource.href, result)
            if question is not None:
                question.tags = resource.keywords[:30]
                question.difficulty = resource.difficulty
                question.category = categories.get(resource.href, "")
        label = " / ".join(sorted(versions)) or "2.x"
        result.summary = f"QTI {label} package, {len(result.questions)} items"

    def _categories(
        self, package: archives.SafeZip, resources: list[cp.Resource], result: base.ParseResult
    ) -> dict[str, str]:
        """Item path → category, from the sections of the package's tests (the Syllabus exporter writes one
        section per category)."""
        categories: dict[str, str] = {}
        for resource in resources:
            if resource.type.lower() not in TEST_TYPES or not resource.href or resource.href not in package:
                continue
            try:
                root = xmlsafe.parse(package.read(resource.href))
            except (archives.UnsafeArchive, xmlsafe.UnsafeXML) as exc:
                result.problems.append(base.Problem(str(exc), where=resource.href))
                continue
            if kind_of(root) != "test":
                continue
            folder = posixpath.dirname(resource.href)
            for part in children(root, "testPart"):
                for section in children(part, "assessmentSection"):
                    self._section(section, folder, [], categories)
        return categories

    def _section(self, section: Any, folder: str, path: list[str], categories: dict[str, str]) -> None:
        title = " ".join((section.get("title") or "").split())
        here = path if section.get("identifier") == "uncategorised" or not title else [*path, title]
        for element in section:
            name = local(element)
            if name == "assessmentSection":
                self._section(element, folder, here, categories)
            elif name == "assessmentItemRef":
                target = cp.resolve(folder, element.get("href") or "")
                if target:
                    categories.setdefault(target, "/".join(here)[:500])

    def export(self, questions: Iterable[base.ExportedQuestion]) -> bytes:
        return write_package(questions)

    def unsupported(self, qtype: str) -> bool:
        return qtype not in WRITABLE


base.register(Qti2Format())
