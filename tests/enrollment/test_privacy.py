"""A person's enrollments, course groups and course messages in privacy exports, and what erasure leaves."""

from __future__ import annotations

import json

import pytest

from syllabus.audit import services as audit_services
from syllabus.core import clock
from syllabus.core import privacy as registry
from syllabus.enrollment import privacy, services
from syllabus.enrollment.models import Enrollment, EnrollmentOptions, GroupMember, SelfEnrollment, Status
from tests.conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def approval_course(world: World, published):  # type: ignore[no-untyped-def]
    """The published course, one place, people ask for it; the learner has it, the report waits for the next."""
    services.options_update(
        course=published, by=world.instructor.user, self_enrollment=SelfEnrollment.APPROVAL, capacity=1
    )
    mine = services.enrollment_self(course=published, by=world.learner.user, note="My manager asked me to.")
    services.enrollment_approve(enrollment=mine, by=world.instructor.user)
    theirs = services.enrollment_self(course=published, by=world.report.user, note="Please.")
    services.enrollment_approve(enrollment=theirs, by=world.instructor.user)
    theirs.refresh_from_db()
    assert theirs.status == Status.WAITLISTED
    group = services.group_create(course=published, by=world.instructor.user, name="Site A")
    services.group_members_change(group=group, by=world.instructor.user, add=[mine.pk])
    services.course_message_send(
        course=published,
        by=world.instructor.user,
        subject="Welcome",
        body="See you on Monday.",
        enrollment_ids=[mine.pk],
    )
    return published


def test_export_lists_enrollments_groups_and_messages_of_that_organisation(world: World, approval_course) -> None:
    exported = privacy.export_person(world.learner.user, world.org)
    (enrollment,) = exported["enrollments"]
    assert enrollment["organization"] == "Acme Health" and enrollment["course"] == "Fire safety"
    assert enrollment["status"] == "active" and enrollment["method"] == "self"
    assert enrollment["version"] == "1.0" and enrollment["progress_percent"] == 0
    assert enrollment["request_note"] == "My manager asked me to."
    assert enrollment["decided_by"] == "Ingrid Instructor"
    assert enrollment["groups"] == ["Site A"]
    (message,) = exported["messages_received"]
    assert message == {
        "organization": "Acme Health",
        "course": "Fire safety",
        "from": "Ingrid Instructor",
        "sent_at": message["sent_at"],
        "subject": "Welcome",
        "message": "See you on Monday.",
    }
    assert privacy.export_person(world.instructor.user, world.org)["messages_sent"][0]["recipients"] == 1
    json.dumps(exported)  # JSON-ready as it is
    elsewhere = privacy.export_person(world.learner.user, world.other_org)
    assert elsewhere == {"enrollments": [], "messages_received": [], "messages_sent": []}


def test_erasure_keeps_the_rows_clears_the_note_leaves_groups_and_frees_the_place(
    world: World, approval_course, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        privacy.erase_person(world.learner.user, world.org_admin.user)
    mine = Enrollment.objects.get(membership=world.learner)
    assert mine.status == Status.WITHDRAWN and mine.reason == privacy.ERASED_REASON
    assert mine.request_note == ""
    assert not GroupMember.objects.filter(enrollment=mine).exists()
    # The place went to the next person on the waiting list.
    theirs = Enrollment.objects.get(membership=world.report)
    assert theirs.status == Status.ACTIVE and theirs.request_note == "Please."
    assert EnrollmentOptions.objects.get(course=approval_course).seats_taken == 1


def test_erasure_keeps_completed_enrollments_as_they_are(world: World, published) -> None:
    enrollment = services.enrollment_create(course=published, membership=world.learner, by=world.instructor.user)
    services.enrollment_mark_completed(enrollment_id=enrollment.pk, at=clock.now())
    privacy.erase_person(world.learner.user, world.org_admin.user)
    enrollment.refresh_from_db()
    assert enrollment.status == Status.COMPLETED and enrollment.completed_at is not None
    assert enrollment.progress_percent == 100


def test_enrollment_and_progress_take_part_in_a_data_protection_request(world: World, published) -> None:
    assert {"enrollment", "progress"} <= {provider.app_label for provider in registry.providers()}
    services.enrollment_self(course=published, by=world.learner.user)
    exported = audit_services.privacy_export(user=world.learner.user, organization=world.org, by=world.org_admin.user)
    assert exported["apps"]["enrollment"]["enrollments"][0]["course"] == "Fire safety"
    assert exported["apps"]["progress"]["transcript"] == []
    erased = audit_services.privacy_erase(user=world.learner.user, organization=world.org, by=world.org_admin.user)
    # Progress erases before enrollment, both before accounts pseudonymises the person.
    assert erased.index("progress") < erased.index("enrollment") < erased.index("accounts")
    assert Enrollment.objects.get(membership=world.learner).status == Status.WITHDRAWN
