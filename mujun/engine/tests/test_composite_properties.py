"""Properties of the composite pipeline (hypothesis): min-max lands on its range, weights are relative,
turning an indicator round mirrors it, imputation fills every gap its group can fill, and treatment
agrees with the reference implementation of COINr's R code in test_composite."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from mujun.engine import composite as engine
from mujun.engine.tests.test_composite import r_treat

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
values = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


def inputs_for(columns: dict[str, list[float | None]], *, directions=None, weights=None, groups=None) -> engine.Inputs:
    """Indicators under one index, each with its direction and weight."""
    codes = list(columns)
    directions = directions or {c: 1 for c in codes}
    weights = weights or {c: 1.0 for c in codes}
    rows = [
        {"Level": 1, "iCode": c, "Direction": directions[c], "Weight": weights[c], "Parent": "Index", "Type": "Indicator"}
        for c in codes
    ]
    meta = engine.read_metadata(engine.metadata_from([*rows, {"Level": 2, "iCode": "Index", "Direction": 1, "Weight": 1, "Type": "Aggregate"}]))
    count = len(next(iter(columns.values())))
    units = [f"U{i}" for i in range(count)]
    frame = pl.DataFrame({"uCode": units, **columns}, schema={"uCode": pl.String, **{c: pl.Float64 for c in codes}})
    unit_table = pl.DataFrame({"uCode": units, "group": groups or ["g"] * count}, schema={"uCode": pl.String, "group": pl.String})
    return engine.Inputs(meta, frame, unit_table)


@FAST
@given(column=st.lists(values, min_size=2, max_size=40), low=st.floats(-100, 100), width=st.floats(0.5, 1000))
def test_minmax_lands_on_its_range(column, low, width):
    assume(max(column) - min(column) > 1e-6 * max(1.0, abs(max(column))))
    high = low + width
    stage = engine.normalise(engine.Normalise(range=(low, high)), inputs_for({"x": column}).indicators, inputs_for({"x": column}))
    result = stage.frame["x"]
    tolerance = 1e-9 * max(abs(low), abs(high), 1.0)
    assert result.min() >= low - tolerance and result.max() <= high + tolerance
    assert abs(result.min() - low) <= tolerance and abs(result.max() - high) <= tolerance


@FAST
@given(
    matrix=st.lists(st.tuples(values, values, values), min_size=3, max_size=20),
    weights=st.tuples(*[st.floats(0.01, 100)] * 3),
    factor=st.floats(0.001, 1000),
)
def test_weights_count_only_relative_to_each_other(matrix, weights, factor):
    columns = {code: [row[i] for row in matrix] for i, code in enumerate("abc")}
    config = engine.Aggregate()
    base = inputs_for(columns, weights=dict(zip("abc", weights)))
    scaled = inputs_for(columns, weights={c: w * factor for c, w in zip("abc", weights)})
    first = engine.aggregate(config, base.indicators, base).frame["Index"].to_numpy()
    second = engine.aggregate(config, scaled.indicators, scaled).frame["Index"].to_numpy()
    assert np.allclose(first, second, rtol=1e-9, atol=1e-6)


@FAST
@given(column=st.lists(values, min_size=2, max_size=30), method=st.sampled_from(["minmax", "percentile_rank"]))
@example(column=[0.0, 2.225073858507203e-309], method="minmax")  # a subnormal spread: its reciprocal overflows
def test_turning_an_indicator_round_mirrors_its_scores(column, method):
    # Ranks mirror only without ties (tied values share a rank on both sides).
    assume(len(set(column)) == len(column) if method == "percentile_rank" else len(set(column)) > 1)
    config = engine.Normalise(method=method)
    up, down = inputs_for({"x": column}), inputs_for({"x": column}, directions={"x": -1})
    positive = engine.normalise(config, up.indicators, up).frame["x"].to_numpy()
    negative = engine.normalise(config, down.indicators, down).frame["x"].to_numpy()
    assert np.allclose(positive + negative, 100.0, atol=1e-6)


@FAST
@given(
    cells=st.lists(st.tuples(st.sampled_from(["a", "b", "c", None]), st.one_of(st.none(), values)), min_size=1, max_size=40),
    method=st.sampled_from(["group_mean", "group_median"]),
)
def test_group_imputation_fills_every_gap_its_group_can(cells, method):
    groups = [g for g, _ in cells]
    inputs = inputs_for({"x": [v for _, v in cells]}, groups=groups)
    filled = engine.impute(engine.Impute(method=method, group="group"), inputs.indicators, inputs).frame["x"].to_list()
    with_values = {g for g, v in cells if g is not None and v is not None}
    for (group, value), result in zip(cells, filled):
        if value is not None:
            assert result == value  # values present are never changed
        elif group in with_values:
            members = [v for g, v in cells if g == group and v is not None]
            expected = np.mean(members) if method == "group_mean" else np.median(members)
            assert result is not None and abs(result - expected) <= 1e-9 * max(1.0, abs(expected))
        else:
            assert result is None  # no value in its group (or no group): the gap stays


@FAST
@given(
    body=st.lists(st.floats(0, 10), min_size=8, max_size=40),
    tail=st.lists(st.floats(10, 1e5), min_size=0, max_size=8),
    winmax=st.integers(1, 6),
)
def test_treatment_matches_the_reference(body, tail, winmax):
    column = body + tail
    assume(len(set(column)) > 3)
    inputs = inputs_for({"x": column})
    stage = engine.treat(engine.Treat(winmax=winmax), inputs.indicators, inputs)
    expected = r_treat(np.array(column), winmax=winmax)
    assert np.allclose(stage.frame["x"].to_numpy(), expected, rtol=1e-9, atol=1e-9)


@FAST
@given(matrix=st.lists(st.tuples(st.floats(1, 100), st.floats(1, 100)), min_size=2, max_size=15))
def test_the_means_order_as_they_must(matrix):
    """Harmonic ≤ geometric ≤ arithmetic, each between the smallest and largest child."""
    columns = {"a": [r[0] for r in matrix], "b": [r[1] for r in matrix]}
    inputs = inputs_for(columns, weights={"a": 2.0, "b": 1.0})
    means = {
        method: engine.aggregate(engine.Aggregate(method=method), inputs.indicators, inputs).frame["Index"].to_numpy()
        for method in engine.Aggregate.METHODS
    }
    low, high = np.array(matrix).min(axis=1), np.array(matrix).max(axis=1)
    assert np.all(means["harmonic"] <= means["geometric"] + 1e-9) and np.all(means["geometric"] <= means["arithmetic"] + 1e-9)
    assert np.all(means["harmonic"] >= low - 1e-9) and np.all(means["arithmetic"] <= high + 1e-9)
