"""bench/gradebook.py at the smallest size (4 learners × 6 items, 6 attempts), in this process on the test
database: the data is made once and found again, every page scenario answers, the statistics are computed. What
it counts is checked, never how fast it was."""

from __future__ import annotations

from typing import Any

import pytest

from bench import _gradebook_data, gradebook
from syllabus.assessment.models import Attempt, QuizStatistics
from syllabus.catalog.models import Activity
from syllabus.enrollment.models import GroupMember
from syllabus.grades.models import CourseGrade, Grade, GradeItem

pytestmark = pytest.mark.django_db

SIZE = {"learners": 4, "items": 6, "attempts": 6}


def quiet(line: str) -> None:
    pass


@pytest.fixture
def book() -> _gradebook_data.Gradebook:
    return _gradebook_data.build(**SIZE, log=quiet)


def test_the_bench_builds_a_gradebook_with_categories_groups_grades_and_totals(
    book: _gradebook_data.Gradebook,
) -> None:
    assert (book.learners, book.items, book.course_grades) == (4, 6, 4)
    assert len(book.categories) == _gradebook_data.CATEGORIES
    kinds = set(Activity.objects.filter(course_id=book.course_id).values_list("kind", flat=True))
    assert kinds == {"quiz", "assignment"}
    items = GradeItem.objects.filter(course_id=book.course_id)
    assert all(item.category_id is not None and item.activity_uid is not None for item in items)
    # About 90 % of the 24 cells are graded; final is the override when there is one.
    assert 0 < book.grades <= 24
    assert all(g.final == (g.override if g.override is not None else g.raw) for g in Grade.objects.all())
    assert GroupMember.objects.filter(enrollment__course_id=book.course_id).count() == 4
    assert CourseGrade.objects.filter(course_id=book.course_id, percent__isnull=False).exists()


def test_the_data_is_found_again_and_only_the_attempts_are_remade(book: _gradebook_data.Gradebook) -> None:
    again = _gradebook_data.build(**{**SIZE, "attempts": 3}, log=quiet)
    assert (again.course_id, again.grades, again.quiz_uid) == (book.course_id, book.grades, book.quiz_uid)
    assert (book.attempts, book.answers) == (6, 6 * _gradebook_data.QUESTIONS)
    assert (again.attempts, again.answers) == (3, 3 * _gradebook_data.QUESTIONS)
    # 6 attempts of 4 people: everyone's first, and a second one for two of them; all finished and graded.
    numbers = sorted(Attempt.objects.filter(course_id=book.course_id).values_list("number", flat=True))
    assert numbers == [1, 1, 1]
    assert not Attempt.objects.filter(course_id=book.course_id, grade__isnull=True).exists()


def test_every_page_scenario_answers_and_the_statistics_are_computed(
    book: _gradebook_data.Gradebook, settings: Any
) -> None:
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    numbers = sorted(Attempt.objects.filter(course_id=book.course_id).values_list("number", flat=True))
    assert numbers == [1, 1, 1, 1, 2, 2]

    timed = gradebook.time_pages(book, runs=1, log=quiet, warmups=0)
    assert [t.label for t in timed] == [s.label for s in gradebook.scenarios(book)]
    assert all(t.status == 200 and t.queries > 0 and t.kb > 0 for t in timed)
    parts = gradebook.time_parts(book, runs=1)
    assert parts[-1][0].startswith("selectors.gradebook")

    assert len(gradebook.time_statistics(book, runs=1)) == 1
    stored = QuizStatistics.objects.get(course_id=book.course_id, which="first")
    assert stored.attempts == 4  # first attempts only
