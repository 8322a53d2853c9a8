"""Benchmark: sending one notification to many people, then delivering the emails — what a compliance reminder job
or an audience-wide assignment costs.

    .venv/bin/python bench/notifications.py --build                  # once: an organisation of 10,000 people
    .venv/bin/python bench/notifications.py
    .venv/bin/python bench/notifications.py --database postgres://postgres@127.0.0.1:5432/syllabus_notify --build

Works on the organisation `--organization` (default `notifybench`) of DATABASE_URL (or --database); `--build` first
(re)builds it with `generate_scale --users N --reset`. Each run deletes the previous run's notifications, then:

1. `notify_many` of one notice per active person (a throwaway type with two placeholders, in-app and email): the
   rendering in each person's language and time zone, the dedupe check, the inserts of notifications and deliveries.
   The worker is not queued during this step, so it times the sender's side only.
2. the same notices again: every dedupe key is used, so nothing is sent (what a reminder job that runs twice costs).
3. `delivery.sweep()` with Django's in-memory email backend: claiming, building the plain-text and HTML emails, and
   recording the outcome. Real SMTP adds the mail server's time per message.

Prints seconds, rows per second and the queries of each step: steps 1 and 2 take a constant number per 1,000 notices
(`services.BATCH`); the sweep writes each email's outcome on its own (one UPDATE per delivery).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--organization", default="notifybench")
    parser.add_argument("--build", action="store_true", help="first rebuild the organisation")
    parser.add_argument("--users", type=int, default=10_000, help="people, with --build")
    parser.add_argument("--database", help="a DATABASE_URL (default: the DATABASE_URL environment variable)")
    args = parser.parse_args()
    if args.database:
        os.environ["DATABASE_URL"] = args.database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syllabus.settings")
    os.environ.setdefault("DEBUG", "false")
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core import mail
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from syllabus.accounts.models import Membership, Organization
    from syllabus.core import clock
    from syllabus.notifications import delivery, services
    from syllabus.notifications import types as registry
    from syllabus.notifications.models import Delivery, Notification

    call_command("migrate", verbosity=0)
    if args.build:
        started = time.perf_counter()
        call_command("generate_scale", users=args.users, organization=args.organization, reset=True, verbosity=0)
        print(f"built {args.users:,} people in {time.perf_counter() - started:.1f} s")
    organization = Organization.objects.filter(slug=args.organization).first()
    if organization is None:
        sys.exit(f"No organisation {args.organization!r}: run with --build first.")

    kind = registry.NotificationType(
        key="bench.reminder",
        label="Reminder",
        description="A benchmark reminder.",
        category="Benchmark",
        subject="{{ course }} is due on {{ due }}",
        body="Hello,\n\n{{ course }} is due on {{ due }}. Open it from your dashboard.",
        placeholders={
            "course": registry.Placeholder("Course", "Fire safety"),
            "due": registry.Placeholder("Due date", "1 March 2027"),
        },
    )
    registry.register(kind)
    Delivery.objects.filter(notification__type_key=kind.key).delete()
    Notification.objects.filter(type_key=kind.key).delete()

    people = list(
        Membership.objects.filter(organization=organization, is_active=True, user__is_active=True).values_list(
            "user_id", flat=True
        )
    )
    due = clock.today()
    notices = [
        services.Notice(
            recipient_id=user_id,
            type=kind.key,
            dedupe_key=f"bench:{due.isoformat()}",
            context={"course": "Fire safety 2027", "due": due},
            organization_id=organization.pk,
            url="/",
        )
        for user_id in people
    ]
    print(f"{len(notices):,} people of {organization.name}, {connection.vendor}")

    queue = services._queue
    services._queue = lambda ids: None  # the sender's side only: the sweep below sends
    try:
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            created = services.notify_many(notices)
            first = time.perf_counter() - started
        print(f"notify_many, new:     {first:6.2f} s  {len(created) / first:8,.0f} notices/s  {len(queries):4} queries")
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            again = services.notify_many(notices)
            second = time.perf_counter() - started
        print(
            f"notify_many, again:   {second:6.2f} s  {len(notices) / second:8,.0f} notices/s  {len(queries):4} queries"
            f"  ({len(again)} sent)"
        )
    finally:
        services._queue = queue

    mail.outbox = []
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        outcome = delivery.sweep()
        swept = time.perf_counter() - started
    sent = outcome.get("sent", 0)
    print(
        f"sweep (emails built): {swept:6.2f} s  {sent / swept:8,.0f} emails/s     {len(queries):4} queries"
        f"  ({len(mail.outbox):,} in the outbox)"
    )


if __name__ == "__main__":
    main()
