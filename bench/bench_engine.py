"""Engine benchmark: the evaluation over N synthetic enterprises (run on demand, not in the test suite).

    uv run python bench/bench_engine.py --rows 1000000 [--messy] [--headers zh] [--write-readme]

1. generates a typed input with Polars (seeded; log-normal, heavy-tailed figures; valid credit codes built
   with whole-array arithmetic) and times ``evaluate`` alone under the huangyan-2022 preset;
2. writes that input as CSV and times ``mujun evaluate input.csv --scheme huangyan-2022 --output out.csv``
   as a subprocess;
3. times the same scheme written as DuckDB SQL over the same CSV file, writing CSV, as a subprocess
   (alternating with step 2), and checks that DuckDB's grades and totals agree with the engine's;
4. times the start-up of ``mujun --help`` and ``mujun evaluate --help`` beside a bare ``python -c pass``.

``--messy`` writes the boolean columns as county files spell them (是/否, true/false in any case, 1/0, blanks;
DuckDB maps them with a macro accepting the same spellings), ``--headers zh`` the Chinese headers;
``--write-readme`` records the figures in bench/README.md.

Peak memory is each command's own maximum resident set size (``os.wait4`` in a small launcher process,
since Linux carries a parent's peak over fork and exec).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import polars as pl

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))

from mujun.engine.evaluation import TRUE_FALSE, evaluate  # noqa: E402
from mujun.engine.io import INPUT_COLUMNS  # noqa: E402
from mujun.engine.scheme import parse_scheme, preset_toml  # noqa: E402
from mujun.engine.uscc import ALPHABET, WEIGHTS  # noqa: E402

from machine import describe_machine  # noqa: E402  (bench/machine.py; bench/ is on sys.path as the script's folder)


REGIONS = ["黄岩区", "椒江区", "路桥区", "临海市", "温岭市", "玉环市", "天台县", "仙居县", "三门县", "台州湾新区"]


def credit_codes(rng: np.random.Generator, rows: int) -> pl.Series:
    """Valid GB 32100-2015 codes: 17 random characters and their check character, no per-row Python."""
    alphabet = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)
    body = rng.integers(0, 31, size=(rows, 17))
    check = (31 - (body * np.array(WEIGHTS)).sum(axis=1) % 31) % 31
    codes = alphabet[np.concatenate([body, check[:, None]], axis=1)].astype(np.uint8)
    return pl.Series("uscc", np.ascontiguousarray(codes).view("S18").ravel()).cast(pl.String)


def synthetic_input(rows: int, seed: int = 20260501) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    above = rng.random(rows) < 0.3
    # Land: 规上 firms hold more; some 规下 firms fall under the 3 mu minimum.
    land = np.where(above, rng.lognormal(np.log(25), 1.0, rows), rng.lognormal(np.log(6), 0.9, rows))
    efficiency = rng.lognormal(0.0, 0.9, rows)  # a latent firm efficiency ties the figures together
    revenue = np.where(above, 2000 + rng.lognormal(np.log(8000), 1.3, rows), rng.uniform(50, 1999, rows))
    value_added = revenue * rng.uniform(0.12, 0.35, rows) * np.sqrt(efficiency)
    tax = revenue * rng.uniform(0.01, 0.06, rows) * efficiency
    tax = np.where(rng.random(rows) < 0.005, -tax * 0.1, tax)  # refunds: a few negative taxes
    energy = value_added / rng.lognormal(np.log(2.7), 0.8, rows)
    emissions = value_added / rng.lognormal(np.log(4900), 1.0, rows)
    employees = np.maximum(1, np.round(value_added / rng.lognormal(np.log(18), 0.6, rows)))
    electricity = np.maximum(tax, 0.1) / rng.lognormal(np.log(0.24), 0.7, rows)
    rd = revenue * rng.lognormal(np.log(0.025), 0.8, rows) * (rng.random(rows) < 0.8)
    first_day, last_day = np.datetime64("1985-01-01"), np.datetime64("2023-12-31")
    established = first_day + rng.integers(0, (last_day - first_day).astype(int), rows).astype("timedelta64[D]")
    acquired = np.minimum(established + rng.integers(0, 3000, rows).astype("timedelta64[D]"), last_day)

    def some_missing(values: np.ndarray, share: float) -> pl.Series:
        return pl.Series(values).scatter(np.flatnonzero(rng.random(rows) < share), None)

    return pl.DataFrame(
        {
            "uscc": credit_codes(rng, rows),
            "name": pl.select(pl.format("企业{}", pl.int_range(rows))).to_series(),
            "region": pl.Series(REGIONS).gather(rng.integers(0, len(REGIONS), rows)),
            "above_scale": above,
            "land_mu": np.round(land, 2) + 0.01,
            "tax": np.round(tax, 2),
            "value_added": np.round(value_added, 2),
            "revenue": np.round(revenue, 2),
            "energy_tce": np.round(energy, 2),
            "emission_eq": some_missing(np.round(emissions, 4), 0.1),
            "rd_expense": np.round(rd, 2),
            "employees": employees,
            "electricity_10k_kwh": np.round(electricity, 2),
            "established_on": pl.Series(established).cast(pl.Date),
            "land_acquired_on": some_missing(acquired, 0.3).cast(pl.Date),
            "major_violation": rng.random(rows) < 0.002,
        }
    )



# How county spreadsheets spell yes and no: each boolean cell takes one of these at random, or is blank.
MESSY_SPELLINGS = {True: ["是", "true", "TRUE", "True", "1"], False: ["否", "false", "FALSE", "False", "0"]}
MESSY_BLANK_SHARE = 0.05


def messy_input(frame: pl.DataFrame, headers: str, seed: int = 20260502) -> pl.DataFrame:
    """The typed input as county data comes: every boolean column as text mixing 是/否, true/false (any case)
    and 1/0 with blanks (a blank 是否规上 follows from revenue, a blank 重大违法违规 is no), under Chinese
    (``headers="zh"``) or English column names."""
    rng = np.random.default_rng(seed)
    spelled = []
    for name in (column for column, dtype in frame.schema.items() if dtype == pl.Boolean):
        choice = pl.Series(rng.integers(0, len(MESSY_SPELLINGS[True]), frame.height))
        blank = pl.Series(rng.random(frame.height) < MESSY_BLANK_SHARE)
        yes, no = (pl.Series(MESSY_SPELLINGS[value]).gather(choice) for value in (True, False))
        spelled.append(pl.when(blank).then(pl.lit(None)).when(pl.col(name)).then(yes).otherwise(no).alias(name))
    messy = frame.with_columns(spelled)
    return messy.rename(INPUT_COLUMNS, strict=False) if headers == "zh" else messy


# Every spelling the engine accepts (mujun.engine.evaluation.TRUE_FALSE), blanks as NULL, anything else an
# error: what DuckDB must do to read the messy booleans as the engine does.
DUCKDB_YES_NO = """
CREATE MACRO yes_no(cell) AS CASE
    WHEN cell IS NULL OR trim(cell) = '' THEN NULL
    WHEN lower(trim(cell)) IN ({yes}) THEN true
    WHEN lower(trim(cell)) IN ({no}) THEN false
    ELSE error('not a yes/no value: ' || cell) END
""".format(
    yes=", ".join(f"'{text}'" for text, value in TRUE_FALSE.items() if value),
    no=", ".join(f"'{text}'" for text, value in TRUE_FALSE.items() if not value),
)


def duckdb_source(input_csv: Path, columns: list[str], messy: bool, headers: str) -> str:
    """The ``src`` relation of DUCKDB_SQL: the file with English names, its booleans read as the engine does."""
    booleans = ["above_scale", "major_violation"]
    if not messy:
        return f"SELECT row_number() OVER () AS row_number, * FROM read_csv('{input_csv}', header = true)"
    names = INPUT_COLUMNS if headers == "zh" else {}
    columns = [
        f'yes_no("{names.get(c, c)}") AS {c}' if c in booleans else f'"{names.get(c, c)}" AS {c}'
        for c in columns
    ]
    as_text = ", ".join(f"'{names.get(c, c)}': VARCHAR" for c in booleans)
    return (f"SELECT row_number() OVER () AS row_number, {', '.join(columns)} "
            f"FROM read_csv('{input_csv}', header = true, types = {{{as_text}}})")

# The huangyan-2022 preset as DuckDB SQL: the same steps, benchmarks, missing rule, ranks, share cuts
# (round half up, as integers) and policies. DuckDB reads the CSV with its own type detection.
DUCKDB_SQL = """
COPY (
WITH src AS (
    {source}
), filled AS (
    SELECT * REPLACE (coalesce(above_scale, revenue >= 2000) AS above_scale,
                      coalesce(major_violation, false) AS major_violation)
    FROM src
), scoped AS (
    SELECT *,
        CASE WHEN above_scale THEN 'above' ELSE 'below' END AS "group",
        CASE WHEN NOT above_scale AND land_mu < 3 THEN 'out_of_scope'
             WHEN established_on > DATE '2020-12-31' OR land_acquired_on > DATE '2019-12-31' THEN 'exempt'
             ELSE 'evaluated' END AS status
    FROM filled
), valued AS (
    SELECT *,
        CASE WHEN land_mu > 0 THEN tax / land_mu END AS tax_per_mu_value,
        CASE WHEN above_scale AND land_mu > 0 THEN value_added / land_mu END AS value_added_per_mu_value,
        CASE WHEN above_scale AND energy_tce > 0 THEN value_added / energy_tce END AS value_added_per_energy_value,
        CASE WHEN above_scale AND emission_eq > 0 THEN value_added / emission_eq END AS value_added_per_emission_value,
        CASE WHEN above_scale AND employees > 0 THEN value_added / employees END AS labour_productivity_value,
        CASE WHEN above_scale AND revenue > 0 THEN rd_expense / revenue END AS rd_ratio_value,
        CASE WHEN NOT above_scale AND electricity_10k_kwh > 0 THEN tax / electricity_10k_kwh END
            AS tax_per_electricity_value
    FROM scoped
), raw AS (
    SELECT *,
        -- DuckDB's greatest() skips nulls: keep a missing value missing for the group-mean rule.
        CASE WHEN value_added_per_emission_value IS NOT NULL THEN
            greatest(value_added_per_emission_value / 4929.81, 0) * 10 END AS emission_raw
    FROM valued
), emission_mean AS (
    SELECT avg(emission_raw) AS emission_mean_score FROM raw WHERE status = 'evaluated' AND above_scale
), scored AS (
    SELECT *,
        CASE WHEN status = 'evaluated' THEN
            CASE WHEN above_scale THEN coalesce(greatest(tax_per_mu_value / 24.097, 0) * 30, 0)
                 ELSE coalesce(greatest(tax_per_mu_value / 11.5932, 0) * 50, 0) END END AS tax_per_mu_score,
        CASE WHEN status = 'evaluated' AND above_scale THEN
            coalesce(greatest(value_added_per_mu_value / 136.16, 0) * 20, 0) END AS value_added_per_mu_score,
        CASE WHEN status = 'evaluated' AND above_scale THEN
            coalesce(greatest(value_added_per_energy_value / 2.694, 0) * 20, 0) END AS value_added_per_energy_score,
        CASE WHEN status = 'evaluated' AND above_scale THEN
            coalesce(emission_raw, emission_mean_score, 0)
            END AS value_added_per_emission_score,
        CASE WHEN status = 'evaluated' AND above_scale THEN
            coalesce(greatest(labour_productivity_value / 18.14, 0) * 10, 0) END AS labour_productivity_score,
        CASE WHEN status = 'evaluated' AND above_scale THEN
            coalesce(greatest(rd_ratio_value / 0.0302, 0) * 10, 0) END AS rd_ratio_score,
        CASE WHEN status = 'evaluated' AND NOT above_scale THEN
            coalesce(greatest(tax_per_electricity_value / 0.2352, 0) * 50, 0) END AS tax_per_electricity_score
    FROM raw, emission_mean
), totalled AS (
    SELECT *,
        CASE WHEN status = 'evaluated' THEN
            coalesce(tax_per_mu_score, 0) + coalesce(value_added_per_mu_score, 0)
            + coalesce(value_added_per_energy_score, 0) + coalesce(value_added_per_emission_score, 0)
            + coalesce(labour_productivity_score, 0) + coalesce(rd_ratio_score, 0)
            + coalesce(tax_per_electricity_score, 0) END AS total
    FROM scored
), ranked AS (
    SELECT *,
        CASE WHEN total IS NOT NULL THEN rank() OVER (PARTITION BY "group", total IS NULL ORDER BY total DESC) END
            AS rank,
        sum(CASE WHEN status = 'evaluated' THEN 1 ELSE 0 END) OVER (PARTITION BY "group") AS evaluated_count
    FROM totalled
), graded AS (
    SELECT *,
        CASE WHEN status = 'exempt' THEN 'T'
             WHEN status <> 'evaluated' THEN NULL
             WHEN major_violation THEN 'D'
             WHEN rank <= (evaluated_count * 20 + 50) // 100 THEN 'A'
             WHEN rank <= (evaluated_count * 60 + 50) // 100 THEN 'B'
             WHEN rank <= (evaluated_count * 95 + 50) // 100 THEN 'C'
             ELSE 'D' END AS grade
    FROM ranked
)
SELECT uscc, name, region, "group", status,
    tax_per_mu_value, tax_per_mu_score, value_added_per_mu_value, value_added_per_mu_score,
    value_added_per_energy_value, value_added_per_energy_score,
    value_added_per_emission_value, value_added_per_emission_score,
    labour_productivity_value, labour_productivity_score, rd_ratio_value, rd_ratio_score,
    tax_per_electricity_value, tax_per_electricity_score, total, rank, grade,
    CASE grade WHEN 'A' THEN 1.0 WHEN 'B' THEN 0.5 WHEN 'C' THEN 0.0 WHEN 'D' THEN 0.0 END
        AS land_use_tax_reduction,
    CASE grade WHEN 'A' THEN 0.0 WHEN 'B' THEN 0.0 WHEN 'C' THEN 0.05 WHEN 'D' THEN 0.1 END
        AS electricity_surcharge_yuan_per_kwh,
    CASE grade WHEN 'A' THEN 0.0 WHEN 'B' THEN 0.0 WHEN 'C' THEN 0.5 WHEN 'D' THEN 1.0 END
        AS water_surcharge_yuan_per_t,
    CASE grade WHEN 'A' THEN 0.0 WHEN 'B' THEN 0.0 WHEN 'C' THEN 0.5 WHEN 'D' THEN 1.0 END
        AS sewage_surcharge_yuan_per_t,
    CASE grade WHEN 'D' THEN true WHEN 'A' THEN false WHEN 'B' THEN false WHEN 'C' THEN false END
        AS credit_restricted
FROM graded
ORDER BY row_number
) TO '{output}' (HEADER, DELIMITER ',')
"""


# Linux keeps a process's peak memory across fork and exec, so a command forked straight from this
# process (which holds the generated input) would report this process's peak. A small launcher forks
# and execs the command instead and reports the command's own figures.
LAUNCHER = """
import json, os, sys, time
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(json.dumps({"seconds": time.perf_counter() - started, "max_rss_kib": usage.ru_maxrss,
                  "cpu_seconds": usage.ru_utime + usage.ru_stime, "exit": os.waitstatus_to_exitcode(status)}))
"""


def run_measured(command: list[str]) -> tuple[float, float, float]:
    """Wall time (s), peak resident memory (MiB) and processor time (s, every thread) of a command run as a
    subprocess."""
    done = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *command], cwd=REPOSITORY, capture_output=True, text=True, check=False
    )
    report = json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else {"exit": done.returncode}
    if report["exit"] != 0:
        raise SystemExit(f"{command[:4]} failed ({report['exit']}):\n{done.stderr}")
    return report["seconds"], report["max_rss_kib"] / 1024, report["cpu_seconds"]


def startup(repeat: int) -> list[str]:
    """Wall time of ``mujun --help`` and of ``mujun evaluate --help`` against a bare ``python -c pass``."""
    mujun = str(Path(sys.executable).with_name("mujun"))
    lines = []
    for label, command in (("python -c pass", [sys.executable, "-c", "pass"]), ("mujun --help", [mujun, "--help"]),
                           ("mujun evaluate --help", [mujun, "evaluate", "--help"])):
        best = min(run_measured(command)[0] for _ in range(repeat))
        lines.append(f"- start-up, {label}: best {best:.3f} s of {repeat}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement; the best is reported")
    parser.add_argument("--workdir", type=Path, help="folder for the CSV files (default: a temporary one)")
    parser.add_argument("--messy", action="store_true",
                        help="boolean columns as county files spell them: 是/否, true/false, 1/0 mixed, with blanks")
    parser.add_argument("--headers", choices=["en", "zh"], default="en", help="the input file's column names")
    parser.add_argument("--write-readme", action="store_true", help="record the figures in bench/README.md")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="mujun-engine-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    scheme = parse_scheme(preset_toml("huangyan-2022"))
    import duckdb

    lines = [f"- machine: {describe_machine()}, Polars {pl.__version__}, DuckDB {duckdb.__version__}",
             f"- {time.strftime('%Y-%m-%d')}, load average before: {os.getloadavg()[0]:.2f}"]

    def report(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    started = time.perf_counter()
    frame = synthetic_input(args.rows)
    generated = time.perf_counter() - started
    print("\n".join(lines))
    print(f"generated {frame.height:,} typed rows in {generated:.2f} s")

    timings = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        evaluation = evaluate(frame, scheme)
        timings.append(time.perf_counter() - started)
    result = evaluation.result
    report(f"- evaluate (typed, in process): best {min(timings):.3f} s of {', '.join(f'{t:.3f}' for t in timings)}")
    for column in ("status", "grade"):
        counts = result.group_by(column).len().sort(column, nulls_last=True).iter_rows()
        print(f"  {column}: " + ", ".join(f"{value} {count:,}" for value, count in counts))

    input_csv = workdir / "input.csv"
    written = messy_input(frame, args.headers) if args.messy else frame
    if args.headers == "zh" and not args.messy:
        written = written.rename(INPUT_COLUMNS, strict=False)
    written.write_csv(input_csv)
    kind = f"{'messy' if args.messy else 'clean'} booleans, {'Chinese' if args.headers == 'zh' else 'English'} headers"
    report(f"- input CSV: {frame.height:,} rows, {kind}, {input_csv.stat().st_size / 2**20:.0f} MiB")

    mujun = [str(Path(sys.executable).with_name("mujun")), "evaluate", str(input_csv), "--scheme", "huangyan-2022",
             "--output", str(workdir / "mujun.csv")]
    sql = DUCKDB_SQL.format(source=duckdb_source(input_csv, frame.columns, args.messy, args.headers),
                            output=workdir / "duckdb.csv")
    duck_script = textwrap.dedent(
        f"""
        import duckdb
        duckdb.execute("SET enable_progress_bar = false")
        duckdb.execute({DUCKDB_YES_NO!r})
        duckdb.execute({sql!r})
        """
    )
    duck = [sys.executable, "-c", duck_script]
    # Alternately, so that both meet the same load of a shared machine.
    commands = {"mujun evaluate CSV→CSV": mujun, "DuckDB SQL CSV→CSV": duck}
    runs: dict[str, list[tuple[float, float, float]]] = {label: [] for label in commands}
    for _ in range(args.repeat):
        for label, command in commands.items():
            runs[label].append(run_measured(command))
    best = {label: min(measured)[0] for label, measured in runs.items()}
    for label, measured in runs.items():
        report(f"- {label}: best {best[label]:.3f} s (runs {', '.join(f'{t:.2f}' for t, _, _ in measured)}), "
               f"processor time best {min(c for _, _, c in measured):.2f} s, "
               f"peak memory {max(m for _, m, _ in measured):.0f} MiB")
    report(f"- ratio mujun / DuckDB: {best['mujun evaluate CSV→CSV'] / best['DuckDB SQL CSV→CSV']:.2f}")

    ours = pl.read_csv(workdir / "mujun.csv", columns=["grade", "total"], infer_schema_length=0)
    theirs = pl.read_csv(workdir / "duckdb.csv", columns=["grade", "total"], infer_schema_length=0)
    same_grades = (ours["grade"].fill_null("") == theirs["grade"].fill_null("")).sum()
    total_gap = (ours["total"].cast(pl.Float64) - theirs["total"].cast(pl.Float64)).abs().max()
    report(f"- DuckDB agrees on {same_grades:,} of {ours.height:,} grades; largest total difference {total_gap}")
    lines += startup(args.repeat)
    print("\n".join(lines[-3:]))
    report(f"- load average after: {os.getloadavg()[0]:.2f}")
    if args.write_readme:
        from bench_web import write_readme

        command = (f"uv run python bench/bench_engine.py --rows {args.rows} --repeat {args.repeat}"
                   f"{' --messy' if args.messy else ''} --headers {args.headers}")
        key = f"{'messy' if args.messy else 'clean'}-{args.headers}"
        write_readme(key, command, lines, bench="bench_engine")
    if args.workdir is None:
        shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
