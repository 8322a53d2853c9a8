"""Where the learner side of the catalog meets the apps that follow learners, without importing them.

The catalog knows courses, not enrollments or progress; those apps build on the catalog. So the catalog offers
three hooks, each filled by one app in its AppConfig.ready():

- `register_access(fn)`, fn(principal, course) -> version id | None: the version this person learns (their
  enrollment's), or None when they are not enrolled. With no hook, whoever may see a course may learn its
  published version (the catalog on its own).
- `register_player_state(fn)`, fn(principal, course, version_id, activity_uid) -> PlayerState | None: the
  learner's state per activity for the outline, the progress bar, and where the player reports time spent.
- `register_course_panel(fn)`, fn(request, principal, course) -> SafeString: the block on the course page that
  says where the person stands (enroll, request a place, continue...).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from threading import Lock
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.http import HttpRequest

    from syllabus.access.policy import Principal
    from syllabus.catalog.models import Course, CourseVersion


@dataclass(frozen=True)
class PlayerState:
    # activity uid -> "not_started" | "in_progress" | "completed"
    states: Mapping[str, str] = field(default_factory=dict)
    percent: int = 0
    completed: bool = False
    # POST {"activity": uid} here every so often while the activity is open: time spent (empty: not tracked).
    heartbeat_url: str = ""
    heartbeat_seconds: int = 30
    # Static files (paths for {% static %}) the player loads for this state, e.g. the heartbeat script.
    scripts: tuple[str, ...] = ()
    # The activity the learner opened last ("" when none): the section the course page opens for them.
    last_activity_uid: str = ""


# A learner's state of an activity as the outline shows it: a shape (never colour alone) and words.
STATE_ICONS = {"completed": "\u2713", "in_progress": "\u25d0", "not_started": "\u25cb"}
STATE_LABELS = {
    "completed": _("Completed"),
    "in_progress": _("In progress"),
    "not_started": _("Not started"),
}


def state_label(state: str) -> str:
    return str(STATE_LABELS[state]) if state in STATE_LABELS else ""


def outline_item(
    activity: Mapping[str, Any] | OutlineActivity,
    *,
    url: str,
    states: Mapping[str, str] | None,
    current_uid: str = "",
) -> dict[str, Any]:
    """One activity of the player's outline (catalog/player/_outline_items.html): title, link, kind, and the
    learner's state (`states` None: not tracked, as for the course team)."""
    if isinstance(activity, OutlineActivity):
        uid, title, key = activity.uid, activity.title, activity.kind
    else:
        uid, title, key = str(activity["uid"]), activity.get("title", ""), str(activity.get("kind", ""))
    state = (states.get(uid) or "not_started") if states is not None else ""
    return {
        "uid": uid,
        "title": title,
        "url": url,
        "kind_label": kind_label(key),
        "current": uid == current_uid,
        "state": state,
        "state_icon": STATE_ICONS.get(state, ""),
        "state_label": state_label(state),
    }


def kind_label(key: str) -> str:
    from syllabus.catalog.activity_kinds import base as kinds

    return str(kinds.get(key).label) if kinds.is_registered(key) else key


# --- the outline of a version, read once per process --------------------------------------------------------------


@dataclass(frozen=True)
class OutlineActivity:
    """One activity as outlines show it (never its config: that is read on its own when the activity opens)."""

    uid: str
    title: str
    kind: str
    duration_minutes: int
    is_required: bool
    section: int  # index of its section in Outline.sections
    path: tuple[int, int]  # (section index, index in the section) in the snapshot


@dataclass(frozen=True)
class OutlineSection:
    uid: str
    title: str
    summary: str
    start: int  # its first activity's index in Outline.activities
    count: int


@dataclass(frozen=True)
class Outline:
    """A snapshot's structure without the activities' content: what the course page and the player's outline
    draw. A snapshot of a Moodle-size course (500 sections, 1,500 pages) is ~600 KB of JSON; parsing it on every
    request was most of those pages' time, and its pages' bodies need not stay in memory."""

    meta: Mapping[str, Any]  # the course fields of the snapshot (title, summary, description...), no sections
    sections: tuple[OutlineSection, ...]
    activities: tuple[OutlineActivity, ...]
    positions: Mapping[str, int]  # activity uid -> index in activities
    section_positions: Mapping[str, int]  # section uid -> index in sections

    @property
    def title(self) -> str:
        return str(self.meta.get("title", ""))

    def find(self, uid: str) -> OutlineActivity | None:
        at = self.positions.get(uid)
        return self.activities[at] if at is not None else None

    def section_activities(self, index: int) -> tuple[OutlineActivity, ...]:
        section = self.sections[index]
        return self.activities[section.start : section.start + section.count]

    def section_progress(self, states: Mapping[str, str]) -> list[tuple[str, int]]:
        """(state, activities completed) per section, for a learner's `states` (uid -> state). Walks the
        activities the learner touched, not the whole outline."""
        done = [0] * len(self.sections)
        touched = [False] * len(self.sections)
        for uid, state in states.items():
            at = self.positions.get(uid)
            if at is None or state not in ("completed", "in_progress"):
                continue
            index = self.activities[at].section
            touched[index] = True
            if state == "completed":
                done[index] += 1
        return [
            (
                "completed"
                if section.count and done[i] == section.count
                else "in_progress"
                if touched[i]
                else "not_started",
                done[i],
            )
            for i, section in enumerate(self.sections)
        ]


def outline_from_snapshot(snapshot: Mapping[str, Any]) -> Outline:
    sections: list[OutlineSection] = []
    activities: list[OutlineActivity] = []
    for index, section in enumerate(snapshot.get("sections") or ()):
        entries = section.get("activities") or ()
        sections.append(
            OutlineSection(
                uid=str(section["uid"]),
                title=str(section.get("title", "")),
                summary=str(section.get("summary") or ""),
                start=len(activities),
                count=len(entries),
            )
        )
        activities.extend(
            OutlineActivity(
                uid=str(activity["uid"]),
                title=str(activity.get("title", "")),
                kind=str(activity.get("kind", "")),
                duration_minutes=int(activity.get("duration_minutes") or 0),
                is_required=bool(activity.get("is_required", True)),
                section=index,
                path=(index, position),
            )
            for position, activity in enumerate(entries)
        )
    return Outline(
        meta=MappingProxyType({key: value for key, value in snapshot.items() if key != "sections"}),
        sections=tuple(sections),
        activities=tuple(activities),
        positions=MappingProxyType({activity.uid: at for at, activity in enumerate(activities)}),
        section_positions=MappingProxyType({section.uid: at for at, section in enumerate(sections)}),
    )


# Versions are immutable, so an outline never goes stale; the key carries the publish time and course so a reused
# id (a test database rolled back) is never mistaken for another version. About 0.5 MB for an L course.
OUTLINE_CACHE_SIZE = 64
_outlines: OrderedDict[tuple[int, int, str], Outline] = OrderedDict()
_outlines_lock = Lock()


def version_outline(version: CourseVersion) -> Outline:
    """The outline of a published version: parsed once per process, and without loading the snapshot again
    (callers may defer `snapshot`; it is read only the first time)."""
    from syllabus.catalog.models import CourseVersion

    key = (version.pk, version.course_id, version.published_at.isoformat())
    with _outlines_lock:
        found = _outlines.get(key)
        if found is not None:
            _outlines.move_to_end(key)
            return found
    if "snapshot" in version.__dict__:
        snapshot = version.snapshot
    else:
        snapshot = CourseVersion.objects.filter(pk=version.pk).values_list("snapshot", flat=True).first() or {}
    outline = outline_from_snapshot(snapshot)
    with _outlines_lock:
        _outlines[key] = outline
        while len(_outlines) > OUTLINE_CACHE_SIZE:
            _outlines.popitem(last=False)
    return outline


def clear_outline_cache() -> None:
    with _outlines_lock:
        _outlines.clear()


def version_activity(version: CourseVersion, outline: Outline, uid: str) -> dict[str, Any] | None:
    """One activity of a published version as its snapshot holds it (with its config), read alone from the
    database by its place in the document: the player needs one activity's content, never the other 1,499."""
    from syllabus.catalog.models import CourseVersion

    found = outline.find(uid)
    if found is None:
        return None
    section, position = found.path
    entry = (
        CourseVersion.objects.filter(pk=version.pk)
        .values_list(f"snapshot__sections__{section}__activities__{position}", flat=True)
        .first()
    )
    if not isinstance(entry, dict) or str(entry.get("uid")) != uid:
        return None
    return entry


AccessFn = Callable[["Principal", "Course"], "int | None"]
PlayerStateFn = Callable[["Principal", "Course", int, str], "PlayerState | None"]
PanelFn = Callable[["HttpRequest", "Principal", "Course"], SafeString]

_hooks: dict[str, Any] = {}


def register_access(fn: AccessFn) -> None:
    _hooks["access"] = fn


def register_player_state(fn: PlayerStateFn) -> None:
    _hooks["player_state"] = fn


def register_course_panel(fn: PanelFn) -> None:
    _hooks["course_panel"] = fn


def has_access_hook() -> bool:
    return "access" in _hooks


def enrolled_version(principal: Principal, course: Course) -> int | None:
    """The version id this person learns through their enrollment; None when not enrolled or no hook."""
    fn: AccessFn | None = _hooks.get("access")
    return fn(principal, course) if fn is not None else None


def player_state(principal: Principal, course: Course, version_id: int, activity_uid: str) -> PlayerState | None:
    fn: PlayerStateFn | None = _hooks.get("player_state")
    return fn(principal, course, version_id, activity_uid) if fn is not None else None


def course_panel(request: HttpRequest, principal: Principal, course: Course) -> SafeString:
    fn: PanelFn | None = _hooks.get("course_panel")
    return fn(request, principal, course) if fn is not None else mark_safe("")
