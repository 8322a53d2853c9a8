"""Benchmark: certificate PDFs drawn by the worker — PDFs per second.

    createdb -h 127.0.0.1 -U postgres syllabus_certificates
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/syllabus_certificates .venv/bin/python manage.py migrate
    .venv/bin/python bench/certificates.py --database postgres://postgres@127.0.0.1:5432/syllabus_certificates

Builds (once, idempotent) an organisation `certbench` with --count people (names in many scripts: Latin with
diacritics, Greek, Cyrillic, Chinese, Japanese, Arabic), a course, the default "Classic" template, an award and one
issued certificate per person (rows written straight into the tables: signing is not what is measured). Then:

1. inline: `rendering.render_and_store` in this process, one after the other — the cost of one PDF;
2. worker: a real `celery -A syllabus worker` (prefork, --concurrency, default the number of CPUs) on Redis
   (--broker, default redis://127.0.0.1:6379/13), fed one `render_certificate` task per certificate; the clock runs
   from the first task queued until the database says every PDF is ready.

Each part starts from every certificate "pending" with no file. PDFs go to a temporary MEDIA_ROOT, removed after.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAMES = (
    "Zoë Łukasiewicz",
    "Σοφία Παπαδοπούλου",
    "Дмитрий Иванов",
    "中村 美咲",
    "김민준",
    "أحمد الفارسي",
    "Siobhán Ní Bhriain",
    "José María García-Núñez",
    "Nguyễn Thị Minh Khai",
    "Björn Þórsson",
)
ORG = "certbench"


def build(count: int) -> None:
    import datetime as dt

    from django.db import transaction

    from syllabus.accounts.models import Membership, Organization, User
    from syllabus.catalog.models import Course
    from syllabus.certificates.default_templates import template_create_defaults
    from syllabus.certificates.models import Award, Certificate, Template

    organization, _ = Organization.objects.get_or_create(slug=ORG, defaults={"name": "Certificate Bench Ltd"})
    have = Certificate.objects.filter(organization=organization).count()
    if have >= count:
        return
    with transaction.atomic():
        if not Template.objects.filter(organization=organization).exists():
            template_create_defaults(organization, None)
        template = Template.objects.filter(organization=organization).order_by("pk").first()
        course, _ = Course.objects.get_or_create(organization=organization, title="Fire safety at work")
        award, _ = Award.objects.get_or_create(
            organization=organization, course=course, defaults={"source": "course", "template": template}
        )
        start = Membership.objects.filter(organization=organization).count()
        users = User.objects.bulk_create(
            [
                User(email=f"cert{i}@bench.example", display_name=f"{NAMES[i % len(NAMES)]} {i}")
                for i in range(start, count)
            ],
            batch_size=2000,
        )
        members = Membership.objects.bulk_create(
            [Membership(organization=organization, user=user) for user in users], batch_size=2000
        )
        issued = dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC)
        Certificate.objects.bulk_create(
            [
                Certificate(
                    organization=organization,
                    membership=member,
                    award=award,
                    source="course",
                    course=course,
                    title=course.title,
                    recipient_name=member.user.display_name,
                    score=87,
                    issued_at=issued,
                    expires_at=issued + dt.timedelta(days=365),
                    template=template,
                    template_revision=template.revision,
                )
                for member in members
            ],
            batch_size=2000,
        )


def reset(ids: list[int]) -> None:
    from syllabus.certificates.models import Certificate

    Certificate.objects.filter(pk__in=ids).update(render_state="pending", pdf="", pdf_sha256="", rendered_at=None)


def inline(ids: list[int]) -> None:
    from syllabus.certificates import rendering
    from syllabus.certificates.models import Certificate

    reset(ids)
    rendering.render_and_store(ids[0])  # loads Pango and the fonts once, as a warm worker has
    reset(ids)
    each = []
    started = time.perf_counter()
    for pk in ids:
        t0 = time.perf_counter()
        rendering.render_and_store(pk)
        each.append(time.perf_counter() - t0)
    seconds = time.perf_counter() - started
    ready = Certificate.objects.filter(pk__in=ids, render_state="ready").count()
    print(
        f"inline, one process: {len(ids):,} PDFs in {seconds:.1f} s = {len(ids) / seconds:.1f} PDFs/s "
        f"(median {statistics.median(each) * 1000:.0f} ms, p95 {sorted(each)[int(len(each) * 0.95)] * 1000:.0f} ms;"
        f" {ready:,} ready)"
    )


def worker(ids: list[int], *, concurrency: int, broker: str, env: dict[str, str]) -> None:
    from syllabus.celery import app
    from syllabus.certificates.models import Certificate
    from syllabus.certificates.tasks import render_certificate

    reset(ids)
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "celery"),
            "-A",
            "syllabus",
            "worker",
            "--pool=prefork",
            f"--concurrency={concurrency}",
            "--loglevel=warning",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=1.0):
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit("The worker did not start.")
        started = time.perf_counter()
        for pk in ids:
            render_certificate.delay(pk)
        queued = time.perf_counter() - started
        ready = 0
        while ready < len(ids):
            time.sleep(0.25)  # a benchmark polling the database, never a test
            ready = Certificate.objects.filter(pk__in=ids).exclude(render_state="pending").count()
            if time.perf_counter() - started > 1800:
                raise SystemExit(f"Only {ready} of {len(ids)} PDFs after 30 minutes.")
        seconds = time.perf_counter() - started
        failed = Certificate.objects.filter(pk__in=ids, render_state="failed").count()
        print(
            f"worker, prefork x{concurrency}: {len(ids):,} PDFs in {seconds:.1f} s = {len(ids) / seconds:.1f} PDFs/s"
            f" (queueing took {queued:.1f} s; {failed} failed)"
        )
    finally:
        process.terminate()
        process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", help="a DATABASE_URL (default: the DATABASE_URL environment variable)")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--part", choices=["inline", "worker", "both"], default="both")
    args = parser.parse_args()
    media = tempfile.mkdtemp(prefix="certbench-")
    if args.database:
        os.environ["DATABASE_URL"] = args.database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syllabus.settings")
    os.environ.setdefault("DEBUG", "false")
    os.environ["MEDIA_ROOT"] = media
    os.environ["CELERY_BROKER_URL"] = args.broker
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    from syllabus.accounts.models import Organization
    from syllabus.certificates.models import Certificate

    try:
        print(f"database: {connection.vendor}; {args.count:,} certificates; media in {media}")
        build(args.count)
        organization = Organization.objects.get(slug=ORG)
        ids = list(Certificate.objects.filter(organization=organization).order_by("pk").values_list("pk", flat=True))[
            : args.count
        ]
        if args.part in ("inline", "both"):
            inline(ids)
        if args.part in ("worker", "both"):
            worker(ids, concurrency=args.concurrency, broker=args.broker, env=dict(os.environ))
        sizes = [p.stat().st_size for p in Path(media).rglob("*.pdf")]
        if sizes:
            print(f"PDF size: median {statistics.median(sizes) / 1024:.0f} kB over {len(sizes):,} files")
    finally:
        shutil.rmtree(media, ignore_errors=True)


if __name__ == "__main__":
    main()
