"""The grading pages of a course's team: a quiz's results (and their CSV), the manual grading queue and the page that
grades one answer, per-person overrides, and regrading after a question was fixed.

Who: the course team (`policy.can_grade`: owners, editors, non-editing instructors, and organisation-wide holders of
`course.teach`/`course.edit`) for results, grading and overrides; regrading needs `policy.can_regrade`
(`course.edit`). A course of another organisation, a quiz the course never had, an answer of another course: not
found (404). Anyone else — a learner of the course included — is refused (403).
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from syllabus.access.decorators import organization_view
from syllabus.access.policy import NOT_ALLOWED, Principal
from syllabus.accounts.models import Organization, User
from syllabus.assessment import policy
from syllabus.assessment import selectors_grading as selectors
from syllabus.assessment.forms_grading import (
    GradeForm,
    OverrideForm,
    QueueForm,
    RegradeForm,
    ResultsFilterForm,
    add_service_error,
    error_summary,
)
from syllabus.assessment.models import AnswerState, Attempt, AttemptState, QuestionAnswer
from syllabus.assessment.question_types import base as qtypes
from syllabus.assessment.services import attempts as attempt_services
from syllabus.assessment.services import regrade as regrade_services
from syllabus.assessment.services.questions import version_as_question
from syllabus.catalog import richtext
from syllabus.catalog.models import Course

PAGE_SIZE = 50
QUEUE_PAGE_SIZE = 100
# Cells a spreadsheet would run as a formula start with one of these: written with a leading apostrophe (OWASP
# "CSV injection"). Names come from people and HR imports.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

NOTHING_LEFT = "Nothing else waits for grading here."
GRADE_SAVED = "The grade is saved."

STATE_LABELS: dict[str, Any] = {
    AttemptState.IN_PROGRESS: AttemptState.IN_PROGRESS.label,
    AttemptState.FINISHED: AttemptState.FINISHED.label,
    AttemptState.NEEDS_GRADING: AttemptState.NEEDS_GRADING.label,
    AttemptState.ABANDONED: AttemptState.ABANDONED.label,
}
ANSWER_STATE_LABELS: dict[str, Any] = dict(AnswerState.choices)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _course(
    organization: Organization,
    principal: Principal,
    course_id: int,
    allowed: Callable[[Principal, Any], bool] = policy.can_grade,
) -> Course:
    course = selectors.course_get(organization=organization, pk=course_id)
    if course is None:
        raise Http404
    if not allowed(principal, course):
        raise PermissionDenied(NOT_ALLOWED)
    return course


def _quiz(course: Course, uid: uuid.UUID) -> selectors.QuizRef:
    quiz = selectors.quiz_get(course=course, uid=uid)
    if quiz is None:
        raise Http404
    return quiz


def quiz_title(quiz: selectors.QuizRef) -> str:
    return quiz.title or _("Quiz (removed from the course)")


def review_url(attempt: Attempt) -> str:
    """The attempt's review page (the quiz area's), which lets the course team in through
    `policy.can_see_attempt`; "" while the quiz area is not installed."""
    try:
        return reverse("assessment:attempt-review", args=[attempt.public_id])
    except NoReverseMatch:
        return ""


def person_label(user: User) -> str:
    return user.display_name or user.email


def blind_label(attempt: Attempt) -> str:
    # The public id: stable across pages, and says nothing about who took it.
    return _("Attempt %(id)s") % {"id": attempt.public_id.hex[:8]}


def _mark(value: Decimal | None) -> str:
    return "—" if value is None else f"{value.normalize():f}"


# --- results ------------------------------------------------------------------------------------------------------


def _attempt_view(attempt: Attempt, principal: Principal) -> dict[str, Any]:
    return {
        "attempt": attempt,
        "state": STATE_LABELS.get(attempt.state, attempt.state),
        "waiting": attempt.state == AttemptState.NEEDS_GRADING,
        "grade": attempt.grade,
        "marks": _mark(attempt.marks),
        "max_marks": _mark(attempt.max_marks),
        "review_url": review_url(attempt) if policy.can_see_attempt(principal, attempt) else "",
    }


@organization_view
@require_GET
def quiz_results(
    request: HttpRequest, organization: Organization, principal: Principal, course_id: int, uid: uuid.UUID
) -> HttpResponse:
    course = _course(organization, principal, course_id)
    quiz = _quiz(course, uid)
    filters = ResultsFilterForm(request.GET or None)
    state, q = filters.values()
    learners = selectors.result_learners(course=course, activity_uid=uid, state=state)
    if q:
        learners = learners.filter(selectors.name_filter(q))
    page = Paginator(learners, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "row": row,
            "person": person_label(row.learner),
            "email": row.learner.email,
            "state": STATE_LABELS.get(row.state, row.state),
            "waiting": row.state == AttemptState.NEEDS_GRADING,
            "attempts": [_attempt_view(a, principal) for a in row.attempts],
        }
        for row in selectors.result_rows(course=course, activity_uid=uid, learners=list(page.object_list))
    ]
    query = request.GET.copy()
    query.pop("page", None)
    export = reverse("assessment:quiz-results-export", args=[course.pk, uid])
    can_regrade = policy.can_regrade(principal, course)
    context = {
        "course": course,
        "quiz": quiz,
        "title": quiz_title(quiz),
        "filters": filters,
        "filtered": bool(state or q),
        "page_obj": page,
        "rows": rows,
        "waiting": selectors.waiting_count(course=course, activity_uid=uid),
        "export_url": f"{export}?{query.urlencode()}" if query else export,
        "can_regrade": can_regrade,
        "regrade_questions": list(selectors.questions_answered(course=course, activity_uid=uid)) if can_regrade else [],
    }
    return render(request, "assessment/grading/results.html", context)


def escape_cell(text: str) -> str:
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _csv_lines(course: Course, uid: uuid.UUID, state: str) -> Iterator[str]:
    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())
    yield writer.writerow(
        [
            _("Name"),
            _("Email"),
            _("Attempts"),
            _("State"),
            _("Quiz grade (%)"),
            _("Passed"),
            _("Last submitted"),
            _("Grades of each attempt (%)"),
        ]
    )
    for row in selectors.all_result_rows(course=course, activity_uid=uid, state=state):
        yield writer.writerow(
            [
                escape_cell(row.learner.display_name),
                escape_cell(row.learner.email),
                row.submitted,
                str(STATE_LABELS.get(row.state, row.state)),
                "" if row.grade is None else str(row.grade),
                "" if row.passed is None else (_("yes") if row.passed else _("no")),
                row.last_finished_at.isoformat() if row.last_finished_at else "",
                " ".join("—" if a.grade is None else str(a.grade) for a in row.attempts),
            ]
        )


@organization_view
@require_GET
def quiz_results_export(
    request: HttpRequest, organization: Organization, principal: Principal, course_id: int, uid: uuid.UUID
) -> StreamingHttpResponse:
    course = _course(organization, principal, course_id)
    _quiz(course, uid)
    state, _q = ResultsFilterForm(request.GET or None).values()
    response = StreamingHttpResponse(_csv_lines(course, uid, state), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="quiz-results-{course.pk}-{uid.hex[:8]}.csv"'
    return response


# --- the manual grading queue -------------------------------------------------------------------------------------


def _queue_options(quiz_uid: uuid.UUID | None, show: str, group: str, blind: bool) -> dict[str, str]:
    """The queue's options that differ from the defaults, carried from the queue to each answer's page and on to
    the next answer (the quiz as `quiz`: the answer pages' path has no quiz)."""
    params: dict[str, str] = {}
    if quiz_uid is not None:
        params["quiz"] = str(quiz_uid)
    if show != selectors.QUEUE_WAITING:
        params["show"] = show
    if group != selectors.BY_QUESTION:
        params["group"] = group
    if blind:
        params["blind"] = "on"
    return params


def _queue_url(course: Course, quiz_uid: uuid.UUID | None, options: dict[str, str]) -> str:
    args: list[Any] = [course.pk] if quiz_uid is None else [course.pk, quiz_uid]
    base = reverse("assessment:grading", args=args)
    rest = urlencode({name: value for name, value in options.items() if name != "quiz"})
    return f"{base}?{rest}" if rest else base


def _answer_url(course: Course, answer_pk: int, options: dict[str, str]) -> str:
    url = reverse("assessment:grade-answer", args=[course.pk, answer_pk])
    return f"{url}?{urlencode(options)}" if options else url


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
    quiz = _quiz(course, uid) if uid is not None else None
    options = QueueForm(request.GET or None)
    show, group, blind = options.values()
    answers = selectors.grading_queue(course=course, activity_uid=uid, show=show, group=group)
    page = Paginator(answers, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = _queue_options(uid, show, group, blind)
    quizzes = {q.uid: q for q in selectors.course_quizzes(course=course)}
    groups: list[dict[str, Any]] = []
    for answer in page.object_list:
        attempt = answer.attempt
        if group == selectors.BY_ATTEMPT:
            key: Any = attempt.pk
            heading = blind_label(attempt) if blind else _("%(person)s, attempt %(number)s") % {
                "person": person_label(attempt.user), "number": attempt.number,
            }  # fmt: skip
        else:
            key = answer.question_version.question_id
            heading = answer.question_version.name
        if not groups or groups[-1]["key"] != key:
            quiz_ref = quizzes.get(attempt.activity_uid)
            groups.append(
                {"key": key, "heading": heading, "quiz": quiz_title(quiz_ref) if quiz_ref else "", "items": []}
            )
        groups[-1]["items"].append(
            {
                "answer": answer,
                "question": answer.question_version.name,
                "who": blind_label(attempt) if blind else person_label(attempt.user),
                "attempt_number": attempt.number,
                "state": ANSWER_STATE_LABELS.get(answer.state, answer.state),
                "waiting": answer.state == AnswerState.NEEDS_GRADING,
                "mark": _mark(answer.mark),
                "max_mark": _mark(answer.max_mark),
                "graded_by": person_label(answer.graded_by) if answer.graded_by else "",
                "url": _answer_url(course, answer.pk, query),
            }
        )
    context = {
        "course": course,
        "quiz": quiz,
        "title": quiz_title(quiz) if quiz else course.title,
        "quizzes": list(quizzes.values()),
        "options": options,
        "page_obj": page,
        "groups": groups,
        "show_all": show == selectors.QUEUE_ALL,
        "first_url": groups[0]["items"][0]["url"] if groups else "",
    }
    return render(request, "assessment/grading/queue.html", context)


def response_view(answer: QuestionAnswer) -> dict[str, Any]:
    """The learner's response as the grader reads it: an essay written in the editor as (sanitised) HTML, a plain
    essay as its text with its line breaks, any other type as the type's plain summary."""
    version = answer.question_version
    response = answer.response if isinstance(answer.response, dict) else {}
    if not qtypes.is_registered(version.qtype):
        return {"html": None, "text": ""}
    qtype = qtypes.get(version.qtype)
    if qtype.manual:
        raw = response.get("text")
        text = raw if isinstance(raw, str) else ""
        words = len(richtext.html_to_text(text).split()) if text else 0
        if (version.data or {}).get("response_format") == "editor":
            # Sanitised when saved; again here, as everything shown to the team that a learner wrote.
            return {"html": mark_safe(richtext.sanitize_html(text)), "text": "", "words": words}
        return {"html": None, "text": text, "words": words}
    question = version_as_question(version)
    return {"html": None, "text": qtype.summarise_response(question, answer.variant or {}, response)}


def _safe_html(html: str, course: Course) -> SafeString:
    return mark_safe(richtext.sanitize_html(html or "", course_id=course.pk))  # sanitised just now


def _next_answer(before: list[int], current: int, after: list[int]) -> int | None:
    """The answer "Save and next" opens: the first one that followed `current` in the queue and is still in it,
    else the first left in the queue (answers before it that someone else has not graded yet)."""
    still = set(after)
    if current in before:
        for pk in before[before.index(current) + 1 :]:
            if pk in still:
                return pk
    return next((pk for pk in after if pk != current), None)


@organization_view
@require_http_methods(["GET", "POST"])
def grade_answer(
    request: HttpRequest, organization: Organization, principal: Principal, course_id: int, answer_id: int
) -> HttpResponse:
    course = _course(organization, principal, course_id)
    answer = selectors.answer_get(course=course, pk=answer_id)
    if answer is None:
        raise Http404
    options = QueueForm(request.GET or None)
    show, group, blind = options.values()
    quiz_uid = _uuid_or_none(request.GET.get("quiz"))
    query = _queue_options(quiz_uid, show, group, blind)
    queue = selectors.queue_ids(course=course, activity_uid=quiz_uid, show=show, group=group)
    initial = {"mark": _mark(answer.mark) if answer.mark is not None else "", "comment": answer.comment}
    form = GradeForm(request.POST or None, initial=initial, max_mark=answer.max_mark)
    if request.method == "POST" and form.is_valid():
        try:
            attempt_services.answer_grade(
                answer=answer, mark=form.cleaned_data["mark"], comment=form.cleaned_data["comment"], by=_user(request)
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _(GRADE_SAVED))
            if "save_next" in request.POST:
                after = selectors.queue_ids(course=course, activity_uid=quiz_uid, show=show, group=group)
                following = _next_answer(queue, answer.pk, after)
                if following is None:
                    messages.info(request, _(NOTHING_LEFT))
                    return redirect(_queue_url(course, quiz_uid, query))
                return redirect(_answer_url(course, following, query))
            return redirect(_answer_url(course, answer.pk, query))
    attempt = answer.attempt
    version = answer.question_version
    position = queue.index(answer.pk) if answer.pk in queue else None
    context = {
        "course": course,
        "answer": answer,
        "attempt": attempt,
        "question_name": version.name,
        "question_text": _safe_html(version.text, course),
        "grader_info": _safe_html(str((version.data or {}).get("grader_info") or ""), course),
        "response": response_view(answer),
        "who": blind_label(attempt) if blind else person_label(attempt.user),
        "blind": blind,
        "state": ANSWER_STATE_LABELS.get(answer.state, answer.state),
        "mark": _mark(answer.mark),
        "max_mark": _mark(answer.max_mark),
        "graded_by": person_label(answer.graded_by) if answer.graded_by else "",
        "comment": _safe_html(answer.comment, course) if answer.comment else "",
        "form": form,
        "error_summary": error_summary(form),
        "position": position + 1 if position is not None else None,
        "total": len(queue),
        "previous_url": _answer_url(course, queue[position - 1], query) if position else "",
        "next_url": _answer_url(course, queue[position + 1], query)
        if position is not None and position + 1 < len(queue)
        else "",
        "queue_url": _queue_url(course, quiz_uid, query),
        "review_url": review_url(attempt) if policy.can_see_attempt(principal, attempt) else "",
    }
    return render(request, "assessment/grading/answer.html", context)


def _uuid_or_none(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(raw)) if raw else None
    except ValueError:
        return None


# --- overrides ----------------------------------------------------------------------------------------------------


def _override_rules(override: Any) -> list[str]:
    rules = []
    if override.time_limit_minutes:
        rules.append(
            ngettext("Time limit %(count)s minute", "Time limit %(count)s minutes", override.time_limit_minutes)
            % {"count": override.time_limit_minutes}
        )
    if override.extra_attempts:
        rules.append(
            ngettext("%(count)s extra attempt", "%(count)s extra attempts", override.extra_attempts)
            % {"count": override.extra_attempts}
        )
    if override.skip_password:
        rules.append(_("No password"))
    return rules


@organization_view
@require_http_methods(["GET", "POST"])
def overrides(
    request: HttpRequest, organization: Organization, principal: Principal, course_id: int, uid: uuid.UUID
) -> HttpResponse:
    course = _course(organization, principal, course_id, policy.can_override)
    quiz = _quiz(course, uid)
    learners = list(selectors.enrolled_learners(course=course))
    existing = list(selectors.overrides_of(course=course, activity_uid=uid))
    editing = None
    initial: dict[str, Any] = {}
    chosen = request.GET.get("user")
    if request.method == "GET" and chosen:
        editing = next((o for o in existing if str(o.user_id) == chosen), None)
        if editing is not None:
            initial = {
                "user": editing.user_id, "time_limit_minutes": editing.time_limit_minutes,
                "extra_attempts": editing.extra_attempts or None, "opens_at": editing.opens_at,
                "closes_at": editing.closes_at, "skip_password": editing.skip_password, "reason": editing.reason,
            }  # fmt: skip
    form = OverrideForm(request.POST or None, initial=initial, learners=learners)
    if request.method == "POST" and form.is_valid():
        try:
            attempt_services.override_set(
                course=course, activity_uid=uid, by=_user(request), **form.service_arguments()
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request,
                _("%(person)s now has these rules for this quiz.")
                % {"person": person_label(form.service_arguments()["user"])},
            )
            return redirect("assessment:overrides", course.pk, uid)
    rows = [
        {
            "override": o,
            "person": person_label(o.user),
            "rules": _override_rules(o),
            "edit_url": f"{reverse('assessment:overrides', args=[course.pk, uid])}?user={o.user_id}",
        }
        for o in existing
    ]
    context = {
        "course": course,
        "quiz": quiz,
        "title": quiz_title(quiz),
        "rows": rows,
        "form": form,
        "editing": editing,
        "error_summary": error_summary(form),
    }
    return render(request, "assessment/grading/overrides.html", context)


@organization_view
@require_POST
def override_remove(
    request: HttpRequest, organization: Organization, principal: Principal, course_id: int, uid: uuid.UUID, pk: int
) -> HttpResponse:
    course = _course(organization, principal, course_id, policy.can_override)
    override = selectors.override_get(course=course, activity_uid=uid, pk=pk)
    if override is None:
        raise Http404
    attempt_services.override_remove(override=override, by=_user(request))
    messages.success(request, _("%(person)s has the quiz's own rules again.") % {"person": person_label(override.user)})
    return redirect("assessment:overrides", course.pk, uid)


# --- regrade ------------------------------------------------------------------------------------------------------


@organization_view
@require_http_methods(["GET", "POST"])
def regrade(request: HttpRequest, organization: Organization, principal: Principal, course_id: int) -> HttpResponse:
    course = _course(organization, principal, course_id, policy.can_regrade)
    data = request.POST if request.method == "POST" else (request.GET if "question" in request.GET else None)
    form = RegradeForm(
        data,
        initial={"to_latest": True, "quiz": request.GET.get("quiz", "")},
        questions=list(selectors.questions_answered(course=course)),
        quizzes=selectors.course_quizzes(course=course),
    )
    plan = None
    if form.is_bound and form.is_valid():
        question, quiz_uid, to_latest = form.chosen()
        try:
            if request.method == "POST":
                # The plan the person previewed (its fingerprint): a plan changed since is shown again, not applied.
                applied = regrade_services.regrade_apply(
                    course=course, activity_uid=quiz_uid, question=question, to_latest=to_latest, by=_user(request),
                    expected=str(request.POST.get("plan", ""))[:64],
                )  # fmt: skip
                messages.success(
                    request,
                    ngettext(
                        "%(count)s answer regraded.",
                        "%(count)s answers regraded.",
                        applied.count(regrade_services.CHANGES),
                    )
                    % {"count": applied.count(regrade_services.CHANGES)},
                )
                # Back to the same plan, now showing nothing left to change (GET: a reload applies nothing).
                again = {"question": question.pk, "quiz": str(quiz_uid or ""), "to_latest": "on" if to_latest else ""}
                return redirect(f"{reverse('assessment:regrade', args=[course.pk])}?{urlencode(again)}")
            plan = regrade_services.regrade_plan(
                course=course, activity_uid=quiz_uid, question=question, to_latest=to_latest, by=_user(request)
            )
        except regrade_services.RegradeChanged as changed:
            messages.error(request, _(regrade_services.PLAN_CHANGED))
            plan = changed.plan
        except ValidationError as exc:
            add_service_error(form, exc)
    rows = []
    if plan is not None:
        quizzes = {q.uid: q for q in selectors.course_quizzes(course=course)}
        for row in plan.rows:
            quiz_ref = quizzes.get(row.attempt.activity_uid)
            rows.append(
                {
                    "row": row,
                    "person": person_label(row.learner),
                    "quiz": quiz_title(quiz_ref) if quiz_ref else "",
                    "old_mark": _mark(row.old_mark),
                    "new_mark": _mark(row.new_mark),
                    "max_mark": _mark(row.answer.max_mark),
                    "old_state": ANSWER_STATE_LABELS.get(row.old_state, row.old_state),
                    "new_state": ANSWER_STATE_LABELS.get(row.new_state, row.new_state),
                    "outcome": row.outcome,
                    "version_change": row.new_version.pk != row.old_version.pk,
                    "old_version": row.old_version.number,
                    "new_version": row.new_version.number,
                    "review_url": review_url(row.attempt),
                }
            )
    context = {
        "course": course,
        "form": form,
        "plan": plan,
        "rows": rows,
        "counts": plan.counts() if plan is not None else {},
        # Sent back with "Apply" (as `plan`): what is applied must be what was previewed.
        "plan_fingerprint": plan.fingerprint if plan is not None else "",
        "error_summary": error_summary(form),
    }
    return render(request, "assessment/grading/regrade.html", context)
