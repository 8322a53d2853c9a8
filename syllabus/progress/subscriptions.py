"""How progress follows the catalog: every completion signal of an activity is stored for enrolled learners."""

from __future__ import annotations

from syllabus.catalog.events import ActivitySignalled
from syllabus.core.events import subscribe


def on_activity_signalled(event: ActivitySignalled) -> None:
    from syllabus.progress import services

    services.signal_record(event)


def connect() -> None:
    subscribe(ActivitySignalled, on_activity_signalled)
