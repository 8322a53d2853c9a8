"""Completion criteria: all required, N of them, a minimum final score; expiry; optional activities."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from syllabus.catalog import learner_records, versions
from syllabus.catalog.events import ActivitySignalled
from syllabus.catalog.models import Activity
from syllabus.core import clock
from syllabus.core.events import emit
from syllabus.enrollment import services as enrollment_services
from syllabus.enrollment.models import Status
from syllabus.enrollment.services import common as seats
from syllabus.progress import services
from syllabus.progress.models import Completion, CompletionSettings
from tests.conftest import World
from tests.factories import publish


def _uids(course) -> list[str]:  # type: ignore[no-untyped-def]
    course.refresh_from_db()
    return [a["uid"] for a in versions.activities(course.published_version.snapshot)]


def _view(course, user, uid, score=None) -> None:  # type: ignore[no-untyped-def]
    emit(
        ActivitySignalled(
            organization_id=course.organization_id,
            course_id=course.pk,
            version_id=course.published_version_id,
            activity_uid=uuid.UUID(uid),
            kind="page",
            signal="viewed",
            user_id=user.pk,
            at=clock.now(),
            data={"score": score} if score is not None else {},
        )
    )


def test_n_of_activities_completes_after_that_many(world: World, published, django_capture_on_commit_callbacks) -> None:
    services.completion_settings_update(
        course=published, by=world.instructor.user, rule="n_activities", required_count=2
    )
    enrollment = enrollment_services.enrollment_self(course=published, by=world.learner.user)
    with django_capture_on_commit_callbacks(execute=True):
        _view(published, world.learner.user, _uids(published)[0])
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.progress_percent) == (Status.ACTIVE, 50)
    with django_capture_on_commit_callbacks(execute=True):
        _view(published, world.learner.user, _uids(published)[2])
    enrollment.refresh_from_db()
    assert enrollment.status == Status.COMPLETED


def test_minimum_score_holds_completion_back_until_reached(
    world: World, published, django_capture_on_commit_callbacks
) -> None:
    services.completion_settings_update(
        course=published, by=world.instructor.user, rule="min_score", min_score=Decimal("80")
    )
    enrollment = enrollment_services.enrollment_self(course=published, by=world.learner.user)
    uids = _uids(published)
    with django_capture_on_commit_callbacks(execute=True):
        for uid in uids:
            _view(published, world.learner.user, uid, score=0.5)
    enrollment.refresh_from_db()
    assert enrollment.status == Status.ACTIVE and enrollment.progress_percent == 99
    with django_capture_on_commit_callbacks(execute=True):
        for uid in uids:
            _view(published, world.learner.user, uid, score=0.9)
    enrollment.refresh_from_db()
    assert enrollment.status == Status.COMPLETED
    assert Completion.objects.get(enrollment=enrollment).score == Decimal("90.00")


def test_optional_activities_do_not_hold_completion(
    world: World, published, django_capture_on_commit_callbacks
) -> None:
    Activity.objects.filter(course=published, title="Evacuation").update(is_required=False)
    publish(published, world.instructor.user)
    enrollment = enrollment_services.enrollment_self(course=published, by=world.learner.user)
    optional = next(
        a["uid"] for a in versions.activities(published.published_version.snapshot) if a["title"] == "Evacuation"
    )
    with django_capture_on_commit_callbacks(execute=True):
        for uid in _uids(published):
            if uid != optional:
                _view(published, world.learner.user, uid)
    enrollment.refresh_from_db()
    assert enrollment.status == Status.COMPLETED


def test_completion_expires_after_the_validity(world: World, published, django_capture_on_commit_callbacks) -> None:
    services.completion_settings_update(
        course=published, by=world.instructor.user, rule="all_required", valid_for_days=365
    )
    enrollment_services.enrollment_self(course=published, by=world.learner.user)
    with django_capture_on_commit_callbacks(execute=True):
        for uid in _uids(published):
            _view(published, world.learner.user, uid)
    completion = Completion.objects.get(membership=world.learner)
    assert completion.expires_at is not None
    assert abs(completion.expires_at - (completion.completed_at + dt.timedelta(days=365))) < dt.timedelta(seconds=1)


def test_settings_are_validated_and_need_course_edit(world: World, published) -> None:
    with pytest.raises(ValidationError) as error:
        services.completion_settings_update(
            course=published, by=world.instructor.user, rule="n_activities", required_count=9
        )
    assert "only 3 activities" in str(error.value)
    with pytest.raises(ValidationError):
        services.completion_settings_update(course=published, by=world.instructor.user, rule="min_score")
    with pytest.raises(PermissionDenied):
        services.completion_settings_update(course=published, by=world.learner.user, rule="all_required")
    assert not CompletionSettings.objects.exists()


def test_a_course_with_enrollments_cannot_be_deleted(world: World, published) -> None:
    assert not learner_records.exist(published.pk)
    enrollment_services.enrollment_self(course=published, by=world.learner.user)
    assert learner_records.exist(published.pk)


def test_the_last_place_is_taken_once(world: World, published) -> None:
    options = enrollment_services.options_update(course=published, by=world.instructor.user, capacity=1)
    assert seats._take_seat(options) is True
    assert seats._take_seat(options) is False
