"""The file as a whole: size, encoding, delimiter, header, row limits. Problems stop the job before any row."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from syllabus.accounts.hr_import import parsing, services
from syllabus.accounts.models import ImportJob, ImportRow, Membership
from tests.accounts.hr_import.conftest import csv_file, errors_of
from tests.factories import AttributeDefinitionFactory

pytestmark = pytest.mark.django_db


def test_a_file_over_the_size_limit_is_refused_at_upload(importer, settings):
    settings.HR_IMPORT_MAX_BYTES = 1024
    with pytest.raises(ValidationError) as caught:
        importer.upload(csv_file(*[f"p{n}@acme.test,Person {n}" for n in range(100)], header="email,name"))
    assert caught.value.message_dict == {"file": [services.FILE_TOO_LARGE.format(limit=0.0)]}
    assert not ImportJob.objects.exists()


def test_a_file_that_is_not_utf8_names_the_line_and_the_byte(importer):
    content = "email,name\nok@acme.test,Ok\nzoe@acme.test,Zoé\n".encode("latin-1")
    job = importer.dry_run(content)
    assert job.status == ImportJob.Status.FAILED
    assert job.failure == parsing.NOT_UTF8.format(line=3, byte=0xE9)
    assert not ImportRow.objects.filter(job=job).exists()


def test_a_utf16_file_is_refused_with_how_to_save_it(importer):
    job = importer.dry_run("email,name\na@acme.test,A\n".encode("utf-16"))
    assert (job.status, job.failure) == (ImportJob.Status.FAILED, parsing.UTF16)


def test_a_utf8_file_with_a_byte_order_mark_is_read(importer):
    job = importer.dry_run(b"\xef\xbb\xbf" + "email,name\nzoe@acme.test,Zoé Ä\n".encode())
    assert job.can_apply, (job.failure, job.errors)
    assert importer.apply(job).to_create == 1
    assert Membership.objects.get(user__email="zoe@acme.test").user.display_name == "Zoé Ä"


@pytest.mark.parametrize("delimiter", [";", "\t", ","])
def test_semicolon_tab_and_comma_delimiters_are_recognised(importer, delimiter):
    content = (
        delimiter.join(["email", "name", "hire_date"]) + "\n" + delimiter.join(["a@acme.test", "Ann Bee", "2024-01-02"])
    )
    job = importer.dry_run(content + "\n")
    assert job.can_apply, job.errors
    assert job.options["delimiter"] == delimiter


def test_quoted_cells_may_hold_delimiters_and_line_breaks(importer):
    job = importer.dry_run('email,name\n"a@acme.test","Doe, Jane\nsecond line"\nb@acme.test,B\n')
    assert job.can_apply, job.errors
    assert job.row_count == 2


def test_an_empty_file_is_refused(importer):
    job = importer.dry_run(b"")
    assert (job.status, job.failure) == (ImportJob.Status.FAILED, parsing.EMPTY_FILE)


def test_a_header_without_people_is_refused(importer):
    job = importer.dry_run("email,name\n\n\n")
    assert (job.status, job.failure) == (ImportJob.Status.FAILED, parsing.NO_ROWS)


def test_blank_lines_are_skipped_but_still_counted_in_row_numbers(importer):
    job = importer.dry_run("email,name\n\nbad,Bad\n")
    assert errors_of(job)[0][0] == 3
    assert job.row_count == 1


def test_more_rows_than_allowed_are_refused(importer, settings):
    settings.HR_IMPORT_MAX_ROWS = 2
    job = importer.dry_run(csv_file("a@acme.test,A", "b@acme.test,B", "c@acme.test,C", header="email,name"))
    assert (job.status, job.failure) == (ImportJob.Status.FAILED, parsing.TOO_MANY_ROWS.format(max_rows=2))
    assert not ImportRow.objects.filter(job=job).exists()


def test_broken_csv_quoting_is_reported_with_its_line(importer):
    job = importer.dry_run('email,name\na@acme.test,"A"B\n')
    assert job.status == ImportJob.Status.FAILED
    assert job.failure.startswith(parsing.UNREADABLE.split("{")[0])
    assert "(line 2)" in job.failure


def test_a_header_without_email_or_name_stops_before_the_rows(importer):
    job = importer.dry_run("mail,fullname\na@acme.test,A\n")
    assert job.status == ImportJob.Status.FAILED
    assert errors_of(job) == [
        (1, "mail", parsing.UNKNOWN_COLUMN.format(columns=", ".join(parsing.STANDARD_COLUMNS))),
        (1, "fullname", parsing.UNKNOWN_COLUMN.format(columns=", ".join(parsing.STANDARD_COLUMNS))),
        (1, "email", parsing.MISSING_COLUMN.format(column="email")),
        (1, "name", parsing.MISSING_COLUMN.format(column="name")),
    ]


def test_unknown_and_duplicate_columns_are_errors_on_row_one_while_rows_are_still_checked(importer):
    job = importer.dry_run("email,name,shoe_size,Email,attr:nope\nbad,A,42,x,y\n")
    assert job.status == ImportJob.Status.VALIDATED
    assert not job.can_apply
    assert errors_of(job) == [
        (1, "shoe_size", parsing.UNKNOWN_COLUMN.format(columns=", ".join(parsing.STANDARD_COLUMNS))),
        (1, "Email", parsing.DUPLICATE_COLUMN),
        (1, "attr:nope", parsing.UNKNOWN_ATTRIBUTE_COLUMN.format(key="nope")),
        (2, "email", "“bad” is not a valid email address."),
    ]


def test_common_alternative_column_titles_are_understood(importer):
    job = importer.dry_run("E-mail,Full Name,Employee Number,Start Date\na@acme.test,A,E1,2024-05-06\n")
    assert job.can_apply, job.errors
    assert importer.apply(job).to_create == 1
    assert Membership.objects.get(user__email="a@acme.test").employee_id == "E1"


def test_custom_attributes_are_read_from_attr_prefixed_or_bare_key_columns(importer, world):
    AttributeDefinitionFactory(organization=world.org, key="cost_center", label="Cost centre")
    AttributeDefinitionFactory(organization=world.org, key="fte", label="FTE", type="number")
    job = importer.run("email,name,attr:cost_center,fte\na@acme.test,A,CC-9,0.5\n")
    assert Membership.objects.get(user__email="a@acme.test").attributes == {"cost_center": "CC-9", "fte": 0.5}
    assert job.to_create == 1


def test_the_uploaded_file_is_kept_under_a_generated_name(importer):
    job = importer.upload(csv_file("a@acme.test,A", header="email,name"), filename="../../etc/passwd")
    assert job.original_filename == "passwd"
    assert job.file.name == f"hr-imports/{job.organization_id}/{job.token}.csv"


def test_the_uploaded_file_is_deleted_once_checked(importer):
    job = importer.upload(csv_file("a@acme.test,A", header="email,name"))
    storage, name = job.file.storage, job.file.name
    assert storage.exists(name)
    job = services.import_job_run_validation(job_id=job.pk)
    assert not storage.exists(name)
    assert job.file.name == "" and job.can_apply
    assert importer.apply(job).to_create == 1


def test_the_uploaded_file_is_deleted_even_when_it_cannot_be_read(importer):
    job = importer.upload(b"\xff\xfe\x00")
    storage, name = job.file.storage, job.file.name
    services.import_job_run_validation(job_id=job.pk)
    assert not storage.exists(name)
