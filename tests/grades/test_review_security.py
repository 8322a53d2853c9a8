"""Review R1: hostile import files, and hidden grades never reaching a learner's total (page and API)."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from syllabus.access.policy import forget
from syllabus.grades import imports, services
from syllabus.grades.models import Grade, GradeItem
from tests.api.conftest import V1
from tests.grades.conftest import Gradebook

D = Decimal


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _bomb() -> bytes:
    """A valid workbook plus a member whose central directory says it unpacks to 150 MB (the header is what a real
    bomb of repeated XML declares; writing one for real would take the test seconds)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(_xlsx([["Email", "Oral exam"]]))) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            target.writestr(member, source.read(member))
        target.writestr("xl/sharedStrings2.xml", b"<si><t>a</t></si>" * 4096)
    data = bytearray(out.getvalue())
    name = b"xl/sharedStrings2.xml"
    at = data.rindex(name) - 46
    assert data[at : at + 4] == b"PK\x01\x02"
    data[at + 24 : at + 28] = (150 * 1024 * 1024).to_bytes(4, "little")
    bomb = bytes(data)
    with zipfile.ZipFile(io.BytesIO(bomb)) as check:
        assert check.getinfo("xl/sharedStrings2.xml").file_size == 150 * 1024 * 1024
    return bomb


@pytest.fixture
def as_person(client: Client) -> Any:
    def sign_in(membership: Any) -> Client:
        forget(membership.user)
        client.force_login(membership.user)
        return client

    return sign_in


@pytest.fixture
def bomb() -> bytes:
    return _bomb()


def test_an_xlsx_zip_bomb_is_refused_before_openpyxl_opens_it(
    gradebook: Gradebook, bomb: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert len(bomb) < imports.MAX_BYTES
    opened: list[object] = []
    monkeypatch.setattr("openpyxl.load_workbook", lambda *a, **k: opened.append(a))
    preview = services.import_preview(course=gradebook.course, upload=SimpleUploadedFile("marks.xlsx", bomb))
    assert [e.message for e in preview.errors] == [imports.FILE_XLSX_TOO_BIG]
    assert opened == []


def test_a_csv_with_nul_bytes_is_refused_with_a_clear_message(gradebook: Gradebook) -> None:
    item = services.item_create(by=gradebook.owner, course=gradebook.course, name="Oral exam")
    data = f"Email,Oral exam\n{gradebook.learner.email}\x00,80\n".encode()
    preview = services.import_preview(course=gradebook.course, upload=SimpleUploadedFile("marks.csv", data))
    assert [e.message for e in preview.errors] == [imports.FILE_NUL]
    assert not Grade.objects.filter(item=item).exists()


def test_xlsx_formula_cells_are_never_grades_and_odd_names_are_cleaned(gradebook: Gradebook) -> None:
    services.item_create(by=gradebook.owner, course=gradebook.course, name="Oral exam")
    data = _xlsx([["Email", "Oral exam"], [gradebook.learner.email, "=100-1"]])
    preview = services.import_preview(
        course=gradebook.course, upload=SimpleUploadedFile("../../etc/ma\u202erks\x01.xlsx", data)
    )
    assert preview.file_name == "marks.xlsx"
    assert preview.rows == []  # a formula is never evaluated: no cached value, no grade


# --- a learner's total from hidden grades ------------------------------------------------------------------------


@pytest.fixture
def all_hidden(gradebook: Gradebook, django_capture_on_commit_callbacks: Any) -> GradeItem:
    """The learner's only grade (95 %) is hidden: the team's total is 95, the learner's view has no total."""
    owner, learner = gradebook.owner, gradebook.learner
    with django_capture_on_commit_callbacks(execute=True):
        item = gradebook.item(gradebook.essay1)
        services.grade_override(by=owner, item=item, user=learner, percent=D(95), reason="Viva")
        services.grades_hide(by=owner, item=item, user_ids=[learner.pk], hidden=True)
    services.settings_update(by=owner, course=gradebook.course, show_total_to_learners=True, pass_mark=D(50))
    return item


def test_the_team_total_of_hidden_grades_never_reaches_the_learners_page(
    as_person: Any,
    gradebook: Gradebook,
    world: Any,
    all_hidden: GradeItem,
) -> None:
    total = services.course_total_for(course=gradebook.course, user_id=gradebook.learner.pk)
    assert (total.percent, total.learner_total) == (D("95.00"), None)
    html = as_person(world.learner).get(reverse("grades:mine", args=[gradebook.course.pk])).content.decode()
    # Only the page's content: the CSRF token in the header is random and may hold "95" by chance.
    html = html[html.index("<main") : html.index("</main>")]
    assert "95" not in html
    assert "Passed" not in html and "passed" not in html.lower().replace("not passed", "")


def test_the_team_total_of_hidden_grades_never_reaches_the_learners_api(
    as_member: Any,
    gradebook: Gradebook,
    world: Any,
    all_hidden: GradeItem,
) -> None:
    body = as_member(world.learner).get(f"{V1}/grades/courses/{gradebook.course.pk}/mine/").json()
    assert body["total"] is None and body["passed"] is None
    assert all(row["percent"] is None for row in body["grades"])


def test_an_excluded_but_visible_grade_does_not_unlock_the_hidden_total(
    as_member: Any,
    gradebook: Gradebook,
    world: Any,
    all_hidden: GradeItem,
) -> None:
    owner, learner = gradebook.owner, gradebook.learner
    extra = services.item_create(by=owner, course=gradebook.course, name="Practice")
    services.item_update(by=owner, item=extra, excluded=True)
    services.grade_enter(by=owner, item=extra, user=learner, percent=D(10))
    body = as_member(world.learner).get(f"{V1}/grades/courses/{gradebook.course.pk}/mine/").json()
    assert body["total"] is None


def test_nul_bytes_in_a_reason_or_feedback_are_dropped(gradebook: Gradebook) -> None:
    owner, learner = gradebook.owner, gradebook.learner
    grade = services.grade_override(
        by=owner, item=gradebook.item(gradebook.essay1), user=learner, percent=D(70), reason="Re\x00mark"
    )
    assert grade.override_reason == "Remark"
    manual = services.item_create(by=owner, course=gradebook.course, name="Lab")
    entered = services.grade_enter(by=owner, item=manual, user=learner, percent=D(70), feedback="Go\x00od")
    assert entered.feedback == "Good"
