"""County indicator rankings: worked examples and properties (hypothesis)."""

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mujun.engine.rankings import BOTTOM, MIDDLE, TOP, composite, indicator_ranks, ranking

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
INDICATORS = pl.DataFrame({"indicator": [1, 2], "higher_is_better": [True, False], "weight": [2.0, 1.0]})


def test_direction_ties_points_and_thirds():
    values = pl.DataFrame(
        {"indicator": [1] * 5 + [2] * 5, "region": [1, 2, 3, 4, 5] * 2,
         "value": [10.0, 30.0, 20.0, 20.0, 5.0, 1.0, 2.0, 3.0, 4.0, 5.0]}
    )  # fmt: skip
    ranks = indicator_ranks(values, INDICATORS)
    first = ranks.filter(pl.col("indicator") == 1)
    assert dict(first.select("region", "rank").iter_rows()) == {2: 1, 3: 2, 4: 2, 1: 4, 5: 5}
    assert dict(first.select("region", "tier").iter_rows()) == {2: TOP, 3: TOP, 4: TOP, 1: BOTTOM, 5: BOTTOM}
    second = ranks.filter(pl.col("indicator") == 2)  # lower is better
    assert dict(second.select("region", "rank").iter_rows()) == {1: 1, 2: 2, 3: 3, 4: 4, 5: 5}
    assert dict(second.select("region", "points").iter_rows()) == {1: 100.0, 2: 75.0, 3: 50.0, 4: 25.0, 5: 0.0}
    assert second.filter(pl.col("region") == 3)["tier"][0] == MIDDLE
    overall = composite(ranks, INDICATORS)
    # region 2: (2×100 + 75) / 3
    assert overall.filter(pl.col("region") == 2)["score"][0] == round(275 / 3, 4)
    assert overall["rank"][0] == 1 and overall["region"][0] == 2


def test_ranking_at_a_period_takes_latest_values_up_to_it():
    values = pl.DataFrame(
        {"indicator": [1, 1, 1, 1], "region": [1, 1, 2, 2], "period": [202401, 202403, 202401, 202406],
         "value": [1.0, 9.0, 5.0, 0.0]}
    )  # fmt: skip
    ranks, _ = ranking(values, INDICATORS, 202403)
    assert dict(ranks.select("region", "value").iter_rows()) == {1: 9.0, 2: 5.0}


region_values = st.dictionaries(st.integers(1, 12), st.integers(-50, 50).map(float), min_size=1)


@FAST
@given(values=region_values, data=st.data())
def test_ranks_do_not_depend_on_row_order_and_stay_in_range(values, data):
    rows = list(values.items())
    shuffled = data.draw(st.permutations(rows))
    frames = [
        pl.DataFrame({"indicator": 1, "region": [r for r, _ in rs], "value": [v for _, v in rs]}) for rs in (rows, shuffled)
    ]
    results = [indicator_ranks(f, INDICATORS).sort("region") for f in frames]
    assert results[0].equals(results[1])
    ranks = results[0]
    assert ranks["rank"].min() == 1 and ranks["rank"].max() <= len(values)
    assert ranks["points"].min() >= 0 and ranks["points"].max() == 100
    best = max(values.values())
    assert set(ranks.filter(pl.col("rank") == 1)["region"]) == {r for r, v in values.items() if v == best}


@FAST
@given(values=region_values)
def test_flipping_the_direction_reverses_a_ranking_without_ties(values):
    distinct = {r: v for r, v in values.items() if list(values.values()).count(v) == 1}
    if not distinct:
        return
    frame = pl.DataFrame({"indicator": 1, "region": list(distinct), "value": list(distinct.values())})
    up = indicator_ranks(frame, INDICATORS.with_columns(higher_is_better=pl.lit(True))).sort("region")
    down = indicator_ranks(frame, INDICATORS.with_columns(higher_is_better=pl.lit(False))).sort("region")
    assert (up["rank"] + down["rank"]).to_list() == [len(distinct) + 1] * len(distinct)


@FAST
@given(first=region_values, second=region_values)
def test_composite_lies_between_0_and_100(first, second):
    values = pl.concat(
        [
            pl.DataFrame({"indicator": 1, "region": list(first), "value": list(first.values())}),
            pl.DataFrame({"indicator": 2, "region": list(second), "value": list(second.values())}),
        ]
    )
    overall = composite(indicator_ranks(values, INDICATORS), INDICATORS)
    assert overall["score"].min() >= 0 and overall["score"].max() <= 100
    assert overall.height == len(set(first) | set(second))


def test_no_value_up_to_the_period_gives_an_empty_ranking():
    values = pl.DataFrame({"indicator": [1], "region": [1], "period": [202501], "value": [1.0]})
    ranks, overall = ranking(values, INDICATORS, 202412)
    assert ranks.height == 0 and overall.height == 0
    assert overall.columns == ["region", "score", "indicators", "rank", "tier"]


@FAST
@given(first=region_values, second=region_values)
def test_the_composite_is_the_weighted_mean_of_the_points(first, second):
    """The pipeline's aggregate step gives the city's formula: Σ points × weight / Σ weight over the
    indicators a region has (to the published four decimals)."""
    values = pl.concat(
        [
            pl.DataFrame({"indicator": 1, "region": list(first), "value": list(first.values())}),
            pl.DataFrame({"indicator": 2, "region": list(second), "value": list(second.values())}),
        ]
    )
    ranks = indicator_ranks(values, INDICATORS)
    weights = dict(INDICATORS.select("indicator", "weight").iter_rows())
    for region, score in composite(ranks, INDICATORS).select("region", "score").iter_rows():
        mine = ranks.filter(pl.col("region") == region)
        expected = sum(p * weights[i] for i, p in mine.select("indicator", "points").iter_rows()) / sum(weights[i] for i in mine["indicator"])
        assert abs(score - expected) <= 0.5e-4 + 1e-9
