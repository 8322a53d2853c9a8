"""The quiz's page leads the course team to its results, grading queue, overrides and bank; learners see none."""
# Fixtures imported from conftest modules are redefined as test parameters, as pytest intends.
# ruff: noqa: F811

from __future__ import annotations

from django.urls import reverse

from tests.assessment.conftest import QuizWorld, fixed
from tests.assessment.quiz.conftest import SignIn, as_person  # noqa: F401
from tests.conftest import World


def test_the_team_finds_results_grading_and_overrides_from_the_quiz_page(
    quiz_world: QuizWorld, world: World, as_person: SignIn
) -> None:
    quiz = quiz_world.publish_quiz(slots=[fixed(quiz_world.make_question("truefalse"))])
    page = reverse("catalog:activity", args=[quiz_world.course.pk, quiz["uid"]])
    links = [
        reverse("assessment:quiz-results", args=[quiz_world.course.pk, quiz["uid"]]),
        reverse("assessment:grading", args=[quiz_world.course.pk, quiz["uid"]]),
        reverse("assessment:overrides", args=[quiz_world.course.pk, quiz["uid"]]),
        reverse("assessment:course-bank", args=[quiz_world.course.pk]),
    ]

    team = as_person(world.instructor).get(page).content.decode()
    assert all(f'href="{link}"' in team for link in links)

    learner = as_person(world.learner).get(page).content.decode()
    assert not any(link in learner for link in links)
