"""A course's groups through the pages: create, rename, delete, members in and out, constant queries, attackers."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from syllabus.enrollment import services
from syllabus.enrollment.models import CourseGroup, Enrollment, GroupMember
from tests.conftest import World
from tests.factories import CourseFactory, MembershipFactory, staff

pytestmark = pytest.mark.django_db


def url(name: str, *args: Any) -> str:
    return reverse(f"enrollment:{name}", args=args)


@pytest.fixture
def teacher(client: Client, world: World) -> Client:
    client.force_login(world.instructor.user)
    return client


def enroll(course: Any, world: World, *names: str) -> list[Enrollment]:
    people = [MembershipFactory(organization=world.org, user__display_name=name) for name in names]
    return [services.enrollment_create(course=course, membership=p, by=world.instructor.user) for p in people]


def test_the_instructor_creates_a_group_and_a_duplicate_name_is_refused(teacher, world, published):
    response = teacher.post(url("groups", published.pk), {"name": "Site North", "description": "The north wing"})
    assert response.status_code == 302
    group = CourseGroup.objects.get(course=published)
    assert group.name == "Site North" and group.description == "The north wing"
    again = teacher.post(url("groups", published.pk), {"name": "Site North"})
    assert again.status_code == 400 and services.GROUP_EXISTS in again.content.decode()
    empty = teacher.post(url("groups", published.pk), {"name": ""})
    assert empty.status_code == 400
    assert CourseGroup.objects.filter(course=published).count() == 1


def test_rename_and_delete_a_group(teacher, world, published):
    (alice,) = enroll(published, world, "Alice Able")
    group = services.group_create(course=published, by=world.instructor.user, name="Old name")
    services.group_members_change(group=group, by=world.instructor.user, add=[alice.pk])
    assert teacher.post(url("group", published.pk, group.pk), {"name": "New name"}).status_code == 302
    group.refresh_from_db()
    assert group.name == "New name"
    assert teacher.post(url("group-delete", published.pk, group.pk)).status_code == 302
    assert not CourseGroup.objects.filter(pk=group.pk).exists()
    alice.refresh_from_db()
    assert alice.status == "active"  # members stay in the course


def test_members_are_found_added_and_removed_on_the_group_page(teacher, world, published):
    alice, bob, _cara = enroll(published, world, "Alice Able", "Bob Baker", "Cara Cole")
    group = services.group_create(course=published, by=world.instructor.user, name="Site North")
    found = teacher.get(url("group", published.pk, group.pk), {"find": "a"})
    assert {e.pk for e in found.context["candidates"]} >= {alice.pk, bob.pk}
    teacher.post(url("group-members", published.pk, group.pk), {"action": "add", "enrollments": [alice.pk, bob.pk]})
    page = teacher.get(url("group", published.pk, group.pk))
    assert [e.pk for e in page.context["members"]] == [alice.pk, bob.pk]
    assert "Alice Able" in page.content.decode()
    after = teacher.get(url("group", published.pk, group.pk), {"find": "a"})
    assert alice.pk not in {e.pk for e in after.context["candidates"]}
    teacher.post(url("group-members", published.pk, group.pk), {"action": "remove", "enrollments": [alice.pk]})
    assert list(GroupMember.objects.filter(group=group).values_list("enrollment_id", flat=True)) == [bob.pk]


def test_another_courses_participant_cannot_be_put_in_the_group(teacher, world, published):
    group = services.group_create(course=published, by=world.instructor.user, name="Site North")
    other = CourseFactory(organization=world.org)
    staff(other, world.instructor)
    from tests.factories import ActivityFactory, SectionFactory, publish

    ActivityFactory(section=SectionFactory(course=other))
    publish(other, world.instructor.user)
    other.refresh_from_db()
    foreign = services.enrollment_create(course=other, membership=world.learner, by=world.instructor.user)
    teacher.post(url("group-members", published.pk, group.pk), {"action": "add", "enrollments": [foreign.pk]})
    assert not GroupMember.objects.exists()


@pytest.mark.parametrize("count", [3, 30])
def test_the_group_pages_keep_a_constant_number_of_queries(
    teacher, world, published, django_assert_max_num_queries, count
):
    people = enroll(published, world, *[f"Person {i}" for i in range(count)])
    groups = [services.group_create(course=published, by=world.instructor.user, name=f"G{i}") for i in range(3)]
    for group in groups:
        services.group_members_change(group=group, by=world.instructor.user, add=[e.pk for e in people])
    teacher.get(url("groups", published.pk))
    with django_assert_max_num_queries(16):
        listing = teacher.get(url("groups", published.pk))
    assert [g.member_count for g in listing.context["groups"]] == [count] * 3
    with django_assert_max_num_queries(18):
        one = teacher.get(url("group", published.pk, groups[0].pk), {"find": "Person"})
    assert len(one.context["members"]) == count


def test_a_group_of_another_course_is_not_found(teacher, world, published):
    other = CourseFactory(organization=world.org)
    foreign = CourseGroup.objects.create(organization=world.org, course=other, name="Elsewhere")
    assert teacher.get(url("group", published.pk, foreign.pk)).status_code == 404
    assert teacher.post(url("group-delete", published.pk, foreign.pk)).status_code == 404
    assert CourseGroup.objects.filter(pk=foreign.pk).exists()


@pytest.mark.parametrize("persona", ["learner", "stranger", "outsider"])
def test_people_outside_the_team_cannot_touch_groups(client, world, published, persona):
    group = services.group_create(course=published, by=world.instructor.user, name="Site North")
    if persona == "stranger":
        who = MembershipFactory(organization=world.org)
        staff(CourseFactory(organization=world.org), who, "owner")
    else:
        who = getattr(world, persona)
    client.force_login(who.user)
    assert client.get(url("group", published.pk, group.pk)).status_code == 404
    assert client.post(url("group", published.pk, group.pk), {"name": "Mine"}).status_code == 404
    assert client.post(url("group-delete", published.pk, group.pk)).status_code == 404
    assert client.post(url("group-members", published.pk, group.pk), {"enrollments": [1]}).status_code == 404
    group.refresh_from_db()
    assert group.name == "Site North"
