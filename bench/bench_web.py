"""Web-level benchmarks of Mujun (run on demand, not part of the test suite).

(a) run:  an evaluation run over N stored enterprises (default 100,000, one year): the time of
          ``mujun.evaluation.services.execute_run`` end to end, with its stages.
(b) page: the results page of a run while 1,000,000 enterprise-years are stored (default 255,000
          enterprises × 4 years, one city run per year, so about 1,000,000 results too): p50/p95 over
          requests through Django's test client, varying filters, sorting and pagination.

The database is a SQLite file in a temporary directory, or PostgreSQL when DATABASE_URL is set (its
database is created when missing and emptied first: never point it at a database you keep)::

    uv run python bench/bench_web.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mujun_bench uv run python bench/bench_web.py
    uv run python bench/bench_web.py --only page --write-readme

``--write-readme`` records the figures in bench/README.md (one section per database vendor).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from machine import describe_machine  # bench/machine.py; bench/ is on sys.path when run as a script

REPOSITORY = Path(__file__).resolve().parent.parent
README = Path(__file__).resolve().parent / "README.md"
PROTECTED_DATABASES = {"test", "postgres", "mujun"}



def prepare_environment(args) -> str:
    """Point Django at the benchmark database before it is set up; returns a description of it."""
    data_dir = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="mujun-bench-"))
    (data_dir / "static").mkdir(parents=True, exist_ok=True)  # WhiteNoise (DEBUG off) expects STATIC_ROOT
    os.environ["MUJUN_DATA_DIR"] = str(data_dir)  # SQLite file and run snapshots
    print(f"data directory: {data_dir}", flush=True)
    os.environ["MUJUN_DEBUG"] = "0"  # as in production: no query log, no debug templates
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mujun.settings")
    url = os.environ.get("DATABASE_URL")
    if not url:
        return "SQLite file in " + (args.data_dir or "a temporary directory")
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if name in PROTECTED_DATABASES:
        sys.exit(f"refusing to empty database {name!r}: point DATABASE_URL at a database of its own, e.g. mujun_bench")
    import psycopg

    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
    return f"PostgreSQL database {name} at {parts.hostname}:{parts.port or 5432}"


def empty_database() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("flush", interactive=False, verbosity=0)


class StageTimer:
    """Wraps the services' stages so that a run reports where its time goes."""

    STAGES = ["build_input", "_save_snapshot", "evaluate_snapshot", "_write_results", "build_summary"]

    def __init__(self):
        from mujun.evaluation import services

        self.services = services
        self.seconds: dict[str, float] = {}
        self.originals = {}

    def __enter__(self):
        for stage in self.STAGES:
            original = getattr(self.services, stage, None)
            if original is None:
                continue
            self.originals[stage] = original

            def timed(*args, _stage=stage, _original=original, **kwargs):
                started = time.perf_counter()
                try:
                    return _original(*args, **kwargs)
                finally:
                    self.seconds[_stage] = self.seconds.get(_stage, 0.0) + time.perf_counter() - started

            setattr(self.services, stage, timed)
        return self

    def __exit__(self, *exc):
        for stage, original in self.originals.items():
            setattr(self.services, stage, original)

    def describe(self) -> str:
        return ", ".join(f"{stage.lstrip('_')} {seconds:.1f} s" for stage, seconds in self.seconds.items())


def load(n_enterprises: int, years: tuple[int, ...], lines: list[str]) -> dict:
    from mujun.engine.demo import generate_enterprises
    from mujun.enterprises.demo import load_enterprises
    from mujun.regions.demo import load_regions

    started = time.perf_counter()
    frame = generate_enterprises(
        n_above=n_enterprises * 4 // 7, n_below=n_enterprises - n_enterprises * 4 // 7, years=years
    )
    generated = time.perf_counter() - started
    regions = load_regions()
    started = time.perf_counter()
    rows = load_enterprises(frame, regions, batch_size=10_000)
    stored = time.perf_counter() - started
    lines.append(
        f"- stored {n_enterprises:,} enterprises and {rows:,} enterprise-years "
        f"(generated in {generated:.1f} s, bulk insert {stored:.1f} s)"
    )
    return regions


def run_year(regions, year: int, preset: str = "huangyan-2022"):
    from mujun.evaluation.demo import run_name, scheme_text
    from mujun.evaluation.models import Run, Scheme
    from mujun.evaluation.services import execute_run
    from mujun.regions.demo import CITY_CODE

    city = regions[CITY_CODE]
    name = f"基准{year}年度方案"
    scheme, _ = Scheme.objects.get_or_create(
        name=name, year=year, defaults={"region": city, "preset": preset, "toml": scheme_text(preset, year, name)}
    )
    run = Run.objects.create(name=run_name(city, year), scheme=scheme, year=year, region=city)
    with StageTimer() as stages:
        started = time.perf_counter()
        execute_run(run)
        seconds = time.perf_counter() - started
    if run.status != Run.Status.DONE:
        raise SystemExit(f"run {run} ended {run.status}: {run.message}")
    return run, seconds, stages


def bench_run(n_enterprises: int, lines: list[str]) -> None:
    empty_database()
    lines.append(f"**(a) evaluation run over {n_enterprises:,} stored enterprises (one year)**")
    regions = load(n_enterprises, (2024,), lines)
    run, seconds, stages = run_year(regions, 2024)
    lines.append(
        f"- `execute_run`: **{seconds:.1f} s** end to end, {run.results.count():,} results ({stages.describe()})"
    )


def page_requests(run) -> list[tuple[str, dict]]:
    """Requests a user makes on a run's results page: filters, sorts and pages, alone and combined."""
    from mujun.evaluation.models import Result

    county = run.results.values_list("region_id", flat=True).first()
    evaluated = run.results.filter(status=Result.Status.EVALUATED).count()
    last_page = max(1, (run.results.count() + 49) // 50)
    sample_name = run.results.order_by("pk").values_list("enterprise__name", flat=True)[evaluated // 3]
    return [
        ("first page", {}),
        ("page 2", {"page": 2}),
        ("page 100", {"page": 100}),
        ("last page", {"page": last_page}),
        ("sort -total", {"sort": "-total"}),
        ("sort total, page 40", {"sort": "total", "page": 40}),
        ("sort -rank", {"sort": "-rank"}),
        ("sort name", {"sort": "name"}),
        ("grade D", {"grade": "D"}),
        ("grade A, sort -total", {"grade": "A", "sort": "-total"}),
        ("status exempt", {"status": "exempt"}),
        ("county", {"region": county}),
        ("county + grade C, page 3", {"region": county, "grade": "C", "page": 3}),
        ("group below", {"group": "below"}),
        ("search name", {"q": sample_name[2:5]}),
        ("search uscc prefix", {"q": "91330522"}),
    ]


def bench_page(n_enterprises: int, years: tuple[int, ...], rounds: int, reuse: bool, lines: list[str]) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from mujun.enterprises.models import EnterpriseYear
    from mujun.evaluation.models import Result, Run

    if reuse and Run.objects.filter(status=Run.Status.DONE).exists():
        from django.core.management import call_command

        started = time.perf_counter()
        call_command("migrate", interactive=False, verbosity=0)  # index changes since the database was built
        print(f"migrated in {time.perf_counter() - started:.1f} s", flush=True)
        lines.append(
            f"**(b) results page with {EnterpriseYear.objects.count():,} enterprise-years stored** "
            "(database of an earlier run reused)"
        )
    else:
        empty_database()
        lines.append(f"**(b) results page with {n_enterprises:,} enterprises × {len(years)} years stored**")
        regions = load(n_enterprises, years, lines)
        for year in years:
            run, seconds, stages = run_year(regions, year)
            lines.append(f"- run {year}: {seconds:.1f} s ({stages.describe()})")
    lines.append(f"- results stored: {Result.objects.count():,} in {Run.objects.count()} runs")
    if connection.vendor == "postgresql":
        # What autovacuum does soon after a bulk load: statistics for the planner, a visibility map for
        # index-only counts. Without it the first minutes after a load are several times slower.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        lines.append("- `VACUUM ANALYZE` after loading (as autovacuum would)")

    run = Run.objects.filter(status=Run.Status.DONE).order_by("-year", "-pk").first()
    user, _ = get_user_model().objects.get_or_create(username="bench-viewer", defaults={"role": "viewer"})
    client = Client()
    client.force_login(user)
    url = reverse("evaluation:run_results", args=[run.pk])
    requests = page_requests(run)
    for _, params in requests:  # warm-up: caches, connections, compiled templates
        client.get(url, params)
    timings: dict[str, list[float]] = {label: [] for label, _ in requests}
    for _ in range(rounds):
        for label, params in requests:
            started = time.perf_counter()
            response = client.get(url, params)
            timings[label].append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{label}: HTTP {response.status_code}")
    every = sorted(t for values in timings.values() for t in values)
    p95 = every[max(0, round(0.95 * len(every)) - 1)]
    lines.append(
        f"- results page of run {run.year} ({run.results.count():,} results), {len(every)} requests: "
        f"**p50 {statistics.median(every):.0f} ms, p95 {p95:.0f} ms**, max {every[-1]:.0f} ms"
    )
    slowest = sorted(timings.items(), key=lambda item: -statistics.median(item[1]))
    lines.append(
        "- median per request kind: "
        + ", ".join(f"{label} {statistics.median(values):.0f} ms" for label, values in slowest)
    )


def write_readme(key: str, command: str, lines: list[str], bench: str = "bench_web") -> None:
    """Replace (or add at the end) the block of figures named ``key`` (database vendor and benchmark) of the
    benchmark script ``bench``."""
    start, end = f"<!-- {bench} {key} -->", f"<!-- /{bench} {key} -->"
    block = "\n".join([start, f"`{command}`", "", *lines, end])
    text = README.read_text() if README.exists() else "# Benchmarks\n"
    if start in text:
        text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    README.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=["run", "page"], help="run one of the two benchmarks")
    parser.add_argument("--run-enterprises", type=int, default=100_000)
    parser.add_argument("--page-enterprises", type=int, default=255_000)
    parser.add_argument("--page-years", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=4, help="rounds over the request kinds (16 kinds each)")
    parser.add_argument("--write-readme", action="store_true")
    parser.add_argument("--data-dir", help="SQLite: keep the database in this directory (default: a new temporary one)")
    parser.add_argument(
        "--reuse", action="store_true", help="page: time the pages of a database an earlier --only page run built"
    )
    args = parser.parse_args()

    sys.path.insert(0, str(REPOSITORY))
    database = prepare_environment(args)
    import django

    django.setup()
    from django.db import connection

    vendor = connection.vendor
    with connection.cursor() as cursor:
        cursor.execute("select sqlite_version()" if vendor == "sqlite" else "show server_version")
        version = cursor.fetchone()[0]
    header = (
        f"{dt.date.today().isoformat()} · {describe_machine()} · {vendor} {version} ({database}) · "
        f"Django {django.get_version()}"
    )
    print(header, flush=True)
    url = os.environ.get("DATABASE_URL")
    command = " ".join(
        [*([f"DATABASE_URL={url}"] if url else []), "uv run python bench/bench_web.py", *sys.argv[1:]]
    ).replace(" --write-readme", "")
    benchmarks = {
        "run": lambda lines: bench_run(args.run_enterprises, lines),
        "page": lambda lines: bench_page(
            args.page_enterprises, tuple(range(2025 - args.page_years, 2025)), args.rounds, args.reuse, lines
        ),
    }
    for kind, bench in benchmarks.items():
        if args.only not in (None, kind):
            continue
        lines: list[str] = []
        bench(lines)
        print("\n".join(lines), flush=True)
        if args.write_readme:
            write_readme(f"{vendor} {kind}", command, [header, "", *lines])


if __name__ == "__main__":
    main()
