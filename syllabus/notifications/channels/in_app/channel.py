"""The in-app channel: the notification centre and the bell.

Nothing to send: the notification row is written with `in_app` set, in the sender's transaction, and the bell
reads it (see selectors.unread_count). Quiet hours do not apply (an unread badge wakes nobody).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext_lazy as _

from syllabus.notifications.channels.base import Channel
from syllabus.notifications.models import Delivery
from syllabus.notifications.types import IN_APP


class InAppChannel(Channel):
    key = IN_APP
    label = _("In Syllabus")
    supports_digest = False
    respects_quiet_hours = False
    uses_deliveries = False

    def send(self, deliveries: Sequence[Delivery]) -> None:
        """Never called: in-app notifications have no Delivery rows."""
