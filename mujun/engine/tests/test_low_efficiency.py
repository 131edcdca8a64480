"""The low-efficiency listing (三低): the published rules on examples, and for any year's firms (hypothesis)
each listed firm meets the rules it names and every firm left out meets none."""

from dataclasses import asdict, replace

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mujun.engine.low_efficiency import (
    FIRM_COLUMNS,
    RULES,
    Thresholds,
    list_firms,
    thresholds_frame,
)

FAST = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def firms(*rows: dict) -> pl.DataFrame:
    base = {"county": "330502", "above_scale": True, "land_mu": 10.0, "tax": 100.0, "industry_code": "1311"}
    return pl.DataFrame(
        [{"enterprise_id": index, **base, **row} for index, row in enumerate(rows, 1)], schema=FIRM_COLUMNS
    )


def listed(frame: pl.DataFrame, *threshold_rows: dict) -> dict[int, list[str]]:
    result = list_firms(frame, thresholds_frame(list(threshold_rows)) if threshold_rows else None)
    return dict(zip(result["enterprise_id"].to_list(), result["rules"].to_list(), strict=True))


def county_row(county, **changes) -> dict:
    return {"county": county, **asdict(replace(Thresholds(), **changes))}


def test_huzhou_rules_by_default():
    frame = firms(
        {"tax": 59.0},  # 规上 5.9 万元/亩 < 6
        {"tax": 60.0},  # 6.0: not below
        {"above_scale": False, "land_mu": 5.0, "tax": 14.0},  # 规下 2.8 < 3
        {"above_scale": False, "land_mu": 12.0, "tax": 120.0},  # 规下 on 12 mu ≥ 10, 10 万元/亩
        {"above_scale": False, "land_mu": 9.9, "tax": 40.0},  # 规下, 4.04 万元/亩 on 9.9 mu: fine
    )
    assert listed(frame) == {1: ["above_scale_tax"], 3: ["below_scale_tax"], 4: ["large_below_scale"]}


def test_a_county_overrides_the_city_and_the_city_the_defaults():
    frame = firms({"tax": 70.0}, {"tax": 70.0, "county": "330521"}, {"tax": 45.0, "county": "330522"})
    city = county_row(None, above_scale_tax_per_mu=5.0)
    deqing = county_row("330521", above_scale_tax_per_mu=8.0)
    assert listed(frame, city, deqing) == {2: ["above_scale_tax"], 3: ["above_scale_tax"]}


def test_a_rule_switched_off_lists_nobody():
    frame = firms({"tax": 10.0}, {"above_scale": False, "land_mu": 20.0, "tax": 10.0})
    off = county_row(None, above_scale_enabled=False, below_scale_enabled=False, large_land_enabled=False)
    assert listed(frame, off) == {}


def test_industry_average_rule_dongyang_style():
    # Division 13: (100 + 300 + 20) / 30 mu = 14 万元/亩; half of it is 7: only the third firm (2.0) is below.
    frame = firms({"tax": 100.0}, {"tax": 300.0}, {"tax": 20.0}, {"tax": 5.0, "industry_code": "2211"})
    rules = county_row(None, above_scale_enabled=False, industry_enabled=True, industry_share=0.5)
    assert listed(frame, rules) == {3: ["industry_average"]}
    figures = list_firms(frame, thresholds_frame([rules])).filter(pl.col("enterprise_id") == 3)["figures"].item()
    assert '"industry_average":14.0' in figures and '"industry_share":0.5' in figures


def test_firms_without_land_or_tax_are_not_measured():
    frame = firms({"land_mu": 0.0, "tax": 0.0}, {"tax": None}, {"land_mu": None})
    assert listed(frame) == {}


# --- properties ----------------------------------------------------------------------------------------

firm_rows = st.lists(
    st.fixed_dictionaries(
        {
            "county": st.sampled_from(["330502", "330503", "330521"]),
            "above_scale": st.booleans(),
            "land_mu": st.one_of(st.none(), st.floats(0, 200, allow_nan=False)),
            "tax": st.one_of(st.none(), st.floats(0, 5000, allow_nan=False)),
            "industry_code": st.sampled_from(["1311", "1399", "2211", "3311"]),
        }
    ),
    max_size=30,
)
threshold_rows = st.lists(
    st.builds(
        lambda county, values: {"county": county, **values},
        st.sampled_from([None, "330502", "330521"]),
        st.fixed_dictionaries(
            {
                "above_scale_enabled": st.booleans(),
                "above_scale_tax_per_mu": st.floats(0, 50, allow_nan=False),
                "below_scale_enabled": st.booleans(),
                "below_scale_tax_per_mu": st.floats(0, 50, allow_nan=False),
                "large_land_enabled": st.booleans(),
                "large_land_mu": st.floats(0, 100, allow_nan=False),
                "industry_enabled": st.booleans(),
                "industry_share": st.floats(0.01, 1, allow_nan=False),
            }
        ),
    ),
    max_size=3,
)


def rules_of(row: dict, thresholds: dict, average: float | None) -> list[str]:
    """One firm's rules, computed one firm at a time in plain Python: what the frame must agree with."""
    land, tax = row["land_mu"], row["tax"]
    if land is None or land <= 0:
        return []
    per_mu = None if tax is None else tax / land
    met = {
        "above_scale_tax": thresholds["above_scale_enabled"] and row["above_scale"] and per_mu is not None
        and per_mu < thresholds["above_scale_tax_per_mu"],
        "below_scale_tax": thresholds["below_scale_enabled"] and not row["above_scale"] and per_mu is not None
        and per_mu < thresholds["below_scale_tax_per_mu"],
        "large_below_scale": thresholds["large_land_enabled"] and not row["above_scale"] and land >= thresholds["large_land_mu"],
        "industry_average": thresholds["industry_enabled"] and per_mu is not None and average is not None
        and per_mu < thresholds["industry_share"] * average,
    }  # fmt: skip
    return [rule for rule in RULES if met[rule]]


@FAST
@given(firm_rows, threshold_rows)
def test_each_firm_meets_exactly_the_rules_it_is_listed_for(rows, thresholds):
    frame = firms(*rows)
    by_county = {t["county"]: t for t in thresholds if t["county"] is not None}
    city = next((t for t in reversed(thresholds) if t["county"] is None), asdict(Thresholds()))
    measured = [r for r in rows if r["land_mu"] and r["land_mu"] > 0 and r["tax"] is not None]
    averages = {}
    for division in {r["industry_code"][:2] for r in measured}:
        members = [r for r in measured if r["industry_code"][:2] == division]
        land = sum(r["land_mu"] for r in members)
        averages[division] = sum(r["tax"] for r in members) / land
    result = listed(frame, *thresholds)
    for index, row in enumerate(rows, 1):
        applied = {**city, **{k: v for k, v in by_county.get(row["county"], {}).items()}}
        expected = rules_of(row, applied, averages.get(row["industry_code"][:2]))
        # Floating point at the very threshold may round either way: compare away from it.
        assert result.get(index, []) == expected or _near_threshold(row, applied, averages.get(row["industry_code"][:2]))


def _near_threshold(row, thresholds, average) -> bool:
    if not row["land_mu"] or row["tax"] is None:
        return False
    per_mu = row["tax"] / row["land_mu"]
    edges = [thresholds["above_scale_tax_per_mu"], thresholds["below_scale_tax_per_mu"]]
    if average is not None:
        edges.append(thresholds["industry_share"] * average)
    return any(abs(per_mu - edge) < 1e-9 * max(1.0, abs(edge)) for edge in edges)


@FAST
@given(firm_rows, st.floats(0, 20, allow_nan=False), st.floats(0, 20, allow_nan=False))
def test_a_higher_floor_never_takes_a_firm_off_the_list(rows, low, extra):
    frame = firms(*rows)
    lower = county_row(None, above_scale_tax_per_mu=low, below_scale_tax_per_mu=low)
    higher = county_row(None, above_scale_tax_per_mu=low + extra, below_scale_tax_per_mu=low + extra)
    assert set(listed(frame, lower)) <= set(listed(frame, higher))


@FAST
@given(firm_rows)
def test_every_listed_firm_is_a_firm_of_the_year_listed_once(rows):
    result = list_firms(firms(*rows))
    ids = result["enterprise_id"].to_list()
    assert len(ids) == len(set(ids)) and set(ids) <= set(range(1, len(rows) + 1))
    assert all(rules for rules in result["rules"].to_list())
