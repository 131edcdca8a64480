import datetime as dt

import polars as pl
import pytest

from mujun.engine.demo import REGIONS, generate_enterprises
from mujun.engine.io import INPUT_COLUMNS
from mujun.engine.uscc import make_uscc, uscc_problem


@pytest.fixture(scope="module")
def demo() -> pl.DataFrame:
    return generate_enterprises()


def tax_per_mu_median(frame: pl.DataFrame, year: int, above_scale: bool) -> float:
    rows = frame.filter(pl.col("year") == year, pl.col("above_scale") == above_scale)
    return rows.select((pl.col("tax") / pl.col("land_mu")).median()).item()


def test_equal_seed_gives_equal_frame_and_another_seed_another():
    first = generate_enterprises(300, 200, seed=7)
    assert first.equals(generate_enterprises(300, 200, seed=7))
    assert not first.equals(generate_enterprises(300, 200, seed=8))


def test_columns_are_the_evaluation_input_plus_town_industry_and_year(demo):
    assert demo.columns == [*INPUT_COLUMNS, "town_code", "industry_code", "year"]
    assert demo.schema["above_scale"] == pl.Boolean
    assert demo.schema["established_on"] == pl.Date


def test_every_enterprise_has_a_row_in_the_last_year_and_none_before_it_existed(demo):
    last = demo.filter(pl.col("year") == 2024)
    assert last.height == 7000
    assert last["above_scale"].sum() == 4000
    assert demo["uscc"].n_unique() == 7000
    assert demo.group_by("uscc", "year").len()["len"].max() == 1
    assert demo.filter(pl.col("year") < pl.col("established_on").dt.year()).is_empty()
    earlier = demo.filter(pl.col("year") == 2022).height
    assert 6500 < earlier < 7000  # the young enterprises are missing from the first year


def test_sizes_follow_the_arguments():
    frame = generate_enterprises(n_above=120, n_below=80, years=(2024,))
    assert frame.height == 200
    assert frame["above_scale"].sum() == 120
    assert frame["year"].unique().to_list() == [2024]


def test_credit_codes_are_valid_unique_and_carry_the_county_code(demo):
    codes = demo.filter(pl.col("year") == 2024).select("uscc", "town_code")
    assert all(uscc_problem(code) is None for code in codes["uscc"])
    assert all(make_uscc(code[:17]) == code for code in codes["uscc"])
    assert codes.select((pl.col("uscc").str.slice(2, 6) == pl.col("town_code").str.slice(0, 6)).all()).item()
    assert codes["uscc"].str.starts_with("91330").all()


def test_names_are_unique_also_when_two_character_trade_names_run_out():
    frame = generate_enterprises(n_above=20000, n_below=10000, years=(2024,))
    assert frame["name"].is_unique().all()
    assert frame["uscc"].is_unique().all()
    assert frame["name"].str.ends_with("有限公司").all()


def test_names_look_like_enterprises_of_their_county(demo):
    last = demo.filter(pl.col("year") == 2024)
    assert last["name"].is_unique().all()
    changxing = last.filter(pl.col("region") == "长兴县")["name"]
    assert changxing.str.contains("^(长兴|浙江)").all()
    assert last["name"].str.ends_with("股份有限公司").sum() > 0


def test_regions_form_a_tree_that_the_enterprises_sit_in(demo):
    by_code = {r["code"]: r for r in REGIONS}
    assert by_code["330500"]["level"] == "city"
    counties = {r["name"] for r in REGIONS if r["level"] == "county"}
    assert counties == {"吴兴区", "南浔区", "德清县", "长兴县", "安吉县"}
    assert by_code["330502100"]["name"] == "织里镇"
    assert all(r["parent_code"] in by_code for r in REGIONS if r["level"] != "city")
    pairs = demo.select("town_code", "region").unique().iter_rows()
    for town_code, county_name in pairs:
        assert by_code[by_code[town_code]["parent_code"]]["name"] == county_name


def test_tax_per_mu_centres_on_24_above_scale_and_11_below(demo):
    assert 22 <= tax_per_mu_median(demo, 2022, above_scale=True) <= 26
    assert 9 <= tax_per_mu_median(demo, 2022, above_scale=False) <= 13
    # gentle growth from year to year
    assert (
        tax_per_mu_median(demo, 2022, True)
        < tax_per_mu_median(demo, 2024, True)
        < 1.1 * tax_per_mu_median(demo, 2022, True)
    )


def test_scale_land_and_heavy_tails(demo):
    last = demo.filter(pl.col("year") == 2024)
    above, below = last.filter(pl.col("above_scale")), last.filter(~pl.col("above_scale"))
    assert above["revenue"].min() >= 2000
    assert below["revenue"].max() < 2000
    assert 30 <= above["land_mu"].median() <= 50
    assert 4 <= below["land_mu"].median() <= 8
    assert 0.05 < (below["land_mu"] < 3).mean() < 0.3  # some 规下 firms fall under the 3 mu line
    tax_per_mu = above["tax"] / above["land_mu"]
    assert tax_per_mu.quantile(0.99) > 5 * tax_per_mu.median()  # a heavy upper tail
    assert (demo["tax"] < 0).sum() > 0
    assert (demo["value_added"] <= demo["revenue"]).all()


def test_efficiency_ties_the_figures_together(demo):
    per_mu = (
        demo.filter(pl.col("year") == 2024, pl.col("above_scale"))
        .select(
            (pl.col("tax") / pl.col("land_mu")).log().alias("tax"),
            (pl.col("value_added") / pl.col("land_mu")).log().alias("value_added"),
            (pl.col("value_added") / pl.col("employees")).log().alias("labour"),
        )
        .drop_nans()
    )
    assert per_mu.select(pl.corr("tax", "value_added")).item() > 0.6
    assert per_mu.select(pl.corr("value_added", "labour")).item() > 0.2


def test_exemptions_gaps_and_violations_occur_in_realistic_shares(demo):
    last = demo.filter(pl.col("year") == 2024)
    young = (last["established_on"] > dt.date(2022, 12, 31)).mean()
    new_land = (last["land_acquired_on"] > dt.date(2021, 12, 31)).mean()
    assert 0.01 < young < 0.06
    assert 0.02 < new_land < 0.12
    assert 0.005 < demo["major_violation"].mean() < 0.02
    above_missing = last.filter(pl.col("above_scale"))["emission_eq"].is_null().mean()
    assert 0.03 < above_missing < 0.15
    assert last["land_acquired_on"].is_null().sum() > 0
    required = last.select("tax", "land_mu", "value_added", "revenue", "employees")
    assert required.null_count().sum_horizontal().item() == 0


def test_a_million_rows_are_generated_by_whole_array_operations():
    frame = generate_enterprises(n_above=200_000, n_below=133_334)
    assert frame.height > 950_000
    assert frame["uscc"].n_unique() == 333_334
