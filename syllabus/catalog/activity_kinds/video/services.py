"""Recording what a learner watched (the video kind's only write)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from syllabus.accounts.models import User
from syllabus.catalog.activity_kinds.video import intervals as iv
from syllabus.catalog.activity_kinds.video.models import WatchProgress
from syllabus.catalog.models import Course

DURATION_CHANGED = "The reported duration does not match this video's ({duration} seconds)."
# Reports are cumulative (the player always sends everything it played since the page opened), so a report
# refused as implausible is sent again, with more wall-clock time behind it. Coverage may grow at most this fast:
MAX_PLAYBACK_RATE = 4.0
SLACK_SECONDS = 30.0


@dataclass(frozen=True)
class WatchResult:
    progress: WatchProgress
    accepted: bool  # False: more was reported than could have been watched since the first report
    newly_watched: bool  # coverage reached the percentage with this report (emit "watched" once)

    @property
    def coverage(self) -> float:
        return iv.coverage(self.progress.intervals, self.progress.duration)


def watch_progress_record(
    *,
    user: User,
    course: Course,
    version_id: int,
    activity_uid: uuid.UUID,
    duration: float,
    intervals: Sequence[iv.Interval],
    percent: int,
    now: dt.datetime | None = None,
) -> WatchResult:
    """Merge reported intervals (already validated by `intervals.parse`) into the learner's progress.

    Raises ValueError when the duration differs from the one first reported for this version of the video, and
    `intervals.TooFragmented` (a ValueError) when more than MAX_STORED_INTERVALS separate stretches would be kept.
    """
    now = now or timezone.now()
    with transaction.atomic():
        progress = (
            WatchProgress.objects.select_for_update()
            .filter(user=user, version_id=version_id, activity_uid=activity_uid)
            .first()
        )
        if progress is None:
            try:
                with transaction.atomic():
                    progress = WatchProgress.objects.create(
                        organization_id=course.organization_id,
                        user=user,
                        course=course,
                        version_id=version_id,
                        activity_uid=activity_uid,
                        duration=duration,
                    )
            except IntegrityError:
                progress = WatchProgress.objects.select_for_update().get(
                    user=user, version_id=version_id, activity_uid=activity_uid
                )
        if abs(progress.duration - duration) > max(2.0, progress.duration * 0.01):
            raise ValueError(DURATION_CHANGED.format(duration=round(progress.duration)))
        merged = iv.merge([*progress.intervals, *intervals])
        if len(merged) > iv.MAX_STORED_INTERVALS:
            raise iv.TooFragmented(iv.TOO_FRAGMENTED.format(limit=iv.MAX_STORED_INTERVALS))
        watched = iv.covered(merged)
        elapsed = max(0.0, (now - progress.created_at).total_seconds())
        if watched - progress.watched_seconds > elapsed * MAX_PLAYBACK_RATE + SLACK_SECONDS:
            return WatchResult(progress=progress, accepted=False, newly_watched=False)
        progress.intervals = [[start, end] for start, end in merged]
        progress.watched_seconds = round(watched, iv.PRECISION)
        newly_watched = progress.watched_at is None and iv.reaches(merged, progress.duration, percent)
        if newly_watched:
            progress.watched_at = now
        progress.save(update_fields=["intervals", "watched_seconds", "watched_at", "updated_at"])
    return WatchResult(progress=progress, accepted=True, newly_watched=newly_watched)
