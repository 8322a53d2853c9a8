"""`manage.py import_people` and the background tasks: same services, idempotent, honest exit codes."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from syllabus.accounts import tasks
from syllabus.accounts.hr_import import services
from syllabus.accounts.models import ImportJob, ImportRow, Membership
from tests.accounts.hr_import.conftest import Importer, csv_file, roster

pytestmark = pytest.mark.django_db


def run_command(tmp_path, content: bytes, *args: str) -> str:
    path = tmp_path / "people.csv"
    path.write_bytes(content)
    out = io.StringIO()
    call_command("import_people", str(path), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_the_command_imports_a_file_and_prints_the_report(tmp_path, world):
    out = run_command(
        tmp_path, csv_file("ada@acme.test,Ada,E1", header="email,name,employee_id"), "--organization", "acme"
    )
    assert "created: 1" in out and "Applied import" in out
    member = Membership.objects.get(organization=world.org, employee_id="E1")
    assert member.user.email == "ada@acme.test"
    assert ImportJob.objects.get().created_by is None  # the operator


def test_running_the_command_again_changes_nothing(tmp_path, world):
    content = csv_file("ada@acme.test,Ada,E1", header="email,name,employee_id")
    run_command(tmp_path, content, "--organization", "acme")
    out = run_command(tmp_path, content, "--organization", "acme")
    assert "created: 0" in out and "updated: 0" in out and "unchanged: 1" in out
    assert Membership.objects.filter(organization=world.org, employee_id="E1").count() == 1


def test_a_dry_run_reports_and_changes_nothing(tmp_path, world):
    out = run_command(
        tmp_path, csv_file("ada@acme.test,Ada", header="email,name"), "--organization", "acme", "--dry-run"
    )
    assert "to create: 1" in out and "Dry run: nothing was changed" in out
    assert not Membership.objects.filter(user__email="ada@acme.test").exists()


def test_a_file_with_errors_exits_non_zero_listing_them(tmp_path, world):
    with pytest.raises(CommandError, match="cannot be applied: nothing was changed"):
        run_command(tmp_path, csv_file("bad,Bad", "ok@acme.test,Ok", header="email,name"), "--organization", "acme")
    assert not Membership.objects.filter(user__email="ok@acme.test").exists()


def test_the_error_lines_name_row_and_column(tmp_path, world, capsys):
    path = tmp_path / "people.csv"
    path.write_bytes(csv_file("bad,Bad", header="email,name"))
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_people", str(path), "--organization", "acme", stdout=out)
    assert "row 2 [email]: “bad” is not a valid email address." in out.getvalue()


def test_a_full_sync_over_the_threshold_exits_non_zero_and_deactivates_nobody(tmp_path, world):
    with pytest.raises(CommandError):
        run_command(
            tmp_path,
            csv_file(*roster(world)[:3], header="email,name"),
            "--organization",
            "acme",
            "--full-sync",
            "--threshold",
            "25",
        )
    assert Membership.objects.filter(organization=world.org, is_active=True).count() == 7


def test_a_full_sync_within_the_threshold_deactivates_the_missing(tmp_path, world):
    out = run_command(
        tmp_path,
        csv_file(*roster(world)[:6], header="email,name"),
        "--organization",
        "acme",
        "--full-sync",
        "--threshold",
        "20",
    )
    assert "deactivated: 1 (threshold 20%)" in out
    world.engineer.refresh_from_db()
    assert not world.engineer.is_active


def test_create_missing_is_available_from_the_command(tmp_path, world):
    run_command(
        tmp_path,
        csv_file("a@acme.test,A,New Unit/Sub", header="email,name,org_unit"),
        "--organization",
        "acme",
        "--create-missing",
    )
    assert Membership.objects.get(user__email="a@acme.test").org_unit.name == "Sub"


def test_an_unknown_organisation_or_file_is_a_clear_error(tmp_path, world):
    with pytest.raises(CommandError, match="No organisation has the short name 'nope'"):
        run_command(tmp_path, b"email,name\n", "--organization", "nope")
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_people", str(tmp_path / "missing.csv"), "--organization", "acme")


# --- tasks ----------------------------------------------------------------------------------------------------


def test_the_validation_task_checks_the_job_once(world):
    job = Importer(world.org, world.org_admin.user).upload(csv_file("a@acme.test,A", header="email,name"))
    assert tasks.hr_import_validate.delay(job.pk).get() == ImportJob.Status.VALIDATED
    rows = list(ImportRow.objects.filter(job=job).values_list("pk", flat=True))
    # Delivered again (a worker restart): the job is no longer waiting, so nothing happens.
    assert tasks.hr_import_validate.delay(job.pk).get() is None
    assert list(ImportRow.objects.filter(job=job).values_list("pk", flat=True)) == rows


def test_the_apply_task_applies_once(world):
    importer = Importer(world.org, world.org_admin.user)
    job = importer.dry_run(csv_file("a@acme.test,A", header="email,name"))
    services.import_job_apply(job=job, by=importer.by, start=False)
    assert tasks.hr_import_apply.delay(job.pk).get() == ImportJob.Status.APPLIED
    assert tasks.hr_import_apply.delay(job.pk).get() is None
    assert Membership.objects.filter(user__email="a@acme.test").count() == 1


def test_uploading_queues_the_dry_run_and_applying_queues_the_apply(world, django_capture_on_commit_callbacks):
    importer = Importer(world.org, world.org_admin.user)
    with django_capture_on_commit_callbacks(execute=True):
        job = services.import_job_create(
            organization=world.org, by=importer.by, file=_file(b"email,name\na@acme.test,A\n"), filename="p.csv"
        )
    job.refresh_from_db()
    assert job.status == ImportJob.Status.VALIDATED and job.progress == 100
    with django_capture_on_commit_callbacks(execute=True):
        services.import_job_apply(job=job, by=importer.by)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.APPLIED


def test_the_dry_run_reports_progress_as_it_goes(world, monkeypatch):
    monkeypatch.setattr(services, "PROGRESS_EVERY", 2)
    seen: list[int] = []
    job = Importer(world.org, world.org_admin.user).upload(
        csv_file(*[f"p{n}@acme.test,P{n}" for n in range(10)], header="email,name")
    )
    services.import_job_run_validation(job_id=job.pk, progress=seen.append)
    assert seen == sorted(seen) and seen[0] < services.READ_SHARE and seen[-1] == 100


def test_an_unexpected_error_marks_the_job_failed_and_is_raised_for_the_logs(world, monkeypatch):
    job = Importer(world.org, world.org_admin.user).upload(csv_file("a@acme.test,A", header="email,name"))

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "plan", broken)
    with pytest.raises(RuntimeError):
        services.import_job_run_validation(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.failure) == (ImportJob.Status.FAILED, services.UNEXPECTED)


def _file(content: bytes):
    from django.core.files.base import ContentFile

    return ContentFile(content, name="p.csv")
