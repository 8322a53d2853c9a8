"""Benchmark: the learning pages at scale, through Django's test client — learner dashboard, manager team page,
participants of a Moodle-size L course and its player.

    .venv/bin/python bench/dashboards.py --build                   # once: 100,000 people, 1,000,000 enrollments...
    .venv/bin/python bench/dashboards.py
    .venv/bin/python bench/dashboards.py --only player,course   # just those pages
    .venv/bin/python bench/dashboards.py --database postgres://postgres@127.0.0.1:5432/syllabus_scale --build

Works on the organisation `--organization` (default `dashboards`) of DATABASE_URL (or --database). `--build` first
(re)builds it: `generate_scale --users 100000 --reset --course-size L --enrollments 1000000 --team-manager 2000`
(each number can be changed: --users, --enrollments, --team-size) and leaves it in the database; on PostgreSQL it
then runs VACUUM ANALYZE, as autovacuum would in production. `--only` times some pages (dashboard, team,
participants, player, course) and skips the look-ups of the others.

Each page is one real GET through the whole stack (middleware, session, permission checks, selectors, templates),
signed in with force_login as the person the page is for:

- learner dashboard (progress:dashboard): the learner with the most enrollments between 10 and 50;
- manager team page (enrollment:team): the manager whose reporting line is closest to --team-size people;
- participants (enrollment:participants) of the L course, as its owner;
- player (catalog:activity) of the L course at the activity in the middle of its outline, as a learner in
  progress; and the L course page (catalog:course) as that learner.

Warm-up requests first, then --runs timed ones: median and 95th percentile in ms, the median CPU time of this
process per request (what the code costs, without waiting for the database or for other work on a busy machine),
the queries of one request and the size of the page. A page whose URL name does not exist yet is skipped with a
note. Target: every median under 50 ms on PostgreSQL, with a query count that does not grow with the data.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 50


@dataclass
class Page:
    label: str
    url_name: str
    args: list[Any]
    user: Any  # who signs in for it
    who: str  # described in the table's notes
    key: str = ""  # the name --only knows it by


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--organization", default="dashboards")
    parser.add_argument("--build", action="store_true", help="first rebuild the organisation (see above)")
    parser.add_argument("--users", type=int, default=100_000, help="people, with --build")
    parser.add_argument("--enrollments", type=int, default=1_000_000, help="enrollments, with --build")
    parser.add_argument("--team-size", type=int, default=2_000, help="the manager's reporting line")
    parser.add_argument("--runs", type=int, default=30, help="timed requests per page")
    parser.add_argument("--database", help="a DATABASE_URL (default: the DATABASE_URL environment variable)")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated pages to time: dashboard, team, participants, player, course (default: all)",
    )
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
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import NoReverseMatch, reverse

    from syllabus.accounts.models import Membership, Organization
    from syllabus.catalog import versions
    from syllabus.catalog.models import CourseStaff
    from syllabus.enrollment import scale as enrollment_scale
    from syllabus.enrollment.models import Enrollment, Status

    call_command("migrate", verbosity=0)
    if args.build:
        started = time.perf_counter()
        call_command(
            "generate_scale",
            users=args.users,
            course_size="L",
            enrollments=args.enrollments,
            team_manager=args.team_size,
            organization=args.organization,
            reset=True,
            stdout=sys.stdout,
        )
        print(f"built in {time.perf_counter() - started:.1f} s")
        if connection.vendor == "postgresql":
            # What autovacuum would do in production: the rebuild deletes the old organisation (millions of rows),
            # and with those dead rows left at the ends of the indexes PostgreSQL spends 10-30 ms *planning* each
            # join on enrollments or memberships (it reads the indexes' extremes to estimate joins).
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
            print(f"vacuumed in {time.perf_counter() - started:.1f} s")
    organization = Organization.objects.filter(slug=args.organization).first()
    if organization is None:
        sys.exit(f"No organisation {args.organization!r}: run with --build first.")

    pages: list[Page] = []
    notes: list[str] = []
    wanted = {name.strip() for name in args.only.split(",") if name.strip()}
    # Each page is looked up only when it is timed: finding the busiest learner groups every enrollment.
    if not wanted or "dashboard" in wanted:
        busiest = (
            Enrollment.objects.filter(organization=organization)
            .values("membership")
            .annotate(n=Count("pk"))
            .filter(n__gte=10, n__lte=50)
            .order_by("-n", "membership")
            .first()
        )
        if busiest is None:
            notes.append("learner dashboard: nobody has 10-50 enrollments (build with --enrollments)")
        else:
            learner = Membership.objects.select_related("user").get(pk=busiest["membership"])
            who = f"{busiest['n']} enrollments"
            pages.append(Page("learner dashboard", "progress:dashboard", [], learner.user, who, "dashboard"))
    if not wanted or "team" in wanted:
        manager = enrollment_scale.team_manager(organization, args.team_size)
        if manager is None:
            notes.append("team page: nobody manages anyone")
        else:
            line = enrollment_scale.ReportingTree(
                Membership.objects.filter(organization=organization).values_list("pk", "manager_id")
            ).sizes[manager.pk]
            who = f"{line:,} people in line"
            pages.append(Page("manager team page", "enrollment:team", [], manager.user, who, "team"))
    course = enrollment_scale.sized_course(organization, "L")
    if course is None:
        notes.append("L course: none (build with --course-size L)")
    else:
        owner = CourseStaff.objects.filter(course=course).select_related("membership__user").first()
        if owner is not None and (not wanted or "participants" in wanted):
            participants = Enrollment.objects.filter(
                course=course, status__in=[Status.ACTIVE, Status.COMPLETED]
            ).count()
            pages.append(
                Page(
                    "participants, L course",
                    "enrollment:participants",
                    [course.pk],
                    owner.membership.user,
                    f"{participants:,} participants",
                    "participants",
                )
            )
        outline = versions.activities(course.published_version.snapshot) if course.published_version else []
        middle = outline[len(outline) // 2]["uid"] if outline else None
        follower = (
            Enrollment.objects.filter(course=course, status=Status.ACTIVE, progress_percent__gt=0)
            .select_related("membership__user")
            .order_by("pk")
            .first()
        )
        if follower is not None and middle is not None:
            who = f"{len(outline):,} activities, learner at {follower.progress_percent}%"
            user = follower.membership.user
            pages.append(
                Page("player, L course (middle)", "catalog:activity", [course.pk, middle], user, who, "player")
            )
            pages.append(Page("course page, L course", "catalog:course", [course.pk], user, who, "course"))

    if wanted:
        pages = [page for page in pages if page.key in wanted]
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    print(f"{connection.vendor}: organisation {organization.slug!r}, {args.runs} runs per page")
    # cpu ms: this process's CPU time per request (median), what the code costs without the waits for the database
    # and for other work on a busy machine.
    print(f"{'page':<30} {'median ms':>10} {'p95 ms':>8} {'cpu ms':>7} {'queries':>8} {'KB':>7}  notes")
    worst = 0.0
    for page in pages:
        try:
            path = reverse(page.url_name, args=page.args)
        except NoReverseMatch:
            print(f"{page.label:<30} {'skipped: URL name ' + page.url_name + ' does not exist yet':>40}")
            continue
        client = Client()
        client.force_login(page.user)
        response = client.get(path)
        if response.status_code != 200:
            print(f"{page.label:<30} {'skipped: GET ' + path + ' answered ' + str(response.status_code):>40}")
            continue
        for _ in range(2):
            client.get(path)
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        # Counted now: the next request's request_started signal empties the query log.
        query_count = len(queries.captured_queries)
        timings = []
        cpu = []
        for _ in range(args.runs):
            started, started_cpu = time.perf_counter(), time.process_time()
            client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        timings.sort()
        median = statistics.median(timings)
        p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
        worst = max(worst, median)
        size_kb = len(response.content) / 1024
        cpu_median = statistics.median(cpu)
        figures = f"{median:>10.1f} {p95:>8.1f} {cpu_median:>7.1f} {query_count:>8} {size_kb:>7.0f}"
        print(f"{page.label:<30} {figures}  {page.who}")
    for note in notes:
        print(f"skipped: {note}")
    if pages:
        verdict = "under" if worst < TARGET_MS else "OVER"
        print(f"worst median {worst:.1f} ms: {verdict} the {TARGET_MS} ms target")


if __name__ == "__main__":
    main()
