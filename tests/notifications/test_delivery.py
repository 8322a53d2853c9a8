"""The worker: claiming, retries with backoff, bounces, digests sent as one email, stale claims, cancelled sends."""

from __future__ import annotations

import datetime as dt
import smtplib
from collections.abc import Sequence

import pytest
from django.db import transaction

from syllabus.accounts.models import User
from syllabus.notifications import delivery, services, tasks
from syllabus.notifications.channels import base as channels
from syllabus.notifications.models import Delivery, DeliveryMode, DeliveryStatus, Notification, Preference
from syllabus.notifications.services import PreferenceChange
from syllabus.notifications.types import EMAIL, IN_APP, NotificationType
from tests.conftest import World
from tests.notifications.conftest import NOW, SAMPLE, URGENT, Clock, Send, Smtp, declare_type, sample_notice

pytestmark = pytest.mark.django_db

PARIS_DIGEST = dt.datetime(2026, 3, 3, 7, 0, tzinfo=dt.UTC)  # 08:00 in Paris (CET) the day after NOW


def refused(code: int) -> smtplib.SMTPRecipientsRefused:
    return smtplib.SMTPRecipientsRefused({"lena@example.test": (code, b"mailbox unavailable")})


def one_delivery() -> Delivery:
    return Delivery.objects.get()


# --- retries and bounces -------------------------------------------------------------------------------------


def test_a_connection_error_is_retried_a_minute_later(
    world: World, sample_type: NotificationType, send: Send, smtp: Smtp, moved_clock: Clock
) -> None:
    smtp.fail(ConnectionRefusedError("Connection refused"))
    send(sample_notice(world.learner.user))
    row = one_delivery()
    assert (row.status, row.attempts) == (DeliveryStatus.PENDING, 1)
    assert row.not_before == NOW + dt.timedelta(minutes=1)
    assert row.last_error == "ConnectionRefusedError: Connection refused"
    assert row.claimed_at is None and smtp.outbox == []

    # Not due yet: the sweep leaves it; a minute later it goes.
    moved_clock.move(seconds=59)
    assert delivery.sweep() == {}
    moved_clock.move(seconds=1)
    assert delivery.sweep() == {DeliveryStatus.SENT: 1}
    row.refresh_from_db()
    assert (row.status, row.attempts, row.sent_at) == (DeliveryStatus.SENT, 2, moved_clock.now)
    assert len(smtp.outbox) == 1


def test_after_the_last_attempt_a_delivery_is_failed_with_its_reason(
    world: World, sample_type: NotificationType, send: Send, smtp: Smtp, moved_clock: Clock
) -> None:
    smtp.fail(*[TimeoutError(f"timed out #{n}") for n in range(1, delivery.MAX_ATTEMPTS + 1)])
    send(sample_notice(world.learner.user))
    waits = []
    for _attempt in range(delivery.MAX_ATTEMPTS - 1):
        row = one_delivery()
        assert row.status == DeliveryStatus.PENDING
        waits.append(row.not_before - moved_clock.now)
        moved_clock.to(row.not_before)
        delivery.sweep()
    row = one_delivery()
    assert waits == list(delivery.RETRY_DELAYS)
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, delivery.MAX_ATTEMPTS)
    assert row.last_error == f"TimeoutError: timed out #{delivery.MAX_ATTEMPTS}"
    assert smtp.calls == delivery.MAX_ATTEMPTS
    moved_clock.move(days=1)
    assert delivery.sweep() == {} and smtp.calls == delivery.MAX_ATTEMPTS


def test_a_refused_address_bounces_and_is_never_retried(
    world: World, sample_type: NotificationType, send: Send, smtp: Smtp, moved_clock: Clock
) -> None:
    smtp.fail(refused(550))
    send(sample_notice(world.learner.user))
    row = one_delivery()
    assert (row.status, row.attempts) == (DeliveryStatus.BOUNCED, 1)
    assert "550 mailbox unavailable" in row.last_error
    moved_clock.move(hours=3)
    assert delivery.sweep() == {} and smtp.calls == 1


def test_a_temporary_refusal_is_retried(
    world: World, sample_type: NotificationType, send: Send, smtp: Smtp, moved_clock: Clock
) -> None:
    smtp.fail(refused(450))
    send(sample_notice(world.learner.user))
    row = one_delivery()
    assert (row.status, row.attempts) == (DeliveryStatus.PENDING, 1)
    assert "450 mailbox unavailable" in row.last_error
    moved_clock.move(minutes=1)
    delivery.sweep()
    assert one_delivery().status == DeliveryStatus.SENT and len(smtp.outbox) == 1


class BrokenChannel(channels.Channel):
    key = "tests_broken"
    label = "Broken"

    def send(self, deliveries: Sequence[Delivery]) -> None:
        raise RuntimeError("the plugin has a bug")


def test_a_channel_with_a_bug_is_retried_and_spares_the_others(
    world: World, send: Send, smtp: Smtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(channels._channels, BrokenChannel.key, BrokenChannel())
    declare_type("tests.broken", default_channels=(IN_APP, EMAIL, BrokenChannel.key))
    try:
        (notification,) = send(sample_notice(world.learner.user, type="tests.broken"))
    finally:
        services.registry.unregister("tests.broken")
    statuses = dict(Delivery.objects.values_list("channel", "status"))
    assert statuses == {EMAIL: DeliveryStatus.SENT, BrokenChannel.key: DeliveryStatus.PENDING}
    assert Delivery.objects.get(channel=BrokenChannel.key).last_error == "RuntimeError: the plugin has a bug"
    assert notification.in_app and len(smtp.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_a_failing_mail_server_never_fails_the_business_transaction(
    builtin_roles: None, world: World, sample_type: NotificationType, smtp: Smtp
) -> None:
    smtp.fail(smtplib.SMTPServerDisconnected("gone"))
    with transaction.atomic():
        # The business write, then the notice, in the same transaction; the worker runs after the commit.
        services.person_settings_update(
            user=world.learner.user, quiet_start=None, quiet_end=None, digest_time=dt.time(9)
        )
        notification = services.notify(sample_notice(world.learner.user))
    assert notification is not None
    assert Notification.objects.filter(pk=notification.pk).exists()
    row = one_delivery()
    assert (row.status, row.attempts) == (DeliveryStatus.PENDING, 1)
    assert services.person_settings_get(world.learner.user).digest_time == dt.time(9)


def test_a_broker_outage_leaves_the_delivery_for_the_sweep(
    world: World, sample_type: NotificationType, send: Send, smtp: Smtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broker_down(*args: object, **kwargs: object) -> None:
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.send_deliveries, "delay", broker_down)
    assert len(send(sample_notice(world.learner.user))) == 1
    assert one_delivery().status == DeliveryStatus.PENDING and smtp.outbox == []
    assert tasks.sweep() == {DeliveryStatus.SENT: 1}
    assert len(smtp.outbox) == 1


# --- claiming ------------------------------------------------------------------------------------------------


def test_sending_the_same_ids_twice_sends_one_email(
    world: World, sample_type: NotificationType, smtp: Smtp, moved_clock: Clock
) -> None:
    services.notify(sample_notice(world.learner.user))  # on-commit callbacks not run: nothing queued
    ids = [one_delivery().pk]
    assert delivery.send_deliveries(ids) == {DeliveryStatus.SENT: 1}
    assert delivery.send_deliveries(ids) == {}
    assert tasks.send_deliveries(ids) == {}
    assert len(smtp.outbox) == 1


def test_a_delivery_another_worker_holds_is_left_alone_until_its_claim_is_stale(
    world: World, sample_type: NotificationType, smtp: Smtp, moved_clock: Clock
) -> None:
    services.notify(sample_notice(world.learner.user))
    row = one_delivery()
    Delivery.objects.filter(pk=row.pk).update(status=DeliveryStatus.SENDING, claimed_at=NOW - dt.timedelta(minutes=1))
    assert delivery.send_deliveries([row.pk]) == {}
    assert delivery.sweep() == {}
    moved_clock.to(NOW - dt.timedelta(minutes=1) + delivery.STALE_CLAIM - dt.timedelta(seconds=1))
    assert delivery.sweep() == {}
    moved_clock.move(seconds=2)
    assert delivery.sweep() == {DeliveryStatus.SENT: 1}
    assert len(smtp.outbox) == 1


def test_a_worker_whose_claim_went_stale_does_not_overwrite_the_next_workers_outcome(
    world: World, sample_type: NotificationType, smtp: Smtp, moved_clock: Clock
) -> None:
    services.notify(sample_notice(world.learner.user))
    (slow,) = delivery._claim([one_delivery().pk], NOW)
    # The slow worker hangs; the sweep puts the row back and another worker claims it.
    moved_clock.move(minutes=11)
    Delivery.objects.filter(pk=slow.pk).update(status=DeliveryStatus.PENDING, claimed_at=None)
    (fast,) = delivery._claim([slow.pk], moved_clock.now)
    # The slow worker wakes up and records its failure while the other one is still sending...
    delivery._retry(slow, NOW, error="TimeoutError: late")
    row = one_delivery()
    assert (row.status, row.claimed_at) == (DeliveryStatus.SENDING, moved_clock.now)
    # ...so the other worker's success is what the log keeps, and the sweep does not send it a second time.
    delivery._finish(fast, DeliveryStatus.SENT, moved_clock.now)
    delivery._finish(slow, DeliveryStatus.BOUNCED, NOW, error="late")
    row = one_delivery()
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.SENT, 1, "")
    assert delivery.sweep() == {}


# --- digests -------------------------------------------------------------------------------------------------


@pytest.fixture
def digest_reader(world: World, sample_type: NotificationType) -> User:
    """The learner, in Paris, wants the sample type's email in a daily digest at 08:00."""
    user = world.learner.user
    user.time_zone = "Europe/Paris"
    user.save(update_fields=["time_zone"])
    services.person_settings_update(user=user, quiet_start=None, quiet_end=None, digest_time=dt.time(8))
    services.preferences_update(
        user=user, organization=None, changes=[PreferenceChange(SAMPLE, EMAIL, True, DeliveryMode.DIGEST)]
    )
    return user


def test_digest_deliveries_wait_for_the_next_digest_time_and_go_as_one_email(
    digest_reader: User, send: Send, smtp: Smtp, moved_clock: Clock
) -> None:
    first, second = send(
        sample_notice(digest_reader, dedupe_key="a", context={**_context("Fire safety")}),
        sample_notice(digest_reader, dedupe_key="b", context={**_context("First aid")}),
    )
    assert first.in_app and second.in_app  # the centre shows them at once
    rows = list(Delivery.objects.all())
    assert {(row.mode, row.status, row.not_before) for row in rows} == {
        (DeliveryMode.DIGEST, DeliveryStatus.PENDING, PARIS_DIGEST)
    }
    assert smtp.outbox == []

    moved_clock.to(PARIS_DIGEST - dt.timedelta(seconds=1))
    assert delivery.sweep() == {}
    moved_clock.to(PARIS_DIGEST)
    assert delivery.sweep() == {DeliveryStatus.SENT: 2}
    (message,) = smtp.outbox
    assert message.subject == "Your Syllabus digest: 2 notifications"
    html = message.alternatives[0][0]  # type: ignore[attr-defined]
    for subject in ("Fire safety starts soon", "First aid starts soon"):
        assert subject in message.body and subject in html
    assert set(Delivery.objects.values_list("status", "in_digest", "sent_at")) == {
        (DeliveryStatus.SENT, True, PARIS_DIGEST)
    }


def test_a_digest_split_across_sweep_batches_still_goes_as_one_email(
    digest_reader: User, send: Send, smtp: Smtp, moved_clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    send(*[sample_notice(digest_reader, dedupe_key=f"n{n}") for n in range(3)])
    monkeypatch.setattr(delivery, "SWEEP_BATCH", 2)
    moved_clock.to(PARIS_DIGEST)
    assert delivery.sweep() == {DeliveryStatus.SENT: 3}
    (message,) = smtp.outbox
    assert message.subject == "Your Syllabus digest: 3 notifications"


def test_immediate_types_are_not_held_by_someone_elses_digest_choice(
    digest_reader: User, world: World, send: Send, smtp: Smtp, moved_clock: Clock
) -> None:
    declare_type("tests.other")
    try:
        send(sample_notice(digest_reader, type="tests.other"), sample_notice(digest_reader, dedupe_key="held"))
    finally:
        services.registry.unregister("tests.other")
    assert [message.subject for message in smtp.outbox] == ["Fire safety starts soon"]
    assert Delivery.objects.get(mode=DeliveryMode.DIGEST).status == DeliveryStatus.PENDING


def test_urgent_types_ignore_the_digest_and_quiet_hours(
    world: World, urgent_type: NotificationType, send: Send, smtp: Smtp, moved_clock: Clock
) -> None:
    user = world.learner.user
    user.time_zone = "Europe/Paris"
    user.save(update_fields=["time_zone"])
    # 03:00 in Paris, inside the person's quiet hours, with a digest row written before the type became urgent.
    moved_clock.to(dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC))
    services.person_settings_update(user=user, quiet_start=dt.time(22), quiet_end=dt.time(7), digest_time=dt.time(8))
    Preference.objects.create(user=user, type_key=URGENT, channel=EMAIL, enabled=True, mode=DeliveryMode.DIGEST)
    send(sample_notice(user, type=URGENT))
    row = one_delivery()
    assert (row.mode, row.status, row.not_before) == (DeliveryMode.IMMEDIATE, DeliveryStatus.SENT, moved_clock.now)
    assert len(smtp.outbox) == 1


# --- people who leave ----------------------------------------------------------------------------------------


def test_a_person_deactivated_before_sending_gets_no_email(
    digest_reader: User, send: Send, smtp: Smtp, moved_clock: Clock
) -> None:
    send(sample_notice(digest_reader))
    digest_reader.is_active = False
    digest_reader.save(update_fields=["is_active"])
    moved_clock.to(PARIS_DIGEST)
    assert delivery.sweep() == {DeliveryStatus.CANCELLED: 1}
    row = one_delivery()
    assert row.status == DeliveryStatus.CANCELLED and row.last_error
    assert smtp.outbox == [] and smtp.calls == 0


def _context(course_title: str) -> dict[str, object]:
    return {"learner_name": "Lena", "course_title": course_title, "starts_at": NOW}
