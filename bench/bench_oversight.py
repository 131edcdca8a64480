"""Benchmarks of the oversight apps (inspections, indicators, services), run on demand, not in tests.

(a) engine: ``mujun.engine.inspections.scoreboard`` for a large round (300 projects × 9 judges × 6
    criteria) and ``mujun.engine.rankings.ranking`` over 100 regions × 20 indicators × 120 months.
(b) pages: the demo database (``mujun demo`` data: 7,000 enterprises, four scored rounds, 24 months of
    indicators, 360 problems; ``--scale N`` multiplies every count, bench/scaled_demo.py) and p50/p95 of the
    home dashboard, a scoreboard, its workbook, the comparison of counties across rounds, the indicator
    ranking and the services overview through Django's test client; beside the comparison, in the same run,
    its peer: the scoreboards of the same rounds computed one at a time (mujun.inspections.scoring.scoreboard).

The database is a SQLite file in ``--data-dir`` (default a temporary directory), or PostgreSQL when
DATABASE_URL is set (its database is created and emptied unless ``--reuse``: use one of your own, such as
mujun_bench_oversight); ``--reuse`` times the pages of data an earlier run built::

    uv run python bench/bench_oversight.py
    uv run python bench/bench_oversight.py --only pages --scale 10 --data-dir /tmp/bigpages/sqlite [--reuse] [--write-readme]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mujun_bigpages uv run python bench/bench_oversight.py --only pages --scale 10 --reuse
"""

from __future__ import annotations

import argparse
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


def bench_pages(scale: int, data_dir: Path, reuse: bool, requests: int) -> list[str]:
    from scaled_demo import ensure_scaled_demo, page_timings, percentiles, prepare, query_count

    database = prepare(data_dir, reuse)
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from mujun.inspections import scoring
    from mujun.inspections.models import Round, Score

    settings.ALLOWED_HOSTS = ["testserver"]
    lines = [f"{connection.vendor} ({database})", *ensure_scaled_demo(scale, reuse, log=lambda line: None)]
    compared = list(Round.objects.filter(status="closed").order_by("-year", "-quarter")[:8])
    lines.append(
        f"{Round.objects.filter(status='closed').count()} closed rounds, {Score.objects.count():,} scores; the "
        f"comparison's 8 rounds hold {Score.objects.filter(nomination__round__in=compared).count():,} scores"
    )
    client = Client()
    client.force_login(get_user_model().objects.get(username="admin"))
    closed = compared[0]
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
        path, _, query = path.partition("?")
        params = dict([query.split("=")]) if query else {}
        timings = page_timings(client, path, params, requests)
        line = f"{name}: {percentiles(timings)}"
        if name == "round comparison":
            peer = timed(lambda: [scoring.scoreboard(round_) for round_ in compared], max(3, requests // 4))
            line = (
                f"**{line}**, {query_count(client, path, params)} queries; peer, the 8 rounds' scoreboards one at a "
                f"time (no page): median {statistics.median(peer):.0f} ms → page/peer "
                f"{statistics.median(timings) / statistics.median(peer):.2f}"
            )
        lines.append(line)
        print(f"- {line}", flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=["engine", "pages"])
    parser.add_argument("--scale", type=int, default=1, help="pages: the demo city × this (default 1)")
    parser.add_argument("--data-dir", type=Path, help="pages: keep the SQLite database here (default: a temporary directory)")
    parser.add_argument("--reuse", action="store_true", help="pages: time the data an earlier run built")
    parser.add_argument("--requests", type=int, default=20, help="pages: requests timed per page (default 20)")
    parser.add_argument("--write-readme", action="store_true", help="pages: record the figures in bench/README.md")
    args = parser.parse_args()
    print(f"{dt.date.today()} · {describe_machine()}", flush=True)
    if args.only in (None, "engine"):
        print("(a) engine", flush=True)
        bench_engine()
    if args.only in (None, "pages"):
        print(f"(b) pages on the demo database × {args.scale}", flush=True)
        data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="mujun-bench-oversight-"))
        lines = bench_pages(args.scale, data_dir, args.reuse, args.requests)
        header = f"{dt.date.today()} · {describe_machine()} · load average {os.getloadavg()[0]:.2f} at the end"
        print(header)
        if args.write_readme:
            from bench_web import write_readme

            url = os.environ.get("DATABASE_URL")
            command = " ".join([*([f"DATABASE_URL={url}"] if url else []), "uv run python bench/bench_oversight.py", *sys.argv[1:]])
            vendor = lines[0].split(" ", 1)[0]
            write_readme(f"pages x{args.scale} {vendor}", command.replace(" --write-readme", ""),
                         [header, "", *(f"- {line}" for line in lines)], bench="bench_oversight")  # fmt: skip


if __name__ == "__main__":
    main()
