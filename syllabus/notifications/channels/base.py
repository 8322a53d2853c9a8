"""The anatomy of a notification channel, and the registry of channels.

A channel is a plugin folder `notifications/channels/<key>/` holding `channel.py` with one `Channel` subclass
(and its message templates), registered in NotificationsConfig.ready(), tested in
tests/notifications/test_<key>_channel.py. See channels/README.md for the checklist.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING

from django.utils.functional import Promise

if TYPE_CHECKING:
    from syllabus.accounts.models import User
    from syllabus.notifications.models import Delivery


class TemporaryFailure(Exception):
    """Try again later (the mail server is down, a timeout): the delivery is retried with backoff."""


class PermanentFailure(Exception):
    """Never retry (the address does not exist): the delivery is marked bounced."""


class Channel(ABC):
    key: str
    label: str | Promise
    # Whether a person may choose a daily digest for this channel (email: yes; in-app is a list already).
    supports_digest: bool = False
    # Whether deliveries wait for the end of the person's quiet hours.
    respects_quiet_hours: bool = True
    # In-app is written with the notification itself, in the sender's transaction; other channels go through
    # Delivery rows sent by the worker after commit.
    uses_deliveries: bool = True

    @abstractmethod
    def send(self, deliveries: Sequence[Delivery]) -> None:
        """Send one notification (one delivery), or a digest (several deliveries of one person).

        Raise TemporaryFailure or PermanentFailure; any other exception counts as temporary.
        """

    def session(self) -> AbstractContextManager[None]:
        """Wraps every send of one worker batch (`delivery.send_deliveries`): a channel may hold one connection
        open for the batch (email: one SMTP session instead of one per message). Per thread: workers may run
        threads, and channel instances are shared."""
        return nullcontext()

    def is_available_for(self, user: User) -> bool:
        """Whether this person can be reached at all on this channel (email: they have an address). When not, no
        delivery is written for them: the log shows what was attempted, not what could never be."""
        return True


_channels: dict[str, Channel] = {}


def register(channel: Channel) -> None:
    _channels[channel.key] = channel


def get(key: str) -> Channel:
    try:
        return _channels[key]
    except KeyError:
        raise LookupError(f"unknown notification channel {key!r}") from None


def all_channels() -> list[Channel]:
    return list(_channels.values())
