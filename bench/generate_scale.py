"""Benchmark: `manage.py generate_scale --users N` — how long building N people takes, and the peak memory.

    .venv/bin/python bench/generate_scale.py --users 100000
    .venv/bin/python bench/generate_scale.py --users 100000 --database postgres://postgres@127.0.0.1:5432/syllabus_scale

Builds (or, with an existing organisation of that slug, rebuilds with --reset) the organisation `--organization`
(default `scale`) in the database of DATABASE_URL (or --database) and leaves it there, for bench/audience_recompute.py.
Point it at a scratch database: the command refuses production settings.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--organization", default="scale")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--database", help="a DATABASE_URL (default: the DATABASE_URL environment variable)")
    args = parser.parse_args()
    if args.database:
        os.environ["DATABASE_URL"] = args.database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syllabus.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    out = io.StringIO()
    started = time.perf_counter()
    call_command(
        "generate_scale",
        users=args.users,
        organization=args.organization,
        seed=args.seed,
        reset=True,
        stdout=out,
    )
    elapsed = time.perf_counter() - started
    print(out.getvalue().rstrip())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"generate_scale --users {args.users} on {connection.vendor}: {elapsed:.1f} s wall "
        f"({args.users / elapsed:,.0f} people/s), peak memory {peak_mb:,.0f} MB"
    )


if __name__ == "__main__":
    main()
