"""Domain events: typed dataclasses dispatched to explicitly registered handlers after the transaction commits.

Apps declare their events in `<app>/events.py` and subscribe in their AppConfig.ready() with `subscribe`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import transaction

E = TypeVar("E")
Handler = Callable[[Any], None]

_handlers: dict[type, list[Handler]] = defaultdict(list)


def subscribe(event_type: type[E], handler: Callable[[E], None]) -> None:
    if handler not in _handlers[event_type]:
        _handlers[event_type].append(handler)


def unsubscribe(event_type: type[E], handler: Callable[[E], None]) -> None:
    if handler in _handlers[event_type]:
        _handlers[event_type].remove(handler)


def emit(event: object) -> None:
    """Dispatch `event` once the current transaction commits (at once when there is none)."""

    def dispatch() -> None:
        for handler in list(_handlers[type(event)]):
            handler(event)

    transaction.on_commit(dispatch)
