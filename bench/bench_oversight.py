"""Benchmarks of the oversight apps (inspections, indicators, services), run on demand, not in tests.

(a) engine: ``mujun.engine.inspections.scoreboard`` for a large round (300 projects × 9 judges × 6
    criteria) and ``mujun.engine.rankings.ranking`` over 100 regions × 20 indicators × 120 months.
(b) pages: the demo database (``mujun demo`` data: 7,000 enterprises, four scored rounds, 24 months of
    indicators, 360 problems) and p50/p95 of the home dashboard, a scoreboard, its workbook, the
    indicator ranking and the services overview through Django's test client.

The database is a SQLite file in a temporary directory, or PostgreSQL when DATABASE_URL is set (its
database is created and emptied: use one of your own, such as mujun_bench_oversight)::

    uv run python bench/bench_oversight.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mujun_bench_oversight uv run python bench/bench_oversight.py
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from machine import describe_machine  # bench/machine.py; bench/ is on sys.path when run as a script

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))



def timed(function, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return times


def describe(name: str, times: list[float]) -> None:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(f"- {name}: p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms ({len(times)} runs)", flush=True)


def bench_engine() -> None:
    import numpy as np
    import polars as pl

    from mujun.engine.inspections import scoreboard
    from mujun.engine.rankings import ranking

    rng = np.random.default_rng(1)
    projects, judges, criteria = 300, 9, 6
    p, j, c = np.meshgrid(np.arange(projects), np.arange(judges), np.arange(criteria), indexing="ij")
    scores = pl.DataFrame(
        {"project": p.ravel(), "judge": j.ravel(), "criterion": c.ravel(), "value": rng.uniform(60, 100, p.size)}
    )
    weights = pl.DataFrame({"criterion": np.arange(criteria), "weight": rng.uniform(1, 3, criteria)})
    nominations = pl.DataFrame({"project": np.arange(projects), "county": np.arange(projects) % 12})
    describe(f"inspection scoreboard, {scores.height:,} scores", timed(lambda: scoreboard(scores, weights, nominations), 20))

    regions, indicators, months = 100, 20, 120
    r, i, m = np.meshgrid(np.arange(regions), np.arange(indicators), np.arange(months), indexing="ij")
    values = pl.DataFrame(
        {"indicator": i.ravel(), "region": r.ravel(), "period": 201001 + (m.ravel() // 12) * 100 + m.ravel() % 12,
         "value": rng.normal(10, 5, r.size)}
    )  # fmt: skip
    definitions = pl.DataFrame(
        {"indicator": np.arange(indicators), "higher_is_better": np.arange(indicators) % 4 != 0,
         "weight": rng.uniform(1, 2, indicators)}
    )  # fmt: skip
    describe(f"indicator ranking, {values.height:,} values", timed(lambda: ranking(values, definitions, 201906), 20))


def bench_pages() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="mujun-bench-oversight-"))
    (data_dir / "static").mkdir()
    os.environ["MUJUN_DATA_DIR"] = str(data_dir)
    os.environ["MUJUN_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mujun.settings")
    url = os.environ.get("DATABASE_URL", "")
    if url.rstrip("/").rsplit("/", 1)[-1] in {"test", "postgres", "mujun"}:
        sys.exit("use a database of your own for the benchmark (e.g. mujun_bench_oversight)")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    if connection.vendor == "postgresql":
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    from mujun.core.management.commands._demo_data import load_demo
    from mujun.inspections.models import Round

    start = time.perf_counter()
    load_demo(log=lambda line: None)
    print(f"- demo data loaded in {time.perf_counter() - start:.1f} s ({connection.vendor})", flush=True)
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(username="admin"))
    closed = Round.objects.filter(status="closed").first()
    pages = {
        "home dashboard": "/",
        "scoreboard": f"/inspections/{closed.pk}/scoreboard/",
        "scoreboard workbook": f"/inspections/{closed.pk}/scoreboard/?format=xlsx",
        "round comparison": "/inspections/compare/",
        "indicator ranking": "/indicators/ranking/",
        "services overview": "/services/",
        "problem list": "/services/problems/",
    }
    for name, path in pages.items():
        assert client.get(path).status_code == 200, path
        describe(name, timed(lambda path=path: client.get(path), 20))


if __name__ == "__main__":
    print(f"{dt.date.today()} · {describe_machine()}", flush=True)
    print("(a) engine", flush=True)
    bench_engine()
    print("(b) pages on the demo database", flush=True)
    bench_pages()
