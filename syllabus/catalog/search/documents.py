"""What the catalog stores about a published version: the filterable fields and the text the index reads.

Pure functions of a snapshot (catalog/README.md, "Snapshot format"), so `index_course` and the bulk scale
generator build exactly the same entries.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from syllabus.catalog.activity_kinds import base as kinds
from syllabus.catalog.richtext import html_to_text

# The index reads at most this much text of a course: enough for any real course, and it keeps one huge page from
# making a row PostgreSQL's tsvector cannot hold (1 MB).
MAX_DOCUMENT_CHARS = 200_000
MAX_TAGS_CHARS = 1000


@dataclass(frozen=True)
class EntryValues:
    """A CatalogEntry's fields as the snapshot says; ids still to be checked against the database."""

    title: str
    summary: str
    category_id: int | None
    language: str
    level: str
    duration_minutes: int
    visibility: str
    audience_id: int | None
    skill_ids: tuple[int, ...]
    tags: str
    document: str


def entry_values(snapshot: Mapping[str, Any]) -> EntryValues:
    category = snapshot.get("category") or {}
    return EntryValues(
        title=str(snapshot.get("title", ""))[:200],
        summary=str(snapshot.get("summary") or "")[:500],
        category_id=category.get("id"),
        language=str(snapshot.get("language") or "en")[:16],
        level=str(snapshot.get("level") or "beginner"),
        duration_minutes=max(0, int(snapshot.get("duration_minutes") or 0)),
        visibility=str(snapshot.get("visibility") or "organization"),
        audience_id=snapshot.get("audience_id"),
        skill_ids=tuple(int(skill["id"]) for skill in snapshot.get("skills") or ()),
        tags=tags_text(snapshot)[:MAX_TAGS_CHARS],
        document=document_text(snapshot),
    )


def tags_text(snapshot: Mapping[str, Any]) -> str:
    return ", ".join(str(tag) for tag in snapshot.get("tags") or ())


def document_text(snapshot: Mapping[str, Any]) -> str:
    """Everything a learner could search a course by, as plain text, in outline order."""
    text = "\n".join(part for part in _document_parts(snapshot) if part)
    return text[:MAX_DOCUMENT_CHARS]


def _document_parts(snapshot: Mapping[str, Any]) -> Iterator[str]:
    yield str(snapshot.get("title", ""))
    yield str(snapshot.get("summary") or "")
    yield html_to_text(str(snapshot.get("description") or ""))
    yield tags_text(snapshot)
    for section in snapshot.get("sections") or ():
        yield str(section.get("title", ""))
        yield str(section.get("summary") or "")
        for activity in section.get("activities") or ():
            yield str(activity.get("title", ""))
            yield activity_text(activity)


def activity_text(activity: Mapping[str, Any]) -> str:
    """The kind's own search text for an activity; nothing for a kind this site does not have (any more)."""
    kind = str(activity.get("kind", ""))
    if not kinds.is_registered(kind):
        return ""
    return kinds.get(kind).search_text(activity.get("config") or {}) or ""
