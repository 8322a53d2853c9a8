"""The database's own full-text engines behind `search()`: SQLite FTS5 and PostgreSQL tsvector.

Both keep their index in step with `catalog_catalogentry` by **database triggers** (created by this app's migration),
so every write reaches the index whoever makes it: `index_course`, the bulk scale generator, a cascading delete.

- SQLite: `catalog_search_fts`, an FTS5 table over the entry's title, tags, summary and document, reading its text
  from the entry table itself (external content: no second copy). Stemmed (porter), accents folded. Ranked by
  bm25 with column weights title 10, tags 5, summary 3, document 1. SQLite drops a table's triggers when Django
  rebuilds the table in a later migration, so `ensure_schema()` runs after every `migrate` and puts back
  (and re-indexes) anything missing.
- PostgreSQL: a `search_vector tsvector` column on the entry table, kept by a BEFORE trigger as
  setweight(title, A) || setweight(tags, B) || setweight(summary, C) || setweight(document, D) with the english
  configuration, under a GIN index. Ranked by ts_rank_cd (normalised to [0, 1)).

Ranking guarantee on both: an entry whose title holds every word ranks above every entry whose title does not
(rank = 1 for the title match + the engine's score squashed into [0, 1)). Within those two tiers the engines
order differently (bm25 versus cover density); tests assert only what both guarantee.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Case, FloatField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL

from syllabus.catalog.search import query as search_query

if TYPE_CHECKING:
    from syllabus.catalog.models import CatalogEntry

FTS_TABLE = "catalog_search_fts"
ENTRY_TABLE = "catalog_catalogentry"
VECTOR_COLUMN = "search_vector"
# bm25 weights, in the FTS table's column order: title, tags, summary, document.
BM25_WEIGHTS = "10.0, 5.0, 3.0, 1.0"
# ts_rank_cd weights for D, C, B, A (document, summary, tags, title).
TS_WEIGHTS = "{0.1, 0.3, 0.5, 1.0}"

# The same statements as the migration (a test compares them); literal names, as in the migration.
SQLITE_TRIGGERS: dict[str, str] = {
    "catalog_search_fts_insert": """
        CREATE TRIGGER IF NOT EXISTS catalog_search_fts_insert AFTER INSERT ON catalog_catalogentry BEGIN
          INSERT INTO catalog_search_fts(rowid, title, tags, summary, document)
          VALUES (new.id, new.title, new.tags, new.summary, new.document);
        END""",
    "catalog_search_fts_delete": """
        CREATE TRIGGER IF NOT EXISTS catalog_search_fts_delete AFTER DELETE ON catalog_catalogentry BEGIN
          INSERT INTO catalog_search_fts(catalog_search_fts, rowid, title, tags, summary, document)
          VALUES ('delete', old.id, old.title, old.tags, old.summary, old.document);
        END""",
    "catalog_search_fts_update": """
        CREATE TRIGGER IF NOT EXISTS catalog_search_fts_update
        AFTER UPDATE OF title, tags, summary, document ON catalog_catalogentry BEGIN
          INSERT INTO catalog_search_fts(catalog_search_fts, rowid, title, tags, summary, document)
          VALUES ('delete', old.id, old.title, old.tags, old.summary, old.document);
          INSERT INTO catalog_search_fts(rowid, title, tags, summary, document)
          VALUES (new.id, new.title, new.tags, new.summary, new.document);
        END""",
}


class Engine(Protocol):
    def match(self, queryset: QuerySet[CatalogEntry], words: list[str]) -> QuerySet[CatalogEntry]:
        """Filter to the matches, annotated with `rank` (not ordered)."""
        ...

    def filter(self, queryset: QuerySet[CatalogEntry], words: list[str]) -> QuerySet[CatalogEntry]:
        """Filter to the matches only: no join, no rank (cheaper when the order is not relevance)."""
        ...

    def rebuild(self, connection: BaseDatabaseWrapper) -> None: ...


class SQLiteEngine:
    def match(self, queryset: QuerySet[CatalogEntry], words: list[str]) -> QuerySet[CatalogEntry]:
        entry = queryset.model._meta.db_table
        title_hit = (
            f"CASE WHEN {FTS_TABLE}.rowid IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s) "  # noqa: S608
            "THEN 1.0 ELSE 0.0 END"
        )
        # bm25() is negative, lower is better: 1 - 1 / (1 - b) maps it onto [0, 1), higher is better (one call).
        score = f"1.0 - 1.0 / (1.0 - bm25({FTS_TABLE}, {BM25_WEIGHTS}))"
        # extra() because the FTS table is no model. The full-text query must drive the join: bm25() then runs once
        # per match, and the MATCH is evaluated once. "rowid + 0" hides the rowid from FTS5's planner, which would
        # otherwise loop over the entries and re-run the whole MATCH for each (seconds instead of milliseconds on
        # 10,000 courses, for COUNT(*) in particular).
        return queryset.extra(  # noqa: S610 (no user text in the SQL: the query is a bound parameter)
            select={"rank": f"({title_hit}) + {score}"},
            select_params=(search_query.fts5_match(words, column="title"),),
            tables=[FTS_TABLE],
            where=[f"{entry}.id = {FTS_TABLE}.rowid + 0", f"{FTS_TABLE} MATCH %s"],
            params=[search_query.fts5_match(words)],
        )

    def filter(self, queryset: QuerySet[CatalogEntry], words: list[str]) -> QuerySet[CatalogEntry]:
        # Evaluated once into a set of ids: the entries can then be walked in title or date order and stop early.
        sql = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"  # noqa: S608 (constants only)
        matches = RawSQL(sql, [search_query.fts5_match(words)])  # noqa: S611 (the query is a bound parameter)
        return queryset.filter(pk__in=matches)

    def rebuild(self, connection: BaseDatabaseWrapper) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")  # noqa: S608


class PostgresEngine:
    def match(self, queryset: QuerySet[CatalogEntry], words: list[str]) -> QuerySet[CatalogEntry]:
        vector = f'"{queryset.model._meta.db_table}"."{VECTOR_COLUMN}"'
        tsquery = "to_tsquery('english'::regconfig, %s)"
        # ts_filter keeps the title's (weight A) lexemes: does the title alone match every word?
        title_hit = f"CASE WHEN ts_filter({vector}, '{{a}}') @@ {tsquery} THEN 1.0 ELSE 0.0 END"
        # Normalisation 32 is rank / (rank + 1): already in [0, 1).
        score = f"ts_rank_cd('{TS_WEIGHTS}', {vector}, {tsquery}, 32)"
        text = search_query.tsquery(words)
        return queryset.extra(  # noqa: S610 (no user text in the SQL: the query is a bound parameter)
            select={"rank": f"({title_hit}) + {score}"},
            select_params=(text, text),
            where=[f"{vector} @@ {tsquery}"],
            params=[text],
        )

    def filter(self, queryset: QuerySet[CatalogEntry], words: list[str]) -> QuerySet[CatalogEntry]:
        vector = f'"{queryset.model._meta.db_table}"."{VECTOR_COLUMN}"'
        return queryset.extra(  # noqa: S610 (no user text in the SQL: the query is a bound parameter)
            where=[f"{vector} @@ to_tsquery('english'::regconfig, %s)"], params=[search_query.tsquery(words)]
        )

    def rebuild(self, connection: BaseDatabaseWrapper) -> None:
        with connection.cursor() as cursor:
            # Touching a watched column makes the trigger recompute every vector.
            cursor.execute(f"UPDATE {ENTRY_TABLE} SET title = title")  # noqa: S608


class ScanEngine:
    """Any other database: every word somewhere in the document, title matches first. Slow, but correct."""

    def match(self, queryset: QuerySet[CatalogEntry], words: list[str]) -> QuerySet[CatalogEntry]:
        in_title = Q()
        for word in words:
            in_title &= Q(title__icontains=word)
        rank = Case(When(in_title, then=Value(1.0)), default=Value(0.0), output_field=FloatField())
        return self.filter(queryset, words).annotate(rank=rank)

    def filter(self, queryset: QuerySet[CatalogEntry], words: list[str]) -> QuerySet[CatalogEntry]:
        in_document = Q()
        for word in words:
            in_document &= Q(document__icontains=word)
        return queryset.filter(in_document)

    def rebuild(self, connection: BaseDatabaseWrapper) -> None:
        return None


def for_alias(alias: str) -> Engine:
    vendor = connections[alias].vendor
    if vendor == "sqlite":
        return SQLiteEngine()
    if vendor == "postgresql":
        return PostgresEngine()
    return ScanEngine()


FILTERS_INDEX = "catalog_search_entry_filters"
MIGRATION_0002 = "0002_entry_filters_index"
# The same statement as migration 0002.
FILTERS_INDEX_SQL = (
    "CREATE INDEX IF NOT EXISTS catalog_search_entry_filters ON catalog_catalogentry "
    "(organization_id, visibility, audience_id, category_id, language, level, duration_minutes)"
)


def ensure_schema(connection: BaseDatabaseWrapper) -> list[str]:
    """SQLite: re-create what a rebuild of the entry table dropped (triggers, the filters index), re-indexing if a
    trigger was missing (writes may have been missed). Returns the names it created; nothing before the migrations.
    """
    if connection.vendor != "sqlite":
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name = %s OR type IN ('trigger', 'index')", [FTS_TABLE])
        found = {name for (name,) in cursor.fetchall()}
        if FTS_TABLE not in found:
            return []
        missing = [name for name in SQLITE_TRIGGERS if name not in found]
        for name in missing:
            cursor.execute(SQLITE_TRIGGERS[name])
        if missing:
            SQLiteEngine().rebuild(connection)
        cursor.execute("SELECT 1 FROM django_migrations WHERE app = 'catalog_search' AND name = %s", [MIGRATION_0002])
        if FILTERS_INDEX not in found and cursor.fetchone():
            cursor.execute(FILTERS_INDEX_SQL)
            missing.append(FILTERS_INDEX)
    return missing
