"""Every write of the HR import: create a job from an upload, validate it (dry run), apply it.

Who may import: a person holding `people.manage` organisation-wide (an import touches anyone in the organisation,
so a grant over one org-unit subtree is not enough); a full sync also needs `people.deactivate` organisation-wide,
and "create missing" needs `org_unit.manage`, `job_role.manage` and `location.manage`. `by=None` is the operator
at the command line (`manage.py import_people`): shell access to the server already grants everything.

The slow parts run in the background (`accounts.tasks`): `import_job_create` and `import_job_apply` record the
request and queue the work once the transaction commits; `import_job_run_validation` and `import_job_run_apply` do
it. Both are idempotent: they claim the job with a conditional UPDATE (works on SQLite and PostgreSQL alike), so a
task delivered twice does the work once.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from syllabus.access import policy
from syllabus.accounts import events
from syllabus.accounts.hr_import import parsing
from syllabus.accounts.hr_import.apply import ApplyAborted, apply_plan, bulk_insert_rows
from syllabus.accounts.hr_import.directory import Directory
from syllabus.accounts.hr_import.validation import CleanRow, Plan, RowCleaner, RowError, column_titles, plan
from syllabus.accounts.models import ImportJob, ImportRow, Membership, Organization, User
from syllabus.core import clock
from syllabus.core.events import emit

logger = logging.getLogger(__name__)

FILE_TOO_LARGE = N_("The file is larger than {limit} MB.")
BAD_MODE = N_("Choose “add and update” or “full sync”.")
BAD_THRESHOLD = N_("Enter a whole percentage from 0 to 100.")
NOT_APPLICABLE = N_("Only a validated import without errors can be applied.")
UNEXPECTED = N_(
    "The import stopped on an unexpected error; nothing was changed. Try again, or tell your administrator."
)

STAGE_BATCH = 5000
DEACTIVATE_PREVIEW = 20  # people a full sync would deactivate, named on the dry-run report
PROGRESS_EVERY = 1000  # rows between progress writes (and at least one percent apart)
# Share of the validation progress bar each phase takes: reading and checking rows, planning, staging.
READ_SHARE, PLAN_SHARE = 70, 10

Progress = Callable[[int], None]


def _actor_id(by: User | None) -> int | None:
    return by.pk if by is not None else None


def _holds_org_wide(by: User, organization: Organization, capability: str) -> bool:
    principal = policy.principal_for(by, organization)
    return principal.is_platform_admin or (principal.is_member and capability in principal.org_capabilities)


def may_import(by: User, organization: Organization) -> bool:
    """Whether `by` may see and run imports in `organization` (pages and API ask this)."""
    return _holds_org_wide(by, organization, "people.manage")


def require_import(by: User | None, organization: Organization, *, mode: str, create_missing: bool) -> None:
    if by is None:
        return
    needed = ["people.manage"]
    if mode == ImportJob.Mode.FULL_SYNC:
        needed.append("people.deactivate")
    if create_missing:
        needed += ["org_unit.manage", "job_role.manage", "location.manage"]
    if not all(_holds_org_wide(by, organization, capability) for capability in needed):
        raise PermissionDenied(policy.NOT_ALLOWED)


def _membership_id(user: User | None, organization: Organization) -> int | None:
    if user is None:
        return None
    return Membership.objects.filter(organization=organization, user=user).values_list("pk", flat=True).first()


def _enqueue(task_name: str, job_id: int) -> None:
    """Queue a task once the transaction commits (tests run tasks eagerly; browser tests replace this)."""
    from syllabus.accounts import tasks

    task = {"validate": tasks.hr_import_validate, "apply": tasks.hr_import_apply}[task_name]
    transaction.on_commit(lambda: task.delay(job_id))


# --- create --------------------------------------------------------------------------------------------------


def import_job_create(
    *,
    organization: Organization,
    by: User | None,
    file: File[Any],
    filename: str,
    mode: str = ImportJob.Mode.ADD_UPDATE,
    threshold_percent: int | None = None,
    create_missing: bool = False,
    start: bool = True,
) -> ImportJob:
    """Store an uploaded file as a new job and (with `start`) queue its validation — the dry run."""
    if mode not in ImportJob.Mode.values:
        raise ValidationError({"mode": [_(BAD_MODE)]})
    require_import(by, organization, mode=mode, create_missing=create_missing)
    if threshold_percent is None:
        threshold_percent = settings.HR_IMPORT_DEFAULT_THRESHOLD_PERCENT
    if not 0 <= threshold_percent <= 100:
        raise ValidationError({"threshold_percent": [_(BAD_THRESHOLD)]})
    limit = settings.HR_IMPORT_MAX_BYTES
    if file.size is not None and file.size > limit:
        raise ValidationError({"file": [_(FILE_TOO_LARGE).format(limit=round(limit / (1024 * 1024), 1))]})
    job = ImportJob(
        organization=organization,
        created_by=by,
        token=secrets.token_hex(16),
        original_filename=os.path.basename(filename or "people.csv")[:255],
        mode=mode,
        options={"threshold_percent": threshold_percent, "create_missing": create_missing},
    )
    with transaction.atomic():
        job.file.save(job.token, file, save=False)
        job.save()
        if start:
            _enqueue("validate", job.pk)
    return job


# --- validate (dry run) -------------------------------------------------------------------------------------


def _progress_writer(job_id: int) -> Progress:
    last = {"percent": -1}

    def write(percent: int) -> None:
        percent = max(0, min(100, percent))
        if percent > last["percent"]:
            last["percent"] = percent
            ImportJob.objects.filter(pk=job_id).update(progress=percent)

    return write


def _finish_failed(job_id: int, failure: str, errors: list[RowError] | None = None, **counts: Any) -> None:
    errors = errors or []
    cap = settings.HR_IMPORT_MAX_REPORTED_ERRORS
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportJob.Status.FAILED,
        failure=failure,
        errors=[error.as_dict() for error in errors[:cap]],
        error_count=len(errors),
        progress=100,
        **counts,
    )


def import_job_run_validation(*, job_id: int, progress: Progress | None = None) -> ImportJob | None:
    """Read, check and stage the job's file, and compute its plan; nothing about people changes.

    Runs once per job: a job that is not waiting for validation is left alone (returns None).
    """
    claimed = ImportJob.objects.filter(
        pk=job_id, status__in=[ImportJob.Status.UPLOADED, ImportJob.Status.VALIDATING]
    ).update(status=ImportJob.Status.VALIDATING, progress=0)
    if not claimed:
        return None
    job = ImportJob.objects.select_related("organization", "created_by").get(pk=job_id)
    report = progress or _progress_writer(job_id)
    try:
        _validate(job, report)
    except parsing.FileProblem as problem:
        _finish_failed(job_id, problem.message)
    except Exception:
        logger.exception("HR import %s: validation failed", job_id)
        _finish_failed(job_id, _(UNEXPECTED))
        raise
    finally:
        _discard_file(job)
    job.refresh_from_db()
    return job


def _discard_file(job: ImportJob) -> None:
    """Delete the uploaded file once it has been read: the staged rows hold what the apply step needs, and an HR
    export is personal data that should not sit in file storage longer than it must."""
    if job.file.name:
        job.file.storage.delete(job.file.name)
        ImportJob.objects.filter(pk=job.pk).update(file="")


def _validate(job: ImportJob, report: Progress) -> None:
    with job.file.open("rb") as handle:
        data = handle.read(settings.HR_IMPORT_MAX_BYTES + 1)
    if len(data) > settings.HR_IMPORT_MAX_BYTES:
        limit = round(settings.HR_IMPORT_MAX_BYTES / (1024 * 1024), 1)
        raise parsing.FileProblem(_(FILE_TOO_LARGE).format(limit=limit))
    parsed = parsing.parse(data, max_rows=settings.HR_IMPORT_MAX_ROWS)
    del data
    directory = Directory(job.organization)
    header = parsing.read_header(parsed.header_cells, directory.definitions)
    titles = column_titles(header)
    header_errors = [RowError(1, problem.column, problem.message) for problem in header.problems]
    job.options = {**job.options, "columns": titles, "delimiter": parsed.delimiter}
    if not header.usable:
        ImportJob.objects.filter(pk=job.pk).update(options=job.options)
        _finish_failed(job.pk, _("The header row needs correcting before the rows can be checked."), header_errors)
        return
    cleaner = RowCleaner(header, directory, create_missing=job.create_missing)
    width = len(parsed.header_cells)
    rows: list[CleanRow] = []
    for index, (row_number, cells) in enumerate(parsed.rows, start=1):
        rows.append(cleaner.clean(row_number, cells, width))
        if index % PROGRESS_EVERY == 0:
            report(min(READ_SHARE, index * READ_SHARE // parsed.estimated_rows))
    report(READ_SHARE)
    the_plan = plan(
        rows,
        directory,
        titles=titles,
        full_sync=job.mode == ImportJob.Mode.FULL_SYNC,
        threshold_percent=job.threshold_percent,
        actor_membership_id=_membership_id(job.created_by, job.organization),
    )
    report(READ_SHARE + PLAN_SHARE)
    job.options["deactivate_preview"] = [
        {"email": person.email, "name": person.name}
        for person in (directory.people[pk] for pk in the_plan.deactivate[:DEACTIVATE_PREVIEW])
    ]
    _stage(job, rows, the_plan, report)
    errors = header_errors + the_plan.errors
    cap = settings.HR_IMPORT_MAX_REPORTED_ERRORS
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.VALIDATED,
        options=job.options,
        row_count=len(rows),
        to_create=the_plan.count("create"),
        to_update=the_plan.count("update"),
        unchanged=the_plan.count("unchanged"),
        to_deactivate=len(the_plan.deactivate),
        error_count=len(errors),
        errors=[error.as_dict() for error in errors[:cap]],
        failure=the_plan.failure,
        progress=100,
        validated_at=clock.now(),
    )


def _stage(job: ImportJob, rows: list[CleanRow], the_plan: Plan, report: Progress) -> None:
    """Keep every row's checked data, with the action the dry run found, for the apply step."""
    ImportRow.objects.filter(job=job).delete()
    targets = {target.row: target for target in the_plan.targets}
    share = 100 - READ_SHARE - PLAN_SHARE
    for start in range(0, len(rows), STAGE_BATCH):
        batch = []
        for clean_row in rows[start : start + STAGE_BATCH]:
            target = targets.get(clean_row.row)
            action = ImportRow.Action.ERROR
            if target is not None and clean_row.row not in the_plan.error_rows:
                action = ImportRow.Action(target.action)
            batch.append(
                {
                    "job_id": job.pk,
                    "row_number": clean_row.row,
                    "data": clean_row.data,
                    "action": action,
                    "membership_id": target.person.membership_id if target and target.person else None,
                }
            )
        with transaction.atomic():
            bulk_insert_rows(ImportRow, batch)
        report(READ_SHARE + PLAN_SHARE + (start + len(batch)) * share // max(1, len(rows)))


# --- apply --------------------------------------------------------------------------------------------------


def import_job_apply(*, job: ImportJob, by: User | None, start: bool = True) -> ImportJob:
    """Accept a validated job's plan and (with `start`) queue the apply step."""
    require_import(by, job.organization, mode=job.mode, create_missing=job.create_missing)
    with transaction.atomic():
        claimed = ImportJob.objects.filter(
            pk=job.pk, status=ImportJob.Status.VALIDATED, error_count=0, failure=""
        ).update(status=ImportJob.Status.APPLYING, applied_by=by, progress=0)
        if not claimed:
            raise ValidationError(_(NOT_APPLICABLE))
        if start:
            _enqueue("apply", job.pk)
    job.refresh_from_db()
    return job


def import_job_run_apply(*, job_id: int) -> ImportJob | None:
    """Apply a job in one transaction: everything or, on any problem, nothing (the job records why)."""
    job = (
        ImportJob.objects.select_related("organization", "applied_by")
        .filter(pk=job_id, status=ImportJob.Status.APPLYING)
        .first()
    )
    if job is None:
        return None
    try:
        # The person who accepted the plan must still be allowed when it runs.
        require_import(job.applied_by, job.organization, mode=job.mode, create_missing=job.create_missing)
        with transaction.atomic():
            now = clock.now()
            _plan, result = apply_plan(
                job,
                actor_membership_id=_membership_id(job.applied_by, job.organization),
                now=now,
                full_sync=job.mode == ImportJob.Mode.FULL_SYNC,
                threshold=job.threshold_percent,
            )
            ImportJob.objects.filter(pk=job.pk).update(
                status=ImportJob.Status.APPLIED,
                to_create=result.created,
                to_update=result.updated,
                unchanged=result.unchanged,
                to_deactivate=result.deactivated,
                progress=100,
                applied_at=now,
            )
            emit(
                events.PeopleImported(
                    organization_id=job.organization_id,
                    job_id=job.pk,
                    created=result.created,
                    updated=result.updated,
                    deactivated=result.deactivated,
                    actor_id=_actor_id(job.applied_by),
                    membership_ids=result.membership_ids,
                )
            )
    except ApplyAborted as aborted:
        _finish_failed(job.pk, aborted.message, aborted.errors)
    except PermissionDenied:
        _finish_failed(job.pk, _(policy.NOT_ALLOWED))
    except Exception:
        logger.exception("HR import %s: apply failed", job_id)
        _finish_failed(job.pk, _(UNEXPECTED))
        raise
    job.refresh_from_db()
    return job
