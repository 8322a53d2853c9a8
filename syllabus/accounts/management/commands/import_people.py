"""`manage.py import_people <file> --organization <slug>`: the HR import from the command line.

Checks the file (the dry run), prints the report and, unless `--dry-run`, applies it — in the foreground, with the
same services the pages and the API use, acting as the operator (no permission check: shell access to the server
grants everything). Idempotent: importing the same file again reports everyone unchanged and changes nothing.

Exit status: 0 when the file was applied (or, with --dry-run, could be), 1 when it has errors or a full sync would
cross its threshold (nothing is changed then).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser

from syllabus.accounts.hr_import import services
from syllabus.accounts.models import ImportJob, Organization

SHOWN_ERRORS = 50


class Command(BaseCommand):
    help = "Import people from an HR CSV file into an organisation (dry run first; see --help)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The CSV file (UTF-8, with a header row).")
        parser.add_argument("--organization", required=True, help="The organisation's short name (slug).")
        parser.add_argument(
            "--full-sync",
            action="store_true",
            help="The file is the complete roster: deactivate active people missing from it.",
        )
        parser.add_argument(
            "--threshold",
            type=int,
            default=None,
            help="Full sync: abort if more than this percentage of active people would be deactivated "
            "(default: HR_IMPORT_DEFAULT_THRESHOLD_PERCENT).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Check and report only; change nothing.")
        parser.add_argument(
            "--create-missing",
            action="store_true",
            help="Create org units, job roles and locations the file names but the organisation lacks.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organization = Organization.objects.filter(slug=options["organization"]).first()
        if organization is None:
            raise CommandError(f"No organisation has the short name {options['organization']!r}.")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        with path.open("rb") as handle:
            job = services.import_job_create(
                organization=organization,
                by=None,
                file=File(handle, name=path.name),
                filename=path.name,
                mode=ImportJob.Mode.FULL_SYNC if options["full_sync"] else ImportJob.Mode.ADD_UPDATE,
                threshold_percent=options["threshold"],
                create_missing=options["create_missing"],
                start=False,
            )
        validated = services.import_job_run_validation(job_id=job.pk, progress=self._progress)
        assert validated is not None
        self._report(validated, applied=False)
        if not validated.can_apply:
            raise CommandError(f"Import {validated.pk} cannot be applied: nothing was changed.")
        if options["dry_run"]:
            self.stdout.write(f"Dry run: nothing was changed (import {validated.pk}).")
            return
        services.import_job_apply(job=validated, by=None, start=False)
        applied = services.import_job_run_apply(job_id=validated.pk)
        assert applied is not None
        self._report(applied, applied=True)
        if applied.status != ImportJob.Status.APPLIED:
            raise CommandError(f"Import {applied.pk} was not applied: nothing was changed.")
        self.stdout.write(self.style.SUCCESS(f"Applied import {applied.pk}."))

    def _progress(self, percent: int) -> None:
        if sys.stderr.isatty():
            self.stderr.write(f"\rChecking: {percent}%", ending="")

    def _report(self, job: ImportJob, *, applied: bool) -> None:
        if sys.stderr.isatty():
            self.stderr.write("")
        verbs = ("created", "updated", "deactivated") if applied else ("to create", "to update", "to deactivate")
        lines = [
            f"Import {job.pk} of {job.original_filename}: {job.get_status_display().lower()}",
            f"  rows: {job.row_count}",
            f"  {verbs[0]}: {job.to_create}",
            f"  {verbs[1]}: {job.to_update}",
            f"  unchanged: {job.unchanged}",
        ]
        if job.mode == ImportJob.Mode.FULL_SYNC:
            lines.append(f"  {verbs[2]}: {job.to_deactivate} (threshold {job.threshold_percent}%)")
        lines.append(f"  errors: {job.error_count}")
        self.stdout.write("\n".join(lines))
        if job.failure:
            self.stdout.write(self.style.ERROR(job.failure))
        for error in job.errors[:SHOWN_ERRORS]:
            column = f" [{error['column']}]" if error["column"] else ""
            self.stdout.write(f"  row {error['row']}{column}: {error['message']}")
        if job.error_count > SHOWN_ERRORS:
            self.stdout.write(f"  … and {job.error_count - SHOWN_ERRORS} more errors.")
