"""Backup and restore benchmark of Mujun (run on demand, not part of the test suite).

Stores N enterprises × Y years (default 250,000 × 4, about 1,000,000 enterprise-years, with their history
rows), then times ``mujun backup FILE`` and ``mujun restore FILE --force`` (the management commands, in
process) and checks that the enterprise-year count survives. Target (issue 11): restoring 1,000,000
enterprise-years ≤ 60 s.

The database is a SQLite file in a temporary directory, or PostgreSQL when DATABASE_URL is set (created when
missing and emptied first: never point it at a database you keep)::

    uv run python bench/bench_backup.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mujun_bench uv run python bench/bench_backup.py

``--write-readme`` records the figures in bench/README.md (one block per database vendor).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import sys
import time
from pathlib import Path

from bench_web import REPOSITORY, empty_database, load, prepare_environment, write_readme  # bench/ is on sys.path
from machine import describe_machine

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--enterprises", type=int, default=250_000)
    parser.add_argument("--years", type=int, default=4)
    parser.add_argument("--data-dir", help="SQLite: keep the database in this directory")
    parser.add_argument("--write-readme", action="store_true")
    args = parser.parse_args()

    sys.path.insert(0, str(REPOSITORY))
    database = prepare_environment(args)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from mujun.enterprises.models import EnterpriseYear

    vendor = connection.vendor
    header = f"{dt.date.today().isoformat()} · {describe_machine()} · {vendor} ({database}) · Django {django.get_version()}"
    print(header, flush=True)
    empty_database()
    lines: list[str] = []
    load(args.enterprises, tuple(range(2025 - args.years, 2025)), lines)
    rows = EnterpriseYear.objects.count()
    archive = Path(settings.DATA_DIR) / "bench-backup.tar"

    started = time.perf_counter()
    call_command("backup", str(archive), stdout=io.StringIO())
    backed_up = time.perf_counter() - started
    size = archive.stat().st_size
    EnterpriseYear.objects.filter(pk__in=EnterpriseYear.objects.values("pk")[:1000]).delete()

    started = time.perf_counter()
    call_command("restore", str(archive), "--force", stdout=io.StringIO())
    restored = time.perf_counter() - started
    assert EnterpriseYear.objects.count() == rows, "the restore lost enterprise-years"
    lines.append(f"- `mujun backup`: **{backed_up:.1f} s**, archive {size / 1024**2:,.0f} MiB")
    lines.append(f"- `mujun restore --force` of {rows:,} enterprise-years: **{restored:.1f} s** (target ≤ 60 s)")
    print("\n".join(lines), flush=True)
    archive.unlink()
    if args.write_readme:
        url = os.environ.get("DATABASE_URL")
        command = " ".join(
            [*([f"DATABASE_URL={url}"] if url else []), "uv run python bench/bench_backup.py", *sys.argv[1:]]
        ).replace(" --write-readme", "")
        write_readme(vendor, command, [header, "", *lines], bench="bench_backup")


if __name__ == "__main__":
    main()
