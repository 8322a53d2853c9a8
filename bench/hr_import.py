"""Benchmark: an HR import of N people — dry run (validate + stage), apply, then the same file again.

    .venv/bin/python bench/hr_import.py --rows 100000
    .venv/bin/python bench/hr_import.py --rows 100000 --database postgres://postgres@127.0.0.1:5432/syllabus

The database is DATABASE_URL (or --database); the benchmark runs in a throwaway test database created next to it
(`test_<name>`, as the test suite does; for SQLite a file in a temporary folder, WAL on, like production) and drops
it at the end, so it never touches real data. The CSV is generated with a seeded RNG (--seed): the same N and seed
give the same file. Prints seconds and rows/s for each phase, and the peak memory of the process.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST = ["Ada", "Ben", "Chloe", "Dev", "Ela", "Finn", "Grace", "Hugo", "Iris", "Jon", "Kemi", "Liam", "Maya", "Noor"]
LAST = ["Okafor", "Patel", "Quinn", "Rossi", "Smith", "Tanaka", "Usman", "Varga", "Weber", "Xu", "Young", "Zhou"]


def generate_csv(rows: int, seed: int, units: list[str], roles: list[str], locations: list[str]) -> bytes:
    """N people with a reporting tree: about one in twenty manages, everyone's manager comes earlier in the file."""
    rng = random.Random(seed)
    lines = ["email,name,employee_id,org_unit,job_role,location,manager_email,hire_date,attr:cost_center,grade"]
    managers: list[str] = []
    for index in range(1, rows + 1):
        email = f"person{index:06d}@bench.example"
        manager = rng.choice(managers) if managers else ""
        if index == 1 or rng.random() < 0.05:
            managers.append(email)
        hire = f"{rng.randint(1995, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        lines.append(
            f"{email},{name},E{index:06d},{rng.choice(units)},{rng.choice(roles)},{rng.choice(locations)},"
            f"{manager},{hire},CC-{rng.randint(100, 999)},{rng.choice(['A', 'B', 'C'])}"
        )
    return ("\n".join(lines) + "\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database", help="a DATABASE_URL (default: the DATABASE_URL environment variable)")
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="syllabus-bench-")
    if args.database:
        os.environ["DATABASE_URL"] = args.database
    os.environ.setdefault("SYLLABUS_VAR_DIR", scratch)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syllabus.settings")
    os.environ["HR_IMPORT_MAX_ROWS"] = str(max(args.rows, 200_000))
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    if connection.vendor == "sqlite":
        settings.DATABASES["default"]["TEST"]["NAME"] = str(Path(scratch) / "bench.sqlite3")
    settings.MEDIA_ROOT = str(Path(scratch) / "media")
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        run(args.rows, args.seed)
    finally:
        teardown_databases(old_config, verbosity=0)


def run(rows: int, seed: int) -> None:
    from django.core.files.base import ContentFile
    from django.db import connection

    from syllabus.access.models import Role, RoleAssignment
    from syllabus.accounts import services as accounts_services
    from syllabus.accounts.hr_import import services
    from syllabus.accounts.models import AttributeDefinition, ImportJob, Membership, Organization, OrgUnit, User

    organization = Organization.objects.create(name="Bench Health", slug="bench-health")
    admin = User.objects.create_user("admin@bench.example", None, display_name="Bench Admin")
    membership = Membership.objects.create(organization=organization, user=admin)
    RoleAssignment.objects.create(
        organization=organization,
        membership=membership,
        role=Role.objects.get(organization__isnull=True, key="org_admin"),
        scope="organization",
    )
    root = accounts_services.org_unit_create(organization=organization, by=admin, name="Bench Health")
    units = []
    for division in range(8):
        parent = accounts_services.org_unit_create(
            organization=organization, by=admin, name=f"Division {division}", parent=root
        )
        for department in range(6):
            accounts_services.org_unit_create(
                organization=organization, by=admin, name=f"Department {division}.{department}", parent=parent
            )
            units.append(f"Bench Health/Division {division}/Department {division}.{department}")
    roles = [
        accounts_services.job_role_save(organization=organization, by=admin, name=f"Role {n}").name for n in range(20)
    ]
    locations = [
        accounts_services.location_save(organization=organization, by=admin, name=f"Site {n}").name for n in range(12)
    ]
    AttributeDefinition.objects.create(organization=organization, key="cost_center", label="Cost centre")
    AttributeDefinition.objects.create(
        organization=organization, key="grade", label="Grade", type="choice", choices=["A", "B", "C"]
    )
    assert OrgUnit.objects.filter(organization=organization).count() == 1 + 8 + 8 * 6

    started = time.perf_counter()
    content = generate_csv(rows, seed, units, roles, locations)
    print(f"HR import benchmark: {rows:,} rows, {len(content) / 1e6:.1f} MB, seed {seed}, {connection.vendor}")
    print(f"  generate CSV        {time.perf_counter() - started:7.2f} s")

    def timed(label: str, work):
        started = time.perf_counter()
        result = work()
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"  {label:<19} {seconds:7.2f} s  {rows / seconds:10,.0f} rows/s   peak memory so far {peak:5.0f} MB")
        return result

    def dry_run() -> ImportJob:
        job = services.import_job_create(
            organization=organization, by=admin, file=ContentFile(content), filename="bench.csv", start=False
        )
        validated = services.import_job_run_validation(job_id=job.pk)
        assert validated is not None
        return validated

    job = timed("dry run (validate)", dry_run)
    assert job.can_apply, (job.failure, job.errors[:5])
    assert job.to_create == rows, job.to_create

    def apply() -> ImportJob:
        services.import_job_apply(job=job, by=admin, start=False)
        applied = services.import_job_run_apply(job_id=job.pk)
        assert applied is not None
        return applied

    applied = timed("apply", apply)
    assert applied.status == ImportJob.Status.APPLIED, (applied.failure, applied.errors[:5])
    assert Membership.objects.filter(organization=organization, is_active=True).count() == rows + 1

    again = timed("re-import dry run", dry_run)
    assert again.unchanged == rows and again.to_create == again.to_update == 0, (again.to_update, again.errors[:3])


if __name__ == "__main__":
    main()
