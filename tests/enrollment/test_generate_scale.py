"""`manage.py generate_scale --course-size / --enrollments / --team-manager`: scale data for enrollments and progress,
kept small here (an S course, a few hundred enrollments); bench/dashboards.py builds the big ones."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from syllabus.access.policy import principal_for
from syllabus.accounts.models import Membership, Organization
from syllabus.audit.models import AuditRecord
from syllabus.catalog import versions
from syllabus.catalog.models import CatalogEntry, CourseStaff
from syllabus.enrollment import scale as enrollment_scale
from syllabus.enrollment.models import LIVE_STATES, Enrollment, Status
from syllabus.progress import services as progress_services
from syllabus.progress.models import ActivityProgress, Completion, State

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("generate_scale", *args, stdout=out)
    return out.getvalue()


def test_an_s_course_has_moodles_shape_and_learners_whose_summaries_match_their_progress():
    out = run("--users", "40", "--course-size", "S", "--organization", "bench")
    org = Organization.objects.get(slug="bench")
    course = enrollment_scale.sized_course(org, "S")
    assert course is not None and "(size S)" in out
    # Too few people for 100 learners and an owner: the generator added them.
    assert Membership.objects.filter(organization=org).count() == 101
    assert course.sections.count() == 10 and course.activities.count() == 50
    assert set(course.activities.values_list("kind", flat=True)) == {"page"}
    version = course.published_version
    assert version is not None and version.snapshot == versions.build_snapshot(course)
    assert CatalogEntry.objects.filter(course=course, version=version).exists()
    assert CourseStaff.objects.filter(course=course, role=CourseStaff.Role.OWNER).count() == 1

    enrollments = Enrollment.objects.filter(course=course)
    assert enrollments.count() == 100
    statuses = Counter(enrollments.values_list("status", flat=True))
    assert statuses[Status.COMPLETED] > 0 and statuses[Status.ACTIVE] > 0
    assert enrollments.filter(progress_percent=0).exists() and enrollments.filter(progress_percent__gt=0).exists()
    for enrollment in enrollments:
        # What progress.services computes from the activity rows is what the generator stored on the summary.
        standing = progress_services.standing(enrollment)
        assert standing.percent == enrollment.progress_percent, enrollment.pk
        assert standing.met == (enrollment.status == Status.COMPLETED)
        assert enrollment.version_id == version.pk
    completed = enrollments.filter(status=Status.COMPLETED)
    assert Completion.objects.filter(enrollment__in=completed).count() == completed.count()
    assert not ActivityProgress.objects.filter(enrollment__in=completed).exclude(state=State.COMPLETED).exists()
    # One audit summary for the run, not one record per enrollment.
    summaries = AuditRecord.objects.filter(organization=org, action="enrollment.bulk_created")
    assert summaries.count() == 1 and summaries.get().summary["count"] == 100


def test_enrollments_spread_over_people_and_courses_with_every_status(monkeypatch):
    monkeypatch.setattr(enrollment_scale, "MIN_FREE_COURSES", 15)
    run("--users", "30", "--organization", "bench")
    out = run("--enrollments", "300", "--organization", "bench")
    org = Organization.objects.get(slug="bench")
    assert "Built 300 enrollments of 30 people in 15 courses" in out
    enrollments = Enrollment.objects.filter(organization=org)
    assert enrollments.count() == 300
    assert set(enrollments.values_list("status", flat=True)) == {status for status, _ in enrollment_scale.STATUSES}
    # Never two live enrollments of one person in one course (the database would refuse them anyway).
    live = enrollments.filter(status__in=LIVE_STATES).values("membership", "course").annotate(n=Count("pk"))
    assert not live.filter(n__gt=1).exists()
    per_person = enrollments.values("membership").annotate(n=Count("pk"))
    assert per_person.count() == 30 and all(row["n"] >= 1 for row in per_person)
    assert enrollments.filter(status=Status.ACTIVE, due_at__isnull=False).exists()
    completed = enrollments.filter(status=Status.COMPLETED)
    assert Completion.objects.filter(enrollment__in=completed).count() == completed.count()
    assert not enrollments.filter(status=Status.ACTIVE, version__isnull=True).exists()
    assert not enrollments.filter(status=Status.PENDING, version__isnull=False).exists()

    # A second run takes courses nobody is enrolled in yet, building more when too few are left.
    run("--enrollments", "100", "--organization", "bench")
    assert Enrollment.objects.filter(organization=org).count() == 400
    assert AuditRecord.objects.filter(organization=org, action="enrollment.bulk_created").count() == 2


def test_the_team_manager_gets_exactly_that_many_people_in_their_reporting_line():
    out = run("--users", "200", "--team-manager", "60", "--organization", "bench")
    org = Organization.objects.get(slug="bench")
    manager = enrollment_scale.team_manager(org, 60)
    assert manager is not None and manager.user.email in out
    assert len(principal_for(manager.user, org).reporting_line_ids) == 60
    # Still one tree: everyone but the chief executive reaches the top, without loops.
    managers = dict(Membership.objects.filter(organization=org).values_list("pk", "manager_id"))
    for pk in managers:
        seen = 0
        while managers[pk] is not None:
            pk, seen = managers[pk], seen + 1
            assert seen < 10


def test_the_same_seed_builds_the_same_course_learners():
    def learners(slug: str) -> list[tuple]:
        return list(
            Enrollment.objects.filter(organization__slug=slug)
            .order_by("membership__employee_id")
            .values_list("membership__employee_id", "status", "progress_percent")
        )

    run("--users", "120", "--course-size", "S", "--organization", "one", "--seed", "3")
    run("--users", "120", "--course-size", "S", "--organization", "two", "--seed", "3")
    assert learners("one") == learners("two")


def test_course_size_takes_only_the_known_sizes():
    with pytest.raises(CommandError, match="invalid choice"):
        run("--course-size", "XL", "--organization", "bench")
