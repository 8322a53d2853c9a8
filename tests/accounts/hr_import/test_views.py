"""The import pages, from each persona's side: upload, dry-run report, polling, apply, error report, permissions."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from syllabus.accounts.middleware import SESSION_KEY
from syllabus.accounts.models import ImportJob, Membership
from tests.accounts.hr_import.conftest import Importer, csv_file
from tests.factories import grant

pytestmark = pytest.mark.django_db

LIST = reverse("accounts:hr-imports")
CREATE = reverse("accounts:hr-import-create")


def sign_in(client, membership):
    client.force_login(membership.user)
    session = client.session
    session[SESSION_KEY] = membership.organization_id
    session.save()
    return client


def upload(client, content: bytes, **fields):
    data = {
        "file": SimpleUploadedFile("people.csv", content, content_type="text/csv"),
        "mode": "add_update",
        "threshold_percent": 10,
        **fields,
    }
    return client.post(CREATE, data)


def test_the_org_admin_uploads_a_file_and_sees_the_dry_run_report(client, world, django_capture_on_commit_callbacks):
    sign_in(client, world.org_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, csv_file("ada@acme.test,Ada", "bad,Bad", header="email,name"))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("accounts:hr-import-detail", args=[job.pk])
    page = client.get(response["Location"])
    assert page.status_code == 200
    content = page.content.decode()
    assert "Checked: this file cannot be applied as it is." in content
    assert '<dd data-count="create">1</dd>' in content
    assert "“bad” is not a valid email address." in content
    assert 'hx-trigger="every 1s"' not in content  # finished: no polling
    assert "Apply the import" not in content
    assert not Membership.objects.filter(user__email="ada@acme.test").exists()


def test_applying_from_the_page_creates_the_people(client, world, django_capture_on_commit_callbacks):
    sign_in(client, world.org_admin)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, csv_file("ada@acme.test,Ada", header="email,name"))
    job = ImportJob.objects.get()
    assert "Apply the import" in client.get(reverse("accounts:hr-import-detail", args=[job.pk])).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:hr-import-apply", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.APPLIED
    assert Membership.objects.filter(organization=world.org, user__email="ada@acme.test").exists()
    assert "Applied." in client.get(response["Location"]).content.decode()


def test_a_running_job_polls_its_status_panel_until_it_is_done(client, world):
    sign_in(client, world.org_admin)
    job = Importer(world.org, world.org_admin.user).upload(csv_file("ada@acme.test,Ada", header="email,name"))
    status_url = reverse("accounts:hr-import-status", args=[job.pk])
    page = client.get(reverse("accounts:hr-import-detail", args=[job.pk])).content.decode()
    assert f'hx-get="{status_url}" hx-trigger="every 1s"' in page
    assert '<progress max="100" value="0"' in page
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.VALIDATING, progress=40)
    partial = client.get(status_url, HTTP_HX_REQUEST="true").content.decode()
    assert partial.startswith('<section id="import-status"')
    assert '<progress max="100" value="40"' in partial and "Checking the file: 40%" in partial
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.APPLYING, progress=0)
    assert '<progress max="100" aria-labelledby' in client.get(status_url).content.decode()  # indeterminate
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.APPLIED, progress=100, row_count=1)
    done = client.get(status_url).content.decode()
    assert "hx-trigger" not in done and '<progress max="100" value="100"' in done


def test_a_bad_upload_form_shows_its_errors(client, world):
    sign_in(client, world.org_admin)
    response = client.post(CREATE, {"mode": "add_update", "threshold_percent": 150})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"file", "threshold_percent"}
    assert not ImportJob.objects.exists()


def test_a_file_over_the_size_limit_is_refused_on_the_form(client, world, settings):
    settings.HR_IMPORT_MAX_BYTES = 1024
    sign_in(client, world.org_admin)
    response = upload(client, b"email,name\n" + b"a@acme.test,A\n" * 200)
    assert response.status_code == 200
    assert "The file is larger than" in response.context["form"].errors["file"][0]


def test_a_full_sync_upload_by_someone_who_may_not_deactivate_is_refused_on_the_form(client, world):
    from syllabus.access.models import Role, RoleAssignment

    role = Role.objects.create(organization=world.org, key="hr", name="HR", custom_capabilities=["people.manage"])
    RoleAssignment.objects.create(organization=world.org, membership=world.instructor, role=role, scope="organization")
    sign_in(client, world.instructor)
    response = upload(client, b"email,name\na@acme.test,A\n", mode="full_sync")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("persona", ["learner", "manager", "instructor"])
def test_people_who_may_not_import_are_refused_every_import_page(client, world, persona):
    job = Importer(world.org, world.org_admin.user).upload(csv_file("a@acme.test,A", header="email,name"))
    sign_in(client, getattr(world, persona))
    for url in (
        LIST,
        CREATE,
        reverse("accounts:hr-import-template"),
        reverse("accounts:hr-import-detail", args=[job.pk]),
        reverse("accounts:hr-import-status", args=[job.pk]),
        reverse("accounts:hr-import-errors", args=[job.pk]),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("accounts:hr-import-apply", args=[job.pk])).status_code == 403


def test_a_people_admin_over_one_department_only_is_refused(client, world):
    grant(world.engineer, "org_admin", org_unit=world.engineering)
    sign_in(client, world.engineer)
    assert client.get(LIST).status_code == 403


def test_another_organisations_import_is_not_found(client, world):
    theirs = Importer(world.other_org, world.outsider.user).dry_run(csv_file("a@globex.test,A", header="email,name"))
    sign_in(client, world.org_admin)
    for url in (
        reverse("accounts:hr-import-detail", args=[theirs.pk]),
        reverse("accounts:hr-import-status", args=[theirs.pk]),
        reverse("accounts:hr-import-errors", args=[theirs.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("accounts:hr-import-apply", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == ImportJob.Status.VALIDATED


def test_the_error_report_neutralises_cells_that_spreadsheets_would_run_as_formulas(client, world):
    job = Importer(world.org, world.org_admin.user).dry_run(
        csv_file('=HYPERLINK("http://evil.test"),Eve', "+1@x,Plus", header="email,name")
    )
    sign_in(client, world.org_admin)
    response = client.get(reverse("accounts:hr-import-errors", args=[job.pk]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    lines = response.content.decode().splitlines()
    assert lines[0] == "row,column,message"
    assert lines[1].startswith("2,email,")
    import csv

    rows = list(csv.reader(lines))
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_error_report_cells_starting_with_a_formula_character_get_an_apostrophe():
    from syllabus.accounts.hr_import.report import error_report_csv

    content = error_report_csv(
        [{"row": 2, "column": "=cmd", "message": "@SUM(A1)"}, {"row": 3, "column": "-x", "message": "ok"}]
    )
    assert content.splitlines() == ["row,column,message", "2,'=cmd,'@SUM(A1)", "3,'-x,ok"]


def test_the_template_file_lists_every_column_including_custom_attributes(client, world):
    from tests.factories import AttributeDefinitionFactory

    AttributeDefinitionFactory(organization=world.org, key="cost_center", label="Cost centre")
    sign_in(client, world.org_admin)
    response = client.get(reverse("accounts:hr-import-template"))
    header = response.content.decode().splitlines()[0]
    assert header == "email,name,employee_id,org_unit,job_role,location,manager_email,hire_date,attr:cost_center"


def test_the_import_list_takes_the_same_number_of_queries_however_many_jobs(
    client, world, django_assert_max_num_queries
):
    sign_in(client, world.org_admin)
    importer = Importer(world.org, world.org_admin.user)
    importer.dry_run(csv_file("a@acme.test,A", header="email,name"))
    client.get(LIST)  # warm up (session, content types)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(LIST).status_code == 200
    for n in range(12):
        importer.upload(csv_file(f"p{n}@acme.test,P", header="email,name"))
    with django_assert_max_num_queries(len(few)):
        response = client.get(LIST)
    assert len(response.context["page_obj"]) == 13


def test_the_menu_shows_import_people_to_the_org_admin_only(client, world):
    sign_in(client, world.org_admin)
    assert LIST in client.get(reverse("web:home")).content.decode()
    sign_in(client, world.learner)
    assert LIST not in client.get(reverse("web:home")).content.decode()
