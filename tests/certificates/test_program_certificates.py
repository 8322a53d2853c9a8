"""Certificates issued by the real paths: a course completed through the progress service, a compliance program's
cycle (expiring with the cycle), and its recertification superseding the previous certificate — domain events
dispatched on commit, tasks run eagerly."""

# Fixtures imported from people_fixtures are redefined as test parameters, as pytest intends.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.urls import reverse

from syllabus.catalog import versions
from syllabus.certificates.models import Award, Certificate
from syllabus.compliance import evaluation
from syllabus.compliance.models import Assignment
from syllabus.enrollment import services as enrollment_services
from syllabus.enrollment.models import Enrollment
from syllabus.progress import services as progress_services
from tests.certificates.conftest import NOW, finish
from tests.certificates.people_fixtures import SignIn, as_person, no_render  # noqa: F401
from tests.conftest import World

pytestmark = pytest.mark.django_db


def complete_through_progress(world: World, enrollment: Enrollment) -> None:
    """The course team marks every activity complete: progress completes the course and says so (CourseCompleted)."""
    course = enrollment.course
    assert course is not None and course.published_version is not None
    for activity in versions.activities(course.published_version.snapshot):
        progress_services.activity_mark_complete(
            enrollment=enrollment, activity_uid=uuid.UUID(activity["uid"]), by=world.instructor.user, reason="In class"
        )


def test_a_course_completed_through_progress_issues_its_certificate(
    world: World, award, moved_clock, django_capture_on_commit_callbacks, no_render
) -> None:
    enrollment = enrollment_services.enrollment_create(
        course=award.course, membership=world.learner, by=world.instructor.user
    )
    with django_capture_on_commit_callbacks(execute=True):
        complete_through_progress(world, enrollment)
    certificate = Certificate.objects.get()
    assert certificate.membership_id == world.learner.pk and certificate.award_id == award.pk
    assert certificate.completion is not None and certificate.completion.enrollment_id == enrollment.pk
    assert certificate.issued_at == NOW and certificate.expires_at is None
    assert certificate.credential and certificate.state == "valid"
    # The PDF was queued for the worker once the certificate was committed.
    assert no_render == [certificate.pk]


def test_a_program_cycle_issues_a_certificate_expiring_with_the_cycle(
    world: World, sales, course, build, template, moved_clock, django_capture_on_commit_callbacks, no_render
) -> None:
    program = build.program(sales, [course], enroll=True, valid_months=12, window_days=60)
    Award.objects.create(organization=world.org, source="program", program=program, template=template)
    enrollment = Enrollment.objects.get(course=course, membership=world.learner)
    with django_capture_on_commit_callbacks(execute=True):
        complete_through_progress(world, enrollment)
    assignment = Assignment.objects.get(program=program, membership=world.learner)
    assert assignment.status == "compliant"
    certificate = Certificate.objects.get(program=program)
    assert certificate.source == "program" and certificate.title == program.name
    assert (certificate.assignment_id, certificate.cycle) == (assignment.pk, assignment.cycle)
    # The program's expiry: valid 12 months, so the certificate expires when the cycle does.
    assert assignment.expires_on == dt.date(2027, 3, 2)
    assert certificate.expires_at == dt.datetime(2027, 3, 2, tzinfo=dt.UTC)
    assert certificate.status_on(dt.datetime(2027, 3, 1, 23, 59, tzinfo=dt.UTC)) == "valid"
    assert certificate.status_on(dt.datetime(2027, 3, 2, tzinfo=dt.UTC)) == "expired"


def test_recertification_issues_a_new_certificate_and_supersedes_the_old(
    world: World, sales, course, build, template, moved_clock, django_capture_on_commit_callbacks, no_render
) -> None:
    program = build.program(sales, [course], valid_months=12, window_days=60)
    Award.objects.create(organization=world.org, source="program", program=program, template=template)
    with django_capture_on_commit_callbacks(execute=True):
        finish(world.learner, course, NOW)
        evaluation.evaluate_program(program, membership_ids=[world.learner.pk])
    first = Certificate.objects.get()
    # Eleven months on the recertification window is open; the learner completes again.
    later = moved_clock.to(dt.date(2027, 2, 1))
    with django_capture_on_commit_callbacks(execute=True):
        evaluation.evaluate_program(program, full=True)
        finish(world.learner, course, later)
        evaluation.evaluate_program(program, membership_ids=[world.learner.pk])
    first.refresh_from_db()
    second = Certificate.objects.exclude(pk=first.pk).get()
    assert first.state == "superseded" and first.superseded_by_id == second.pk
    assert second.state == "valid" and second.cycle == first.cycle + 1
    assert second.expires_at is not None and second.expires_at > first.expires_at
    # Evaluating again issues nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        evaluation.evaluate_program(program, full=True)
    assert Certificate.objects.count() == 2


def test_the_worker_draws_the_pdf_and_the_holder_downloads_it(
    world: World, award, moved_clock, django_capture_on_commit_callbacks, as_person: SignIn
) -> None:
    """No stand-in here: the render task runs the real rendering after commit (eager tasks)."""
    with django_capture_on_commit_callbacks(execute=True):
        from syllabus.certificates.services import issuing

        certificate = issuing.issue_for_course_completion(finish(world.learner, award.course, NOW).pk)
    assert certificate is not None
    certificate.refresh_from_db()
    assert certificate.render_state == "ready", certificate.render_error
    client = as_person(world.learner)
    page = client.get(reverse("certificates:mine"))
    assert reverse("certificates:pdf", args=[certificate.public_id]) in page.content.decode()
    response = client.get(reverse("certificates:pdf", args=[certificate.public_id]))
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")


def test_a_run_completing_many_asks_once_whether_the_program_awards_a_certificate(
    world: World, sales, course, build, moved_clock, django_capture_on_commit_callbacks
) -> None:
    """An evaluation dispatches its ProgramCompleted events as one batch: one award lookup, not one per person."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from syllabus.compliance import events as compliance_events
    from syllabus.core.events import emit_many

    program = build.program(sales, [course], enroll=False)
    completed = [
        compliance_events.ProgramCompleted(
            organization_id=world.org.pk,
            program_id=program.pk,
            assignment_id=n,
            membership_id=world.learner.pk,
            cycle=1,
            completed_on=dt.date(2026, 3, 2),
            expires_on=None,
            completion_id=None,
        )
        for n in range(1, 26)
    ]
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
        emit_many(completed)
    asked = [q["sql"] for q in queries.captured_queries if "certificates_award" in q["sql"]]
    assert len(asked) == 1
    assert not Certificate.objects.exists()
