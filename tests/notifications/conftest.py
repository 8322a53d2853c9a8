"""Fixtures of the notification tests. Other test modules (views, API, wiring) import them: keep them stable.

Throwaway notification types, registered for one test and unregistered after it:

- `sample_type` (key `SAMPLE`, "tests.sample"): optional, in-app and email by default, placeholders
  `learner_name`, `course_title` (text) and `starts_at` (a datetime, shown in the person's language and zone).
- `mandatory_type` (`MANDATORY`): built-in mandatory on in-app and email (like a security alert).
- `lockable_type` (`LOCKABLE`): optional, but an organisation may make it mandatory (`org_mandatory_allowed`).
- `urgent_type` (`URGENT`): email only, never held for quiet hours or a digest (like a password reset).
- `declare_type(key, **overrides)`: any other variant; pair it with `unregister` yourself.

Sending and time:

- `sample_notice(recipient, **overrides)`: a valid `Notice` of the sample type (`context` and `dedupe_key` set).
- `send(*notices)`: `notify_many` inside `django_capture_on_commit_callbacks(execute=True)`, so the worker task
  (eager in tests) sends immediate deliveries before it returns, as after a real commit.
- `moved_clock`: `clock.now()` frozen at `NOW` (Monday 2 March 2026, 09:30 UTC); `moved_clock.to(...)` or
  `moved_clock.move(minutes=...)` moves it.
- `smtp`: the scripted mail backend (tests/notifications/mail_backends.py) with an empty outbox; `smtp.fail(exc, ...)`
  makes the next sends raise, `smtp.outbox` is what was sent, `smtp.calls` how often the server was asked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMessage

from syllabus.accounts.models import User
from syllabus.celery import app as celery_app
from syllabus.core import clock
from syllabus.notifications import services
from syllabus.notifications import types as registry
from syllabus.notifications.models import Notification
from syllabus.notifications.types import EMAIL, IN_APP, NotificationType, Placeholder
from tests.notifications.mail_backends import ScriptedBackend

NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
STARTS_AT = dt.datetime(2026, 3, 14, 16, 30, tzinfo=dt.UTC)

SAMPLE = "tests.sample"
MANDATORY = "tests.mandatory"
LOCKABLE = "tests.lockable"
URGENT = "tests.urgent"

PLACEHOLDERS = {
    "learner_name": Placeholder(label="Learner", sample="Lena Learner"),
    "course_title": Placeholder(label="Course", sample="Fire safety"),
    "starts_at": Placeholder(label="Starts at", sample="14 March 2026, 17:30"),
}
SAMPLE_CONTEXT: dict[str, Any] = {"learner_name": "Lena", "course_title": "Fire safety", "starts_at": STARTS_AT}


def declare_type(key: str, **overrides: Any) -> NotificationType:
    """Register a test type: the sample's declaration with `overrides`. Unregister it when the test ends."""
    declaration: dict[str, Any] = {
        "key": key,
        "label": f"Test type {key}",
        "description": "A notification type that exists only in tests.",
        "category": "Tests",
        "subject": "{{ course_title }} starts soon",
        "body": "Hello {{ learner_name }},\n\n{{ course_title }} starts at {{ starts_at }}.",
        "placeholders": PLACEHOLDERS,
        "default_channels": (IN_APP, EMAIL),
        **overrides,
    }
    kind = NotificationType(**declaration)
    registry.register(kind)
    return kind


def _registered(key: str, **overrides: Any) -> Iterator[NotificationType]:
    kind = declare_type(key, **overrides)
    yield kind
    registry.unregister(key)


@pytest.fixture
def sample_type() -> Iterator[NotificationType]:
    yield from _registered(SAMPLE)


@pytest.fixture
def mandatory_type() -> Iterator[NotificationType]:
    yield from _registered(MANDATORY, mandatory=True)


@pytest.fixture
def lockable_type() -> Iterator[NotificationType]:
    yield from _registered(LOCKABLE, org_mandatory_allowed=True)


@pytest.fixture
def urgent_type() -> Iterator[NotificationType]:
    yield from _registered(URGENT, urgent=True, default_channels=(EMAIL,))


def sample_notice(recipient: User, **overrides: Any) -> services.Notice:
    """A notice of the sample type (register `sample_type` first), dedupe key "sample:1" unless overridden."""
    fields: dict[str, Any] = {
        "recipient_id": recipient.pk,
        "type": SAMPLE,
        "dedupe_key": "sample:1",
        "context": SAMPLE_CONTEXT,
        "url": "/courses/12/",
        **overrides,
    }
    return services.Notice(**fields)


@pytest.fixture(autouse=True)
def eager_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    # `make test` sets CELERY_TASK_ALWAYS_EAGER=true; this keeps a bare `pytest` run off the real broker too.
    monkeypatch.setattr(celery_app.conf, "task_always_eager", True)
    monkeypatch.setattr(celery_app.conf, "task_eager_propagates", True)


Send = Callable[..., list[Notification]]


@pytest.fixture
def send(django_capture_on_commit_callbacks: Any) -> Send:
    def run(*notices: services.Notice) -> list[Notification]:
        with django_capture_on_commit_callbacks(execute=True):
            return services.notify_many(list(notices))

    return run


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def to(self, moment: dt.datetime) -> dt.datetime:
        self.now = moment
        return moment

    def move(self, **delta: float) -> dt.datetime:
        self.now = self.now + dt.timedelta(**delta)
        return self.now


@pytest.fixture
def moved_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    current = Clock()
    monkeypatch.setattr(clock, "now", lambda: current.now)
    monkeypatch.setattr(clock, "today", lambda: current.now.date())
    return current


@dataclass
class Smtp:
    outbox: list[EmailMessage]

    def fail(self, *errors: BaseException) -> None:
        ScriptedBackend.script.extend(errors)

    @property
    def calls(self) -> int:
        return ScriptedBackend.calls


@pytest.fixture
def smtp(settings: Any, mailoutbox: list[EmailMessage]) -> Iterator[Smtp]:
    settings.EMAIL_BACKEND = "tests.notifications.mail_backends.ScriptedBackend"
    ScriptedBackend.reset()
    yield Smtp(outbox=mail.outbox)
    ScriptedBackend.reset()
