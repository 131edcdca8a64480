"""List pages at scale (run on demand, not part of the test suite).

Builds the data once: the demo city through the demo loader (``mujun.core.management.commands._demo_data.
load_demo``) with every size multiplied by ``--scale`` (default 10: 70,000 enterprises evaluated over three
years, and ten times the projects, monthly reports, provincial major projects, parcels, problems, inspection
rounds and months of indicator values), then more enterprises of three years each, in bulk through the
demo's ``load_enterprises``, until ``--enterprise-years`` (default 1,000,000) are stored. Then:

(a) pages: every list page of the URL conf (every ``ObjectListView``, found by walking the resolver) and
    the home page, through Django's test client (DEBUG off, signed in as the city administrator): p50/p95
    per page over several rounds after a warm-up round;
(b) load: ``mujun serve`` (gunicorn with its default workers and threads) on loopback, 10 threaded clients
    requesting the pages above in turn for 30 s: requests per second, p50/p95 and errors, WHILE an
    enterprise import (100,000 enterprise-years through the enterprises importer) and an evaluation run
    (through the evaluation services) write in background processes; three times (``--load-runs``), each
    with writers of its own, the median run being the result.

SQLite keeps its file in ``--data-dir`` (default /tmp/pages/sqlite); PostgreSQL uses DATABASE_URL (a
database of its own, dropped and created again unless --reuse or --top-up: the script refuses ``test``,
``postgres`` and ``mujun``). Each load test adds an evaluation run (and, the first time, the import's
enterprises) to the kept data::

    uv run python bench/bench_pages.py --data-dir /tmp/pages/sqlite --build-only   # build once, keep it
    uv run python bench/bench_pages.py --data-dir /tmp/pages/sqlite --reuse         # measure the kept data
    uv run python bench/bench_pages.py --data-dir D --top-up --enterprise-years N   # add enterprise-years to D
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mujun_pages uv run python bench/bench_pages.py \\
        --data-dir /tmp/pages/pg --reuse --write-readme

``--write-readme`` records the figures in bench/README.md (one block per database vendor).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from machine import describe_machine  # bench/machine.py; bench/ is on sys.path when run as a script

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))
PROTECTED_DATABASES = {"test", "postgres", "mujun"}

ENTERPRISE_YEARS = 1_000_000
SCALE = 10  # the demo's other data
TARGET_P95_MS = 200
TARGET_REQUESTS_PER_SECOND = 30


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/pages/sqlite"),
                        help="MUJUN_DATA_DIR: the SQLite file (without DATABASE_URL), uploads and static files")
    parser.add_argument("--reuse", action="store_true", help="measure the data an earlier run built")
    parser.add_argument("--build-only", action="store_true", help="build the data and stop")
    parser.add_argument("--enterprise-years", type=int, default=ENTERPRISE_YEARS)
    parser.add_argument("--top-up", action="store_true", help="add enterprise-years to the kept database up to --enterprise-years")
    parser.add_argument("--scale", type=int, default=SCALE, help="multiplier of the demo's other data")
    parser.add_argument("--only", choices=["pages", "load"], help="run one of the two measurements")
    parser.add_argument("--rounds", type=int, default=10, help="requests per page (after one warm-up)")
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--load-runs", type=int, default=3,
                        help="load tests, each with writers of its own; the median run is the result")
    parser.add_argument("--port", type=int, default=8230)
    parser.add_argument("--import-rows", type=int, default=100_000, help="enterprise-years imported during the load test")
    parser.add_argument("--write-readme", action="store_true")
    parser.add_argument("--writer", help=argparse.SUPPRESS)  # the load test's import, in a process of its own
    return parser.parse_args()  # fmt: skip


def prepare_environment(args) -> str:
    """Points Django at the benchmark database before it is set up; returns a description of it."""
    args.data_dir.mkdir(parents=True, exist_ok=True)
    (args.data_dir / "static").mkdir(exist_ok=True)  # WhiteNoise (DEBUG off) expects STATIC_ROOT
    os.environ["MUJUN_DATA_DIR"] = str(args.data_dir.resolve())
    os.environ["MUJUN_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mujun.settings")
    url = os.environ.get("DATABASE_URL")
    if not url:
        database = args.data_dir / "mujun.sqlite3"
        if (args.reuse or args.top_up) and not database.exists():
            sys.exit(f"--reuse: {database} does not exist; run once without --reuse")
        if not (args.reuse or args.top_up):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{database}{suffix}").unlink(missing_ok=True)
        return f"SQLite file {database}"
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if name in PROTECTED_DATABASES:
        sys.exit(f"refusing database {name!r}: point DATABASE_URL at a database of its own, e.g. mujun_pages")
    if not (args.reuse or args.top_up):
        import psycopg

        with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(f'CREATE DATABASE "{name}"')
    return f"PostgreSQL database {name} at {parts.hostname}:{parts.port or 5432}"


def build(scale: int, enterprise_years: int, top_up_only: bool, lines: list[str]) -> None:
    """The demo city through the demo loader with every size multiplied by ``scale`` (its enterprises and
    the loader's constants, for this process), then enterprises of three years each added in bulk (the
    demo's loader, ``load_enterprises``) until ``enterprise_years`` are stored."""
    import polars as pl
    from django.core.management import call_command
    from django.db import connection

    from mujun.core.management.commands import _demo_data
    from mujun.engine.demo import generate_enterprises
    from mujun.enterprises.demo import load_enterprises
    from mujun.enterprises.models import Enterprise, EnterpriseYear
    from mujun.indicators import demo as indicators_demo
    from mujun.inspections import demo as inspections_demo
    from mujun.land import demo as land_demo
    from mujun.projects import demo as projects_demo
    from mujun.regions.models import Region
    from mujun.services import demo as services_demo

    call_command("migrate", interactive=False, verbosity=0)
    started = time.perf_counter()

    def log(line):
        print(f"  {time.perf_counter() - started:6.0f} s  {line}", flush=True)

    if not top_up_only:
        projects_demo.PROJECTS *= scale
        projects_demo.PROVINCIAL *= scale
        land_demo.PARCELS *= scale
        months_back, quarters_before, load_services = (
            indicators_demo.months_back, inspections_demo.quarters_before, services_demo.load
        )  # fmt: skip
        indicators_demo.months_back = lambda count: months_back(count * scale)
        # The current round stays the demo's one open round; the earlier ones are scored.
        inspections_demo.quarters_before = lambda today, count: quarters_before(today, (count + 1) * scale - 1)
        services_demo.load = lambda context, problems=360: load_services(context, problems=problems * scale)
        context = _demo_data.load_demo(4000 * scale, 3000 * scale, log=log)
        for problem in context.problems:
            print("problem:", problem, flush=True)
        lines.append(f"- the demo city ×{scale} (its 7,000 enterprises and every other size) in {time.perf_counter() - started:.0f} s")
    missing = enterprise_years - EnterpriseYear.objects.count()
    if missing > 0:
        topped = time.perf_counter()
        years = _demo_data.DEMO_YEARS
        firms = missing // len(years) + missing // 50  # a few firms lack the earlier years
        frame = generate_enterprises(firms * 4 // 7, firms - firms * 4 // 7, years=years, seed=_demo_data.DemoContext.seed + 1)
        stored = pl.Series(list(Enterprise.objects.values_list("uscc", flat=True)), dtype=pl.String)
        frame = frame.filter(~pl.col("uscc").is_in(stored.implode()))  # a credit code the city holds already
        keep = frame.select(pl.col("uscc").unique(maintain_order=True)).to_series()
        counts = frame.group_by("uscc", maintain_order=True).len()["len"].cum_sum()
        frame = frame.filter(pl.col("uscc").is_in(keep.head(int((counts < missing).sum()) + 1).implode()))
        regions = {region.code: region for region in Region.objects.all()}
        rows = load_enterprises(frame, regions, batch_size=10_000)
        log(f"added {frame['uscc'].n_unique():,} enterprises with {rows:,} enterprise-years")
        lines.append(f"- added {rows:,} enterprise-years of {frame['uscc'].n_unique():,} more enterprises (bulk) in {time.perf_counter() - topped:.0f} s")
    with connection.cursor() as cursor:
        # As after autovacuum and SQLite's optimize: planner statistics, PostgreSQL's visibility map.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def describe_data(lines: list[str]) -> None:
    from mujun.enterprises.models import EnterpriseYear
    from mujun.evaluation.models import Result
    from mujun.inspections.models import Round
    from mujun.land.models import Parcel
    from mujun.projects.models import MonthlyReport, Project
    from mujun.services.models import Problem
    from mujun.indicators.models import IndicatorValue

    counts = [(model._meta.verbose_name_plural, model.objects.count())
              for model in (EnterpriseYear, Result, Project, MonthlyReport, Parcel, Problem, Round, IndicatorValue)]  # fmt: skip
    lines.append("- stored: " + ", ".join(f"{count:,} {name}" for name, count in counts))


def list_pages() -> tuple[list[tuple[str, str]], list[str]]:
    """(name, path) of the home page and of every list page of the URL conf; a list under a record (a run's
    results) opens on the latest such record. Also the names of lists under records the city does not hold."""
    from django.urls import NoReverseMatch, reverse

    from mujun.core.views import list_url_names
    from mujun.evaluation.models import Run

    latest_run = Run.objects.filter(status=Run.Status.PUBLISHED).order_by("-year", "-pk").values_list("pk", flat=True).first()
    record_arguments = {"evaluation:run_results": {"pk": latest_run}}  # the lists that need a record
    pages, untimed = [("home", reverse("home"))], []
    for name in list_url_names():
        try:
            pages.append((name, reverse(name, kwargs=record_arguments.get(name))))
        except NoReverseMatch:
            untimed.append(name)
    return pages, untimed


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(share * len(ordered)) - 1)]


def signed_in_client():
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username="admin"))  # the city administrator: every county
    return client


class StockTableRendering:
    """For comparison: django-tables2's own row template and its signature read per cell (the date columns
    stay the platform's: a table's columns are chosen when its class is made)."""

    def __enter__(self):
        import django_tables2
        from django_tables2 import utils

        from mujun.core import tables

        def subclasses(cls):
            for sub in cls.__subclasses__():
                yield sub
                yield from subclasses(sub)

        self.templates = {cls: cls._meta.template_name for cls in subclasses(django_tables2.Table)}
        for cls in self.templates:
            cls._meta.template_name = "django_tables2/bootstrap5-responsive.html"
        utils.signature = tables._read_signature
        return self

    def __exit__(self, *exc):
        from mujun.core.tables import install_signature_cache

        for cls, template in self.templates.items():
            cls._meta.template_name = template
        install_signature_cache()


def time_pages(pages: list[tuple[str, str]], rounds: int) -> list[str]:
    """p50/p95 of each page's first page and last page, one client, after a warm-up; and each first page's
    median with django-tables2's stock rendering, in the same rounds."""
    import re

    from mujun.core.deployment import freeze_loaded_objects

    client = signed_in_client()
    requests = []
    for name, path in pages:
        response = client.get(path)  # warm-up: connections, caches, compiled templates
        if response.status_code != 200:
            raise SystemExit(f"{name} {path}: HTTP {response.status_code}")
        requests.append((name, path, {}))
        last = max((int(number) for number in re.findall(rb"[?&]page=(\d+)", response.content)), default=1)
        if last > 1:
            requests.append((f"{name} (page {last:,})", path, {"page": last}))
    freeze_loaded_objects()  # as mujun.wsgi does in the server's master before it forks the web workers
    # Wall time is what the user waits; the process's CPU time is the page's own work, which a machine busy
    # with other processes barely changes: the stock rendering is compared on it.
    timings: dict[str, list[float]] = {name: [] for name, _path, _query in requests}
    cpu: dict[str, list[float]] = {name: [] for name, _path, _query in requests}
    stock: dict[str, list[float]] = {name: [] for name, _path in pages}

    def timed(path, query, wall, work):
        started, started_cpu = time.perf_counter(), time.process_time()
        client.get(path, query)
        work.append((time.process_time() - started_cpu) * 1000)
        if wall is not None:
            wall.append((time.perf_counter() - started) * 1000)

    for _ in range(rounds):
        for name, path, query in requests:
            timed(path, query, timings[name], cpu[name])
        with StockTableRendering():
            for name, path in pages:
                timed(path, {}, None, stock[name])
    slowest = max(percentile(values, 0.95) for values in timings.values())
    lines = [f"**(a) {len(pages)} pages (home and every list), first and last page, {rounds} requests each, one client "
             f"(load average {os.getloadavg()[0]:.1f}): slowest p95 {slowest:.0f} ms** (target ≤ {TARGET_P95_MS} ms)", "",
             "| page | p50 ms | p95 ms | CPU p50 ms | CPU p50 ms, stock django-tables2 rendering |", "|---|---|---|---|---|"]  # fmt: skip
    for name, values in timings.items():
        before = f"{statistics.median(stock[name]):.0f}" if name in stock else ""
        lines.append(f"| {name} | {statistics.median(values):.0f} | {percentile(values, 0.95):.0f} | {statistics.median(cpu[name]):.0f} | {before} |")
    return lines + [""]


def import_file(rows: int, data_dir: Path) -> Path:
    """A CSV of ``rows`` enterprise-years (year 2025, credit codes the built city does not hold) in the
    import's Chinese headers. Each call changes the revenue a little, so that an import of the file again
    updates every row rather than finding it unchanged: each load test writes."""
    import polars as pl

    from mujun.engine.demo import generate_enterprises
    from mujun.enterprises.imports import EnterpriseImporter

    path = data_dir / f"import-{rows}.csv"
    frame = generate_enterprises(n_above=rows * 4 // 7, n_below=rows - rows * 4 // 7, years=(2025,), seed=7)
    headers = {column.name: column.header for column in EnterpriseImporter.columns}
    frame = frame.with_columns(pl.lit(2025).alias("year"), (pl.col("revenue") + time.time() % 1000 / 100).round(2))
    frame.select([name for name in headers if name in frame.columns]).rename(headers, strict=False).write_csv(path)
    return path


def write_in_background(kind: str, path: str) -> None:
    """``--writer``: the import (a process of its own) of the load test, through the importer's public entry point.
    It stands for a second background worker, beside the one ``mujun serve`` starts for the evaluation run, and
    so runs at a worker's priority."""
    from django.contrib.auth import get_user_model

    from mujun.core.management.commands.serve import lower_priority
    from mujun.enterprises.imports import EnterpriseImporter

    lower_priority(os.getpid())

    started = time.perf_counter()
    admin = get_user_model().objects.get(username="admin")
    with open(path, "rb") as source:
        result = EnterpriseImporter(admin).run(source, filename=Path(path).name)
    print(f"import of {path}: {result} in {time.perf_counter() - started:.1f} s", flush=True)


def start_evaluation():
    """A new run of the city's latest scheme, queued as the run page queues it (``start_run``): the worker
    that ``mujun serve`` starts beside the web server carries it out."""
    from django.contrib.auth import get_user_model

    from mujun.evaluation.models import Run, Scheme
    from mujun.evaluation.services import start_run

    admin = get_user_model().objects.get(username="admin")
    scheme = Scheme.objects.order_by("-year", "-pk").first()
    run = Run.objects.create(name=f"负载测试{time.strftime('%H%M%S')}", scheme=scheme, year=scheme.year, region=scheme.region)
    start_run(run, admin)
    return run


def web_server_cpu_seconds() -> float:
    """CPU time (user and system) used so far by the web server's processes (gunicorn serving mujun.wsgi)."""
    total = 0.0
    for command_line in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if "mujun.wsgi" not in command_line.read_text():
                continue
            fields = (command_line.parent / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # a process that ended meanwhile
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def load_test(pages: list[tuple[str, str]], args) -> tuple[float, list[str]]:
    """``mujun serve`` on loopback, ``args.clients`` threads requesting the pages in turn for ``args.seconds``,
    while an import and an evaluation run write. Returns the requests a second and the lines reporting them."""
    import subprocess
    import threading

    import requests
    from django.conf import settings

    from mujun.core.deployment import ensure_secret_key_file

    ensure_secret_key_file()
    base = f"http://127.0.0.1:{args.port}"
    environment = {**os.environ, "MUJUN_DEBUG": "0"}
    server = subprocess.Popen([str(Path(sys.executable).parent / "mujun"), "serve", "--port", str(args.port)],
                              cwd=REPOSITORY, env=environment, start_new_session=True,
                              stdout=(args.data_dir / "serve.log").open("w"), stderr=subprocess.STDOUT)  # fmt: skip
    importer = None
    try:
        cookie = {settings.SESSION_COOKIE_NAME: signed_in_client().cookies[settings.SESSION_COOKIE_NAME].value}
        for _ in range(120):
            try:
                if requests.get(base + "/accounts/login/", timeout=5).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or its workers still starting
                pass
            time.sleep(1)
        path = import_file(args.import_rows, args.data_dir)
        importer = subprocess.Popen([sys.executable, __file__, "--data-dir", str(args.data_dir), "--reuse", "--writer", str(path)],
                                    cwd=REPOSITORY, env=environment, start_new_session=True)  # fmt: skip
        run = start_evaluation()
        times: list[float] = []
        by_page: dict[str, list[float]] = {}
        errors: list[str] = []
        stop = time.perf_counter() + args.seconds

        def client(offset: int) -> None:
            session = requests.Session()
            session.cookies.update(cookie)
            index = offset
            while time.perf_counter() < stop:
                name, path = pages[index % len(pages)]
                index += 1
                started = time.perf_counter()
                try:
                    response = session.get(base + path, timeout=60, allow_redirects=False)
                    if response.status_code != 200:
                        errors.append(f"{name}: HTTP {response.status_code}")
                except requests.RequestException as error:
                    errors.append(f"{name}: {error}")
                times.append((time.perf_counter() - started) * 1000)
                by_page.setdefault(name, []).append(times[-1])

        time.sleep(2)  # the import has read its file and the run has started: both write during the test
        began, web_cpu = time.perf_counter(), web_server_cpu_seconds()
        threads = [threading.Thread(target=client, args=(i * 3,)) for i in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
        web_cpu = web_server_cpu_seconds() - web_cpu
        load = os.getloadavg()[0]
        run.refresh_from_db()
        writing = f"import {'still running' if importer.poll() is None else 'finished (exit ' + str(importer.returncode) + ')'}, run {run.get_status_display()} {run.progress}%"
        rate = len(times) / elapsed
        lines = [f"(b) `mujun serve`, {args.clients} clients, {elapsed:.0f} s, mixed pages ({len(pages)}), while an import of "
                 f"{args.import_rows:,} enterprise-years and an evaluation run write: **{rate:.1f} req/s** "
                 f"(target ≥ {TARGET_REQUESTS_PER_SECOND}), p50 {statistics.median(times):.0f} ms, p95 {percentile(times, 0.95):.0f} ms, "
                 f"{len(errors)} errors of {len(times):,} requests; at the end: {writing}; load average {load:.1f}; "
                 f"the web server used {web_cpu / elapsed:.2f} of the {os.cpu_count()} cores, {1000 * web_cpu / len(times):.0f} ms of CPU a request"]  # fmt: skip
        slowest = sorted(by_page.items(), key=lambda item: -statistics.median(item[1]))[:8]
        lines.append("- slowest pages under load, median ms (requests): "
                     + ", ".join(f"{name} {statistics.median(values):.0f} ({len(values)})" for name, values in slowest))  # fmt: skip
        if errors:
            lines.append("- errors: " + "; ".join(sorted(set(errors))[:10]))
        return rate, lines
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=90)
        if importer is not None:
            importer.wait()


def main() -> None:
    args = arguments()
    database = prepare_environment(args)
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    with connection.cursor() as cursor:
        cursor.execute("select sqlite_version()" if connection.vendor == "sqlite" else "show server_version")
        version = cursor.fetchone()[0]
    header = f"{dt.date.today().isoformat()} · {describe_machine()} · {connection.vendor} {version} ({database}) · Django {django.get_version()}"
    if args.writer:
        return write_in_background("import", args.writer)
    print(header, flush=True)
    lines: list[str] = []
    if not args.reuse or args.top_up:
        build(args.scale, args.enterprise_years, args.top_up, lines)
    else:
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)  # index changes since the data was built
    describe_data(lines)
    print("\n".join(lines), flush=True)
    if args.build_only:
        return
    pages, untimed = list_pages()
    if untimed:
        lines.append(f"- not timed (lists under a record the demo city does not hold): {', '.join(untimed)}")
    if args.only in (None, "pages"):
        lines += time_pages(pages, args.rounds)
    if args.only in (None, "load"):
        # The machine's speed varies from minute to minute (a virtual machine's neighbours): one run of the load
        # test on the same build has given 20 and 32 req/s. Each run is reported, the median one is the result.
        runs = [load_test(pages, args) for _ in range(args.load_runs)]
        rates = sorted(rate for rate, _lines in runs)
        median = rates[len(rates) // 2]
        lines.append(f"**(b) under load, median of {len(runs)} runs: {median:.1f} req/s** (target ≥ {TARGET_REQUESTS_PER_SECOND}; "
                     f"runs {', '.join(f'{rate:.1f}' for rate, _lines in runs)})")  # fmt: skip
        for number, (_rate, run_lines) in enumerate(runs, 1):
            lines += [f"- run {number}: {run_lines[0]}", *(f"  {line}" for line in run_lines[1:])]
    url = os.environ.get("DATABASE_URL")
    command = " ".join([*([f"DATABASE_URL={url}"] if url else []), "uv run python bench/bench_pages.py", *sys.argv[1:]])
    print(header, flush=True)
    print("\n".join(lines), flush=True)
    if args.write_readme:
        from bench_web import write_readme

        write_readme(connection.vendor, command.replace(" --write-readme", ""), [header, "", *lines], bench="bench_pages")


if __name__ == "__main__":
    main()
