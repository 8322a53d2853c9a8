from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def _ensure_index(using: str = "default", **kwargs: Any) -> None:
    # Thin adapter: SQLite drops a table's triggers and extra indexes when a migration rebuilds it.
    from syllabus.catalog.search import engines

    engines.ensure_schema(connections[using])


class CatalogSearchConfig(AppConfig):
    name = "syllabus.catalog.search"
    label = "catalog_search"
    verbose_name = "Catalog search"

    def ready(self) -> None:
        from syllabus.catalog import scale as catalog_scale
        from syllabus.core import scale

        post_migrate.connect(_ensure_index, sender=self, dispatch_uid="catalog_search_ensure_index")
        scale.register(
            scale.ScaleGenerator(
                option="courses",
                help="How many published courses to add to the organisation's catalog.",
                build=catalog_scale.build_courses,
            )
        )
