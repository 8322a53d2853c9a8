"""REST API of quiz attempts (/api/v1/assessment/): what a learner's app needs to take a quiz.

- `quizzes/{course_id}/{activity_uid}/` GET: may the caller start (or resume), why not, their rules and attempts;
- `quizzes/{course_id}/{activity_uid}/attempts/` POST `{password}`: start (201) or resume (200) an attempt;
- `attempts/{public_id}/` GET: the attempt's pages and questions — text and options in the attempt's order, never a
  fraction, feedback or right answer (`rendering.question_payload`) — and the saved responses;
- `attempts/{public_id}/responses/` PATCH `{slot: response}` (optionally `{"responses": {...}, "page": n}`): saved
  slots and per-slot errors; 409 `time_up` past the deadline (the attempt is then submitted);
- `attempts/{public_id}/check/` POST `{slot, response}`: an interactive try;
- `attempts/{public_id}/submit/` POST; `attempts/{public_id}/review/` GET: only what the review options allow.

The quiz is found in the version the caller learns (404 for anyone who may not learn the course — whatever the
reason). An attempt is the caller's own (anyone else's: 404, even the team's — they review through the review
endpoint and grade through the grading API). Every rule is the attempt service's: time and attempt limits, the
delay between attempts, the password and sequential navigation cannot be bypassed from here.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import path
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from syllabus.access.endpoints import OrganizationEndpoint
from syllabus.access.policy import Principal
from syllabus.assessment import policy, rendering
from syllabus.assessment.models import Attempt, AttemptState
from syllabus.assessment.question_types.base import NO_REVIEW
from syllabus.assessment.quiz_kind import LearnerQuiz, quiz_for
from syllabus.assessment.services import attempts as services
from syllabus.catalog import richtext
from syllabus.core import clock
from syllabus.core.api import ErrorSerializer, with_errors

TAG = "Quiz attempts"
BODY_NOT_OBJECT = "Send a JSON object."
RESPONSES_NOT_OBJECT = 'Send the responses as an object of slot numbers and responses: {"3": {"choice": "a1b2c"}}.'
SLOT_REQUIRED = "Give the slot number of the question to check."
PAGE_INVALID = "Give a page number from 1 to {count}."
STILL_RUNNING = "This attempt is still in progress: submit it to review it."
MAX_SLOTS_PER_REQUEST = 500


# --- serializers (the schema of what the endpoints answer) ----------------------------------------------------------


class QuizRulesSerializer(serializers.Serializer[Any]):
    opens_at = serializers.DateTimeField(allow_null=True)
    closes_at = serializers.DateTimeField(allow_null=True)
    time_limit_minutes = serializers.IntegerField(allow_null=True)
    attempts_allowed = serializers.IntegerField(help_text="0: unlimited.")
    attempts_used = serializers.IntegerField()
    delay_minutes = serializers.IntegerField()
    needs_password = serializers.BooleanField()
    navigation = serializers.CharField(help_text="`free` or `sequential` (forward only).")
    behaviour = serializers.CharField(help_text="`deferred` or `interactive` (check each answer).")
    grading_method = serializers.CharField(help_text="`highest`, `average`, `first` or `last`.")
    pass_mark = serializers.CharField(allow_null=True, help_text="A percentage, or null: no pass mark.")


class AttemptBriefSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField(help_text="The attempt's public id.")
    number = serializers.IntegerField()
    state = serializers.CharField(help_text="`in_progress`, `finished`, `needs_grading` or `abandoned`.")
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    deadline = serializers.DateTimeField(allow_null=True, help_text="When answers stop counting (server time).")
    submitted_late = serializers.BooleanField()
    marks = serializers.CharField(allow_null=True, help_text="Only when the review options show marks.")
    max_marks = serializers.CharField(allow_null=True, help_text="Only when the review options show marks.")
    grade = serializers.CharField(allow_null=True, help_text="Percentage; only when the review options show marks.")
    passed = serializers.BooleanField(allow_null=True, help_text="Only when the review options show marks.")
    review_available = serializers.BooleanField()


class QuizAvailabilitySerializer(serializers.Serializer[Any]):
    course_id = serializers.IntegerField()
    activity_uid = serializers.UUIDField()
    title = serializers.CharField()
    intro = serializers.CharField(help_text="Sanitised HTML.")
    can_start = serializers.BooleanField(help_text="True also when an attempt is open (starting resumes it).")
    reason = serializers.CharField(help_text="Why not, when `can_start` is false.")
    next_start_at = serializers.DateTimeField(allow_null=True)
    open_attempt = serializers.UUIDField(allow_null=True)
    rules = QuizRulesSerializer()
    attempts = AttemptBriefSerializer(many=True)  # type: ignore[assignment]
    grade = serializers.CharField(allow_null=True, help_text="The quiz grade by its grading method, when shown.")


class AttemptQuestionSerializer(serializers.Serializer[Any]):
    slot = serializers.IntegerField()
    type = serializers.CharField()  # type: ignore[assignment]
    graded = serializers.BooleanField()
    max_mark = serializers.CharField(allow_null=True)
    text = serializers.CharField(help_text='Sanitised HTML (gaps as empty `<span class="qtype-gap">` markers).')
    response = serializers.JSONField(
        required=False,
        help_text="The saved response, in the type's shape (see the API guide). Once the attempt is submitted, only "
        "when the quiz's review options show responses.",
    )
    answered = serializers.BooleanField(required=False, help_text="As `response`.")
    locked = serializers.BooleanField(help_text="Can no longer change: settled by a check, or on a page left behind.")


class AttemptDetailSerializer(AttemptBriefSerializer):
    seconds_left = serializers.IntegerField(allow_null=True)
    current_page = serializers.IntegerField(help_text="1-based.")
    navigation = serializers.CharField()
    behaviour = serializers.CharField()
    pages = serializers.ListField(child=serializers.ListField(child=serializers.IntegerField()))
    questions = AttemptQuestionSerializer(many=True)  # type: ignore[assignment]


class AttemptSaveResultSerializer(serializers.Serializer[Any]):
    saved = serializers.ListField(child=serializers.IntegerField(), help_text="Slots whose response changed.")
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))  # type: ignore[assignment]
    revision = serializers.IntegerField()
    current_page = serializers.IntegerField()


class AttemptResponsesInputSerializer(serializers.Serializer[Any]):
    responses = serializers.DictField(required=False, help_text="Slot number -> response (or send the map alone).")
    page = serializers.IntegerField(required=False, help_text="Move to this page (1-based).")


class AttemptCheckInputSerializer(serializers.Serializer[Any]):
    slot = serializers.IntegerField()
    response = serializers.JSONField()


class AttemptCheckResultSerializer(serializers.Serializer[Any]):
    slot = serializers.IntegerField()
    state = serializers.CharField(help_text="`right`, `partial` or `wrong`.")
    feedback = serializers.ListField(child=serializers.CharField())
    tries = serializers.IntegerField()
    tries_left = serializers.IntegerField()
    locked = serializers.BooleanField()


class AttemptReviewSerializer(serializers.Serializer[Any]):
    attempt = AttemptBriefSerializer()
    available = serializers.BooleanField()
    questions = serializers.ListField(
        child=serializers.DictField(),
        help_text="Each question's payload, plus `state`, `mark`, `feedback`, `general_feedback`, `right_answer` "
        "and `response` — each only when the review options allow it.",
    )


# --- helpers --------------------------------------------------------------------------------------------------------


def _mark(value: Any) -> str | None:
    return rendering.mark_text(value) if value is not None else None


def _conflict(code: str, message: str, **extra: Any) -> Response:
    body = {"error": {"status": 409, "code": code, "message": message, "errors": []}, **extra}
    return Response(body, status=status.HTTP_409_CONFLICT)


def _body(request: Request) -> Mapping[str, Any]:
    if not isinstance(request.data, Mapping):
        raise serializers.ValidationError({"non_field_errors": [BODY_NOT_OBJECT]})
    return request.data


class AttemptApi(OrganizationEndpoint):
    def quiz(self, course_id: int, activity_uid: uuid.UUID) -> LearnerQuiz:
        return quiz_for(self.principal(), self.organization, course_id, activity_uid)

    def own_attempt(self, public_id: uuid.UUID) -> Attempt:
        """The caller's attempt (anyone else's, another organisation's or a preview: 404)."""
        attempt = (
            Attempt.objects.select_related("course")
            .filter(organization=self.organization, public_id=public_id, user=self.user, preview=False)
            .first()
        )
        if attempt is None:
            raise Http404
        return attempt

    def brief(self, attempt: Attempt, principal: Principal | None = None) -> dict[str, Any]:
        now = clock.now()
        principal = principal or self.principal()
        review, _responses = rendering.review_for(attempt, principal, now)
        marks = review.marks and attempt.state != AttemptState.IN_PROGRESS
        return {
            "id": str(attempt.public_id),
            "number": attempt.number,
            "state": attempt.state,
            "started_at": attempt.started_at.isoformat(),
            "finished_at": attempt.finished_at.isoformat() if attempt.finished_at else None,
            "deadline": attempt.deadline.isoformat() if attempt.deadline else None,
            "submitted_late": attempt.submitted_late,
            "marks": _mark(attempt.marks) if marks else None,
            "max_marks": _mark(attempt.max_marks) if marks else None,
            "grade": _mark(attempt.grade) if marks else None,
            "passed": attempt.passed if marks else None,
            "review_available": rendering.has_review(attempt, principal, now),
        }


class QuizApi(AttemptApi):
    @extend_schema(
        tags=[TAG],
        summary="A quiz: may I start, its rules, my attempts",
        description="For a person who may learn the course (404 otherwise). `can_start` is true while an attempt is "
        "open (starting resumes it); otherwise `reason` says why not (not open yet, closed, no attempts left, wait "
        "until `next_start_at`).",
        responses=with_errors({200: QuizAvailabilitySerializer}, 401, 403, 404),
    )
    def get(self, request: Request, course_id: int, activity_uid: uuid.UUID) -> Response:
        quiz = self.quiz(course_id, activity_uid)
        state = services.availability(user=self.user, course=quiz.course, activity=quiz.activity)
        rules = state.rules
        principal = self.principal()
        for attempt in state.attempts:
            attempt.course = quiz.course  # the same course: no query per attempt
        attempts = [self.brief(attempt, principal) for attempt in state.attempts]
        grade = None
        if any(item["grade"] is not None for item in attempts):
            value, _passed = services.quiz_grade(
                user_id=self.user.pk, course_id=quiz.course.pk, activity_uid=activity_uid
            )
            grade = _mark(value)
        settings = rules.settings
        return Response(
            {
                "course_id": quiz.course.pk,
                "activity_uid": str(activity_uid),
                "title": str(quiz.activity.get("title", "")),
                "intro": richtext.sanitize_html(settings.intro, course_id=quiz.course.pk),
                "can_start": state.can_start,
                "reason": state.reason,
                "next_start_at": state.next_start_at.isoformat() if state.next_start_at else None,
                "open_attempt": str(state.open_attempt.public_id) if state.open_attempt else None,
                "rules": {
                    "opens_at": rules.opens_at.isoformat() if rules.opens_at else None,
                    "closes_at": rules.closes_at.isoformat() if rules.closes_at else None,
                    "time_limit_minutes": rules.time_limit_minutes,
                    "attempts_allowed": rules.attempts_allowed,
                    "attempts_used": state.attempts_used,
                    "delay_minutes": settings.delay_minutes,
                    "needs_password": rules.needs_password,
                    "navigation": settings.navigation,
                    "behaviour": settings.behaviour,
                    "grading_method": settings.grading_method,
                    "pass_mark": _mark(settings.pass_mark),
                },
                "attempts": attempts,
                "grade": grade,
            }
        )


class AttemptStartInputSerializer(serializers.Serializer[Any]):
    password = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class AttemptStartApi(AttemptApi):
    @extend_schema(
        tags=[TAG],
        summary="Start (or resume) an attempt",
        description="201 with the new attempt, or 200 with the open one (Start pressed twice, or in two apps). 400 "
        "with the reason when it cannot start (closed, no attempts left, too soon after the last one, wrong or "
        "missing password under `password`).",
        request=AttemptStartInputSerializer,
        responses=with_errors({200: AttemptDetailSerializer, 201: AttemptDetailSerializer}, 400, 401, 403, 404),
        examples=[OpenApiExample("With the quiz's password", value={"password": "room-12"}, request_only=True)],
    )
    def post(self, request: Request, course_id: int, activity_uid: uuid.UUID) -> Response:
        quiz = self.quiz(course_id, activity_uid)
        serializer = AttemptStartInputSerializer(data=_body(request) if request.data else {})
        serializer.is_valid(raise_exception=True)
        before = services.availability(user=self.user, course=quiz.course, activity=quiz.activity).open_attempt
        try:
            attempt = services.attempt_start(
                user=self.user,
                course=quiz.course,
                version=quiz.version,
                activity=quiz.activity,
                password=serializer.validated_data["password"],
            )
        except PermissionDenied:
            raise Http404 from None
        code = status.HTTP_200_OK if before is not None and before.pk == attempt.pk else status.HTTP_201_CREATED
        return Response(AttemptDetailApi.detail(self, attempt), status=code)


class AttemptDetailApi(AttemptApi):
    @staticmethod
    def detail(view: AttemptApi, attempt: Attempt) -> dict[str, Any]:
        now = clock.now()
        answers = list(attempt.answers.select_related("question_version").order_by("slot"))
        layout = attempt.layout or []
        page_of = {slot: index for index, slots in enumerate(layout) for slot in slots}
        sequential = attempt.settings.get("navigation") == "sequential"
        running = attempt.state == AttemptState.IN_PROGRESS
        # Once submitted, the responses show only as the review options allow (the review endpoint's rule).
        show_responses = running or rendering.review_for(attempt, view.principal(), now)[1]
        questions = []
        for answer in answers:
            payload = rendering.question_payload(answer, response=show_responses)
            left_behind = sequential and page_of.get(answer.slot, 0) < attempt.current_page
            payload["locked"] = not running or answer.locked or left_behind
            questions.append(payload)
        return {
            **view.brief(attempt),
            "seconds_left": max(0, int((attempt.deadline - now).total_seconds()))
            if attempt.deadline and running
            else None,
            "current_page": attempt.current_page + 1,
            "navigation": attempt.settings.get("navigation", "free"),
            "behaviour": attempt.settings.get("behaviour", "deferred"),
            "pages": layout,
            "questions": questions,
        }

    @extend_schema(
        tags=[TAG],
        summary="An attempt: its pages, questions and saved responses",
        description="The caller's own attempt (anyone else's: 404). Each question has its text and the type's "
        "options in the attempt's order — never a fraction, feedback, right answer or correctness.",
        responses=with_errors({200: AttemptDetailSerializer}, 401, 403, 404),
    )
    def get(self, request: Request, public_id: uuid.UUID) -> Response:
        return Response(self.detail(self, self.own_attempt(public_id)))


class ResponsesApi(AttemptApi):
    @extend_schema(
        tags=[TAG],
        summary="Save responses (autosave)",
        description='`{slot: response}`, or `{"responses": {slot: response}, "page": n}` to move to page n as '
        "well (sequential quizzes never move back). A refused response is reported under its slot in `errors` and "
        "the others are saved. Past the deadline (plus a short grace) nothing is saved: 409 `time_up`, and the "
        "attempt is submitted with what was saved in time.",
        request=AttemptResponsesInputSerializer,
        responses=with_errors(
            {
                200: AttemptSaveResultSerializer,
                409: OpenApiResponse(ErrorSerializer, description="`time_up`, or `submitted`: nothing was saved."),
            },
            400,
            401,
            403,
            404,
        ),
        examples=[OpenApiExample("Two answers", value={"1": {"choice": "a7f3k"}, "2": {"text": "Paris"}})],
    )
    def patch(self, request: Request, public_id: uuid.UUID) -> Response:
        attempt = self.own_attempt(public_id)
        body = _body(request)
        raw_page: Any = request.query_params.get("page")
        if isinstance(body.get("responses"), Mapping):
            raw_page = body.get("page", raw_page)
            raw = body["responses"]
        elif "responses" in body or "page" in body:
            raise serializers.ValidationError({"responses": [RESPONSES_NOT_OBJECT]})
        else:
            raw = body
        slots = {key: services.slot_number(key) for key in raw} if len(raw) <= MAX_SLOTS_PER_REQUEST else {}
        if len(raw) > MAX_SLOTS_PER_REQUEST or any(slot is None for slot in slots.values()):
            raise serializers.ValidationError({"responses": [RESPONSES_NOT_OBJECT]})
        page = None
        if raw_page not in (None, ""):
            pages = len(attempt.layout or [])
            try:
                page = int(str(raw_page)) - 1
            except ValueError:
                page = -1
            if not 0 <= page < pages:
                raise serializers.ValidationError({"page": [PAGE_INVALID.format(count=pages)]})
        answers = {a.slot: a for a in attempt.answers.select_related("question_version")}
        responses: dict[int, Any] = {}
        for key, value in raw.items():
            slot = slots[key]
            assert slot is not None
            responses[slot] = rendering.response_from_api(answers[slot], value) if slot in answers else value
        try:
            result = services.attempt_save(attempt=attempt, responses=responses, by=self.user, page=page)
        except services.AttemptOver:
            return _conflict("time_up", services.TIME_UP, attempt=self.brief(self.own_attempt(public_id)))
        except DjangoValidationError as exc:
            return _conflict("submitted", " ".join(exc.messages))
        return Response(
            {
                "saved": result.saved,
                "errors": {str(slot): messages for slot, messages in result.errors.items()},
                "revision": result.revision,
                "current_page": attempt.current_page + 1,
            }
        )


class CheckApi(AttemptApi):
    @extend_schema(
        tags=[TAG],
        summary="Check one answer (interactive quizzes)",
        description="Saves the response and grades it as one try: its state and feedback come back. A right answer "
        "or the last try settles the question. 400 when the quiz is not interactive or the question is settled.",
        request=AttemptCheckInputSerializer,
        responses=with_errors(
            {200: AttemptCheckResultSerializer, 409: OpenApiResponse(ErrorSerializer, description="`time_up`.")},
            400,
            401,
            403,
            404,
        ),
    )
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        attempt = self.own_attempt(public_id)
        body = _body(request)
        slot = services.slot_number(body.get("slot"))
        if slot is None:
            raise serializers.ValidationError({"slot": [SLOT_REQUIRED]})
        found = attempt.answers.select_related("question_version").filter(slot=slot).first()
        raw = rendering.response_from_api(found, body.get("response")) if found else body.get("response")
        try:
            answer = services.attempt_check(attempt=attempt, slot=slot, raw=raw, by=self.user)
        except services.AttemptOver:
            return _conflict("time_up", services.TIME_UP, attempt=self.brief(self.own_attempt(public_id)))
        tries_allowed = int(attempt.settings.get("tries") or 1)
        return Response(
            {
                "slot": answer.slot,
                "state": rendering.grade_state(answer),
                "feedback": [richtext.sanitize_html(str(item)) for item in answer.feedback or []],
                "tries": answer.tries,
                "tries_left": 0 if answer.locked else max(0, tries_allowed - answer.tries),
                "locked": answer.locked,
            }
        )


class SubmitApi(AttemptApi):
    @extend_schema(
        tags=[TAG],
        summary="Submit an attempt",
        description="Grades every answer with its saved response. Idempotent: submitting again answers the same.",
        request=None,
        responses=with_errors({200: AttemptBriefSerializer}, 401, 403, 404),
    )
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        attempt = self.own_attempt(public_id)
        attempt = services.attempt_submit(attempt=attempt, by=self.user)
        return Response(self.brief(attempt))


class ReviewApi(AttemptApi):
    @extend_schema(
        tags=[TAG],
        summary="Review a submitted attempt",
        description="What the quiz's review options allow now (until the close date, then after it): responses, "
        "correctness (`state`), `mark`, `feedback`, `general_feedback`, `right_answer` — each left out when not "
        "allowed. The course team sees everything. 409 `in_progress` while the attempt runs.",
        responses=with_errors(
            {200: AttemptReviewSerializer, 409: OpenApiResponse(ErrorSerializer, description="`in_progress`.")},
            401,
            403,
            404,
        ),
    )
    def get(self, request: Request, public_id: uuid.UUID) -> Response:
        attempt = (
            Attempt.objects.select_related("course").filter(organization=self.organization, public_id=public_id).first()
        )
        principal = self.principal()
        if attempt is None or not policy.can_see_attempt(principal, attempt):
            raise Http404
        if attempt.state == AttemptState.IN_PROGRESS:
            return _conflict("in_progress", STILL_RUNNING)
        review, show_responses = rendering.review_for(attempt, principal, clock.now())
        available = show_responses or review != NO_REVIEW
        answers = list(attempt.answers.select_related("question_version").order_by("slot")) if available else []
        return Response(
            {
                "attempt": self.brief(attempt),
                "available": available,
                "questions": [rendering.review_payload(answer, review, show_responses) for answer in answers],
            }
        )


QUIZ = "quizzes/<int:course_id>/<uuid:activity_uid>/"
ATTEMPT = "attempts/<uuid:public_id>/"

urlpatterns = [
    path(QUIZ, QuizApi.as_view(), name="assessment-quiz"),
    path(f"{QUIZ}attempts/", AttemptStartApi.as_view(), name="assessment-quiz-attempts"),
    path(ATTEMPT, AttemptDetailApi.as_view(), name="assessment-attempt"),
    path(f"{ATTEMPT}responses/", ResponsesApi.as_view(), name="assessment-attempt-responses"),
    path(f"{ATTEMPT}check/", CheckApi.as_view(), name="assessment-attempt-check"),
    path(f"{ATTEMPT}submit/", SubmitApi.as_view(), name="assessment-attempt-submit"),
    path(f"{ATTEMPT}review/", ReviewApi.as_view(), name="assessment-attempt-review"),
]
