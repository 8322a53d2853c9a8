"""A learner taking a quiz: start (or resume), the attempt's pages, autosave and Check, the summary before
submitting, and the review.

- `attempt_start` (POST, from the quiz's summary in the player): the attempt service starts or resumes the person's
  attempt; in an author's preview (`preview=1`) a preview attempt of the draft.
- `attempt` (GET, `?page=n` from 1): one page of questions, the navigation panel, the timer.
- `attempt_save` (POST): the page's answers through `attempt_save`, then move (`go`: save (stay), previous, next,
  page-n, slot-n (its page), finish, timeup) or check one question (`check`: its slot, interactive quizzes).
  attempt.js posts the same form with `autosave=1` every 20 s when something changed, and when the page is hidden:
  answered in JSON.
- `attempt_summary` (GET): each question's state, "Return to attempt", "Submit all and finish".
- `attempt_submit` (POST), `attempt_review` (GET).

Only the attempt's owner may use the pages of a running attempt (anyone else: 404, as for an id that does not
exist); the review is also open to the course team (policy.can_see_attempt). The server is the clock: a save that
arrives past the deadline is refused by the service (`AttemptOver`), which submits the attempt with what was saved
in time; the page then goes to the review with TIME_UP.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from syllabus.access.decorators import organization_view
from syllabus.access.policy import Principal
from syllabus.accounts.models import Organization, User
from syllabus.assessment import policy, rendering
from syllabus.assessment.dates import when_text
from syllabus.assessment.models import AnswerState, Attempt, AttemptState, QuestionAnswer
from syllabus.assessment.question_types import base as qtypes
from syllabus.assessment.question_types.base import NO_REVIEW, Review
from syllabus.assessment.quiz_kind import STATE_LABELS, quiz_for
from syllabus.assessment.services import attempts as services
from syllabus.assessment.services.questions import version_as_question
from syllabus.catalog import richtext
from syllabus.core import clock

SUBMITTED = "Your attempt is submitted."
ALREADY_SUBMITTED = "This attempt is already submitted."
NOT_SAVED = "Question {number}: {message}"
REVIEW_NOT_AVAILABLE = "The review of this attempt is not available now."
REVIEW_LATER = "More of the review shows after the quiz closes on {when}."
AUTOSAVE_SECONDS = 20


# --- lookups -------------------------------------------------------------------------------------------------------


def _attempt_or_404(organization: Organization, public_id: uuid.UUID) -> Attempt:
    attempt = (
        Attempt.objects.select_related("course", "user").filter(organization=organization, public_id=public_id).first()
    )
    if attempt is None:
        raise Http404
    return attempt


def _own_attempt(request: HttpRequest, organization: Organization, public_id: uuid.UUID) -> Attempt:
    """The attempt, if it is this person's own; 404 for anyone else's (as for an id that does not exist)."""
    attempt = _attempt_or_404(organization, public_id)
    if attempt.user_id != request.user.pk:
        raise Http404
    return attempt


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


def _quiz_url(attempt: Attempt) -> str:
    name = "catalog:activity-preview" if attempt.preview else "catalog:activity"
    return reverse(name, args=[attempt.course_id, attempt.activity_uid])


def _page_url(attempt: Attempt, page: int, anchor: str = "") -> str:
    url = reverse("assessment:attempt", args=[attempt.public_id])
    return f"{url}?page={page + 1}{'#' + anchor if anchor else ''}"


def _page_index(raw: Any, attempt: Attempt) -> int | None:
    """A 1-based page number from a form or a query string, as an index into the layout (None if it is not one)."""
    try:
        number = int(str(raw))
    except (TypeError, ValueError):
        return None
    pages = len(attempt.layout or [])
    return number - 1 if 1 <= number <= pages else None


def _is_overdue(attempt: Attempt, now: dt.datetime) -> bool:
    return attempt.deadline is not None and now > attempt.deadline + services.grace()


def _answers(attempt: Attempt) -> list[QuestionAnswer]:
    return list(attempt.answers.select_related("question_version").order_by("slot"))


def _time_up(request: HttpRequest, attempt: Attempt) -> HttpResponse:
    messages.warning(request, _(services.TIME_UP))
    return redirect("assessment:attempt-review", public_id=attempt.public_id)


# --- words ---------------------------------------------------------------------------------------------------------


def _numbers(answers: list[QuestionAnswer]) -> dict[int, int]:
    """slot -> question number as the learner reads it ("Question 3"): descriptions take no number."""
    numbers: dict[int, int] = {}
    count = 0
    for answer in answers:
        if qtypes.is_registered(answer.question_version.qtype) and not qtypes.get(answer.question_version.qtype).graded:
            continue
        count += 1
        numbers[answer.slot] = count
    return numbers


STATE_LABELS_ANSWER: Mapping[str, Any] = dict(AnswerState.choices)


def _state_text(answer: QuestionAnswer, review: Review, *, running: bool = True) -> str:
    """The state beside a question: flag-free while the attempt runs ("Answer saved", "Not yet answered"); the
    grade's words only where the review (or an interactive check) lets them show."""
    labels = STATE_LABELS_ANSWER
    if answer.state == AnswerState.INFO:
        return str(labels[AnswerState.INFO])
    if review.correctness and answer.state not in (AnswerState.TODO, AnswerState.SAVED):
        return str(labels.get(answer.state, answer.state))
    if review.correctness and answer.fraction is not None:
        return str(labels.get(rendering.grade_state(answer), answer.state))
    if answer.state in (AnswerState.TODO, AnswerState.GAVE_UP) or not answer.response:
        return str(labels[AnswerState.TODO] if running else labels[AnswerState.GAVE_UP])
    if answer.state == AnswerState.NEEDS_GRADING:
        return str(labels[AnswerState.NEEDS_GRADING])
    return str(labels[AnswerState.SAVED] if running else _("Answered"))


def _marked_out_of(answer: QuestionAnswer) -> str:
    return _("Marked out of %(mark)s") % {"mark": rendering.mark_text(answer.max_mark)}


def _when_text(value: dt.datetime | None) -> str:
    return when_text(value) if value else ""


def _duration_text(start: dt.datetime, end: dt.datetime | None) -> str:
    if end is None:
        return ""
    seconds = max(0, int((end - start).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes}
    if minutes:
        return _("%(m)s min %(s)s s") % {"m": minutes, "s": seconds}
    return _("%(s)s s") % {"s": seconds}


def _question_view(
    attempt: Attempt,
    answer: QuestionAnswer,
    number: int | None,
    *,
    review: Review,
    show_response: bool,
    readonly: bool,
    running: bool,
) -> dict[str, Any]:
    qtype = qtypes.get(answer.question_version.qtype)
    shown = rendering.answer_review(attempt, answer, review) if running else review
    interactive = attempt.settings.get("behaviour") == "interactive"
    can_check = (
        running and interactive and qtype.graded and not qtype.manual and qtype.allows_tries and not answer.locked
    )
    tries_left = max(0, int(attempt.settings.get("tries") or 1) - answer.tries) if can_check else 0
    return {
        "answer": answer,
        "slot": answer.slot,
        "number": number,
        "label_id": f"q{answer.slot}-label",
        "graded": qtype.graded,
        "marked_out_of": _marked_out_of(answer) if qtype.graded else "",
        "mark": rendering.mark_text(answer.mark) if review.marks and answer.mark is not None else "",
        "state": _state_text(answer, shown, running=running),
        "text": rendering.question_text(answer),
        "html": rendering.render_answer(
            answer, review=shown, show_response=show_response, readonly=readonly or answer.locked
        ),
        # Sanitised HTML, shown as such.
        "general_feedback": mark_safe(richtext.sanitize_html(answer.question_version.general_feedback))
        if shown.general_feedback
        else "",
        "comment": mark_safe(richtext.sanitize_html(answer.comment)) if review.feedback and answer.comment else "",
        "can_check": can_check,
        "tries_left": tries_left,
    }


# --- start ---------------------------------------------------------------------------------------------------------


@organization_view
@require_POST
def attempt_start(
    request: HttpRequest, organization: Organization, principal: Principal, pk: int, uid: Any
) -> HttpResponse:
    preview = request.POST.get("preview") == "1"
    quiz = quiz_for(principal, organization, pk, uid, preview=preview)
    back = reverse("catalog:activity-preview" if preview else "catalog:activity", args=[pk, uid])
    try:
        attempt = services.attempt_start(
            user=_user(request),
            course=quiz.course,
            version=quiz.version,
            activity=quiz.activity,
            password=str(request.POST.get("password", ""))[:200],
            preview=preview,
        )
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(back)
    return redirect(_page_url(attempt, attempt.current_page))


# --- the attempt's pages -------------------------------------------------------------------------------------------


@organization_view
@require_safe
def attempt(
    request: HttpRequest, organization: Organization, principal: Principal, public_id: uuid.UUID
) -> HttpResponse:
    found = _own_attempt(request, organization, public_id)
    if found.state != AttemptState.IN_PROGRESS:
        return redirect("assessment:attempt-review", public_id=found.public_id)
    now = clock.now()
    if _is_overdue(found, now):
        # Nobody saved since time ran out: submit it now with what was saved in time (as the overdue task would).
        services.attempt_submit(attempt=found, by=_user(request), now=now)
        return _time_up(request, found)
    layout = found.layout or [[]]
    sequential = found.settings.get("navigation") == "sequential"
    page = _page_index(request.GET.get("page"), found)
    if page is None or sequential:
        page = found.current_page if page is None or sequential else page
    page = min(max(page, 0), len(layout) - 1)
    answers = _answers(found)
    numbers = _numbers(answers)
    by_slot = {answer.slot: answer for answer in answers}
    questions = [
        _question_view(
            found, by_slot[slot], numbers.get(slot),
            review=NO_REVIEW, show_response=True, readonly=False, running=True,
        )
        for slot in layout[page]
        if slot in by_slot
    ]  # fmt: skip
    page_of = {slot: index for index, slot_list in enumerate(layout) for slot in slot_list}
    nav = [
        {
            "slot": answer.slot,
            "number": numbers.get(answer.slot),
            "page": page_of.get(answer.slot, 0) + 1,
            "state": _state_text(answer, rendering.answer_review(found, answer, NO_REVIEW)),
            "answered": answer.state not in (AnswerState.TODO, AnswerState.INFO),
            "current": page_of.get(answer.slot) == page,
        }
        for answer in answers
    ]
    return render(
        request,
        "assessment/quiz/attempt.html",
        {
            "attempt": found,
            "questions": questions,
            "nav": nav,
            "page": page + 1,
            "page_count": len(layout),
            "sequential": sequential,
            "has_previous": page > 0 and not sequential,
            "has_next": page < len(layout) - 1,
            "timer": _timer(found, now),
            "autosave_seconds": AUTOSAVE_SECONDS,
            "quiz_url": _quiz_url(found),
        },
    )


def _timer(found: Attempt, now: dt.datetime) -> dict[str, Any] | None:
    if found.deadline is None:
        return None
    return {
        "deadline": found.deadline,
        "seconds_left": max(0, int((found.deadline - now).total_seconds())),
    }


def _posted_responses(found: Attempt, post: Any, page: int) -> tuple[dict[int, Any], dict[int, QuestionAnswer]]:
    """The responses the page's form carries, read by each question's type (settled ones left out)."""
    slots = (found.layout or [[]])[page]
    answers = {a.slot: a for a in found.answers.select_related("question_version").filter(slot__in=slots)}
    responses: dict[int, Any] = {}
    for slot, answer in answers.items():
        qtype = qtypes.get(answer.question_version.qtype)
        if not qtype.graded or answer.locked:
            continue
        question = version_as_question(answer.question_version)
        responses[slot] = qtype.response_from_form(question, answer.variant or {}, post, f"q{slot}-")
    return responses, answers


def _destination(go: str, page: int, found: Attempt) -> int | None:
    pages = len(found.layout or [[]])
    sequential = found.settings.get("navigation") == "sequential"
    if go == "next":
        return min(page + 1, pages - 1)
    if go == "previous" and not sequential:
        return max(page - 1, 0)
    if go.startswith("page-") and not sequential:
        return _page_index(go.removeprefix("page-"), found)
    if go.startswith("slot-") and not sequential:
        slot = services.slot_number(go.removeprefix("slot-"))
        for index, slots in enumerate(found.layout or []):
            if slot is not None and slot in slots:
                return index
    return None


@organization_view
@require_POST
def attempt_save(
    request: HttpRequest, organization: Organization, principal: Principal, public_id: uuid.UUID
) -> HttpResponseBase:
    found = _own_attempt(request, organization, public_id)
    autosave = request.POST.get("autosave") == "1"
    review_url = reverse("assessment:attempt-review", args=[found.public_id])
    if found.state != AttemptState.IN_PROGRESS:
        if autosave:
            return JsonResponse({"error": ALREADY_SUBMITTED, "review_url": review_url}, status=409)
        messages.info(request, _(ALREADY_SUBMITTED))
        return redirect(review_url)
    page = _page_index(request.POST.get("page"), found)
    if page is None:
        page = found.current_page
    go = str(request.POST.get("go", ""))[:20]
    destination = None if autosave else _destination(go, page, found)
    responses, answers = _posted_responses(found, request.POST, page)
    numbers = _numbers(_answers(found)) if not autosave else {}
    user = _user(request)
    now = clock.now()
    try:
        result = services.attempt_save(attempt=found, responses=responses, by=user, page=destination, now=now)
        check = services.slot_number(request.POST.get("check", ""))
        if not autosave and check is not None and check in answers and check not in result.errors:
            try:
                services.attempt_check(attempt=found, slot=check, raw=responses.get(check), by=user, now=now)
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, NOT_SAVED.format(number=numbers.get(check, check), message=message))
    except services.AttemptOver:
        if autosave:
            return JsonResponse({"error": services.TIME_UP, "review_url": review_url}, status=409)
        return _time_up(request, found)
    except ValidationError as exc:
        if autosave:
            return JsonResponse({"error": " ".join(exc.messages), "review_url": review_url}, status=409)
        messages.error(request, " ".join(exc.messages))
        return redirect(review_url)
    if autosave:
        return JsonResponse(
            {
                "saved": result.saved,
                "errors": {str(slot): errors for slot, errors in result.errors.items()},
                "saved_at": timezone.localtime(now).strftime("%H:%M"),
                "revision": result.revision,
            }
        )
    for slot, errors in result.errors.items():
        for message in errors:
            messages.error(request, NOT_SAVED.format(number=numbers.get(slot, slot), message=message))
    if go == "timeup":
        services.attempt_submit(attempt=found, by=user, now=now)
        return _time_up(request, found)
    if result.errors:
        return redirect(_page_url(found, page))  # stay: the learner sees what was refused
    if check is not None:
        return redirect(_page_url(found, page, f"q{check}"))
    if go == "finish":
        return redirect("assessment:attempt-summary", public_id=found.public_id)
    anchor = f"q{go.removeprefix('slot-')}" if go.startswith("slot-") and destination is not None else ""
    return redirect(_page_url(found, destination if destination is not None else page, anchor))


@organization_view
@require_safe
def attempt_summary(
    request: HttpRequest, organization: Organization, principal: Principal, public_id: uuid.UUID
) -> HttpResponse:
    found = _own_attempt(request, organization, public_id)
    if found.state != AttemptState.IN_PROGRESS:
        return redirect("assessment:attempt-review", public_id=found.public_id)
    now = clock.now()
    if _is_overdue(found, now):
        services.attempt_submit(attempt=found, by=_user(request), now=now)
        return _time_up(request, found)
    answers = _answers(found)
    numbers = _numbers(answers)
    sequential = found.settings.get("navigation") == "sequential"
    page_of = {slot: index for index, slots in enumerate(found.layout or []) for slot in slots}
    rows = [
        {
            "number": numbers.get(answer.slot),
            "state": _state_text(answer, rendering.answer_review(found, answer, NO_REVIEW)),
            "url": "" if sequential else _page_url(found, page_of.get(answer.slot, 0), f"q{answer.slot}"),
        }
        for answer in answers
        if answer.slot in numbers
    ]
    return render(
        request,
        "assessment/quiz/summary.html",
        {
            "attempt": found,
            "rows": rows,
            "unanswered": sum(1 for answer in answers if answer.slot in numbers and answer.state == AnswerState.TODO),
            "return_url": _page_url(found, found.current_page),
            "timer": _timer(found, now),
            "quiz_url": _quiz_url(found),
        },
    )


@organization_view
@require_POST
def attempt_submit(
    request: HttpRequest, organization: Organization, principal: Principal, public_id: uuid.UUID
) -> HttpResponse:
    found = _own_attempt(request, organization, public_id)
    if found.state != AttemptState.IN_PROGRESS:
        messages.info(request, _(ALREADY_SUBMITTED))
    else:
        now = clock.now()
        late = _is_overdue(found, now)
        services.attempt_submit(attempt=found, by=_user(request), now=now)
        if late:
            messages.warning(request, _(services.TIME_UP))
        else:
            messages.success(request, _(SUBMITTED))
    return redirect("assessment:attempt-review", public_id=found.public_id)


@organization_view
@require_safe
def attempt_review(
    request: HttpRequest, organization: Organization, principal: Principal, public_id: uuid.UUID
) -> HttpResponse:
    found = _attempt_or_404(organization, public_id)
    if not policy.can_see_attempt(principal, found):
        raise Http404
    is_owner = found.user_id == request.user.pk
    if found.state == AttemptState.IN_PROGRESS and is_owner:
        return redirect(_page_url(found, found.current_page))
    now = clock.now()
    review, show_responses = rendering.review_for(found, principal, now)
    available = show_responses or review != NO_REVIEW
    answers = _answers(found) if available else []
    numbers = _numbers(answers)
    questions = [
        _question_view(
            found, answer, numbers.get(answer.slot),
            review=review, show_response=show_responses, readonly=True, running=False,
        )
        for answer in answers
    ]  # fmt: skip
    later = ""
    closes_at = rendering.parse_when(found.settings.get("closes_at"))
    if is_owner and review != rendering.FULL_REVIEW and closes_at is not None and now < closes_at:
        # Say when more shows, if the options after the close show more than now.
        after, current = rendering.review_flags(found, closes_at), rendering.review_flags(found, now)
        if any(after[flag] and not current[flag] for flag in after):
            later = REVIEW_LATER.format(when=_when_text(closes_at))
    pass_mark = found.settings.get("pass_mark")
    return render(
        request,
        "assessment/quiz/review.html",
        {
            "attempt": found,
            "owner_name": found.user.display_name if not is_owner else "",
            "available": available,
            "not_available": REVIEW_NOT_AVAILABLE,
            "later": later,
            "questions": questions,
            "review": review,
            "state_label": STATE_LABELS.get(found.state, found.state),
            "started": _when_text(found.started_at),
            "finished": _when_text(found.finished_at),
            "took": _duration_text(found.started_at, found.finished_at),
            "marks": (
                f"{rendering.mark_text(found.marks)} / {rendering.mark_text(found.max_marks)}"
                if review.marks and found.marks is not None
                else ""
            ),
            "grade": f"{rendering.mark_text(found.grade)} %" if review.marks and found.grade is not None else "",
            "passed": (_("Passed") if found.passed else _("Not passed"))
            if review.marks and found.passed is not None and pass_mark not in (None, "")
            else "",
            "quiz_url": _quiz_url(found),
        },
    )
