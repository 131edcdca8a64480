"""Grade robustness benchmark: 1,000 draws over 100,000 enterprises (target ≤ 60 s; run on demand).

    uv run python bench/bench_robustness.py --rows 100000 --draws 1000 [--write-readme]

Builds the bench generator's typed input (bench/bench_engine.py, seeded) under the Huangyan 2022 preset, runs
the pipeline once (``Pipeline.run``, the peer: what one evaluation costs), then ``robustness`` with ±10 %
weights and benchmarks, and, as a second peer, a few draws the engine's way (``Pipeline.regenerate`` under
each drawn scheme) to show what the matrix operations save per draw.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))

from bench_engine import synthetic_input  # noqa: E402  (bench/ is on sys.path as the script's folder)
from machine import describe_machine  # noqa: E402

from mujun.engine.evaluation import Pipeline  # noqa: E402
from mujun.engine.robustness import Settings, drawn_variant, robustness  # noqa: E402
from mujun.engine.scheme import parse_scheme, preset_toml  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--engine-draws", type=int, default=5, help="draws run the engine's way, for the ratio")
    parser.add_argument("--write-readme", action="store_true")
    args = parser.parse_args()

    lines = [f"{date.today()} · {describe_machine()} · load average before: {os.getloadavg()[0]:.2f}", ""]

    def report(line: str) -> None:
        lines.append(line)
        print(line, flush=True)

    frame = synthetic_input(args.rows)
    scheme = parse_scheme(preset_toml("huangyan-2022"))
    started = time.perf_counter()
    pipeline = Pipeline.run(frame, scheme)
    evaluated = time.perf_counter() - started
    report(f"- one evaluation (`Pipeline.run`, {args.rows:,} rows, {int((pipeline.result['status'] == 'evaluated').sum()):,} evaluated): {evaluated:.2f} s")

    settings = Settings(draws=args.draws, weight_spread=0.1, benchmark_spread=0.1, seed=1)
    started = time.perf_counter()
    analysis = robustness(pipeline, settings)
    seconds = time.perf_counter() - started
    report(
        f"- `robustness`, {args.draws:,} draws, ±10 % weights and benchmarks: **{seconds:.1f} s** (target ≤ 60 s), "
        f"{seconds / args.draws * 1000:.1f} ms a draw; stable grades {analysis.stable_share:.1%} of {analysis.graded:,}"
    )

    started = time.perf_counter()
    for draw in range(args.engine_draws):
        variant, benchmarks = drawn_variant(pipeline, settings, draw)
        pipeline.regenerate(variant, frames={"benchmarks": benchmarks})
    per_engine_draw = (time.perf_counter() - started) / args.engine_draws
    report(
        f"- peer: a draw the engine's way (`Pipeline.regenerate` from the benchmarks, {args.engine_draws} draws): "
        f"{per_engine_draw * 1000:.0f} ms a draw, {per_engine_draw * args.draws / seconds:.1f}× the matrix draws' time per draw"
    )
    report(f"- load average after: {os.getloadavg()[0]:.2f}")
    if args.write_readme:
        from bench_web import write_readme

        command = f"uv run python bench/bench_robustness.py --rows {args.rows} --draws {args.draws}"
        write_readme("robustness", command, lines, bench="bench_robustness")


if __name__ == "__main__":
    main()
