"""Snapshots of a course, how two of them differ, and whether the difference is a major or a minor change.

A snapshot is plain JSON (format in catalog/README.md) so a published version can never change under a learner:
it does not follow later edits of sections, activities, categories or skills.

Major or minor: a change is **major** when it changes what a learner must do to complete the course — a section
or an activity added or removed, an activity's kind, completion rule or "required" flag changed. Everything else
(text, titles, media swaps, order, metadata) is **minor**: in-progress learners move to it automatically.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from syllabus.catalog import richtext
from syllabus.catalog.activity_kinds import base as kinds
from syllabus.catalog.models import Activity, Course, CourseVersion, Level, Section, Visibility

SCHEMA = 1
MAJOR = CourseVersion.Change.MAJOR.value
MINOR = CourseVersion.Change.MINOR.value

METADATA_LABELS: dict[str, Any] = {
    "title": _("Title"),
    "summary": _("Summary"),
    "description": _("Description"),
    "cover_asset_id": _("Cover image"),
    "category": _("Category"),
    "tags": _("Tags"),
    "skills": _("Skills"),
    "language": _("Language"),
    "level": _("Level"),
    "duration_minutes": _("Estimated duration"),
    "visibility": _("Visible to"),
    "audience_id": _("Audience"),
}


def build_snapshot(course: Course) -> dict[str, Any]:
    """The draft as JSON, in a constant number of queries."""
    course = (
        Course.objects.select_related("category")
        .prefetch_related(
            "tags",
            "skills",
            Prefetch(
                "sections",
                queryset=Section.objects.order_by("position", "pk").prefetch_related(
                    Prefetch(
                        "activities", queryset=Activity.objects.order_by("position", "pk").prefetch_related("skills")
                    )
                ),
            ),
        )
        .get(pk=course.pk)
    )
    return {
        "schema": SCHEMA,
        "title": course.title,
        "summary": course.summary,
        "description": course.description,
        "cover_asset_id": course.cover_id,
        "category": {"id": course.category.pk, "name": course.category.name} if course.category else None,
        "tags": sorted(tag.name for tag in course.tags.all()),
        "skills": sorted(({"id": s.pk, "name": s.name} for s in course.skills.all()), key=lambda s: s["name"]),
        "language": course.language,
        "level": course.level,
        "duration_minutes": course.duration_minutes,
        "visibility": course.visibility,
        "audience_id": course.audience_id,
        "sections": [
            {
                "uid": str(section.uid),
                "title": section.title,
                "summary": section.summary,
                "activities": [activity_snapshot(activity) for activity in section.activities.all()],
            }
            for section in course.sections.all()
        ],
    }


def activity_snapshot(activity: Activity) -> dict[str, Any]:
    return {
        "uid": str(activity.uid),
        "kind": activity.kind,
        "title": activity.title,
        "config": activity.config,
        "completion": activity.completion,
        "is_required": activity.is_required,
        "duration_minutes": activity.duration_minutes,
        "skills": sorted(skill.pk for skill in activity.skills.all()),
    }


def activities(snapshot: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every activity of a snapshot in outline order, each with its section's uid under "section_uid"."""
    out = []
    for section in snapshot.get("sections", []):
        for activity in section.get("activities", []):
            out.append({**activity, "section_uid": section["uid"]})
    return out


def find_activity(snapshot: Mapping[str, Any], uid: str) -> dict[str, Any] | None:
    for activity in activities(snapshot):
        if activity["uid"] == str(uid):
            return activity
    return None


def asset_ids(snapshot: Mapping[str, Any]) -> list[int]:
    """The uploads a snapshot refers to: what a learner of that version may download."""
    ids: set[int] = set()
    if snapshot.get("cover_asset_id"):
        ids.add(int(snapshot["cover_asset_id"]))
    for activity in activities(snapshot):
        if kinds.is_registered(activity["kind"]):
            ids.update(kinds.get(activity["kind"]).asset_ids(activity.get("config") or {}))
    # Images shown in the description belong to the version too (only images: a pasted asset path in the text
    # must not publish a file the reviewer never saw).
    ids.update(richtext.asset_ids_in(snapshot.get("description") or ""))
    return sorted(ids)


def _structure(snapshot: Mapping[str, Any] | None) -> tuple[frozenset[str], dict[str, tuple[Any, ...]]]:
    if not snapshot:
        return frozenset(), {}
    sections = frozenset(section["uid"] for section in snapshot.get("sections", []))
    acts = {
        activity["uid"]: (
            activity["kind"],
            tuple(sorted((activity.get("completion") or {}).items())),
            bool(activity.get("is_required", True)),
        )
        for activity in activities(snapshot)
    }
    return sections, acts


def classify(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> str:
    """ "major" or "minor" (see the module docstring). A first version is major."""
    if old is None:
        return MAJOR
    return MINOR if _structure(old) == _structure(new) else MAJOR


# --- diff ---------------------------------------------------------------------------------------------------------


@dataclass
class FieldChange:
    name: str
    label: str
    before: str
    after: str

    @property
    def words(self) -> list[tuple[str, str]]:
        return word_diff(self.before, self.after)


@dataclass
class Change:
    """One change between two snapshots: course metadata, or one section or activity added/removed/changed/moved."""

    target: str  # "course", "section", "activity"
    action: str  # "changed", "added", "removed", "moved"
    uid: str = ""
    title: str = ""
    kind: str = ""
    structural: bool = False
    fields: list[FieldChange] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "action": self.action,
            "uid": self.uid,
            "title": self.title,
            "kind": self.kind,
            "structural": self.structural,
            "fields": [{"name": f.name, "label": f.label, "before": f.before, "after": f.after} for f in self.fields],
        }


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict) and "name" in value:
        return str(value["name"])
    if isinstance(value, list):
        return ", ".join(_text(item) for item in value)
    return str(value)


def _html_text(value: str) -> str:
    # Whitespace in HTML source is not content (an editor re-saving the same text wraps lines differently):
    # collapse it first, so only block boundaries become line breaks.
    return richtext.html_to_text(re.sub(r"\s+", " ", value))


def _metadata_values(snapshot: Mapping[str, Any]) -> dict[str, str]:
    """The course fields of a snapshot as a reviewer reads them (names and labels, never stored codes or ids)."""
    audience_id = snapshot.get("audience_id")
    audience = ""
    if audience_id:
        from syllabus.audiences.models import Audience

        audience = Audience.objects.filter(pk=audience_id).values_list("name", flat=True).first() or str(
            _("a deleted audience")
        )
    language = snapshot.get("language") or ""
    level = snapshot.get("level") or ""
    visibility = snapshot.get("visibility") or ""
    return {
        "title": snapshot.get("title") or "",
        "summary": snapshot.get("summary") or "",
        "description": _html_text(snapshot.get("description") or ""),
        # The review page shows the images themselves; the text says whether there is one and which upload.
        "cover_asset_id": str(_("image %(id)s") % {"id": snapshot["cover_asset_id"]})
        if snapshot.get("cover_asset_id")
        else "",
        "category": _text(snapshot.get("category")),
        "tags": _text(snapshot.get("tags")),
        "skills": _text(snapshot.get("skills")),
        "language": _language_name(language),
        "level": str(Level(level).label) if level in Level.values else level,
        "duration_minutes": str(_("%(minutes)s minutes") % {"minutes": snapshot.get("duration_minutes") or 0}),
        "visibility": str(Visibility(visibility).label) if visibility in Visibility.values else visibility,
        "audience_id": audience,
    }


def _language_name(code: str) -> str:
    from django.conf.locale import LANG_INFO

    info = LANG_INFO.get(code.lower()) or LANG_INFO.get(code.split("-")[0].lower())
    return f"{info['name']} ({code})" if info and "name" in info else code


def _activity_fields(activity: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {"title": (str(_("Title")), activity.get("title", ""))}
    kind_key = activity.get("kind", "")
    if kinds.is_registered(kind_key):
        for label, value in kinds.get(kind_key).describe(activity.get("config") or {}).items():
            out[f"config:{label}"] = (str(label), str(value))
    out["completion"] = (str(_("Completion")), _completion_text(kind_key, activity.get("completion") or {}))
    out["is_required"] = (str(_("Required")), str(_("yes")) if activity.get("is_required", True) else str(_("no")))
    out["duration_minutes"] = (str(_("Estimated duration")), str(activity.get("duration_minutes", 0)))
    return out


def _completion_text(kind_key: str, completion: Mapping[str, Any]) -> str:
    """ "Watched (percent 90)" rather than the stored JSON."""
    rule_key = str(completion.get("rule", ""))
    label = rule_key
    if kinds.is_registered(kind_key):
        label = next((str(r.label) for r in kinds.get(kind_key).completion_rules if r.key == rule_key), rule_key)
    parameters = ", ".join(f"{name} {value}" for name, value in sorted(completion.items()) if name != "rule")
    return f"{label} ({parameters})" if parameters else label


def _field_changes(before: Mapping[str, tuple[str, str]], after: Mapping[str, tuple[str, str]]) -> list[FieldChange]:
    changes = []
    for name in list(before) + [n for n in after if n not in before]:
        label = (after.get(name) or before.get(name) or ("", ""))[0]
        old = before.get(name, ("", ""))[1]
        new = after.get(name, ("", ""))[1]
        if old != new:
            changes.append(FieldChange(name=name, label=label, before=old, after=new))
    return changes


def diff(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[Change]:
    """What changed from `old` (None: nothing published yet) to `new`, course metadata first, then the outline."""
    old = old or {"sections": []}
    changes: list[Change] = []

    old_values, new_values = _metadata_values(old), _metadata_values(new)
    before_meta = {key: (str(label), old_values[key]) for key, label in METADATA_LABELS.items() if key in old}
    after_meta = {key: (str(label), new_values[key]) for key, label in METADATA_LABELS.items()}
    meta = _field_changes(before_meta, after_meta)
    if meta:
        changes.append(Change(target="course", action="changed", title=new.get("title", ""), fields=meta))

    old_sections = {s["uid"]: (i, s) for i, s in enumerate(old.get("sections", []))}
    new_sections = {s["uid"]: (i, s) for i, s in enumerate(new.get("sections", []))}
    for uid, (index, section) in new_sections.items():
        if uid not in old_sections:
            changes.append(Change(target="section", action="added", uid=uid, title=section["title"], structural=True))
            continue
        old_index, old_section = old_sections[uid]
        fields = _field_changes(
            {"title": (str(_("Title")), old_section["title"]), "summary": (str(_("Summary")), old_section["summary"])},
            {"title": (str(_("Title")), section["title"]), "summary": (str(_("Summary")), section["summary"])},
        )
        if fields:
            changes.append(Change(target="section", action="changed", uid=uid, title=section["title"], fields=fields))
        if old_index != index:
            changes.append(Change(target="section", action="moved", uid=uid, title=section["title"]))
    for uid, (_index, section) in old_sections.items():
        if uid not in new_sections:
            changes.append(Change(target="section", action="removed", uid=uid, title=section["title"], structural=True))

    old_acts = {a["uid"]: (i, a) for i, a in enumerate(activities(old))}
    new_acts = {a["uid"]: (i, a) for i, a in enumerate(activities(new))}
    for uid, (index, activity) in new_acts.items():
        if uid not in old_acts:
            changes.append(
                Change(
                    target="activity",
                    action="added",
                    uid=uid,
                    title=activity["title"],
                    kind=activity["kind"],
                    structural=True,
                )
            )
            continue
        old_index, old_activity = old_acts[uid]
        structural = (
            old_activity["kind"] != activity["kind"]
            or (old_activity.get("completion") or {}) != (activity.get("completion") or {})
            or bool(old_activity.get("is_required", True)) != bool(activity.get("is_required", True))
        )
        fields = _field_changes(_activity_fields(old_activity), _activity_fields(activity))
        if old_activity["kind"] != activity["kind"]:
            fields.insert(0, FieldChange("kind", str(_("Kind")), old_activity["kind"], activity["kind"]))
        if fields:
            changes.append(
                Change(
                    target="activity",
                    action="changed",
                    uid=uid,
                    title=activity["title"],
                    kind=activity["kind"],
                    structural=structural,
                    fields=fields,
                )
            )
        if old_index != index or old_activity["section_uid"] != activity["section_uid"]:
            changes.append(
                Change(target="activity", action="moved", uid=uid, title=activity["title"], kind=activity["kind"])
            )
    for uid, (_index, activity) in old_acts.items():
        if uid not in new_acts:
            changes.append(
                Change(
                    target="activity",
                    action="removed",
                    uid=uid,
                    title=activity["title"],
                    kind=activity["kind"],
                    structural=True,
                )
            )
    return changes


_WORDS = re.compile(r"\s+|[^\s]+")


def _space(token: str) -> str:
    """A run of whitespace counts as a line break or a space, however many of either it holds."""
    if token.isspace():
        return "\n" if "\n" in token else " "
    return token


def word_diff(before: str, after: str) -> list[tuple[str, str]]:
    """[(op, text)] with op "equal", "insert" or "delete": an inline word-level diff for reviewers."""
    a: Sequence[str] = [_space(token) for token in _WORDS.findall(before or "")]
    b: Sequence[str] = [_space(token) for token in _WORDS.findall(after or "")]
    out: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(("equal", "".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            out.append(("delete", "".join(a[i1:i2])))
        if op in ("insert", "replace"):
            out.append(("insert", "".join(b[j1:j2])))
    return out
