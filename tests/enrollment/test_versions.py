"""Which course version a learner follows: a minor version moves them by itself, a major one does not (new
enrollments get it), and an administrator may move learners of older versions on purpose."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from syllabus.audit.models import AuditRecord
from syllabus.catalog import versions
from syllabus.catalog.events import ActivitySignalled
from syllabus.catalog.models import Activity, Course, CourseVersion
from syllabus.core import clock
from syllabus.core.events import emit
from syllabus.enrollment import services
from syllabus.enrollment.models import Enrollment, Status
from syllabus.progress.models import ActivityProgress, State
from tests.conftest import World
from tests.factories import ActivityFactory, publish


def _uids(version: CourseVersion) -> dict[str, str]:
    return {activity["title"]: str(activity["uid"]) for activity in versions.activities(version.snapshot)}


def _view(course: Course, enrollment: Enrollment, title: str) -> None:
    version = CourseVersion.objects.get(pk=enrollment.version_id)
    emit(
        ActivitySignalled(
            organization_id=course.organization_id,
            course_id=course.pk,
            version_id=version.pk,
            activity_uid=uuid.UUID(_uids(version)[title]),
            kind="page",
            signal="viewed",
            user_id=enrollment.membership.user_id,
            at=clock.now(),
        )
    )


def _publish(course: Course, world: World, capture) -> CourseVersion:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        version = publish(course, world.instructor.user)
    course.refresh_from_db()
    return version


def _minor(course: Course, world: World, capture) -> CourseVersion:  # type: ignore[no-untyped-def]
    """A wording change: the same structure, so a minor version."""
    Activity.objects.filter(course=course, title="Welcome").update(title="Welcome aboard")
    version = _publish(course, world, capture)
    assert version.change == "minor"
    return version


def _major(course: Course, world: World, capture) -> CourseVersion:  # type: ignore[no-untyped-def]
    """Evacuation goes, two activities come: a major version."""
    Activity.objects.filter(course=course, title="Evacuation").delete()
    section = Activity.objects.filter(course=course).first().section  # type: ignore[union-attr]
    ActivityFactory(section=section, title="Fire doors")
    ActivityFactory(section=section, title="Assembly point")
    version = _publish(course, world, capture)
    assert version.change == "major"
    return version


def _version_of(enrollment: Enrollment) -> str:
    enrollment.refresh_from_db()
    return CourseVersion.objects.get(pk=enrollment.version_id).label


# --- following versions by themselves ------------------------------------------------------------------------------


def test_a_minor_version_moves_active_learners_of_the_same_major_version(
    world: World, published: Course, django_capture_on_commit_callbacks
) -> None:
    learner = services.enrollment_self(course=published, by=world.learner.user)
    _minor(published, world, django_capture_on_commit_callbacks)
    assert _version_of(learner) == "1.1"


def test_a_major_version_leaves_learners_where_they_are_and_new_enrollments_get_it(
    world: World, published: Course, django_capture_on_commit_callbacks
) -> None:
    learner = services.enrollment_self(course=published, by=world.learner.user)
    _major(published, world, django_capture_on_commit_callbacks)
    assert _version_of(learner) == "1.0"
    newcomer = services.enrollment_self(course=published, by=world.engineer.user)
    assert _version_of(newcomer) == "2.0"
    # A minor version of 2 moves the newcomer, not the learner still on 1.
    _minor(published, world, django_capture_on_commit_callbacks)
    assert (_version_of(learner), _version_of(newcomer)) == ("1.0", "2.1")


# --- moving learners of older versions on purpose --------------------------------------------------------------------


@pytest.fixture
def two_majors(world: World, published: Course, django_capture_on_commit_callbacks) -> dict[str, Enrollment]:
    """On 1.0: the learner (Welcome and Evacuation done, 66 %) and the report (completed); on 2.0: the engineer."""
    learner = services.enrollment_self(course=published, by=world.learner.user)
    done = services.enrollment_self(course=published, by=world.report.user)
    with django_capture_on_commit_callbacks(execute=True):
        _view(published, learner, "Welcome")
        _view(published, learner, "Evacuation")
        for title in ("Welcome", "Extinguishers", "Evacuation"):
            _view(published, done, title)
    _major(published, world, django_capture_on_commit_callbacks)
    newcomer = services.enrollment_self(course=published, by=world.engineer.user)
    for row in (learner, done, newcomer):
        row.refresh_from_db()
    assert (learner.progress_percent, done.status) == (66, Status.COMPLETED)
    return {"learner": learner, "done": done, "newcomer": newcomer}


def test_migrating_moves_learners_in_progress_to_the_current_version_and_keeps_their_progress(
    world: World, published: Course, two_majors: dict[str, Enrollment], django_capture_on_commit_callbacks
) -> None:
    learner = two_majors["learner"]
    assert [(row.label, row.learners) for row in services.learners_on_older_versions(course=published)] == [("1.0", 1)]
    with django_capture_on_commit_callbacks(execute=True):
        moved = services.enrollments_migrate_version(course=published, by=world.org_admin.user)
    assert moved == 1
    assert _version_of(learner) == "2.0"
    assert _version_of(two_majors["done"]) == "1.0"  # completed learners keep the version they completed
    # Welcome still exists in 2.0 and counts; Evacuation is gone (its row is kept, it no longer counts).
    assert ActivityProgress.objects.filter(enrollment=learner, state=State.COMPLETED).count() == 2
    assert learner.progress_percent == 25  # 1 of the 4 required activities of 2.0
    assert learner.last_activity_uid is None  # Evacuation, where they were, is gone
    records = list(AuditRecord.objects.filter(organization=world.org, action="enrollment.versions_migrated"))
    assert len(records) == 1
    assert records[0].summary["count"] == 1
    assert records[0].summary["from_versions"] == {"1.0": 1} and records[0].summary["to_version"] == "2.0"
    assert services.learners_on_older_versions(course=published) == []
    # Nothing left to move: nothing happens, nothing is recorded.
    assert services.enrollments_migrate_version(course=published, by=world.org_admin.user) == 0
    assert AuditRecord.objects.filter(organization=world.org, action="enrollment.versions_migrated").count() == 1


def test_migrating_one_version_only_and_refusing_the_current_one(
    world: World, published: Course, two_majors: dict[str, Enrollment], django_capture_on_commit_callbacks
) -> None:
    first = CourseVersion.objects.get(course=published, major=1, minor=0)
    with pytest.raises(ValidationError) as current:
        services.enrollments_migrate_version(
            course=published, by=world.org_admin.user, from_version=published.published_version
        )
    assert current.value.message_dict == {"from_version": [services.VERSION_NOT_OLDER]}
    with django_capture_on_commit_callbacks(execute=True):
        moved = services.enrollments_migrate_version(course=published, by=world.instructor.user, from_version=first)
    assert moved == 1  # the course owner (course.manage) may
    assert _version_of(two_majors["learner"]) == "2.0"


@pytest.mark.parametrize("persona", ["learner", "manager", "engineer", "outsider"])
def test_only_the_course_owner_or_an_enrollment_administrator_migrates(
    world: World, published: Course, two_majors: dict[str, Enrollment], persona: str
) -> None:
    with pytest.raises(PermissionDenied):
        services.enrollments_migrate_version(course=published, by=getattr(world, persona).user)
    assert _version_of(two_majors["learner"]) == "1.0"
