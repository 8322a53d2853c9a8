"""The diff between two snapshots as the pages show it: one row per change, in words, each changed field as an
inline word diff (`<del>`/`<ins>` with visually hidden "removed"/"added" labels, so colour is never the only
cue). Used by the submit page, the review page and the restore confirmation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from syllabus.catalog import versions
from syllabus.catalog.views_authoring.reads import kind_label, rule_label


@dataclass
class FieldRow:
    label: str
    words: list[tuple[str, str]]


@dataclass
class DiffRow:
    target: str
    action: str
    heading: str
    uid: str
    structural: bool
    fields: list[FieldRow] = field(default_factory=list)


def _heading(change: versions.Change) -> str:
    title = change.title
    kind = kind_label(change.kind) if change.kind else ""
    if change.target == "course":
        return _("Course details changed")
    headings = {
        ("section", "added"): _("Section added: %(title)s"),
        ("section", "removed"): _("Section removed: %(title)s"),
        ("section", "changed"): _("Section changed: %(title)s"),
        ("section", "moved"): _("Section moved: %(title)s"),
        ("activity", "added"): _("Activity added: %(title)s (%(kind)s)"),
        ("activity", "removed"): _("Activity removed: %(title)s (%(kind)s)"),
        ("activity", "changed"): _("Activity changed: %(title)s (%(kind)s)"),
        ("activity", "moved"): _("Activity moved: %(title)s (%(kind)s)"),
    }
    template = headings.get((change.target, change.action), "%(title)s")
    return template % {"title": title, "kind": kind}


def diff_rows(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[DiffRow]:
    return [
        DiffRow(
            target=change.target,
            action=change.action,
            heading=_heading(change),
            uid=change.uid,
            structural=change.structural,
            fields=[FieldRow(label=f.label, words=f.words) for f in change.fields],
        )
        for change in versions.diff(old, new)
    ]


def anchors(snapshot: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(uid, label) of every section and activity of a snapshot: what a review comment may be about."""
    out: list[tuple[str, str]] = []
    for section in snapshot.get("sections", []):
        out.append((section["uid"], _("Section: %(title)s") % {"title": section["title"]}))
        for activity in section.get("activities", []):
            out.append((activity["uid"], f"— {activity['title']}"))
    return out


def outline_of(snapshot: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A snapshot's sections and activities with readable kind and completion labels (read-only rendering)."""
    return [
        {
            "uid": section["uid"],
            "title": section["title"],
            "summary": section.get("summary", ""),
            "activities": [
                {
                    "uid": activity["uid"],
                    "title": activity["title"],
                    "kind_label": kind_label(activity["kind"]),
                    "rule_label": rule_label(activity["kind"], activity.get("completion") or {}),
                    "is_required": activity.get("is_required", True),
                    "duration_minutes": activity.get("duration_minutes", 0),
                }
                for activity in section.get("activities", [])
            ],
        }
        for section in snapshot.get("sections", [])
    ]
