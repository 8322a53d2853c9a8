"""When a delivery may go: quiet hours and the daily digest, in the person's own time zone."""

from __future__ import annotations

import datetime as dt
import zoneinfo


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _at(day: dt.date, time: dt.time, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    # A wall-clock time skipped by a DST change resolves to the instant after the gap (fold=0 semantics).
    local = dt.datetime.combine(day, time, tzinfo=zone)
    return local.astimezone(dt.UTC)


def in_quiet_hours(now: dt.datetime, start: dt.time | None, end: dt.time | None, time_zone: str) -> bool:
    if start is None or end is None or start == end:
        return False
    local = now.astimezone(_zone(time_zone)).time()
    if start < end:
        return start <= local < end
    return local >= start or local < end  # across midnight, e.g. 22:00–07:00


def quiet_hours_end(now: dt.datetime, start: dt.time | None, end: dt.time | None, time_zone: str) -> dt.datetime:
    """`now` if outside quiet hours, else the moment they end."""
    if start is None or end is None or not in_quiet_hours(now, start, end, time_zone):
        return now
    zone = _zone(time_zone)
    local = now.astimezone(zone)
    day = local.date() if local.time() < end else local.date() + dt.timedelta(days=1)
    return _at(day, end, zone)


def next_digest(now: dt.datetime, digest_time: dt.time, time_zone: str) -> dt.datetime:
    """The next daily digest strictly after `now`, at `digest_time` in the person's zone."""
    zone = _zone(time_zone)
    local = now.astimezone(zone)
    candidate = _at(local.date(), digest_time, zone)
    if candidate <= now:
        candidate = _at(local.date() + dt.timedelta(days=1), digest_time, zone)
    return candidate
