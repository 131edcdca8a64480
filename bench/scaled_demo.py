"""The demo city scaled: ``mujun demo``'s loaders with every count multiplied (enterprises, projects and
provincial major projects, inspection rounds and the projects each county nominates to a round), for the page benchmarks (bench_projects.py, bench_oversight.py).

The data is built once into a kept directory (SQLite) or database (PostgreSQL) and reused with ``--reuse``.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

PROTECTED_DATABASES = {"test", "postgres", "mujun"}


def prepare(data_dir: Path, reuse: bool) -> str:
    """Points Django (not yet set up) at ``data_dir``'s SQLite file, or at DATABASE_URL's database (created if
    missing, emptied unless ``reuse``); returns a description of the database."""
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "static").mkdir(exist_ok=True)  # WhiteNoise (DEBUG off) expects STATIC_ROOT
    os.environ["MUJUN_DATA_DIR"] = str(data_dir.resolve())
    os.environ["MUJUN_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mujun.settings")
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        database = data_dir / "mujun.sqlite3"
        if not reuse:
            for leftover in data_dir.glob("mujun.sqlite3*"):
                leftover.unlink()
        elif not database.exists():
            sys.exit(f"--reuse: {database} does not exist; run once without --reuse")
        return f"SQLite file {database}"
    name = url.rstrip("/").rsplit("/", 1)[-1]
    if name in PROTECTED_DATABASES:
        sys.exit(f"refusing database {name!r}: use a database of your own, e.g. mujun_bench")
    import psycopg

    with psycopg.connect(url.rstrip("/").rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not reuse:
            connection.execute(f'DROP DATABASE "{name}"')
        if not exists or not reuse:
            connection.execute(f'CREATE DATABASE "{name}"')
    return f"PostgreSQL database {name}"


def load_scaled_demo(scale: int, log=print) -> float:
    """Migrates the (empty) database and loads the demo city with every count × ``scale``; returns seconds."""
    from django.core.management import call_command
    from django.db import connection

    from mujun.core.management.commands._demo_data import load_demo
    from mujun.inspections import demo as inspections_demo
    from mujun.projects import demo as projects_demo

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    quarters_before = inspections_demo.quarters_before
    with contextlib.ExitStack() as patches:
        patches.enter_context(mock.patch.object(projects_demo, "PROJECTS", projects_demo.PROJECTS * scale))
        patches.enter_context(mock.patch.object(projects_demo, "PROVINCIAL", projects_demo.PROVINCIAL * scale))
        patches.enter_context(
            mock.patch.object(inspections_demo, "quarters_before", lambda today, count: quarters_before(today, count * scale))
        )
        low, high = inspections_demo.NOMINATIONS_PER_COUNTY
        patches.enter_context(mock.patch.object(inspections_demo, "NOMINATIONS_PER_COUNTY", (low * scale, high * scale)))
        load_demo(4000 * scale, 3000 * scale, log=log)
    with connection.cursor() as cursor:
        # As after autovacuum: planner statistics (and PostgreSQL's visibility map for index-only scans).
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return time.perf_counter() - started


def ensure_scaled_demo(scale: int, reuse: bool, log=print) -> list[str]:
    """Loads the scaled demo unless ``reuse``; then applies migrations added since (index changes). Returns
    lines describing what was done."""
    from django.core.management import call_command

    if reuse:
        call_command("migrate", verbosity=0)
        return [f"demo city × {scale} reused"]
    seconds = load_scaled_demo(scale, log=log)
    return [f"demo city × {scale} loaded in {seconds:.0f} s"]


class Timings(list):
    """Milliseconds of requests, and the CPU time this process spent on them (SQLite's work included,
    PostgreSQL's not): on a machine other jobs load, the CPU time varies far less than the clock."""

    cpu: list[float]


def page_timings(client, path: str, params: dict, requests: int) -> Timings:
    """``requests`` GETs of ``path`` after one warm-up, each checked to answer 200."""
    assert client.get(path, params).status_code == 200, path
    timings = Timings()
    timings.cpu = []
    for _ in range(requests):
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get(path, params)
        timings.append((time.perf_counter() - started) * 1000)
        timings.cpu.append((time.process_time() - cpu) * 1000)
        assert response.status_code == 200, path
    return timings


def percentiles(timings: Timings) -> str:
    ordered = sorted(timings)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"p50 {statistics.median(ordered):.0f} ms, p95 {p95:.0f} ms ({len(ordered)} requests; "
        f"CPU of this process p50 {statistics.median(timings.cpu):.0f} ms)"
    )


def query_count(client, path: str, params: dict) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(path, params)
    return len(queries)
