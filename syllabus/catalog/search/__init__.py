"""The catalog's full-text search, in the database's own engine: SQLite FTS5 locally, PostgreSQL tsvector + GIN.

Public surface (all the catalog needs; engines.py explains the index itself):
- `index_course(course)`: create or refresh the course's `CatalogEntry` from its published version (publish,
  unarchive); removes it when the course is archived or unpublished.
- `remove_course(course)`: take the course out of the catalog (archive, delete).
- `search(entries, query)`: the entries matching the words of `query`, annotated with `rank` (higher is better)
  and ordered best first. `entries` is already scoped (organisation, visibility): search never widens it.
- `matching(entries, query)`: the same filter without rank or order (cheaper, for other sort orders).
- `rebuild_index()`: re-index every entry (repair).

This module is an app (label `catalog_search`) for its migration; it imports its models lazily, so that Django can
load it while the app registry is being filled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from syllabus.catalog.models import CatalogEntry, Course


def index_course(course: Course) -> CatalogEntry | None:
    from syllabus.catalog.search import indexing

    return indexing.index_course(course)


def remove_course(course: Course) -> None:
    from syllabus.catalog.search import indexing

    indexing.remove_course(course)


def rebuild_index() -> None:
    from syllabus.catalog.search import indexing

    indexing.rebuild_index()


def search(entries: QuerySet[CatalogEntry], query: str) -> QuerySet[CatalogEntry]:
    """Filter `entries` to those matching every word of `query` (the last word as a prefix), best first.

    Never raises on what a person typed: the text is cut into words, never passed on as query syntax. A query
    with no words is no search: every entry stays, each with rank 0, in the queryset's own order.
    """
    from django.db.models import FloatField, Value

    from syllabus.catalog.search import engines
    from syllabus.catalog.search.query import terms

    words = terms(query)
    if not words:
        return entries.annotate(rank=Value(0.0, output_field=FloatField()))
    return engines.for_alias(entries.db).match(entries, words).order_by("-rank", "title", "pk")


def matching(entries: QuerySet[CatalogEntry], query: str) -> QuerySet[CatalogEntry]:
    """Filter `entries` to those `search` finds, without ranking them (for lists sorted by title or date).

    Cheaper than `search` on SQLite: the matches become a set of ids, so the entries can be walked in index order.
    A query with no words filters nothing.
    """
    from syllabus.catalog.search import engines
    from syllabus.catalog.search.query import terms

    words = terms(query)
    if not words:
        return entries
    return engines.for_alias(entries.db).filter(entries, words)
