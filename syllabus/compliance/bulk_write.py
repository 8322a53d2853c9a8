"""PostgreSQL-only bulk reads and writes for the evaluation: `id = ANY(array)`, ids from the sequence, COPY.

Django's `bulk_create` prepares every value of every row one field at a time in Python (half of a first
evaluation's time, measured: bench/README.md, "Compliance"), and an `IN` list or a `VALUES` list carries one
parameter per value, which psycopg splices into the query text in Python too. Here a list of ids is one array
parameter, and rows go to the server with `COPY ... FROM STDIN` (psycopg formats them in C). The callers keep
Django's ORM on other databases (SQLite): `enabled()` says which path to take.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models, transaction
from django.db.models import F, Lookup
from django.db.models.sql.compiler import SQLCompiler


def enabled() -> bool:
    """Whether to use this module's writers (PostgreSQL), or Django's ORM (elsewhere)."""
    return connection.vendor == "postgresql"


class _AnyOf(Lookup):  # type: ignore[type-arg]
    """`column = ANY(%s::bigint[])` with the ids as one parameter, the array's text: psycopg dumps a Python list
    element by element in Python (~4 ms for 2,000 ids), the text costs one `join`."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler: SQLCompiler, connection: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        lhs, lhs_params = self.process_lhs(compiler, connection)
        ids = "{" + ",".join(str(int(pk)) for pk in self.rhs) + "}"
        return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, ids]


def among(field: str, ids: Iterable[int]) -> models.Q | Lookup:  # type: ignore[type-arg]
    """A filter `field` in `ids`: one array parameter on PostgreSQL, an `IN` list elsewhere."""
    values = list(ids)
    if connection.vendor == "postgresql":
        return _AnyOf(F(field), values)
    return models.Q(**{f"{field}__in": values})


def fetch(queryset: models.QuerySet[Any, Any], *, json_at: int | None = None) -> list[tuple[Any, ...]]:
    """The rows of a `values_list` queryset of plain columns (numbers, text, dates, timestamps), and at most one
    JSON column, at `json_at` (no other field that converts what it reads). On PostgreSQL they are read past
    Django's converters (a generator step per row) and its loader of timestamps, a Python subclass of psycopg's
    that costs ~3 times its C original on every value (the values are the same instants; only the time zone
    object may differ, never the offset)."""
    if not enabled():
        return list(queryset)
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # On this cursor only (psycopg's own), and executed through Django's wrapper: logged and counted.
        cursor.cursor.adapters.register_loader("timestamptz", _TIMESTAMPTZ_LOADER)
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    if json_at is None:
        return rows
    # Django reads JSON columns as text and decodes them in the field (`JSONField.from_db_value`): likewise here.
    return [
        (*row[:json_at], None if row[json_at] is None else json.loads(row[json_at]), *row[json_at + 1 :])
        for row in rows
    ]


def _timestamptz_loader() -> type[Any] | None:
    try:
        import psycopg
        from psycopg import postgres, pq
    except ImportError:  # no psycopg: no PostgreSQL either
        return None
    return psycopg.adapters.get_loader(postgres.types["timestamptz"].oid, pq.Format.TEXT)


_TIMESTAMPTZ_LOADER = _timestamptz_loader()


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def take_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` new primary keys of `model`'s table, ascending, from its sequence in one query (rows written with
    COPY need their ids before they are written: the ledger and closed cycles point at new assignments)."""
    if count <= 0:
        return []
    table = model._meta.db_table
    column = model._meta.pk.column  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, column, count]
        )
        return sorted(row[0] for row in cursor.fetchall())


def copy_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write `rows` (tuples in the order of `columns`, database column names) into `model`'s table with COPY.
    JSON columns take the JSON text (`json.dumps`). Returns how many rows were written."""
    table = _quote(model._meta.db_table)
    names = ", ".join(_quote(column) for column in columns)
    count = 0
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def update_rows(model: type[models.Model], columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[Any]]) -> None:
    """Set `columns` ((column name, PostgreSQL type) pairs) of the rows of `model`'s table whose id is the first
    value of each row in `rows`: the rows are copied into a temporary table, then one `UPDATE ... FROM` joins it
    (an `UPDATE ... FROM (VALUES ...)` costs a parameter per value, spliced into the query in Python)."""
    table = model._meta.db_table
    key = model._meta.pk.column  # type: ignore[union-attr]
    definitions = ", ".join(f"{_quote(name)} {kind}" for name, kind in [(key, "bigint"), *columns])
    # Named by its columns too: a second call in the same transaction with other columns gets a table of its own.
    temp = _quote(f"bulk_{table}_{zlib.crc32(definitions.encode()):08x}")
    # ON COMMIT DROP: the table lives as long as the caller's transaction (a savepoint here makes one when the
    # caller has none, so it cannot vanish between statements in autocommit mode).
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {temp} ({definitions}) ON COMMIT DROP")
        cursor.execute(f"TRUNCATE {temp}")
        names = ", ".join(_quote(name) for name in [key, *(name for name, _kind in columns)])
        with cursor.copy(f"COPY {temp} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        assignments = ", ".join(f"{_quote(name)} = v.{_quote(name)}" for name, _kind in columns)
        cursor.execute(
            f"UPDATE {_quote(table)} AS t SET {assignments} "  # noqa: S608 (names from the model)
            f"FROM {temp} AS v WHERE t.{_quote(key)} = v.{_quote(key)}"
        )


def json_text(value: Any) -> str:
    """A JSON column's value as COPY expects it (text, read by the server's jsonb input)."""
    return json.dumps(value)
