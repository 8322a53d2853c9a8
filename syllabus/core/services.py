"""Writes to the shared kernel's own tables (only the operations heartbeat so far)."""

from __future__ import annotations

import datetime as dt

from syllabus.core import clock
from syllabus.core.models import Heartbeat

WORKER = "worker"


def heartbeat_record(*, name: str = WORKER, at: dt.datetime | None = None) -> Heartbeat:
    """Record that the process called `name` is alive now (one row per name, updated in place)."""
    heartbeat, _ = Heartbeat.objects.update_or_create(name=name, defaults={"last_seen": at or clock.now()})
    return heartbeat
