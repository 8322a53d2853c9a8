"""The grader table: what the team sees, who may open it (attacker side), filters, rows and columns in pages,
display modes, a constant number of queries as the course grows, and the exports."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from syllabus.enrollment import services as enrollment_services
from syllabus.grades import services
from syllabus.grades.models import CourseGrade, Display
from tests.factories import CourseFactory, MembershipFactory, staff
from tests.grades.pages.conftest import grow, html_of

pytestmark = pytest.mark.django_db


def url(book: Any, name: str = "gradebook") -> str:
    return reverse(f"grades:{name}", args=[book.course.pk])


def graded(book: Any, django_capture_on_commit_callbacks: Any) -> None:
    """Lena: 80 % on both essays (Essay 1 overridden), Eddie: 40 % on both (Essay 2 hidden from him); pass mark
    50 %: both have a result, every item being graded."""
    with django_capture_on_commit_callbacks(execute=True):
        services.settings_update(by=book.owner, course=book.course, pass_mark=Decimal(50))
        for essay, person, percent in (
            (book.essay1, book.learner, 80),
            (book.essay2, book.learner, 80),
            (book.essay1, book.engineer, 40),
            (book.essay2, book.engineer, 40),
        ):
            services.grade_override(
                by=book.owner, item=book.item(essay), user=person, percent=Decimal(percent), reason="Re-marked"
            )
        services.grades_hide(by=book.owner, item=book.item(book.essay2), user_ids=[book.engineer.pk], hidden=True)
        services.course_grades_refresh(course=book.course)


def test_the_team_sees_people_items_totals_and_marked_cells_linking_to_the_grade(
    as_person, gradebook, world, django_capture_on_commit_callbacks
):
    graded(gradebook, django_capture_on_commit_callbacks)
    response = as_person(world.instructor).get(url(gradebook))
    assert response.status_code == 200
    html = html_of(response)
    assert "Lena Learner" in html and "Eddie Engineer" in html
    assert "Essay 1" in html and "Essay 2" in html and "Course total" in html
    assert "80%" in html and "40%" in html
    # Marked in words, not colour only; each cell a link to its page.
    assert "overridden" in html and "hidden from the learner" in html
    cell = reverse(
        "grades:grade", args=[gradebook.course.pk, gradebook.item(gradebook.essay1).pk, gradebook.learner.pk]
    )
    assert f'href="{cell}"' in html
    rows = {row.name: row for row in response.context["book"].rows}
    assert rows["Lena Learner"].result == "passed" and rows["Eddie Engineer"].result == "failed"
    # A scrollable, labelled region; export and import links carry on.
    assert 'role="region"' in html and 'tabindex="0"' in html
    assert f"{url(gradebook, 'export')}?format=csv" in html and url(gradebook, "import") in html


def test_learners_outsiders_and_strangers_do_not_reach_the_gradebook(as_person, gradebook, world):
    grade_url = reverse(
        "grades:grade", args=[gradebook.course.pk, gradebook.item(gradebook.essay1).pk, gradebook.learner.pk]
    )
    stranger = MembershipFactory(organization=world.org, user__display_name="Sam Stranger")
    staff(CourseFactory(organization=world.org), stranger, "owner")
    for persona in (world.learner, world.outsider, stranger):
        client = as_person(persona)
        for address in (url(gradebook), url(gradebook, "setup"), url(gradebook, "export"), grade_url):
            assert client.get(address).status_code == 404, (persona, address)
        assert client.post(grade_url, {"action": "hide"}).status_code == 404


def test_a_non_editing_instructor_grades_but_cannot_set_the_gradebook_up(as_person, gradebook, world):
    teacher = MembershipFactory(organization=world.org, user__display_name="Tina Teacher")
    staff(gradebook.course, teacher, "instructor")
    client = as_person(teacher)
    assert client.get(url(gradebook)).status_code == 200
    assert client.get(url(gradebook, "setup")).status_code == 403
    assert client.get(url(gradebook, "import")).status_code == 200


def test_filters_by_org_unit_group_status_and_name(as_person, gradebook, world, django_capture_on_commit_callbacks):
    graded(gradebook, django_capture_on_commit_callbacks)
    client = as_person(world.instructor)

    def names(**query: Any) -> list[str]:
        response = client.get(url(gradebook), query)
        assert response.status_code == 200
        return [row.name for row in response.context["book"].rows]

    assert names() == ["Eddie Engineer", "Lena Learner"]
    assert names(unit=world.sales.pk) == ["Lena Learner"]  # Sales East is under Sales
    assert names(q="eddie") == ["Eddie Engineer"]
    assert names(status="passed") == ["Lena Learner"]
    assert names(status="failed") == ["Eddie Engineer"]
    assert names(status="partial") == names(status="ungraded") == []
    assert names(sort="-total") == ["Lena Learner", "Eddie Engineer"]
    enrollment = enrollment_services.enrollment_create(
        course=gradebook.course, membership=world.report, by=gradebook.owner
    )
    group = enrollment_services.group_create(course=gradebook.course, by=gradebook.owner, name="Night shift")
    enrollment_services.group_members_change(group=group, by=gradebook.owner, add=[enrollment.pk])
    assert names(group=group.pk) == ["Rita Report"]
    # One essay of two graded: a total, but no result until the other is graded.
    essay1 = gradebook.item(gradebook.essay1)
    with django_capture_on_commit_callbacks(execute=True):
        services.grade_override(by=gradebook.owner, item=essay1, user=world.report.user, percent=90, reason="Viva")
    assert names(status="partial") == ["Rita Report"] and names(status="passed") == ["Lena Learner"]
    with django_capture_on_commit_callbacks(execute=True):
        services.grade_override(by=gradebook.owner, item=essay1, user=world.report.user, percent=None, reason="Undo")
    assert names(status="ungraded") == ["Rita Report"]
    # Another course's group, a forged unit: ignored, not an error.
    assert len(names(group="999999", unit="abc")) == 3


def test_rows_and_columns_come_in_pages(as_person, gradebook, world):
    grow(gradebook, people=50, items=40)  # 52 people, 42 items
    client = as_person(world.instructor)
    book = client.get(url(gradebook)).context["book"]
    assert len(book.rows) == 50 and len(book.columns) == 40 and book.column_pages == 2
    book = client.get(url(gradebook), {"page": 2, "cols": 2}).context["book"]
    assert len(book.rows) == 2 and [c.item.name for c in book.columns] == ["Lab 38", "Lab 39"]
    html = html_of(client.get(url(gradebook), {"cols": 1}))
    assert "Next items" in html and "Next page" in html


def test_columns_of_one_category(as_person, gradebook, world):
    essays = services.category_create(by=gradebook.owner, course=gradebook.course, name="Essays", weight="2")
    services.item_update(by=gradebook.owner, item=gradebook.item(gradebook.essay2), category=essays)
    client = as_person(world.instructor)
    book = client.get(url(gradebook), {"category": essays.pk}).context["book"]
    assert [c.item.name for c in book.columns] == ["Essay 2"]
    assert [(h.name, h.span) for h in book.category_headers] == [("Essays", 1)]
    html = html_of(client.get(url(gradebook)))
    assert 'scope="colgroup"' in html and "Not in a category" in html


def test_grades_show_as_points_or_letters(as_person, gradebook, world, django_capture_on_commit_callbacks):
    graded(gradebook, django_capture_on_commit_callbacks)
    lab = services.item_create(by=gradebook.owner, course=gradebook.course, name="Lab", max_points="20")
    services.grade_enter(by=gradebook.owner, item=lab, user=gradebook.learner, percent=Decimal(85))
    services.settings_update(by=gradebook.owner, course=gradebook.course, display=Display.POINTS)
    client = as_person(world.instructor)
    html = html_of(client.get(url(gradebook)))
    assert ">17<" in html and "of 20" in html
    scale = services.letter_scale_create(
        by=world.org_admin.user,
        organization=world.org,
        name="Letters",
        bands=[{"letter": "A", "min": "80"}, {"letter": "B", "min": "50"}, {"letter": "F", "min": "0"}],
    )
    services.settings_update(by=gradebook.owner, course=gradebook.course, display=Display.LETTER, letter_scale=scale)
    client = as_person(world.instructor)
    rows = {row.name: row for row in client.get(url(gradebook)).context["book"].rows}
    assert "<a" in rows["Lena Learner"].cells and ">A<" in rows["Lena Learner"].cells
    assert ">F<" in rows["Eddie Engineer"].cells


def _queries(client: Any, address: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(address).status_code == 200
    return len(captured.captured_queries)


def test_the_gradebook_costs_the_same_queries_as_people_and_items_grow(
    as_person, gradebook, world, django_assert_max_num_queries
):
    grow(gradebook, people=3, items=3)
    client = as_person(world.instructor)
    address = url(gradebook) + "?sort=-total&status=&q="
    _queries(client, address)  # warms the sync stamp and the session
    small = _queries(client, address)
    grow(gradebook, people=40, items=30, start=100)
    CourseGrade.objects.all().delete()
    with django_assert_max_num_queries(small):
        client.get(address)


def test_export_csv_and_xlsx_with_the_filters(as_person, gradebook, world, django_capture_on_commit_callbacks):
    graded(gradebook, django_capture_on_commit_callbacks)
    client = as_person(world.instructor)
    response = client.get(url(gradebook, "export"), {"format": "csv", "unit": world.sales.pk})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="gradebook-')
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Essay 1" in text and "Lena Learner" in text and "Eddie Engineer" not in text
    response = client.get(url(gradebook, "export"), {"format": "xlsx"})
    assert response.status_code == 200 and response["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).active
    assert len(list(sheet.iter_rows())) == 3  # headings and two people
    assert client.get(url(gradebook, "export"), {"format": "pdf"}).status_code == 400
