"""Who may do what with question banks and quizzes (assessment/policy.py), asked from every persona's side."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from syllabus.access.policy import Principal, principal_for
from syllabus.accounts.models import Membership
from syllabus.assessment import policy
from syllabus.assessment.models import QuestionBank
from syllabus.assessment.services import questions as question_services
from tests.assessment.conftest import RIGHT, QuizWorld, fixed, make_quiz_world, member
from tests.conftest import World
from tests.factories import staff


@dataclass
class Team:
    editor: Membership
    teacher: Membership  # non-editing instructor of the course
    shared: QuestionBank
    other_bank: QuestionBank  # the bank of another course of the organisation
    foreign_bank: QuestionBank  # a shared bank of another organisation


@pytest.fixture
def team(quiz_world: QuizWorld, world: World) -> Team:
    editor = member(world, "Edna Editor")
    staff(quiz_world.course, editor, "editor")
    teacher = member(world, "Terry Teacher")
    staff(quiz_world.course, teacher, "instructor")
    shared = question_services.bank_create(organization=world.org, name="Shared", by=world.org_admin.user)
    other = make_quiz_world(world, "Other course")
    foreign = question_services.bank_create(organization=world.other_org, name="Globex", by=world.outsider.user)
    return Team(editor, teacher, shared, other.bank, foreign)


def principal(world: World, membership: Membership) -> Principal:
    return principal_for(membership.user, world.org)


def test_shared_banks_are_managed_by_question_managers_and_read_by_question_users(world: World, team: Team) -> None:
    assert policy.can_manage_shared(principal(world, world.org_admin))
    for persona in (world.instructor, world.learner, world.manager, team.editor, world.outsider):
        assert not policy.can_manage_shared(principal(world, persona))
    # Instructors hold question.use; a course editor without that role, or a learner, does not.
    assert policy.can_read_shared(principal(world, world.instructor))
    assert policy.can_read_shared(principal(world, world.org_admin))
    for persona in (world.learner, team.editor, team.teacher, world.outsider):
        assert not policy.can_read_shared(principal(world, persona))


def test_a_course_bank_is_managed_by_its_editors_and_read_by_its_whole_team(
    quiz_world: QuizWorld, world: World, team: Team
) -> None:
    bank = quiz_world.bank
    for persona in (world.instructor, team.editor, world.org_admin):
        assert policy.can_manage_bank(principal(world, persona), bank)
        assert policy.can_read_bank(principal(world, persona), bank)
    assert not policy.can_manage_bank(principal(world, team.teacher), bank)
    assert policy.can_read_bank(principal(world, team.teacher), bank)
    for persona in (world.learner, world.manager, world.engineer, world.outsider):
        assert not policy.can_manage_bank(principal(world, persona), bank)
        assert not policy.can_read_bank(principal(world, persona), bank)


def test_the_team_of_one_course_has_no_say_on_another_course_bank(world: World, team: Team) -> None:
    for persona in (team.editor, team.teacher):
        assert not policy.can_manage_bank(principal(world, persona), team.other_bank)
        assert not policy.can_read_bank(principal(world, persona), team.other_bank)


def test_another_organisation_bank_is_out_of_reach_even_for_an_admin(world: World, team: Team) -> None:
    admin = principal(world, world.org_admin)
    assert not policy.can_manage_bank(admin, team.foreign_bank)
    assert not policy.can_read_bank(admin, team.foreign_bank)
    assert not QuestionBank.objects.filter(policy.readable_banks_q(admin), pk=team.foreign_bank.pk).exists()
    # And the outsider, acting in their own organisation, never sees ours.
    outsider = principal_for(world.outsider.user, world.other_org)
    readable = set(QuestionBank.objects.filter(policy.readable_banks_q(outsider)).values_list("pk", flat=True))
    assert readable == {team.foreign_bank.pk}


def test_readable_banks_are_the_team_course_banks_and_the_shared_ones_for_question_users(
    quiz_world: QuizWorld, world: World, team: Team
) -> None:
    def readable(persona: Membership) -> set[int]:
        found = QuestionBank.objects.filter(policy.readable_banks_q(principal(world, persona)))
        return set(found.values_list("pk", flat=True))

    assert readable(world.instructor) == {quiz_world.bank.pk, team.other_bank.pk, team.shared.pk}
    assert readable(team.teacher) == {quiz_world.bank.pk}
    assert readable(team.editor) == {quiz_world.bank.pk}
    assert readable(world.learner) == set()
    assert readable(world.org_admin) == {quiz_world.bank.pk, team.other_bank.pk, team.shared.pk}


def test_a_quiz_may_use_its_own_course_bank_and_the_shared_banks(
    quiz_world: QuizWorld, world: World, team: Team
) -> None:
    course = quiz_world.course
    owner = principal(world, world.instructor)
    assert policy.can_use_in_quiz(owner, quiz_world.bank, course)
    assert policy.can_use_in_quiz(owner, team.shared, course)
    # Even the owner of both courses: another course's bank is not this quiz's.
    assert not policy.can_use_in_quiz(owner, team.other_bank, course)
    assert not policy.can_use_in_quiz(principal(world, world.org_admin), team.foreign_bank, course)
    # An editor without question.use: their course's bank only.
    assert policy.can_use_in_quiz(principal(world, team.editor), quiz_world.bank, course)
    assert not policy.can_use_in_quiz(principal(world, team.editor), team.shared, course)
    # A non-editing instructor edits no quiz.
    assert not policy.can_use_in_quiz(principal(world, team.teacher), quiz_world.bank, course)


def test_the_course_team_grades_and_overrides_and_only_editors_regrade(
    quiz_world: QuizWorld, world: World, team: Team
) -> None:
    course = quiz_world.course
    for persona in (world.instructor, team.editor, team.teacher, world.org_admin):
        assert policy.can_grade(principal(world, persona), course)
        assert policy.can_override(principal(world, persona), course)
    for persona in (world.learner, world.manager, world.engineer, world.outsider):
        assert not policy.can_grade(principal(world, persona), course)
        assert not policy.can_override(principal(world, persona), course)
    assert policy.can_regrade(principal(world, team.editor), course)
    assert not policy.can_regrade(principal(world, team.teacher), course)


def test_learners_take_a_published_course_quiz_and_outsiders_do_not(quiz_world: QuizWorld, world: World) -> None:
    assert not policy.can_take(principal(world, world.learner), quiz_world.course)  # not published yet
    quiz_world.publish_quiz(slots=[])
    assert policy.can_take(principal(world, world.learner), quiz_world.course)
    assert not policy.can_take(principal_for(world.outsider.user, world.other_org), quiz_world.course)
    assert not policy.can_take(principal(world, world.outsider), quiz_world.course)


def test_an_attempt_is_seen_by_its_owner_and_the_course_team_only(
    quiz_world: QuizWorld, world: World, team: Team
) -> None:
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("truefalse"))])
    attempt = quiz_world.take(quiz, {1: RIGHT["truefalse"]})
    for persona in (world.learner, world.instructor, team.teacher, team.editor, world.org_admin):
        assert policy.can_see_attempt(principal(world, persona), attempt)
    for persona in (world.engineer, world.manager, world.report):
        assert not policy.can_see_attempt(principal(world, persona), attempt)
    assert not policy.can_see_attempt(principal_for(world.outsider.user, world.other_org), attempt)
