"""Import of offline grades (dry run, errors with line and column, all or nothing) and exports (CSV, XLSX)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from syllabus.accounts.models import User
from syllabus.audit.models import AuditRecord
from syllabus.enrollment.models import Enrollment
from syllabus.grades import imports, services
from syllabus.grades.models import ChangeSource, Grade, GradeItem
from tests.factories import MembershipFactory
from tests.grades.conftest import Gradebook

D = Decimal


def upload(text: str, name: str = "marks.csv", bom: bool = False) -> SimpleUploadedFile:
    data = text.encode("utf-8")
    return SimpleUploadedFile(name, (b"\xef\xbb\xbf" if bom else b"") + data, content_type="text/csv")


@pytest.fixture
def oral(gradebook: Gradebook) -> GradeItem:
    return services.item_create(by=gradebook.owner, course=gradebook.course, name="Oral exam", max_points="20")


def test_a_dry_run_lists_the_changes_and_writes_nothing(gradebook: Gradebook, oral: GradeItem) -> None:
    essay1 = gradebook.item(gradebook.essay1)
    text = (
        f"Email;Oral exam;#{essay1.pk};Name\n"
        f"{gradebook.learner.email.upper()};17/20;85%;Lena\n"
        f"{gradebook.engineer.email}; 72,5 ;;Eddie\n"
    )
    preview = services.import_preview(course=gradebook.course, upload=upload(text, bom=True))
    assert preview.ok
    assert [(c.line, c.user_id, c.item_name, c.new, c.action) for c in preview.rows] == [
        (2, gradebook.learner.pk, "Oral exam", D("85.00"), "enter"),
        (2, gradebook.learner.pk, "Essay 1", D("85.00"), "override"),
        (3, gradebook.engineer.pk, "Oral exam", D("72.50"), "enter"),
    ]
    assert not Grade.objects.filter(final__isnull=False).exists()


def test_apply_writes_everything_with_one_audit_summary(gradebook: Gradebook, oral: GradeItem) -> None:
    text = f"email,oral exam,Essay 1\n{gradebook.learner.email},18/20,60\n"
    result = services.import_apply(by=gradebook.owner, course=gradebook.course, upload=upload(text))
    assert result.changed == 2
    entered = Grade.objects.get(item=oral, user=gradebook.learner)
    overridden = Grade.objects.get(item=gradebook.item(gradebook.essay1), user=gradebook.learner)
    assert (entered.raw, overridden.override) == (D("90.00"), D("60.00"))
    assert overridden.override_reason == "Imported from marks.csv"
    assert entered.changes.get().source == ChangeSource.IMPORT
    assert AuditRecord.objects.filter(action="grades.imported").count() == 1
    # The same file again changes nothing.
    assert services.import_apply(by=gradebook.owner, course=gradebook.course, upload=upload(text)).changed == 0


def test_every_error_is_reported_with_its_line_and_column_and_nothing_is_applied(
    gradebook: Gradebook, oral: GradeItem
) -> None:
    stranger = MembershipFactory(organization=gradebook.world.org).user
    learner, engineer = gradebook.learner.email, gradebook.engineer.email
    text = (
        "Email,Oral exam,Essay 2,Essay 9\n"
        f"{learner},17/20,120,\n"  # line 2: fine, then above 100
        f"{engineer},=1+1,-5,\n"  # line 3: a formula is not a value; negative
        f"nobody@example.org,50,,\n"  # line 4: unknown person
        f"{stranger.email},50,,\n"  # line 5: not enrolled
        f"{learner},50,,\n"  # line 6: twice
        f",50,,\n"  # line 7: nobody
        f"{engineer},3/0,abc,\n"  # line 8 (also a duplicate, reported first)
    )
    preview = services.import_preview(course=gradebook.course, upload=upload(text))
    messages = [str(e) for e in preview.errors]
    assert messages == [
        "line 1, column 'Essay 9': " + imports.UNKNOWN_ITEM.format(heading="Essay 9"),
        "line 2, column 'Essay 2': 120 is above 100.",
        "line 3, column 'Oral exam': '=1+1' is not a percentage (85 or 85%) or points (17/20).",
        "line 3, column 'Essay 2': -5 is below 0.",
        "line 4, column 'Email': Nobody in the organisation has the email 'nobody@example.org'.",
        f"line 5, column 'Email': {stranger.email} is not enrolled in the course.",
        f"line 6, column 'Email': {learner} is on line 2 already.",
        "line 7, column 'Email': Say who this row is about.",
        f"line 8, column 'Email': {engineer} is on line 3 already.",
    ]
    with pytest.raises(ValidationError) as error:
        services.import_apply(by=gradebook.owner, course=gradebook.course, upload=upload(text))
    assert error.value.messages == messages
    assert not Grade.objects.filter(final__isnull=False).exists()  # all or nothing


def test_points_with_a_zero_maximum_and_files_refused_as_a_whole(gradebook: Gradebook, oral: GradeItem) -> None:
    text = f"Email,Oral exam\n{gradebook.learner.email},3/0\n"
    [error] = services.import_preview(course=gradebook.course, upload=upload(text)).errors
    assert (error.line, error.column) == (2, "Oral exam")
    for bad, message in (
        (upload("Name,Oral exam\nLena,50\n"), imports.NO_PERSON_COLUMN),
        (upload("", name="marks.csv"), imports.FILE_EMPTY),
        (SimpleUploadedFile("marks.txt", b"x"), imports.FILE_TYPE),
        (SimpleUploadedFile("marks.csv", "Email;Oral\n".encode("utf-16")), imports.FILE_NOT_UTF8),
        (SimpleUploadedFile("marks.xlsx", b"not a zip"), imports.FILE_UNREADABLE),
        (SimpleUploadedFile("marks.csv", b"Email\n" + b"x" * (imports.MAX_BYTES)), imports.FILE_TOO_BIG),
    ):
        assert [e.message for e in services.import_preview(course=gradebook.course, upload=bad).errors] == [message]


def test_too_many_rows_are_refused(gradebook: Gradebook, oral: GradeItem, monkeypatch) -> None:
    monkeypatch.setattr(imports, "MAX_ROWS", 3)
    text = "Email,Oral exam\n" + "a@example.org,1\n" * 5
    assert [e.message for e in services.import_preview(course=gradebook.course, upload=upload(text)).errors] == [
        imports.TOO_MANY_ROWS
    ]


def test_an_xlsx_file_is_read_too(gradebook: Gradebook, oral: GradeItem) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Email", "Oral exam", "Essay 1"])
    sheet.append([gradebook.learner.email, 85.5, "=1+1"])
    out = io.BytesIO()
    book.save(out)
    preview = services.import_preview(course=gradebook.course, upload=SimpleUploadedFile("m.xlsx", out.getvalue()))
    assert [c.new for c in preview.rows] == [D("85.50")]
    # openpyxl stores "=1+1" as a formula with no cached value: read as blank, never evaluated.
    assert preview.errors == []


def test_only_the_team_imports(gradebook: Gradebook, oral: GradeItem) -> None:
    text = f"Email,Oral exam\n{gradebook.learner.email},50\n"
    with pytest.raises(PermissionDenied):
        services.import_apply(by=gradebook.learner, course=gradebook.course, upload=upload(text))


# --- exports ------------------------------------------------------------------------------------------------------


def _grade_some(gradebook: Gradebook, oral: GradeItem) -> None:
    services.grade_enter(by=gradebook.owner, item=oral, user=gradebook.learner, percent="85")
    services.grade_override(
        by=gradebook.owner, item=gradebook.item(gradebook.essay1), user=gradebook.learner, percent="70", reason="x"
    )


def test_csv_export_shows_grades_as_displayed_and_escapes_formulas(gradebook: Gradebook, oral: GradeItem) -> None:
    User.objects.filter(pk=gradebook.engineer.pk).update(display_name="=HYPERLINK(evil)")
    _grade_some(gradebook, oral)
    rows_query = Enrollment.objects.filter(course=gradebook.course).order_by("membership__user__display_name")
    lines = list(services.export_csv(course=gradebook.course, rows_query=rows_query))
    rows = list(csv.reader(io.StringIO("".join(lines))))
    assert rows[0] == ["Name", "Email", "Employee ID", "Org unit", "Essay 1", "Essay 2", "Oral exam", "Course total"]
    by_email = {row[1]: row for row in rows[1:]}
    assert by_email[gradebook.engineer.email][0] == "'=HYPERLINK(evil)"
    learner = by_email[gradebook.learner.email]
    assert learner[3] == "Sales East"
    assert learner[4:] == ["70", "", "85", "77.5"]

    services.settings_update(by=gradebook.owner, course=gradebook.course, display="points")
    users = User.objects.filter(pk=gradebook.learner.pk)
    rows = list(csv.reader(io.StringIO("".join(services.export_csv(course=gradebook.course, rows_query=users)))))
    assert rows[1][4:] == ["70 / 100", "", "17 / 20", "87 / 120"]


def test_export_reads_learners_in_constant_queries(
    gradebook: Gradebook, oral: GradeItem, django_assert_max_num_queries
) -> None:
    for _ in range(6):
        gradebook.enroll(MembershipFactory(organization=gradebook.world.org))
    with django_assert_max_num_queries(9):
        enrollments = Enrollment.objects.filter(course=gradebook.course)
        list(services.export_csv(course=gradebook.course, rows_query=enrollments))


def test_xlsx_export_has_numbers_and_no_formulas(gradebook: Gradebook, oral: GradeItem) -> None:
    User.objects.filter(pk=gradebook.engineer.pk).update(display_name="=1+1")
    _grade_some(gradebook, oral)
    data = services.export_xlsx(course=gradebook.course, rows_query=Enrollment.objects.filter(course=gradebook.course))
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    rows = {row[1]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows[gradebook.learner.email][4:] == (70, None, 85, 77.5)
    assert rows[gradebook.engineer.email][0] == "=1+1"
    cell = next(c for c in sheet["A"] if c.value == "=1+1")
    assert cell.data_type == "s"


def test_an_exported_file_imports_back(gradebook: Gradebook, oral: GradeItem) -> None:
    _grade_some(gradebook, oral)
    lines = "".join(
        services.export_csv(course=gradebook.course, rows_query=Enrollment.objects.filter(course=gradebook.course))
    )
    preview = services.import_preview(course=gradebook.course, upload=upload(lines))
    assert preview.ok and preview.rows == []
