"""One grade's page (override with a reason, clear, enter a manual grade, hide and release, history) and the
setup page (settings, categories, items), with the attacker's side."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from syllabus.grades import services
from syllabus.grades.models import Display, Grade, GradeCategory, GradeChange, GradeItem, ItemSource
from tests.factories import CourseFactory, MembershipFactory, staff
from tests.grades.pages.conftest import html_of

pytestmark = pytest.mark.django_db


def cell_url(book: Any, item: GradeItem, user: Any) -> str:
    return reverse("grades:grade", args=[book.course.pk, item.pk, user.pk])


def test_overriding_with_a_reason_then_clearing_shows_in_the_history(as_person, gradebook, world):
    item = gradebook.item(gradebook.essay1)
    client = as_person(world.instructor)
    address = cell_url(gradebook, item, gradebook.learner)
    response = client.post(address, {"action": "override", "percent": "72.5", "reason": "Second marker"})
    assert response.status_code == 302
    grade = Grade.objects.get(item=item, user=gradebook.learner)
    assert grade.override == Decimal("72.5") and grade.final == Decimal("72.5")
    html = html_of(client.get(address))
    assert "72.5%" in html and "Second marker" in html and "Clear the override" in html
    assert client.post(address, {"action": "clear", "reason": "Agreed"}).status_code == 302
    grade.refresh_from_db()
    assert grade.override is None
    changes = list(GradeChange.objects.filter(grade=grade).order_by("-at", "-pk"))
    assert len(changes) >= 2
    html = html_of(client.get(address))
    assert html.index("Agreed") < html.index("Second marker")  # newest first


def test_an_override_needs_a_reason_and_a_percentage_in_range(as_person, gradebook, world):
    client = as_person(world.instructor)
    address = cell_url(gradebook, gradebook.item(gradebook.essay1), gradebook.learner)
    response = client.post(address, {"action": "override", "percent": "120", "reason": ""})
    assert response.status_code == 400
    html = html_of(response)
    described = 'aria-describedby="override-percent_helptext override-percent_error"'
    assert described in html or "override-percent_error" in html
    assert "override-reason_error" in html
    assert not Grade.objects.filter(override__isnull=False).exists()


def test_manual_grades_are_entered_and_released_or_hidden(as_person, gradebook, world):
    lab = services.item_create(by=gradebook.owner, course=gradebook.course, name="Lab", max_points="20")
    client = as_person(world.instructor)
    address = cell_url(gradebook, lab, gradebook.learner)
    assert client.post(address, {"action": "enter", "percent": "85", "feedback": "Tidy work"}).status_code == 302
    grade = Grade.objects.get(item=lab, user=gradebook.learner)
    assert grade.raw == Decimal(85) and grade.feedback == "Tidy work"
    client.post(address, {"action": "hide"})
    assert Grade.objects.get(pk=grade.pk).hidden
    client.post(address, {"action": "release"})
    assert not Grade.objects.get(pk=grade.pk).hidden
    # An activity's grade is overridden, never entered.
    essay = cell_url(gradebook, gradebook.item(gradebook.essay1), gradebook.learner)
    response = client.post(essay, {"action": "enter", "percent": "50"})
    assert response.status_code == 400 and not Grade.objects.filter(item__source=ItemSource.ACTIVITY).exists()


def test_a_cell_of_another_course_or_of_someone_not_enrolled_is_not_found(as_person, gradebook, world):
    other = CourseFactory(organization=world.org)
    staff(other, world.instructor)
    other_item = services.item_create(by=gradebook.owner, course=other, name="Elsewhere")
    client = as_person(world.instructor)
    assert client.get(cell_url(gradebook, other_item, gradebook.learner)).status_code == 404
    assert client.get(cell_url(gradebook, gradebook.item(gradebook.essay1), world.manager.user)).status_code == 404


def test_a_learner_cannot_grade_themselves(as_person, gradebook, world):
    address = cell_url(gradebook, gradebook.item(gradebook.essay1), gradebook.learner)
    response = as_person(world.learner).post(address, {"action": "override", "percent": "100", "reason": "Me"})
    assert response.status_code == 404
    teacher = MembershipFactory(organization=world.org)
    staff(gradebook.course, teacher, "instructor")
    assert as_person(teacher).post(address, {"action": "override", "percent": "90", "reason": "ok"}).status_code == 302


# --- setup -------------------------------------------------------------------------------------------------------


def setup_url(book: Any, name: str = "setup", *args: Any) -> str:
    return reverse(f"grades:{name}", args=[book.course.pk, *args])


def test_the_owner_sets_the_gradebook_up(as_person, gradebook, world):
    client = as_person(world.instructor)
    assert client.get(setup_url(gradebook)).status_code == 200
    response = client.post(setup_url(gradebook), {"display": "points", "pass_mark": "60", "only_graded": "on"})
    assert response.status_code == 302
    settings = services.settings_for(gradebook.course)
    assert (
        settings.display == Display.POINTS and settings.pass_mark == Decimal(60) and not settings.show_total_to_learners
    )
    assert (
        client.post(
            setup_url(gradebook, "category-add"),
            {"new-category-name": "Essays", "new-category-weight": "2", "new-category-drop_lowest": "0"},
        ).status_code
        == 302
    )
    essays = GradeCategory.objects.get(course=gradebook.course, name="Essays")
    item = gradebook.item(gradebook.essay2)
    prefix = f"item-{item.pk}"
    response = client.post(
        setup_url(gradebook, "item-edit", item.pk),
        {f"{prefix}-category": essays.pk, f"{prefix}-weight": "3", f"{prefix}-hidden": "on"},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.category == essays and item.weight == 3 and item.hidden
    assert (
        client.post(
            setup_url(gradebook, "item-add"),
            {"new-name": "Presentation", "new-max_points": "10", "new-category": "", "new-weight": "1"},
        ).status_code
        == 302
    )
    manual = GradeItem.objects.get(course=gradebook.course, name="Presentation")
    html = html_of(client.get(setup_url(gradebook)))
    assert "Essays" in html and "Presentation" in html and "Move up" in html
    client.post(setup_url(gradebook, "item-move", manual.pk), {"direction": "up"})
    names = [each.name for each in GradeItem.objects.filter(course=gradebook.course).order_by("position", "pk")]
    assert names.index("Presentation") < names.index("Essay 1") or names[-1] != "Presentation"
    client.post(setup_url(gradebook, "item-delete", manual.pk))
    assert not GradeItem.objects.filter(pk=manual.pk).exists()
    client.post(setup_url(gradebook, "category-delete", essays.pk))
    assert not GradeCategory.objects.filter(pk=essays.pk).exists()


def test_setup_errors_show_beside_their_field(as_person, gradebook, world):
    client = as_person(world.instructor)
    response = client.post(
        setup_url(gradebook, "category-add"),
        {"new-category-name": "", "new-category-weight": "-1", "new-category-drop_lowest": "0"},
    )
    assert response.status_code == 400
    html = html_of(response)
    assert "id_new-category-name_error" in html and "id_new-category-weight_error" in html


def test_another_courses_category_or_item_is_not_found(as_person, gradebook, world):
    other = CourseFactory(organization=world.org)
    staff(other, world.instructor)
    category = services.category_create(by=gradebook.owner, course=other, name="Theirs")
    client = as_person(world.instructor)
    assert client.post(setup_url(gradebook, "category-delete", category.pk)).status_code == 404
    assert GradeCategory.objects.filter(pk=category.pk).exists()
    assert as_person(world.outsider).post(setup_url(gradebook, "category-add"), {}).status_code == 404
