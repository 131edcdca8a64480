"""The data collection's rules over whole columns: when figures disagree and when one looks wrong."""

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from mujun.engine import collection as rules

figures = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False)
positive = st.floats(min_value=1e-3, max_value=1e9, allow_nan=False)


def evaluate(expression) -> object:
    return pl.select(expression).item()


@given(figures, figures)
def test_disagreement_is_symmetric_and_a_figure_agrees_with_itself(a, b):
    forward = evaluate(rules.numbers_differ(pl.lit(a), pl.lit(b)))
    assert forward == evaluate(rules.numbers_differ(pl.lit(b), pl.lit(a)))
    assert not evaluate(rules.numbers_differ(pl.lit(a), pl.lit(a)))


def test_the_tolerance_and_missing_figures():
    frame = pl.DataFrame({"a": [1000.0, 1000.0, 0.0, None], "b": [1004.0, 1006.0, 0.005, 5.0]})
    assert frame.select(rules.numbers_differ(pl.col("a"), pl.col("b"))).to_series().to_list() == [False, True, False, False]


@given(positive, positive, st.floats(min_value=1.01, max_value=100))
def test_an_anomaly_either_way_is_an_anomaly_back(value, last, factor):
    """Going from last year's figure to this year's beyond the factor is as anomalous as the way back."""
    forward = evaluate(rules.factor_anomaly(pl.lit(value), pl.lit(last), factor))
    assert forward == evaluate(rules.factor_anomaly(pl.lit(last), pl.lit(value), factor))
    if forward:
        assert value > last * factor or value * factor < last


def test_value_added_above_revenue_and_land_against_parcels():
    frame = pl.DataFrame({"va": [120.0, 100.0, None], "rev": [100.0, 100.0, 50.0]})
    assert frame.select(rules.value_added_above_revenue(pl.col("va"), pl.col("rev"))).to_series().to_list() == [True, False, False]
    land = pl.DataFrame({"held": [10.0, 10.5, 12.0], "parcels": [10.0, 10.0, 10.0]})
    assert land.select(rules.land_differs(pl.col("held"), pl.col("parcels"), 0.1)).to_series().to_list() == [False, False, True]
