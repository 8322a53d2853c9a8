"""Found by using the gradebook (review R2): an exported file imported back must change nothing — also activity
grades (it used to override every one of them), in points and in letters — and formula escaping must see past
leading spaces."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from syllabus.accounts.models import User
from syllabus.enrollment.models import Enrollment
from syllabus.grades import exports, services
from syllabus.grades.models import Grade, GradeItem
from tests.grades.conftest import Gradebook

D = Decimal
BANDS = [{"letter": "A", "min": "90"}, {"letter": "B", "min": "60"}, {"letter": "F", "min": "0"}]


def upload(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("marks.csv", text.encode(), content_type="text/csv")


def exported(book: Gradebook) -> str:
    rows_query = Enrollment.objects.filter(course=book.course)
    return "".join(services.export_csv(course=book.course, rows_query=rows_query))


@pytest.fixture
def reported(gradebook: Gradebook, django_capture_on_commit_callbacks: Any) -> GradeItem:
    """Lena has 70 % on Essay 1 from the activity itself (no override), 85 % on a manual "Oral exam" (of 20)."""
    oral = services.item_create(by=gradebook.owner, course=gradebook.course, name="Oral exam", max_points="20")
    with django_capture_on_commit_callbacks(execute=True):
        gradebook.signal(gradebook.essay1, gradebook.learner, "70", replace=True)
    services.grade_enter(by=gradebook.owner, item=oral, user=gradebook.learner, percent="85")
    assert Grade.objects.get(item=gradebook.item(gradebook.essay1), user=gradebook.learner).final == D("70.00")
    return oral


@pytest.mark.parametrize("display", ["percent", "points", "letter"])
def test_an_exported_file_imported_back_overrides_no_activity_grade(
    gradebook: Gradebook, reported: GradeItem, display: str
) -> None:
    if display == "letter":
        scale = services.letter_scale_create(
            by=gradebook.world.org_admin.user, organization=gradebook.world.org, name="Usual", bands=BANDS
        )
        services.settings_update(by=gradebook.owner, course=gradebook.course, display="letter", letter_scale=scale.pk)
    else:
        services.settings_update(by=gradebook.owner, course=gradebook.course, display=display)
    preview = services.import_preview(course=gradebook.course, upload=upload(exported(gradebook)))
    assert preview.errors == [] and preview.rows == []
    result = services.import_apply(by=gradebook.owner, course=gradebook.course, upload=upload(exported(gradebook)))
    assert result.changed == 0
    assert not Grade.objects.filter(override__isnull=False).exists()


def test_a_changed_activity_grade_is_an_override_shown_against_the_grade_it_has(
    gradebook: Gradebook, reported: GradeItem
) -> None:
    text = f"Email,Essay 1,Oral exam\n{gradebook.learner.email},75,85\n"
    [change] = services.import_preview(course=gradebook.course, upload=upload(text)).rows
    assert (change.item_name, change.old, change.new, change.action) == ("Essay 1", D("70.00"), D("75.00"), "override")
    # The same value as the activity's grade: nothing to override.
    same = f"Email,Essay 1\n{gradebook.learner.email},70%\n"
    assert services.import_preview(course=gradebook.course, upload=upload(same)).rows == []


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        (" =cmd|' /C calc'!A0", "' =cmd|' /C calc'!A0"),
        ("  +1+1", "'  +1+1"),
        ("\n=1", "'\n=1"),
        (" @SUM(A1)", "' @SUM(A1)"),
        ("Ada Lovelace", "Ada Lovelace"),
        ("   ", "   "),
        ("", ""),
    ],
)
def test_formula_escaping_sees_past_leading_spaces(text: str, escaped: str) -> None:
    assert exports.escape_cell(text) == escaped


def test_the_csv_export_escapes_a_name_hiding_a_formula_behind_spaces(gradebook: Gradebook) -> None:
    User.objects.filter(pk=gradebook.engineer.pk).update(display_name=" =HYPERLINK(evil)")
    rows = list(csv.reader(io.StringIO(exported(gradebook))))
    assert "' =HYPERLINK(evil)" in [row[0] for row in rows]
