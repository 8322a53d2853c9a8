"""Benchmark: the gradebook of a Moodle-size L course (10,000 learners × 500 graded activities) and the item
statistics of a quiz with 10,000 finished attempts.

    createdb -h 127.0.0.1 -U postgres syllabus_gradebook_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/syllabus_gradebook_bench .venv/bin/python manage.py migrate
    .venv/bin/python bench/gradebook.py --database postgres://postgres@127.0.0.1:5432/syllabus_gradebook_bench
    .venv/bin/python bench/gradebook.py --database ... --learners 10000 --items 500 --attempts 10000 --runs 30

The data (bench/_gradebook_data.py) is made on the first run and found again on the next ones: an organisation
`gradebench` (generate_scale: org units, people), a published course of --items graded activities (quizzes and
assignments) in 10 weighted categories, --learners people enrolled in 20 course groups, a grade for ~90 % of the
cells, a CourseGrade each, and --attempts finished attempts × 20 questions of its first quiz. Another size makes
another course beside it.

Then, through Django's test client signed in as the course owner (middleware, session, permission checks, the view,
the template: the server's time, no browser), the grader table (`grades:gradebook`): page 1, a middle page, an
org-unit filter, a group filter, sorted by total, one category's columns, the last column page, the people who
failed, a name search. Median and 95th percentile of --runs requests, the median CPU time of this process per
request, the queries of one request and the size of the page; then the parts of one request timed alone (the item
sync check, the selector, the count of people, one page of people, the grades of a page). A page whose URL does not
exist yet is skipped with a note. Target (issue #7): median under 300 ms on PostgreSQL.

Last, `statistics_compute(course=..., activity_uid=..., which="first")` on the quiz, --stat-runs times (median;
target under 5 s). `--only pages` or `--only statistics` runs one half.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PAGE_TARGET_MS = 300
STATISTICS_TARGET_S = 5


@dataclass(frozen=True)
class Scenario:
    label: str
    query: str  # the query string after "?", "" for none


@dataclass(frozen=True)
class Timed:
    label: str
    median_ms: float
    p95_ms: float
    cpu_ms: float
    queries: int
    kb: float
    status: int


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def scenarios(book: Any) -> list[Scenario]:
    """The pages to time; the query parameters are the gradebook's filter form's (grades/forms.py)."""
    from syllabus.grades import selectors

    rows = getattr(selectors, "ROWS_PER_PAGE", 50)
    columns = getattr(selectors, "COLUMNS_PER_PAGE", 40)
    middle = max(1, -(-book.learners // rows) // 2)
    last_columns = max(1, -(-book.items // columns))
    category = book.categories[len(book.categories) // 2] if book.categories else 0
    return [
        Scenario("page 1", ""),
        Scenario(f"page {middle} (middle)", f"page={middle}"),
        Scenario(f"org unit ({book.unit_learners:,} learners)", f"unit={book.unit_id}"),
        Scenario(f"group ({book.group_learners:,} learners)", f"group={book.group_id}"),
        Scenario("sorted by total, highest first", "sort=-total"),
        Scenario("one category's columns", f"category={category}"),
        Scenario(f"column page {last_columns} (last)", f"cols={last_columns}"),
        Scenario("status: failed", "status=failed"),
        Scenario("search 'smith'", "q=smith"),
    ]


def time_pages(book: Any, *, runs: int, log: Callable[[str], None], warmups: int = 2) -> list[Timed]:
    """Each scenario through the test client (the caller lets "testserver" in ALLOWED_HOSTS)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import NoReverseMatch, reverse

    from syllabus.accounts.models import User

    try:
        path = reverse("grades:gradebook", args=[book.course_id])
    except NoReverseMatch:
        log("skipped the pages: the URL name grades:gradebook does not exist yet")
        return []
    client = Client()
    client.force_login(User.objects.get(pk=book.owner_user_id))
    results = []
    for scenario in scenarios(book):
        url = f"{path}?{scenario.query}" if scenario.query else path
        for _ in range(warmups):
            client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        # Counted now: the next request's request_started signal empties the query log.
        count = len(queries.captured_queries)
        if response.status_code != 200:
            log(f"{scenario.label}: GET {url} answered {response.status_code}, skipped")
            results.append(Timed(scenario.label, 0, 0, 0, 0, 0, response.status_code))
            continue
        timings, cpu = [], []
        for _ in range(runs):
            started, started_cpu = time.perf_counter(), time.process_time()
            client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        results.append(
            Timed(
                scenario.label,
                statistics.median(timings),
                percentile(timings, 0.95),
                statistics.median(cpu),
                count,
                len(response.content) / 1024,
                200,
            )
        )
        log(page_line(results[-1]))
    return results


def page_line(timed: Timed) -> str:
    figures = f"{timed.median_ms:>10.1f} {timed.p95_ms:>8.1f} {timed.cpu_ms:>7.1f} {timed.queries:>8} {timed.kb:>7.0f}"
    return f"{timed.label:<36} {figures}"


def time_parts(book: Any, *, runs: int) -> list[tuple[str, float]]:
    """The parts of one page-1 request, each timed alone (median ms): what costs what."""
    from syllabus.catalog.models import Course
    from syllabus.grades import selectors, services
    from syllabus.grades.models import Grade

    course = Course.objects.get(pk=book.course_id)
    settings = services.settings_for(course)
    filters = selectors.Filters()
    # The paths the grader table takes (selectors.gradebook): people without totals, a lean count, items as rows.
    people = selectors.people(course=course, filters=filters, totals=False)
    page_rows = getattr(selectors, "ROWS_PER_PAGE", 50)
    columns = selectors.item_rows(course=course)[: getattr(selectors, "COLUMNS_PER_PAGE", 40)]
    user_ids = [row.person_id for row in people[:page_rows]]
    parts: list[tuple[str, Callable[[], Any]]] = []
    sync = getattr(services, "items_sync_if_stale", None)
    if sync is not None:
        parts.append(("items_sync_if_stale (nothing to do)", lambda: sync(course=course)))
    parts += [
        ("settings_for", lambda: services.settings_for(course)),
        ("item_rows (every item, with categories)", lambda: selectors.item_rows(course=course)),
        ("count of the people listed", lambda: selectors.people_matching(course=course, filters=filters).count()),
        ("page 1 of people", lambda: list(people[:page_rows])),
        (
            f"page {book.learners // page_rows // 2} of people (OFFSET)",
            lambda: list(people[(book.learners // 2) : (book.learners // 2) + page_rows]),
        ),
        (
            "people sorted by total, page 1",
            lambda: list(
                selectors.people(course=course, filters=selectors.Filters(sort="-total"), totals=False)[:page_rows]
            ),
        ),
        (
            f"grades of a page ({len(user_ids)} × {len(columns)})",
            lambda: list(
                Grade.objects.filter(item__in=[c.pk for c in columns], user_id__in=user_ids).values_list(
                    "item_id", "user_id", "final", "override", "hidden"
                )
            ),
        ),
        (
            "selectors.gradebook, page 1 (all of the above)",
            lambda: selectors.gradebook(
                course=course, settings=settings, filters=filters, page_number=1, column_page=1
            ),
        ),
    ]
    out = []
    for label, call in parts:
        call()
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            call()
            timings.append((time.perf_counter() - started) * 1000)
        out.append((label, statistics.median(timings)))
    return out


def time_statistics(book: Any, *, runs: int) -> list[float]:
    import uuid

    from syllabus.assessment.services import statistics as item_statistics
    from syllabus.catalog.models import Course

    course = Course.objects.get(pk=book.course_id)
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        item_statistics.statistics_compute(course=course, activity_uid=uuid.UUID(book.quiz_uid), which="first")
        seconds.append(time.perf_counter() - started)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", help="a DATABASE_URL (default: the DATABASE_URL environment variable)")
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--attempts", type=int, default=10_000, help="finished attempts of the statistics quiz")
    parser.add_argument("--runs", type=int, default=30, help="timed requests per page")
    parser.add_argument("--stat-runs", type=int, default=3, help="timed statistics computations")
    parser.add_argument("--only", choices=("pages", "statistics"), help="time one half only")
    args = parser.parse_args()
    if args.database:
        os.environ["DATABASE_URL"] = args.database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syllabus.settings")
    # Time what production runs: no debug templates, no query log; tasks run in the process, no broker.
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from bench import _gradebook_data

    call_command("migrate", verbosity=0)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    book = _gradebook_data.build(learners=args.learners, items=args.items, attempts=args.attempts)
    print(
        f"{connection.vendor}: course {book.course_id}, {book.learners:,} learners × {book.items} items, "
        f"{book.grades:,} grades, {book.course_grades:,} course grades; quiz {book.quiz_uid}: "
        f"{book.attempts:,} attempts, {book.answers:,} answers"
    )
    worst = 0.0
    if args.only != "statistics":
        print(f"\n{'gradebook page':<36} {'median ms':>10} {'p95 ms':>8} {'cpu ms':>7} {'queries':>8} {'KB':>7}")
        timed = time_pages(book, runs=args.runs, log=print)
        worst = max((t.median_ms for t in timed if t.status == 200), default=0.0)
        if timed:
            print(f"\n{'one page-1 request, part by part':<50} {'median ms':>10}")
            for label, ms in time_parts(book, runs=max(5, args.runs // 3)):
                print(f"{label:<50} {ms:>10.1f}")
            verdict = "under" if worst < PAGE_TARGET_MS else "OVER"
            print(f"worst page median {worst:.1f} ms: {verdict} the {PAGE_TARGET_MS} ms target")
    if args.only != "pages":
        seconds = time_statistics(book, runs=args.stat_runs)
        median = statistics.median(seconds)
        runs = ", ".join(f"{s:.2f}" for s in seconds)
        verdict = "under" if median < STATISTICS_TARGET_S else "OVER"
        print(
            f"\nstatistics_compute, {book.attempts:,} attempts × {book.answers // max(1, book.attempts)} questions: "
            f"median {median:.2f} s ({runs}): {verdict} the {STATISTICS_TARGET_S} s target"
        )


if __name__ == "__main__":
    main()
