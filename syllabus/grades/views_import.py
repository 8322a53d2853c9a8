"""Import of offline grades: upload, a dry run (every change and every error with its line and column), then apply
all or nothing.

Between the dry run and "Apply" the validated file waits in the default storage (shared by every web process,
S3 in production) under a random name, and the session remembers that name for this course: "Apply" applies
exactly the file that was checked, and nobody can apply a file by guessing its name.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from syllabus.access.decorators import organization_view
from syllabus.access.policy import Principal
from syllabus.accounts.models import Organization
from syllabus.catalog.models import Course
from syllabus.grades import policy, services
from syllabus.grades.forms import ImportForm
from syllabus.grades.housekeeping import STASH_DIR
from syllabus.grades.views import error_text, header, team_course, user_of


def _session_key(course: Course) -> str:
    return f"grades-import-{course.pk}"


def _stash(request: HttpRequest, course: Course, upload: Any) -> str:
    """Keep the checked file until it is applied; the session holds its name (and the name people gave it)."""
    _drop(request, course)
    upload.seek(0)
    token = secrets.token_urlsafe(16)
    extension = ".xlsx" if upload.name.lower().endswith(".xlsx") else ".csv"
    path = default_storage.save(f"{STASH_DIR}/{course.organization_id}/{token}{extension}", ContentFile(upload.read()))
    request.session[_session_key(course)] = {"token": token, "path": path, "name": upload.name[:200]}
    return token


def _drop(request: HttpRequest, course: Course) -> None:
    stashed = request.session.pop(_session_key(course), None)
    if isinstance(stashed, dict) and stashed.get("path"):
        default_storage.delete(stashed["path"])


def _page(
    request: HttpRequest,
    principal: Principal,
    course: Course,
    *,
    form: ImportForm,
    preview: Any = None,
    token: str = "",
    status: int = 200,
    errors: list[str] | None = None,
) -> HttpResponse:
    context = {
        **header(principal, course),
        "form": form,
        "preview": preview,
        "token": token,
        "apply_errors": errors or [],
    }
    return render(request, "grades/import.html", context, status=status)


@organization_view
@require_http_methods(["GET", "POST"])
def grades_import(
    request: HttpRequest, organization: Organization, principal: Principal, course_id: int
) -> HttpResponse:
    course = team_course(organization, principal, course_id, policy.can_grade)
    if request.method == "GET":
        return _page(request, principal, course, form=ImportForm())
    if request.POST.get("step") == "apply":
        return _apply(request, principal, course)
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, principal, course, form=form, status=400)
    upload = form.cleaned_data["file"]
    preview = services.import_preview(course=course, upload=upload)
    token = _stash(request, course, upload) if preview.ok and preview.rows else ""
    return _page(request, principal, course, form=ImportForm(), preview=preview, token=token)


def _apply(request: HttpRequest, principal: Principal, course: Course) -> HttpResponse:
    stashed = request.session.get(_session_key(course))
    if (
        not isinstance(stashed, dict)
        or not secrets.compare_digest(str(stashed.get("token", "")), request.POST.get("token", ""))
        or not default_storage.exists(stashed["path"])
    ):
        return _page(
            request,
            principal,
            course,
            form=ImportForm(),
            status=400,
            errors=[_("This import is no longer waiting (applied already, or too old): upload the file again.")],
        )
    try:
        with default_storage.open(stashed["path"], "rb") as handle:
            result = services.import_apply(
                by=user_of(request),
                course=course,
                upload=File(handle, name=stashed["name"]),
                reason=request.POST.get("reason", "")[:2000],
            )
    except ValidationError as exc:
        _drop(request, course)
        return _page(request, principal, course, form=ImportForm(), status=400, errors=[error_text(exc)])
    _drop(request, course)
    messages.success(
        request,
        ngettext("%(count)s grade imported.", "%(count)s grades imported.", result.changed) % {"count": result.changed},
    )
    return redirect(reverse("grades:gradebook", args=[course.pk]))
