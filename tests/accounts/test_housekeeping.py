"""Old sessions and finished imports' staged rows are pruned; everything recent stays."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest

from syllabus.accounts.models import ImportJob, ImportRow, UserSession
from syllabus.accounts.tasks import prune_stale_records
from syllabus.core import clock

pytestmark = pytest.mark.django_db


def _aged(model, pk: int, **fields) -> None:
    model.objects.filter(pk=pk).update(**fields)


def _job(world, status: str, age_days: int) -> ImportJob:
    job = ImportJob.objects.create(
        organization=world.org, created_by=world.org_admin.user, status=status, token=secrets.token_hex(16)
    )
    _aged(ImportJob, job.pk, created_at=clock.now() - dt.timedelta(days=age_days))
    ImportRow.objects.create(job=job, row_number=2, data={"email": "x@example.test"}, action="create")
    return job


def test_pruning_removes_old_sessions_and_finished_imports_rows_only(world):
    now = clock.now()
    user = world.learner.user
    ended = UserSession.objects.create(user=user, session_key="ended-long-ago")
    _aged(UserSession, ended.pk, ended_at=now - dt.timedelta(days=40), last_seen_at=now - dt.timedelta(days=40))
    idle = UserSession.objects.create(user=user, session_key="idle-long-ago")
    _aged(UserSession, idle.pk, last_seen_at=now - dt.timedelta(days=31))
    current = UserSession.objects.create(user=user, session_key="current")
    old_applied = _job(world, ImportJob.Status.APPLIED, 40)
    old_abandoned = _job(world, ImportJob.Status.VALIDATED, 40)
    recent_applied = _job(world, ImportJob.Status.APPLIED, 2)
    running = _job(world, ImportJob.Status.APPLYING, 40)

    result = prune_stale_records.delay().get()

    assert result == {"sessions": 2, "import_rows": 2}
    assert list(UserSession.objects.values_list("session_key", flat=True)) == [current.session_key]
    assert set(ImportRow.objects.values_list("job_id", flat=True)) == {recent_applied.pk, running.pk}
    # The jobs stay as the history of what was imported.
    assert ImportJob.objects.filter(pk__in=[old_applied.pk, old_abandoned.pk]).count() == 2
    # Running it again finds nothing more.
    assert prune_stale_records.delay().get() == {"sessions": 0, "import_rows": 0}
