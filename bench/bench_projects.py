"""Projects benchmark (run on demand, not in the test suite).

    uv run python bench/bench_projects.py                      # SQLite in a temporary directory
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mujun_bench_projects uv run python bench/bench_projects.py

Stores 50,000 projects in one county (its towns) and 1,200,000 monthly reports (24 months each), then times
(a) the four lists of the county for a month, as the page computes them (two queries + the Polars engine),
and the Excel workbook of the four lists; (b) the battle-board page through Django's test client (DEBUG off,
signed in as a viewer), p50/p95 over 30 requests after a warm-up. Targets: (a) ≤ 1 s, (b) p95 ≤ 300 ms.
For PostgreSQL the script creates the named database if needed and empties it; it refuses `test`.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))

PROJECTS = 50_000
MONTHS = 24


def _prepare_database() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        os.environ["MUJUN_DATA_DIR"] = tempfile.mkdtemp(prefix="mujun-bench-projects-")
        return
    name = url.rsplit("/", 1)[-1]
    if name in ("test", "postgres", "mujun"):
        sys.exit(f"refusing database {name!r}: use a database of your own, e.g. mujun_bench_projects")
    import psycopg

    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    _prepare_database()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mujun.settings")
    os.environ["MUJUN_DEBUG"] = "0"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    import numpy as np

    from mujun.core.models import User
    from mujun.projects import views
    from mujun.projects.models import Project
    from mujun.regions.models import Region

    rng = np.random.default_rng(7)
    city = Region.objects.create(code="330500", name="湖州市", level="city")
    county = Region.objects.create(code="330502", name="吴兴区", level="county", parent=city)
    towns = [Region.objects.create(code=f"330502{i:03d}", name=f"镇{i}", level="town", parent=county) for i in range(10)]
    viewer = User.objects.create_user("viewer", password="x", role="viewer")

    started = time.perf_counter()
    first = dt.date(2023, 1, 1)
    reached = rng.integers(3, 8, PROJECTS)  # construction … above_scale
    start_days = rng.integers(0, 500, PROJECTS)
    rows = []
    for i in range(PROJECTS):
        construction = first + dt.timedelta(days=int(start_days[i]))
        dates = {"signed": construction - dt.timedelta(days=90), "landed": construction - dt.timedelta(days=45),
                 "construction": construction}  # fmt: skip
        day = construction
        for offset, stage in enumerate(["completed", "commissioned", "capacity", "above_scale"], start=4):
            day = day + dt.timedelta(days=200)
            dates[stage] = day if reached[i] >= offset else None
        stage = ["planned", "signed", "landed", "construction", "completed", "commissioned", "capacity", "above_scale"][reached[i]]
        rows.append(Project(code=f"B{i:06d}", name=f"项目{i}", region=towns[i % 10], total_investment=float(rng.integers(1000, 200_000)),
                            stage=stage, plan_year=2024, annual_plan=1000.0,
                            **{f"actual_{s}": d for s, d in dates.items()},
                            **{f"planned_{s}": d or first + dt.timedelta(days=900) for s, d in dates.items()}))  # fmt: skip
    Project.objects.bulk_create(rows, batch_size=5000)
    ids = list(Project.objects.values_list("pk", flat=True))
    months = [dt.date(2023 + m // 12, m % 12 + 1, 1) for m in range(MONTHS)]
    table = connection.ops.quote_name("projects_monthlyreport")
    sql = (f"INSERT INTO {table} (project_id, month, invested_month, invested_to_date, notes, status, review_note) "
           "VALUES (%s, %s, %s, %s, '', 'approved', '')")  # fmt: skip
    with connection.cursor() as cursor:
        for index, month in enumerate(months):
            invested = rng.uniform(0, 500, len(ids)).round(1)
            cursor.executemany(sql, [(pk, month, float(v), float(v) * (index + 1)) for pk, v in zip(ids, invested)])
    connection.close()
    load_time = time.perf_counter() - started

    month = dt.date(2024, 6, 1)
    timings = []
    for _ in range(5):
        t = time.perf_counter()
        lists = views.four_lists_frames(county, month)
        timings.append(time.perf_counter() - t)
    sizes = {k: f.height for k, f in lists.items()}
    t = time.perf_counter()
    views.xlsx_response({k: views.list_sheet(f, k) for k, f in lists.items()}, "lists.xlsx")
    workbook_time = time.perf_counter() - t

    client = Client()
    client.force_login(viewer)
    client.get("/projects/board/")
    board = []
    for _ in range(30):
        t = time.perf_counter()
        response = client.get("/projects/board/")
        board.append(time.perf_counter() - t)
        assert response.status_code == 200
    lists_page = []
    for _ in range(5):
        t = time.perf_counter()
        client.get("/projects/lists/", {"region": county.pk, "month": "2024-06"})
        lists_page.append(time.perf_counter() - t)

    cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
    print(f"date {dt.date.today()}, {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, {connection.vendor}")
    print(f"stored {PROJECTS:,} projects and {len(ids) * MONTHS:,} monthly reports in {load_time:.0f} s")
    print(f"four lists (queries + engine): best {min(timings) * 1000:.0f} ms, median {sorted(timings)[2] * 1000:.0f} ms; sizes {sizes}")
    print(f"four-lists workbook: {workbook_time * 1000:.0f} ms; four-lists page median {sorted(lists_page)[2] * 1000:.0f} ms")
    board.sort()
    print(f"board page: p50 {board[14] * 1000:.0f} ms, p95 {board[28] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
