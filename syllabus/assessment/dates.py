"""Dates of assessment's activities (quiz, assignment): in the author forms, datetime-local fields read and shown in
the organisation's time zone and stored as UTC ISO text in the activity's config; on the pages, a date and time in
words (`when_text`)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import TYPE_CHECKING, Any

from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime

if TYPE_CHECKING:
    from syllabus.catalog.models import Course

WHEN_FORMAT = "j F Y, H:i"


def when_text(value: dt.datetime) -> str:
    """A date and time in words, in the current time zone ("2 March 2026, 09:30"). Not DATETIME_FORMAT: in English
    it ends in "p.m.", and the sentences it goes into ("Due on %(when)s.") would end in "p.m.."."""
    return str(formats.date_format(timezone.localtime(value), WHEN_FORMAT))


def organization_zone(course: Course | None) -> zoneinfo.ZoneInfo:
    """The organisation's time zone: the author's datetime-local fields are read and shown in it."""
    name = getattr(getattr(course, "organization", None), "default_time_zone", "") or "UTC"
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def parse_when(raw: Any, zone: zoneinfo.ZoneInfo) -> dt.datetime | None:
    """A datetime from a datetime-local field or ISO text; naive ones are in the organisation's zone. Raises
    ValueError for anything else."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, dt.datetime):
        parsed: dt.datetime | None = raw
    else:
        text = str(raw).strip()
        if not text:
            return None
        if len(text) > 40:
            raise ValueError(text)
        parsed = parse_datetime(text.replace(" ", "T", 1))
    if parsed is None:
        raise ValueError(raw)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    try:
        return parsed.astimezone(dt.UTC)
    except OverflowError:  # year 1 or 9999 moved across a time zone leaves the calendar
        raise ValueError(raw) from None


def local_input(raw: Any, zone: zoneinfo.ZoneInfo) -> str:
    """A stored ISO datetime as a datetime-local field's value in the organisation's zone ("" if none)."""
    try:
        when = parse_when(raw, zone)
    except ValueError:
        return str(raw or "")
    return when.astimezone(zone).strftime("%Y-%m-%dT%H:%M") if when else ""
