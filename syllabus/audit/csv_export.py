"""The trail as CSV, streamed a batch at a time (constant memory, whatever the number of records).

Each line carries the record's hashes, so whoever receives an export can recompute the chain themselves.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from syllabus.audit.models import AuditRecord
from syllabus.audit.selectors import AuditRow, audit_rows

BATCH_SIZE = 500
COLUMNS = (
    "seq",
    "time",
    "action",
    "action_label",
    "actor",
    "actor_email",
    "actor_subject",
    "target_type",
    "target_id",
    "target",
    "target_subject",
    "before",
    "after",
    "summary",
    "ip_address",
    "user_agent",
    "prev_hash",
    "hash",
)
# A cell starting with one of these is a formula to spreadsheet programs (CSV injection): prefix a quote.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a generator."""

    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        text = json.dumps(value, sort_keys=True, ensure_ascii=False) if value else ""
    else:
        text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def _line(row: AuditRow) -> list[str]:
    record = row.record
    return [
        _cell(value)
        for value in (
            record.seq,
            record.created_at.isoformat(),
            record.action,
            row.action_label,
            row.actor,
            row.actor_detail,
            record.actor_subject,
            record.target_type,
            record.target_id,
            row.target,
            record.target_subject,
            row.before,
            row.after,
            row.summary,
            row.ip_address,
            row.user_agent,
            record.prev_hash,
            record.hash,
        )
    ]


def _batches(queryset: QuerySet[AuditRecord]) -> Iterator[list[AuditRecord]]:
    # Keyset pagination on seq (unique within the one chain a listing shows): no open cursor between batches.
    queryset = queryset.order_by("-seq")
    batch = list(queryset[:BATCH_SIZE])
    while batch:
        yield batch
        batch = list(queryset.filter(seq__lt=batch[-1].seq)[:BATCH_SIZE]) if len(batch) == BATCH_SIZE else []


def csv_lines(queryset: QuerySet[AuditRecord]) -> Iterator[str]:
    """The header, then one line per record, newest first."""
    writer = csv.writer(_Echo())
    yield writer.writerow(COLUMNS)
    for batch in _batches(queryset):
        for row in audit_rows(batch):
            yield writer.writerow(_line(row))
