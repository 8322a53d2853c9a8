"""A learner handing in an assignment: the edit page (text and files: "Save draft", "Continue to hand in"), the
confirmation page (what is handed in, the honesty statement, "Hand in for grading"), asking for another try, and the
download of a submission's or a feedback file.

The assignment is found in the version the person learns (`services.assignment_for`: anyone who may not hand it in
gets 404, whatever the reason). Every rule is the service's: dates (with the person's extension), read-only once
handed in, file checks, stale tabs. A file is served to its owner (feedback files once the grade is released) and
to the course team (`policy.can_grade`), always as an attachment with `nosniff`; to anyone else, 404.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from syllabus.access.decorators import organization_view
from syllabus.access.policy import Principal
from syllabus.accounts.models import Organization, User
from syllabus.assessment import policy
from syllabus.assessment.assignment_kind import dates_in_words, learner_view, settings_in_words
from syllabus.assessment.models.assignments import FileRole, Submission, SubmissionFile, SubmissionState
from syllabus.assessment.services import assignments as services
from syllabus.core import clock

SAVED = "Your draft is saved."
FILE_ADDED = "{name} is added."
FILE_REMOVED = "The file is removed."
HANDED_IN = "Your work is handed in for grading."
REQUESTED = "Your request for another try is sent to the course team."
NOTHING_YET = "Save your text or add a file before handing in."
# A file is always downloaded, never opened in the site's origin: it could be anything a browser renders.
FILE_CSP = "default-src 'none'; sandbox"


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


def _activity_url(course_id: int, uid: Any) -> str:
    return reverse("catalog:activity", args=[course_id, uid])


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    return {key: [str(m) for m in value] for key, value in exc.message_dict.items()} if exc.error_dict else {
        "__all__": [str(m) for m in exc.messages]
    }  # fmt: skip


def _page(
    request: HttpRequest,
    assignment: services.LearnerAssignment,
    template: str,
    *,
    errors: dict[str, list[str]] | None = None,
    typed: str | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    course, uid, settings = assignment.course, assignment.uid, assignment.settings
    now = clock.now()
    dates = services.dates_for(settings=settings, user_id=user.pk, course_id=course.pk, activity_uid=uid)
    submissions = services.submissions_of(user_id=user.pk, course_id=course.pk, activity_uid=uid)
    view = learner_view(settings=settings, dates=dates, submissions=submissions, course_id=course.pk, uid=uid, now=now)
    current = submissions[0] if submissions else None
    # The draft being edited: the current one, or (after a reopen) the copy the next save will make.
    editing = current if current is not None and current.state != SubmissionState.SUBMITTED else None
    errors = errors or {}
    text = typed if typed is not None else (editing.text if editing is not None else "")
    words = services.count_words(current.text if current is not None else "")
    return render(
        request,
        template,
        {
            "course": course,
            "title": str(assignment.activity.get("title", "")),
            "activity_url": _activity_url(course.pk, uid),
            "settings": settings,
            "rules": settings_in_words(settings),
            "dates": dates_in_words(dates, now),
            "editing": editing,
            "revision": editing.revision if editing is not None and editing.state == SubmissionState.DRAFT else 0,
            "text": text,
            "words": words,
            "over_limit": bool(settings.word_limit and words > settings.word_limit),
            "files_left": max(
                0, settings.max_files - len(view["current"]["files"]) if view["current"] else settings.max_files
            ),
            "accept": ",".join(settings.types),
            "errors": errors,
            "general_errors": errors.get("__all__", []) + errors.get("revision", []),
            "late": services.late_seconds(dates, now),
            **view,
        },
        status=status,
    )


def _assignment(principal: Principal, organization: Organization, course_id: int, uid: Any) -> Any:
    return services.assignment_for(principal, organization, course_id, uid)


@organization_view
@require_http_methods(["GET", "HEAD", "POST"])
def submission_edit(
    request: HttpRequest, organization: Organization, principal: Principal, course_id: int, uid: uuid.UUID
) -> HttpResponse:
    """The person's draft: text and files. POST saves the text, then adds the chosen file or removes one (`remove`),
    then stays here ("save") or goes on to the confirmation ("submit")."""
    assignment = _assignment(principal, organization, course_id, uid)
    if request.method != "POST":
        if not policy.can_take(principal, assignment.course):
            raise Http404
        return _page(request, assignment, "assessment/assignment_edit.html")
    user = _user(request)
    settings = assignment.settings
    typed = str(request.POST.get("text", ""))
    try:
        revision = int(str(request.POST.get("revision", "0")) or 0)
    except ValueError:
        revision = -1
    version = assignment.version
    if version is None:
        raise Http404
    try:
        current = services.current_submission(user_id=user.pk, course_id=course_id, activity_uid=assignment.uid)
        draft: Submission | None = current
        if settings.submission_text and ("text" in request.POST):
            draft = services.submission_save(
                by=user, course=assignment.course, version=version, activity_uid=assignment.uid,
                settings=settings, text=typed, revision=revision,
            )  # fmt: skip
        upload = request.FILES.get("file")
        remove = str(request.POST.get("remove", ""))
        if upload is not None or remove:
            if draft is None or draft.state != SubmissionState.DRAFT:
                draft = services.draft_for(
                    by=user, course=assignment.course, version=version, activity_uid=assignment.uid, settings=settings
                )
            if remove.isdigit():
                services.submission_file_remove(by=user, submission=draft, file_id=int(remove))
                messages.success(request, _(FILE_REMOVED))
            if upload is not None:
                added = services.submission_file_add(by=user, submission=draft, upload=upload)
                messages.success(request, _(FILE_ADDED).format(name=added.name))
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        return _page(
            request, assignment, "assessment/assignment_edit.html", errors=_errors(exc), typed=typed, status=400
        )
    if request.POST.get("go") == "submit":
        return redirect("assessment:assignment-submit", course_id=course_id, uid=uid)
    messages.success(request, _(SAVED))
    return redirect("assessment:assignment-submission", course_id=course_id, uid=uid)


@organization_view
@require_http_methods(["GET", "HEAD", "POST"])
def submission_submit(
    request: HttpRequest, organization: Organization, principal: Principal, course_id: int, uid: uuid.UUID
) -> HttpResponse:
    """GET: what is about to be handed in, with the honesty statement; POST: hand it in."""
    assignment = _assignment(principal, organization, course_id, uid)
    user = _user(request)
    current = services.current_submission(user_id=user.pk, course_id=course_id, activity_uid=assignment.uid)
    if request.method != "POST":
        if current is None or current.state != SubmissionState.DRAFT:
            messages.info(request, _(NOTHING_YET))
            return redirect("assessment:assignment-submission", course_id=course_id, uid=uid)
        return _page(request, assignment, "assessment/assignment_confirm.html")
    if current is None:
        return redirect("assessment:assignment-submission", course_id=course_id, uid=uid)
    try:
        services.submission_submit(by=user, submission=current, confirm=request.POST.get("confirm") == "on")
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        return _page(request, assignment, "assessment/assignment_confirm.html", errors=_errors(exc), status=400)
    messages.success(request, _(HANDED_IN))
    return redirect(_activity_url(course_id, uid))


@organization_view
@require_POST
def reopen_request(
    request: HttpRequest, organization: Organization, principal: Principal, course_id: int, uid: uuid.UUID
) -> HttpResponse:
    assignment = _assignment(principal, organization, course_id, uid)
    user = _user(request)
    current = services.current_submission(user_id=user.pk, course_id=course_id, activity_uid=assignment.uid)
    if current is None:
        raise Http404
    try:
        services.reopen_request(by=user, submission=current, note=str(request.POST.get("note", "")))
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _(REQUESTED))
    return redirect(_activity_url(course_id, uid))


def may_download(principal: Principal, found: SubmissionFile, user: User) -> bool:
    """The owner (a feedback file once its grade is released) or the course team."""
    submission = found.submission
    if policy.can_grade(principal, submission.course):
        return True
    if submission.user_id != user.pk:
        return False
    if found.role == FileRole.FEEDBACK:
        grade = getattr(submission, "grade", None)
        return grade is not None and grade.released
    return True


@organization_view
@require_safe
def submission_file(
    request: HttpRequest,
    organization: Organization,
    principal: Principal,
    course_id: int,
    uid: uuid.UUID,
    file_id: int,
) -> HttpResponseBase:
    found = (
        SubmissionFile.objects.select_related("submission__course", "submission__grade")
        .filter(organization=organization, pk=file_id, submission__course_id=course_id, submission__activity_uid=uid)
        .first()
    )
    if found is None or not may_download(principal, found, _user(request)):
        raise Http404
    try:
        handle = found.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle, content_type="application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(True, found.name or "file") or "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    response["Cache-Control"] = "private, no-store"
    return response
