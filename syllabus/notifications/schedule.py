"""When a delivery may go: quiet hours and the daily digest, in the person's own time zone."""

from __future__ import annotations

import datetime as dt
import zoneinfo


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _instants(day: dt.date, time: dt.time, zone: zoneinfo.ZoneInfo) -> list[dt.datetime]:
    """The instants at which the wall clock reads `time` on `day`, earliest first.

    Usually one. Two when the clocks go back through that time (the hour is lived twice). When the clocks go
    forward over it, the time never shows: the instant just after the gap stands in for it.
    """
    found: list[dt.datetime] = []
    for fold in (0, 1):
        local = dt.datetime.combine(day, time).replace(tzinfo=zone, fold=fold)
        instant = local.astimezone(dt.UTC)
        shows = instant.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None)
        if shows and instant not in found:
            found.append(instant)
    if not found:
        # fold=0 reads a skipped time with the offset from before the change: the instant after the gap.
        found.append(dt.datetime.combine(day, time, tzinfo=zone).astimezone(dt.UTC))
    return sorted(found)


def _next(now: dt.datetime, time: dt.time, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The first instant strictly after `now` at which the wall clock in `zone` reads `time`."""
    today = now.astimezone(zone).date()
    for instant in _instants(today, time, zone):
        if instant > now:
            return instant
    return _instants(today + dt.timedelta(days=1), time, zone)[0]


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
    return _next(now, end, _zone(time_zone))


def next_digest(now: dt.datetime, digest_time: dt.time, time_zone: str) -> dt.datetime:
    """The next daily digest strictly after `now`, at `digest_time` in the person's zone."""
    return _next(now, digest_time, _zone(time_zone))
