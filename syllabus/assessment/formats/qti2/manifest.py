"""IMS content packages (`imsmanifest.xml`): which files of a zip are QTI items or tests, and their metadata.

Shared by the QTI 2 format and the QTI 1.2 importer (Canvas and Blackboard exports are content packages too).
Every href is resolved against the manifest's folder (and `xml:base`) and must stay inside the package.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from syllabus.assessment import archives, xmlsafe
from syllabus.assessment.formats.qti2.markup import child, children, descendants, local, plain

MANIFEST = "imsmanifest.xml"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
BB_FILE = "{http://www.blackboard.com/content-packaging/}file"

NO_MANIFEST = "The package has no imsmanifest.xml: it is not an IMS content package."
NOT_A_MANIFEST = "imsmanifest.xml is not a content package manifest: its root element is <{tag}>."
BAD_HREF = "The manifest points outside the package ({href})."

# LOM's difficulty vocabulary, which Syllabus's five levels map onto one to one.
DIFFICULTIES = ("very easy", "easy", "medium", "difficult", "very difficult")


class ManifestError(ValueError):
    """The manifest is missing or unusable; the message is for the author."""


@dataclass
class Resource:
    identifier: str
    type: str
    href: str  # resolved path inside the package ("" when it names none or points outside)
    raw_href: str = ""
    files: list[str] = field(default_factory=list)
    dependencies: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    difficulty: int | None = None
    element: Any = None


def find_manifest(package: archives.SafeZip) -> str:
    """The manifest's path: at the root, or else the shallowest one (a package zipped with its folder)."""
    if MANIFEST in package:
        return MANIFEST
    found = sorted((n for n in package.names if posixpath.basename(n) == MANIFEST), key=lambda n: n.count("/"))
    if not found:
        raise ManifestError(NO_MANIFEST)
    return found[0]


def resolve(base: str, href: str) -> str | None:
    """`href` (relative, maybe %-encoded) as a path inside the package, or None if it leaves it or is a URL."""
    if not href:
        return None
    parts = urlsplit(href.strip())
    if parts.scheme or parts.netloc:
        return None
    joined = posixpath.join(base, unquote(parts.path)) if base else unquote(parts.path)
    return archives.safe_name(posixpath.normpath(joined)) if joined else None


def read_resources(package: archives.SafeZip) -> tuple[str, list[Resource]]:
    """(manifest path, its resources). ManifestError or xmlsafe.UnsafeXML (with the manifest's message) if unusable."""
    path = find_manifest(package)
    root = xmlsafe.parse(package.read(path))
    if local(root) != "manifest":
        raise ManifestError(NOT_A_MANIFEST.format(tag=local(root)[:60]))
    folder = posixpath.dirname(path)
    resources: list[Resource] = []
    for holder in children(root, "resources"):
        base = _join_base(folder, root.get(XML_BASE), holder.get(XML_BASE))
        for element in children(holder, "resource"):
            own = _join_base(base, element.get(XML_BASE))
            href_attr = element.get("href") or ""
            href = resolve(own, href_attr) or ""
            if not href_attr and element.get(BB_FILE):
                # Blackboard names the pool file beside the manifest; its xml:base is the folder of attachments.
                href_attr = element.get(BB_FILE) or ""
                href = resolve(base, href_attr) or ""
            files = [f for f in (resolve(own, e.get("href") or "") for e in children(element, "file")) if f]
            if not href and files:
                href = files[0]
            resources.append(
                Resource(
                    identifier=element.get("identifier") or "",
                    type=(element.get("type") or "").strip(),
                    href=href,
                    raw_href=href_attr[:200],
                    files=files,
                    dependencies=[d.get("identifierref") or "" for d in children(element, "dependency")],
                    keywords=_keywords(element),
                    difficulty=_difficulty(element),
                    element=element,
                )
            )
    return path, resources


def _join_base(folder: str, *bases: str | None) -> str:
    for base in bases:
        if base:
            folder = posixpath.join(folder, base)
    return folder


def _keywords(resource: Any) -> list[str]:
    metadata = child(resource, "metadata")
    if metadata is None:
        return []
    words: list[str] = []
    for keyword in descendants(metadata, "keyword"):
        strings = descendants(keyword, "string") or descendants(keyword, "langstring") or [keyword]
        words.extend(w for w in (plain(s) for s in strings) if w)
    return words


def _difficulty(resource: Any) -> int | None:
    metadata = child(resource, "metadata")
    if metadata is None:
        return None
    for element in descendants(metadata, "difficulty"):
        values = descendants(element, "value") or [element]
        for value in values:
            word = plain(value).lower()
            if word in DIFFICULTIES:
                return DIFFICULTIES.index(word) + 1
    return None
