"""Reads of the shared kernel's own tables."""

from __future__ import annotations

import datetime as dt

from syllabus.core.models import Heartbeat
from syllabus.core.services import WORKER


def heartbeat_last_seen(*, name: str = WORKER) -> dt.datetime | None:
    """When the process called `name` last reported in, or None if it never has."""
    return Heartbeat.objects.filter(name=name).values_list("last_seen", flat=True).first()
