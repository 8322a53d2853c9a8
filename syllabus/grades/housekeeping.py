"""Pruning what the gradebook keeps only for a while: grade files checked by an import's dry run and never applied.

A dry run stashes the checked file (`views_import._stash`) so "Apply" imports exactly what was checked; the
session that knows of it may end first (closed tab, signed out), leaving the file behind with grades in it.
"""

from __future__ import annotations

import datetime as dt

from django.core.files.storage import Storage, default_storage

from syllabus.core import clock

STASH_DIR = "grades/imports"
KEEP_HOURS = 24


def import_stashes_prune(
    *, keep_hours: int = KEEP_HOURS, now: dt.datetime | None = None, storage: Storage | None = None
) -> int:
    """Delete stashed import files older than `keep_hours` (an import is applied minutes after its dry run; a
    session lasts less than a day). Returns how many were deleted. Safe to run any time."""
    storage = storage or default_storage
    cutoff = (now or clock.now()) - dt.timedelta(hours=keep_hours)
    if not storage.exists(STASH_DIR):
        return 0
    deleted = 0
    organizations, _ = storage.listdir(STASH_DIR)
    for organization in organizations:
        folder = f"{STASH_DIR}/{organization}"
        _, names = storage.listdir(folder)
        for name in names:
            path = f"{folder}/{name}"
            if storage.get_modified_time(path) < cutoff:
                storage.delete(path)
                deleted += 1
    return deleted
