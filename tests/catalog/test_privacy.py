"""A person's course roles and review comments in privacy exports, and what erasure leaves."""

from __future__ import annotations

from syllabus.catalog import privacy, services
from syllabus.catalog.models import CourseStaff, ReviewComment


def test_export_lists_course_roles_and_review_comments_of_that_organisation(world, course):
    review = services.course_submit(course=course, by=world.instructor.user)
    services.review_comment_add(review=review, by=world.reviewer.user, body="Clear and short.")
    exported = privacy.export_person(world.instructor.user, world.org)
    assert exported["course_roles"] == [{"organization": "Acme Health", "course": "Fire safety", "role": "owner"}]
    assert privacy.export_person(world.reviewer.user, world.org)["review_comments"][0]["comment"] == "Clear and short."
    assert privacy.export_person(world.instructor.user, world.other_org)["course_roles"] == []


def test_erasure_leaves_course_teams_and_keeps_comments_without_their_author(world, course):
    review = services.course_submit(course=course, by=world.instructor.user)
    comment = services.review_comment_add(review=review, by=world.reviewer.user, body="Fine.")
    privacy.erase_person(world.instructor.user, world.org_admin.user)
    privacy.erase_person(world.reviewer.user, world.org_admin.user)
    assert not CourseStaff.objects.filter(course=course).exists()
    assert ReviewComment.objects.get(pk=comment.pk).author is None
