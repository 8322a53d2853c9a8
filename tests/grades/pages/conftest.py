"""Page tests of the gradebook: signing in as a persona, and growing a course (people, items, grades) fast for
the query-count tests. The course itself is `tests/grades/conftest.py`'s `gradebook` (two assignments, two
learners)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from syllabus.access.policy import forget
from syllabus.accounts.models import Membership
from syllabus.core import clock
from syllabus.enrollment.models import Enrollment, Method, Status
from syllabus.grades.models import Grade, GradeItem, ItemSource
from tests.factories import MembershipFactory


@pytest.fixture
def as_person(client: Client) -> Callable[[Membership], Client]:
    def sign_in(membership: Membership) -> Client:
        forget(membership.user)
        client.force_login(membership.user)
        return client

    return sign_in


def html_of(response: Any) -> str:
    return str(response.content.decode())


def grow(book: Any, *, people: int, items: int, start: int = 0) -> tuple[list[Membership], list[GradeItem]]:
    """Add enrolled people and manual items with a grade for every pair (rows written directly: the pages, not
    the services, are under test here)."""
    org = book.course.organization
    members = [MembershipFactory(organization=org, user__display_name=f"Person {start + n:04d}") for n in range(people)]
    now = clock.now()
    Enrollment.objects.bulk_create(
        Enrollment(
            organization=org,
            membership=member,
            course=book.course,
            status=Status.ACTIVE,
            method=Method.ADMIN,
            status_changed_at=now,
            enrolled_at=now,
        )
        for member in members
    )
    last = GradeItem.objects.filter(course=book.course).count()
    new_items = GradeItem.objects.bulk_create(
        GradeItem(
            organization=org,
            course=book.course,
            source=ItemSource.MANUAL,
            name=f"Lab {start + n}",
            max_points=Decimal(20),
            position=last + n,
        )
        for n in range(items)
    )
    every_item = list(GradeItem.objects.filter(course=book.course))
    every_member = list(Membership.objects.filter(enrollments__course=book.course).distinct())
    have = set(Grade.objects.filter(item__course=book.course).values_list("item_id", "user_id"))
    Grade.objects.bulk_create(
        Grade(organization=org, item=item, user_id=member.user_id, raw=Decimal(75), final=Decimal(75))
        for item in every_item
        for member in every_member
        if (item.pk, member.user_id) not in have
    )
    return members, new_items
