"""Per-mu leaders and region rankings: a worked example and properties (hypothesis)."""

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mujun.engine.gbt4754 import division_code, division_label
from mujun.engine.leaders import city_figures, leaders, ranking, region_figures

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

EXAMPLE = pl.DataFrame(
    {"enterprise_id": [1, 2, 3, 4, 5], "year": [2024] * 5, "land_mu": [10.0, 20.0, 5.0, 0.0, 8.0],
     "tax": [100.0, 300.0, None, 5.0, 80.0], "value_added": [500.0, None, 100.0, 10.0, 400.0],
     "division": ["34", "34", "34", "34", None], "county": [1, 1, 2, 2, 2]}
)  # fmt: skip


def test_divisions_from_codes():
    codes = pl.DataFrame({"code": ["C3411", "3411", "", None, "C3"]})
    assert codes.select(division_code(pl.col("code")))["code"].to_list() == ["34", "34", None, None, None]
    assert division_label("34") == "34 通用设备制造业"
    assert division_label("99") == "99" and division_label(None) == ""


def test_leaders_by_tax_per_mu_skip_rows_without_land_tax_or_group():
    top = leaders(EXAMPLE, "division", 5)
    # 2: 15/mu, 1: 10/mu; 3 has no tax, 4 no land, 5 no division
    assert top.select("enterprise_id", "rank").rows() == [(2, 1), (1, 2)]
    with pytest.raises(ValueError):
        leaders(EXAMPLE, "division", 0)


def test_ranking_against_city_and_province():
    ranked = ranking(EXAMPLE, "county", 2024, "tax", {"tax": 12.0, "value_added": None})
    city = city_figures(EXAMPLE)
    # county 1: 400 / 30 mu; county 2: 80 / 8 mu (3 reported no tax, 4 no land); the city: 480 / 38
    assert ranked["county"].to_list() == [1, 2]
    assert ranked["tax_per_mu"].to_list() == pytest.approx([400 / 30, 10.0])
    assert city["tax_per_mu"][0] == pytest.approx(480 / 38)
    assert ranked["tax_per_mu_vs_city"][0] == pytest.approx((400 / 30) / (480 / 38) * 100 - 100)
    assert ranked["tax_per_mu_vs_province"].to_list() == pytest.approx([(400 / 30 / 12 - 1) * 100, (10 / 12 - 1) * 100])
    assert ranked["value_added_per_mu_vs_province"].null_count() == 2
    by_value_added = ranking(EXAMPLE, "county", 2024, "value_added")
    # county 1: 500 over the 10 mu of the one enterprise reporting value added; county 2: 500 / 13 mu
    assert by_value_added["value_added_per_mu"].to_list() == pytest.approx([50.0, 500 / 13])
    with pytest.raises(ValueError):
        ranking(EXAMPLE, "county", 2024, "energy")


rows = st.lists(
    st.tuples(
        st.integers(1, 4),  # group
        st.one_of(st.none(), st.floats(0, 200)),  # land
        st.one_of(st.none(), st.floats(0, 5000)),  # tax
        st.one_of(st.none(), st.floats(0, 20000)),  # value added
    ),
    min_size=1,
    max_size=40,
)


def frame_of(drawn) -> pl.DataFrame:
    return pl.DataFrame(
        [(i, 2024, g, land, tax, va) for i, (g, land, tax, va) in enumerate(drawn)],
        schema={"enterprise_id": pl.Int64, "year": pl.Int64, "group": pl.Int64, "land_mu": pl.Float64,
                "tax": pl.Float64, "value_added": pl.Float64},
        orient="row",
    )  # fmt: skip


@FAST
@given(drawn=rows, top=st.integers(1, 6), data=st.data())
def test_leaders_are_the_best_of_their_group_whatever_the_row_order(drawn, top, data):
    frame = frame_of(drawn)
    chosen = leaders(frame, "group", top)
    shuffled = leaders(frame.sample(fraction=1.0, shuffle=True, seed=data.draw(st.integers(0, 99))), "group", top)
    assert chosen.equals(shuffled)
    ranked = frame.filter((pl.col("land_mu") > 0) & pl.col("tax").is_not_null())
    for (group,), part in chosen.group_by("group"):
        assert part["rank"].sort().to_list() == list(range(1, part.height + 1))
        assert part.height == min(top, ranked.filter(pl.col("group") == group).height)
        per_mu = part.sort("rank")["tax_per_mu"].to_list()
        assert per_mu == sorted(per_mu, reverse=True)
        others = ranked.filter((pl.col("group") == group) & ~pl.col("enterprise_id").is_in(part["enterprise_id"].implode()))
        if others.height:
            assert (others["tax"] / others["land_mu"]).max() <= min(per_mu)


@FAST
@given(drawn=rows)
def test_city_figure_lies_between_its_regions_and_gaps_agree(drawn):
    frame = frame_of(drawn)
    regions = region_figures(frame, "group")
    city = city_figures(frame)
    ranked = ranking(frame, "group", 2024, "tax", {"tax": 10.0})
    figures = regions["tax_per_mu"].drop_nulls()
    if figures.len():
        assert figures.min() - 1e-9 <= city["tax_per_mu"][0] <= figures.max() + 1e-9
    assert ranked.height == regions.height
    valued = ranked.filter(pl.col("tax_per_mu").is_not_null())
    # higher figure, better (smaller) rank; the gaps' signs follow the figure against its benchmark
    assert valued["rank"].to_list() == sorted(valued["rank"].to_list())
    assert all((g > 0) == (v > 10.0) for g, v in zip(valued["tax_per_mu_vs_province"], valued["tax_per_mu"]) if abs(v - 10) > 1e-9)
    assert valued["rank"].min() in (None, 1)
