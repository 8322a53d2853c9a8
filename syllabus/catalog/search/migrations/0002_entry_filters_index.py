"""A covering index for the catalog's filters, counts and facets (see catalog/search/engines.py).

SQLite stores each entry's whole document in its row, so counting or filtering entries by reading rows means
reading megabytes; this index answers those from the index alone (bench/catalog_search.py: the first catalog page
and filtered pages with 10,000 courses). SQLite drops it when Django rebuilds the table: engines.ensure_schema()
puts it back after every migrate.
"""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS catalog_search_entry_filters ON catalog_catalogentry "
    "(organization_id, visibility, audience_id, category_id, language, level, duration_minutes)"
)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog_search", "0001_fulltext_index"),
    ]

    operations = [
        migrations.RunSQL(CREATE, reverse_sql="DROP INDEX IF EXISTS catalog_search_entry_filters", elidable=False),
    ]
