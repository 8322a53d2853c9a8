"""The quiz activity kind: its completion contract, the author form (settings, review options, slots) read into
quiz_settings.py's config shape with clear messages for every mistake, the form drawn back with the author's input,
and search, review diff and course copy."""

# Fixtures imported from conftest modules are redefined as test parameters, as pytest intends.
# ruff: noqa: F811

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.test import RequestFactory
from django.urls import reverse
from django.utils.html import escape

from syllabus.assessment import quiz_kind
from syllabus.assessment.models import QuestionBank
from syllabus.assessment.quiz_kind import QuizKind
from syllabus.assessment.quiz_settings import QuizSettings
from syllabus.assessment.services import questions as question_services
from syllabus.catalog import services as catalog_services
from syllabus.catalog.activity_kinds import base as kinds
from syllabus.skills.models import Skill
from tests.assessment.conftest import QuizWorld, make_quiz_world
from tests.assessment.quiz.conftest import SignIn, as_person  # noqa: F401
from tests.conftest import World
from tests.factories import staff

pytestmark = pytest.mark.django_db
kind = QuizKind()

FORM = {
    "quiz_form": "1",
    "intro": "<p>Ten questions.<script>alert(1)</script></p>",
    "opens_at": "2026-03-02T09:00",
    "closes_at": "2026-03-09T18:30",
    "time_limit_minutes": "30",
    "attempts_allowed": "2",
    "delay_minutes": "60",
    "password": " room-12 ",
    "questions_per_page": "5",
    "shuffle_questions": "on",
    "navigation": "sequential",
    "behaviour": "interactive",
    "tries": "2",
    "penalty": "0.25",
    "grading_method": "average",
    "pass_mark": "62.5",
    "review_immediately_responses": "on",
    "review_immediately_marks": "on",
    "review_after_close_responses": "on",
    "review_after_close_right_answer": "on",
}


def form(**changes: Any) -> QueryDict:
    data = QueryDict(mutable=True)
    for key, value in {**FORM, **changes}.items():
        if value is None:
            continue
        if isinstance(value, list):
            data.setlist(key, value)
        else:
            data[key] = value
    return data


def slots(*rows: dict[str, Any]) -> dict[str, Any]:
    """Slot rows of the form, numbered in order, plus the count of rows."""
    out: dict[str, Any] = {"slot_rows": str(len(rows))}
    for index, row in enumerate(rows):
        for name, value in row.items():
            out[f"slot-{index}-{name}"] = value
    return out


def clean(quiz_world: QuizWorld, data: Any, *, by: Any = None, current: dict[str, Any] | None = None) -> dict:
    context = kinds.AuthorContext(course=quiz_world.course, by=by or quiz_world.owner, current=current or {})
    return kind.clean(data=data, files={}, context=context)


def errors_of(quiz_world: QuizWorld, data: Any, **kw: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        clean(quiz_world, data, **kw)
    return caught.value.message_dict


@pytest.fixture
def paris(world: World) -> World:
    world.org.default_time_zone = "Europe/Paris"
    world.org.save()
    return world


# --- the contract -------------------------------------------------------------------------------------------------


def test_the_quiz_kind_completes_by_pass_exhaustion_grade_or_submission() -> None:
    registered = kinds.get("quiz")
    assert isinstance(registered, QuizKind)
    assert registered.signals == ("submitted", "graded", "passed", "exhausted")
    assert [(r.key, r.signals) for r in registered.completion_rules] == [
        ("passed", ("passed",)),
        ("passed_or_exhausted", ("passed", "exhausted")),
        ("graded", ("graded",)),
        ("submitted", ("submitted",)),
    ]
    assert str(registered.completion_rules[0].label) == "When the learner passes"
    assert registered.clean_completion(None) == {"rule": "passed"}


# --- the form into the config -------------------------------------------------------------------------------------


def test_a_form_post_becomes_the_config_shape(quiz_world: QuizWorld, paris: World) -> None:
    fire = quiz_world.make_category("Fire")
    sub = quiz_world.make_category("Extinguishers", parent=fire)
    first = quiz_world.make_question("truefalse", category=fire, tags=["fire"], difficulty=3)
    second = quiz_world.make_question("single", category=sub, tags=["fire"], difficulty=4)
    quiz_world.make_question("shortanswer", category=sub, tags=["fire"], difficulty=5)
    quiz_world.make_question("essay", category=fire, tags=["fire"], difficulty=4)
    data = form(
        **slots(
            {"type": "fixed", "question": str(second.pk), "mark": "2.50", "order": "2"},
            {"type": "random", "category": str(fire.pk), "subcategories": "on", "tags": "Fire, ",
             "min_difficulty": "3", "max_difficulty": "5", "count": "2", "mark": "", "order": "1"},
            {"type": "fixed", "question": str(first.pk), "remove": "on"},
            {"type": "fixed", "question": "", "mark": ""},  # a blank row
        )
    )  # fmt: skip
    config = clean(quiz_world, data)
    assert config == {
        "intro": "<p>Ten questions.</p>",
        "slots": [
            {
                "type": "random",
                "bank_id": quiz_world.bank.pk,
                "category_id": fire.pk,
                "include_subcategories": True,
                "tags": ["fire"],
                "skill_ids": [],
                "min_difficulty": 3,
                "max_difficulty": 5,
                "count": 2,
                "mark": "",
            },
            {"type": "fixed", "question_id": second.pk, "mark": "2.5"},
        ],
        "questions_per_page": 5,
        "shuffle_questions": True,
        "shuffle_options": False,  # not ticked
        "navigation": "sequential",
        # Read in the organisation's time zone (Paris is UTC+1 in March).
        "opens_at": "2026-03-02T08:00:00+00:00",
        "closes_at": "2026-03-09T17:30:00+00:00",
        "time_limit_minutes": 30,
        "attempts_allowed": 2,
        "delay_minutes": 60,
        "password": "room-12",
        "behaviour": "interactive",
        "tries": 2,
        "penalty": "0.25",
        "grading_method": "average",
        "pass_mark": "62.5",
        "review": {
            "immediately": {
                "responses": True,
                "correctness": False,
                "marks": True,
                "feedback": False,
                "general_feedback": False,
                "right_answer": False,
            },
            "after_close": {
                "responses": True,
                "correctness": False,
                "marks": False,
                "feedback": False,
                "general_feedback": False,
                "right_answer": True,
            },
        },
    }
    quiz = QuizSettings.from_config(config)
    assert quiz.pass_mark == Decimal("62.5") and quiz.penalty == Decimal("0.25")
    assert [s.type for s in quiz.slots] == ["random", "fixed"] and quiz.slots[1].mark == Decimal("2.5")


def test_the_api_may_send_only_what_changes(quiz_world: QuizWorld) -> None:
    question = quiz_world.make_question("truefalse")
    current = clean(quiz_world, form(**slots({"type": "fixed", "question": str(question.pk)})))
    changed = clean(quiz_world, {"pass_mark": 75, "review": {"after_close": {"marks": False}}}, current=current)
    assert changed["pass_mark"] == "75"
    assert changed["slots"] == current["slots"] == [{"type": "fixed", "question_id": question.pk, "mark": ""}]
    assert changed["shuffle_questions"] is True and changed["password"] == "room-12"
    assert changed["review"]["after_close"]["marks"] is False
    assert changed["review"]["immediately"]["feedback"] is True  # a flag not sent: the default (shown)


def test_the_api_sends_slots_in_the_config_shape(quiz_world: QuizWorld) -> None:
    question = quiz_world.make_question("truefalse")
    quiz_world.make_question("single")
    config = clean(
        quiz_world,
        {"slots": [{"type": "fixed", "question_id": question.pk, "mark": "3"},
                   {"type": "random", "category_id": quiz_world.category.pk, "count": 1}]},
    )  # fmt: skip
    assert config["slots"] == [
        {"type": "fixed", "question_id": question.pk, "mark": "3"},
        {"type": "random", "bank_id": quiz_world.bank.pk, "category_id": quiz_world.category.pk,
         "include_subcategories": False, "tags": [], "skill_ids": [], "min_difficulty": None,
         "max_difficulty": None, "count": 1, "mark": ""},
    ]  # fmt: skip
    assert config["behaviour"] == "deferred" and config["questions_per_page"] == 1


def test_every_setting_mistake_is_named_at_once(quiz_world: QuizWorld) -> None:
    errors = errors_of(
        quiz_world,
        form(
            intro="x" * (quiz_kind.INTRO_LIMIT + 1),
            opens_at="2026-03-09T10:00",
            closes_at="2026-03-02T10:00",
            time_limit_minutes="0",
            attempts_allowed="-1",
            delay_minutes="ten",
            password="p" * 101,
            questions_per_page="1000",
            navigation="backwards",
            behaviour="adaptive",
            tries="11",
            penalty="1.5",
            grading_method="best",
            pass_mark="101",
        ),
    )
    assert errors == {
        "intro": [quiz_kind.INTRO_TOO_LONG.format(limit="200,000")],
        "closes_at": [quiz_kind.DATES_ORDER],
        "time_limit_minutes": [quiz_kind.TIME_LIMIT_RANGE.format(high=10080)],
        "attempts_allowed": ["Enter a whole number from 0 to 100."],
        "delay_minutes": ["Enter a whole number from 0 to 525600."],
        "password": [quiz_kind.PASSWORD_TOO_LONG.format(limit=100)],
        "questions_per_page": ["Enter a whole number from 0 to 100."],
        "navigation": [quiz_kind.BAD_CHOICE.format(choices="free, sequential")],
        "behaviour": [quiz_kind.BAD_CHOICE.format(choices="deferred, interactive")],
        "tries": ["Enter a whole number from 1 to 10."],
        "penalty": [quiz_kind.PENALTY_RANGE],
        "grading_method": [quiz_kind.BAD_CHOICE.format(choices="highest, average, first, last")],
        "pass_mark": [quiz_kind.PASS_MARK_RANGE],
    }


def test_a_date_that_is_not_one_is_refused(quiz_world: QuizWorld) -> None:
    assert errors_of(quiz_world, form(opens_at="next tuesday")) == {"opens_at": [quiz_kind.BAD_DATE]}
    assert errors_of(quiz_world, {"closes_at": "2026-02-30T10:00"}) == {"closes_at": [quiz_kind.BAD_DATE]}


def test_slot_mistakes_are_named_beside_their_row(quiz_world: QuizWorld, world: World) -> None:
    question = quiz_world.make_question("truefalse")
    elsewhere = make_quiz_world(world, "Another course")
    foreign = elsewhere.make_question("truefalse")
    skill = Skill.objects.create(organization=world.other_org, code="other", name="Other org's skill")
    data = form(
        **slots(
            {"type": "fixed", "question": "", "mark": "2"},
            {"type": "fixed", "question": str(foreign.pk)},
            {"type": "fixed", "question": str(question.pk), "mark": "1001"},
            {"type": "fixed", "question": str(question.pk)},
            {"type": "random", "category": str(elsewhere.category.pk)},
            {"type": "random", "category": str(quiz_world.category.pk), "count": "0"},
            {"type": "random", "category": str(quiz_world.category.pk), "min_difficulty": "4", "max_difficulty": "2"},
            {"type": "random", "category": str(quiz_world.category.pk), "skills": [str(skill.pk)]},
            {"type": "random", "category": str(quiz_world.category.pk), "tags": ",".join(f"t{n}" for n in range(21))},
            {"type": "essay", "question": str(question.pk)},
        )
    )
    assert errors_of(quiz_world, data) == {
        "slot-0-question": [quiz_kind.QUESTION_REQUIRED.format(slot=1)],
        "slot-1-question": [quiz_kind.QUESTION_NOT_FOUND.format(slot=2, ref=foreign.pk)],
        "slot-2-mark": [quiz_kind.SLOT_MARK_RANGE.format(slot=3)],
        "slot-3-question": [quiz_kind.QUESTION_REPEATED.format(slot=4, first=3)],
        "slot-4-category": [quiz_kind.CATEGORY_NOT_FOUND.format(slot=5)],
        "slot-5-count": [quiz_kind.COUNT_RANGE.format(slot=6, high=100)],
        "slot-6-difficulty": [quiz_kind.DIFFICULTY_ORDER.format(slot=7)],
        "slot-7-skills": [quiz_kind.SKILL_NOT_FOUND.format(slot=8)],
        "slot-8-tags": [quiz_kind.TOO_MANY_TAGS.format(slot=9, limit=20)],
        "slot-9-type": [quiz_kind.SLOT_TYPE.format(slot=10)],
    }


def test_a_pool_needs_enough_questions_now(quiz_world: QuizWorld) -> None:
    fire = quiz_world.make_category("Fire")
    first = quiz_world.make_question("truefalse", category=fire)
    quiz_world.make_question("truefalse", category=fire)
    hidden = quiz_world.make_question("truefalse", category=fire)
    question_services.question_set_hidden(question=hidden, hidden=True, by=quiz_world.owner)
    # Two fit, but one of them is also a fixed question of the quiz: one is left to draw.
    data = form(**slots({"type": "fixed", "question": str(first.pk)},
                        {"type": "random", "category": str(fire.pk), "count": "2"}))  # fmt: skip
    assert errors_of(quiz_world, data) == {
        "slot-1-count": [quiz_kind.POOL_TOO_SMALL.format(slot=2, category="Fire", found=1, count=2)]
    }
    # Each pool alone is big enough, together they are not.
    data = form(**slots({"type": "random", "category": str(fire.pk), "count": "2"},
                        {"type": "random", "category": str(fire.pk), "count": "1"}))  # fmt: skip
    assert errors_of(quiz_world, data) == {"slots": [quiz_kind.POOLS_TOO_SMALL.format(count=3, found=2)]}


def test_the_api_slots_must_be_a_list_of_objects_of_bounded_size(quiz_world: QuizWorld) -> None:
    assert errors_of(quiz_world, {"slots": "all of them"}) == {"slots": [quiz_kind.BAD_SLOTS]}
    assert errors_of(quiz_world, {"slots": [1, 2]}) == {"slots": [quiz_kind.BAD_SLOTS]}
    many = [{"type": "fixed", "question_id": n} for n in range(quiz_kind.MAX_SLOTS + 1)]
    assert errors_of(quiz_world, {"slots": many}) == {"slots": [quiz_kind.TOO_MANY_SLOTS.format(limit=200)]}
    assert errors_of(quiz_world, {"slots": [{"type": "fixed", "question_id": "'; drop"}]}) == {
        "slots[0].question_id": [quiz_kind.QUESTION_NOT_FOUND.format(slot=1, ref="'; drop")]
    }
    assert errors_of(quiz_world, {"review": ["all"]}) == {"review": [quiz_kind.BAD_REVIEW]}


def test_shared_banks_need_question_use(quiz_world: QuizWorld, world: World) -> None:
    shared = question_services.bank_create(organization=world.org, name="Shared safety", by=world.org_admin.user)
    question = quiz_world.make_question("truefalse", bank=shared, by=world.org_admin.user)
    data = form(**slots({"type": "fixed", "question": str(question.pk)}))
    # The instructor holds question.use: the shared bank's questions are theirs to use.
    assert clean(quiz_world, data)["slots"] == [{"type": "fixed", "question_id": question.pk, "mark": ""}]
    # A course owner without it (an engineer put on the team) may not.
    staff(quiz_world.course, world.engineer, "owner")
    assert errors_of(quiz_world, data, by=world.engineer.user) == {
        "slot-0-question": [quiz_kind.QUESTION_NOT_FOUND.format(slot=1, ref=question.pk)]
    }
    # Another organisation's shared bank is never usable.
    other = QuestionBank.objects.create(organization=world.other_org, name="Globex bank")
    assert other.pk
    assert set(quiz_kind.usable_banks(None, quiz_world.course)) == {quiz_world.bank, shared}


# --- the form drawn -------------------------------------------------------------------------------------------------


def draw(quiz_world: QuizWorld, current: dict[str, Any], *, post: QueryDict | None = None,
         errors: dict[str, list[str]] | None = None) -> str:  # fmt: skip
    factory = RequestFactory()
    request = factory.post("/", post) if post is not None else factory.get("/")
    request.user = quiz_world.owner
    return str(kind.render_author(request=request, current=current, course=quiz_world.course, errors=errors))


def test_the_author_form_lists_the_banks_questions_and_the_review_table(quiz_world: QuizWorld) -> None:
    fire = quiz_world.make_category("Fire")
    question = quiz_world.make_question("truefalse", name="Smoke <rises>", category=fire)
    config = clean(quiz_world, form(**slots({"type": "fixed", "question": str(question.pk), "mark": "2"})))
    html = draw(quiz_world, config)
    bank = quiz_world.bank.name
    assert f'<option value="{question.pk}" selected>{bank} › Fire › Smoke &lt;rises&gt; (True/false)</option>' in html
    assert f'<option value="{fire.pk}">{bank} › Fire</option>' in html
    assert 'name="slot_rows" value="4"' in html  # the slot and three blank rows
    assert 'name="slot-0-mark" id="slot-0-mark" value="2"' in html
    assert 'name="slot-0-remove"' in html and 'name="slot-1-remove"' not in html
    assert 'type="datetime-local" name="opens_at" id="id_opens_at" value="2026-03-02T09:00"' in html
    assert 'name="review_immediately_marks" id="id_review_immediately_marks" value="on" checked' in html
    assert 'name="review_immediately_feedback" id="id_review_immediately_feedback" value="on" aria' in html
    assert 'name="quiz_form" value="1"' in html
    assert "<script>" not in html.replace('<script src="', "")


def test_a_bank_too_big_for_a_list_is_chosen_by_id(quiz_world: QuizWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(quiz_kind, "QUESTION_SELECT_LIMIT", 1)
    quiz_world.make_question("truefalse")
    quiz_world.make_question("truefalse")
    html = draw(quiz_world, {})
    assert 'type="number" name="slot-0-question"' in html
    assert reverse("assessment:course-bank", args=[quiz_world.course.pk]) in html


def test_the_form_comes_back_with_what_was_typed_and_the_errors_beside_it(quiz_world: QuizWorld) -> None:
    question = quiz_world.make_question("truefalse")
    post = form(
        attempts_allowed="lots",
        review_immediately_marks=None,
        **slots({"type": "fixed", "question": str(question.pk), "mark": "x"}, {"type": "fixed"}),
    )
    errors = errors_of(quiz_world, post)
    current = {key: (post.getlist(key) if len(post.getlist(key)) > 1 else post[key]) for key in post}
    html = draw(quiz_world, current, post=post, errors=errors)
    assert 'name="attempts_allowed" id="id_attempts_allowed" value="lots"' in html
    assert 'aria-describedby="id_attempts_allowed_helptext id_attempts_allowed_error" aria-invalid="true"' in html
    assert 'name="slot-0-mark" id="slot-0-mark" value="x"' in html
    assert escape(quiz_kind.SLOT_MARK_RANGE.format(slot=1)) in html
    assert 'aria-describedby="slot-0-mark-help slot-0-mark-error" aria-invalid="true"' in html
    assert 'name="review_immediately_marks" id="id_review_immediately_marks" value="on" aria' in html  # unticked


def test_the_authoring_page_adds_a_quiz(quiz_world: QuizWorld, as_person: SignIn) -> None:
    question = quiz_world.make_question("truefalse")
    client = as_person(quiz_world.world.instructor)
    url = reverse("catalog:activity-new", args=[quiz_world.course.pk, quiz_world.section.pk])
    page = client.get(url, {"kind": "quiz"})
    assert page.status_code == 200 and "Slot 1" in page.content.decode()
    post = form(title="Fire quiz", kind="quiz", completion_rule="passed", duration_minutes="10",
                **slots({"type": "fixed", "question": str(question.pk)}))  # fmt: skip
    response = client.post(url, post)
    assert response.status_code == 302
    activity = quiz_world.section.activities.get(kind="quiz")
    assert activity.config["slots"] == [{"type": "fixed", "question_id": question.pk, "mark": ""}]
    assert activity.completion == {"rule": "passed"}


# --- search, review diff, copy ----------------------------------------------------------------------------------------


def test_search_describe_assets_and_copy(quiz_world: QuizWorld) -> None:
    question = quiz_world.make_question("truefalse")
    quiz_world.make_question("single")
    config = clean(
        quiz_world,
        form(intro="<p>Fire <b>drill</b></p>", **slots({"type": "fixed", "question": str(question.pk)},
                                                       {"type": "random", "category": str(quiz_world.category.pk)})),
    )  # fmt: skip
    assert kind.search_text(config) == "Fire drill"
    described = kind.describe(config)
    assert described["Questions"] == "1 fixed question, 1 at random from “Default”"
    assert described["Question ids"] == str(question.pk)
    assert described["Password"] == "Yes"
    assert "Time limit: 30 minutes." in described["Rules"] and "Pass mark: 62.5 %." in described["Rules"]
    assert kind.asset_ids(config) == []
    # A copy keeps the slots as they are (the copy's bank is new: the README says to re-point them).
    assert kind.copy_config(config, {}) == config


def test_the_quiz_is_saved_through_the_catalog_service(quiz_world: QuizWorld) -> None:
    question = quiz_world.make_question("truefalse")
    activity = catalog_services.activity_create(
        section=quiz_world.section, by=quiz_world.owner, kind="quiz", title="Quiz",
        data={"slots": [{"type": "fixed", "question_id": question.pk}], "pass_mark": "50"},
        completion={"rule": "passed_or_exhausted"},
    )  # fmt: skip
    assert activity.config["pass_mark"] == "50" and activity.completion == {"rule": "passed_or_exhausted"}
