"""Who may see and change a course, from the attacker's side: course roles, audiences, other organisations."""

from __future__ import annotations

from syllabus.access.policy import principal_for
from syllabus.audiences import services as audience_services
from syllabus.catalog import course_access, services
from syllabus.catalog.models import CatalogEntry
from tests.factories import MembershipFactory, grant, publish, staff


def principal(membership):  # type: ignore[no-untyped-def]
    return principal_for(membership.user, membership.organization)


def test_course_roles_grant_capabilities_on_that_course_only(world, course):
    other = services.course_create(organization=world.org, by=world.org_admin.user, title="Other")
    staff(course, world.engineer, "editor")
    engineer = principal(world.engineer)
    assert engineer.can("course.edit", course) and engineer.can("course.teach", course)
    assert not engineer.can("course.manage", course)
    assert not engineer.can("course.edit", other)
    assert not engineer.can("course.edit")  # nothing organisation-wide


def test_an_org_admin_reaches_every_course_and_an_outsider_none(world, course):
    assert principal(world.org_admin).can("course.manage", course)
    assert not principal(world.outsider).can("course.teach", course)
    assert not course_access.can_see_draft(principal(world.outsider), course)


def test_learners_never_see_drafts(world, course):
    learner = principal(world.learner)
    assert not course_access.can_see_draft(learner, course)
    assert not course_access.can_learn(learner, course)


def test_reviewers_see_drafts_of_courses_they_are_not_on(world, course):
    assert course_access.can_see_draft(principal(world.reviewer), course)


def test_a_published_course_shown_to_the_organisation_is_open_to_every_member(world, course):
    publish(course, by=world.instructor.user)
    assert course_access.can_learn(principal(world.learner), course)
    assert not course_access.can_learn(principal(world.outsider), course)
    visible = CatalogEntry.objects.filter(organization=world.org).filter(
        course_access.learner_visible_q(principal(world.learner))
    )
    assert list(visible.values_list("course_id", flat=True)) == [course.pk]


def test_an_audience_restricted_course_is_open_to_its_audience_only(world, course, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sales = audience_services.audience_create(
            organization=world.org, by=world.org_admin.user, name="Sales", rules_tree={"org_unit": world.sales.pk}
        )
    services.course_update(course=course, by=world.instructor.user, visibility="audience", audience=sales)
    publish(course, by=world.instructor.user)
    # The learner sits in Sales East (under Sales); the engineer does not.
    assert course_access.can_learn(principal(world.learner), course)
    assert not course_access.can_learn(principal(world.engineer), course)
    entries = CatalogEntry.objects.filter(organization=world.org)
    assert entries.filter(course_access.learner_visible_q(principal(world.learner))).count() == 1
    assert entries.filter(course_access.learner_visible_q(principal(world.engineer))).count() == 0


def test_an_archived_course_is_closed_to_learners_but_not_to_its_team(world, course):
    publish(course, by=world.instructor.user)
    services.course_archive(course=course, by=world.instructor.user)
    assert not course_access.can_learn(principal(world.learner), course)
    assert course_access.can_learn(principal(world.instructor), course)


def test_the_authoring_list_shows_a_person_their_own_courses_only(world, course):
    from syllabus.catalog.models import Course

    other = MembershipFactory(organization=world.org)
    grant(other, "instructor")
    services.course_create(organization=world.org, by=other.user, title="Theirs")
    mine = Course.objects.filter(course_access.staff_courses_q(principal(world.instructor)))
    assert list(mine.values_list("title", flat=True)) == ["Fire safety"]
    assert Course.objects.filter(course_access.staff_courses_q(principal(world.org_admin))).count() == 2
    assert not course_access.can_author(principal(world.learner))
    assert course_access.can_author(principal(world.instructor))
