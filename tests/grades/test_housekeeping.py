"""Grade files stashed by an import's dry run and never applied are deleted after a day (nightly task)."""

from __future__ import annotations

import datetime as dt
import os

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from syllabus.core import clock
from syllabus.grades import tasks
from syllabus.grades.housekeeping import STASH_DIR, import_stashes_prune


def stash(name: str, *, hours_old: float) -> str:
    path = default_storage.save(f"{STASH_DIR}/7/{name}", ContentFile(b"email,Essay\nann@example.com,80\n"))
    moment = (clock.now() - dt.timedelta(hours=hours_old)).timestamp()
    os.utime(default_storage.path(path), (moment, moment))
    return path


def test_only_stashes_older_than_a_day_are_deleted() -> None:
    old = stash("old.csv", hours_old=30)
    fresh = stash("fresh.xlsx", hours_old=2)
    assert import_stashes_prune() == 1
    assert not default_storage.exists(old) and default_storage.exists(fresh)
    assert import_stashes_prune() == 0  # running again deletes nothing more


def test_nothing_stashed_yet_is_no_error() -> None:
    assert import_stashes_prune() == 0


def test_the_nightly_task_is_scheduled_and_prunes() -> None:
    old = stash("abandoned.csv", hours_old=48)
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "grades.prune_import_stashes")
    assert entry["options"]["expires"]
    assert tasks.prune_import_stashes.delay().get() == 1
    assert not default_storage.exists(old)
