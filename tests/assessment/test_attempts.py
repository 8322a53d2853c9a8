"""The attempt service: start, save, check, submit, the quiz grade and what progress hears, manual grading and
per-person overrides. Time limits and the overdue task are in test_timing.py."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syllabus.access.policy import NOT_ALLOWED
from syllabus.assessment.models import AnswerState, Attempt, AttemptState, QuestionAnswer, QuizOverride
from syllabus.assessment.question_types import base as qtypes
from syllabus.assessment.quiz_settings import QuizSettings
from syllabus.assessment.services import attempts
from syllabus.assessment.services import questions as question_services
from syllabus.assessment.services.questions import version_as_question
from syllabus.audit.models import AuditRecord
from syllabus.enrollment.models import Enrollment
from syllabus.progress.models import ActivityProgress
from syllabus.skills import services as skill_services
from tests.assessment.conftest import NOW, PARTIAL, RIGHT, WRONG, QuizWorld, fixed, make_quiz_world, member, pool
from tests.conftest import World


def answers_of(attempt: Attempt) -> list[QuestionAnswer]:
    return list(attempt.answers.select_related("question_version").order_by("slot"))


def drawn_question_ids(attempt: Attempt) -> list[int]:
    return [a.question_version.question_id for a in answers_of(attempt)]


def errors_of(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


# --- start ----------------------------------------------------------------------------------------------------


def test_a_quiz_starts_with_one_answer_per_slot_marked_by_the_slot_or_the_question(quiz_world: QuizWorld) -> None:
    tf = quiz_world.make_question("truefalse")
    single = quiz_world.make_question("single", default_mark="3")
    info = quiz_world.make_question("description")
    quiz = quiz_world.publish_quiz(slots=[fixed(tf, "2"), fixed(single), fixed(info, "5")])

    attempt = quiz_world.start(quiz)

    assert attempt.number == 1
    assert attempt.state == AttemptState.IN_PROGRESS
    assert attempt.version_id == quiz_world.version.pk
    assert attempt.started_at == NOW
    assert attempt.deadline is None
    answers = answers_of(attempt)
    assert [a.question_version_id for a in answers] == [tf.latest_id, single.latest_id, info.latest_id]
    # The slot's mark, the question's default mark, and nothing for a description whatever the slot says.
    assert [a.max_mark for a in answers] == [Decimal(2), Decimal(3), Decimal(0)]
    assert attempt.max_marks == Decimal(5)
    assert [a.state for a in answers] == [AnswerState.TODO, AnswerState.TODO, AnswerState.INFO]
    assert attempt.layout == [[1], [2], [3]]


@pytest.mark.parametrize(("per_page", "layout"), [(2, [[1, 2], [3, 4], [5]]), (0, [[1, 2, 3, 4, 5]])])
def test_slots_are_laid_out_in_pages_of_questions_per_page(
    quiz_world: QuizWorld, per_page: int, layout: list[list[int]]
) -> None:
    questions = [quiz_world.make_question("truefalse", name=f"Q{n}") for n in range(5)]
    quiz = quiz_world.publish_quiz(slots=[fixed(q) for q in questions], questions_per_page=per_page)
    assert quiz_world.start(quiz).layout == layout


def test_the_attempt_keeps_the_quiz_settings_it_started_with(quiz_world: QuizWorld) -> None:
    tf = quiz_world.make_question("truefalse")
    quiz = quiz_world.publish_quiz(
        slots=[fixed(tf)], behaviour="interactive", tries=2, penalty="0.25", pass_mark="70", grading_method="last"
    )
    attempt = quiz_world.start(quiz)
    assert attempt.settings["behaviour"] == "interactive"
    assert attempt.settings["tries"] == 2
    assert attempt.settings["penalty"] == "0.25"
    assert attempt.settings["pass_mark"] == "70"
    assert attempt.settings["grading_method"] == "last"


def test_starting_twice_resumes_the_open_attempt(quiz_world: QuizWorld) -> None:
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("truefalse"))])
    first = quiz_world.start(quiz)
    again = quiz_world.start(quiz, now=NOW + dt.timedelta(minutes=5))
    assert again.pk == first.pk
    assert Attempt.objects.count() == 1


def test_two_requests_starting_at_once_end_with_one_attempt(
    quiz_world: QuizWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("truefalse"))])
    first = quiz_world.start(quiz)
    # The second request read the quiz's state before the first one's attempt existed.
    real = attempts.availability

    def stale(**kwargs: Any) -> attempts.Availability:
        state = real(**kwargs)
        return attempts.Availability(state.rules, [], None, True)

    monkeypatch.setattr(attempts, "availability", stale)
    second = quiz_world.start(quiz)

    assert second.pk == first.pk
    assert Attempt.objects.count() == 1
    assert QuestionAnswer.objects.count() == 1


def test_a_quiz_without_slots_cannot_start(quiz_world: QuizWorld) -> None:
    quiz = quiz_world.publish_quiz(slots=[])
    with pytest.raises(ValidationError) as exc:
        quiz_world.start(quiz)
    assert exc.value.messages == [attempts.NO_QUESTIONS]


def test_a_fixed_question_of_another_course_bank_stops_the_start(quiz_world: QuizWorld, world: World) -> None:
    other = make_quiz_world(world, "Other course")
    foreign = other.make_question("truefalse")
    quiz = quiz_world.publish_quiz(slots=[fixed(foreign)])
    with pytest.raises(ValidationError) as exc:
        quiz_world.start(quiz)
    assert exc.value.messages == [attempts.QUESTION_MISSING.format(ref=foreign.pk)]


def test_a_shared_bank_question_may_be_drawn_by_any_course_of_the_organisation(
    quiz_world: QuizWorld, world: World
) -> None:
    shared = question_services.bank_create(organization=world.org, name="Shared", by=world.org_admin.user)
    question = quiz_world.make_question("truefalse", bank=shared, by=world.org_admin.user)
    quiz = quiz_world.publish_quiz(slots=[fixed(question)])
    assert drawn_question_ids(quiz_world.start(quiz)) == [question.pk]


def test_people_outside_the_course_cannot_start(quiz_world: QuizWorld, world: World) -> None:
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("truefalse"))])
    with pytest.raises(PermissionDenied) as exc:
        quiz_world.start(quiz, world.outsider.user)
    assert str(exc.value) == NOT_ALLOWED


# --- random slots ---------------------------------------------------------------------------------------------


@pytest.fixture
def pools(quiz_world: QuizWorld) -> dict[str, Any]:
    """Fire (3 questions, difficulty 1..3) › Extinguishers (2, one tagged "warehouse"), and Other (2)."""
    fire = quiz_world.make_category("Fire")
    extinguishers = quiz_world.make_category("Extinguishers", parent=fire)
    other = quiz_world.make_category("Other")
    made = {
        "fire": [
            quiz_world.make_question("truefalse", name=f"Fire {n}", category=fire, difficulty=n) for n in (1, 2, 3)
        ],
        "ext": [
            quiz_world.make_question("truefalse", name="Ext 1", category=extinguishers, tags=["Warehouse"]),
            quiz_world.make_question("truefalse", name="Ext 2", category=extinguishers, difficulty=5),
        ],
        "other": [quiz_world.make_question("truefalse", name=f"Other {n}", category=other) for n in (1, 2)],
    }
    return {"fire_cat": fire, "ext_cat": extinguishers, "other_cat": other, **made}


def test_a_random_slot_draws_distinct_questions_from_its_category_only(quiz_world: QuizWorld, pools: Any) -> None:
    quiz = quiz_world.publish_quiz(slots=[pool(pools["fire_cat"], count=3)])
    assert sorted(drawn_question_ids(quiz_world.start(quiz))) == sorted(q.pk for q in pools["fire"])


def test_a_random_slot_may_include_the_sub_categories(quiz_world: QuizWorld, pools: Any) -> None:
    quiz = quiz_world.publish_quiz(slots=[pool(pools["fire_cat"], count=5, include_subcategories=True)])
    assert sorted(drawn_question_ids(quiz_world.start(quiz))) == sorted(q.pk for q in pools["fire"] + pools["ext"])


def test_a_random_slot_filters_by_tag_whatever_its_case(quiz_world: QuizWorld, pools: Any) -> None:
    quiz = quiz_world.publish_quiz(
        slots=[pool(pools["fire_cat"], count=1, include_subcategories=True, tags=["WAREHOUSE"])]
    )
    assert drawn_question_ids(quiz_world.start(quiz)) == [pools["ext"][0].pk]


def test_a_random_slot_filters_by_difficulty_range(quiz_world: QuizWorld, pools: Any) -> None:
    quiz = quiz_world.publish_quiz(
        slots=[pool(pools["fire_cat"], count=3, include_subcategories=True, min_difficulty=2, max_difficulty=4)]
    )
    # Fire 2 and Fire 3 (difficulty 2, 3), Ext 1 (the default, 3); not Fire 1 (1) nor Ext 2 (5).
    expected = {pools["fire"][1].pk, pools["fire"][2].pk, pools["ext"][0].pk}
    assert set(drawn_question_ids(quiz_world.start(quiz))) == expected


def test_a_random_slot_filters_by_skill(quiz_world: QuizWorld, world: World) -> None:
    skill = skill_services.skill_create(organization=world.org, by=world.org_admin.user, code="fire", name="Fire")
    category = quiz_world.make_category("Skills")
    with_skill = quiz_world.make_question("truefalse", name="Skilled", category=category, skill_ids=[skill.pk])
    quiz_world.make_question("truefalse", name="Unskilled", category=category)
    quiz = quiz_world.publish_quiz(slots=[pool(category, count=1, skill_ids=[skill.pk])])
    assert drawn_question_ids(quiz_world.start(quiz)) == [with_skill.pk]


def test_hidden_questions_are_left_out_of_random_pools(quiz_world: QuizWorld, pools: Any) -> None:
    hidden = pools["other"][0]
    question_services.question_set_hidden(question=hidden, hidden=True, by=quiz_world.owner)
    quiz = quiz_world.publish_quiz(slots=[pool(pools["other_cat"], count=1)])
    assert drawn_question_ids(quiz_world.start(quiz)) == [pools["other"][1].pk]


def test_a_pool_too_small_stops_the_start_with_a_message_for_the_course_team(quiz_world: QuizWorld, pools: Any) -> None:
    question_services.question_set_hidden(question=pools["other"][0], hidden=True, by=quiz_world.owner)
    quiz = quiz_world.publish_quiz(slots=[pool(pools["other_cat"], count=2)])
    with pytest.raises(ValidationError) as exc:
        quiz_world.start(quiz)
    assert exc.value.messages == [attempts.POOL_TOO_SMALL.format(count=2, category="Other", found=1)]
    assert Attempt.objects.count() == 0


def test_no_question_appears_twice_in_an_attempt(quiz_world: QuizWorld, pools: Any) -> None:
    first, second = pools["other"]
    # A fixed slot takes `first`; two random slots share the pool: only `second` is left for one of them.
    quiz = quiz_world.publish_quiz(slots=[pool(pools["other_cat"], count=1), fixed(first)])
    for learner in [quiz_world.learner, *(member(quiz_world.world, f"P{n}").user for n in range(4))]:
        assert drawn_question_ids(quiz_world.start(quiz, learner)) == [second.pk, first.pk]
    quiz_world_two = quiz_world.publish_quiz(
        title="Two pools", slots=[pool(pools["other_cat"], count=1), pool(pools["other_cat"], count=1)]
    )
    assert sorted(drawn_question_ids(quiz_world.start(quiz_world_two))) == sorted([first.pk, second.pk])
    too_many = quiz_world.publish_quiz(title="Three", slots=[fixed(first), pool(pools["other_cat"], count=2)])
    with pytest.raises(ValidationError) as exc:
        quiz_world.start(too_many)
    assert exc.value.messages == [attempts.POOL_TOO_SMALL.format(count=2, category="Other", found=1)]


def test_the_draw_and_the_shuffle_are_reproducible_from_the_attempt_seed(quiz_world: QuizWorld, pools: Any) -> None:
    singles = [quiz_world.make_question("single", name=f"S{n}") for n in range(4)]
    quiz = quiz_world.publish_quiz(
        slots=[*(fixed(q) for q in singles), pool(pools["fire_cat"], count=2, include_subcategories=True)],
        shuffle_questions=True,
        shuffle_options=True,
    )
    attempt = quiz_world.start(quiz)

    # Replay the start with the attempt's seed: the same questions in the same order, the same option orders.
    rng = random.Random(attempt.public_id.int)
    drawn = attempts._draw(quiz_world.course, QuizSettings.from_config(quiz["config"]), rng)
    rng.shuffle(drawn)
    variants = [qtypes.get(v.qtype).start(version_as_question(v), rng, shuffle=True) for v, _mark in drawn]
    answers = answers_of(attempt)
    assert [a.question_version_id for a in answers] == [v.pk for v, _mark in drawn]
    assert [a.variant for a in answers] == variants


def test_shuffled_questions_come_in_different_orders_for_different_attempts(quiz_world: QuizWorld) -> None:
    questions = [quiz_world.make_question("truefalse", name=f"Q{n}") for n in range(6)]
    quiz = quiz_world.publish_quiz(slots=[fixed(q) for q in questions], shuffle_questions=True)
    orders = {
        tuple(drawn_question_ids(quiz_world.start(quiz, member(quiz_world.world, f"P{n}").user))) for n in range(6)
    }
    assert len(orders) > 1
    assert all(sorted(order) == sorted(q.pk for q in questions) for order in orders)


# --- access rules ---------------------------------------------------------------------------------------------


def test_a_password_is_required_and_checked(quiz_world: QuizWorld) -> None:
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("truefalse"))], password="blue door")
    with pytest.raises(ValidationError) as exc:
        quiz_world.start(quiz)
    assert errors_of(exc) == {"password": [attempts.PASSWORD_REQUIRED]}
    with pytest.raises(ValidationError) as exc:
        quiz_world.start(quiz, password="red door")
    assert errors_of(exc) == {"password": [attempts.WRONG_PASSWORD]}
    assert Attempt.objects.count() == 0
    assert quiz_world.start(quiz, password="blue door").number == 1


def test_an_override_may_skip_the_password(quiz_world: QuizWorld) -> None:
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("truefalse"))], password="blue door")
    override(quiz_world, quiz, skip_password=True)
    assert quiz_world.start(quiz).number == 1


def test_the_quiz_cannot_start_before_it_opens_nor_after_it_closes(quiz_world: QuizWorld) -> None:
    opens, closes = NOW + dt.timedelta(hours=1), NOW + dt.timedelta(days=1)
    quiz = quiz_world.publish_quiz(
        slots=[fixed(quiz_world.make_question("truefalse"))], opens_at=opens.isoformat(), closes_at=closes.isoformat()
    )
    with pytest.raises(ValidationError) as exc:
        quiz_world.start(quiz)
    assert exc.value.messages == [attempts.NOT_OPEN_YET.format(when=attempts._when(opens))]
    with pytest.raises(ValidationError) as exc:
        quiz_world.start(quiz, now=closes)
    assert exc.value.messages == [attempts.CLOSED.format(when=attempts._when(closes))]
    attempt = quiz_world.start(quiz, now=opens)
    # The close date ends the attempt too.
    assert attempt.deadline == closes


def test_the_number_of_attempts_is_limited_and_an_override_adds_more(quiz_world: QuizWorld) -> None:
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("truefalse"))], attempts_allowed=2)
    quiz_world.take(quiz, {1: RIGHT["truefalse"]})
    quiz_world.take(quiz, {1: RIGHT["truefalse"]})
    with pytest.raises(ValidationError) as exc:
        quiz_world.start(quiz)
    assert exc.value.messages == [attempts.NO_ATTEMPTS_LEFT.format(count=2)]

    override(quiz_world, quiz, extra_attempts=1)
    assert quiz_world.take(quiz, {1: RIGHT["truefalse"]}).number == 3
    with pytest.raises(ValidationError) as exc:
        quiz_world.start(quiz)
    assert exc.value.messages == [attempts.NO_ATTEMPTS_LEFT.format(count=3)]


def test_the_next_attempt_waits_for_the_delay(quiz_world: QuizWorld) -> None:
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("truefalse"))], delay_minutes=60)
    quiz_world.take(quiz, {1: WRONG["truefalse"]})
    next_at = NOW + dt.timedelta(minutes=60)
    with pytest.raises(ValidationError) as exc:
        quiz_world.start(quiz, now=NOW + dt.timedelta(minutes=30))
    assert exc.value.messages == [attempts.WAIT_BEFORE_NEXT.format(when=attempts._when(next_at))]
    state = attempts.availability(
        user=quiz_world.learner, course=quiz_world.course, activity=quiz, now=NOW + dt.timedelta(minutes=30)
    )
    assert (state.can_start, state.next_start_at, state.attempts_used) == (False, next_at, 1)
    assert quiz_world.start(quiz, now=next_at).number == 2


def test_previews_by_the_team_ignore_the_rules_count_for_nothing_and_tell_progress_nothing(
    quiz_world: QuizWorld, django_capture_on_commit_callbacks: Any, quiz_signals: list[Any]
) -> None:
    quiz = quiz_world.publish_quiz(
        slots=[fixed(quiz_world.make_question("truefalse"))],
        attempts_allowed=1,
        password="secret",
        closes_at=(NOW - dt.timedelta(days=1)).isoformat(),
    )
    with django_capture_on_commit_callbacks(execute=True):
        preview = attempts.attempt_start(
            user=quiz_world.owner, course=quiz_world.course, version=None, activity=quiz, preview=True, now=NOW
        )
        attempts.attempt_save(attempt=preview, responses={1: RIGHT["truefalse"]}, by=quiz_world.owner, now=NOW)
        preview = attempts.attempt_submit(attempt=preview, by=quiz_world.owner, now=NOW)
        again = attempts.attempt_start(
            user=quiz_world.owner, course=quiz_world.course, version=None, activity=quiz, preview=True, now=NOW
        )
    assert preview.state == AttemptState.FINISHED and preview.preview
    assert again.number == 2
    assert quiz_signals == []
    state = attempts.availability(user=quiz_world.owner, course=quiz_world.course, activity=quiz, now=NOW)
    assert state.attempts == []  # the owner's real attempts: none
    assert attempts.quiz_grade(
        user_id=quiz_world.owner.pk, course_id=quiz_world.course.pk, activity_uid=preview.activity_uid
    ) == (None, None)


def test_a_learner_cannot_start_a_preview(quiz_world: QuizWorld) -> None:
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("truefalse"))])
    with pytest.raises(PermissionDenied):
        attempts.attempt_start(
            user=quiz_world.learner, course=quiz_world.course, version=None, activity=quiz, preview=True, now=NOW
        )


# --- saving ---------------------------------------------------------------------------------------------------


@pytest.fixture
def three(quiz_world: QuizWorld) -> dict[str, Any]:
    """A quiz of truefalse (mark 1), single (mark 2), shortanswer (mark 1), one per page; its open attempt."""
    tf = quiz_world.make_question("truefalse")
    single = quiz_world.make_question("single")
    short = quiz_world.make_question("shortanswer")
    quiz = quiz_world.publish_quiz(slots=[fixed(tf), fixed(single, "2"), fixed(short)], pass_mark="50")
    return {"quiz": quiz, "attempt": quiz_world.start(quiz)}


def test_a_save_stores_the_valid_responses_and_reports_the_others_per_slot(
    quiz_world: QuizWorld, three: dict[str, Any]
) -> None:
    attempt = three["attempt"]
    result = attempts.attempt_save(
        attempt=attempt,
        responses={1: RIGHT["truefalse"], 2: {"choice": "no-such-option"}, 99: {"answer": True}, "x": {}},
        by=quiz_world.learner,
        now=NOW,
    )
    assert result.saved == [1]
    assert set(result.errors) == {2, 99}
    assert result.errors[99] == [attempts.UNKNOWN_SLOT.format(slot=99)]
    assert result.errors[2]
    tf, single, _short = answers_of(attempt)
    assert (tf.response, tf.state, tf.saved_at) == (RIGHT["truefalse"], AnswerState.SAVED, NOW)
    assert [entry["kind"] for entry in tf.history] == ["save"]
    assert (single.response, single.state, single.history) == ({}, AnswerState.TODO, [])


def test_an_unchanged_response_is_not_written_again(quiz_world: QuizWorld, three: dict[str, Any]) -> None:
    attempt = three["attempt"]
    attempts.attempt_save(attempt=attempt, responses={1: RIGHT["truefalse"]}, by=quiz_world.learner, now=NOW)
    later = NOW + dt.timedelta(seconds=20)
    result = attempts.attempt_save(attempt=attempt, responses={1: RIGHT["truefalse"]}, by=quiz_world.learner, now=later)
    assert result.saved == []
    answer = answers_of(attempt)[0]
    assert answer.saved_at == NOW
    assert len(answer.history) == 1


def test_an_empty_response_takes_the_answer_back_to_not_answered(quiz_world: QuizWorld, three: dict[str, Any]) -> None:
    attempt = three["attempt"]
    attempts.attempt_save(attempt=attempt, responses={3: RIGHT["shortanswer"]}, by=quiz_world.learner, now=NOW)
    attempts.attempt_save(attempt=attempt, responses={3: {}}, by=quiz_world.learner, now=NOW)
    assert answers_of(attempt)[2].state == AnswerState.TODO


def test_nobody_else_saves_into_an_attempt(quiz_world: QuizWorld, three: dict[str, Any], world: World) -> None:
    for person in (world.instructor.user, world.outsider.user):
        with pytest.raises(PermissionDenied) as exc:
            attempts.attempt_save(attempt=three["attempt"], responses={1: RIGHT["truefalse"]}, by=person, now=NOW)
        assert str(exc.value) == attempts.NOT_YOUR_ATTEMPT
    with pytest.raises(PermissionDenied):
        attempts.attempt_submit(attempt=three["attempt"], by=world.instructor.user, now=NOW)


def test_a_submitted_attempt_takes_no_more_answers(quiz_world: QuizWorld, three: dict[str, Any]) -> None:
    attempt = attempts.attempt_submit(attempt=three["attempt"], by=quiz_world.learner, now=NOW)
    with pytest.raises(ValidationError) as exc:
        attempts.attempt_save(attempt=attempt, responses={1: RIGHT["truefalse"]}, by=quiz_world.learner, now=NOW)
    assert exc.value.messages == [attempts.ATTEMPT_CLOSED]


def test_a_save_from_a_stale_tab_after_the_submission_changes_nothing(
    quiz_world: QuizWorld, three: dict[str, Any]
) -> None:
    stale = three["attempt"]
    attempts.attempt_submit(attempt=Attempt.objects.get(pk=stale.pk), by=quiz_world.learner, now=NOW)
    assert stale.state == AttemptState.IN_PROGRESS  # what the other tab still believes
    with pytest.raises(ValidationError) as exc:
        attempts.attempt_save(attempt=stale, responses={1: RIGHT["truefalse"]}, by=quiz_world.learner, now=NOW)
    assert exc.value.messages == [attempts.ATTEMPT_CLOSED]
    answer = answers_of(stale)[0]
    assert (answer.response, answer.state) == ({}, AnswerState.GAVE_UP)


def test_sequential_navigation_never_goes_back_a_page(quiz_world: QuizWorld) -> None:
    questions = [quiz_world.make_question("truefalse", name=f"Q{n}") for n in range(3)]
    quiz = quiz_world.publish_quiz(slots=[fixed(q) for q in questions], navigation="sequential")
    attempt = quiz_world.start(quiz)
    # "Next" on page 1 saves its answer and moves on.
    attempts.attempt_save(attempt=attempt, responses={1: RIGHT["truefalse"]}, by=quiz_world.learner, page=1, now=NOW)
    assert attempt.current_page == 1
    result = attempts.attempt_save(
        attempt=attempt, responses={1: WRONG["truefalse"], 2: RIGHT["truefalse"]}, by=quiz_world.learner, page=0
    )
    assert result.saved == [2]
    assert result.errors == {1: [attempts.PAGE_LEFT.format(slot=1)]}
    attempt.refresh_from_db()
    assert attempt.current_page == 1
    assert answers_of(attempt)[0].response == RIGHT["truefalse"]


def test_free_navigation_goes_anywhere(quiz_world: QuizWorld, three: dict[str, Any]) -> None:
    attempt = three["attempt"]
    attempts.attempt_save(attempt=attempt, responses={}, by=quiz_world.learner, page=2, now=NOW)
    result = attempts.attempt_save(
        attempt=attempt, responses={1: RIGHT["truefalse"]}, by=quiz_world.learner, page=0, now=NOW
    )
    assert result.saved == [1]
    attempt.refresh_from_db()
    assert attempt.current_page == 0
    # A page that does not exist is ignored.
    attempts.attempt_save(attempt=attempt, responses={}, by=quiz_world.learner, page=7, now=NOW)
    attempt.refresh_from_db()
    assert attempt.current_page == 0


def test_a_save_of_something_other_than_responses_by_slot_is_refused(
    quiz_world: QuizWorld, three: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError) as exc:
        attempts.attempt_save(attempt=three["attempt"], responses=[RIGHT["truefalse"]], by=quiz_world.learner)  # type: ignore[arg-type]
    assert errors_of(exc) == {"responses": [attempts.RESPONSES_NOT_OBJECT]}
    # A page that is not a number leaves the learner where they are.
    attempts.attempt_save(attempt=three["attempt"], responses={}, by=quiz_world.learner, page="last", now=NOW)  # type: ignore[arg-type]
    assert Attempt.objects.get(pk=three["attempt"].pk).current_page == 0


def test_every_save_moves_the_revision_on(quiz_world: QuizWorld, three: dict[str, Any]) -> None:
    attempt = three["attempt"]
    first = attempts.attempt_save(attempt=attempt, responses={1: RIGHT["truefalse"]}, by=quiz_world.learner, now=NOW)
    second = attempts.attempt_save(attempt=attempt, responses={}, by=quiz_world.learner, now=NOW)
    assert second.revision == first.revision + 1
    attempt.refresh_from_db()
    assert attempt.revision == second.revision


# --- interactive checks ---------------------------------------------------------------------------------------


def interactive(quiz_world: QuizWorld, *, tries: int = 3, penalty: str = "0.3333333", **kw: Any) -> dict[str, Any]:
    single = quiz_world.make_question("single")
    essay = quiz_world.make_question("essay")
    tf = quiz_world.make_question("truefalse")
    return quiz_world.publish_quiz(
        slots=[fixed(single, "3"), fixed(essay), fixed(tf)],
        behaviour="interactive",
        tries=tries,
        penalty=penalty,
        **kw,
    )


def test_a_wrong_try_costs_the_penalty_on_a_later_right_answer(quiz_world: QuizWorld) -> None:
    attempt = quiz_world.start(interactive(quiz_world))
    learner = quiz_world.learner

    wrong = attempts.attempt_check(attempt=attempt, slot=1, raw=WRONG["single"], by=learner, now=NOW)
    assert (wrong.tries, wrong.locked, wrong.state) == (1, False, "wrong")
    assert wrong.fraction == Decimal(0) and wrong.mark == Decimal(0)
    assert wrong.penalty == Decimal("0.3333333")

    right = attempts.attempt_check(attempt=attempt, slot=1, raw=RIGHT["single"], by=learner, now=NOW)
    assert (right.tries, right.locked, right.state) == (2, True, "right")
    assert right.fraction == Decimal(1)
    # 3 marks × (1 − 0.3333333) for one wrong try before the right one, to 5 places.
    assert right.mark == Decimal("2.00000")
    assert [entry["kind"] for entry in right.history] == ["try", "try"]

    with pytest.raises(ValidationError) as exc:
        attempts.attempt_check(attempt=attempt, slot=1, raw=RIGHT["single"], by=learner, now=NOW)
    assert exc.value.messages == [attempts.SLOT_LOCKED.format(slot=1)]
    result = attempts.attempt_save(attempt=attempt, responses={1: WRONG["single"]}, by=learner, now=NOW)
    assert result.errors == {1: [attempts.SLOT_LOCKED.format(slot=1)]}

    submitted = attempts.attempt_submit(attempt=attempt, by=learner, now=NOW)
    first = answers_of(submitted)[0]
    assert (first.mark, first.state, first.tries) == (Decimal("2.00000"), AnswerState.RIGHT, 2)


def test_a_question_right_at_the_first_try_keeps_its_full_mark(quiz_world: QuizWorld) -> None:
    attempt = quiz_world.start(interactive(quiz_world))
    answer = attempts.attempt_check(attempt=attempt, slot=1, raw=RIGHT["single"], by=quiz_world.learner, now=NOW)
    assert (answer.mark, answer.locked) == (Decimal(3), True)


def test_the_last_try_settles_the_question(quiz_world: QuizWorld) -> None:
    attempt = quiz_world.start(interactive(quiz_world, tries=2))
    learner = quiz_world.learner
    attempts.attempt_check(attempt=attempt, slot=1, raw=WRONG["single"], by=learner, now=NOW)
    last = attempts.attempt_check(attempt=attempt, slot=1, raw=PARTIAL["single"], by=learner, now=NOW)
    assert (last.tries, last.locked, last.fraction) == (2, True, Decimal("0.5"))
    # Half right, less the one wrong try's penalty: 3 × (0.5 − 0.3333333), to 5 places.
    assert last.mark == Decimal("0.50000")


def test_a_changed_answer_after_a_wrong_try_is_graded_at_submission_with_the_penalty(quiz_world: QuizWorld) -> None:
    attempt = quiz_world.start(interactive(quiz_world, penalty="0.25"))
    learner = quiz_world.learner
    attempts.attempt_check(attempt=attempt, slot=1, raw=WRONG["single"], by=learner, now=NOW)
    attempts.attempt_save(attempt=attempt, responses={1: RIGHT["single"]}, by=learner, now=NOW)
    submitted = attempts.attempt_submit(attempt=attempt, by=learner, now=NOW)
    assert answers_of(submitted)[0].mark == Decimal("2.25")


def test_essays_and_deferred_quizzes_have_no_check(quiz_world: QuizWorld, three: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as exc:
        attempts.attempt_check(attempt=three["attempt"], slot=1, raw=RIGHT["truefalse"], by=quiz_world.learner)
    assert exc.value.messages == [attempts.NO_TRIES.format(slot=1)]

    attempt = quiz_world.start(interactive(quiz_world, title="Interactive"))
    with pytest.raises(ValidationError) as exc:
        attempts.attempt_check(attempt=attempt, slot=2, raw=RIGHT["essay"], by=quiz_world.learner, now=NOW)
    assert exc.value.messages == [attempts.NO_TRIES.format(slot=2)]


def test_a_check_needs_an_answer_and_an_existing_slot(quiz_world: QuizWorld) -> None:
    attempt = quiz_world.start(interactive(quiz_world))
    with pytest.raises(ValidationError) as exc:
        attempts.attempt_check(attempt=attempt, slot=1, raw={}, by=quiz_world.learner, now=NOW)
    assert errors_of(exc) == {"response": [attempts.CHECK_EMPTY]}
    for slot in (9, "nine"):
        with pytest.raises(ValidationError) as exc:
            attempts.attempt_check(attempt=attempt, slot=slot, raw=RIGHT["single"], by=quiz_world.learner, now=NOW)
        assert exc.value.messages == [attempts.UNKNOWN_SLOT.format(slot=slot)]
    assert answers_of(attempt)[0].tries == 0


def test_a_check_on_a_page_left_behind_is_refused_in_sequential_navigation(quiz_world: QuizWorld) -> None:
    attempt = quiz_world.start(interactive(quiz_world, navigation="sequential"))
    attempts.attempt_save(attempt=attempt, responses={}, by=quiz_world.learner, page=1, now=NOW)
    with pytest.raises(ValidationError) as exc:
        attempts.attempt_check(attempt=attempt, slot=1, raw=RIGHT["single"], by=quiz_world.learner, now=NOW)
    assert exc.value.messages == [attempts.PAGE_LEFT.format(slot=1)]


# --- submitting -----------------------------------------------------------------------------------------------


def test_submitting_grades_every_answer_and_the_attempt(quiz_world: QuizWorld, three: dict[str, Any]) -> None:
    attempt = three["attempt"]
    attempts.attempt_save(
        attempt=attempt, responses={1: RIGHT["truefalse"], 2: PARTIAL["single"]}, by=quiz_world.learner, now=NOW
    )
    later = NOW + dt.timedelta(minutes=3)
    submitted = attempts.attempt_submit(attempt=attempt, by=quiz_world.learner, now=later)

    assert submitted.state == AttemptState.FINISHED
    assert submitted.finished_at == later
    assert submitted.submitted_late is False
    tf, single, short = answers_of(submitted)
    assert (tf.state, tf.fraction, tf.mark) == (AnswerState.RIGHT, Decimal(1), Decimal(1))
    assert (single.state, single.fraction, single.mark) == (AnswerState.PARTIAL, Decimal("0.5"), Decimal(1))
    assert (short.state, short.fraction, short.mark) == (AnswerState.GAVE_UP, Decimal(0), Decimal(0))
    assert all(a.locked for a in (tf, single, short))
    assert tf.history[-1]["kind"] == "submit"
    # 2 of 4 marks: 50 %, which is the pass mark.
    assert (submitted.marks, submitted.max_marks, submitted.grade, submitted.passed) == (
        Decimal(2),
        Decimal(4),
        Decimal(50),
        True,
    )


def test_a_wrong_answer_is_graded_wrong(quiz_world: QuizWorld, three: dict[str, Any]) -> None:
    submitted = quiz_world.take(three["quiz"], {1: WRONG["truefalse"], 2: WRONG["single"], 3: WRONG["shortanswer"]})
    assert [a.state for a in answers_of(submitted)] == [AnswerState.WRONG] * 3
    assert (submitted.marks, submitted.grade, submitted.passed) == (Decimal(0), Decimal(0), False)


def test_an_essay_leaves_the_attempt_waiting_for_a_grader(quiz_world: QuizWorld) -> None:
    essay = quiz_world.make_question("essay", default_mark="4")
    tf = quiz_world.make_question("truefalse")
    quiz = quiz_world.publish_quiz(slots=[fixed(essay), fixed(tf)])
    submitted = quiz_world.take(quiz, {1: RIGHT["essay"], 2: RIGHT["truefalse"]})
    assert submitted.state == AttemptState.NEEDS_GRADING
    assert (submitted.marks, submitted.grade, submitted.passed) == (Decimal(1), None, None)
    essay_answer = answers_of(submitted)[0]
    assert (essay_answer.state, essay_answer.fraction, essay_answer.mark) == (AnswerState.NEEDS_GRADING, None, None)


def test_an_unanswered_essay_is_not_waiting_for_anyone(quiz_world: QuizWorld) -> None:
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("essay"))])
    submitted = quiz_world.take(quiz, {})
    assert submitted.state == AttemptState.FINISHED
    assert answers_of(submitted)[0].state == AnswerState.GAVE_UP
    assert submitted.grade == Decimal(0)


def test_submitting_twice_changes_nothing_the_second_time(
    quiz_world: QuizWorld,
    three: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
    quiz_signals: list[Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = attempts.attempt_submit(attempt=three["attempt"], by=quiz_world.learner, now=NOW)
        again = attempts.attempt_submit(attempt=first, by=quiz_world.learner, now=NOW + dt.timedelta(hours=1))
        stale = attempts.attempt_submit(
            attempt=three["attempt"], by=quiz_world.learner, now=NOW + dt.timedelta(hours=2)
        )
    assert again.finished_at == NOW == stale.finished_at
    assert [s.signal for s in quiz_signals].count("submitted") == 1
    assert [entry["kind"] for entry in answers_of(first)[0].history] == ["submit"]


def test_a_quiz_of_descriptions_only_is_worth_full_marks(quiz_world: QuizWorld) -> None:
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("description"))])
    submitted = quiz_world.take(quiz, {})
    assert (submitted.max_marks, submitted.grade, submitted.state) == (Decimal(0), Decimal(100), "finished")
    assert answers_of(submitted)[0].state == AnswerState.INFO


# --- the quiz grade and progress ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "grade"),
    [("highest", Decimal(100)), ("average", Decimal("50.00")), ("first", Decimal(50)), ("last", Decimal(0))],
)
def test_the_quiz_grade_follows_the_grading_method(quiz_world: QuizWorld, method: str, grade: Decimal) -> None:
    questions = [quiz_world.make_question("truefalse", name=f"Q{n}") for n in range(2)]
    quiz = quiz_world.publish_quiz(slots=[fixed(q) for q in questions], grading_method=method, pass_mark="50")
    tf_right, tf_wrong = RIGHT["truefalse"], WRONG["truefalse"]
    for responses in ({1: tf_right, 2: tf_wrong}, {1: tf_right, 2: tf_right}, {1: tf_wrong, 2: tf_wrong}):
        quiz_world.take(quiz, responses)
    assert attempts.quiz_grade(
        user_id=quiz_world.learner.pk, course_id=quiz_world.course.pk, activity_uid=quiz_world.quizzes[0].uid
    ) == (grade, grade >= 50)


@pytest.mark.parametrize(("method", "known"), [("highest", True), ("average", False), ("first", True), ("last", False)])
def test_an_attempt_waiting_for_a_grader_keeps_first_last_and_average_unknown(
    quiz_world: QuizWorld, method: str, known: bool
) -> None:
    essay = quiz_world.make_question("essay")
    quiz = quiz_world.publish_quiz(slots=[fixed(essay)], grading_method=method)
    quiz_world.take(quiz, {})  # no answer: 0, graded
    quiz_world.take(quiz, {1: RIGHT["essay"]})  # waits for a grader
    grade, passed = attempts.quiz_grade(
        user_id=quiz_world.learner.pk, course_id=quiz_world.course.pk, activity_uid=quiz_world.quizzes[0].uid
    )
    assert (grade, passed) == ((Decimal(0), True) if known else (None, None))


def progress_row(quiz_world: QuizWorld) -> ActivityProgress:
    return ActivityProgress.objects.get(activity_uid=quiz_world.quizzes[0].uid)


def test_a_passing_attempt_tells_progress_and_completes_the_activity(
    quiz_world: QuizWorld, three: dict[str, Any], django_capture_on_commit_callbacks: Any, quiz_signals: list[Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        attempts.attempt_save(
            attempt=three["attempt"],
            responses={1: RIGHT["truefalse"], 2: RIGHT["single"], 3: WRONG["shortanswer"]},
            by=quiz_world.learner,
            now=NOW,
        )
        attempts.attempt_submit(attempt=three["attempt"], by=quiz_world.learner, now=NOW)

    assert [s.signal for s in quiz_signals] == ["submitted", "graded", "passed"]
    graded = quiz_signals[1]
    assert graded.kind == "quiz"
    assert (graded.user_id, graded.course_id, graded.version_id) == (
        quiz_world.learner.pk,
        quiz_world.course.pk,
        quiz_world.version.pk,
    )
    assert graded.activity_uid == quiz_world.quizzes[0].uid
    assert graded.at == NOW
    assert graded.data == {"score": "75.00", "scale": "percent", "replace": True, "passed": True}
    row = progress_row(quiz_world)
    assert (row.state, row.score, row.passed) == ("completed", Decimal("75.00"), True)
    assert row.signals == ["submitted", "graded", "passed"]
    enrollment = Enrollment.objects.get(course=quiz_world.course, membership=quiz_world.world.learner)
    assert enrollment.progress_percent == 100


def test_a_failing_attempt_is_graded_but_does_not_complete_the_activity(
    quiz_world: QuizWorld, three: dict[str, Any], django_capture_on_commit_callbacks: Any, quiz_signals: list[Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        quiz_world.take(three["quiz"], {1: WRONG["truefalse"], 2: PARTIAL["single"]})
    assert [s.signal for s in quiz_signals] == ["submitted", "graded"]
    assert quiz_signals[1].data["passed"] is False
    row = progress_row(quiz_world)
    assert (row.state, row.score, row.passed) == ("in_progress", Decimal("25.00"), False)


def test_with_the_last_attempt_grading_a_lower_grade_replaces_the_score(
    quiz_world: QuizWorld, django_capture_on_commit_callbacks: Any
) -> None:
    quiz = quiz_world.publish_quiz(
        slots=[fixed(quiz_world.make_question("truefalse"))], grading_method="last", completion="graded"
    )
    with django_capture_on_commit_callbacks(execute=True):
        quiz_world.take(quiz, {1: RIGHT["truefalse"]})
    assert progress_row(quiz_world).score == Decimal(100)
    with django_capture_on_commit_callbacks(execute=True):
        quiz_world.take(quiz, {1: WRONG["truefalse"]})
    assert progress_row(quiz_world).score == Decimal(0)


def test_using_the_last_attempt_signals_exhausted_and_may_complete_the_activity(
    quiz_world: QuizWorld, django_capture_on_commit_callbacks: Any, quiz_signals: list[Any]
) -> None:
    quiz = quiz_world.publish_quiz(
        slots=[fixed(quiz_world.make_question("truefalse"))],
        attempts_allowed=2,
        pass_mark="100",
        completion="passed_or_exhausted",
    )
    with django_capture_on_commit_callbacks(execute=True):
        quiz_world.take(quiz, {1: WRONG["truefalse"]})
    assert "exhausted" not in [s.signal for s in quiz_signals]
    assert progress_row(quiz_world).state == "in_progress"
    with django_capture_on_commit_callbacks(execute=True):
        quiz_world.take(quiz, {1: WRONG["truefalse"]})
    assert [s.signal for s in quiz_signals][-1] == "exhausted"
    assert progress_row(quiz_world).state == "completed"


def test_an_essay_is_graded_for_progress_only_once_a_person_grades_it(
    quiz_world: QuizWorld, django_capture_on_commit_callbacks: Any, quiz_signals: list[Any]
) -> None:
    quiz = quiz_world.publish_quiz(
        slots=[fixed(quiz_world.make_question("essay", default_mark="4"))], pass_mark="50", attempts_allowed=1
    )
    with django_capture_on_commit_callbacks(execute=True):
        attempt = quiz_world.take(quiz, {1: RIGHT["essay"]})
    assert [s.signal for s in quiz_signals] == ["submitted"]
    with django_capture_on_commit_callbacks(execute=True):
        attempts.answer_grade(answer=answers_of(attempt)[0], mark="3", comment="Good", by=quiz_world.owner, now=NOW)
    assert [s.signal for s in quiz_signals] == ["submitted", "graded", "passed", "exhausted"]
    assert quiz_signals[1].data["score"] == "75.00"
    assert progress_row(quiz_world).state == "completed"


# --- manual grading -------------------------------------------------------------------------------------------


@pytest.fixture
def essay_attempt(quiz_world: QuizWorld) -> Attempt:
    essay = quiz_world.make_question("essay", default_mark="4")
    tf = quiz_world.make_question("truefalse")
    quiz = quiz_world.publish_quiz(slots=[fixed(essay), fixed(tf)], pass_mark="60")
    return quiz_world.take(quiz, {1: RIGHT["essay"], 2: RIGHT["truefalse"]})


def test_a_grader_marks_an_essay_and_the_attempt_is_graded(quiz_world: QuizWorld, essay_attempt: Attempt) -> None:
    answer = answers_of(essay_attempt)[0]
    graded = attempts.answer_grade(
        answer=answer, mark="2.5", comment="<p>Good <script>x</script></p>", by=quiz_world.owner, now=NOW
    )
    assert (graded.mark, graded.fraction, graded.state) == (Decimal("2.5"), Decimal("0.625"), "manually_graded")
    assert (graded.graded_by, graded.graded_at) == (quiz_world.owner, NOW)
    assert "<script>" not in graded.comment and "Good" in graded.comment
    assert graded.history[-1] == {
        "at": NOW.isoformat(),
        "kind": "manual",
        "fraction": "0.6250000",
        "by": graded.graded_by.pk,
    }
    essay_attempt.refresh_from_db()
    # 2.5 + 1 of 5 marks.
    assert (essay_attempt.state, essay_attempt.marks, essay_attempt.grade, essay_attempt.passed) == (
        AttemptState.FINISHED,
        Decimal("3.5"),
        Decimal(70),
        True,
    )


def test_grading_again_recomputes_the_attempt(quiz_world: QuizWorld, essay_attempt: Attempt) -> None:
    answer = answers_of(essay_attempt)[0]
    attempts.answer_grade(answer=answer, mark="4", by=quiz_world.owner, now=NOW)
    attempts.answer_grade(answer=answer, mark="0", by=quiz_world.owner, now=NOW)
    essay_attempt.refresh_from_db()
    assert (essay_attempt.grade, essay_attempt.passed) == (Decimal(20), False)


def test_manual_grading_is_audited(quiz_world: QuizWorld, essay_attempt: Attempt) -> None:
    answer = answers_of(essay_attempt)[0]
    attempts.answer_grade(answer=answer, mark="3", by=quiz_world.owner, now=NOW)
    record = AuditRecord.objects.get(action="assessment.answer_graded")
    assert record.organization_id == quiz_world.world.org.pk
    assert record.before == {"mark": None, "state": "needs_grading"}
    assert record.after == {"mark": "3.00000", "attempt": str(essay_attempt.public_id), "slot": 1}


@pytest.mark.parametrize("mark", ["-1", "4.001", "abc", "NaN", "Infinity", "", True, "9" * 100])
def test_a_mark_outside_zero_to_the_question_mark_is_refused(
    quiz_world: QuizWorld, essay_attempt: Attempt, mark: Any
) -> None:
    answer = answers_of(essay_attempt)[0]
    with pytest.raises(ValidationError) as exc:
        attempts.answer_grade(answer=answer, mark=mark, by=quiz_world.owner, now=NOW)
    assert errors_of(exc) == {"mark": [attempts.MARK_RANGE.format(max=4)]}
    answer.refresh_from_db()
    assert answer.state == AnswerState.NEEDS_GRADING


def test_a_too_long_comment_is_refused(quiz_world: QuizWorld, essay_attempt: Attempt) -> None:
    with pytest.raises(ValidationError) as exc:
        attempts.answer_grade(
            answer=answers_of(essay_attempt)[0], mark="1", comment="x" * 20_001, by=quiz_world.owner, now=NOW
        )
    assert errors_of(exc) == {"comment": [attempts.COMMENT_TOO_LONG.format(limit="20,000")]}


def test_only_the_course_team_grades(quiz_world: QuizWorld, essay_attempt: Attempt, world: World) -> None:
    answer = answers_of(essay_attempt)[0]
    for person in (world.learner.user, world.outsider.user, world.manager.user):
        with pytest.raises(PermissionDenied):
            attempts.answer_grade(answer=answer, mark="1", by=person, now=NOW)
    assert not AuditRecord.objects.filter(action="assessment.answer_graded").exists()


def test_an_attempt_in_progress_and_a_description_are_not_graded_by_hand(quiz_world: QuizWorld) -> None:
    info = quiz_world.make_question("description")
    essay = quiz_world.make_question("essay")
    quiz = quiz_world.publish_quiz(slots=[fixed(essay), fixed(info)])
    attempt = quiz_world.start(quiz)
    with pytest.raises(ValidationError) as exc:
        attempts.answer_grade(answer=answers_of(attempt)[0], mark="1", by=quiz_world.owner, now=NOW)
    assert exc.value.messages == [attempts.NOT_WAITING]
    attempt = attempts.attempt_submit(attempt=attempt, by=quiz_world.learner, now=NOW)
    with pytest.raises(ValidationError) as exc:
        attempts.answer_grade(answer=answers_of(attempt)[1], mark="0", by=quiz_world.owner, now=NOW)
    assert exc.value.messages == [attempts.NOT_GRADED]


# --- overrides ------------------------------------------------------------------------------------------------


def override(quiz_world: QuizWorld, quiz: dict[str, Any], **values: Any) -> QuizOverride:
    values.setdefault("reason", "Extra time for dyslexia")
    return attempts.override_set(
        course=quiz_world.course, activity_uid=uid_of(quiz), user=quiz_world.learner, by=quiz_world.owner, **values
    )


def uid_of(quiz: dict[str, Any]) -> uuid.UUID:
    return uuid.UUID(str(quiz["uid"]))


def test_an_override_is_set_replaced_and_removed_with_audit(quiz_world: QuizWorld) -> None:
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("truefalse"))], time_limit_minutes=20)
    first = override(quiz_world, quiz, time_limit_minutes=40)
    second = override(quiz_world, quiz, extra_attempts=2, reason="Illness")
    assert QuizOverride.objects.count() == 1
    assert second.pk == first.pk
    assert (second.time_limit_minutes, second.extra_attempts, second.reason) == (None, 2, "Illness")
    assert second.created_by == quiz_world.owner

    records = list(AuditRecord.objects.filter(action="assessment.override_set").order_by("seq"))
    assert len(records) == 2
    assert records[0].after["time_limit_minutes"] == 40
    assert records[1].after["extra_attempts"] == 2
    # A replacement keeps what it replaced: the trail shows the change, not only the result.
    assert records[0].before is None
    assert records[1].before["time_limit_minutes"] == 40 and records[1].before["extra_attempts"] == 0
    # The reason may say something personal: it is not in the record's open part.
    assert "Illness" not in str(records[1].after)

    attempts.override_remove(override=second, by=quiz_world.owner)
    assert not QuizOverride.objects.exists()
    removed = AuditRecord.objects.get(action="assessment.override_removed")
    assert removed.before == {
        "course": quiz_world.course.pk, "activity": str(quiz["uid"]), "time_limit_minutes": None,
        "extra_attempts": 2, "opens_at": None, "closes_at": None, "skip_password": False,
    }  # fmt: skip


def test_an_override_needs_a_reason_and_a_change(quiz_world: QuizWorld) -> None:
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("truefalse"))])
    with pytest.raises(ValidationError) as exc:
        override(quiz_world, quiz, reason="   ")
    assert errors_of(exc) == {
        "reason": [attempts.OVERRIDE_REASON_REQUIRED],
        "__all__": [attempts.OVERRIDE_EMPTY],
    }
    assert not QuizOverride.objects.exists()
    assert not AuditRecord.objects.filter(action="assessment.override_set").exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"time_limit_minutes": -5}, "time_limit_minutes"),
        ({"time_limit_minutes": 10**9}, "time_limit_minutes"),
        ({"time_limit_minutes": "soon"}, "time_limit_minutes"),
        ({"extra_attempts": -1}, "extra_attempts"),
        ({"extra_attempts": "many"}, "extra_attempts"),
        ({"extra_attempts": 101}, "extra_attempts"),
        ({"opens_at": NOW, "closes_at": NOW}, "closes_at"),
    ],
)
def test_an_override_refuses_numbers_and_dates_out_of_range(
    quiz_world: QuizWorld, values: dict[str, Any], field: str
) -> None:
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("truefalse"))])
    with pytest.raises(ValidationError) as exc:
        override(quiz_world, quiz, **values)
    assert field in errors_of(exc)
    assert not QuizOverride.objects.exists()


def test_an_override_is_for_a_person_of_the_organisation_given_by_the_course_team(
    quiz_world: QuizWorld, world: World
) -> None:
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("truefalse"))])
    with pytest.raises(ValidationError) as exc:
        attempts.override_set(
            course=quiz_world.course,
            activity_uid=uid_of(quiz),
            user=world.outsider.user,
            by=quiz_world.owner,
            reason="Why not",
            extra_attempts=1,
        )
    assert errors_of(exc) == {"user": [attempts.OVERRIDE_NOT_LEARNER]}
    for person in (world.learner.user, world.outsider.user):
        with pytest.raises(PermissionDenied):
            attempts.override_set(
                course=quiz_world.course,
                activity_uid=uid_of(quiz),
                user=world.learner.user,
                by=person,
                reason="Myself",
                extra_attempts=5,
            )
    made = override(quiz_world, quiz, extra_attempts=1)
    with pytest.raises(PermissionDenied):
        attempts.override_remove(override=made, by=world.learner.user)


def test_an_override_moves_the_dates_and_the_time_limit_for_one_person(quiz_world: QuizWorld, world: World) -> None:
    closes = NOW - dt.timedelta(hours=1)
    quiz = quiz_world.publish_quiz(
        slots=[fixed(quiz_world.make_question("truefalse"))], closes_at=closes.isoformat(), time_limit_minutes=20
    )
    later = NOW + dt.timedelta(days=2)
    override(quiz_world, quiz, closes_at=later, time_limit_minutes=45)

    attempt = quiz_world.start(quiz)
    assert attempt.deadline == NOW + dt.timedelta(minutes=45)
    assert attempt.settings["time_limit_minutes"] == 45
    assert attempt.settings["closes_at"] == later.isoformat()

    # Everyone else: closed.
    other = member(world, "Otto Other")
    with pytest.raises(ValidationError) as exc:
        quiz_world.start(quiz, other.user)
    assert exc.value.messages == [attempts.CLOSED.format(when=attempts._when(closes))]


def test_an_override_may_open_the_quiz_earlier(quiz_world: QuizWorld) -> None:
    opens = NOW + dt.timedelta(days=1)
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("truefalse"))], opens_at=opens.isoformat())
    override(quiz_world, quiz, opens_at=NOW - dt.timedelta(hours=1))
    assert quiz_world.start(quiz).number == 1


def test_extra_attempts_do_not_limit_an_unlimited_quiz(quiz_world: QuizWorld) -> None:
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("truefalse"))])
    override(quiz_world, quiz, extra_attempts=1)
    for number in (1, 2, 3):
        assert quiz_world.take(quiz, {1: RIGHT["truefalse"]}).number == number


# --- marks add up ---------------------------------------------------------------------------------------------

FRACTIONS = ["0", "0.1", "0.25", "0.3333333", "0.5", "0.6666667", "0.9", "1"]
MARKS = ["0", "0.5", "1", "1.333", "2", "2.5", "7", "10", "999.999"]


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(slots=st.lists(st.tuples(st.sampled_from(FRACTIONS), st.sampled_from(MARKS)), min_size=1, max_size=5))
def test_attempt_marks_are_the_sum_of_fraction_times_mark_and_the_grade_a_percentage(
    world: World, slots: list[tuple[str, str]]
) -> None:
    quiz_world = make_quiz_world(world, title="Marks")  # a new course per example: no attempt limit carries over
    questions = []
    for fraction, _mark in slots:
        options = [
            {"id": "a1", "text": "Best", "fraction": "1", "feedback": ""},
            {"id": "a2", "text": "Chosen", "fraction": fraction, "feedback": ""},
        ]
        data = {"options": options, "shuffle": False, "numbering": "abc"}
        questions.append(quiz_world.make_question("single", data=data))
    quiz = quiz_world.publish_quiz(slots=[fixed(q, mark) for q, (_f, mark) in zip(questions, slots, strict=True)])
    attempt = quiz_world.take(quiz, {n: {"choice": "a2"} for n in range(1, len(slots) + 1)})

    places = Decimal("0.00001")
    expected = sum(((Decimal(f) * Decimal(m)).quantize(places, ROUND_HALF_UP) for f, m in slots), Decimal(0))
    total = sum((Decimal(m) for _f, m in slots), Decimal(0))
    assert attempt.max_marks == total
    assert attempt.marks == expected
    # Each answer rounds its own mark: never more than half a unit of the last place each from the exact sum.
    exact = sum((Decimal(f) * Decimal(m) for f, m in slots), Decimal(0))
    assert abs(attempt.marks - exact) <= places / 2 * len(slots)
    assert attempt.grade is not None and Decimal(0) <= attempt.grade <= Decimal(100)
    if total:
        assert attempt.grade == (expected / total * 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
    else:
        assert attempt.grade == Decimal(100)
