"""Domain events: typed dataclasses dispatched to explicitly registered handlers after the transaction commits.

Apps declare their events in `<app>/events.py` and subscribe in their AppConfig.ready() with `subscribe`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any, TypeVar

from django.db import transaction

E = TypeVar("E")
Handler = Callable[[Any], None]

_handlers: dict[type, list[Handler]] = defaultdict(list)
# Set while the events of one `emit_many` are dispatched: what handlers found out that holds for the whole batch.
_batch_memo: ContextVar[dict[Any, Any] | None] = ContextVar("syllabus_events_batch_memo", default=None)


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


def emit_many(events: Iterable[object]) -> None:
    """Dispatch `events`, in order, once the current transaction commits, as one batch (a run that completes
    thousands of assignments emits them so). While the batch is dispatched, `batch_memo()` gives handlers a dict
    for answers that hold for the whole batch, such as one lookup per program instead of one per event."""
    pending = list(events)
    if not pending:
        return

    def dispatch() -> None:
        token = _batch_memo.set({})
        try:
            for event in pending:
                for handler in list(_handlers[type(event)]):
                    handler(event)
        finally:
            _batch_memo.reset(token)

    transaction.on_commit(dispatch)


def batch_memo() -> dict[Any, Any] | None:
    """The memo of the batch being dispatched (see `emit_many`), or None when an event came alone. Keys should
    name their app ("certificates.award", ...): every handler of the batch shares the dict."""
    return _batch_memo.get()
