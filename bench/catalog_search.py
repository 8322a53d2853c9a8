"""Benchmark: the learners' catalog page and its full-text search, through Django's test client, as a learner.

    .venv/bin/python bench/catalog_search.py --build 10000        # once: an organisation with 10,000 courses
    .venv/bin/python bench/catalog_search.py
    .venv/bin/python bench/catalog_search.py --database postgres://postgres@127.0.0.1:5432/syllabus_scale --build 10000

Works on the organisation `--organization` (default `catalog`) of DATABASE_URL (or --database). `--build N` first
(re)builds it with `generate_scale --users 200 --courses N --reset`. Each scenario is one real GET through the
whole stack (middleware, session, permission checks, selectors, templates), signed in as a plain learner:
warm-up requests first, then --runs timed ones; it prints the median and 95th percentile, the queries per request
and how many courses the page reports. The target is a median under 100 ms with 10,000 courses.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 100
COUNT = re.compile(r"(\d[\d,]*) courses? (?:match|available)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--organization", default="catalog")
    parser.add_argument("--build", type=int, metavar="N", help="first rebuild the organisation with N courses")
    parser.add_argument("--runs", type=int, default=30, help="timed requests per scenario")
    parser.add_argument("--database", help="a DATABASE_URL (default: the DATABASE_URL environment variable)")
    args = parser.parse_args()
    if args.database:
        os.environ["DATABASE_URL"] = args.database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syllabus.settings")
    # Time what production runs: no debug templates, no query log.
    os.environ.setdefault("DEBUG", "false")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from syllabus.accounts.models import Membership, Organization
    from syllabus.catalog.models import CatalogEntry, Category

    call_command("migrate", verbosity=0)
    if args.build:
        started = time.perf_counter()
        call_command(
            "generate_scale", users=200, courses=args.build, organization=args.organization, reset=True, verbosity=0
        )
        print(f"generate_scale --users 200 --courses {args.build:,}: {time.perf_counter() - started:.1f} s")
    organization = Organization.objects.filter(slug=args.organization).first()
    if organization is None:
        sys.exit(f"No organisation {args.organization!r}: run with --build 10000 first.")
    courses = CatalogEntry.objects.filter(organization=organization).count()
    learner = (
        Membership.objects.filter(organization=organization, is_active=True, role_assignments__isnull=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if learner is None:
        sys.exit("No plain learner in that organisation.")
    category = Category.objects.filter(organization=organization).order_by("pk").values_list("pk", flat=True).first()
    course_id = (
        CatalogEntry.objects.filter(organization=organization)
        .order_by("pk")
        .values_list("course_id", flat=True)
        .first()
    )

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    client.force_login(learner.user)
    browse = reverse("catalog:browse")
    scenarios: list[tuple[str, str, dict[str, str], dict[str, str]]] = [
        ("catalog, first page", browse, {}, {}),
        ("catalog, page 50", browse, {"page": "50"}, {}),
        ("catalog, level + duration filters", browse, {"level": "advanced", "duration": "medium"}, {}),
        ("search 'hygiene'", browse, {"q": "hygiene"}, {}),
        ("search 'fire safety'", browse, {"q": "fire safety"}, {}),
        ("search 'vaccinations consent'", browse, {"q": "vaccinations consent"}, {}),
        ("search 'infec' (prefix, typing)", browse, {"q": "infec"}, {}),
        ("search 'the' (in every course)", browse, {"q": "the"}, {}),
        ("search 'hygiene' + category", browse, {"q": "hygiene", "category": str(category)}, {}),
        ("search 'risk' sorted newest", browse, {"q": "risk", "sort": "newest"}, {}),
        ("search 'data' (htmx fragment)", browse, {"q": "data"}, {"HTTP_HX_REQUEST": "true"}),
        ("course page", reverse("catalog:course", args=[course_id]), {}, {}),
    ]
    print(
        f"{connection.vendor}: organisation {organization.slug!r} with {courses:,} catalog entries, "
        f"as learner {learner.user.email}; {args.runs} runs per line"
    )
    print(f"{'scenario':<40} {'median ms':>10} {'p95 ms':>8} {'queries':>8} {'courses':>8}")
    worst = 0.0
    for label, path, params, headers in scenarios:
        for _ in range(3):
            response = client.get(path, params, **headers)
            assert response.status_code == 200, (label, response.status_code)
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, params, **headers)
        query_count = len(queries.captured_queries)
        timings = []
        for _ in range(args.runs):
            started = time.perf_counter()
            client.get(path, params, **headers)
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        median = statistics.median(timings)
        p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
        worst = max(worst, median)
        found = COUNT.search(response.content.decode())
        total = found.group(1) if found else "-"
        print(f"{label:<40} {median:>10.1f} {p95:>8.1f} {query_count:>8} {total:>8}")
    verdict = "under" if worst < TARGET_MS else "OVER"
    print(f"worst median {worst:.1f} ms: {verdict} the {TARGET_MS} ms target")


if __name__ == "__main__":
    main()
