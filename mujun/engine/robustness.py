"""Grade robustness (issue 12 item 3): how far a run's grades hold under other reasonable weights and benchmarks.

Each draw multiplies every indicator's weight and every benchmark by its own factor, uniform within ±spread
around 1 (a seeded NumPy generator): weights are then scaled back to their group's total so that threshold
grades keep their meaning in points, and a benchmark that would no longer divide scores as the engine
scores a missing benchmark. Typing, scope, values and benchmarks are the run's, computed once (its
``Pipeline``); steps 4–7 (scores, totals, ranks, grades) run for every draw as matrix operations (draws ×
rows) by the rules the steps themselves use (``indicator_score``, ``total_of``, ``grade_reaches``), batches of
draws on every core. A draw taken the engine's way — ``drawn_variant`` as a scheme and a benchmarks frame
through ``Pipeline.regenerate`` — gives the same grades and ranks to the last bit (the tests check it).

For each enterprise the result gives the share of draws giving each grade (``p_A`` … ``p_D``) and its rank
interval: the lowest and highest rank within its group over the draws and the run itself. Forced D grades
stay D; exempt, out-of-scope and invalid rows are not graded and get no probabilities.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from mujun.engine.batch import OUTPUT_FORMATS, fail, scheme_argument, write_atomically
from mujun.engine.evaluation import (
    EVALUATED,
    InvalidInput,
    Pipeline,
    _benchmark,
    _forced_d,
    _value,
    grade_reaches,
    indicator_score,
    total_of,
)
from mujun.engine.groups import points_column
from mujun.engine.io import TableError, read_table, write_table
from mujun.engine.scheme import GRADES, Group, Indicator, Scheme, SchemeError
from mujun.engine.text import command_language, in_language

PROBABILITY_COLUMNS = tuple(f"p_{grade}" for grade in GRADES)
RESULT_COLUMNS = ("uscc", "grade", *PROBABILITY_COLUMNS, "rank_low", "rank_high")
RESULT_HEADERS = {
    "grade": "等级",
    **{f"p_{grade}": f"{grade}档概率" for grade in GRADES},
    "rank_low": "最好排名",
    "rank_high": "最差排名",
}
DEFAULT_DRAWS = 1000
# Draws per batch of matrix operations: a group's rows × 32 draws is some ten megabytes per matrix.
BATCH = 32


class SpreadError(ValueError):
    """Settings that cannot be drawn from, in both languages."""

    def __init__(self, zh: str, en: str):
        self.zh, self.en = zh, en
        super().__init__(zh)


@dataclass(frozen=True)
class Settings:
    draws: int = DEFAULT_DRAWS
    weight_spread: float = 0.1
    benchmark_spread: float = 0.1
    seed: int = 0

    def check(self) -> None:
        if self.draws < 1:
            raise SpreadError("抽样次数必须至少为1", "the number of draws must be at least 1")
        for name, zh, value in (
            ("weight spread", "权重浮动幅度", self.weight_spread),
            ("benchmark spread", "标杆值浮动幅度", self.benchmark_spread),
        ):
            if not 0 <= value < 1:
                raise SpreadError(
                    f"{zh}必须不小于0且小于1（如0.1表示±10%），现为{value:g}",
                    f"the {name} must be at least 0 and below 1 (0.1 means ±10 %), not {value:g}",
                )


@dataclass
class Robustness:
    """``result``: one row per input row (RESULT_COLUMNS); ``stable_share``: of the graded evaluated rows,
    the share whose grade is the run's in every draw (None when no row is graded)."""

    result: pl.DataFrame
    settings: Settings
    graded: int
    stable: int

    @property
    def stable_share(self) -> float | None:
        return self.stable / self.graded if self.graded else None


def run_grade_probability() -> pl.Expr:
    """The probability of the row's own (run) grade; null for rows that are not graded A–D."""
    return pl.coalesce(pl.when(pl.col("grade") == grade).then(pl.col(f"p_{grade}")) for grade in GRADES)


@dataclass(frozen=True)
class _Group:
    """A group's evaluated rows as arrays: positions in the run, values (NaN: missing), coefficient, bonus,
    points, forced D; and its indicators (in the order the total adds them) with their benchmarks."""

    group: Group
    count: int
    rows: np.ndarray
    values: np.ndarray
    coefficient: np.ndarray
    bonus: np.ndarray
    points: np.ndarray | None
    forced_d: np.ndarray
    indicators: tuple[Indicator, ...]
    benchmarks: np.ndarray  # NaN: no usable benchmark


def _groups(pipeline: Pipeline) -> list[_Group]:
    scheme = pipeline.scheme
    nominal = pipeline.frame("totals")
    benchmarks = pipeline.frame("benchmarks")
    counts = dict(benchmarks.select("group", "evaluated").iter_rows())
    adjustment_ids = scheme.adjustment_ids()
    groups = []
    for group in scheme.groups:
        # The total adds the scores in the scheme's order of indicator ids: the same order here, so that with
        # no spread every total is the engine's to the last bit.
        own = {ind.id: ind for ind in group.indicators}
        indicators = tuple(own[i] for i in scheme.indicator_ids() if i in own)
        members = nominal.with_row_index("_position").filter(pl.col("status") == EVALUATED, pl.col("group") == group.id)
        points = (
            members.select(pl.sum_horizontal(points_column(a) for a in adjustment_ids)).to_series().to_numpy()
            if adjustment_ids
            else None
        )
        row = benchmarks.filter(pl.col("group") == group.id).row(0, named=True)
        groups.append(
            _Group(
                group=group,
                count=counts[group.id],
                rows=members["_position"].to_numpy(),
                values=np.column_stack(
                    [members[_value(ind.id)].cast(pl.Float64).fill_null(np.nan).to_numpy() for ind in indicators]
                    or [np.empty(members.height)]
                )[:, : len(indicators)],
                coefficient=members["coefficient"].to_numpy(),
                bonus=members["bonus"].to_numpy(),
                points=points,
                forced_d=members.select(_forced_d(scheme)).to_series().to_numpy(),
                indicators=indicators,
                benchmarks=np.array(
                    [np.nan if row[_benchmark(ind.id)] is None else row[_benchmark(ind.id)] for ind in indicators],
                    dtype=np.float64,
                ),
            )
        )
    return groups


def drawn_weights(weights: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """Weights (one group's) times their drawn factors (draws × indicators), scaled back to the group's total
    weight so that threshold grades keep their meaning in points."""
    drawn = weights * factors
    totals = drawn.sum(axis=1, keepdims=True)
    return drawn * np.divide(weights.sum(), totals, out=np.ones_like(totals), where=totals != 0)


def drawn_benchmarks(benchmarks: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """Benchmarks times their drawn factors; NaN where the product cannot divide (as ``_usable``)."""
    drawn = benchmarks * factors
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        usable = (drawn > 0) & np.isfinite(drawn) & np.isfinite(1.0 / drawn)
    return np.where(usable, drawn, np.nan)


def _drawn(groups: list[_Group], settings: Settings) -> list[tuple[_Group, np.ndarray, np.ndarray]]:
    """Each group with its drawn weights and benchmarks (draws × indicators). All factors are drawn at once,
    weights first, in the order of the groups' indicators: a draw depends on the seed alone."""
    rng = np.random.default_rng(settings.seed)
    slots = sum(len(group.indicators) for group in groups)
    spreads = (settings.weight_spread, settings.benchmark_spread)
    weight_factors, benchmark_factors = (rng.uniform(1 - s, 1 + s, (settings.draws, slots)) for s in spreads)
    drawn, slot = [], 0
    for group in groups:
        taken = slice(slot, slot + len(group.indicators))
        nominal = np.array([ind.weight for ind in group.indicators], dtype=np.float64)
        drawn.append(
            (group, drawn_weights(nominal, weight_factors[:, taken]), drawn_benchmarks(group.benchmarks, benchmark_factors[:, taken]))
        )
        slot = taken.stop
    return drawn


def _grade_draws(group: _Group, weights: np.ndarray, benchmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Steps 4–7 for a batch of draws as matrix operations (draws × rows), by the steps' own rules: the grade
    code (0–3: A–D) and the rank of each evaluated row of the group in each draw."""
    score_sum = np.zeros((weights.shape[0], group.values.shape[0]))
    with np.errstate(divide="ignore", invalid="ignore"):
        reciprocals = 1.0 / benchmarks
    for position, ind in enumerate(group.indicators):
        raw = indicator_score(
            group.values[None, :, position], reciprocals[:, position, None], weights[:, position, None], ind.cap
        )
        missing = np.isnan(raw)
        if ind.missing == "group_mean_score" and missing.any():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a draw where no row has the value: 0
                means = np.nanmean(raw, axis=1, keepdims=True)
            raw = np.where(missing, means, raw)
        score_sum += np.where(np.isnan(raw), 0.0, raw)
    totals = total_of(score_sum, group.coefficient, group.bonus, group.points)
    # The min-rank, highest total first: in descending order each row's rank is its position, and a row tied
    # with the one before it takes that one's rank.
    order = np.argsort(-totals, axis=1)
    ordered = np.take_along_axis(totals, order, axis=1)
    positions = np.broadcast_to(np.arange(1, totals.shape[1] + 1, dtype=np.int32), totals.shape)
    first_of_tie = np.ones(totals.shape, dtype=bool)
    first_of_tie[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    sorted_ranks = np.maximum.accumulate(np.where(first_of_tie, positions, 0), axis=1)
    ranks = np.empty_like(sorted_ranks)
    np.put_along_axis(ranks, order, sorted_ranks, axis=1)
    codes = np.select(grade_reaches(group.group, group.count, ranks, totals), [0, 1, 2], default=3)
    codes[:, group.forced_d] = 3
    return codes, ranks


def _tally(codes: np.ndarray, ranks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row of a batch of draws: how many gave each grade, the best and the worst rank."""
    counts = np.stack([(codes == code).sum(axis=0) for code in range(len(GRADES))], axis=1)
    return counts, ranks.min(axis=0), ranks.max(axis=0)


def robustness(pipeline: Pipeline, settings: Settings = Settings()) -> Robustness:
    """Re-grade the pipeline's run ``settings.draws`` times under drawn weights and benchmarks."""
    settings.check()
    run = pipeline.frame("grades").select("status", "_grade", "rank")
    graded = (run["status"] == EVALUATED).to_numpy()  # an evaluated row always has a grade A–D
    run_codes = np.where(graded, run["_grade"].fill_null(0).to_numpy(), 0)
    run_rank = run["rank"].cast(pl.Float64).fill_null(np.nan).to_numpy()

    counts = np.zeros((run.height, len(GRADES)), dtype=np.int64)
    low = np.where(graded, run_rank, np.inf)
    high = np.where(graded, run_rank, -np.inf)
    for group, weights, benchmarks in _drawn(_groups(pipeline), settings):
        if not group.rows.size:
            continue
        batches = [slice(start, start + BATCH) for start in range(0, settings.draws, BATCH)]
        # NumPy lets go of the GIL in its sorts and array arithmetic: batches run on every core.
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            for batch_counts, batch_low, batch_high in pool.map(
                lambda batch: _tally(*_grade_draws(group, weights[batch], benchmarks[batch])), batches
            ):
                counts[group.rows] += batch_counts
                low[group.rows] = np.minimum(low[group.rows], batch_low)
                high[group.rows] = np.maximum(high[group.rows], batch_high)

    probabilities = counts / settings.draws
    stable = int((graded & (counts[np.arange(run.height), run_codes] == settings.draws)).sum())
    result = pipeline.result.select("uscc", "grade").with_columns(
        *(pl.Series(column, probabilities[:, index]) for index, column in enumerate(PROBABILITY_COLUMNS)),
        pl.Series("rank_low", low),
        pl.Series("rank_high", high),
        pl.Series("_graded", graded),
    )
    result = result.with_columns(
        pl.when("_graded").then(pl.col(PROBABILITY_COLUMNS)),
        pl.when("_graded").then(pl.col("rank_low", "rank_high")).cast(pl.Int64),
    )
    return Robustness(result=result.select(RESULT_COLUMNS), settings=settings, graded=int(graded.sum()), stable=stable)


def drawn_variant(pipeline: Pipeline, settings: Settings, draw: int) -> tuple[Scheme, pl.DataFrame]:
    """Draw number ``draw`` of ``robustness`` as a scheme and a benchmarks frame, for the engine's steps
    (``Pipeline.regenerate``): what the matrix operations above compute, the engine's way."""
    scheme, benchmarks = pipeline.scheme, pipeline.frame("benchmarks")
    replaced, rows = {}, []
    for group, all_weights, all_benchmarks in _drawn(_groups(pipeline), settings):
        weights, drawn = all_weights[draw], all_benchmarks[draw]
        by_id = {ind.id: (float(w), None if np.isnan(b) else float(b)) for ind, w, b in zip(group.indicators, weights, drawn)}
        replaced[group.group.id] = dataclasses.replace(
            group.group,
            indicators=tuple(dataclasses.replace(ind, weight=by_id[ind.id][0]) for ind in group.group.indicators),
        )
        row = benchmarks.filter(pl.col("group") == group.group.id).row(0, named=True)
        rows.append({**row, **{_benchmark(i): value for i, (_, value) in by_id.items()}})
    variant = dataclasses.replace(scheme, groups=tuple(replaced[group.id] for group in scheme.groups))
    return variant, pl.DataFrame(rows, schema=benchmarks.schema)


# --- the command ----------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mujun robustness",
        description="How robust each enterprise's grade is to other weights and benchmarks (等级稳健性分析).",
    )
    parser.add_argument("input", help="enterprises, as for mujun evaluate: .csv/.txt, .xlsx/.xls or .parquet")
    parser.add_argument("--scheme", required=True, help="scheme TOML file, or a preset id")
    parser.add_argument("--output", required=True, help="result file: .csv, .xlsx or .parquet")
    parser.add_argument("--draws", type=int, default=DEFAULT_DRAWS, help=f"draws (default {DEFAULT_DRAWS})")
    parser.add_argument(
        "--weight-spread", type=float, default=Settings.weight_spread,
        help="each weight drawn within ±this share of the scheme's (default 0.1: ±10 %%)",
    )  # fmt: skip
    parser.add_argument(
        "--benchmark-spread", type=float, default=Settings.benchmark_spread,
        help="each benchmark drawn within ±this share of the run's (default 0.1: ±10 %%)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=Settings.seed, help="seed of the draws (default 0)")
    parser.add_argument("--skip-invalid", action="store_true", help="grade the valid rows, as mujun evaluate does")
    parser.add_argument("--as-of", type=date.fromisoformat, help="as for mujun evaluate")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    language = command_language()
    output = Path(args.output)
    if output.suffix.lower() not in OUTPUT_FORMATS:
        fail(
            in_language(
                f"不支持的输出格式 {output.name}：请使用 .csv、.xlsx 或 .parquet",
                f"unsupported output format {output.name}: use .csv, .xlsx or .parquet",
                language,
            )
        )
        return 2
    settings = Settings(args.draws, args.weight_spread, args.benchmark_spread, args.seed)
    try:
        settings.check()
        scheme = scheme_argument(args.scheme)
        frame = read_table(args.input)
        pipeline = Pipeline.run(frame, scheme, skip_invalid=args.skip_invalid, as_of=args.as_of)
    except SpreadError as error:
        fail(in_language(error.zh, error.en, language))
        return 2
    except SchemeError as error:
        fail(error.messages(language))
        return 2
    except TableError as error:
        fail(error.message(language))
        return 2
    except InvalidInput as error:
        fail([problem.message(language) for problem in error.problems])
        count = len(error.problems)
        fail(in_language(f"共{count}个问题，未写出结果", f"{count} problem(s); no result written", language))
        return 2
    analysis = robustness(pipeline, settings)
    try:
        write_atomically(
            [(output, lambda path: write_table(analysis.result, path, format=output.suffix.lstrip("."), headers=RESULT_HEADERS))]
        )
    except (OSError, TableError) as error:
        reason = error.message(language) if isinstance(error, TableError) else str(error)
        fail(in_language(f"无法写出结果：{reason}", f"cannot write the result: {reason}", language))
        return 1
    share = analysis.stable_share
    stable = "–" if share is None else f"{share:.1%}"
    print(
        in_language(
            f"{analysis.result.height}行，抽样{settings.draws}次 → {args.output}（{analysis.graded}家参评企业中等级始终不变的占{stable}）",
            f"{analysis.result.height} rows, {settings.draws} draws → {args.output} "
            f"(grade the same in every draw: {stable} of {analysis.graded} graded enterprises)",
            language,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
