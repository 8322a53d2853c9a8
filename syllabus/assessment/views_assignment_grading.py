"""The assignment grading pages of a course's team: the grading queue (every assignment of the course, or one, with
"Release selected grades"), the page grading one submission (rubric, marking guide or points; feedback and files;
save, save and release, save and next), reopening a submission, per-person extensions, and the team's download of a
submission's files.

Who: the course team (`policy.can_grade`) for everything here. A course of another organisation, an assignment the
course never had, a submission or file of another course, a draft: not found (404). Anyone else — a learner of the
course included — is refused (403).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from syllabus.access.decorators import organization_view
from syllabus.access.policy import NOT_ALLOWED, Principal
from syllabus.accounts.models import Organization, User
from syllabus.assessment import policy, rubric_scoring
from syllabus.assessment import selectors_assignments as selectors
from syllabus.assessment.assignment_settings import DAY_SECONDS, AssignmentSettings
from syllabus.assessment.forms_assignment_grading import (
    ExtensionForm,
    ExtensionRemoveForm,
    FeedbackForm,
    QueueFilterForm,
    ReopenForm,
    add_service_error,
    error_summary,
    filling_from_post,
)
from syllabus.assessment.models import Submission, SubmissionGrade, SubmissionState
from syllabus.assessment.services import assignment_grading as services
from syllabus.catalog import richtext
from syllabus.catalog.models import Course
from syllabus.enrollment.forms_course import ErrorLink

PAGE_SIZE = 50

GRADE_SAVED = "The grade is saved."
GRADE_SAVED_RELEASED = "The grade is saved and released to the learner."
NOTHING_LEFT = "Nothing else waits for a grade here."
NOTHING_SELECTED = "Select the submissions whose grades to release."
REOPENED = "The submission is reopened: the learner may hand in a new version."
EXTENSION_SAVED = "The extension is saved."
EXTENSION_REMOVED = "The extension is removed: the assignment's own dates apply again."

STATE_LABELS: dict[str, Any] = dict(SubmissionState.choices)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _course(organization: Organization, principal: Principal, course_id: int) -> Course:
    course = selectors.course_get(organization=organization, pk=course_id)
    if course is None:
        raise Http404
    if not policy.can_grade(principal, course):
        raise PermissionDenied(NOT_ALLOWED)
    return course


def _assignment(course: Course, uid: uuid.UUID) -> selectors.AssignmentRef:
    assignment = selectors.assignment_get(course=course, uid=uid)
    if assignment is None:
        raise Http404
    return assignment


def assignment_title(assignment: selectors.AssignmentRef | None) -> str:
    if assignment is None:
        return _("Assignment (removed from the course)")
    return assignment.title or _("Assignment (removed from the course)")


def person_label(user: User) -> str:
    return user.display_name or user.email


def number(value: Decimal | None) -> str:
    return "—" if value is None else rubric_scoring.decimal_text(value)


def late_text(seconds: int) -> str:
    """How late, as people say it: "3 days 4 hours", "2 hours 5 minutes", "40 minutes" ("" when on time)."""
    if seconds <= 0:
        return ""
    days, rest = divmod(seconds, DAY_SECONDS)
    hours, rest = divmod(rest, 3600)
    minutes = max(1, rest // 60) if not (days or hours) else rest // 60
    parts = []
    if days:
        parts.append(ngettext("%(n)d day", "%(n)d days", days) % {"n": days})
    if hours:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    if minutes and not days:
        parts.append(ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes})
    return " ".join(parts)


def _grade_of(submission: Submission) -> SubmissionGrade | None:
    try:
        return submission.grade
    except SubmissionGrade.DoesNotExist:
        return None


# --- the queue ----------------------------------------------------------------------------------------------------


# The grading page carries the queue it was opened from in its query string (the queue's filters and page, plus
# `one` when that queue was one assignment's), so "Back" returns to the same view and "Save and next" stays in it.
CARRIED = ("show", "assignment", "group", "late", "q", "page")


def _carry(query: Mapping[str, str], one: uuid.UUID | None) -> str:
    carried = {key: str(query[key])[:100] for key in CARRIED if query.get(key)}
    if one is not None:
        carried["one"] = str(one)
    return urlencode(carried)


def _grade_url(course: Course, submission_pk: int, carry: str) -> str:
    url = reverse("assessment:assignment-grade", args=[course.pk, submission_pk])
    return f"{url}?{carry}" if carry else url


def _carried_filters(query: Mapping[str, str]) -> tuple[uuid.UUID | None, selectors.QueueFilters]:
    """The queue the grading page was opened from: its one assignment (if it was one's) and its filters, with
    "waiting for a grade" for "Save and next". A value that doesn't parse filters nothing, as on the queue."""
    one = _uuid_or_none(query.get("one"))
    group = str(query.get("group", ""))
    return one, selectors.QueueFilters(
        assignment=one or _uuid_or_none(query.get("assignment")),
        show=selectors.SHOW_UNGRADED,
        late=str(query.get("late", "")).lower() in {"on", "true", "1"},
        group=int(group) if group.isdigit() else None,
        q=str(query.get("q", ""))[:100],
    )


def _row(course: Course, submission: Submission, titles: dict[uuid.UUID, str], carry: str) -> dict[str, Any]:
    grade = _grade_of(submission)
    return {
        "submission": submission,
        "person": person_label(submission.user),
        "email": submission.user.email,
        "assignment": titles.get(submission.activity_uid, ""),
        "state": STATE_LABELS.get(submission.state, submission.state),
        "late": late_text(submission.late_seconds),
        "grade": grade,
        "points": number(grade.points) if grade else "",
        "max_points": number(grade.max_points) if grade else "",
        "percent": number(grade.percent) if grade else "",
        "released": bool(grade and grade.released),
        "waiting": grade is None and submission.state == SubmissionState.SUBMITTED,
        "url": _grade_url(course, submission.pk, carry),
    }


@organization_view
@require_GET
def grading_queue(
    request: HttpRequest,
    organization: Organization,
    principal: Principal,
    course_id: int,
    uid: uuid.UUID | None = None,
) -> HttpResponse:
    course = _course(organization, principal, course_id)
    assignment = _assignment(course, uid) if uid is not None else None
    assignments = selectors.course_assignments(course=course)
    groups = list(selectors.course_groups(course=course))
    filters_form = QueueFilterForm(
        request.GET or None, assignments=assignments, groups=groups, one_assignment=assignment is not None
    )
    filters = filters_form.filters(assignment=uid)
    submissions = selectors.queue(course=course, filters=filters, assignments=assignments)
    page = Paginator(submissions, PAGE_SIZE).get_page(request.GET.get("page"))
    titles = {a.uid: a.title for a in assignments}
    if assignment is not None:
        titles[assignment.uid] = assignment_title(assignment)
    carry = _carry(request.GET, uid)
    rows = [_row(course, s, titles, carry) for s in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    first = next((row["url"] for row in rows if row["waiting"]), "")
    context = {
        "course": course,
        "assignment": assignment,
        "title": assignment_title(assignment) if assignment else course.title,
        "assignments": assignments,
        "filters": filters_form,
        "filtered": filters != selectors.QueueFilters(assignment=uid),
        "page_obj": page,
        "rows": rows,
        "ungraded": selectors.ungraded_count(course=course, assignment=uid),
        "first_url": first,
        "query": query.urlencode(),
        "can_release": assignment is not None and any(r["grade"] and not r["released"] for r in rows),
    }
    return render(request, "assessment/assignment_grading_queue.html", context)


@organization_view
@require_POST
def release(
    request: HttpRequest, organization: Organization, principal: Principal, course_id: int, uid: uuid.UUID
) -> HttpResponse:
    course = _course(organization, principal, course_id)
    _assignment(course, uid)
    back = reverse("assessment:assignment-submissions", args=[course.pk, uid])
    query = request.POST.get("query", "")
    if query and len(query) < 1000:
        back = f"{back}?{query}"
    ids = request.POST.getlist("submission")
    if not ids:
        messages.error(request, _(NOTHING_SELECTED))
        return redirect(back)
    try:
        count = services.grades_release(by=_user(request), course=course, activity_uid=uid, submission_ids=ids)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(back)
    if count:
        messages.success(request, ngettext("%(n)d grade released.", "%(n)d grades released.", count) % {"n": count})
    else:
        messages.info(request, _("No grade to release: those selected were released already, or not graded."))
    return redirect(back)


# --- grading one submission ---------------------------------------------------------------------------------------


def _rubric_view(definition: dict[str, Any], filling: dict[str, Any], errors: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for criterion in definition.get("criteria") or []:
        key = str(criterion["id"])
        chosen = filling.get(key) or {}
        levels = [
            {
                "id": str(level["id"]),
                "input_id": f"level-{key}-{index}",
                "points": number(rubric_scoring.decimal_or_none(level.get("points")) or Decimal(0)),
                "definition": level.get("definition") or "",
                "checked": str(chosen.get("level") or "") == str(level["id"]),
            }
            for index, level in enumerate(criterion.get("levels") or [])
        ]
        rows.append(
            {
                "id": key,
                "description": criterion.get("description") or key,
                "levels": levels,
                "remark": chosen.get("remark") or "",
                "error": errors.get(key, ""),
                "max": number(max((rubric_scoring.decimal_or_none(lv.get("points")) or Decimal(0)
                                   for lv in criterion.get("levels") or []), default=Decimal(0))),
            }
        )  # fmt: skip
    return rows


def _guide_view(definition: dict[str, Any], filling: dict[str, Any], errors: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for criterion in definition.get("criteria") or []:
        key = str(criterion["id"])
        chosen = filling.get(key) or {}
        rows.append(
            {
                "id": key,
                "name": criterion.get("name") or key,
                "description": criterion.get("description") or "",
                "marker_notes": criterion.get("marker_notes") or "",
                "max_mark": number(rubric_scoring.decimal_or_none(criterion.get("max_mark")) or Decimal(0)),
                "mark": chosen.get("mark") or "",
                "comment": chosen.get("comment") or "",
                "error": errors.get(key, ""),
            }
        )
    return rows


def _penalty_text(settings: AssignmentSettings, submission: Submission) -> str:
    rule = settings.late_penalty
    late = late_text(submission.late_seconds)
    if not late:
        return ""
    if rule is None:
        return _("Handed in %(late)s late. This assignment takes no points off for lateness.") % {"late": late}
    days = -(-submission.late_seconds // DAY_SECONDS)
    return _(
        "Handed in %(late)s late (%(days)s started days): %(per_day)s%% of the maximum per started day, at most "
        "%(cap)s%%, is taken off the points."
    ) % {
        "late": late,
        "days": days,
        "per_day": number(rule.percent_per_day),
        "cap": number(rule.max_percent),
    }


def _reopen_allowed(settings: AssignmentSettings, submission: Submission) -> bool:
    return (
        settings.resubmission == "on_request"
        and submission.state == SubmissionState.SUBMITTED
        and not (settings.max_attempts and submission.number >= settings.max_attempts)
    )


def _uuid_or_none(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(raw)) if raw else None
    except ValueError:
        return None


@organization_view
@require_http_methods(["GET", "POST"])
def grade_submission(
    request: HttpRequest, organization: Organization, principal: Principal, course_id: int, submission_id: int
) -> HttpResponse:
    course = _course(organization, principal, course_id)
    submission = selectors.submission_get(course=course, pk=submission_id)
    if submission is None:
        raise Http404
    one, queue_filters = _carried_filters(request.GET)
    carry = _carry(request.GET, one)
    settings = selectors.settings_for_submission(submission)
    method = settings.grading_method
    grade = _grade_of(submission)
    # The rubric or guide of the version the submission was made on: what the grade is saved against.
    definition = services.definition_of(settings)
    filling: dict[str, Any] = dict(grade.filling or {}) if grade else {}
    points_value = number(grade.raw_points) if grade and method == "points" else ""
    errors: dict[str, Any] = {}
    feedback_form = FeedbackForm(
        request.POST if request.method == "POST" else None, initial={"feedback": grade.feedback if grade else ""}
    )
    feedback_form.fields["feedback"].set_course(course)  # type: ignore[attr-defined]
    if request.method == "POST":
        filling = filling_from_post(method, definition, request.POST)
        points_value = str(request.POST.get("points", ""))[:40]
        release_now = "save_release" in request.POST
        if feedback_form.is_valid():
            try:
                services.grade_save(
                    by=_user(request),
                    submission=submission,
                    settings=settings,
                    filling=filling,
                    points=points_value,
                    feedback=feedback_form.cleaned_data["feedback"],
                    feedback_files=request.FILES.getlist("feedback_files"),
                    release=release_now,
                )
            except ValidationError as exc:
                errors = dict(exc.message_dict) if hasattr(exc, "error_dict") else {"__all__": exc.messages}
                errors = {key: (value[0] if key != "feedback_files" else value) for key, value in errors.items()}
                if "feedback" in errors:
                    feedback_form.add_error("feedback", errors.pop("feedback"))
            else:
                released = release_now or bool(grade and grade.released)
                messages.success(request, _(GRADE_SAVED_RELEASED if released else GRADE_SAVED))
                if "save_next" in request.POST:
                    following = selectors.next_ungraded(course=course, current=submission, filters=queue_filters)
                    if following is None:
                        messages.info(request, _(NOTHING_LEFT))
                        return redirect(_queue_url(course, one, carry))
                    return redirect(_grade_url(course, following.pk, carry))
                return redirect(_grade_url(course, submission.pk, carry))
    learner_files, feedback_files = selectors.files_of(submission)
    summary = error_summary(feedback_form) + _criterion_errors(method, definition, errors)
    context = {
        "course": course,
        "submission": submission,
        "assignment_title": assignment_title(selectors.assignment_get(course=course, uid=submission.activity_uid)),
        "who": person_label(submission.user),
        "state": STATE_LABELS.get(submission.state, submission.state),
        "text": mark_safe(richtext.sanitize_html(submission.text or "", course_id=course.pk)),  # sanitised just now
        "learner_files": [_file_view(course, f) for f in learner_files],
        "feedback_files": [_file_view(course, f) for f in feedback_files],
        "late": late_text(submission.late_seconds),
        "penalty_text": _penalty_text(settings, submission),
        "method": method,
        "rubric": _rubric_view(definition, filling, errors) if method == "rubric" else [],
        "guide": _guide_view(definition, filling, errors) if method == "guide" else [],
        "points_value": points_value,
        "points_error": errors.get("points", ""),
        "files_errors": errors.get("feedback_files", []),
        "form_errors": errors.get("__all__", []) + ([errors["filling"]] if "filling" in errors else []),
        "max_points": number(settings.max_points),
        "grade": grade,
        "grade_numbers": _grade_numbers(grade),
        "feedback_form": feedback_form,
        "error_summary": summary,
        "history": selectors.grade_history(submission),
        "earlier": [
            {"submission": s, "grade": _grade_of(s), "percent": number(_grade_of(s).percent) if _grade_of(s) else ""}  # type: ignore[union-attr]
            for s in selectors.earlier_submissions(submission)
        ],
        "reopen_form": ReopenForm() if _reopen_allowed(settings, submission) else None,
        "queue_url": _queue_url(course, one, carry),
        "extensions_url": reverse("assessment:assignment-extensions", args=[course.pk, submission.activity_uid]),
        "carry": carry,
    }
    return render(request, "assessment/assignment_grading_submission.html", context)


def _queue_url(course: Course, one: uuid.UUID | None, carry: str = "") -> str:
    """The queue a grading page was opened from, with its filters and page (`carry` without its `one`)."""
    if one is not None:
        url = reverse("assessment:assignment-submissions", args=[course.pk, one])
    else:
        url = reverse("assessment:assignment-grading", args=[course.pk])
    query = QueryDict(carry, mutable=True)
    query.pop("one", None)
    return f"{url}?{query.urlencode()}" if query else url


def _criterion_errors(method: str, definition: dict[str, Any], errors: dict[str, Any]) -> list[ErrorLink]:
    """The error summary's lines for the criteria (each linking to its first input), points and files."""
    links: list[ErrorLink] = []
    for criterion in definition.get("criteria") or []:
        key = str(criterion["id"])
        if key in errors:
            target = f"level-{key}-0" if method == "rubric" else f"mark-{key}"
            label = criterion.get("description") if method == "rubric" else criterion.get("name")
            links.append(ErrorLink(str(label or key), str(errors[key]), target))
    if "points" in errors:
        links.append(ErrorLink(_("Points"), str(errors["points"]), "grade-points"))
    for message in errors.get("feedback_files", []):
        links.append(ErrorLink(_("Feedback files"), str(message), "feedback-files"))
    for message in errors.get("__all__", []) + ([errors["filling"]] if "filling" in errors else []):
        links.append(ErrorLink("", str(message), ""))
    return links


def _grade_numbers(grade: SubmissionGrade | None) -> dict[str, str]:
    if grade is None:
        return {}
    return {
        "raw": number(grade.raw_points),
        "penalty": number(grade.penalty_points),
        "points": number(grade.points),
        "max": number(grade.max_points),
        "percent": number(grade.percent),
    }


def _file_view(course: Course, file: Any) -> dict[str, Any]:
    return {
        "name": file.name,
        "size_kb": max(1, (file.size + 1023) // 1024),
        "url": reverse("assessment:assignment-team-file", args=[course.pk, file.pk]),
    }


@organization_view
@require_GET
def download(
    request: HttpRequest, organization: Organization, principal: Principal, course_id: int, file_id: int
) -> FileResponse:
    course = _course(organization, principal, course_id)
    found = selectors.file_get(course=course, pk=file_id)
    if found is None:
        raise Http404
    try:
        handle = found.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    # Always a download, never shown inline: a learner's file is not a page of this site.
    response = FileResponse(handle, as_attachment=True, filename=found.name, content_type="application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    # As the learner's download does: even opened by mistake, it runs nothing in the site's origin.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@organization_view
@require_POST
def reopen(
    request: HttpRequest, organization: Organization, principal: Principal, course_id: int, submission_id: int
) -> HttpResponse:
    course = _course(organization, principal, course_id)
    submission = selectors.submission_get(course=course, pk=submission_id)
    if submission is None:
        raise Http404
    back = _grade_url(course, submission.pk, _carry(request.GET, _uuid_or_none(request.GET.get("one"))))
    form = ReopenForm(request.POST)
    if not form.is_valid():
        messages.error(request, _(services.REASON_REQUIRED))
        return redirect(back)
    try:
        services.submission_reopen(by=_user(request), submission=submission, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _(REOPENED))
    return redirect(back)


# --- extensions ---------------------------------------------------------------------------------------------------


@organization_view
@require_http_methods(["GET", "POST"])
def extensions(
    request: HttpRequest, organization: Organization, principal: Principal, course_id: int, uid: uuid.UUID
) -> HttpResponse:
    course = _course(organization, principal, course_id)
    assignment = _assignment(course, uid)
    learners = list(selectors.enrolled_learners(course=course))
    form = ExtensionForm(request.POST or None, learners=learners)
    if request.method == "POST" and form.is_valid():
        user = selectors.enrolled_learner(course=course, user_id=form.cleaned_data["user"])
        if user is None:
            form.add_error("user", services.EXTENSION_NOT_LEARNER)
        else:
            try:
                services.extension_set(
                    by=_user(request),
                    course=course,
                    activity_uid=uid,
                    user=user,
                    due_at=form.cleaned_data["due_at"],
                    cutoff_at=form.cleaned_data["cutoff_at"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _(EXTENSION_SAVED))
                return redirect("assessment:assignment-extensions", course.pk, uid)
    rows = [
        {"extension": e, "person": person_label(e.user), "remove_form": ExtensionRemoveForm(prefix=f"remove-{e.pk}")}
        for e in selectors.extensions_of(course=course, activity_uid=uid)
    ]
    settings = assignment.settings
    context = {
        "course": course,
        "assignment": assignment,
        "title": assignment_title(assignment),
        "due_at": settings.due_at,
        "cutoff_at": settings.cutoff_at,
        "rows": rows,
        "form": form,
        "error_summary": error_summary(form),
    }
    return render(request, "assessment/assignment_grading_extensions.html", context)


@organization_view
@require_POST
def extension_remove(
    request: HttpRequest, organization: Organization, principal: Principal, course_id: int, uid: uuid.UUID, pk: int
) -> HttpResponse:
    course = _course(organization, principal, course_id)
    _assignment(course, uid)
    extension = selectors.extension_get(course=course, activity_uid=uid, pk=pk)
    if extension is None:
        raise Http404
    form = ExtensionRemoveForm(request.POST, prefix=f"remove-{pk}")
    if not form.is_valid():
        messages.error(request, _(services.REASON_REQUIRED))
        return redirect("assessment:assignment-extensions", course.pk, uid)
    try:
        services.extension_remove(by=_user(request), extension=extension, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _(EXTENSION_REMOVED))
    return redirect("assessment:assignment-extensions", course.pk, uid)
