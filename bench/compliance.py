"""Benchmark: compliance programs at scale — evaluations, the nightly run, the dashboard and the evidence pack.

    createdb -h 127.0.0.1 -U postgres syllabus_compliance
    .venv/bin/python bench/compliance.py --database postgres://postgres@127.0.0.1:5432/syllabus_compliance --build
    .venv/bin/python bench/compliance.py --database postgres://postgres@127.0.0.1:5432/syllabus_compliance

Works on the organisation `--organization` (default `compliance`) of DATABASE_URL (or --database). `--build` first
(re)builds it with `generate_scale --users N --courses 5 --reset` (default 100,000 people) and leaves it there.
Every run then (re)creates, fast and straight into the tables (no services, events or audit: this is data, not the
code under test), and on PostgreSQL runs VACUUM ANALYZE after it and after each evaluation, as autovacuum would:

- an audience "Everyone (bench)" of the whole organisation (recomputed through the audiences service);
- `--programs` programs (default 5) of the usual shapes on it: an acknowledgement, one course recurring yearly
  with a 60-day window, one course every two years anchored to the due date with 14 days' grace, all of two
  courses yearly, any of two courses every three years due 60 days after hire. Prior completions count (look-back
  730 days), so people start in every status. Enrollment is off (enrolling 500,000 people is the enrollment
  bench's business, not this one's);
- completions for `--completed` of the people (default 60 %) per course, dated over the last 500 days (seeded);
  acknowledgements for the same share, after the first evaluation (an acknowledgement belongs to an assignment).

Then it measures (wall time, rows/s where it means something; each line ends with the load average, as this
machine is shared; evaluations also say how much of their time went to other apps' handlers of their events,
which run after the commit):
1. the first full evaluation of every program (everyone assigned, the ledger replayed);
2. a second full re-evaluation (after the acknowledgements arrived: the acknowledgement program changes);
2b. a full re-evaluation as after an edit of every program (revision bumped: everyone in scope re-evaluated
   under the new rules; only the assignments whose standing changed are rewritten);
3. the nightly run (`tasks.daily`'s work: `evaluate_program` + `reminders.send_for_program`) today, and as it
   would run 45 days later (many due dates pass: statuses turn over and reminders go out);
4. the dashboard page (`compliance:dashboard`) through Django's test client as a compliance officer: median and
   95th percentile of --runs requests and the queries of one (target: median under 200 ms on PostgreSQL);
5. the evidence CSV (`compliance:evidence`, `format=csv`) of the largest program over the last year, streamed to
   nowhere: rows/s, and the peak Python memory while streaming (tracemalloc) plus the process's max RSS.
A part whose code or URL is not there yet is skipped with a note.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 200
AUDIENCE = "Everyone (bench)"
PROGRAMS: tuple[tuple[str, dict[str, Any], int], ...] = (
    # (name, fields, how many of the organisation's courses (0: an acknowledgement))
    ("Code of conduct", {"requirement": "acknowledgement", "statement": "I follow the code of conduct."}, 0),
    ("Fire safety", {"requirement": "course", "valid_months": 12, "window_days": 60}, 1),
    ("Data protection", {"requirement": "course", "valid_months": 24, "anchor": "due_date", "grace_days": 14}, 1),
    ("Infection control", {"requirement": "all", "valid_months": 12, "window_days": 30}, 2),
    ("Manual handling", {"requirement": "any", "valid_months": 36, "due_rule": "after_hire", "due_days": 60}, 2),
)


def timed(label: str, fn: Any, *, rows: int | None = None) -> Any:
    started = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - started
    rate = f"  ({rows / seconds:,.0f} rows/s)" if rows else ""
    # This machine is shared: the load average says how far to trust a wall time.
    print(f"{label:<52} {seconds:>9.1f} s{rate}  [load {os.getloadavg()[0]:.1f}]")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--organization", default="compliance")
    parser.add_argument("--build", action="store_true", help="first rebuild the organisation (see above)")
    parser.add_argument("--users", type=int, default=100_000, help="people, with --build")
    parser.add_argument("--programs", type=int, default=5, choices=range(1, len(PROGRAMS) + 1))
    parser.add_argument("--completed", type=float, default=0.6, help="share of people with a completion per course")
    parser.add_argument("--runs", type=int, default=20, help="timed dashboard requests")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--synthetic", action="store_true", help="skip the evaluations: write statuses at random (pages only)"
    )
    parser.add_argument("--skip-nightly-reminders", action="store_true", help="time the evaluations only")
    parser.add_argument("--database", help="a DATABASE_URL (default: the DATABASE_URL environment variable)")
    args = parser.parse_args()
    if args.database:
        os.environ["DATABASE_URL"] = args.database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syllabus.settings")
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    from syllabus.celery import app as celery_app

    # The nightly run's job is to write the notices; delivering them (email, one task per batch) is the workers'
    # job, measured by bench/notifications.py. Queued tasks go to an in-memory broker nobody reads.
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = "memory://"
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.models import F
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import NoReverseMatch, reverse

    from syllabus.access.models import Role, RoleAssignment
    from syllabus.accounts.models import Membership, Organization, OrgUnit
    from syllabus.audiences import services as audience_services
    from syllabus.audiences.models import Audience
    from syllabus.catalog.models import Course
    from syllabus.compliance import evaluation
    from syllabus.compliance.models import (
        Assignment,
        Program,
        ProgramAcknowledgement,
        ProgramCourse,
        ProgramStatus,
        StatusChange,
    )
    from syllabus.core import clock
    from syllabus.progress.models import Completion

    call_command("migrate", verbosity=0)
    from syllabus.compliance import notifying
    from syllabus.notifications import types

    try:
        types.get("compliance.assigned")
    except LookupError:
        # Until ComplianceConfig.ready() connects them, the reminders' notification types are unknown.
        notifying.connect()
    if args.build:
        started = time.perf_counter()
        call_command(
            "generate_scale",
            users=args.users,
            courses=5,
            organization=args.organization,
            reset=True,
            stdout=sys.stdout,
        )
        print(f"built in {time.perf_counter() - started:.1f} s")
    organization = Organization.objects.filter(slug=args.organization).first()
    if organization is None:
        sys.exit(f"No organisation {args.organization!r}: run with --build first.")
    rng = random.Random(args.seed)
    people = list(Membership.objects.filter(organization=organization, is_active=True).values_list("pk", flat=True))
    courses = list(
        Course.objects.filter(organization=organization, published_version__isnull=False)
        .order_by("pk")
        .values_list("pk", "title")[:5]
    )
    print(f"{connection.vendor}: organisation {organization.slug!r}, {len(people):,} people, {len(courses)} courses")

    # --- the data ------------------------------------------------------------------------------------------------
    def prepare() -> list[Program]:
        with transaction.atomic():
            old = Program.objects.filter(organization=organization)
            # Row by row would take minutes: the ledger, cycles and assignments of old runs go in bulk first.
            StatusChange.objects.filter(program__in=old).delete()
            ProgramAcknowledgement.objects.filter(program__in=old).delete()
            Assignment.objects.filter(program__in=old).delete()
            old.delete()
            Completion.objects.filter(organization=organization, title__startswith="[bench] ").delete()
            Audience.objects.filter(organization=organization, name=AUDIENCE).delete()
        root = OrgUnit.objects.filter(organization=organization, parent__isnull=True).order_by("pk").first()
        assert root is not None
        admin = Membership.objects.filter(organization=organization).select_related("user").order_by("pk").first()
        assert admin is not None
        audience = audience_services.audience_create(
            organization=organization,
            by=admin.user,
            name=AUDIENCE,
            rules_tree={"org_unit": root.pk, "include_sub_units": True},
        )
        audience_services.audience_recompute(audience=audience)
        made = []
        course_at = 0
        for name, fields, course_count in PROGRAMS[: args.programs]:
            values = {
                "due_rule": "after_assignment",
                "due_days": 30,
                "due_soon_days": 30,
                "lookback_days": 730 if course_count else 0,
                "reminder_days": [14, 3],
                "escalate_manager_days": 7,
                "escalate_officer_days": 14,
                "enroll": False,
                **fields,
            }
            program = Program.objects.create(
                organization=organization,
                name=name,
                audience=audience,
                status=ProgramStatus.ACTIVE,
                activated_at=clock.now(),
                **values,
            )
            for position in range(course_count):
                course_id = courses[(course_at + position) % len(courses)][0]
                ProgramCourse.objects.create(program=program, course_id=course_id, position=position)
            course_at += course_count
            made.append(program)
        now = clock.now()
        rows = []
        for course_id, title in courses:
            for membership_id in people:
                if rng.random() < args.completed:
                    at = now - dt.timedelta(days=rng.randrange(1, 500), minutes=rng.randrange(0, 600))
                    rows.append(
                        Completion(
                            organization=organization,
                            membership_id=membership_id,
                            course_id=course_id,
                            title=f"[bench] {title}"[:200],
                            completed_at=at,
                            created_at=at,
                        )
                    )
        Completion.objects.bulk_create(rows, batch_size=5000)
        print(f"data: {len(made)} programs, {len(rows):,} completions")
        return made

    programs = timed("prepare (audience, programs, completions)", prepare)

    def vacuum() -> None:
        # Autovacuum may be off on the bench server: without it index-only scans do not happen and the planner
        # works from stale counts.
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")

    vacuum()

    # What other apps do with the events of an evaluation (after it commits: e.g. certificates asks whether the
    # program has an award, one query per ProgramCompleted) is part of the evaluation's wall time; it is timed
    # apart so the compliance figures can be read without it. Wrapping the registered handlers is bench-only.
    from syllabus.core import events as core_events

    handler_seconds = [0.0]

    def timing(handler: Any) -> Any:
        def run(event: object) -> None:
            started = time.perf_counter()
            try:
                handler(event)
            finally:
                handler_seconds[0] += time.perf_counter() - started

        return run

    for handlers in core_events._handlers.values():
        handlers[:] = [timing(handler) for handler in handlers]

    def evaluate_all(label: str, **kwargs: Any) -> None:
        total = {"assigned": 0, "evaluated": 0, "changed": 0, "ledger_rows": 0}
        handler_seconds[0] = 0.0
        events = [0]

        def run() -> None:
            for program in programs:
                result = evaluation.evaluate_program(program, **kwargs)
                events[0] += len(result.completed)
                for key, value in result.as_dict().items():
                    if key in total:
                        total[key] += value

        timed(label, run, rows=None)
        print(f"{'':<52} {', '.join(f'{k} {v:,}' for k, v in total.items())}")
        print(
            f"{'':<52} of which {handler_seconds[0]:.1f} s in other apps' handlers of "
            f"{events[0]:,} ProgramCompleted events (after commit)"
        )

    def synthesize() -> None:
        """Assignments and ledger rows straight into the tables, statuses drawn at random: the figures of the
        pages at full size without waiting for the evaluations (--synthetic)."""
        today = evaluation.program_today(programs[0])
        now = clock.now()
        weights = (
            ("compliant", 55),
            ("not_yet_due", 10),
            ("due_soon", 10),
            ("overdue", 12),
            ("expired", 8),
            ("exempt", 5),
        )
        codes = [code for code, weight in weights for _ in range(weight)]
        for program in programs:
            rows = []
            for membership_id in people:
                code = rng.choice(codes)
                assigned = today - dt.timedelta(days=rng.randrange(0, 700))
                due = assigned + dt.timedelta(days=30)
                done = code == "compliant"
                rows.append(
                    Assignment(
                        organization=organization,
                        program=program,
                        membership_id=membership_id,
                        assigned_at=now,
                        assigned_on=assigned,
                        opened_on=assigned,
                        due_on=due,
                        completed_on=due - dt.timedelta(days=3) if done else None,
                        expires_on=today + dt.timedelta(days=rng.randrange(1, 365)) if done else None,
                        status=code,
                        status_since=min(today, due),
                        next_change_on=today + dt.timedelta(days=rng.randrange(1, 90)),
                        evaluated_revision=program.revision,
                        evaluated_at=now,
                    )
                )
            made = Assignment.objects.bulk_create(rows, batch_size=5000)
            ledger = []
            for row in made:
                ledger.append(
                    StatusChange(
                        organization=organization,
                        program=program,
                        assignment_id=row.pk,
                        membership_id=row.membership_id,
                        effective_on=row.assigned_on,
                        recorded_at=now,
                        status="not_yet_due",
                        cycle=1,
                        due_on=row.due_on,
                        reason="assigned",
                    )
                )
                if row.status != "not_yet_due":
                    ledger.append(
                        StatusChange(
                            organization=organization,
                            program=program,
                            assignment_id=row.pk,
                            membership_id=row.membership_id,
                            effective_on=row.status_since,
                            recorded_at=now,
                            status=row.status,
                            cycle=1,
                            due_on=row.due_on,
                            reason="time",
                        )
                    )
            StatusChange.objects.bulk_create(ledger, batch_size=5000)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")

    if args.synthetic:
        timed("synthetic assignments and ledger (no evaluation)", synthesize)
        today = evaluation.program_today(programs[0])
    else:
        evaluate_all("1. first full evaluation (all programs)", full=True)
        vacuum()

        # Acknowledgements for a share of the assignees of the acknowledgement program.
        ack_program = next((p for p in programs if p.requirement == "acknowledgement"), None)
        if ack_program is not None:
            now = clock.now()
            acks = [
                ProgramAcknowledgement(
                    organization=organization,
                    program=ack_program,
                    assignment_id=assignment_id,
                    membership_id=membership_id,
                    cycle=1,
                    statement=ack_program.statement,
                    statement_digest="0" * 64,
                    # Between the assignment and now: an acknowledgement dated before its assignment does not
                    # count, and how many did once hung on the hour the bench ran (1,247 at 01:10, 29,448 by day).
                    acknowledged_at=assigned_at + (now - assigned_at) * rng.random(),
                )
                for assignment_id, membership_id, assigned_at in Assignment.objects.filter(
                    program=ack_program, ended_at__isnull=True
                ).values_list("pk", "membership_id", "assigned_at")
                if rng.random() < args.completed
            ]
            ProgramAcknowledgement.objects.bulk_create(acks, batch_size=5000)
            print(f"data: {len(acks):,} acknowledgements")
        evaluate_all("2. second full re-evaluation (all programs)", full=True)
        vacuum()
        # As after an edit of each program that can move statuses (`program_update` bumps the revision and queues
        # a full evaluation): everyone in scope is re-evaluated, under rules that move nobody here.
        Program.objects.filter(pk__in=[p.pk for p in programs]).update(revision=F("revision") + 1)
        evaluate_all("2b. full re-evaluation after a program edit (all)", full=True)
        vacuum()

        def nightly(today: dt.date | None) -> None:
            from syllabus.compliance import reminders

            totals: dict[str, int] = {}
            for program in programs:
                evaluation.evaluate_program(program, today=today)
                if not args.skip_nightly_reminders:
                    for key, value in reminders.send_for_program(program, today=today).items():
                        totals[key] = totals.get(key, 0) + value
            if totals:
                print(f"{'':<52} notices: {', '.join(f'{k} {v:,}' for k, v in sorted(totals.items()))}")

        today = evaluation.program_today(programs[0])
        timed("3a. nightly run today (evaluation + reminders)", lambda: nightly(None))
        timed("3b. nightly run today again (idempotent)", lambda: nightly(None))
        later = today + dt.timedelta(days=45)
        timed(f"3c. nightly run on {later.isoformat()} (+45 days)", lambda: nightly(later))
        counts: dict[str, int] = {}
        for status in (
            Assignment.objects.filter(program__in=programs, ended_at__isnull=True)
            .values_list("status", flat=True)
            .iterator(chunk_size=20000)
        ):
            counts[status] = counts.get(status, 0) + 1
        print(f"{'statuses now':<52} {', '.join(f'{k} {v:,}' for k, v in sorted(counts.items()))}")

    # --- pages ---------------------------------------------------------------------------------------------------
    officer = Membership.objects.filter(organization=organization).select_related("user").order_by("pk").first()
    assert officer is not None
    role = Role.objects.get(organization__isnull=True, key="compliance_officer")
    RoleAssignment.objects.get_or_create(
        organization=organization, membership=officer, role=role, scope="organization", org_unit=None
    )
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    client.force_login(officer.user)
    session = client.session
    session["organization_id"] = organization.pk  # the organisation chooser's choice, for people in several
    session.save()

    try:
        path = reverse("compliance:dashboard")
    except NoReverseMatch:
        path = ""
        print("4. dashboard: skipped, URL name compliance:dashboard does not exist yet")
    if path:
        response = client.get(path)
        if response.status_code != 200:
            print(f"4. dashboard: skipped, GET {path} answered {response.status_code}")
        else:
            client.get(path)
            with CaptureQueriesContext(connection) as queries:
                client.get(path)
            query_count = len(queries.captured_queries)
            timings = []
            for _ in range(args.runs):
                started = time.perf_counter()
                client.get(path)
                timings.append((time.perf_counter() - started) * 1000)
            timings.sort()
            median = statistics.median(timings)
            p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
            verdict = "under" if median < TARGET_MS else "OVER"
            print(
                f"{'4. dashboard page (' + str(args.runs) + ' runs)':<52} median {median:.1f} ms, p95 {p95:.1f} ms, "
                f"{query_count} queries: {verdict} the {TARGET_MS} ms target"
            )

    try:
        path = reverse("compliance:evidence")
    except NoReverseMatch:
        path = ""
        print("5. evidence CSV: skipped, URL name compliance:evidence does not exist yet")
    if path:
        biggest = max(programs, key=lambda p: Assignment.objects.filter(program=p).count())
        params = {
            "program": biggest.pk,
            "start": (today - dt.timedelta(days=365)).isoformat(),
            "end": today.isoformat(),
            "format": "csv",
        }
        tracemalloc.start()
        started = time.perf_counter()
        response = client.get(path, params)
        lines = 0
        size = 0
        if response.status_code != 200 or not getattr(response, "streaming", False):
            print(f"5. evidence CSV: GET answered {response.status_code} (streaming: {response.streaming})")
        else:
            for chunk in response.streaming_content:  # type: ignore[attr-defined]
                lines += chunk.count(b"\n")
                size += len(chunk)
            seconds = time.perf_counter() - started
            _current, peak = tracemalloc.get_traced_memory()
            rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"{'5. evidence CSV (' + biggest.name + ', one year)':<52} {seconds:>9.1f} s  ({lines - 1:,} rows, "
                f"{(lines - 1) / seconds:,.0f} rows/s, {size / 1_048_576:.1f} MB; peak traced "
                f"{peak / 1_048_576:.1f} MB, max RSS {rss_mb:.0f} MB)"
            )
        tracemalloc.stop()


if __name__ == "__main__":
    main()
