"""Pruning of rows that only matter for a while: ended sign-in sessions and the staged rows of old HR imports."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from syllabus.accounts.models import ImportJob, ImportRow, UserSession
from syllabus.core import clock

KEEP_DAYS = 30


def stale_records_prune(*, keep_days: int = KEEP_DAYS, now: dt.datetime | None = None) -> dict[str, int]:
    """Delete session rows ended or idle for `keep_days`, and the staged rows of imports finished that long ago.

    The import jobs themselves stay (with their counts and error report) as the history of what was imported;
    their staged rows hold personal data that is no longer needed once the job is done. Safe to run any time.
    """
    cutoff = (now or clock.now()) - dt.timedelta(days=keep_days)
    sessions, _ = UserSession.objects.filter(Q(ended_at__lt=cutoff) | Q(last_seen_at__lt=cutoff)).delete()
    finished = ImportJob.objects.filter(
        Q(status=ImportJob.Status.APPLIED) | Q(status=ImportJob.Status.FAILED), created_at__lt=cutoff
    )
    rows, _ = ImportRow.objects.filter(job__in=finished).delete()
    # Jobs finish within hours of their upload; one validated this long ago and never applied was abandoned.
    abandoned = ImportJob.objects.filter(status=ImportJob.Status.VALIDATED, created_at__lt=cutoff)
    abandoned_rows, _ = ImportRow.objects.filter(job__in=abandoned).delete()
    return {"sessions": sessions, "import_rows": rows + abandoned_rows}
