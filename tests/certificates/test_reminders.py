"""Expiry reminders: N days before (the award's days, else 30 and 7), "expired" on the day unless a newer one
replaced it, each once however often the nightly job runs, never for superseded or revoked certificates."""

# Fixtures imported from holder_fixtures are redefined as test parameters, as pytest intends.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from syllabus.certificates import notifying, reminders, tasks
from syllabus.certificates.models import Award
from syllabus.certificates.services import issuing
from tests.certificates.conftest import NOW
from tests.certificates.holder_fixtures import issue_for, no_render, told  # noqa: F401 (fixtures)
from tests.compliance.conftest import make_course
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

UTC = zoneinfo.ZoneInfo("UTC")
EXPIRES = NOW + dt.timedelta(days=100)  # 2026-06-10 09:30 UTC


def row(**overrides) -> reminders.Row:
    values = {
        "id": 7,
        "public_id": uuid.uuid4(),
        "organization_id": 1,
        "user_id": 1,
        "title": "Fire safety",
        "issued_at": NOW,
        "expires_at": EXPIRES,
        "zone": UTC,
        "days": (30, 7),
        "replaced": False,
    }
    values.update(overrides)
    return reminders.Row(**values)


def at(day: dt.date, hour: int = 2) -> dt.datetime:
    """The nightly job's run on `day` (02:00 UTC)."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


# --- which step, when (pure) -----------------------------------------------------------------------------------------


def test_each_reminder_on_its_day_and_the_expiry_on_the_day_it_passes() -> None:
    expires_on = EXPIRES.date()
    assert reminders.step_for(row(), at(expires_on - dt.timedelta(days=31))) is None
    step = reminders.step_for(row(), at(expires_on - dt.timedelta(days=30)))
    assert step == reminders.Step(notifying.EXPIRING, "certificate:7:expiring:30", 30)
    assert reminders.step_for(row(), at(expires_on - dt.timedelta(days=7))).key == "certificate:7:expiring:7"
    # On the day, before the moment it expires: still "expiring" (the 7-day step is too old to catch up).
    assert reminders.step_for(row(), at(expires_on, hour=2)) is None
    assert reminders.step_for(row(), at(expires_on, hour=10)) == reminders.Step(
        notifying.EXPIRED, "certificate:7:expired"
    )


def test_a_missed_night_is_caught_up_for_a_few_days_with_the_latest_step_only() -> None:
    expires_on = EXPIRES.date()
    late = reminders.step_for(row(), at(expires_on - dt.timedelta(days=28)))
    assert late is not None and late.key == "certificate:7:expiring:30" and late.days == 28
    assert reminders.step_for(row(), at(expires_on - dt.timedelta(days=27))) is None
    # Both days passed (a long outage): only the 7-day reminder, with the days truly left.
    outage = reminders.step_for(row(), at(expires_on - dt.timedelta(days=5)))
    assert outage is not None and outage.key == "certificate:7:expiring:7" and outage.days == 5
    assert reminders.step_for(row(), at(expires_on + dt.timedelta(days=2), hour=10)) is not None
    assert reminders.step_for(row(), at(expires_on + dt.timedelta(days=3), hour=10)) is None


def test_a_step_dated_before_the_certificate_was_issued_is_not_sent() -> None:
    issued = EXPIRES - dt.timedelta(days=20)  # the "issued" notice told them it is valid until then
    assert reminders.step_for(row(issued_at=issued), at(issued.date())) is None
    assert reminders.step_for(row(issued_at=issued), at(EXPIRES.date() - dt.timedelta(days=7))) is not None


def test_a_replaced_certificate_gets_no_expired_notice() -> None:
    assert reminders.step_for(row(replaced=True), at(EXPIRES.date(), hour=10)) is None


def test_days_are_the_organisations() -> None:
    # Expires at midnight in Auckland on 10 June: 12:00 UTC on 9 June. The 30-day step is 11 May, Auckland time.
    auckland = zoneinfo.ZoneInfo("Pacific/Auckland")
    expires = dt.datetime(2026, 6, 10, tzinfo=auckland)
    local = row(expires_at=expires, zone=auckland)
    assert reminders.step_for(local, dt.datetime(2026, 5, 10, 11, 0, tzinfo=dt.UTC)) is None  # 10 May 23:00 there
    step = reminders.step_for(local, dt.datetime(2026, 5, 10, 13, 0, tzinfo=dt.UTC))  # 11 May 01:00 there
    assert step is not None and step.days == 30


def test_reminder_days_are_whole_positive_numbers_else_the_default() -> None:
    assert reminders.remind_days([]) == (30, 7)
    assert reminders.remind_days(None) == (30, 7)
    assert reminders.remind_days([7, "14", 14, 0, -3, "x", None]) == (14, 7)
    assert reminders.remind_days(["nonsense"]) == (30, 7)


# --- the nightly job -------------------------------------------------------------------------------------------------


def test_the_holder_is_reminded_once_per_step_however_often_the_job_runs(
    world, award, moved_clock, no_render, django_capture_on_commit_callbacks, mailoutbox
):
    certificate = issue_for(award, world.learner, NOW, expires=EXPIRES)
    expires_on = EXPIRES.date()
    moved_clock.now = at(expires_on - dt.timedelta(days=30))
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.send_due() == {"expiring": 1, "expired": 0}
        assert reminders.send_due() == {"expiring": 0, "expired": 0}
    [notice] = told(world.learner, notifying.EXPIRING)
    assert notice.subject == "Your certificate for Anti-bribery expires in 30 day(s)"
    assert "it is valid until June 10, 2026" in notice.body
    assert notice.url == reverse("certificates:detail", args=[certificate.public_id])
    assert notice.dedupe_key == f"certificate:{certificate.pk}:expiring:30"
    assert mailoutbox[-1].subject == notice.subject

    moved_clock.now = at(expires_on - dt.timedelta(days=29))
    assert reminders.send_due() == {"expiring": 0, "expired": 0}  # the 30-day one again: sent already
    moved_clock.now = at(expires_on - dt.timedelta(days=7))
    assert reminders.send_due()["expiring"] == 1
    moved_clock.now = at(expires_on, hour=10)
    assert reminders.send_due() == {"expiring": 0, "expired": 1}
    assert reminders.send_due() == {"expiring": 0, "expired": 0}
    [gone] = told(world.learner, notifying.EXPIRED)
    assert gone.subject == "Your certificate for Anti-bribery has expired"
    assert "it was valid until June 10, 2026" in gone.body
    assert [n.dedupe_key.rsplit(":", 1)[-1] for n in told(world.learner)] == ["30", "7", "expired"]


def test_the_awards_own_days_replace_the_default(world, award, moved_clock, no_render):
    Award.objects.filter(pk=award.pk).update(remind_days=[14])
    issue_for(award, world.learner, NOW, expires=EXPIRES)
    moved_clock.now = at(EXPIRES.date() - dt.timedelta(days=30))
    assert reminders.send_due()["expiring"] == 0
    moved_clock.now = at(EXPIRES.date() - dt.timedelta(days=14))
    assert reminders.send_due()["expiring"] == 1
    assert told(world.learner, notifying.EXPIRING)[0].dedupe_key.endswith(":expiring:14")


def test_superseded_and_revoked_certificates_get_no_reminders(world, award, officer, moved_clock, no_render):
    first = issue_for(award, world.learner, NOW, expires=EXPIRES)
    issue_for(award, world.learner, NOW + dt.timedelta(hours=1), expires=EXPIRES + dt.timedelta(days=365))
    revoked = issue_for(award, world.report, NOW, expires=EXPIRES)
    issuing.certificate_revoke(certificate=revoked, by=officer.user, reason="Issued in error")
    first.refresh_from_db()
    assert first.state == "superseded"
    for days in (30, 7, 0):
        moved_clock.now = at(EXPIRES.date() - dt.timedelta(days=days), hour=10)
        assert reminders.send_due() == {"expiring": 0, "expired": 0}
    assert told(world.learner, notifying.EXPIRING) == told(world.report, notifying.EXPIRING) == []


def test_no_expired_notice_when_a_newer_valid_certificate_of_the_course_exists(
    world, award, template, moved_clock, no_render
):
    # The award was deleted (its certificates keep their course) and a new one created: the newer certificate
    # does not supersede the older, but it replaces it for the holder.
    old = issue_for(award, world.learner, NOW, expires=EXPIRES)
    Award.objects.filter(pk=award.pk).delete()
    again = Award.objects.create(organization=world.org, source="course", course=award.course, template=template)
    issue_for(again, world.learner, NOW + dt.timedelta(days=50), expires=EXPIRES + dt.timedelta(days=365))
    old.refresh_from_db()
    assert old.state == "valid" and old.award_id is None
    moved_clock.now = at(EXPIRES.date(), hour=10)
    assert reminders.send_due()["expired"] == 0


def test_people_who_left_are_not_reminded(world, award, moved_clock, no_render):
    issue_for(award, world.learner, NOW, expires=EXPIRES)
    world.learner.is_active = False
    world.learner.save(update_fields=["is_active"])
    moved_clock.now = at(EXPIRES.date() - dt.timedelta(days=30))
    assert reminders.send_due() == {"expiring": 0, "expired": 0}


def test_the_nightly_task_sends_the_reminders(world, award, moved_clock, no_render, monkeypatch):
    from syllabus.certificates import rendering

    monkeypatch.setattr(rendering, "render_pending", lambda *args, **kwargs: 0)
    issue_for(award, world.learner, NOW, expires=EXPIRES)
    moved_clock.now = at(EXPIRES.date() - dt.timedelta(days=7))
    assert tasks.daily()["reminders"] == {"expiring": 1, "expired": 0}
    assert tasks.daily()["reminders"] == {"expiring": 0, "expired": 0}


def _fill(world, count: int, start: int) -> None:
    for n in range(start, start + count):
        course = make_course(world, f"Course {n}")
        award = Award.objects.create(
            organization=world.org, source="course", course=course, template=Award.objects.first().template
        )
        person = MembershipFactory(organization=world.org, org_unit=world.hq)
        issue_for(award, person, NOW, expires=EXPIRES)


def test_the_job_costs_the_same_queries_for_3_or_30_certificates(
    world, award, moved_clock, no_render, django_assert_max_num_queries
):
    _fill(world, 3, 0)
    moved_clock.now = at(EXPIRES.date() - dt.timedelta(days=30))
    with CaptureQueriesContext(connection) as captured:
        assert reminders.send_due()["expiring"] == 3
    few = len(captured.captured_queries)
    _fill(world, 30, 3)
    moved_clock.now = at(EXPIRES.date() - dt.timedelta(days=7))
    with django_assert_max_num_queries(few):
        assert reminders.send_due()["expiring"] == 33
