"""Helpers for the HR import tests: upload a CSV as a persona, run the dry run and the apply step inline."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile

from syllabus.accounts.hr_import import services
from syllabus.accounts.models import ImportJob, Membership, Organization, User
from syllabus.celery import app as celery_app
from tests.conftest import World
from tests.factories import JobRoleFactory, LocationFactory

HEADER = "email,name,employee_id,org_unit,job_role,location,manager_email,hire_date"


def csv_file(*lines: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode()


@dataclass
class Importer:
    organization: Organization
    by: User | None

    def upload(
        self,
        content: bytes | str,
        *,
        mode: str = ImportJob.Mode.ADD_UPDATE,
        threshold_percent: int | None = None,
        create_missing: bool = False,
        filename: str = "people.csv",
    ) -> ImportJob:
        data = content.encode() if isinstance(content, str) else content
        return services.import_job_create(
            organization=self.organization,
            by=self.by,
            file=ContentFile(data, name=filename),
            filename=filename,
            mode=mode,
            threshold_percent=threshold_percent,
            create_missing=create_missing,
            start=False,
        )

    def dry_run(self, content: bytes | str, **options: object) -> ImportJob:
        job = self.upload(content, **options)  # type: ignore[arg-type]
        validated = services.import_job_run_validation(job_id=job.pk)
        assert validated is not None
        return validated

    def apply(self, job: ImportJob) -> ImportJob:
        services.import_job_apply(job=job, by=self.by, start=False)
        applied = services.import_job_run_apply(job_id=job.pk)
        assert applied is not None
        return applied

    def run(self, content: bytes | str, **options: object) -> ImportJob:
        job = self.dry_run(content, **options)
        assert job.can_apply, (job.failure, job.errors)
        applied = self.apply(job)
        assert applied.status == ImportJob.Status.APPLIED, (applied.failure, applied.errors)
        return applied


@pytest.fixture(autouse=True)
def eager_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    # `make test` sets CELERY_TASK_ALWAYS_EAGER=true; this keeps a bare `pytest` run off the real broker too.
    monkeypatch.setattr(celery_app.conf, "task_always_eager", True)
    monkeypatch.setattr(celery_app.conf, "task_eager_propagates", True)


@pytest.fixture(autouse=True)
def media_in_tmp(settings: object, tmp_path: object) -> None:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]


@pytest.fixture
def importer(world: World) -> Importer:
    """The org admin of Acme Health importing; Acme has job roles Nurse, Engineer and locations Leeds, York."""
    JobRoleFactory(organization=world.org, name="Nurse", code="NUR")
    JobRoleFactory(organization=world.org, name="Engineer")
    LocationFactory(organization=world.org, name="Leeds")
    LocationFactory(organization=world.org, name="York")
    return Importer(world.org, world.org_admin.user)


def errors_of(job: ImportJob) -> list[tuple[int, str, str]]:
    return [(error["row"], error["column"], error["message"]) for error in job.errors]


def member(organization: Organization, email: str) -> Membership:
    return Membership.objects.select_related("user", "org_unit", "job_role", "location", "manager__user").get(
        organization=organization, user__email=email
    )


def roster(world: World) -> list[str]:
    """`email,name` rows for everyone in Acme Health as they are now: importing them changes nothing."""
    lines = []
    for persona in ("org_admin", "manager", "report", "indirect_report", "instructor", "learner", "engineer"):
        membership: Membership = getattr(world, persona)
        lines.append(f"{membership.user.email},{membership.user.display_name}")
    return lines
