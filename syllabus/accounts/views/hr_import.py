"""The HR import pages: the list of imports, the upload form, a job's dry-run report and progress, apply.

A job's page polls its status panel with htmx every second while work is queued or running; the panel stops
polling by rendering itself without the trigger once the job is done. Only people who may import (see
`hr_import.services.may_import`) reach these pages; another organisation's job is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from syllabus.access.policy import NOT_ALLOWED
from syllabus.accounts.hr_import import report, selectors, services
from syllabus.accounts.hr_import.forms import ImportUploadForm
from syllabus.accounts.models import ImportJob
from syllabus.accounts.selectors import attribute_definition_list
from syllabus.accounts.views.guards import Acting, acting, organization_required

PAGE_SIZE = 25
ERRORS_ON_PAGE = 100


def _importer(request: HttpRequest) -> Acting:
    who = acting(request)
    if not services.may_import(who.user, who.organization):
        raise PermissionDenied(NOT_ALLOWED)
    return who


def _job_or_404(who: Acting, pk: int) -> ImportJob:
    job = selectors.import_job_get(organization=who.organization, job_id=pk)
    if job is None:
        raise Http404
    return job


def _status_context(job: ImportJob) -> dict[str, object]:
    finished = not job.is_running
    return {
        "job": job,
        "errors": job.errors[:ERRORS_ON_PAGE] if finished else [],
        "more_errors": max(0, job.error_count - ERRORS_ON_PAGE),
        "preview": selectors.import_change_preview(job=job) if job.status == ImportJob.Status.VALIDATED else [],
        "deactivate_preview": job.options.get("deactivate_preview", []) if finished else [],
        "indeterminate": job.status == ImportJob.Status.APPLYING,
    }


@organization_required
@require_GET
def import_list(request: HttpRequest) -> HttpResponse:
    who = _importer(request)
    page = Paginator(selectors.import_job_list(organization=who.organization), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "accounts/hr_import/list.html", {"page_obj": page})


@organization_required
@require_http_methods(["GET", "POST"])
def import_create(request: HttpRequest) -> HttpResponse:
    who = _importer(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        try:
            job = services.import_job_create(
                organization=who.organization,
                by=who.user,
                file=upload,
                filename=upload.name or "people.csv",
                mode=data["mode"],
                threshold_percent=data["threshold_percent"],
                create_missing=data["create_missing"],
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        except PermissionDenied:
            form.add_error(
                None,
                _(
                    "You may not run this kind of import: a full sync needs the right to deactivate people, and "
                    "creating missing org units, job roles and locations needs the right to manage them."
                ),
            )
        else:
            return redirect("accounts:hr-import-detail", pk=job.pk)
    return render(request, "accounts/hr_import/create.html", {"form": form})


@organization_required
@require_GET
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    who = _importer(request)
    job = _job_or_404(who, pk)
    return render(request, "accounts/hr_import/detail.html", _status_context(job))


@organization_required
@require_GET
def import_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The status panel alone, for htmx polling."""
    who = _importer(request)
    job = _job_or_404(who, pk)
    return render(request, "accounts/hr_import/_status.html", _status_context(job))


@organization_required
@require_POST
def import_apply(request: HttpRequest, pk: int) -> HttpResponse:
    who = _importer(request)
    job = _job_or_404(who, pk)
    try:
        services.import_job_apply(job=job, by=who.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied:
        messages.error(request, _(NOT_ALLOWED))
    return redirect("accounts:hr-import-detail", pk=job.pk)


@organization_required
@require_GET
def import_errors_csv(request: HttpRequest, pk: int) -> HttpResponse:
    who = _importer(request)
    job = _job_or_404(who, pk)
    response = HttpResponse(report.error_report_csv(job.errors), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response


@organization_required
@require_GET
def import_template_csv(request: HttpRequest) -> HttpResponse:
    who = _importer(request)
    content = report.template_csv(attribute_definition_list(organization=who.organization))
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="people-import-template.csv"'
    return response
