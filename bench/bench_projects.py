"""Projects benchmark (run on demand, not in the test suite).

    uv run python bench/bench_projects.py                                   # SQLite in a temporary directory
    uv run python bench/bench_projects.py --data-dir /tmp/bench-projects    # keep the SQLite file there
    uv run python bench/bench_projects.py --data-dir /tmp/bench-projects --reuse --only board
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mujun_bench_projects uv run python bench/bench_projects.py

    uv run python bench/bench_projects.py --only portfolio --data-dir /tmp/bigpages/sqlite [--reuse] [--write-readme]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mujun_bigpages uv run python bench/bench_projects.py --only portfolio [--reuse]

Stores 50,000 projects in one county (its towns) and 1,200,000 monthly reports (24 months each), then times
(a) the four lists of the county for a month, as the page computes them (two queries + the Polars engine),
and the Excel workbook of the four lists; (b) the battle-board page through Django's test client (DEBUG off,
signed in as a viewer), p50/p95 over 30 requests after a warm-up. Targets: (a) ≤ 1 s, (b) p95 ≤ 300 ms.
For PostgreSQL the script creates the named database if needed and empties it (unless --reuse); it refuses
`test`.

`--only portfolio` works on other data: the demo city scaled (bench/scaled_demo.py, `--scale`, default ×10:
6,000 projects, all in this year's portfolio, 45,000 monthly reports), and times the major-project portfolio
page (千项万亿) for the year and for the provincial level, p50/p95, with its query count; beside it, in the same
run, the page's figures computed from every project's and report's row (frames + engine.portfolio, what the
page did before) as the peer. Target: p95 ≤ 200 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

from machine import describe_machine  # bench/machine.py; bench/ is on sys.path when run as a script

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))

PROJECTS = 50_000
MONTHS = 24
LIST_MONTH = dt.date(2024, 6, 1)
STAGE_DAYS = 120  # between two stages after construction starts


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 2)[2],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--data-dir", type=Path, help="keep the SQLite database in this directory (default: a temporary one)")
    parser.add_argument("--reuse", action="store_true", help="time the stored data again instead of building it")
    parser.add_argument("--only", choices=["lists", "board", "portfolio"],
                        help="time only the four lists, the board, or the portfolio (on the scaled demo city)")
    parser.add_argument("--scale", type=int, default=10, help="portfolio: the demo city × this (default 10)")
    parser.add_argument("--write-readme", action="store_true", help="portfolio: record the figures in bench/README.md")
    parser.add_argument("--requests", type=int, default=30, help="board requests to time (default 30)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile profile of one board request")
    return parser.parse_args()


def _prepare_database(arguments: argparse.Namespace) -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        if arguments.data_dir:
            arguments.data_dir.mkdir(parents=True, exist_ok=True)
            os.environ["MUJUN_DATA_DIR"] = str(arguments.data_dir.resolve())
            database = arguments.data_dir / "mujun.sqlite3"
            if arguments.reuse and not database.exists():
                sys.exit(f"--reuse: {database} does not exist; run once without --reuse")
            if not arguments.reuse and database.exists():
                database.unlink()
        elif arguments.reuse:
            sys.exit("--reuse needs --data-dir (SQLite) or DATABASE_URL")
        else:
            os.environ["MUJUN_DATA_DIR"] = tempfile.mkdtemp(prefix="mujun-bench-projects-")
        return
    name = url.rsplit("/", 1)[-1]
    if name in ("test", "postgres", "mujun"):
        sys.exit(f"refusing database {name!r}: use a database of your own, e.g. mujun_bench_projects")
    if arguments.reuse:
        return
    import psycopg

    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


def _build() -> float:
    """Stores the regions, a viewer and the projects with their reports; returns the seconds it took."""
    import numpy as np
    from django.db import connection

    from mujun.core.models import User
    from mujun.projects.models import Project
    from mujun.regions.models import Region

    rng = np.random.default_rng(7)
    city = Region.objects.create(code="330500", name="湖州市", level="city")
    county = Region.objects.create(code="330502", name="吴兴区", level="county", parent=city)
    towns = [Region.objects.create(code=f"330502{i:03d}", name=f"镇{i}", level="town", parent=county) for i in range(10)]
    User.objects.create_user("viewer", password="x", role="viewer")

    started = time.perf_counter()
    first = dt.date(2022, 1, 1)
    stages = ["planned", "signed", "landed", "construction", "completed", "commissioned", "capacity", "above_scale"]
    reached = rng.integers(3, 8, PROJECTS)  # construction … above_scale
    start_days = rng.integers(0, 700, PROJECTS)
    # The next stage is planned from half a year before today to a year after it (the later ones follow):
    # late, due and on-schedule projects on the board, whatever day the benchmark runs.
    today = dt.date.today()
    plan_shift = rng.integers(-180, 365, PROJECTS)
    progress = rng.integers(0, MONTHS, PROJECTS)
    rows = []
    for i in range(PROJECTS):
        construction = first + dt.timedelta(days=int(start_days[i]))
        natural = {"signed": construction - dt.timedelta(days=90), "landed": construction - dt.timedelta(days=45),
                   "construction": construction}  # fmt: skip
        for offset, stage in enumerate(stages[4:], start=1):
            natural[stage] = construction + dt.timedelta(days=STAGE_DAYS * offset)
        actual = {s: d if stages.index(s) <= reached[i] else None for s, d in natural.items()}
        due = today + dt.timedelta(days=int(plan_shift[i]))
        planned = {s: d if actual[s] else due + dt.timedelta(days=STAGE_DAYS * (stages.index(s) - int(reached[i]) - 1)) for s, d in natural.items()}
        month = int(progress[i])
        rows.append(Project(code=f"B{i:06d}", name=f"项目{i}", region=towns[i % 10], total_investment=float(rng.integers(1000, 200_000)),
                            stage=stages[reached[i]], plan_year=2024, annual_plan=1000.0,
                            last_progress_month=dt.date(2023 + month // 12, month % 12 + 1, 1),
                            **{f"actual_{s}": d for s, d in actual.items()},
                            **{f"planned_{s}": d for s, d in planned.items()}))  # fmt: skip
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
    with connection.cursor() as cursor:
        # As after a day of autovacuum: PostgreSQL's index-only scans need the visibility map.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    connection.close()
    return time.perf_counter() - started


def _time_lists(county) -> list[str]:
    from mujun.projects import views

    timings = []
    for _ in range(5):
        t = time.perf_counter()
        lists = views.four_lists_frames(county, LIST_MONTH)
        timings.append(time.perf_counter() - t)
    sizes = {k: f.height for k, f in lists.items()}
    t = time.perf_counter()
    views.xlsx_response({k: views.list_sheet(f, k) for k, f in lists.items()}, "lists.xlsx")
    workbook_time = time.perf_counter() - t
    client = _client()
    lists_page = []
    for _ in range(5):
        t = time.perf_counter()
        assert client.get("/projects/lists/", {"region": county.pk, "month": f"{LIST_MONTH:%Y-%m}"}).status_code == 200
        lists_page.append(time.perf_counter() - t)
    timings.sort()
    lists_page.sort()
    return [
        f"four lists (queries + engine): best {timings[0] * 1000:.0f} ms, median {timings[2] * 1000:.0f} ms; sizes {sizes}",
        f"four-lists workbook: {workbook_time * 1000:.0f} ms; four-lists page median {lists_page[2] * 1000:.0f} ms",
    ]


def _client():
    return _client_of("viewer")


def _client_of(username: str):
    from django.test import Client

    from mujun.core.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def _time_board(requests: int, profile: bool) -> list[str]:
    client = _client()
    assert client.get("/projects/board/").status_code == 200
    if profile:
        import cProfile
        import pstats

        with cProfile.Profile() as profiler:
            client.get("/projects/board/")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    board = []
    for _ in range(requests):
        t = time.perf_counter()
        response = client.get("/projects/board/")
        board.append(time.perf_counter() - t)
        assert response.status_code == 200
    board.sort()
    p95 = board[min(len(board) - 1, round(0.95 * (len(board) - 1)))]
    return [f"board page, {requests} requests: p50 {board[len(board) // 2] * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"]


def _time_portfolio(requests: int) -> list[str]:
    """The portfolio page against its peer, the same figures from every row (frames + engine)."""
    from datetime import date

    from scaled_demo import page_timings, percentiles, query_count

    from mujun.engine import projects as engine
    from mujun.projects import frames
    from mujun.projects.models import MonthlyReport, Project

    year = date.today().year
    client = _client_of("leader")

    def every_row(level: str = "") -> None:
        queryset = Project.objects.filter(plan_year=year, **({"level": level} if level else {}))
        projects = frames.with_regions(frames.project_frame(queryset))
        reports = frames.report_frame(MonthlyReport.objects.filter(project__in=queryset, month__year=year))
        for by in ("field", "county", "level"):
            engine.portfolio(projects, reports, year, by)
        engine.portfolio_by_month(projects, reports, year)

    lines = [
        f"{Project.objects.filter(plan_year=year).count():,} projects in the {year} portfolio, "
        f"{MonthlyReport.objects.filter(month__year=year).count():,} monthly reports of {year} "
        f"({MonthlyReport.objects.count():,} in all)"
    ]
    for label, params in (("the year", {}), ("provincial level", {"level": "provincial"})):
        page = page_timings(client, "/projects/portfolio/", params, requests)
        peer = []
        for _ in range(max(3, requests // 5)):
            started = time.perf_counter()
            every_row(params.get("level", ""))
            peer.append((time.perf_counter() - started) * 1000)
        lines.append(
            f"portfolio page, {label}: **{percentiles(page)}**, {query_count(client, '/projects/portfolio/', params)} "
            f"queries; peer, the figures from every row (frames + engine, no page): median {sorted(peer)[len(peer) // 2]:.0f} ms "
            f"→ page/peer {sorted(page)[len(page) // 2] / sorted(peer)[len(peer) // 2]:.2f}"
        )
    return lines


def _portfolio_main(arguments: argparse.Namespace) -> None:
    from scaled_demo import ensure_scaled_demo, prepare

    data_dir = arguments.data_dir or Path(tempfile.mkdtemp(prefix="mujun-bench-portfolio-"))
    database = prepare(data_dir, arguments.reuse)
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from bench_web import write_readme

    settings.ALLOWED_HOSTS = ["testserver"]
    lines = ensure_scaled_demo(arguments.scale, arguments.reuse)
    lines += _time_portfolio(arguments.requests)
    header = (f"{dt.date.today()} · {describe_machine()} · {connection.vendor} ({database}) · "
              f"load average {os.getloadavg()[0]:.2f} at the end")  # fmt: skip
    print(header)
    print("\n".join(f"- {line}" for line in lines))
    if arguments.write_readme:
        url = os.environ.get("DATABASE_URL")
        command = " ".join([*([f"DATABASE_URL={url}"] if url else []), "uv run python bench/bench_projects.py", *sys.argv[1:]])
        write_readme(f"portfolio {connection.vendor}", command.replace(" --write-readme", ""),
                     [header, "", *(f"- {line}" for line in lines)], bench="bench_projects")  # fmt: skip


def main() -> None:
    arguments = _arguments()
    if arguments.only == "portfolio":
        return _portfolio_main(arguments)
    _prepare_database(arguments)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mujun.settings")
    os.environ["MUJUN_DEBUG"] = "0"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from mujun.regions.models import Region

    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    lines = []
    if not arguments.reuse:
        load_time = _build()
        lines.append(f"stored {PROJECTS:,} projects and {PROJECTS * MONTHS:,} monthly reports in {load_time:.0f} s")
    county = Region.objects.get(code="330502")
    if arguments.only in (None, "lists"):
        lines += _time_lists(county)
    if arguments.only in (None, "board"):
        lines += _time_board(arguments.requests, arguments.profile)

    load = os.getloadavg()[0]
    print(f"date {dt.date.today()}, {describe_machine()}, {connection.vendor}, load {load:.2f}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
