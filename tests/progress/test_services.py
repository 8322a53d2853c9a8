"""Progress: signals complete activities once, the course completes once with its version, time adds up capped."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from syllabus.catalog import versions
from syllabus.catalog.events import ActivitySignalled
from syllabus.core import clock
from syllabus.core.events import emit, subscribe, unsubscribe
from syllabus.enrollment import services as enrollment_services
from syllabus.enrollment.models import Status
from syllabus.progress import events, services
from syllabus.progress.models import ActivityProgress, Completion, State
from tests.conftest import World


def _uids(course) -> list[str]:  # type: ignore[no-untyped-def]
    return [a["uid"] for a in versions.activities(course.published_version.snapshot)]


def _signal(course, user, uid, signal="viewed", data=None) -> None:  # type: ignore[no-untyped-def]
    emit(
        ActivitySignalled(
            organization_id=course.organization_id,
            course_id=course.pk,
            version_id=course.published_version_id,
            activity_uid=uuid.UUID(uid),
            kind="page",
            signal=signal,
            user_id=user.pk,
            at=clock.now(),
            data=data or {},
        )
    )


@pytest.fixture
def captured():  # type: ignore[no-untyped-def]
    seen: list[object] = []
    for kind in (events.ActivityCompleted, events.CourseCompleted):
        subscribe(kind, seen.append)
    yield seen
    for kind in (events.ActivityCompleted, events.CourseCompleted):
        unsubscribe(kind, seen.append)


def test_viewing_every_page_completes_the_course_once_with_its_version(
    world: World, published, captured, django_capture_on_commit_callbacks
) -> None:
    enrollment = enrollment_services.enrollment_self(course=published, by=world.learner.user)
    with django_capture_on_commit_callbacks(execute=True):
        for uid in _uids(published):
            _signal(published, world.learner.user, uid)
            _signal(published, world.learner.user, uid)  # delivered twice: nothing more happens
    enrollment.refresh_from_db()
    assert enrollment.status == Status.COMPLETED and enrollment.progress_percent == 100
    assert [type(e).__name__ for e in captured].count("ActivityCompleted") == 3
    completed = [e for e in captured if isinstance(e, events.CourseCompleted)]
    assert len(completed) == 1 and completed[0].version_label == "1.0"
    assert Completion.objects.get(enrollment=enrollment).version_label == "1.0"


def test_progress_never_regresses(world: World, published, django_capture_on_commit_callbacks) -> None:
    enrollment = enrollment_services.enrollment_self(course=published, by=world.learner.user)
    uid = _uids(published)[0]
    with django_capture_on_commit_callbacks(execute=True):
        _signal(published, world.learner.user, uid)
    row = ActivityProgress.objects.get(enrollment=enrollment, activity_uid=uid)
    assert row.state == State.COMPLETED
    services.activity_opened(enrollment=enrollment, activity_uid=uuid.UUID(uid))
    row.refresh_from_db()
    assert row.state == State.COMPLETED
    enrollment.refresh_from_db()
    assert enrollment.progress_percent == 33


def test_signals_of_people_not_enrolled_are_ignored(
    world: World, published, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _signal(published, world.instructor.user, _uids(published)[0])
    assert not ActivityProgress.objects.exists()


def test_heartbeats_accumulate_with_a_cap(world: World, published) -> None:
    enrollment = enrollment_services.enrollment_self(course=published, by=world.learner.user)
    uid = uuid.UUID(_uids(published)[0])
    start = clock.now()
    assert services.heartbeat_record(enrollment=enrollment, activity_uid=uid, at=start) == 0
    assert services.heartbeat_record(enrollment=enrollment, activity_uid=uid, at=start + dt.timedelta(seconds=30)) == 30
    assert services.heartbeat_record(enrollment=enrollment, activity_uid=uid, at=start + dt.timedelta(seconds=32)) == 0
    assert (
        services.heartbeat_record(enrollment=enrollment, activity_uid=uid, at=start + dt.timedelta(hours=5))
        == services.MAX_BEAT_SECONDS
    )
    enrollment.refresh_from_db()
    assert enrollment.time_spent_seconds == 30 + services.MAX_BEAT_SECONDS


def test_beating_on_every_activity_at_once_counts_the_time_once(world: World, published) -> None:
    enrollment = enrollment_services.enrollment_self(course=published, by=world.learner.user)
    uids = [uuid.UUID(uid) for uid in _uids(published)]
    for uid in uids:
        services.activity_opened(enrollment=enrollment, activity_uid=uid)
    start = clock.now()
    for minute in range(10):
        for uid in uids:
            services.heartbeat_record(
                enrollment=enrollment,
                activity_uid=uid,
                at=start + dt.timedelta(minutes=minute, seconds=uids.index(uid)),
            )
    enrollment.refresh_from_db()
    # Ten minutes of wall clock (plus the seconds between the beats): never three times that.
    assert enrollment.time_spent_seconds <= 10 * 60 + 3
