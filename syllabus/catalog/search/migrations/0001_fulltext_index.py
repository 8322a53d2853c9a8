"""The full-text index over catalog.CatalogEntry, in the database's own engine (see catalog/search/engines.py).

The SQL is frozen here, as a migration must be; engines.py holds the SQLite triggers again to re-create them
after Django rebuilds the entry table (tests compare the two).
"""

from django.db import migrations

SQLITE_FORWARD = [
    """CREATE VIRTUAL TABLE catalog_search_fts USING fts5(
        title, tags, summary, document,
        content='catalog_catalogentry', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    )""",
    """CREATE TRIGGER IF NOT EXISTS catalog_search_fts_insert AFTER INSERT ON catalog_catalogentry BEGIN
          INSERT INTO catalog_search_fts(rowid, title, tags, summary, document)
          VALUES (new.id, new.title, new.tags, new.summary, new.document);
        END""",
    """CREATE TRIGGER IF NOT EXISTS catalog_search_fts_delete AFTER DELETE ON catalog_catalogentry BEGIN
          INSERT INTO catalog_search_fts(catalog_search_fts, rowid, title, tags, summary, document)
          VALUES ('delete', old.id, old.title, old.tags, old.summary, old.document);
        END""",
    """CREATE TRIGGER IF NOT EXISTS catalog_search_fts_update
        AFTER UPDATE OF title, tags, summary, document ON catalog_catalogentry BEGIN
          INSERT INTO catalog_search_fts(catalog_search_fts, rowid, title, tags, summary, document)
          VALUES ('delete', old.id, old.title, old.tags, old.summary, old.document);
          INSERT INTO catalog_search_fts(rowid, title, tags, summary, document)
          VALUES (new.id, new.title, new.tags, new.summary, new.document);
        END""",
    # Index the entries that exist already.
    "INSERT INTO catalog_search_fts(catalog_search_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS catalog_search_fts_insert",
    "DROP TRIGGER IF EXISTS catalog_search_fts_delete",
    "DROP TRIGGER IF EXISTS catalog_search_fts_update",
    "DROP TABLE IF EXISTS catalog_search_fts",
]

POSTGRES_FORWARD = [
    "ALTER TABLE catalog_catalogentry ADD COLUMN search_vector tsvector",
    """CREATE OR REPLACE FUNCTION catalog_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.search_vector :=
        setweight(to_tsvector('english'::regconfig, coalesce(NEW.title, '')), 'A') ||
        setweight(to_tsvector('english'::regconfig, coalesce(NEW.tags, '')), 'B') ||
        setweight(to_tsvector('english'::regconfig, coalesce(NEW.summary, '')), 'C') ||
        setweight(to_tsvector('english'::regconfig, left(coalesce(NEW.document, ''), 200000)), 'D');
      RETURN NEW;
    END
    $$""",
    """CREATE TRIGGER catalog_search_vector
        BEFORE INSERT OR UPDATE OF title, tags, summary, document ON catalog_catalogentry
        FOR EACH ROW EXECUTE FUNCTION catalog_search_vector()""",
    # Index the entries that exist already (touching a watched column fires the trigger).
    "UPDATE catalog_catalogentry SET title = title",
    # fastupdate off: publishing is rare and searching constant. With a pending list, every search also scans the
    # list, and PostgreSQL's planner, costing it, prefers a sequential scan (10x slower at 10,000 courses).
    "CREATE INDEX catalog_search_vector_gin ON catalog_catalogentry USING gin (search_vector) WITH (fastupdate = off)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS catalog_search_vector_gin",
    "DROP TRIGGER IF EXISTS catalog_search_vector ON catalog_catalogentry",
    "DROP FUNCTION IF EXISTS catalog_search_vector()",
    "ALTER TABLE catalog_catalogentry DROP COLUMN IF EXISTS search_vector",
]


def _run(schema_editor, statements_by_vendor):
    for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)


def forward(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD})


def backward(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD})


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0002_initial"),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]
