"""Benchmark: requests per second of a Moodle-size M course page under gunicorn, with signed-in clients over real HTTP.

    .venv/bin/python bench/throughput.py --build                  # once: adds an M course to the organisation
    .venv/bin/python bench/throughput.py --seconds 30
    .venv/bin/python bench/throughput.py --database postgres://postgres@127.0.0.1:5432/syllabus_scale --page player

Starts gunicorn (`syllabus.wsgi`) on 127.0.0.1 on a free port against DATABASE_URL (or --database), with DEBUG off
and persistent database connections (DB_CONN_MAX_AGE, as production runs). Then --clients learners of the M course
sign in through the sign-in form, each with its own cookie jar (urllib, no library beyond the standard one), and
each in its own thread fetches the page again and again for --seconds: the course page (catalog:course) or, with
--page player, the player at the activity in the middle of the outline (catalog:activity). It prints requests per
second, latency percentiles and errors, and stops gunicorn. Nothing leaves 127.0.0.1.

The M course is the newest `generate_scale --course-size M` course of the organisation `--organization` (default
`dashboards`, built by bench/dashboards.py --build); `--build` adds one (building a 2,000-person organisation first
if there is none). Clients and server share the machine's cores, so the figure is a floor for a separate web host.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(sorted_values: list[float], share: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, round(share * (len(sorted_values) - 1)))]


class Browser:
    """One signed-in client: its own cookies, plain urllib requests (a new connection each, like many browsers
    behind a proxy; gunicorn's sync workers close connections after every response anyway)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
            # 127.0.0.1 only: never through a proxy configured in the environment.
            urllib.request.ProxyHandler({}),
        )

    def get(self, path: str, timeout: float = 60) -> tuple[int, bytes]:
        with self.opener.open(self.base + path, timeout=timeout) as response:  # http://127.0.0.1 only
            return response.status, response.read()

    def sign_in(self, path: str, email: str, password: str) -> None:
        status, body = self.get(path)
        found = CSRF_FIELD.search(body.decode())
        if status != 200 or found is None:
            raise SystemExit(f"The sign-in page {path} answered {status} without a CSRF token.")
        data = urllib.parse.urlencode(
            {"username": email, "password": password, "csrfmiddlewaretoken": found.group(1)}
        ).encode()
        request = urllib.request.Request(self.base + path, data=data, headers={"Referer": self.base + path})
        with self.opener.open(request, timeout=60) as response:
            final = response.geturl()
        if urllib.parse.urlparse(final).path == path:
            raise SystemExit(f"Signing in as {email} failed (wrong --password?).")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--organization", default="dashboards")
    parser.add_argument("--build", action="store_true", help="first add an M course to the organisation")
    parser.add_argument("--page", choices=("course", "player"), default="course")
    parser.add_argument("--clients", type=int, default=8, help="concurrent signed-in clients")
    parser.add_argument("--seconds", type=float, default=20, help="how long to measure")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker (gthread when > 1)")
    parser.add_argument("--password", default="scale-password-2026", help="the generated people's password")
    parser.add_argument("--database", help="a DATABASE_URL (default: the DATABASE_URL environment variable)")
    args = parser.parse_args()
    if args.database:
        os.environ["DATABASE_URL"] = args.database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syllabus.settings")
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
    os.environ.setdefault("DB_CONN_MAX_AGE", "60")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections
    from django.urls import reverse

    from syllabus.accounts.models import Organization
    from syllabus.catalog import versions
    from syllabus.enrollment import scale as enrollment_scale
    from syllabus.enrollment.models import Enrollment, Status

    call_command("migrate", verbosity=0)
    organization = Organization.objects.filter(slug=args.organization).first()
    if args.build:
        options: dict[str, Any] = {"course_size": "M", "organization": args.organization, "stdout": sys.stdout}
        if organization is None:
            options["users"] = 2_000
        call_command("generate_scale", **options)
        organization = Organization.objects.filter(slug=args.organization).first()
    if organization is None:
        sys.exit(f"No organisation {args.organization!r}: run with --build first.")
    course = enrollment_scale.sized_course(organization, "M")
    if course is None or course.published_version is None:
        sys.exit(f"No M course in {args.organization!r}: run with --build first.")
    path = reverse("catalog:course", args=[course.pk])
    if args.page == "player":
        outline = versions.activities(course.published_version.snapshot)
        path = reverse("catalog:activity", args=[course.pk, outline[len(outline) // 2]["uid"]])
    emails = list(
        Enrollment.objects.filter(course=course, status=Status.ACTIVE)
        .order_by("pk")
        .values_list("membership__user__email", flat=True)[: args.clients]
    )
    if len(emails) < args.clients:
        sys.exit(f"The M course has only {len(emails)} active learners.")
    sign_in = reverse("accounts:sign-in")
    connections.close_all()  # the server opens its own

    load = os.getloadavg()  # other work on the machine skews the figure: say how busy it was
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "syllabus.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        f"--workers={args.workers}",
        f"--threads={args.threads}",
        "--log-level=info",
    ]
    server = subprocess.Popen(  # our own interpreter, fixed arguments
        command, cwd=ROOT, env=os.environ.copy(), stderr=subprocess.PIPE, text=True
    )
    log: list[str] = []
    try:
        assert server.stderr is not None
        # gunicorn says "Listening at" once its socket is bound; from then on requests wait in the socket's queue.
        for line in server.stderr:
            log.append(line)
            if "Listening at" in line:
                break
        else:
            raise SystemExit("gunicorn did not start:\n" + "".join(log))
        drain = threading.Thread(target=lambda: log.extend(server.stderr or ()), daemon=True)
        drain.start()
        base = f"http://127.0.0.1:{port}"
        browsers = []
        for email in emails:
            browser = Browser(base)
            browser.sign_in(sign_in, email, args.password)
            for _ in range(3):  # warm every worker's caches a little
                status, _body = browser.get(path)
                if status != 200:
                    raise SystemExit(f"GET {path} answered {status} for {email}.")
            browsers.append(browser)
        status, body = browsers[0].get(path)
        page_kb = len(body) / 1024

        latencies: list[list[float]] = [[] for _ in browsers]
        outcomes: Counter[str] = Counter()
        lock = threading.Lock()
        deadline = time.perf_counter() + args.seconds

        def hammer(index: int) -> None:
            browser, mine = browsers[index], latencies[index]
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    status, _ = browser.get(path)
                    outcome = str(status)
                except OSError as error:  # urllib's HTTPError and URLError are OSErrors
                    outcome = type(error).__name__ + (f" {error.code}" if hasattr(error, "code") else "")
                mine.append((time.perf_counter() - started) * 1000)
                with lock:
                    outcomes[outcome] += 1

        threads = [threading.Thread(target=hammer, args=(index,)) for index in range(len(browsers))]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    every = sorted(value for values in latencies for value in values)
    done = len(every)
    print(
        f"{os.environ['DATABASE_URL'].split(':', 1)[0]}: GET {path} ({args.page} page of {course.title!r}, "
        f"{page_kb:.0f} KB) under gunicorn, {args.workers} workers x {args.threads} threads, "
        f"{args.clients} signed-in clients, {args.seconds:.0f} s, {os.cpu_count()} cores, "
        f"load average before {load[0]:.1f}"
    )
    print(f"requests: {done:,} in {elapsed:.1f} s = {done / elapsed:.1f} requests/s")
    if every:
        print(
            f"latency ms: median {statistics.median(every):.1f}, p90 {percentile(every, 0.90):.1f}, "
            f"p95 {percentile(every, 0.95):.1f}, p99 {percentile(every, 0.99):.1f}, max {every[-1]:.1f}"
        )
    print("responses: " + ", ".join(f"{count:,} x {outcome}" for outcome, count in sorted(outcomes.items())))


if __name__ == "__main__":
    main()
