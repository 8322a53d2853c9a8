"""The course lifecycle through the services: drafts, review, versions, archive, copy, delete, the course team."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from syllabus.access.policy import forget
from syllabus.audit.models import AuditRecord
from syllabus.catalog import events, learner_records, services, versions
from syllabus.catalog.models import CatalogEntry, Course, CourseStaff, CourseVersion, ReviewRequest
from syllabus.core import events as core_events
from tests.catalog.conftest import page
from tests.factories import MembershipFactory, grant, staff


def approve(course: Course, world, change: str | None = None) -> CourseVersion:  # type: ignore[no-untyped-def]
    review = services.course_submit(course=course, by=world.instructor.user, change=change)
    return services.review_approve(review=review, by=world.reviewer.user)


def test_the_creator_of_a_course_becomes_its_owner(world, course):
    assert CourseStaff.objects.get(course=course).membership == world.instructor
    assert AuditRecord.objects.filter(action="course.created").exists()


def test_a_learner_cannot_create_a_course(world):
    with pytest.raises(PermissionDenied):
        services.course_create(organization=world.org, by=world.learner.user, title="Mine")


def test_an_instructor_not_on_the_course_cannot_edit_it(world, course):
    other = MembershipFactory(organization=world.org)
    grant(other, "instructor")
    with pytest.raises(PermissionDenied):
        services.course_update(course=course, by=other.user, title="Hijacked")
    with pytest.raises(PermissionDenied):
        services.section_create(course=course, by=other.user, title="Extra")
    course.refresh_from_db()
    assert course.title == "Fire safety"


def test_another_organisations_admin_cannot_edit_or_publish(world, course):
    with pytest.raises(PermissionDenied):
        services.course_update(course=course, by=world.outsider.user, title="Hijacked")
    with pytest.raises(PermissionDenied):
        services.course_archive(course=course, by=world.outsider.user)


def test_an_editor_edits_but_a_non_editing_instructor_does_not(world, course):
    staff(course, world.engineer, "editor")
    staff(course, world.manager, "instructor")
    services.course_update(course=course, by=world.engineer.user, summary="Edited")
    with pytest.raises(PermissionDenied):
        services.course_update(course=course, by=world.manager.user, summary="No")
    with pytest.raises(PermissionDenied):
        services.staff_set(course=course, by=world.engineer.user, membership=world.learner, role="editor")


def test_metadata_refuses_another_organisations_category_and_skills(world, course):
    from syllabus.catalog.models import Category
    from syllabus.skills.models import Skill

    foreign = Category.objects.create(organization=world.other_org, name="Theirs", slug="theirs")
    foreign_skill = Skill.objects.create(organization=world.other_org, code="x", name="X")
    with pytest.raises(ValidationError) as error:
        services.course_update(course=course, by=world.instructor.user, category=foreign, skills=[foreign_skill.pk])
    assert error.value.message_dict == {
        "category": [services.CATEGORY_OTHER_ORG],
        "skills": [services.SKILL_OTHER_ORG],
    }


def test_tags_are_created_once_per_organisation_ignoring_case(world, course):
    services.course_update(course=course, by=world.instructor.user, tags="Fire, fire , Safety")
    assert sorted(course.tags.values_list("name", flat=True)) == ["Fire", "Safety"]


def test_submitting_locks_the_draft_until_withdrawn(world, course):
    review = services.course_submit(course=course, by=world.instructor.user, notes="First version")
    assert course.in_review and review.change == "major"
    with pytest.raises(ValidationError, match="in review"):
        services.course_update(course=course, by=world.instructor.user, title="Changed")
    with pytest.raises(ValidationError, match="already waiting"):
        services.course_submit(course=course, by=world.instructor.user)
    services.review_withdraw(review=review, by=world.instructor.user)
    course.refresh_from_db()
    assert not course.in_review and review.state == ReviewRequest.State.WITHDRAWN
    services.course_update(course=course, by=world.instructor.user, title="Changed")


def test_an_empty_course_cannot_be_submitted(world):
    empty = services.course_create(organization=world.org, by=world.instructor.user, title="Empty")
    with pytest.raises(ValidationError, match="at least one activity"):
        services.course_submit(course=empty, by=world.instructor.user)


def test_the_submitter_cannot_approve_their_own_submission(world, course):
    grant(world.instructor, "reviewer")
    forget(world.instructor.user)
    review = services.course_submit(course=course, by=world.instructor.user)
    with pytest.raises(ValidationError, match="someone else"):
        services.review_approve(review=review, by=world.instructor.user)


def test_a_learner_cannot_approve(world, course):
    review = services.course_submit(course=course, by=world.instructor.user)
    with pytest.raises(PermissionDenied):
        services.review_approve(review=review, by=world.learner.user)


def test_approval_publishes_exactly_what_was_submitted(world, course, django_capture_on_commit_callbacks):
    published: list[events.CoursePublished] = []
    core_events.subscribe(events.CoursePublished, published.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            version = approve(course, world)
    finally:
        core_events.unsubscribe(events.CoursePublished, published.append)
    course.refresh_from_db()
    assert version.label == "1.0" and course.published_version == version
    assert [a["title"] for a in versions.activities(version.snapshot)] == ["Welcome", "Evacuation"]
    assert CatalogEntry.objects.get(course=course).version == version
    assert published[0].version_id == version.pk and published[0].change == "major"
    assert set(AuditRecord.objects.values_list("action", flat=True)) >= {
        "course.submitted",
        "course.published",
        "course.approved",
    }
    assert not services.has_unpublished_changes(course)


def test_sending_back_keeps_the_reason_as_a_comment_and_unlocks(world, course):
    review = services.course_submit(course=course, by=world.instructor.user)
    with pytest.raises(ValidationError):
        services.review_reject(review=review, by=world.reviewer.user, reason="  ")
    services.review_reject(review=review, by=world.reviewer.user, reason="Add a quiz.")
    course.refresh_from_db()
    assert review.state == ReviewRequest.State.REJECTED and not course.in_review
    assert review.comments.get().body == "Add a quiz."
    with pytest.raises(ValidationError, match="already been decided"):
        services.review_approve(review=review, by=world.reviewer.user)


def test_text_changes_make_a_minor_version_and_structure_changes_a_major_one(world, course):
    approve(course, world)
    welcome = course.activities.get(title="Welcome")
    services.activity_update(activity=welcome, by=world.instructor.user, data={"body": "<p>Extinguishers!</p>"})
    assert approve(course, world).label == "1.1"
    services.activity_move(activity=welcome, by=world.instructor.user, offset=1)
    assert approve(course, world).label == "1.2"
    page(course.sections.get(), world.instructor.user, "Quiz later")
    with pytest.raises(ValidationError, match="major version"):
        services.course_submit(course=course, by=world.instructor.user, change="minor")
    assert approve(course, world).label == "2.0"
    # An author may call a minor change major, never the reverse.
    services.course_update(course=course, by=world.instructor.user, summary="Rewritten")
    assert approve(course, world, change="major").label == "3.0"


def test_changing_a_completion_rule_or_required_flag_is_major(world, course):
    approve(course, world)
    welcome = course.activities.get(title="Welcome")
    services.activity_update(activity=welcome, by=world.instructor.user, is_required=False)
    assert approve(course, world).label == "2.0"


def test_publishing_without_review_needs_the_organisation_setting(world, course):
    with pytest.raises(PermissionDenied, match="through review"):
        services.course_publish(course=course, by=world.instructor.user)
    services.catalog_settings_update(
        organization=world.org, by=world.org_admin.user, publish_without_review=True, embed_allowlist=""
    )
    forget(world.instructor.user)
    version = services.course_publish(course=course, by=world.instructor.user, notes="Go")
    assert version.label == "1.0" and version.review is None
    with pytest.raises(ValidationError, match="Nothing changed"):
        services.course_publish(course=course, by=world.instructor.user)


def test_a_non_editing_instructor_cannot_publish_even_when_review_is_optional(world, course):
    services.catalog_settings_update(
        organization=world.org, by=world.org_admin.user, publish_without_review=True, embed_allowlist=""
    )
    staff(course, world.engineer, "instructor")
    with pytest.raises(PermissionDenied):
        services.course_publish(course=course, by=world.engineer.user)


def test_versions_are_immutable(world, course):
    version = approve(course, world)
    version.notes = "changed"
    with pytest.raises(ValueError, match="immutable"):
        version.save()


def test_restoring_an_old_version_makes_a_new_draft_with_the_same_identities(world, course):
    first = approve(course, world)
    welcome = course.activities.get(title="Welcome")
    services.activity_delete(activity=welcome, by=world.instructor.user)
    services.course_update(course=course, by=world.instructor.user, title="Fire safety 2")
    second = approve(course, world)
    assert second.label == "2.0"
    services.version_restore(version=first, by=world.instructor.user)
    course.refresh_from_db()
    assert course.title == "Fire safety"
    assert versions.build_snapshot(course)["sections"] == first.snapshot["sections"]
    assert services.has_unpublished_changes(course)
    # Restoring brings back the removed activity: a major change again.
    assert approve(course, world).label == "3.0"


def test_archive_takes_the_course_out_of_the_catalog_and_unarchive_brings_it_back(world, course):
    approve(course, world)
    services.course_archive(course=course, by=world.instructor.user)
    assert not CatalogEntry.objects.filter(course=course).exists()
    with pytest.raises(ValidationError):
        services.course_archive(course=course, by=world.instructor.user)
    services.course_unarchive(course=course, by=world.instructor.user)
    assert CatalogEntry.objects.filter(course=course).exists()


def test_a_course_with_learner_records_cannot_be_deleted(world, course, monkeypatch):
    monkeypatch.setattr(learner_records, "exist", lambda course_id: True)
    with pytest.raises(ValidationError, match="archive it instead"):
        services.course_delete(course=course, by=world.instructor.user)
    assert Course.objects.filter(pk=course.pk).exists()


def test_deleting_a_course_removes_it_and_is_audited(world, course):
    approve(course, world)
    services.course_delete(course=course, by=world.instructor.user)
    assert not Course.objects.filter(pk=course.pk).exists()
    assert AuditRecord.objects.filter(action="course.deleted").exists()


def test_the_last_owner_cannot_leave_or_be_demoted(world, course):
    with pytest.raises(ValidationError, match="at least one owner"):
        services.staff_remove(course=course, by=world.instructor.user, membership=world.instructor)
    with pytest.raises(ValidationError, match="at least one owner"):
        services.staff_set(course=course, by=world.instructor.user, membership=world.instructor, role="editor")
    services.staff_set(course=course, by=world.instructor.user, membership=world.engineer, role="owner")
    services.staff_set(course=course, by=world.instructor.user, membership=world.instructor, role="editor")
    assert AuditRecord.objects.filter(action="course.staff_changed").count() == 2


def test_the_team_takes_only_members_of_the_organisation(world, course):
    with pytest.raises(ValidationError):
        services.staff_set(course=course, by=world.instructor.user, membership=world.outsider, role="editor")


def test_copy_makes_an_independent_draft_owned_by_the_copier(world, course):
    approve(course, world)
    copy = services.course_copy(course=course, by=world.instructor.user, title="Fire safety (copy)")
    assert copy.published_version is None and copy.copied_from == course
    original = versions.build_snapshot(course)
    copied = versions.build_snapshot(copy)
    assert [a["title"] for a in versions.activities(copied)] == [a["title"] for a in versions.activities(original)]
    assert {a["uid"] for a in versions.activities(copied)}.isdisjoint(a["uid"] for a in versions.activities(original))
    assert CourseStaff.objects.get(course=copy).role == "owner"


def test_reorder_applies_a_whole_outline_and_refuses_a_partial_one(world, course):
    section = course.sections.get()
    second = services.section_create(course=course, by=world.instructor.user, title="More")
    welcome, evacuation = course.activities.order_by("position")
    order = [
        {"section": str(second.uid), "activities": [str(evacuation.uid)]},
        {"section": str(section.uid), "activities": [str(welcome.uid)]},
    ]
    services.structure_reorder(course=course, by=world.instructor.user, order=order)
    snapshot = versions.build_snapshot(course)
    assert [s["title"] for s in snapshot["sections"]] == ["More", "Basics"]
    assert [a["title"] for a in snapshot["sections"][0]["activities"]] == ["Evacuation"]
    with pytest.raises(ValidationError):
        services.structure_reorder(course=course, by=world.instructor.user, order=order[:1])


def test_moving_by_keyboard_steps_one_place_and_stops_at_the_ends(world, course):
    welcome, evacuation = course.activities.order_by("position")
    assert services.activity_move(activity=welcome, by=world.instructor.user, offset=1) == 1
    assert services.activity_move(activity=welcome, by=world.instructor.user, offset=1) == 1
    assert services.activity_move(activity=welcome, by=world.instructor.user, offset=-1) == 0
    other = services.section_create(course=course, by=world.instructor.user, title="Second")
    assert services.section_move(section=other, by=world.instructor.user, offset=-1) == 0
    services.activity_move(activity=evacuation, by=world.instructor.user, section=other)
    evacuation.refresh_from_db()
    assert evacuation.section == other


def test_catalog_settings_refuse_a_bad_host(world):
    with pytest.raises(ValidationError, match="not a host name"):
        services.catalog_settings_update(
            organization=world.org,
            by=world.org_admin.user,
            publish_without_review=False,
            embed_allowlist="java script:",
        )
    with pytest.raises(PermissionDenied):
        services.catalog_settings_update(
            organization=world.org, by=world.instructor.user, publish_without_review=True, embed_allowlist=""
        )


def test_files_cannot_be_added_to_a_course_in_review(world, course):
    from django.core.files.uploadedfile import SimpleUploadedFile

    services.course_submit(course=course, by=world.instructor.user)
    upload = SimpleUploadedFile("notes.txt", b"Plain notes for the course.\n", content_type="text/plain")
    with pytest.raises(ValidationError, match="in review"):
        services.course_asset_upload(course=course, by=world.instructor.user, upload=upload, purpose="document")
    assert not course.assets.exists()


def test_the_decision_keeps_the_reviewers_words(world, course):
    review = services.course_submit(course=course, by=world.instructor.user)
    services.review_comment_add(review=review, by=world.reviewer.user, body="Typo in the title.")
    services.review_reject(review=review, by=world.reviewer.user, reason="Fix the typo, then resubmit.")
    assert review.decision_note == "Fix the typo, then resubmit."
