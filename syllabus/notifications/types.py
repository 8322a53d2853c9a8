"""Notification types ("providers"): what can be sent, to whom it matters, and how it is worded by default.

The app that owns the occasion declares its types in a module of its own (`enrollment/notifying.py`, next to
the event handlers that send them) and registers them in its AppConfig.ready() with `register`. A type declares
its placeholders (each with a sample value for previews), its default wording (translatable), the channels it uses
unless the person chooses otherwise, and these flags:

- `mandatory`: its channels are fixed: nobody may turn its default channels off, nor turn another one on
  (password reset, security alerts);
- `org_mandatory_allowed`: an organisation may make it mandatory for its people (compliance escalations);
- `urgent`: sent at once, never held for quiet hours or a digest (a reset link is useless tomorrow);
- `account_level`: belongs to the person, not to one of their organisations, and is not reworded per organisation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise

IN_APP = "in_app"
EMAIL = "email"


@dataclass(frozen=True)
class Placeholder:
    label: str | Promise
    sample: str | Promise


@dataclass(frozen=True)
class NotificationType:
    key: str
    label: str | Promise
    description: str | Promise
    # The settings page groups types under these headings ("Enrollment", "Account security"...).
    category: str | Promise
    subject: str | Promise
    body: str | Promise
    placeholders: Mapping[str, Placeholder] = field(default_factory=dict)
    default_channels: tuple[str, ...] = (IN_APP, EMAIL)
    mandatory: bool = False
    org_mandatory_allowed: bool = False
    urgent: bool = False
    # Account-level types (security) are not tied to an organisation: they cannot be reworded per organisation.
    account_level: bool = False
    # Placeholders filled in only when a channel sends the message, by `send_time_context(notification)`, and never
    # stored: for secrets such as a password reset link, which must not sit in the database, the broker or an export.
    # Whether the type concerns this person in this organisation at all (approval requests: only people who
    # approve): the preferences page and API leave the others out. None: everyone.
    shown_to: Callable[[Any, Any], bool] | None = None
    send_time_placeholders: tuple[str, ...] = ()
    send_time_context: Callable[[Any], Mapping[str, str]] | None = None


_types: dict[str, NotificationType] = {}


def register(kind: NotificationType) -> None:
    known = _types.get(kind.key)
    if known is not None and known != kind:
        raise ValueError(f"notification type {kind.key!r} is registered twice with different declarations")
    _types[kind.key] = kind


def get(key: str) -> NotificationType:
    try:
        return _types[key]
    except KeyError:
        raise LookupError(f"unknown notification type {key!r}") from None


def all_types() -> list[NotificationType]:
    return sorted(_types.values(), key=lambda kind: (str(kind.category), str(kind.label)))


def unregister(key: str) -> None:
    """For tests that declare a throwaway type."""
    _types.pop(key, None)
