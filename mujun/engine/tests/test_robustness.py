"""Grade robustness (issue 12 item 3): properties of the draws, each draw against the engine's own steps, and
the ``mujun robustness`` command."""

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mujun.engine.evaluation import Pipeline
from mujun.engine.io import write_table
from mujun.engine.robustness import (
    PROBABILITY_COLUMNS,
    RESULT_COLUMNS,
    Settings,
    SpreadError,
    drawn_variant,
    main,
    robustness,
    run_grade_probability,
)
from mujun.engine.scheme import parse_scheme, preset_toml
from mujun.engine.tests.factories import frame, huangyan_2022, one_indicator_scheme, row
from mujun.engine.tests.test_properties import FAST, enterprise, typed_frame

SCHEMES = {
    "huangyan-2022": huangyan_2022(),
    "threshold, capped": one_indicator_scheme(grading='{ method = "threshold", A = 90, B = 60, C = 30 }', cap="2"),
    "computed, group mean": one_indicator_scheme(benchmark='"median"', missing="group_mean_score"),
}
scheme_names = st.sampled_from(sorted(SCHEMES))
spread = st.floats(min_value=0, max_value=0.6)


def drawn_grade() -> pl.Expr:
    """The grade of a one-draw analysis: the one with probability 1."""
    chain = pl.when(pl.col("p_A") == 1).then(pl.lit("A"))
    for grade in "BCD":
        chain = chain.when(pl.col(f"p_{grade}") == 1).then(pl.lit(grade))
    return chain


@FAST
@given(st.lists(enterprise, min_size=1, max_size=40), scheme_names, spread, spread, st.integers(0, 2**32 - 1))
def test_probabilities_sum_to_one_and_the_rank_interval_holds_the_runs_rank(rows, name, weights, benchmarks, seed):
    pipeline = Pipeline.run(typed_frame(rows), SCHEMES[name])
    result = robustness(pipeline, Settings(draws=25, weight_spread=weights, benchmark_spread=benchmarks, seed=seed)).result
    assert result.columns == list(RESULT_COLUMNS)
    graded = result.filter(pl.col("p_A").is_not_null())
    assert graded.height == (pipeline.result["status"] == "evaluated").sum()
    assert graded.select(pl.sum_horizontal(PROBABILITY_COLUMNS)).to_series().to_list() == pytest.approx([1.0] * graded.height)
    ranks = pl.concat([result, pipeline.result.select("rank")], how="horizontal").filter(pl.col("rank").is_not_null())
    assert ranks.filter((pl.col("rank_low") > pl.col("rank")) | (pl.col("rank") > pl.col("rank_high"))).is_empty()


@FAST
@given(st.lists(enterprise, min_size=1, max_size=40), scheme_names, st.integers(0, 2**32 - 1))
def test_zero_spread_gives_the_runs_grade_and_rank_in_every_draw(rows, name, seed):
    pipeline = Pipeline.run(typed_frame(rows), SCHEMES[name])
    analysis = robustness(pipeline, Settings(draws=5, weight_spread=0, benchmark_spread=0, seed=seed))
    result = pl.concat([analysis.result, pipeline.result.select(pl.col("rank").alias("run_rank"))], how="horizontal")
    evaluated = result.filter(pl.col("p_A").is_not_null())
    assert evaluated.select(run_grade_probability()).to_series().to_list() == [1.0] * evaluated.height
    assert (evaluated["rank_low"] == evaluated["run_rank"]).all() and (evaluated["rank_high"] == evaluated["run_rank"]).all()
    assert analysis.stable == analysis.graded


@FAST
@given(st.lists(enterprise, min_size=1, max_size=40), scheme_names, spread, spread, st.integers(0, 2**32 - 1))
def test_each_draw_grades_and_ranks_as_the_engines_steps_under_the_drawn_scheme(rows, name, weights, benchmarks, seed):
    pipeline = Pipeline.run(typed_frame(rows), SCHEMES[name])
    settings = Settings(draws=1, weight_spread=weights, benchmark_spread=benchmarks, seed=seed)
    result = robustness(pipeline, settings).result
    variant, drawn_benchmarks = drawn_variant(pipeline, settings, 0)
    engine = pipeline.regenerate(variant, frames={"benchmarks": drawn_benchmarks}).result
    evaluated = pl.col("status") == "evaluated"
    assert result.select(drawn_grade()).to_series().to_list() == engine.select(pl.when(evaluated).then("grade")).to_series().to_list()
    run_rank, drawn_rank = pipeline.result["rank"], engine["rank"]
    assert result["rank_low"].to_list() == pl.select(pl.min_horizontal(pl.lit(run_rank), pl.lit(drawn_rank))).to_series().to_list()
    assert result["rank_high"].to_list() == pl.select(pl.max_horizontal(pl.lit(run_rank), pl.lit(drawn_rank))).to_series().to_list()


def test_a_seed_gives_the_same_draws_and_spreads_move_close_grades():
    # More tax, less R&D, totals a hair apart: which enterprise leads depends on the weights.
    rows = [row(n, tax=100 + n, rd_expense=150 - 1.8 * n) for n in range(60)]
    pipeline = Pipeline.run(frame(rows), huangyan_2022())
    settings = Settings(draws=200, weight_spread=0.3, benchmark_spread=0.3, seed=11)
    first, again = robustness(pipeline, settings), robustness(pipeline, settings)
    assert first.result.equals(again.result)
    # Sixty enterprises of nearly equal totals: some grades must move under ±30 % weights.
    assert first.stable < first.graded
    assert 0 < first.stable_share < 1


def test_forced_d_stays_d_and_rows_not_graded_get_no_probabilities():
    rows = [row(n, tax=100 + 50 * n) for n in range(10)]
    rows[9]["major_violation"] = "是"
    rows.append(row(20, established_on="2022-06-01"))
    pipeline = Pipeline.run(frame(rows), huangyan_2022())
    result = robustness(pipeline, Settings(draws=50, weight_spread=0.5, benchmark_spread=0.5, seed=1)).result
    assert result.row(9, named=True)["p_D"] == 1.0
    exempt = result.row(10, named=True)
    assert exempt["grade"] == "T" and exempt["p_A"] is None and exempt["rank_low"] is None


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (Settings(draws=0), "抽样次数必须至少为1"),
        (Settings(weight_spread=1.0), "权重浮动幅度必须不小于0且小于1"),
        (Settings(benchmark_spread=-0.1), "标杆值浮动幅度必须不小于0且小于1"),
    ],
)
def test_settings_out_of_range_are_refused(bad, message):
    with pytest.raises(SpreadError, match=message):
        bad.check()


def test_command_writes_one_row_per_enterprise(tmp_path, capsys):
    rows = [row(n, tax=100 + 10 * n) for n in range(20)] + [row(30, above_scale="否", land_mu=1)]
    source = tmp_path / "input.csv"
    write_table(frame(rows).drop("_row"), source)
    output = tmp_path / "robustness.csv"
    arguments = [str(source), "--scheme", "huangyan-2022", "--draws", "50", "--weight-spread", "0.2",
                 "--benchmark-spread", "0.1", "--seed", "7", "--output", str(output)]  # fmt: skip
    assert main(arguments) == 0
    written = pl.read_csv(output)
    assert written.columns == list(RESULT_COLUMNS)
    assert written.height == 21
    assert written["grade"][20] is None and written["p_A"][20] is None  # out of scope
    assert "抽样50次" in capsys.readouterr().out
    pipeline = Pipeline.run(frame(rows), parse_scheme(preset_toml("huangyan-2022")))
    expected = robustness(pipeline, Settings(50, 0.2, 0.1, 7)).result
    assert written["p_A"].to_list() == expected["p_A"].to_list()


def test_command_refuses_a_spread_out_of_range_in_the_users_language(tmp_path, capsys, monkeypatch):
    source = tmp_path / "input.csv"
    write_table(frame([row(1)]).drop("_row"), source)
    output = tmp_path / "out.csv"
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")
    assert main([str(source), "--scheme", "huangyan-2022", "--weight-spread", "1.5", "--output", str(output)]) == 2
    assert "the weight spread must be at least 0 and below 1" in capsys.readouterr().err
    assert not output.exists()
