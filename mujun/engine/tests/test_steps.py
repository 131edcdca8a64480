"""The evaluation as named steps (issue 12 item 1): each step alone, and the pipeline that keeps them."""

import dataclasses
from datetime import date

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mujun.engine.evaluation import (
    STEPS,
    Pipeline,
    benchmark_values,
    benchmarks_step,
    compare,
    evaluate,
    grades_step,
    policies_step,
    prepare,
    ranks_step,
    scope_step,
    scores_step,
    totals_step,
    values_step,
)
from mujun.engine.tests.factories import code, frame, huangyan_2022, one_indicator_scheme, row
from mujun.engine.tests.test_properties import FAST, enterprise, typed_frame


def reweighted(scheme, factor: float, group_index: int = 0):
    """The scheme with one group's indicator weights multiplied by ``factor``."""
    groups = list(scheme.groups)
    group = groups[group_index]
    groups[group_index] = dataclasses.replace(
        group, indicators=tuple(dataclasses.replace(i, weight=i.weight * factor) for i in group.indicators)
    )
    return dataclasses.replace(scheme, groups=tuple(groups))


def regraded(scheme, a: float, b: float):
    groups = [dataclasses.replace(g, grading=dataclasses.replace(g.grading, A=a, B=b, C=0.9 - a - b)) for g in scheme.groups]
    return dataclasses.replace(scheme, groups=tuple(groups))


@pytest.fixture
def small():
    """Five enterprises: three evaluated 规上 with taxes 100, 200, 300 on 10 mu, an exempt one, a small 规下."""
    rows = [row(n, tax=tax) for n, tax in enumerate((100, 200, 300))]
    rows += [row(3, established_on="2022-06-01"), row(4, above_scale="否", land_mu=1)]
    return frame(rows)


def scheme_year_end(scheme):
    return date(scheme.year, 12, 31)


def test_scope_step_sets_group_status_and_reason(small):
    scheme = one_indicator_scheme()
    typed, _ = prepare(small, scheme)
    scoped = scope_step(typed.lazy(), scheme, scheme_year_end(scheme)).collect()
    assert scoped["group"].to_list() == ["above", "above", "above", "above", "below"]
    assert scoped["status"].to_list() == ["evaluated"] * 3 + ["exempt", "out_of_scope"]
    assert scoped["reason"][3] == "成立未满2年"


def steps_up_to_values(small, scheme):
    typed, _ = prepare(small, scheme)
    return values_step(scope_step(typed.lazy(), scheme, scheme_year_end(scheme)), scheme).collect()


def test_values_step_divides_for_every_row_not_invalid(small):
    valued = steps_up_to_values(small, one_indicator_scheme())
    assert valued["ratio_value"].to_list() == [10.0, 20.0, 30.0, 10.0, 100.0]


@pytest.mark.parametrize(("kind", "expected"), [('"mean"', 20.0), ('"median"', 20.0), ("15", 15.0)])
def test_benchmarks_step_is_a_frame_per_group_with_counts(small, kind, expected):
    scheme = one_indicator_scheme(benchmark=kind)
    benchmarks = benchmarks_step(steps_up_to_values(small, scheme), scheme)
    assert benchmarks.columns == ["group", "evaluated", "ratio_benchmark"]
    above = benchmarks.filter(pl.col("group") == "above").row(0, named=True)
    assert above["evaluated"] == 3  # the exempt row is not counted
    assert above["ratio_benchmark"] == expected
    assert benchmark_values(benchmarks, scheme)["above"] == {"ratio": expected}


def test_scores_totals_ranks_grades_and_policies_steps(small):
    scheme = one_indicator_scheme(benchmark="10", policies='[policies.D]\nsurcharge = 0.3')
    valued = steps_up_to_values(small, scheme)
    benchmarks = benchmarks_step(valued, scheme)
    scored = scores_step(valued.lazy(), scheme, benchmarks)
    assert scored.collect()["ratio_score"].to_list() == [100.0, 200.0, 300.0, None, None]
    # Other benchmarks: the scores follow the frame given, not the scheme's number.
    halved = benchmarks.with_columns(pl.col("ratio_benchmark") * 2)
    assert scores_step(valued.lazy(), scheme, halved).collect()["ratio_score"].to_list()[:3] == [50.0, 100.0, 150.0]
    totalled = totals_step(scored, scheme)
    assert totalled.collect()["total"].to_list() == [100.0, 200.0, 300.0, None, None]
    ranked = ranks_step(totalled, scheme)
    assert ranked.collect()["rank"].to_list() == [3, 2, 1, None, None]
    graded = grades_step(ranked, scheme, benchmarks)
    assert graded.collect()["grade"].to_list() == ["C", "B", "A", "T", None]
    with_policies = policies_step(graded, scheme).collect()
    assert with_policies["surcharge"].to_list() == [None, None, None, None, None]  # nobody is D among three


def test_evaluate_is_the_pipelines_evaluation(small):
    scheme = huangyan_2022()
    pipeline = Pipeline.run(small, scheme)
    expected = evaluate(small, scheme)
    assert pipeline.result.equals(expected.result)
    assert pipeline.benchmarks() == expected.benchmarks
    assert [entry.step for entry in pipeline.log] == ["input", *STEPS]
    assert all(entry.computed for entry in pipeline.log)
    assert set(pipeline.frame("grades").columns) >= {"total", "rank", "grade", "_grade"}


def test_regenerating_reuses_the_steps_before_the_first_changed_part(small):
    scheme = huangyan_2022()
    pipeline = Pipeline.run(small, scheme)
    reweighted_pipeline = pipeline.regenerate(reweighted(scheme, 2.0))
    reused = [entry.step for entry in reweighted_pipeline.log if not entry.computed]
    assert reused == ["input", "scope", "values", "benchmarks"]
    assert reweighted_pipeline.frame("values") is pipeline.frame("values")
    regraded_pipeline = pipeline.regenerate(regraded(scheme, 0.3, 0.3))
    assert [entry.step for entry in regraded_pipeline.log if entry.computed] == ["grades", "policies"]
    assert "grades: computed" in regraded_pipeline.write_log()


def test_regenerating_with_a_replaced_benchmarks_frame(small):
    scheme = one_indicator_scheme(benchmark="10")
    pipeline = Pipeline.run(small, scheme)
    doubled = pipeline.frame("benchmarks").with_columns(pl.col("ratio_benchmark") * 2)
    other = pipeline.regenerate(frames={"benchmarks": doubled})
    assert other.log[3].replaced and other.log[3].step == "benchmarks"
    assert other.result["ratio_score"].to_list()[:3] == [50.0, 100.0, 150.0]
    assert other.benchmarks()["above"] == {"ratio": 20.0}


def test_compare_lists_rows_whose_results_differ():
    rows = [row(n, tax=100 + 10 * n, value_added=5000 - 200 * n) for n in range(10)]
    scheme = huangyan_2022()
    pipeline = Pipeline.run(frame(rows), scheme)
    assert compare(pipeline, pipeline.regenerate()).is_empty()
    tax_heavy = pipeline.regenerate(
        dataclasses.replace(
            scheme,
            groups=(
                dataclasses.replace(
                    scheme.groups[0],
                    indicators=tuple(
                        dataclasses.replace(i, weight=90 if i.id == "tax_per_mu" else 2) for i in scheme.groups[0].indicators
                    ),
                ),
                *scheme.groups[1:],
            ),
        )
    )
    differences = compare(pipeline, tax_heavy)
    assert not differences.is_empty()
    assert differences.columns == ["_row", "uscc", "total", "rank", "grade", "total_other", "rank_other", "grade_other"]
    # The first enterprise (least tax, most value added) ranks last once tax weighs most.
    first = differences.filter(pl.col("uscc") == code(0)).row(0, named=True)
    assert first["rank_other"] == 10 and first["rank"] < 10


@FAST
@given(
    st.lists(enterprise, min_size=1, max_size=30),
    st.floats(min_value=0.1, max_value=5),
    st.sampled_from([(0.2, 0.4), (0.1, 0.1), (0.5, 0.2)]),
    st.integers(min_value=0, max_value=1),
)
def test_a_regenerated_variant_equals_a_fresh_run_of_it(rows, factor, shares, group_index):
    scheme = huangyan_2022()
    variant = regraded(reweighted(scheme, factor, group_index), *shares)
    pipeline = Pipeline.run(typed_frame(rows), scheme)
    regenerated = pipeline.regenerate(variant)
    assert regenerated.result.equals(Pipeline.run(typed_frame(rows), variant).result)
