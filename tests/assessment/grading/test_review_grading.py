"""Review findings on the grading area: the results show the quiz grade progress heard (never another attempt's
while the one that counts waits for a grader), a hostile user id never reaches the database, and the lists that
had no query-count test — overrides and the regrade plan, on the page and through the API — cost the same
queries for more rows."""

from __future__ import annotations

import pytest
from django.urls import reverse

from syllabus.assessment import selectors_grading as selectors
from syllabus.assessment.services import attempts
from tests.api.conftest import V1, error_fields
from tests.assessment.grading.conftest import Graded, SignIn, make_graded

pytestmark = pytest.mark.django_db

API = f"{V1}/assessment"


def overrides_api(graded: Graded) -> str:
    return f"{API}/courses/{graded.course.pk}/quizzes/{graded.uid}/overrides/"


def test_the_results_show_no_first_attempt_grade_while_the_first_attempt_waits(quiz_world, as_member) -> None:
    graded = make_graded(quiz_world, grading_method="first")
    graded.take()  # waits for its essay to be graded
    graded.take(essay="")  # finished: true/false right, essay not answered
    [row] = selectors.result_rows(course=graded.course, activity_uid=graded.uid, learners=[quiz_world.learner])
    assert (row.grade, row.passed) == (None, None)
    [item] = (
        as_member(quiz_world.world.instructor)
        .get(f"{API}/courses/{graded.course.pk}/quizzes/{graded.uid}/results/")
        .json()["results"]
    )
    assert (item["grade"], item["passed"]) == (None, None)
    assert attempts.quiz_grade(user_id=quiz_world.learner.pk, course_id=graded.course.pk,
                               activity_uid=graded.uid) == (None, None)  # fmt: skip


@pytest.mark.parametrize("raw", [str(10**30), "²", "-1", "1.5"])
def test_removing_an_override_with_a_hostile_user_id_is_refused_on_its_field(
    graded: Graded, as_member, raw: str
) -> None:
    refused = as_member(graded.qw.world.instructor).delete(f"{overrides_api(graded)}?user={raw}")
    assert refused.status_code == 400
    assert error_fields(refused) == {"user": "Say whose override to remove (`user`)."}


# --- constant query counts ------------------------------------------------------------------------------------------


def give_overrides(graded: Graded, first: int, count: int) -> None:
    for index in range(first, first + count):
        person = graded.learner(f"Learner {index:02}")
        attempts.override_set(course=graded.course, activity_uid=graded.uid, user=person.user, by=graded.qw.owner,
                              reason="Agreed with HR", time_limit_minutes=30 + index)  # fmt: skip


def test_the_overrides_page_and_endpoint_cost_the_same_queries_for_1_and_7_overrides(
    graded: Graded, sign_in: SignIn, as_member, django_assert_max_num_queries
) -> None:
    give_overrides(graded, 0, 1)
    client = sign_in(graded.qw.world.instructor)
    api = as_member(graded.qw.world.instructor)
    page = reverse("assessment:overrides", args=[graded.course.pk, graded.uid])
    client.get(page)
    api.get(overrides_api(graded))
    with django_assert_max_num_queries(16) as small_page:
        assert len(client.get(page).context["rows"]) == 1
    with django_assert_max_num_queries(12) as small_api:
        assert api.get(overrides_api(graded)).json()["count"] == 1
    give_overrides(graded, 1, 6)
    with django_assert_max_num_queries(len(small_page.captured_queries)):
        assert len(client.get(page).context["rows"]) == 7
    with django_assert_max_num_queries(len(small_api.captured_queries)):
        assert api.get(overrides_api(graded)).json()["count"] == 7


def test_the_regrade_plan_costs_the_same_queries_for_2_and_8_learners(
    graded: Graded, sign_in: SignIn, as_member, django_assert_max_num_queries
) -> None:
    question = graded.truefalse.pk
    client = sign_in(graded.qw.world.instructor)
    api = as_member(graded.qw.world.instructor)
    page = f"{reverse('assessment:regrade', args=[graded.course.pk])}?question={question}&to_latest=on"
    url = f"{API}/courses/{graded.course.pk}/regrade/"

    def take(first: int, count: int) -> None:
        for index in range(first, first + count):
            graded.take(graded.learner(f"Learner {index:02}").user, right=index % 2 == 0)

    take(0, 2)
    client.get(page)
    api.post(url, {"question": question}, format="json")
    with django_assert_max_num_queries(18) as small_page:
        assert len(client.get(page).context["rows"]) == 2
    with django_assert_max_num_queries(14) as small_api:
        assert len(api.post(url, {"question": question}, format="json").json()["rows"]) == 2
    take(2, 6)
    with django_assert_max_num_queries(len(small_page.captured_queries)):
        assert len(client.get(page).context["rows"]) == 8
    with django_assert_max_num_queries(len(small_api.captured_queries)):
        plan = api.post(url, {"question": question}, format="json").json()
    assert len(plan["rows"]) == 8 and plan["applied"] is False
