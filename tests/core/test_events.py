"""Events emitted together (`emit_many`) are dispatched in order after the commit, sharing one `batch_memo`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction

from syllabus.core import events


@dataclass(frozen=True)
class Happened:
    n: int


@pytest.fixture
def heard() -> Iterator[list[tuple[int, Any]]]:
    seen: list[tuple[int, Any]] = []

    def handler(event: Happened) -> None:
        memo = events.batch_memo()
        if memo is not None:
            memo["tests.count"] = memo.get("tests.count", 0) + 1
            seen.append((event.n, memo["tests.count"]))
        else:
            seen.append((event.n, None))

    events.subscribe(Happened, handler)
    yield seen
    events.unsubscribe(Happened, handler)


@pytest.mark.django_db(transaction=True)
def test_a_batch_waits_for_the_commit_and_shares_one_memo(heard: list[tuple[int, Any]]) -> None:
    with transaction.atomic():
        events.emit_many(Happened(n) for n in (3, 1, 2))
        assert heard == []
    assert heard == [(3, 1), (1, 2), (2, 3)]
    assert events.batch_memo() is None  # gone once the batch is dispatched
    events.emit_many(Happened(n) for n in (7, 8))  # a fresh memo for the next batch
    assert heard[3:] == [(7, 1), (8, 2)]


@pytest.mark.django_db(transaction=True)
def test_a_batch_rolled_back_is_never_dispatched_and_a_lone_event_has_no_memo(heard: list[tuple[int, Any]]) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        events.emit_many([Happened(1)])
        raise RuntimeError
    events.emit(Happened(5))
    events.emit_many([])
    assert heard == [(5, None)]
