"""Export benchmark: the platform's Excel writer against rustpy-xlsxwriter called directly, same run.

    uv run python bench/bench_export.py --rows 100000 [--write-readme]

1. evaluates N synthetic enterprises (bench_engine's generator, huangyan-2022) and keeps the first 28
   columns of the result, Chinese headers as the platform writes them;
2. writes that frame with ``mujun.engine.io.write_workbook`` (the one writer of every download) and with
   ``rustpy_xlsxwriter.write_worksheet`` given the same formats (bold filled header, frozen header row,
   autofilter, four-decimal numbers, column widths), alternating, each ``--repeat`` times in a subprocess
   of its own, and reports the best time, the ratio and each one's peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))

from bench_engine import synthetic_input  # noqa: E402  (bench/ is on sys.path as the script's folder)
from machine import describe_machine  # noqa: E402

COLUMNS = 28

# Each writer runs in its own process, reading the frame from Parquet, so that one's memory and caches do
# not count for the other; the time is the writing alone.
WRITER = """
import json, resource, sys, time
import polars as pl
frame = pl.read_parquet(sys.argv[2])
if sys.argv[1] == "mujun":
    from mujun.engine.io import write_workbook
    started = time.perf_counter()
    write_workbook({"result": frame}, sys.argv[3])
else:
    import rustpy_xlsxwriter as excel
    header = excel.Format().set_bold().set_background_color("#DDEBF7").set_border("thin")
    started = time.perf_counter()
    excel.write_worksheet(frame, sys.argv[3], sheet_name="result", freeze_row=1, float_format="0.0000",
                          header_format=header, autofilter=True, column_widths=[14.0] * frame.width)
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def result_frame(rows: int) -> pl.DataFrame:
    from mujun.engine.evaluation import evaluate, result_headers
    from mujun.engine.scheme import parse_scheme, preset_toml

    scheme = parse_scheme(preset_toml("huangyan-2022"))
    result = evaluate(synthetic_input(rows), scheme).result
    headers = result_headers(scheme)
    result = result.select(result.columns[:COLUMNS])
    return result.rename({name: headers[name] for name in result.columns if name in headers})


def write(writer: str, parquet: Path, target: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", WRITER, writer, str(parquet), str(target)],
        cwd=REPOSITORY, capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{writer} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each writer, alternating; the best is reported")
    parser.add_argument("--write-readme", action="store_true", help="record the figures in bench/README.md")
    args = parser.parse_args()
    frame = result_frame(args.rows)
    lines = [
        f"- machine: {describe_machine()}, Polars {pl.__version__}",
        f"- {time.strftime('%Y-%m-%d')}, load average before: {os.getloadavg()[0]:.2f}",
        f"- {frame.height:,} rows × {frame.width} columns "
        f"({', '.join(str(dtype) for dtype in sorted(set(map(str, frame.dtypes))))})",
    ]
    runs: dict[str, list[dict]] = {"mujun": [], "rustpy": []}
    with tempfile.TemporaryDirectory(prefix="mujun-export-bench-") as folder:
        parquet = Path(folder) / "result.parquet"
        frame.write_parquet(parquet)
        for _ in range(args.repeat):
            for writer in runs:
                runs[writer].append(write(writer, parquet, Path(folder) / f"{writer}.xlsx"))
        size = (Path(folder) / "mujun.xlsx").stat().st_size / 2**20
    best = {writer: min(run["seconds"] for run in measured) for writer, measured in runs.items()}
    labels = {"mujun": "write_workbook", "rustpy": "rustpy-xlsxwriter directly"}
    for writer, measured in runs.items():
        seconds = ", ".join(f"{run['seconds']:.2f}" for run in measured)
        lines.append(
            f"- {labels[writer]}: best {best[writer]:.2f} s (runs {seconds}), "
            f"peak memory {max(r['max_rss_mib'] for r in measured):.0f} MiB"
        )
    lines.append(f"- ratio write_workbook / rustpy-xlsxwriter: {best['mujun'] / best['rustpy']:.2f} "
                 f"(workbook {size:.1f} MiB); load average after: {os.getloadavg()[0]:.2f}")
    print("\n".join(lines))
    if args.write_readme:
        from bench_web import write_readme

        write_readme("excel", f"uv run python bench/bench_export.py --rows {args.rows} --repeat {args.repeat}",
                     lines, bench="bench_export")


if __name__ == "__main__":
    main()
