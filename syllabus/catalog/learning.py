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

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.safestring import SafeString, mark_safe

if TYPE_CHECKING:
    from django.http import HttpRequest

    from syllabus.access.policy import Principal
    from syllabus.catalog.models import Course


@dataclass(frozen=True)
class PlayerState:
    # activity uid -> "not_started" | "in_progress" | "completed"
    states: Mapping[str, str] = field(default_factory=dict)
    percent: int = 0
    completed: bool = False
    # POST {"activity": uid} here every so often while the activity is open: time spent (empty: not tracked).
    heartbeat_url: str = ""
    heartbeat_seconds: int = 30


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
