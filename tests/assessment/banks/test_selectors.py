"""Reads of the question banks: which banks a person finds, the category tree, the question list's filters, and
where a question is used (fixed slots, random pools, drafts and published versions, attempts per version)."""

from __future__ import annotations

import pytest

from syllabus.access.policy import principal_for
from syllabus.assessment import selectors_banks
from syllabus.assessment.question_types import TYPES
from syllabus.assessment.selectors_banks import QuestionFilters
from syllabus.assessment.services import questions as services
from syllabus.skills.models import Skill
from tests.assessment.banks.conftest import People
from tests.assessment.conftest import fixed, pool
from tests.factories import ActivityFactory, CourseFactory, SectionFactory

pytestmark = pytest.mark.django_db


def principal(membership):  # type: ignore[no-untyped-def]
    return principal_for(membership.user, membership.organization)


def test_the_types_are_listed_in_the_menus_order() -> None:
    assert [qtype.key for qtype in selectors_banks.type_list()] == list(TYPES)
    assert selectors_banks.type_label("truefalse") == "True/false" and selectors_banks.type_label("gone") == "gone"


def test_course_banks_are_listed_for_the_courses_team_only(world, quiz_world, people: People) -> None:
    CourseFactory(organization=world.org, title="Another course")

    def titles(membership) -> list[str]:  # type: ignore[no-untyped-def]
        rows = selectors_banks.course_bank_list(organization=world.org, principal=principal(membership))
        return [course.title for course in rows]

    assert titles(people.teacher) == ["Fire safety"]
    assert titles(people.admin) == ["Another course", "Fire safety"]
    # An org-wide reviewer sees every draft, but reads no bank: no course is listed for them.
    assert titles(world.reviewer) == []
    rows = selectors_banks.course_bank_list(organization=world.org, principal=principal(people.admin))
    assert {c.title: (c.bank_id, c.question_count) for c in rows} == {
        "Another course": (None, 0),
        "Fire safety": (quiz_world.bank.pk, 0),
    }


def test_the_category_tree_gives_paths_depths_counts_and_descendants(quiz_world) -> None:
    fire = quiz_world.make_category("Fire", parent=quiz_world.category)
    smoke = quiz_world.make_category("Smoke", parent=fire)
    water = quiz_world.make_category("Water")
    quiz_world.make_question("truefalse", category=smoke)
    hidden = quiz_world.make_question("truefalse", category=smoke)
    services.question_set_hidden(question=hidden, hidden=True, by=quiz_world.owner)
    tree = selectors_banks.category_tree(bank=quiz_world.bank)
    assert [(n.path, n.depth, n.question_count) for n in tree.flat()] == [
        ("Default", 0, 0),
        ("Default/Fire", 1, 0),
        ("Default/Fire/Smoke", 2, 1),
        ("Water", 0, 0),
    ]
    assert sorted(tree.descendant_ids(fire.pk)) == sorted([fire.pk, smoke.pk])
    assert tree.descendant_ids(water.pk) == [water.pk] and tree.descendant_ids(123456) == []
    assert tree.choices()[2] == (smoke.pk, "\u2003\u2003Smoke")


def test_the_question_list_filters_by_skill_and_combines_search_words(quiz_world, world) -> None:
    lifting = Skill.objects.create(organization=world.org, code="lifting", name="Lifting")
    quiz_world.make_question("truefalse", "Lift boxes", text="<p>Bend your knees</p>", skill_ids=[lifting.pk])
    quiz_world.make_question("truefalse", "Lift cups", text="<p>Use one hand</p>")

    def names(**kw) -> list[str]:  # type: ignore[no-untyped-def]
        return [q.name for q in selectors_banks.question_list(bank=quiz_world.bank, filters=QuestionFilters(**kw))]

    assert names(skill_id=lifting.pk) == ["Lift boxes"]
    assert names(search="lift knees") == ["Lift boxes"]  # every word, in the name or the text
    assert names(search="  LIFT  ") == ["Lift boxes", "Lift cups"]
    first = selectors_banks.question_list(bank=quiz_world.bank).first()
    assert first.version_number == 1 and first.in_use is False


def test_usage_finds_fixed_slots_and_random_pools_that_may_draw_the_question(quiz_world, world) -> None:
    fire = quiz_world.make_category("Fire", parent=quiz_world.category)
    lifting = Skill.objects.create(organization=world.org, code="lifting", name="Lifting")
    question = quiz_world.make_question(
        "truefalse", "Sky", category=fire, tags=["weather", "blue"], difficulty=3, skill_ids=[lifting.pk]
    )
    quiz_world.add_quiz(slots=[fixed(question)], title="Fixed")
    quiz_world.add_quiz(slots=[pool(quiz_world.category, include_subcategories=True)], title="Parent pool")
    quiz_world.add_quiz(slots=[pool(quiz_world.category)], title="Parent only")
    quiz_world.add_quiz(slots=[pool(fire, tags=["weather"], min_difficulty=2, max_difficulty=3)], title="Tagged")
    quiz_world.add_quiz(slots=[pool(fire, tags=["weather", "rain"])], title="Missing tag")
    quiz_world.add_quiz(slots=[pool(fire, min_difficulty=4)], title="Too easy")
    quiz_world.add_quiz(slots=[pool(fire, skill_ids=[lifting.pk])], title="By skill")
    quiz_world.add_quiz(slots=[{"type": "random"}, "junk", {"type": "fixed", "question_id": "x"}], title="Junk")
    usage = selectors_banks.question_usage(question=question)
    assert [(u.activity_title, u.where, u.how) for u in usage.quizzes] == [
        ("Fixed", "draft", "fixed"),
        ("Parent pool", "draft", "random"),
        ("Tagged", "draft", "random"),
        ("By skill", "draft", "random"),
    ]


def test_usage_reads_published_versions_and_counts_attempts_by_version(quiz_world) -> None:
    question = quiz_world.make_question("truefalse", "Sky")
    quiz = quiz_world.publish_quiz(slots=[fixed(question)], title="Quiz")
    quiz_world.take(quiz, {1: {"answer": True}})
    services.question_update(
        question=question,
        values=services.QuestionFields(qtype="truefalse", name="Sky", text="<p>Sky?</p>", data={"correct": False}),
        by=quiz_world.owner,
    )
    # The draft no longer uses it; the published version still does.
    quiz_world.quizzes[0].config = {"slots": []}
    quiz_world.quizzes[0].save()
    usage = selectors_banks.question_usage(question=question)
    assert [(u.activity_title, u.where, u.version_label) for u in usage.quizzes] == [("Quiz", "published", "1.0")]
    assert [(v.number, v.attempts) for v in usage.versions] == [(2, 0), (1, 1)]
    assert usage.attempt_count == 1


def test_a_shared_question_is_found_in_every_course_a_course_question_in_its_own_only(
    quiz_world, world, shared_bank, people
) -> None:
    shared = quiz_world.make_question("truefalse", "Policy", bank=shared_bank, by=people.admin.user)
    own = quiz_world.make_question("truefalse", "Own")
    quiz_world.add_quiz(slots=[fixed(shared), fixed(own)], title="Here")
    elsewhere = CourseFactory(organization=world.org, title="Elsewhere")
    section = SectionFactory(course=elsewhere)
    ActivityFactory(section=section, kind="quiz", title="There", config={"slots": [fixed(shared), fixed(own)]})
    assert [u.course.title for u in selectors_banks.question_usage(question=shared).quizzes] == [
        "Elsewhere",
        "Fire safety",
    ]
    # A course bank's questions can only serve that course: a slot elsewhere naming it is not a use.
    assert [u.course.title for u in selectors_banks.question_usage(question=own).quizzes] == ["Fire safety"]
