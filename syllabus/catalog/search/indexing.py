"""Writing catalog entries: one course at a time (publish, archive, unarchive, delete) and everything at once."""

from __future__ import annotations

from django.db import connections, router, transaction

from syllabus.audiences.models import Audience
from syllabus.catalog.models import CatalogEntry, Category, Course, CourseVersion
from syllabus.catalog.search import engines
from syllabus.catalog.search.documents import entry_values
from syllabus.skills.models import Skill


def index_course(course: Course) -> CatalogEntry | None:
    """Create or refresh the course's catalog entry from its current published version.

    A course with no published version, or archived, is not listed: its entry is removed and None returned.
    Ids in the snapshot that no longer exist (a deleted category, skill or audience) are dropped. The full-text
    index follows the entry by itself (database triggers, see engines.py).
    """
    course = Course.objects.select_related("published_version").get(pk=course.pk)
    version: CourseVersion | None = course.published_version
    if version is None or course.archived_at is not None:
        remove_course(course)
        return None
    values = entry_values(version.snapshot)
    organization_id = course.organization_id
    category_id = (
        Category.objects.filter(organization_id=organization_id, pk=values.category_id)
        .values_list("pk", flat=True)
        .first()
        if values.category_id
        else None
    )
    audience_id = (
        Audience.objects.filter(organization_id=organization_id, pk=values.audience_id)
        .values_list("pk", flat=True)
        .first()
        if values.audience_id
        else None
    )
    with transaction.atomic():
        entry, _created = CatalogEntry.objects.update_or_create(
            course=course,
            defaults={
                "organization_id": organization_id,
                "version": version,
                "title": values.title,
                "summary": values.summary,
                "category_id": category_id,
                "language": values.language,
                "level": values.level,
                "duration_minutes": values.duration_minutes,
                "visibility": values.visibility,
                "audience_id": audience_id,
                "tags": values.tags,
                "document": values.document,
                "published_at": version.published_at,
            },
        )
        entry.skills.set(Skill.objects.filter(organization_id=organization_id, pk__in=values.skill_ids))
    return entry


def remove_course(course: Course) -> None:
    """Take the course out of the catalog (archive, delete). Nothing happens if it was not listed."""
    CatalogEntry.objects.filter(course_id=course.pk).delete()


def rebuild_index() -> None:
    """Rebuild the full-text index from the catalog entries (repair; the triggers keep it in step otherwise)."""
    alias = router.db_for_write(CatalogEntry)
    connection = connections[alias]
    engines.ensure_schema(connection)
    engines.for_alias(alias).rebuild(connection)
