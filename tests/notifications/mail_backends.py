"""A mail server whose answers the test writes, installed with the `smtp` fixture (tests/notifications/conftest.py).

Each exception queued with `ScriptedBackend.script` is raised by one send, in order; once the script is used up,
messages go to `django.core.mail.outbox` like the locmem backend. Headers are built on the way (`message()`), as a
real backend would, so a header injection would surface here and not only in production.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend


class ScriptedBackend(BaseEmailBackend):
    script: ClassVar[list[BaseException]] = []
    # Every call of send_messages, failed or not: how many times the worker talked to the mail server.
    calls: ClassVar[int] = 0

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        ScriptedBackend.calls += 1
        if ScriptedBackend.script:
            raise ScriptedBackend.script.pop(0)
        messages = list(email_messages)
        for message in messages:
            message.message()
        mail.outbox.extend(messages)
        return len(messages)

    @classmethod
    def reset(cls) -> None:
        cls.script = []
        cls.calls = 0
