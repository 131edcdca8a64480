"""Land benchmarks (run on demand, not part of the test suite).

(a) engine: the five-wei classifier (mujun.engine.land.classify) over 1,000,000 generated parcels.
(b) map:    one county with 20,000 stored parcels: the GeoJSON endpoint the map loads (Django test
            client), and the map page in Chromium (Playwright) from navigation until the parcel layer is
            drawn (the page sets data-ready on the map once Leaflet has drawn the layer).

The database is a SQLite file in a temporary directory, or PostgreSQL when DATABASE_URL is set (give a
database of its own, e.g. postgres://postgres@127.0.0.1:5432/mujun_bench_land: it is created and emptied)::

    uv run python bench/bench_land.py
    uv run python bench/bench_land.py --only engine
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import polars as pl

from machine import describe_machine  # bench/machine.py; bench/ is on sys.path when run as a script

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))
CHROMIUM = os.environ.get("MUJUN_CHROMIUM", "/usr/bin/chromium")



def generated_parcels(n: int, seed: int = 1) -> pl.DataFrame:
    """Parcels at every stage, with dates in life-cycle order and figures around their commitments."""
    rng = np.random.default_rng(seed)
    approved = np.datetime64("2012-01-01") + rng.integers(0, 4500, n).astype("timedelta64[D]")
    steps = rng.choice(6, n, p=[0.02, 0.07, 0.1, 0.08, 0.1, 0.63])

    def after(previous, low, high, step):
        days = previous + rng.integers(low, high, n).astype("timedelta64[D]")
        return pl.Series(np.where(steps >= step, days, np.datetime64("NaT"))).cast(pl.Date)

    supplied = after(approved, 30, 400, 2)
    started = after(supplied.to_numpy(), 60, 700, 3)
    completed = after(started.to_numpy(), 300, 900, 4)
    commissioned = after(completed.to_numpy(), 30, 600, 5)
    area = rng.uniform(5, 300, n)
    return pl.DataFrame(
        {
            "code": pl.int_range(0, n, eager=True).cast(pl.String),
            "region": rng.choice(["330502", "330503", "330521", "330522", "330523"], n),
            "area_mu": area,
            "approved_on": pl.Series(np.where(steps >= 1, approved, np.datetime64("NaT"))).cast(pl.Date),
            "supplied_on": supplied,
            "agreed_start_on": after(supplied.to_numpy(), 60, 180, 2),
            "started_on": started,
            "completed_on": completed,
            "commissioned_on": commissioned,
            "stopped_since": after(started.to_numpy(), 30, 600, 3).zip_with(pl.Series(rng.random(n) < 0.3), pl.Series([None] * n, dtype=pl.Date)),
            "floor_area_m2": area * 666.67 * rng.uniform(0.6, 2.0, n),
            "plot_ratio_required": rng.choice([1.0, 1.2, 1.5, 2.0], n),
            "developed_mu": area * rng.uniform(0, 1, n),
            "committed_investment_intensity": rng.choice([250.0, 300.0, 350.0], n),
            "actual_investment_intensity": rng.uniform(50, 450, n),
            "committed_output_per_mu": rng.choice([300.0, 400.0, 500.0], n),
            "actual_output_per_mu": rng.lognormal(math.log(400), 0.4, n),
            "committed_tax_per_mu": rng.choice([20.0, 25.0, 30.0], n),
            "actual_tax_per_mu": rng.lognormal(math.log(25), 0.4, n),
            "holder_grade": rng.choice(["A", "B", "C", "D"], n, p=[0.2, 0.4, 0.3, 0.1]),
        }
    )


def bench_engine(n: int) -> list[str]:
    from mujun.engine.land import Thresholds, classify

    frame = generated_parcels(n)
    as_of = dt.date(2025, 12, 31)
    times, result = [], None
    for _ in range(5):
        started = time.perf_counter()
        result = classify(frame, as_of)
        times.append(time.perf_counter() - started)
    by_region = {"330523": Thresholds(idle_months=24), "330502": Thresholds(operating_period_months=24)}
    county_times = []
    for _ in range(3):
        started = time.perf_counter()
        classify(frame, as_of, by_region=by_region)
        county_times.append(time.perf_counter() - started)
    categories = dict(result.parcels.group_by("category").len().iter_rows())
    return [
        f"- classify {n:,} parcels as of {as_of}: **median {statistics.median(times):.2f} s** "
        f"(best {min(times):.2f} s, 5 runs), {result.findings.height:,} findings",
        f"- with thresholds of two counties changed: median {statistics.median(county_times):.2f} s (3 runs)",
        "- primary categories: " + ", ".join(f"{k or 'none'} {v:,}" for k, v in sorted(categories.items(), key=lambda kv: str(kv[0]))),
    ]


def bench_map(n: int) -> list[str]:
    data_dir = Path(tempfile.mkdtemp(prefix="mujun-bench-land-"))
    (data_dir / "static").mkdir()
    os.environ["MUJUN_DATA_DIR"] = str(data_dir)
    os.environ["MUJUN_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mujun.settings")
    url = os.environ.get("DATABASE_URL", "")
    if url:
        name = url.rsplit("/", 1)[-1]
        if name in {"test", "postgres", "mujun"}:
            sys.exit(f"refusing to empty database {name}: give a database of its own")
        import psycopg

        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    from mujun.core.models import User
    from mujun.land.demo import rectangle
    from mujun.land.models import Parcel
    from mujun.land.services import classify_parcels
    from mujun.regions.models import Region

    city = Region.objects.create(code="330500", name="湖州市", level="city")
    county = Region.objects.create(code="330502", name="吴兴区", level="county", parent=city)
    park = Region.objects.create(code="330502401", name="吴兴高新技术产业园区", level="park", parent=county)
    frame = generated_parcels(n, seed=2)
    started = time.perf_counter()
    columns = [c for c in frame.columns if c not in ("code", "region", "holder_grade")]
    parcels = []
    for i, row in enumerate(frame.select(columns).iter_rows(named=True)):
        lon, lat = 120.0 + (i % 150) * 0.0025, 30.8 + (i // 150) * 0.0025
        parcels.append(Parcel(code=f"B{i:06d}", region=park, boundary=rectangle(lon, lat, 200, 180), **row))
    Parcel.objects.bulk_create(parcels, batch_size=2000)
    stored = time.perf_counter() - started
    classify_parcels(dt.date(2025, 12, 31))
    user = User.objects.create_user("bench", password="bench-2026", role="city_admin")
    client = Client()
    client.force_login(user)
    times, size = [], 0
    for _ in range(5):
        t = time.perf_counter()
        response = client.get("/land/map/parcels.json", {"region": county.pk})
        size = len(response.content)
        times.append(time.perf_counter() - t)
    lines = [
        f"- stored {n:,} parcels of one county (bulk insert {stored:.1f} s)",
        f"- GeoJSON endpoint `/land/map/parcels.json?region=…`: **median {statistics.median(times):.2f} s** "
        f"(5 requests, {size / 1e6:.1f} MB)",
    ]
    if Path(CHROMIUM).exists():
        lines.append(_bench_page(client, county.pk))
    else:
        lines.append(f"- map page in the browser: not measured ({CHROMIUM} missing)")
    return lines


def _bench_page(client, county_pk: int) -> str:
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    from django.core.wsgi import get_wsgi_application
    from playwright.sync_api import sync_playwright

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    class Threading(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    server = make_server("127.0.0.1", 0, get_wsgi_application(), server_class=Threading, handler_class=Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    session = client.cookies["sessionid"].value
    times = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        for attempt in range(4):
            context = browser.new_context(viewport={"width": 1366, "height": 900})
            context.add_cookies([{"name": "sessionid", "value": session, "url": base}])
            page = context.new_page()
            t = time.perf_counter()
            page.goto(f"{base}/land/map/?region={county_pk}")
            page.wait_for_selector("#land-map[data-ready='1']", timeout=60_000)
            if attempt:  # the first load warms the static files
                times.append(time.perf_counter() - t)
                print("  in-page:", page.inner_text("#map-status"), page.evaluate("JSON.stringify(window.landTimings || {})"), flush=True)
            context.close()
        browser.close()
    server.shutdown()
    return f"- map page in Chromium until the parcel layer is drawn: **median {statistics.median(times):.2f} s** (3 loads after one warm-up)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=["engine", "map"])
    parser.add_argument("--parcels", type=int, default=1_000_000)
    parser.add_argument("--county-parcels", type=int, default=20_000)
    args = parser.parse_args()
    print(f"{dt.date.today()} · {describe_machine()}")
    if args.only in (None, "engine"):
        print(f"**(a) five-wei classifier, {args.parcels:,} parcels**")
        print("\n".join(bench_engine(args.parcels)), flush=True)
    if args.only in (None, "map"):
        vendor = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite"
        print(f"**(b) map of a county with {args.county_parcels:,} parcels** ({vendor})")
        print("\n".join(bench_map(args.county_parcels)), flush=True)


if __name__ == "__main__":
    main()
