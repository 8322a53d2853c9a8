"""The worker's side: claim due deliveries, hand them to their channel, record the outcome (the delivery log).

A delivery is claimed with a conditional UPDATE (pending → sending), so two workers never send it twice (SQLite
ignores `select_for_update`). A claimed delivery whose worker died is put back after `STALE_CLAIM`. Failures are
retried with growing delays; after `MAX_ATTEMPTS` the delivery is marked failed. A permanent refusal (unknown
address) marks it bounced at once. Digest deliveries of one person that are due together go out as one message.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from django.db.models import Q, QuerySet

from syllabus.core import clock
from syllabus.notifications.channels import base as channels
from syllabus.notifications.models import Delivery, DeliveryMode, DeliveryStatus

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RETRY_DELAYS = (dt.timedelta(minutes=1), dt.timedelta(minutes=5), dt.timedelta(minutes=30), dt.timedelta(hours=2))
STALE_CLAIM = dt.timedelta(minutes=10)
SWEEP_BATCH = 500


def _claim(ids: Iterable[int], now: dt.datetime) -> list[Delivery]:
    ids = list(ids)
    # A random token tells this worker's rows from another's that claimed at the same moment.
    token = uuid.uuid4()
    Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.PENDING, not_before__lte=now).update(
        status=DeliveryStatus.SENDING, claimed_at=now, claim=token
    )
    return list(
        Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.SENDING, claim=token)
        .select_related("notification__recipient", "notification__organization")
        .order_by("pk")
    )


def send_deliveries(ids: Sequence[int]) -> dict[str, int]:
    """Send these deliveries if they are due and nobody else has them. Returns counts by outcome."""
    now = clock.now()
    claimed = _claim(ids, now)
    outcome: dict[str, int] = defaultdict(int)
    batches: dict[tuple[int, str], list[Delivery]] = defaultdict(list)
    for delivery in claimed:
        if not delivery.notification.recipient.is_active:
            _finish(delivery, DeliveryStatus.CANCELLED, now, error="The person's account is deactivated.")
            outcome[DeliveryStatus.CANCELLED] += 1
        elif delivery.mode == DeliveryMode.DIGEST:
            batches[(delivery.notification.recipient_id, delivery.channel)].append(delivery)
        else:
            batches[(-delivery.pk, delivery.channel)].append(delivery)
    by_channel: dict[str, list[list[Delivery]]] = defaultdict(list)
    for (_who, channel_key), batch in batches.items():
        by_channel[channel_key].append(batch)
    for channel_key, channel_batches in by_channel.items():
        with _session(channel_key):
            for batch in channel_batches:
                status = _send(channel_key, batch, now)
                outcome[status] += len(batch)
    return dict(outcome)


@contextmanager
def _session(channel_key: str) -> Iterator[None]:
    """The channel's per-batch session (one SMTP connection); a channel that cannot open one still gets its sends,
    which then fail and are retried one by one."""
    try:
        session = channels.get(channel_key).session()
        session.__enter__()
    except Exception:
        logger.warning("notification channel %s could not open a session", channel_key, exc_info=True)
        yield
        return
    try:
        yield
    finally:
        session.__exit__(None, None, None)


def _send(channel_key: str, batch: list[Delivery], now: dt.datetime) -> str:
    try:
        channel = channels.get(channel_key)
        channel.send(batch)
    except channels.PermanentFailure as exc:
        for delivery in batch:
            _finish(delivery, DeliveryStatus.BOUNCED, now, error=str(exc))
        return DeliveryStatus.BOUNCED
    except Exception as exc:  # every other failure is retried; the log keeps the reason
        logger.warning("notification delivery failed (%s): %s", channel_key, exc)
        status: str = DeliveryStatus.PENDING
        for delivery in batch:
            status = _retry(delivery, now, error=f"{type(exc).__name__}: {exc}")
        return status
    for delivery in batch:
        _finish(delivery, DeliveryStatus.SENT, now, in_digest=delivery.mode == DeliveryMode.DIGEST)
    return DeliveryStatus.SENT


def _mine(delivery: Delivery) -> QuerySet[Delivery]:
    """The row, if this worker's claim still holds it: a claim the sweep put back may belong to another worker now,
    whose outcome must not be overwritten (a late "failed, retry" would make the sweep send it twice)."""
    return Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING, claim=delivery.claim)


def _finish(delivery: Delivery, status: str, now: dt.datetime, *, error: str = "", in_digest: bool = False) -> None:
    _mine(delivery).update(
        status=status,
        sent_at=now if status == DeliveryStatus.SENT else None,
        attempts=delivery.attempts + 1,
        last_error=error[:500],
        in_digest=in_digest,
    )


def _retry(delivery: Delivery, now: dt.datetime, *, error: str) -> str:
    attempts = delivery.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        status, not_before = DeliveryStatus.FAILED, delivery.not_before
    else:
        status, not_before = DeliveryStatus.PENDING, now + RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
    _mine(delivery).update(
        status=status, attempts=attempts, not_before=not_before, last_error=error[:500], claimed_at=None, claim=None
    )
    return status


def sweep() -> dict[str, int]:
    """The scheduler's job: put back stale claims, then send everything due (digests, the end of quiet hours,
    retries, and deliveries whose queued task was lost). Safe to run twice at once."""
    now = clock.now()
    Delivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lt=now - STALE_CLAIM).update(
        status=DeliveryStatus.PENDING, claimed_at=None, claim=None
    )
    totals: dict[str, int] = defaultdict(int)
    last_pk = 0
    while True:
        ids = list(
            Delivery.objects.filter(Q(status=DeliveryStatus.PENDING), not_before__lte=now, pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", flat=True)[:SWEEP_BATCH]
        )
        if not ids:
            break
        last_pk = ids[-1]
        # A person's digest may straddle two batches: take all their due digest rows with the batch.
        for status, count in send_deliveries(_with_whole_digests(ids, now)).items():
            totals[status] += count
    return dict(totals)


def _with_whole_digests(ids: list[int], now: dt.datetime) -> list[int]:
    people = set(
        Delivery.objects.filter(pk__in=ids, mode=DeliveryMode.DIGEST).values_list(
            "notification__recipient_id", flat=True
        )
    )
    if not people:
        return ids
    more = Delivery.objects.filter(
        status=DeliveryStatus.PENDING,
        mode=DeliveryMode.DIGEST,
        not_before__lte=now,
        notification__recipient_id__in=people,
    ).values_list("pk", flat=True)
    return sorted(set(ids) | set(more))
