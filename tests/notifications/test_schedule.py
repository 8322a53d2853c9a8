"""Quiet hours and digest times in the person's own time zone, across midnight and daylight-saving changes."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syllabus.accounts.models import User
from syllabus.notifications import delivery, schedule, selectors, services
from syllabus.notifications.models import Delivery, DeliveryStatus
from syllabus.notifications.types import NotificationType
from tests.conftest import World
from tests.notifications.conftest import Clock, Send, Smtp, sample_notice

PARIS = "Europe/Paris"
ZONES = [PARIS, "UTC", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Chatham", "Nowhere/Else"]
QUIET = (dt.time(22), dt.time(7))


def utc(year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


# --- the rules, on their own ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "quiet_end"),
    [
        # 23:30 in Paris in winter (UTC+1): 07:00 the next morning is 06:00 UTC.
        (utc(2026, 3, 2, 22, 30), utc(2026, 3, 3, 6, 0)),
        # 03:00 in Paris: the same morning.
        (utc(2026, 3, 3, 2, 0), utc(2026, 3, 3, 6, 0)),
        # The night clocks go forward (29 March 2026, 02:00 → 03:00): 07:00 is already summer time, 05:00 UTC.
        (utc(2026, 3, 28, 22, 30), utc(2026, 3, 29, 5, 0)),
        # The night clocks go back (25 October 2026, 03:00 → 02:00): 23:30 is summer time, 07:00 winter time.
        (utc(2026, 10, 24, 21, 30), utc(2026, 10, 25, 6, 0)),
    ],
)
def test_quiet_hours_end_at_seven_paris_time(now: dt.datetime, quiet_end: dt.datetime) -> None:
    assert schedule.in_quiet_hours(now, *QUIET, PARIS)
    assert schedule.quiet_hours_end(now, *QUIET, PARIS) == quiet_end


def test_outside_quiet_hours_or_without_them_nothing_waits() -> None:
    noon = utc(2026, 3, 2, 11, 0)
    assert schedule.quiet_hours_end(noon, *QUIET, PARIS) == noon
    assert schedule.quiet_hours_end(noon, None, None, PARIS) == noon
    assert schedule.quiet_hours_end(noon, dt.time(9), dt.time(9), PARIS) == noon
    # 07:00 sharp is the end, not the inside, of the night.
    assert not schedule.in_quiet_hours(utc(2026, 3, 2, 6, 0), *QUIET, PARIS)
    # Quiet hours within one day (a lunch break).
    assert schedule.quiet_hours_end(noon, dt.time(12), dt.time(14), PARIS) == utc(2026, 3, 2, 13, 0)


def test_the_next_digest_is_strictly_later_at_the_persons_digest_time() -> None:
    assert schedule.next_digest(utc(2026, 3, 2, 9, 30), dt.time(8), PARIS) == utc(2026, 3, 3, 7, 0)
    assert schedule.next_digest(utc(2026, 3, 2, 6, 59), dt.time(8), PARIS) == utc(2026, 3, 2, 7, 0)
    assert schedule.next_digest(utc(2026, 3, 2, 7, 0), dt.time(8), PARIS) == utc(2026, 3, 3, 7, 0)
    # The day clocks go forward, 08:00 is in summer time.
    assert schedule.next_digest(utc(2026, 3, 28, 9, 0), dt.time(8), PARIS) == utc(2026, 3, 29, 6, 0)
    # An unknown zone is read as UTC rather than failing the send.
    assert schedule.next_digest(utc(2026, 3, 2, 9, 30), dt.time(8), "Nowhere/Else") == utc(2026, 3, 3, 8, 0)


moments = st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2035, 12, 31)).map(
    lambda naive: naive.replace(tzinfo=dt.UTC)
)
times = st.times().map(lambda t: t.replace(second=0, microsecond=0))


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except zoneinfo.ZoneInfoNotFoundError:
        return zoneinfo.ZoneInfo("UTC")


def shows(day: dt.date, time: dt.time, zone: zoneinfo.ZoneInfo) -> bool:
    """Whether the wall clock reads `time` at all on `day` (not when the clocks go forward over it)."""
    local = dt.datetime.combine(day, time, tzinfo=zone)
    return local.astimezone(dt.UTC).astimezone(zone).time() == time


@given(now=moments, start=times, end=times, zone=st.sampled_from(ZONES))
def test_quiet_hours_end_is_the_next_end_time_on_the_persons_clock(
    now: dt.datetime, start: dt.time, end: dt.time, zone: str
) -> None:
    end_at = schedule.quiet_hours_end(now, start, end, zone)
    if not schedule.in_quiet_hours(now, start, end, zone):
        assert end_at == now
        return
    assert now < end_at <= now + dt.timedelta(hours=26)
    local = end_at.astimezone(_zone(zone))
    if shows(local.date(), end, _zone(zone)):
        assert local.time() == end
        assert not schedule.in_quiet_hours(end_at, start, end, zone)
    # No earlier moment after `now` shows the end time on the person's clock.
    step = now + dt.timedelta(minutes=1) - dt.timedelta(seconds=now.second, microseconds=now.microsecond)
    earlier = [step + dt.timedelta(minutes=m) for m in range(0, int((end_at - step).total_seconds() // 60))]
    assert all(moment.astimezone(_zone(zone)).time() != end for moment in earlier)


@given(now=moments, digest_time=times, zone=st.sampled_from(ZONES))
def test_the_next_digest_comes_within_a_day_at_the_chosen_time(
    now: dt.datetime, digest_time: dt.time, zone: str
) -> None:
    at = schedule.next_digest(now, digest_time, zone)
    assert now < at <= now + dt.timedelta(hours=26)
    local = at.astimezone(_zone(zone))
    assert local.time() == digest_time or not shows(local.date(), digest_time, _zone(zone))


def test_in_the_hour_lived_twice_quiet_hours_end_at_the_second_pass_of_the_end_time() -> None:
    # 25 October 2026 in Paris: 02:00–03:00 is lived in summer time, then again in winter time.
    second_pass = utc(2026, 10, 25, 1, 15)  # 02:15 winter time
    assert schedule.quiet_hours_end(second_pass, dt.time(22), dt.time(2, 30), PARIS) == utc(2026, 10, 25, 1, 30)
    first_pass = utc(2026, 10, 25, 0, 15)  # 02:15 summer time
    assert schedule.quiet_hours_end(first_pass, dt.time(22), dt.time(2, 30), PARIS) == utc(2026, 10, 25, 0, 30)
    assert schedule.next_digest(second_pass, dt.time(2, 30), PARIS) == utc(2026, 10, 25, 1, 30)


def test_a_time_the_clocks_skip_is_read_as_the_moment_after_the_gap() -> None:
    # 29 March 2026 in Paris: 02:00 CET becomes 03:00 CEST; 02:30 never shows.
    assert schedule.next_digest(utc(2026, 3, 28, 12, 0), dt.time(2, 30), PARIS) == utc(2026, 3, 29, 1, 30)
    assert schedule.quiet_hours_end(utc(2026, 3, 29, 0, 30), dt.time(1), dt.time(2, 30), PARIS) == utc(
        2026, 3, 29, 1, 30
    )


# --- what notify does with them ------------------------------------------------------------------------------


@pytest.fixture
def night_owl(world: World) -> User:
    """The learner, in Paris, quiet from 22:00 to 07:00."""
    user = world.learner.user
    user.time_zone = PARIS
    user.save(update_fields=["time_zone"])
    services.person_settings_update(user=user, quiet_start=QUIET[0], quiet_end=QUIET[1], digest_time=dt.time(8))
    return user


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("now", "quiet_end"),
    [(utc(2026, 3, 2, 22, 30), utc(2026, 3, 3, 6, 0)), (utc(2026, 3, 28, 22, 30), utc(2026, 3, 29, 5, 0))],
)
def test_an_email_at_half_past_eleven_waits_for_seven_but_the_centre_shows_it_at_once(
    night_owl: User,
    world: World,
    sample_type: NotificationType,
    send: Send,
    smtp: Smtp,
    moved_clock: Clock,
    now: dt.datetime,
    quiet_end: dt.datetime,
) -> None:
    moved_clock.to(now)
    (notification,) = send(sample_notice(night_owl, organization_id=world.org.pk))
    assert notification.in_app and selectors.unread_count(user=night_owl, organization=world.org) == 1
    row = Delivery.objects.get()
    assert (row.status, row.not_before) == (DeliveryStatus.PENDING, quiet_end)
    assert smtp.outbox == []

    moved_clock.to(quiet_end - dt.timedelta(minutes=1))
    assert delivery.sweep() == {}
    moved_clock.to(quiet_end)
    assert delivery.sweep() == {DeliveryStatus.SENT: 1}
    assert len(smtp.outbox) == 1


@pytest.mark.django_db
def test_during_the_day_quiet_hours_hold_nothing(
    night_owl: User, sample_type: NotificationType, send: Send, smtp: Smtp, moved_clock: Clock
) -> None:
    send(sample_notice(night_owl))
    assert Delivery.objects.get().status == DeliveryStatus.SENT and len(smtp.outbox) == 1
