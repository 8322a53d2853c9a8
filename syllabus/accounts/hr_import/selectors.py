"""Reads of the HR import for pages and the API, each a constant number of queries."""

from __future__ import annotations

from django.db.models import QuerySet

from syllabus.accounts.models import ImportJob, ImportRow, Organization

PREVIEW_ROWS = 20


def import_job_list(*, organization: Organization) -> QuerySet[ImportJob]:
    """The organisation's imports, newest first, with who ran them (the error list is left in the database)."""
    return (
        ImportJob.objects.for_organization(organization)
        .select_related("created_by", "applied_by")
        .defer("errors", "options")
        .order_by("-created_at", "-id")
    )


def import_job_get(*, organization: Organization, job_id: int) -> ImportJob | None:
    return (
        ImportJob.objects.for_organization(organization)
        .select_related("created_by", "applied_by")
        .filter(pk=job_id)
        .first()
    )


def import_change_preview(*, job: ImportJob, limit: int = PREVIEW_ROWS) -> list[ImportRow]:
    """The first rows the dry run found to create or update, for people to eyeball before applying."""
    actions = (ImportRow.Action.CREATE, ImportRow.Action.UPDATE)
    return list(ImportRow.objects.filter(job=job, action__in=actions).order_by("row_number")[:limit])
