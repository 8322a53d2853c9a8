"""`manage.py catalog_reindex`: rebuild the catalog entries from the published versions, then the full-text index.

For after a change to what the index reads (an activity kind's `search_text`, the document's composition) or to
repair: every published, unarchived course gets its entry written again by `index_course`, entries of courses no
longer listed are removed, and the engine's index is rebuilt from the entries. Idempotent; `--organization` limits
it to one organisation.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from syllabus.accounts.models import Organization
from syllabus.catalog import search
from syllabus.catalog.models import CatalogEntry, Course

NO_ORGANIZATION = "No organisation {slug!r}."


class Command(BaseCommand):
    help = "Rebuild the catalog entries from the published versions, and the full-text index."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organization", help="Short name (slug) of one organisation (default: all).")

    def handle(self, *args: Any, **options: Any) -> None:
        courses = Course.objects.all()
        entries = CatalogEntry.objects.all()
        if options["organization"]:
            organization = Organization.objects.filter(slug=options["organization"]).first()
            if organization is None:
                raise CommandError(NO_ORGANIZATION.format(slug=options["organization"]))
            courses, entries = courses.filter(organization=organization), entries.filter(organization=organization)
        listed = courses.filter(published_version__isnull=False, archived_at__isnull=True)
        _, deleted = entries.exclude(course__in=listed).delete()
        removed = deleted.get(CatalogEntry._meta.label, 0)
        indexed = 0
        for course in listed.order_by("pk").iterator(chunk_size=500):
            search.index_course(course)
            indexed += 1
        search.rebuild_index()
        self.stdout.write(
            self.style.SUCCESS(f"Indexed {indexed} courses; removed {removed} entries of courses no longer listed.")
        )
